#!/usr/bin/env bash
# make test — every gate, then a summary (the last lines say what passed):
#
#   cargo fmt --check · PostgreSQL (started when needed) · the test build, linted by clippy with
#   -D warnings, its query macros describing their statements to a fresh database · sqlx
#   prepare --check (.sqlx/ matches what they described) · cargo test · cargo test (through
#   PgBouncer): the API suite again through Debian's pgbouncer · backup drill
#   (scripts/backup-drill.sh, on the binary cargo test built) · npm run lint · npm run
#   format:check · npm test · e2e (scripts/e2e.sh).
#   In the background from the start, each shown before the first gate that needs it:
#   check-deploy (the Kubernetes manifests, docker-compose.yml and the Dockerfile through their
#   validators) · apt (nginx, pgbouncer and chromium, when missing) · npm ci (when needed).
#
# A failing gate does not stop the later ones (the summary shows them all), except that the
# frontend gates do not run when `npm ci` fails, and nothing after "PostgreSQL" runs when no
# PostgreSQL can be had (the background gates are still reported). Exit status: 0 only when
# every gate passed.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup
export CI="${CI:-true}"
# The API tests wait on sockets and timers as much as on the CPU: four at a time finish the
# suite in about 52 s instead of 70 on this 2-core machine (the replication tests run one at a
# time whatever this says).
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"

PLANNED=("cargo fmt --check" "PostgreSQL" "cargo clippy + test build" "sqlx prepare --check"
  "check-deploy" "apt: nginx, pgbouncer, chromium" "cargo test" "cargo test (through PgBouncer)"
  "backup drill" "npm ci" "npm run lint" "npm run format:check" "npm test"
  "e2e (Playwright, Chromium)")
GATE_NAMES=()
GATE_RESULTS=()
GATE_SECONDS=()

record() { # NAME RESULT SECONDS
  GATE_NAMES+=("$1")
  GATE_RESULTS+=("$2")
  GATE_SECONDS+=("$3")
}

header() { printf '\n%s======== %s ========%s\n' "$_C_BOLD" "$1" "$_C_OFF"; }

# gate NAME CMD... — runs CMD in a subshell (output straight to this terminal) and records the
# result; a failure is reported, and the next gates still run.
gate() {
  local name="$1" start status=0
  shift
  header "$name"
  start=$SECONDS
  ("$@") || status=$?
  if ((status == 0)); then
    record "$name" PASS $((SECONDS - start))
  else
    record "$name" FAIL $((SECONDS - start))
    printf '%s-------- %s FAILED (exit %s) --------%s\n' "$_C_RED" "$name" "$status" "$_C_OFF"
  fi
}

last_passed() { [[ "${GATE_RESULTS[${#GATE_RESULTS[@]} - 1]}" == PASS ]]; }

# Gates that mostly wait on the network and the disk (pip, apt and npm installs) run one after
# another in the background from the start, while the build takes the CPU; in that order they
# never race for apt's lock or node_modules. Each step leaves its output, seconds and exit
# status in BACKGROUND_DIR/INDEX.*, and is shown and recorded where a later gate needs it.
BACKGROUND_DIR="$(mktemp -d)"
CLEANUP_DIRS+=("$BACKGROUND_DIR")
BACKGROUND_GATES=("check-deploy" "apt: nginx, pgbouncer, chromium" "npm ci")
BACKGROUND_PID=""

background_step() { # INDEX CMD...
  local index="$1" start=$SECONDS status=0
  shift
  ("$@") >"$BACKGROUND_DIR/$index.log" 2>&1 </dev/null || status=$?
  echo "$((SECONDS - start))" >"$BACKGROUND_DIR/$index.seconds"
  echo "$status" >"$BACKGROUND_DIR/$index.status" # last: the step is over
}

# await_gate NAME — waits for the background gate NAME, shows its output and records it.
await_gate() {
  local name="$1" index=0 status
  while [[ "${BACKGROUND_GATES[$index]}" != "$name" ]]; do index=$((index + 1)); done
  header "$name (ran in the background)"
  while [[ ! -f "$BACKGROUND_DIR/$index.status" ]] && kill -0 "$BACKGROUND_PID" 2>/dev/null; do
    sleep 1
  done
  cat "$BACKGROUND_DIR/$index.log" 2>/dev/null || true
  status="$(cat "$BACKGROUND_DIR/$index.status" 2>/dev/null || echo "none")"
  if [[ "$status" == 0 ]]; then
    record "$name" PASS "$(cat "$BACKGROUND_DIR/$index.seconds")"
  else
    record "$name" FAIL "$(cat "$BACKGROUND_DIR/$index.seconds" 2>/dev/null || echo 0)"
    printf '%s-------- %s FAILED (exit %s) --------%s\n' "$_C_RED" "$name" "$status" "$_C_OFF"
  fi
}

recorded() { # NAME
  local i
  for i in "${!GATE_NAMES[@]}"; do [[ "${GATE_NAMES[$i]}" == "$1" ]] && return 0; done
  return 1
}

