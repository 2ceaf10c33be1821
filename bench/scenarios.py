"""The scenarios of bench/run.py: groups that alternate, one function per scenario.

Each group runs BENCH_REPEAT rounds; each round runs its scenarios once, in this order. To add
a scenario: a function in SCENARIOS (one run: start the server, `b.measure`, stop the server),
its name in a group of GROUPS and its title in titles(). Optional: a PROBES entry, run once
before the first round, returns the reason to skip it when the server cannot run it yet (the
report lists it as skipped, with the reason, and no figure); an AFTER entry, a check run once
after the group.
"""
import json
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import bodies
import client
import combine
from boards import psql_db
from harness import (
    BENCH_DIR,
    PYTHON,
    Bench,
    alive,
    curl_status,
    die,
    expect_status,
    finish_timed,
    log,
    run,
    start_timed,
    status_kib,
)

GROUPS = [
    "list_new_1k list_new_1m",
    "list_new_1m_now list_new_1m_before",
    "list_top_1m list_hot_1m",
    "feed_list_1m feed_new_1m",
    "search_1m post_page_1m",
    "pgbench vote vote_fastapi vote_before vote_pgbouncer",
    "image_small_200 image_304 image_200",
    "image_variant_warm",
    "image_variant_cold",
    "create_text create_text_fastapi create_text_unsearched create_1mib create_text_pgbouncer",
    "create_text_now create_text_before vote_beside_creates",
    "create_one_replica create_two_replicas create_two_replicas_live vote_one_replica "
    "vote_two_replicas vote_two_replicas_live",
    "upload_5mib",
    "sse_idle_50k sse_idle_50k_before sse_fanout",
    "sse_reconnect_storm",
    "list_beside_replays list_alone",
    "event_latency",
]
BASELINE_SCENARIOS = ("list_new_1m_now", "list_new_1m_before", "vote_before", "create_text_before",
                      "sse_idle_50k_before")
PGBOUNCER_SCENARIOS = ("vote_pgbouncer", "create_text_pgbouncer")
# Against the original FastAPI design (bench/fastapi_design), on its own table of BENCH_POSTS
# posts: the same wrk settings, bodies and connections as their rivals `vote`, `create_text`.
FASTAPI_SCENARIOS = ("vote_fastapi", "create_text_fastapi")
BOUNDARY = "postboard-bench-boundary-7d2f"
SSE_CREATES = 5
SSE_STALLED = 10
STORM_SECONDS = 10
REPLAY_CLIENTS = 100
REPLAY_EVENTS = 20000


