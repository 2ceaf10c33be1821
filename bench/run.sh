#!/usr/bin/env bash
# make bench — Postboard's benchmarks against the database's own ceiling. See bench/README.md.
#
# Builds the release binary, creates FRESH databases (BENCH_DB, default postboard_bench, for the
# large board, and BENCH_DB_small for the 1 000-post one), starts s3s-fs on a free port with a
# temporary folder, seeds posts with SQL, and measures each scenario
# with wrk (BENCH_THREADS threads, BENCH_CONNECTIONS connections, BENCH_DURATION seconds after a
# BENCH_WARMUP-second warm-up). The server is restarted before every scenario, so its peak RSS
# (VmHWM) is that scenario's own. pgbench runs the repository's vote statement on the same
# database with the server stopped: the ceiling. Results (JSON lines, logs, results.md) go to
# .data/bench/<time>/ and .data/bench/latest; results.md is printed at the end.
#
# Environment (all optional):
#   BENCH_DURATION=10      seconds measured per scenario
#   BENCH_WARMUP=2         seconds of the same load before each measurement (not counted)
#   BENCH_CONNECTIONS=32   wrk -c and pgbench -c
#   BENCH_THREADS=2        wrk -t and pgbench -j
#   BENCH_POSTS=1000000    posts in the large board
#   BENCH_DB=postboard_bench   database (dropped and recreated!, as is BENCH_DB_small)
#   BENCH_RUST_LOG=warn    the server's RUST_LOG (info logs every request: costs throughput)
#   BENCH_CPUS_SERVER=     CPU list for the server (taskset -c), e.g. 1; empty: not pinned
#   BENCH_CPUS_LOAD=       CPU list for wrk and pgbench, e.g. 0; empty: not pinned
#   BENCH_ONLY=            space-separated scenario names to run (default: all), e.g. "vote"
#   BENCH_SKIP_BUILD=1     use the existing target/release/postboard
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

cd "$ROOT"
install_cleanup
S3_PID=""
# s3s-fs is frozen during the 304 scenario: thaw it before cleanup stops it.
trap '[[ -n "$S3_PID" ]] && kill -CONT "$S3_PID" 2>/dev/null; cleanup' EXIT

DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
BIG_BOARD="${BENCH_POSTS:-1000000}"
SMALL_BOARD=1000
RUN_TAG="" # set by list_scenario: a suffix for the raw files of a repeated scenario
BENCH_DB="${BENCH_DB:-postboard_bench}"
SERVER_LOG_LEVEL="${BENCH_RUST_LOG:-warn}"
CPUS_SERVER="${BENCH_CPUS_SERVER:-}"
CPUS_LOAD="${BENCH_CPUS_LOAD:-}"
ONLY="${BENCH_ONLY:-}"
BENCH_DIR="$ROOT/bench"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
bin="$target_dir/release/postboard"

