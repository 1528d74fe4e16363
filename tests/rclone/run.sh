#!/usr/bin/env bash
# rclone interop suite: stock rclone (pinned below, built with `go install`
# and cached) against the real zonal binary over HTTPS with a self-signed
# certificate, driven the way a user would: a remote configured through
# RCLONE_CONFIG_ZONAL_* variables with directory_bucket=true, --ca-cert to
# trust the certificate, then copy, list, check, sync, server-side move,
# delete and purge.
#
#   bash tests/rclone/run.sh        # exits non-zero on the first failure
#
# The rclone binary is kept in ${ZONAL_CACHE:-$HOME/.cache/zonal} and reused;
# building it takes a few minutes the first time.
set -euo pipefail

RCLONE_VERSION=v1.76.0
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
t0=$SECONDS
say() { echo "tests/rclone: $*"; }

# ---------------------------------------------------------------- rclone
cache="${ZONAL_CACHE:-$HOME/.cache/zonal}"
rclone_bin="$cache/rclone-$RCLONE_VERSION"
if [ ! -x "$rclone_bin" ]; then
  mkdir -p "$cache"
  gobin="$(mktemp -d "$cache/gobin.XXXXXX")"
  say "building rclone $RCLONE_VERSION with go install into $cache (about 4 minutes the first time)"
  start=$SECONDS
  GOBIN="$gobin" go install "github.com/rclone/rclone@$RCLONE_VERSION" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( (SECONDS - start) % 30 < 2 )); then say "  still building rclone ($((SECONDS - start))s)"; fi
  done
  if ! wait "$pid"; then rm -rf "$gobin"; say "FAIL: go install rclone $RCLONE_VERSION"; exit 1; fi
  mv "$gobin/rclone" "$rclone_bin"
  rmdir "$gobin"
  say "built rclone in $((SECONDS - start))s"
else
  say "reusing $rclone_bin"
fi
ver="$("$rclone_bin" version)" || true
[[ "$ver" == "rclone $RCLONE_VERSION"* ]] || { say "FAIL: $rclone_bin is not rclone $RCLONE_VERSION: ${ver%%$'\n'*}"; exit 1; }

# ---------------------------------------------------------------- zonal
tmp="$(mktemp -d "${TMPDIR:-/tmp}/zonal-rclone-XXXXXX")"
zonal_pid=""
cleanup() {
  if [ -n "$zonal_pid" ] && kill -0 "$zonal_pid" 2>/dev/null; then
    kill -TERM "$zonal_pid" 2>/dev/null || true
    wait "$zonal_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  echo "---- zonal log (tail) ----"; tail -n 40 "$tmp/zonal.log" 2>/dev/null || true
  exit 1
}

say "go build ./cmd/zonal"
(cd "$root" && go build -o "$tmp/zonal" ./cmd/zonal)

# Keep ambient AWS / rclone / zonal settings out.
for v in $(compgen -e | grep -E '^(AWS_|RCLONE_|ZONAL_)' || true); do unset "$v"; done
access_key=AKIARCLONETEST000001
secret_key="rcloneSecret/with+chars0000000000000000"
data="$tmp/data"
# One fault rule, for the last step only (its prefix): the first PutObject
# under faults/ has its connection reset after 64 KiB of the upload.
cat >"$tmp/faults.yaml" <<'YAML'
rules:
  - name: rclone-reset
    match: {ops: [PutObject], prefix: faults/}
    reset: {after_request_bytes: 65536}
    first: 1
YAML
# Port 0: the kernel picks a free port and zonal logs the endpoint.
ZONAL_ROOT_ACCESS_KEY=$access_key ZONAL_ROOT_SECRET_KEY=$secret_key \
  "$tmp/zonal" server --addr 127.0.0.1:0 --data "$data" --tls-self-signed --log-format json \
  --faults "$tmp/faults.yaml" >"$tmp/zonal.out" 2>"$tmp/zonal.log" &
