#!/usr/bin/env bash
# Reproduces the performance table of issue 6 (see bench/README.md).
#
# For every row and every run it starts a fresh zonal server (at its
# default log level, so with the access log; empty data folder), runs `zonal bench ... --compare-ceiling` against
# it (the ceiling run goes to a trivial server in its own process, like the
# real server), and records the generator's CPU per operation and the
# server's CPU and peak RSS over the measured phase (--server-pid: read from
# /proc/<pid>/stat and VmHWM in /proc/<pid>/status). It prints a Markdown
# table of the medians and keeps every run's JSON.
#
# Usage: bench/run.sh [row...]        rows: put4k get4k get64k put1m put1m-unsigned get1m get16m get1m-encrypted get16m-sendfile list
#                                           single-put single-get plain-put4k plain-get4k
#                                           get1m-hot backend-put1m backend-get1m backend-put4k backend-get4k
# Environment: CATALOG=postgres runs every server on a shared PostgreSQL catalog
#              (a throwaway cluster from PG_BIN, /usr/lib/postgresql/15/bin, a fresh
#              database per run) and adds the database's CPU per operation;
#              BLOB=seaweedfs starts a throwaway SeaweedFS (weed server -s3, from
#              ZONAL_WEED_BIN or tests/tools/seaweedfs.sh, data in WORK, S3 port
#              WEED_PORT+3) and runs zonal with --blob s3://zonal-blobs/<run>/ on it;
#              the weed process tree's CPU is counted (--backend-pid). The backend-*
#              rows run the generator in plain mode straight at its S3 port.
#              NODES=N (1) runs N zonal servers on one catalog (CATALOG=postgres),
#              sharing key files (node 0 creates them) and blobs, on ports PORT,
#              PORT+10, ...; the generator spreads its workers over all of them and
#              sums their CPU.
#              SERVER_GOMAXPROCS=N runs the servers (only) with GOMAXPROCS=N.
#              BENCH_ARGS: more generator flags for every row, after the row's own
#              (the last wins), e.g. "--concurrency 48" for 16 clients per node of three.
#              PROFILE=DIR runs the servers with --pprof and saves node 0's CPU
#              profile over each measured phase as DIR/<row>-<run>.pprof.
#              CACHE=SIZE gives every node a fresh cache (--cache-dir, --cache-size);
#              in SERVER_ARGS and the rows' server flags, {node} is the node's folder.
#              PEERS: the other S3 servers run on the rows marked "peers" (the GET rows),
#              right after zonal in every run, at their default settings: any of minio,
#              versitygw, seaweedfs; default: those tests/tools/peers.sh has built and
#              cached; "none" for none. MINIO_BIN, VERSITYGW_BIN, ZONAL_WEED_BIN override
#              the binaries; PEER_PORT (9360; SeaweedFS takes 9357-9364) their S3 port.
#              LOG_LEVEL (info, the server's default: access log on; warn: off).
#              RUNS (3), SERVER_ARGS (more flags for every server), SETTLE (3 s pause between runs), DURATION (5s), WARMUP (1s), PORT (9310), CEILING_PORT (9311),
#              WEED_PORT (9340: 9340-9347), ZONAL_BIN (build ./cmd/zonal when unset), OUT (results folder).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SERVER_ARGS=${SERVER_ARGS:-}
BENCH_ARGS=${BENCH_ARGS:-}
SETTLE=${SETTLE:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
PORT=${PORT:-9310}
CEILING_PORT=${CEILING_PORT:-9311}
WORK=$(mktemp -d /tmp/zonal-bench.XXXXXX)
OUT=${OUT:-$WORK/results}
mkdir -p "$OUT"
command -v jq >/dev/null || { echo "run.sh needs jq" >&2; exit 1; }

if [ -z "${ZONAL_BIN:-}" ]; then
	ZONAL_BIN=$WORK/zonal
	go build -o "$ZONAL_BIN" ./cmd/zonal
fi
export ZONAL_ROOT_ACCESS_KEY=AKIABENCH0000000001
export ZONAL_ROOT_SECRET_KEY=benchsecretbenchsecretbenchsecretbench00
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

NODES=${NODES:-1}
PROFILE=${PROFILE:-}
# The server's own default (info) writes the access log, as a deployment
# would; warn turns it off.
LOG_LEVEL=${LOG_LEVEL:-info}
[ -n "$PROFILE" ] && mkdir -p "$PROFILE"
CACHE=${CACHE:-}
BLOB=${BLOB:-}
WEED_PORT=${WEED_PORT:-9340}
SERVER_PIDS=() # one per node
CEILING_PID=
PG_PID=
WEED_PID=
PEER_PID=
cleanup() {
	# Every wait may fail (a killed process's status), which under set -e
	# would end the trap before the rest is stopped.
	for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
	[ -n "$CEILING_PID" ] && kill "$CEILING_PID" 2>/dev/null && { wait "$CEILING_PID" 2>/dev/null || true; }
	[ -n "$PEER_PID" ] && kill -KILL "$PEER_PID" 2>/dev/null && { wait "$PEER_PID" 2>/dev/null || true; }
	if [ -n "$PG_PID" ]; then
		kill -INT "$PG_PID" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -n "$WEED_PID" ]; then
		# Its data is thrown away: SIGKILL spares weed's 15 s graceful stop.
		kill -KILL "$WEED_PID" 2>/dev/null
		wait "$WEED_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK/data" "$WORK/pg" "$WORK/weed" "$WORK/peer"
	true
}
trap cleanup EXIT

