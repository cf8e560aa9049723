"""The fleet tier of the response cache (docs/caching.md, "Across servers: Redis"): real Cello
servers sharing a real redis-server. Requests carry one Host, as they do behind a load balancer
(the Host is part of the cache key)."""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest

import redis_server
import support

import cello
from cello import App, RedisConfig

pytestmark = pytest.mark.skipif(not redis_server.available() or not cello._cello.HAS_REDIS,
                                reason="needs redis-server and a build with Redis")

HOST = {"Host": "shop.example"}


@pytest.fixture
def redis() -> Iterator[redis_server.RedisServer]:
    with redis_server.running() as r:
        yield r


def serve(redis: redis_server.RedisServer, *args: str, prefix: str | None = None):
    env = {"REDIS_URL": redis.url}
    if prefix:
        env["REDIS_PREFIX"] = prefix
    return support.running("redis_cache_app.py", "--no-logs", *args, env=env)


def stored(redis: redis_server.RedisServer, path: str) -> None:
    """Waits until an entry for `path` is in Redis: a server stores it after answering (write-behind),
    so a client asking another server at once may still find none."""
    assert support.wait_until(lambda: redis.keys(f"cello:c:*{path}"), timeout=10), path


def get(server: support.Server, path: str) -> tuple[str, dict]:
    reply = server.get(path, headers=HOST)
    assert reply.status == 200, reply.body
    return reply.headers.get("X-Cache"), json.loads(reply.body)


def test_an_entry_one_server_stored_is_a_hit_on_another(redis):
    with serve(redis) as a, serve(redis) as b:
        cache, first = get(a, "/item/1")
        assert cache == "MISS" and first["pid"] == a.proc.pid
        stored(redis, "/item/1")
        assert redis.keys("cello:c:*") == ["cello:c:GET 12:shop.example /item/1"]
        cache, seen = get(b, "/item/1")  # B has never computed it: Redis has
        assert cache == "HIT" and seen == first
        cache, again = get(b, "/item/1")  # now from B's own (near) tier
        assert cache == "HIT" and again == first
        assert b.get("/other/1", headers=HOST).headers.get("X-Cache") == "MISS"  # other keys are other entries
        _, large = get(a, "/big/1")  # a 200 KB answer: Redis's reply takes many reads
        stored(redis, "/big/1")
        assert get(b, "/big/1") == ("HIT", large)
        # The TTL went with it: the route's 60 s, in milliseconds.
        ttl = int(redis.command("PTTL \"cello:c:GET 12:shop.example /item/1\"").lstrip(":"))
        assert 0 < ttl <= 60_000


def test_an_invalidation_on_one_server_reaches_every_server_and_redis(redis):
    with serve(redis) as a, serve(redis) as b, serve(redis) as c:
        _, old = get(a, "/item/7")
        get(a, "/other/7")
        stored(redis, "/item/7")
        stored(redis, "/other/7")
        assert get(b, "/item/7") == ("HIT", old) and get(c, "/item/7") == ("HIT", old)  # in every near tier now
        reply = b.post("/invalidate/items", headers=HOST)
        assert reply.status == 200
        # Gone from Redis (the script deletes, then publishes), other tags staying.
        assert support.wait_until(lambda: not redis.keys("cello:c:*item*"), timeout=10)
        assert redis.keys("cello:c:*other*")
        # Every server's near tier drops it (through pub/sub): none answers the old entry again (the
        # first to be asked computes it anew and shares that).
        for s in (a, c):
            assert support.wait_until(lambda s=s: get(s, "/item/7")[1] != old, timeout=10)
        assert get(a, "/other/7")[0] == "HIT"


def test_a_path_invalidation_too(redis):
    with serve(redis) as a, serve(redis) as b:
        _, old = get(a, "/item/3")
        stored(redis, "/item/3")
        assert get(b, "/item/3") == ("HIT", old)
        assert a.post("/invalidate-path?path=/item/3", headers=HOST).status == 200
        assert support.wait_until(lambda: not redis.keys("cello:c:*/item/3"), timeout=10)
        assert support.wait_until(lambda: get(b, "/item/3") != ("HIT", old), timeout=10)


def test_entries_expire_in_redis_as_in_one_process(redis):
    with serve(redis) as a, serve(redis) as b:
        get(a, "/short/1")  # ttl=1
        stored(redis, "/short/1")
        assert get(b, "/short/1")[0] == "HIT"
        time.sleep(1.2)
        assert get(b, "/short/1")[0] == "MISS"  # expired in B's tier and in Redis: B computes it


def test_servers_with_another_prefix_share_nothing(redis):
    with serve(redis) as a, serve(redis, prefix="other-app:") as b:
        get(a, "/item/1")
        stored(redis, "/item/1")
        assert get(b, "/item/1")[0] == "MISS"
        assert support.wait_until(lambda: redis.keys("other-app:c:*"), timeout=10)


