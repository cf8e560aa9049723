"""The Response API (API.md "Response"): constructors, cookies, mutable case-insensitive headers, CR/LF."""
from __future__ import annotations

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("returns_app.py", "--no-logs") as s:
        yield s


def test_response_json(server):
    r = server.get("/resp/json")
    assert r.status == 201, r
    assert r.content_type == "application/json"
    assert r.body == b'{"k":"v","n":[1,2]}'
    assert r.headers["X-J"] == "1"


def test_response_text(server):
    r = server.get("/resp/text")
    assert r.status == 202, r
    assert r.content_type == "text/plain; charset=utf-8"
    assert r.body == "plain ✓".encode()


def test_response_html(server):
    r = server.get("/resp/html")
    assert r.status == 200, r
    assert r.content_type == "text/html; charset=utf-8"
    assert r.body == "<h1>hi ✓</h1>".encode()


def test_redirect_defaults_to_307(server):
    r = server.get("/resp/redirect")
    assert r.status == 307, r
    assert r.headers["Location"] == "/target?x=1"


def test_redirect_with_status(server):
    r = server.get("/resp/redirect301")
    assert r.status == 301, r
    assert r.headers["Location"] == "https://example.com/elsewhere"


def test_set_cookie(server):
    r = server.get("/resp/cookies")
    assert r.status == 200, r
    cookies = r.headers.getlist("Set-Cookie")
    assert len(cookies) == 2, cookies
    sid = [c for c in cookies if c.startswith("sid=abc123")]
    theme = [c for c in cookies if c.startswith("theme=dark")]
    assert sid and theme, cookies
    attrs = {a.strip().split("=")[0].lower() for a in sid[0].split(";")[1:]}
    assert {"max-age", "httponly", "secure", "path"} <= attrs, sid[0]
    assert "Max-Age=60" in sid[0]


def test_headers_mutable_case_insensitive(server):
    r = server.get("/resp/headers")
    assert r.status == 200, r
    assert r.headers.getlist("X-Custom") == ["2"]
    assert "X-Gone" not in r.headers
    assert r.headers.getlist("X-Multi") == ["a", "b"]


def test_headers_readback_case_insensitive(server):
    assert server.get("/resp/headers-readback").json() == {"lower": "v", "upper": "v", "contains": True}


def test_crlf_header_value_raises_value_error(server):
    data = server.get("/resp/crlf-catch").json()
    assert data["raised"] == "ValueError", data


@pytest.mark.parametrize("path", ["/resp/crlf-setitem", "/resp/crlf-ctor", "/resp/crlf-tuple", "/resp/crlf-redirect"])
def test_crlf_header_is_never_sent(server, path):
    with server.raw() as conn:
        conn.send(support.http_get(path))
        r = conn.read_response()
        support.assert_error_shape(r, 500)
        assert "Injected" not in r.headers, r
        assert "X-Bad" not in r.headers, r
        # the stream is intact: no injected header line split the response
        conn.send(support.http_get("/ret/str"))
        assert conn.read_response().status == 200
