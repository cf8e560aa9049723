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
    first = time.monotonic()
    timed = [(server.get("/counted?x=1"), time.monotonic()) for _ in range(100)]
    # Only answers within the 1 s ttl must be hits: a busy machine may take longer for 100.
    in_ttl = [r for r, at in timed if at < first + 0.95]
    replies = [r for r, _ in timed]
    assert all(r.status == 200 for r in replies)
    assert len(in_ttl) >= 2, "not even two requests within the ttl"
    expiries = int(timed[-1][1] - first)  # each full second past the first may expire the entry once
    assert before + 1 <= calls(server)["counted"] <= before + 1 + expiries
    assert replies[0].headers["X-Cache"] == "MISS"
    assert all(r.headers["X-Cache"] == "HIT" for r in in_ttl[1:])
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
        assert r.headers["X-Cache"] == "BYPASS"
    assert calls(server)["custom"] == n + 3


def test_only_2xx_is_stored(server):
    for code in (200, 201):
        first, second = server.get(f"/status/{code}"), server.get(f"/status/{code}")
        assert (first.status, second.status) == (code, code)
        assert second.headers["X-Cache"] == "HIT"
    for code in (404, 500):
        for _ in range(3):
            r = server.get(f"/status/{code}")
            assert r.status == code and r.headers["X-Cache"] == "BYPASS"  # as the original Cello says it
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
    """While /hog holds the GIL on one engine thread, hits on another thread are answered at once,
    and a request that needs Python waits (the control that shows the GIL really is held). Judged
    by order on the shared monotonic clock, not by how fast the machine is."""
    with server.raw(timeout=support.WAIT) as conn:  # this connection lives on one engine thread...
        conn.send(support.http_get("/long"))
        assert conn.read_response().status == 200
        held: dict[str, float] = {}
        hog = threading.Thread(target=lambda: held.update(server.get("/hog", timeout=support.WAIT).json()))
        hog.start()  # ...and the next connection (the hog) on another one (round robin)
        hits: list[tuple[float, float, str]] = []  # (sent, received, X-Cache)
        control: tuple[float, float] | None = None
        while hog.is_alive() and len(hits) < 20_000:
            sent = time.monotonic()
            if control is None and len(hits) >= 50:
                conn.send(support.http_get("/calls"))  # needs Python: waits for the hog to let go
                assert conn.read_response().status == 200
                control = (sent, time.monotonic())
                continue
            conn.send(support.http_get("/long"))
            r = conn.read_response()
            hits.append((sent, time.monotonic(), r.headers.get("X-Cache", "")))
        hog.join()
    start, end = held["from"], held["to"]
    during = [h for h in hits if start < h[0] < end - 1.0]  # a second of slack for a busy machine
    assert during, f"no hit was sent while /hog held the GIL ({len(hits)} hits)"
    assert all(cache == "HIT" for _, _, cache in during)
    late = [received - sent for sent, received, _ in during if received > end]
    assert not late, f"{len(late)} hits waited for the GIL (up to {max(late):.3f} s)"
    if control and start < control[0] < end - 0.05:
        assert control[1] >= end - 0.01, "the control request did not wait for the GIL"



# -- never one user's response for another (RFC 9111 3.5, 4.1, 5.2.2) ---------------------------

