"""Streaming responses (API.md "What a handler may return"; docs/api.md "Streaming"): generators,
iterators and Response.stream become chunked bodies sent item by item."""
from __future__ import annotations

import time
import uuid

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("streaming_app.py", "--no-logs") as s:
        yield s


def fetch(server, path):
    with server.raw(timeout=10) as conn:
        conn.send(support.http_get(path))
        r = conn.read_response()
        # the connection stays usable after a streamed body
        conn.send(support.http_get("/ok"))
        assert conn.read_response().body == b"ok"
    return r


def test_generator_of_bytes_is_chunked_octet_stream(server):
    r = fetch(server, "/stream/bytes")
    assert r.status == 200, r
    assert r.headers.get("Transfer-Encoding", "").lower() == "chunked", r
    assert r.content_type == "application/octet-stream"
    assert r.body == b"one,two,three"


def test_generator_of_str_is_text_plain(server):
    r = fetch(server, "/stream/str")
    assert r.status == 200, r
    assert r.content_type == "text/plain; charset=utf-8"
    assert r.body == "grüße ✓".encode()


def test_iterator_of_buffers(server):
    r = fetch(server, "/stream/iterator")
    assert (r.status, r.body) == (200, b"abc"), r


def test_response_stream_with_status_headers_content_type(server):
    r = fetch(server, "/stream/response")
    assert r.status == 201, r
    assert r.content_type == "text/csv"
    assert r.headers["X-Stream"] == "yes"
    assert r.body == b"id,name\n0,row0\n1,row1\n2,row2\n"


def test_empty_generator(server):
    r = fetch(server, "/stream/empty")
    assert r.status == 200, r
    assert r.body == b""


def test_many_items(server):
    r = fetch(server, "/stream/many")
    assert r.body == b"".join(f"{i:04d}\n".encode() for i in range(1000))


def test_http_client_reads_stream(server):
    r = server.get("/stream/bytes")
    assert (r.status, r.body) == (200, b"one,two,three")


def test_exception_before_first_item_is_500(server):
    r = fetch(server, "/stream/error-first")
    support.assert_error_shape(r, 500)
    assert server.wait_for_stderr("failed before the first item", 5), server.stderr


def test_bad_first_item_is_500_naming_the_type(server):
    r = fetch(server, "/stream/bad-item")
    data = support.assert_error_shape(r, 500)
    assert "int" in str(data["detail"]) + str(data.get("traceback", "")), data


def test_exception_mid_stream_closes_connection(server):
    with server.raw(timeout=5) as conn:
        conn.send(support.http_get("/stream/error-later"))
        with pytest.raises(ConnectionError):
            conn.read_response()  # the body never completes: no terminating 0-chunk
    assert server.wait_for_stderr("failed mid-stream", 5), server.stderr
    assert server.get("/ok").body == b"ok"


def test_items_are_flushed_as_produced(server):
    with server.raw(timeout=5) as conn:
        conn.send(support.http_get("/stream/slow"))
        started = time.monotonic()
        while b"first" not in conn.buf:
            assert conn._fill(), "connection closed"
        first_at = time.monotonic() - started
        r = conn.read_response()
        total = time.monotonic() - started
    assert first_at < 0.4, f"first item arrived after {first_at:.2f} s: not flushed before the sleep"
    assert total >= 0.5
    assert r.body == b"firstsecond"


def test_client_going_away_closes_the_generator(server):
    token = uuid.uuid4().hex
    with server.raw(timeout=5) as conn:
        conn.send(support.http_get(f"/stream/endless?token={token}"))
        while len(conn.buf) < 4096:
            assert conn._fill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if token in server.get("/stream/closed").json()["closed"]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the generator was not closed after the client disconnected")


def test_http_1_0_gets_raw_body_and_close(server):
    with server.raw(timeout=5) as conn:
        conn.send(b"GET /stream/bytes HTTP/1.0\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200
        assert "chunked" not in (r.headers.get("Transfer-Encoding") or "").lower()
        assert r.body == b"one,two,three"


def test_pipelined_after_stream(server):
    with server.raw(timeout=5) as conn:
        conn.send(support.http_get("/stream/bytes") + support.http_get("/stream/str") + support.http_get("/ok"))
        assert conn.read_response().body == b"one,two,three"
        assert conn.read_response().body == "grüße ✓".encode()
        assert conn.read_response().body == b"ok"
