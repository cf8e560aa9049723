"""async def handlers under test.

Some handlers wait for the test instead of sleeping, so that what they show does not depend on
how fast a loaded machine runs them: /held/{group} awaits until the test calls /release/{group};
/blocking blocks its engine thread until the test (which imports this module in-process) sets
`blocking_release`. Each wait gives up after GIVE_UP seconds, so a broken server fails the test
instead of hanging it."""
import asyncio
import threading

from cello import App, HTTPError

GIVE_UP = 30.0

app = App()
state = {"cancelled": 0, "finished": 0, "waiting": 0, "held": 0}
held_events: dict = {}  # (group, loop) -> its release event
blocking_entered = threading.Event()
blocking_release = threading.Event()


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


# One event per group and engine thread: asyncio objects belong to one loop, and each engine thread
# has its own (docs/async.md). /release sets them all, thread-safely.
held_lock = threading.Lock()


def _held_event(group: str) -> asyncio.Event:
    loop = asyncio.get_running_loop()
    with held_lock:
        return held_events.setdefault((group, loop), asyncio.Event())


@app.get("/held/{group}")
async def held(request):
    """Awaits until /release/{group} is called; `state["held"]` counts the handlers waiting."""
    release = _held_event(request.params["group"])
    state["held"] += 1
    try:
        await asyncio.wait_for(release.wait(), GIVE_UP)
        return {"released": True}
    except asyncio.TimeoutError:
        return {"released": False}
    finally:
        state["held"] -= 1


@app.get("/release/{group}")
async def release(request):
    """Lets the /held/{group} handlers of every engine thread go."""
    group = request.params["group"]
    _held_event(group)  # a release that comes first still counts on this thread
    with held_lock:
        targets = [(loop, event) for (g, loop), event in held_events.items() if g == group]
    for loop, event in targets:
        loop.call_soon_threadsafe(event.set)
    return {"released": group}


@app.get("/wait")
async def wait(request):
    state["waiting"] += 1
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        state["cancelled"] += 1
        raise
    state["finished"] += 1
    return {}


@app.get("/blocking")
def blocking(request):
    """A sync handler that blocks its engine thread until the test sets `blocking_release`."""
    blocking_entered.set()
    released = blocking_release.wait(GIVE_UP)
    return {"blocked": True, "released": released}


@app.get("/state")
def get_state(request):
    return state


if __name__ == "__main__":
    app.run()
