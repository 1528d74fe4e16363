#!/usr/bin/env bash
# JS SDK interop suite: the stock @aws-sdk/client-s3 and client-s3-control
# (pinned in package.json; client-s3-control has no 3.1175.0, 3.1112.0 is
# its newest release and needs Node >= 20)
# against the real zonal binary, under Node's own test runner.
#
#   bash tests/js/run.sh            # from anywhere; exits non-zero on failure
#   bash tests/js/run.sh wire.test.mjs   # only some files (names relative to tests/js)
#
# Installs the npm dependencies when node_modules is missing or older than the
# lockfile, builds ./cmd/zonal into a temporary folder, exports its path as
# ZONAL_BIN for the tests (each test file starts its own server on a free
# loopback port) and runs `node --test`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v node >/dev/null || { echo "tests/js: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "tests/js: npm is not installed" >&2; exit 1; }
echo "tests/js: node $(node --version), npm $(npm --version)"

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tests/js: npm ci"
  timeout 600 npm ci --no-audit --no-fund
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/zonal-js-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "tests/js: go build ./cmd/zonal"
(cd "$root" && GOFLAGS="${GOFLAGS:--buildvcs=false}" go build -o "$tmp/zonal" ./cmd/zonal)

# The tests configure their clients in code; keep ambient AWS settings
# (profiles, endpoint overrides, AWS_S3_DISABLE_EXPRESS_SESSION_AUTH, ...) out.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export ZONAL_BIN="$tmp/zonal"
# 3.1175.0 warns once per process that later releases need Node 22.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(*.test.mjs)
fi

# Bounded: 60 s per test, 4 minutes for the whole run.
timeout -k 10 240 node --test --test-reporter=spec --test-timeout=60000 "${files[@]}"
