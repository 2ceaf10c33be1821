#!/usr/bin/env bash
# make backup-drill — a backup taken while writes go on, restored into a fresh database and a
# fresh bucket, and compared through the API (docs/operations.md, "Checking a restore").
#
# Builds the backend as scripts/e2e.sh does (the debug binary of `cargo test --no-run`: nothing
# to build after `cargo test`; POSTBOARD_BIN=path uses another binary), starts PostgreSQL as
# needed, a source board (database postboard_backup_src, a throwaway s3s-fs) and seeds it
# (scripts/backup-drill.py seed). While a writer creates posts and votes, scripts/backup.sh
# backs it up. Then scripts/restore.sh restores into database postboard_backup_restored and a
# second, empty s3s-fs, a second app starts on them, and scripts/backup-drill.py check compares
# the boards: PASS/FAIL per point, exit 1 on a failure. Stops everything it started.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup
drill="$ROOT/scripts/backup-drill.py"

bin="${POSTBOARD_BIN:-}"
if [[ -z "$bin" ]]; then
  build_test_binaries
  bin="$DEBUG_BIN"
fi
ensure_backup_tools
ensure_postgres
work="$(mktemp -d "${TMPDIR:-/tmp}/postboard-backup-drill.XXXXXX")"
CLEANUP_DIRS+=("$work")
static="$work/static" # no SPA needed: the drill speaks to the API
mkdir -p "$static"

# start_app NAME DATABASE_URL — the app on a free port, on that database and the s3s-fs at
# S3_URL; sets APP_URL.
start_app() {
  local port
  port="$(free_port)"
  test_backend_env "$2" drill-key drill-secret "$port" "$static" "${RUST_LOG:-warn}"
  start_backend "$bin" "$work/$1.log"
  APP_URL="http://127.0.0.1:$port"
  wait_http "$APP_URL/ready" 90 "$BACKEND_PID" || die "the $1 app did not start:
$(tail -n 30 "$work/$1.log")"
  ok "$1 board at $APP_URL"
}

fresh_database postboard_backup_src
src_db="$FRESH_DATABASE_URL"
start_throwaway_s3s_fs postboard-backup-src-s3 drill-key drill-secret "$work/source-s3s-fs.log"
src_s3="$S3_URL"
start_app source "$src_db"
src_url="$APP_URL"
python3 "$drill" seed "$src_url" "$work/state.json"

log "Backing up while a writer creates posts and votes"
start_bg writer "$work/writer.log" python3 "$drill" write "$src_url" "$work/writes.jsonl" "$work/stop"
writer_pid="$BG_PID"
sleep 2
DATABASE_URL="$src_db" S3_ENDPOINT="$src_s3" S3_ACCESS_KEY=drill-key S3_SECRET_KEY=drill-secret \
  "$ROOT/scripts/backup.sh" "$work/backup"
sleep 1
touch "$work/stop"
wait "$writer_pid" || die "the writer failed: $(cat "$work/writer.log")"
stop_bg "$writer_pid" writer # (already exited: only forgets its PID)
cat "$work/writer.log"

log "Restoring into a fresh database and a fresh bucket"
fresh_database postboard_backup_restored
restored_db="$FRESH_DATABASE_URL"
start_throwaway_s3s_fs postboard-backup-restored-s3 drill-key drill-secret "$work/restored-s3s-fs.log"
DATABASE_URL="$restored_db" S3_ENDPOINT="$S3_URL" S3_ACCESS_KEY=drill-key S3_SECRET_KEY=drill-secret \
  "$ROOT/scripts/restore.sh" "$work/backup"
start_app restored "$restored_db"
restored_url="$APP_URL"

log "Comparing the restored board ($restored_url) with the source ($src_url)"
python3 "$drill" check "$src_url" "$restored_url" "$work/state.json" "$work/writes.jsonl" "$work/backup"
