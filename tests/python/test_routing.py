"""Routing over HTTP (API.md "Routes"): precedence, 404, 405 + Allow, automatic HEAD/OPTIONS, strictness.
The app is served in-process by TestClient; raw sockets to its port check that HEAD answers leave no
body bytes on the connection."""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("routing_app").app) as c:
        yield c


def allow_set(reply):
    value = reply.headers.get("Allow")
    assert value is not None, reply
    return {m.strip() for m in value.split(",") if m.strip()}


def test_static_beats_param(client):
    assert client.get("/users/me").json() == {"route": "me"}
    assert client.get("/users/42").json() == {"route": "user", "id": "42"}
    assert client.get("/users/mee").json() == {"route": "user", "id": "mee"}
    assert client.get("/users/m").json() == {"route": "user", "id": "m"}


def test_static_beats_catch_all(client):
    assert client.get("/files/special").json() == {"route": "special"}
    assert client.get("/files/special/x").json() == {"route": "files", "p": "special/x"}


def test_nested_params(client):
    assert client.get("/users/me/posts/5").json() == {"route": "user_post", "params": {"id": "me", "post": 5}}


@pytest.mark.parametrize("path", ["/nope", "/users", "/users/1/2", "/users/1/posts/x", "/Users/me", "/USERS/me",
                                  "/page/", "/dir", "/"])
def test_unknown_path_is_404(client, path):
    support.assert_error_shape(client.get(path), 404)


def test_trailing_slash_is_strict(client):
    assert client.get("/page").status_code == 200
    assert client.get("/page/").status_code == 404
    assert client.get("/dir/").text == "dir with slash"
    assert client.get("/dir").status_code == 404


def test_wrong_method_is_405_with_allow(client):
    r = client.request("DELETE", "/items")
    support.assert_error_shape(r, 405)
    assert allow_set(r) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_405_allow_without_get(client):
    r = client.get("/multi")
    support.assert_error_shape(r, 405)
    assert allow_set(r) == {"PUT", "DELETE", "OPTIONS"}


def test_methods_dispatch(client):
    assert client.get("/items").json() == ["a", "b"]
    r = client.post("/items", content=b"")
    assert r.status_code == 201 and r.json() == {"created": True}
    assert client.request("PUT", "/multi", content=b"").json() == {"method": "PUT"}
    assert client.request("DELETE", "/multi").json() == {"method": "DELETE"}


@pytest.mark.parametrize("path", ["/page", "/page-json", "/users/7"])
def test_automatic_head(client, path):
    get = client.get(path)
    assert get.status_code == 200
    with support.RawConnection(client.port) as conn:
        conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n")
        head = conn.read_response(head=True)
        assert head.status == 200, head
        assert head.headers["Content-Length"] == str(len(get.content))
        assert head.headers["Content-Type"] == get.headers["Content-Type"]
        # no body bytes follow: the next response on the connection starts right away
        conn.send(support.http_get("/users/me"))
        nxt = conn.read_response()
        assert nxt.status == 200 and nxt.json() == {"route": "me"}, nxt


def test_head_of_unknown_path_is_404_without_body(client):
    with support.RawConnection(client.port) as conn:
        conn.send("HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 404
        conn.send(support.http_get("/users/me"))
        assert conn.read_response().status == 200


def test_explicit_head_route(client):
    with support.RawConnection(client.port) as conn:
        conn.send("HEAD /custom-head HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
    assert r.status == 200
    assert r.headers["X-Custom-Head"] == "yes"


@pytest.mark.parametrize("path, methods", [
    ("/items", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/users/5", {"GET", "HEAD", "OPTIONS"}),
    ("/multi", {"PUT", "DELETE", "OPTIONS"}),
])
def test_automatic_options(client, path, methods):
    r = client.request("OPTIONS", path)
    assert r.status_code in (200, 204), r
    assert allow_set(r) == methods


def test_app_registered_options_wins(client):
    r = client.request("OPTIONS", "/custom-options")
    assert r.status_code == 200, r
    assert r.headers["X-Custom-Options"] == "yes"
    assert allow_set(r) == {"GET", "OPTIONS", "TRACE"}
    assert client.get("/custom-options").text == "get"


def test_options_unknown_path_is_404(client):
    support.assert_error_shape(client.request("OPTIONS", "/nope"), 404)


def test_case_sensitive(client):
    assert client.get("/users/me").status_code == 200
    assert client.get("/USERS/ME").status_code == 404
    assert client.get("/Items").status_code == 404


def test_head_of_405_has_no_body(client):
    with support.RawConnection(client.port) as conn:
        conn.send("HEAD /multi HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 405, r
        assert allow_set(r) == {"PUT", "DELETE", "OPTIONS"}
        conn.send(support.http_get("/users/me"))
        nxt = conn.read_response()
        assert nxt.status == 200 and nxt.json() == {"route": "me"}, nxt


@pytest.mark.parametrize("segment, post", [
    ("0", 0),
    ("9223372036854775807", 2 ** 63 - 1),  # the largest {x:int}
    ("0" * 3000 + "42", 42),               # leading zeros: the value is what counts
])
def test_int_param_range(client, segment, post):
    with support.RawConnection(client.port) as conn:
        conn.send(f"GET /users/me/posts/{segment} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        r = conn.read_response()
    assert r.status == 200, r
    assert r.json() == {"route": "user_post", "params": {"id": "me", "post": post}}


@pytest.mark.parametrize("segment", ["9223372036854775808", "1" * 30, "9" * 5000, "-1", "+1", "1e3"])
def test_int_param_out_of_range_is_404(client, segment):
    """Beyond 2^63 - 1 a value does not match {x:int}, as a non-digit would not: 404, not a 500
    from converting thousands of digits."""
    with support.RawConnection(client.port) as conn:
        conn.send(f"GET /users/me/posts/{segment} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        support.assert_error_shape(conn.read_response(), 404)
        conn.send(b"GET /users/me/posts/7 HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection serves on
        assert conn.read_response().json()["params"] == {"id": "me", "post": 7}
