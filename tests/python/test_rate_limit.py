"""enable_rate_limit() (API.md "Middleware"; docs/middleware-http.md "Rate limit"): a token bucket per
client address (apps/rate_limit_app.py: 1 per second, bursts of 3), 429 in the common error shape
with Retry-After, X-Forwarded-For believed only from trusted proxies and read from the right. The app
is served in-process by TestClient; requests go to its port with http.client, which can pick the
source address (TestClient always connects from 127.0.0.1, a trusted proxy here)."""
from __future__ import annotations

import http.client
import time

import pytest

import support
from cello.testing import TestClient

BURST = 3


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("rate_limit_app").app) as c:
        yield c


def get(client, forwarded=None, source="127.0.0.1", method="GET", headers=None):
    """A request from `source` (any 127/8 address is local on Linux), optionally with X-Forwarded-For."""
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10, source_address=(source, 0))
    headers = dict(headers or {})
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    try:
        conn.request(method, "/", headers=headers)
        resp = conn.getresponse()
        return support.Reply(resp.status, resp.reason, support.Headers(resp.getheaders()), resp.read())
    finally:
        conn.close()


def exhaust(client, **kw):
    for i in range(BURST):
        r = get(client, **kw)
        assert r.status == 200, (i, r)
    return get(client, **kw)


def assert_limited(r):
    support.assert_error_shape(r, 429, "rate limit exceeded")
    assert r.headers["Retry-After"] == "1", r  # the next token is less than a second away
    assert r.headers["RateLimit-Limit"] == str(BURST)
    assert r.headers["RateLimit-Remaining"] == "0"


def test_burst_then_429_with_retry_after(client):
    assert_limited(exhaust(client, forwarded="203.0.113.1"))
    assert_limited(get(client, forwarded="203.0.113.1"))
    assert get(client, forwarded="203.0.113.99").status == 200  # another client is unaffected


def test_recovers_after_refill(client):
    assert_limited(exhaust(client, forwarded="203.0.113.2"))
    time.sleep(1.1)  # one token back (1 per second)
    assert get(client, forwarded="203.0.113.2").status == 200
    assert_limited(get(client, forwarded="203.0.113.2"))


def test_trusted_proxy_forwarded_clients_are_separate(client):
    assert_limited(exhaust(client, forwarded="203.0.113.3"))
    assert get(client, forwarded="203.0.113.4").status == 200
    assert get(client, forwarded="[2001:db8::1]:443").status == 200


def test_spoofed_left_entries_do_not_make_new_clients(client):
    # The trusted proxy appended the real client (right-most); what the client wrote to the left is
    # ignored, so rotating it does not reset the bucket.
    for i in range(BURST):
        assert get(client, forwarded=f"198.51.100.{i}, 203.0.113.5").status == 200
    assert_limited(get(client, forwarded="198.51.100.77, 203.0.113.5"))


def test_chain_of_trusted_proxies_is_skipped(client):
    # 10.9.0.0/16 is trusted too: the client is the first untrusted address from the right.
    assert_limited(exhaust(client, forwarded="203.0.113.6, 10.9.1.1, 10.9.2.2"))
    assert_limited(get(client, forwarded="203.0.113.6"))


def test_untrusted_peer_forwarded_header_is_ignored(client):
    assert_limited(exhaust(client, forwarded="203.0.113.7", source="127.0.0.2"))
    # A different X-Forwarded-For from the same untrusted peer is still the same client.
    assert_limited(get(client, forwarded="203.0.113.8", source="127.0.0.2"))
    assert_limited(get(client, source="127.0.0.2"))
    assert get(client, forwarded="203.0.113.8").status == 200  # through the trusted proxy: fine


@pytest.mark.parametrize("forwarded", ["garbage", "unknown", "1.2.3.4.5", "::::::", "a" * 4000, ", , ,",
                                       "203.0.113.30:99999999", "[2001:db8::1"])
def test_bad_forwarded_values_are_harmless(client, forwarded):
    r = get(client, forwarded=forwarded)  # from the trusted proxy: counted against the proxy itself
    assert r.status in (200, 429), r
    assert get(client, forwarded=f"192.0.2.{len(forwarded) % 250}").status == 200  # still serving


