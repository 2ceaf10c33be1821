"""What bench/run.py computes between a run and its record (standard library only).

Imported by bench/harness.py and bench/scenarios.py:

- run_row / run_summary: one run's line of results.jsonl (the load generator's figures, the CPU
  readings, the server's peak RSS) and the line printed for it.
- For loads that wrk alone does not make, their figures in the shape of wrk.lua's summary
  (requests, seconds, rps, p50_us, p90_us, p99_us, max_us, status_errors, unexpected,
  socket_errors, timeouts): two wrk at once against two replicas (wrk_pair), pgbench's
  per-transaction log (pgbench_result), client.py's event streams (fanout_result,
  storm_result, event_latency_result).
- The verdicts of the correctness checks: votes_burst, stream_cap.
"""
import glob
import json
import re

SUMMED = ("requests", "rps", "status_errors", "socket_errors", "timeouts", "bytes")
HIGHEST = ("seconds", "p50_us", "p90_us", "p99_us", "max_us", "unexpected")


def load_json(path) -> dict:
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------------
# One run's record


def run_row(name: str, rnd: int, seq: int, result: dict, cpu: dict, load_cpu_s,
            hwm_kib, extra: dict) -> dict:
    """A `run` line of results.jsonl. load_cpu_s: the load generator's CPU seconds, or None
    when the result already has them (pgbench shares its own out over its transactions)."""
    row = {"kind": "run", "name": name, "round": rnd, "seq": seq}
    row.update(result)
    row.update(cpu)
    if load_cpu_s is not None:
        row["load_cpu_s"] = round(load_cpu_s, 3)
    row["peak_rss_kib"] = hwm_kib
    row.update(extra)
    return row


def run_summary(r: dict) -> str:
    n = r.get("requests") or 0

    def per(key):
        v = r.get(key)
        return "n/a" if v is None or not n else f"{v / n * 1e6:.0f}"

    parts = [f"   round {r['round']}:"]
    if r.get("rps") is not None:
        parts.append(f"{r['rps']:.0f} req/s")
    if r.get("p50_us") is not None:
        parts.append(f"p50 {r['p50_us'] / 1000:.2f} ms  p99 {r['p99_us'] / 1000:.2f} ms")
    parts.append(f"CPU µs/req: server {per('server_cpu_s')}, PostgreSQL {per('pg_cpu_s')}, "
                 f"load generator {per('load_cpu_s')}")
    if r.get("peak_rss_kib"):
        parts.append(f"peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB")
    bad = r.get("unexpected", -1)
    bad = bad if bad >= 0 else r.get("status_errors", 0)
    if bad or r.get("socket_errors") or r.get("timeouts"):
        parts.append(f"ERRORS: {bad} bad statuses, {r.get('socket_errors', 0)} socket errors, "
                     f"{r.get('timeouts', 0)} timeouts")
    return "  ".join(parts)


# ---------------------------------------------------------------------------------------------
# Loads that are not one wrk


def wrk_result(path: str) -> dict:
    with open(path) as f:
        return json.loads(f.read().split("result: ", 1)[1])


def wrk_pair(tag: str) -> None:
    """Merges the results of two wrk runs made at once against two replicas (TAG.a.txt and
    TAG.b.txt, each ending with wrk.lua's `result: {...}` line) into TAG.json: requests, req/s
    and errors summed, the higher of each latency; and sums the two servers' CPU in
    TAG.cpu.json (`server2_cpu_s` folded into `server_cpu_s`)."""
    a, b = wrk_result(f"{tag}.a.txt"), wrk_result(f"{tag}.b.txt")
    merged = {k: a[k] + b[k] for k in SUMMED}
    merged.update({k: max(a[k], b[k]) for k in HIGHEST})
    with open(f"{tag}.json", "w") as f:
        json.dump(merged, f)
    cpu = load_json(f"{tag}.cpu.json")
    cpu["server_cpu_s"] = round(cpu["server_cpu_s"] + cpu.pop("server2_cpu_s"), 3)
    with open(f"{tag}.cpu.json", "w") as f:
        json.dump(cpu, f)


