"""Large request bodies read as they arrive (docs/files-and-forms.md, "Large bodies"), over real
sockets: request.stream() (async and sync), body()/json()/form() of sync handlers (which run in a
thread for such requests), body_async()/json_async()/form_async(), multipart uploads spooled while
they arrive (with a bound on the server's memory), back-pressure, the limits (413 as soon as a
chunked body exceeds it, 408 when it stops arriving), 100-continue only when the body is asked
for, a handler that never reads the body (the server does not read it either), and clients that
vanish mid-body. The server keeps serving after each.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator

import pytest

import support

MiB = 1024 * 1024
BOUNDARY = "----celloStreamBoundary1x2y3z"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[support.Server]:
    tmp = tmp_path_factory.mktemp("uploads")
    with support.running("stream_body_app.py", "--no-logs", via="python", env={"TMPDIR": str(tmp)}) as s:
        s.tmp = tmp  # type: ignore[attr-defined]
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/ok")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}\n{server.stderr[-3000:]}"


def blob(size: int, seed: int = 1) -> bytes:
    """Reproducible bytes that do not compress or repeat within a read."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 64
        counter += 1
    return bytes(out[:size])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunked(data: bytes, piece: int = 100_000) -> bytes:
    out = bytearray()
    for i in range(0, len(data), piece):
        part = data[i:i + piece]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def head(path: str, length: int | None, extra: str = "") -> bytes:
    framing = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\n{framing}{extra}\r\n").encode()


def events(server) -> list[str]:
    return server.get("/events").json()["events"]


# --- reading the body as it arrives ---


