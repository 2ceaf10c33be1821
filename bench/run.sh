#!/usr/bin/env bash
# make bench — Postboard's benchmarks, made to hold up on a machine whose speed drifts by up to
# 2× within minutes. The method is explained in bench/README.md.
#
# Builds the release binary, creates FRESH databases (BENCH_DB, default postboard_bench, for the
# large board, and BENCH_DB_small for the 1 000-post one), starts s3s-fs on a free port with a
# temporary folder and seeds posts with SQL. Then it runs the scenarios in SCENARIO_GROUPS
# (below): each group runs BENCH_REPEAT rounds, and each round runs every scenario of the group
# once, so a comparison is always between runs seconds apart: A B A B A B. Every run restarts the server
# (its peak RSS is the run's own), warms up for BENCH_WARMUP seconds and measures for
# BENCH_DURATION seconds: wrk (or pgbench, or bench/client.py) for req/s and latencies,
# bench/cpusample.py for the CPU time of the server, of PostgreSQL's processes and of s3s-fs, and
# the shell's `times` for the load generator's. Results (JSON lines, logs, results.md with
# medians, spreads and the targets) go to .data/bench/<time>/ and .data/bench/latest;
# results.md is printed at the end.
#
# Environment (all optional):
#   BENCH_REPEAT=3         rounds per group (the report gives the median and the min–max)
#   BENCH_DURATION=10      seconds measured per run
#   BENCH_WARMUP=2         seconds of the same load before each measurement (not counted)
#   BENCH_CONNECTIONS=32   wrk -c and pgbench -c
#   BENCH_THREADS=2        wrk -t and pgbench -j
#   BENCH_POSTS=1000000    posts in the large board
#   BENCH_BANS=10000       bans in the large board (most in force), read by every vote
#   BENCH_REPORTS=100000   open reports on posts of the large board
#   BENCH_DB=postboard_bench   database (dropped and recreated!, as is BENCH_DB_small)
#   BENCH_RUST_LOG=warn    the server's RUST_LOG (info logs every request: costs throughput)
#   BENCH_CPUS_SERVER=     CPU list for the server (taskset -c), e.g. 1; empty: not pinned
#   BENCH_CPUS_LOAD=       CPU list for wrk, pgbench and bench/client.py, e.g. 0; empty: not pinned
#   BENCH_ONLY=            space-separated scenario names to run (default: all), e.g. "vote";
#                          `vote` brings `pgbench` (its ceiling) with it
#   BENCH_SKIP_BUILD=1     use the existing target/release/postboard
#   BENCH_BASELINE=REV     also build commit REV (a git worktree in .data/bench/baseline) and
#                          run the `*_before` scenarios with it, on a board of its own seeded
#                          alike: the same routes before and after a change, in one run
#   BENCH_VOTE_BURST=500   concurrent votes on one post in the correctness check after `vote`
#   BENCH_UPLOAD_CLIENTS=8 connections of upload_5mib
#   BENCH_VARIANT_IMAGES=100  distinct photos per round of image_variant_cold
#   BENCH_VARIANT_CLIENTS=8   connections of image_variant_cold
#   BENCH_SSE_CLIENTS=50000   event streams held by sse_idle_50k and sse_fanout (at most what
#                          the open-files hard limit allows, less 1 000: the figure says so)
#   BENCH_EVENT_PROBES=200    votes timed to their event by event_latency
#   BENCH_STORM_CLIENTS=10000 clients that come back within 10 s in sse_reconnect_storm
#   BENCH_STORM_MISSED=20     events each of them missed
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

cd "$ROOT"
install_cleanup
S3_PID=""
SAMPLER_PID=""
# s3s-fs is frozen during the 304 scenario: thaw it before cleanup stops it.
trap '[[ -n "$S3_PID" ]] && kill -CONT "$S3_PID" 2>/dev/null; [[ -n "$SAMPLER_PID" ]] && kill -TERM "$SAMPLER_PID" 2>/dev/null; cleanup' EXIT

REPEAT="${BENCH_REPEAT:-3}"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
BIG_BOARD="${BENCH_POSTS:-1000000}"
SMALL_BOARD=1000
BANS="${BENCH_BANS:-10000}"
REPORTS="${BENCH_REPORTS:-100000}"
BENCH_DB="${BENCH_DB:-postboard_bench}"
SERVER_LOG_LEVEL="${BENCH_RUST_LOG:-warn}"
CPUS_SERVER="${BENCH_CPUS_SERVER:-}"
CPUS_LOAD="${BENCH_CPUS_LOAD:-}"
ONLY="${BENCH_ONLY:-}"
BASELINE="${BENCH_BASELINE:-}"
VOTE_BURST="${BENCH_VOTE_BURST:-500}"
UPLOAD_CLIENTS="${BENCH_UPLOAD_CLIENTS:-8}"
VARIANT_IMAGES="${BENCH_VARIANT_IMAGES:-100}"
VARIANT_CLIENTS="${BENCH_VARIANT_CLIENTS:-8}"
SSE_CLIENTS="${BENCH_SSE_CLIENTS:-50000}"
EVENT_PROBES="${BENCH_EVENT_PROBES:-200}"
STORM_CLIENTS="${BENCH_STORM_CLIENTS:-10000}"
STORM_MISSED="${BENCH_STORM_MISSED:-20}"
STORM_SECONDS=10
REPLAY_CLIENTS=100
REPLAY_EVENTS=20000
BENCH_DIR="$ROOT/bench"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
bin="$target_dir/release/postboard"

