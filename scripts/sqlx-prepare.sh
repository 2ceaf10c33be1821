#!/usr/bin/env bash
# scripts/sqlx-prepare.sh [--check] — the offline data of sqlx's compile-time-checked queries.
#
# The query macros of backend/src/repository check every statement against the schema when the
# code compiles. Builds use the data committed in .sqlx/ (SQLX_OFFLINE, .cargo/config.toml), so
# they need no database. This script compiles the workspace (`cargo check`) with the macros
# online instead (describe_queries_into, scripts/lib/build.sh): each one describes its statement
# to a fresh database with migrations/ applied and writes the data to a folder of its own,
# which is what `cargo sqlx prepare` does, without installing sqlx-cli (~3 minutes of build on a
# fresh machine). Then:
#   without --check: replaces .sqlx/ with it (commit it with the query or migration that changed);
#   with --check: fails when .sqlx/ differs from it: a query or migration changed without .sqlx/
#   (make test checks the same on its test build).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup

check=""
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) die "usage: scripts/sqlx-prepare.sh [--check]" ;;
esac

described="$(mktemp -d)"
CLEANUP_DIRS+=("$described")
describe_queries_into "$described"
env "${SQLX_DESCRIBE_ENV[@]}" cargo check --workspace --all-targets --quiet

if [[ -n "$check" ]]; then
  check_described "$described"
else
  rm -f .sqlx/query-*.json
  cp "$described"/query-*.json .sqlx/
  ok ".sqlx/ rewritten ($(find .sqlx -name 'query-*.json' | wc -l) queries)"
fi
