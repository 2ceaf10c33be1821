"""The machinery of bench/run.py: messages, the processes it starts, the helpers it borrows from
scripts/lib.sh, the load generators, the server under test, and one measured run with its
record in results.jsonl.

scripts/lib.sh stays the one copy of how PostgreSQL is found or started, how s3s-fs and
pgbouncer are installed, and of the server's test environment (`test_backend_env`, shared with
the e2e runs): those are called through `bash -c 'source scripts/lib.sh && ...'` (lib_sh).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import combine

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DATA_DIR = ROOT / ".data"
TOOLS_DIR = ROOT / ".tools"
LIB_SH = ROOT / "scripts" / "lib.sh"
PYTHON = sys.executable or "python3"
# The original FastAPI design, run beside the server for the side-by-side scenarios
# (bench/fastapi_design/README.md), and its virtual environment (tools.ensure_fastapi).
FASTAPI_DIR = BENCH_DIR / "fastapi_design"
FASTAPI_VENV = TOOLS_DIR / "fastapi-venv"
# uvicorn's worker processes: this machine has 2 cores, and one worker a core is how a
# FastAPI app is served (`uvicorn --workers N`); each worker is one Python process.
FASTAPI_WORKERS = 2

# ---------------------------------------------------------------------------------------------
# Messages, as scripts/lib.sh prints them

_TTY = sys.stdout.isatty()
BOLD, RED, GREEN, YELLOW, OFF = (
    (f"\033[{c}m" for c in ("1", "31", "32", "33", "0")) if _TTY else ("",) * 5)


def log(msg: str) -> None:
    print(f"{BOLD}==> {msg}{OFF}", flush=True)


def ok(msg: str) -> None:
    print(f"{GREEN}  ok{OFF} {msg}", flush=True)


def warn(msg: str) -> None:
    sys.stdout.flush()
    print(f"{YELLOW}warning:{OFF} {msg}", file=sys.stderr, flush=True)


def die(msg: str):
    sys.stdout.flush()
    print(f"{RED}error:{OFF} {msg}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def is_root() -> bool:
    return os.geteuid() == 0


def run(cmd, what: str = "", **kw) -> subprocess.CompletedProcess:
    """subprocess.run that stops the benchmark when the command fails (as `set -e` did)."""
    sys.stdout.flush()
    done = subprocess.run([str(c) for c in cmd], **kw)
    if done.returncode != 0:
        die(f"{what or ' '.join(str(c) for c in cmd)[:200]} failed (exit {done.returncode})")
    return done


def lib_sh(script: str, *args, **kw) -> subprocess.CompletedProcess:
    """SCRIPT in bash after `source scripts/lib.sh` (its own messages go to the terminal);
    ARGS are $1, $2... A failure stops the benchmark: lib.sh said why."""
    sys.stdout.flush()
    done = subprocess.run(["bash", "-c", f'source "{LIB_SH}" && {script}', "lib.sh",
                           *(str(a) for a in args)], **kw)
    if done.returncode != 0:
        raise SystemExit(1)
    return done


def lib_sh_vars(script: str, *names: str) -> list:
    """The values of lib.sh's variables NAMES after SCRIPT (one line each)."""
    with tempfile.NamedTemporaryFile("r", prefix="postboard-lib.") as out:
        values = " ".join(f'"${{{n}}}"' for n in names)
        lib_sh(f'{script} && printf "%s\\n" {values} >"$1"', out.name)
        return (out.read().split("\n") + [""] * len(names))[:len(names)]


