#!/usr/bin/env bash
# Browser suite of the web console: headless Chromium (Debian's chromium
# package, driven by playwright-core from npm) against the real zonal binary
# serving --console, under Node's own test runner.
#
#   bash tests/browser/run.sh                  # exits non-zero on failure
#   bash tests/browser/run.sh xss.test.mjs     # only some files (relative to tests/browser)
#   SCREENSHOTS=docs/screenshots bash tests/browser/run.sh   # refresh the README's screenshots
#
# Chromium is Debian's: run as root, the script installs it when missing;
# otherwise it skips (exit 0) saying how to get it, unless
# ZONAL_REQUIRE_BROWSER=1 (CI), which fails instead. playwright-core never
# downloads a browser here. Screenshots of every page go to $SCREENSHOTS
# (default: a new temporary folder, printed at the end). ZONAL_BIN uses a
# built binary instead of building ./cmd/zonal; ZONAL_BROWSER_VERBOSE=1
# copies the server's log to stderr.
set -euo pipefail

caller="$(pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

debian_chromium=/usr/bin/chromium
chromium="${ZONAL_BROWSER_CHROMIUM:-$debian_chromium}"
if [ ! -x "$chromium" ] && [ "$chromium" = "$debian_chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "tests/browser: installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$chromium" ]; then
  msg="tests/browser: no Chromium at $chromium: install Debian's (sudo apt-get install chromium) or set ZONAL_BROWSER_CHROMIUM"
  if [ "${ZONAL_REQUIRE_BROWSER:-}" = 1 ]; then echo "$msg" >&2; exit 1; fi
  echo "$msg; skipping the browser suite"
  exit 0
fi

command -v node >/dev/null || { echo "tests/browser: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "tests/browser: npm is not installed" >&2; exit 1; }
echo "tests/browser: node $(node --version), $("$chromium" --version 2>/dev/null)"

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tests/browser: npm ci"
  timeout 600 npm ci --no-audit --no-fund
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/zonal-browser-XXXXXX")"
pid=""
tailpid=""
cleanup() {
  if [ -n "$tailpid" ]; then kill "$tailpid" 2>/dev/null || true; fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${ZONAL_BIN:-}" ]; then
  bin="$ZONAL_BIN"
else
  echo "tests/browser: go build ./cmd/zonal"
  (cd "$root" && GOFLAGS="${GOFLAGS:--buildvcs=false}" go build -o "$tmp/zonal" ./cmd/zonal)
  bin="$tmp/zonal"
fi

shots="${SCREENSHOTS:-}"
if [ -z "$shots" ]; then
  shots="$(mktemp -d "${TMPDIR:-/tmp}/zonal-screenshots-XXXXXX")"
elif [ "${shots#/}" = "$shots" ]; then
  shots="$caller/$shots"
fi
mkdir -p "$shots"

# The tests configure their clients in code; keep ambient AWS settings out.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

access_key=AKIAZONALBROWSER0001
secret_key=zonalBrowserTestSecretKey000000000000001

# A port picked here can be taken before the server binds it: try again
# with another when the server exits at once.
port=""
for _ in 1 2 3; do
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  # shellcheck disable=SC2046 # one -u NAME per ambient ZONAL_ setting
  env $(compgen -e | { grep '^ZONAL_' || true; } | sed 's/^/-u /') ZONAL_ROOT_ACCESS_KEY="$access_key" ZONAL_ROOT_SECRET_KEY="$secret_key" \
    "$bin" server --addr "127.0.0.1:$port" --data "$tmp/data" --console --log-format text \
    >"$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    curl -fs -o /dev/null "http://127.0.0.1:$port/_zonal/health" 2>/dev/null && break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && break
  wait "$pid" || true
  pid=""
done
if [ -z "$pid" ] || ! curl -fs -o /dev/null "http://127.0.0.1:$port/_zonal/health"; then
  echo "tests/browser: zonal did not start" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
if [ "${ZONAL_BROWSER_VERBOSE:-}" = 1 ]; then
  tail -f "$tmp/server.log" >&2 &
  tailpid=$!
fi
echo "tests/browser: zonal --console on 127.0.0.1:$port (pid $pid)"

export ZONAL_BROWSER_ENDPOINT="http://127.0.0.1:$port"
export ZONAL_BROWSER_ACCESS_KEY="$access_key" ZONAL_BROWSER_SECRET_KEY="$secret_key"
export ZONAL_BROWSER_CHROMIUM="$chromium" ZONAL_BROWSER_SHOTS="$shots"

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  # node --test runs them in name order, which the numbers fix: the
  # walkthrough's pages show a fresh server, the 1,000 objects come last.
  files=(*.test.mjs)
fi

# One file at a time (they share the server). Each step's browser actions
# time out after 10 s (harness.mjs); a file after 5 minutes, the run after 10.
status=0
timeout -k 10 600 node --test --test-concurrency=1 --test-reporter=spec --test-timeout=300000 "${files[@]}" || status=$?
echo "tests/browser: screenshots in $shots"
if [ "$status" != 0 ]; then
  echo "tests/browser: FAILED (exit $status); the server's log:" >&2
  tail -n 200 "$tmp/server.log" >&2
fi
exit "$status"
