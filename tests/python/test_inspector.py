"""The inspector API (`--inspect`, docs/inspector.md): a real server process with the inspector
attached, queried over real HTTP; the token, snapshots, the event stream, invalidation by tag and
reloads triggered through the API."""
from __future__ import annotations

import http.client
import json
import re
import socket
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import support

TOKEN = "0123456789abcdef0123456789abcdef"
INSPECTOR_LINE = re.compile(r"cello: inspector on http://([\d.]+):(\d+)/inspect/v1 \(token ([0-9a-f]+)\)")

APP = '''
import time
from cello import App, HTTPError, cache

app = App()

@app.get("/")
def home(request):
    return {"hello": "world"}

@app.get("/users/{id:int}")
def user(request):
    return {"id": request.params["id"]}

@app.get("/slow")
def slow(request):
    time.sleep(0.05)
    return {"slow": True}

@app.post("/boom")
def boom(request):
    raise ValueError("bad id " + request.text())

@app.get("/teapot")
def teapot(request):
    raise HTTPError(418, "short and stout")

@app.get("/cached/{n}")
@cache(ttl=60, tags=["users"])
def cached(request):
    return {"n": request.params["n"]}

@app.get("/stream")
def stream(request):
    yield "a" * 10
    yield "b" * 20
'''


class Inspected:
    """A server started with --inspect, and a client for its inspector API."""

    def __init__(self, server: support.Server, host: str, port: int, token: str) -> None:
        self.server, self.host, self.port, self.token = server, host, port, token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             auth: str = "header") -> support.Reply:
        headers: dict[str, str] = {}
        token = self.token if token is None else token
        if token and auth == "header":
            headers["Authorization"] = f"Bearer {token}"
        elif token:
            path += ("&" if "?" in path else "?") + f"token={token}"
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        if data is not None:
            headers["Content-Type"] = "application/json"
        return support.request(self.port, method, path, body=data, headers=headers, host=self.host)

    def snapshot(self, query: str = "") -> dict[str, Any]:
        reply = self.call("GET", "/inspect/v1/snapshot" + query)
        assert reply.status == 200, reply
        return reply.json()

    def settled(self, total: int, query: str = "") -> dict[str, Any]:
        """A snapshot once `total` requests were reported: a client can read its answer a moment
        before the engine's write completes and the request is counted."""
        deadline = time.monotonic() + support.WAIT
        while True:
            snap = self.snapshot(query)
            if snap["requests_total"] >= total or time.monotonic() > deadline:
                return snap
            time.sleep(0.01)

    def route(self, snap: dict[str, Any], label: str) -> dict[str, Any]:
        for r in snap["routes"]:
            if f"{r['method']} {r['pattern']}" == label:
                return r
        raise AssertionError(f"no route {label} in {[r['pattern'] for r in snap['routes']]}")


def start(app_file: Path, *args: str, env: dict[str, str] | None = None) -> Inspected:
    server = support.start_server(str(app_file), "--inspect=127.0.0.1:0", "--no-logs", *args,
                                  env={"CELLO_INSPECT_TOKEN": TOKEN, **(env or {})})
    m = INSPECTOR_LINE.search(server.stderr)
    assert m, server.stderr
    return Inspected(server, m.group(1), int(m.group(2)), m.group(3))


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "site" / "app.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(APP))
    return path


@pytest.fixture
def inspected(app_file: Path) -> Iterator[Inspected]:
    ins = start(app_file)
    try:
        yield ins
    finally:
        code = ins.server.stop()
        assert code == 0, ins.server.stderr


# -- the token ------------------------------------------------------------------------------------

