# shellcheck shell=bash
# Tools the scripts install when missing: the S3 server (built from the workspace), pinned
# Python tools into .tools/, Debian's packages with apt (backup tools, chromium, nginx, pgbouncer). Part of
# scripts/lib.sh (source that).

# ---------------------------------------------------------------------------------------------
# Pinned, into .tools/ (versions in defaults.sh)

# ensure_s3_server — the S3 server at $S3_SERVER_BIN (s3s-fs on a folder; the test fixtures'
# example). `cargo test` builds and refreshes it; built here only when missing (a minute cold):
# a build of this one example would resolve the dependencies' features apart from the test
# build's and compile them again.
ensure_s3_server() {
  if [[ -x "$S3_SERVER_BIN" ]]; then
    return 0
  fi
  log "Building the S3 server (s3s-fs on a folder: cargo build --example s3-server)"
  cargo build -p postboard-test-fixtures --example s3-server
}


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

# ---------------------------------------------------------------------------------------------
# Backups

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

# ---------------------------------------------------------------------------------------------
# Debian's packages the tests drive

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
