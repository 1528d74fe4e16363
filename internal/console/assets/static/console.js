// The console works without this script; it only adds confirmations and
// a preview of a new bucket's full name. It never writes HTML: text only.
"use strict";
document.addEventListener("submit", (ev) => {
  const msg = ev.target.dataset && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
document.addEventListener("DOMContentLoaded", () => {
  const name = document.getElementById("name"), zone = document.getElementById("zone");
  const out = document.getElementById("full-name");
  if (!name || !zone || !out) return;
  const update = () => {
    const n = name.value.trim(), z = zone.value.trim();
    const full = n.endsWith("--x-s3") ? n : n + "--" + (z || "<zone>") + "--x-s3";
    out.textContent = full + " (" + full.length + " characters)";
  };
  name.addEventListener("input", update);
  zone.addEventListener("input", update);
  update();
});
