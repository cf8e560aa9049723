"""Streaming from async generators and Server-Sent Events, under test."""
import asyncio

from cello import App, Response

app = App()
state = {"closed": 0, "yielded": 0}


@app.get("/agen")
async def agen(request):
    for i in range(3):
        await asyncio.sleep(0.2)
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
    async def gen():
        yield "hello"
        await asyncio.sleep(0.35)
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