def titles(b: Bench) -> dict:
    big = f"{b.s.posts:,}".replace(",", " ")
    streams, note = b.s.sse_streams, b.s.sse_streams_note
    same_before = "the same with the BENCH_BASELINE build, on its own board"
    return {
        "list_new_1k": "GET /post?limit=50, 1 000 posts",
        "list_new_1m": f"GET /post?limit=50, {big} posts",
        "list_top_1m": f"GET /post?sort=top&limit=50, {big} posts",
        "list_hot_1m": f"GET /post?sort=hot&limit=50, {big} posts",
        "feed_list_1m": (
            f"GET /post?limit=50, {big} posts (feed_new_1m's rival: the same 50 posts as JSON)"
        ),
        "feed_new_1m": f"GET /feed.atom (the same 50 posts as Atom), {big} posts",
        "search_1m": f"GET /post?q=<a word of 0.1 % of the posts>&limit=50, {big} posts",
        "post_page_1m": f"GET /p/{{id}} (index.html with the post's preview tags), {big} posts",
        "pgbench": "pgbench: the single vote statement, server stopped (the ceiling)",
        "vote": f"POST /update-post-score, random post of {big}, random ±1",
        "vote_before": same_before,
        "vote_fastapi": (
            f"the same as vote against the original FastAPI design (bench/fastapi_design: "
            f"uvicorn, 2 workers, SQLAlchemy ORM) on its own table of {big} posts (vote's rival)"
        ),
        "vote_pgbouncer": (
            "the same as vote, DATABASE_URL through PgBouncer in transaction mode (vote's rival)"
        ),
        "list_new_1m_now": f"GET /post?limit=50, {big} posts (list_new_1m_before's rival)",
        "list_new_1m_before": same_before,
        "image_small_200": "GET /image/{hash}, 250-byte PNG (200)",
        "image_304": "GET /image/{hash} of the 250-byte PNG + If-None-Match (304), S3 frozen",
        "image_200": "GET /image/{hash}, 5 MiB PNG (200)",
        "image_variant_warm": "GET /image/{hash}?width=640 of a 1600×1200 PNG, variant made before",
        "image_variant_cold": (
            f"GET /image/{{hash}}?width=640, each a new 1600×1200 PNG, {b.s.variant_clients} "
            "clients, fixed work"
        ),
        "create_text": "POST /post multipart, no image",
        "create_text_fastapi": (
            "the same as create_text against the original FastAPI design (bench/fastapi_design: "
            f"uvicorn, 2 workers, SQLAlchemy ORM) on its own table of {big} posts "
            "(create_text's rival)"
        ),
        "create_text_unsearched": (
            "POST /post multipart, no image, on a copy of the board without search documents "
            "(create_text's rival)"
        ),
        "create_1mib": "POST /post multipart, 1 MiB PNG (new bytes each time)",
        "create_text_now": (
            "POST /post multipart, no image (create_text_before's and vote_beside_creates' rival)"
        ),
        "create_one_replica": (
            "POST /post multipart, no image, one replica, no live client "
            "(create_two_replicas_live's rival)"
        ),
        "create_two_replicas": (
            "the same split over two replicas, no live client (what two processes cost without "
            "events sent)"
        ),
        "create_two_replicas_live": (
            "the same split over two replicas, a live client on each (events read and sent by "
            "both)"
        ),
        "vote_one_replica": (
            "POST /update-post-score as in vote, one replica, no live client "
            "(vote_two_replicas_live's rival)"
        ),
        "vote_two_replicas": "the same split over two replicas, no live client",
        "vote_two_replicas_live": "the same split over two replicas, a live client on each",
        "create_text_before": same_before,
        "vote_beside_creates": (
            "the same as vote, in the round of create_text_now (issue 21: creates ≥ 0.6× votes)"
        ),
        "create_text_pgbouncer": (
            "the same as create_text, DATABASE_URL through PgBouncer in transaction mode "
            "(create_text's rival)"
        ),
        "upload_5mib": (
            f"POST /post multipart, 5 MiB PNG photo (new bytes each time), {b.s.upload_clients} "
            "clients"
        ),
        "sse_idle_50k": (
            f"GET /events: {streams} idle event streams from 50 source addresses{note} (figure: "
            "the server's RSS per stream above its idle RSS)"
        ),
        "sse_idle_50k_before": same_before,
        "sse_fanout": (
            f"GET /events: {streams} streams + {SSE_STALLED} that read nothing; {SSE_CREATES} "
            "creates, 1 s apart (p50/p99: create sent → its post event at every stream)"
        ),
        "sse_reconnect_storm": (
            f"GET /events: {b.s.storm_clients} clients come back within {STORM_SECONDS}s, each "
            f"{b.s.storm_missed} events behind (p50/p99: until its last missed event)"
        ),
        "list_beside_replays": (
            f"GET /post?limit=50 while {REPLAY_CLIENTS} event-stream clients each replay "
            f"{REPLAY_EVENTS} events from the table (figures: the list's; the replays' in the run "
            "list)"
        ),
        "list_alone": "the same list with no replay (list_beside_replays' rival)",
        "event_latency": (
            "vote → its event on GET /events, under the vote load (p50/p99: event latency)"
        ),
    }


def tag(b: Bench, name: str) -> str:
    return f"{name}-r{b.round}"


def client_py(*args) -> list:
    return [PYTHON, BENCH_DIR / "client.py", *args]


# ---------------------------------------------------------------------------------------------
# Lists


def list_run(b: Bench, name: str, database_url: str, path: str, **server) -> None:
    b.start_server(tag(b, name), database_url, **server)
    expect_status(200, b.base_url + path)
    b.measure(name, b.base_url + path, {"BENCH_MODE": "get"})
    b.stop_server()


def probe_baseline(b: Bench):
    return None if b.s.baseline else "no BENCH_BASELINE (a commit to compare with)"


def probe_list_hot_1m(b: Bench):
    b.start_server("probe-list-hot")
    code = curl_status(f"{b.base_url}/post?sort=hot&limit=50")
    b.stop_server()
    return None if code == "200" else f"GET /post?sort=hot answers {code}: no hot listing yet"


# ---------------------------------------------------------------------------------------------
# Votes and their ceiling

# The ceiling: the single vote statement (one UPDATE and one commit per vote, what the app sent
# before votes were batched), run by pgbench with the server stopped. The app's own statement
# is now `add_votes` over a batch (repository/vote_batcher.rs).
SINGLE_VOTE_SQL = ("UPDATE posts SET score = score + $1 WHERE id = $2 RETURNING id, title, post, "
                   "username, score, image_hash, image_width, image_height, created_at, hot")


