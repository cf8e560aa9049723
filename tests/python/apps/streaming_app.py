"""Streaming responses: generators, iterators and Response.stream (chunked, flushed per item)."""
import threading
import time

from cello import App, Response

app = App()

closed_streams = []
_lock = threading.Lock()
slow_release: dict[str, threading.Event] = {}  # token -> set by the test (in-process) via release()
GIVE_UP = 30.0  # seconds a held generator waits for the test before it goes on anyway


def release(token: str) -> None:
    """Lets /stream/slow?token=... produce its second item."""
    with _lock:
        slow_release.setdefault(token, threading.Event()).set()


@app.get("/ok")
def ok(request):
    return "ok"


@app.get("/stream/bytes")
def stream_bytes(request):
    yield b"one,"
    yield b"two,"
    yield b"three"


@app.get("/stream/str")
def stream_str(request):
    yield "grüße "
    yield "✓"


@app.get("/stream/iterator")
def stream_iterator(request):
    return iter([b"a", bytearray(b"b"), memoryview(b"c")])


@app.get("/stream/response")
def stream_response(request):
    def rows():
        yield "id,name\n"
        for i in range(3):
            yield f"{i},row{i}\n"

    return Response.stream(rows(), content_type="text/csv", status=201, headers={"X-Stream": "yes"})


@app.get("/stream/empty")
def stream_empty(request):
    return
    yield  # noqa: unreachable - makes this a generator


@app.get("/stream/many")
def stream_many(request):
    for i in range(1000):
        yield f"{i:04d}\n".encode()


@app.get("/stream/error-first")
def stream_error_first(request):
    raise RuntimeError("failed before the first item")
    yield b"never"  # noqa: unreachable


@app.get("/stream/error-later")
def stream_error_later(request):
    yield b"partial-"
    raise RuntimeError("failed mid-stream")


@app.get("/stream/bad-item")
def stream_bad_item(request):
    yield 12345


@app.get("/stream/slow")
def stream_slow(request):
    """The second item comes only once the test called release(token): the test does that after it
    received the first, so a first item held back until the body ends is never received."""
    with _lock:
        go_on = slow_release.setdefault(request.query["token"], threading.Event())
    yield b"first"
    released = go_on.wait(GIVE_UP)
    yield b"second" if released else b"gave-up"


@app.get("/stream/endless")
def stream_endless(request):
    token = request.query["token"]
    try:
        while True:
            yield b"x" * 1024
            time.sleep(0.01)
    finally:
        with _lock:
            closed_streams.append(token)


@app.get("/stream/closed")
def stream_closed(request):
    with _lock:
        return {"closed": list(closed_streams)}


if __name__ == "__main__":
    app.run()
