"""async def handlers on the real engine: inline completion, awaiting on the process's asyncio
loop, concurrency, loop APIs, errors, cancellation when the client leaves. The app is served
in-process by TestClient with two engine threads (the process's asyncio loop is then this test
process's); raw sockets to its port for pipelining, leaving clients and per-thread blocking."""
from __future__ import annotations

import socket
import threading
import time

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


def test_hundred_concurrent_sleeps_overlap_and_other_routes_keep_answering(client):
    replies: list[TestResponse] = []
    lock = threading.Lock()

    def call():
        r = client.get("/sleep", timeout=20)
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=call) for _ in range(100)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.1)
    t1 = time.monotonic()
    assert client.get("/inline").status_code == 200
    other = time.monotonic() - t1
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert len(replies) == 100 and all(r.json() == {"slept": True} for r in replies)
    assert elapsed < 3.0, f"100 x sleep(0.5) took {elapsed:.2f}s: they did not overlap"
    assert other < 0.3, f"another route waited {other:.2f}s while handlers awaited"


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
    err = support.captured_stderr(capfd, kind.split(":")[0], timeout=3)
    assert kind.split(":")[0] in err, err
    assert client.get("/inline").status_code == 200


def test_http_error_from_async_handler(client):
    r = client.get("/teapot")
    assert support.assert_error_shape(r, 409)["detail"] == {"why": "async"}


def test_client_that_leaves_cancels_the_task(client):
    before = client.get("/state").json()
    sock = socket.create_connection(("127.0.0.1", client.port))
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = client.get("/state").json()
        if now["cancelled"] > before["cancelled"]:
            break
        time.sleep(0.1)
    assert now["cancelled"] == before["cancelled"] + 1, "the handler did not see CancelledError"
    assert now["finished"] == before["finished"]


def test_keep_alive_and_pipelining_across_an_awaiting_handler(client):
    with support.RawConnection(client.port, timeout=5) as conn:
        conn.send(support.http_get("/sleep") + support.http_get("/inline") + support.http_get("/sleep"))
        bodies = [conn.read_response().json() for _ in range(3)]
    assert bodies == [{"slept": True}, {"inline": True, "path": "/inline"}, {"slept": True}]


def test_blocking_sync_handler_blocks_only_its_engine_thread(client):
    """Connections are spread over the two engine threads: while one thread sleeps in a sync
    handler, a connection on the other thread (and async work on the loop) is still answered."""
    with support.RawConnection(client.port, timeout=5) as first:  # engine thread A
        with support.RawConnection(client.port, timeout=5) as second:  # engine thread B (round robin)
            first.send(support.http_get("/blocking"))
            time.sleep(0.2)
            t0 = time.monotonic()
            second.send(support.http_get("/inline"))
            assert second.read_response().status == 200
            assert time.monotonic() - t0 < 0.5
            assert first.read_response().json() == {"blocked": True}
