# shellcheck shell=bash
# The builds the scripts share (part of scripts/lib.sh; source that): the test build and its
# binaries, clippy linting it on the way, and sqlx's queries described to a fresh database.

# build_test_binaries — the test build's binaries, as `cargo test` makes them: the debug
# server (sets DEBUG_BIN) and the S3 server. Nothing is compiled after `cargo test`.
build_test_binaries() {
  log "Building the backend (cargo test --no-run: the binaries of the test build)"
  cargo test --no-run --workspace
  DEBUG_BIN="$TARGET_DIR/debug/postboard"
}

# lint_builds — from here on, the cargo builds of this script (and of the scripts it runs) pass
# the workspace's own crates through clippy with -D warnings: clippy-driver as rustc's workspace
# wrapper compiles exactly as rustc does, and lints. `make test` so compiles the workspace once
# for clippy and the tests, instead of also running clippy's check build of every dependency
# (4.5 minutes cold). Dependencies are built by plain rustc either way.
lint_builds() {
  local driver
  driver="$(command -v clippy-driver)" && "$driver" --version >/dev/null 2>&1 ||
    die "clippy is not installed: rustup component add clippy"
  export RUSTC_WORKSPACE_WRAPPER="$driver"
  # How `cargo clippy -- -D warnings` hands its arguments to clippy-driver.
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

# unlint_builds — builds without clippy again (the workspace's crates compile once more).
unlint_builds() {
  unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
}

# describe_queries_into DIR — prepares a build whose sqlx query macros describe their
# statements to a FRESH database (postboard_sqlx, or $SQLX_PREPARE_DB, so that two checkouts can
# do it at once) with migrations/ applied by psql, and write what they learn into DIR, as
# `cargo sqlx prepare` does. Sets SQLX_DESCRIBE_ENV, the environment of that build:
# `env "${SQLX_DESCRIBE_ENV[@]}" cargo ...`.
describe_queries_into() {
  local dir="$1" migration
  ensure_postgres
  fresh_database "${SQLX_PREPARE_DB:-postboard_sqlx}"
  for migration in "$ROOT"/migrations/*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$FRESH_DATABASE_URL" -f "$migration" >/dev/null ||
      die "migration $migration failed"
  done
  # The macros run only when their crate compiles: touching the library (whose change rebuilds
  # the binary and the tests too) and every other file that names a query macro makes cargo
  # compile them again.
  touch "$ROOT/backend/src/lib.rs"
  grep -rlE --include='*.rs' 'query(_as|_scalar)?!' "$ROOT/backend" | xargs -r touch
  SQLX_DESCRIBE_ENV=(DATABASE_URL="$FRESH_DATABASE_URL" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$dir")
}

# check_described DIR — fails when .sqlx/ differs from what a build described into DIR: a
# query or a migration changed without .sqlx/.
check_described() {
  if ! diff -r --brief "$ROOT/.sqlx" "$1"; then
    die ".sqlx/ does not match the queries and migrations: run scripts/sqlx-prepare.sh and commit .sqlx/"
  fi
  ok ".sqlx/ matches the queries and migrations"
}