[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case name"
for setting in REPEAT DURATION CONNECTIONS THREADS BIG_BOARD VOTE_BURST UPLOAD_CLIENTS \
  VARIANT_IMAGES VARIANT_CLIENTS SSE_CLIENTS EVENT_PROBES; do
  [[ "${!setting}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$setting must be a positive whole number"
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a whole number"
# Every stream is an open file in the server and in the client: both get the hard limit, and
# where that is too low for SSE_CLIENTS (a container's), the streams are fewer.
ulimit -n "$(ulimit -Hn)"
SSE_STREAMS="$SSE_CLIENTS"
SSE_STREAMS_NOTE=""
if [[ "$(ulimit -Hn)" != unlimited ]] && ((SSE_CLIENTS + 1000 > $(ulimit -Hn))); then
  SSE_STREAMS=$(($(ulimit -Hn) - 1000))
  SSE_STREAMS_NOTE=" (not $SSE_CLIENTS: the open-files hard limit here is $(ulimit -Hn))"
fi
SSE_CREATES=5
SSE_STALLED=10

# ---------------------------------------------------------------------------------------------
# The scenarios: groups that alternate, one function per scenario.
#
# Each group runs REPEAT rounds; each round runs its scenarios once, in this order. To add a
# scenario: a function `scenario_NAME` (one run: start the server, `measure`, stop the server),
# its NAME in a group below and a line in TITLE. Optional: `probe_NAME`, run once before the
# first round, sets SKIP_REASON when the server cannot run it yet (the report lists it as
# skipped, with the reason, and no figure); AFTER[NAME], a check run once after the group.
SCENARIO_GROUPS=(
  "list_new_1k list_new_1m"
  "list_new_1m_now list_new_1m_before"
  "list_top_1m list_hot_1m"
  "feed_list_1m feed_new_1m"
  "search_1m post_page_1m"
  "pgbench vote vote_before vote_pgbouncer"
  "image_small_200 image_304 image_200"
  "image_variant_warm"
  "image_variant_cold"
  "create_text create_text_unsearched create_1mib create_text_pgbouncer"
  "create_text_now create_text_before vote_beside_creates"
  "create_one_replica create_two_replicas create_two_replicas_live vote_one_replica vote_two_replicas vote_two_replicas_live"
  "upload_5mib"
  "sse_idle_50k sse_fanout"
  "sse_reconnect_storm"
  "list_beside_replays list_alone"
  "event_latency"
)
BIG_TEXT="$(python3 -c "print(f'{$BIG_BOARD:,}'.replace(',', ' '))")"
declare -A TITLE=(
  [list_new_1k]="GET /post?limit=50, 1 000 posts"
  [list_new_1m]="GET /post?limit=50, $BIG_TEXT posts"
  [list_top_1m]="GET /post?sort=top&limit=50, $BIG_TEXT posts"
  [list_hot_1m]="GET /post?sort=hot&limit=50, $BIG_TEXT posts"
  [feed_list_1m]="GET /post?limit=50, $BIG_TEXT posts (feed_new_1m's rival: the same 50 posts as JSON)"
  [feed_new_1m]="GET /feed.atom (the same 50 posts as Atom), $BIG_TEXT posts"
  [search_1m]="GET /post?q=<a word of 0.1 % of the posts>&limit=50, $BIG_TEXT posts"
  [post_page_1m]="GET /p/{id} (index.html with the post's preview tags), $BIG_TEXT posts"
  [pgbench]="pgbench: the single vote statement, server stopped (the ceiling)"
  [vote]="POST /update-post-score, random post of $BIG_TEXT, random ±1"
  [vote_before]="the same with the BENCH_BASELINE build, on its own board"
  [vote_pgbouncer]="the same as vote, DATABASE_URL through PgBouncer in transaction mode (vote's rival)"
  [list_new_1m_now]="GET /post?limit=50, $BIG_TEXT posts (list_new_1m_before's rival)"
  [list_new_1m_before]="the same with the BENCH_BASELINE build, on its own board"
  [image_small_200]="GET /image/{hash}, 250-byte PNG (200)"
  [image_304]="GET /image/{hash} of the 250-byte PNG + If-None-Match (304), S3 frozen"
  [image_200]="GET /image/{hash}, 5 MiB PNG (200)"
  [image_variant_warm]="GET /image/{hash}?width=640 of a 1600×1200 PNG, variant made before"
  [image_variant_cold]="GET /image/{hash}?width=640, each a new 1600×1200 PNG, $VARIANT_CLIENTS clients, fixed work"
  [create_text]="POST /post multipart, no image"
  [create_text_unsearched]="POST /post multipart, no image, on a copy of the board without the search column (create_text's rival)"
  [create_1mib]="POST /post multipart, 1 MiB PNG (new bytes each time)"
  [create_text_now]="POST /post multipart, no image (create_text_before's and vote_beside_creates' rival)"
  [create_one_replica]="POST /post multipart, no image, one replica, no live client (create_two_replicas_live's rival)"
  [create_two_replicas]="the same split over two replicas, no live client (what two processes cost without events sent)"
  [create_two_replicas_live]="the same split over two replicas, a live client on each (events read and sent by both)"
  [vote_one_replica]="POST /update-post-score as in vote, one replica, no live client (vote_two_replicas_live's rival)"
  [vote_two_replicas]="the same split over two replicas, no live client"
  [vote_two_replicas_live]="the same split over two replicas, a live client on each"
  [create_text_before]="the same with the BENCH_BASELINE build, on its own board"
  [vote_beside_creates]="the same as vote, in the round of create_text_now (issue 21: creates ≥ 0.6× votes)"
  [create_text_pgbouncer]="the same as create_text, DATABASE_URL through PgBouncer in transaction mode (create_text's rival)"
  [upload_5mib]="POST /post multipart, 5 MiB PNG photo (new bytes each time), $UPLOAD_CLIENTS clients"
  [sse_idle_50k]="GET /events: $SSE_STREAMS idle event streams from 50 source addresses$SSE_STREAMS_NOTE (figure: the server's RSS per stream above its idle RSS)"
  [sse_fanout]="GET /events: $SSE_STREAMS streams + $SSE_STALLED that read nothing; $SSE_CREATES creates, 1 s apart (p50/p99: create sent → its post event at every stream)"
  [sse_reconnect_storm]="GET /events: $STORM_CLIENTS clients come back within ${STORM_SECONDS}s, each $STORM_MISSED events behind (p50/p99: until its last missed event)"
  [list_beside_replays]="GET /post?limit=50 while $REPLAY_CLIENTS event-stream clients each replay $REPLAY_EVENTS events from the table (figures: the list's; the replays' in the run list)"
  [list_alone]="the same list with no replay (list_beside_replays' rival)"
  [event_latency]="vote → its event on GET /events, under the vote load (p50/p99: event latency)"
)
declare -A AFTER=([vote]=check_votes_500 [sse_fanout]=check_stream_cap)

# ---------------------------------------------------------------------------------------------
# Tools

WRK_HOME="$TOOLS_DIR/wrk"
WRK=()

# ensure_wrk — wrk from Debian's package, unpacked into .tools/wrk (no system install needed):
# `apt-get download` + `dpkg -x` of wrk and its LuaJIT library. A wrk on PATH is used otherwise.
ensure_wrk() {
  local libdir="$WRK_HOME/usr/lib/x86_64-linux-gnu"
  if [[ ! -x "$WRK_HOME/usr/bin/wrk" ]] && ! have wrk; then
    if ! have apt-get || ! have dpkg; then
      die "wrk is missing and apt-get/dpkg are not available to unpack it"
    fi
    log "Unpacking wrk (Debian package) into .tools/wrk"
    local dl
    dl="$(mktemp -d "${TMPDIR:-/tmp}/postboard-wrk.XXXXXX")"
    CLEANUP_DIRS+=("$dl")
    if ! (cd "$dl" && apt-get download wrk libluajit-5.1-2 >/dev/null 2>&1); then
      is_root || die "apt-get download wrk failed; run 'sudo apt-get update' and retry"
      apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
      (cd "$dl" && apt-get download wrk libluajit-5.1-2 >/dev/null) ||
        die "apt-get download wrk libluajit-5.1-2 failed"
    fi
    mkdir -p "$WRK_HOME"
    local deb
    for deb in "$dl"/*.deb; do dpkg -x "$deb" "$WRK_HOME"; done
  fi
  if [[ -x "$WRK_HOME/usr/bin/wrk" ]]; then
    WRK=(env "LD_LIBRARY_PATH=$libdir" "$WRK_HOME/usr/bin/wrk")
  else
    WRK=(wrk)
  fi
  local version
  version="$("${WRK[@]}" -v 2>&1 || true)" # wrk -v prints its version and usage, exits 1
  [[ "$version" == wrk* ]] || die "wrk does not run: ${version:0:300}"
  ok "${version%%[[]*}"
}

ensure_pgbench() {
  if ! have pgbench; then
    apt_install postgresql-client
  fi
  ok "$(pgbench --version)"
}

# LOAD_PREFIX — what runs a load generator on CPUS_LOAD (empty: not pinned).
LOAD_PREFIX=()
[[ -n "$CPUS_LOAD" ]] && LOAD_PREFIX=(taskset -c "$CPUS_LOAD")

# timed FILE CMD... — runs CMD; then writes the shell's `times` to FILE: its second line is the
# user and system CPU time of CMD and everything it waited for (the load generator's CPU).
timed() {
  local file="$1"
  shift
  (
    set +e
    "$@"
    rc=$?
    times >"$file"
    exit "$rc"
  )
}

# wants SCENARIO — whether BENCH_ONLY selects it (`vote` brings its ceiling, `pgbench`).
wants() {
  [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]] ||
    { [[ "$1" == pgbench && " $ONLY " == *" vote "* ]]; }
}

# ---------------------------------------------------------------------------------------------
# PgBouncer: what going through a pooler costs (vote_pgbouncer, create_text_pgbouncer)

PGBOUNCER_PORT=""

# start_pgbouncer — Debian's pgbouncer (installed when missing) in transaction mode in front of
# PG_ADMIN_URL's server, as the user postgres, on a free port; sets PGBOUNCER_PORT. Its pool per
# database is the server's (DATABASE_MAX_CONNECTIONS' default, 32).
start_pgbouncer() {
  ensure_pgbouncer
  local dir host port user password i
  dir="$(mktemp -d)"
  CLEANUP_DIRS+=("$dir")
  chmod 755 "$dir"
  read -r host port user password < <(python3 -c '
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5432, urllib.parse.unquote(u.username or "postgres"),
      urllib.parse.unquote(u.password or ""))' "$PG_ADMIN_URL")
  PGBOUNCER_PORT="$(free_port)"
  printf '"%s" "%s"\n' "$user" "$password" >"$dir/users.txt"
  printf '%s\n' "[databases]" "* = host=$host port=$port" "" "[pgbouncer]" \
    "listen_addr = 127.0.0.1" "listen_port = $PGBOUNCER_PORT" "unix_socket_dir =" \
    "auth_type = trust" "auth_file = $dir/users.txt" "pool_mode = transaction" \
    "default_pool_size = 32" "max_client_conn = 2000" \
    "ignore_startup_parameters = extra_float_digits" \
    "log_connections = 0" "log_disconnections = 0" >"$dir/pgbouncer.ini"
  chmod 644 "$dir/users.txt" "$dir/pgbouncer.ini"
  start_bg pgbouncer "$RUN_DIR/logs/pgbouncer.log" \
    su postgres -s /bin/sh -c "exec pgbouncer $dir/pgbouncer.ini"
  for i in $(seq 1 40); do
    port_free "$PGBOUNCER_PORT" || return 0
    sleep 0.25
  done
  die "pgbouncer did not listen on 127.0.0.1:$PGBOUNCER_PORT (see $RUN_DIR/logs/pgbouncer.log)"
}

# pgbouncer_url DATABASE_URL — the same database through PgBouncer.
pgbouncer_url() {
  python3 -c '
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
auth = u.netloc.rpartition("@")[0]
netloc = (auth + "@" if auth else "") + "127.0.0.1:" + sys.argv[2]
print(urllib.parse.urlunsplit(u._replace(netloc=netloc)))' "$1" "$PGBOUNCER_PORT"
}

# ---------------------------------------------------------------------------------------------
# The server

CURRENT_DB=""  # the database the running scenario uses (its backends are PostgreSQL's CPU)
SAMPLER_EXTRA=() # more processes for the CPU sampler (a second replica)
SECOND_BASE_URL="" # a second replica that measure_load splits the load with
SECOND_PID=""
LIVE_CLIENTS=() # `curl -N /events` on each replica of a TWO_REPLICAS scenario
BACKEND_PID=""

start_server() { # LABEL [DATABASE_URL, default the big board's] (SERVER_BIN: another binary)
  local label="$1" database_url="${2:-$DATABASE_URL_BENCH}" port logfile
  local server_bin="${SERVER_BIN:-$bin}"
  logfile="$RUN_DIR/logs/postboard-$label.log"
  port="$(free_port)"
  # With the rate limits off: benchmarks measure the service, not its abuse protection.
  # STATIC_DIR only where a scenario serves the app's page (BENCH_STATIC, a folder).
  # VIA_PGBOUNCER: the pool's connections through PgBouncer, LISTEN and migrations direct.
  local server_url="$database_url"
  [[ -n "${VIA_PGBOUNCER:-}" ]] && server_url="$(pgbouncer_url "$database_url")"
  test_backend_env "$server_url" bench-access-key bench-secret-key "$port" \
    "${BENCH_STATIC:-$RUN_DIR/no-static-dir}" "$SERVER_LOG_LEVEL"
  backend_var STREAMS_PER_REPLICA 1000000 # the streams scenarios measure the streams, not the cap
  [[ -n "${STREAMS_PER_CLIENT:-}" ]] && backend_var STREAMS_PER_CLIENT "$STREAMS_PER_CLIENT"
  if [[ -n "${VIA_PGBOUNCER:-}" ]]; then
    backend_var DATABASE_POOLER transaction
    backend_var DATABASE_LISTEN_URL "$database_url"
  fi
  # /metrics only where a scenario reads it (it costs a little CPU per request).
  METRICS_URL=""
  if [[ -n "${WITH_METRICS:-}" ]]; then
    local metrics_port
    metrics_port="$(free_port)"
    backend_var METRICS_ADDR "127.0.0.1:$metrics_port"
    METRICS_URL="http://127.0.0.1:$metrics_port/metrics"
  fi
  if [[ -n "$CPUS_SERVER" ]]; then
    start_bg postboard "$logfile" taskset -c "$CPUS_SERVER" env "${BACKEND_ENV[@]}" "$server_bin"
    BACKEND_PID="$BG_PID"
  else
    start_backend "$server_bin" "$logfile"
  fi
  BASE_URL="http://127.0.0.1:$port"
  CURRENT_DB="${database_url##*/}"
  CURRENT_DB="${CURRENT_DB%%\?*}"
  if ! wait_http "$BASE_URL/ready" 90 "$BACKEND_PID"; then
    tail -n 40 "$logfile" || true
    die "the server did not become ready"
  fi
  [[ "$(cat "/proc/$BACKEND_PID/comm")" == "postboard" ]] ||
    die "PID $BACKEND_PID is not the server ($(cat "/proc/$BACKEND_PID/comm"))"
  # TWO_REPLICAS: a second replica on the same database (measure splits the load over both),
  # and (unless TWO_REPLICAS=quiet) a live client on each, so that every event is read and sent
  # by both.
  if [[ -n "${TWO_REPLICAS:-}" ]]; then
    local first_pid="$BACKEND_PID" first_url="$BASE_URL"
    TWO_REPLICAS="" start_server "$label-b" "$database_url"
    SECOND_PID="$BACKEND_PID" SECOND_BASE_URL="$BASE_URL"
    BACKEND_PID="$first_pid" BASE_URL="$first_url"
    [[ "$TWO_REPLICAS" == quiet ]] && return
    curl -sN "$BASE_URL/events" >/dev/null 2>&1 &
    LIVE_CLIENTS=($!)
    curl -sN "$SECOND_BASE_URL/events" >/dev/null 2>&1 &
    LIVE_CLIENTS+=($!)
  fi
}

stop_server() {
  [[ -n "$BACKEND_PID" ]] && stop_bg "$BACKEND_PID" postboard >/dev/null
  BACKEND_PID=""
  if [[ -n "$SECOND_PID" ]]; then
    kill "${LIVE_CLIENTS[@]}" 2>/dev/null || true
    stop_bg "$SECOND_PID" postboard >/dev/null
    SECOND_PID="" SECOND_BASE_URL="" LIVE_CLIENTS=()
  fi
}

# kib_hwm PID — peak resident set (VmHWM) of PID in KiB.
kib_hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# expect_status CODE CURL_ARGS... — one request by hand before a scenario: it must answer CODE.
expect_status() {
  local want="$1" got
  shift
  got="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@")"
  [[ "$got" == "$want" ]] || die "expected $want from curl $*, got $got"
}

# ---------------------------------------------------------------------------------------------
# Measuring

ROUND=0
SEQ=0
PG_POSTMASTER="" # PID of PostgreSQL's postmaster when it runs on this machine (else no PG CPU)
PG_CLUSTER=""    # its cluster_name, which prefixes its processes' titles

# find_postmaster — the parent of the checkpointer (a process that always runs), when it is a
# process of this machine named postgres.
find_postmaster() {
  local checkpointer ppid
  checkpointer="$(psql_db "$DATABASE_URL_BENCH" \
    -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")" || true
  PG_CLUSTER="$(psql_db "$DATABASE_URL_BENCH" -c "SHOW cluster_name")" || true
  if [[ "$checkpointer" =~ ^[0-9]+$ && -r "/proc/$checkpointer/stat" ]]; then
    ppid="$(awk '{print $4}' "/proc/$checkpointer/stat")"
    if [[ "$(cat "/proc/$ppid/comm" 2>/dev/null)" == postgres ]]; then
      PG_POSTMASTER="$ppid"
      ok "PostgreSQL's postmaster: PID $PG_POSTMASTER (cluster ${PG_CLUSTER:-unnamed})"
      return 0
    fi
  fi
  warn "PostgreSQL does not run on this machine (or not visibly): no PostgreSQL CPU figures"
}

