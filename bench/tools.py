"""What bench/run.py sets up before the first run: wrk, pgbench and s3s-fs (installed when
missing), the FastAPI design's packages (in a virtual environment of their own), PostgreSQL
(scripts/lib.sh's ensure_postgres), s3s-fs on a throwaway folder, and the BENCH_BASELINE
build."""
import os
import shutil
import subprocess
from pathlib import Path

from harness import (
    DATA_DIR,
    FASTAPI_DIR,
    FASTAPI_VENV,
    PYTHON,
    ROOT,
    TOOLS_DIR,
    Bench,
    die,
    free_port,
    is_root,
    lib_sh,
    lib_sh_vars,
    log,
    ok,
    run,
    wait_http,
)


def ensure_wrk(b: Bench) -> None:
    """wrk from Debian's package, unpacked into .tools/wrk (no system install needed):
    `apt-get download` + `dpkg -x` of wrk and its LuaJIT library. A wrk on PATH is used
    otherwise."""
    home = TOOLS_DIR / "wrk"
    exe = home / "usr/bin/wrk"
    if not os.access(exe, os.X_OK) and not shutil.which("wrk"):
        if not (shutil.which("apt-get") and shutil.which("dpkg")):
            die("wrk is missing and apt-get/dpkg are not available to unpack it")
        log("Unpacking wrk (Debian package) into .tools/wrk")
        dl = b.new_temp_dir("postboard-wrk.")
        download = ["apt-get", "download", "wrk", "libluajit-5.1-2"]
        if subprocess.run(download, cwd=dl, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            if not is_root():
                die("apt-get download wrk failed; run 'sudo apt-get update' and retry")
            run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"], stdout=subprocess.DEVNULL)
            run(download, "apt-get download wrk libluajit-5.1-2", cwd=dl,
                stdout=subprocess.DEVNULL)
        home.mkdir(parents=True, exist_ok=True)
        for deb in sorted(dl.glob("*.deb")):
            run(["dpkg", "-x", deb, home])
    if os.access(exe, os.X_OK):
        b.wrk = [str(exe)]
        b.wrk_env = {"LD_LIBRARY_PATH": str(home / "usr/lib/x86_64-linux-gnu")}
    # wrk -v prints its version and usage, and exits 1.
    version = subprocess.run([*b.wrk, "-v"], env={**os.environ, **b.wrk_env}, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    if not version.startswith("wrk"):
        die(f"wrk does not run: {version[:300]}")
    ok(version.split("[", 1)[0])


def ensure_fastapi(b: Bench) -> None:
    """The FastAPI design's packages (bench/fastapi_design/requirements.txt, every version
    pinned) from PyPI into a virtual environment of their own, .tools/fastapi-venv (no system
    install), made anew when requirements.txt changes (a copy of it is kept in the venv)."""
    requirements = FASTAPI_DIR / "requirements.txt"
    python = FASTAPI_VENV / "bin" / "python"
    stamp = FASTAPI_VENV / "requirements.installed"
    wanted = requirements.read_text()
    if not (os.access(python, os.X_OK) and stamp.exists() and stamp.read_text() == wanted):
        log("Installing the FastAPI design's packages (PyPI) into .tools/fastapi-venv")
        shutil.rmtree(FASTAPI_VENV, ignore_errors=True)
        if subprocess.run([PYTHON, "-m", "venv", FASTAPI_VENV]).returncode != 0:
            die(f"{PYTHON} -m venv failed (Debian's python3 needs: apt-get install python3-venv)")
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", requirements], "pip install -r bench/fastapi_design/requirements.txt")
        stamp.write_text(wanted)
    b.fastapi_versions = run([python, "-c", "import sys, fastapi, sqlalchemy, uvicorn, psycopg; "
                              "print(f'Python {sys.version.split()[0]}, FastAPI "
                              "{fastapi.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
                              "uvicorn {uvicorn.__version__}, psycopg {psycopg.__version__}')"],
                             stdout=subprocess.PIPE, text=True).stdout.strip()
    ok(b.fastapi_versions)


def ensure_pgbench() -> None:
    lib_sh("have pgbench || apt_install postgresql-client")
    ok(run(["pgbench", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip())


def s3_server(b: Bench) -> str:
    """The S3 server (s3s-fs on a folder: the test fixtures' example), built with --release
    beside the server unless BENCH_SKIP_BUILD; its path."""
    exe = b.target_dir / "release" / "examples" / "s3-server"
    if not b.s.skip_build:
        run(["cargo", "build", "--release", "-p", "postboard-test-fixtures", "--example",
             "s3-server"], "cargo build --release --example s3-server")
    if not os.access(exe, os.X_OK):
        die(f"no S3 server at {exe}")
    return str(exe)


def start_throwaway_s3s_fs(b: Bench, exe: str, logfile: Path) -> None:
    """s3s-fs on a free port with a temporary folder (deleted at the end)."""
    folder = b.new_temp_dir("postboard-bench-s3.")
    port = free_port()
    b.s3 = b.procs.start("s3s-fs", logfile, [exe, "--host", "127.0.0.1", "--port", port,
                                            "--access-key", "bench-access-key",
                                            "--secret-key", "bench-secret-key", folder])
    b.s3_url = f"http://127.0.0.1:{port}"
    if not wait_http(b.s3_url + "/", 30, b.s3, any_status=True):
        die(f"s3s-fs did not start; see {logfile}")
    ok(f"s3s-fs on {b.s3_url} (data in {folder})")


def ensure_postgres(b: Bench) -> None:
    """lib.sh's ensure_postgres: uses or starts PostgreSQL (installing it when missing);
    remembers the admin URL and whether it started a cluster (stopped again at the end)."""
    url, data_dir, system = lib_sh_vars("ensure_postgres", "PG_ADMIN_URL", "PG_STARTED_DATA_DIR",
                                        "PG_STARTED_SYSTEM")
    b.pg_admin_url, b.pg_started = url, (data_dir, system)


def build_baseline(b: Bench) -> None:
    """The release binary of commit BENCH_BASELINE, built in a git worktree
    (.data/bench/baseline) with the same target directory, so that the crates both builds
    share are compiled once. Both binaries have the same path in target/: the current one is
    put back afterwards."""
    tree = DATA_DIR / "bench" / "baseline"
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", f"{b.s.baseline}^{{commit}}"],
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    if not rev:
        die(f"BENCH_BASELINE={b.s.baseline} is no commit")
    # Named `postboard` like the current one (start_server checks the process's name).
    b.baseline_bin = DATA_DIR / "bench" / f"baseline-{rev[:12]}" / "postboard"
    if os.access(b.baseline_bin, os.X_OK):
        return
    log(f"Building the baseline {rev[:12]} (cargo build --release in {tree})")
    if subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree],
                      stderr=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(tree, ignore_errors=True)
    run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, rev], stdout=subprocess.DEVNULL)
    current = b.bin.with_name("postboard.current")
    shutil.copy2(b.bin, current)
    try:
        run(["cargo", "build", "--release", "-p", "postboard"], "the baseline's build", cwd=tree,
            env={**os.environ, "CARGO_TARGET_DIR": str(b.target_dir)})
        b.baseline_bin.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(b.bin, b.baseline_bin)
    finally:
        os.replace(current, b.bin)
    run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])
