#!/usr/bin/env python3
"""CPU time of the processes under test over one measured window (standard library only).

  cpusample.py OUT [--pid LABEL=PID ...] [--tree LABEL=PID ...]
               [--postmaster PID --cluster-name NAME --db NAME ...]
               [--interval SECONDS] [--timeout SECONDS]

Takes a first reading, prints "ready" on stdout, then reads again every --interval seconds
until it gets SIGTERM or SIGINT (or --timeout passes), takes a last reading and writes one JSON
object to OUT:

  <LABEL>_cpu_s       user + system CPU seconds of each --pid (all its threads) in the window;
                      of each --tree, the same summed over PID and every process descended
                      from it (a server of several processes: uvicorn's workers), read every
                      --interval like PostgreSQL's (one that appears counts from zero)
  <LABEL>_procs       for a --tree: how many processes were counted
  pg_cpu_s            PostgreSQL's CPU seconds: pg_backend_cpu_s + pg_aux_cpu_s
  pg_backend_cpu_s    backends connected to one of the --db databases (the server's pool,
                      pgbench's clients), autovacuum workers on them, parallel workers they led
  pg_aux_cpu_s        the postmaster and the cluster's background processes (checkpointer,
                      background writer, walwriter, launchers...): they serve every database
  pg_other_db_cpu_s   backends of other databases (other work on the same cluster; not counted)
  pg_backends         how many of our backends were seen; pg_exited how many of them ended
                      in the window (pgbench's clients do, at its end). Their CPU time after
                      the last reading is taken from the postmaster's cutime + cstime (it waits
                      for every child) when only our backends ended in the window
                      (pg_exact_exits; one that ended before it was read with its title,
                      pg_untitled_exits of them, counts as ours); otherwise it is lost: at
                      most --interval seconds each
  machine_busy_s      CPU seconds the whole machine was busy (all CPUs, not idle nor iowait)
  niced_cpu_s         of which in niced processes (other people's builds here)
  wall_s, t0_epoch    the window's length, its start (Unix time)
  load1               the 1-minute load average at its start

PostgreSQL's processes are the postmaster's children (/proc/PID/task/PID/children), told apart
by the title PostgreSQL gives them ("postgres: [cluster: ]user database host(port) state"). A
child that appears during the window counts from zero. Times are utime + stime from
/proc/PID/stat, in clock ticks (CLK_TCK, 10 ms here).
"""
import argparse
import json
import os
import re
import signal
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int):
    """Fields of /proc/PID/stat after the command name (index 0 = state), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def ticks(pid: int):
    f = stat_fields(pid)
    return None if f is None else int(f[11]) + int(f[12])  # utime, stime


def reaped_ticks(pid: int):
    """cutime + cstime: the CPU time of PID's children that ended and were waited for."""
    f = stat_fields(pid)
    return None if f is None else int(f[13]) + int(f[14])


def children(pid: int):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:  # no CONFIG_PROC_CHILDREN: scan /proc for the parent
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                f = stat_fields(int(name))
                if f is not None and int(f[1]) == pid:
                    found.append(int(name))
        return found


def title(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], v[1]


class PgProcess:
    def __init__(self, pid: int, baseline: int):
        self.pid, self.baseline, self.last, self.title, self.gone = pid, baseline, baseline, "", False