# start_sampler OUT — bench/cpusample.py's first reading of the server, s3s-fs and PostgreSQL's
# processes for CURRENT_DB; stop_sampler takes the last one and writes OUT.
start_sampler() {
  local args=(--pid "server=$BACKEND_PID" --pid "s3=$S3_PID" --db "$CURRENT_DB"
    "${SAMPLER_EXTRA[@]}")
  [[ -n "$PG_POSTMASTER" ]] && args+=(--postmaster "$PG_POSTMASTER" --cluster-name "$PG_CLUSTER")
  python3 "$BENCH_DIR/cpusample.py" "$1" "${args[@]}" --timeout $((DURATION * 4 + 600)) \
    >"$1.ready" &
  SAMPLER_PID=$!
  until grep -q ready "$1.ready" 2>/dev/null; do
    kill -0 "$SAMPLER_PID" 2>/dev/null || die "bench/cpusample.py failed"
    sleep 0.05
  done
  rm -f "$1.ready"
}

stop_sampler() {
  kill -TERM "$SAMPLER_PID"
  wait "$SAMPLER_PID" || die "bench/cpusample.py failed"
  SAMPLER_PID=""
}

# record_run NAME RESULT_JSON CPU_JSON LOAD_TIMES [KEY=JSON...] — one line of results.jsonl for
# one run: the load generator's figures, the CPU times, the server's peak RSS (when it runs),
# the load generator's CPU (LOAD_TIMES from `timed`; `-` when the sampler read it) and any
# extra KEY=JSON fields; prints a summary.
record_run() {
  local name="$1" result="$2" cpu="$3" times="$4" hwm=""
  shift 4
  if [[ -n "$BACKEND_PID" ]] && kill -0 "$BACKEND_PID" 2>/dev/null; then
    hwm="$(kib_hwm "$BACKEND_PID")"
  fi
  SEQ=$((SEQ + 1))
  python3 - "$name" "$ROUND" "$SEQ" "$result" "$cpu" "$times" "$hwm" "$@" \
    >>"$RUN_DIR/results.jsonl" <<'PY'
import json, re, sys
name, rnd, seq, result, cpu, times, hwm, *extra = sys.argv[1:]
row = {"kind": "run", "name": name, "round": int(rnd), "seq": int(seq)}
row.update(json.load(open(result)))
row.update(json.load(open(cpu)))
def secs(text):
    m = re.fullmatch(r"(\d+)m([\d.]+)s", text)
    return int(m.group(1)) * 60 + float(m.group(2))
if times != "-":
    user, system = open(times).read().splitlines()[1].split()  # line 2: the children's times
    row["load_cpu_s"] = round(secs(user) + secs(system), 3)
row["peak_rss_kib"] = int(hwm) if hwm else None
for item in extra:
    key, _, value = item.partition("=")
    row[key] = json.loads(value)
print(json.dumps(row))
PY
  python3 - "$RUN_DIR/results.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readlines()[-1])
n = r.get("requests") or 0
def per(key):
    v = r.get(key)
    return "n/a" if v is None or not n else f"{v / n * 1e6:.0f}"
parts = [f"   round {r['round']}:"]
if r.get("rps") is not None:
    parts.append(f"{r['rps']:.0f} req/s")
if r.get("p50_us") is not None:
    parts.append(f"p50 {r['p50_us'] / 1000:.2f} ms  p99 {r['p99_us'] / 1000:.2f} ms")
parts.append(f"CPU µs/req: server {per('server_cpu_s')}, PostgreSQL {per('pg_cpu_s')}, "
             f"load generator {per('load_cpu_s')}")
if r.get("peak_rss_kib"):
    parts.append(f"peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB")
bad = r.get("unexpected", -1)
bad = bad if bad >= 0 else r.get("status_errors", 0)
if bad or r.get("socket_errors") or r.get("timeouts"):
    parts.append(f"ERRORS: {bad} bad statuses, {r.get('socket_errors', 0)} socket errors, "
                 f"{r.get('timeouts', 0)} timeouts")
print("  ".join(parts))
PY
}

# record_json KIND NAME KEY=JSON... — a line of results.jsonl that is not a run (a skip, a check).
record_json() {
  python3 - "$@" >>"$RUN_DIR/results.jsonl" <<'PY'
import json, sys
kind, name, *items = sys.argv[1:]
row = {"kind": kind, "name": name}
for item in items:
    key, _, value = item.partition("=")
    row[key] = json.loads(value)
print(json.dumps(row))
PY
}

json_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# measure NAME URL [ENV=VALUE...] — one run with wrk against the running server: warm-up, then
# the measured seconds with the CPU sampler around them; appends the run to results.jsonl.
# WRK_CONNECTIONS overrides the connections (e.g. 8 uploaders).
measure() {
  measure_load "$@"
  record_run "$1" "$RUN_DIR/raw/$1-r$ROUND.json" "$RUN_DIR/raw/$1-r$ROUND.cpu.json" \
    "$RUN_DIR/raw/$1-r$ROUND.load-cpu"
}

# measure_load NAME URL [ENV=VALUE...] — measure's run, without recording it (for a scenario
# that adds figures of its own to the record).
measure_load() {
  local name="$1" url="$2"
  shift 2
  local tag="$name-r$ROUND" conns="${WRK_CONNECTIONS:-$CONNECTIONS}" threads="$THREADS"
  ((threads <= conns)) || threads="$conns"
  local wrk_args=(-t"$threads" -c"$conns" --timeout 10s -s "$BENCH_DIR/wrk.lua")
  log "$name (round $ROUND of $REPEAT): wrk -t$threads -c$conns -d${DURATION}s $url"
  if ((WARMUP > 0)); then
    "${LOAD_PREFIX[@]}" env "$@" BENCH_RESULT=/dev/null \
      "${WRK[@]}" "${wrk_args[@]}" -d"${WARMUP}s" "$url" >/dev/null
  fi
  if [[ -n "$SECOND_BASE_URL" ]]; then
    measure_two_replicas "$name" "$url" "$@"
    return
  fi
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" env "$@" \
    BENCH_RESULT="$RUN_DIR/raw/$tag.json" "${WRK[@]}" "${wrk_args[@]}" -d"${DURATION}s" \
    --latency "$url" >"$RUN_DIR/raw/$tag.wrk.txt"
  stop_sampler
  kill -0 "$BACKEND_PID" 2>/dev/null || die "the server died during $name"
}

