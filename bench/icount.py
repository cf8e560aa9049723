#!/usr/bin/python3
"""Instructions per request, from callgrind: a stable measure on a noisy machine.

    /usr/bin/python3 bench/icount.py [--cello-bin build/cello] [--flag=--inspect=127.0.0.1:0]
                                     [--middleware metrics] PATH [PATH...]

For each PATH, runs `cello run bench/apps/cello_app.py` (or --app) under `valgrind --tool=callgrind`
twice, sends 1,000 and then 1,000 + --requests (20,000) `GET PATH` requests (pipelined 100 at a time on one connection, or with
`--connections N` one at a time on each of N connections, as wrk sends them) and
prints (instructions of the second run - of the first) / --requests: the cost of one request, start-up
and shutdown cancelled out. The callgrind files are kept in /tmp (callgrind_annotate them to see
where the instructions go; link _cello without `strip` to get its function names).

With `--websocket`, each PATH is a WebSocket route (default app bench/apps/websocket_cello.py, an
echo): --connections N (default 1) WebSocket connections (python3-websockets, no compression) each
send a 64-byte text message and wait for its echo, round after round: instructions per message.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

BENCH = Path(__file__).resolve().parent
APP = BENCH / "apps" / "cello_app.py"
WEBSOCKET_APP = BENCH / "apps" / "websocket_cello.py"


def echo_messages(port: int, path: str, n: int, connections: int) -> None:
    """`n` echoes over `connections` WebSocket connections, one message in flight on each."""
    import asyncio

    import websockets  # python3-websockets

    async def run() -> None:
        socks = [await websockets.connect(f"ws://127.0.0.1:{port}{path}", compression=None)
                 for _ in range(connections)]
        message = "x" * 64
        for _ in range(n // connections):
            for ws in socks:
                await ws.send(message)
            for ws in socks:
                if await ws.recv() != message:
                    raise SystemExit("a wrong echo")
        for ws in socks:
            await ws.close()

    asyncio.run(run())


def read_answers(s: socket.socket, count: int) -> None:
    """Reads `count` whole responses (with a Content-Length: the bench apps' answers) from `s`."""
    data = b""
    while count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            length = re.search(rb"\r\ncontent-length: *(\d+)", data[:head_end], re.I)
            if not length:
                raise SystemExit("an answer without Content-Length: " + data[:head_end].decode(errors="replace"))
            end = head_end + 4 + int(length.group(1))
            if len(data) >= end:
                data = data[end:]
                count -= 1
                continue
        chunk = s.recv(1 << 20)
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk


def instructions(binary: str, app: str, n: int, path: str, flags: list[str], middleware: str, connections: int,
                 websocket: bool = False) -> int:
    out = tempfile.mktemp(prefix="cello-callgrind.", suffix=f".{n}.out")
    port = 18000 + os.getpid() % 1000
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "run", app,
                             "--port", str(port), "--processes", "1", "--env", "production", "--no-logs", *flags],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "CELLO_BENCH_MIDDLEWARE": middleware})
    seen = ""
    while "serving" not in seen:
        line = proc.stderr.readline() if proc.stderr else ""
        if not line:
            raise SystemExit(f"the server did not start:\n{seen}")
        seen += line
    # Whatever it writes from now on (the request log under --logs) must not fill the pipe and stall it.
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    if websocket:
        echo_messages(port, path, n, connections)
    elif connections == 1:
        with socket.create_connection(("127.0.0.1", port)) as s:
            done = 0
            while done < n:
                batch = min(100, n - done)
                s.sendall(request * batch)
                read_answers(s, batch)
                done += batch
    else:
        # Like wrk: each connection has one request outstanding, so the server sees them together.
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
        try:
            for _ in range(n // connections):
                for s in socks:
                    s.sendall(request)
                for s in socks:
                    read_answers(s, 1)
        finally:
            for s in socks:
                s.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(120)
    text = Path(out).read_text()
    print(f"  ({out})")
    return int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cello-bin", default=str(BENCH.parent / "build" / "cello"))
    p.add_argument("--flag", action="append", default=[], help="a flag for `cello run` (repeatable)")
    p.add_argument("--middleware", default="", help="CELLO_BENCH_MIDDLEWARE for the app (e.g. metrics)")
    p.add_argument("--connections", type=int, default=1,
                   help="1 (default): requests pipelined 100 at a time on one connection; N: one request at a time "
                        "on each of N connections, like wrk (async handlers that await resume together)")
    p.add_argument("--app", default=None, help="the app to serve (default bench/apps/cello_app.py, or "
                   "websocket_cello.py with --websocket; bench/apps/tfb_cello.py with DATABASE_URL for the database rows)")
    p.add_argument("--websocket", action="store_true", help="PATHs are WebSocket echo routes: instructions per message")
    p.add_argument("--requests", type=int, default=20000, help="requests measured (the difference of two runs)")
    p.add_argument("paths", nargs="+")
    args = p.parse_args()
    app = args.app or str(WEBSOCKET_APP if args.websocket else APP)
    for path in args.paths:
        small, large = (instructions(args.cello_bin, app, n, path, args.flag, args.middleware, args.connections,
                                     args.websocket)
                        for n in (1000, 1000 + args.requests))
        extra = " ".join([*args.flag, *([f"middleware={args.middleware}"] if args.middleware else []),
                          *([f"connections={args.connections}"] if args.connections > 1 else [])])
        what = "WebSocket echo" if args.websocket else "GET"
        unit = "message" if args.websocket else "request"
        print(f"{args.cello_bin} {what} {path} {extra}: {(large - small) / args.requests:,.0f} instructions/{unit}")


if __name__ == "__main__":
    main()