# ---------------------------------------------------------------------------------------------
# Ports and HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:PORT (SO_REUSEADDR, as servers bind: TIME_WAIT is free)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def http_code(url: str, timeout: float = 3) -> int:
    """The HTTP status of URL; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError):
        return 0


def wait_http(url: str, timeout: float, proc=None, any_status: bool = False) -> bool:
    """Waits until URL answers 200 (any status with any_status); false when PROC exits first
    or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        code = http_code(url)
        if code == 200 or (any_status and code):
            return True
        if proc is not None and proc.poll() is not None:
            warn(f"the process behind {url} (PID {proc.pid}) exited")
            return False
        if time.monotonic() >= deadline:
            warn(f"{url} did not answer {'' if any_status else '200 '}within {timeout}s")
            return False
        time.sleep(0.5)


def curl_status(*args, max_time: int = 30, write_out: str = "%{http_code}", out="/dev/null") -> str:
    """curl's -w figures for one request by hand (its exit status does not matter)."""
    sys.stdout.flush()
    return subprocess.run(["curl", "-s", "-o", str(out), "-w", write_out, "--max-time",
                           str(max_time), *map(str, args)],
                          stdout=subprocess.PIPE, text=True).stdout


def expect_status(want: int, *curl_args) -> None:
    """One request by hand before a scenario: it must answer WANT."""
    got = curl_status(*curl_args)
    if got != str(want):
        die(f"expected {want} from curl {' '.join(map(str, curl_args))}, got {got}")


# ---------------------------------------------------------------------------------------------
# Processes: everything started in the background is stopped by its PID (its process group)


def alive(proc) -> bool:
    """Without reaping it: a timed process must be reaped by wait4 to get its CPU time."""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


class Processes:
    def __init__(self):
        self.groups = []  # (Popen, name): servers and tools in process groups of their own
        self.children = []  # load generators and clients that die with us
        self.dirs = []  # temporary folders removed at the end

    def start(self, name: str, logfile, cmd, env=None) -> subprocess.Popen:
        """CMD in a process group of its own (setsid, as lib.sh's start_bg), output to
        LOGFILE."""
        sys.stdout.flush()
        with open(logfile, "wb") as out:
            proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
        self.groups.append((proc, name))
        return proc

    def child(self, cmd, **kw) -> subprocess.Popen:
        sys.stdout.flush()
        proc = subprocess.Popen([str(c) for c in cmd], **kw)
        self.children.append(proc)
        return proc

    def stop(self, proc, name: str, quiet: bool = True) -> None:
        """SIGTERM to its process group, SIGKILL after 10 s; forgets it (a PID the system may
        give to someone else must not be stopped later)."""
        self.groups = [(p, n) for p, n in self.groups if p is not proc]
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            warn(f"{name} (PID {proc.pid}) ignored SIGTERM; killing it")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()
        if not quiet:
            print(f"stopped {name} (PID {proc.pid})", flush=True)

    def stop_child(self, proc) -> None:
        if proc.returncode is None and alive(proc):
            proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc in self.children:
            self.children.remove(proc)

    def cleanup(self) -> None:
        for proc in list(self.children):
            self.stop_child(proc)
        for proc, name in reversed(list(self.groups)):
            self.stop(proc, name, quiet=False)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def start_timed(procs: Processes, cmd, **kw) -> subprocess.Popen:
    """A load generator, left unreaped until finish_timed reads its CPU time."""
    return procs.child(cmd, **kw)


def finish_timed(procs: Processes, times_file, *running) -> tuple:
    """Waits for the processes (wait4: each one's CPU time, and that of everything it waited
    for); writes their CPU time to TIMES_FILE in the shape of the shell's `times` (line 2:
    user and system) and returns (exit statuses, CPU seconds): the load generator's CPU."""
    user = system = 0.0
    codes = []
    for proc in running:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        procs.children.remove(proc)
        codes.append(proc.returncode)
        user += usage.ru_utime
        system += usage.ru_stime
    own = os.times()

    def fmt(seconds):
        return f"{int(seconds // 60)}m{seconds % 60:.3f}s"

    Path(times_file).write_text(f"{fmt(own.user)} {fmt(own.system)}\n{fmt(user)} {fmt(system)}\n")
    return codes, user + system


# ---------------------------------------------------------------------------------------------
# The backend's environment