[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case name"

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

# pinned CPUS CMD... — runs CMD on CPUS (taskset -c) when CPUS is set.
pinned() {
  local cpus="$1"
  shift
  if [[ -n "$cpus" ]]; then
    taskset -c "$cpus" "$@"
  else
    "$@"
  fi
}

wants() { # SCENARIO — whether BENCH_ONLY selects it
  [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]
}

# ---------------------------------------------------------------------------------------------
# The server

backend_ready_url=""

start_server() { # LABEL [DATABASE_URL, default the big board's]
  local label="$1" database_url="${2:-$DATABASE_URL_BENCH}" port
  port="$(free_port)"
  test_backend_env "$database_url" bench-access-key bench-secret-key "$port" \
    "$RUN_DIR/no-static-dir" "$SERVER_LOG_LEVEL"
  if [[ -n "$CPUS_SERVER" ]]; then
    start_bg postboard "$RUN_DIR/logs/postboard-$label.log" \
      taskset -c "$CPUS_SERVER" env "${BACKEND_ENV[@]}" "$bin"
    BACKEND_PID="$BG_PID"
  else
    start_backend "$bin" "$RUN_DIR/logs/postboard-$label.log"
  fi
  BASE_URL="http://127.0.0.1:$port"
  backend_ready_url="$BASE_URL/ready"
  if ! wait_http "$backend_ready_url" 90 "$BACKEND_PID"; then
    tail -n 40 "$RUN_DIR/logs/postboard-$label.log" || true
    die "the server did not become ready"
  fi
  [[ "$(cat "/proc/$BACKEND_PID/comm")" == "postboard" ]] ||
    die "PID $BACKEND_PID is not the server ($(cat "/proc/$BACKEND_PID/comm"))"
}

stop_server() {
  stop_pid "$BACKEND_PID" postboard >/dev/null
}

# kib_hwm PID — peak resident set (VmHWM) of PID in KiB.
kib_hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# cpu_ticks PID — user + system CPU time of PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# machine_ticks — "busy nice" ticks of the whole machine (all CPUs): busy = not idle nor
# iowait; nice = processes running niced (other people's builds, here).
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $3}' /proc/stat; }

# ---------------------------------------------------------------------------------------------
# Scenarios

# measure NAME URL [ENV=VALUE...] — warm-up, then wrk; appends one JSON line to results.jsonl
# with wrk's figures, the server's peak RSS and the CPU seconds the server and s3s-fs used.
measure() {
  local name="$1" url="$2"
  shift 2
  local out="$RUN_DIR/raw/$name$RUN_TAG.json"
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $url"
  if ((WARMUP > 0)); then
    pinned "$CPUS_LOAD" env "$@" BENCH_RESULT=/dev/null \
      "${WRK[@]}" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
      -s "$BENCH_DIR/wrk.lua" "$url" >/dev/null
  fi
  local server_cpu0 s3_cpu0 server_cpu1 s3_cpu1 busy0 nice0 busy1 nice1 load1
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  server_cpu0="$(cpu_ticks "$BACKEND_PID")"
  s3_cpu0="$(cpu_ticks "$S3_PID")"
  read -r busy0 nice0 < <(machine_ticks)
  pinned "$CPUS_LOAD" env "$@" BENCH_RESULT="$out" \
    "${WRK[@]}" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
    -s "$BENCH_DIR/wrk.lua" "$url" >"$RUN_DIR/raw/$name$RUN_TAG.wrk.txt"
  server_cpu1="$(cpu_ticks "$BACKEND_PID")"
  s3_cpu1="$(cpu_ticks "$S3_PID")"
  read -r busy1 nice1 < <(machine_ticks)
  kill -0 "$BACKEND_PID" 2>/dev/null || die "the server died during $name"
  python3 - "$out" "$name" "$(kib_hwm "$BACKEND_PID")" "$((server_cpu1 - server_cpu0))" \
    "$((s3_cpu1 - s3_cpu0))" "$(getconf CLK_TCK)" "$((busy1 - busy0))" "$((nice1 - nice0))" \
    "$load1" >>"$RUN_DIR/results.jsonl" <<'PY'
import json, sys
path, name, hwm, server_ticks, s3_ticks, tck, busy, nice, load1 = sys.argv[1:]
tck = int(tck)
row = json.load(open(path))
row.update(name=name, peak_rss_kib=int(hwm), server_cpu_s=int(server_ticks) / tck,
           s3_cpu_s=int(s3_ticks) / tck, machine_busy_s=int(busy) / tck,
           niced_cpu_s=int(nice) / tck, load1=float(load1))
print(json.dumps(row))
PY
  python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readlines()[-1]); print("   %(rps).0f req/s  p50 %(p50_us)d us  p99 %(p99_us)d us  status>=400 %(status_errors)d  unexpected %(unexpected)d  socket errors %(socket_errors)d  peak RSS %(peak_rss_kib)d KiB" % r)' "$RUN_DIR/results.jsonl"
}

