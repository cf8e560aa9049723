"""The Response API (API.md "Response"): constructors, cookies, mutable case-insensitive headers, CR/LF.
The app is served in-process by TestClient; raw sockets to its port where the stream itself matters."""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("returns_app").app) as c:
        yield c


def test_response_json(client):
    r = client.get("/resp/json")
    assert r.status_code == 201, r
    assert r.headers.get("content-type") == "application/json"
    assert r.content == b'{"k":"v","n":[1,2]}'
    assert r.headers["X-J"] == "1"


def test_response_text(client):
    r = client.get("/resp/text")
    assert r.status_code == 202, r
    assert r.headers.get("content-type") == "text/plain; charset=utf-8"
    assert r.content == "plain ✓".encode()


def test_response_html(client):
    r = client.get("/resp/html")
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "text/html; charset=utf-8"
    assert r.content == "<h1>hi ✓</h1>".encode()


def test_redirect_defaults_to_302_as_the_original(client):
    r = client.get("/resp/redirect")  # TestClient does not follow redirects
    assert r.status_code == 302, r
    assert r.headers["Location"] == "/target?x=1"


def test_redirect_with_status(client):
    r = client.get("/resp/redirect301")
    assert r.status_code == 301, r
    assert r.headers["Location"] == "https://example.com/elsewhere"


def test_set_cookie(client):
    r = client.get("/resp/cookies")
    assert r.status_code == 200, r
    cookies = r.headers.getlist("Set-Cookie")
    assert len(cookies) == 2, cookies
    sid = [c for c in cookies if c.startswith("sid=abc123")]
    theme = [c for c in cookies if c.startswith("theme=dark")]
    assert sid and theme, cookies
    attrs = {a.strip().split("=")[0].lower() for a in sid[0].split(";")[1:]}
    assert {"max-age", "httponly", "secure", "path"} <= attrs, sid[0]
    assert "Max-Age=60" in sid[0]


def test_headers_mutable_case_insensitive(client):
    r = client.get("/resp/headers")
    assert r.status_code == 200, r
    assert r.headers.getlist("X-Custom") == ["2"]
    assert "X-Gone" not in r.headers
    assert r.headers.getlist("X-Multi") == ["a", "b"]


def test_headers_readback_case_insensitive(client):
    assert client.get("/resp/headers-readback").json() == {"lower": "v", "upper": "v", "contains": True}


def test_crlf_header_value_raises_value_error(client):
    data = client.get("/resp/crlf-catch").json()
    assert data["raised"] == "ValueError", data


@pytest.mark.parametrize("path", ["/resp/crlf-setitem", "/resp/crlf-ctor", "/resp/crlf-tuple", "/resp/crlf-redirect"])
def test_crlf_header_is_never_sent(client, path):
    with support.RawConnection(client.port) as conn:
        conn.send(support.http_get(path))
        r = conn.read_response()
        support.assert_error_shape(r, 500)
        assert "Injected" not in r.headers, r
        assert "X-Bad" not in r.headers, r
        # the stream is intact: no injected header line split the response
        conn.send(support.http_get("/ret/str"))
        assert conn.read_response().status == 200