def test_redis_going_away_and_coming_back(redis):
    with serve(redis) as a, serve(redis) as b:
        get(a, "/item/1")
        redis.stop()
        # Served all the same: from the handler, then each process's own tier.
        assert get(a, "/item/2")[0] == "MISS" and get(a, "/item/2")[0] == "HIT"
        for i in range(20):
            assert b.get(f"/item/{i}", headers=HOST).status == 200
        assert a.wait_for_stderr("cannot be reached")
        assert b.wait_for_stderr("cannot be reached")
        time.sleep(1.5)  # several reconnect attempts: still said once
        assert a.stderr.count("cannot be reached") == 1, a.stderr
        redis.start()
        assert a.wait_for_stderr("is back", timeout=15) and b.wait_for_stderr("is back", timeout=15)
        assert a.stderr.count("is back") == 1
        # Shared again once each engine thread has reconnected (within its one-second retry): a new
        # entry A computes reaches Redis, and B finds it there.
        ids = itertools.count(100)

        def shared_again() -> bool:
            i = next(ids)
            get(a, f"/item/{i}")
            if not support.wait_until(lambda: redis.keys(f"cello:c:*/item/{i}"), timeout=1):
                return False
            cache, seen = get(b, f"/item/{i}")
            return cache == "HIT" and seen["pid"] == a.proc.pid
        assert support.wait_until(shared_again, timeout=20)


def test_an_invalidation_made_while_redis_is_away_is_applied_when_it_is_back(redis):
    with serve(redis) as a, serve(redis) as b:
        cache, first = get(a, "/item/5")
        stored(redis, "/item/5")
        assert get(b, "/item/5")[0] == "HIT"
        redis.stop(persist=True)  # an outage: the entry is still in Redis when it comes back
        assert a.post("/invalidate/items", headers=HOST).status == 200  # kept by A meanwhile
        redis.start()
        assert a.wait_for_stderr("is back", timeout=15)
        # A replays it: gone from Redis, and B (which missed the message) computes it again.
        assert support.wait_until(lambda: not redis.keys("cello:c:*/item/5"), timeout=10)
        assert support.wait_until(lambda: get(b, "/item/5")[0] == "MISS", timeout=10)


def test_a_cluster_shares_through_redis_too(redis):
    with serve(redis, "--processes", "2") as cluster, serve(redis) as single:
        def worker_pids() -> set[int]:
            return {cluster.get("/pid", headers={"Connection": "close"}).json()["pid"] for _ in range(20)}
        assert support.wait_until(lambda: len(worker_pids()) == 2, timeout=30)  # both workers are up
        get(single, "/item/9")
        stored(redis, "/item/9")
        pids = set()
        for _ in range(40):  # a new connection each: the kernel spreads them over both workers
            reply = cluster.get("/item/9", headers={**HOST, "Connection": "close"})
            assert reply.headers.get("X-Cache") == "HIT" and reply.json()["pid"] == single.proc.pid
            pids.add(cluster.get("/pid", headers={"Connection": "close"}).json()["pid"])
        assert len(pids) == 2
        old = get(single, "/item/9")[1]
        single.post("/invalidate/items", headers=HOST)
        for _ in range(10):  # whichever worker answers: never the invalidated entry
            assert support.wait_until(lambda: get(cluster, "/item/9")[1] != old, timeout=10)


def test_readiness_follows_redis(redis):
    with support.running("redis_cache_app.py", "--no-logs", env={"REDIS_URL": redis.url, "HEALTH": "1"}) as s:
        assert support.wait_until(lambda: s.get("/health/ready").status == 200, timeout=15)
        redis.stop()
        assert support.wait_until(lambda: s.get("/health/ready").status == 503, timeout=15)
        body = s.get("/health/ready").json()
        assert "redis" in json.dumps(body), body  # the failing check is named
        assert get(s, "/item/1")[0] == "MISS"  # still serving
        redis.start()
        assert support.wait_until(lambda: s.get("/health/ready").status == 200, timeout=15)


# --- RedisConfig ---


def test_redis_config_takes_the_originals_arguments_and_says_what_cannot_work():
    config = RedisConfig(url="redis://:s3cret@localhost:6390/2", pool_size=4, key_prefix="shop:")
    parts = config.settings()
    assert parts["host"] == "127.0.0.1" and parts["port"] == 6390  # IPv4 first
    assert parts["database"] == 2 and parts["password"] == "s3cret" and parts["key_prefix"] == "shop:"
    assert RedisConfig.local().url == "redis://127.0.0.1:6379"
    assert RedisConfig(database=3).settings()["database"] == 3
    for bad, message in [(RedisConfig(url="rediss://h"), "TLS"), (RedisConfig(tls=True), "TLS"),
                         (RedisConfig.cluster("redis://h:7000"), "Cluster"),
                         (RedisConfig(url="http://h"), "redis://"), (RedisConfig(url="redis://h/x"), "number"),
                         (RedisConfig(key_prefix="a*"), "key_prefix"), (RedisConfig(pool_size=0), "pool_size"),
                         (RedisConfig(url="redis://no-such-host.invalid"), "cannot resolve")]:
        with pytest.raises(ValueError, match=message):
            bad.settings()
    app = App()
    with pytest.raises(TypeError, match="RedisConfig"):
        app.enable_caching(backend="redis://localhost")
    with pytest.raises(ValueError, match="Cluster"):
        app.enable_caching(backend=RedisConfig(cluster_mode=True))
