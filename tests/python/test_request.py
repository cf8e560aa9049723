"""The Request object, member by member (API.md "Request"), as seen by a handler over HTTP."""
from __future__ import annotations

import json

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("request_app.py", "--no-logs") as s:
        yield s


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_method(server, method):
    r = server.request(method, "/method", body=b"" if method != "GET" else None)
    assert r.status == 200, r
    assert r.json() == {"method": method}


def test_path_is_percent_decoded_raw_path_is_not(server):
    r = server.get("/paths/hello%20w%C3%B6rld")
    assert r.status == 200, r
    data = r.json()
    assert data["path"] == "/paths/hello wörld"
    assert data["raw_path"] == "/paths/hello%20w%C3%B6rld"
    assert data["params"] == {"name": "hello wörld"}


def test_path_excludes_query_string(server):
    data = server.get("/paths/plain?x=1").json()
    assert data["path"] == "/paths/plain"
    assert data["params"] == {"name": "plain"}


def test_int_param_arrives_as_int(server):
    r = server.get("/users/42")
    assert r.status == 200, r
    assert r.json() == {"id": 42, "type": "int"}


def test_int_param_big_value(server):
    r = server.get("/users/123456789012345678901234567890")
    assert r.status == 200, r
    assert r.json() == {"id": 123456789012345678901234567890, "type": "int"}


@pytest.mark.parametrize("path", ["/users/abc", "/users/12a", "/users/-1", "/users/"])
def test_int_param_rejects_non_digits(server, path):
    support.assert_error_shape(server.get(path), 404)


def test_mixed_params(server):
    r = server.get("/users/7/posts/hello-world")
    assert r.json() == {"params": {"id": 7, "slug": "hello-world"}, "types": {"id": "int", "slug": "str"}}


@pytest.mark.parametrize("sub", ["a.txt", "a/b/c.txt", "dir/sub/"])
def test_path_param_catches_slashes(server, sub):
    r = server.get("/files/" + sub)
    assert r.status == 200, r
    assert r.json() == {"params": {"p": sub}}


def test_star_path_param(server):
    r = server.get("/star/x/y/z")
    assert r.status == 200, r
    assert r.json() == {"params": {"rest": "x/y/z"}}


def test_query_last_value_wins_and_getlist(server):
    r = server.get("/query?a=1&b=two&a=3&a=5")
    assert r.status == 200, r
    data = r.json()
    assert data["last"] == {"a": "5", "b": "two"}
    assert data["all"] == {"a": ["1", "3", "5"], "b": ["two"]}
    assert data["missing"] is None
    assert data["missing_list"] == []
    assert data["query_string"] == "a=1&b=two&a=3&a=5"


def test_query_decoding(server):
    r = server.get("/query?name=J%C3%BCrgen+M&sym=%26%3D%2B&empty=")
    data = r.json()
    assert data["last"] == {"name": "Jürgen M", "sym": "&=+", "empty": ""}
    assert data["query_string"] == "name=J%C3%BCrgen+M&sym=%26%3D%2B&empty="


def test_query_string_empty(server):
    data = server.get("/query").json()
    assert data["last"] == {}
    assert data["query_string"] == ""


def test_headers_case_insensitive_and_getlist(server):
    with server.raw() as conn:
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


def test_cookies(server):
    r = server.get("/cookies", headers={"Cookie": "sid=abc123; theme=dark; empty="})
    assert r.status == 200, r
    data = r.json()
    assert data["is_dict"] is True
    assert data["cookies"] == {"sid": "abc123", "theme": "dark", "empty": ""}


def test_no_cookies(server):
    assert server.get("/cookies").json() == {"cookies": {}, "is_dict": True}


def test_client_is_peer_address(server):
    with server.raw() as conn:
        local_ip, local_port = conn.sock.getsockname()
        conn.send(support.http_get("/client"))
        r = conn.read_response()
    assert r.json() == {"ip": local_ip, "port": local_port, "port_type": "int"}


def test_body_bytes(server):
    payload = bytes(range(256)) * 4
    r = server.post("/body", payload, headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    assert r.json() == {"type": "bytes", "len": 1024, "hex": payload.hex(), "again": True}


def test_body_empty(server):
    r = server.post("/body", b"")
    assert r.json() == {"type": "bytes", "len": 0, "hex": "", "again": True}


def test_body_chunked(server):
    with server.raw() as conn:
        conn.send("POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200, r
    assert r.json()["hex"] == b"hello world".hex()


def test_text_utf8(server):
    r = server.post("/text", "grüße ✓ 😀".encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"})
    assert r.status == 200, r
    assert r.json() == {"type": "str", "text": "grüße ✓ 😀"}


def test_json_parsed_and_cached(server):
    doc = {"a": [1, 2.5, "x", None, True, False], "nested": {"k": {"deep": [[], {}]}}, "ü": "ß"}
    r = server.post("/json", json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.status == 200, r
    assert r.json() == {"data": doc, "cached": True}


def test_form_urlencoded(server):
    r = server.post("/form", "name=J%C3%BCrgen+M&tag=a&tag=b&empty=",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    data = r.json()
    assert data["fields"] == {"name": "Jürgen M", "tag": "b", "empty": ""}
    assert data["lists"]["tag"] == ["a", "b"]


def test_form_multipart_with_file(server):
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
    r = server.post("/form", body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status == 200, r
    fields = r.json()["fields"]
    assert fields["title"] == "Grüße"
    assert fields["upload"] == {"filename": "report.bin", "content_type": "application/x-custom",
                                "content_hex": file_bytes.hex(), "read_type": "bytes"}


def test_state_is_per_request_dict(server):
    first = server.get("/state").json()
    second = server.get("/state").json()
    assert first == {"before": {}, "after": {"seen": True}, "is_dict": True}
    assert second == first  # nothing leaks from one request to the next


def test_app_is_the_app(server):
    assert server.get("/app").json() == {"same": True, "type": "App"}