# measure_two_replicas NAME URL [ENV=VALUE...] — measure_load's run split over the server and
# the one at SECOND_BASE_URL (SECOND_PID): one wrk each, half the connections each, at once.
# The run's figures: requests and req/s summed, the higher p50/p99 of the two, the servers' CPU
# summed (as `server`).
measure_two_replicas() {
  local name="$1" url="$2"
  shift 2
  local tag="$name-r$ROUND" half=$((${WRK_CONNECTIONS:-$CONNECTIONS} / 2))
  local wrk_args=(-t1 -c"$half" --timeout 10s -s "$BENCH_DIR/wrk.lua" -d"${DURATION}s" --latency)
  local second_url="${url/#$BASE_URL/$SECOND_BASE_URL}"
  log "$name (round $ROUND of $REPEAT): two wrk -t1 -c$half -d${DURATION}s, $url and $second_url"
  if ((WARMUP > 0)); then # measure_load warmed the first
    "${LOAD_PREFIX[@]}" env "$@" BENCH_RESULT=/dev/null \
      "${WRK[@]}" -t1 -c"$half" --timeout 10s -s "$BENCH_DIR/wrk.lua" -d"${WARMUP}s" \
      "$second_url" >/dev/null
  fi
  SAMPLER_EXTRA=(--pid "server2=$SECOND_PID")
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  SAMPLER_EXTRA=()
  timed "$RUN_DIR/raw/$tag.load-cpu" bash -c '
    "${@:4}" "$1" >"$3.a.txt" & first=$!
    "${@:4}" "$2" >"$3.b.txt"; b=$?
    wait "$first" && exit "$b"' wrk-pair "$url" "$second_url" "$RUN_DIR/raw/$tag" \
    "${LOAD_PREFIX[@]}" env "$@" BENCH_RESULT=/dev/null "${WRK[@]}" "${wrk_args[@]}"
  stop_sampler
  kill -0 "$BACKEND_PID" 2>/dev/null && kill -0 "$SECOND_PID" 2>/dev/null ||
    die "a server died during $name"
  python3 "$BENCH_DIR/combine.py" wrk-pair "$RUN_DIR/raw/$tag"
}

# wants_baseline — whether a scenario to run needs the BENCH_BASELINE build.
wants_baseline() {
  local name
  for name in list_new_1m_now list_new_1m_before vote_before create_text_before; do
    wants "$name" && return 0
  done
  return 1
}

# build_baseline — BASELINE_BIN: the release binary of commit BENCH_BASELINE, built in a git
# worktree (.data/bench/baseline) with the same target directory, so that the crates both
# builds share are compiled once. Both binaries have the same path in target/: the current one
# is put back afterwards.
build_baseline() {
  local tree="$DATA_DIR/bench/baseline" rev
  rev="$(git -C "$ROOT" rev-parse --verify "$BASELINE^{commit}")" ||
    die "BENCH_BASELINE=$BASELINE is no commit"
  # Named `postboard` like the current one (start_server checks the process's name).
  BASELINE_BIN="$DATA_DIR/bench/baseline-${rev:0:12}/postboard"
  if [[ ! -x "$BASELINE_BIN" ]]; then
    log "Building the baseline ${rev:0:12} (cargo build --release in $tree)"
    git -C "$ROOT" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
    git -C "$ROOT" worktree add --detach "$tree" "$rev" >/dev/null
    cp "$bin" "$bin.current"
    (cd "$tree" && CARGO_TARGET_DIR="$target_dir" cargo build --release -p postboard)
    mkdir -p "${BASELINE_BIN%/*}"
    cp "$bin" "$BASELINE_BIN"
    mv "$bin.current" "$bin"
    git -C "$ROOT" worktree remove --force "$tree"
  fi
}

# ---------------------------------------------------------------------------------------------
# Databases

psql_db() { # DATABASE_URL PSQL_ARGS...
  local url="$1"
  shift
  psql "$url" -w -v ON_ERROR_STOP=1 -qtAX "$@"
}

# seed_posts DATABASE_URL FROM TO — posts FROM..TO with SQL (ids come from the identity column,
# so a fresh table gets ids FROM..TO), spread over random scores for the top listing, then
# VACUUM ANALYZE and CHECKPOINT.
seed_posts() {
  local url="$1" from="$2" to="$3" indexes
  # The secondary indexes are built once after the insert, not row by row (the search index
  # alone took the seed from about 1 to many minutes): their definitions are read back from the
  # catalog, so they are exactly the migrations' own.
  indexes="$(psql_db "$url" -c "
    SELECT string_agg(pg_get_indexdef(indexrelid), '; ')
    FROM pg_index WHERE indrelid = 'posts'::regclass AND NOT indisprimary")"
  psql_db "$url" -c "
    DO \$\$ DECLARE name text; BEGIN
      FOR name IN SELECT indexrelid::regclass::text FROM pg_index
                  WHERE indrelid = 'posts'::regclass AND NOT indisprimary LOOP
        EXECUTE 'DROP INDEX ' || name;
      END LOOP;
    END \$\$"
  # Without triggers (session_replication_role): the seed is not news for live clients, and a
  # million `post` events in one transaction would only slow it down.
  psql_db "$url" -c "SET session_replication_role = replica" -c "
    INSERT INTO posts (title, post, username, score, created_at)
    SELECT 'Seeded post ' || g,
           'Seeded text of post ' || g || ', tag' || (g % 1000) || '. '
             || repeat('Lorem ipsum dolor sit amet. ', 4),
           'seed' || (g % 100),
           (random() * 200)::bigint - 100,
           now() - (($to - g) * interval '1 second')
    FROM generate_series($from, $to) AS g"
  [[ -z "$indexes" ]] || psql_db "$url" -c "$indexes"
  psql_db "$url" -c "VACUUM ANALYZE posts"
  # Write the seed's pages (hundreds of MB at 1 000 000 posts) out now, so that no scenario
  # shares the disk and CPU with their flushing. CHECKPOINT needs a superuser or pg_checkpoint.
  psql_db "$url" -c "CHECKPOINT" || warn "CHECKPOINT refused: background writes may overlap the next scenario"
  sync
}

# seed_moderation DATABASE_URL — what moderation leaves in a board that has run for a while:
# $BANS bans (a third for good, a third running, a third expired; random client keys, so the
# bench's own client is never banned) and $REPORTS open reports on random posts, then ANALYZE.
# Votes read the bans of their voters; lists must not notice either table.
seed_moderation() {
  local url="$1"
  psql_db "$url" -c "
    INSERT INTO bans (scope, client_key, post_id, reason, moderator, created_at, until)
    SELECT CASE WHEN g % 2 = 0 THEN 'address' ELSE 'network' END,
           sha256(('bench ban ' || g)::bytea), g, 'Seeded ban', 'bench',
           now() - interval '40 days',
           CASE g % 3 WHEN 0 THEN NULL
                      WHEN 1 THEN now() + (g % 365) * interval '1 day'
                      ELSE now() - interval '1 day' END
    FROM generate_series(1, $BANS) AS g" -c "
    INSERT INTO reports (post_id, reporter, reason, note)
    SELECT 1 + (g * 7919) % $BIG_BOARD, sha256(('bench reporter ' || g)::bytea),
           (ARRAY['spam', 'abuse', 'illegal', 'sexual', 'other'])[1 + g % 5],
           CASE WHEN g % 4 = 0 THEN 'Seeded note ' || g END
    FROM generate_series(1, $REPORTS) AS g
    ON CONFLICT DO NOTHING" -c "ANALYZE bans, reports"
}

# make_unsearched_copy — DATABASE_URL_UNSEARCHED: a copy of the big board (a template copy, so
# the same pages) whose posts lose the stored search column and its GIN index, so that a new
# post there computes no search document and touches no search index. The app runs on it as
# ever (only a search would fail, and no scenario searches there).
make_unsearched_copy() {
  local name="${BENCH_DB}_unsearched"
  log "Copying the big board into $name, without its search column"
  psql_admin "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  psql_admin "CREATE DATABASE $name TEMPLATE $BENCH_DB"
  DATABASE_URL_UNSEARCHED="$(url_with_db "$PG_ADMIN_URL" "$name")"
  # The view of visible posts names every column: it goes with the column and comes back as
  # the migration post_states_and_reports made it.
  psql_db "$DATABASE_URL_UNSEARCHED" -c "ALTER TABLE posts DROP COLUMN search_document CASCADE" \
    -c "CREATE VIEW visible_posts AS SELECT * FROM posts WHERE state = 'visible'"
  psql_db "$DATABASE_URL_UNSEARCHED" -c "VACUUM ANALYZE posts"
}

# settle_databases — before every run: VACUUM what the runs before wrote, then CHECKPOINT, so
# that every run starts from the same state. This machine's PostgreSQL runs without autovacuum
# (dead rows of earlier runs' votes would pile up, and later runs would pay for them), and a
# time-based checkpoint that lands in one run of an A B pair, but not in the other, writes out
# everything dirtied since the last one while that run is measured.
settle_databases() {
  local url
  for url in "$DATABASE_URL_SMALL" "$DATABASE_URL_BENCH" "$DATABASE_URL_UNSEARCHED" \
    ${DATABASE_URL_BEFORE:+"$DATABASE_URL_BEFORE"}; do
    psql_db "$url" -c "VACUUM posts, events"
  done
  psql_db "$DATABASE_URL_BENCH" -c "CHECKPOINT" ||
    warn "CHECKPOINT refused: a checkpoint may land in the next run"
}

# explain DATABASE_URL TITLE SQL [ARGUMENT...] — EXPLAIN (ANALYZE, BUFFERS) of SQL with these
# arguments (default: 51, the limit) into plans.txt: the generic plan, as the app runs it
# (plan_cache_mode in startup.rs).
explain() { # DATABASE_URL TITLE STATEMENT [ARGUMENT...] (SQL literals; default: 51, the limit)
  local url="$1" title="$2" statement="$3" list
  shift 3
  list="$(IFS=,; echo "${*:-51}")"
  {
    echo "-- $title"
    echo "$statement;  -- arguments: $list"
    psql_db "$url" -c "SET plan_cache_mode = force_generic_plan" -c "PREPARE q AS $statement" \
      -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE q($list)"
    echo
  } >>"$RUN_DIR/plans.txt"
}

