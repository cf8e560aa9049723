"""HTTP/2 (docs/http2.md) with real clients: curl (--http2-prior-knowledge, --http2 over TLS), Debian's
nghttp2-client (nghttp, h2load), python3-httpx over python3-h2, and python3-h2 driving raw frames
for what well-behaved clients never send. The same app also answers HTTP/1.1 on the same port.
"""
from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import support

import h2.config  # python3-h2
import h2.connection
import h2.events
import h2.settings
import httpx  # python3-httpx


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("h2certs")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return d


@pytest.fixture(scope="module")
def h2c() -> Iterator[support.Server]:
    with support.running("http2_app.py", "--no-logs") as s:
        yield s


@pytest.fixture(scope="module")
def h2s(certs) -> Iterator[support.Server]:
    with support.running("http2_app.py", "--no-logs", "--tls-cert", str(certs / "cert.pem"),
                         "--tls-key", str(certs / "key.pem")) as s:
        yield s


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=60)


def still_serving(server: support.Server) -> None:
    assert server.get("/ok").body == b"ok", server.stderr[-3000:]  # HTTP/1.1 on the same port
    done = curl("--http2-prior-knowledge", f"http://127.0.0.1:{server.port}/ok")
    assert done.stdout == "ok", done


# --- clients ---


def test_curl_h2c_prior_knowledge_and_http1_on_the_same_port(h2c):
    done = curl("--http2-prior-knowledge", "-H", "Cookie: a=1", "-H", "Cookie: b=2", "-w", "\n%{http_version}",
                f"http://127.0.0.1:{h2c.port}/")
    body, _, version = done.stdout.rpartition("\n")
    assert version == "2", done
    seen = json.loads(body)
    assert seen["host"] == f"127.0.0.1:{h2c.port}"  # :authority is the Host
    assert seen["cookie"] == "a=1; b=2"  # the cookie fields are one again
    assert seen["scheme"] == "http"
    assert h2c.get("/ok").body == b"ok"


def test_curl_over_tls_chooses_h2_by_alpn(h2s, certs):
    done = curl("--http2", "--cacert", str(certs / "cert.pem"), "-w", "\n%{http_version}", f"https://localhost:{h2s.port}/")
    body, _, version = done.stdout.rpartition("\n")
    assert version == "2", done
    assert json.loads(body)["alpn"] == "h2"
    done = curl("--http1.1", "--cacert", str(certs / "cert.pem"), "-w", "\n%{http_version}", f"https://localhost:{h2s.port}/")
    body, _, version = done.stdout.rpartition("\n")
    assert version == "1.1" and json.loads(body)["alpn"] == "http/1.1"


def test_nghttp_sees_the_settings_and_the_answers(h2c):
    done = subprocess.run(["nghttp", "-v", "-n", f"http://127.0.0.1:{h2c.port}/async", f"http://127.0.0.1:{h2c.port}/stream"],
                          capture_output=True, text=True, timeout=60)
    out = done.stdout
    assert "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]" in out, out
    assert "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576]" in out, out
    assert "[SETTINGS_ENABLE_PUSH(0x02):0]" in out, out
    assert out.count(":status: 200") == 2, out


def test_h2load_many_streams_on_few_connections(h2c, h2s):
    for url in (f"http://127.0.0.1:{h2c.port}/ok", f"https://127.0.0.1:{h2s.port}/async"):
        done = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "20", url], capture_output=True, text=True,
                              timeout=120)
        assert "2000 succeeded, 0 failed, 0 errored" in done.stdout, done.stdout
        assert "status codes: 2000 2xx" in done.stdout, done.stdout


def test_httpx_bodies_streams_events_large_answers_and_errors(h2s, certs):
    with httpx.Client(http2=True, verify=str(certs / "cert.pem"), base_url=f"https://localhost:{h2s.port}",
                      timeout=30) as client:
        r = client.post("/echo", content=b"x" * 2_000_000)  # past the window: flow control both ways
        assert r.http_version == "HTTP/2" and r.json() == {"size": 2_000_000, "head": "x" * 16}
        r = client.get("/big")
        assert r.status_code == 200 and len(r.content) == 3 * 1024 * 1024
        assert r.headers["content-length"] == str(3 * 1024 * 1024)
        assert client.get("/stream").text == "".join(f"part {i}\n" for i in range(5))
        r = client.get("/events")
        assert r.headers["content-type"].startswith("text/event-stream")
        assert [line for line in r.text.splitlines() if line.startswith("data:")] == [f"data: tick {i}" for i in range(3)]
        r = client.get("/boom")
        assert r.status_code == 500 and "handler failed on purpose" in r.text
        assert client.get("/nowhere").status_code == 404
        r = client.head("/big")
        assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == str(3 * 1024 * 1024)


