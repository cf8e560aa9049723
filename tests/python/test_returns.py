"""What a handler may return (API.md "What a handler may return"), checked on the wire: the app
served in-process by TestClient; raw sockets to its port where the bytes on the connection matter."""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("returns_app").app) as c:
        yield c


def test_dict_is_compact_json_in_insertion_order(client):
    r = client.get("/ret/dict")
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "application/json"
    assert r.content == b'{"zebra":1,"apple":[1,2,{"c":null}],"mid":{"y":true,"x":false},"t":[1,"two"]}'
    assert r.headers["Content-Length"] == str(len(r.content))


def test_list_is_compact_json(client):
    r = client.get("/ret/list")
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "application/json"
    assert r.content == b'[3,"two",1.5,true,null,{"k":[]}]'


def test_empty_dict(client):
    r = client.get("/ret/empty-dict")
    assert (r.status_code, r.headers.get("content-type"), r.content) == (200, "application/json", b"{}")


def test_str_is_text_plain_utf8(client):
    r = client.get("/ret/str")
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "text/plain; charset=utf-8"
    assert r.content == "héllo wörld ✓".encode("utf-8")
    assert r.headers["Content-Length"] == str(len(r.content))


@pytest.mark.parametrize("path, body", [
    ("/ret/bytes", b"\x00\x01\x02\xff"),
    ("/ret/bytearray", b"\x10\x20\x30"),
    ("/ret/memoryview", b"2345"),
])
def test_binary_is_octet_stream(client, path, body):
    r = client.get(path)
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "application/octet-stream"
    assert r.content == body


def test_none_is_204_without_body(client):
    with support.RawConnection(client.port) as conn:
        conn.send(support.http_get("/ret/none"))
        r = conn.read_response()
        assert r.status == 204, r
        assert r.body == b""
        assert "Content-Type" not in r.headers
        # no stray body bytes on the connection: the next response parses cleanly
        conn.send(support.http_get("/ret/str"))
        assert conn.read_response().status == 200


def test_response_as_built(client):
    r = client.get("/ret/response")
    assert r.status_code == 201, r
    assert r.headers.get("content-type") == "text/csv"
    assert r.headers["X-Kind"] == "csv"
    assert r.content == b"a,b\n1,2\n"


def test_default_response_is_empty_200(client):
    r = client.get("/ret/response-default")
    assert r.status_code == 200, r
    assert r.content == b""


def test_tuple_body_status(client):
    r = client.get("/ret/tuple2")
    assert r.status_code == 201, r
    assert r.headers.get("content-type") == "application/json"
    assert r.json() == {"created": True}


def test_tuple_str_status(client):
    r = client.get("/ret/tuple2-str")
    assert r.status_code == 202, r
    assert r.headers.get("content-type") == "text/plain; charset=utf-8"
    assert r.content == b"accepted"


def test_tuple_body_status_headers(client):
    r = client.get("/ret/tuple3")
    assert r.status_code == 202, r
    assert r.headers.get("content-type") == "application/json"
    assert r.json() == ["made"]
    assert r.headers["X-Extra"] == "yes"
    assert r.headers["x-other"] == "2"


def test_tuple_bytes_status(client):
    r = client.get("/ret/tuple-bytes")
    assert (r.status_code, r.headers.get("content-type"), r.content) == (203, "application/octet-stream", b"\x01\x02")


def test_tuple_none_status(client):
    r = client.get("/ret/tuple-none")
    assert r.status_code == 404, r
    assert r.content == b""