def test_every_endpoint_needs_the_token(inspected: Inspected) -> None:
    for method, path in [("GET", "/inspect/v1"), ("GET", "/inspect/v1/snapshot"), ("GET", "/inspect/v1/events"),
                         ("POST", "/inspect/v1/reload"), ("POST", "/inspect/v1/cache/invalidate?tag=users"),
                         ("GET", "/inspect/v1/no-such-thing"), ("GET", "/")]:
        for token in ("", "wrong", TOKEN[:-1] + "0", TOKEN + "0"):
            reply = inspected.call(method, path, token=token)
            assert reply.status == 401, (method, path, token, reply)
            assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer"), reply
            assert reply.json()["status"] == 401
    assert inspected.call("GET", "/inspect/v1").status == 200
    assert inspected.call("GET", "/inspect/v1", auth="query").status == 200
    # the app's own port knows nothing of the inspector
    assert inspected.server.get("/inspect/v1/snapshot").status == 404


def test_token_is_generated_and_printed_when_not_given(app_file: Path) -> None:
    server = support.start_server(str(app_file), "--inspect=127.0.0.1:0", "--no-logs")
    try:
        m = INSPECTOR_LINE.search(server.stderr)
        assert m, server.stderr
        token = m.group(3)
        assert len(token) == 32 and token != TOKEN
        ins = Inspected(server, m.group(1), int(m.group(2)), token)
        assert ins.call("GET", "/inspect/v1/snapshot").status == 200
    finally:
        assert server.stop() == 0


def test_loopback_is_the_default(app_file: Path) -> None:
    port = support.free_port()
    server = support.start_server(str(app_file), f"--inspect={port}", "--no-logs")
    try:
        m = INSPECTOR_LINE.search(server.stderr)
        assert m and m.group(1) == "127.0.0.1" and int(m.group(2)) == port, server.stderr
    finally:
        assert server.stop() == 0


def test_bad_inspect_address_and_busy_port_are_clear_errors(app_file: Path) -> None:
    result = support.run_cli("run", str(app_file), "--port", "0", "--inspect=nowhere:http")
    assert result.returncode == 2
    assert "--inspect expects HOST:PORT" in result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = support.run_cli("run", str(app_file), "--port", "0", f"--inspect=127.0.0.1:{port}")
    assert result.returncode == 1
    assert f"cello: inspector: cannot listen on 127.0.0.1:{port}" in result.stderr, result.stderr


# -- snapshots ------------------------------------------------------------------------------------

