#!/usr/bin/env bash
# make run — the whole app at http://localhost:8000 until Ctrl-C.
#
#   scripts/run.sh          build the SPA and the release backend, then serve both
#   scripts/run.sh --dev    debug backend only (for `cd frontend && npm start` on :4200)
#
# Makes sure PostgreSQL (see ensure_postgres in lib/postgres.sh) and an S3 server are up: S3_ENDPOINT when
# it is set and answers, else s3s-fs on a free port with its data in .data/s3. Posts (PostgreSQL)
# and images (.data/s3) survive restarts. Ctrl-C stops what this script started, nothing else.
# DATABASE_URL, BIND_ADDR, S3_* and RUST_LOG from the environment are honoured.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="release"
case "${1:-}" in
  "") ;;
  --dev) mode="dev" ;;
  *) die "usage: $0 [--dev]" ;;
esac

cd "$ROOT"
install_cleanup
trap 'trap "" INT TERM; echo; log "Ctrl-C: stopping what make run started"; exit 0' INT # the normal way to stop

# 1. Build.
if [[ "$mode" == "release" ]]; then
  build_spa
  log "Building the backend (cargo build --release; a cold build takes ~7 minutes)"
  cargo build --release -p postboard
  bin="$TARGET_DIR/release/postboard"
else
  log "Building the backend (cargo build, debug)"
  cargo build -p postboard
  bin="$TARGET_DIR/debug/postboard"
fi

bind_addr="${BIND_ADDR:-$DEFAULT_BIND_ADDR}"
bind_port="${bind_addr##*:}"
port_free "$bind_port" ||
  die "port $bind_port is taken (is another 'make run' running?). Choose another one: BIND_ADDR=127.0.0.1:8001 make run"

# 2. PostgreSQL.
pick_app_database

# 3. S3.
pick_app_s3

# 4. The backend, in the foreground of this script.
backend_var DATABASE_URL "$APP_RUN_DATABASE_URL"
backend_var S3_ENDPOINT "$APP_RUN_S3_ENDPOINT"
backend_var S3_BUCKET "${S3_BUCKET:-$DEFAULT_S3_BUCKET}"
backend_var S3_ACCESS_KEY "$APP_RUN_S3_ACCESS_KEY"
backend_var S3_SECRET_KEY "$APP_RUN_S3_SECRET_KEY"
backend_var S3_REGION "${S3_REGION:-$DEFAULT_S3_REGION}"
backend_var BIND_ADDR "$bind_addr"
# Feed links and link previews name the address the browser uses.
backend_var PUBLIC_URL "${PUBLIC_URL:-http://localhost:$bind_port}"
backend_var STATIC_DIR "$SPA_DIR"
backend_var RUST_LOG "${RUST_LOG:-$DEFAULT_RUST_LOG}"

log "Starting postboard on $bind_addr"
start_backend "$bin" -
url="http://localhost:$bind_port"
probe="http://127.0.0.1:$bind_port"
if [[ "$bind_addr" != 127.0.0.1:* && "$bind_addr" != 0.0.0.0:* ]]; then
  url="http://$bind_addr"
  probe="$url"
fi
if wait_http "$probe/ready" 90 "$BACKEND_PID"; then
  printf '\n%s  Postboard is ready: %s%s   (API docs: %s/docs; Ctrl-C stops it)\n\n' \
    "$_C_GREEN$_C_BOLD" "$url" "$_C_OFF" "$url"
  [[ "$mode" == "dev" ]] && echo "  Dev loop: cd frontend && npm start  → http://localhost:4200 (proxy to :$bind_port)"
else
  kill -0 "$BACKEND_PID" 2>/dev/null || die "postboard exited; its log is above"
  warn "postboard is not ready yet; it keeps trying (see its log above)"
fi

status=0
wait "$BACKEND_PID" || status=$?
exit "$status"
