#!/usr/bin/env bash
# scripts/sqlx-prepare.sh [--check] — the offline data of sqlx's compile-time-checked queries.
#
# The query macros of backend/src/repository check every statement against the schema when the
# code compiles. Builds use the data committed in .sqlx/ (SQLX_OFFLINE, .cargo/config.toml), so
# they need no database. This script makes a FRESH database `postboard_sqlx` (or
# `$SQLX_PREPARE_DB`, so that two checkouts can run it at once), applies migrations/ to it, and
# runs `cargo sqlx prepare --workspace`:
#   without --check: rewrites .sqlx/ (commit it with the query or migration that changed);
#   with --check: fails when .sqlx/ does not match the queries and the schema (make test does).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup

check=()
case "${1:-}" in
  --check) check=(--check) ;;
  "") ;;
  *) die "usage: scripts/sqlx-prepare.sh [--check]" ;;
esac

ensure_sqlx_cli
ensure_postgres
fresh_database "${SQLX_PREPARE_DB:-postboard_sqlx}"
sqlx migrate run --source migrations --database-url "$FRESH_DATABASE_URL"
DATABASE_URL="$FRESH_DATABASE_URL" SQLX_OFFLINE=false cargo sqlx prepare --workspace "${check[@]}"
