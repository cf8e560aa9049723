"""``TestClient.websocket_connect()``: a blocking WebSocket client for tests, over wsproto
(Debian's python3-wsproto, imported only when a test connects) and a plain socket."""
from __future__ import annotations

import json as jsonlib
import socket
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from .websocket import WebSocketDisconnect

__all__ = ["WebSocketRejected", "WebSocketTestSession"]


class WebSocketRejected(WebSocketDisconnect):
    """The server answered the upgrade with an HTTP status instead of 101 (`status`, `body`)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(1006, f"HTTP {status}")
        self.status = status
        self.body = body


class WebSocketTestSession:
    """One WebSocket connection to the app under test. Messages are read whole (fragments are
    joined) and pings are answered. ``receive*`` raise :class:`WebSocketDisconnect` once the server
    has closed (with its code and reason). Use it as a context manager, or ``close()`` it."""

    __test__ = False  # not a pytest test class

    def __init__(self, port: int, path: str, headers: Mapping[str, str] | None = None,
                 subprotocols: Sequence[str] = (), timeout: float = 10.0) -> None:
        try:
            from wsproto import ConnectionType, WSConnection
            from wsproto.events import Request
        except ImportError:  # pragma: no cover - depends on the machine
            raise RuntimeError("TestClient.websocket_connect() needs wsproto (apt install python3-wsproto)") from None
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._closed: tuple[int, str] | None = None
        self._pending: list[Any] = []
        self._sock.sendall(self._ws.send(Request(host=f"127.0.0.1:{port}", target=path,
                                                 extra_headers=[(k.encode(), v.encode()) for k, v in (headers or {}).items()],
                                                 subprotocols=list(subprotocols))))
        self.subprotocol: str | None = None
        self._handshake()

    # -- the wire --
    def _event(self) -> Any:
        from wsproto.events import CloseConnection, Ping

        while True:
            if not self._pending:
                self._pending.extend(self._ws.events())
            while self._pending:
                event = self._pending.pop(0)
                if isinstance(event, Ping):
                    self._sock.sendall(self._ws.send(event.response()))
                    continue
                if isinstance(event, CloseConnection):
                    self._closed = (event.code, event.reason or "")
                    try:
                        self._sock.sendall(self._ws.send(event.response()))
                    except Exception:  # noqa: BLE001 - already gone
                        pass
                return event
            data = self._sock.recv(65536)
            self._ws.receive_data(data or None)
            if not data:
                self._pending.extend(self._ws.events())
                if not self._pending:
                    self._closed = self._closed or (1006, "")
                    raise WebSocketDisconnect(*self._closed)

    def _handshake(self) -> None:
        from wsproto.events import AcceptConnection, RejectConnection, RejectData

        event = self._event()
        if isinstance(event, AcceptConnection):
            self.subprotocol = event.subprotocol
            return
        if isinstance(event, RejectConnection):
            body = b""
            while event.has_body:
                data = self._event()
                if not isinstance(data, RejectData):
                    break
                body += data.data
                if data.body_finished:
                    break
            self._sock.close()
            raise WebSocketRejected(event.status_code, body)
        raise RuntimeError(f"unexpected answer to the upgrade: {event!r}")

    # -- messages --
    def send_text(self, data: str) -> None:
        from wsproto.events import TextMessage

        self._sock.sendall(self._ws.send(TextMessage(data=data)))

    def send_bytes(self, data: bytes) -> None:
        from wsproto.events import BytesMessage

        self._sock.sendall(self._ws.send(BytesMessage(data=bytes(data))))

    def send_json(self, data: Any) -> None:
        self.send_text(jsonlib.dumps(data, separators=(",", ":")))

    def receive(self) -> str | bytes:
        """The next message: str (text) or bytes (binary)."""
        from wsproto.events import BytesMessage, CloseConnection, TextMessage

        if self._closed is not None:
            raise WebSocketDisconnect(*self._closed)
        parts: list[Any] = []
        while True:
            event = self._event()
            if isinstance(event, CloseConnection):
                raise WebSocketDisconnect(event.code, event.reason or "")
            if isinstance(event, (TextMessage, BytesMessage)):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)

    def receive_text(self) -> str:
        message = self.receive()
        if not isinstance(message, str):
            raise TypeError("expected a text WebSocket message, got a binary one")
        return message

    def receive_bytes(self) -> bytes:
        message = self.receive()
        if not isinstance(message, bytes):
            raise TypeError("expected a binary WebSocket message, got a text one")
        return message

    def receive_json(self) -> Any:
        return jsonlib.loads(self.receive())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """The closing handshake (waits for the server's close), then the socket is closed."""
        from wsproto.events import CloseConnection

        try:
            if self._closed is None:
                self._sock.sendall(self._ws.send(CloseConnection(code=code, reason=reason)))
                while self._closed is None:
                    self._event()
        except (OSError, WebSocketDisconnect):
            pass
        finally:
            self._sock.close()

    def __enter__(self) -> WebSocketTestSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
