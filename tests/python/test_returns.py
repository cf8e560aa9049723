"""What a handler may return (API.md "What a handler may return"), checked on the wire."""
from __future__ import annotations

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("returns_app.py", "--no-logs") as s:
        yield s


def test_dict_is_compact_json_in_insertion_order(server):
    r = server.get("/ret/dict")
    assert r.status == 200, r
    assert r.content_type == "application/json"
    assert r.body == b'{"zebra":1,"apple":[1,2,{"c":null}],"mid":{"y":true,"x":false},"t":[1,"two"]}'
    assert r.headers["Content-Length"] == str(len(r.body))


def test_list_is_compact_json(server):
    r = server.get("/ret/list")
    assert r.status == 200, r
    assert r.content_type == "application/json"
    assert r.body == b'[3,"two",1.5,true,null,{"k":[]}]'


def test_empty_dict(server):
    r = server.get("/ret/empty-dict")
    assert (r.status, r.content_type, r.body) == (200, "application/json", b"{}")


def test_str_is_text_plain_utf8(server):
    r = server.get("/ret/str")
    assert r.status == 200, r
    assert r.content_type == "text/plain; charset=utf-8"
    assert r.body == "héllo wörld ✓".encode("utf-8")
    assert r.headers["Content-Length"] == str(len(r.body))


@pytest.mark.parametrize("path, body", [
    ("/ret/bytes", b"\x00\x01\x02\xff"),
    ("/ret/bytearray", b"\x10\x20\x30"),
    ("/ret/memoryview", b"2345"),
])
def test_binary_is_octet_stream(server, path, body):
    r = server.get(path)
    assert r.status == 200, r
    assert r.content_type == "application/octet-stream"
    assert r.body == body


def test_none_is_204_without_body(server):
    with server.raw() as conn:
        conn.send(support.http_get("/ret/none"))
        r = conn.read_response()
        assert r.status == 204, r
        assert r.body == b""
        assert "Content-Type" not in r.headers
        # no stray body bytes on the connection: the next response parses cleanly
        conn.send(support.http_get("/ret/str"))
        assert conn.read_response().status == 200


def test_response_as_built(server):
    r = server.get("/ret/response")
    assert r.status == 201, r
    assert r.content_type == "text/csv"
    assert r.headers["X-Kind"] == "csv"
    assert r.body == b"a,b\n1,2\n"


def test_default_response_is_empty_200(server):
    r = server.get("/ret/response-default")
    assert r.status == 200, r
    assert r.body == b""


def test_tuple_body_status(server):
    r = server.get("/ret/tuple2")
    assert r.status == 201, r
    assert r.content_type == "application/json"
    assert r.json() == {"created": True}


def test_tuple_str_status(server):
    r = server.get("/ret/tuple2-str")
    assert r.status == 202, r
    assert r.content_type == "text/plain; charset=utf-8"
    assert r.body == b"accepted"


def test_tuple_body_status_headers(server):
    r = server.get("/ret/tuple3")
    assert r.status == 202, r
    assert r.content_type == "application/json"
    assert r.json() == ["made"]
    assert r.headers["X-Extra"] == "yes"
    assert r.headers["x-other"] == "2"


def test_tuple_bytes_status(server):
    r = server.get("/ret/tuple-bytes")
    assert (r.status, r.content_type, r.body) == (203, "application/octet-stream", b"\x01\x02")


def test_tuple_none_status(server):
    r = server.get("/ret/tuple-none")
    assert r.status == 404, r
    assert r.body == b""
