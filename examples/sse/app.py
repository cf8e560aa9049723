"""Server-Sent Events: a clock that ticks once a second, and a job's progress.

    cello run examples/sse/app.py
    curl -N http://127.0.0.1:8000/clock
"""
import asyncio
import time

from cello import App, Response

app = App()


@app.get("/clock")
def clock(request):
    async def ticks():
        n = 0
        while True:
            yield {"event": "tick", "id": n, "data": {"time": time.strftime("%H:%M:%S")}}
            n += 1
            await asyncio.sleep(1)

    return Response.sse(ticks(), keepalive=15)


@app.get("/jobs/{steps:int}")
def job(request):
    steps = request.params["steps"]

    async def progress():
        for step in range(1, steps + 1):
            await asyncio.sleep(0.05)  # the work
            yield {"event": "progress", "data": {"step": step, "of": steps}}
        yield {"event": "done", "data": "finished", "retry": 10000}

    return Response.sse(progress())


@app.get("/lines")
async def lines(request):
    """A plain async generator: chunked text, flushed line by line."""
    for i in range(3):
        await asyncio.sleep(0.05)
        yield f"line {i}\n"


if __name__ == "__main__":
    app.run()