# expect_status CODE CURL_ARGS... — one request by hand before a scenario: it must answer CODE.
expect_status() {
  local want="$1" got
  shift
  got="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@")"
  [[ "$got" == "$want" ]] || die "expected $want from curl $*, got $got"
}

psql_db() { # DATABASE_URL PSQL_ARGS...
  local url="$1"
  shift
  psql "$url" -w -v ON_ERROR_STOP=1 -qtAX "$@"
}

# seed_posts DATABASE_URL FROM TO — posts FROM..TO with SQL (ids come from the identity column,
# so a fresh table gets ids FROM..TO), spread over random scores for the top listing, then
# VACUUM ANALYZE and CHECKPOINT.
seed_posts() {
  local url="$1" from="$2" to="$3"
  psql_db "$url" -c "
    INSERT INTO posts (title, post, username, score, created_at)
    SELECT 'Seeded post ' || g,
           'Seeded text of post ' || g || '. ' || repeat('Lorem ipsum dolor sit amet. ', 4),
           'seed' || (g % 100),
           (random() * 200)::bigint - 100,
           now() - (($to - g) * interval '1 second')
    FROM generate_series($from, $to) AS g"
  psql_db "$url" -c "VACUUM ANALYZE posts"
  # Write the seed's pages (hundreds of MB at 1 000 000 posts) out now, so that no scenario
  # shares the disk and CPU with their flushing. CHECKPOINT needs a superuser or pg_checkpoint.
  psql_db "$url" -c "CHECKPOINT" || warn "CHECKPOINT refused: background writes may overlap the next scenario"
  sync
}

# explain DATABASE_URL TITLE SQL — EXPLAIN (ANALYZE, BUFFERS) of SQL, whose $1 is the limit, into
# plans.txt: the generic plan, as the app runs it (plan_cache_mode in startup.rs), for 51 rows.
explain() {
  {
    echo "-- $2"
    echo "$3;  -- \$1 = 51"
    psql_db "$1" -c "SET plan_cache_mode = force_generic_plan" -c "PREPARE q AS $3" \
      -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE q(51)"
    echo
  } >>"$RUN_DIR/plans.txt"
}

# repository_statement NAME — the SQL of the constant NAME in the repository, as the app sends
# it (the pieces of its `concat!`, with `post_columns!()` expanded).
repository_statement() {
  python3 - "$ROOT/backend/src/repository/post_repository.rs" "$1" <<'PY'
import re, sys
src, name = open(sys.argv[1]).read(), sys.argv[2]
cols = re.search(r'macro_rules!\s*post_columns\s*\{\s*\(\)\s*=>\s*\{\s*"([^"]*)"', src).group(1)
body = re.search(r'const ' + name + r': &str = concat!\((.*?)\);', src, re.S)
if not body:
    sys.exit(f"cannot find `const {name}` in post_repository.rs")
pieces = re.findall(r'"([^"]*)"|(post_columns!\(\))', body.group(1))
print("".join(cols if macro else text for text, macro in pieces))
PY
}

# ---------------------------------------------------------------------------------------------
# Run

RUN_DIR="$DATA_DIR/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR/raw" "$RUN_DIR/logs"
ln -sfn "$RUN_DIR" "$DATA_DIR/bench/latest"
: >"$RUN_DIR/results.jsonl"

log "Tools"
ensure_wrk
ensure_pgbench
ensure_s3s_fs_installed
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  log "Building the server (cargo build --release; a cold build takes ~7 minutes)"
  cargo build --release -p postboard
fi
[[ -x "$bin" ]] || die "no release binary at $bin"