def probe_pgbench(b: Bench):
    script = b.files / "vote.pgbench"
    vote_sql = SINGLE_VOTE_SQL.replace("$1", ":d").replace("$2", ":id")
    script.write_text(f"\\set id random(1, :n)\n\\set d random(0, 1) * 2 - 1\n{vote_sql};\n")
    print(script.read_text(), end="", flush=True)
    return None


def scenario_pgbench(b: Bench, name: str) -> None:
    """The ceiling: pgbench runs the vote statement with the server stopped, same connections
    and threads. One pgbench run of BENCH_WARMUP + BENCH_DURATION seconds: the CPU sampler
    starts after the warm-up (on connections that are already open, as the server's are), and
    the figures come from pgbench's per-transaction log (-l): the transactions that ended in
    the sampler's window give req/s, p50 and p99."""
    s, t = b.s, tag(b, name)
    log(f"pgbench (round {b.round} of {s.repeat}): -M prepared -c {s.connections} -j {s.threads} "
        f"-T {s.duration} (+{s.warmup}s), server stopped")
    b.current_db = s.db
    txlog = b.new_temp_dir("postboard-pgbench.")
    output = b.raw(f"{t}.txt")
    with open(output, "w") as out:
        pgbench = start_timed(b.procs, [
            *b.load_prefix, "pgbench", "-n", "-M", "prepared", "-c", s.connections,
            "-j", s.threads, "-T", s.warmup + s.duration, "-D", f"n={s.posts}",
            "-f", b.files / "vote.pgbench", "-l", f"--log-prefix={txlog}/tx", b.db_bench],
            stdout=out, stderr=subprocess.STDOUT)
        time.sleep(s.warmup)

        def failed():
            return "pgbench failed: " + "".join(output.read_text().splitlines(True)[-5:])

        if not alive(pgbench):
            die(failed())
        b.start_sampler(b.raw(f"{t}.cpu.json"))
        (code,), load_cpu = finish_timed(b.procs, b.raw(f"{t}.load-cpu"), pgbench)
    if code != 0:
        die(failed())
    b.stop_sampler()
    result = combine.pgbench_result(str(output), str(txlog), str(b.raw(f"{t}.cpu.json")),
                                    load_cpu)
    b.raw(f"{t}.json").write_text(json.dumps(result) + "\n")
    b.remove_temp_dir(txlog)
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), None)


def start(b: Bench, name: str, database_url: str, fastapi: bool, server: dict) -> None:
    """The server for this run, or the FastAPI design (on its own database) in its place."""
    if fastapi:
        b.start_fastapi(tag(b, name))
    else:
        b.start_server(tag(b, name), database_url, **server)


def vote_run(b: Bench, name: str, database_url: str, fastapi=False, **server) -> None:
    start(b, name, database_url, fastapi, server)
    expect_status(200, "-H", "Content-Type: application/json",
                  "-d", '{"post_id": 1, "score_increase": 1}', f"{b.base_url}/update-post-score")
    b.measure(name, f"{b.base_url}/update-post-score",
              {"BENCH_MODE": "vote", "BENCH_MAX_ID": str(b.s.posts), "BENCH_EXPECT": "200"})
    b.stop_server()


def check_votes_burst(b: Bench) -> None:
    """Correctness, not timing: BENCH_VOTE_BURST votes of +1 on one post, all sent at once on
    connections of their own, must all answer 200 and move the score by exactly that many; the
    highest score among the answers is the final one."""
    n, post = b.s.vote_burst, b.s.posts // 2
    out = b.raw("votes-burst.json")
    log(f"Check: {n} concurrent votes of +1 on post {post}")
    b.start_server("votes-burst")
    score = f"SELECT score FROM posts WHERE id = {post}"
    before = int(psql_db(b.db_bench, score))
    with open(out, "w") as f:
        run(client_py("burst", f"{b.base_url}/update-post-score", n,
                      json.dumps({"post_id": post, "score_increase": 1})), "client.py burst",
            stdout=f)
    after = int(psql_db(b.db_bench, score))
    b.stop_server()
    passed, detail = combine.votes_burst(str(out), before, after, n, post)
    b.record_check(f"votes_{n}", passed,
                   f"{n} concurrent votes of +1 on one post end at exactly +{n}", detail)
    print(f"   ok: {detail}" if passed else f"   FAILED: {detail}", flush=True)


# ---------------------------------------------------------------------------------------------
# Images


