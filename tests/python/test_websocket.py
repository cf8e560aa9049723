"""WebSocket routes (docs/websocket.md) against Debian's python3-websockets client and, for what a
well-behaved client never sends, raw frames over a socket: echo of text and binary, routes,
params, query, headers, cookies and blueprints, subprotocols, refusals before accept (403),
permessage-deflate, ping/pong, fragmented messages with a ping between the fragments, invalid
UTF-8 (1007), oversized messages (1009), the idle timeout, back-pressure on a client that does not
read, close codes and reasons both ways, a client vanishing mid-message, handler errors (500 or
1011), a plain GET (426), and the server going away (1001). The server serves on after each.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from collections.abc import Iterator

import pytest

import support

import websockets  # python3-websockets (tools/dev.sh installs it)
from websockets.exceptions import ConnectionClosed, InvalidStatusCode  # noqa: E402


@pytest.fixture(scope="module")
def server() -> Iterator[support.Server]:
    with support.running("websocket_app.py", "--no-logs", via="python") as s:
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/ok")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}\n{server.stderr[-3000:]}"


def url(server, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def events(server) -> list[str]:
    return server.get("/events").json()["events"]


# --- with a real client ---


def test_echo_of_text_and_binary_messages(server):
    async def go():
        async with websockets.connect(url(server, "/echo")) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            await ws.send(b"\x00\xffbinary")
            assert await ws.recv() == b"\x00\xffbinary"
            big = "é" * 300_000
            await ws.send(big)
            assert await ws.recv() == big
            for i in range(50):
                await ws.send(f"m{i}")
            assert [await ws.recv() for _ in range(50)] == [f"m{i}" for i in range(50)]
    run(go())
    assert support.wait_until(lambda: "echo: closed normally" in events(server))


def test_params_query_headers_cookies_subprotocol_and_close_reason(server):
    async def go():
        async with websockets.connect(url(server, "/rooms/lobby?q=1"), subprotocols=["chat.v1", "chat.v2"],
                                      extra_headers={"X-Test": "yes", "Cookie": "session=abc"}) as ws:
            assert ws.subprotocol == "chat.v2"
            assert json.loads(await ws.recv()) == {"room": "lobby", "q": "1", "ua": "yes", "cookie": "abc",
                                                   "subprotocol": "chat.v2"}
            await ws.send(json.dumps({"name": "ann"}))
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "bye ann")
    run(go())


def test_a_blueprint_route_with_a_typed_parameter(server):
    async def go():
        async with websockets.connect(url(server, "/bp/ws/42")) as ws:
            assert json.loads(await ws.recv()) == {"id": 42}
    run(go())


@pytest.mark.parametrize("path, status", [("/refuse", 403), ("/forget", 403), ("/fail-before", 500)])
def test_a_refused_upgrade_is_an_http_answer(server, path, status):
    async def go():
        with pytest.raises(InvalidStatusCode) as refused:
            async with websockets.connect(url(server, path)):
                pass
        assert refused.value.status_code == status
    run(go())
    if path == "/fail-before":
        assert "ValueError: before accept" in server.stderr


def test_a_handler_error_after_accept_closes_with_1011(server):
    async def go():
        async with websockets.connect(url(server, "/fail-after")) as ws:
            await ws.send("boom")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd.code == 1011
    run(go())
    assert "ValueError: after accept" in server.stderr


def test_a_cancelled_receive_loses_no_message_and_receivers_take_turns(server):
    async def go():
        async with websockets.connect(url(server, "/patient")) as ws:
            await asyncio.sleep(0.6)  # the handler's first receive times out meanwhile
            await ws.send("kept")
            assert await ws.recv() == "kept"
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd.code == 1000
            assert closed.value.rcvd.reason == "é" * 61  # cut to 123 bytes, on a character's boundary
    run(go())
    got = events(server)
    assert "patient: timed out" in got
    assert "patient: another task is receiving on this WebSocket" in got
    assert any("1006 is not a close code" in e for e in got)


def test_guards_refuse_the_upgrade(server):
    async def go():
        with pytest.raises(InvalidStatusCode) as refused:
            async with websockets.connect(url(server, "/members")):
                pass
        assert refused.value.status_code == 403
        async with websockets.connect(url(server, "/members"), extra_headers={"X-Member": "yes"}) as ws:
            assert await ws.recv() == "welcome"
    run(go())


def test_a_plain_get_is_told_to_upgrade(server):
    r = server.get("/echo")
    assert r.status == 426
    assert r.headers.get("Upgrade") == "websocket"


def test_permessage_deflate_is_negotiated_and_used(server):
    async def go():
        async with websockets.connect(url(server, "/echo")) as ws:
            assert [e.name for e in ws.extensions] == ["permessage-deflate"]
            text = "compressible " * 10_000
            await ws.send(text)
            assert await ws.recv() == text
        async with websockets.connect(url(server, "/echo"), compression=None) as ws:
            assert ws.extensions == []
            await ws.send("plain")
            assert await ws.recv() == "plain"
    run(go())


def test_pings_are_answered(server):
    async def go():
        async with websockets.connect(url(server, "/echo")) as ws:
            latency = await asyncio.wait_for(await ws.ping(b"abc"), 10)
            assert latency is None or latency >= 0
    run(go())


def test_a_message_over_max_message_size_closes_with_1009(server):
    async def go():
        async with websockets.connect(url(server, "/small")) as ws:
            await ws.send("x" * 1000)
            assert await ws.recv() == "1000"
            await ws.send("x" * 1001)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd.code == 1009
    run(go())
    assert support.wait_until(lambda: "small: disconnect 1009" in events(server))


def test_the_client_close_code_and_reason_reach_the_handler(server):
    async def go():
        ws = await websockets.connect(url(server, "/watch"))
        await ws.close(4321, "done here")
    run(go())
    assert support.wait_until(lambda: "watch: disconnect 4321 done here" in events(server))


# --- with raw frames ---


class RawWebSocket:
    """A client that sends whatever frames it is told to (masked, as a client must)."""

    def __init__(self, server, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def frame(self, opcode: int, payload: bytes, fin: bool = True) -> bytes:
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def send(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        self.sock.sendall(self.frame(opcode, payload, fin))

    def _need(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def recv(self) -> tuple[int, bytes]:
        """(opcode, payload) of the server's next frame (servers do not mask)."""
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def close(self) -> None:
        self.sock.close()


