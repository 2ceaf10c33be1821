# shellcheck shell=bash
# shellcheck disable=SC2034 # many variables set here are read by the scripts that source this
# Shared helpers for the scripts in this folder. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Conventions:
# - Everything a script starts in the background goes through `start_bg`, which records the PID
#   (a process-group leader, thanks to setsid); `cleanup` stops exactly those groups, newest
#   first, plus a private PostgreSQL cluster if this script started it. Nothing is ever stopped
#   by name.
# - The backend's environment is built only with `backend_var NAME VALUE` and used by
#   `start_backend`. backend/tests/repo_files.rs checks every NAME against the variables the
#   server really reads (postboard::config::ENV_VARS), so a renamed variable fails a test.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
DATA_DIR="$ROOT/.data"
TOOLS_DIR="$ROOT/.tools"
FRONTEND_DIR="$ROOT/frontend"
SPA_DIR="$FRONTEND_DIR/dist/postboard/browser"
S3S_FS_VERSION="0.14.1"
# sqlx-cli checks (and refreshes) the offline query data in .sqlx/; same version as sqlx.
SQLX_CLI_VERSION="0.8.6"

# The app's role and database (the same as docker-compose.yml and the backend's defaults).
APP_DB_USER="app"
APP_DB_PASSWORD="secret"
APP_DB_NAME="appdb"

# Keep the Angular CLI from asking questions, and npm quiet about funding.
export NG_CLI_ANALYTICS=false
export NPM_CONFIG_FUND=false
export NPM_CONFIG_UPDATE_NOTIFIER=false

# ---------------------------------------------------------------------------------------------
# Messages

if [[ -t 1 ]]; then
  _C_BOLD=$'\e[1m' _C_RED=$'\e[31m' _C_GREEN=$'\e[32m' _C_YELLOW=$'\e[33m' _C_OFF=$'\e[0m'
else
  _C_BOLD='' _C_RED='' _C_GREEN='' _C_YELLOW='' _C_OFF=''
fi