def upload_image(b: Bench, path: Path) -> str:
    """POST /post with PATH as its image on the running server; the image's hash."""
    done = subprocess.run(["curl", "-sf", "--max-time", "120", "-F", "title=Image",
                           "-F", "post=A benchmark image", "-F", f"file=@{path};type=image/png",
                           f"{b.base_url}/post"], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        die(f"uploading {path} failed")
    image_hash = json.loads(done.stdout).get("image_hash") or ""
    if not re.fullmatch(r"[0-9a-f]{64}", image_hash):
        die(f"the upload of {path} gave no image hash")
    return image_hash


def need_images(b: Bench) -> None:
    if "image_5mib" in b.cache:
        return
    b.start_server("image-upload")
    log("Uploading a 250-byte PNG and a 5 MiB PNG")
    b.cache["image_small"] = upload_image(b, b.files / "small.png")
    b.cache["image_5mib"] = upload_image(b, b.files / "5mib.png")
    b.stop_server()


def s3_gets(b: Bench) -> int:
    """The running server's count of S3 GetObject calls, from its /metrics."""
    try:
        with urllib.request.urlopen(b.metrics_url, timeout=30) as r:
            text = r.read().decode()
    except OSError as e:
        die(f"reading {b.metrics_url} failed: {e}")
    pattern = re.compile(r'^postboard_s3_request_duration_seconds_count\{.*operation="get_object"')
    return int(sum(float(line.split()[-1]) for line in text.splitlines() if pattern.match(line)))


def scenario_image_small_200(b: Bench, name: str) -> None:
    """The image is read from S3 once (the first request, before the load) and then served from
    the server's memory: the server's own count of S3 GETs (/metrics) must not move during the
    load."""
    need_images(b)
    b.start_server(tag(b, name), with_metrics=True)
    url = f"{b.base_url}/image/{b.cache['image_small']}"
    expect_status(200, url)
    before = s3_gets(b)
    b.measure(name, url, {"BENCH_MODE": "get"})
    after = s3_gets(b)
    b.stop_server()
    b.record_check(f"s3_gets_small_200-r{b.round}", after == before,
                   "the small image is served from memory: no S3 GET under the load "
                   f"(round {b.round})",
                   f"round {b.round}: {after - before} S3 GETs during the warm-up and the "
                   "measured seconds")


def scenario_image_304(b: Bench, name: str) -> None:
    """The 304 of the small image. A 304 reads no bytes, so the image's size does not matter."""
    need_images(b)
    b.start_server(tag(b, name))
    image = b.cache["image_small"]
    url = f"{b.base_url}/image/{image}"
    expect_status(304, "-H", f'If-None-Match: "{image}"', url)
    # Object storage is frozen (SIGSTOP) for the whole run: a 304 that asked it anything would
    # hang until the S3 timeout and show up as an error; its CPU time must not move.
    b.s3.send_signal(signal.SIGSTOP)
    try:
        b.measure(name, url, {"BENCH_MODE": "get", "BENCH_HEADER": f'If-None-Match: "{image}"',
                              "BENCH_EXPECT": "304"})
    finally:
        b.s3.send_signal(signal.SIGCONT)
    b.stop_server()


def scenario_image_200(b: Bench, name: str) -> None:
    need_images(b)
    b.start_server(tag(b, name))
    url = f"{b.base_url}/image/{b.cache['image_5mib']}"
    expect_status(200, url)
    b.measure(name, url, {"BENCH_MODE": "get"})
    b.stop_server()


def probe_variants(b: Bench):
    """GET /image/{hash}?width=640 of a 1600×1200 PNG: until the answer is an image 640 pixels
    wide, both variant scenarios are skipped."""
    if "variants" not in b.cache:
        b.start_server("probe-variants")
        b.cache["photo"] = upload_image(b, b.files / "photo-1600.png")
        answer = b.files / "variant-probe"
        code = curl_status(f"{b.base_url}/image/{b.cache['photo']}?width=640", max_time=60,
                           out=answer)
        b.stop_server()
        size = client.dims(str(answer)) if answer.exists() else "?"
        b.cache["variants"] = None if code == "200" and size.startswith("640x") else (
            f"GET /image/{{hash}}?width=640 of a 1600×1200 PNG answers {code} with a {size} "
            "image: no variants yet")
    return b.cache["variants"]


def scenario_image_variant_warm(b: Bench, name: str) -> None:
    b.start_server(tag(b, name))
    url = f"{b.base_url}/image/{b.cache['photo']}?width=640"
    expect_status(200, url)  # makes the variant
    b.measure(name, url, {"BENCH_MODE": "get"})
    b.stop_server()


def probe_image_variant_cold(b: Bench):
    """Photos of their own for every round of the cold variants, uploaded once."""
    reason = probe_variants(b)
    if reason:
        return reason
    total = b.s.variant_images * b.s.repeat
    log(f"Uploading {total} distinct 1600×1200 PNGs for cold variants")
    bodies.copies(str(b.files / "photo-1600.png"), total, str(b.files / "cold"))
    b.start_server("cold-upload")
    b.cache["cold"] = [upload_image(b, b.files / f"cold-{i}") for i in range(total)]
    b.stop_server()
    for i in range(total):
        (b.files / f"cold-{i}").unlink()
    return None


def scenario_image_variant_cold(b: Bench, name: str) -> None:
    """Each request asks for the variant of a photo never asked for before, so it cannot be
    cached anywhere. Fixed work (BENCH_VARIANT_IMAGES requests a round, BENCH_VARIANT_CLIENTS at
    a time, client.py fetch): wrk would run out of new photos."""
    s, t = b.s, tag(b, name)
    first = (b.round - 1) * s.variant_images
    urls = b.raw(f"{t}.urls")
    b.start_server(t)
    urls.write_text("".join(f"{b.base_url}/image/{h}?width=640\n"
                            for h in b.cache["cold"][first:first + s.variant_images]))
    log(f"image_variant_cold (round {b.round} of {s.repeat}): {s.variant_images} new variants, "
        f"{s.variant_clients} clients")
    b.start_sampler(b.raw(f"{t}.cpu.json"))
    with open(b.raw(f"{t}.json"), "w") as out:
        fetch = start_timed(b.procs, [*b.load_prefix, *client_py(
            "fetch", urls, s.variant_clients, "--expect", 200)], stdout=out)
        (code,), load_cpu = finish_timed(b.procs, b.raw(f"{t}.load-cpu"), fetch)
    if code != 0:
        die("client.py fetch failed")
    b.stop_sampler()
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), load_cpu)
    b.stop_server()