# The summary is printed on any exit, so even an unexpected stop says what ran and what did not.
SUMMARY_DONE=""
summary() {
  [[ -n "$SUMMARY_DONE" ]] && return 0
  SUMMARY_DONE=1
  local name i color passed=0 failed=()
  # A background gate is reported even when the script stopped early (no PostgreSQL, say).
  if [[ -n "$BACKGROUND_PID" ]]; then
    for name in "${BACKGROUND_GATES[@]}"; do
      recorded "$name" || await_gate "$name"
    done
  fi
  for name in "${PLANNED[@]}"; do
    recorded "$name" || record "$name" "NOT RUN" 0
  done
  printf '\n%s======== make test: summary ========%s\n' "$_C_BOLD" "$_C_OFF"
  for i in "${!GATE_NAMES[@]}"; do
    if [[ "${GATE_RESULTS[$i]}" == PASS ]]; then
      color="$_C_GREEN"
      passed=$((passed + 1))
    else
      color="$_C_RED"
      failed+=("${GATE_NAMES[$i]}")
    fi
    printf '%s%-7s%s %-32s %5ss\n' "$color" "${GATE_RESULTS[$i]}" "$_C_OFF" "${GATE_NAMES[$i]}" \
      "${GATE_SECONDS[$i]}"
  done
  if ((${#failed[@]} == 0)); then
    printf '%smake test: all %d gates passed.%s\n' "$_C_GREEN$_C_BOLD" "$passed" "$_C_OFF"
  else
    local joined
    joined="$(printf '%s; ' "${failed[@]}")"
    printf '%smake test: %d passed, %d failed or not run: %s%s\n' "$_C_RED$_C_BOLD" "$passed" \
      "${#failed[@]}" "${joined%; }" "$_C_OFF"
  fi
}
on_exit() {
  local status=$?
  cleanup
  summary
  local result
  for result in "${GATE_RESULTS[@]}"; do
    [[ "$result" == PASS ]] || ((status != 0)) || status=1
  done
  exit "$status"
}
trap on_exit EXIT

# The functions below are called through `gate`.
# shellcheck disable=SC2317
install_test_packages() { ensure_nginx && ensure_pgbouncer && ensure_chromium; }
# shellcheck disable=SC2317
in_frontend() { cd "$FRONTEND_DIR" && "$@" </dev/null; }
# The API suite once more with every test app's DATABASE_URL through a real PgBouncer in
# transaction mode (backend/tests/api/pgbouncer.rs); it starts PgBouncer as the user postgres.
# shellcheck disable=SC2317
api_through_pgbouncer() {
  ensure_pgbouncer || return 1
  TEST_VIA_PGBOUNCER=1 timeout --kill-after=30s 20m cargo test --test api
}

# One build of the workspace serves clippy, the sqlx check and every test: clippy-driver lints
# it as it compiles (lint_builds), and its query macros describe their statements to a fresh
# database on the way (describe_queries_into). cargo clippy and cargo check would each make a
# check build of every dependency of their own (4.5 minutes cold), which nothing else uses.
# shellcheck disable=SC2317
build_for_tests() {
  describe_queries_into "$1"
  env "${SQLX_DESCRIBE_ENV[@]}" cargo test --workspace --no-run
}

(
  background_step 0 "$ROOT/scripts/check-deploy.sh"
  background_step 1 install_test_packages
  background_step 2 npm_ci_if_needed
) &
BACKGROUND_PID=$!

# ---- backend
gate "cargo fmt --check" cargo fmt --all -- --check

header "PostgreSQL"
start=$SECONDS
ensure_postgres # stops the script (with the summary) when PostgreSQL cannot be had
export TEST_DATABASE_URL="$PG_ADMIN_URL"
record "PostgreSQL" PASS $((SECONDS - start))

described="$(mktemp -d)"
CLEANUP_DIRS+=("$described")
lint_builds
gate "cargo clippy + test build" build_for_tests "$described"
if last_passed; then
  gate "sqlx prepare --check" check_described "$described"
else
  # A lint must not hide the tests' results: the rest builds without clippy (and the sqlx check
  # makes its own build).
  warn "the build failed with clippy; the next gates build without it"
  unlint_builds
  gate "sqlx prepare --check" "$ROOT/scripts/sqlx-prepare.sh" --check
fi
await_gate "check-deploy"
await_gate "apt: nginx, pgbouncer, chromium"
# A test that hangs fails its gate instead of using up CI's time (a cold `cargo test` builds
# and runs in about 12 minutes here, e2e in about 8).
# nginx first: a test runs it in front of two replicas (installed with apt when missing).
cargo_test() { ensure_nginx && ensure_pgbouncer && timeout --kill-after=30s 35m cargo test --workspace; }
gate "cargo test" cargo_test
gate "cargo test (through PgBouncer)" api_through_pgbouncer
# Backup while writing, restore, compare (docs/operations.md); reuses cargo test's debug binary.
gate "backup drill" timeout --kill-after=30s 15m "$ROOT/scripts/backup-drill.sh"

# ---- frontend
await_gate "npm ci"
if last_passed; then
  gate "npm run lint" in_frontend npm run lint
  gate "npm run format:check" in_frontend npm run format:check
  gate "npm test" in_frontend npm test
  gate "e2e (Playwright, Chromium)" timeout --kill-after=30s 25m "$ROOT/scripts/e2e.sh"
fi
# The EXIT trap prints the summary and sets the exit status.
