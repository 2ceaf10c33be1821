#!/usr/bin/env python3
"""Turns one bench/run.sh run folder into results.md: the table, the ceiling, the targets.

  report.py RUN_DIR      (RUN_DIR holds results.jsonl, raw/pgbench-*.txt, plans.txt, machine.txt)
"""
import json
import os
import re
import sys

BIG = int(os.environ.get("BENCH_POSTS", "1000000"))
BIG_TEXT = f"{BIG:,}".replace(",", " ")
SCENARIOS = {
    "list_new_1k": "GET /post?limit=50, 1 000 posts",
    "list_new_1m": f"GET /post?limit=50, {BIG_TEXT} posts",
    "list_top_1m": f"GET /post?sort=top&limit=50, {BIG_TEXT} posts",
    "vote": f"POST /update-post-score, random post of {BIG_TEXT}, random ±1",
    "image_200": "GET /image/{hash}, 5 MiB PNG (200)",
    "image_304": "GET /image/{hash} + If-None-Match (304), S3 frozen",
    "create_text": "POST /post multipart, no image",
    "create_1mib": "POST /post multipart, 1 MiB PNG (new bytes each time)",
}


def ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def pgbench_run(run: str, label: str):
    """(label, tps, latency average in ms or None) of raw/pgbench-LABEL.txt, if it ran."""
    path = os.path.join(run, "raw", f"pgbench-{label}.txt")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    tps = re.search(r"^tps = ([0-9.]+)", text, re.M)
    latency = re.search(r"^latency average = ([0-9.]+) ms", text, re.M)
    if not tps:
        return None
    return label, float(tps.group(1)), latency.group(1) if latency else None


def combine(group: list) -> dict:
    """One row for a scenario that ran more than once (the list scenarios run A B B A): the
    mean of the rates, latencies and CPU times, the highest peak RSS, the sum of the errors."""
    if len(group) == 1:
        return group[0]
    row = dict(group[-1])
    for key in ("rps", "p50_us", "p99_us", "server_cpu_s", "s3_cpu_s", "niced_cpu_s"):
        row[key] = sum(r.get(key, 0) for r in group) / len(group)
    for key in ("status_errors", "socket_errors", "timeouts"):
        row[key] = sum(r[key] for r in group)
    # -1: the scenario does not count unexpected statuses (see the table's note).
    counted = all(r["unexpected"] >= 0 for r in group)
    row["unexpected"] = sum(r["unexpected"] for r in group) if counted else -1
    row["peak_rss_kib"] = max(r["peak_rss_kib"] for r in group)
    row["runs"] = [(r["rps"], r["p99_us"]) for r in group]
    return row


def main() -> None:
    run = sys.argv[1]
    runs = {}
    with open(os.path.join(run, "results.jsonl")) as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                runs.setdefault(row["name"], []).append(row)
    rows = {name: combine(group) for name, group in runs.items()}
    out = []
    w = out.append

    with open(os.path.join(run, "machine.txt")) as f:
        w("```\n" + f.read().rstrip() + "\n```\n")

    w("| scenario | req/s | p50 | p99 | non-2xx | socket errors / timeouts | peak RSS | server CPU | s3s-fs CPU | others' CPU |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, title in SCENARIOS.items():
        r = rows.get(name)
        if r is None:
            continue
        # `unexpected` (counted in Lua against the expected status) when the scenario counted
        # it; otherwise wrk's own count of statuses >= 400.
        bad = r["unexpected"] if r["unexpected"] >= 0 else r["status_errors"]
        w(
            f"| `{name}` {title} | {r['rps']:.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | {bad} "
            f"| {r['socket_errors']} / {r['timeouts']} | {mib(r['peak_rss_kib'])} "
            f"| {r['server_cpu_s']:.1f} s | {r['s3_cpu_s']:.2f} s "
            f"| {r.get('niced_cpu_s', 0):.1f} s |"
        )
    w("")
    for name, r in rows.items():
        if "runs" in r:
            each = ", ".join(f"{rps:.0f} req/s p99 {ms(p99)}" for rps, p99 in r["runs"])
            w(f"`{name}`: mean of {len(r['runs'])} runs ({each}).  ")
    w("")
    w("server CPU / s3s-fs CPU: CPU seconds the process used during the measured seconds. "
      "others' CPU: CPU seconds that niced processes (other work on the machine, e.g. builds) "
      "took meanwhile; the machine has (CPUs × duration) seconds in all.")
    w("")

    targets = []
    ceilings = [c for c in (pgbench_run(run, label) for label in ("before", "after")) if c]
    if ceilings:
        w("### The ceiling: pgbench, the vote statement")
        w("")
        w("pgbench -M prepared, same connections and threads, server stopped:")
        w("")
        for label, tps, latency in ceilings:
            w(f"- {label} the service's vote scenario: **{tps:.0f} tps**"
              + (f" (latency average {latency} ms)" if latency else ""))
        tps = sum(c[1] for c in ceilings) / len(ceilings)
        if "vote" in rows:
            ratio = rows["vote"]["rps"] / tps
            w(f"\nservice / ceiling = {rows['vote']['rps']:.0f} / {tps:.0f}"
              f" (mean of the pgbench runs) = **{ratio:.1%}**")
            targets.append(("votes ≥ 85% of the pgbench ceiling", f"{ratio:.1%}", ratio >= 0.85))
        w("")

    def add(cond_name, check):
        if all(n in rows for n in check[0]):
            targets.append((cond_name, *check[1](*[rows[n] for n in check[0]])))

    add("list p99 ≤ 10 ms at 1 000 posts", (["list_new_1k"],
        lambda a: (ms(a["p99_us"]), a["p99_us"] <= 10_000)))
    add(f"list p99 ≤ 10 ms at {BIG_TEXT} posts", (["list_new_1m"],
        lambda a: (ms(a["p99_us"]), a["p99_us"] <= 10_000)))
    add(f"list p99 at {BIG_TEXT} posts ≤ 1.25× the 1 000-post p99", (["list_new_1k", "list_new_1m"],
        lambda a, b: (f"{b['p99_us'] / a['p99_us']:.2f}×", b["p99_us"] <= 1.25 * a["p99_us"])))
    add("304 makes no S3 call (S3 frozen, no errors, no S3 CPU)", (["image_304"],
        lambda a: (f"{a['unexpected']} non-304, {a['socket_errors'] + a['timeouts']} errors, "
                   f"S3 CPU {a['s3_cpu_s']:.2f} s",
                   a["unexpected"] == 0 and a["socket_errors"] + a["timeouts"] == 0
                   and a["s3_cpu_s"] == 0)))
    add("peak RSS < 64 MiB, 32 clients downloading a 5 MiB image", (["image_200"],
        lambda a: (mib(a["peak_rss_kib"]), a["peak_rss_kib"] < 64 * 1024)))
    add("peak RSS < 128 MiB, creates with a 1 MiB image", (["create_1mib"],
        lambda a: (mib(a["peak_rss_kib"]), a["peak_rss_kib"] < 128 * 1024)))

    w("### Targets")
    w("")
    w("| target | measured | |")
    w("|---|---|---|")
    for name, measured, met in targets:
        w(f"| {name} | {measured} | {'met' if met else '**MISSED**'} |")
    w("")

    plans = os.path.join(run, "plans.txt")
    if os.path.exists(plans):
        w("### Plans")
        w("")
        w("```\n" + open(plans).read().rstrip() + "\n```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