def pgbench_result(output_path: str, txlog: str, cpu_path: str, load_cpu_s: float) -> dict:
    """The ceiling's figures from pgbench's per-transaction log (-l): the transactions that
    ended in the sampler's window (from its t0_epoch) give req/s, p50 and p99. pgbench's CPU is
    known for its whole run only: it is shared out over all its transactions."""
    with open(output_path) as f:
        text = f.read()
    t0 = load_json(cpu_path)["t0_epoch"]
    everything = 0
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
    lat, last = [], t0
    for path in glob.glob(txlog + "/tx*"):
        with open(path) as f:
            for line in f:
                # client_id transaction_no time script_no time_epoch time_us: time is the
                # latency in µs, time_epoch + time_us when the transaction ended.
                fields = line.split()
                if len(fields) >= 6 and fields[2].isdigit():
                    everything += 1
                    end = int(fields[4]) + int(fields[5]) / 1e6
                    if end >= t0:
                        lat.append(int(fields[2]))
                        last = max(last, end)
    lat.sort()
    seconds = last - t0

    def pick(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else 0

    return {"requests": len(lat), "seconds": round(seconds, 3),
            "rps": len(lat) / seconds if seconds > 0 else 0,
            "p50_us": pick(50), "p90_us": pick(90), "p99_us": pick(99),
            "max_us": lat[-1] if lat else 0, "status_errors": 0,
            "unexpected": int(failed.group(1)) if failed else 0,
            "socket_errors": 0, "timeouts": 0, "bytes": 0,
            "load_cpu_s": load_cpu_s * len(lat) / everything if everything else None}


def fanout_result(path: str, creates: int) -> dict:
    """`client.py fanout`: the streams held are the run's count; p50/p99 are the creates'
    post events' arrival latencies (none without creates)."""
    f = load_json(path)
    failed = sum(f["failed"].values())
    wrong = failed + f["missing"] + sum(n for s, n in f["create_statuses"].items() if s != "201")
    figures = {"p50_us": f["p50_us"], "p90_us": f["p90_us"], "p99_us": f["p99_us"],
               "max_us": f["max_us"]} if creates else {}
    return {"requests": f["ok"], "count_label": "streams held", "seconds": 3 + creates,
            **figures, "status_errors": wrong, "unexpected": wrong, "socket_errors": 0,
            "timeouts": f["failed"].get("TimeoutError", 0),
            "streams_alive": f["alive_at_end"], "seconds_to_open": f["seconds_to_open"],
            "idle_rss_kib": f["server_idle_rss_kib"], "held_rss_kib": f["server_rss_kib"],
            "kib_per_stream": f["server_kib_per_stream"], "deliveries": f["deliveries"],
            "missing": f["missing"], "stalled": f["stalled"],
            "stalled_closed": f["stalled_closed"]}


def storm_result(path: str, during: int, idle: int) -> dict:
    """`client.py storm`: the clients that got exactly what they missed are the run's count;
    the database's commits over the storm less the same span idle."""
    s = load_json(path)
    failed = sum(s["failed"].values())
    return {"requests": s["exact"], "count_label": "clients resumed exactly",
            "seconds": s["seconds"], "p50_us": s["p50_us"], "p90_us": None,
            "p99_us": s["p99_us"], "max_us": s["max_us"],
            "status_errors": failed + s["wrong"], "unexpected": s["wrong"],
            "socket_errors": 0, "timeouts": s["failed"].get("TimeoutError", 0),
            "storm_clients": s["count"], "wrong_examples": s["wrong_examples"],
            "db_transactions": during - idle, "db_transactions_idle": idle}


def event_latency_result(events_path: str, wrk_path: str) -> dict:
    """req/s and the CPU per request are wrk's votes'; p50/p99 the events' latency."""
    e, w = load_json(events_path), load_json(wrk_path)
    return {"requests": w["requests"] + e["requests"], "seconds": w["seconds"],
            "rps": w["rps"], "p50_us": e["p50_us"], "p90_us": e["p90_us"],
            "p99_us": e["p99_us"], "max_us": e["max_us"], "events_timed": e["requests"],
            "events_missed": e["missed"], "vote_p50_us": w["p50_us"],
            "vote_p99_us": w["p99_us"], "status_errors": w["status_errors"],
            "unexpected": w["unexpected"] + e["missed"],
            "socket_errors": w["socket_errors"], "timeouts": w["timeouts"]}


# ---------------------------------------------------------------------------------------------
# Checks: (ok, what happened)


def votes_burst(path: str, before: int, after: int, n: int, post: int) -> tuple:
    """`client.py burst` of n votes of +1 on one post: all 200, the score moved by exactly n,
    and the highest score answered is the final one."""
    r = load_json(path)
    ok = (r["statuses"] == {"200": n} and after - before == n
          and bool(r["scores"]) and max(r["scores"]) == after)
    detail = (f"post {post}: score {before} → {after} ({after - before:+d}); answers "
              + ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
              + (f"; highest score answered {max(r['scores'])}" if r["scores"] else "")
              + f"; {r['seconds']:.2f} s")
    return ok, detail


def stream_cap(path: str) -> tuple:
    """`client.py fanout` of 3 000 streams asked by one client: 1 000 opened and 2 000
    refused with 429."""
    r = load_json(path)
    refused = sum(n for key, n in r["failed"].items() if key.startswith("HTTP/1.1 429"))
    others = {k: n for k, n in r["failed"].items() if not k.startswith("HTTP/1.1 429")}
    ok = r["ok"] == 1000 and refused == 2000
    return ok, f"{r['ok']} opened, {refused} refused with 429, other failures: {json.dumps(others)}"
