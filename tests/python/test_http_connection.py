"""The HTTP/1.1 connection layer over raw sockets: keep-alive, pipelining, HTTP/1.0, close, 100-continue."""
from __future__ import annotations

import socket
import time

import support

def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def test_keep_alive_serves_several_requests_on_one_connection(hello_server):
    with hello_server.raw() as conn:
        for n in range(1, 8):
            conn.send(get(f"/n/{n}"))
            r = conn.read_response()
            assert r.status == 200, r
            assert r.json() == {"n": n, "square": n * n}
            assert (r.headers.get("Connection") or "").lower() != "close"
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        assert conn.read_response().body == b"hello"
        assert conn.is_open()


def test_pipelining_three_requests_in_one_write(hello_server):
    with hello_server.raw() as conn:
        conn.send(get("/n/1") + get("/n/2") + get("/n/3"))
        replies = [conn.read_response() for _ in range(3)]
    assert [r.status for r in replies] == [200, 200, 200]
    assert [r.json()["n"] for r in replies] == [1, 2, 3]


def test_pipelining_mixed_methods_and_bodies(hello_server):
    batch = (get("/n/4")
             + b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
             + b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
             + get("/nope")
             + b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
             + get("/n/5"))
    with hello_server.raw() as conn:
        conn.send(batch)
        r1 = conn.read_response()
        r2 = conn.read_response()
        r3 = conn.read_response(head=True)
        r4 = conn.read_response()
        r5 = conn.read_response()
        r6 = conn.read_response()
    assert r1.json()["n"] == 4
    assert r2.body == b"abc"
    assert r3.status == 200 and r3.headers["Content-Length"] == "5"
    assert r4.status == 404
    assert r5.body == b"xy"
    assert r6.json()["n"] == 5


def test_pipelining_split_across_writes(hello_server):
    data = get("/n/6") + get("/n/7")
    with hello_server.raw() as conn:
        for i in range(0, len(data), 7):
            conn.send(data[i:i + 7])
            time.sleep(0.002)
        assert conn.read_response().json()["n"] == 6
        assert conn.read_response().json()["n"] == 7


def test_http_1_0_closes_after_response(hello_server):
    with hello_server.raw() as conn:
        conn.send(b"GET /n/9 HTTP/1.0\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200, r
        assert r.version in ("HTTP/1.0", "HTTP/1.1")
        assert r.json() == {"n": 9, "square": 81}
        assert conn.closed_by_peer(3), "HTTP/1.0 request without keep-alive: server must close"


def test_http_1_0_keep_alive_is_honoured_or_closed_cleanly(hello_server):
    with hello_server.raw() as conn:
        conn.send(b"GET /n/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200
        if (r.headers.get("Connection") or "").lower() == "keep-alive":
            conn.send(b"GET /n/3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert conn.read_response().json()["n"] == 3
        else:
            assert conn.closed_by_peer(3)


def test_connection_close(hello_server):
    with hello_server.raw() as conn:
        conn.send(get("/n/3", "Connection: close\r\n"))
        r = conn.read_response()
        assert r.status == 200
        assert r.json()["n"] == 3
        assert (r.headers.get("Connection") or "").lower() == "close", r
        assert conn.closed_by_peer(3), "server must close after Connection: close"


def test_connection_close_in_pipeline_drops_the_rest(hello_server):
    with hello_server.raw() as conn:
        conn.send(get("/n/1", "Connection: close\r\n") + get("/n/2"))
        assert conn.read_response().json()["n"] == 1
        assert conn.closed_by_peer(3)
        assert conn.buf == b""


def test_expect_100_continue(hello_server):
    with hello_server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        conn.sock.settimeout(2)
        try:
            interim = conn.read_response()
        except TimeoutError:
            raise AssertionError("no '100 Continue' (nor a final response) within 2 s of a request with "
                                 "'Expect: 100-continue' while the client waits for it") from None
        assert interim.status == 100, interim
        conn.send(b"hello world")
        r = conn.read_response()
        assert r.status == 200, r
        assert r.body == b"hello world"
        conn.send(get("/n/2"))
        assert conn.read_response().json()["n"] == 2


def test_body_sent_without_waiting_for_100(hello_server):
    with hello_server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok")
        r = conn.read_response()
        if r.status == 100:
            r = conn.read_response()
        assert r.status == 200 and r.body == b"ok"


def test_large_body_and_response(hello_server):
    payload = bytes(range(256)) * 4096  # 1 MiB
    r = hello_server.post("/echo", payload)
    assert r.status == 200
    assert r.body == payload


def test_response_has_date_and_content_length(hello_server):
    r = hello_server.get("/n/1")
    assert r.headers.get("Date"), r
    assert r.headers["Content-Length"] == str(len(r.body))


def test_many_sequential_connections(hello_server):
    for n in range(50):
        with socket.create_connection(("127.0.0.1", hello_server.port), timeout=5) as s:
            s.sendall(get(f"/n/{n}", "Connection: close\r\n"))
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 "), data
        assert f'"n":{n},'.encode() in data


def test_absolute_form_target(hello_server):
    with hello_server.raw() as conn:
        conn.send(f"GET http://127.0.0.1:{hello_server.port}/n/8 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        r = conn.read_response()
    assert r.status == 200, r
    assert r.json()["n"] == 8


def test_a_client_that_pipelines_without_reading_is_held_back(start_server):
    # The connection reads ahead of its answers, but only so far: a client that sends request
    # after request and never reads the answers fills the socket buffers and stalls, while the
    # server's memory stays put (it stops reading once its queue and output are full).
    server = start_server("basic_app.py", "--no-logs")
    before = support.rss_kib(server.proc.pid)
    request = get("/n/7")
    sent = 0
    with socket.create_connection((server.host, server.port), timeout=support.WAIT) as s:
        s.setblocking(False)
        blocked_since = None
        chunk = request * 1000
        deadline = time.monotonic() + support.WAIT
        while time.monotonic() < deadline:
            try:
                sent += s.send(chunk)
                blocked_since = None
            except BlockingIOError:
                blocked_since = blocked_since or time.monotonic()
                if time.monotonic() - blocked_since > 1.0:
                    break  # stalled: nothing more goes in
                time.sleep(0.05)
        assert blocked_since is not None, f"never stalled after {sent} bytes"
        grown = support.rss_kib(server.proc.pid) - before
        # The answers are there, in order, for what was sent.
        s.setblocking(True)
        reader = s.makefile("rb")
        for _ in range(50):
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert reader.read(length) == b'{"n":7,"square":49}'
    print(f"sent {sent / 1e6:.1f} MB of requests before stalling; server RSS grew {grown} KiB")
    assert grown < 16 * 1024, f"the server's RSS grew {grown} KiB while the client did not read"
