#!/usr/bin/env bash
# Builds the open-source S3 servers that bench/run.sh compares zonal with,
# once, from the Go module proxy, and caches them beside rclone and weed
# in ${ZONAL_CACHE:-$HOME/.cache/zonal}:
#
#   bash tests/tools/peers.sh                 # all three; prints "name path" lines
#   bash tests/tools/peers.sh minio           # some of: minio versitygw seaweedfs
#   bash tests/tools/peers.sh --cached        # the ones already built; builds nothing
#
# MinIO and versitygw are plain `go install pkg@version` builds (neither
# go.mod has replace directives); SeaweedFS comes from
# tests/tools/seaweedfs.sh. The builds run with `-p 1` so that they do not
# take every core of a shared machine: expect several minutes each the
# first time. Progress goes to stderr.
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
VERSITYGW_VERSION=v1.8.0
here="$(cd "$(dirname "$0")" && pwd)"
cache="${ZONAL_CACHE:-$HOME/.cache/zonal}"
say() { echo "tests/tools/peers: $*" >&2; }

cached=
if [ "${1:-}" = --cached ]; then
	cached=1
	shift
fi

# install builds pkg@version into $cache/<name>-<version>/<binary> unless it
# is there already, and prints "name path".
install() {
	local name=$1 pkg=$2 version=$3 binary=$4
	local dir="$cache/$name-$version"
	if [ ! -x "$dir/$binary" ]; then
		[ -n "$cached" ] && return 0
		mkdir -p "$cache"
		# Built into a scratch GOBIN and moved, so an interrupted build never
		# leaves a binary that the check above would take for finished.
		local gobin start=$SECONDS
		gobin="$(mktemp -d "$cache/gobin.XXXXXX")"
		say "building $name $version with go install into $dir (minutes the first time)"
		if ! GOBIN="$gobin" GOFLAGS="-buildvcs=false" go install -p 1 -trimpath "$pkg@$version" >&2; then
			rm -rf "$gobin"
			say "FAIL: go install $pkg@$version"
			return 1
		fi
		mkdir -p "$dir"
		mv "$gobin/$binary" "$dir/$binary"
		rm -rf "$gobin"
		say "built $name in $((SECONDS - start))s"
	fi
	echo "$name $dir/$binary"
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(minio versitygw seaweedfs)
for p in "${want[@]}"; do
	case $p in
	minio) install minio github.com/minio/minio "$MINIO_VERSION" minio ;;
	versitygw) install versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" versitygw ;;
	seaweedfs)
		if bin=$(bash "$here/seaweedfs.sh" ${cached:+--cached}); then
			echo "seaweedfs $bin"
		elif [ -z "$cached" ]; then
			exit 1
		fi
		;;
	*) say "unknown peer $p: want minio, versitygw or seaweedfs"; exit 1 ;;
	esac
done
