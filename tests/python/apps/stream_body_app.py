"""Large request bodies read as they arrive (docs/files-and-forms.md, "Large bodies"), run as
`python3 stream_body_app.py --port 0`: bodies over 1 MiB (the default body_buffer_size) reach
the handlers while they arrive. tests/python/test_request_stream.py drives it."""
import asyncio
import hashlib

from cello import App, HTTPError

app = App()
events: list[str] = []
gate = asyncio.Event()  # only touched on the one engine thread's loop


def digest(chunks) -> dict:
    h = hashlib.sha256()
    n = pieces = 0
    for c in chunks:
        h.update(c)
        n += len(c)
        pieces += 1
    return {"size": n, "sha256": h.hexdigest(), "pieces": pieces}


def describe_form(form) -> dict:
    out = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            out[name] = value
        else:
            h = hashlib.sha256()
            while chunk := value.read(1 << 20):
                h.update(chunk)
            out[name] = {"filename": value.filename, "size": value.size, "sha256": h.hexdigest(),
                         "in_memory": value.in_memory}
    return out


@app.get("/ok")
def ok(request):
    return "ok"


@app.get("/events")
def get_events(request):
    return {"events": events}


@app.post("/sync/body")
def sync_body(request):
    return digest([request.body()])


@app.post("/sync/stream")
def sync_stream(request):
    return digest(request.stream())


@app.post("/sync/json")
def sync_json(request):
    return {"items": len(request.json())}


@app.post("/sync/form")
def sync_form(request):
    return describe_form(request.form())


@app.post("/async/stream")
async def async_stream(request):
    h = hashlib.sha256()
    n = pieces = 0
    async for c in request.stream():
        h.update(c)
        n += len(c)
        pieces += 1
    return {"size": n, "sha256": h.hexdigest(), "pieces": pieces}


@app.post("/async/body")
async def async_body(request):
    body = await request.body_async()
    assert request.body() is body  # read once, then kept
    return digest([body])


@app.post("/async/json")
async def async_json(request):
    return {"items": len(await request.json_async())}


@app.post("/async/form")
async def async_form(request):
    return describe_form(await request.form_async())


@app.post("/async/sync-body")
async def async_sync_body(request):
    return {"size": len(request.body())}


@app.post("/first")
async def first_piece(request):
    async for chunk in request.stream():
        return {"first": len(chunk)}
    return {"first": 0}


@app.post("/ignore")
def ignore(request):
    return {"ignored": True}


@app.post("/slow")
async def slow(request):
    h = hashlib.sha256()
    stream = request.stream()
    first = await stream.__anext__()
    h.update(first)
    n = len(first)
    events.append("slow: waiting")
    await gate.wait()
    gate.clear()
    async for c in stream:
        h.update(c)
        n += len(c)
    return {"size": n, "sha256": h.hexdigest()}


@app.post("/open-gate")
async def open_gate(request):
    gate.set()
    return "open"


@app.post("/vanish/async")
async def vanish_async(request):
    try:
        async for _ in request.stream():
            pass
    except asyncio.CancelledError:
        events.append("async: cancelled")
        raise
    return "done"


@app.post("/vanish/sync")
def vanish_sync(request):
    try:
        request.body()
    except HTTPError as e:
        events.append(f"sync: HTTPError {e.status}")
        raise
    return "done"


@app.post("/wait-body")
async def wait_body(request):
    try:
        await request.body_async()
    except HTTPError as e:
        events.append(f"wait-body: HTTPError {e.status}")
        raise
    return "done"


if __name__ == "__main__":
    app.run(max_body_size=2 * 1024 ** 3, body_timeout=2)