# app_statement TEXT — the SQL of the app's statement that contains TEXT, exactly as the app
# sends it: read from the sqlx offline data (.sqlx/), which the build checks against the code.
app_statement() {
  python3 - "$ROOT/.sqlx" "$1" <<'PY'
import glob, json, sys
folder, text = sys.argv[1], sys.argv[2]
found = [q for q in (json.load(open(p))["query"] for p in glob.glob(folder + "/query-*.json")) if text in q]
if len(found) != 1:
    sys.exit(f"{len(found)} statements in .sqlx contain {text!r}")
print(" ".join(found[0].split()))
PY
}

# ---------------------------------------------------------------------------------------------
# Scenarios: lists

list_run() { # NAME DATABASE_URL PATH
  start_server "$1-r$ROUND" "$2"
  expect_status 200 "$BASE_URL$3"
  measure "$1" "$BASE_URL$3" BENCH_MODE=get
  stop_server
}

scenario_list_new_1k() { list_run list_new_1k "$DATABASE_URL_SMALL" "/post?limit=50"; }
scenario_list_new_1m() { list_run list_new_1m "$DATABASE_URL_BENCH" "/post?limit=50"; }
# The current build against BENCH_BASELINE's, each on its own board of the same posts.
scenario_list_new_1m_now() { list_run list_new_1m_now "$DATABASE_URL_BENCH" "/post?limit=50"; }
scenario_list_new_1m_before() {
  SERVER_BIN="$BASELINE_BIN" list_run list_new_1m_before "$DATABASE_URL_BEFORE" "/post?limit=50"
}
probe_list_new_1m_now() { probe_baseline; }
probe_list_new_1m_before() { probe_baseline; }
probe_vote_before() { probe_baseline; }
probe_baseline() {
  [[ -n "$BASELINE" ]] || SKIP_REASON="no BENCH_BASELINE (a commit to compare with)"
}

scenario_list_top_1m() { list_run list_top_1m "$DATABASE_URL_BENCH" "/post?sort=top&limit=50"; }
scenario_list_hot_1m() { list_run list_hot_1m "$DATABASE_URL_BENCH" "/post?sort=hot&limit=50"; }

# The feed against the JSON of the same first page, in a group of their own (list_new_1m is
# compared with list_new_1k, in another group): Atom instead of JSON.
scenario_feed_list_1m() { list_run feed_list_1m "$DATABASE_URL_BENCH" "/post?limit=50"; }
scenario_feed_new_1m() { list_run feed_new_1m "$DATABASE_URL_BENCH" "/feed.atom"; }
# `tag7` is in the text of every 1 000th post (seed_posts): 1 000 matches at 1 000 000 posts,
# ranked, of which the first page is sent.
scenario_search_1m() { list_run search_1m "$DATABASE_URL_BENCH" "/post?q=tag7&limit=50"; }
scenario_post_page_1m() {
  BENCH_STATIC="$files/static" list_run post_page_1m "$DATABASE_URL_BENCH" \
    "/p/$((BIG_BOARD / 2))"
}

probe_list_hot_1m() {
  local code
  start_server probe-list-hot
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$BASE_URL/post?sort=hot&limit=50")"
  stop_server
  [[ "$code" == 200 ]] || SKIP_REASON="GET /post?sort=hot answers $code: no hot listing yet"
}

# ---------------------------------------------------------------------------------------------
# Scenarios: votes and their ceiling

# The ceiling: the single vote statement (one UPDATE and one commit per vote, what the app sent
# before votes were batched), run by pgbench with the server stopped. The app's own statement
# is now `add_votes` over a batch (repository/vote_batcher.rs).
SINGLE_VOTE_SQL='UPDATE posts SET score = score + $1 WHERE id = $2 RETURNING id, title, post, username, score, image_hash, image_width, image_height, created_at, hot'
write_vote_pgbench() {
  local vote_sql="${SINGLE_VOTE_SQL//\$1/:d}"
  vote_sql="${vote_sql//\$2/:id}"
  {
    echo '\set id random(1, :n)'
    echo '\set d random(0, 1) * 2 - 1'
    echo "$vote_sql;"
  } >"$files/vote.pgbench"
}

probe_pgbench() {
  write_vote_pgbench
  cat "$files/vote.pgbench"
}

# scenario_pgbench — the ceiling: pgbench runs the vote statement with the server stopped, same
# connections and threads. One pgbench run of BENCH_WARMUP + BENCH_DURATION seconds: the CPU
# sampler starts after the warm-up (on connections that are already open, as the server's
# are), and the figures come from pgbench's per-transaction log (-l): the transactions that
# ended in the sampler's window give req/s, p50 and p99. pgbench's own CPU is known for its
# whole run only (`timed`): it is shared out over all its transactions.
scenario_pgbench() {
  local tag="pgbench-r$ROUND" txlog pgbench_pid
  log "pgbench (round $ROUND of $REPEAT): -M prepared -c $CONNECTIONS -j $THREADS -T $DURATION (+${WARMUP}s), server stopped"
  CURRENT_DB="$BENCH_DB"
  txlog="$(mktemp -d "${TMPDIR:-/tmp}/postboard-pgbench.XXXXXX")"
  CLEANUP_DIRS+=("$txlog")
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" pgbench -n -M prepared \
    -c "$CONNECTIONS" -j "$THREADS" -T $((WARMUP + DURATION)) -D n="$BIG_BOARD" -f "$files/vote.pgbench" \
    -l --log-prefix="$txlog/tx" "$DATABASE_URL_BENCH" >"$RUN_DIR/raw/$tag.txt" 2>&1 &
  pgbench_pid=$!
  sleep "$WARMUP"
  kill -0 "$pgbench_pid" 2>/dev/null || die "pgbench failed: $(tail -n 5 "$RUN_DIR/raw/$tag.txt")"
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  wait "$pgbench_pid" || die "pgbench failed: $(tail -n 5 "$RUN_DIR/raw/$tag.txt")"
  stop_sampler
  python3 - "$RUN_DIR/raw/$tag.txt" "$txlog" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu" >"$RUN_DIR/raw/$tag.json" <<'PY'
import glob, json, re, sys
text, txlog, cpu = open(sys.argv[1]).read(), sys.argv[2], json.load(open(sys.argv[3]))
t0 = cpu["t0_epoch"]
def secs(text):
    m = re.fullmatch(r"(\d+)m([\d.]+)s", text)
    return int(m.group(1)) * 60 + float(m.group(2))
load_cpu = sum(secs(t) for t in open(sys.argv[4]).read().splitlines()[1].split())
everything = 0
failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
lat, last = [], t0
for path in glob.glob(txlog + "/tx*"):
    for line in open(path):
        # client_id transaction_no time script_no time_epoch time_us: time is the latency in
        # µs, time_epoch + time_us when the transaction ended.
        f = line.split()
        if len(f) >= 6 and f[2].isdigit():
            everything += 1
            end = int(f[4]) + int(f[5]) / 1e6
            if end >= t0:
                lat.append(int(f[2]))
                last = max(last, end)
lat.sort()
secs = last - t0
pick = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else 0
print(json.dumps({"requests": len(lat), "seconds": round(secs, 3),
                  "rps": len(lat) / secs if secs > 0 else 0,
                  "p50_us": pick(50), "p90_us": pick(90), "p99_us": pick(99),
                  "max_us": lat[-1] if lat else 0, "status_errors": 0,
                  "unexpected": int(failed.group(1)) if failed else 0,
                  "socket_errors": 0, "timeouts": 0, "bytes": 0,
                  "load_cpu_s": load_cpu * len(lat) / everything if everything else None}))
PY
  rm -rf -- "$txlog"
  record_run pgbench "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" -
}

vote_run() { # NAME DATABASE_URL
  start_server "$1-r$ROUND" "$2"
  expect_status 200 -H 'Content-Type: application/json' \
    -d '{"post_id": 1, "score_increase": 1}' "$BASE_URL/update-post-score"
  measure "$1" "$BASE_URL/update-post-score" BENCH_MODE=vote BENCH_MAX_ID="$BIG_BOARD" \
    BENCH_EXPECT=200
  stop_server
}
scenario_vote() { vote_run vote "$DATABASE_URL_BENCH"; }
scenario_vote_one_replica() { vote_run vote_one_replica "$DATABASE_URL_BENCH"; }
scenario_vote_two_replicas() {
  TWO_REPLICAS=quiet vote_run vote_two_replicas "$DATABASE_URL_BENCH"
}
scenario_vote_two_replicas_live() {
  TWO_REPLICAS=1 vote_run vote_two_replicas_live "$DATABASE_URL_BENCH"
}
scenario_vote_pgbouncer() { VIA_PGBOUNCER=1 vote_run vote_pgbouncer "$DATABASE_URL_BENCH"; }
scenario_vote_before() { SERVER_BIN="$BASELINE_BIN" vote_run vote_before "$DATABASE_URL_BEFORE"; }

# check_votes_500 — correctness, not timing: VOTE_BURST votes of +1 on one post, all sent at
# once on connections of their own, must all answer 200 and move the score by exactly
# VOTE_BURST; the highest score among the answers is the final one.
check_votes_500() {
  local post=$((BIG_BOARD / 2)) before after out="$RUN_DIR/raw/votes-burst.json"
  log "Check: $VOTE_BURST concurrent votes of +1 on post $post"
  start_server votes-burst
  before="$(psql_db "$DATABASE_URL_BENCH" -c "SELECT score FROM posts WHERE id = $post")"
  python3 "$BENCH_DIR/client.py" burst "$BASE_URL/update-post-score" "$VOTE_BURST" \
    "{\"post_id\": $post, \"score_increase\": 1}" >"$out"
  after="$(psql_db "$DATABASE_URL_BENCH" -c "SELECT score FROM posts WHERE id = $post")"
  stop_server
  local verdict ok detail
  verdict="$(python3 - "$out" "$before" "$after" "$VOTE_BURST" "$post" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
before, after, n, post = (int(x) for x in sys.argv[2:6])
ok = (r["statuses"] == {"200": n} and after - before == n
      and bool(r["scores"]) and max(r["scores"]) == after)
print(int(ok))
print(f"post {post}: score {before} → {after} ({after - before:+d}); answers "
      + ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
      + (f"; highest score answered {max(r['scores'])}" if r["scores"] else "")
      + f"; {r['seconds']:.2f} s")
PY
)"
  ok="${verdict%%$'\n'*}"
  detail="${verdict#*$'\n'}"
  record_check "votes_$VOTE_BURST" "$ok" \
    "$VOTE_BURST concurrent votes of +1 on one post end at exactly +$VOTE_BURST" "$detail"
  if ((ok)); then echo "   ok: $detail"; else echo "   FAILED: $detail"; fi
}

