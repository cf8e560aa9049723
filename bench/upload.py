#!/usr/bin/python3
"""Large uploads: Cello vs Starlette on uvicorn, a file of --size MiB (2048 by default) posted as a
multipart form (Cello: `request.form()` in a sync handler and `await request.form_async()`;
Starlette: `await request.form()`; the file spooled to disk) and as a raw body read with
`request.stream()`. Reports MB/s and the server's peak resident memory growth during the upload
(VmHWM after, minus VmRSS before, the peak reset through /proc/PID/clear_refs). Server on CPU 0,
this client on CPU 1. The body is made as it is sent (a 1 MiB random block repeated), so the
client holds 1 MiB. Starlette's form() needs python3-multipart; without it that row is skipped.

    /usr/bin/python3 bench/upload.py [--size 2048] [--servers cello,starlette] [--cello-bin build/cello]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "bench" / "apps"
MiB = 1024 * 1024
BOUNDARY = "----celloUploadBench"
SERVER_CPU, CLIENT_CPU = "0", 1


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def upload(port: int, path: str, size: int, multipart: bool) -> tuple[float, dict, str]:
    """Posts `size` bytes; returns (seconds, the server's JSON answer, the body's sha256)."""
    block = os.urandom(MiB)
    before = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
              "Content-Type: application/octet-stream\r\n\r\n").encode() if multipart else b""
    after = f"\r\n--{BOUNDARY}--\r\n".encode() if multipart else b""
    content_type = f"multipart/form-data; boundary={BOUNDARY}" if multipart else "application/octet-stream"
    digest = hashlib.sha256()
    sock = socket.create_connection(("127.0.0.1", port))
    start = time.perf_counter()
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {content_type}\r\n"
                  f"Content-Length: {len(before) + size + len(after)}\r\n\r\n").encode() + before)
    left = size
    while left:
        part = block[:min(left, MiB)]
        sock.sendall(part)
        digest.update(part)
        left -= len(part)
    sock.sendall(after)
    reply = b""
    while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    seconds = time.perf_counter() - start
    sock.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"{path} on port {port}: {head[:200]!r}")
    return seconds, json.loads(body), digest.hexdigest()


def server_command(name: str, port: int, cello_bin: str) -> list[str]:
    if name == "cello":
        return [cello_bin, "run", str(APPS / "upload_cello.py"), "--port", str(port), "--env", "production",
                "--no-logs", "--workers", "1"]
    return ["/usr/bin/python3", "-m", "uvicorn", "upload_starlette:app", "--app-dir", str(APPS), "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="MiB uploaded (default 2048)")
    parser.add_argument("--servers", default="cello,starlette")
    parser.add_argument("--cello-bin", default=str(ROOT / "build" / "cello"))
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CPU})
    size = args.size * MiB
    rows = []
    with tempfile.TemporaryDirectory(prefix="cello-upload-bench-") as tmp:
        env = {**os.environ, "TMPDIR": tmp}  # spooled uploads land here, and go with it
        for port, name in enumerate(args.servers.split(","), start=8031):
            proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *server_command(name, port, args.cello_bin)],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                wait_port(port)
                for mode in ("form", "aform", "stream"):
                    if name == "starlette" and mode == "aform":
                        continue  # Starlette's form() is already async
                    if name == "starlette" and mode == "form":
                        try:
                            import multipart  # noqa: F401  (python3-multipart)
                        except ImportError:
                            print("starlette form: skipped (python3-multipart is not installed)", file=sys.stderr)
                            continue
                    multipart = mode != "stream"
                    upload(port, f"/{mode}", 8 * MiB, multipart)  # warm up
                    with open(f"/proc/{proc.pid}/clear_refs", "w") as f:
                        f.write("5")  # VmHWM restarts from the resident size now
                    pid = proc.pid
                    # taskset execs the server: the pid is the server's.
                    rss_before = kib(pid, "VmRSS")
                    seconds, answer, sha = upload(port, f"/{mode}", size, multipart)
                    if (answer["size"], answer["sha256"]) != (size, sha):
                        raise SystemExit(f"{name} {mode}: wrong answer {answer}")
                    growth = (kib(pid, "VmHWM") - rss_before) / 1024
                    rows.append((name, mode, size / MiB / seconds, growth))
                    print(f"{name} {mode}: {size / MiB / seconds:.0f} MiB/s, peak RSS +{growth:.1f} MiB", file=sys.stderr)
            finally:
                proc.terminate()
                proc.wait(10)
    print(f"| server | upload of {args.size} MiB | MiB/s | peak RSS growth |")
    print("|---|---|---|---|")
    for name, mode, rate, growth in rows:
        what = {"form": "multipart, `form()`" + (" (sync handler)" if name == "cello" else ""),
                "aform": "multipart, `await form_async()`", "stream": "raw body, `stream()`"}[mode]
        print(f"| {name} | {what} | {rate:.0f} | {growth:.1f} MiB |")


if __name__ == "__main__":
    main()