def test_concurrent_streams_are_answered_as_each_is_ready(h2c):
    # One connection: a slow request does not hold back a quick one behind it.
    conn, sock = open_h2(h2c.port)
    slow = send_request(conn, sock, "/wait/300")
    quick = send_request(conn, sock, "/ok")
    order: list[int] = []
    deadline = time.monotonic() + 30
    while len(order) < 2 and time.monotonic() < deadline:
        for event in receive(conn, sock):
            if isinstance(event, h2.events.StreamEnded):
                order.append(event.stream_id)
    assert order == [quick, slow]
    sock.close()


# --- raw frames ---


def open_h2(port: int, settings: dict | None = None) -> tuple[h2.connection.H2Connection, socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    if settings:
        conn.update_settings(settings)
    sock.sendall(conn.data_to_send())
    return conn, sock


def send_request(conn, sock, path: str, end_stream: bool = True) -> int:
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "x")],
                      end_stream=end_stream)
    sock.sendall(conn.data_to_send())
    return stream_id


def receive(conn, sock) -> list:
    try:
        data = sock.recv(65536)
    except socket.timeout:
        return []
    if not data:
        return [None]
    events = conn.receive_data(data)
    out = conn.data_to_send()
    if out:
        try:
            sock.sendall(out)
        except OSError:
            pass
    return events


def test_the_header_list_limit_answers_431_and_the_connection_goes_on(h2c):
    conn, sock = open_h2(h2c.port)
    big = send_request_with(conn, sock, [("x-big", "v" * 20_000)])
    normal = send_request(conn, sock, "/ok")
    statuses = {}
    deadline = time.monotonic() + 30
    while len(statuses) < 2 and time.monotonic() < deadline:
        for event in receive(conn, sock):
            if isinstance(event, h2.events.ResponseReceived):
                statuses[event.stream_id] = dict(event.headers)[":status"]
    assert statuses == {big: "431", normal: "200"}
    sock.close()
    still_serving(h2c)


def send_request_with(conn, sock, extra: list[tuple[str, str]]) -> int:
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, [(":method", "GET"), (":path", "/ok"), (":scheme", "http"), (":authority", "x"), *extra],
                      end_stream=True)
    sock.sendall(conn.data_to_send())
    return stream_id


def test_garbage_after_the_preface_ends_with_goaway(h2c):
    with socket.create_connection(("127.0.0.1", h2c.port), timeout=10) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x04\x99\x00\x00\x00\x00\x00garbage-not-a-frame" * 4)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
        except OSError:
            pass
        assert b"\x07" in got[:200] or got == b""  # a GOAWAY frame (type 7), or the connection just closed
    still_serving(h2c)


# --- what a public server meets (each bounded; the server serves others meanwhile) ---


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream_id.to_bytes(4, "big") + payload


def goaway_code(data: bytes) -> int | None:
    """The error code of the first GOAWAY frame in `data` (a server's bytes), if any."""
    at = 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        if data[at + 3] == 7 and at + 9 + 8 <= len(data):
            return int.from_bytes(data[at + 9 + 4:at + 9 + 8], "big")
        at += 9 + length
    return None


def read_until_closed(sock: socket.socket, timeout: float = 30) -> tuple[bytes, bool]:
    """What the server sends until it closes (True) or `timeout` passes (False)."""
    sock.settimeout(1)
    got, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return got, True
        if not chunk:
            return got, True
        got += chunk
    return got, False


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)  # and an empty SETTINGS


def test_rapid_reset_is_answered_with_goaway(h2c):
    conn, sock = open_h2(h2c.port)
    for batch in range(40):  # 4000 streams opened and reset at once (CVE-2023-44487)
        for _ in range(100):
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(stream_id, [(":method", "GET"), (":path", "/wait/50"), (":scheme", "http"),
                                          (":authority", "x")], end_stream=True)
            conn.reset_stream(stream_id)
        try:
            sock.sendall(conn.data_to_send())
        except OSError:
            break
    got, closed = read_until_closed(sock)
    sock.close()
    assert closed and goaway_code(got) in (2, 11), got[-200:]  # INTERNAL_ERROR (nghttp2's) or ENHANCE_YOUR_CALM
    still_serving(h2c)