# ---------------------------------------------------------------------------------------------
# Scenarios: images

IMAGE_SMALL_HASH=""
IMAGE_5MIB_HASH=""

# upload_image FILE — POST /post with FILE as its image on the running server; prints the hash.
upload_image() {
  local hash
  hash="$(curl -sf --max-time 120 -F title=Image -F post='A benchmark image' \
    -F "file=@$1;type=image/png" "$BASE_URL/post" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["image_hash"])')" ||
    die "uploading $1 failed"
  [[ "$hash" =~ ^[0-9a-f]{64}$ ]] || die "the upload of $1 gave no image hash"
  echo "$hash"
}

need_images() {
  [[ -n "$IMAGE_5MIB_HASH" ]] && return 0
  start_server image-upload
  log "Uploading a 250-byte PNG and a 5 MiB PNG"
  IMAGE_SMALL_HASH="$(upload_image "$files/small.png")"
  IMAGE_5MIB_HASH="$(upload_image "$files/5mib.png")"
  stop_server
}

# The image is read from S3 once (the first request, before the load) and then served from the
# server's memory: the server's own count of S3 GETs (/metrics) must not move during the load.
scenario_image_small_200() {
  need_images
  WITH_METRICS=1 start_server "image_small_200-r$ROUND"
  expect_status 200 "$BASE_URL/image/$IMAGE_SMALL_HASH"
  local before after
  before="$(s3_gets)"
  measure image_small_200 "$BASE_URL/image/$IMAGE_SMALL_HASH" BENCH_MODE=get
  after="$(s3_gets)"
  stop_server
  record_check "s3_gets_small_200-r$ROUND" $((after == before)) \
    "the small image is served from memory: no S3 GET under the load (round $ROUND)" \
    "round $ROUND: $((after - before)) S3 GETs during the warm-up and the measured seconds"
}

