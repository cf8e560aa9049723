#!/usr/bin/python3
"""The fleet tier of the response cache (docs/caching.md, "Across servers: Redis"), in one run.

Rows: a `@cache` hit answered by the process's own cache (no Redis), by the near tier with Redis
behind it, and from Redis itself (a near tier too small to keep the entry: every request is a
near miss and a `GET` to Redis). The load spreads over 10,000 entries (all stored before the
measured run), so that concurrent requests rarely share one Redis lookup. The Cello server and redis-server are pinned to CPU 0, wrk
(keep-alive, 50 connections) to CPU 1; each row is the median of --rounds. Reports requests per
second and CPU µs per request of Cello and of Redis (utime + stime from /proc).

Then the invalidation's reach: two servers share a Redis; server B holds the entry in its near tier,
server A invalidates it, and B is asked until it answers anew. --samples times; the delay is counted
from when A's answer to the invalidation arrived.

    /usr/bin/python3 bench/redis_cache.py [--duration 5] [--rounds 3] [--samples 50] [--cello-bin build/cello]
"""
from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import APPS, SERVER_CPU, Server, cpu_seconds, run_wrk, start_server, stop_server  # noqa: E402

REDIS_PORT = 8479
KEYS = 10_000  # distinct entries the load spreads over: concurrent misses of one key are coalesced
# (one Redis lookup for all of them), so a load on one key would hardly ever ask Redis

# wrk: GET /cached?k=0..KEYS-1 in turn, each connection starting elsewhere.
SPREAD = """
local n = 0
init = function(args) n = math.random(0, %d) end
request = function()
  n = (n + 1) %% %d
  return wrk.format("GET", "/cached?k=" .. n, {["Host"] = "bench.example"})
end
""" % (KEYS - 1, KEYS)
TIERS = (("hit, one process (no Redis)", "process", 8471), ("hit, near tier (Redis behind)", "near", 8472),
         ("hit from Redis (near tier keeps nothing)", "redis", 8473))


def cello(binary: Path, name: str, tier: str, port: int) -> Server:
    return Server(name, port, [str(binary), "run", str(APPS / "redis_cache_bench.py"), "--host", "127.0.0.1", "--port",
                               str(port), "--workers", "1", "--env", "production", "--no-logs"],
                  frozenset(), (("CACHE_TIER", tier), ("REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}")))


def ask(port: int, method: str, path: str) -> tuple[str | None, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": "bench.example"})
        reply = conn.getresponse()
        return reply.getheader("X-Cache"), json.loads(reply.read())
    finally:
        conn.close()


def measure(server_proc, redis_pid: int, port: int, seconds: int, script: Path) -> tuple[float, float, float]:
    """(requests/s, Cello CPU µs/request, Redis CPU µs/request) of one wrk run over the KEYS entries."""
    run_wrk(f"http://127.0.0.1:{port}/", 2, 50, script, False)  # every entry stored (by the handler)
    before, redis_before = cpu_seconds(server_proc.pid), cpu_seconds(redis_pid)
    w = run_wrk(f"http://127.0.0.1:{port}/", seconds, 50, script, False)
    if w.errors:
        print(f"WARNING: {w.errors} errors", file=sys.stderr)
    n = max(w.requests, 1)
    return w.rps, (cpu_seconds(server_proc.pid) - before) / n * 1e6, (cpu_seconds(redis_pid) - redis_before) / n * 1e6


def reach(a: int, b: int, samples: int) -> list[float]:
    """Milliseconds from A's invalidation answer to B's first answer that is not the entry it held."""
    delays = []
    for _ in range(samples):
        ask(a, "GET", "/cached")
        while (seen := ask(b, "GET", "/cached"))[0] != "HIT":  # B holds an entry (A's from Redis, or its own)
            time.sleep(0.001)
        old = seen[1]
        ask(a, "POST", "/invalidate")
        t0 = time.perf_counter()
        while ask(b, "GET", "/cached")[1] == old:
            pass
        delays.append((time.perf_counter() - t0) * 1000)
    return delays


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--samples", type=int, default=50)
    p.add_argument("--cello-bin", type=Path, default=ROOT / "build" / "cello")
    args = p.parse_args()
    binary = args.cello_bin.resolve()
    with tempfile.TemporaryDirectory(prefix="cello-redis-bench-") as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "spread.lua"
        script.write_text(SPREAD)
        redis = subprocess.Popen(["taskset", "-c", SERVER_CPU, shutil.which("redis-server"), "--port", str(REDIS_PORT),
                                  "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(0.5)
        try:
            rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in TIERS}
            for _ in range(args.rounds):
                for name, tier, port in TIERS:
                    proc = start_server(cello(binary, name, tier, port), tmp / f"{tier}.log")
                    try:
                        rows[name].append(measure(proc, redis.pid, port, args.duration, script))
                    finally:
                        stop_server(proc)
            print(f"| row (median of {args.rounds} x {args.duration} s, wrk -c 50) | req/s | Cello CPU µs/req "
                  "| Redis CPU µs/req |")
            print("|---|---:|---:|---:|")
            for name, _, _ in TIERS:
                rps, cpu, rcpu = (statistics.median(r[i] for r in rows[name]) for i in range(3))
                print(f"| {name} | {rps:,.0f} | {cpu:.1f} | {rcpu:.1f} |")
            a = start_server(cello(binary, "a", "near", 8474), tmp / "a.log")
            b = start_server(cello(binary, "b", "near", 8475), tmp / "b.log", pin=False)
            try:
                delays = sorted(reach(8474, 8475, args.samples))
            finally:
                stop_server(a)
                stop_server(b)
            q = statistics.quantiles(delays, n=100, method="inclusive")
            print(f"\ninvalidation reach over {len(delays)} samples: p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms, "
                  f"max {delays[-1]:.2f} ms")
        finally:
            redis.kill()
            redis.wait()


if __name__ == "__main__":
    main()