def test_continuation_flood_is_answered_with_goaway(h2c):
    with socket.create_connection(("127.0.0.1", h2c.port), timeout=10) as sock:
        headers = bytes([0x82, 0x86, 0x84]) + b"\x41\x01x"  # :method GET, :scheme http, :path /, :authority x
        sock.sendall(PREFACE + frame(1, 0, 1, headers))  # HEADERS without END_HEADERS...
        try:
            for _ in range(20):
                sock.sendall(frame(9, 0, 1) * 500)  # ...then CONTINUATION frames that never end it
        except OSError:
            pass
        got, closed = read_until_closed(sock)
    assert closed and goaway_code(got) == 11, got[-200:]  # ENHANCE_YOUR_CALM
    still_serving(h2c)


def test_hpack_bomb_is_refused_with_431(h2c):
    conn, sock = open_h2(h2c.port)
    stream_id = conn.get_next_available_stream_id()
    # One 4000-byte field in the dynamic table, then referenced 5000 times: ~20 MB once decoded.
    conn.send_headers(stream_id, [(":method", "GET"), (":path", "/ok"), (":scheme", "http"), (":authority", "x"),
                                  *[("x-bomb", "a" * 4000)] * 5000], end_stream=True)
    sent = conn.data_to_send()
    assert len(sent) < 40_000  # what the client sent is small
    sock.sendall(sent)
    status = None
    deadline = time.monotonic() + 30
    while status is None and time.monotonic() < deadline:
        for event in receive(conn, sock):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers)[":status"]
    sock.close()
    assert status == "431"
    still_serving(h2c)


@pytest.mark.parametrize("flood", ["ping", "settings"])
def test_control_frame_floods_close_the_connection(h2c, flood):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # and it never reads: the acks pile up
    sock.settimeout(10)
    sock.connect(("127.0.0.1", h2c.port))
    one = frame(6, 0, 0, b"12345678") if flood == "ping" else frame(4, 0, 0, b"\x00\x04\x00\x01\x00\x00")
    sock.sendall(PREFACE)
    refused = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            sock.sendall(one * 10_000)
        except OSError:  # the server closed: a reset, or a write that cannot go on
            refused = True
            break
    if not refused:  # everything sent: the server must have closed by now
        _, refused = read_until_closed(sock, timeout=30)
    sock.close()
    assert refused
    still_serving(h2c)