# s3_gets — the running server's count of S3 GetObject calls, from its /metrics.
s3_gets() {
  curl -fsS "$METRICS_URL" | awk '
    /^postboard_s3_request_duration_seconds_count\{.*operation="get_object"/ { n += $NF }
    END { print n + 0 }'
}

# record_check NAME OK(1|0) TITLE DETAIL — a correctness check (not timing) for the report.
record_check() {
  python3 - "$RUN_DIR/results.jsonl" "$@" <<'PY'
import json, sys
path, name, ok, title, detail = sys.argv[1:6]
with open(path, "a") as f:
    f.write(json.dumps({"kind": "check", "name": name, "ok": ok == "1", "detail": detail,
                        "title": title}) + "\n")
PY
}

# The 304 of the small image. A 304 reads no bytes, so the image's size does not matter.
scenario_image_304() {
  need_images
  start_server "image_304-r$ROUND"
  expect_status 304 -H "If-None-Match: \"$IMAGE_SMALL_HASH\"" "$BASE_URL/image/$IMAGE_SMALL_HASH"
  # Object storage is frozen (SIGSTOP) for the whole run: a 304 that asked it anything would
  # hang until the S3 timeout and show up as an error; its CPU time must not move.
  kill -STOP "$S3_PID"
  measure image_304 "$BASE_URL/image/$IMAGE_SMALL_HASH" BENCH_MODE=get \
    "BENCH_HEADER=If-None-Match: \"$IMAGE_SMALL_HASH\"" BENCH_EXPECT=304
  kill -CONT "$S3_PID"
  stop_server
}

scenario_image_200() {
  need_images
  start_server "image_200-r$ROUND"
  expect_status 200 "$BASE_URL/image/$IMAGE_5MIB_HASH"
  measure image_200 "$BASE_URL/image/$IMAGE_5MIB_HASH" BENCH_MODE=get
  stop_server
}

# Image variants (GET /image/{hash}?width=640): not served yet. The probe uploads a 1600×1200
# PNG and asks for its 640-wide variant; until the answer is an image 640 pixels wide, both
# variant scenarios are skipped.
VARIANT_PROBE="" # empty: not probed; "ok" or the reason to skip
PHOTO_HASH=""
probe_variants() {
  if [[ -z "$VARIANT_PROBE" ]]; then
    local code size
    start_server probe-variants
    PHOTO_HASH="$(upload_image "$files/photo-1600.png")"
    code="$(curl -s -o "$files/variant-probe" -w '%{http_code}' --max-time 60 \
      "$BASE_URL/image/$PHOTO_HASH?width=640")"
    stop_server
    size="$(python3 "$BENCH_DIR/client.py" dims "$files/variant-probe")"
    if [[ "$code" == 200 && "$size" == 640x* ]]; then
      VARIANT_PROBE=ok
    else
      VARIANT_PROBE="GET /image/{hash}?width=640 of a 1600×1200 PNG answers $code with a $size image: no variants yet"
    fi
  fi
  [[ "$VARIANT_PROBE" == ok ]] || SKIP_REASON="$VARIANT_PROBE"
}
probe_image_variant_warm() { probe_variants; }

scenario_image_variant_warm() {
  local url
  start_server "image_variant_warm-r$ROUND"
  url="$BASE_URL/image/$PHOTO_HASH?width=640"
  expect_status 200 "$url" # makes the variant
  measure image_variant_warm "$url" BENCH_MODE=get
  stop_server
}

# Cold variants: each request asks for the variant of a photo never asked for before, so it
# cannot be cached anywhere. Fixed work (VARIANT_IMAGES requests a round, VARIANT_CLIENTS at a
# time, bench/client.py): wrk would run out of new photos. Each round has photos of its own.
COLD_HASHES=()
probe_image_variant_cold() {
  probe_variants
  [[ -z "$SKIP_REASON" ]] || return 0
  local total=$((VARIANT_IMAGES * REPEAT)) i
  log "Uploading $total distinct 1600×1200 PNGs for cold variants"
  python3 "$BENCH_DIR/bodies.py" copies "$files/photo-1600.png" "$total" "$files/cold"
  start_server cold-upload
  for ((i = 0; i < total; i++)); do
    COLD_HASHES+=("$(upload_image "$files/cold-$i")")
  done
  stop_server
  rm -f "$files"/cold-*
}

scenario_image_variant_cold() {
  local tag="image_variant_cold-r$ROUND" list i first=$(((ROUND - 1) * VARIANT_IMAGES))
  list="$RUN_DIR/raw/$tag.urls"
  start_server "$tag"
  for ((i = first; i < first + VARIANT_IMAGES; i++)); do
    echo "$BASE_URL/image/${COLD_HASHES[$i]}?width=640"
  done >"$list"
  log "image_variant_cold (round $ROUND of $REPEAT): $VARIANT_IMAGES new variants, $VARIANT_CLIENTS clients"
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" python3 "$BENCH_DIR/client.py" fetch \
    "$list" "$VARIANT_CLIENTS" --expect 200 >"$RUN_DIR/raw/$tag.json"
  stop_sampler
  record_run image_variant_cold "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu"
  stop_server
}

# ---------------------------------------------------------------------------------------------
# Scenarios: creating posts

create_run() { # NAME BODY_PREFIX [DATABASE_URL, default the big board's]
  start_server "$1-r$ROUND" "${3:-$DATABASE_URL_BENCH}"
  measure "$1" "$BASE_URL/post" BENCH_MODE=body BENCH_EXPECT=201 \
    BENCH_BODY="$2.pre" BENCH_BODY_TAIL="$2.tail" "BENCH_CTYPE=multipart/form-data; boundary=$boundary"
  stop_server
}
scenario_create_text() { create_run create_text "$files/create-text"; }
scenario_create_one_replica() { create_run create_one_replica "$files/create-text"; }
scenario_create_two_replicas() {
  TWO_REPLICAS=quiet create_run create_two_replicas "$files/create-text"
}
scenario_create_two_replicas_live() {
  TWO_REPLICAS=1 create_run create_two_replicas_live "$files/create-text"
}
# What keeping the search index costs a create: the same creates on a copy of the big board
# whose posts have no search_document (see make_unsearched_copy).
scenario_create_text_unsearched() {
  create_run create_text_unsearched "$files/create-text" "$DATABASE_URL_UNSEARCHED"
}
scenario_create_text_pgbouncer() {
  VIA_PGBOUNCER=1 create_run create_text_pgbouncer "$files/create-text"
}
scenario_create_text_now() { create_run create_text_now "$files/create-text"; }
scenario_create_text_before() {
  SERVER_BIN="$BASELINE_BIN" create_run create_text_before "$files/create-text" "$DATABASE_URL_BEFORE"
}
probe_create_text_before() { probe_baseline; }
scenario_vote_beside_creates() { vote_run vote_beside_creates "$DATABASE_URL_BENCH"; }
scenario_create_1mib() { create_run create_1mib "$files/create-1mib"; }
# Peak RSS while UPLOAD_CLIENTS clients upload 5 MiB photos (random pixels: what decoding,
# if the server does it, has to chew on), each with new bytes.
scenario_upload_5mib() { WRK_CONNECTIONS="$UPLOAD_CLIENTS" create_run upload_5mib "$files/upload-5mib"; }

# ---------------------------------------------------------------------------------------------
# Scenarios: live events (GET /events): not served yet; probed, skipped until they are.

EVENTS_PROBE=""
probe_events() {
  if [[ -z "$EVENTS_PROBE" ]]; then
    local answer
    start_server probe-events
    # An event stream never ends: curl gives up after 2 s and still prints the status.
    answer="$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 2 \
      -H 'Accept: text/event-stream' "$BASE_URL/events" || true)"
    stop_server
    if [[ "$answer" == "200 text/event-stream"* ]]; then
      EVENTS_PROBE=ok
    else
      EVENTS_PROBE="GET /events answers ${answer:-nothing}: no event stream yet"
    fi
  fi
  [[ "$EVENTS_PROBE" == ok ]] || SKIP_REASON="$EVENTS_PROBE"
}
probe_sse_idle_50k() { probe_events; }
probe_sse_fanout() { probe_events; }
probe_event_latency() { probe_events; }
probe_sse_reconnect_storm() { probe_events; }

# fanout_run NAME CREATES STALLED — SSE_STREAMS event streams, spread over 50 source addresses
# (one address has ~28 000 ephemeral ports), held while CREATES posts are made 1 s apart, and
# STALLED more streams that read nothing (client.py fanout). Figures: the server's RSS per
# stream above its RSS before the first; each create's post event's latency at every stream.
fanout_run() {
  local name="$1" creates="$2" stalled="$3" tag="$1-r$ROUND"
  start_server "$tag"
  log "$name (round $ROUND of $REPEAT): $SSE_STREAMS event streams, $creates creates"
  sleep 2 # the server's memory settles after startup
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" python3 "$BENCH_DIR/client.py" fanout \
    "$BASE_URL/events" "$SSE_STREAMS" "$BASE_URL/post" "$creates" --server-pid "$BACKEND_PID" \
    --sources 50 --gap 1 --stalled "$stalled" >"$RUN_DIR/raw/$tag.fanout.json"
  stop_sampler
  python3 - "$RUN_DIR/raw/$tag.fanout.json" "$creates" >"$RUN_DIR/raw/$tag.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
creates = int(sys.argv[2])
failed = sum(f["failed"].values())
wrong = failed + f["missing"] + sum(n for s, n in f["create_statuses"].items() if s != "201")
figures = {"p50_us": f["p50_us"], "p90_us": f["p90_us"], "p99_us": f["p99_us"],
           "max_us": f["max_us"]} if creates else {}
print(json.dumps({"requests": f["ok"], "count_label": "streams held", "seconds": 3 + creates,
                  **figures, "status_errors": wrong, "unexpected": wrong, "socket_errors": 0,
                  "timeouts": f["failed"].get("TimeoutError", 0),
                  "streams_alive": f["alive_at_end"], "seconds_to_open": f["seconds_to_open"],
                  "idle_rss_kib": f["server_idle_rss_kib"], "held_rss_kib": f["server_rss_kib"],
                  "kib_per_stream": f["server_kib_per_stream"], "deliveries": f["deliveries"],
                  "missing": f["missing"], "stalled": f["stalled"],
                  "stalled_closed": f["stalled_closed"]}))
PY
  record_run "$name" "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu"
  stop_server
}
scenario_sse_idle_50k() { fanout_run sse_idle_50k 0 0; }

# One client (one source address) asks for 3 000 streams of a server with the default
# STREAMS_PER_CLIENT (1 000): exactly 1 000 open, the rest are refused with 429.
check_stream_cap() {
  local out="$RUN_DIR/raw/stream-cap.json" verdict ok detail
  log "Check: one client asks for 3 000 event streams (STREAMS_PER_CLIENT=1000)"
  STREAMS_PER_CLIENT=1000 start_server stream-cap
  python3 "$BENCH_DIR/client.py" fanout "$BASE_URL/events" 3000 "$BASE_URL/post" 0 >"$out"
  stop_server
  verdict="$(python3 "$BENCH_DIR/combine.py" stream-cap "$out")"
  ok="${verdict%%$'\n'*}"
  detail="${verdict#*$'\n'}"
  record_check stream_cap "$ok" "3 000 streams asked by one client: 1 000 open, 2 000 refused (429)" "$detail"
  if ((ok)); then echo "   ok: $detail"; else echo "   FAILED: $detail"; fi
}
scenario_sse_fanout() { fanout_run sse_fanout "$SSE_CREATES" "$SSE_STALLED"; }

# A deploy's reconnect storm: STORM_CLIENTS clients come back within STORM_SECONDS, each with
# a Last-Event-ID STORM_MISSED events old. A watcher stream keeps the replica's relay reading
# (as on a replica that serves clients), so the replica holds those events in memory. Figures:
# the clients that got exactly what they missed, in order, and the database transactions the
# storm cost: xact_commit of the board's database over the storm, minus the same span idle
# just before (the replicas' numbering ticks, the sampler).
scenario_sse_reconnect_storm() {
  local tag="sse_reconnect_storm-r$ROUND" watcher newest before during idle
  start_server "$tag"
  curl -sN "$BASE_URL/events" >/dev/null &
  watcher=$!
  sleep 0.5
  psql_db "$DATABASE_URL_BENCH" -c "INSERT INTO posts (title, post, username)
    SELECT 'storm', 'missed', 'bench' FROM generate_series(1, $STORM_MISSED)"
  sleep 1 # numbered, read by the relay
  newest="$(psql_db "$DATABASE_URL_BENCH" -c "SELECT max(id) FROM events")"
  log "sse_reconnect_storm (round $ROUND of $REPEAT): $STORM_CLIENTS clients back within ${STORM_SECONDS}s"
  before="$(database_transactions)"
  sleep "$STORM_SECONDS"
  idle=$(($(database_transactions) - before))
  before="$(database_transactions)"
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" python3 "$BENCH_DIR/client.py" storm \
    "$BASE_URL/events" "$STORM_CLIENTS" "$STORM_SECONDS" "$((newest - STORM_MISSED))" "$newest" \
    >"$RUN_DIR/raw/$tag.storm.json"
  stop_sampler
  during=$(($(database_transactions) - before))
  kill "$watcher" 2>/dev/null || true
  python3 - "$RUN_DIR/raw/$tag.storm.json" "$during" "$idle" >"$RUN_DIR/raw/$tag.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
failed = sum(s["failed"].values())
print(json.dumps({"requests": s["exact"], "count_label": "clients resumed exactly",
                  "seconds": s["seconds"], "p50_us": s["p50_us"], "p90_us": None,
                  "p99_us": s["p99_us"], "max_us": s["max_us"],
                  "status_errors": failed + s["wrong"], "unexpected": s["wrong"],
                  "socket_errors": 0, "timeouts": s["failed"].get("TimeoutError", 0),
                  "storm_clients": s["count"], "wrong_examples": s["wrong_examples"],
                  "db_transactions": int(sys.argv[2]) - int(sys.argv[3]),
                  "db_transactions_idle": int(sys.argv[3])}))
PY
  record_run sse_reconnect_storm "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu"
  stop_server
}

# Replays beside the list: REPLAY_EVENTS posts are written straight to the table, then a server
# starts (its memory of recent events begins after them, so they come from the table, 200 at a
# time) and REPLAY_CLIENTS clients come back at once, each with a Last-Event-ID before all of
# them, while wrk lists the first page. The list's figures are the run's; the replays' are
# added to it: each client's time to its first event and to its last, whether each got exactly
# the ids it missed, and the server's RSS growth (VmHWM over the run minus VmRSS before).
scenario_list_beside_replays() {
  local tag="list_beside_replays-r$ROUND" url="/post?limit=50" newest idle_kib replays
  psql_db "$DATABASE_URL_BENCH" -c "INSERT INTO posts (title, post, username)
    SELECT 'replayed', repeat('x', 200), 'bench' FROM generate_series(1, $REPLAY_EVENTS)"
  start_server "$tag"
  sleep 1 # the server numbers the new events (10 times a second)
  newest="$(psql_db "$DATABASE_URL_BENCH" -c "SELECT max(id) FROM events")"
  idle_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$BACKEND_PID/status")"
  log "list_beside_replays (round $ROUND of $REPEAT): $REPLAY_CLIENTS clients replay $REPLAY_EVENTS events each"
  "${LOAD_PREFIX[@]}" python3 "$BENCH_DIR/client.py" storm "$BASE_URL/events" "$REPLAY_CLIENTS" 0 \
    "$((newest - REPLAY_EVENTS))" "$newest" >"$RUN_DIR/raw/$tag.replays.json" &
  replays=$!
  WARMUP=0 measure_load list_beside_replays "$BASE_URL$url" BENCH_MODE=get
  wait "$replays" || die "the replay clients failed"
  record_run list_beside_replays "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu" "replays=$(cat "$RUN_DIR/raw/$tag.replays.json")" \
    "idle_rss_kib=$idle_kib"
  stop_server
}
scenario_list_alone() { list_run list_alone "$DATABASE_URL_BENCH" "/post?limit=50"; }

# database_transactions — commits so far in the big board's database (PostgreSQL publishes them
# within a second: wait that long first).
database_transactions() {
  sleep 1.5
  psql_db "$DATABASE_URL_BENCH" -c \
    "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
}

# Event latency under the vote load: wrk votes on posts 1..N-1 as in `vote` (warm-up, then the
# measured seconds), while one subscriber times EVENT_PROBES votes on post N, spread over the
# measured seconds, from sending the vote to receiving its event. req/s and the CPU per
# request are wrk's votes'; p50/p99 are the event latency.
scenario_event_latency() {
  local tag="event_latency-r$ROUND" wrk_pid gap
  local wrk_env=(BENCH_MODE=vote BENCH_MAX_ID=$((BIG_BOARD - 1)) BENCH_EXPECT=200)
  local wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --timeout 10s -s "$BENCH_DIR/wrk.lua")
  start_server "$tag"
  log "event_latency (round $ROUND of $REPEAT): wrk votes ${DURATION}s + $EVENT_PROBES timed events"
  if ((WARMUP > 0)); then
    "${LOAD_PREFIX[@]}" env "${wrk_env[@]}" BENCH_RESULT=/dev/null "${WRK[@]}" "${wrk_args[@]}" \
      -d"${WARMUP}s" "$BASE_URL/update-post-score" >/dev/null
  fi
  start_sampler "$RUN_DIR/raw/$tag.cpu.json"
  timed "$RUN_DIR/raw/$tag.load-cpu" "${LOAD_PREFIX[@]}" env "${wrk_env[@]}" \
    BENCH_RESULT="$RUN_DIR/raw/$tag.wrk.json" "${WRK[@]}" "${wrk_args[@]}" -d"${DURATION}s" \
    --latency "$BASE_URL/update-post-score" >"$RUN_DIR/raw/$tag.wrk.txt" &
  wrk_pid=$!
  gap="$(python3 -c "print(max(0.0, $DURATION * 0.8 / $EVENT_PROBES - 0.005))")"
  python3 "$BENCH_DIR/client.py" event-latency "$BASE_URL/events" \
    "$BASE_URL/update-post-score" "$BIG_BOARD" "$EVENT_PROBES" --gap "$gap" \
    >"$RUN_DIR/raw/$tag.events.json"
  wait "$wrk_pid" || die "wrk failed during event_latency"
  stop_sampler
  python3 - "$RUN_DIR/raw/$tag.events.json" "$RUN_DIR/raw/$tag.wrk.json" \
    >"$RUN_DIR/raw/$tag.json" <<'PY'
import json, sys
e, w = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(json.dumps({"requests": w["requests"] + e["requests"], "seconds": w["seconds"],
                  "rps": w["rps"], "p50_us": e["p50_us"], "p90_us": e["p90_us"],
                  "p99_us": e["p99_us"], "max_us": e["max_us"], "events_timed": e["requests"],
                  "events_missed": e["missed"], "vote_p50_us": w["p50_us"],
                  "vote_p99_us": w["p99_us"], "status_errors": w["status_errors"],
                  "unexpected": w["unexpected"] + e["missed"],
                  "socket_errors": w["socket_errors"], "timeouts": w["timeouts"]}))
PY
  record_run event_latency "$RUN_DIR/raw/$tag.json" "$RUN_DIR/raw/$tag.cpu.json" \
    "$RUN_DIR/raw/$tag.load-cpu"
  stop_server
}

