"""An app for test_redis_cache.py: @cache routes whose entries live in Redis (REDIS_URL) too; each
answer says which process computed it and how many times this process computed one."""
import os

from cello import App, RedisConfig, cache

app = App()
app.enable_caching(all_routes=False,  # only the @cache routes (/pid must say which process answers)
                   backend=RedisConfig(url=os.environ["REDIS_URL"], key_prefix=os.environ.get("REDIS_PREFIX"),
                                       connection_timeout_secs=2,
                                       # generous: the tests' machine may be loaded, and a late
                                       # answer from Redis would make a hit a miss
                                       lookup_timeout_secs=2))
if os.environ.get("HEALTH"):
    from cello import HealthCheckConfig

    app.enable_health_checks(HealthCheckConfig(interval_secs=0.2, timeout_secs=1))
computed = {"n": 0}


def answer(request):
    computed["n"] += 1
    return {"id": request.params["id"], "pid": os.getpid(), "computed": computed["n"]}


@app.get("/item/{id}")
@cache(ttl=60, tags=["items"])
def item(request):
    return answer(request)


@app.get("/short/{id}")
@cache(ttl=1, tags=["short"])
def short(request):
    return answer(request)


@app.get("/other/{id}")
@cache(ttl=60, tags=["other"])
def other(request):
    return answer(request)


@app.get("/big/{id}")
@cache(ttl=60, tags=["items"])
def big(request):
    return {**answer(request), "filler": "x" * 200_000}  # many reads of Redis's reply (16 KiB each)


@app.post("/invalidate/{tag}")
def invalidate(request):
    return {"removed": app.invalidate_cache(tags=[request.params["tag"]])}


@app.post("/invalidate-path")
def invalidate_path(request):
    return {"removed": app.invalidate_cache(path=request.query["path"])}


@app.get("/pid")
def pid(request):
    return {"pid": os.getpid()}
