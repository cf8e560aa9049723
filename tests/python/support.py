"""Helpers shared by the Cello test suite: starting servers as subprocesses and talking HTTP to them.

Everything here goes over real sockets: `http.client` for ordinary requests to a `cello` process,
and a tiny raw-socket client (`RawConnection`) for keep-alive, pipelining, HEAD framing and bad
input, to a `cello` process or to the port of an in-process `TestClient` (`RawConnection(client.port)`).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD_DIR = Path(os.environ.get("CELLO_BUILD_DIR") or REPO / "build").resolve()
PYTHON_DIR = BUILD_DIR / "python"
CELLO_BIN = BUILD_DIR / "cello"
APPS = HERE / "apps"
PYTHON = "/usr/bin/python3"

BANNER = re.compile(r"cello (\S+): serving (\d+) routes on https?://([^\s:]+):(\d+) \((.*)\)")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
# How long a test waits for something that should happen promptly (a log line, a state change, a
# held handler to arrive). Waits end as soon as the thing happens, so this costs nothing when the
# server works; it is generous because CI runs the suite on a loaded 2-core machine, where "at once"
# can take a second. Only a broken server reaches it. (docs/testing.md, "Timing")
# CELLO_TEST_WAIT shortens it when checking that a test fails against a deliberately broken app.
WAIT = float(os.environ.get("CELLO_TEST_WAIT") or 30.0)


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server or CLI subprocess: build/python importable, no stray CELLO_ENV."""
    env = dict(os.environ)
    env.pop("CELLO_ENV", None)
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PYTHON_DIR) + (os.pathsep + old if old else "")
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


def app_path(name: str) -> str:
    """Absolute path of an app under tests/python/apps/."""
    path = APPS / name
    assert path.is_file(), f"missing test app {path}"
    return str(path)


def command(app: str, args: tuple[str, ...] | list[str], via: str) -> list[str]:
    """The command line that serves `app`: `cello run app ...` or `python3 app.py ...`."""
    if via == "cello":
        return [str(CELLO_BIN), "run", app, *args]
    if via == "python":
        return [PYTHON, app, *args]
    raise ValueError(via)


