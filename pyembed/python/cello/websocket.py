"""WebSocket routes: ``@app.websocket("/ws")`` with ``async def handler(ws)`` (docs/websocket.md).

The engine's session (Boost.Beast's websocket) does the protocol: the handshake, framing,
fragments, ping/pong, the idle timeout, permessage-deflate, UTF-8 checks of text (close 1007) and
the message size limit (close 1009). This module is the handler's side: :class:`WebSocket`, whose
calls wait on the engine thread's loop for the session to answer, and :class:`WebSocketDisconnect`.
"""
from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _cello
from .errors import HTTPError

if TYPE_CHECKING:
    import asyncio


__all__ = ["WebSocket", "WebSocketDisconnect"]


class WebSocketDisconnect(Exception):
    """The connection ended: `code` is the close code (1000 normal, 1001 going away, 1006 gone
    without a closing handshake, 1007 invalid UTF-8, 1009 a message too big...), `reason` the
    client's close reason."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"WebSocket closed with code {self.code}" + (f": {self.reason}" if self.reason else "")


class WebSocket:
    """One WebSocket connection, given to ``async def handler(ws)``.

    Before anything else the handler calls ``await ws.accept()`` (or ``await ws.close()``, which
    refuses the upgrade with 403; a handler that returns without accepting refuses it too). The
    upgrade request is there as ``path``, ``params``, ``query``, ``headers``, ``cookies``,
    ``client`` and ``request``. ``receive_text()``, ``receive_bytes()``, ``receive_json()`` and
    ``async for message in ws`` wait for messages; when the connection ends they raise
    :class:`WebSocketDisconnect` (the loop just ends on a normal close). ``send_text()``,
    ``send_bytes()`` and ``send_json()`` return once the message is queued while less than 64 KiB
    waits to be written, else once it is written (a client that reads
    slowly slows the sender down); after the end they raise :class:`WebSocketDisconnect`.
    """

    __slots__ = ("request", "_channel", "_loop", "state", "_end", "subprotocol", "_accepting", "_receiving")
    # _end: (code, reason) once the connection ended; each raise makes a new WebSocketDisconnect
    # (a kept one would hold its traceback, its frames and this object in a cycle)

    def __init__(self, request: Any, channel: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self._channel = channel
        self._loop = loop  # the engine thread's: every wait is a future of it (asked once, not per message)
        #: "connecting" until accept(), then "connected", then "disconnected".
        self.state = "connecting"
        self._end: tuple[int, str] | None = None
        self.subprotocol: str | None = None
        self._accepting = False  # accept() waits for the handshake
        self._receiving = False  # a receive is waiting (one at a time)

    # -- the upgrade request --
    @property
    def path(self) -> str:
        return self.request.path

    @property
    def params(self) -> dict[str, Any]:
        return self.request.params

    @property
    def query(self) -> Any:
        return self.request.query

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self.request.cookies

    @property
    def client(self) -> tuple[str, int]:
        return self.request.client

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered (Sec-WebSocket-Protocol), in its order."""
        return [p.strip() for p in self._channel.offered_subprotocols.split(",") if p.strip()]

    # -- the handshake --
    async def accept(self, subprotocol: str | None = None) -> None:
        """Completes the handshake (101), choosing `subprotocol` (one the client offered)."""
        if self.state != "connecting":
            raise RuntimeError(f"accept() on a WebSocket that is {self.state}")
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client ({self.subprotocols})")
        if self._accepting:
            raise RuntimeError("accept() is already under way")
        future = self._loop.create_future()
        self._accepting = True
        self._channel.accept(subprotocol, future)
        try:
            accepted = await future
        finally:
            self._accepting = False
        if not accepted:
            self.state = "disconnected"
            self._end = self._end or (1006, "")
            raise WebSocketDisconnect(*self._end)
        self.subprotocol = subprotocol
        if self.state == "connecting":  # not closed meanwhile
            self.state = "connected"

    # -- receiving --
    async def _receive(self) -> str | bytes:
        if self.state == "connecting":
            raise RuntimeError("receive before accept()")
        if self._end is not None:
            raise WebSocketDisconnect(*self._end)
        if self._receiving:
            raise RuntimeError("another task is receiving on this WebSocket")
        ready = self._channel.try_receive()  # a message already here: no wait
        if ready is not None:
            return ready
        future = self._loop.create_future()
        self._receiving = True
        self._channel.receive(future)  # a wait cancelled before its message came leaves it for the next
        try:
            result = await future
        finally:
            self._receiving = False
        if type(result) is tuple:  # the end: (code, reason)
            self.state = "disconnected"
            self._end = result
            raise WebSocketDisconnect(*result)
        return result

    async def receive(self) -> str | bytes:
        """The next message: str for a text message, bytes for a binary one."""
        return await self._receive()

    async def receive_text(self) -> str:
        """The next message, which must be text (TypeError for a binary one)."""
        message = await self._receive()
        if not isinstance(message, str):
            raise TypeError("expected a text WebSocket message, got a binary one")
        return message

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary (TypeError for a text one)."""
        message = await self._receive()
        if not isinstance(message, bytes):
            raise TypeError("expected a binary WebSocket message, got a text one")
        return message

    async def receive_json(self) -> Any:
        """The next message (text or binary) parsed as JSON; ValueError when it is not JSON."""
        return _cello.loads(await self._receive())

    def __aiter__(self) -> WebSocket:
        return self

    async def __anext__(self) -> str | bytes:
        """The next message; the iteration ends on a normal close (1000, 1001, 1005) and raises
        WebSocketDisconnect on any other end."""
        try:
            return await self._receive()
        except WebSocketDisconnect as end:
            if end.code in (1000, 1001, 1005):
                raise StopAsyncIteration from None
            raise

    # -- sending --
    async def _send(self, data: str | bytes) -> None:
        if self.state == "connected" and self._channel.try_send(data):  # queued, little waits: no wait
            return
        if self.state == "connecting":
            raise RuntimeError("send before accept()")
        if self._end is not None and self.state == "disconnected":
            raise WebSocketDisconnect(*self._end)
        future = self._loop.create_future()
        self._channel.send(data, future)
        code = await future
        if code:
            self.state = "disconnected"
            self._end = self._end or (code, "")
            raise WebSocketDisconnect(*self._end)

    async def send_text(self, data: str) -> None:
        """Sends a text message."""
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes a str, not {type(data).__name__}")
        await self._send(data)

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Sends a binary message."""
        if isinstance(data, str):
            raise TypeError("send_bytes() takes bytes, not str")
        await self._send(data)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Sends `data` as JSON in a text message (``mode="binary"``: a binary one)."""
        payload = _cello.dumps(data)
        await self._send(payload.decode() if mode == "text" else payload)

    # -- closing --
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """The closing handshake (after the messages sent before it). Before accept(): the upgrade
        is refused with 403."""
        if not (code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999):
            raise ValueError(f"{code} is not a close code an endpoint may send (RFC 6455 7.4)")
        # A close frame holds 123 bytes of reason: cut at a character's boundary.
        reason = reason.encode("utf-8")[:123].decode("utf-8", "ignore")
        if self.state == "disconnected":
            return
        refusing = self.state == "connecting" and not self._accepting
        self.state = "disconnected"
        self._end = self._end or (code, reason)
        if refusing:
            self._channel.refuse(403)
            return
        future = self._loop.create_future()
        self._channel.close(code, reason, future)
        await future

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {self.state}>"


_tasks: set[asyncio.Task[None]] = set()  # running handlers (the loop keeps only weak references)


def _serve(handler: Callable[[WebSocket], Any], request: Any, channel: Any) -> None:
    """The engine's session has the socket: the handler runs as a task on this thread's loop."""
    import asyncio

    loop = asyncio.get_running_loop()
    ws = WebSocket(request, channel, loop)
    task = loop.create_task(_run(handler, ws), name=f"websocket {request.path}")
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _run(handler: Callable[[WebSocket], Any], ws: WebSocket) -> None:
    try:
        await handler(ws)
    except WebSocketDisconnect:
        pass
    except HTTPError as refused:  # a guard (or the handler) refused the upgrade with a status
        if ws.state == "connecting" and not ws._accepting:
            ws.state = "disconnected"
            ws._channel.refuse(refused.status)
            return
        await ws.close(1008, refused.detail if isinstance(refused.detail, str) else "")  # policy violation
    except Exception:
        name = getattr(handler, "__qualname__", repr(handler))
        print(f"cello: unhandled exception in WebSocket handler {name} for {ws.path}\n{traceback.format_exc()}",
              end="", file=sys.stderr)
        if ws.state == "connecting":
            ws.state = "disconnected"
            ws._channel.refuse(500)
            return
        await ws.close(1011, "internal error")  # the server hit an error
        return
    if ws.state == "connecting":  # never accepted: refused
        await ws.close()
    elif ws.state == "connected":
        await ws.close(1000)