# as_pg runs a PostgreSQL program, as the postgres user when we are root
# (initdb and postgres refuse to run as root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	exit 1
}

# start_node starts node $1 with the flags in the rest of the arguments.
start_node() {
	local i=$1 dir="$WORK/data/node$1" port=$((PORT + 10 * $1))
	shift
	mkdir -p "$dir"
	local extra=()
	[ -n "$CACHE" ] && extra+=(--cache-dir "$dir/cache" --cache-size "$CACHE")
	[ -n "$PROFILE" ] && extra+=(--pprof)
	if [ "$NODES" -gt 1 ]; then
		extra+=(--master-key-file "$WORK/data/keys/master.key" --sse-key-file "$WORK/data/keys/sse.key")
		[ -z "$BLOB" ] && extra+=(--blob-dir "$WORK/data/blobs")
	fi
	# shellcheck disable=SC2046
	${SERVER_GOMAXPROCS:+env GOMAXPROCS=$SERVER_GOMAXPROCS} "$ZONAL_BIN" server --addr "127.0.0.1:$port" --data "$dir/data" --log-level "$LOG_LEVEL" "${extra[@]}" $(sed "s|{node}|$dir|g" <<<"$*") \
		2>>"$WORK/server.log" &
	SERVER_PIDS+=($!)
}

start_server() {
	rm -rf "$WORK/data"
	mkdir -p "$WORK/data/keys"
	DBN=$((DBN + 1)) # here, not in catalog_args: that runs in a subshell
	local args i
	args="$(catalog_args) $(blob_args) $SERVER_ARGS $1"
	# Node 0 creates the key files, then the others start.
	start_node 0 "$args"
	wait_port "$PORT"
	for i in $(seq 1 $((NODES - 1))); do start_node "$i" "$args"; done
	for i in $(seq 1 $((NODES - 1))); do wait_port $((PORT + 10 * i)); done
}

# endpoints lists the nodes' URLs, comma-separated.
endpoints() {
	local eps=() i
	for i in $(seq 0 $((NODES - 1))); do eps+=("http://127.0.0.1:$((PORT + 10 * i))"); done
	(IFS=,; echo "${eps[*]}")
}

stop_server() {
	for pid in "${SERVER_PIDS[@]}"; do kill "$pid"; done
	for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	SERVER_PIDS=()
	rm -rf "$WORK/data"
	# Let the deletions (and, on discard mounts, the device's trims) finish
	# before the next run: without this pause, a run after a 1 MiB PUT row
	# measured 30% lower on the reference VM.
	sync
	sleep "$SETTLE"
}