log() { printf '%s==> %s%s\n' "$_C_BOLD" "$*" "$_C_OFF"; }
ok() { printf '%s  ok%s %s\n' "$_C_GREEN" "$_C_OFF" "$*"; }
warn() { printf '%swarning:%s %s\n' "$_C_YELLOW" "$_C_OFF" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$_C_RED" "$_C_OFF" "$*" >&2
  exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

# apt_install PKG... — as root installs with apt (updating the lists once when needed); otherwise
# prints the exact command to run and fails.
apt_install() {
  if ! is_root; then
    die "missing: $*. Install it with:  sudo apt-get install -y $*"
  fi
  have apt-get || die "missing: $* (and apt-get is not available to install it)"
  log "Installing $* with apt"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y "$@"; then
    apt-get -o DPkg::Lock::Timeout=600 update
    apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# Ports and waiting

# port_free PORT — true when nothing listens on 127.0.0.1:PORT (a server could bind it; like
# servers do, SO_REUSEADDR ignores connections of a stopped server still in TIME_WAIT).
port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# free_port — prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http_code URL — prints the HTTP status of URL, or 000 when nothing answers.
http_code() {
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$1" 2>/dev/null || true
}

# http_answers URL — true when anything speaks HTTP at URL (any status, even 403).
http_answers() {
  local code
  code="$(http_code "$1")"
  [[ -n "$code" && "$code" != "000" ]]
}

# wait_http URL SECONDS [PID] — waits until URL answers 200; fails early when PID dies.
wait_http() {
  local url="$1" timeout="$2" pid="${3:-}" waited=0
  until [[ "$(http_code "$url")" == "200" ]]; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      warn "the process behind $url (PID $pid) exited"
      return 1
    fi
    if ((waited >= timeout * 2)); then
      warn "$url did not answer 200 within ${timeout}s"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# wait_any_http URL SECONDS [PID] — like wait_http, but any HTTP status will do.
wait_any_http() {
  local url="$1" timeout="$2" pid="${3:-}" waited=0
  until http_answers "$url"; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      warn "the process behind $url (PID $pid) exited"
      return 1
    fi
    if ((waited >= timeout * 2)); then
      warn "$url did not answer within ${timeout}s"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# ---------------------------------------------------------------------------------------------
# Background processes and cleanup

BG_PIDS=()
BG_NAMES=()
CLEANUP_DIRS=()          # temporary folders removed on exit
PG_STARTED_DATA_DIR=""   # set when this script started a private PostgreSQL cluster
PG_STARTED_SYSTEM=""     # "version cluster" when this script started a Debian system cluster
_CLEANED_UP=""

# start_bg NAME LOGFILE CMD... — starts CMD in its own process group (setsid), output to LOGFILE
# ("-" keeps it on this terminal). Sets BG_PID.
start_bg() {
  local name="$1" logfile="$2"
  shift 2
  if [[ "$logfile" == "-" ]]; then
    setsid "$@" &
  else
    setsid "$@" >"$logfile" 2>&1 &
  fi
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
  BG_NAMES+=("$name")
}

# stop_pid PID NAME — SIGTERM to the process group, then SIGKILL after 10 s.
stop_pid() {
  local pid="$1" name="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (PID $pid) ignored SIGTERM; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  echo "stopped $name (PID $pid)"
}

# stop_bg PID NAME — stop_pid, and forget PID: a script that starts and stops many servers
# (bench/run.sh restarts one per run) must not leave `cleanup` a list of PIDs that the system
# may since have given to someone else's processes.
stop_bg() {
  stop_pid "$1" "$2"
  local i
  for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
    if [[ "${BG_PIDS[$i]}" == "$1" ]]; then
      BG_PIDS=("${BG_PIDS[@]:0:i}" "${BG_PIDS[@]:i+1}")
      BG_NAMES=("${BG_NAMES[@]:0:i}" "${BG_NAMES[@]:i+1}")
    fi
  done
}

# cleanup — stops what this script started, newest first. Installed by `install_cleanup`.
cleanup() {
  [[ -n "$_CLEANED_UP" ]] && return 0
  _CLEANED_UP=1
  # Ctrl-C also ends a pipe reader (`make run | tee log`): a failed write (SIGPIPE, or an
  # error under `set -e`) must not end the cleanup half-way, leaving servers running. Nor may a
  # second signal: make passes a SIGTERM on to this script after the process group got it
  # too, and an impatient second Ctrl-C is common. (Each stop is bounded: 10 s, then SIGKILL.)
  trap '' PIPE INT TERM
  set +e
  local i
  for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${BG_PIDS[$i]}" "${BG_NAMES[$i]}"
  done
  if [[ -n "$PG_STARTED_DATA_DIR" ]]; then
    if as_pg_owner "$(pg_bindir)/pg_ctl" -D "$PG_STARTED_DATA_DIR" -m fast -w stop >/dev/null 2>&1; then
      echo "stopped the private PostgreSQL cluster ($PG_STARTED_DATA_DIR)"
    else
      warn "could not stop the private PostgreSQL cluster in $PG_STARTED_DATA_DIR"
    fi
  fi
  for ((i = 0; i < ${#CLEANUP_DIRS[@]}; i++)); do
    rm -rf -- "${CLEANUP_DIRS[$i]}"
  done
  if [[ -n "$PG_STARTED_SYSTEM" ]]; then
    # shellcheck disable=SC2086 # "version cluster" are two words on purpose
    if pg_ctlcluster --skip-systemctl-redirect $PG_STARTED_SYSTEM stop; then
      echo "stopped the PostgreSQL cluster $PG_STARTED_SYSTEM that this script started"
    fi
  fi
}

# A signal's trap ignores any further INT or TERM first: one arriving while the shell exits
# would otherwise run its trap again and end the cleanup before it began.
install_cleanup() {
  trap cleanup EXIT
  trap 'trap "" INT TERM; exit 130' INT
  trap 'trap "" INT TERM; exit 143' TERM
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
#
# ensure_postgres sets:
#   PG_HOST, PG_PORT       where PostgreSQL answers
#   PG_ADMIN_URL           a URL that may create and drop databases (used by cargo test and e2e)
#   APP_DATABASE_URL       postgres://app:secret@.../appdb (role and database created if missing)
#
# Order of preference:
#   0. TEST_DATABASE_URL set in the environment: it is the admin URL; nothing is started.
#   1. A private cluster exists in .data/postgres (from an earlier run): use it, start it if it is
#      not running (and stop it again on exit).
#   2. Something answers on 127.0.0.1:5432: use it (case a). The admin is `postgres` over TCP
#      (trust auth, as on this machine); when that is refused and we are root, `postgres` over the
#      Unix socket (Debian's default peer auth) creates the role, and the app role gets CREATEDB
#      to serve as the test admin.
#   3. PostgreSQL is installed but not running (case b): initialise a private cluster in
#      .data/postgres (git-ignored; initdb runs as the `postgres` user when we are root, since
#      initdb refuses root), listening on 127.0.0.1 only, port 5432 when free, trust auth for
#      local development, and stop it on exit. If the `postgres` user cannot reach the checkout
#      (e.g. it lives under /root), start the Debian system cluster with pg_ctlcluster instead.
#   4. Not installed (case c): `apt-get install -y postgresql` as root, then 2 or 3; otherwise
#      print the command and stop.

PG_PRIVATE_HOME="$DATA_DIR/postgres"
PG_PRIVATE_DATA="$PG_PRIVATE_HOME/data"

# pg_bindir — the folder with initdb/pg_ctl (PATH first, then Debian's newest version).
pg_bindir() {
  if have pg_ctl && have initdb; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -n "$dir" && -x "$dir/pg_ctl" && -x "$dir/initdb" ]]; then
    echo "$dir"
    return 0
  fi
  return 1
}

# as_pg_owner CMD... — runs CMD as the `postgres` user when we are root, else as ourselves.
as_pg_owner() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_answers() { # HOST PORT
  if have pg_isready; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

# psql_admin SQL — runs SQL with admin rights on PG_HOST:PG_PORT (via PG_ADMIN_PSQL).
psql_admin() {
  "${PG_ADMIN_PSQL[@]}" -v ON_ERROR_STOP=1 -qtAX -c "$1"
}

# ensure_app_database — role `app` (password `secret`) and database `appdb` owned by it. Idempotent.
ensure_app_database() {
  if [[ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$APP_DB_USER'")" != "1" ]]; then
    psql_admin "CREATE ROLE $APP_DB_USER LOGIN PASSWORD '$APP_DB_PASSWORD'"
    ok "created role $APP_DB_USER"
  fi
  if [[ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$APP_DB_NAME'")" != "1" ]]; then
    psql_admin "CREATE DATABASE $APP_DB_NAME OWNER $APP_DB_USER"
    ok "created database $APP_DB_NAME"
  fi
  APP_DATABASE_URL="postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$PG_PORT/$APP_DB_NAME"
}

# _use_running_postgres HOST PORT — picks the admin access for a server that answers.
_use_running_postgres() {
  PG_HOST="$1" PG_PORT="$2"
  local tcp_admin="postgres://postgres@$PG_HOST:$PG_PORT/postgres"
  if PGCONNECT_TIMEOUT=5 psql "$tcp_admin" -w -qtAX -c 'SELECT 1' >/dev/null 2>&1; then
    PG_ADMIN_PSQL=(psql "$tcp_admin" -w)
    PG_ADMIN_URL="$tcp_admin"
    ensure_app_database
    return 0
  fi
  if is_root && getent passwd postgres >/dev/null &&
    runuser -u postgres -- psql -p "$PG_PORT" -w -qtAX -c 'SELECT 1' >/dev/null 2>&1; then
    # Debian's default: peer auth on the socket, passwords over TCP. The app role (which has a
    # password) gets CREATEDB so it can stand in as the admin of the tests.
    PG_ADMIN_PSQL=(runuser -u postgres -- psql -p "$PG_PORT" -w)
    ensure_app_database
    psql_admin "ALTER ROLE $APP_DB_USER CREATEDB"
    PG_ADMIN_URL="postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$PG_PORT/postgres"
    PG_ADMIN_PSQL=(psql "$PG_ADMIN_URL" -w)
    return 0
  fi
  local app_url="postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$PG_PORT/$APP_DB_NAME"
  if PGCONNECT_TIMEOUT=5 psql "$app_url" -w -qtAX -c 'SELECT 1' >/dev/null 2>&1; then
    warn "PostgreSQL on $PG_HOST:$PG_PORT refuses the postgres superuser; using role $APP_DB_USER"
    APP_DATABASE_URL="$app_url"
    PG_ADMIN_URL="postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$PG_PORT/postgres"
    PG_ADMIN_PSQL=(psql "$PG_ADMIN_URL" -w)
    return 0
  fi
  die "PostgreSQL answers on $PG_HOST:$PG_PORT but neither postgres (trust) nor $APP_DB_USER/$APP_DB_PASSWORD may log in.
  Allow local trust for postgres in pg_hba.conf, or create the role yourself:
    CREATE ROLE $APP_DB_USER LOGIN CREATEDB PASSWORD '$APP_DB_PASSWORD'; CREATE DATABASE $APP_DB_NAME OWNER $APP_DB_USER;
  or point TEST_DATABASE_URL / DATABASE_URL at a server you can use."
}

# _private_cluster_port — the port recorded for the private cluster, if set.
_private_cluster_port() {
  [[ -f "$PG_PRIVATE_HOME/port" ]] && cat "$PG_PRIVATE_HOME/port"
}

# _private_home_usable — creates .data/postgres owned by the user that runs the server; false when
# that user cannot reach it (as root, `postgres` cannot enter a checkout under /root, say).
_private_home_usable() {
  mkdir -p "$PG_PRIVATE_HOME" || return 1
  if is_root; then
    getent passwd postgres >/dev/null || die "no 'postgres' user to run initdb as (initdb refuses root)"
    chown postgres: "$PG_PRIVATE_HOME" && chmod 700 "$PG_PRIVATE_HOME" || return 1
    runuser -u postgres -- test -w "$PG_PRIVATE_HOME" || return 1
  fi
}

# _start_private_cluster — initialises (once) and starts the cluster in .data/postgres.
# Call it only after _private_home_usable succeeded.
_start_private_cluster() {
  local bindir port pidfile
  bindir="$(pg_bindir)"
  pidfile="$PG_PRIVATE_DATA/postmaster.pid"
  if [[ -f "$PG_PRIVATE_DATA/PG_VERSION" ]] &&
    as_pg_owner "$bindir/pg_ctl" -D "$PG_PRIVATE_DATA" status >/dev/null 2>&1; then
    port="$(sed -n 4p "$pidfile")"
    log "Using the private PostgreSQL cluster already running in .data/postgres (port $port)"
    _use_running_postgres 127.0.0.1 "$port"
    return 0
  fi

  if [[ ! -f "$PG_PRIVATE_DATA/PG_VERSION" ]]; then
    log "Initialising a private PostgreSQL cluster in .data/postgres"
    as_pg_owner "$bindir/initdb" -D "$PG_PRIVATE_DATA" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C >"$PG_PRIVATE_HOME/initdb.log" 2>&1 ||
      die "initdb failed; see $PG_PRIVATE_HOME/initdb.log"
  fi

  port="$(_private_cluster_port || true)"
  if [[ -z "$port" ]] || ! port_free "$port"; then
    if port_free 5432; then port=5432; else port="$(free_port)"; fi
  fi
  echo "$port" >"$PG_PRIVATE_HOME/port"

  log "Starting the private PostgreSQL cluster on 127.0.0.1:$port"
  # TCP on loopback only; no Unix socket (its path could be too long inside a deep checkout).
  as_pg_owner "$bindir/pg_ctl" -D "$PG_PRIVATE_DATA" -l "$PG_PRIVATE_HOME/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null ||
    die "PostgreSQL did not start; see $PG_PRIVATE_HOME/server.log"
  PG_STARTED_DATA_DIR="$PG_PRIVATE_DATA"
  _use_running_postgres 127.0.0.1 "$port"
}

# _start_system_cluster — Debian's own cluster (fallback when .data is out of postgres's reach).
_start_system_cluster() {
  local ver="" name="" port="" status=""
  read -r ver name port status _ < <(pg_lsclusters -h | sort -V | tail -n 1) || true
  [[ -n "$ver" ]] || die "no PostgreSQL cluster to start (pg_lsclusters lists none)"
  if [[ "$status" != online* ]]; then
    log "Starting the system PostgreSQL cluster $ver/$name (stopped again on exit)"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
    PG_STARTED_SYSTEM="$ver $name"
  fi
  local i
  for i in $(seq 1 60); do
    pg_answers 127.0.0.1 "$port" && break
    sleep 0.5
  done
  _use_running_postgres 127.0.0.1 "$port"
}

ensure_postgres() {
  if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    PG_ADMIN_URL="$TEST_DATABASE_URL"
    PG_ADMIN_PSQL=(psql "$PG_ADMIN_URL" -w)
    have psql || apt_install postgresql-client
    APP_DATABASE_URL="${DATABASE_URL:-}"
    log "Using PostgreSQL from TEST_DATABASE_URL"
    return 0
  fi

  if [[ -f "$PG_PRIVATE_DATA/PG_VERSION" ]] && pg_bindir >/dev/null && _private_home_usable; then
    _start_private_cluster
    return 0
  fi

  if pg_answers 127.0.0.1 5432; then
    have psql || apt_install postgresql-client
    log "Using the PostgreSQL server on 127.0.0.1:5432"
    _use_running_postgres 127.0.0.1 5432
    return 0
  fi

  if ! pg_bindir >/dev/null; then
    log "PostgreSQL is not installed"
    apt_install postgresql
    # Debian's package starts its cluster when it can; use it if it answers.
    local i
    for i in $(seq 1 20); do
      pg_answers 127.0.0.1 5432 && break
      sleep 0.5
    done
    if pg_answers 127.0.0.1 5432; then
      _use_running_postgres 127.0.0.1 5432
      return 0
    fi
    pg_bindir >/dev/null || die "PostgreSQL was installed, but initdb/pg_ctl are not to be found"
  fi

  if _private_home_usable; then
    _start_private_cluster
    return 0
  fi
  warn "the postgres user cannot write to $PG_PRIVATE_HOME (is the checkout under /root?)"
  have pg_lsclusters ||
    die "could not start PostgreSQL. Start it yourself (e.g. pg_ctlcluster 15 main start) and retry."
  _start_system_cluster
}

# url_with_db URL DB — URL with its database (path) replaced by DB.
url_with_db() {
  python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path="/" + sys.argv[2])))
PY
}

# ---------------------------------------------------------------------------------------------
# S3 (s3s-fs, installed once into .tools/)

S3S_FS_BIN="$TOOLS_DIR/bin/s3s-fs"

ensure_s3s_fs_installed() {
  if [[ -x "$S3S_FS_BIN" ]]; then
    return 0
  fi
  log "Installing s3s-fs $S3S_FS_VERSION into .tools/ (once, about 2 minutes)"
  cargo install --locked --features binary --root "$TOOLS_DIR" "s3s-fs@$S3S_FS_VERSION"
}

SQLX_CLI_BIN="$TOOLS_DIR/bin/cargo-sqlx"

# ensure_sqlx_cli — sqlx-cli in .tools/ (installed once, about 3 minutes); puts it on PATH.
ensure_sqlx_cli() {
  if [[ ! -x "$SQLX_CLI_BIN" ]]; then
    log "Installing sqlx-cli $SQLX_CLI_VERSION into .tools/ (once, about 3 minutes)"
    cargo install --locked --no-default-features --features postgres,rustls \
      --root "$TOOLS_DIR" "sqlx-cli@$SQLX_CLI_VERSION"
  fi
  export PATH="$TOOLS_DIR/bin:$PATH"
}

PY_TOOLS_VENV="$TOOLS_DIR/venv"

# ensure_pip_tool PACKAGE VERSION COMMAND — PACKAGE==VERSION in a venv in .tools/ (made once);
# installs only when COMMAND is missing or the pinned version is not the one installed.
ensure_pip_tool() {
  local package="$1" version="$2" command="$3"
  # The installed version, by its metadata folder: much quicker than asking pip.
  if [[ -x "$PY_TOOLS_VENV/bin/$command" ]] &&
    compgen -G "$PY_TOOLS_VENV/lib/python3*/site-packages/${package//-/_}-$version.dist-info" >/dev/null; then
    return 0
  fi
  if [[ ! -x "$PY_TOOLS_VENV/bin/pip" ]]; then
    # Debian's python3 makes venvs only with python3-venv installed.
    python3 -m venv "$PY_TOOLS_VENV" 2>/dev/null || {
      rm -rf "$PY_TOOLS_VENV"
      apt_install python3-venv
      python3 -m venv "$PY_TOOLS_VENV"
    }
  fi
  log "Installing $package $version into .tools/venv (once)"
  "$PY_TOOLS_VENV/bin/pip" install --quiet --disable-pip-version-check "$package==$version"
}

# start_s3s_fs DATA_DIR ACCESS_KEY SECRET_KEY LOGFILE — starts it on a free port; sets S3_URL.
start_s3s_fs() {
  local dir="$1" ak="$2" sk="$3" logfile="$4" port
  ensure_s3s_fs_installed
  mkdir -p "$dir"
  port="$(free_port)"
  start_bg s3s-fs "$logfile" "$S3S_FS_BIN" --host 127.0.0.1 --port "$port" \
    --access-key "$ak" --secret-key "$sk" "$dir"
  S3_URL="http://127.0.0.1:$port"
  wait_any_http "$S3_URL/" 30 "$BG_PID" || die "s3s-fs did not start; see $logfile"
  ok "s3s-fs on $S3_URL (data in ${dir#"$ROOT"/})"
}

# ---------------------------------------------------------------------------------------------
# The app's PostgreSQL and S3, for `make run` and `make fleet`

# pick_app_database — DATABASE_URL from the environment when set; else the app's database on the
# PostgreSQL that ensure_postgres finds or starts (role and database created when missing).
# Sets APP_RUN_DATABASE_URL.
pick_app_database() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "Using DATABASE_URL from the environment"
    APP_RUN_DATABASE_URL="$DATABASE_URL"
  else
    unset TEST_DATABASE_URL
    ensure_postgres
    APP_RUN_DATABASE_URL="$APP_DATABASE_URL"
  fi
}

# pick_app_s3 — S3_ENDPOINT (keys S3_ACCESS_KEY / S3_SECRET_KEY, default minioadmin) when it
# answers; else s3s-fs on a free port with its data in .data/s3 and local keys (it listens on
# loopback only), stopped on exit. Sets APP_RUN_S3_ENDPOINT, APP_RUN_S3_ACCESS_KEY and
# APP_RUN_S3_SECRET_KEY.
pick_app_s3() {
  APP_RUN_S3_ACCESS_KEY="${S3_ACCESS_KEY:-minioadmin}"
  APP_RUN_S3_SECRET_KEY="${S3_SECRET_KEY:-minioadmin}"
  if [[ -n "${S3_ENDPOINT:-}" ]] && http_answers "$S3_ENDPOINT"; then
    log "Using the S3 server at $S3_ENDPOINT"
    APP_RUN_S3_ENDPOINT="$S3_ENDPOINT"
    return 0
  fi
  [[ -n "${S3_ENDPOINT:-}" ]] && warn "S3_ENDPOINT=$S3_ENDPOINT does not answer; starting s3s-fs instead"
  APP_RUN_S3_ACCESS_KEY="postboard"
  APP_RUN_S3_SECRET_KEY="postboard-local-secret"
  mkdir -p "$DATA_DIR"
  start_s3s_fs "$DATA_DIR/s3" "$APP_RUN_S3_ACCESS_KEY" "$APP_RUN_S3_SECRET_KEY" "$DATA_DIR/s3s-fs.log"
  APP_RUN_S3_ENDPOINT="$S3_URL"
}

# fresh_database NAME — drops and recreates NAME on the server ensure_postgres found; sets
# FRESH_DATABASE_URL. For test and benchmark runs that must start from an empty board.
fresh_database() {
  local name="$1"
  log "Creating a fresh database $name"
  psql_admin "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  psql_admin "CREATE DATABASE $name"
  FRESH_DATABASE_URL="$(url_with_db "$PG_ADMIN_URL" "$name")"
}

# start_throwaway_s3s_fs PREFIX ACCESS_KEY SECRET_KEY LOGFILE — s3s-fs on a temporary folder
# that is deleted on exit; sets S3_URL and S3_PID.
start_throwaway_s3s_fs() {
  local prefix="$1" dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")"
  CLEANUP_DIRS+=("$dir")
  start_s3s_fs "$dir" "$2" "$3" "$4"
  S3_PID="$BG_PID"
}

# ensure_backup_tools — pg_dump/pg_restore and rclone (Debian packages), for backup.sh and
# restore.sh. pg_dump must be at least as new as the server it dumps.
ensure_backup_tools() {
  { have pg_dump && have pg_restore && have psql; } || apt_install postgresql-client
  have rclone || apt_install rclone
}

# rclone_remote NAME ENDPOINT ACCESS_KEY SECRET_KEY REGION — an rclone S3 remote `NAME:` made of
# environment variables only (no rclone.conf, nothing written to disk).
rclone_remote() {
  local n="RCLONE_CONFIG_${1^^}"
  export "${n}_TYPE=s3" "${n}_PROVIDER=Other" "${n}_ENDPOINT=$2" "${n}_ACCESS_KEY_ID=$3" \
    "${n}_SECRET_ACCESS_KEY=$4" "${n}_REGION=$5" "${n}_FORCE_PATH_STYLE=true"
}

# rclone_s3 ARGS... — rclone with no config file. AWS_CA_BUNDLE goes as --ca-cert instead: with
# it in the environment, Debian 12's rclone 1.60 fails ("LoadCustomCABundleError").
rclone_s3() {
  if [[ -n "${AWS_CA_BUNDLE:-}" ]]; then
    env -u AWS_CA_BUNDLE rclone --config "" --ca-cert "$AWS_CA_BUNDLE" "$@"
  else
    rclone --config "" "$@"
  fi
}

# test_backend_env DATABASE_URL ACCESS_KEY SECRET_KEY PORT STATIC_DIR LOG_LEVEL — the server's
# environment for a run on 127.0.0.1:PORT against S3_URL (sets BACKEND_ENV afresh). The rate
# limits are off: e2e tests and benchmarks send many requests from one address, and measure the
# board, not its abuse protection (backend/tests/api/rate_limits.rs tests the limits).
test_backend_env() {
  BACKEND_ENV=()
  backend_var DATABASE_URL "$1"
  backend_var S3_ENDPOINT "$S3_URL"
  backend_var S3_BUCKET images
  backend_var S3_ACCESS_KEY "$2"
  backend_var S3_SECRET_KEY "$3"
  backend_var S3_REGION us-east-1
  backend_var BIND_ADDR "127.0.0.1:$4"
  backend_var STATIC_DIR "$5"
  backend_var CORS_ORIGINS "http://127.0.0.1:$4"
  backend_var RUST_LOG "$6"
  backend_var RATE_LIMIT_POSTS off
  backend_var RATE_LIMIT_VOTES off
  backend_var RATE_LIMIT_REPORTS off
  # Every client here is 127.0.0.1: one client to the per-client cap of live streams.
  backend_var STREAMS_PER_CLIENT 1000000
}

# ---------------------------------------------------------------------------------------------
# Frontend

# npm_ci_if_needed — `npm ci` when node_modules is missing or older than the lock file.
npm_ci_if_needed() {
  [[ -f "$FRONTEND_DIR/package.json" ]] || die "frontend/package.json is missing"
  local marker="$FRONTEND_DIR/node_modules/.package-lock.json"
  if [[ ! -f "$marker" || "$FRONTEND_DIR/package-lock.json" -nt "$marker" ]]; then
    log "npm ci (frontend/node_modules is missing or older than package-lock.json)"
    (cd "$FRONTEND_DIR" && npm ci --no-audit)
  else
    ok "frontend/node_modules is up to date"
  fi
}

# build_spa — `npm run build` unless the build is newer than every source file.
build_spa() {
  npm_ci_if_needed
  local index="$SPA_DIR/index.html"
  if [[ -f "$index" ]] && [[ -z "$(find "$FRONTEND_DIR/src" "$FRONTEND_DIR/public" \
    "$FRONTEND_DIR"/*.json -newer "$index" -print -quit 2>/dev/null)" ]]; then
    ok "the SPA build is up to date (${SPA_DIR#"$ROOT"/})"
    return 0
  fi
  log "Building the SPA (npm run build)"
  (cd "$FRONTEND_DIR" && npm run build)
  [[ -f "$index" ]] || die "npm run build did not produce ${index#"$ROOT"/}"
}

# ensure_chromium — Debian's chromium at /usr/bin/chromium (the e2e tests drive it).
ensure_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    ok "chromium is installed"
  else
    apt_install chromium
  fi
}

# ensure_nginx — Debian's nginx (backend/tests/api/behind_nginx.rs runs it, as a foreground
# process of its own, in front of two replicas; it looks on PATH, then at /usr/sbin/nginx).
# nginx-light: the smallest package with the proxy; installing it does not start a server
# where no init system runs, and where one does the test's nginx uses a port of its own.
ensure_nginx() {
  if have nginx || [[ -x /usr/sbin/nginx ]]; then
    ok "nginx is installed"
  else
    apt_install nginx-light
  fi
}

# ensure_pgbouncer — Debian's pgbouncer at /usr/sbin/pgbouncer (the API tests run through it
# once more, TEST_VIA_PGBOUNCER=1). Debian's package may start a service of its own on 6432; the
# tests start theirs on a free port.
ensure_pgbouncer() {
  if [[ -x /usr/sbin/pgbouncer ]]; then
    ok "pgbouncer is installed"
  else
    apt_install pgbouncer
  fi
}

# ---------------------------------------------------------------------------------------------
# Backend

BACKEND_ENV=()

# backend_var NAME VALUE — one variable of the backend's environment (see the header).
backend_var() {
  BACKEND_ENV+=("$1=$2")
}

# start_backend BINARY LOGFILE — starts the server with BACKEND_ENV; sets BACKEND_PID.
start_backend() {
  local bin="$1" logfile="$2"
  [[ -x "$bin" ]] || die "no backend binary at $bin"
  start_bg postboard "$logfile" env "${BACKEND_ENV[@]}" "$bin"
  BACKEND_PID="$BG_PID"
}
