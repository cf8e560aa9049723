"""async def handlers on the real engine: inline completion, awaiting on the process's asyncio
loop, concurrency, loop APIs, errors, cancellation when the client leaves. The app is served
in-process by TestClient with two engine threads (the process's asyncio loop is then this test
process's); raw sockets to its port for pipelining, leaving clients and per-thread blocking."""
from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

import support
from cello.testing import TestClient, TestResponse


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("async_app").app, workers=2) as c:
        yield c


def test_handler_that_does_not_await_answers_inline(client):
    r = client.get("/inline")
    assert r.status_code == 200 and r.json() == {"inline": True, "path": "/inline"}


def test_awaiting_handler(client):
    t0 = time.monotonic()
    r = client.get("/sleep")
    assert r.status_code == 200 and r.json() == {"slept": True}
    assert time.monotonic() - t0 >= 0.45


def test_hundred_concurrent_handlers_overlap_and_other_routes_keep_answering(client, import_app):
    """100 handlers await at the same time, and another route answers while all of them wait.
    No clock: the handlers are held until the test releases them, which it does only after the
    other route answered, so handlers run one after another (or an engine blocked by awaiting
    handlers) make the test fail by a timeout instead of by a slow measurement."""
    state = import_app("async_app").state
    group = uuid.uuid4().hex
    replies: list[TestResponse] = []
    lock = threading.Lock()

    def call():
        r = client.get(f"/held/{group}", timeout=support.WAIT + 30)
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=call) for _ in range(100)]
    for t in threads:
        t.start()
    try:
        assert support.wait_until(lambda: state["held"] == 100), \
            f"only {state['held']} of 100 handlers were awaiting at the same time"
        assert client.get("/inline", timeout=support.WAIT).json() == {"inline": True, "path": "/inline"}
    finally:
        assert client.get(f"/release/{group}").json() == {"released": group}
        for t in threads:
            t.join()
    assert len(replies) == 100 and all(r.json() == {"released": True} for r in replies)
    assert state["held"] == 0


def test_loop_apis_work_inside_handlers(client):
    assert client.get("/loop").json() == {"queue": [0, 1, 2], "agen": [0, 1, 2], "future": "later",
                                          "same_loop": True}
    assert client.get("/gather").json() == {"results": [0, 1, 2, 3, 4]}


@pytest.mark.parametrize("path, kind", [("/boom", "ValueError: async boom"),
                                         ("/boom-first", "KeyError: 'before the first await'")])
def test_exceptions_are_500_with_traceback_logged(client, capfd, path, kind):
    r = client.get(path)
    body = support.assert_error_shape(r, 500)
    assert body["detail"] == kind and "Traceback" in body["traceback"]
    err = support.captured_stderr(capfd, kind.split(":")[0])
    assert kind.split(":")[0] in err, err
    assert client.get("/inline").status_code == 200


def test_http_error_from_async_handler(client):
    r = client.get("/teapot")
    assert support.assert_error_shape(r, 409)["detail"] == {"why": "async"}


def test_client_that_leaves_cancels_the_task(client):
    before = client.get("/state").json()
    sock = socket.create_connection(("127.0.0.1", client.port))
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    # Leave only once the handler is awaiting (not after a guessed delay).
    assert support.wait_until(lambda: client.get("/state").json()["waiting"] > before["waiting"])
    sock.close()
    assert support.wait_until(lambda: client.get("/state").json()["cancelled"] > before["cancelled"]), \
        "the handler did not see CancelledError"
    now = client.get("/state").json()
    assert now["cancelled"] == before["cancelled"] + 1
    assert now["finished"] == before["finished"]


def test_keep_alive_and_pipelining_across_an_awaiting_handler(client):
    with support.RawConnection(client.port, timeout=support.WAIT) as conn:
        conn.send(support.http_get("/sleep") + support.http_get("/inline") + support.http_get("/sleep"))
        bodies = [conn.read_response().json() for _ in range(3)]
    assert bodies == [{"slept": True}, {"inline": True, "path": "/inline"}, {"slept": True}]


def test_blocking_sync_handler_blocks_only_its_engine_thread(client, import_app):
    """Connections are spread over the two engine threads: while one thread blocks in a sync
    handler, a connection on the other thread is still answered. The handler blocks until the
    test lets it go, which it does only after that answer, so a blocked engine fails by a timeout."""
    app = import_app("async_app")
    app.blocking_entered.clear()
    app.blocking_release.clear()
    with support.RawConnection(client.port, timeout=support.WAIT) as first:  # engine thread A
        with support.RawConnection(client.port, timeout=support.WAIT) as second:  # thread B (round robin)
            first.send(support.http_get("/blocking"))
            try:
                assert app.blocking_entered.wait(support.WAIT), "/blocking never started"
                second.send(support.http_get("/inline"))
                assert second.read_response().status == 200
            finally:
                app.blocking_release.set()
            assert first.read_response().json() == {"blocked": True, "released": True}
