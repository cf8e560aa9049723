#!/usr/bin/python3
"""How long a cache invalidation takes to reach the other worker of a cluster (issue 14: 100 ms).

    /usr/bin/python3 bench/invalidation.py [--trials 50]

Serves bench/apps/cluster_cache_app.py with `--processes 2`, keeps one keep-alive connection to
each worker (a connection stays with the worker that accepted it), and for each trial: warms both
workers' cached /items, invalidates through worker A, then asks worker B again and again until its
answer is freshly computed. Prints the delays' median, p90 and max. They include one request's
round trip per look (a few tens of µs on loopback), so they slightly overstate the delivery time.
Each worker polls the ring every 20 ms, so a delay is at most about 20 ms; back-to-back trials
start just after a poll, so most land near that bound.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
APP = BENCH / "apps" / "cluster_cache_app.py"


def get(conn: http.client.HTTPConnection, method: str, path: str) -> dict:
    conn.request(method, path)
    return json.loads(conn.getresponse().read())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cello-bin", type=Path, default=BENCH.parent / "build" / "cello")
    p.add_argument("--trials", type=int, default=50)
    p.add_argument("--port", type=int, default=8131)
    args = p.parse_args()
    proc = subprocess.Popen([str(args.cello_bin), "run", str(APP), "--port", str(args.port), "--processes", "2",
                             "--no-logs"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conns: dict[int, http.client.HTTPConnection] = {}
        deadline = time.monotonic() + 30
        while len(conns) < 2 and time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                pid = get(conn, "GET", "/items")["pid"]
            except OSError:
                time.sleep(0.1)
                continue
            conns.setdefault(pid, conn)
        if len(conns) < 2:
            raise SystemExit("could not reach both workers")
        a, b = conns.values()
        delays = []
        for _ in range(args.trials):
            get(a, "GET", "/items")
            before = get(b, "GET", "/items")["generation"]
            assert get(b, "GET", "/items")["generation"] == before  # cached
            start = time.perf_counter()
            get(a, "POST", "/items/invalidate")
            while get(b, "GET", "/items")["generation"] == before:
                if time.perf_counter() - start > 5:
                    raise SystemExit("the invalidation did not reach the other worker within 5 s")
            delays.append((time.perf_counter() - start) * 1000)
        delays.sort()
        print(f"invalidation A -> B over {args.trials} trials: median {statistics.median(delays):.1f} ms, "
              f"p90 {delays[int(len(delays) * 0.9) - 1]:.1f} ms, max {delays[-1]:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
