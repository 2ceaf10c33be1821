#!/usr/bin/env bash
# make test-backend — `cargo test` for the whole workspace, with PostgreSQL, nginx and pgbouncer made sure
# of first (see ensure_postgres and ensure_nginx in lib/; TEST_DATABASE_URL from the
# environment wins). Extra arguments go to cargo test, e.g. `scripts/test-backend.sh votes`.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup
ensure_postgres
ensure_nginx
ensure_pgbouncer
export TEST_DATABASE_URL="$PG_ADMIN_URL"
cargo test --workspace "$@"
