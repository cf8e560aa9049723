"""Async generators as streamed bodies, and Server-Sent Events, over real HTTP."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("sse_app.py", "--no-logs") as s:
        yield s


def read_chunks(server, path: str, until: bytes | None = None, timeout: float = 5.0):
    """(arrival time, bytes) pairs read from a raw socket until the peer closes or `until` appears."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    t0, data, chunks = time.monotonic(), b"", []
    while True:
        piece = sock.recv(65536)
        if not piece:
            break
        chunks.append((time.monotonic() - t0, piece))
        data += piece
        if until is not None and until in data:
            break
    sock.close()
    return chunks, data


def test_async_generator_streams_each_item_as_it_is_produced(server, tmp_path):
    """Part i is produced only after the test received part i - 1 (it then creates the file that
    lets the generator go on): parts the server held back would never arrive (a read timeout)."""
    gate = tmp_path / "agen"
    with server.raw(timeout=support.WAIT) as conn:
        conn.send(support.http_get(f"/agen?gate={gate}"))
        for i in range(3):
            assert f"part {i}".encode() not in conn.buf
            Path(f"{gate}.{i}").touch()
            while f"part {i}".encode() not in conn.buf:
                assert conn._fill(), f"connection closed before part {i}"
        r = conn.read_response()
    assert r.headers.get("Transfer-Encoding") == "chunked" and r.content_type == "text/plain; charset=utf-8"
    assert r.body == b"part 0\npart 1\npart 2\n"


def test_async_stream_of_bytes_is_exact(server):
    r = server.get("/agen-bytes")
    assert r.status == 200
    assert r.body == b"".join(bytes([i % 256]) * 1000 for i in range(200))


def test_failing_async_stream_is_cut_and_server_keeps_serving(server):
    _, data = read_chunks(server, "/agen-fails")
    assert b"first" in data and not data.endswith(b"0\r\n\r\n")  # incomplete: no last chunk
    assert server.wait_for_stderr("broken stream")
    assert server.get("/state").status == 200


def test_sse_format(server):
    r = server.get("/events")
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.body.decode() == (
        "data: plain\n\n"
        "id: 7\nevent: update\nretry: 2500\ndata: {\"n\":1}\n\n"
        "data: two\ndata: lines\n\n"
        ": just a comment\n\n"
    )


def test_sse_from_a_sync_iterable(server):
    assert server.get("/events-sync").body == b"data: a\n\ndata: b\n\n"


def test_sse_keepalive_comments_while_idle(server, tmp_path):
    """The generator stays idle until the test saw two keep-alive comments (then it creates the
    file that lets it finish): no keep-alive comments, and the test waits for them in vain."""
    gate = tmp_path / "quiet"
    with server.raw(timeout=support.WAIT) as conn:
        conn.send(support.http_get(f"/quiet?gate={gate}"))
        while conn.buf.count(b": keep-alive\n\n") < 2:
            assert conn._fill(), "connection closed while idle"
        assert b"data: bye" not in conn.buf  # they came while the generator was idle
        gate.touch()
        body = conn.read_response().body.decode()
    assert body.startswith("data: hello\n\n") and body.endswith("data: bye\n\n")
    assert body.count(": keep-alive\n\n") >= 2


def test_client_that_goes_away_stops_the_generator(server):
    before = server.get("/state").json()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
    # Leave once the generator is running (not after a guessed delay).
    assert support.wait_until(lambda: server.get("/state").json()["yielded"] > before["yielded"])
    sock.close()
    assert support.wait_until(lambda: server.get("/state").json()["closed"] > before["closed"]), \
        "the generator's finally block did not run"
    now = server.get("/state").json()
    assert now["closed"] == before["closed"] + 1
    time.sleep(0.3)
    assert server.get("/state").json()["yielded"] == now["yielded"], "the generator kept running"


def test_example_sse_app(start_server):
    s = start_server(str(support.REPO / "examples" / "sse" / "app.py"), "--no-logs")
    body = s.get("/jobs/3").body.decode()
    assert body.count("event: progress") == 3 and "event: done" in body and "retry: 10000" in body
    assert s.get("/lines").body == b"line 0\nline 1\nline 2\n"
    _, data = read_chunks(s, "/clock", until=b"event: tick")
    assert b"text/event-stream" in data and b"event: tick" in data
