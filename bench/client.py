#!/usr/bin/env python3
"""HTTP/1.1 clients for what wrk cannot do (standard library only, asyncio).

  client.py burst URL COUNT JSON_BODY
      COUNT connections opened first, then one POST each, all sent at once. Prints
      {"count", "statuses": {status: n}, "scores": [...], "seconds"}: "scores" are the `score`
      fields of the JSON answers. The "500 concurrent votes" check.
  client.py fetch URL_LIST CONCURRENCY [--expect STATUS]
      Every URL of the file (one a line) fetched once, CONCURRENCY keep-alive connections.
      Fixed work, for requests that must each be new (image variants made cold). Prints a
      summary in the shape of wrk.lua's: requests, seconds, rps, p50_us, p90_us, p99_us,
      max_us, status_errors, unexpected, socket_errors, timeouts, bytes.
  client.py fanout EVENTS_URL COUNT CREATE_URL CREATES [--server-pid PID] [--sources N]
          [--gap SECONDS] [--stalled K]
      COUNT event streams, spread over N source addresses (127.0.0.1..N: one address has
      about 28 000 ephemeral ports); with --server-pid, the server's VmRSS before the first
      and while all are held. Then CREATES posts, one every --gap seconds (multipart POST to
      CREATE_URL, each titled with a marker), and for each the time from sending it to its
      `post` event arriving at every stream. --stalled: K more streams that read nothing
      (they fill their server-side backlog and must be cut at its bound, not slow the rest);
      prints how many of them the server closed. Prints p50/p90/p99/max of the arrival
      latencies, deliveries missing, and the memory figures.
  client.py event-latency EVENTS_URL VOTE_URL POST_ID COUNT [--gap SECONDS]
      One event-stream subscriber; COUNT times: vote +1 on POST_ID, then wait for the first
      event whose `data:` JSON names POST_ID (`id` or `post_id`). Prints p50/p90/p99/max of
      the time from sending the vote to receiving its event, and the vote's own latency.
  client.py storm EVENTS_URL COUNT SECONDS LAST_ID NEWEST_ID
      A reconnect storm: COUNT event-stream clients connect, spread evenly over SECONDS, each
      with `Last-Event-ID: LAST_ID`, and read until the event NEWEST_ID. Prints how many got
      exactly the ids LAST_ID+1..NEWEST_ID in order ("exact"), how many got something else
      ("wrong", with the first few), the failures by kind, and p50/p99/max of the time from
      connecting to the last of those events, and of the time to the first (first_p50_us,
      first_p99_us).
  client.py dims FILE
      WIDTHxHEIGHT of a PNG, JPEG, GIF or WebP file ("?" when unknown).
"""
import argparse
import asyncio
import json
import re
import struct
import sys
import time
import urllib.parse