def test_routes_requests_errors_and_cache_in_the_snapshot(inspected: Inspected, app_file: Path) -> None:
    s = inspected.server
    for i in range(5):
        assert s.get(f"/users/{i}").status == 200
    assert s.post("/boom", body="42").status == 500
    assert s.get("/teapot").status == 418
    assert s.get("/cached/1").headers["X-Cache"] == "MISS"
    assert s.get("/cached/1").headers["X-Cache"] == "HIT"
    assert s.get("/nowhere").status == 404

    snap = inspected.settled(10)
    assert snap["version"] == 1
    assert snap["requests_total"] == 10
    assert snap["server"] == {"host": "127.0.0.1", "port": s.port}  # where the app answers
    assert snap["workers"] == []  # one process: no cluster
    assert snap["dropped_events"] == 0

    users = inspected.route(snap, "GET /users/{id:int}")
    assert users["name"] == "user"
    assert users["file"] == str(app_file)
    lines = app_file.read_text().splitlines()
    assert lines[users["line"] - 1].startswith("@app.get(\"/users/"), users["line"]
    assert users["total"]["count"] == 5 and users["window"]["count"] == 5
    assert 0 < users["total"]["p50_ms"] <= users["total"]["p99_ms"] <= users["total"]["max_ms"]
    assert users["cached"] is False and users["live"] is True

    cached = inspected.route(snap, "GET /cached/{n}")
    assert cached["cached"] is True and cached["cache_ttl_s"] == 60 and cached["cache_tags"] == ["users"]
    assert (cached["cache_hits"], cached["cache_misses"], cached["hit_ratio"]) == (1, 1, 0.5)
    assert inspected.route(snap, "GET /teapot")["total"]["errors_4xx"] == 1
    assert inspected.route(snap, "POST /boom")["total"]["errors_5xx"] == 1
    unmatched = [r for r in snap["routes"] if r["id"] is None]
    assert len(unmatched) == 1 and unmatched[0]["total"]["count"] == 1 and unmatched[0]["total"]["errors_4xx"] == 1

    tags = {t["label"]: t for t in snap["cache"]["tags"]}
    assert (tags["users"]["hits"], tags["users"]["misses"], tags["users"]["stores"]) == (1, 1, 1)
    assert {r["label"] for r in snap["cache"]["routes"]} == {"GET /cached/{n}"}
    assert snap["cache"]["entries"] == 1

    reqs = snap["requests"]
    assert [r["path"] for r in reqs][-4:] == ["/teapot", "/cached/1", "/cached/1", "/nowhere"]
    assert [r["cache"] for r in reqs][-3:-1] == ["MISS", "HIT"]
    boom = next(r for r in reqs if r["path"] == "/boom")
    assert (boom["method"], boom["status"], boom["route"]) == ("POST", 500, "POST /boom")
    assert boom["bytes_in"] > 2 and boom["bytes_out"] > 0 and boom["latency_ms"] >= boom["handler_ms"] > 0
    assert reqs[-1]["route"] == "" and reqs[-1]["status"] == 404
    assert [r["seq"] for r in reqs] == sorted(r["seq"] for r in reqs)

    assert len(snap["errors"]) == 1  # HTTPError(418) is an answer, not a failure
    err = snap["errors"][0]
    assert (err["method"], err["path"], err["status"], err["route"]) == ("POST", "/boom", 500, "POST /boom")
    assert err["message"] == "ValueError: bad id 42"
    assert "Traceback (most recent call last)" in err["traceback"]
    assert f'File "{app_file}"' in err["traceback"] and "raise ValueError" in err["traceback"]
    assert err["body_preview"] == "42"
    assert ["Content-Length", "2"] in err["headers"]

    assert sum(p["requests"] for p in snap["series"]) == 10
    assert snap["series"][-1]["time"] <= snap["now"] + 1


def test_percentiles_of_a_route_with_known_latency(inspected: Inspected) -> None:
    """The handler sleeps 50 ms: no latency below that (a sleep never ends early). Above, what a
    loaded machine adds is unknown, so the bound is what the client itself measured around each
    request (the server's latency is inside it), plus room for the write's completion, which the
    server may see a moment after the client read the answer."""
    round_trips = []
    for _ in range(10):
        started = time.monotonic()
        assert inspected.server.get("/slow").status == 200
        round_trips.append((time.monotonic() - started) * 1000)
    ceiling_ms = max(round_trips) + 250
    snap = inspected.settled(10)
    slow = inspected.route(snap, "GET /slow")
    assert 45 <= slow["total"]["p50_ms"] <= slow["total"]["p99_ms"] <= slow["total"]["max_ms"] <= ceiling_ms, \
        (slow, round_trips)
    snap = inspected.snapshot(f"?histogram={slow['id']}")
    buckets = snap["histogram"]["buckets"]
    assert snap["histogram"]["route"] == slow["id"]
    assert sum(n for _, n in buckets) == 10
    assert all(45 <= lower <= ceiling_ms for lower, _ in buckets), (buckets, round_trips)


def test_incremental_snapshots_and_bad_queries(inspected: Inspected) -> None:
    for i in range(3):
        inspected.server.get(f"/users/{i}")
    first = inspected.settled(3)
    last = first["requests"][-1]["seq"]
    inspected.server.get("/users/99")
    newer = inspected.settled(4, f"?requests_since={last}")
    assert [r["path"] for r in newer["requests"]] == ["/users/99"]
    assert inspected.snapshot("?max_requests=2")["requests"][-1]["path"] == "/users/99"
    assert len(inspected.snapshot("?max_requests=2")["requests"]) == 2
    bad = inspected.call("GET", "/inspect/v1/snapshot?requests_since=-1")
    assert bad.status == 400 and "requests_since" in bad.json()["detail"]
    bad = inspected.call("GET", "/inspect/v1/snapshot?x=%ZZ&requests_since=5")
    assert bad.status == 400 and "malformed" in bad.json()["detail"]
    assert inspected.call("POST", "/inspect/v1/cache/invalidate?tag=%ZZ").status == 400


