# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are read by the scripts that source lib.sh
# The app: its PostgreSQL and S3 for `make run` and `make fleet`, s3s-fs servers, the test
# environment of the backend, the SPA build, starting the backend. Part of scripts/lib.sh
# (source that).

# ---------------------------------------------------------------------------------------------
# The app's PostgreSQL and S3, for `make run` and `make fleet`

# pick_app_database — DATABASE_URL from the environment when set; else the app's database on the
# PostgreSQL that ensure_postgres finds or starts (role and database created when missing).
# Sets APP_RUN_DATABASE_URL.
pick_app_database() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "Using DATABASE_URL from the environment"
    APP_RUN_DATABASE_URL="$DATABASE_URL"
  else
    unset TEST_DATABASE_URL
    ensure_postgres
    APP_RUN_DATABASE_URL="$APP_DATABASE_URL"
  fi
}

# pick_app_s3 — S3_ENDPOINT (keys S3_ACCESS_KEY / S3_SECRET_KEY, default the server's:
# minioadmin) when it answers; else s3s-fs on a free port with its data in .data/s3 and the local
# keys LOCAL_S3_* (it listens on loopback only), stopped on exit. Sets APP_RUN_S3_ENDPOINT,
# APP_RUN_S3_ACCESS_KEY and APP_RUN_S3_SECRET_KEY.
pick_app_s3() {
  APP_RUN_S3_ACCESS_KEY="${S3_ACCESS_KEY:-$DEFAULT_S3_ACCESS_KEY}"
  APP_RUN_S3_SECRET_KEY="${S3_SECRET_KEY:-$DEFAULT_S3_SECRET_KEY}"
  if [[ -n "${S3_ENDPOINT:-}" ]] && http_answers "$S3_ENDPOINT"; then
    log "Using the S3 server at $S3_ENDPOINT"
    APP_RUN_S3_ENDPOINT="$S3_ENDPOINT"
    return 0
  fi
  [[ -n "${S3_ENDPOINT:-}" ]] && warn "S3_ENDPOINT=$S3_ENDPOINT does not answer; starting s3s-fs instead"
  APP_RUN_S3_ACCESS_KEY="$LOCAL_S3_ACCESS_KEY"
  APP_RUN_S3_SECRET_KEY="$LOCAL_S3_SECRET_KEY"
  mkdir -p "$DATA_DIR"
  start_s3s_fs "$LOCAL_S3_DIR" "$APP_RUN_S3_ACCESS_KEY" "$APP_RUN_S3_SECRET_KEY" "$DATA_DIR/s3s-fs.log"
  APP_RUN_S3_ENDPOINT="$S3_URL"
}

# ---------------------------------------------------------------------------------------------
# S3 servers (s3s-fs on a folder: the test fixtures' s3-server, built by ensure_s3_server)

# start_s3s_fs DATA_DIR ACCESS_KEY SECRET_KEY LOGFILE — starts it on a free port; sets S3_URL.
start_s3s_fs() {
  local dir="$1" ak="$2" sk="$3" logfile="$4" port
  ensure_s3_server
  mkdir -p "$dir"
  port="$(free_port)"
  start_bg s3s-fs "$logfile" "$S3_SERVER_BIN" --host 127.0.0.1 --port "$port" \
    --access-key "$ak" --secret-key "$sk" "$dir"
  S3_URL="http://127.0.0.1:$port"
  wait_any_http "$S3_URL/" 30 "$BG_PID" || die "s3s-fs did not start; see $logfile"
  ok "s3s-fs on $S3_URL (data in ${dir#"$ROOT"/})"
}

# start_throwaway_s3s_fs PREFIX ACCESS_KEY SECRET_KEY LOGFILE — s3s-fs on a temporary folder
# that is deleted on exit; sets S3_URL and S3_PID.
start_throwaway_s3s_fs() {
  local prefix="$1" dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")"
  CLEANUP_DIRS+=("$dir")
  start_s3s_fs "$dir" "$2" "$3" "$4"
  S3_PID="$BG_PID"
}

# ---------------------------------------------------------------------------------------------
# Backend

BACKEND_ENV=()

# backend_var NAME VALUE — one variable of the backend's environment (see scripts/lib.sh's header).
backend_var() {
  BACKEND_ENV+=("$1=$2")
}

# test_backend_env DATABASE_URL ACCESS_KEY SECRET_KEY PORT STATIC_DIR LOG_LEVEL — the server's
# environment for a run on 127.0.0.1:PORT against S3_URL (sets BACKEND_ENV afresh). The rate
# limits are off: e2e tests and benchmarks send many requests from one address, and measure the
# board, not its abuse protection (backend/tests/api/rate_limits.rs tests the limits).
test_backend_env() {
  BACKEND_ENV=()
  backend_var DATABASE_URL "$1"
  backend_var S3_ENDPOINT "$S3_URL"
  backend_var S3_BUCKET "$DEFAULT_S3_BUCKET"
  backend_var S3_ACCESS_KEY "$2"
  backend_var S3_SECRET_KEY "$3"
  backend_var S3_REGION "$DEFAULT_S3_REGION"
  backend_var BIND_ADDR "127.0.0.1:$4"
  backend_var STATIC_DIR "$5"
  backend_var CORS_ORIGINS "http://127.0.0.1:$4"
  backend_var RUST_LOG "$6"
  backend_var RATE_LIMIT_POSTS off
  backend_var RATE_LIMIT_VOTES off
  backend_var RATE_LIMIT_REPORTS off
  # Every client here is 127.0.0.1: one client to the per-client cap of live streams.
  backend_var STREAMS_PER_CLIENT 1000000
}

# start_backend BINARY LOGFILE — starts the server with BACKEND_ENV; sets BACKEND_PID.
start_backend() {
  local bin="$1" logfile="$2"
  [[ -x "$bin" ]] || die "no backend binary at $bin"
  start_bg postboard "$logfile" env "${BACKEND_ENV[@]}" "$bin"
  BACKEND_PID="$BG_PID"
}

# ---------------------------------------------------------------------------------------------
# Frontend

# npm_ci_if_needed — `npm ci` when node_modules is missing or older than the lock file.
npm_ci_if_needed() {
  [[ -f "$FRONTEND_DIR/package.json" ]] || die "frontend/package.json is missing"
  local marker="$FRONTEND_DIR/node_modules/.package-lock.json"
  if [[ ! -f "$marker" || "$FRONTEND_DIR/package-lock.json" -nt "$marker" ]]; then
    log "npm ci (frontend/node_modules is missing or older than package-lock.json)"
    (cd "$FRONTEND_DIR" && npm ci --no-audit)
  else
    ok "frontend/node_modules is up to date"
  fi
}

# build_spa — `npm run build` unless the build is newer than every source file.
build_spa() {
  npm_ci_if_needed
  local index="$SPA_DIR/index.html"
  if [[ -f "$index" ]] && [[ -z "$(find "$FRONTEND_DIR/src" "$FRONTEND_DIR/public" \
    "$FRONTEND_DIR"/*.json -newer "$index" -print -quit 2>/dev/null)" ]]; then
    ok "the SPA build is up to date (${SPA_DIR#"$ROOT"/})"
    return 0
  fi
  log "Building the SPA (npm run build)"
  (cd "$FRONTEND_DIR" && npm run build)
  [[ -f "$index" ]] || die "npm run build did not produce ${index#"$ROOT"/}"
}