CATALOG=${CATALOG:-}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGPORT:-9312}
DBN=0
if [ "$CATALOG" = postgres ]; then
	[ -x "$PG_BIN/initdb" ] || { echo "CATALOG=postgres needs $PG_BIN/initdb: apt-get install postgresql-15" >&2; exit 1; }
	mkdir -p "$WORK/pg"
	[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" && chmod 755 "$WORK"
	as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U zonal --auth=trust -E UTF8 --locale=C >"$WORK/pg/initdb.log"
	as_pg "$PG_BIN/postgres" -D "$WORK/pg/data" -p "$PGPORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 \
		-c fsync=on -c max_connections=300 2>>"$WORK/pg/server.log" &
	wait_port "$PGPORT"
	PG_PID=$(head -1 "$WORK/pg/data/postmaster.pid")
	echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT (postmaster $PG_PID), fsync on" >&2
fi

# catalog_args creates a fresh database for the next server and prints the
# flag that points the server at it (nothing in the default Pebble mode).
catalog_args() {
	[ "$CATALOG" = postgres ] || return 0
	as_pg "$PG_BIN/psql" -q -h "$WORK/pg" -p "$PGPORT" -U zonal -d postgres -c "CREATE DATABASE bench$DBN" >&2
	echo "--catalog postgres://zonal@127.0.0.1:$PGPORT/bench$DBN?sslmode=disable"
}

if [ "$NODES" -gt 1 ] && [ "$CATALOG" != postgres ]; then
	echo "NODES=$NODES needs CATALOG=postgres: nodes share one catalog" >&2
	exit 1
fi

# start_weed starts a throwaway SeaweedFS (`weed server -s3`, one process)
# on loopback with one identity (the flags of internal/blob/s3/s3test): $1
# the weed binary, $2 its folder (log in weed.log), $3 the first of its 8
# ports (S3 on $3+3), $4 the identity's access key, $5 its secret, and more
# `weed server` flags after. It sets STARTED_PID; the caller waits for it
# to take a PUT (wait_s3).
start_weed() {
	local bin=$1 dir=$2 base=$3 ak=$4 sk=$5
	shift 5
	mkdir -p "$dir/data"
	printf '{"identities":[{"name":"bench","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","List","Tagging","Write"]}]}' \
		"$ak" "$sk" >"$dir/s3.json"
	(cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$dir" "$bin" server \
		-ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
		-master.port="$base" -master.port.grpc="$((base + 4))" -master.telemetry=false \
		-volume.port="$((base + 1))" -volume.port.grpc="$((base + 5))" -volume.preStopSeconds=0 \
		-filer -filer.port="$((base + 2))" -filer.port.grpc="$((base + 6))" -filer.localSocket="$dir/filer.sock" \
		-s3 -s3.port="$((base + 3))" -s3.port.grpc="$((base + 7))" -s3.port.iceberg=0 -s3.port.lance=0 \
		-s3.localSocket="$dir/s3.sock" -s3.config="$dir/s3.json" "$@") >"$dir/weed.log" 2>&1 &
	STARTED_PID=$!
}

# wait_s3 waits until the S3 server at $1 (pid $2, log $3) takes a plain
# SigV4 PUT into bucket $4 with keys $5/$6: a listening port is not enough
# (SeaweedFS answers before its filer is up).
wait_s3() {
	local ep=$1 pid=$2 log=$3 bucket=$4 ak=$5 sk=$6
	for _ in $(seq 90); do
		kill -0 "$pid" 2>/dev/null || { echo "the server on $ep exited; its log: $log" >&2; tail -20 "$log" >&2; exit 1; }
		if "$ZONAL_BIN" bench put --mode plain --endpoint "$ep" --access-key "$ak" --secret-key "$sk" \
			--bucket "$bucket" --size 1KiB --requests 1 --concurrency 1 --warmup 0 --quiet --json >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	echo "the server on $ep did not take a PUT in 90 s; its log: $log" >&2
	tail -20 "$log" >&2
	exit 1
}

# The blob store (BLOB=seaweedfs): one SeaweedFS for the whole run, with
# small volumes so that its data folder stays small.
WEED_AK=AKIAWEEDBENCH0000001
WEED_SK=weedbenchsecretweedbenchsecretweedbench0
WEED_EP="http://127.0.0.1:$((WEED_PORT + 3))"
if [ "$BLOB" = seaweedfs ]; then
	WEED_BIN=${ZONAL_WEED_BIN:-$(bash tests/tools/seaweedfs.sh)}
	start_weed "$WEED_BIN" "$WORK/weed" "$WEED_PORT" "$WEED_AK" "$WEED_SK" -master.volumeSizeLimitMB=64 -volume.max=0
	WEED_PID=$STARTED_PID
	wait_s3 "$WEED_EP" "$WEED_PID" "$WORK/weed/weed.log" zonal-blobs "$WEED_AK" "$WEED_SK"
	echo "SeaweedFS $("$WEED_BIN" version 2>/dev/null | head -1) on $WEED_EP (pid $WEED_PID)" >&2
elif [ -n "$BLOB" ]; then
	echo "BLOB=$BLOB: want seaweedfs (or unset for the node's own folder)" >&2
	exit 1
fi

# blob_args prints the flags that keep this run's blobs under a fresh
# prefix of the SeaweedFS bucket.
blob_args() {
	[ "$BLOB" = seaweedfs ] || return 0
	echo "--blob s3://zonal-blobs/run$DBN/ --blob-endpoint $WEED_EP --blob-region us-east-1 --blob-access-key-id $WEED_AK --blob-secret-access-key $WEED_SK"
}

# The peers: other open-source S3 servers, each at its default settings on
# a fresh temporary folder, run on the rows marked "peers" right after
# zonal's run of the same row, with the same generator in plain SigV4
# (long-term keys on every request, bucket "bench"). PEERS lists them
# (default: whichever tests/tools/peers.sh has built; "none": no peers);
# MINIO_BIN, VERSITYGW_BIN and ZONAL_WEED_BIN override the cached binaries.
PEER_AK=AKIAPEERBENCH0000001
PEER_SK=peerbenchsecretpeerbenchsecretpeerbench0
PEER_PORT=${PEER_PORT:-9360}
PEER_EP="http://127.0.0.1:$PEER_PORT"
declare -A PEER_BIN=()
while read -r peer bin; do
	[ -n "$peer" ] && PEER_BIN[$peer]=$bin
done < <(bash tests/tools/peers.sh --cached)
[ -n "${MINIO_BIN:-}" ] && PEER_BIN[minio]=$MINIO_BIN
[ -n "${VERSITYGW_BIN:-}" ] && PEER_BIN[versitygw]=$VERSITYGW_BIN
[ -n "${ZONAL_WEED_BIN:-}" ] && PEER_BIN[seaweedfs]=$ZONAL_WEED_BIN
if [ -z "${PEERS+set}" ]; then
	PEERS=
	for peer in minio versitygw seaweedfs; do [ -n "${PEER_BIN[$peer]:-}" ] && PEERS+="$peer "; done
fi
[ "$PEERS" = none ] && PEERS=
for peer in $PEERS; do
	[ -x "${PEER_BIN[$peer]:-}" ] || { echo "peer $peer: no binary; build it with bash tests/tools/peers.sh $peer" >&2; exit 1; }
done

# start_peer starts peer $1 on PEER_PORT with a fresh folder, at its
# default settings (only the address, the credentials and the folder are
# given), and waits until it takes a PUT.
start_peer() {
	local dir="$WORK/peer" bin=${PEER_BIN[$1]} log="$WORK/peer/server.log"
	rm -rf "$dir"
	mkdir -p "$dir/data"
	# env -i: no AWS_*, MINIO_* or other settings of this shell reach it.
	case $1 in
	minio)
		(cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$dir" MINIO_ROOT_USER="$PEER_AK" MINIO_ROOT_PASSWORD="$PEER_SK" \
			"$bin" server --quiet --address "127.0.0.1:$PEER_PORT" --console-address "127.0.0.1:$((PEER_PORT + 1))" "$dir/data") \
			>"$dir/server.log" 2>&1 &
		PEER_PID=$!
		;;
	versitygw)
		(cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$dir" \
			"$bin" --port "127.0.0.1:$PEER_PORT" --access "$PEER_AK" --secret "$PEER_SK" posix "$dir/data") \
			>"$dir/server.log" 2>&1 &
		PEER_PID=$!
		;;
	seaweedfs)
		# Its 8 ports start at PEER_PORT-3, so that S3 is on PEER_PORT.
		start_weed "$bin" "$dir" $((PEER_PORT - 3)) "$PEER_AK" "$PEER_SK"
		PEER_PID=$STARTED_PID
		log="$dir/weed.log"
		;;
	esac
	wait_s3 "$PEER_EP" "$PEER_PID" "$log" bench "$PEER_AK" "$PEER_SK"
}