@pytest.mark.parametrize("path", ["/sync/body", "/sync/stream", "/async/stream", "/async/body"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_large_body_reaches_the_handler_whole_and_in_order(server, path, framing):
    data = blob(5 * MiB + 123)
    with server.raw(timeout=30) as c:
        if framing == "length":
            c.send(head(path, len(data)) + data)
        else:
            c.send(head(path, None) + chunked(data))
        r = c.read_response()
        assert r.status == 200, r
        got = r.json()
        assert (got["size"], got["sha256"]) == (len(data), sha(data))
        # The connection stays usable: the body was read to its end.
        c.send(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_response().body == b"ok"


def test_the_stream_comes_in_several_pieces(server):
    data = blob(4 * MiB)
    r = server.post("/async/stream", data, timeout=30)
    assert r.json()["pieces"] > 1  # a 4 MiB body is not handed over in one piece
    r = server.post("/sync/stream", data, timeout=30)
    assert r.json()["pieces"] > 1


def test_the_handler_starts_before_the_body_has_arrived(server):
    """The client sends a fraction of the declared body and waits: the handler answers from the
    first piece, which is only possible if it runs while the body is arriving."""
    with server.raw(timeout=10) as c:
        c.send(head("/first", 64 * MiB) + blob(2 * MiB))
        r = c.read_response()
        assert r.status == 200, r
        assert 0 < r.json()["first"] <= 2 * MiB
        # The rest of the body was never read: this answer is the connection's last.
        assert r.headers.get("Connection") == "close"


def test_small_bodies_are_still_read_before_the_handler(server):
    data = blob(100_000)
    for path in ("/sync/body", "/async/body", "/async/stream", "/sync/stream"):
        r = server.post(path, data)
        assert (r.status, r.json()["sha256"]) == (200, sha(data)), (path, r)


@pytest.mark.parametrize("path", ["/sync/json", "/async/json"])
def test_large_json_bodies(server, path):
    doc = json.dumps([{"i": i, "name": "x" * 40} for i in range(60_000)]).encode()
    assert len(doc) > 2 * MiB
    r = server.post(path, doc, headers={"Content-Type": "application/json"}, timeout=30)
    assert (r.status, r.json()) == (200, {"items": 60_000}), r
    r = server.post(path, doc[:-1], headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status == 400, r  # bad JSON is still a 400


def test_an_async_handler_that_reads_a_large_body_synchronously_gets_a_clear_error(server):
    r = server.post("/async/sync-body", blob(3 * MiB), timeout=30)
    assert r.status == 500
    assert "body_async()" in r.text  # the message says what to use instead
    # The traceback reaches stderr as the answer goes: the reader of the pipe may be a moment behind.
    assert support.wait_until(lambda: "RuntimeError: request.body() on the engine thread (an async handler"
                              in server.stderr), server.stderr[-2000:]


# --- multipart uploads ---


def multipart_head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {length}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode()


def form_parts(file_data: bytes) -> tuple[bytes, bytes]:
    """The bytes before and after a file's content in a two-part form."""
    before = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nholiday\r\n'
              f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="a.bin"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n").encode()
    after = f"\r\n--{BOUNDARY}--\r\n".encode()
    return before, after


@pytest.mark.parametrize("path", ["/sync/form", "/async/form"])
def test_a_multipart_upload_is_parsed_as_it_arrives(server, path):
    data = blob(6 * MiB + 7, seed=3)
    before, after = form_parts(data)
    body = before + data + after
    with server.raw(timeout=30) as c:
        c.send(multipart_head(path, len(body)) + body)
        r = c.read_response()
    assert r.status == 200, r
    got = r.json()
    assert got["title"] == "holiday"
    assert got["photo"] == {"filename": "a.bin", "size": len(data), "sha256": sha(data), "in_memory": False}
    # The request is over: its temporary file is gone.
    assert support.wait_until(lambda: not any(server.tmp.iterdir()), timeout=10), list(server.tmp.iterdir())


@pytest.mark.parametrize("path", ["/sync/form", "/async/form"])
def test_a_malformed_streamed_multipart_body_is_a_400(server, path):
    data = blob(3 * MiB)
    before, _ = form_parts(data)
    body = before + data + b"\r\n--not-the-boundary--\r\n"
    r = server.request("POST", path, body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                       timeout=30)
    assert r.status == 400, r
    assert "no closing boundary" in r.json()["detail"]


def rss_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_an_upload_much_larger_than_memory_bound_keeps_the_server_small(server):
    """A 512 MiB file through request.form(): the server's peak resident memory grows by far
    less than the file (the bound of the issue is 64 MB for any size; benchmarked with 2 GB in
    bench/upload.py)."""
    size = 512 * MiB
    piece = blob(MiB, seed=9)
    before, after = form_parts(b"")
    pid = server.proc.pid
    small = before + blob(2 * MiB) + after  # warm up: the executor's thread and the upload path exist
    server.request("POST", "/sync/form", small, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from the resident size now
    rss_before = rss_kib(pid, "VmRSS")
    h = hashlib.sha256()
    with server.raw(timeout=60) as c:
        c.send(multipart_head("/sync/form", len(before) + size + len(after)) + before)
        for _ in range(size // MiB):
            c.send(piece)
            h.update(piece)
        c.send(after)
        r = c.read_response()
    assert r.status == 200, r
    photo = r.json()["photo"]
    assert (photo["size"], photo["sha256"]) == (size, h.hexdigest())
    growth_mib = (rss_kib(pid, "VmHWM") - rss_before) / 1024
    assert growth_mib < 64, f"peak RSS grew by {growth_mib:.1f} MiB for a {size // MiB} MiB upload"


# --- back-pressure, laziness, limits ---


def send_until_blocked(sock: socket.socket, piece: bytes, most: int, quiet: float = 1.0) -> int:
    """Sends `piece` repeatedly until `most` bytes are out or the socket accepts nothing for
    `quiet` seconds (the peer stopped reading); returns the bytes sent."""
    sock.setblocking(False)
    sent = 0
    last_progress = time.monotonic()
    view = memoryview(piece)
    offset = 0
    while sent < most:
        try:
            n = sock.send(view[offset:])
        except BlockingIOError:
            if time.monotonic() - last_progress > quiet:
                break
            time.sleep(0.01)
            continue
        sent += n
        offset = (offset + n) % len(piece)
        last_progress = time.monotonic()
    sock.setblocking(True)
    return sent


def repeated(piece: bytes, start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end of `piece` repeated without end, in pieces."""
    while start < end:
        offset = start % len(piece)
        part = piece[offset:offset + (end - start)]
        yield part
        start += len(part)


def test_a_handler_that_reads_slowly_slows_the_client_down(server):
    """The handler takes one piece and waits: the server reads no more than its window (plus
    what the kernel buffers), so the client's sends block long before the body is out."""
    size = 256 * MiB
    piece = blob(MiB, seed=5)
    with server.raw(timeout=30) as c:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)
        c.send(head("/slow", size))
        sent = send_until_blocked(c.sock, piece, size)
        assert sent < 64 * MiB, f"the server read {sent / MiB:.0f} MiB while its handler was not reading"
        assert "slow: waiting" in events(server)
        server.post("/open-gate", b"")
        # The rest goes now; the handler reads it all.
        for part in repeated(piece, sent, size):
            c.sock.sendall(part)
        r = c.read_response()
        assert r.status == 200, r
        h = hashlib.sha256()
        for part in repeated(piece, 0, size):
            h.update(part)
        assert r.json() == {"size": size, "sha256": h.hexdigest()}


def test_a_handler_that_never_reads_the_body_is_answered_without_it(server):
    """The seed's lazy body, true for the socket: a 1 GiB declared body, 1 MiB of it sent; the
    answer comes, and the connection closes instead of reading the rest."""
    with server.raw(timeout=10) as c:
        c.send(head("/ignore", 1024 * MiB) + blob(MiB))
        r = c.read_response()
        assert (r.status, r.json()) == (200, {"ignored": True})
        assert r.headers.get("Connection") == "close"
        # The server closes (after a moment of reading and dropping what still comes): the
        # client's further sends fail rather than be read for ever.
        with pytest.raises(OSError):
            for _ in range(2048):
                c.sock.sendall(blob(MiB))


def test_expect_100_continue_is_answered_only_when_the_handler_reads(server):
    with server.raw(timeout=10) as c:
        c.send(head("/ignore", 8 * MiB, "Expect: 100-continue\r\n"))
        r = c.read_response()
        assert (r.status, r.json()) == (200, {"ignored": True})  # no 100 first: the body is not wanted
    data = blob(8 * MiB)
    with server.raw(timeout=30) as c:
        c.send(head("/sync/body", len(data), "Expect: 100-continue\r\n"))
        r = c.read_response()
        assert r.status == 100, r
        c.send(data)
        r = c.read_response()
        assert (r.status, r.json()["sha256"]) == (200, sha(data))


def test_a_chunked_body_over_the_limit_is_refused_as_soon_as_it_exceeds_it(tmp_path):
    """max_body_size 4 MiB: a chunked body is refused with 413 once it passes 4 MiB, while the
    client is still sending (it never sends the end)."""
    app = tmp_path / "limit_app.py"
    app.write_text(support.APPS.joinpath("stream_body_app.py").read_text().replace(
        "app.run(max_body_size=2 * 1024 ** 3, body_timeout=2)", "app.run(max_body_size=4 * 1024 * 1024)"))
    with support.running(str(app), "--no-logs", via="python") as s:
        for path in ("/sync/body", "/async/stream"):
            with s.raw(timeout=10) as c:
                c.send(head(path, None))
                piece = blob(MiB)
                for _ in range(5):
                    c.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                r = c.read_response()
                assert r.status == 413, r
                assert r.headers.get("Connection") == "close"
            # A declared length over the limit: 413 before any of the body.
            with s.raw(timeout=10) as c:
                c.send(head(path, 5 * MiB))
                assert c.read_response().status == 413
        assert s.get("/ok").body == b"ok"


def test_a_body_that_stops_arriving_is_a_408_for_the_handler_waiting_for_it(server):
    with server.raw(timeout=15) as c:
        c.send(head("/wait-body", 8 * MiB) + blob(2 * MiB))
        r = c.read_response()  # body_timeout is 2 s in this app
        assert r.status == 408, r
    assert "wait-body: HTTPError 408" in events(server)


@pytest.mark.parametrize("path, event", [("/vanish/async", "async: cancelled"),
                                         ("/vanish/sync", "sync: HTTPError 499")])
def test_a_client_that_vanishes_mid_body_stops_the_handler(server, path, event):
    with server.raw(timeout=10) as c:
        c.send(head(path, 64 * MiB) + blob(2 * MiB))
        time.sleep(0.2)
    assert support.wait_until(lambda: event in events(server), timeout=10), events(server)


def test_a_sync_handler_reading_a_large_body_does_not_hold_up_other_requests(server):
    """While a sync handler waits (in its thread) for a body that arrives slowly, the engine
    thread answers others."""
    with server.raw(timeout=15) as c:
        c.send(head("/sync/body", 4 * MiB) + blob(2 * MiB))
        for _ in range(5):
            assert server.get("/ok", timeout=5).body == b"ok"
        rest = blob(4 * MiB)[2 * MiB:]
        c.send(rest)
        r = c.read_response()
        assert (r.status, r.json()["sha256"]) == (200, sha(blob(2 * MiB) + rest))


def test_the_temporary_files_of_every_test_are_gone(server):
    assert support.wait_until(lambda: not any(server.tmp.iterdir()), timeout=10), list(server.tmp.iterdir())
    assert os.path.isdir(server.tmp)


def test_the_test_client_sends_large_bodies_through_the_same_path():
    """TestClient serves on the real engine: a large upload reaches stream(), body_async() and a
    sync handler's form() as it does in production."""
    from cello import App
    from cello.testing import TestClient

    app = App()

    @app.post("/count")
    async def count(request):
        n = 0
        async for chunk in request.stream():
            n += len(chunk)
        return {"n": n, "streamed": request._body_stream is not None}

    @app.post("/upload")
    def upload_form(request):
        f = request.form()["f"]
        return {"size": f.size, "sha256": sha(f.read())}

    data = blob(3 * MiB, seed=11)
    with TestClient(app) as client:
        assert client.post("/count", content=data).json() == {"n": len(data), "streamed": True}
        r = client.post("/upload", files={"f": ("x.bin", data, "application/octet-stream")})
        assert r.json() == {"size": len(data), "sha256": sha(data)}
        assert client.post("/count", content=b"small").json() == {"n": 5, "streamed": False}
