"""The Request object, member by member (API.md "Request"), as seen by a handler over HTTP: the app
served in-process by TestClient; raw sockets to its port for what a client library would normalise
(header-name case, chunked bodies) or hide (the local address)."""
from __future__ import annotations

import json

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("request_app").app) as c:
        yield c


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_method(client, method):
    r = client.request(method, "/method", content=b"" if method != "GET" else None)
    assert r.status_code == 200, r
    assert r.json() == {"method": method}


def test_path_is_percent_decoded_raw_path_is_not(client):
    r = client.get("/paths/hello%20w%C3%B6rld")
    assert r.status_code == 200, r
    data = r.json()
    assert data["path"] == "/paths/hello wörld"
    assert data["raw_path"] == "/paths/hello%20w%C3%B6rld"
    assert data["params"] == {"name": "hello wörld"}


def test_path_excludes_query_string(client):
    data = client.get("/paths/plain?x=1").json()
    assert data["path"] == "/paths/plain"
    assert data["params"] == {"name": "plain"}


def test_int_param_arrives_as_int(client):
    r = client.get("/users/42")
    assert r.status_code == 200, r
    assert r.json() == {"id": 42, "type": "int"}


def test_int_param_big_value(client):
    """{x:int} is 0..2^63-1 (docs/api.md "Routes"): the largest arrives as int, one more is a 404."""
    r = client.get("/users/9223372036854775807")
    assert r.status_code == 200, r
    assert r.json() == {"id": 2 ** 63 - 1, "type": "int"}
    support.assert_error_shape(client.get("/users/9223372036854775808"), 404)
    support.assert_error_shape(client.get("/users/123456789012345678901234567890"), 404)


@pytest.mark.parametrize("path", ["/users/abc", "/users/12a", "/users/-1", "/users/"])
def test_int_param_rejects_non_digits(client, path):
    support.assert_error_shape(client.get(path), 404)


def test_mixed_params(client):
    r = client.get("/users/7/posts/hello-world")
    assert r.json() == {"params": {"id": 7, "slug": "hello-world"}, "types": {"id": "int", "slug": "str"}}


@pytest.mark.parametrize("sub", ["a.txt", "a/b/c.txt", "dir/sub/"])
def test_path_param_catches_slashes(client, sub):
    r = client.get("/files/" + sub)
    assert r.status_code == 200, r
    assert r.json() == {"params": {"p": sub}}


def test_star_path_param(client):
    r = client.get("/star/x/y/z")
    assert r.status_code == 200, r
    assert r.json() == {"params": {"rest": "x/y/z"}}


def test_query_last_value_wins_and_getlist(client):
    r = client.get("/query?a=1&b=two&a=3&a=5")
    assert r.status_code == 200, r
    data = r.json()
    assert data["last"] == {"a": "5", "b": "two"}
    assert data["all"] == {"a": ["1", "3", "5"], "b": ["two"]}
    assert data["missing"] is None
    assert data["missing_list"] == []
    assert data["query_string"] == "a=1&b=two&a=3&a=5"


def test_query_decoding(client):
    r = client.get("/query?name=J%C3%BCrgen+M&sym=%26%3D%2B&empty=")
    data = r.json()
    assert data["last"] == {"name": "Jürgen M", "sym": "&=+", "empty": ""}
    assert data["query_string"] == "name=J%C3%BCrgen+M&sym=%26%3D%2B&empty="


def test_query_string_empty(client):
    data = client.get("/query").json()
    assert data["last"] == {}
    assert data["query_string"] == ""


def test_headers_case_insensitive_and_getlist(client):
    with support.RawConnection(client.port) as conn:
        conn.send("GET /headers HTTP/1.1\r\nHost: example.test\r\nX-Token: secret\r\n"
                  "X-Multi: one\r\nx-multi: two\r\nX-MULTI: three\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200, r
    data = r.json()
    assert data["lower"] == data["title"] == data["upper"] == data["get"] == "secret"
    assert data["absent"] is None
    assert data["contains"] is True
    assert data["multi"] == ["one", "two", "three"]
    assert data["multi_upper"] == ["one", "two", "three"]
    assert data["host"] == "example.test"


def test_cookies(client):
    r = client.get("/cookies", headers={"Cookie": "sid=abc123; theme=dark; empty="})
    assert r.status_code == 200, r
    data = r.json()
    assert data["is_dict"] is True
    assert data["cookies"] == {"sid": "abc123", "theme": "dark", "empty": ""}


def test_no_cookies(client):
    assert client.get("/cookies").json() == {"cookies": {}, "is_dict": True}


def test_client_is_peer_address(client):
    with support.RawConnection(client.port) as conn:
        local_ip, local_port = conn.sock.getsockname()
        conn.send(support.http_get("/client"))
        r = conn.read_response()
    assert r.json() == {"ip": local_ip, "port": local_port, "port_type": "int"}


def test_body_bytes(client):
    payload = bytes(range(256)) * 4
    r = client.post("/body", content=payload, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r
    assert r.json() == {"type": "bytes", "len": 1024, "hex": payload.hex(), "again": True}


def test_body_empty(client):
    r = client.post("/body", content=b"")
    assert r.json() == {"type": "bytes", "len": 0, "hex": "", "again": True}


def test_body_chunked(client):
    with support.RawConnection(client.port) as conn:
        conn.send("POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200, r
    assert r.json()["hex"] == b"hello world".hex()


def test_text_utf8(client):
    r = client.post("/text", content="grüße ✓ 😀".encode("utf-8"),
                    headers={"Content-Type": "text/plain; charset=utf-8"})
    assert r.status_code == 200, r
    assert r.json() == {"type": "str", "text": "grüße ✓ 😀"}


def test_json_parsed_and_cached(client):
    doc = {"a": [1, 2.5, "x", None, True, False], "nested": {"k": {"deep": [[], {}]}}, "ü": "ß"}
    r = client.post("/json", content=json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r
    assert r.json() == {"data": doc, "cached": True}


def test_form_urlencoded(client):
    r = client.post("/form", content="name=J%C3%BCrgen+M&tag=a&tag=b&empty=",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r
    data = r.json()
    assert data["fields"] == {"name": "Jürgen M", "tag": "b", "empty": ""}
    assert data["lists"]["tag"] == ["a", "b"]


def test_form_multipart_with_file(client):
    boundary = "----cellotestboundary7MA4YWxk"
    file_bytes = b"\x00\x01binary\r\n--not-a-boundary\xff" * 10
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "Grüße\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="report.bin"\r\n'
        "Content-Type: application/x-custom\r\n\r\n"
    ).encode("utf-8") + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    r = client.post("/form", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 200, r
    fields = r.json()["fields"]
    assert fields["title"] == "Grüße"
    assert fields["upload"] == {"filename": "report.bin", "content_type": "application/x-custom",
                                "content_hex": file_bytes.hex(), "read_type": "bytes"}


def test_state_is_per_request_dict(client):
    first = client.get("/state").json()
    second = client.get("/state").json()
    assert first == {"before": {}, "after": {"seen": True}, "is_dict": True}
    assert second == first  # nothing leaks from one request to the next


def test_app_is_the_app(client):
    assert client.get("/app").json() == {"same": True, "type": "App"}
