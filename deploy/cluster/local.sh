#!/usr/bin/env bash
# Runs the three-node example of the README's "Scaling out" section on one
# machine, from the files in this folder: PostgreSQL (postgres.sql), a
# SeaweedFS with its S3 gateway (seaweedfs-s3.json, the command line of
# seaweedfs.service), three zonal nodes (zonal.yaml with loopback addresses
# and local folders) and HAProxy (haproxy.cfg with loopback servers).
# Everything listens on 127.0.0.1 and lives in one temporary folder.
#
#   deploy/cluster/local.sh           # start, print the endpoint and keys, run until Ctrl-C
#   deploy/cluster/local.sh --check   # start, check the service end to end, stop
#
# --check: every node and HAProxy report ready; objects written through
# HAProxy (inline and blob sizes) are read back through each node; a
# session minted on one node is used on the others; node 1 is killed and
# the service keeps answering through HAProxy.
#
# Needs: PostgreSQL 15 (PG_BIN, default /usr/lib/postgresql/15/bin; Debian's
# postgresql-15), weed (ZONAL_WEED_BIN, else built by
# tests/tools/seaweedfs.sh), haproxy, jq and curl on PATH (Debian packages).
# BASE_PORT (default 19000): HAProxy listens there, the nodes on the next
# three ports, PostgreSQL and SeaweedFS above them.
set -euo pipefail

cd "$(dirname "$0")/../.."
HERE=deploy/cluster
CHECK=false
[ "${1:-}" = --check ] && CHECK=true
BASE_PORT=${BASE_PORT:-19000}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
LB_PORT=$BASE_PORT
PG_PORT=$((BASE_PORT + 10))
WEED_PORT=$((BASE_PORT + 20)) # master; volume, filer, S3 and the gRPC ports follow
S3_PORT=$((WEED_PORT + 3))

need() { command -v "$1" >/dev/null || { echo "local.sh needs $1: $2" >&2; exit 1; }; }
[ -x "$PG_BIN/initdb" ] || { echo "local.sh needs PostgreSQL 15 in $PG_BIN: apt-get install postgresql-15" >&2; exit 1; }
need haproxy "apt-get install haproxy"
need jq "apt-get install jq"
need curl "apt-get install curl"
WEED=${ZONAL_WEED_BIN:-$(bash tests/tools/seaweedfs.sh)}

WORK=$(mktemp -d /tmp/zonal-cluster.XXXXXX)
PIDS=()
PG_PID=
cleanup() {
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill "${PIDS[i]}" 2>/dev/null || true
	done
	# SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients);
	# the postmaster's pid is in its data folder (PG_PID is runuser's).
	if [ -s "$WORK/pg/data/postmaster.pid" ]; then
		PG_PID=$(head -1 "$WORK/pg/data/postmaster.pid")
		kill -INT "$PG_PID" 2>/dev/null || true
	fi
	for pid in "${PIDS[@]}" $PG_PID; do
		for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "local.sh: $*" >&2; }

# as_pg runs a PostgreSQL program as the postgres user when we are root
# (initdb and postgres refuse to run as root).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

