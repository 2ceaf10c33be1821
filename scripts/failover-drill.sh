#!/usr/bin/env bash
# make failover-drill — a database failover under load, with its figures (README, "Failover").
#
# The drill is the test `failover_drill_loses_no_acknowledged_write_and_recovers_within_5_s` in
# backend/tests/replication.rs (so `cargo test`, and `make test`, run it too): a primary and a
# synchronous standby of its own (initdb and pg_basebackup -R, from PostgreSQL's binaries, run
# as `postgres`), PgBouncer in front (transaction mode, and a session-mode entry for LISTEN),
# two app servers, creates, votes and reads on both. It kills the primary, promotes the
# standby, repoints PgBouncer (RELOAD), and checks that every acknowledged write is on the new
# primary, that requests succeed again within 5 s, and that live clients are told to resync.
# This script makes sure PostgreSQL (whose server binaries the test runs) and PgBouncer are installed,
# then runs that test alone and prints its figures.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
install_cleanup
ensure_postgres
ensure_pgbouncer
export TEST_DATABASE_URL="$PG_ADMIN_URL"
cargo test -p postboard --test replication failover_drill -- --nocapture