ensure_postgres
fresh_database "$BENCH_DB"
DATABASE_URL_BENCH="$FRESH_DATABASE_URL"
# The 1 000-post board lives in a database of its own, so that both boards exist before any
# list is measured and the two list scenarios can run side by side (below).
fresh_database "${BENCH_DB}_small"
DATABASE_URL_SMALL="$FRESH_DATABASE_URL"
start_throwaway_s3s_fs postboard-bench-s3 bench-access-key bench-secret-key \
  "$RUN_DIR/logs/s3s-fs.log"

files="$RUN_DIR/files"
mkdir -p "$files"
boundary="postboard-bench-boundary-7d2f"
python3 "$BENCH_DIR/bodies.py" png $((5 * 1024 * 1024)) "$files/5mib.png"
python3 "$BENCH_DIR/bodies.py" png $((1024 * 1024)) "$files/1mib.png"
python3 "$BENCH_DIR/bodies.py" multipart "$files/create-text" "$boundary"
python3 "$BENCH_DIR/bodies.py" multipart "$files/create-1mib" "$boundary" "$files/1mib.png"

# The first start applies the migrations.
start_server migrate-small "$DATABASE_URL_SMALL"
stop_server
start_server migrate
stop_server

log "Seeding $SMALL_BOARD posts"
seed_posts "$DATABASE_URL_SMALL" 1 "$SMALL_BOARD"
explain "$DATABASE_URL_SMALL" "newest first, $SMALL_BOARD posts (the first page: 50 + 1 rows)" \
  "$(repository_statement NEWEST_FIRST)"
log "Seeding $BIG_BOARD posts (SQL, generate_series)"
seed_posts "$DATABASE_URL_BENCH" 1 "$BIG_BOARD"
explain "$DATABASE_URL_BENCH" "newest first, $BIG_BOARD posts" "$(repository_statement NEWEST_FIRST)"
explain "$DATABASE_URL_BENCH" "top, $BIG_BOARD posts" "$(repository_statement TOP_FIRST)"

# list_scenario NAME DATABASE_URL PATH TAG — one run of a list scenario (raw files NAME-TAG.*).
list_scenario() {
  wants "$1" || return 0
  start_server "$1$4" "$2"
  RUN_TAG="$4" measure "$1" "$BASE_URL$3" BENCH_MODE=get
  stop_server
}
# The 1 000 / 1 000 000 comparison is of runs a minute apart, on a machine whose speed drifts
# by tens of percent over minutes. Each runs twice, in the order A B B A, and the report takes
# the mean of the two: a drift that is steady over the four runs weighs on both alike.
list_scenario list_new_1k "$DATABASE_URL_SMALL" "/post?limit=50" -a
list_scenario list_new_1m "$DATABASE_URL_BENCH" "/post?limit=50" -a
list_scenario list_new_1m "$DATABASE_URL_BENCH" "/post?limit=50" -b
list_scenario list_new_1k "$DATABASE_URL_SMALL" "/post?limit=50" -b
list_scenario list_top_1m "$DATABASE_URL_BENCH" "/post?sort=top&limit=50" ""

# pgbench_ceiling LABEL — pgbench runs the vote statement with the server stopped, into
# raw/pgbench-LABEL.txt. It runs before and after the service's vote scenario: this machine's
# speed drifts between minutes, and the report divides by the mean of the two.
pgbench_ceiling() {
  local out="$RUN_DIR/raw/pgbench-$1.txt"
  log "pgbench ceiling ($1): -M prepared -c $CONNECTIONS -j $THREADS -T $DURATION (server stopped)"
  pinned "$CPUS_LOAD" pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$WARMUP" \
    -D n="$BIG_BOARD" -f "$files/vote.pgbench" "$DATABASE_URL_BENCH" >/dev/null 2>&1 || true
  pinned "$CPUS_LOAD" pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
    -D n="$BIG_BOARD" -f "$files/vote.pgbench" "$DATABASE_URL_BENCH" >"$out" 2>&1 ||
    die "pgbench failed: $(tail -n 5 "$out")"
  grep -E '^(tps|latency average|number of failed)' "$out" | sed 's/^/   /'
}

