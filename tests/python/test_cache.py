"""@cache: native hits (no Python), TTL, key, tags, coalescing, bounded memory, counters."""
from __future__ import annotations

import json
import threading
import time

import pytest

import support


@pytest.fixture(scope="module")
def server():
    with support.running("cache_app.py", "--no-logs", "--workers", "4") as s:
        yield s


def calls(server) -> dict[str, int]:
    return server.get("/calls").json()


def test_hundred_requests_call_the_handler_once_then_again_after_ttl(server):
    before = calls(server).get("counted", 0)
    replies = [server.get("/counted?x=1") for _ in range(100)]
    assert all(r.status == 200 for r in replies)
    assert calls(server)["counted"] == before + 1
    assert replies[0].headers["X-Cache"] == "MISS"
    assert all(r.headers["X-Cache"] == "HIT" for r in replies[1:])
    assert all(r.body == replies[0].body for r in replies)
    assert "Age" in replies[1].headers and int(replies[1].headers["Age"]) >= 0
    time.sleep(1.2)  # ttl=1.0
    again = server.get("/counted?x=1")
    assert again.headers["X-Cache"] == "MISS"
    assert calls(server)["counted"] == before + 2


def test_age_grows_on_hits(server):
    server.get("/long")
    time.sleep(1.1)
    r = server.get("/long")
    assert r.headers["X-Cache"] == "HIT"
    assert int(r.headers["Age"]) >= 1


def test_key_uses_path_and_sorted_query(server):
    a = server.get("/items/1?b=2&a=1")
    b = server.get("/items/1?a=1&b=2")
    assert a.headers["X-Cache"] == "MISS" and b.headers["X-Cache"] == "HIT"
    assert a.body == b.body
    other = server.get("/items/2?a=1&b=2")
    assert other.headers["X-Cache"] == "MISS"
    assert other.json()["id"] == "2"


def test_head_is_served_from_the_get_entry(server):
    server.get("/items/head")
    r = server.request("HEAD", "/items/head")
    assert r.status == 200 and r.body == b""
    assert r.headers["X-Cache"] == "HIT"


def test_vary_headers_are_part_of_the_key(server):
    en = server.get("/vary", headers={"Accept-Language": "en"})
    de = server.get("/vary", headers={"Accept-Language": "de"})
    en2 = server.get("/vary", headers={"Accept-Language": "en"})
    assert en.json()["lang"] == "en" and de.json()["lang"] == "de"
    assert de.headers["X-Cache"] == "MISS"
    assert en2.headers["X-Cache"] == "HIT" and en2.body == en.body


def test_custom_key_function(server):
    a = server.get("/custom?user=ann&noise=1")
    b = server.get("/custom?user=ann&noise=2")
    c = server.get("/custom?user=bob")
    assert a.headers["X-Cache"] == "MISS" and b.headers["X-Cache"] == "HIT"
    assert b.json()["user"] == "ann" and c.json()["user"] == "bob"
    # The key function returns None without ?user=: the request bypasses the cache.
    n = calls(server).get("custom", 0)
    for _ in range(3):
        r = server.get("/custom")
        assert "X-Cache" not in r.headers
    assert calls(server)["custom"] == n + 3


def test_only_2xx_is_stored(server):
    for code in (200, 201):
        first, second = server.get(f"/status/{code}"), server.get(f"/status/{code}")
        assert (first.status, second.status) == (code, code)
        assert second.headers["X-Cache"] == "HIT"
    for code in (404, 500):
        for _ in range(3):
            r = server.get(f"/status/{code}")
            assert r.status == code and r.headers["X-Cache"] == "MISS"
        assert calls(server)[f"status{code}"] == 3


def test_responses_with_set_cookie_are_not_stored(server):
    for _ in range(3):
        assert server.get("/cookie").headers["X-Cache"] == "MISS"
    assert calls(server)["cookie"] == 3


