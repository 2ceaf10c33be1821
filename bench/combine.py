#!/usr/bin/env python3
"""What bench/run.sh computes between a run and its record (standard library only).

  combine.py wrk-pair TAG
      Merges the results of two wrk runs made at once against two replicas (TAG.a.txt and
      TAG.b.txt, each ending with wrk.lua's `result: {...}` line) into TAG.json: requests,
      req/s and errors summed, the higher of each latency; and sums the two servers' CPU in
      TAG.cpu.json (`server2_cpu_s` folded into `server_cpu_s`).
  combine.py stream-cap FANOUT_JSON
      The verdict of the stream-cap check from `client.py fanout`'s output for 3 000 streams
      asked by one client: a first line 1 (1 000 opened and 2 000 refused with 429) or 0,
      then a line saying what happened.
"""
import json
import sys

SUMMED = ("requests", "rps", "status_errors", "socket_errors", "timeouts", "bytes")
HIGHEST = ("seconds", "p50_us", "p90_us", "p99_us", "max_us", "unexpected")


def wrk_result(path: str) -> dict:
    return json.loads(open(path).read().split("result: ", 1)[1])


def wrk_pair(tag: str) -> None:
    a, b = wrk_result(f"{tag}.a.txt"), wrk_result(f"{tag}.b.txt")
    merged = {k: a[k] + b[k] for k in SUMMED}
    merged.update({k: max(a[k], b[k]) for k in HIGHEST})
    with open(f"{tag}.json", "w") as f:
        json.dump(merged, f)
    with open(f"{tag}.cpu.json") as f:
        cpu = json.load(f)
    cpu["server_cpu_s"] = round(cpu["server_cpu_s"] + cpu.pop("server2_cpu_s"), 3)
    with open(f"{tag}.cpu.json", "w") as f:
        json.dump(cpu, f)


def stream_cap(path: str) -> None:
    with open(path) as f:
        r = json.load(f)
    refused = sum(n for key, n in r["failed"].items() if key.startswith("HTTP/1.1 429"))
    others = {k: n for k, n in r["failed"].items() if not k.startswith("HTTP/1.1 429")}
    print(int(r["ok"] == 1000 and refused == 2000))
    print(f"{r['ok']} opened, {refused} refused with 429, other failures: {json.dumps(others)}")


def main() -> None:
    match sys.argv[1:]:
        case ["wrk-pair", tag]:
            wrk_pair(tag)
        case ["stream-cap", path]:
            stream_cap(path)
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main()
