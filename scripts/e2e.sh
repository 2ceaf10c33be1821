#!/usr/bin/env bash
# make e2e — the Playwright tests in real Chromium against the real backend.
#
# Installs Chromium with apt when /usr/bin/chromium is missing, builds the SPA and the backend
# (debug, the same binary `cargo test` builds, so after `cargo test` this costs nothing), creates
# a FRESH database `postboard_e2e`, starts s3s-fs on a free port with a temporary folder and the
# backend on a free port, waits for /ready, runs `npm run e2e` with E2E_BASE_URL, and stops
# everything it started afterwards (also on failure or Ctrl-C).
#
# TEST_DATABASE_URL (an admin URL that may create databases) is used when set, as in CI.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup

E2E_DB="postboard_e2e"

ensure_chromium
build_spa

build_test_binaries
bin="$DEBUG_BIN"

ensure_postgres
fresh_database "$E2E_DB"
logs_dir="$(mktemp -d "${TMPDIR:-/tmp}/postboard-e2e-logs.XXXXXX")"
start_throwaway_s3s_fs postboard-e2e-s3 e2e-access-key e2e-secret-key "$logs_dir/s3s-fs.log"

port="$(free_port)"
test_backend_env "$FRESH_DATABASE_URL" e2e-access-key e2e-secret-key "$port" "$SPA_DIR" \
  "${RUST_LOG:-$DEFAULT_RUST_LOG}"
# Two reports hide a post. Every page of the tests is the same client (127.0.0.1); loopback is
# a trusted proxy, so a test speaks as another client with X-Forwarded-For (e2e/support.ts,
# reportAs): reports.spec.ts hides a post with a second client's report, moderation.spec.ts
# leaves a reported post visible for the moderator to remove.
backend_var REPORTS_TO_HIDE 2
backend_var TRUSTED_PROXIES "127.0.0.1/32"
start_backend "$bin" "$logs_dir/postboard.log"
base_url="http://127.0.0.1:$port"
if ! wait_http "$base_url/ready" 90 "$BACKEND_PID"; then
  echo "---- last lines of the backend log ($logs_dir/postboard.log) ----"
  tail -n 40 "$logs_dir/postboard.log" || true
  die "the backend did not become ready"
fi
ok "backend ready at $base_url (log: $logs_dir/postboard.log)"
# A moderator for moderation.spec.ts: the binary prints the token on its last line.
moderator_token="$(DATABASE_URL="$FRESH_DATABASE_URL" "$bin" moderator add e2e-moderator | tail -n 1)"
[[ -n "$moderator_token" ]] || die "postboard moderator add printed no token"

log "npm run e2e (E2E_BASE_URL=$base_url)"
status=0
(cd "$FRONTEND_DIR" && E2E_BASE_URL="$base_url" E2E_MODERATOR_TOKEN="$moderator_token" \
  npm run e2e </dev/null) || status=$?
if ((status != 0)); then
  echo "---- last lines of the backend log ($logs_dir/postboard.log) ----"
  tail -n 40 "$logs_dir/postboard.log" || true
fi
exit "$status"