# ---------------------------------------------------------------------------------------------
# Creating posts


def create_run(b: Bench, name: str, body: str, database_url: str = None, connections=None,
               fastapi=False, **server) -> None:
    """POST /post with the multipart body BODY (files/BODY.pre, the unique tag, .tail; with an
    image, BODY.adler for the checksums the tag changes: bodies.tagged_png_head)."""
    start(b, name, database_url, fastapi, server)
    env = {
        "BENCH_MODE": "body", "BENCH_EXPECT": "201", "BENCH_BODY": f"{b.files / body}.pre",
        "BENCH_BODY_TAIL": f"{b.files / body}.tail",
        "BENCH_CTYPE": f"multipart/form-data; boundary={BOUNDARY}"}
    adler = b.files / f"{body}.adler"
    if adler.exists():
        env["BENCH_BODY_ADLER"] = str(adler)
    b.measure(name, f"{b.base_url}/post", env, connections)
    b.stop_server()


# ---------------------------------------------------------------------------------------------
# Live events (GET /events)


def probe_events(b: Bench):
    if "events" not in b.cache:
        b.start_server("probe-events")
        # An event stream never ends: curl gives up after 2 s and still prints the status.
        answer = curl_status("-H", "Accept: text/event-stream", f"{b.base_url}/events",
                             max_time=2, write_out="%{http_code} %{content_type}")
        b.stop_server()
        b.cache["events"] = None if answer.startswith("200 text/event-stream") else (
            f"GET /events answers {answer or 'nothing'}: no event stream yet")
    return b.cache["events"]


def fanout_run(b: Bench, name: str, creates: int, stalled: int, database_url: str = None,
               **server) -> None:
    """BENCH_SSE_CLIENTS event streams, spread over 50 source addresses (one address has
    ~28 000 ephemeral ports), held while CREATES posts are made 1 s apart, and STALLED more
    streams that read nothing (client.py fanout). Figures: the server's RSS per stream above
    its RSS before the first; each create's post event's latency at every stream."""
    t = tag(b, name)
    b.start_server(t, database_url, **server)
    log(f"{name} (round {b.round} of {b.s.repeat}): {b.s.sse_streams} event streams, "
        f"{creates} creates")
    time.sleep(2)  # the server's memory settles after startup
    b.start_sampler(b.raw(f"{t}.cpu.json"))
    with open(b.raw(f"{t}.fanout.json"), "w") as out:
        fanout = start_timed(b.procs, [*b.load_prefix, *client_py(
            "fanout", f"{b.base_url}/events", b.s.sse_streams, f"{b.base_url}/post", creates,
            "--server-pid", b.server.pid, "--sources", 50, "--gap", 1, "--stalled", stalled)],
            stdout=out)
        (code,), load_cpu = finish_timed(b.procs, b.raw(f"{t}.load-cpu"), fanout)
    if code != 0:
        die("client.py fanout failed")
    b.stop_sampler()
    result = combine.fanout_result(str(b.raw(f"{t}.fanout.json")), creates)
    b.raw(f"{t}.json").write_text(json.dumps(result) + "\n")
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), load_cpu)
    b.stop_server()