wait_for() { # what seconds command...: polls the command (which must time out by itself) until it succeeds
	local what=$1 until=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $until ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	log "$what did not come up in time"
	for f in "$WORK"/*.log; do echo "---- $f" >&2; tail -20 "$f" >&2; done
	exit 1
}

if [ -z "${ZONAL_BIN:-}" ]; then
	log "building zonal"
	go build -o "$WORK/zonal" ./cmd/zonal
	ZONAL_BIN=$WORK/zonal
fi

log "PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" && chmod 755 "$WORK"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --locale=C >"$WORK/initdb.log"
as_pg "$PG_BIN/postgres" -D "$WORK/pg/data" -p "$PG_PORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 >"$WORK/postgres.log" 2>&1 &
PG_PID=$!
wait_for PostgreSQL 30 as_pg env PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "SELECT 1"
as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -f "$HERE/postgres.sql"

log "SeaweedFS S3 on 127.0.0.1:$S3_PORT"
BLOB_KEY=zonal$RANDOM$RANDOM
BLOB_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$WORK/weed/data"
jq --arg a "$BLOB_KEY" --arg s "$BLOB_SECRET" '.identities[0].credentials[0] = {accessKey: $a, secretKey: $s}' \
	"$HERE/seaweedfs-s3.json" >"$WORK/weed/s3.json"
# seaweedfs.service's command line, on loopback ports.
(cd "$WORK/weed" && exec "$WEED" server -dir="$WORK/weed/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
	-master.port=$WEED_PORT -master.port.grpc=$((WEED_PORT + 4)) -volume.port=$((WEED_PORT + 1)) -volume.port.grpc=$((WEED_PORT + 5)) \
	-filer -filer.port=$((WEED_PORT + 2)) -filer.port.grpc=$((WEED_PORT + 6)) \
	-s3 -s3.port=$S3_PORT -s3.port.grpc=$((WEED_PORT + 7)) -s3.port.iceberg=0 -s3.port.lance=0 \
	-s3.config="$WORK/weed/s3.json" >"$WORK/seaweedfs.log" 2>&1) &
PIDS+=($!)
# The bucket, with any S3 client: curl signs with SigV4 itself.
create_bucket() { curl -fsS -m 5 -X PUT --aws-sigv4 aws:amz:us-east-1:s3 --user "$BLOB_KEY:$BLOB_SECRET" "http://127.0.0.1:$S3_PORT/zonal-blobs"; }
wait_for "the SeaweedFS bucket" 90 create_bucket

# zonal.yaml, with this machine's addresses and folders.
node_config() { # n
	local n=$1
	sed -e "s|^addr: .*|addr: 127.0.0.1:$((BASE_PORT + n))|" \
		-e "s|^data: .*|data: $WORK/node$n/data|" \
		-e "s|^catalog: .*|catalog: postgres://zonal:change-me@127.0.0.1:$PG_PORT/zonal?sslmode=disable|" \
		-e "s|^blob-endpoint: .*|blob-endpoint: http://127.0.0.1:$S3_PORT|" \
		-e "s|^cache-dir: .*|cache-dir: $WORK/node$n/cache|" \
		-e "s|^cache-size: .*|cache-size: 256MiB|" \
		-e "s|^master-key-file: .*|master-key-file: $WORK/keys/master.key|" \
		-e "s|^sse-key-file: .*|sse-key-file: $WORK/keys/sse.key|" \
		-e "s|^trusted-proxy: .*|trusted-proxy: [127.0.0.1]|" \
		"$HERE/zonal.yaml" >"$WORK/node$n.yaml"
}
ready() { curl -fsS -m 5 -H "Authorization: Bearer change-me" "http://127.0.0.1:$1/_zonal/ready"; }
start_node() { # n
	node_config "$1"
	ZONAL_BLOB_ACCESS_KEY_ID=$BLOB_KEY ZONAL_BLOB_SECRET_ACCESS_KEY=$BLOB_SECRET \
		"$ZONAL_BIN" server --config "$WORK/node$1.yaml" >"$WORK/node$1.log" 2>&1 &
	PIDS+=($!)
	NODE_PIDS[$1]=$!
}
declare -a NODE_PIDS
# The two keys, made once and shared by every node (the README's step 4).
mkdir -m 700 "$WORK/keys"
(umask 077; head -c 32 /dev/urandom >"$WORK/keys/master.key"; head -c 32 /dev/urandom >"$WORK/keys/sse.key")
log "zonal nodes on 127.0.0.1:$((BASE_PORT + 1))-$((BASE_PORT + 3))"
for n in 1 2 3; do start_node $n; done
for n in 1 2 3; do wait_for "zonal node $n" 60 ready $((BASE_PORT + n)); done

log "HAProxy on 127.0.0.1:$LB_PORT"
sed -e "s|^    bind :9000|    bind 127.0.0.1:$LB_PORT|" \
	-e "s|^    maxconn 20000|    maxconn 4000|" -e "s|10.0.0.11:9000|127.0.0.1:$((BASE_PORT + 1))|" -e "s|10.0.0.12:9000|127.0.0.1:$((BASE_PORT + 2))|" \
	-e "s|10.0.0.13:9000|127.0.0.1:$((BASE_PORT + 3))|" -e "s|^    log stdout.*|    log stderr format raw local0|" \
	"$HERE/haproxy.cfg" >"$WORK/haproxy.cfg"
haproxy -c -f "$WORK/haproxy.cfg" >/dev/null
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
wait_for HAProxy 30 ready "$LB_PORT"

AK=$(jq -r .access_key_id "$WORK/node1/data/root-credentials.json")
SK=$(jq -r .secret_access_key "$WORK/node1/data/root-credentials.json")
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK

if ! $CHECK; then
	cat <<EOF

A three-node zonal cluster is running (folder $WORK):
  endpoint     http://127.0.0.1:$LB_PORT   (HAProxy; nodes on ports $((BASE_PORT + 1))-$((BASE_PORT + 3)))
  root keys    AWS_ACCESS_KEY_ID=$AK
               AWS_SECRET_ACCESS_KEY=$SK
  try          $ZONAL_BIN bench put --endpoint http://127.0.0.1:$LB_PORT --size 1MiB --duration 5s
  logs         $WORK/*.log
Ctrl-C stops everything and removes the folder.
EOF
	wait
	exit 0
fi

# --check. zonal bench drives the service with an SDK-like client: it
# creates the bucket, mints a session and signs with it.
bench() { "$ZONAL_BIN" bench "$@" --quiet --json --warmup 0s; }
ok_run() { # label json: fails unless every request succeeded
	local errs ops
	errs=$(jq .errors <<<"$2")
	ops=$(jq .ops <<<"$2")
	log "$1: $ops operations, $errs errors"
	[ "$errs" = 0 ] && [ "$ops" != 0 ] && [ "$ops" != null ] || { log "FAIL: $1"; echo "$2" >&2; exit 1; }
}
LB=http://127.0.0.1:$LB_PORT
ok_run "PUT 4 KiB (inline) through HAProxy" "$(bench put --endpoint "$LB" --size 4KiB --requests 300 --keys 100 --prefix small/)"
ok_run "PUT 1 MiB (blobs in SeaweedFS) through HAProxy" "$(bench put --endpoint "$LB" --size 1MiB --requests 60 --keys 20 --prefix big/)"
# One object of each kind written through HAProxy, read back through
# every node: plain SigV4 with the root keys, signed by curl.
BUCKET=zonal-bench--use1-az4--x-s3
s3curl() { curl -sS --fail-with-body -m 30 --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
for size in 1000 3000000; do
	head -c $size /dev/urandom >"$WORK/obj-$size"
	s3curl -X PUT --data-binary @"$WORK/obj-$size" "$LB/$BUCKET/check/obj-$size" >/dev/null
	for n in 1 2 3; do
		s3curl -o "$WORK/read-$size-$n" "http://127.0.0.1:$((BASE_PORT + n))/$BUCKET/check/obj-$size"
		cmp -s "$WORK/obj-$size" "$WORK/read-$size-$n" || { log "FAIL: obj-$size written through HAProxy reads differently on node $n"; exit 1; }
	done
	log "a $size-byte object written through HAProxy reads back the same on nodes 1, 2 and 3"
done
# The console through HAProxy: a sign-in, then pages that all reach the
# node holding it (the backend's cookie), as a browser would.
JAR=$WORK/console.cookies
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" --data-urlencode "access_key=$AK" --data-urlencode "secret=$SK" "$LB/_zonal/console/signin")
[ "$code" = 303 ] || { log "FAIL: console sign-in through HAProxy answered $code"; exit 1; }
for i in 1 2 3 4 5 6; do
	page=$(curl -sS -m 10 -c "$JAR" -b "$JAR" -w '\n%{http_code}' "$LB/_zonal/console/buckets")
	[ "${page##*$'\n'}" = 200 ] && grep -q "$BUCKET" <<<"$page" || { log "FAIL: console page $i through HAProxy: ${page##*$'\n'}"; exit 1; }
done
log "the console signs in through HAProxy and stays on its node for 6 pages"
log "killing node 1 (kill -9)"
kill -9 "${NODE_PIDS[1]}"
wait "${NODE_PIDS[1]}" 2>/dev/null || true
sleep 5 # HAProxy marks it down after two failed checks (inter 2s fall 2)
ok_run "GET 4 KiB through HAProxy without node 1" "$(bench get --endpoint "$LB" --size 4KiB --requests 300 --keys 100 --prefix small/ --create-bucket=false)"
for size in 1000 3000000; do
	s3curl -o "$WORK/read-$size-lb" "$LB/$BUCKET/check/obj-$size"
	cmp -s "$WORK/obj-$size" "$WORK/read-$size-lb" || { log "FAIL: obj-$size reads differently without node 1"; exit 1; }
done
log "check passed"
