#!/usr/bin/env bash
# make test — every gate, in this order, then a summary (the last lines say what passed):
#
#   cargo fmt --check · cargo clippy -D warnings · cargo test (PostgreSQL started when needed) ·
#   npm ci (when needed) · npm run lint · npm run format:check · npm test · e2e (scripts/e2e.sh)
#
# A failing gate does not stop the later ones (the summary shows them all), except that the
# frontend gates are skipped when `npm ci` fails. Exit status: 0 only when every gate passed.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup
export CI="${CI:-true}"

GATE_NAMES=()
GATE_RESULTS=()
GATE_SECONDS=()

# gate NAME CMD... — runs CMD (output straight to this terminal) and records the result.
gate() {
  local name="$1" start status=0
  shift
  printf '\n%s======== %s ========%s\n' "$_C_BOLD" "$name" "$_C_OFF"
  start=$SECONDS
  "$@" || status=$?
  GATE_NAMES+=("$name")
  GATE_SECONDS+=($((SECONDS - start)))
  if ((status == 0)); then
    GATE_RESULTS+=(PASS)
  else
    GATE_RESULTS+=(FAIL)
    printf '%s-------- %s FAILED (exit %s) --------%s\n' "$_C_RED" "$name" "$status" "$_C_OFF"
  fi
  return 0
}

skip() {
  GATE_NAMES+=("$1")
  GATE_RESULTS+=(SKIP)
  GATE_SECONDS+=(0)
}

last_passed() { [[ "${GATE_RESULTS[${#GATE_RESULTS[@]} - 1]}" == PASS ]]; }

# The functions below are called through `gate`.
# shellcheck disable=SC2317
in_frontend() { (cd "$FRONTEND_DIR" && "$@" </dev/null); }

# shellcheck disable=SC2317
cargo_test() {
  ensure_postgres
  export TEST_DATABASE_URL="$PG_ADMIN_URL"
  cargo test --workspace
}

# ---- backend
gate "cargo fmt --check" cargo fmt --all -- --check
gate "cargo clippy" cargo clippy --all-targets -- -D warnings
gate "cargo test" cargo_test

# ---- frontend
gate "npm ci" npm_ci_if_needed
if last_passed; then
  gate "npm run lint" in_frontend npm run lint
  gate "npm run format:check" in_frontend npm run format:check
  gate "npm test" in_frontend npm test
  gate "e2e (Playwright, Chromium)" "$ROOT/scripts/e2e.sh"
else
  for name in "npm run lint" "npm run format:check" "npm test" "e2e (Playwright, Chromium)"; do
    skip "$name"
  done
fi

# ---- summary
failed=()
passed=0
printf '\n%s======== make test: summary ========%s\n' "$_C_BOLD" "$_C_OFF"
for i in "${!GATE_NAMES[@]}"; do
  case "${GATE_RESULTS[$i]}" in
    PASS) color="$_C_GREEN" passed=$((passed + 1)) ;;
    *) color="$_C_RED" failed+=("${GATE_NAMES[$i]}") ;;
  esac
  printf '%s%-4s%s  %-28s %4ss\n' "$color" "${GATE_RESULTS[$i]}" "$_C_OFF" "${GATE_NAMES[$i]}" "${GATE_SECONDS[$i]}"
done
if ((${#failed[@]} == 0)); then
  printf '%sAll %d gates passed.%s\n' "$_C_GREEN$_C_BOLD" "$passed" "$_C_OFF"
  exit 0
fi
joined="$(IFS=,; echo "${failed[*]}")"
printf '%s%d passed, %d failed or skipped: %s%s\n' "$_C_RED$_C_BOLD" "$passed" "${#failed[@]}" \
  "${joined//,/, }" "$_C_OFF"
exit 1
