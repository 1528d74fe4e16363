// The console works without this script; it adds confirmations, a
// preview of a new bucket's full name, and uploads with progress (big
// files as multipart uploads, several files at once). It never writes
// HTML: every name it shows is set as text.
"use strict";
document.addEventListener("submit", (ev) => {
  // A row's Delete button carries its own question (it submits a form
  // shared by every row).
  const by = ev.submitter && ev.submitter.dataset.confirm;
  const msg = by || (ev.target.dataset && ev.target.dataset.confirm);
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

document.addEventListener("DOMContentLoaded", () => {
  bucketName();
  uploads();
});

function bucketName() {
  const name = document.getElementById("name"), zone = document.getElementById("zone");
  const out = document.getElementById("full-name");
  if (!name || !zone || !out) return;
  const update = () => {
    const n = name.value.trim(), z = zone.value.trim();
    if (!n) {
      out.textContent = "(type a name)";
      return;
    }
    const full = n.endsWith("--x-s3") ? n : n + "--" + (z || "<zone>") + "--x-s3";
    out.textContent = full + " (" + full.length + " characters)";
  };
  name.addEventListener("input", update);
  zone.addEventListener("input", update);
  update();
}

// Upload lines survive the reload that shows the new objects.
const statusKey = "zonal-console-upload-status";
const parallel = 3;

function uploads() {
  const form = document.getElementById("upload");
  const status = document.getElementById("upload-status");
  if (!form || !status) return;
  const say = (line) => {
    const div = document.createElement("div");
    div.textContent = line;
    status.appendChild(div);
  };
  const kept = sessionStorage.getItem(statusKey);
  if (kept) {
    sessionStorage.removeItem(statusKey);
    JSON.parse(kept).forEach(say);
  }
  form.addEventListener("submit", (ev) => {
    const files = Array.from(form.elements.file.files || []);
    if (!files.length || !window.XMLHttpRequest) return; // the plain form then
    ev.preventDefault();
    const up = {
      api: form.dataset.api,
      partSize: Number(form.dataset.partSize) || 8 << 20,
      csrf: form.elements.csrf.value,
      prefix: form.elements.prefix.value,
    };
    form.querySelector("button[type=submit]").disabled = true;
    const lines = [];
    const report = (line) => { lines.push(line); say(line); };
    const queue = files.slice();
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const bar = progressBar(f);
        try {
          await uploadFile(up, f, bar);
          report("Uploaded " + f.name);
        } catch (err) {
          report("Failed " + f.name + ": " + err.message);
        }
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(parallel, files.length); i++) workers.push(worker());
    Promise.all(workers).then(() => {
      sessionStorage.setItem(statusKey, JSON.stringify(lines));
      window.location.reload();
    });
  });
}

function progressBar(file) {
  const row = document.createElement("div");
  row.className = "progress";
  const name = document.createElement("span");
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = file.size || 1;
  bar.value = 0;
  bar.setAttribute("aria-label", "Upload progress " + file.name);
  const pct = document.createElement("span");
  pct.className = "pct";
  pct.textContent = "0%";
  row.append(name, bar, pct);
  document.getElementById("upload-progress").appendChild(row);
  // The bar and its percentage move together.
  return {
    get max() { return bar.max; },
    set value(v) {
      bar.value = v;
      pct.textContent = Math.floor((100 * v) / bar.max) + "%";
    },
  };
}

async function uploadFile(up, file, bar) {
  const key = up.prefix + file.name;
  const type = file.type || "application/octet-stream";
  if (file.size <= up.partSize) {
    await send(up, "put", { key }, file, type, (n) => { bar.value = n; });
    bar.value = bar.max;
    return;
  }
  const created = await send(up, "mpu/create", { key, type });
  const id = created.uploadId;
  try {
    const etags = [];
    for (let off = 0, n = 1; off < file.size; off += up.partSize, n++) {
      const part = file.slice(off, Math.min(off + up.partSize, file.size));
      const res = await send(up, "mpu/part", { key, upload: id, part: String(n) }, part,
        "application/octet-stream", (sent) => { bar.value = off + sent; });
      etags.push(res.etag);
    }
    await send(up, "mpu/complete", { key, upload: id }, JSON.stringify({ parts: etags }), "application/json");
    bar.value = bar.max;
  } catch (err) {
    send(up, "mpu/abort", { key, upload: id }).catch(() => {});
    throw err;
  }
}

// send POSTs body to one of the console's upload endpoints and resolves
// with its JSON answer; a refusal rejects with the error page's message.
function send(up, path, query, body, type, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", up.api + path + "?" + new URLSearchParams(query).toString());
    xhr.setRequestHeader("X-CSRF-Token", up.csrf);
    if (type) xhr.setRequestHeader("Content-Type", type);
    if (progress) xhr.upload.onprogress = (ev) => progress(ev.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve(JSON.parse(xhr.responseText)); } catch (e) { reject(new Error("unreadable answer")); }
        return;
      }
      // The error page's message, read as text (a parsed document runs no script).
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const el = page.querySelector(".error");
      reject(new Error(el ? el.textContent : xhr.status + " " + xhr.statusText));
    };
    xhr.onerror = () => reject(new Error("the connection failed"));
    xhr.send(body === undefined ? null : body);
  });
}
