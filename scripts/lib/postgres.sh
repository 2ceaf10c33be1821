# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are read by the scripts that source lib.sh
# PostgreSQL: finding or starting a server, the app's role and database, fresh databases. Part
# of scripts/lib.sh (source that).
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
#   2. Something answers on 127.0.0.1:5432 (PG_DEFAULT_PORT): use it (case a). The admin is
#      `postgres` over TCP (trust auth, as on this machine); when that is refused and we are
#      root, `postgres` over the Unix socket (Debian's default peer auth) creates the role, and
#      the app role gets CREATEDB to serve as the test admin.
#   3. PostgreSQL is installed but not running (case b): initialise a private cluster in
#      .data/postgres (git-ignored; initdb runs as the `postgres` user when we are root, since
#      initdb refuses root), listening on 127.0.0.1 only, port 5432 when free, trust auth for
#      local development, and stop it on exit. If the `postgres` user cannot reach the checkout
#      (e.g. it lives under /root), start the Debian system cluster with pg_ctlcluster instead.
#   4. Not installed (case c): `apt-get install -y postgresql` as root, then 2 or 3; otherwise
#      print the command and stop.

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
    if port_free "$PG_DEFAULT_PORT"; then port="$PG_DEFAULT_PORT"; else port="$(free_port)"; fi
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

  if pg_answers 127.0.0.1 "$PG_DEFAULT_PORT"; then
    have psql || apt_install postgresql-client
    log "Using the PostgreSQL server on 127.0.0.1:$PG_DEFAULT_PORT"
    _use_running_postgres 127.0.0.1 "$PG_DEFAULT_PORT"
    return 0
  fi

  if ! pg_bindir >/dev/null; then
    log "PostgreSQL is not installed"
    apt_install postgresql
    # Debian's package starts its cluster when it can; use it if it answers.
    local i
    for i in $(seq 1 20); do
      pg_answers 127.0.0.1 "$PG_DEFAULT_PORT" && break
      sleep 0.5
    done
    if pg_answers 127.0.0.1 "$PG_DEFAULT_PORT"; then
      _use_running_postgres 127.0.0.1 "$PG_DEFAULT_PORT"
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

# fresh_database NAME — drops and recreates NAME on the server ensure_postgres found; sets
# FRESH_DATABASE_URL. For test and benchmark runs that must start from an empty board.
fresh_database() {
  local name="$1"
  log "Creating a fresh database $name"
  psql_admin "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  psql_admin "CREATE DATABASE $name"
  FRESH_DATABASE_URL="$(url_with_db "$PG_ADMIN_URL" "$name")"
}

