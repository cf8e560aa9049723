"""async def handlers under test."""
import asyncio
import time

from cello import App, HTTPError

app = App()
state = {"cancelled": 0, "finished": 0}


@app.get("/inline")
async def inline(request):
    return {"inline": True, "path": request.path}


@app.get("/sleep")
async def sleep(request):
    await asyncio.sleep(0.5)
    return {"slept": True}


@app.get("/loop")
async def loop_features(request):
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int] = asyncio.Queue()

    async def producer():
        for i in range(3):
            await queue.put(i)
            await asyncio.sleep(0.01)

    task = asyncio.create_task(producer())
    got = [await queue.get() for _ in range(3)]
    await task

    async def numbers():
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    fut = loop.create_future()
    loop.call_later(0.01, fut.set_result, "later")
    return {"queue": got, "agen": [n async for n in numbers()], "future": await fut,
            "same_loop": loop is asyncio.get_running_loop()}


@app.get("/gather")
async def gather(request):
    results = await asyncio.gather(*(asyncio.sleep(0.05, result=i) for i in range(5)))
    return {"results": results}


@app.get("/boom")
async def boom(request):
    await asyncio.sleep(0.01)
    raise ValueError("async boom")


@app.get("/boom-first")
async def boom_first(request):
    raise KeyError("before the first await")


@app.get("/teapot")
async def teapot(request):
    await asyncio.sleep(0)
    raise HTTPError(409, {"why": "async"})


@app.get("/wait")
async def wait(request):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        state["cancelled"] += 1
        raise
    state["finished"] += 1
    return {}


@app.get("/blocking")
def blocking(request):
    time.sleep(1.0)  # a sync handler that blocks: only its engine thread waits
    return {"blocked": True}


@app.get("/state")
def get_state(request):
    return state


if __name__ == "__main__":
    app.run()