def test_zero_window_stall_ends_after_the_write_timeout():
    with support.running("http2_app.py", "--no-logs", via="python", env={"WRITE_TIMEOUT": "2"}) as s:
        conn, sock = open_h2(s.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        send_request(conn, sock, "/big")  # 3 MiB that cannot flow: the client never opens its window
        start = time.monotonic()
        got, closed = read_until_closed(sock, timeout=30)
        sock.close()
        assert closed and 1.5 < time.monotonic() - start < 20
        assert goaway_code(got) == 0
        still_serving(s)


def frames(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(type, flags, stream, payload) of each whole frame in `data`."""
    out, at = [], 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        if at + 9 + length > len(data):
            break
        out.append((data[at + 3], data[at + 4], int.from_bytes(data[at + 5:at + 9], "big") & 0x7FFFFFFF,
                    data[at + 9:at + 9 + length]))
        at += 9 + length
    return out


def test_a_graceful_stop_sends_goaway_and_finishes_open_streams():
    server = support.start_server("http2_app.py", "--no-logs", via="python")
    try:
        conn, sock = open_h2(server.port)
        slow = send_request(conn, sock, "/wait/1500")
        time.sleep(0.3)  # the request is being handled
        server.signal(__import__("signal").SIGTERM)
        got, closed = read_until_closed(sock)  # raw: python3-h2 stops at a GOAWAY, HTTP/2 does not
        sock.close()
        seen = frames(got)
        goaways = [int.from_bytes(p[4:8], "big") for kind, _, _, p in seen if kind == 7]
        assert goaways and goaways[0] == 0, seen  # NO_ERROR
        last_stream = int.from_bytes([p for kind, _, _, p in seen if kind == 7][0][:4], "big") & 0x7FFFFFFF
        assert last_stream >= slow  # the open stream is one the server will finish
        assert any(kind == 0 and flags & 1 and stream == slow for kind, flags, stream, _ in seen), seen
        assert b'{"waited":1500}' in got
        assert closed
        assert server.wait(30) == 0
    finally:
        server.kill()


def test_the_inspector_records_http2(certs):
    env = {"CELLO_INSPECT_TOKEN": "t" * 32}
    with support.running("http2_app.py", "--no-logs", "--inspect=127.0.0.1:0", env=env) as s:
        import re

        m = re.search(r"inspector on http://([\d.]+):(\d+)/inspect/v1", s.stderr)
        assert m, s.stderr
        assert curl("--http2-prior-knowledge", f"http://127.0.0.1:{s.port}/ok").stdout == "ok"

        def rows():
            reply = support.request(int(m.group(2)), "GET", "/inspect/v1/snapshot", host=m.group(1),
                                    headers={"Authorization": "Bearer " + "t" * 32})
            return [r for r in reply.json()["requests"] if r["path"] == "/ok"]
        seen = support.wait_until(rows)
        assert seen and seen[0]["protocol"] == "HTTP/2" and seen[0]["tls"] is None


# --- request bodies larger than what is kept whole ---


def test_a_large_body_reaches_the_handler_as_it_arrives(h2s, certs):
    with httpx.Client(http2=True, verify=str(certs / "cert.pem"), base_url=f"https://localhost:{h2s.port}",
                      timeout=60) as client:
        body = b"y" * (8 * 1024 * 1024)  # 8 MiB: past body_buffer_size (1 MiB) and the 1 MiB window
        r = client.post("/upload", content=body)
        assert r.http_version == "HTTP/2" and r.status_code == 200
        seen = r.json()
        assert seen["size"] == len(body) and seen["chunks"] > 1, seen
        def chunks():  # no content-length: dispatched once it grows past 1 MiB
            for _ in range(40):
                yield b"z" * 100_000
        r = client.post("/upload", content=chunks())
        assert r.json()["size"] == 4_000_000
        assert client.get("/ok").text == "ok"  # the connection goes on


def test_an_answer_before_the_bodys_end_resets_the_upload(h2c):
    # (httpx gives up on the reset; RFC 9113 8.1 says a client keeps the answer: raw frames here.)
    conn, sock = open_h2(h2c.port)
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, [(":method", "POST"), (":path", "/early"), (":scheme", "http"), (":authority", "x"),
                                  ("content-length", str(8 * 1024 * 1024))])
    for _ in range(4):
        conn.send_data(stream_id, b"w" * 16_000)
    sock.sendall(conn.data_to_send())
    status, body, reset = None, b"", None
    deadline = time.monotonic() + 30
    while reset is None and time.monotonic() < deadline:
        for event in receive(conn, sock):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers)[":status"]
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
            elif isinstance(event, h2.events.StreamReset):
                reset = event.error_code
    sock.close()
    assert status == "200" and json.loads(body) == {"ignored": True}
    assert reset == 0  # RST_STREAM(NO_ERROR): the rest of the upload is not wanted
    still_serving(h2c)


def test_bodies_kept_whole_are_bounded_per_connection(h2c):
    # Eight 900 KiB uploads at once on one connection: each alone would be kept whole (under
    # body_buffer_size, 1 MiB), but a connection keeps at most 4 MiB of such bodies: the later
    # ones reach their handler as they arrive (more than one chunk), paced by its reading.
    size, n = 900 * 1024, 8
    conn, sock = open_h2(h2c.port)
    streams = {}
    for _ in range(n):
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(stream_id, [(":method", "POST"), (":path", "/upload"), (":scheme", "http"),
                                      (":authority", "x"), ("content-length", str(size))])
        streams[stream_id] = 0  # bytes sent
    sock.sendall(conn.data_to_send())
    answers: dict[int, bytes] = {}
    ended: set[int] = set()
    deadline = time.monotonic() + 60
    while len(ended) < n and time.monotonic() < deadline:
        for stream_id, sent in streams.items():  # as much as the windows allow, round robin
            room = min(conn.local_flow_control_window(stream_id), size - sent, 16_384)
            if room > 0:
                conn.send_data(stream_id, b"u" * room, end_stream=sent + room == size)
                streams[stream_id] = sent + room
        sock.sendall(conn.data_to_send())
        sock.settimeout(0.05)
        for event in receive(conn, sock):
            if isinstance(event, h2.events.DataReceived):
                answers[event.stream_id] = answers.get(event.stream_id, b"") + event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
    sock.close()
    seen = [json.loads(answers[s]) for s in sorted(streams)]
    assert [a["size"] for a in seen] == [size] * n, seen
    assert any(a["chunks"] > 1 for a in seen), seen  # some were streamed: the bound held
    still_serving(h2c)


# --- cello bench --http2 ---


def bench(*args: str) -> dict:
    done = support.run_cli("bench", *args, "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cello_bench_http2_over_h2c_and_tls(certs):
    env = {"CELLO_INSPECT_TOKEN": "t" * 32}
    with support.running("http2_app.py", "--no-logs", "--inspect=127.0.0.1:0", "--tls-cert", str(certs / "cert.pem"),
                         "--tls-key", str(certs / "key.pem"), env=env) as tls, \
            support.running("http2_app.py", "--no-logs") as plain:
        for url in (f"http://127.0.0.1:{plain.port}/ok", f"https://localhost:{tls.port}/ok"):
            # 20 connections (over TLS their handshakes end one by one, and each server speaks first),
            # 3 s with a 1.5 s timeout: a connection that stopped reading before the run would time out.
            report = bench(url, "--http2", "-c", "20", "--pipeline", "4", "-d", "3s", "--timeout", "1500ms")
            assert report["protocol"] == "http2" and report["pipeline"] == 4
            assert report["requests"] > 20 and report["errors"]["total"] == 0, report["errors"]
            assert report["status"]["2xx"] == report["requests"]
        import re

        m = re.search(r"inspector on http://([\d.]+):(\d+)/inspect/v1", tls.stderr)
        assert m, tls.stderr
        reply = support.request(int(m.group(2)), "GET", "/inspect/v1/snapshot", host=m.group(1),
                                headers={"Authorization": "Bearer " + "t" * 32})
        rows = [(r["protocol"], r["tls"]) for r in reply.json()["requests"] if r["path"] == "/ok"]
        assert rows and set(rows) == {("HTTP/2", "TLSv1.3")}, rows[:5]


def test_cello_bench_http2_keeps_streams_in_flight_at_once(h2c):
    # One connection, 8 streams, each answered after 400 ms: one stream at a time could finish at
    # most 2 in a second; at least the first 8 together prove the streams run side by side.
    report = bench(f"http://127.0.0.1:{h2c.port}/wait/400", "--http2", "-c", "1", "--pipeline", "8", "-d", "1s")
    assert report["requests"] >= 8 and report["errors"]["total"] == 0, report
    assert report["latency_us"]["p50"] >= 400_000


def test_cello_bench_http2_bodies_mixes_and_statuses(h2s, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"b" * 70_000)  # several DATA frames (16 KiB each) per request
    report = bench(f"https://localhost:{h2s.port}/", "--http2", "-m", "POST", "--body", f"@{body}",
                   "--path", "/size/70000:2", "--path", "/size/1", "-c", "2", "--pipeline", "4", "-d", "1s")
    assert report["errors"]["connect"] == report["errors"]["read"] == report["errors"]["write"] == 0, report["errors"]
    ok, wrong = (p["requests"] for p in report["paths"])
    assert report["status"]["2xx"] == ok > 0 and report["status"]["4xx"] == wrong > 0  # every whole body arrived whole


def test_cello_bench_http2_says_when_the_server_offers_no_h2(certs):
    with support.running("http2_app.py", "--no-logs", "--no-http2", "--tls-cert", str(certs / "cert.pem"),
                         "--tls-key", str(certs / "key.pem")) as s:
        done = support.run_cli("bench", f"https://localhost:{s.port}/ok", "--http2", "-d", "1s", timeout=60)
        assert done.returncode == 1
        assert "does not speak HTTP/2 over TLS (ALPN chose nothing)" in done.stderr, done.stderr


class GoawayServer:
    """An HTTP/2 server (python3-h2) that, like nginx at keepalive_requests, answers a few requests
    per connection, then says GOAWAY (the streams it has not answered refused) and closes."""

    def __init__(self, per_connection: int) -> None:
        self.per_connection = per_connection
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.answered = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve_one, args=(sock,), daemon=True).start()

    def serve_one(self, sock: socket.socket) -> None:
        with sock:
            try:
                self.answer(sock)
            except OSError:  # the client closed first (it may, once it has read the GOAWAY)
                pass

    def answer(self, sock: socket.socket) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        answered = 0
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", "2")])
                    conn.send_data(event.stream_id, b"ok", end_stream=True)
                    answered += 1
                    self.answered += 1
                    if answered == self.per_connection:
                        conn.close_connection(last_stream_id=event.stream_id)
                        sock.sendall(conn.data_to_send())
                        # A lingering close: unread requests must not turn the close into a reset
                        # that could discard the GOAWAY before the client reads it.
                        sock.shutdown(socket.SHUT_WR)
                        sock.settimeout(10)
                        while sock.recv(65536):
                            pass
                        return
            sock.sendall(conn.data_to_send())

    def close(self) -> None:
        self.listener.close()


def test_cello_bench_http2_reconnects_after_goaway():
    server = GoawayServer(per_connection=25)
    try:
        report = bench(f"http://127.0.0.1:{server.port}/", "--http2", "-c", "2", "--pipeline", "4", "-d", "1s")
        assert report["errors"]["total"] == 0, report["errors"]
        assert report["requests"] > 100 and server.connections > 4  # many connections, each ended by GOAWAY
        assert report["requests"] <= server.answered
    finally:
        server.close()
