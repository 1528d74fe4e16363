#!/usr/bin/env bash
# Reproduces the performance table of issue 6 (see bench/README.md).
#
# For every row and every run it starts a fresh zonal server (--log-level
# warn, empty data folder), runs `zonal bench ... --compare-ceiling` against
# it (the ceiling run goes to a trivial server in its own process, like the
# real server), and records the generator's CPU per operation and the
# server's CPU and peak RSS over the measured phase (--server-pid: read from
# /proc/<pid>/stat and VmHWM in /proc/<pid>/status). It prints a Markdown
# table of the medians and keeps every run's JSON.
#
# Usage: bench/run.sh [row...]        rows: put4k get4k put1m put1m-unsigned get1m get1m-plain list
#                                           single-put single-get plain-put4k plain-get4k
# Environment: CATALOG=postgres runs every server on a shared PostgreSQL catalog
#              (a throwaway cluster from PG_BIN, /usr/lib/postgresql/15/bin, a fresh
#              database per run) and adds the database's CPU per operation;
#              RUNS (3), SERVER_ARGS (more flags for every server), SETTLE (3 s pause between runs), DURATION (5s), WARMUP (1s), PORT (9310), CEILING_PORT (9311),
#              ZONAL_BIN (build ./cmd/zonal when unset), OUT (results folder).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SERVER_ARGS=${SERVER_ARGS:-}
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

SERVER_PID=
CEILING_PID=
PG_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ -n "$CEILING_PID" ] && kill "$CEILING_PID" 2>/dev/null && wait "$CEILING_PID" 2>/dev/null
	if [ -n "$PG_PID" ]; then
		kill -INT "$PG_PID" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$WORK/data" "$WORK/pg"
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

start_server() {
	rm -rf "$WORK/data"
	mkdir -p "$WORK/data"
	DBN=$((DBN + 1)) # here, not in catalog_args: that runs in a subshell
	# shellcheck disable=SC2086
	"$ZONAL_BIN" server --addr "127.0.0.1:$PORT" --data "$WORK/data" --log-level warn $(catalog_args) $SERVER_ARGS $1 2>>"$WORK/server.log" &
	SERVER_PID=$!
	wait_port "$PORT"
}

stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
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

"$ZONAL_BIN" bench ceiling-server --addr "127.0.0.1:$CEILING_PORT" 2>>"$WORK/ceiling.log" &
CEILING_PID=$!
wait_port "$CEILING_PORT"

# name | label | figure of merit (ops, mib, pages, p50) | issue-6 target | bench arguments | server flags
ROWS='
put4k|PUT 4 KiB, durable|ops|>= 0.25x ceiling, p99 <= 5 ms|put --size 4KiB
get4k|GET 4 KiB|ops|>= 0.5x ceiling, p99 <= 3 ms|get --size 4KiB --keys 1000
put1m|PUT 1 MiB, durable|mib|>= 0.35x ceiling MiB/s|put --size 1MiB
put1m-unsigned|PUT 1 MiB, durable, UNSIGNED-PAYLOAD + CRC32 (as SDKs over HTTPS)|mib|>= 0.35x ceiling MiB/s|put --size 1MiB --unsigned-payload --checksum crc32
get1m|GET 1 MiB|mib|>= 0.7x ceiling MiB/s|get --size 1MiB --keys 200
get1m-plain|GET 1 MiB, --encrypt-at-rest=false (sendfile)|mib|>= 0.7x ceiling MiB/s|get --size 1MiB --keys 200|--encrypt-at-rest=false
list|ListObjectsV2, page of 1000|pages|>= 1000 pages/s|list --size 0 --keys 1000
single-put|single client PUT 4 KiB (c=1)|p50|p50 <= 1 ms|put --size 4KiB --concurrency 1
single-get|single client GET 4 KiB (c=1)|p50|p50 <= 0.4 ms|get --size 4KiB --concurrency 1 --keys 1000
plain-put4k|PUT 4 KiB, plain SigV4 (long-term key)|ops|express must cost no more|put --size 4KiB --mode plain
plain-get4k|GET 4 KiB, plain SigV4 (long-term key)|ops|express must cost no more|get --size 4KiB --keys 1000 --mode plain
'

want="$*"
selected() { [ -z "$want" ] && return 0; for w in $want; do [ "$w" = "$1" ] && return 0; done; return 1; }

echo "zonal bench: $RUNS run(s) of $DURATION (+$WARMUP warmup) per row, results in $OUT" >&2
while IFS='|' read -r name label metric target args server_args; do
	[ -z "$name" ] && continue
	selected "$name" || continue
	for i in $(seq "$RUNS"); do
		start_server "$server_args"
		echo "== $name run $i: zonal bench $args" >&2
		# shellcheck disable=SC2086
		"$ZONAL_BIN" bench $args --endpoint "http://127.0.0.1:$PORT" --duration "$DURATION" --warmup "$WARMUP" \
			--compare-ceiling --ceiling-addr "127.0.0.1:$CEILING_PORT" --server-pid "$SERVER_PID" ${PG_PID:+--db-pid "$PG_PID"} \
			--json --quiet >"$OUT/$name-$i.json" 2>>"$WORK/bench.log"
		jq -r '"   \(.ops_per_sec|floor) ops/s \(.mib_per_sec*10|floor/10) MiB/s p50 \(.latency.p50_ms) ms p99 \(.latency.p99_ms) ms errors \(.errors); ceiling \(.ceiling.ops_per_sec|floor) ops/s"' "$OUT/$name-$i.json" >&2
		stop_server
	done
done <<<"$ROWS"

# The table: every column is the median of its RUNS values.
median='sort | .[(length - 1) / 2 | floor]'
echo
if [ "$CATALOG" = postgres ]; then
	echo "| workload | result | p50 / p99 | ceiling, same run | ratio | target | errors | generator CPU/op | server CPU/op (cores) | server peak RSS | PostgreSQL CPU/op (cores) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
else
	echo "| workload | result | p50 / p99 | ceiling, same run | ratio | target | errors | generator CPU/op | server CPU/op (cores) | server peak RSS |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
fi
while IFS='|' read -r name label metric target args _; do
	[ -z "$name" ] && continue
	selected "$name" || continue
	ls "$OUT/$name"-*.json >/dev/null 2>&1 || continue
	jq -rs --arg lbl "$label" --arg metric "$metric" --arg target "$target" "
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
		| (if \$metric == \"mib\" then med(.ratio_mibs) elif \$metric == \"p50\" then med(.latency.p50_ms / .ceiling.latency.p50_ms) else med(.ratio_ops) end) as \$ratio
		| \"| \(\$lbl) | \(\$result) | \(med(.latency.p50_ms) | r2) / \(med(.latency.p99_ms) | r2) ms | \(\$ceil) | \(\$ratio | r3)x | \(\$target) | \(med(.errors)) | \(med(.client_cpu_us_per_op) | r1) µs | \(med(.server.cpu_us_per_op) | r1) µs (\(med(.server.cores) | r2)) | \(med(.server.peak_rss_bytes / 1048576) | r0) MiB |\(if .[0].db then \" \(med(.db.cpu_us_per_op) | r1) µs (\(med(.db.cores) | r2)) |\" else \"\" end)\"
	" "$OUT/$name"-*.json
done <<<"$ROWS"
echo
echo "Each column is the median of $RUNS runs; for the c=1 rows the ratio is p50 latency / ceiling p50 (lower is better)."
echo "Raw results: $OUT"
