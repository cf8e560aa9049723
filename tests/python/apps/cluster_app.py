"""A cluster-mode test app: each answer says which worker process gave it."""
import asyncio
import ctypes
import os

import itertools

from cello import App, ClusterConfig, RateLimitConfig, cache

VERSION = "v1"

app = App()
app.enable_prometheus()
if os.environ.get("CLUSTER_TEST_RATE"):  # requests per minute, per client, for the whole server
    app.enable_rate_limit(RateLimitConfig(requests=int(os.environ["CLUSTER_TEST_RATE"]), per=60))
_generation = itertools.count(1)


@app.on_event("startup")
def maybe_fail() -> None:
    if os.environ.get("CLUSTER_TEST_FAIL_STARTUP"):
        raise RuntimeError("startup refused (CLUSTER_TEST_FAIL_STARTUP)")


@app.get("/pid")
def pid(request):
    return {"pid": os.getpid(), "version": VERSION}


@app.get("/items")
@cache(ttl=600, tags=["items"])
def items(request):
    # A fresh answer says so: each computation of this worker gets the next number.
    return {"pid": os.getpid(), "generation": next(_generation)}


@app.post("/items/invalidate")
def invalidate(request):
    return {"pid": os.getpid(), "dropped": app.invalidate_cache(tags=["items"])}


@app.get("/boom")
def boom(request):
    raise ValueError(f"boom in {os.getpid()}")


@app.get("/work")
def work(request):
    # About 100 µs of pure Python: the GIL is held throughout.
    n = 0
    for i in range(4000):
        n += i * i
    return {"n": n}


@app.get("/sleep")
async def sleep(request):
    seconds = float(request.query.get("s", "1"))
    print(f"sleep: started {os.getpid()}", flush=True)
    await asyncio.sleep(seconds)
    return {"slept": seconds, "pid": os.getpid()}


@app.get("/spin")
def spin(request):
    print(f"spin: started {os.getpid()}", flush=True)
    while True:  # a handler that never returns: the worker stops answering its heartbeat
        pass


@app.get("/exit")
def exit_now(request):
    os._exit(1)


@app.get("/segv")
def segv(request):
    ctypes.string_at(0)  # a real segmentation fault, on the engine thread


if __name__ == "__main__":
    settings = {k: float(v) if "." in v else int(v) for k, v in
                (item.split("=") for item in os.environ.get("CLUSTER_TEST_CONFIG", "").split(",") if item)}
    app.run(cluster=ClusterConfig(**settings))


@app.websocket("/ws")
async def echo(ws):
    await ws.accept()
    async for message in ws:
        await ws.send_text(f"{os.getpid()}: {message}")