zonal_pid=$!
endpoint=""
for _ in $(seq 1 100); do
  endpoint="$(sed -n 's/.*"msg":"zonal serving","endpoint":"\([^"]*\)".*/\1/p' "$tmp/zonal.log" | head -1)"
  [ -n "$endpoint" ] && break
  kill -0 "$zonal_pid" 2>/dev/null || fail "zonal exited during start-up"
  sleep 0.1
done
[ -n "$endpoint" ] || fail "zonal did not start within 10s"
case "$endpoint" in https://127.0.0.1:*) ;; *) fail "unexpected endpoint $endpoint" ;; esac
ca="$data/tls/cert.pem"
say "zonal serves $endpoint; trusting $ca"

# ---------------------------------------------------------------- remote
: >"$tmp/rclone.conf"
export RCLONE_CONFIG="$tmp/rclone.conf"
export RCLONE_CONFIG_ZONAL_TYPE=s3
export RCLONE_CONFIG_ZONAL_PROVIDER=AWS
export RCLONE_CONFIG_ZONAL_ACCESS_KEY_ID=$access_key
export RCLONE_CONFIG_ZONAL_SECRET_ACCESS_KEY=$secret_key
export RCLONE_CONFIG_ZONAL_REGION=us-east-1
export RCLONE_CONFIG_ZONAL_ENDPOINT=$endpoint
export RCLONE_CONFIG_ZONAL_DIRECTORY_BUCKET=true
# No retries: a failure must show, not be papered over.
rc() { "$rclone_bin" --ca-cert "$ca" --retries 1 --low-level-retries 1 "$@"; }

bucket="rclone-$(printf '%04x%04x' $RANDOM $RANDOM)--use1-az4--x-s3"
# rclone's mkdir on a directory bucket sends nothing (rclone assumes
# directory buckets exist), so the bucket is made with the Go SDK, as a
# user would with an SDK or the AWS CLI.
bucket_tool() {
  (cd "$root" && ZONAL_ENDPOINT=$endpoint ZONAL_CA_CERT=$ca AWS_ACCESS_KEY_ID=$access_key \
    AWS_SECRET_ACCESS_KEY=$secret_key AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true go run ./tests/rclone/bucket "$@")
}
say "create bucket $bucket"
bucket_tool create "$bucket" || fail "CreateBucket"
rc mkdir "zonal:$bucket" || fail "rclone mkdir"

# ---------------------------------------------------------------- tree
src="$tmp/src"
mkdir -p "$src/docs/2026/nov" "$src/media/raw" "$src/empty-dir-sibling" "$src/with space"
printf 'hello rclone\n' >"$src/README.txt"
: >"$src/empty.txt"
printf 'x' >"$src/docs/one-byte"
head -c 1024 /dev/urandom >"$src/docs/2026/nov/report.bin"
head -c 100000 /dev/urandom >"$src/docs/2026/data.csv"
printf 'ünïcødé ✓\n' >"$src/docs/ünïcødé.txt"
printf 'spaces\n' >"$src/with space/file name.txt"
printf 'sibling\n' >"$src/empty-dir-sibling/keep.txt"
head -c 6291456 /dev/urandom >"$src/media/raw/big.bin"   # 6 MiB: multipart below
head -c 300000 /dev/urandom >"$src/media/photo.jpg"
nfiles=$(find "$src" -type f | wc -l)

expect_listing() { # remote-path local-dir
  local want got
  want="$(cd "$2" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)"
  got="$(rc lsf -R --files-only "zonal:$bucket/$1" | LC_ALL=C sort)" || fail "rclone lsf"
  if [ "$want" != "$got" ]; then
    echo "want:"; echo "$want"; echo "got:"; echo "$got"
    fail "listing of $1 differs from $2"
  fi
}
check() { # remote-path local-dir
  local out
  out="$(rc check "$2" "zonal:$bucket/$1" 2>&1)" || { echo "$out"; fail "rclone check $1"; }
  grep -q ": 0 differences found" <<<"$out" || { echo "$out"; fail "rclone check $1 found differences"; }
}

# Multipart for files over 5 MiB (rclone's minimum chunk size), so the
# 6 MiB file goes up as CreateMultipartUpload + 2 x UploadPart + Complete.
say "copy $nfiles files (multipart above 5 MiB)"
rc copy --s3-upload-cutoff 5M --s3-chunk-size 5M "$src" "zonal:$bucket/tree" || fail "rclone copy"
grep -q '"op":"CompleteMultipartUpload","bucket":"'"$bucket"'","key":"tree/media/raw/big.bin","status":200' "$tmp/zonal.log" ||
  fail "the 6 MiB file did not go up as a multipart upload"

say "lsf -R"
expect_listing tree "$src"
# Captured, not piped: grep -q exits at its match, and under pipefail the
# SIGPIPE rclone then gets would fail the step though the line was there.
listing="$(rc lsf -R "zonal:$bucket/tree")" || fail "rclone lsf -R"
grep -qx 'docs/2026/nov/' <<<"$listing" || { echo "$listing"; fail "lsf -R does not show nested directories"; }

say "check"
check tree "$src"
rc cat "zonal:$bucket/tree/docs/ünïcødé.txt" | cmp - "$src/docs/ünïcødé.txt" || fail "rclone cat differs"

say "modify, add and delete locally, then sync"
printf 'hello rclone, changed and longer\n' >"$src/README.txt"
head -c 2048 /dev/urandom >"$src/docs/2026/nov/report.bin"
printf 'new\n' >"$src/media/new file.txt"
rm "$src/docs/2026/data.csv" "$src/with space/file name.txt"
rc sync "$src" "zonal:$bucket/tree" || fail "rclone sync"
expect_listing tree "$src"
check tree "$src"

say "server-side move (CopyObject + DeleteObject)"
rc moveto "zonal:$bucket/tree/media/photo.jpg" "zonal:$bucket/tree/archive/photo.jpg" || fail "rclone moveto"
mkdir -p "$src/archive" && mv "$src/media/photo.jpg" "$src/archive/photo.jpg"
expect_listing tree "$src"
check tree "$src"

say "delete by filter, then purge"
rc delete --include '*.bin' "zonal:$bucket/tree" || fail "rclone delete"
find "$src" -name '*.bin' -delete
expect_listing tree "$src"
rc purge "zonal:$bucket/tree" || fail "rclone purge"
left="$(rc lsf -R "zonal:$bucket")" || fail "rclone lsf after purge"
[ -z "$left" ] || { echo "$left"; fail "objects remain after purge"; }

say "an upload reset by an injected fault is retried"
head -c 1048576 /dev/urandom >"$tmp/reset.bin"
# Low-level retries on for this step: the retry is what is checked.
if ! "$rclone_bin" --ca-cert "$ca" --retries 1 --low-level-retries 3 -vv copyto "$tmp/reset.bin" "zonal:$bucket/faults/reset.bin" \
  >"$tmp/reset.log" 2>&1; then
  tail -n 20 "$tmp/reset.log"; fail "rclone did not recover from a reset upload"
fi
grep -iE 'retry|reset by peer' "$tmp/reset.log" | head -5 || true
resets="$(grep -c '"op":"PutObject","bucket":"'"$bucket"'","key":"faults/reset.bin".*"fault":"rclone-reset"' "$tmp/zonal.log" || true)"
[ "$resets" = 1 ] || fail "the reset fault fired $resets times, want 1"
grep -q '"op":"PutObject","bucket":"'"$bucket"'","key":"faults/reset.bin","status":200' "$tmp/zonal.log" ||
  fail "no PutObject of faults/reset.bin after the reset"
say "  zonal saw $(grep -c '"op":"PutObject","bucket":"'"$bucket"'","key":"faults/reset.bin"' "$tmp/zonal.log") PutObject requests for it, the first one reset"
rc cat "zonal:$bucket/faults/reset.bin" | cmp - "$tmp/reset.bin" || fail "the retried upload differs"
rc purge "zonal:$bucket/faults" || fail "rclone purge faults/"

say "delete bucket"
bucket_tool delete "$bucket" || fail "DeleteBucket"
[ "$(bucket_tool check "$bucket")" = absent ] || fail "bucket still exists"

if grep -q '"level":"ERROR"' "$tmp/zonal.log"; then
  grep '"level":"ERROR"' "$tmp/zonal.log" | head -5
  fail "zonal logged errors"
fi
say "ok ($((SECONDS - t0))s)"