def check_stream_cap(b: Bench) -> None:
    """One client (one source address) asks for 3 000 streams of a server with the default
    STREAMS_PER_CLIENT (1 000): exactly 1 000 open, the rest are refused with 429."""
    out = b.raw("stream-cap.json")
    log("Check: one client asks for 3 000 event streams (STREAMS_PER_CLIENT=1000)")
    b.start_server("stream-cap", streams_per_client=1000)
    with open(out, "w") as f:
        run(client_py("fanout", f"{b.base_url}/events", 3000, f"{b.base_url}/post", 0),
            "client.py fanout", stdout=f)
    b.stop_server()
    passed, detail = combine.stream_cap(str(out))
    b.record_check("stream_cap", passed,
                   "3 000 streams asked by one client: 1 000 open, 2 000 refused (429)", detail)
    print(f"   ok: {detail}" if passed else f"   FAILED: {detail}", flush=True)


def database_transactions(b: Bench) -> int:
    """Commits so far in the big board's database (PostgreSQL publishes them within a second:
    wait that long first)."""
    time.sleep(1.5)
    return int(psql_db(b.db_bench, "SELECT xact_commit FROM pg_stat_database "
                                   "WHERE datname = current_database()"))


def scenario_sse_reconnect_storm(b: Bench, name: str) -> None:
    """A deploy's reconnect storm: BENCH_STORM_CLIENTS clients come back within STORM_SECONDS,
    each with a Last-Event-ID BENCH_STORM_MISSED events old. A watcher stream keeps the
    replica's relay reading (as on a replica that serves clients), so the replica holds those
    events in memory. Figures: the clients that got exactly what they missed, in order, and
    the database transactions the storm cost: xact_commit of the board's database over the
    storm, minus the same span idle just before (the replicas' numbering ticks, the
    sampler)."""
    s, t = b.s, tag(b, name)
    b.start_server(t)
    watcher = b.procs.child(["curl", "-sN", f"{b.base_url}/events"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    psql_db(b.db_bench, f"""INSERT INTO posts (title, post, username)
        SELECT 'storm', 'missed', 'bench' FROM generate_series(1, {s.storm_missed})""")
    time.sleep(1)  # numbered, read by the relay
    newest = int(psql_db(b.db_bench, "SELECT max(id) FROM events"))
    log(f"sse_reconnect_storm (round {b.round} of {s.repeat}): {s.storm_clients} clients back "
        f"within {STORM_SECONDS}s")
    before = database_transactions(b)
    time.sleep(STORM_SECONDS)
    idle = database_transactions(b) - before
    before = database_transactions(b)
    b.start_sampler(b.raw(f"{t}.cpu.json"))
    with open(b.raw(f"{t}.storm.json"), "w") as out:
        storm = start_timed(b.procs, [*b.load_prefix, *client_py(
            "storm", f"{b.base_url}/events", s.storm_clients, STORM_SECONDS,
            newest - s.storm_missed, newest)], stdout=out)
        (code,), load_cpu = finish_timed(b.procs, b.raw(f"{t}.load-cpu"), storm)
    if code != 0:
        die("client.py storm failed")
    b.stop_sampler()
    during = database_transactions(b) - before
    b.procs.stop_child(watcher)
    result = combine.storm_result(str(b.raw(f"{t}.storm.json")), during, idle)
    b.raw(f"{t}.json").write_text(json.dumps(result) + "\n")
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), load_cpu)
    b.stop_server()


