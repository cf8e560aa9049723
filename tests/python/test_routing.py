"""Routing over HTTP (API.md "Routes"): precedence, 404, 405 + Allow, automatic HEAD/OPTIONS, strictness."""
from __future__ import annotations

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("routing_app.py", "--no-logs") as s:
        yield s


def allow_set(reply):
    value = reply.headers.get("Allow")
    assert value is not None, reply
    return {m.strip() for m in value.split(",") if m.strip()}


def test_static_beats_param(server):
    assert server.get("/users/me").json() == {"route": "me"}
    assert server.get("/users/42").json() == {"route": "user", "id": "42"}
    assert server.get("/users/mee").json() == {"route": "user", "id": "mee"}
    assert server.get("/users/m").json() == {"route": "user", "id": "m"}


def test_static_beats_catch_all(server):
    assert server.get("/files/special").json() == {"route": "special"}
    assert server.get("/files/special/x").json() == {"route": "files", "p": "special/x"}


def test_nested_params(server):
    assert server.get("/users/me/posts/5").json() == {"route": "user_post", "params": {"id": "me", "post": 5}}


@pytest.mark.parametrize("path", ["/nope", "/users", "/users/1/2", "/users/1/posts/x", "/Users/me", "/USERS/me",
                                  "/page/", "/dir", "/"])
def test_unknown_path_is_404(server, path):
    support.assert_error_shape(server.get(path), 404)


def test_trailing_slash_is_strict(server):
    assert server.get("/page").status == 200
    assert server.get("/page/").status == 404
    assert server.get("/dir/").text == "dir with slash"
    assert server.get("/dir").status == 404


def test_wrong_method_is_405_with_allow(server):
    r = server.request("DELETE", "/items")
    support.assert_error_shape(r, 405)
    assert allow_set(r) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_405_allow_without_get(server):
    r = server.get("/multi")
    support.assert_error_shape(r, 405)
    assert allow_set(r) == {"PUT", "DELETE", "OPTIONS"}


def test_methods_dispatch(server):
    assert server.get("/items").json() == ["a", "b"]
    r = server.post("/items", b"")
    assert r.status == 201 and r.json() == {"created": True}
    assert server.request("PUT", "/multi", body=b"").json() == {"method": "PUT"}
    assert server.request("DELETE", "/multi").json() == {"method": "DELETE"}


@pytest.mark.parametrize("path", ["/page", "/page-json", "/users/7"])
def test_automatic_head(server, path):
    get = server.get(path)
    assert get.status == 200
    with server.raw() as conn:
        conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n")
        head = conn.read_response(head=True)
        assert head.status == 200, head
        assert head.headers["Content-Length"] == str(len(get.body))
        assert head.headers["Content-Type"] == get.headers["Content-Type"]
        # no body bytes follow: the next response on the connection starts right away
        conn.send(support.http_get("/users/me"))
        nxt = conn.read_response()
        assert nxt.status == 200 and nxt.json() == {"route": "me"}, nxt


def test_head_of_unknown_path_is_404_without_body(server):
    with server.raw() as conn:
        conn.send("HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 404
        conn.send(support.http_get("/users/me"))
        assert conn.read_response().status == 200


def test_explicit_head_route(server):
    with server.raw() as conn:
        conn.send("HEAD /custom-head HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
    assert r.status == 200
    assert r.headers["X-Custom-Head"] == "yes"


@pytest.mark.parametrize("path, methods", [
    ("/items", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/users/5", {"GET", "HEAD", "OPTIONS"}),
    ("/multi", {"PUT", "DELETE", "OPTIONS"}),
])
def test_automatic_options(server, path, methods):
    r = server.request("OPTIONS", path)
    assert r.status in (200, 204), r
    assert allow_set(r) == methods


def test_app_registered_options_wins(server):
    r = server.request("OPTIONS", "/custom-options")
    assert r.status == 200, r
    assert r.headers["X-Custom-Options"] == "yes"
    assert allow_set(r) == {"GET", "OPTIONS", "TRACE"}
    assert server.get("/custom-options").text == "get"


def test_options_unknown_path_is_404(server):
    support.assert_error_shape(server.request("OPTIONS", "/nope"), 404)


def test_case_sensitive(server):
    assert server.get("/users/me").status == 200
    assert server.get("/USERS/ME").status == 404
    assert server.get("/Items").status == 404


def test_head_of_405_has_no_body(server):
    with server.raw() as conn:
        conn.send("HEAD /multi HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 405, r
        assert allow_set(r) == {"PUT", "DELETE", "OPTIONS"}
        conn.send(support.http_get("/users/me"))
        nxt = conn.read_response()
        assert nxt.status == 200 and nxt.json() == {"route": "me"}, nxt
