#!/usr/bin/env python3
"""Turns one bench/run.py run folder into results.md: medians and spreads, CPU per request,
the comparisons made round by round, the targets, every run in order, the plans.

  report.py RUN_DIR      (RUN_DIR holds results.jsonl, machine.txt and plans.txt)

results.jsonl has one JSON object a line, told apart by "kind": `scenario` (name, title,
group: what was asked for, in order), `run` (one measured run: name, round, seq and the
figures), `skip` (name, reason: the server cannot run it yet) and `check` (name, title, ok,
detail: correctness checks, not timing).
"""
import json
import os
import statistics
import sys

BIG = int(os.environ.get("BENCH_POSTS", "1000000"))
BIG_TEXT = f"{BIG:,}".replace(",", " ")
# The cache bound the image peak-RSS targets allow on top of today's figures (issue 13: "peak
# RSS stays within the cache bound plus today's figures"); the server's IMAGE_CACHE_BYTES.
CACHE_BYTES = int(os.environ.get("BENCH_IMAGE_CACHE_BYTES", str(64 * 1024 * 1024)))
MIB = 1024 * 1024


def ms(us) -> str:
    return "—" if us is None else f"{us / 1000:.2f} ms"


def mib(kib) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def num(v, digits=0) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}".replace(",", " ")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cell(values, fmt=num, unit="") -> str:
    """'median (min–max) unit' of the values, each formatted by fmt; one figure when they
    are all the same."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    low, mid, high = fmt(min(values)), fmt(median(values)), fmt(max(values))
    if low == high:
        return mid + unit
    return f"{mid}{unit} ({low}–{high})"


def ms_cell(values) -> str:
    return cell([None if v is None else v / 1000 for v in values],
                lambda v: f"{v:.2f}", " ms")


def per_request(run, key):
    """CPU µs per request of one run, or None."""
    value, n = run.get(key), run.get("requests")
    if value is None or not n:
        return None
    return value / n * 1e6


def measured_cpu(run) -> float:
    return sum(run.get(k) or 0 for k in ("server_cpu_s", "pg_cpu_s", "load_cpu_s", "s3_cpu_s"))


def others_cpu(run):
    """CPU seconds the machine was busy with anything but the processes measured."""
    busy = run.get("machine_busy_s")
    return None if busy is None else max(0.0, busy - measured_cpu(run))


def accounted(run) -> str:
    """The measured processes' CPU time as a share of the machine's busy time in the run."""
    busy = run.get("machine_busy_s")
    return f"{measured_cpu(run) / busy:.0%}" if busy else "—"


def bad_statuses(run) -> int:
    # `unexpected` (counted in Lua against the expected status) when the scenario counted it;
    # otherwise wrk's own count of statuses >= 400.
    u = run.get("unexpected", -1)
    return u if u is not None and u >= 0 else run.get("status_errors", 0)


def load(run_dir):
    scenarios, runs, skips, checks = [], {}, {}, []
    seq = 0
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            kind = row.get("kind", "run")  # lines of older runs have no kind
            if kind == "scenario":
                scenarios.append(row)
            elif kind == "skip":
                skips[row["name"]] = row["reason"]
            elif kind == "check":
                checks.append(row)
            else:
                seq += 1
                row.setdefault("seq", seq)
                row.setdefault("round", len(runs.get(row["name"], [])) + 1)
                runs.setdefault(row["name"], []).append(row)
    if not scenarios:  # an older run: its names, in the order they ran
        scenarios = [{"name": n, "title": "", "group": n} for n in runs]
    return scenarios, runs, skips, checks


def ratios(runs, a, b, key):
    """Per round: a's key / b's key, for the rounds both ran."""
    by_round = {r["round"]: r for r in runs.get(b, [])}
    out = []
    for r in runs.get(a, []):
        other = by_round.get(r["round"])
        if other and r.get(key) is not None and other.get(key):
            out.append((r["round"], r[key] / other[key]))
    return out


def main() -> None:
    run_dir = sys.argv[1]
    scenarios, runs, skips, checks = load(run_dir)
    rounds = max((r["round"] for group in runs.values() for r in group), default=0)
    out = []
    w = out.append

    machine = os.path.join(run_dir, "machine.txt")
    if os.path.exists(machine):
        w("```\n" + open(machine).read().rstrip() + "\n```\n")

    w(f"### Medians of {rounds} rounds (min–max)")
    w("")
    w("Each group of scenarios ran round after round, every scenario once a round "
      "(A B A B A B); each figure is the median of the scenario's runs, the spread in "
      "brackets.")
    w("")
    w("| scenario | runs | req/s | p50 | p99 | bad statuses / socket errors / timeouts |")
    w("|---|---:|---:|---:|---:|---:|")
    for s in scenarios:
        name = s["name"]
        group = runs.get(name)
        if not group:
            why = skips.get(name, "did not run")
            w(f"| `{name}` {s['title']} | 0 | skipped: {why} | | | |")
            continue
        errors = (sum(bad_statuses(r) for r in group), sum(r.get("socket_errors", 0) for r in group),
                  sum(r.get("timeouts", 0) for r in group))
        rate = cell([r.get("rps") for r in group])
        if rate == "—":  # not a rate: say what was counted (e.g. the streams held)
            rate = cell([r.get("requests") for r in group], unit=" " + group[0].get(
                "count_label", "requests"))
        w(f"| `{name}` {s['title']} | {len(group)} "
          f"| {rate} "
          f"| {ms_cell([r.get('p50_us') for r in group])} "
          f"| {ms_cell([r.get('p99_us') for r in group])} "
          f"| {errors[0]} / {errors[1]} / {errors[2]} |")
    w("")

    w("### CPU per request and memory (medians, min–max)")
    w("")
    w("| scenario | server µs/req | PostgreSQL µs/req | load generator µs/req "
      "| s3s-fs CPU | peak RSS (highest) | others' CPU |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for s in scenarios:
        group = runs.get(s["name"])
        if not group:
            continue
        rss = [r.get("peak_rss_kib") for r in group if r.get("peak_rss_kib")]
        w(f"| `{s['name']}` "
          f"| {cell([per_request(r, 'server_cpu_s') for r in group])} "
          f"| {cell([per_request(r, 'pg_cpu_s') for r in group])} "
          f"| {cell([per_request(r, 'load_cpu_s') for r in group])} "
          f"| {cell([r.get('s3_cpu_s') for r in group], lambda v: f'{v:.2f}', ' s')} "
          f"| {mib(max(rss)) if rss else '—'} "
          f"| {cell([others_cpu(r) for r in group], lambda v: f'{v:.1f}', ' s')} |")
    w("")
    w("CPU µs/req: user + system CPU time of the process(es) during the measured seconds "
      "(`/proc/PID/stat`), divided by the requests answered in them. **server**: the "
      "postboard process, all threads (for the `*_fastapi` scenarios: uvicorn's process and "
      "all its children, the workers among them). **PostgreSQL**: the backends connected to the "
      "scenario's database (the server's pool; pgbench's clients) plus the postmaster and "
      "the cluster's background processes (checkpointer, background writer, walwriter). "
      "**load generator**: wrk, pgbench or bench/client.py. s3s-fs CPU: seconds in all, per "
      "run. others' CPU: per "
      "run: the CPU seconds the machine was busy with anything but the processes measured "
      "(other people's builds and tests, mostly); the machine has CPUs × duration seconds in "
      "all.")
    w("")

    comparisons = [
        ("votes / pgbench ceiling (req/s)", "vote", "pgbench", "rps"),
        (f"list p99: {BIG_TEXT} / 1 000 posts", "list_new_1m", "list_new_1k", "p99_us"),
        ("image: small 200 / 304 of the same image (req/s)", "image_small_200", "image_304", "rps"),
        ("list: hot / top (req/s)", "list_hot_1m", "list_top_1m", "rps"),
        ("feed / JSON list of the same 50 posts (req/s)", "feed_new_1m", "feed_list_1m", "rps"),
        ("creates / creates without the search column (req/s)", "create_text",
         "create_text_unsearched", "rps"),
        ("votes / the baseline's votes (req/s)", "vote", "vote_before", "rps"),
        (f"list {BIG_TEXT}: now / the baseline (req/s)", "list_new_1m_now",
         "list_new_1m_before", "rps"),
        ("votes through PgBouncer / direct (req/s)", "vote_pgbouncer", "vote", "rps"),
        ("creates through PgBouncer / direct (req/s)", "create_text_pgbouncer", "create_text",
         "rps"),
        ("creates / votes of the same round (req/s)", "create_text_now", "vote_beside_creates",
         "rps"),
        ("creates / the baseline's creates (req/s)", "create_text_now", "create_text_before",
         "rps"),
        ("create_text / create_text_fastapi: creates / the FastAPI design's (req/s)",
         "create_text", "create_text_fastapi", "rps"),
        ("vote / vote_fastapi: votes / the FastAPI design's (req/s)", "vote", "vote_fastapi",
         "rps"),
        ("idle streams: KiB per stream now / the baseline's", "sse_idle_50k",
         "sse_idle_50k_before", "kib_per_stream"),
    ]
    made = [(t, ratios(runs, a, b, k)) for t, a, b, k in comparisons]
    made = [(t, rs) for t, rs in made if rs]
    medians = {t: median([v for _, v in rs]) for t, rs in made}
    if made:
        w("### Comparisons, round by round")
        w("")
        w("Each ratio divides two runs of the same round (seconds apart); the median is of "
          "those ratios.")
        w("")
        w("| ratio | " + " | ".join(f"round {i}" for i in range(1, rounds + 1)) + " | median |")
        w("|---|" + "---:|" * (rounds + 1))
        for title, rs in made:
            by = dict(rs)
            w(f"| {title} | " + " | ".join(f"{by[i]:.2f}×" if i in by else "—"
                                          for i in range(1, rounds + 1))
              + f" | **{medians[title]:.2f}×** |")
        w("")

    def med_of(name, key):
        return median([r.get(key) for r in runs.get(name, [])])

    def target(title, needs, measure):
        """A row of a targets table: measure() gives (measured text, met) when every
        scenario in needs ran; otherwise the row says why there is no figure."""
        missing = [n for n in needs if not runs.get(n)]
        if missing:
            why = "; ".join(f"`{n}` " + (f"skipped: {skips[n]}" if n in skips else "not run")
                            for n in missing)
            return (title, why, None)
        return (title, *measure())

    def checks_of(prefix):
        """Every round's check of this name: met when all of them are."""
        found = [c for c in checks if c["name"].startswith(prefix)]
        if not found:
            return None
        return "; ".join(c["detail"] for c in found), all(c["ok"] for c in found)

    vote_ratio = medians.get(comparisons[0][0])
    list_ratio = medians.get(comparisons[1][0])
    image_ratio = medians.get(comparisons[2][0])
    cache_mib = CACHE_BYTES / MIB
    issue13 = [
        target("votes ≥ 1.2× the pgbench ceiling (median of the per-round ratios)",
               ["vote", "pgbench"], lambda: (f"{vote_ratio:.2f}×", vote_ratio >= 1.2)),
        target("vote p99 ≤ 15 ms", ["vote"],
               lambda: (ms(med_of("vote", "p99_us")), med_of("vote", "p99_us") <= 15_000)),
        target("500 concurrent votes on one post end at exactly +500", ["vote"],
               lambda: checks_of("votes_") or ("no check recorded", False)),
        target("list first page p99 ≤ 10 ms at 1 000 posts", ["list_new_1k"],
               lambda: (ms(med_of("list_new_1k", "p99_us")),
                        med_of("list_new_1k", "p99_us") <= 10_000)),
        target(f"list first page p99 ≤ 10 ms at {BIG_TEXT} posts", ["list_new_1m"],
               lambda: (ms(med_of("list_new_1m", "p99_us")),
                        med_of("list_new_1m", "p99_us") <= 10_000)),
        target(f"list p99 {BIG_TEXT} / 1 000 posts ≤ 1.25 (median of the per-round ratios)",
               ["list_new_1k", "list_new_1m"],
               lambda: (f"{list_ratio:.2f}×", list_ratio <= 1.25)),
        target("small image 200 ≥ 0.5× the 304 rate of the same image (median of the "
               "per-round ratios)", ["image_small_200", "image_304"],
               lambda: (f"{image_ratio:.2f}×", image_ratio >= 0.5)),
        target("small image 200 makes no S3 call (the server's S3 GET count, /metrics, "
               "does not move under the load)", ["image_small_200"],
               lambda: checks_of("s3_gets_small_200") or ("no check recorded", False)),
        target(f"image peak RSS ≤ 64 MiB + the cache bound ({cache_mib:.0f} MiB), "
               "32 clients downloading the 5 MiB image", ["image_200"],
               lambda: (mib(max(r["peak_rss_kib"] for r in runs["image_200"])),
                        max(r["peak_rss_kib"] for r in runs["image_200"])
                        <= (64 * MIB + CACHE_BYTES) / 1024)),
        target(f"image peak RSS ≤ 64 MiB + the cache bound ({cache_mib:.0f} MiB), "
               "32 clients on the small image", ["image_small_200"],
               lambda: (mib(max(r["peak_rss_kib"] for r in runs["image_small_200"])),
                        max(r["peak_rss_kib"] for r in runs["image_small_200"])
                        <= (64 * MIB + CACHE_BYTES) / 1024)),
    ]
    earlier = [
        target("304 makes no S3 call (S3 frozen: every answer a 304, no error, no S3 CPU)",
               ["image_304"],
               lambda: (f"{sum(bad_statuses(r) for r in runs['image_304'])} non-304, "
                        f"{sum(r['socket_errors'] + r['timeouts'] for r in runs['image_304'])}"
                        f" errors, S3 CPU {sum(r.get('s3_cpu_s', 0) for r in runs['image_304']):.2f} s",
                        all(bad_statuses(r) == 0 and r["socket_errors"] + r["timeouts"] == 0
                            and r.get("s3_cpu_s") == 0 for r in runs["image_304"]))),
        target("peak RSS < 64 MiB, 32 clients downloading a 5 MiB image", ["image_200"],
               lambda: (mib(max(r["peak_rss_kib"] for r in runs["image_200"])),
                        max(r["peak_rss_kib"] for r in runs["image_200"]) < 64 * 1024)),
        target("peak RSS < 128 MiB, creates with a 1 MiB image", ["create_1mib"],
               lambda: (mib(max(r["peak_rss_kib"] for r in runs["create_1mib"])),
                        max(r["peak_rss_kib"] for r in runs["create_1mib"]) < 128 * 1024)),
    ]
    feed_ratio = medians.get(comparisons[4][0])
    create_ratio = medians.get(comparisons[5][0])

    def pg_per_create(name):
        return median([per_request(r, "pg_cpu_s") for r in runs[name]])
    issue18 = [
        target(f"search for a word of 0.1 % of {BIG_TEXT} posts: first page p99 ≤ 50 ms",
               ["search_1m"],
               lambda: (ms(med_of("search_1m", "p99_us")), med_of("search_1m", "p99_us") <= 50_000)),
        target("Atom feed ≥ the JSON list of the same 50 posts (req/s, median of the per-round "
               "ratios)", ["feed_new_1m", "feed_list_1m"],
               lambda: (f"{feed_ratio:.2f}×", feed_ratio >= 1.0)),
        target("/p/{id} ≥ 5 000 req/s", ["post_page_1m"],
               lambda: (f"{med_of('post_page_1m', 'rps'):.0f} req/s",
                        med_of("post_page_1m", "rps") >= 5_000)),
        target("creates ≥ 0.9× the same creates without the search column (req/s, median of "
               "the per-round ratios; PostgreSQL CPU per create beside)",
               ["create_text", "create_text_unsearched"],
               lambda: (f"{create_ratio:.2f}× (PostgreSQL {num(pg_per_create('create_text'))} vs "
                        f"{num(pg_per_create('create_text_unsearched'))} µs per create)",
                        create_ratio >= 0.9)),
    ]
    vote_vs_before = medians.get(comparisons[6][0])
    list_vs_before = medians.get(comparisons[7][0])
    issue17 = [
        target("votes within 5 % of the baseline build's (BENCH_BASELINE; req/s, median of the "
               "per-round ratios)", ["vote", "vote_before"],
               lambda: (f"{vote_vs_before:.2f}×", vote_vs_before >= 0.95)),
        target(f"list of {BIG_TEXT} posts within 5 % of the baseline build's (req/s, median of "
               "the per-round ratios)", ["list_new_1m_now", "list_new_1m_before"],
               lambda: (f"{list_vs_before:.2f}×", list_vs_before >= 0.95)),
    ]
    def round_ratio(name, rival, key):
        """The median over rounds of name's key / rival's key in the same round."""
        rivals = {r["round"]: r.get(key) for r in runs.get(rival, [])}
        return median([r[key] / rivals[r["round"]] for r in runs.get(name, [])
                       if r.get(key) and rivals.get(r["round"])])

    def replay_growth():
        return [r["peak_rss_kib"] - r["idle_rss_kib"] for r in runs["list_beside_replays"]]

    REPLAY_TEXT = "100 clients replaying 20 000 events each from the table"
    create_vs_vote = medians.get(comparisons[10][0])
    create_vs_before = medians.get(comparisons[11][0])
    create_vs_fastapi = medians.get(comparisons[12][0])
    vote_vs_fastapi = medians.get(comparisons[13][0])

    def beside_fastapi(name):
        """The two sides' req/s and server CPU per request (medians), for a target's row."""
        rival = f"{name}_fastapi"
        return (f"{num(med_of(name, 'rps'))} vs {num(med_of(rival, 'rps'))} req/s; server "
                f"{num(median([per_request(r, 'server_cpu_s') for r in runs[name]]))} vs "
                f"{num(median([per_request(r, 'server_cpu_s') for r in runs[rival]]))} µs, "
                f"PostgreSQL {num(median([per_request(r, 'pg_cpu_s') for r in runs[name]]))} vs "
                f"{num(median([per_request(r, 'pg_cpu_s') for r in runs[rival]]))} µs per "
                "request")
    issue21 = [
        target("creates ≥ 0.6× the votes of the same round (req/s, median of the per-round "
               "ratios)", ["create_text_now", "vote_beside_creates"],
               lambda: (f"{create_vs_vote:.2f}×", create_vs_vote >= 0.6)),
        target("PostgreSQL ≤ 300 µs of CPU per create", ["create_text_now"],
               lambda: (f"{num(pg_per_create('create_text_now'))} µs",
                        pg_per_create("create_text_now") <= 300)),
        target("create p99 ≤ 25 ms", ["create_text_now"],
               lambda: (ms(med_of("create_text_now", "p99_us")),
                        med_of("create_text_now", "p99_us") <= 25_000)),
        target(f"reconnect storm: every client gets exactly what it missed, ≤ 100 database "
               "statements in all (transactions, minus the same span idle)",
               ["sse_reconnect_storm"],
               lambda: (f"{min(r['requests'] for r in runs['sse_reconnect_storm'])} of "
                        f"{runs['sse_reconnect_storm'][0]['storm_clients']} exact, "
                        f"{max(r['db_transactions'] for r in runs['sse_reconnect_storm'])} "
                        "transactions",
                        all(r["requests"] == r["storm_clients"] and r["db_transactions"] <= 100
                            for r in runs["sse_reconnect_storm"]))),
        target("50 000 idle event streams, server RSS ≤ 8 KiB per stream above its idle RSS "
               "(median; the streams held, where the open-files limit allows fewer)",
               ["sse_idle_50k"],
               lambda: (f"{med_of('sse_idle_50k', 'kib_per_stream'):.1f} KiB per stream, "
                        f"{min(r['requests'] for r in runs['sse_idle_50k'])} streams "
                        f"({mib(med_of('sse_idle_50k', 'idle_rss_kib'))} idle → "
                        f"{mib(med_of('sse_idle_50k', 'held_rss_kib'))})",
                        med_of("sse_idle_50k", "kib_per_stream") <= 8
                        and min(r["requests"] for r in runs["sse_idle_50k"]) >= 50_000)),
        target("a create's post event reaches every stream, p99 ≤ 1 s, none missing, with "
               "streams that read nothing beside", ["sse_fanout"],
               lambda: (f"p99 {ms(med_of('sse_fanout', 'p99_us'))} at "
                        f"{min(r['requests'] for r in runs['sse_fanout'])} streams, "
                        f"{max(r['missing'] for r in runs['sse_fanout'])} missing",
                        med_of("sse_fanout", "p99_us") <= 1_000_000
                        and all(r["missing"] == 0 for r in runs["sse_fanout"]))),
        target(f"{REPLAY_TEXT}: server RSS grows ≤ 64 MiB, every client's first event "
               "≤ 100 ms (p99) and exactly what it missed, GET /post p99 ≤ 2× the same list "
               "alone (median of the per-round ratios)", ["list_beside_replays", "list_alone"],
               lambda: (f"+{mib(max(replay_growth()))} RSS, first event p99 "
                        f"{ms(max(r['replays']['first_p99_us'] for r in runs['list_beside_replays']))}"
                        f", {min(r['replays']['exact'] for r in runs['list_beside_replays'])} of "
                        f"{runs['list_beside_replays'][0]['replays']['count']} exact, list p99 "
                        f"{round_ratio('list_beside_replays', 'list_alone', 'p99_us'):.2f}×",
                        max(replay_growth()) <= 64 * 1024
                        and all(r["replays"]["first_p99_us"] <= 100_000
                                and r["replays"]["exact"] == r["replays"]["count"]
                                for r in runs["list_beside_replays"])
                        and round_ratio("list_beside_replays", "list_alone", "p99_us") <= 2)),
        target("two replicas with a live client each: creates within 10 % of one replica with "
               "none (req/s, median of the per-round ratios)",
               ["create_two_replicas_live", "create_one_replica"],
               lambda: (f"{round_ratio('create_two_replicas_live', 'create_one_replica', 'rps'):.2f}×",
                        round_ratio("create_two_replicas_live", "create_one_replica", "rps")
                        >= 0.9)),
        target("two replicas with a live client each: votes within 10 % of one replica with "
               "none (req/s, median of the per-round ratios)",
               ["vote_two_replicas_live", "vote_one_replica"],
               lambda: (f"{round_ratio('vote_two_replicas_live', 'vote_one_replica', 'rps'):.2f}×",
                        round_ratio("vote_two_replicas_live", "vote_one_replica", "rps") >= 0.9)),
        target("creates / the baseline build's (BENCH_BASELINE; req/s; no target, what moved)",
               ["create_text_now", "create_text_before"],
               lambda: (f"{create_vs_before:.2f}×", "info")),
        target("create_text ≥ 10× the FastAPI design (bench/fastapi_design; req/s, median of the "
               "per-round ratios)", ["create_text", "create_text_fastapi"],
               lambda: (f"{create_vs_fastapi:.2f}× ({beside_fastapi('create_text')})",
                        create_vs_fastapi >= 10)),
        target("votes / the FastAPI design's (req/s, median of the per-round ratios; no target)",
               ["vote", "vote_fastapi"],
               lambda: (f"{vote_vs_fastapi:.2f}× ({beside_fastapi('vote')})", "info")),
    ]

    def table(title, rows):
        rows = [r for r in rows if r]
        if not rows:
            return
        w(f"### {title}")
        w("")
        w("| target | measured | |")
        w("|---|---|---|")
        for name, measured, met in rows:
            verdict = ("not measured" if met is None else "no target" if met == "info"
                       else "met" if met else "**MISSED**")
            w(f"| {name} | {measured} | {verdict} |")
        w("")

    table(f"Targets of issue 13 (medians of {rounds})", issue13)
    table(f"Targets of issue 17 (medians of {rounds})", issue17)
    table(f"Targets of issue 18 (medians of {rounds})", issue18)
    table(f"Targets of issue 21 (medians of {rounds})", issue21)
    table("Earlier targets", earlier)

    # Checks a target row already shows are not listed again.
    other_checks = [c for c in checks
                    if not c["name"].startswith(("votes_", "s3_gets_small_200"))]
    if other_checks:
        w("### Checks")
        w("")
        for c in other_checks:
            w(f"- {c.get('title', c['name'])}: {'ok' if c['ok'] else '**FAILED**'} ({c['detail']})")
        w("")

    if skips:
        w("### Skipped")
        w("")
        for name, reason in skips.items():
            w(f"- `{name}`: {reason}")
        w("")

    w("### Every run, in order")
    w("")
    w("accounted: the CPU time of the processes measured (server, PostgreSQL, load generator, "
      "s3s-fs) as a share of the time the machine's CPUs were busy. others' CPU: the rest, in "
      "seconds (of which niced processes, i.e. builds, in brackets).")
    w("")
    w("| # | scenario | round | req/s | p50 | p99 | server µs/req | PostgreSQL µs/req "
      "| load gen. µs/req | accounted | others' CPU (niced) | load avg |")
    w("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    every = sorted((r for group in runs.values() for r in group), key=lambda r: r["seq"])
    for r in every:
        w(f"| {r['seq']} | `{r['name']}` | {r['round']} | {num(r.get('rps'))} "
          f"| {ms(r.get('p50_us'))} | {ms(r.get('p99_us'))} "
          f"| {num(per_request(r, 'server_cpu_s'))} | {num(per_request(r, 'pg_cpu_s'))} "
          f"| {num(per_request(r, 'load_cpu_s'))} | {accounted(r)} "
          f"| {num(others_cpu(r), 1)} s ({num(r.get('niced_cpu_s'), 1)} s) "
          f"| {num(r.get('load1'), 2)} |")
    w("")

    plans = os.path.join(run_dir, "plans.txt")
    if os.path.exists(plans):
        w("### Plans")
        w("")
        w("```\n" + open(plans).read().rstrip() + "\n```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
