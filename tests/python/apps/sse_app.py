"""Streaming from async generators and Server-Sent Events, under test.

/agen and /quiet wait for the test instead of sleeping: `?gate=PATH` names files the test creates
when it has seen what came before (this app runs in its own process, so a file is the signal). A
generator that waits longer than GIVE_UP seconds goes on anyway, so a broken server fails the test
instead of hanging it."""
import asyncio
import os
import time

from cello import App, Response

app = App()
state = {"closed": 0, "yielded": 0}
GIVE_UP = 30.0


async def gate(path: str) -> None:
    """Returns once `path` exists (or after GIVE_UP seconds), awaiting meanwhile."""
    deadline = time.monotonic() + GIVE_UP
    while not os.path.exists(path) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


@app.get("/agen")
async def agen(request):
    """Part i is produced only once the file GATE.i exists: the test creates it after it received
    part i - 1, so parts held back by the server would leave the test waiting."""
    for i in range(3):
        await gate(f"{request.query['gate']}.{i}")
        yield f"part {i}\n"


@app.get("/agen-bytes")
def agen_bytes(request):
    async def produce():
        for i in range(200):
            yield bytes([i % 256]) * 1000
    return Response.stream(produce(), content_type="application/octet-stream")


@app.get("/agen-fails")
async def agen_fails(request):
    yield "first\n"
    await asyncio.sleep(0.05)
    raise RuntimeError("broken stream")


@app.get("/events")
def events(request):
    async def gen():
        yield "plain"
        yield {"id": 7, "event": "update", "data": {"n": 1}, "retry": 2500}
        yield {"data": "two\nlines"}
        yield {"comment": "just a comment"}
    return Response.sse(gen(), keepalive=None)


@app.get("/events-sync")
def events_sync(request):
    return Response.sse(iter(["a", "b"]), keepalive=None)


@app.get("/quiet")
def quiet(request):
    """Idle between "hello" and "bye" until the file GATE exists (the test creates it once it has
    seen keep-alive comments)."""
    async def gen():
        yield "hello"
        await gate(request.query["gate"])
        yield "bye"
    return Response.sse(gen(), keepalive=0.1)


@app.get("/endless")
def endless(request):
    async def gen():
        try:
            while True:
                state["yielded"] += 1
                yield {"data": state["yielded"]}
                await asyncio.sleep(0.05)
        finally:
            state["closed"] += 1
    return Response.sse(gen(), keepalive=None)


@app.get("/state")
def get_state(request):
    return state


if __name__ == "__main__":
    app.run()