def run_cli(*args: str, cwd: str | Path | None = None, timeout: float = 30.0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the `cello` binary to completion (for --help, routes, failures)."""
    return subprocess.run([str(CELLO_BIN), *args], cwd=cwd, env=subprocess_env(env), capture_output=True,
                          text=True, timeout=timeout)


class _Collector:
    """Reads a pipe line by line on a thread, so the child never blocks on a full pipe."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream: Any) -> None:
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self._cond.notify_all()
        stream.close()

    def text(self) -> str:
        with self._cond:
            return "".join(self.lines)

    def wait_for(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate("".join(self.lines)):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._cond.wait(min(remaining, 0.1))

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@dataclass
class Server:
    """A running server subprocess: `.port`, `.url`, `.proc`, and its collected stderr/stdout."""

    proc: subprocess.Popen[bytes]
    cmd: list[str]
    _err: _Collector
    _out: _Collector
    host: str = "127.0.0.1"
    port: int = 0
    routes: int = 0
    banner: str = ""
    returncode: int | None = None
    stopped: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stderr(self) -> str:
        return self._err.text()

    @property
    def stdout(self) -> str:
        return self._out.text()

    def wait_for_stderr(self, needle: str, timeout: float = WAIT) -> bool:
        """True once `needle` appeared on the server's stderr (within `timeout`)."""
        return self._err.wait_for(lambda text: needle in text, timeout)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 10.0) -> "Reply":
        return request(self.port, method, path, body=body, headers=headers, timeout=timeout, host=self.host)

    def get(self, path: str, **kw: Any) -> "Reply":
        return self.request("GET", path, **kw)

    def post(self, path: str, body: bytes | str | None = None, **kw: Any) -> "Reply":
        return self.request("POST", path, body=body, **kw)

    def raw(self, timeout: float = 5.0) -> "RawConnection":
        return RawConnection(self.port, timeout=timeout, host=self.host)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.returncode = self.proc.wait(5)
            raise AssertionError(f"server {self.cmd} did not exit within {timeout}s of SIGTERM; "
                                 f"stderr:\n{self.stderr}") from None
        finally:
            self._err.join(5)
            self._out.join(5)
        return self.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then wait for the exit. Returns the exit code (asserting is the caller's choice)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.stopped = True
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def start_server(app: str, *args: str, via: str = "cello", cwd: str | Path | None = None,
                 env: dict[str, str] | None = None, timeout: float = START_TIMEOUT) -> Server:
    """Starts `app` (a file under apps/, an absolute path, or a module:attr target) and waits for its banner.

    Pass `--port 0` (added automatically unless a --port is given) so the OS picks a free port; the
    port is parsed from the banner line on stderr.
    """
    target = app if (":" in app or os.path.isabs(app)) else app_path(app)
    argv = list(args)
    if "--port" not in argv:
        argv += ["--port", "0"]
    cmd = command(target, argv, via)
    proc = subprocess.Popen(cmd, cwd=cwd, env=subprocess_env(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server = Server(proc=proc, cmd=cmd, _err=_Collector(proc.stderr), _out=_Collector(proc.stdout))
    if not server._err.wait_for(lambda text: BANNER.search(text) is not None, timeout):
        server.kill()
        server._err.join(2)
        raise AssertionError(f"no banner from {cmd} within {timeout}s (exit code {proc.poll()}); stderr:\n"
                             f"{server.stderr}\nstdout:\n{server.stdout}")
    m = BANNER.search(server.stderr)
    assert m is not None
    server.banner = m.group(0)
    server.routes = int(m.group(2))
    server.host = m.group(3)
    server.port = int(m.group(4))
    return server


@contextlib.contextmanager
def running(app: str, *args: str, via: str = "cello", cwd: str | Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[Server]:
    """Serves `app` for the duration of the block; at the end SIGTERM must stop it with exit code 0."""
    server = start_server(app, *args, via=via, cwd=cwd, env=env)
    try:
        yield server
    except BaseException:
        server.kill()
        raise
    if not server.stopped:
        code = server.stop()
        assert code == 0, f"{server.cmd} exited with {code} after SIGTERM; stderr:\n{server.stderr}"
        assert "cello: stopped" in server.stderr, f"no 'cello: stopped' on stderr:\n{server.stderr}"


def wait_until(predicate: Any, timeout: float = WAIT, interval: float = 0.02) -> Any:
    """The first truthy value of `predicate()` within `timeout`, else its last (falsy) value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# -- HTTP clients ---------------------------------------------------------------------------------

class Headers:
    """Response headers: case-insensitive `get`, `getlist`, `in`; `items()` for every pair."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs in order, repeated names included (as `cello.Headers.items()`)."""
        return list(self.pairs)

    def getlist(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for n, v in self.pairs if n.lower() == lower]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.getlist(name)
        return values[-1] if values else default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.getlist(name))

    def __repr__(self) -> str:
        return f"Headers({self.pairs!r})"


@dataclass
class Reply:
    """One HTTP response."""

    status: int
    reason: str
    headers: Headers
    body: bytes
    version: str = "HTTP/1.1"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.headers!r} {self.body[:300]!r}>"


def request(port: int, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None, timeout: float = 10.0, host: str = "127.0.0.1") -> Reply:
    """One request on a fresh connection (http.client)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.reason, Headers(resp.getheaders()), data,
                     "HTTP/1.1" if resp.version == 11 else "HTTP/1.0")
    finally:
        conn.close()


def captured_stderr(capfd: Any, *needles: str, timeout: float = WAIT) -> str:
    """For in-process servers (TestClient): what this process wrote to stderr since the last read
    of `capfd` (pytest's fd-level capture, so the engine threads' writes are included), once every
    needle appeared or `timeout` passed (log lines may trail the response a little)."""
    text = ""
    deadline = time.monotonic() + timeout
    while True:
        text += capfd.readouterr().err
        if all(needle in text for needle in needles) or time.monotonic() > deadline:
            return text
        time.sleep(0.02)


# RFC 9110 renamed a few reason phrases; either spelling is a correct reason phrase.
_ALTERNATIVE_PHRASES = {
    413: {"Content Too Large", "Payload Too Large", "Request Entity Too Large"},
    414: {"URI Too Long", "Request-URI Too Long"},
    416: {"Range Not Satisfiable", "Requested Range Not Satisfiable"},
    422: {"Unprocessable Content", "Unprocessable Entity"},
}


def reason_phrases(status: int) -> set[str]:
    """The acceptable reason phrases of `status`."""
    from http import HTTPStatus

    return {HTTPStatus(status).phrase} | _ALTERNATIVE_PHRASES.get(status, set())


def assert_error_shape(reply: Any, status: int, detail: Any = ...) -> dict[str, Any]:
    """The framework's common error body: {"error": <reason phrase>, "status": code, "detail": ...}.
    `reply` is a `Reply` of this module or a `cello.testing.TestResponse`."""
    code = reply.status_code if hasattr(reply, "status_code") else reply.status
    assert code == status, reply
    assert (reply.headers.get("Content-Type") or "").startswith("application/json"), reply
    data = reply.json()
    assert isinstance(data, dict), data
    assert data.get("status") == status, data
    assert data.get("error") in reason_phrases(status), data
    assert "detail" in data, data
    if detail is not ...:
        assert data["detail"] == detail, data
    return data


class RawConnection:
    """A raw TCP connection: write bytes, parse HTTP/1.x responses off the stream."""

    def __init__(self, port: int, timeout: float = 5.0, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not self._fill():
                raise ConnectionError(f"connection closed before {marker!r}; got {self.buf!r}")
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError(f"connection closed after {len(self.buf)} of {n} body bytes")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head: bool = False) -> Reply:
        """The next response on the stream. `head=True`: the request was HEAD (no body follows)."""
        block = self._read_until(b"\r\n\r\n").decode("latin-1")
        status_line, *lines = block.split("\r\n")
        version, _, rest = status_line.partition(" ")
        code, _, reason = rest.partition(" ")
        pairs = []
        for line in lines:
            name, _, value = line.partition(":")
            pairs.append((name.strip(), value.strip()))
        headers = Headers(pairs)
        status = int(code)
        body = b""
        if head or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in (headers.get("Transfer-Encoding") or "").lower():
            while True:
                size_line = self._read_until(b"\r\n").split(b";")[0]
                size = int(size_line, 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_exact(size)
                self._read_exact(2)
        elif headers.get("Content-Length") is not None:
            body = self._read_exact(int(headers["Content-Length"]))
        else:  # delimited by close
            while self._fill():
                pass
            body, self.buf = self.buf, b""
        return Reply(status, reason, headers, body, version)

    def closed_by_peer(self, timeout: float) -> bool:
        """True if the peer closes (EOF or reset) within `timeout` with no further bytes."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if chunk:
            self.buf += chunk
            return False
        return True

    def is_open(self) -> bool:
        """True if the connection still looks open (no EOF pending)."""
        return not self.closed_by_peer(0.05)


def http_get(path: str, host: str = "x") -> bytes:
    """A minimal GET request as bytes."""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("latin-1")


def load_example(name: str) -> Any:
    """examples/<name>/app.py as a module of its own (every example's file is called app.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_{name}_app", REPO / "examples" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get_once(cmd: list[str], port: int, env: dict[str, str], cwd: str | Path) -> "Reply":
    """Starts the server `cmd` (which listens on `port`), GETs / once it accepts, stops it. For
    servers started some other way than start_server (installed copies, a venv's python)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def accepts() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return proc.poll() is not None  # exited: stop waiting (said below)

        assert wait_until(accepts), f"{cmd[0]} did not start listening"
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else cmd
        return request(port, "GET", "/")
    finally:
        proc.terminate()
        proc.wait(30)


def free_port() -> int:
    """A port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- large downloads ------------------------------------------------------------------------------

def pattern(size: int) -> bytes:
    """Deterministic bytes where every offset is recognisable (a wrong range shows up)."""
    import struct

    block = b"".join(struct.pack(">I", i) for i in range(16384))  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass
class Download:
    """A body read in blocks while watching the server's memory."""

    status: int
    headers: Headers
    size: int
    sha256: str
    rss_growth_kib: int


def download_watching_rss(server: "Server", path: str, block: int = 256 * 1024) -> Download:
    """GETs `path`, hashing the body block by block, and reports how far the server's RSS rose
    above where it was before the request (peak, sampled after every block)."""
    import hashlib

    pid = server.proc.pid
    before = peak = rss_kib(pid)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        digest, size = hashlib.sha256(), 0
        while chunk := resp.read(block):
            digest.update(chunk)
            size += len(chunk)
            peak = max(peak, rss_kib(pid))
        headers = Headers(resp.getheaders())
        status = resp.status
    finally:
        conn.close()
    peak = max(peak, rss_kib(pid))
    return Download(status, headers, size, digest.hexdigest(), peak - before)
