"""A real Redis server for tests: Debian's redis-server on 127.0.0.1 and a free port, its files in a
temporary directory, stopped at the end. `RedisServer.stop()`/`start()` take it away and bring it
back on the same port (with `persist=True`, with the data it had: an outage, not a loss)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import support

BIN = shutil.which("redis-server")


def available() -> bool:
    return BIN is not None


class RedisServer:
    def __init__(self, directory: Path, port: int) -> None:
        self.dir, self.port = directory, port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
        self.proc = subprocess.Popen(
            [BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
             "--appendonly", "no", "--dbfilename", "dump.rdb", "--logfile", str(self.dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
        deadline = time.monotonic() + 30
        while self.command("PING") != "+PONG":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start:\n{(self.dir / 'redis.log').read_text()}")
            time.sleep(0.02)

    def stop(self, persist: bool = False) -> None:
        """SHUTDOWN (SAVE with `persist`: the next start loads the same data)."""
        if self.proc is None:
            return
        self.command("SHUTDOWN SAVE" if persist else "SHUTDOWN NOSAVE")
        self.proc.wait(30)
        self.proc = None

    def command(self, line: str) -> str | None:
        """One inline command; the first line of the answer (None: no server)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(line.encode() + b"\r\n")
                data = b""
                while not data.endswith(b"\r\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                return data.decode(errors="replace").split("\r\n")[0]
        except OSError:
            return None

    def keys(self, pattern: str = "*") -> list[str]:
        """KEYS `pattern`, through redis-cli (multi-line answers)."""
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--raw", "KEYS", pattern], capture_output=True,
                             text=True, timeout=30).stdout
        return [k for k in out.split("\n") if k]


@contextlib.contextmanager
def running() -> Iterator[RedisServer]:
    directory = Path(tempfile.mkdtemp(prefix="cello-redis-"))
    server = RedisServer(directory, support.free_port())
    try:
        server.start()
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
