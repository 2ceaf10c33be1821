#!/usr/bin/env python3
"""make bench — Postboard's benchmarks, made to hold up on a machine whose speed drifts by up to
2× within minutes. The method is explained in bench/README.md.

Builds the release binary, creates FRESH databases (BENCH_DB, default postboard_bench, for the
large board, and BENCH_DB_small for the 1 000-post one), starts s3s-fs on a free port with a
temporary folder and seeds posts with SQL. Then it runs the scenarios of scenarios.GROUPS: each
group runs BENCH_REPEAT rounds, and each round runs every scenario of the group once, so a
comparison is always between runs seconds apart: A B A B A B. Every run restarts the server (its
peak RSS is the run's own), warms up for BENCH_WARMUP seconds and measures for BENCH_DURATION
seconds: wrk (or pgbench, or bench/client.py) for req/s and latencies, bench/cpusample.py for
the CPU time of the server, of PostgreSQL's processes and of s3s-fs, and wait4's figures for the
load generator's. Results (JSON lines, logs, results.md with medians, spreads and the targets)
go to .data/bench/<time>/ and .data/bench/latest; results.md is printed at the end.

Environment (all optional):
  BENCH_REPEAT=3         rounds per group (the report gives the median and the min–max)
  BENCH_DURATION=10      seconds measured per run
  BENCH_WARMUP=2         seconds of the same load before each measurement (not counted)
  BENCH_CONNECTIONS=32   wrk -c and pgbench -c
  BENCH_THREADS=2        wrk -t and pgbench -j
  BENCH_POSTS=1000000    posts in the large board
  BENCH_BANS=10000       bans in the large board (most in force), read by every vote
  BENCH_REPORTS=100000   open reports on posts of the large board
  BENCH_DB=postboard_bench   database (dropped and recreated!, as are BENCH_DB_small and,
                         for the *_fastapi scenarios, BENCH_DB_fastapi)
  BENCH_RUST_LOG=warn    the server's RUST_LOG (info logs every request: costs throughput)
  BENCH_CPUS_SERVER=     CPU list for the server (taskset -c), e.g. 1; empty: not pinned
  BENCH_CPUS_LOAD=       CPU list for wrk, pgbench and bench/client.py, e.g. 0; empty: not pinned
  BENCH_ONLY=            space-separated scenario names to run (default: all), e.g. "vote";
                         `vote` brings `pgbench` (its ceiling) with it
  BENCH_SKIP_BUILD=1     use the existing target/release/postboard
  BENCH_BASELINE=REV     also build commit REV (a git worktree in .data/bench/baseline) and run
                         the `*_before` scenarios with it, on a board of its own seeded alike:
                         the same routes before and after a change, in one run
  BENCH_VOTE_BURST=500   concurrent votes on one post in the correctness check after `vote`
  BENCH_UPLOAD_CLIENTS=8 connections of upload_5mib
  BENCH_VARIANT_IMAGES=100  distinct photos per round of image_variant_cold
  BENCH_VARIANT_CLIENTS=8   connections of image_variant_cold
  BENCH_SSE_CLIENTS=50000   event streams held by sse_idle_50k and sse_fanout (at most what the
                         open-files hard limit allows, less 1 000: the figure says so)
  BENCH_EVENT_PROBES=200    votes timed to their event by event_latency
  BENCH_STORM_CLIENTS=10000 clients that come back within 10 s in sse_reconnect_storm
  BENCH_STORM_MISSED=20     events each of them missed
  BENCH_IMAGE_CACHE_BYTES=67108864  report only (bench/report.py): the image cache bound
Also read: CARGO_TARGET_DIR (where the release binary is), TMPDIR, and scripts/lib.sh's
TEST_DATABASE_URL (a PostgreSQL to use instead of finding or starting one).
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import boards
import bodies
import harness
import scenarios
import tools
from boards import BEFORE_FIRST, app_statement, explain, psql_db, seed_posts
from harness import DATA_DIR, ROOT, Bench, die, log, ok, warn


@dataclass
class Settings:
    repeat: int
    duration: int
    warmup: int
    connections: int
    threads: int
    posts: int  # the big board
    bans: int
    reports: int
    db: str
    rust_log: str
    cpus_server: str
    cpus_load: str
    only: list
    skip_build: bool
    baseline: str
    vote_burst: int
    upload_clients: int
    variant_images: int
    variant_clients: int
    sse_clients: int
    event_probes: int
    storm_clients: int
    storm_missed: int
    replica_writers: int
    sse_streams: int = 0  # sse_clients, or fewer where the open-files limit is lower
    sse_streams_note: str = ""


SMALL_BOARD = 1000


def read_settings() -> Settings:
    env = os.environ.get

    def number(name: str, default: int, least: int = 1) -> int:
        value = env(name) or str(default)
        if not re.fullmatch(r"[0-9]+", value) or int(value) < least:
            die(f"{name} must be a {'positive ' if least else ''}whole number")
        return int(value)

    s = Settings(
        repeat=number("BENCH_REPEAT", 3), duration=number("BENCH_DURATION", 10),
        warmup=number("BENCH_WARMUP", 2, least=0),
        connections=number("BENCH_CONNECTIONS", 32), threads=number("BENCH_THREADS", 2),
        posts=number("BENCH_POSTS", 1000000), bans=number("BENCH_BANS", 10000, least=0),
        reports=number("BENCH_REPORTS", 100000, least=0),
        db=env("BENCH_DB") or "postboard_bench", rust_log=env("BENCH_RUST_LOG") or "warn",
        cpus_server=env("BENCH_CPUS_SERVER", ""), cpus_load=env("BENCH_CPUS_LOAD", ""),
        only=env("BENCH_ONLY", "").split(), skip_build=bool(env("BENCH_SKIP_BUILD")),
        baseline=env("BENCH_BASELINE", ""), vote_burst=number("BENCH_VOTE_BURST", 500),
        upload_clients=number("BENCH_UPLOAD_CLIENTS", 8),
        variant_images=number("BENCH_VARIANT_IMAGES", 100),
        variant_clients=number("BENCH_VARIANT_CLIENTS", 8),
        sse_clients=number("BENCH_SSE_CLIENTS", 50000),
        event_probes=number("BENCH_EVENT_PROBES", 200),
        storm_clients=number("BENCH_STORM_CLIENTS", 10000),
        storm_missed=number("BENCH_STORM_MISSED", 20),
        replica_writers=number("BENCH_REPLICA_WRITERS", 1))
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", s.db):
        die("BENCH_DB must be a plain lower-case name")
    # Every stream is an open file in the server and in the client: both get the hard limit,
    # and where that is too low for BENCH_SSE_CLIENTS (a container's), the streams are fewer.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as e:
        die(f"cannot raise the open-files limit to its hard limit ({hard}): {e}")
    s.sse_streams = s.sse_clients
    if hard != resource.RLIM_INFINITY and s.sse_clients + 1000 > hard:
        s.sse_streams = hard - 1000
        s.sse_streams_note = f" (not {s.sse_clients}: the open-files hard limit here is {hard})"
    return s


def wants(s: Settings, name: str) -> bool:
    """Whether BENCH_ONLY selects NAME (`vote` brings its ceiling, `pgbench`)."""
    return not s.only or name in s.only or (name == "pgbench" and "vote" in s.only)


def check_scenarios(b: Bench) -> None:
    """Every scenario of the groups has its function and title; BENCH_ONLY names only
    scenarios."""
    titles = scenarios.titles(b)
    known = []
    for group in scenarios.GROUPS:
        for name in group.split():
            if name not in scenarios.SCENARIOS:
                die(f"GROUPS names {name}, but SCENARIOS has no {name}")
            if name not in titles:
                die(f"GROUPS names {name}, but titles() has none for it")
            known.append(name)
    for name in b.s.only:
        if name not in known:
            die(f"BENCH_ONLY: no scenario {name} (scenarios: {' '.join(known)})")


def run_group(b: Bench, group: str) -> None:
    """Probes, then BENCH_REPEAT rounds of A B ..., then the checks of AFTER."""
    names = []
    for name in group.split():
        if not wants(b.s, name):
            continue
        probe = scenarios.PROBES.get(name)
        reason = probe(b) if probe else None
        if reason:
            warn(f"{name} skipped: {reason}")
            b.record_json("skip", name, reason=reason)
            continue
        names.append(name)
    for rnd in range(1, b.s.repeat + 1):
        b.round = rnd
        for name in names:
            boards.settle_databases(b)
            scenarios.SCENARIOS[name](b, name)
    for name in names:
        if name in scenarios.AFTER:
            scenarios.AFTER[name](b)


def make_files(b: Bench) -> None:
    """Images and request bodies (bodies.py), and the app's page as the build writes it, for
    /p/{id} (the bundles it names are not needed)."""
    f = b.files
    f.mkdir(parents=True)
    (f / "small.png").write_bytes(bodies.png(250, 8))
    (f / "5mib.png").write_bytes(bodies.png(5 * 1024 * 1024))
    (f / "1mib.png").write_bytes(bodies.png(1024 * 1024))
    (f / "photo-1600.png").write_bytes(bodies.photo(1600, 1200, "smooth"))
    (f / "photo-5mib.png").write_bytes(bodies.photo(1280, 1360, "noise"))
    (f / "static").mkdir()
    shutil.copy(ROOT / "frontend" / "src" / "index.html", f / "static" / "index.html")
    bodies.multipart(str(f / "create-text"), scenarios.BOUNDARY, None)
    bodies.multipart(str(f / "create-1mib"), scenarios.BOUNDARY, str(f / "1mib.png"))
    bodies.multipart(str(f / "upload-5mib"), scenarios.BOUNDARY, str(f / "photo-5mib.png"))


def find_postmaster(b: Bench) -> None:
    """PostgreSQL's postmaster (whose children are its processes, for the CPU figures): the
    parent of the checkpointer (a process that always runs), when it is a process of this
    machine named postgres."""
    checkpointer = psql_db(b.db_bench, "SELECT pid FROM pg_stat_activity "
                                       "WHERE backend_type = 'checkpointer'", check=False) or ""
    b.pg_cluster = psql_db(b.db_bench, "SHOW cluster_name", check=False) or ""
    try:
        with open(f"/proc/{int(checkpointer)}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{ppid}/comm") as f:
            if f.read().strip() == "postgres":
                b.pg_postmaster = ppid
                ok(f"PostgreSQL's postmaster: PID {ppid} (cluster {b.pg_cluster or 'unnamed'})")
                return
    except (ValueError, OSError):
        pass
    warn("PostgreSQL does not run on this machine (or not visibly): no PostgreSQL CPU figures")


def prepare(b: Bench) -> None:
    """Tools, the build(s), PostgreSQL with the boards seeded, s3s-fs, the request bodies."""
    s = b.s
    log("Tools")
    tools.ensure_wrk(b)
    tools.ensure_pgbench()
    fastapi = any(wants(s, n) for n in scenarios.FASTAPI_SCENARIOS)
    if fastapi:
        tools.ensure_fastapi(b)
    if not s.skip_build:
        log("Building the server (cargo build --release; a cold build takes ~7 minutes)")
        harness.run(["cargo", "build", "--release", "-p", "postboard"], "cargo build --release")
    s3s_fs = tools.s3_server(b)
    if not os.access(b.bin, os.X_OK):
        die(f"no release binary at {b.bin}")
    if s.baseline and any(wants(s, n) for n in scenarios.BASELINE_SCENARIOS):
        tools.build_baseline(b)

    tools.ensure_postgres(b)
    b.db_bench = boards.fresh_database(b, s.db)
    # The 1 000-post board lives in a database of its own, so that both boards exist before
    # any list is measured and the two list scenarios can alternate.
    b.db_small = boards.fresh_database(b, f"{s.db}_small")
    find_postmaster(b)
    tools.start_throwaway_s3s_fs(b, s3s_fs, b.run_dir / "logs" / "s3s-fs.log")
    make_files(b)

    # The first start applies the migrations.
    b.start_server("migrate-small", b.db_small)
    b.stop_server()
    b.start_server("migrate")
    b.stop_server()

    newest = app_statement("FROM visible_posts WHERE id < $1 ORDER BY id DESC LIMIT $2")
    log(f"Seeding {SMALL_BOARD} posts")
    seed_posts(b.db_small, 1, SMALL_BOARD)
    explain(b, b.db_small, f"newest first, {SMALL_BOARD} posts (the first page: 50 + 1 rows)",
            newest, BEFORE_FIRST, "51")
    log(f"Seeding {s.posts} posts (SQL, generate_series)")
    seed_posts(b.db_bench, 1, s.posts)
    log(f"Seeding {s.bans} bans and {s.reports} reports")
    boards.seed_moderation(b, b.db_bench)
    if b.baseline_bin:
        log(f"The baseline's board: {s.posts} posts (and moderation, where its schema has it)")
        b.db_before = boards.fresh_database(b, f"{s.db}_before")
        b.start_server("migrate-before", b.db_before, server_bin=b.baseline_bin)
        b.stop_server()
        seed_posts(b.db_before, 1, s.posts)
        if psql_db(b.db_before, "SELECT to_regclass('bans') IS NOT NULL") == "t":
            boards.seed_moderation(b, b.db_before)
    explain(b, b.db_bench, f"newest first, {s.posts} posts", newest, BEFORE_FIRST, "51")
    explain(b, b.db_bench, f"top, {s.posts} posts",
            app_statement("FROM visible_posts WHERE (score, id) < ($1, $2)"),
            BEFORE_FIRST, BEFORE_FIRST, "51")
    explain(b, b.db_bench, f"hot, {s.posts} posts",
            app_statement("FROM visible_posts WHERE (hot, id) < ($1, $2)"),
            "'Infinity'", BEFORE_FIRST, "51")
    boards.make_unsearched_copy(b)
    if fastapi:
        boards.fastapi_board(b)
    if any(wants(s, n) for n in scenarios.PGBOUNCER_SCENARIOS):
        b.start_pgbouncer()
    explain(b, b.db_bench, f"search for tag7 (0.1 % of {s.posts} posts), first page",
            app_statement("FROM post_search s"),
            "'tag7'", "NULL", "0", "51")


def command_output(*cmd) -> str:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True).stdout.strip()


def write_machine(b: Bench) -> None:
    """machine.txt: what the figures were measured on, for the report."""
    s = b.s
    model = next((line.split(":", 1)[1].strip() for line in command_output("lscpu").splitlines()
                  if line.startswith("Model name:")), "")
    memory = next((line.split()[1] for line in command_output("free", "-g").splitlines()
                   if line.startswith("Mem:")), "?")
    with open("/etc/os-release") as f:
        os_name = next((line.split("=", 1)[1].strip().replace('"', "") for line in f
                        if line.startswith("PRETTY_NAME=")), "")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    commit = command_output("git", "-C", ROOT, "rev-parse", "--short", "HEAD") or "unknown"
    if subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        commit += " (with uncommitted changes)"
    uname = os.uname()
    lines = [
        f"machine: {len(os.sched_getaffinity(0))} CPUs ({model}), {memory} GiB RAM, "
        f"{uname.sysname} {uname.release}",
        f"os: {os_name}",
        f"postgresql: {psql_db(b.db_bench, 'SHOW server_version')}, postmaster "
        f"{b.pg_postmaster or 'not on this machine (no PostgreSQL CPU)'}",
        f"load average before the report: {load}",
        f"commit: {commit}",
        f"settings: {s.repeat} rounds, {s.duration}s per run (+{s.warmup}s warm-up), "
        f"{s.connections} connections, {s.threads} threads, RUST_LOG={s.rust_log}, "
        "RATE_LIMIT_POSTS=off RATE_LIMIT_VOTES=off, "
        f"server CPUs {s.cpus_server or 'any'}, load generator CPUs {s.cpus_load or 'any'}",
    ]
    if wants(s, "pgbench"):
        lines.append(f"ceiling statement (pgbench): {scenarios.SINGLE_VOTE_SQL}")
    if b.fastapi_versions:
        lines.append(f"FastAPI design (bench/fastapi_design): uvicorn, {harness.FASTAPI_WORKERS} "
                     f"workers, {b.fastapi_versions}")
    (b.run_dir / "machine.txt").write_text("\n".join(lines) + "\n")


def bench(b: Bench) -> None:
    check_scenarios(b)
    b.run_dir = DATA_DIR / "bench" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (b.run_dir / "raw").mkdir(parents=True)
    (b.run_dir / "logs").mkdir()
    b.files = b.run_dir / "files"
    latest = DATA_DIR / "bench" / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(b.run_dir)
    (b.run_dir / "results.jsonl").write_text("")
    # The scenarios, their titles and groups, in order, for the report.
    titles = scenarios.titles(b)
    for group in scenarios.GROUPS:
        for name in group.split():
            if wants(b.s, name):
                b.record_json("scenario", name, title=titles[name], group=group)

    prepare(b)
    for group in scenarios.GROUPS:
        run_group(b, group)

    write_machine(b)
    with open(b.run_dir / "results.md", "w") as out:
        harness.run([harness.PYTHON, harness.BENCH_DIR / "report.py", b.run_dir], "bench/report.py",
                    stdout=out, env={**os.environ, "BENCH_POSTS": str(b.s.posts)})
    print()
    print((b.run_dir / "results.md").read_text())
    ok(f"results in {b.run_dir.relative_to(ROOT)} (also .data/bench/latest)")


def main() -> int:
    os.chdir(ROOT)
    b = Bench(read_settings())

    def terminated(*_):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, terminated)
    try:
        bench(b)
    except KeyboardInterrupt:
        return 130
    finally:
        b.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
