#!/usr/bin/python3
"""WebSocket echo: Cello vs Starlette on uvicorn (its `websockets` implementation, uvloop), the same
echo route (`async for message in ws: await ws.send_text(message)`), driven by `cello bench
ws://…` with 100 connections, each sending its next 64-byte text message when the echo of the
last is back (--pipeline N: N messages in flight per connection). Server on CPU 0, load generator on CPU 1; the servers take turns, --rounds times,
and each row is the median round. Reports messages per second and the server's CPU time per
message (utime + stime from /proc over the run), and the ratio to Starlette.

    /usr/bin/python3 bench/websocket.py [--connections 100] [--duration 10] [--rounds 3]
                                        [--servers cello,starlette] [--cello-bin build/cello]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "bench" / "apps"
SERVER_CPU, CLIENT_CPU = "0", "1"

sys.path.insert(0, str(ROOT / "bench"))
from run import cpu_seconds, port_open  # noqa: E402  (the server's CPU, its descendants' included)


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"nothing listens on port {port}")
        time.sleep(0.1)


def server_command(name: str, port: int, cello_bin: str) -> list[str]:
    if name == "cello":
        return [cello_bin, "run", str(APPS / "websocket_cello.py"), "--port", str(port), "--env", "production",
                "--no-logs", "--workers", "1"]
    return ["/usr/bin/python3", "-m", "uvicorn", "websocket_starlette:app", "--app-dir", str(APPS), "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--ws", "websockets", "--no-access-log", "--log-level", "warning"]


def run_load(cello_bin: str, port: int, connections: int, duration: float, pipeline: int = 1) -> dict:
    out = subprocess.run(["taskset", "-c", CLIENT_CPU, cello_bin, "bench", f"ws://127.0.0.1:{port}/echo",
                          "-c", str(connections), "-d", f"{duration}s", "--pipeline", str(pipeline), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipeline", type=int, default=1,
                        help="messages in flight per connection (default 1: each waits for the last echo)")
    parser.add_argument("--servers", default="cello,starlette")
    parser.add_argument("--cello-bin", default=str(ROOT / "build" / "cello"))
    args = parser.parse_args()
    names = args.servers.split(",")
    ports = {name: 8041 + i for i, name in enumerate(names)}
    procs = {name: subprocess.Popen(["taskset", "-c", SERVER_CPU, *server_command(name, ports[name], args.cello_bin)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for name in names}
    results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in names}
    try:
        for name in names:
            wait_port(ports[name])
            run_load(args.cello_bin, ports[name], args.connections, 1)  # warm up
        for r in range(args.rounds):
            for name in names:
                pid = procs[name].pid  # taskset execs the server: the pid is the server's
                before = cpu_seconds(pid)
                report = run_load(args.cello_bin, ports[name], args.connections, args.duration, args.pipeline)
                cpu = cpu_seconds(pid) - before
                errors = report["errors"]["total"]
                rate = report["messages_per_sec"]
                cpu_us = cpu / max(report["messages"], 1) * 1e6
                results[name].append((rate, cpu_us, report["latency_us"]["p99"], errors))
                print(f"round {r + 1} {name}: {rate:,.0f} msg/s, {cpu_us:.1f} µs CPU/msg, "
                      f"p99 {report['latency_us']['p99']:.0f} µs, errors {errors}", file=sys.stderr)
    finally:
        for p in procs.values():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    medians = {name: sorted(rows)[len(rows) // 2] for name, rows in results.items()}
    base = medians.get("starlette", (0,))[0]
    print(f"| server | echo, {args.connections} connections × {args.pipeline} in flight, 64 B | messages/s | "
          "CPU µs/message | p99 | errors | vs Starlette |")
    print("|---|---|---|---|---|---|---|")
    for name, (rate, cpu_us, p99, errors) in medians.items():
        ratio = f"{rate / base:.1f}×" if base else "-"
        print(f"| {name} | median of {args.rounds} × {args.duration:g} s | {rate:,.0f} | {cpu_us:.1f} | {p99 / 1000:.2f} ms | "
              f"{errors} | {ratio} |")


if __name__ == "__main__":
    main()