def scenario_list_beside_replays(b: Bench, name: str) -> None:
    """REPLAY_EVENTS posts are written straight to the table, then a server starts (its memory
    of recent events begins after them, so they come from the table, 200 at a time) and
    REPLAY_CLIENTS clients come back at once, each with a Last-Event-ID before all of them,
    while wrk lists the first page. The list's figures are the run's; the replays' are added to
    it: each client's time to its first event and to its last, whether each got exactly the
    ids it missed, and the server's RSS growth (VmHWM over the run minus VmRSS before)."""
    t, path = tag(b, name), "/post?limit=50"
    psql_db(b.db_bench, f"""INSERT INTO posts (title, post, username)
        SELECT 'replayed', repeat('x', 200), 'bench' FROM generate_series(1, {REPLAY_EVENTS})""")
    b.start_server(t)
    time.sleep(1)  # the server numbers the new events (10 times a second)
    newest = int(psql_db(b.db_bench, "SELECT max(id) FROM events"))
    idle_kib = status_kib(b.server.pid, "VmRSS")
    log(f"list_beside_replays (round {b.round} of {b.s.repeat}): {REPLAY_CLIENTS} clients replay "
        f"{REPLAY_EVENTS} events each")
    with open(b.raw(f"{t}.replays.json"), "w") as out:
        replays = b.procs.child([*b.load_prefix, *client_py(
            "storm", f"{b.base_url}/events", REPLAY_CLIENTS, 0, newest - REPLAY_EVENTS, newest)],
            stdout=out)
        load_cpu = b.measure_load(name, b.base_url + path, {"BENCH_MODE": "get"}, warmup=0)
        code = replays.wait()
        b.procs.children.remove(replays)
    if code != 0:
        die("the replay clients failed")
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), load_cpu,
                 replays=combine.load_json(b.raw(f"{t}.replays.json")), idle_rss_kib=idle_kib)
    b.stop_server()


def scenario_event_latency(b: Bench, name: str) -> None:
    """Event latency under the vote load: wrk votes on posts 1..N-1 as in `vote` (warm-up, then
    the measured seconds), while one subscriber times BENCH_EVENT_PROBES votes on post N, spread
    over the measured seconds, from sending the vote to receiving its event. req/s and the CPU
    per request are wrk's votes'; p50/p99 are the event latency."""
    s, t = b.s, tag(b, name)
    wrk_env = {"BENCH_MODE": "vote", "BENCH_MAX_ID": str(s.posts - 1), "BENCH_EXPECT": "200"}
    b.start_server(t)
    url = f"{b.base_url}/update-post-score"
    log(f"event_latency (round {b.round} of {s.repeat}): wrk votes {s.duration}s + "
        f"{s.event_probes} timed events")
    if s.warmup > 0:
        run(b.wrk_cmd(s.threads, s.connections, s.warmup, url), "wrk (warm-up)",
            env=b.wrk_environ(wrk_env, "/dev/null"), stdout=subprocess.DEVNULL)
    b.start_sampler(b.raw(f"{t}.cpu.json"))
    with open(b.raw(f"{t}.wrk.txt"), "w") as out:
        wrk = start_timed(b.procs, b.wrk_cmd(s.threads, s.connections, s.duration, url,
                                             latency=True),
                          env=b.wrk_environ(wrk_env, b.raw(f"{t}.wrk.json")), stdout=out)
        gap = max(0.0, s.duration * 0.8 / s.event_probes - 0.005)
        with open(b.raw(f"{t}.events.json"), "w") as events:
            run(client_py("event-latency", f"{b.base_url}/events", url, s.posts,
                          s.event_probes, "--gap", gap), "client.py event-latency", stdout=events)
        (code,), load_cpu = finish_timed(b.procs, b.raw(f"{t}.load-cpu"), wrk)
    if code != 0:
        die("wrk failed during event_latency")
    b.stop_sampler()
    result = combine.event_latency_result(str(b.raw(f"{t}.events.json")),
                                          str(b.raw(f"{t}.wrk.json")))
    b.raw(f"{t}.json").write_text(json.dumps(result) + "\n")
    b.record_run(name, b.raw(f"{t}.json"), b.raw(f"{t}.cpu.json"), load_cpu)
    b.stop_server()


# ---------------------------------------------------------------------------------------------
# The table: name → one run (b, name)