def test_concurrent_misses_call_the_handler_once(server):
    before = calls(server).get("slow", 0)
    replies: list[support.Reply] = []

    def hit():
        replies.append(server.get("/slow", timeout=20))

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(replies) == 16 and all(r.status == 200 for r in replies)
    assert calls(server)["slow"] == before + 1
    assert len({r.body for r in replies}) == 1


def test_invalidate_by_tag_and_by_path(server):
    server.get("/long")
    assert server.get("/long").headers["X-Cache"] == "HIT"
    removed = server.post("/invalidate", json.dumps({"tags": ["long"]})).json()["removed"]
    assert removed >= 1
    assert server.get("/long").headers["X-Cache"] == "MISS"
    server.get("/items/9?x=1")
    server.get("/items/9?x=2")
    assert server.get("/items/9?x=1").headers["X-Cache"] == "HIT"
    assert server.post("/invalidate", json.dumps({"path": "/items/9"})).json()["removed"] == 2
    assert server.get("/items/9?x=1").headers["X-Cache"] == "MISS"
    assert server.post("/invalidate", json.dumps({"tags": ["nothing-has-this"]})).json()["removed"] == 0


def test_counters_per_route_and_per_tag(server):
    server.post("/invalidate", json.dumps({"tags": ["items"]}))
    before = server.get("/stats").json()
    b_route = before["routes"].get("GET /items/{id}", {"hits": 0, "misses": 0, "stores": 0, "invalidations": 0})
    for _ in range(3):
        server.get("/items/counter")
    server.post("/invalidate", json.dumps({"tags": ["items"]}))
    after = server.get("/stats").json()
    route = after["routes"]["GET /items/{id}"]
    assert route["misses"] - b_route["misses"] == 1
    assert route["hits"] - b_route["hits"] == 2
    assert route["stores"] - b_route["stores"] == 1
    assert route["invalidations"] - b_route["invalidations"] >= 1
    assert after["tags"]["items"]["hits"] >= 2
    assert 0 < route["hit_ratio"] <= 1


def test_memory_is_bounded_with_lru_eviction(start_server):
    s = start_server("cache_app.py", "--no-logs", env={"CACHE_MAX_BYTES": "20000"})
    for n in range(40):  # 40 entries of ~4 KB into a 20 KB cache
        assert s.get(f"/big/{n}").status == 200
    stats = s.get("/stats").json()
    assert stats["memory"]["bytes"] <= 20000
    assert 0 < stats["memory"]["entries"] < 40
    assert stats["routes"]["GET /big/{n:int}"]["evictions"] >= 30
    assert s.get("/big/39").headers["X-Cache"] == "HIT"   # most recent survives
    assert s.get("/big/0").headers["X-Cache"] == "MISS"   # least recent was evicted


def test_hits_do_not_take_the_gil(server):
    """While /hog holds the GIL on one engine thread, a hit on another thread is answered at once,
    and a request that needs Python waits (the control that shows the GIL really is held)."""
    with server.raw(timeout=10) as conn:  # this connection lives on one engine thread...
        conn.send(support.http_get("/long"))
        assert conn.read_response().status == 200
        hog = threading.Thread(target=lambda: server.get("/hog", timeout=20))
        hog.start()  # ...and the next connection (the hog) on another one (round robin)
        time.sleep(0.3)
        t0 = time.monotonic()
        for _ in range(5):
            conn.send(support.http_get("/long"))
            r = conn.read_response()
            assert r.headers["X-Cache"] == "HIT"
        hit_time = time.monotonic() - t0
        conn.send(support.http_get("/calls"))  # needs Python: waits for the hog to let go
        assert conn.read_response().status == 200
        python_time = time.monotonic() - t0
        hog.join()
    assert hit_time < 0.3, f"hits took {hit_time:.3f}s while the GIL was held"
    assert python_time > 0.4, f"control request did not wait for the GIL ({python_time:.3f}s)"
