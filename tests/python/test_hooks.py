"""@app.before_request / @app.after_request over the real engine (TestClient), and the
conversion of handler return values to a Response for after_request."""
from __future__ import annotations

import dataclasses
import datetime

import pytest

from cello import App, HTTPError, Response, cache
from cello.hooks import to_response
from cello.testing import TestClient


def make_app() -> tuple[App, list[str]]:
    app = App()
    calls: list[str] = []

    @app.before_request
    def authenticate(request):
        calls.append(f"before1 {request.path}")
        request.state["user"] = request.headers.get("x-user", "anonymous")
        if request.path == "/blocked":
            return {"blocked": True}, 403
        if request.path == "/unauthorized":
            raise HTTPError(401, "who are you")
        return None

    @app.before_request
    def second(request):
        calls.append("before2")
        if request.query.get("short") == "1":
            return Response.text("short-circuited", status=202)

    @app.after_request
    def stamp(request, response):
        calls.append(f"after1 {response.status}")
        response.headers["X-Status-Seen"] = str(response.status)
        response.headers["X-User"] = request.state.get("user", "-")

    @app.after_request
    def replace_teapots(request, response):
        calls.append("after2")
        if response.status == 418:
            return Response.json({"replaced": True}, status=200, headers={"X-Replaced": "yes"})
        return response

    @app.get("/whoami")
    def whoami(request):
        calls.append("handler")
        return {"user": request.state["user"]}

    @app.get("/blocked")
    def blocked(request):
        calls.append("handler")
        return "never"

    @app.get("/unauthorized")
    def unauthorized(request):
        return "never"

    @app.get("/teapot")
    def teapot(request):
        return "tea", 418

    @app.get("/boom")
    def boom(request):
        raise RuntimeError("boom")

    @app.get("/stream")
    def stream(request):
        yield "a"
        yield "b"

    return app, calls


@pytest.fixture(scope="module")
def served():
    app, calls = make_app()
    with TestClient(app) as client:
        yield client, calls


def test_hooks_run_around_the_handler_in_order(served):
    client, calls = served
    calls.clear()
    r = client.get("/whoami", headers={"X-User": "ada"})
    assert r.json() == {"user": "ada"}
    assert r.headers["x-status-seen"] == "200" and r.headers["x-user"] == "ada"
    assert calls == ["before1 /whoami", "before2", "handler", "after1 200", "after2"]


def test_before_request_short_circuits(served):
    client, calls = served
    calls.clear()
    r = client.get("/blocked")
    assert (r.status_code, r.json()) == (403, {"blocked": True})
    assert r.headers["x-status-seen"] == "403"  # after_request sees short-circuit responses too
    assert calls == ["before1 /blocked", "after1 403", "after2"]  # neither before2 nor the handler ran
    r = client.get("/whoami", params={"short": "1"})
    assert (r.status_code, r.text, r.headers["x-status-seen"]) == (202, "short-circuited", "202")


def test_after_request_may_replace_the_response(served):
    client, _ = served
    r = client.get("/teapot")
    assert (r.status_code, r.json(), r.headers["x-replaced"]) == (200, {"replaced": True}, "yes")
    assert "x-status-seen" not in r.headers  # set on the 418 by the first hook, which was replaced


def test_errors_skip_after_request(served, capfd):
    client, calls = served
    calls.clear()
    r = client.get("/unauthorized")  # HTTPError in before_request: the framework's 401
    assert (r.status_code, r.json()["detail"]) == (401, "who are you")
    assert "x-status-seen" not in r.headers
    r = client.get("/boom")
    assert r.status_code == 500 and "x-status-seen" not in r.headers
    assert client.get("/no/such/route").status_code == 404
    assert not [c for c in calls if c.startswith("after")]
    capfd.readouterr()


def test_streamed_responses_pass_through_after_request(served):
    client, _ = served
    with client.stream("GET", "/stream") as r:
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.headers["x-status-seen"] == "200"
        assert b"".join(r.iter_bytes()) == b"ab"


def test_exception_handler_responses_reach_after_request():
    app = App()
    app.exception_handler(KeyError)(lambda request, exc: ({"missing": exc.args[0]}, 404))
    app.after_request(lambda request, response: response.headers.add("X-After", str(response.status)))

    @app.get("/k")
    def k(request):
        raise KeyError("k")

    with TestClient(app) as client:
        r = client.get("/k")
        assert (r.status_code, r.json(), r.headers["x-after"]) == (404, {"missing": "k"}, "404")