def test_fragments_with_a_ping_between_them_make_one_message(server):
    ws = RawWebSocket(server, "/echo")
    try:
        ws.send(0x1, "héllo ".encode(), fin=False)
        ws.send(0x9, b"between")           # a ping inside a fragmented message
        ws.send(0x0, b"wor", fin=False)
        ws.send(0x0, b"ld", fin=True)
        assert ws.recv() == (0xA, b"between")  # the pong
        assert ws.recv() == (0x1, "héllo world".encode())
        ws.send(0x8, struct.pack("!H", 1000))
        opcode, payload = ws.recv()
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1000
    finally:
        ws.close()


def test_invalid_utf8_in_a_text_message_closes_with_1007(server):
    ws = RawWebSocket(server, "/echo")
    try:
        ws.send(0x1, b"bad \xff\xfe text")
        opcode, payload = ws.recv()
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1007
    finally:
        ws.close()
    assert support.wait_until(lambda: "echo: disconnect 1007" in events(server))


def test_an_oversized_frame_closes_with_1009_before_its_payload_arrives(server):
    ws = RawWebSocket(server, "/small")
    try:
        # Only the header of a 10 MB frame: the size alone is refused.
        ws.sock.sendall(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 10_000_000) + os.urandom(4))
        opcode, payload = ws.recv()
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1009
    finally:
        ws.close()


def test_a_client_vanishing_mid_message_ends_the_handler_with_1006(server):
    ws = RawWebSocket(server, "/watch")
    frame = ws.frame(0x2, os.urandom(5000))
    ws.sock.sendall(frame[:2000])  # half a frame, then gone
    ws.close()
    assert support.wait_until(lambda: any(e.startswith("watch: disconnect 1006") for e in events(server)))


def test_a_silent_client_is_pinged_then_dropped(server):
    ws = RawWebSocket(server, "/idle")  # idle_timeout=1
    try:
        opcode, _ = ws.recv()  # within about a second: a ping, which this client does not answer
        assert opcode == 0x9
        assert support.wait_until(lambda: "idle: disconnect 1006" in events(server), timeout=15)
    finally:
        ws.close()


def test_a_client_that_does_not_read_slows_the_sender_down(server):
    ws = RawWebSocket(server, "/flood")  # 128 messages of 1 MiB
    try:
        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        time.sleep(1.5)
        sent = server.get("/events").json()["sent"]
        assert sent < 64, f"{sent} MiB sent to a client that read nothing"
        received = 0
        while True:
            opcode, payload = ws.recv()
            if opcode == 0x8:
                break
            assert (opcode, len(payload)) == (0x1, 1 << 20)  # one frame per message
            received += 1
        assert received == 128
    finally:
        ws.close()


def test_stopping_the_server_closes_websockets_with_1001(tmp_path):
    server = support.start_server(support.app_path("websocket_app.py"), "--no-logs", via="python")
    try:
        ws = RawWebSocket(server, "/watch")
        server.signal(15)
        opcode, payload = ws.recv()
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1001
        ws.send(0x8, struct.pack("!H", 1001))
        assert server.wait() == 0
        ws.close()
    finally:
        server.kill()