LIST = "/post?limit=50"
SCENARIOS = {
    "list_new_1k": lambda b, n: list_run(b, n, b.db_small, LIST),
    "list_new_1m": lambda b, n: list_run(b, n, b.db_bench, LIST),
    # The current build against BENCH_BASELINE's, each on its own board of the same posts.
    "list_new_1m_now": lambda b, n: list_run(b, n, b.db_bench, LIST),
    "list_new_1m_before": lambda b, n: list_run(b, n, b.db_before, LIST,
                                                server_bin=b.baseline_bin),
    "list_top_1m": lambda b, n: list_run(b, n, b.db_bench, "/post?sort=top&limit=50"),
    "list_hot_1m": lambda b, n: list_run(b, n, b.db_bench, "/post?sort=hot&limit=50"),
    # The feed against the JSON of the same first page, in a group of their own (list_new_1m is
    # compared with list_new_1k, in another group): Atom instead of JSON.
    "feed_list_1m": lambda b, n: list_run(b, n, b.db_bench, LIST),
    "feed_new_1m": lambda b, n: list_run(b, n, b.db_bench, "/feed.atom"),
    # `tag7` is in the text of every 1 000th post (seed_posts): 1 000 matches at 1 000 000
    # posts, ranked, of which the first page is sent.
    "search_1m": lambda b, n: list_run(b, n, b.db_bench, "/post?q=tag7&limit=50"),
    "post_page_1m": lambda b, n: list_run(b, n, b.db_bench, f"/p/{b.s.posts // 2}",
                                          static=b.files / "static"),
    "pgbench": scenario_pgbench,
    "vote": lambda b, n: vote_run(b, n, b.db_bench),
    "vote_before": lambda b, n: vote_run(b, n, b.db_before, server_bin=b.baseline_bin),
    "vote_pgbouncer": lambda b, n: vote_run(b, n, b.db_bench, via_pgbouncer=True),
    # The original FastAPI design (bench/fastapi_design) in the server's place, on a table of
    # its own with as many posts as the big board: the same votes, the same creates.
    "vote_fastapi": lambda b, n: vote_run(b, n, b.db_fastapi, fastapi=True),
    "create_text_fastapi": lambda b, n: create_run(b, n, "create-text", fastapi=True),
    "image_small_200": scenario_image_small_200,
    "image_304": scenario_image_304,
    "image_200": scenario_image_200,
    "image_variant_warm": scenario_image_variant_warm,
    "image_variant_cold": scenario_image_variant_cold,
    "create_text": lambda b, n: create_run(b, n, "create-text"),
    # What keeping the search index costs a create: the same creates on a copy of the big
    # board without search documents (boards.make_unsearched_copy).
    "create_text_unsearched": lambda b, n: create_run(b, n, "create-text", b.db_unsearched),
    "create_1mib": lambda b, n: create_run(b, n, "create-1mib"),
    "create_text_pgbouncer": lambda b, n: create_run(b, n, "create-text", via_pgbouncer=True),
    "create_text_now": lambda b, n: create_run(b, n, "create-text"),
    "create_text_before": lambda b, n: create_run(b, n, "create-text", b.db_before,
                                                  server_bin=b.baseline_bin),
    "vote_beside_creates": lambda b, n: vote_run(b, n, b.db_bench),
    "create_one_replica": lambda b, n: create_run(b, n, "create-text"),
    "create_two_replicas": lambda b, n: create_run(b, n, "create-text", two_replicas="quiet"),
    "create_two_replicas_live": lambda b, n: create_run(b, n, "create-text", two_replicas="live"),
    "vote_one_replica": lambda b, n: vote_run(b, n, b.db_bench),
    "vote_two_replicas": lambda b, n: vote_run(b, n, b.db_bench, two_replicas="quiet"),
    "vote_two_replicas_live": lambda b, n: vote_run(b, n, b.db_bench, two_replicas="live"),
    # Peak RSS while BENCH_UPLOAD_CLIENTS clients upload 5 MiB photos (random pixels: what
    # decoding, if the server does it, has to chew on), each with new bytes.
    "upload_5mib": lambda b, n: create_run(b, n, "upload-5mib",
                                           connections=b.s.upload_clients),
    "sse_idle_50k": lambda b, n: fanout_run(b, n, 0, 0),
    "sse_idle_50k_before": lambda b, n: fanout_run(b, n, 0, 0, b.db_before,
                                                   server_bin=b.baseline_bin),
    "sse_fanout": lambda b, n: fanout_run(b, n, SSE_CREATES, SSE_STALLED),
    "sse_reconnect_storm": scenario_sse_reconnect_storm,
    "list_beside_replays": scenario_list_beside_replays,
    "list_alone": lambda b, n: list_run(b, n, b.db_bench, LIST),
    "event_latency": scenario_event_latency,
}

PROBES = {
    "list_new_1m_now": probe_baseline,
    "list_new_1m_before": probe_baseline,
    "vote_before": probe_baseline,
    "create_text_before": probe_baseline,
    "list_hot_1m": probe_list_hot_1m,
    "pgbench": probe_pgbench,
    "image_variant_warm": probe_variants,
    "image_variant_cold": probe_image_variant_cold,
    "sse_idle_50k": probe_events,
    "sse_idle_50k_before": probe_baseline,
    "sse_fanout": probe_events,
    "sse_reconnect_storm": probe_events,
    "event_latency": probe_events,
}

AFTER = {"vote": check_votes_burst, "sse_fanout": check_stream_cap}
