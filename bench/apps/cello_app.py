"""Cello peer for bench/run.py: `cello run bench/apps/cello_app.py`.

CELLO_BENCH_MIDDLEWARE (comma-separated: compression, cors, request_id, metrics) turns native
middleware on, for the rows that measure their cost. CELLO_BENCH_MODEL=1 adds POST /model (a
pydantic body and a Depends), on its own process so that the other rows do not import pydantic.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cello import App, cache  # noqa: E402
from payload import USERS  # noqa: E402

app = App()
middleware = {m for m in os.environ.get("CELLO_BENCH_MIDDLEWARE", "").split(",") if m}
if "compression" in middleware:
    app.enable_compression(min_size=512)  # /json is 974 bytes: under the default 1024
if "cors" in middleware:
    app.enable_cors(origins=["http://bench.example"])
if "request_id" in middleware:
    app.enable_request_id()
if "metrics" in middleware:
    app.enable_prometheus()


@app.get("/")
def home(request):
    return {"message": "Hello, World!"}


@app.get("/users/{id:int}")
def user(request):
    i = request.params["id"]
    return {"id": i, "name": f"User {i}"}


@app.get("/json")
def json_(request):
    return USERS


@app.get("/work")
def work(request):
    # About 100 µs of pure Python (the GIL held throughout): what cluster mode multiplies.
    n = 0
    for i in range(4000):
        n += i * i
    return {"n": n}


@app.post("/echo")
def echo(request):
    return request.json()


@app.get("/async")
async def home_async(request):
    return {"message": "Hello, World!"}


@app.get("/await/sleep0")
async def await_sleep0(request):
    await asyncio.sleep(0)
    return {"message": "Hello, World!"}


@app.get("/await/soon")
async def await_soon(request):
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, None)
    await future
    return {"message": "Hello, World!"}


@app.get("/await/sleep1ms")
async def await_sleep1ms(request):
    await asyncio.sleep(0.001)
    return {"message": "Hello, World!"}


@app.get("/await/sleep1s")
async def await_sleep1s(request):
    await asyncio.sleep(1)
    return {"message": "Hello, World!"}


@app.get("/await/cancel")
async def await_cancel(request):
    await asyncio.sleep(3600)  # bench/async_soak.py: every request is cancelled by its client
    return {}


cached_calls = {"n": 0}


@app.get("/await/cached")
@cache(ttl=300)
async def await_cached(request):
    cached_calls["n"] += 1
    await asyncio.sleep(0.5)
    return {"message": "Hello, World!"}


@app.get("/proc")
def proc(request):
    import gc

    if request.query.get("collect"):
        gc.collect()
        if request.query.get("trim"):  # hand free heap pages back: tells free memory from kept memory
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {"tasks": len(asyncio.all_tasks()), "objects": len(gc.get_objects()), "cached_calls": cached_calls["n"]}


@app.get("/cached")
@cache(ttl=300)
def cached(request):
    return {"message": "Hello, World!"}


if __name__ == "__main__":
    app.run()


if os.environ.get("CELLO_BENCH_MODEL") == "1":
    from pydantic import BaseModel

    from cello import Depends

    class EchoIn(BaseModel):
        name: str
        n: int

    def source() -> str:
        return "bench"

    @app.post("/model")
    def model(body: EchoIn, src: str = Depends(source)):
        return {"name": body.name, "n": body.n, "source": src}