def test_the_test_client_connects_websockets():
    """TestClient.websocket_connect(): the same routes in-process, through a blocking client."""
    from cello import App
    from cello.testing import TestClient, WebSocketRejected

    app = App()

    @app.websocket("/ws/{n:int}")
    async def numbered(ws):
        await ws.accept(subprotocol="p1" if "p1" in ws.subprotocols else None)
        async for message in ws:
            await ws.send_json({"n": ws.params["n"], "got": message if isinstance(message, str) else len(message)})
        await ws.close()

    @app.websocket("/no")
    async def no(ws):
        await ws.close()

    with TestClient(app) as client:
        with client.websocket_connect("/ws/3", subprotocols=["p1"]) as ws:
            assert ws.subprotocol == "p1"
            ws.send_text("hi")
            assert ws.receive_json() == {"n": 3, "got": "hi"}
            ws.send_bytes(b"\x00" * 70_000)
            assert ws.receive_json() == {"n": 3, "got": 70_000}
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/no")
        assert refused.value.status == 403
        assert client.get("/ws/3").status_code == 426


# --- the inspector's listing ---


def test_the_inspector_lists_open_websockets_and_their_messages():
    """--inspect: the snapshot lists each open connection (route, path with secrets redacted,
    client, messages and bytes each way) and, once it ends, its close code among the last closed."""
    from test_inspector import start as start_inspected

    ins = start_inspected(support.app_path("websocket_app.py"))

    def listing() -> dict:
        return ins.snapshot()["websockets"]

    async def go():
        async with websockets.connect(url(ins.server, "/echo?room=1&token=s3cret")) as first:
            async with websockets.connect(url(ins.server, "/echo")) as second:
                for text in ("one", "two", "three"):
                    await first.send(text)
                    assert await first.recv() == text
                await second.send(b"\x00" * 1000)
                assert await second.recv() == b"\x00" * 1000
                port = first.local_address[1]
                both = support.wait_until(lambda: (lambda w: w if w["open"] == 2 and w["messages_out"] == 4 else None)(listing()))
                assert both, listing()
                assert both["opened_total"] == 2 and both["messages_in"] == 4
                a, b = both["connections"]  # oldest first
                assert a["route"] == "GET /echo" and b["route"] == "GET /echo"
                assert a["path"].startswith("/echo?room=1&token=<redacted") and "s3cret" not in json.dumps(both)
                assert a["client"] == f"127.0.0.1:{port}"
                assert (a["messages_in"], a["messages_out"], a["bytes_in"], a["bytes_out"]) == (3, 3, 11, 11)
                assert (b["messages_in"], b["messages_out"], b["bytes_in"], b["bytes_out"]) == (1, 1, 1000, 1000)
                assert "closed" not in a and b["id"] > a["id"]
            # The second has ended: among the closed, with the code the client sent.
            one = support.wait_until(lambda: (lambda w: w if w["open"] == 1 and w["closed"] else None)(listing()))
            assert one, listing()
            assert [c["id"] for c in one["connections"]] == [a["id"]]
            closed = one["closed"][-1]
            assert (closed["id"], closed["close_code"], closed["messages_in"]) == (b["id"], 1000, 1)
            assert closed["closed"] >= closed["opened"]
            unlisted = ins.snapshot("?max_websockets=0")["websockets"]
            assert (unlisted["open"], unlisted["connections"]) == (1, [])
            await first.close(4001, "done here")
        last = support.wait_until(lambda: (lambda w: w if w["open"] == 0 else None)(listing()))
        assert last, listing()
        assert [(c["close_code"], c["close_reason"]) for c in last["closed"]] == [(1000, ""), (4001, "done here")]

    try:
        run(go())
    finally:
        assert ins.server.stop() == 0, ins.server.stderr


# --- cello bench ws:// ---


def test_cello_bench_drives_a_websocket_echo(server):
    """`cello bench ws://…`: each connection upgrades, sends messages and counts their echoes;
    at the end it closes each with a closing handshake (1000), echoes in flight answered first."""
    before = events(server)
    done = support.run_cli("bench", url(server, "/echo"), "-c", "4", "-d", "1", "--pipeline", "2",
                         "--message-size", "100", "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["protocol"] == "websocket" and report["message_size"] == 100
    assert report["errors"]["total"] == 0, report["errors"]
    assert report["messages"] > 100 and report["messages"] == report["requests"]
    assert report["bytes_read"] == 100 * report["messages"]
    closed = support.wait_until(lambda: events(server).count("echo: closed normally") - before.count("echo: closed normally") == 4)
    assert closed, events(server)


def test_cello_bench_counts_a_refused_upgrade_by_its_status(server):
    done = support.run_cli("bench", url(server, "/refuse"), "-c", "2", "-d", "500ms", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0 messages in" in done.stdout and "status 4xx 0" not in done.stdout, done.stdout
    assert "Messages/sec:" in done.stdout
