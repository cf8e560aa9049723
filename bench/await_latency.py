#!/usr/bin/python3
"""Latency of an awaiting handler at fixed request rates (open loop), beside the machine's floor.

    /usr/bin/python3 bench/await_latency.py [--rates 2000,5000,10000,20000] [--duration 10]

wrk's closed loop (bench/run.py's sleep1ms row) keeps every connection busy, so its latency is
queueing: 200 connections / req/s. This script instead offers a fixed rate over 200 connections with
`cello bench -R` (latency counted from each request's due time) and prints p50/p90/p99 for
`GET /await/sleep1ms` on Cello and on Starlette (uvicorn+uvloop+httptools), and for `GET /` on nginx:
the floor this machine's scheduler leaves to any server. Servers on CPU 0, the load on CPU 1, as in
bench/run.py (whose server definitions this reuses).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (bench/run.py: the server definitions)

TARGETS = [("cello+async", "/await/sleep1ms"), ("starlette", "/await/sleep1ms"), ("nginx", "/")]


def measure(cello_bin: Path, port: int, path: str, rate: int, duration: int) -> dict:
    out = subprocess.run(
        ["taskset", "-c", run.CLIENT_CPU, str(cello_bin), "bench", f"http://127.0.0.1:{port}{path}",
         "-c", "200", "-R", str(rate), "-d", f"{duration}s", "--json"],
        capture_output=True, text=True, check=True).stdout  # fmt: skip
    return json.loads(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default="2000,5000,10000,20000", help="requests/s, comma-separated")
    p.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    p.add_argument("--cello-bin", type=Path, default=BENCH.parent / "build" / "cello")
    args = p.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        servers = run.build_servers([name for name, _ in TARGETS], args.cello_bin, Path(tmp))
        procs = [run.start_server(s, Path(tmp) / f"{s.name}.log") for s in servers]
        try:
            print("| rate req/s | server | request | achieved req/s | p50 ms | p90 ms | p99 ms | errors |")
            print("|---:|---|---|---:|---:|---:|---:|---:|")
            for rate in rates:
                for server, (_, path) in zip(servers, TARGETS):
                    measure(args.cello_bin, server.port, path, rate, 2)  # warm-up
                    r = measure(args.cello_bin, server.port, path, rate, args.duration)
                    lat = r["latency_us"]
                    print(f"| {rate:,} | {server.name} | GET {path} | {r['requests_per_sec']:,.0f} | "
                          f"{lat['p50'] / 1000:.2f} | {lat['p90'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | "
                          f"{r['errors']['total']} |", flush=True)
        finally:
            for proc in procs:
                run.stop_server(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