# ---------------------------------------------------------------------------------------------
# The runner

# run_group "A B ..." — probes, then REPEAT rounds of A B ..., then the checks of AFTER.
run_group() {
  local names=() name
  for name in $1; do
    wants "$name" || continue
    SKIP_REASON=""
    if declare -F "probe_$name" >/dev/null; then
      "probe_$name"
    fi
    if [[ -n "$SKIP_REASON" ]]; then
      warn "$name skipped: $SKIP_REASON"
      record_json skip "$name" "reason=$(json_string "$SKIP_REASON")"
      continue
    fi
    names+=("$name")
  done
  ((${#names[@]} > 0)) || return 0
  for ((ROUND = 1; ROUND <= REPEAT; ROUND++)); do
    for name in "${names[@]}"; do
      settle_databases
      "scenario_$name"
    done
  done
  for name in "${names[@]}"; do
    if [[ -n "${AFTER[$name]:-}" ]]; then
      "${AFTER[$name]}"
    fi
  done
}

# Every scenario of SCENARIO_GROUPS has its function and title; BENCH_ONLY names only scenarios.
known=" "
for group in "${SCENARIO_GROUPS[@]}"; do
  for name in $group; do
    declare -F "scenario_$name" >/dev/null || die "SCENARIO_GROUPS names $name, but scenario_$name is missing"
    [[ -n "${TITLE[$name]:-}" ]] || die "SCENARIO_GROUPS names $name, but TITLE[$name] is missing"
    known+="$name "
  done
done
for name in $ONLY; do
  [[ "$known" == *" $name "* ]] || die "BENCH_ONLY: no scenario $name (scenarios:$known)"
done

# ---------------------------------------------------------------------------------------------
# Run

RUN_DIR="$DATA_DIR/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR/raw" "$RUN_DIR/logs"
ln -sfn "$RUN_DIR" "$DATA_DIR/bench/latest"
: >"$RUN_DIR/results.jsonl"
# The scenarios, their titles and groups, in order, for the report.
for group in "${SCENARIO_GROUPS[@]}"; do
  for name in $group; do
    wants "$name" || continue
    record_json scenario "$name" "title=$(json_string "${TITLE[$name]}")" \
      "group=$(json_string "$group")"
  done
done

log "Tools"
ensure_wrk
ensure_pgbench
ensure_s3s_fs_installed
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  log "Building the server (cargo build --release; a cold build takes ~7 minutes)"
  cargo build --release -p postboard
fi
[[ -x "$bin" ]] || die "no release binary at $bin"
BASELINE_BIN=""
if [[ -n "$BASELINE" ]] && wants_baseline; then
  build_baseline
fi

ensure_postgres
fresh_database "$BENCH_DB"
DATABASE_URL_BENCH="$FRESH_DATABASE_URL"
# The 1 000-post board lives in a database of its own, so that both boards exist before any
# list is measured and the two list scenarios can alternate.
fresh_database "${BENCH_DB}_small"
DATABASE_URL_SMALL="$FRESH_DATABASE_URL"
find_postmaster
start_throwaway_s3s_fs postboard-bench-s3 bench-access-key bench-secret-key \
  "$RUN_DIR/logs/s3s-fs.log"

files="$RUN_DIR/files"
mkdir -p "$files"
boundary="postboard-bench-boundary-7d2f"
python3 "$BENCH_DIR/bodies.py" png 250 "$files/small.png" 8
python3 "$BENCH_DIR/bodies.py" png $((5 * 1024 * 1024)) "$files/5mib.png"
python3 "$BENCH_DIR/bodies.py" png $((1024 * 1024)) "$files/1mib.png"
python3 "$BENCH_DIR/bodies.py" photo 1600 1200 smooth "$files/photo-1600.png"
python3 "$BENCH_DIR/bodies.py" photo 1280 1360 noise "$files/photo-5mib.png"
# The app's page as the build writes it, for /p/{id} (the bundles it names are not needed).
mkdir -p "$files/static"
cp "$ROOT/frontend/src/index.html" "$files/static/index.html"
python3 "$BENCH_DIR/bodies.py" multipart "$files/create-text" "$boundary"
python3 "$BENCH_DIR/bodies.py" multipart "$files/create-1mib" "$boundary" "$files/1mib.png"
python3 "$BENCH_DIR/bodies.py" multipart "$files/upload-5mib" "$boundary" "$files/photo-5mib.png"

# The first start applies the migrations.
start_server migrate-small "$DATABASE_URL_SMALL"
stop_server
start_server migrate
stop_server

# A first page starts after a cursor before every post (domain::Cursor::before_first): the
# greatest id (and score), or an infinite rank.
BEFORE_FIRST=9223372036854775807
log "Seeding $SMALL_BOARD posts"
seed_posts "$DATABASE_URL_SMALL" 1 "$SMALL_BOARD"
explain "$DATABASE_URL_SMALL" "newest first, $SMALL_BOARD posts (the first page: 50 + 1 rows)" \
  "$(app_statement "FROM visible_posts WHERE id < \$1 ORDER BY id DESC LIMIT \$2")" "$BEFORE_FIRST" 51
log "Seeding $BIG_BOARD posts (SQL, generate_series)"
seed_posts "$DATABASE_URL_BENCH" 1 "$BIG_BOARD"
log "Seeding $BANS bans and $REPORTS reports"
seed_moderation "$DATABASE_URL_BENCH"
if [[ -n "$BASELINE_BIN" ]]; then
  log "The baseline's board: $BIG_BOARD posts (and moderation, where its schema has it)"
  fresh_database "${BENCH_DB}_before"
  DATABASE_URL_BEFORE="$FRESH_DATABASE_URL"
  SERVER_BIN="$BASELINE_BIN" start_server migrate-before "$DATABASE_URL_BEFORE"
  stop_server
  seed_posts "$DATABASE_URL_BEFORE" 1 "$BIG_BOARD"
  if [[ "$(psql_db "$DATABASE_URL_BEFORE" -c "SELECT to_regclass('bans') IS NOT NULL")" == t ]]; then
    seed_moderation "$DATABASE_URL_BEFORE"
  fi
fi
explain "$DATABASE_URL_BENCH" "newest first, $BIG_BOARD posts" \
  "$(app_statement "FROM visible_posts WHERE id < \$1 ORDER BY id DESC LIMIT \$2")" "$BEFORE_FIRST" 51
explain "$DATABASE_URL_BENCH" "top, $BIG_BOARD posts" \
  "$(app_statement "FROM visible_posts WHERE (score, id) < (\$1, \$2)")" "$BEFORE_FIRST" "$BEFORE_FIRST" 51
explain "$DATABASE_URL_BENCH" "hot, $BIG_BOARD posts" \
  "$(app_statement "FROM visible_posts WHERE (hot, id) < (\$1, \$2)")" "'Infinity'" "$BEFORE_FIRST" 51
make_unsearched_copy
if wants vote_pgbouncer || wants create_text_pgbouncer; then
  start_pgbouncer
fi
explain "$DATABASE_URL_BENCH" "search for tag7 (0.1 % of $BIG_BOARD posts), first page" \
  "$(app_statement "FROM visible_posts, post_search_query(\$1) AS query")" "'tag7'" NULL 0 51

for group in "${SCENARIO_GROUPS[@]}"; do
  run_group "$group"
done

# ---------------------------------------------------------------------------------------------
# Report

{
  echo "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "os: $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
  echo "postgresql: $(psql_db "$DATABASE_URL_BENCH" -c 'SHOW server_version'), postmaster ${PG_POSTMASTER:-not on this machine (no PostgreSQL CPU)}"
  echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "settings: $REPEAT rounds, ${DURATION}s per run (+${WARMUP}s warm-up), $CONNECTIONS connections, $THREADS threads, RUST_LOG=$SERVER_LOG_LEVEL, RATE_LIMIT_POSTS=off RATE_LIMIT_VOTES=off, server CPUs ${CPUS_SERVER:-any}, load generator CPUs ${CPUS_LOAD:-any}"
  if wants pgbench; then
    echo "ceiling statement (pgbench): $SINGLE_VOTE_SQL"
  fi
} >"$RUN_DIR/machine.txt"

BENCH_POSTS="$BIG_BOARD" python3 "$BENCH_DIR/report.py" "$RUN_DIR" >"$RUN_DIR/results.md"
echo
cat "$RUN_DIR/results.md"
echo
ok "results in ${RUN_DIR#"$ROOT"/} (also .data/bench/latest)"
