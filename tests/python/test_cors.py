"""enable_cors() (API.md "Middleware"; docs/middleware-http.md "CORS"): preflights answered natively
on any path, Access-Control-* on actual responses, credentials never with "*", and no CORS headers
for origins that are not allowed or not origins at all. Each policy is served in-process by its own
TestClient; a raw socket to its port sends a request with two Origin lines."""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient

APP = "https://app.example"


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("cors_app").make_app("list")) as c:
        yield c


@pytest.fixture(scope="module")
def any_client(import_app):
    with TestClient(import_app("cors_app").make_app("any")) as c:
        yield c


@pytest.fixture(scope="module")
def cred_client(import_app):
    with TestClient(import_app("cors_app").make_app("credentials")) as c:
        yield c


def preflight(client, path, origin=APP, method="POST", headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return client.request("OPTIONS", path, headers=h)


def cors_headers(r):
    return {n.lower() for n, _ in r.headers.items() if n.lower().startswith("access-control-")}


def vary(r):
    return [t.strip().lower() for v in r.headers.getlist("Vary") for t in v.split(",")]


def still_serving(client):
    r = client.get("/items", headers={"Origin": APP})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == APP, r


@pytest.mark.parametrize("path", ["/items", "/nowhere/at/all", "/custom"])
def test_preflight_answered_natively_on_any_path(client, path):
    # /items has no OPTIONS route, /nowhere matches nothing, /custom has an OPTIONS handler that a
    # preflight does not reach.
    r = preflight(client, path, headers="content-type, X-Token")
    assert r.status_code == 204, r
    assert r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert r.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Token"
    assert r.headers["Access-Control-Max-Age"] == "600"
    assert "origin" in vary(r)
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "X-Handler" not in r.headers


def test_options_without_request_method_is_not_a_preflight(client):
    r = client.request("OPTIONS", "/custom", headers={"Origin": APP})
    assert r.status_code == 200 and r.headers["X-Handler"] == "yes", r
    assert r.headers["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize("kw,detail", [
    ({"origin": "https://evil.example"}, "CORS origin not allowed"),
    ({"method": "DELETE"}, "CORS method not allowed"),
    ({"method": "post"}, "CORS method not allowed"),  # methods are case-sensitive
    ({"headers": "X-Token, X-Other"}, "CORS request headers not allowed"),
    ({"headers": "bad header"}, "CORS request headers not allowed"),
])
def test_refused_preflight_is_403_without_cors_headers(client, kw, detail):
    r = preflight(client, "/items", **kw)
    support.assert_error_shape(r, 403, detail)
    assert not cors_headers(r), r
    still_serving(client)


def test_actual_request_from_allowed_origin(client):
    r = client.get("/items", headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200, r
    assert r.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert r.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "origin" in vary(r)
    r = client.post("/items", content=b"{}", headers={"Origin": APP, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == APP


def test_error_responses_carry_cors_headers_too(client):
    # A browser can only read a 404 or 405 when it is allowed to read the response at all.
    r = client.get("/missing", headers={"Origin": APP})
    support.assert_error_shape(r, 404)
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_disallowed_origin_gets_no_cors_headers(client):
    r = client.get("/items", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and not cors_headers(r), r
    assert "origin" in vary(r)  # the answer depends on the origin


def test_no_origin_no_cors_headers_but_vary(client):
    r = client.get("/items")
    assert r.status_code == 200 and not cors_headers(r)
    assert "origin" in vary(r)


@pytest.mark.parametrize("origin", [
    "garbage", "https://app.example/", "https://app.example/path", "https://app.example, https://evil.example",
    "https://app.example https://evil.example", "https://user@app.example", "https://app.example:99999999",
    "://app.example", "https://", "javascript:alert(1)", "https://app.example\tx",
])
def test_invalid_origin_values_get_no_cors_headers(client, origin):
    r = client.get("/items", headers={"Origin": origin})
    assert r.status_code == 200 and not cors_headers(r), (origin, r)
    r = preflight(client, "/items", origin=origin)
    support.assert_error_shape(r, 403)
    assert not cors_headers(r)
    still_serving(client)


def test_two_origin_lines_are_invalid(client):
    with support.RawConnection(client.port) as conn:
        conn.send(f"GET /items HTTP/1.1\r\nHost: x\r\nOrigin: {APP}\r\nOrigin: {APP}\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200 and not cors_headers(r), r
    still_serving(client)


def test_null_origin_only_when_listed(client, any_client):
    r = client.get("/items", headers={"Origin": "null"})
    assert r.headers["Access-Control-Allow-Origin"] == "null"
    r = any_client.get("/items", headers={"Origin": "null"})
    assert r.status_code == 200 and not cors_headers(r), r


def test_any_origin_sends_star_and_reflects_request_headers(any_client):
    r = any_client.get("/items", headers={"Origin": "https://whoever.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "origin" not in vary(r)  # the same answer for every origin
    r = preflight(any_client, "/nowhere", origin="https://whoever.example", method="DELETE",
                  headers="X-Anything, content-type")
    assert r.status_code == 204, r
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Headers"] == "X-Anything, content-type"
    assert "DELETE" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Max-Age"] == "86400"


def test_credentials_reflect_exact_origin_never_star(cred_client):
    r = cred_client.get("/items", headers={"Origin": "https://whoever.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://whoever.example"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in vary(r)
    r = preflight(cred_client, "/items", origin="https://other.example", headers="X-Token")
    assert r.status_code == 204, r
    assert r.headers["Access-Control-Allow-Origin"] == "https://other.example"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Access-Control-Allow-Headers"] == "X-Token"
    for reply in (r, cred_client.get("/items", headers={"Origin": "https://x.example"})):
        assert all(v != "*" for n, v in reply.headers.items() if n.lower().startswith("access-control-allow-origin"))
    r = cred_client.get("/items")
    assert not cors_headers(r)
