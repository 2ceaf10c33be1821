#!/usr/bin/env bash
# make fleet — two Postboard processes on one PostgreSQL and one S3, until Ctrl-C.
#
#   scripts/fleet.sh                              replicas on http://localhost:8001 and :8002
#   FLEET_PORTS="8001 8002 8003" scripts/fleet.sh  as many replicas as ports
#   FLEET_METRICS=off scripts/fleet.sh            no metrics listeners
#
# Open two replicas in two browser tabs: a post or a vote made in one appears in the other,
# relayed through PostgreSQL (each replica LISTENs), not from one process to the other. They
# share the posts, the live events and the rate limits (PostgreSQL) and the images (S3); each
# has its own live clients and image cache (README.md, "Running N replicas").
#
# Like `make run` (scripts/run.sh): builds the SPA and the release backend, finds or starts
# PostgreSQL and an S3 server, honours DATABASE_URL, S3_* and RUST_LOG. The replicas start at
# once, racing for the migrations as a fleet does (sqlx serialises them with a lock). Each one
# serves GET /metrics on its port + 1000 (or a free port), logs to .data/fleet/<port>.log,
# followed here. Ctrl-C stops what this script started, nothing else.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 0 ]] || die "usage: [FLEET_PORTS=\"8001 8002\"] [FLEET_METRICS=off] $0"

cd "$ROOT"
install_cleanup
trap 'trap "" INT TERM; echo; log "Ctrl-C: stopping the fleet"; exit 0' INT # the normal way to stop

read -r -a ports <<<"${FLEET_PORTS:-$DEFAULT_FLEET_PORTS}"
((${#ports[@]} >= 1)) || die "FLEET_PORTS names no port"
declare -A seen=()
for port in "${ports[@]}"; do
  if ! [[ "$port" =~ ^[0-9]+$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
    die "FLEET_PORTS: $port is not a port"
  fi
  [[ -z "${seen[$port]:-}" ]] || die "FLEET_PORTS: $port is there twice"
  seen[$port]=1
  port_free "$port" || die "port $port is taken (another 'make fleet'?). Choose others: FLEET_PORTS=\"8011 8012\" make fleet"
done
case "${FLEET_METRICS:-on}" in
  on) metrics=1 ;;
  off) metrics="" ;;
  *) die "FLEET_METRICS is on or off" ;;
esac

# 1. Build.
build_spa
log "Building the backend (cargo build --release; a cold build takes ~7 minutes)"
cargo build --release -p postboard
bin="$TARGET_DIR/release/postboard"

# 2. PostgreSQL and S3, shared by every replica.
pick_app_database
pick_app_s3

# 3. The replicas, all at once.
fleet_logs="$FLEET_LOG_DIR"
mkdir -p "$fleet_logs"
pids=() logs=() metrics_urls=()
for port in "${ports[@]}"; do
  metrics_port=""
  if [[ -n "$metrics" ]]; then
    metrics_port=$((port + 1000))
    if ((metrics_port > 65535)) || [[ -n "${seen[$metrics_port]:-}" ]] || ! port_free "$metrics_port"; then
      metrics_port="$(free_port)"
    fi
    seen[$metrics_port]=1
  fi
  BACKEND_ENV=()
  backend_var DATABASE_URL "$APP_RUN_DATABASE_URL"
  backend_var S3_ENDPOINT "$APP_RUN_S3_ENDPOINT"
  backend_var S3_BUCKET "${S3_BUCKET:-$DEFAULT_S3_BUCKET}"
  backend_var S3_ACCESS_KEY "$APP_RUN_S3_ACCESS_KEY"
  backend_var S3_SECRET_KEY "$APP_RUN_S3_SECRET_KEY"
  backend_var S3_REGION "${S3_REGION:-$DEFAULT_S3_REGION}"
  backend_var BIND_ADDR "127.0.0.1:$port"
  backend_var STATIC_DIR "$SPA_DIR"
  backend_var RUST_LOG "${RUST_LOG:-$DEFAULT_RUST_LOG}"
  # Several replicas on one database: one batch writer each (docs/configuration.md).
  backend_var BATCH_WRITERS 1
  if [[ -n "$metrics_port" ]]; then
    backend_var METRICS_ADDR "127.0.0.1:$metrics_port"
    metrics_urls+=("http://127.0.0.1:$metrics_port/metrics")
  else
    metrics_urls+=("off")
  fi
  logfile="$fleet_logs/$port.log"
  log "Starting postboard on 127.0.0.1:$port (log: ${logfile#"$ROOT"/})"
  start_backend "$bin" "$logfile"
  pids+=("$BACKEND_PID")
  logs+=("$logfile")
done

for i in "${!ports[@]}"; do
  wait_http "http://127.0.0.1:${ports[$i]}/ready" 90 "${pids[$i]}" ||
    die "the replica on port ${ports[$i]} did not become ready; its log:
$(tail -n 30 "${logs[$i]}")"
done

printf '\n%sPostboard fleet: %d replicas on one PostgreSQL and one S3%s\n' \
  "$_C_GREEN$_C_BOLD" "${#ports[@]}" "$_C_OFF"
for i in "${!ports[@]}"; do
  printf '  %shttp://localhost:%s%s   metrics: %s   log: %s\n' "$_C_BOLD" "${ports[$i]}" "$_C_OFF" \
    "${metrics_urls[$i]}" "${logs[$i]#"$ROOT"/}"
done
printf '\n  Open two of them in two tabs: a vote on one appears on the other. Ctrl-C stops them all.\n\n'

# 4. Follow the logs until Ctrl-C, or until a replica exits (then stop the others).
start_bg logs - tail -n 0 -F "${logs[@]}"
status=0
wait -n "${pids[@]}" || status=$?
warn "a replica exited (status $status); stopping the fleet"
exit 1