def backend_var(env: dict, name: str, value) -> None:
    """One variable of the server's environment. backend/tests/repo_files/ checks every NAME
    set this way against the variables the server reads."""
    env[name] = str(value)


def test_backend_env(s3_url: str, *args) -> dict:
    """lib.sh's test_backend_env DATABASE_URL ACCESS_KEY SECRET_KEY PORT STATIC_DIR LOG_LEVEL:
    the environment e2e runs and benchmarks give the server (rate limits off)."""
    out = lib_sh('S3_URL="$1" && test_backend_env "${@:2}" && printf "%s\\0" "${BACKEND_ENV[@]}"',
                 s3_url, *args, stdout=subprocess.PIPE).stdout
    env = {}
    for item in out.decode().split("\0"):
        if item:
            name, _, value = item.partition("=")
            env[name] = value
    return env


def url_with(url: str, *, db: str = None, host_port: str = None) -> str:
    """URL with its database (path) or its host:port replaced."""
    u = urllib.parse.urlsplit(url)
    if db is not None:
        u = u._replace(path="/" + db)
    if host_port is not None:
        auth = u.netloc.rpartition("@")[0]
        u = u._replace(netloc=(auth + "@" if auth else "") + host_port)
    return urllib.parse.urlunsplit(u)


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def sqlalchemy_url(url: str) -> str:
    """A postgres:// URL as SQLAlchemy names it with the psycopg (3) driver."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def process_tree(pid: int) -> list:
    """PID and every process descended from it (a server of several processes)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def status_kib(pid: int, field: str):
    """VmHWM (peak) or VmRSS of PID in KiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# ---------------------------------------------------------------------------------------------
# The state of one benchmark run


class Bench:
    """Settings (run.py's Settings), what was set up, and the server that runs now."""

    def __init__(self, settings):
        self.s = settings
        self.procs = Processes()
        target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
        self.target_dir = target if target.is_absolute() else ROOT / target
        self.bin = self.target_dir / "release" / "postboard"
        self.baseline_bin = None
        self.run_dir = self.files = None
        self.wrk, self.wrk_env = ["wrk"], {}
        self.load_prefix = ["taskset", "-c", settings.cpus_load] if settings.cpus_load else []
        self.s3 = None
        self.s3_url = ""
        self.sampler = None
        self.pg_admin_url = ""
        self.pg_started = ("", "")  # lib.sh's PG_STARTED_DATA_DIR, PG_STARTED_SYSTEM
        self.pg_postmaster, self.pg_cluster = None, ""
        self.pgbouncer_port = None
        self.db_bench = self.db_small = self.db_unsearched = self.db_before = ""
        self.db_fastapi = ""  # the FastAPI design's own database (boards.fastapi_board)
        self.fastapi_versions = ""
        self.round = 0
        self.seq = 0
        # The running server(s).
        self.server = self.second = None
        self.base_url = self.second_url = self.metrics_url = ""
        self.current_db = ""  # its database: that database's backends are PostgreSQL's CPU
        # The server is a tree of processes (uvicorn and its workers): its CPU time and peak
        # RSS are summed over all of them.
        self.server_tree = False
        self.live_clients = []
        # Computed once, by the probes and the scenarios that need them.
        self.cache = {}

    def raw(self, name: str) -> Path:
        return self.run_dir / "raw" / name

    def new_temp_dir(self, prefix: str) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.procs.dirs.append(folder)
        return folder

    def remove_temp_dir(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self.procs.dirs.remove(folder)

    # -- the end: thaw s3s-fs (frozen during image_304) before it is stopped ------------------

    def cleanup(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if self.s3 is not None and self.s3.poll() is None:
            os.kill(self.s3.pid, signal.SIGCONT)
        if self.sampler is not None and self.sampler.poll() is None:
            self.sampler.terminate()
        self.procs.cleanup()
        if any(self.pg_started):
            # lib.sh's cleanup stops the PostgreSQL cluster that ensure_postgres started.
            subprocess.run(["bash", "-c", f'source "{LIB_SH}" && PG_STARTED_DATA_DIR="$1" && '
                            'PG_STARTED_SYSTEM="$2" && cleanup', "lib.sh", *self.pg_started])

    # -- the server -------------------------------------------------------------------------

    def start_server(self, label: str, database_url: str = None, *, server_bin=None,
                     static=None, via_pgbouncer=False, streams_per_client=None,
                     with_metrics=False, two_replicas=None, batch_writers=None) -> None:
        """A fresh server for LABEL on DATABASE_URL (default: the big board). server_bin:
        another build (the baseline); static: a STATIC_DIR where a scenario serves the app's
        page; via_pgbouncer: the pool's connections through PgBouncer, LISTEN and migrations
        direct; with_metrics: /metrics (it costs a little CPU per request, so only where it is
        read); two_replicas: a second replica on the same database ("quiet", or "live" with a
        live client on each, so that every event is read and sent by both), both with
        BATCH_WRITERS=BENCH_REPLICA_WRITERS; batch_writers: this server's BATCH_WRITERS (else
        the server's default)."""
        database_url = database_url or self.db_bench
        logfile = self.run_dir / "logs" / f"postboard-{label}.log"
        port = free_port()
        server_url = self.pgbouncer_url(database_url) if via_pgbouncer else database_url
        # With the rate limits off: benchmarks measure the service, not its abuse protection.
        env = test_backend_env(self.s3_url, server_url, "bench-access-key", "bench-secret-key",
                               port, static or self.run_dir / "no-static-dir", self.s.rust_log)
        # The streams scenarios measure the streams, not the cap.
        backend_var(env, "STREAMS_PER_REPLICA", 1000000)
        if streams_per_client:
            backend_var(env, "STREAMS_PER_CLIENT", streams_per_client)
        if two_replicas:
            batch_writers = self.s.replica_writers
        if batch_writers:
            backend_var(env, "BATCH_WRITERS", batch_writers)
        if via_pgbouncer:
            backend_var(env, "DATABASE_POOLER", "transaction")
            backend_var(env, "DATABASE_LISTEN_URL", database_url)
        self.metrics_url = ""
        if with_metrics:
            metrics_port = free_port()
            backend_var(env, "METRICS_ADDR", f"127.0.0.1:{metrics_port}")
            self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        server_bin = Path(server_bin or self.bin)
        if not os.access(server_bin, os.X_OK):
            die(f"no backend binary at {server_bin}")
        cmd = [server_bin]
        if self.s.cpus_server:
            cmd = ["taskset", "-c", self.s.cpus_server, server_bin]
        self.server = self.procs.start("postboard", logfile, cmd, env={**os.environ, **env})
        self.server_tree = False
        self.base_url = f"http://127.0.0.1:{port}"
        self.current_db = database_name(database_url)
        if not wait_http(f"{self.base_url}/ready", 90, self.server):
            subprocess.run(["tail", "-n", "40", str(logfile)])
            die("the server did not become ready")
        comm = Path(f"/proc/{self.server.pid}/comm").read_text().strip()
        if comm != "postboard":
            die(f"PID {self.server.pid} is not the server ({comm})")
        if two_replicas:
            first, first_url = self.server, self.base_url
            self.start_server(f"{label}-b", database_url, server_bin=server_bin, static=static,
                              via_pgbouncer=via_pgbouncer,
                              streams_per_client=streams_per_client,
                              with_metrics=with_metrics, batch_writers=batch_writers)
            self.second, self.second_url = self.server, self.base_url
            self.server, self.base_url = first, first_url
            if two_replicas != "quiet":
                self.live_clients = [
                    self.procs.child(["curl", "-sN", f"{url}/events"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for url in (self.base_url, self.second_url)]

    def start_fastapi(self, label: str) -> None:
        """The FastAPI design (bench/fastapi_design/app.py) for LABEL, in place of the server:
        uvicorn with FASTAPI_WORKERS worker processes (2: this machine's cores) on its own
        database, without the access log (the server runs with RUST_LOG=warn: neither writes
        a line per request). Ready when every worker has said "Application startup
        complete." (uvicorn's info log, once a worker) and a list answers 200. Its CPU time
        and peak RSS are those of uvicorn's process and all its children (server_tree)."""
        logfile = self.run_dir / "logs" / f"fastapi-{label}.log"
        port = free_port()
        cmd = [FASTAPI_VENV / "bin" / "uvicorn", "app:app", "--app-dir", FASTAPI_DIR,
               "--host", "127.0.0.1", "--port", port, "--workers", FASTAPI_WORKERS,
               "--no-access-log", "--log-level", "info"]
        if self.s.cpus_server:
            cmd = ["taskset", "-c", self.s.cpus_server, *cmd]
        env = {**os.environ, "DATABASE_URL": sqlalchemy_url(self.db_fastapi)}
        self.server = self.procs.start("uvicorn", logfile, cmd, env=env)
        self.server_tree = True
        self.base_url = f"http://127.0.0.1:{port}"
        self.current_db = database_name(self.db_fastapi)
        deadline = time.monotonic() + 60
        while logfile.read_text(errors="replace").count(
                "Application startup complete.") < FASTAPI_WORKERS:
            if self.server.poll() is not None or time.monotonic() > deadline:
                subprocess.run(["tail", "-n", "40", str(logfile)])
                die("the FastAPI design did not start its workers")
            time.sleep(0.2)
        if not wait_http(f"{self.base_url}/post?limit=1", 30, self.server):
            subprocess.run(["tail", "-n", "40", str(logfile)])
            die("the FastAPI design did not answer")

    def server_hwm_kib(self):
        """The server's peak RSS (VmHWM); for a tree of processes, the sum of each one's."""
        if not self.server_alive():
            return None
        if not self.server_tree:
            return status_kib(self.server.pid, "VmHWM")
        return sum(status_kib(p, "VmHWM") or 0 for p in process_tree(self.server.pid)) or None

    def stop_server(self) -> None:
        if self.server is not None:
            self.procs.stop(self.server, "uvicorn" if self.server_tree else "postboard")
        self.server = None
        self.server_tree = False
        if self.second is not None:
            for client in self.live_clients:
                self.procs.stop_child(client)
            self.procs.stop(self.second, "postboard")
            self.second, self.second_url, self.live_clients = None, "", []

    def server_alive(self) -> bool:
        return self.server is not None and self.server.poll() is None

    # -- PgBouncer: what going through a pooler costs -----------------------------------------

    def start_pgbouncer(self) -> None:
        """Debian's pgbouncer (installed when missing) in transaction mode in front of the
        admin URL's server, as the user postgres, on a free port. Its pool per database is the
        server's (DATABASE_MAX_CONNECTIONS' default, 32)."""
        lib_sh("ensure_pgbouncer")
        folder = self.new_temp_dir("postboard-pgbouncer.")
        folder.chmod(0o755)  # read by the user postgres
        u = urllib.parse.urlsplit(self.pg_admin_url)
        user = urllib.parse.unquote(u.username or "postgres")
        password = urllib.parse.unquote(u.password or "")
        self.pgbouncer_port = free_port()
        (folder / "users.txt").write_text(f'"{user}" "{password}"\n')
        (folder / "pgbouncer.ini").write_text("\n".join([
            "[databases]", f"* = host={u.hostname or '127.0.0.1'} port={u.port or 5432}", "",
            "[pgbouncer]", "listen_addr = 127.0.0.1", f"listen_port = {self.pgbouncer_port}",
            "unix_socket_dir =", "auth_type = trust", f"auth_file = {folder}/users.txt",
            "pool_mode = transaction", "default_pool_size = 32", "max_client_conn = 2000",
            "ignore_startup_parameters = extra_float_digits",
            "log_connections = 0", "log_disconnections = 0"]) + "\n")
        for name in ("users.txt", "pgbouncer.ini"):
            (folder / name).chmod(0o644)
        logfile = self.run_dir / "logs" / "pgbouncer.log"
        self.procs.start("pgbouncer", logfile, ["su", "postgres", "-s", "/bin/sh", "-c",
                                                f"exec pgbouncer {folder}/pgbouncer.ini"])
        for _ in range(40):
            if not port_free(self.pgbouncer_port):
                return
            time.sleep(0.25)
        die(f"pgbouncer did not listen on 127.0.0.1:{self.pgbouncer_port} (see {logfile})")

    def pgbouncer_url(self, database_url: str) -> str:
        return url_with(database_url, host_port=f"127.0.0.1:{self.pgbouncer_port}")

    # -- the CPU sampler ----------------------------------------------------------------------

    def start_sampler(self, out: Path, extra=()) -> None:
        """bench/cpusample.py's first reading of the server, s3s-fs and PostgreSQL's
        processes for the current database; stop_sampler takes the last one and writes OUT."""
        server = self.server.pid if self.server else ''
        args = ["--tree" if self.server_tree else "--pid", f"server={server}",
                "--pid", f"s3={self.s3.pid}", "--db", self.current_db, *extra]
        if self.pg_postmaster:
            args += ["--postmaster", self.pg_postmaster, "--cluster-name", self.pg_cluster]
        self.sampler = self.procs.child(
            [PYTHON, BENCH_DIR / "cpusample.py", out, *args,
             "--timeout", self.s.duration * 4 + 600], stdout=subprocess.PIPE, text=True)
        if self.sampler.stdout.readline().strip() != "ready":
            die("bench/cpusample.py failed")

    def stop_sampler(self) -> None:
        self.sampler.terminate()
        code = self.sampler.wait()
        self.sampler.stdout.close()
        self.procs.children.remove(self.sampler)
        self.sampler = None
        if code != 0:
            die("bench/cpusample.py failed")

    # -- one run ------------------------------------------------------------------------------

    def wrk_cmd(self, threads: int, connections: int, seconds: int, url: str, latency=False):
        return [*self.load_prefix, *self.wrk, f"-t{threads}", f"-c{connections}",
                "--timeout", "10s", "-s", BENCH_DIR / "wrk.lua", f"-d{seconds}s",
                *(["--latency"] if latency else []), url]

    def wrk_environ(self, wrk_env: dict, result) -> dict:
        """wrk.lua's settings (BENCH_MODE...) and where it writes its summary."""
        return {**os.environ, **self.wrk_env, **wrk_env, "BENCH_RESULT": str(result)}

    def measure(self, name: str, url: str, wrk_env: dict, connections: int = None) -> None:
        """One run with wrk against the running server: warm-up, then the measured seconds
        with the CPU sampler around them; appends the run to results.jsonl."""
        load_cpu = self.measure_load(name, url, wrk_env, connections)
        tag = f"{name}-r{self.round}"
        self.record_run(name, self.raw(f"{tag}.json"), self.raw(f"{tag}.cpu.json"), load_cpu)

    def measure_load(self, name: str, url: str, wrk_env: dict, connections: int = None,
                     warmup: int = None) -> float:
        """measure's run without its record (for a scenario that adds figures of its own);
        returns the load generator's CPU seconds."""
        tag = f"{name}-r{self.round}"
        conns = connections or self.s.connections
        threads = min(self.s.threads, conns)
        warmup = self.s.warmup if warmup is None else warmup
        log(f"{name} (round {self.round} of {self.s.repeat}): wrk -t{threads} -c{conns} "
            f"-d{self.s.duration}s {url}")
        if warmup > 0:
            run(self.wrk_cmd(threads, conns, warmup, url), "wrk (warm-up)",
                env=self.wrk_environ(wrk_env, "/dev/null"), stdout=subprocess.DEVNULL)
        if self.second is not None:
            return self.measure_two_replicas(name, url, wrk_env, conns, warmup)
        self.start_sampler(self.raw(f"{tag}.cpu.json"))
        with open(self.raw(f"{tag}.wrk.txt"), "w") as out:
            wrk = start_timed(self.procs, self.wrk_cmd(threads, conns, self.s.duration, url,
                                                      latency=True),
                              env=self.wrk_environ(wrk_env, self.raw(f"{tag}.json")), stdout=out)
            (code,), load_cpu = finish_timed(self.procs, self.raw(f"{tag}.load-cpu"), wrk)
        if code != 0:
            die(f"wrk failed during {name} (exit {code})")
        self.stop_sampler()
        if not self.server_alive():
            die(f"the server died during {name}")
        return load_cpu

    def measure_two_replicas(self, name, url, wrk_env, conns, warmup) -> float:
        """measure_load's run split over the server and the second replica: one wrk each,
        half the connections each, at once. Requests and req/s summed, the higher p50/p99 of
        the two, the servers' CPU summed (as `server`)."""
        tag = f"{name}-r{self.round}"
        half = conns // 2
        second_url = self.second_url + url[len(self.base_url):] if url.startswith(
            self.base_url) else url
        log(f"{name} (round {self.round} of {self.s.repeat}): two wrk -t1 -c{half} "
            f"-d{self.s.duration}s, {url} and {second_url}")
        env = self.wrk_environ(wrk_env, "/dev/null")
        if warmup > 0:  # measure_load warmed the first
            run(self.wrk_cmd(1, half, warmup, second_url), "wrk (warm-up)", env=env,
                stdout=subprocess.DEVNULL)
        self.start_sampler(self.raw(f"{tag}.cpu.json"), ["--pid", f"server2={self.second.pid}"])
        with open(self.raw(f"{tag}.a.txt"), "w") as a, open(self.raw(f"{tag}.b.txt"), "w") as b:
            pair = [start_timed(self.procs, self.wrk_cmd(1, half, self.s.duration, u,
                                                         latency=True), env=env, stdout=out)
                    for u, out in ((url, a), (second_url, b))]
            codes, load_cpu = finish_timed(self.procs, self.raw(f"{tag}.load-cpu"), *pair)
        if any(codes):
            die(f"wrk failed during {name} (exit {codes})")
        self.stop_sampler()
        if not (self.server_alive() and self.second.poll() is None):
            die(f"a server died during {name}")
        combine.wrk_pair(str(self.raw(tag)))
        return load_cpu

    # -- results.jsonl ------------------------------------------------------------------------

    def append_result(self, row: dict) -> None:
        with open(self.run_dir / "results.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def record_run(self, name: str, result: Path, cpu: Path, load_cpu_s, **extra) -> None:
        """One line of results.jsonl for one run: the load generator's figures (RESULT), the
        CPU times (CPU), the server's peak RSS (when it runs), the load generator's CPU
        seconds (None when RESULT has them) and any EXTRA fields; prints a summary."""
        hwm = self.server_hwm_kib()
        self.seq += 1
        row = combine.run_row(name, self.round, self.seq, combine.load_json(result),
                              combine.load_json(cpu), load_cpu_s, hwm, extra)
        self.append_result(row)
        print(combine.run_summary(row), flush=True)

    def record_json(self, kind: str, name: str, **items) -> None:
        """A line of results.jsonl that is not a run (a scenario, a skip)."""
        self.append_result({"kind": kind, "name": name, **items})

    def record_check(self, name: str, passed: bool, title: str, detail: str) -> None:
        """A correctness check (not timing) for the report."""
        self.append_result({"kind": "check", "name": name, "ok": bool(passed), "detail": detail,
                            "title": title})
