"""async def handlers: awaiting, several awaits at once, a queue fed by a task, and blocking work
moved to a thread (docs/async.md).

Run it with `python3 examples/async/app.py` or `cello run examples/async/app.py`, then:
  curl 'localhost:8000/sleep?seconds=0.5'        ->  {"slept": 0.5}
  curl localhost:8000/gather                     ->  three sleeps at once: about 0.3 s, not 0.6 s
  curl 'localhost:8000/squares?n=5'              ->  {"squares": [0, 1, 4, 9, 16]}
  curl 'localhost:8000/digest?text=hi&delay=0.2' ->  a blocking call on a worker thread
While a handler awaits, the engine serves other requests: 20 concurrent `/sleep?seconds=0.5`
finish together in about half a second, on one engine thread.
"""
import asyncio
import hashlib
import time

from cello import App, HTTPError

app = App()


def number(request, name: str, default: float, low: float, high: float) -> float:
    """A query parameter as a float in [low, high], else a 400."""
    raw = request.query.get(name)
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        raise HTTPError(400, f"{name} must be a number") from None
    if not low <= value <= high:
        raise HTTPError(400, f"{name} must be between {low:g} and {high:g}")
    return value


@app.get("/sleep")
async def sleep(request):
    """An awaiting handler: the engine thread serves other connections meanwhile."""
    seconds = number(request, "seconds", 0.5, 0, 5)
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@app.get("/gather")
async def gather(request):
    """Three awaits at once with asyncio.gather: as long as the longest, not the sum."""
    started = time.monotonic()

    async def step(name: str, seconds: float) -> dict:
        await asyncio.sleep(seconds)
        return {"step": name, "seconds": seconds}

    results = await asyncio.gather(step("a", 0.1), step("b", 0.2), step("c", 0.3))
    return {"results": results, "elapsed": round(time.monotonic() - started, 3)}


@app.get("/squares")
async def squares(request):
    """A producer task (asyncio.create_task) feeds a bounded asyncio.Queue; the handler consumes."""
    n = int(number(request, "n", 5, 0, 1000))
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=2)

    async def produce() -> None:
        for i in range(n):
            await queue.put(i * i)  # waits while the queue is full
        await queue.put(None)  # done

    producer = asyncio.create_task(produce())
    out = []
    while (item := await queue.get()) is not None:
        out.append(item)
    await producer
    return {"squares": out}


def blocking_digest(data: bytes, delay: float) -> str:
    """Blocking work: a sleep standing in for a synchronous client library, then some hashing."""
    time.sleep(delay)
    digest = data
    for _ in range(1000):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


@app.get("/digest")
async def digest(request):
    """asyncio.to_thread: the blocking call runs on a worker thread, not on the asyncio loop, so
    the other awaiting handlers keep running while it blocks."""
    text = request.query.get("text", "cello")
    delay = number(request, "delay", 0.2, 0, 5)
    value = await asyncio.to_thread(blocking_digest, text.encode(), delay)
    return {"text": text, "sha256x1000": value}


if __name__ == "__main__":
    app.run()
