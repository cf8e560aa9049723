"""--workers N: several engine threads in one process serve many concurrent clients correctly."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("basic_app.py", "--workers", "2", "--no-logs") as s:
        yield s


def test_banner_reports_two_threads(server):
    assert "2 engine threads" in server.banner, server.banner


def test_many_concurrent_clients_get_their_own_answers(server):
    def client(worker: int) -> list[str]:
        errors = []
        with server.raw(timeout=10) as conn:  # keep-alive connection per client
            for i in range(25):
                n = worker * 1000 + i
                conn.send(f"GET /n/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                r = conn.read_response()
                if r.status != 200 or r.json() != {"n": n, "square": n * n}:
                    errors.append(f"/n/{n} -> {r}")
        for i in range(5):  # and fresh connections
            n = worker * 1000 + 500 + i
            r = server.get(f"/n/{n}")
            if r.status != 200 or r.json() != {"n": n, "square": n * n}:
                errors.append(f"/n/{n} -> {r}")
        return errors

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(client, range(32)))
    errors = [e for r in results for e in r]
    assert errors == [], errors[:10]


def test_concurrent_posts_echo_their_own_bodies(server):
    def post(i: int) -> bool:
        body = (f"body-{i}-" * (i + 1)).encode()
        r = server.post("/echo", body)
        return r.status == 200 and r.body == body

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(post, range(64)))


def test_handlers_run_on_more_than_one_thread(server):
    """Two slow handlers on separate connections run at the same time: each waits in a barrier
    until both are inside, which only handlers on two engine threads at once ever reach (on one
    thread the first would wait alone and answer {"met": false} after 30 s). No clock involved.

    (Assumes the engine spreads new connections over its threads, as its round-robin acceptor does.)
    """
    group = uuid.uuid4().hex
    with server.raw(timeout=support.WAIT + 30) as first, server.raw(timeout=support.WAIT + 30) as second:
        first.send(support.http_get(f"/meet/{group}/2"))
        second.send(support.http_get(f"/meet/{group}/2"))
        replies = [first.read_response().json(), second.read_response().json()]
    assert replies == [{"met": True}] * 2, replies


def test_threads_distinct(server):
    idents = set()
    conns = [server.raw() for _ in range(8)]
    try:
        for conn in conns:
            conn.send(support.http_get("/thread"))
            idents.add(conn.read_response().json()["thread"])
    finally:
        for conn in conns:
            conn.close()
    assert len(idents) == 2, f"8 connections served by {len(idents)} distinct Python thread(s); expected 2"
