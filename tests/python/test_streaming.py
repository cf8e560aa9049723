"""Streaming responses (API.md "What a handler may return"; docs/api.md "Streaming"): generators,
iterators and Response.stream become chunked bodies sent item by item. The app is served in-process
by TestClient; the bodies are read off raw sockets to its port, so the chunked framing, the flush
timing and the connection's state afterwards are seen as sent. Logged errors are read with capfd."""
from __future__ import annotations

import uuid

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("streaming_app").app) as c:
        yield c


def fetch(client, path):
    with support.RawConnection(client.port, timeout=10) as conn:
        conn.send(support.http_get(path))
        r = conn.read_response()
        # the connection stays usable after a streamed body
        conn.send(support.http_get("/ok"))
        assert conn.read_response().body == b"ok"
    return r


def test_generator_of_bytes_is_chunked_octet_stream(client):
    r = fetch(client, "/stream/bytes")
    assert r.status == 200, r
    assert r.headers.get("Transfer-Encoding", "").lower() == "chunked", r
    assert r.content_type == "application/octet-stream"
    assert r.body == b"one,two,three"


def test_generator_of_str_is_text_plain(client):
    r = fetch(client, "/stream/str")
    assert r.status == 200, r
    assert r.content_type == "text/plain; charset=utf-8"
    assert r.body == "grüße ✓".encode()


def test_iterator_of_buffers(client):
    r = fetch(client, "/stream/iterator")
    assert (r.status, r.body) == (200, b"abc"), r


def test_response_stream_with_status_headers_content_type(client):
    r = fetch(client, "/stream/response")
    assert r.status == 201, r
    assert r.content_type == "text/csv"
    assert r.headers["X-Stream"] == "yes"
    assert r.body == b"id,name\n0,row0\n1,row1\n2,row2\n"


def test_empty_generator(client):
    r = fetch(client, "/stream/empty")
    assert r.status == 200, r
    assert r.body == b""


def test_many_items(client):
    r = fetch(client, "/stream/many")
    assert r.body == b"".join(f"{i:04d}\n".encode() for i in range(1000))


def test_http_client_reads_stream(client):
    r = client.get("/stream/bytes")
    assert (r.status_code, r.content) == (200, b"one,two,three")


def test_exception_before_first_item_is_500(client, capfd):
    r = fetch(client, "/stream/error-first")
    support.assert_error_shape(r, 500)
    err = support.captured_stderr(capfd, "failed before the first item")
    assert "failed before the first item" in err, err


def test_bad_first_item_is_500_naming_the_type(client):
    r = fetch(client, "/stream/bad-item")
    data = support.assert_error_shape(r, 500)
    assert "int" in str(data["detail"]) + str(data.get("traceback", "")), data


def test_exception_mid_stream_closes_connection(client, capfd):
    with support.RawConnection(client.port, timeout=5) as conn:
        conn.send(support.http_get("/stream/error-later"))
        with pytest.raises(ConnectionError):
            conn.read_response()  # the body never completes: no terminating 0-chunk
    err = support.captured_stderr(capfd, "failed mid-stream")
    assert "failed mid-stream" in err, err
    assert client.get("/ok").content == b"ok"


def test_items_are_flushed_as_produced(client, import_app):
    """The generator waits after its first item until the test, having received that item, lets
    it go on: an engine that held items back would leave the test waiting (a read timeout, or the
    generator giving up: "gave-up" instead of "second")."""
    token = uuid.uuid4().hex
    with support.RawConnection(client.port, timeout=support.WAIT) as conn:
        conn.send(support.http_get(f"/stream/slow?token={token}"))
        try:
            while b"first" not in conn.buf:
                assert conn._fill(), "connection closed"
            assert b"second" not in conn.buf and b"gave-up" not in conn.buf
        finally:
            import_app("streaming_app").release(token)
        r = conn.read_response()
    assert r.body == b"firstsecond"


def test_client_going_away_closes_the_generator(client):
    token = uuid.uuid4().hex
    with support.RawConnection(client.port, timeout=5) as conn:
        conn.send(support.http_get(f"/stream/endless?token={token}"))
        while len(conn.buf) < 4096:
            assert conn._fill()
    assert support.wait_until(lambda: token in client.get("/stream/closed").json()["closed"]), \
        "the generator was not closed after the client disconnected"


def test_http_1_0_gets_raw_body_and_close(client):
    with support.RawConnection(client.port, timeout=5) as conn:
        conn.send(b"GET /stream/bytes HTTP/1.0\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200
        assert "chunked" not in (r.headers.get("Transfer-Encoding") or "").lower()
        assert r.body == b"one,two,three"


def test_pipelined_after_stream(client):
    with support.RawConnection(client.port, timeout=5) as conn:
        conn.send(support.http_get("/stream/bytes") + support.http_get("/stream/str") + support.http_get("/ok"))
        assert conn.read_response().body == b"one,two,three"
        assert conn.read_response().body == "grüße ✓".encode()
        assert conn.read_response().body == b"ok"