if wants vote || wants pgbench; then
  vote_sql="$(repository_statement VOTE)"
  vote_sql="${vote_sql//\$1/:d}"
  vote_sql="${vote_sql//\$2/:id}"
  {
    echo '\set id random(1, :n)'
    echo '\set d random(0, 1) * 2 - 1'
    echo "$vote_sql;"
  } >"$files/vote.pgbench"
  cat "$files/vote.pgbench"
  pgbench_ceiling before
fi

if wants vote; then
  start_server vote
  expect_status 200 -H 'Content-Type: application/json' \
    -d '{"post_id": 1, "score_increase": 1}' "$BASE_URL/update-post-score"
  measure vote "$BASE_URL/update-post-score" BENCH_MODE=vote BENCH_MAX_ID="$BIG_BOARD" \
    BENCH_EXPECT=200
  stop_server
  pgbench_ceiling after
fi

if wants image_200 || wants image_304; then
  start_server image_upload
  log "Uploading a 5 MiB PNG"
  image_hash="$(curl -sf --max-time 60 -F title=Image -F post='A 5 MiB image' \
    -F "file=@$files/5mib.png;type=image/png" "$BASE_URL/post" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["image_hash"])')"
  [[ "$image_hash" =~ ^[0-9a-f]{64}$ ]] || die "the upload gave no image hash"
  stop_server
fi

if wants image_200; then
  start_server image_200
  expect_status 200 "$BASE_URL/image/$image_hash"
  measure image_200 "$BASE_URL/image/$image_hash" BENCH_MODE=get
  stop_server
fi

if wants image_304; then
  start_server image_304
  expect_status 304 -H "If-None-Match: \"$image_hash\"" "$BASE_URL/image/$image_hash"
  # Object storage is frozen (SIGSTOP) for the whole scenario: a 304 that asked it anything
  # would hang until the S3 timeout and show up as an error; its CPU time must not move.
  kill -STOP "$S3_PID"
  measure image_304 "$BASE_URL/image/$image_hash" BENCH_MODE=get \
    "BENCH_HEADER=If-None-Match: \"$image_hash\"" BENCH_EXPECT=304
  kill -CONT "$S3_PID"
  stop_server
fi

if wants create_text; then
  start_server create_text
  measure create_text "$BASE_URL/post" BENCH_MODE=body BENCH_EXPECT=201 \
    BENCH_BODY="$files/create-text.pre" BENCH_BODY_TAIL="$files/create-text.tail" \
    "BENCH_CTYPE=multipart/form-data; boundary=$boundary"
  stop_server
fi

if wants create_1mib; then
  start_server create_1mib
  measure create_1mib "$BASE_URL/post" BENCH_MODE=body BENCH_EXPECT=201 \
    BENCH_BODY="$files/create-1mib.pre" BENCH_BODY_TAIL="$files/create-1mib.tail" \
    "BENCH_CTYPE=multipart/form-data; boundary=$boundary"
  stop_server
fi

# ---------------------------------------------------------------------------------------------
# Report

{
  echo "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "os: $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
  echo "postgresql: $(psql_db "$DATABASE_URL_BENCH" -c 'SHOW server_version')"
  echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "settings: duration ${DURATION}s (+${WARMUP}s warm-up), $CONNECTIONS connections, $THREADS threads, RUST_LOG=$SERVER_LOG_LEVEL, server CPUs ${CPUS_SERVER:-any}, load generator CPUs ${CPUS_LOAD:-any}"
} >"$RUN_DIR/machine.txt"

BENCH_POSTS="$BIG_BOARD" python3 "$BENCH_DIR/report.py" "$RUN_DIR" >"$RUN_DIR/results.md"
echo
cat "$RUN_DIR/results.md"
echo
ok "results in ${RUN_DIR#"$ROOT"/} (also .data/bench/latest)"