def test_bytes_out_is_what_the_client_received(inspected: Inspected) -> None:
    """A streamed answer, and a plain one pipelined before it in the same write."""
    with socket.create_connection((inspected.server.host, inspected.server.port)) as sock:
        sock.sendall(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    split = received.index(b"HTTP/1.1 200", 1)
    rows = inspected.settled(2)["requests"]
    assert [r["path"] for r in rows] == ["/users/1", "/stream"]
    assert rows[0]["bytes_out"] == split
    assert rows[1]["bytes_out"] == len(received) - split
    assert received.endswith(b"0\r\n\r\n")


def test_event_stream_sends_snapshots_with_only_new_requests(inspected: Inspected) -> None:
    inspected.server.get("/users/1")
    inspected.settled(1)
    conn = http.client.HTTPConnection(inspected.host, inspected.port, timeout=support.WAIT)
    conn.request("GET", f"/inspect/v1/events?token={TOKEN}")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
    events = SseReader(resp)
    name, first = events.next()
    assert name == "snapshot"
    assert [r["path"] for r in first["requests"]] == ["/users/1"]
    inspected.server.get("/users/2")
    inspected.server.post("/boom", body="x")
    deadline = time.monotonic() + support.WAIT
    seen: list[str] = []
    errors: list[str] = []
    while time.monotonic() < deadline and len(seen) < 2:
        _, ev = events.next()
        seen += [r["path"] for r in ev["requests"]]
        errors += [e["path"] for e in ev["errors"]]
    assert seen == ["/users/2", "/boom"]
    assert errors == ["/boom"]
    conn.close()
    assert inspected.server.get("/").status == 200  # the app never noticed


class SseReader:
    """Server-sent events from a chunked http.client response."""

    def __init__(self, resp: http.client.HTTPResponse) -> None:
        self.resp = resp
        self.buffer = b""

    def next(self) -> tuple[str, dict[str, Any]]:
        while b"\n\n" not in self.buffer:
            chunk = self.resp.read1(65536) if hasattr(self.resp, "read1") else self.resp.read(1)
            assert chunk, "stream ended"
            self.buffer += chunk
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        name, data = "", ""
        for line in block.decode().split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if not data:  # the "retry:" preamble
            return self.next()
        return name, json.loads(data)


# -- actions --------------------------------------------------------------------------------------

def test_invalidate_by_tag(inspected: Inspected) -> None:
    s = inspected.server
    s.get("/cached/1")
    s.get("/cached/2")
    assert s.get("/cached/1").headers["X-Cache"] == "HIT"
    reply = inspected.call("POST", "/inspect/v1/cache/invalidate", {"tags": ["users"]})
    assert reply.status == 200 and reply.json() == {"invalidated": 2, "tags": ["users"]}
    assert s.get("/cached/1").headers["X-Cache"] == "MISS"
    assert inspected.call("POST", "/inspect/v1/cache/invalidate?tag=nothing").json()["invalidated"] == 0
    tags = {t["label"]: t for t in inspected.snapshot()["cache"]["tags"]}
    assert tags["users"]["invalidations"] == 2
    for body in ("{not json", {"tags": "users"}, {"tags": [1]}, {}):
        bad = inspected.call("POST", "/inspect/v1/cache/invalidate", body)
        assert bad.status == 400, (body, bad)
    assert inspected.call("POST", "/inspect/v1/cache/invalidate").status == 400


def test_reload_through_the_api(inspected: Inspected, app_file: Path) -> None:
    s = inspected.server
    for i in range(3):
        s.get(f"/users/{i}")
    app_file.write_text(app_file.read_text().replace('"hello": "world"', '"hello": "again"')
                        + '\n@app.get("/new")\ndef new(request):\n    return "new"\n')
    reply = inspected.call("POST", "/inspect/v1/reload")
    assert reply.status == 200 and reply.json()["ok"] is True, reply
    assert s.get("/").json() == {"hello": "again"}
    assert s.get("/new").text == "new"
    s.get("/users/9")
    snap = inspected.settled(6)
    assert inspected.route(snap, "GET /new")["live"] is True
    assert inspected.route(snap, "GET /users/{id:int}")["total"]["count"] == 4  # kept across the reload
    [ok] = snap["reloads"]
    assert ok["ok"] is True and ok["routes"] == 8 and 0 < ok["duration_ms"] < 5000 and ok["error"] == ""

    good = app_file.read_text()
    app_file.write_text(good.replace("def new(request):", "def new(request) oops:"))
    reply = inspected.call("POST", "/inspect/v1/reload")
    assert reply.status == 409 and reply.json()["ok"] is False and "SyntaxError" in reply.json()["message"]
    assert s.get("/new").text == "new"  # still the previous code
    failed = inspected.snapshot()["reloads"][-1]
    assert failed["ok"] is False and "SyntaxError" in failed["error"] and "Traceback" in failed["error"]

    app_file.write_text(good.replace('@app.get("/new")\ndef new(request):\n    return "new"\n', ""))
    assert inspected.call("POST", "/inspect/v1/reload").json()["ok"] is True
    snap = inspected.snapshot()
    assert inspected.route(snap, "GET /new")["live"] is False  # removed; its numbers stay visible
    assert s.get("/new").status == 404


def test_no_inspector_unless_asked(app_file: Path) -> None:
    with support.running(str(app_file), "--no-logs") as server:
        assert "inspector" not in server.stderr


def test_file_watcher_reloads_are_reported_with_their_traceback(app_file: Path) -> None:
    ins = start(app_file, "--reload", env={"PYTHONDONTWRITEBYTECODE": "1"})
    try:
        good = app_file.read_text()
        app_file.write_text(good.replace('"hello": "world"', '"hello": "saved"'))
        assert ins.server.wait_for_stderr("cello: reloaded "), ins.server.stderr
        app_file.write_text(good + "\ndef broken(:\n")
        assert ins.server.wait_for_stderr("cello: reload failed"), ins.server.stderr
        # The inspector hears of the reload a moment after the line is printed: wait for it too.
        assert support.wait_until(lambda: len(ins.snapshot()["reloads"]) == 2), ins.snapshot()["reloads"]
        reloads = ins.snapshot()["reloads"]
        assert [r["ok"] for r in reloads] == [True, False], reloads
        assert "SyntaxError" in reloads[1]["error"] and str(app_file) in reloads[1]["error"]
        assert ins.server.get("/").json() == {"hello": "saved"}
    finally:
        assert ins.server.stop() == 0


def test_detail_capture_records_headers_and_bodies_of_every_request(inspected: Inspected) -> None:
    s = inspected.server
    s.get("/users/1?plain=1")
    assert inspected.settled(1)["requests"][-1]["detail"] is None  # off by default: no per-request cost
    reply = inspected.call("POST", "/inspect/v1/capture", {"on": True})
    assert reply.status == 200 and reply.json() == {"capturing": True}
    s.request("GET", "/users/2?x=1&y=2", headers={"X-Trace": "abc"})
    s.post("/boom", body="the body")
    rows = inspected.settled(3)["requests"]
    detail = rows[-2]["detail"]
    assert detail["query"] == "x=1&y=2"
    assert ["X-Trace", "abc"] in detail["headers"]
    assert ["Content-Type", "application/json"] in detail["response_headers"]
    assert rows[-1]["detail"]["body_preview"] == "the body"
    assert inspected.call("POST", "/inspect/v1/capture", {"on": False}).json() == {"capturing": False}
    s.get("/users/3")
    assert inspected.settled(4)["requests"][-1]["detail"] is None
    for body in ("nope", {"on": "yes"}, {}):
        assert inspected.call("POST", "/inspect/v1/capture", body).status == 400
