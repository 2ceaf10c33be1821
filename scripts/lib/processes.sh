# shellcheck shell=bash
# Background processes and cleanup. Part of scripts/lib.sh (source that).

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
# (bench/run.py restarts one per run) must not leave `cleanup` a list of PIDs that the system
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

# cleanup — stops what this script started, newest first. Installed by `install_cleanup`. (Stops
# a PostgreSQL cluster with as_pg_owner and pg_bindir, of postgres.sh.)
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