stop_peer() {
	# Its data is thrown away: SIGKILL spares graceful stops (weed's 15 s).
	kill -KILL "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null || true
	PEER_PID=
	rm -rf "$WORK/peer"
	sync
	sleep "$SETTLE"
}

"$ZONAL_BIN" bench ceiling-server --addr "127.0.0.1:$CEILING_PORT" 2>>"$WORK/ceiling.log" &
CEILING_PID=$!
wait_port "$CEILING_PORT"

# name | label | figure of merit (ops, mib, pages, p50) | target | bench arguments | server flags | "peers" (run the peers too)
# Rows named backend-* send the generator straight at SeaweedFS (BLOB=seaweedfs).
ROWS='
put4k|PUT 4 KiB, durable|ops|>= 0.25x ceiling, p99 <= 5 ms|put --size 4KiB
get4k|GET 4 KiB|ops|>= 0.5x ceiling, p99 <= 3 ms|get --size 4KiB --keys 1000||peers
get64k|GET 64 KiB|mib|>= 1.2x the best peer|get --size 64KiB --keys 1000||peers
put1m|PUT 1 MiB, durable|mib|>= 0.35x ceiling MiB/s|put --size 1MiB
put1m-unsigned|PUT 1 MiB, durable, UNSIGNED-PAYLOAD + CRC32 (as SDKs over HTTPS)|mib|>= 0.35x ceiling MiB/s|put --size 1MiB --unsigned-payload --checksum crc32
get1m|GET 1 MiB|mib|>= 0.7x ceiling MiB/s|get --size 1MiB --keys 200||peers
get16m|GET 16 MiB|mib|>= 1.2x the best peer|get --size 16MiB --keys 32||peers
get1m-encrypted|GET 1 MiB, --encrypt-at-rest=true (AES-256-CTR in user space)|mib|reference for get1m|get --size 1MiB --keys 200|--encrypt-at-rest=true
get16m-sendfile|GET 16 MiB, --sendfile (no memory maps)|mib|reference for get16m|get --size 16MiB --keys 32|--sendfile
list|ListObjectsV2, page of 1000|pages|>= 1000 pages/s|list --size 0 --keys 1000
single-put|single client PUT 4 KiB (c=1)|p50|p50 <= 1 ms|put --size 4KiB --concurrency 1
single-get|single client GET 4 KiB (c=1)|p50|p50 <= 0.4 ms|get --size 4KiB --concurrency 1 --keys 1000
plain-put4k|PUT 4 KiB, plain SigV4 (long-term key)|ops|express must cost no more|put --size 4KiB --mode plain
plain-get4k|GET 4 KiB, plain SigV4 (long-term key)|ops|express must cost no more|get --size 4KiB --keys 1000 --mode plain
get1m-hot|GET 1 MiB, hot in the node-local cache (BLOB=seaweedfs)|mib|>= 1.0x backend-get1m MiB/s|get --size 1MiB --keys 200|--cache-dir {node}/cache --cache-size 1GiB
backend-put1m|PUT 1 MiB straight at SeaweedFS, plain SigV4|mib|reference for put1m|put --size 1MiB --mode plain
backend-get1m|GET 1 MiB straight at SeaweedFS, plain SigV4|mib|reference for get1m|get --size 1MiB --keys 200 --mode plain
backend-put4k|PUT 4 KiB straight at SeaweedFS, plain SigV4|ops|reference|put --size 4KiB --mode plain
backend-get4k|GET 4 KiB straight at SeaweedFS, plain SigV4|ops|reference|get --size 4KiB --keys 1000 --mode plain
'