def classify(text: str, cluster: str, dbs: set, ours_pids: set):
    """'ours', 'aux', 'other' or None (not titled yet: a fresh fork still shows the
    postmaster's command line)."""
    if not text.startswith("postgres: "):
        return None
    rest = text[len("postgres: "):]
    if cluster and rest.startswith(cluster + ": "):
        rest = rest[len(cluster) + 2:]
    m = re.match(r"autovacuum worker (\S+)", rest)
    if m:
        return "ours" if m.group(1) in dbs else "other"
    m = re.match(r"parallel worker for PID (\d+)", rest)
    if m:
        return "ours" if int(m.group(1)) in ours_pids else "other"
    m = re.match(r"\S+ (\S+) (\S+\(\d+\)|\[local\])", rest)
    if m:
        return "ours" if m.group(1) in dbs else "other"
    return "aux"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--pid", action="append", default=[], help="LABEL=PID")
    p.add_argument("--tree", action="append", default=[],
                   help="LABEL=PID: PID and its descendants")
    p.add_argument("--postmaster", type=int)
    p.add_argument("--cluster-name", default="")
    p.add_argument("--db", action="append", default=[])
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--timeout", type=float, default=3600)
    a = p.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    labelled = {}
    for item in a.pid:
        label, _, pid = item.partition("=")
        labelled[label] = int(pid) if pid.strip() else None
    trees = {}  # label → (root PID, {PID: [baseline ticks, last ticks]})
    for item in a.tree:
        label, _, pid = item.partition("=")
        trees[label] = (int(pid), {})

    def read_trees(first: bool) -> None:
        for root, procs in trees.values():
            todo, seen = [root], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                t = ticks(pid)
                if t is None:
                    continue
                procs.setdefault(pid, [t if first else 0, t])[1] = t
                todo.extend(children(pid))

    pg = {}

    def read_pg(first: bool) -> None:
        if not a.postmaster:
            return
        seen = set(children(a.postmaster))
        for pid in seen:
            t = ticks(pid)
            if t is None:
                continue
            proc = pg.get(pid)
            if proc is None:
                proc = pg[pid] = PgProcess(pid, t if first else 0)
            proc.last = t
            proc.title = title(pid) or proc.title
        for pid, proc in pg.items():
            if pid not in seen:
                proc.gone = True

    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    t0 = time.monotonic()
    epoch0 = time.time()
    start = {label: ticks(pid) if pid else None for label, pid in labelled.items()}
    pm0 = ticks(a.postmaster) if a.postmaster else None
    reaped0 = reaped_ticks(a.postmaster) if a.postmaster else None
    busy0, nice0 = machine()
    read_pg(True)
    read_trees(True)
    print("ready", flush=True)

    while not stop and time.monotonic() - t0 < a.timeout:
        time.sleep(a.interval)
        if not stop:
            read_pg(False)
            read_trees(False)

    end = {label: ticks(pid) if pid else None for label, pid in labelled.items()}
    pm1 = ticks(a.postmaster) if a.postmaster else None
    reaped1 = reaped_ticks(a.postmaster) if a.postmaster else None
    busy1, nice1 = machine()
    read_pg(False)
    read_trees(False)
    wall = time.monotonic() - t0

    row = {"wall_s": round(wall, 3), "t0_epoch": epoch0, "load1": load1,
           "machine_busy_s": (busy1 - busy0) / TCK, "niced_cpu_s": (nice1 - nice0) / TCK}
    for label in labelled:
        s, e = start[label], end[label]
        row[f"{label}_cpu_s"] = None if s is None or e is None else (e - s) / TCK
    for label, (_, procs) in trees.items():
        row[f"{label}_cpu_s"] = sum(last - base for base, last in procs.values()) / TCK
        row[f"{label}_procs"] = len(procs)
    if a.postmaster and pm0 is not None and pm1 is not None:
        dbs = set(a.db)
        kinds = {}
        ours = set()
        # Two passes: a parallel worker is ours when its leader is.
        for _ in range(2):
            for pid, proc in pg.items():
                kinds[pid] = classify(proc.title, a.cluster_name, dbs, ours)
                if kinds[pid] == "ours":
                    ours.add(pid)
        total = {"ours": 0, "aux": pm1 - pm0, "other": 0, None: 0}
        for pid, proc in pg.items():
            total[kinds[pid]] += proc.last - proc.baseline
        # A child that ended was read last up to --interval before it did. The postmaster
        # waited for it, so its whole CPU time is in the postmaster's cutime + cstime: when
        # every child that ended in the window was ours, that gives their exact share. A
        # child that ended before it was ever read with its title (a backend of a client that
        # connects and disconnects all the time, as a connection pool's overflow does) counts
        # as ours here, as do those that came and went between two readings: only one seen
        # serving another database makes the share inexact.
        gone = [proc for proc in pg.values() if proc.gone]
        row["pg_exact_exits"] = bool(gone) and all(kinds[p.pid] in ("ours", None)
                                                   for p in gone)
        row["pg_untitled_exits"] = sum(1 for p in gone if kinds[p.pid] is None)
        if row["pg_exact_exits"]:
            sampled = sum(p.last - p.baseline for p in gone)
            exact = (reaped1 - reaped0) - sum(p.baseline for p in gone)
            if exact >= sampled:
                total["ours"] += exact - sampled
        row.update(
            pg_backend_cpu_s=total["ours"] / TCK,
            pg_aux_cpu_s=(total["aux"] + total[None]) / TCK,
            pg_other_db_cpu_s=total["other"] / TCK,
            pg_backends=len(ours),
            pg_exited=sum(1 for pid in ours if pg[pid].gone),
        )
        row["pg_cpu_s"] = row["pg_backend_cpu_s"] + row["pg_aux_cpu_s"]
    else:
        row.update(pg_cpu_s=None, pg_backend_cpu_s=None, pg_aux_cpu_s=None)
    with open(a.out, "w") as f:
        json.dump(row, f)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
