#!/usr/bin/python3
"""asyncio core checks that need thousands of sockets (docs/async.md), against `cello run
bench/apps/cello_app.py` on one engine thread, server pinned to CPU 0 and this client to CPU 1:

* concurrency: N connections (default 10,000) each send `GET /await/sleep1s` at once; reports the
  time until every response is in (target: under 2.5 s) and the server's RSS before and after;
* cache followers: 50 concurrent misses on an `async def` `@cache` route whose handler awaits
  0.5 s; reports how many times the handler ran (target: once) and when the last answer came
  (target: within 0.5 s + 100 ms);
* cancellation: M requests (default 100,000) to `GET /await/cancel`, each cancelled by its client
  closing the connection once the request is sent, in waves; reports the server's RSS, thread count
  and pending asyncio tasks before and after (target: flat).

Stdlib only; run with /usr/bin/python3. `--cello-bin` picks the binary (default build/cello).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PORT = 8019


def status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    return status(pid, "VmRSS") / 1024


def server_state(collect: bool = False, trim: bool = False) -> dict[str, int]:
    query = "?collect=1" + ("&trim=1" if trim else "") if collect else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/proc{query}", timeout=30) as reply:
        return json.loads(reply.read())


async def one_request(path: str, sem: asyncio.Semaphore, keep: bool) -> bool:
    async with sem:
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        await writer.drain()
        ok = True
        if keep:
            status = await reader.readline()
            ok = b" 200 " in status
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return ok


async def concurrency(n: int) -> float:
    """Connects n sockets first (not timed: that is the client's cost), then sends one request on
    each and times until every response is in."""
    conns = [await asyncio.open_connection("127.0.0.1", PORT) for _ in range(n)]
    request = b"GET /await/sleep1s HTTP/1.1\r\nHost: bench\r\n\r\n"

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(request)
        status = await reader.readline()
        writer.close()
        return b" 200 " in status

    t0 = time.monotonic()
    results = await asyncio.gather(*(exchange(r, w) for r, w in conns))
    if not all(results):
        raise SystemExit(f"{results.count(False)} of {n} requests failed")
    return time.monotonic() - t0


async def cache_followers(n: int) -> float:
    sem = asyncio.Semaphore(n)
    t0 = time.monotonic()
    results = await asyncio.gather(*(one_request("/await/cached?round=1", sem, True) for _ in range(n)))
    if not all(results):
        raise SystemExit(f"{results.count(False)} of {n} cached requests failed")
    return time.monotonic() - t0


async def cancellations(total: int, wave: int) -> None:
    sem = asyncio.Semaphore(wave)
    await asyncio.gather(*(one_request("/await/cancel", sem, False) for _ in range(total)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cello-bin", default=str(REPO / "build" / "cello"))
    p.add_argument("--connections", type=int, default=10_000)
    p.add_argument("--cancel", type=int, default=100_000)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.connections + 100:
        raise SystemExit(f"open-file limit {hard} is below {args.connections} connections")
    os.sched_setaffinity(0, {1})
    server = subprocess.Popen(["taskset", "-c", "0", args.cello_bin, "run", str(BENCH / "apps" / "cello_app.py"),
                               "--port", str(PORT), "--workers", "1", "--processes", "1", "--env", "production", "--no-logs"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        if "serving" not in line:
            raise SystemExit(f"server did not start: {line}")
        base = server_state()
        threads0 = status(server.pid, "Threads")
        rss0 = rss_mb(server.pid)
        seconds = asyncio.run(concurrency(args.connections))
        print(f"{args.connections} concurrent `await asyncio.sleep(1)` requests: all answered in {seconds:.2f} s; "
              f"server RSS {rss0:.1f} MB before, {rss_mb(server.pid):.1f} MB after")
        seconds = asyncio.run(cache_followers(50))
        print(f"50 concurrent misses on an async @cache route (handler awaits 0.5 s): handler ran "
              f"{server_state()['cached_calls']} time(s), all answered in {seconds:.3f} s")
        rss1 = rss_mb(server.pid)
        t0 = time.monotonic()
        steps = 5
        for i in range(steps):
            asyncio.run(cancellations(args.cancel // steps, 500))
            time.sleep(0.5)  # the last cancellations land
            print(f"  after {(i + 1) * args.cancel // steps} cancelled requests: RSS {rss_mb(server.pid):.1f} MB",
                  flush=True)
        state = server_state()
        print(f"{args.cancel} cancelled requests in {time.monotonic() - t0:.1f} s: server RSS {rss1:.1f} -> "
              f"{rss_mb(server.pid):.1f} MB, OS threads {threads0} -> {status(server.pid, 'Threads')}, "
              f"pending tasks {base['tasks']} -> {state['tasks']}")
        # Cancelling an asyncio task leaves reference cycles (a cancelled future keeps its
        # CancelledError, whose traceback holds the frame that holds the future): garbage for
        # CPython's cycle collector, whose full passes get rarer as the heap grows. A collection
        # shows whether anything is really kept.
        collected = server_state(collect=True)
        print(f"Python objects: {base['objects']} before, {state['objects']} after, {collected['objects']} after "
              f"gc.collect(); RSS then {rss_mb(server.pid):.1f} MB")
        server_state(collect=True, trim=True)
        print(f"after malloc_trim(0) (free heap given back): RSS {rss_mb(server.pid):.1f} MB")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
