"""bench/redis_cache.py's app: one @cache route; CACHE_TIER says where its hits come from.
"process": the process's cache only. "near": Redis behind it (hits from the near tier). "redis": a
near tier too small to keep anything, so every hit is a GET to Redis."""
import os

from cello import App, RedisConfig, cache

app = App()
tier = os.environ.get("CACHE_TIER", "process")
if tier != "process":
    app.enable_caching(all_routes=False, max_bytes=1 if tier == "redis" else 64 * 1024 * 1024,
                       backend=RedisConfig(url=os.environ["REDIS_URL"], key_prefix=f"bench-{tier}:"))
version = {"n": 0}


@app.get("/cached")
@cache(ttl=600, tags=["bench"])
def cached(request):
    version["n"] += 1
    return {"message": "Hello, World!", "version": version["n"], "pid": os.getpid()}


@app.post("/invalidate")
def invalidate(request):
    return {"removed": app.invalidate_cache(tags=["bench"])}
