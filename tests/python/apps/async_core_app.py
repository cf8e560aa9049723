"""The asyncio core under test (tests/python/test_async_core.py): contexts, Tasks from the first
line, per-thread loops with startup resources, cancellation, @cache followers that suspend, and
third-party asyncio libraries inside handlers."""
import asyncio
import contextvars
import os
import threading

from cello import App, cache

GIVE_UP = 30.0

app = App()
request_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_var", default=None)
local = threading.local()  # per engine thread: what the async startup hook opened there
startup_loops: list[asyncio.AbstractEventLoop] = []
state = {"holding": 0, "cancelled": 0, "cache_calls": 0, "aborted": 0}
gates: dict[tuple[str, asyncio.AbstractEventLoop], asyncio.Event] = {}
gates_lock = threading.Lock()


@app.on_event("startup")
async def open_queue():
    loop = asyncio.get_running_loop()
    startup_loops.append(loop)
    local.queue = asyncio.Queue()
    local.loop = loop


@app.get("/ctx/sync")
def ctx_sync(request):
    seen = request_var.get()
    request_var.set(request.query.get("v", "x"))
    return {"seen": seen}


@app.get("/ctx/async")
async def ctx_async(request):
    seen = request_var.get()
    request_var.set(request.query.get("v", "x"))
    return {"seen": seen}


@app.get("/task")
async def task_first_line(request):
    task = asyncio.current_task()
    async with asyncio.timeout(5):  # needs a current task: raised RuntimeError before the redesign
        pass
    async with asyncio.TaskGroup() as group:
        child = group.create_task(asyncio.sleep(0, result=7))
    return {"task": task is not None, "same_task": task is asyncio.current_task(), "child": child.result()}


@app.get("/order")
async def callback_order(request):
    """asyncio runs callbacks in the order they were scheduled, whoever scheduled them: the loop's
    own call_soon, a Task's next step, a Task's wake-up (the engine queues the last two natively)."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []

    async def child() -> None:
        seen.append("child step 1")
        await asyncio.sleep(0)
        seen.append("child step 2")

    loop.call_soon(seen.append, "callback 1")
    task = asyncio.create_task(child())  # its first step is queued after callback 1
    loop.call_soon(seen.append, "callback 2")
    await asyncio.sleep(0)  # our next step: after callback 2
    seen.append("handler step 2")
    future = loop.create_future()
    loop.call_soon(future.set_result, None)
    loop.call_soon(seen.append, "callback 3")
    await future  # woken after callback 3: the wake-up is queued when set_result runs, before it
    seen.append("handler woken")
    await task
    return {"seen": seen, "debug": loop.get_debug()}


kept_requests: list = []


@app.post("/after-await/{key}")
async def after_await(request):
    """Reads its request after awaiting (the engine detached it, and reuses such objects once
    their handlers are done with them)."""
    await asyncio.sleep(0)
    if request.query.get("keep"):
        kept_requests.append(request)
    return {"v": request.query.get("v"), "path": request.path, "n": request.headers.get("x-n"),
            "key": request.params["key"], "body": request.json()}


@app.get("/kept")
def kept(request):
    return [{"v": r.query.get("v"), "n": r.headers.get("x-n")} for r in kept_requests]


@app.get("/timeout")
async def timeout(request):
    try:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(GIVE_UP)
    except TimeoutError:
        timed_out = True
    try:
        await asyncio.wait_for(asyncio.sleep(GIVE_UP), 0.05)
    except asyncio.TimeoutError:
        waited = True
    return {"timeout": timed_out, "wait_for": waited}


@app.get("/queue")
async def use_queue(request):
    loop = asyncio.get_running_loop()
    await local.queue.put(request.query.get("item", "-"))
    item = await local.queue.get()
    return {"item": item, "thread": threading.get_ident(), "startup_loop": local.loop is loop,
            "loop_thread": loop.engine_thread}


def _gate(name: str) -> asyncio.Event:
    loop = asyncio.get_running_loop()
    with gates_lock:
        return gates.setdefault((name, loop), asyncio.Event())


@app.get("/open/{name}")
def open_gate(request):
    """Releases /cached and /hold waiters of every engine thread."""
    name = request.params["name"]
    with gates_lock:
        targets = [(loop, ev) for (n, loop), ev in gates.items() if n == name and not loop.is_closed()]
    for loop, ev in targets:
        loop.call_soon_threadsafe(ev.set)
    return {"opened": len(targets)}


@app.get("/cached")
@cache(ttl=60)
async def cached(request):
    state["cache_calls"] += 1
    await asyncio.wait_for(_gate("cache").wait(), GIVE_UP)
    return {"calls": state["cache_calls"]}


@app.get("/state")
def get_state(request):
    # OS threads of the process (threading's count includes dummies made for foreign threads).
    return dict(state, tasks=len(asyncio.all_tasks()), threads=len(os.listdir("/proc/self/task")))


@app.get("/hold")
async def hold(request):
    """Awaits until cancelled (the client leaves) or GIVE_UP."""
    state["holding"] += 1
    try:
        await asyncio.sleep(GIVE_UP)
    except asyncio.CancelledError:
        state["cancelled"] += 1
        try:  # the connection is gone by now, and other requests reuse the engine's buffers...
            await asyncio.sleep(0.05)
        finally:  # ...but what the handler reads of its request is still its request
            state["left"] = (request.path, request.query.get("who"), request.headers.get("x-who"))
        raise
    return {"held": True}


@app.get("/self-cancel/{how}")
async def self_cancel(request):
    """A handler whose Task is cancelled by its own code, not by its client."""
    await asyncio.sleep(0)
    if request.params["how"] == "raise":
        raise asyncio.CancelledError()
    asyncio.current_task().cancel()
    await asyncio.sleep(GIVE_UP)


@app.get("/far-timer")
async def far_timer(request):
    """Leaves a task sleeping long: the reactor then waits for that timer, unless nudged."""
    asyncio.get_running_loop().create_task(asyncio.sleep(GIVE_UP))
    return {"started": True}


@app.get("/short-sleep")
async def short_sleep(request):
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(0.05)
    return {"slept": loop.time() - start}


@app.get("/exit")
async def exit_after_await(request):
    """SystemExit from a task leaves asyncio's run_forever: the engine thread must keep serving."""
    await asyncio.sleep(0)
    raise SystemExit(3)


@app.get("/spawn")
async def spawn(request):
    """Leaves a task running past the response: the engine cancels it when its loop ends."""
    async def background():
        try:
            await asyncio.sleep(GIVE_UP)
        finally:
            state["aborted"] += 1

    app_tasks.add(asyncio.create_task(background()))
    return {"spawned": True}


app_tasks: set = set()


@app.get("/fetch")
async def fetch(request):
    """aiohttp's client, calling the HTTP server the test started."""
    import aiohttp

    url = request.query["url"]
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as reply:
            return {"status": reply.status, "body": await reply.text()}


@app.get("/pg")
async def pg(request):
    """asyncpg against the PostgreSQL server the test started (CELLO_TEST_PG_DSN)."""
    import asyncpg

    connection = await asyncpg.connect(os.environ["CELLO_TEST_PG_DSN"])
    try:
        value = await connection.fetchval("SELECT $1::int * 6", int(request.query.get("n", "7")))
        rows = await connection.fetch("SELECT generate_series(1, 3) AS n")
    finally:
        await connection.close()
    return {"value": value, "rows": [r["n"] for r in rows]}