def split_url(url: str):
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def request_bytes(method: str, host: str, port: int, path: str, headers=None, body=b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_head(reader):
    """(status, {lower-case header: value}) of a response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_body(reader, headers) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(body)
            body += await reader.readexactly(size + 2)
            del body[-2:]
    return await reader.readexactly(int(headers.get("content-length", "0")))


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


# --------------------------------------------------------------------------------------------


async def burst(url: str, count: int, body: str) -> dict:
    host, port, path = split_url(url)
    data = request_bytes("POST", host, port, path, {"Content-Type": "application/json"},
                         body.encode())
    conns = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(count)),
                                 return_exceptions=True)
    go = asyncio.Event()

    async def one(conn):
        if isinstance(conn, BaseException):
            raise conn
        reader, writer = conn
        await go.wait()
        writer.write(data)
        await writer.drain()
        status, headers = await read_head(reader)
        payload = await read_body(reader, headers)
        writer.close()
        try:
            score = json.loads(payload).get("score")
        except (ValueError, AttributeError):
            score = None
        return status, score

    tasks = [asyncio.create_task(one(conn)) for conn in conns]
    await asyncio.sleep(0.1)  # every task is waiting on `go`
    t0 = time.monotonic()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    statuses = {}
    scores = []
    for res in results:
        key = "error" if isinstance(res, BaseException) else str(res[0])
        statuses[key] = statuses.get(key, 0) + 1
        if not isinstance(res, BaseException) and res[1] is not None:
            scores.append(res[1])
    return {"count": count, "statuses": statuses, "scores": scores,
            "seconds": round(time.monotonic() - t0, 3)}


async def fetch(list_file: str, concurrency: int, expect) -> dict:
    urls = [line.strip() for line in open(list_file) if line.strip()]
    queue = asyncio.Queue()
    for u in urls:
        queue.put_nowait(u)
    latencies = []
    counts = {"status_errors": 0, "unexpected": 0, "socket_errors": 0, "timeouts": 0, "bytes": 0}

    async def worker():
        reader = writer = None
        while not queue.empty():
            url = queue.get_nowait()
            host, port, path = split_url(url)
            t = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request_bytes("GET", host, port, path))
                await writer.drain()
                status, headers = await asyncio.wait_for(read_head(reader), 60)
                body = await asyncio.wait_for(read_body(reader, headers), 60)
            except asyncio.TimeoutError:
                counts["timeouts"] += 1
                writer = None
                continue
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counts["socket_errors"] += 1
                writer = None
                continue
            latencies.append(time.monotonic() - t)
            counts["bytes"] += len(body)
            if status >= 400:
                counts["status_errors"] += 1
            if expect is not None and status != expect:
                counts["unexpected"] += 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    secs = time.monotonic() - t0
    lat = sorted(x * 1e6 for x in latencies)
    return {"requests": len(lat), "seconds": round(secs, 3), "rps": len(lat) / secs,
            "p50_us": int(percentile(lat, 50)), "p90_us": int(percentile(lat, 90)),
            "p99_us": int(percentile(lat, 99)), "max_us": int(lat[-1]) if lat else 0,
            **counts, "unexpected": counts["unexpected"] if expect is not None else -1}


def server_memory(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


class FanoutStream(asyncio.Protocol):
    """One event stream, read with a protocol (a callback per chunk, no task per read: the
    client must keep up with tens of thousands of streams on a shared machine). Notes when
    each marker of `markers` arrives; `stalled` streams read nothing after the head."""

    def __init__(self, request: bytes, markers, sent_at, latencies, stalled: bool):
        self.request, self.markers, self.sent_at = request, markers, sent_at
        self.latencies, self.stalled = latencies, stalled
        self.opened = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.head, self.pending, self.next_marker = b"", b"", 0
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, chunk):
        now = time.monotonic()
        if not self.opened.done():
            self.head += chunk
            if b"\r\n\r\n" not in self.head:
                return
            head, _, chunk = self.head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            if lines[0].split()[1] != "200" or "text/event-stream" not in head.decode("latin-1"):
                self.opened.set_exception(ValueError(lines[0]))
                self.transport.close()
                return
            self.opened.set_result(True)
            if self.stalled:
                self.transport.pause_reading()
        if self.stalled:
            return  # what it reads at the end (the buffers) is not timed
        self.pending += chunk
        while (self.next_marker < len(self.markers)
               and self.markers[self.next_marker] in self.pending):
            k = self.next_marker
            self.latencies[k].append(now - self.sent_at[k])
            self.pending = self.pending[self.pending.index(self.markers[k]):]
            self.next_marker += 1
        self.pending = self.pending[-200:]

    def connection_lost(self, exc):
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionResetError("closed before the head"))
        if not self.closed.done():
            self.closed.set_result(True)


def multipart_create(host, port, path, title) -> bytes:
    boundary = "fanoutboundary"
    fields = {"title": title, "post": "fanout probe", "username": "bench"}
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n" for name, value in fields.items())
    body += f"--{boundary}--\r\n"
    return request_bytes("POST", host, port, path,
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                         body.encode())


async def fanout(url: str, count: int, create_url: str, creates: int, server_pid, sources: int,
                 gap: float, stalled: int) -> dict:
    loop = asyncio.get_running_loop()
    host, port, path = split_url(url)
    request = request_bytes("GET", host, port, path, {"Accept": "text/event-stream"})
    idle_memory = server_memory(server_pid) if server_pid else {}
    markers = [f"fanout-{time.time_ns()}-{k}".encode() for k in range(creates)]
    sent_at = [0.0] * creates
    latencies = [[] for _ in range(creates)]
    failed = {}
    gate = asyncio.Semaphore(200)  # connections being set up at a time

    async def one(n, is_stalled):
        try:
            async with gate:
                _, stream = await asyncio.wait_for(loop.create_connection(
                    lambda: FanoutStream(request, markers, sent_at, latencies, is_stalled),
                    host, port, local_addr=(f"127.0.0.{1 + n % sources}", 0)), 30)
                await asyncio.wait_for(stream.opened, 30)
            return stream
        except (OSError, asyncio.TimeoutError, ValueError) as e:
            key = str(e) if isinstance(e, ValueError) else type(e).__name__
            failed[key] = failed.get(key, 0) + 1
            return None

    t0 = time.monotonic()
    opened = await asyncio.gather(*(one(n, n >= count) for n in range(count + stalled)))
    streams = [s for s in opened[:count] if s]
    stalled_streams = [s for s in opened[count:] if s]
    opened_s = time.monotonic() - t0
    await asyncio.sleep(3)  # the server settles (its allocator, the relay's first reads)
    held_memory = server_memory(server_pid) if server_pid else {}
    c_host, c_port, c_path = split_url(create_url)
    create_statuses = {}
    for k in range(creates):
        reader, writer = await asyncio.open_connection(c_host, c_port)
        sent_at[k] = time.monotonic()
        writer.write(multipart_create(c_host, c_port, c_path, markers[k].decode()))
        await writer.drain()
        status, headers = await read_head(reader)
        await read_body(reader, headers)
        writer.close()
        create_statuses[str(status)] = create_statuses.get(str(status), 0) + 1
        await asyncio.sleep(gap)
    # The last events may still be on their way (at most 10 s more).
    alive = [s for s in streams if not s.closed.done()]
    deadline = time.monotonic() + 10
    while (sum(map(len, latencies)) < creates * len(alive) and time.monotonic() < deadline):
        await asyncio.sleep(0.1)
    # Whether the server closed the streams that read nothing: read what the buffers hold.
    for s in stalled_streams:
        s.transport.resume_reading()
    await asyncio.sleep(2)
    stalled_closed = sum(s.closed.done() for s in stalled_streams)
    for s in streams + stalled_streams:
        s.transport.close()
    every = sorted(l for per_create in latencies for l in per_create)
    us = lambda p: round(percentile(every, p) * 1e6) if every else None
    idle_kib, held_kib = idle_memory.get("VmRSS"), held_memory.get("VmRSS")
    return {"count": count, "ok": len(streams), "failed": failed,
            "alive_at_end": len(alive), "seconds_to_open": round(opened_s, 3), "sources": sources,
            "creates": creates, "create_statuses": create_statuses,
            "deliveries": len(every), "missing": creates * len(alive) - len(every),
            "p50_us": us(50), "p90_us": us(90), "p99_us": us(99), "max_us": us(100),
            "stalled": stalled, "stalled_closed": stalled_closed,
            "server_idle_rss_kib": idle_kib, "server_rss_kib": held_kib,
            "server_kib_per_stream": round((held_kib - idle_kib) / len(streams), 2)
            if idle_kib and held_kib and streams else None}


async def event_latency(events_url: str, vote_url: str, post_id: int, count: int,
                        gap: float) -> dict:
    host, port, path = split_url(events_url)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request_bytes("GET", host, port, path, {"Accept": "text/event-stream"}))
    await writer.drain()
    status, headers = await read_head(reader)
    if status != 200:
        raise SystemExit(f"GET {events_url}: {status}")
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    arrivals = asyncio.Queue()
    probe_id = str(post_id).encode()

    async def read_events():
        buffer = b""
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    return
                buffer += (await reader.readexactly(size + 2))[:-2]
            else:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buffer += chunk
            # Under the vote load thousands of events arrive per second: split the buffer once
            # (not event by event, which copies the rest each time) and parse only the events
            # that can be the probe's, or this client falls behind and the server drops it.
            events = buffer.replace(b"\r\n", b"\n").split(b"\n\n")
            buffer = events.pop()
            for event in events:
                if probe_id not in event:
                    continue
                data = "\n".join(line[5:].lstrip() for line in event.decode().split("\n")
                                 if line.startswith("data:"))
                try:
                    obj = json.loads(data)
                except ValueError:
                    continue
                if isinstance(obj, dict) and post_id in (obj.get("id"), obj.get("post_id")):
                    arrivals.put_nowait(time.monotonic())

    reading = asyncio.create_task(read_events())
    vhost, vport, vpath = split_url(vote_url)
    vreader, vwriter = await asyncio.open_connection(vhost, vport)
    body = json.dumps({"post_id": post_id, "score_increase": 1}).encode()
    event_lat, vote_lat, missed = [], [], 0
    for sent in range(count):
        if reading.done():
            # The server ended the stream (a client too slow is dropped): the rest cannot come.
            missed += count - sent
            break
        while not arrivals.empty():
            arrivals.get_nowait()
        t = time.monotonic()
        vwriter.write(request_bytes("POST", vhost, vport, vpath,
                                    {"Content-Type": "application/json"}, body))
        await vwriter.drain()
        vstatus, vheaders = await read_head(vreader)
        await read_body(vreader, vheaders)
        vote_lat.append(time.monotonic() - t)
        if vstatus != 200:
            missed += 1
            continue
        try:
            event_lat.append(await asyncio.wait_for(arrivals.get(), 5) - t)
        except asyncio.TimeoutError:
            missed += 1
        await asyncio.sleep(gap)
    reading.cancel()
    writer.close()
    vwriter.close()
    ev = sorted(x * 1e6 for x in event_lat)
    vo = sorted(x * 1e6 for x in vote_lat)
    return {"requests": len(ev), "missed": missed,
            "p50_us": int(percentile(ev, 50)), "p90_us": int(percentile(ev, 90)),
            "p99_us": int(percentile(ev, 99)), "max_us": int(ev[-1]) if ev else 0,
            "vote_p50_us": int(percentile(vo, 50)), "vote_p99_us": int(percentile(vo, 99))}


def dims(path: str) -> str:
    with open(path, "rb") as f:
        d = f.read(1 << 20)
    if d[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", d[16:24])
        return f"{w}x{h}"
    if d[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", d[6:10])
        return f"{w}x{h}"
    if d[:4] == b"RIFF" and d[8:12] == b"WEBP":
        kind = d[12:16]
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", d[26:30])
            return f"{w & 0x3FFF}x{h & 0x3FFF}"
        if kind == b"VP8L":
            b = int.from_bytes(d[21:25], "little")
            return f"{(b & 0x3FFF) + 1}x{((b >> 14) & 0x3FFF) + 1}"
        if kind == b"VP8X":
            return f"{int.from_bytes(d[24:27], 'little') + 1}x{int.from_bytes(d[27:30], 'little') + 1}"
    if d[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(d):
            if d[i] != 0xFF:
                i += 1
                continue
            marker = d[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", d[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", d[i + 5:i + 9])
                return f"{w}x{h}"
            i += 2 + length
    return "?"


# An `id:` line, with the newline before it: a pattern that begins with a literal is searched
# for several times faster than one anchored with ^ under re.M (7 against 28 ms for one
# client's 20 000 events), and the replay clients share the 2 cores with what they measure.
SSE_ID = re.compile(rb"\nid: ?(\d+)\r?\n")


async def storm(url: str, count: int, seconds: float, last_id: int, newest_id: int) -> dict:
    host, port, path = split_url(url)
    data = request_bytes("GET", host, port, path,
                         {"Accept": "text/event-stream", "Last-Event-ID": str(last_id)})
    expected = list(range(last_id + 1, newest_id + 1))
    state = {"exact": 0, "wrong": [], "failed": {}}
    times, first_times = [], []

    async def one(delay):
        await asyncio.sleep(delay)
        t0 = time.monotonic()
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
            writer.write(data)
            await writer.drain()
            status, headers = await asyncio.wait_for(read_head(reader), 30)
            if status != 200:
                raise ValueError(f"status {status}")
            # Read in large pieces and pick the `id:` lines out with a regex: a line at a time,
            # 10 000 clients' events would be more than this one Python process can parse.
            # `pending` always begins with the newline that ended the last line taken.
            ids, pending = [], b"\n"
            while not ids or ids[-1] < newest_id:
                chunk = await asyncio.wait_for(reader.read(65536), 30)
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", None)
                pending += chunk
                cut = pending.rfind(b"\n")
                had_one = bool(ids)
                ids.extend(int(m) for m in SSE_ID.findall(pending, 0, cut + 1))
                pending = pending[cut:]
                if ids and not had_one:  # the first event (not a comment or retry: line)
                    first_times.append(time.monotonic() - t0)
            times.append(time.monotonic() - t0)
            if ids == expected:
                state["exact"] += 1
            elif len(state["wrong"]) < 5:
                state["wrong"].append(ids[:20])
            else:
                state["wrong"].append(None)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            key = str(e) if isinstance(e, ValueError) else type(e).__name__
            state["failed"][key] = state["failed"].get(key, 0) + 1
        finally:
            if writer:
                writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(one(seconds * n / count) for n in range(count)))
    elapsed = time.monotonic() - t0
    times.sort()
    first_times.sort()
    return {"count": count, "exact": state["exact"], "wrong": len(state["wrong"]),
            "wrong_examples": [w for w in state["wrong"] if w][:5], "failed": state["failed"],
            "events_each": len(expected), "seconds": round(elapsed, 3),
            "p50_us": round(percentile(times, 50) * 1e6) if times else None,
            "p99_us": round(percentile(times, 99) * 1e6) if times else None,
            "max_us": round(times[-1] * 1e6) if times else None,
            "first_p50_us": round(percentile(first_times, 50) * 1e6) if first_times else None,
            "first_p99_us": round(percentile(first_times, 99) * 1e6) if first_times else None}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("burst")
    b.add_argument("url")
    b.add_argument("count", type=int)
    b.add_argument("body")
    f = sub.add_parser("fetch")
    f.add_argument("list_file")
    f.add_argument("concurrency", type=int)
    f.add_argument("--expect", type=int)
    o = sub.add_parser("fanout")
    o.add_argument("url")
    o.add_argument("count", type=int)
    o.add_argument("create_url")
    o.add_argument("creates", type=int)
    o.add_argument("--server-pid", type=int)
    o.add_argument("--sources", type=int, default=1)
    o.add_argument("--gap", type=float, default=1.0)
    o.add_argument("--stalled", type=int, default=0)
    e = sub.add_parser("event-latency")
    e.add_argument("events_url")
    e.add_argument("vote_url")
    e.add_argument("post_id", type=int)
    e.add_argument("count", type=int)
    e.add_argument("--gap", type=float, default=0.02)
    s = sub.add_parser("storm")
    s.add_argument("url")
    s.add_argument("count", type=int)
    s.add_argument("seconds", type=float)
    s.add_argument("last_id", type=int)
    s.add_argument("newest_id", type=int)
    d = sub.add_parser("dims")
    d.add_argument("file")
    a = p.parse_args()

    if a.cmd == "dims":
        print(dims(a.file))
        return
    if a.cmd == "burst":
        result = asyncio.run(burst(a.url, a.count, a.body))
    elif a.cmd == "fetch":
        result = asyncio.run(fetch(a.list_file, a.concurrency, a.expect))
    elif a.cmd == "storm":
        result = asyncio.run(storm(a.url, a.count, a.seconds, a.last_id, a.newest_id))
    elif a.cmd == "fanout":
        result = asyncio.run(fanout(a.url, a.count, a.create_url, a.creates, a.server_pid,
                                    a.sources, a.gap, a.stalled))
    else:
        result = asyncio.run(event_latency(a.events_url, a.vote_url, a.post_id, a.count, a.gap))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