def test_before_request_alone_keeps_native_conversion():
    app = App()
    app.before_request(lambda request: request.state.update(seen=True))

    @app.get("/")
    def home(request):
        return {"seen": request.state["seen"]}, 201, {"X-Custom": "1"}

    with TestClient(app) as client:
        r = client.get("/")
        assert (r.status_code, r.json(), r.headers["x-custom"]) == (201, {"seen": True}, "1")


def test_cache_hits_replay_the_stored_response_without_hooks():
    app = App()
    calls: list[int] = []

    @app.after_request
    def count(request, response):
        calls.append(1)
        response.headers["X-Count"] = str(len(calls))

    @app.get("/cached")
    @cache(ttl=60)
    def cached(request):
        return {"ok": True}

    with TestClient(app) as client:
        first, second = client.get("/cached"), client.get("/cached")
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    assert first.headers["x-count"] == second.headers["x-count"] == "1"
    assert calls == [1]


def test_async_handlers_are_wrapped_with_async_wrappers():
    app = App()
    app.before_request(lambda request: request.state.update(before=True))
    app.after_request(lambda request, response: response.headers.add("X-After", "1"))

    async def handler(request):
        return {"before": request.state["before"]}

    wrapped = app._wrap_handler(handler)
    assert wrapped is not handler and wrapped.__code__.co_flags & 0x80  # a coroutine function
    try:
        app.get("/async")(handler)
    except NotImplementedError:
        pytest.skip("async def handlers are not served by this build")
    with TestClient(app) as client:
        r = client.get("/async")
        assert (r.status_code, r.json(), r.headers["x-after"]) == (200, {"before": True}, "1")


# -- in process ----------------------------------------------------------------------------------

def test_without_hooks_handlers_are_not_wrapped():
    app = App()

    def handler(request):
        return None

    assert app._wrap_handler(handler) is handler
    app.before_request(lambda request: None)
    assert app._wrap_handler(handler) is not handler
    assert app._wrap_handler(handler).__qualname__ == handler.__qualname__


def test_hooks_must_be_plain_functions():
    app = App()

    async def hook(request):
        return None

    with pytest.raises(TypeError, match="async def"):
        app.before_request(hook)
    with pytest.raises(TypeError, match="async def"):
        app.after_request(hook)
    with pytest.raises(TypeError, match="not callable"):
        app.before_request(None)  # type: ignore[arg-type]

    def plain(request):
        return None

    assert app.before_request(plain) is plain


@dataclasses.dataclass
class Point:
    x: int
    y: int


def gen():
    yield b"x"


@pytest.mark.parametrize("value, status, content_type, body", [
    ({"a": 1}, 200, "application/json", b'{"a":1}'),
    ([1, 2], 200, "application/json", b"[1,2]"),
    ("text", 200, "text/plain; charset=utf-8", b"text"),
    (b"\x00\x01", 200, "application/octet-stream", b"\x00\x01"),
    (bytearray(b"ab"), 200, "application/octet-stream", b"ab"),
    (None, 204, None, b""),
    (("created", 201), 201, "text/plain; charset=utf-8", b"created"),
    ((None, 202), 202, None, b""),
    (({"a": 1}, 204), 204, "application/json", b""),
    (Point(1, 2), 200, "application/json", b'{"x":1,"y":2}'),
    (datetime.date(2024, 1, 2), 200, "application/json", b'"2024-01-02"'),
])
def test_to_response(value, status, content_type, body):
    response = to_response(value)
    assert (response.status, response.content_type, response.body) == (status, content_type, body)


def test_to_response_headers_streams_and_errors():
    r = to_response(("x", 200, {"X-A": "1", "Content-Type": "text/csv"}))
    assert (r.headers["x-a"], r.content_type) == ("1", "text/csv")
    r = to_response(("x", 200, [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
    assert r.headers.getlist("set-cookie") == ["a=1", "b=2"]
    original = Response.html("<p>")
    assert to_response(original) is original
    g = gen()
    assert to_response(g).stream_iter is g
    with pytest.raises(TypeError, match="tuple"):
        to_response(("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="status"):
        to_response(("a", "200"))
    with pytest.raises(ValueError, match="out of range"):
        to_response(("a", 1000))
    with pytest.raises(TypeError):
        to_response({1, 2})
