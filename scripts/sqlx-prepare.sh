#!/usr/bin/env bash
# scripts/sqlx-prepare.sh [--check] — the offline data of sqlx's compile-time-checked queries.
#
# The query macros of backend/src/repository check every statement against the schema when the
# code compiles. Builds use the data committed in .sqlx/ (SQLX_OFFLINE, .cargo/config.toml), so
# they need no database. This script makes a FRESH database `postboard_sqlx` (or
# `$SQLX_PREPARE_DB`, so that two checkouts can run it at once), applies migrations/ to it with
# psql, and compiles the workspace (`cargo check`) with the macros online: each one describes its
# statement to that database and writes the data to a folder of its own (`SQLX_OFFLINE_DIR`),
# which is what `cargo sqlx prepare` does, without installing sqlx-cli (~3 minutes of build on a
# fresh machine). Then:
#   without --check: replaces .sqlx/ with it (commit it with the query or migration that changed);
#   with --check: fails when .sqlx/ differs from it: a query or migration changed without .sqlx/
#   (make test does this).
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

ensure_postgres
fresh_database "${SQLX_PREPARE_DB:-postboard_sqlx}"
for migration in migrations/*.sql; do
  psql -X -q -v ON_ERROR_STOP=1 -d "$FRESH_DATABASE_URL" -f "$migration" >/dev/null ||
    die "migration $migration failed"
done

described="$(mktemp -d)"
CLEANUP_DIRS+=("$described")
# The macros run only when their crate compiles: touching the library (whose change rebuilds
# the binary and the tests too) and every other file that names a query macro makes cargo
# compile them again.
touch backend/src/lib.rs
grep -rlE --include='*.rs' 'query(_as|_scalar)?!' backend | xargs -r touch
DATABASE_URL="$FRESH_DATABASE_URL" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$described" \
  cargo check --workspace --all-targets --quiet

if [[ -n "$check" ]]; then
  if ! diff -r --brief .sqlx "$described"; then
    die ".sqlx/ does not match the queries and migrations: run scripts/sqlx-prepare.sh and commit .sqlx/"
  fi
  ok ".sqlx/ matches the queries and migrations"
else
  rm -f .sqlx/query-*.json
  cp "$described"/query-*.json .sqlx/
  ok ".sqlx/ rewritten ($(find .sqlx -name 'query-*.json' | wc -l) queries)"
fi
