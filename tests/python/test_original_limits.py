"""TimeoutConfig and LimitsConfig (issue 17 item 6) applied to the engine, over raw sockets: the
connection limit answers 503, a connection closes after its request budget, header and body limits
give 431/413, a slow async handler is cut at its timeout with 504, an idle connection is closed."""
from __future__ import annotations

import asyncio
import time

import pytest

import support
from cello import App, LimitsConfig, TimeoutConfig
from cello.testing import TestClient


def make_app() -> App:
    app = App()

    @app.get("/")
    def home(request):
        return {"ok": True}

    @app.post("/echo")
    def echo(request):
        return {"n": len(request.body())}

    @app.get("/slow")
    async def slow(request):
        await asyncio.sleep(float(request.query.get("s", "5")))
        return {"slow": True}

    @app.get("/sync-slow")
    def sync_slow(request):
        time.sleep(0.6)
        return {"sync": True}

    return app


@pytest.fixture(scope="module")
def limited():
    app = make_app()
    app.enable_limits(LimitsConfig(max_header_size=2048, max_body_size=1000, max_connections=2,
                                   max_requests_per_connection=3))
    with TestClient(app, workers=1) as c:
        yield c


def get(path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def test_requests_per_connection(limited):
    with support.RawConnection(limited.port) as conn:
        for i in range(3):
            conn.send(get())
            reply = conn.read_response()
            assert reply.status == 200
        assert reply.headers.get("Connection", "").lower() == "close"  # the third, the last
        assert conn.closed_by_peer(support.WAIT)


def test_connection_limit(limited):
    first, second = support.RawConnection(limited.port), support.RawConnection(limited.port)
    try:
        for conn in (first, second):  # both served and kept open
            conn.send(get())
            assert conn.read_response().status == 200
        with support.RawConnection(limited.port) as third:
            reply = third.read_response()  # answered without a request: the server is full
            assert reply.status == 503 and reply.headers["Retry-After"] == "1"
            assert reply.json()["detail"] == "the server is at its connection limit"
            assert third.closed_by_peer(support.WAIT)
    finally:
        first.close()
        second.close()
    # Once they are gone, new connections are served again.
    assert support.wait_until(lambda: limited.get("/").status_code == 200)


def test_a_refused_connection_is_closed_without_a_reset(limited):
    # A refusal answers at once, maybe before the client's request has arrived. It then reads and
    # drops what comes (a lingering close): request bytes landing on a closed socket would bring a
    # reset, which on a real network can destroy the 503 before the client has read it.
    first, second = support.RawConnection(limited.port), support.RawConnection(limited.port)
    try:
        for conn in (first, second):
            conn.send(get())
            assert conn.read_response().status == 200
        with support.RawConnection(limited.port) as third:
            assert third.read_response().status == 503
            # The request arrives after the answer; the server still reads (and drops) it, so it
            # sends no reset: had it closed outright, the first send would draw one, and the next
            # would fail with EPIPE or ECONNRESET.
            for _ in range(3):
                third.send(get() + b"x" * 5000)
                time.sleep(0.1)
            third.sock.settimeout(support.WAIT)
            assert third.sock.recv(1) == b""  # the server's FIN
    finally:
        first.close()
        second.close()
    assert support.wait_until(lambda: limited.get("/").status_code == 200)


def test_header_and_body_limits(limited):
    assert limited.get("/", headers={"X-Big": "a" * 4000}).status_code == 431
    assert limited.post("/echo", content=b"x" * 1001).status_code == 413
    assert limited.post("/echo", content=b"x" * 1000).json() == {"n": 1000}


def test_handler_timeout_and_idle_connections():
    app = make_app()
    app.enable_timeouts(TimeoutConfig(read_header=1, read_body=1, write=5, idle=1, handler=0.3))
    with TestClient(app, workers=1) as c:
        started = time.monotonic()
        r = c.get("/slow?s=5")
        support.assert_error_shape(r, 504, "the handler took longer than 0.3 s")
        assert time.monotonic() - started < 4  # cut, not waited out
        assert c.get("/slow?s=0").json() == {"slow": True}
        assert c.get("/sync-slow").json() == {"sync": True}  # a sync handler is not interrupted
        with support.RawConnection(c.port) as conn:
            conn.send(get())
            assert conn.read_response().status == 200
            assert conn.closed_by_peer(support.WAIT)  # idle past 1 s: closed by the server


def test_settings_are_checked():
    with pytest.raises(ValueError):
        LimitsConfig(max_connections=0)
    with pytest.raises(ValueError):
        TimeoutConfig(handler=-1)
    assert TimeoutConfig(read_header=0.5, read_body=0.2).server_options()["header_timeout"] == 1


def test_a_handlers_own_timeout_error_is_its_own_failure():
    app = App()
    app.enable_timeouts(TimeoutConfig(handler=5))

    @app.get("/own")
    async def own(request):
        raise TimeoutError("the upstream timed out")

    with TestClient(app) as c:
        r = c.get("/own")
    assert r.status_code == 500 and "took longer" not in r.text
