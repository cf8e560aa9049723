"""async def handlers on the real engine: inline completion, awaiting on the process's asyncio
loop, concurrency, loop APIs, errors, cancellation when the client leaves."""
from __future__ import annotations

import socket
import threading
import time

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("async_app.py", "--workers", "2") as s:
        yield s


def test_handler_that_does_not_await_answers_inline(server):
    r = server.get("/inline")
    assert r.status == 200 and r.json() == {"inline": True, "path": "/inline"}


def test_awaiting_handler(server):
    t0 = time.monotonic()
    r = server.get("/sleep")
    assert r.status == 200 and r.json() == {"slept": True}
    assert time.monotonic() - t0 >= 0.45


def test_hundred_concurrent_sleeps_overlap_and_other_routes_keep_answering(server):
    replies: list[support.Reply] = []
    lock = threading.Lock()

    def call():
        r = server.get("/sleep", timeout=20)
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=call) for _ in range(100)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.1)
    t1 = time.monotonic()
    assert server.get("/inline").status == 200
    other = time.monotonic() - t1
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert len(replies) == 100 and all(r.json() == {"slept": True} for r in replies)
    assert elapsed < 3.0, f"100 x sleep(0.5) took {elapsed:.2f}s: they did not overlap"
    assert other < 0.3, f"another route waited {other:.2f}s while handlers awaited"


def test_loop_apis_work_inside_handlers(server):
    assert server.get("/loop").json() == {"queue": [0, 1, 2], "agen": [0, 1, 2], "future": "later",
                                          "same_loop": True}
    assert server.get("/gather").json() == {"results": [0, 1, 2, 3, 4]}


@pytest.mark.parametrize("path, kind", [("/boom", "ValueError: async boom"),
                                         ("/boom-first", "KeyError: 'before the first await'")])
def test_exceptions_are_500_with_traceback_logged(server, path, kind):
    r = server.get(path)
    body = support.assert_error_shape(r, 500)
    assert body["detail"] == kind and "Traceback" in body["traceback"]
    assert server.wait_for_stderr(kind.split(":")[0], timeout=3)
    assert server.get("/inline").status == 200


def test_http_error_from_async_handler(server):
    r = server.get("/teapot")
    assert support.assert_error_shape(r, 409)["detail"] == {"why": "async"}


def test_client_that_leaves_cancels_the_task(server):
    before = server.get("/state").json()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = server.get("/state").json()
        if now["cancelled"] > before["cancelled"]:
            break
        time.sleep(0.1)
    assert now["cancelled"] == before["cancelled"] + 1, "the handler did not see CancelledError"
    assert now["finished"] == before["finished"]


def test_keep_alive_and_pipelining_across_an_awaiting_handler(server):
    with server.raw(timeout=5) as conn:
        conn.send(support.http_get("/sleep") + support.http_get("/inline") + support.http_get("/sleep"))
        bodies = [conn.read_response().json() for _ in range(3)]
    assert bodies == [{"slept": True}, {"inline": True, "path": "/inline"}, {"slept": True}]


def test_blocking_sync_handler_blocks_only_its_engine_thread(server):
    """Connections are spread over the two engine threads: while one thread sleeps in a sync
    handler, a connection on the other thread (and async work on the loop) is still answered."""
    with server.raw(timeout=5) as first:  # engine thread A
        with server.raw(timeout=5) as second:  # engine thread B (round robin)
            first.send(support.http_get("/blocking"))
            time.sleep(0.2)
            t0 = time.monotonic()
            second.send(support.http_get("/inline"))
            assert second.read_response().status == 200
            assert time.monotonic() - t0 < 0.5
            assert first.read_response().json() == {"blocked": True}