def exact(server, path: str, *headers: tuple[str, str], host: str | None = "x",
          version: str = "HTTP/1.1") -> support.Reply:
    """GET `path` with exactly these header lines (and Host unless None), on a fresh connection."""
    lines = [f"GET {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    with server.raw(timeout=10) as conn:
        conn.send("\r\n".join(lines) + "\r\n\r\n")
        return conn.read_response()


def test_requests_with_cookie_or_authorization_bypass_the_cache(server):
    path = "/me?t=bypass"
    anon = exact(server, path)
    assert anon.headers["X-Cache"] == "MISS" and anon.json()["cookie"] is None
    before = calls(server)["me"]
    users = [("Cookie", "session=alice"), ("Cookie", "session=bob"), ("Authorization", "Bearer carol"),
             ("cookie", "session=alice")]
    for name, value in users:
        r = exact(server, path, (name, value))
        assert r.status == 200 and r.headers["X-Cache"] == "BYPASS"
        assert value in (r.json()["cookie"], r.json()["authorization"])  # their own answer
    assert calls(server)["me"] == before + len(users)
    # Nothing of theirs was stored: anonymous callers still get the anonymous entry.
    again = exact(server, path)
    assert again.headers["X-Cache"] == "HIT" and again.body == anon.body
    assert calls(server)["me"] == before + len(users)


def test_a_response_to_a_user_is_never_stored_for_others(server):
    path = "/me?t=user-first"
    alice = exact(server, path, ("Cookie", "session=alice"))
    assert alice.json()["cookie"] == "session=alice"
    anon = exact(server, path)
    assert anon.headers["X-Cache"] == "MISS" and anon.json()["cookie"] is None
    carol = exact(server, "/me?t=auth-first", ("Authorization", "Bearer carol"))
    assert carol.json()["authorization"] == "Bearer carol"
    anon = exact(server, "/me?t=auth-first")
    assert anon.headers["X-Cache"] == "MISS" and anon.json()["authorization"] is None


def test_a_route_that_varies_on_authorization_caches_per_credential(server):
    path = "/per-user?t=1"
    before = calls(server).get("per-user", 0)
    a1 = exact(server, path, ("Authorization", "Bearer a"))
    b1 = exact(server, path, ("authorization", "Bearer b"))
    assert (a1.headers["X-Cache"], b1.headers["X-Cache"]) == ("MISS", "MISS")
    a2 = exact(server, path, ("AUTHORIZATION", "Bearer a"))
    b2 = exact(server, path, ("Authorization", "Bearer b"))
    assert a2.headers["X-Cache"] == "HIT" and a2.json()["authorization"] == "Bearer a" and a2.body == a1.body
    assert b2.headers["X-Cache"] == "HIT" and b2.json()["authorization"] == "Bearer b" and b2.body == b1.body
    anon = exact(server, path)
    assert anon.headers["X-Cache"] == "MISS" and anon.json()["authorization"] is None
    assert calls(server)["per-user"] == before + 3
    # An empty Authorization is a value of its own, not the anonymous entry.
    empty = exact(server, path, ("Authorization", ""))
    assert empty.headers["X-Cache"] == "MISS"
    # The route keys on Authorization only: a Cookie still bypasses, and gets its own answer.
    c = exact(server, path, ("Authorization", "Bearer a"), ("Cookie", "s=1"))
    assert c.headers["X-Cache"] == "BYPASS" and c.json()["cookie"] == "s=1"
    assert calls(server)["per-user"] == before + 5


def test_a_public_response_may_answer_requests_with_credentials(server):
    path = "/public?t=1"
    before = calls(server).get("public", 0)
    first = exact(server, path, ("Cookie", "s=1"))  # nothing stored yet: it bypasses, stores nothing
    assert first.headers["X-Cache"] == "BYPASS"
    assert exact(server, path).headers["X-Cache"] == "MISS"
    for header in (("Cookie", "s=1"), ("Authorization", "Bearer x"), ("Cookie", "s=2")):
        r = exact(server, path, header)
        assert r.headers["X-Cache"] == "HIT" and r.text == "everyone"
    assert calls(server)["public"] == before + 2


def test_a_response_vary_is_honoured(server):
    path = "/lang?t=1"
    before = calls(server).get("lang", 0)
    en = exact(server, path, ("Accept-Language", "en"))
    de = exact(server, path, ("Accept-Language", "de"))
    assert (en.headers["X-Cache"], de.headers["X-Cache"]) == ("MISS", "MISS")
    en2 = exact(server, path, ("accept-language", "en"))
    de2 = exact(server, path, ("Accept-Language", "de"))
    assert en2.headers["X-Cache"] == "HIT" and en2.json()["lang"] == "en"
    assert de2.headers["X-Cache"] == "HIT" and de2.json()["lang"] == "de"
    none = exact(server, path)
    assert none.headers["X-Cache"] == "MISS" and none.json()["lang"] is None
    assert exact(server, path).headers["X-Cache"] == "HIT"
    # The second Vary line counts too.
    tenant = exact(server, path, ("Accept-Language", "en"), ("X-Tenant", "t1"))
    assert tenant.headers["X-Cache"] == "MISS" and tenant.json() == {"lang": "en", "tenant": "t1"}
    assert exact(server, path, ("Accept-Language", "en")).json()["tenant"] is None
    assert calls(server)["lang"] == before + 4


def test_coalesced_misses_are_not_answered_with_another_variant(server):
    """Misses that arrive while a leader computes wait for it; a waiter whose Accept-Language differs
    from the leader's must not be answered with the leader's response."""
    replies: list[tuple[str, support.Reply]] = []
    lock = threading.Lock()

    def fetch(lang: str) -> None:
        r = exact(server, "/slow-lang?t=1", ("Accept-Language", lang))
        with lock:
            replies.append((lang, r))

    before = calls(server).get("slow-lang", 0)
    leader = threading.Thread(target=fetch, args=("de",))
    leader.start()
    deadline = time.monotonic() + 10
    while calls(server).get("slow-lang", 0) == before and time.monotonic() < deadline:
        time.sleep(0.02)  # until the leader's handler runs (it then sleeps 1 s)
    waiters = [threading.Thread(target=fetch, args=("de" if i % 4 == 0 else "en",)) for i in range(8)]
    for t in waiters:
        t.start()
    for t in [leader, *waiters]:
        t.join()
    assert len(replies) == 9
    for lang, r in replies:
        assert r.status == 200 and r.json()["lang"] == lang


NOT_STORED = ["vary-star", "private", "private-field", "no-store", "no-cache", "max-age-0", "s-maxage-0",
              "bad-max-age", "expires-0", "expires-past"]


@pytest.mark.parametrize("kind", NOT_STORED)
def test_responses_that_forbid_storing_are_not_stored(server, kind):
    for n in range(3):
        r = server.get(f"/cc/{kind}")
        assert r.status == 200 and r.headers["X-Cache"] == "MISS" and r.json()["call"] == n + 1


@pytest.mark.parametrize("kind", ["max-age-ok", "quoted-ok"])
def test_responses_that_allow_storing_are_stored(server, kind):
    first, second = server.get(f"/cc/{kind}"), server.get(f"/cc/{kind}")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert calls(server)[f"cc-{kind}"] == 1


def test_max_age_shortens_the_ttl(server):
    assert server.get("/cc/max-age-1").headers["X-Cache"] == "MISS"
    time.sleep(1.5)  # the route's ttl is 60 s; the response said 1 s
    assert server.get("/cc/max-age-1").headers["X-Cache"] == "MISS"
    assert calls(server)["cc-max-age-1"] == 2


def test_host_is_part_of_the_key(server):
    before = calls(server).get("host", 0)
    a = exact(server, "/host", host="a.example")
    b = exact(server, "/host", host="b.example")
    assert (a.headers["X-Cache"], b.headers["X-Cache"]) == ("MISS", "MISS")
    assert b.json()["host"] == "b.example"
    upper = exact(server, "/host", host="A.Example")  # host names are case-insensitive
    assert upper.headers["X-Cache"] == "HIT" and upper.body == a.body
    none = exact(server, "/host", host=None, version="HTTP/1.0")
    assert none.headers["X-Cache"] == "MISS" and none.json()["host"] is None
    assert calls(server)["host"] == before + 3


def test_repeated_query_parameters_keep_their_order(server):
    before = calls(server).get("query", 0)
    one_two = server.get("/query?a=1&a=2")
    two_one = server.get("/query?a=2&a=1")
    assert (one_two.headers["X-Cache"], two_one.headers["X-Cache"]) == ("MISS", "MISS")
    assert one_two.json()["a"] == ["1", "2"] and two_one.json()["a"] == ["2", "1"]
    again = server.get("/query?a=1&a=2")
    assert again.headers["X-Cache"] == "HIT" and again.json()["a"] == ["1", "2"]
    # Different names may still be reordered: these share an entry.
    assert server.get("/query?b=0&a=1&a=2").headers["X-Cache"] == "MISS"
    shared = server.get("/query?a=1&b=0&a=2")
    assert shared.headers["X-Cache"] == "HIT" and shared.json()["a"] == ["1", "2"]
    assert calls(server)["query"] == before + 3


def test_bypasses_are_counted_as_bypasses(start_server):
    s = start_server("cache_app.py", "--logs")
    exact(s, "/me?t=log")
    exact(s, "/me?t=log", ("Cookie", "session=alice"))
    exact(s, "/me?t=log", ("Authorization", "Bearer carol"))
    exact(s, "/me?t=log")
    assert s.wait_for_stderr('"GET /me?t=log" 200', timeout=5)
    assert s._err.wait_for(lambda text: text.count('"GET /me?t=log"') == 4, timeout=5)
    outcomes = [line.rsplit(" ", 1)[-1] for line in s.stderr.splitlines() if '"GET /me?t=log"' in line]
    assert outcomes == ["MISS", "BYPASS", "BYPASS", "HIT"]
    route = s.get("/stats").json()["routes"]["GET /me"]
    assert (route["hits"], route["misses"], route["stores"]) == (1, 1, 1)


def test_async_misses_store_under_their_own_key(start_server):
    """An async handler's response is stored when it arrives, after the same engine thread has
    looked up other keys meanwhile: each must land under its own request's key."""
    s = start_server("cache_app.py", "--no-logs", "--workers", "1")
    replies: dict[str, support.Reply] = {}

    def fetch(n: str) -> None:
        replies[n] = s.get(f"/async/{n}")

    threads = [threading.Thread(target=fetch, args=(str(n),)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(replies[str(n)].json()["n"] == str(n) for n in range(4))
    for n in range(4):
        again = s.get(f"/async/{n}")
        assert again.headers["X-Cache"] == "HIT" and again.json()["n"] == str(n)
    assert calls(s)["async"] == 4


@pytest.mark.parametrize("vary, error", [("Authorization", TypeError), (["Bad Header"], ValueError),
                                         (["*"], ValueError), ([""], ValueError), ([7], ValueError)])
def test_bad_vary_is_refused(vary, error):
    from cello import cache

    with pytest.raises(error):
        cache(vary=vary)


def test_bad_vary_is_refused_by_the_engine_too():
    from cello import _cello

    with pytest.raises(ValueError, match="header names"):
        _cello.RouteTable().add("GET", "/x", lambda request: "x", "x", cache={"ttl": 1.0, "vary": ["a b"]})
