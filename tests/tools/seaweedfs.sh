#!/usr/bin/env bash
# Builds SeaweedFS's `weed` once, caches it, and prints its path: the
# backend internal/blob/s3's tests run against.
#
#   ZONAL_WEED_BIN="$(bash tests/tools/seaweedfs.sh)"
#   bash tests/tools/seaweedfs.sh --cached   # the path if built, else exit 1
#
# SeaweedFS's go.mod has replace directives, so `go install pkg@version`
# refuses it; instead the pinned module is downloaded through the module
# proxy (a pseudo-version: @latest is refused), copied out of the
# read-only module cache and built there. Progress goes to stderr, the
# path alone to stdout.
set -euo pipefail

SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
cache="${ZONAL_CACHE:-$HOME/.cache/zonal}/seaweedfs-$SEAWEEDFS_VERSION"
bin="$cache/weed"
say() { echo "tests/tools/seaweedfs: $*" >&2; }

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
[ "${1:-}" = --cached ] && exit 1

mkdir -p "$cache"
work="$(mktemp -d "${TMPDIR:-/tmp}/zonal-seaweedfs-XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT

start=$SECONDS
say "downloading github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION"
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -n "$dir" ] && [ -d "$dir" ] || { say "FAIL: go mod download gave no module directory"; exit 1; }
cp -R "$dir" "$work/src"
chmod -R u+w "$work/src"

say "building weed into $cache (several minutes the first time)"
# Built beside its final name and renamed, so an interrupted build never
# leaves a partial binary that the check above would take for done.
(cd "$work/src" && GOFLAGS="-mod=mod -buildvcs=false" go build -o "$bin.tmp$$" ./weed) >&2 ||
  { rm -f "$bin.tmp$$"; say "FAIL: go build ./weed"; exit 1; }
mv "$bin.tmp$$" "$bin"
say "built weed in $((SECONDS - start))s"
echo "$bin"
