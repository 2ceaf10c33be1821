# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It sources its parts, in scripts/lib/:
#   defaults.sh   the shared defaults: ROOT, folders, ports, bucket, keys, tool versions
#   common.sh     log/ok/warn/die, have, apt_install, port_free/free_port, http waits
#   processes.sh  start_bg/stop_bg, cleanup and install_cleanup
#   postgres.sh   ensure_postgres (finds or starts PostgreSQL), psql_admin, fresh_database
#   tools.sh      the S3 server, Python tools in .tools/; backup tools, chromium, nginx,
#                 pgbouncer with apt
#   app.sh        the app's database and S3 (pick_app_*), s3s-fs servers, backend_var,
#                 test_backend_env, start_backend, npm ci and the SPA build
#   build.sh      the test build and its binaries, clippy on the way (lint_builds), sqlx's
#                 queries described to a fresh database
#
# Conventions:
# - Everything a script starts in the background goes through `start_bg`, which records the PID
#   (a process-group leader, thanks to setsid); `cleanup` stops exactly those groups, newest
#   first, plus a private PostgreSQL cluster if this script started it. Nothing is ever stopped
#   by name.
# - The backend's environment is built only with `backend_var NAME VALUE` and used by
#   `start_backend`. backend/tests/repo_files/ checks every NAME against the variables the
#   server really reads (postboard::config::Settings), so a renamed variable fails a test, and
#   the DEFAULT_<VARIABLE> values of defaults.sh against the server's defaults.

set -euo pipefail

# shellcheck source=scripts/lib/defaults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/defaults.sh"
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"
# shellcheck source=scripts/lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/tools.sh
source "$ROOT/scripts/lib/tools.sh"
# shellcheck source=scripts/lib/app.sh
source "$ROOT/scripts/lib/app.sh"
# shellcheck source=scripts/lib/build.sh
source "$ROOT/scripts/lib/build.sh"
