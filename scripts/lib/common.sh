# shellcheck shell=bash
# shellcheck disable=SC2034 # the colours are read by the scripts that source lib.sh
# Messages, apt installs, ports and waiting for HTTP. Part of scripts/lib.sh (source that).

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
wait_http() { _wait_for_url answers_200 "answer 200" "$@"; }

# wait_any_http URL SECONDS [PID] — like wait_http, but any HTTP status will do.
wait_any_http() { _wait_for_url http_answers "answer" "$@"; }

answers_200() { [[ "$(http_code "$1")" == "200" ]]; }

# _wait_for_url CHECK WHAT URL SECONDS [PID] — polls `CHECK URL` every half second.
_wait_for_url() {
  local check="$1" what="$2" url="$3" timeout="$4" pid="${5:-}" waited=0
  until "$check" "$url"; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      warn "the process behind $url (PID $pid) exited"
      return 1
    fi
    if ((waited >= timeout * 2)); then
      warn "$url did not $what within ${timeout}s"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}