def test_bad_forwarded_values_share_the_proxy_bucket(client):
    # Garbage cannot mint new clients: from the trusted proxy 127.0.0.5 it all lands in the
    # proxy's own bucket, while a well-formed entry is a client of its own.
    for i in range(BURST):
        assert get(client, forwarded=f"junk{i}", source="127.0.0.5").status == 200
    assert_limited(get(client, forwarded="junk-more", source="127.0.0.5"))
    assert_limited(get(client, source="127.0.0.5"))
    assert get(client, forwarded="203.0.113.20", source="127.0.0.5").status == 200


def test_refusal_passes_through_the_outer_middleware(client):
    # CORS (40), security headers (50) and the request id (10) are outside the rate limit (60): a
    # 429 is readable cross-origin, carries the security headers and has an id; CORS preflights
    # are answered before the limit and cost no tokens.
    origin = {"Origin": "https://app.example"}
    for _ in range(BURST + 2):
        r = get(client, forwarded="203.0.113.40", method="OPTIONS",
                headers={**origin, "Access-Control-Request-Method": "POST"})
        assert r.status == 204, r
    r = exhaust(client, forwarded="203.0.113.40")
    assert_limited(r)
    r = get(client, forwarded="203.0.113.40", headers=origin)
    assert_limited(r)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert len(r.headers["X-Request-ID"]) == 36


def test_the_original_cellos_spellings():
    from cello import App, RateLimitConfig

    config = RateLimitConfig.token_bucket(capacity=3, refill_rate=0.5)  # bursts of 3, one every 2 s
    assert (config.burst, config.requests, config.per) == (3, 1, 2.0)
    assert RateLimitConfig("token_bucket", capacity=5, refill_rate=10).settings()["burst"] == 5
    assert RateLimitConfig.sliding_window(10, 60).middleware == "sliding_window"
    assert RateLimitConfig.adaptive(10, 1, 5, 0.1).settings()["min_capacity"] == 5
    for bad in (lambda: RateLimitConfig.sliding_window(0, 60), lambda: RateLimitConfig.adaptive(10, 1, 20, 0.1),
                lambda: RateLimitConfig.adaptive(10, 1, 5, 1.5), lambda: RateLimitConfig("leaky_bucket")):
        with pytest.raises(ValueError):
            bad()
    app = App()
    app.enable_rate_limit(config)

    @app.get("/")
    def home(request):
        return {"ok": True}

    with TestClient(app) as c:
        statuses = [c.get("/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_sliding_window_allows_no_burst_past_its_count():
    from cello import App, RateLimitConfig

    app = App()
    app.enable_rate_limit(RateLimitConfig.sliding_window(max_requests=3, window_secs=1))

    @app.get("/")
    def home(request):
        return {"ok": True}

    with TestClient(app) as c:
        replies = [c.get("/") for _ in range(5)]
        assert [r.status_code for r in replies] == [200, 200, 200, 429, 429]
        refused = replies[3]
        assert refused.json()["status"] == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["RateLimit-Limit"] == "3"
        # Two whole windows later nothing of the first one counts: the budget is whole again.
        time.sleep(2.1)
        assert [c.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_an_adaptive_limit_shrinks_while_the_server_fails():
    from cello import App, RateLimitConfig

    app = App()
    app.enable_rate_limit(RateLimitConfig.adaptive(capacity=100, refill_rate=1, min_capacity=3, error_threshold=0.5))
    broken = {"on": True}

    @app.get("/")
    def home(request):
        return {"ok": True}

    @app.get("/work")
    def work(request):
        if broken["on"]:
            raise RuntimeError("database down")
        return {"ok": True}

    with TestClient(app) as c:
        # Healthy: one client gets its whole capacity.
        assert all(c.get("/").status_code == 200 for _ in range(10))
        # Failing answers: once more than half of the last 10 s's are 5xx (20 answers at least to
        # judge), every client is held to 3 as well, far below its 100.
        statuses = [c.get("/work").status_code for _ in range(60)]
        first_refusal = statuses.index(429)
        assert 11 <= first_refusal <= 25 and set(statuses[:first_refusal]) == {500}, statuses
        assert statuses[first_refusal:].count(500) <= 3  # the small budget, then refusals
        refused = c.get("/")
        assert refused.status_code == 429 and refused.headers["RateLimit-Limit"] == "3"