# The rows run in the order given, so comparisons can run back to back
# (backend-get1m get1m get1m-hot); with none given, all in table order.
RUN_ROWS=$ROWS
if [ $# -gt 0 ]; then
	RUN_ROWS=
	for w in "$@"; do
		row=$(grep "^$w|" <<<"$ROWS") || { echo "unknown row $w" >&2; exit 1; }
		RUN_ROWS+=$row$'\n'
	done
fi

echo "zonal bench: $RUNS run(s) of $DURATION (+$WARMUP warmup) per row, $NODES node(s), results in $OUT; load: $(uptime)" >&2
while IFS='|' read -r name label metric target args server_args peers; do
	[ -z "$name" ] && continue
	for i in $(seq "$RUNS"); do
		if [[ $name == backend-* ]]; then
			[ "$BLOB" = seaweedfs ] || { echo "row $name needs BLOB=seaweedfs" >&2; exit 1; }
			DBN=$((DBN + 1))
			echo "== $name run $i: zonal bench $args (straight at SeaweedFS)" >&2
			# shellcheck disable=SC2086
			"$ZONAL_BIN" bench $args $BENCH_ARGS --endpoint "$WEED_EP" --access-key "$WEED_AK" --secret-key "$WEED_SK" \
				--bucket "direct$DBN" --duration "$DURATION" --warmup "$WARMUP" \
				--compare-ceiling --ceiling-addr "127.0.0.1:$CEILING_PORT" --backend-pid "$WEED_PID" \
				--json --quiet >"$OUT/$name-$i.json" 2>>"$WORK/bench.log"
		else
			start_server "$server_args"
			echo "== $name run $i: zonal bench $args ($NODES node(s))" >&2
			# shellcheck disable=SC2086
			"$ZONAL_BIN" bench $args $BENCH_ARGS --endpoint "$(endpoints)" --duration "$DURATION" --warmup "$WARMUP" \
				--compare-ceiling --ceiling-addr "127.0.0.1:$CEILING_PORT" --server-pid "$(IFS=,; echo "${SERVER_PIDS[*]}")" \
				${PG_PID:+--db-pid "$PG_PID"} ${WEED_PID:+--backend-pid "$WEED_PID"} ${PROFILE:+--server-profile "$PROFILE/$name-$i.pprof"} \
				--json --quiet >"$OUT/$name-$i.json" 2>>"$WORK/bench.log"
		fi
		jq -r '"   \(.ops_per_sec|floor) ops/s \(.mib_per_sec*10|floor/10) MiB/s p50 \(.latency.p50_ms) ms p99 \(.latency.p99_ms) ms errors \(.errors); ceiling \(.ceiling.ops_per_sec|floor) ops/s; system \(.system.cpu_us_per_op // "-") µs CPU/op"' "$OUT/$name-$i.json" >&2
		if [[ $name == backend-* ]]; then sync; sleep "$SETTLE"; else stop_server; fi
		# The peers run right after zonal, so that each run's ratios compare
		# servers measured minutes apart, not a whole table apart. No ceiling
		# of their own: zonal's run has it.
		[ "$peers" = peers ] || continue
		for peer in $PEERS; do
			start_peer "$peer"
			echo "== $name run $i: zonal bench $args against $peer (plain SigV4)" >&2
			# shellcheck disable=SC2086
			"$ZONAL_BIN" bench $args $BENCH_ARGS --mode plain --bucket bench --access-key "$PEER_AK" --secret-key "$PEER_SK" \
				--endpoint "$PEER_EP" --duration "$DURATION" --warmup "$WARMUP" --server-pid "$PEER_PID" \
				--json --quiet >"$OUT/$name@$peer-$i.json" 2>>"$WORK/bench.log"
			jq -r '"   \(.ops_per_sec|floor) ops/s \(.mib_per_sec*10|floor/10) MiB/s p50 \(.latency.p50_ms) ms p99 \(.latency.p99_ms) ms errors \(.errors); server \(.server.cpu_us_per_op) µs CPU/op"' "$OUT/$name@$peer-$i.json" >&2
			stop_peer
		done
	done
done <<<"$RUN_ROWS"

# The table: every column is the median of its RUNS values.
median='sort | .[(length - 1) / 2 | floor]'
echo
head="| workload | result | p50 / p99 | ceiling, same run | ratio | target | errors | generator CPU/op | server CPU/op (cores) | server peak RSS |"
rule="|---|---|---|---|---|---|---|---|---|---|"
if [ "$CATALOG" = postgres ]; then head+=" PostgreSQL CPU/op (cores) |"; rule+="---|"; fi
if [ "$BLOB" = seaweedfs ]; then head+=" SeaweedFS CPU/op (cores) |"; rule+="---|"; fi
if [ "$CATALOG" = postgres ] || [ "$BLOB" = seaweedfs ]; then head+=" system CPU/op | ops per CPU-second |"; rule+="---|---|"; fi
echo "$head"
echo "$rule"
while IFS='|' read -r name label metric target args _; do
	[ -z "$name" ] && continue
	ls "$OUT/$name"-[0-9]*.json >/dev/null 2>&1 || continue
	jq -rs --arg lbl "$label" --arg metric "$metric" --arg target "$target" \
		--argjson pg "$([ "$CATALOG" = postgres ] && echo true || echo false)" --argjson weed "$([ "$BLOB" = seaweedfs ] && echo true || echo false)" "
		def med(f): [.[] | f] | $median;
		def r0: . * 1 | round;
		def r1: . * 10 | round / 10;
		def r2: . * 100 | round / 100;
		def r3: . * 1000 | round / 1000;
		(if \$metric == \"mib\" then \"\(med(.mib_per_sec) | r1) MiB/s\"
		 elif \$metric == \"pages\" then \"\(med(.ops_per_sec) | r0) pages/s\"
		 elif \$metric == \"p50\" then \"p50 \(med(.latency.p50_ms) | r3) ms (\(med(.ops_per_sec) | r0) ops/s)\"
		 else \"\(med(.ops_per_sec) | r0) ops/s\" end) as \$result
		| (if \$metric == \"mib\" then \"\(med(.ceiling.mib_per_sec) | r1) MiB/s\"
		   elif \$metric == \"p50\" then \"p50 \(med(.ceiling.latency.p50_ms) | r3) ms\"
		   else \"\(med(.ceiling.ops_per_sec) | r0)/s\" end) as \$ceil
		| (if .[0].server then \"\(med(.server.cpu_us_per_op) | r1) µs (\(med(.server.cores) | r2)) | \(med(.server.peak_rss_bytes / 1048576) | r0) MiB |\" else \"- | - |\" end) as \$srv
		| (if \$metric == \"mib\" then med(.ratio_mibs) elif \$metric == \"p50\" then med(.latency.p50_ms / .ceiling.latency.p50_ms) else med(.ratio_ops) end) as \$ratio
		| \"| \(\$lbl) | \(\$result) | \(med(.latency.p50_ms) | r2) / \(med(.latency.p99_ms) | r2) ms | \(\$ceil) | \(\$ratio | r3)x | \(\$target) | \(med(.errors)) | \(med(.client_cpu_us_per_op) | r1) µs | \(\$srv)\(if \$pg then (if .[0].db then \" \(med(.db.cpu_us_per_op) | r1) µs (\(med(.db.cores) | r2)) |\" else \" - |\" end) else \"\" end)\(if \$weed then (if .[0].backend then \" \(med(.backend.cpu_us_per_op) | r1) µs (\(med(.backend.cores) | r2)) |\" else \" - |\" end) else \"\" end)\(if \$pg or \$weed then \" \(med(.system.cpu_us_per_op // 0) | r1) µs | \(med(.system.ops_per_cpu_second // 0) | r0) |\" else \"\" end)\"
	" "$OUT/$name"-[0-9]*.json
done <<<"$RUN_ROWS"

# The peer table: zonal (express mode, the default server) against each
# peer (plain SigV4, default settings) on the rows marked "peers". The
# ratios are medians of per-run ratios: zonal's run i over the best peer's
# run i, measured minutes apart.
peer_table() {
	echo
	echo "| workload | zonal | best peer | zonal / best peer | zonal / ceiling | zonal p99 (ceiling p99) | server CPU/op: zonal, best peer | peak RSS: zonal, best peer | every peer (server CPU/op, peak RSS) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while IFS='|' read -r name label metric _ _ _ peers; do
		[ "$peers" = peers ] && [ -n "$PEERS" ] || continue
		ls "$OUT/$name"-[0-9]*.json >/dev/null 2>&1 || continue
		# One object per file, tagged with its server and run from the name.
		for f in "$OUT/$name"-[0-9]*.json "$OUT/$name"@*-[0-9]*.json; do
			[ -e "$f" ] || continue
			local base=${f##*/} server=zonal
			base=${base%.json}
			[[ $base == *@* ]] && server=${base#*@} && server=${server%-*}
			jq -c --arg server "$server" --arg run "${base##*-}" '{server: $server, run: $run, r: .}' "$f"
		done | jq -rs --arg lbl "$label" --arg metric "$metric" "
			def med: $median;
			def r1: . * 10 | round / 10;
			def r2: . * 100 | round / 100;
			def v: if \$metric == \"mib\" then .mib_per_sec else .ops_per_sec end;
			def fmt: if \$metric == \"mib\" then \"\(r1) MiB/s\" else \"\(round) ops/s\" end;
			def cpu: .server.cpu_us_per_op | r1;
			def rss: .server.peak_rss_bytes / 1048576 | round;
			([.[] | select(.server == \"zonal\")] | map(.r)) as \$z
			| ([.[] | select(.server != \"zonal\")] | group_by(.server)
			   | map({name: .[0].server, runs: map(.r), by: (map({key: .run, value: .r}) | from_entries), v: (map(.r | v) | med)})
			   | sort_by(-.v)) as \$p
			| (\$p | if length > 0 then .[0] else null end) as \$best
			| ([.[] | select(.server == \"zonal\")] | map(. as \$zr
			     | [\$p[] | .by[\$zr.run] // empty | v] | if length > 0 then (\$zr.r | v) / max else empty end) | med) as \$ratio
			| \"| \(\$lbl) | \(\$z | map(v) | med | fmt) | \(if \$best then \"\(\$best.name) \(\$best.v | fmt)\" else \"-\" end) | \(if \$ratio then \"**\(\$ratio | r2)x**\" else \"-\" end) | \(\$z | map(if \$metric == \"mib\" then .ratio_mibs else .ratio_ops end) | med | r2)x | \(\$z | map(.latency.p99_ms) | med | r2) ms (\(\$z | map(.ceiling.latency.p99_ms) | med | r2) ms) | \(\$z | map(cpu) | med) µs, \(if \$best then \"\(\$best.runs | map(cpu) | med) µs\" else \"-\" end) | \(\$z | map(rss) | med) MiB, \(if \$best then \"\(\$best.runs | map(rss) | med) MiB\" else \"-\" end) | \(\$p | map(\"\(.name) \(.v | fmt) (\(.runs | map(cpu) | med) µs, \(.runs | map(rss) | med) MiB)\") | join(\", \")) |\"
		"
	done <<<"$RUN_ROWS"
	echo
	echo "Peers at default settings, plain SigV4, bucket bench: $PEERS; zonal in express mode. Ratios: median over runs of zonal / the best peer in the same run."
}
[ -n "$PEERS" ] && peer_table
echo
echo "Each column is the median of $RUNS runs; for the c=1 rows the ratio is p50 latency / ceiling p50 (lower is better)."
echo "$NODES zonal node(s)${CATALOG:+, catalog $CATALOG}${BLOB:+, blobs in $BLOB}${CACHE:+, cache $CACHE}; load at the end: $(uptime)"
echo "Raw results: $OUT"
