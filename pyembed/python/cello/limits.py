"""The original Cello's TimeoutConfig and LimitsConfig, applied to the engine here:
``app.enable_timeouts(TimeoutConfig(...))`` and ``app.enable_limits(LimitsConfig(...))``."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .errors import HTTPError


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return value


class TimeoutConfig:
    """Seconds. `read_header` + `read_body`: from a request's first byte to all of it read (else
    408); `read_body` also bounds how long a handler waits for more of a large body it reads as it
    arrives (HTTPError 408); `write`: a client that stops reading is dropped; `idle`: a keep-alive connection with no
    request is closed; `handler`: an ``async def`` handler still running is cancelled and answered
    504 (a sync handler cannot be interrupted: Python threads cannot be stopped)."""

    def __init__(self, read_header: float = 5, read_body: float = 30, write: float = 30, idle: float = 60,
                 handler: float = 30) -> None:
        self.read_header = _positive("read_header", read_header)
        self.read_body = _positive("read_body", read_body)
        self.write = _positive("write", write)
        self.idle = _positive("idle", idle)
        self.handler = _positive("handler", handler)

    def server_options(self) -> dict[str, Any]:
        # The engine's timers count whole seconds; a fraction rounds up (never down to zero).
        return {"header_timeout": -int(-(self.read_header + self.read_body) // 1),
                "body_timeout": -int(-self.read_body // 1),
                "write_timeout": -int(-self.write // 1), "keepalive_timeout": -int(-self.idle // 1)}


class LimitsConfig:
    """Bytes and counts: a request line and headers over `max_header_size` is a 431, a body over
    `max_body_size` a 413; beyond `max_connections` open at once a new one gets a 503 and is closed
    (per process: in cluster mode each worker allows that many); a connection is closed
    (``Connection: close``) after `max_requests_per_connection` answers."""

    def __init__(self, max_header_size: int = 8192, max_body_size: int = 10485760, max_connections: int = 10000,
                 max_requests_per_connection: int = 1000) -> None:
        self.max_header_size = int(_positive("max_header_size", max_header_size))
        self.max_body_size = int(_positive("max_body_size", max_body_size))
        self.max_connections = int(_positive("max_connections", max_connections))
        self.max_requests_per_connection = int(_positive("max_requests_per_connection", max_requests_per_connection))

    def server_options(self) -> dict[str, Any]:
        return {"max_header_size": self.max_header_size, "max_body_size": self.max_body_size,
                "max_connections": self.max_connections,
                "max_requests_per_connection": self.max_requests_per_connection}


def with_handler_timeout(handler: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """An ``async def`` handler cancelled after `seconds` and answered 504; others unchanged."""
    import asyncio  # only for apps that set it: importing cello does not import asyncio

    if not asyncio.iscoroutinefunction(handler):
        return handler

    @functools.wraps(handler)
    async def timed(request: Any, *args: Any, **kwargs: Any) -> Any:
        timeout = asyncio.timeout(seconds)
        try:
            async with timeout:
                return await handler(request, *args, **kwargs)
        except TimeoutError:
            if not timeout.expired():  # the handler's own TimeoutError: its own failure
                raise
            raise HTTPError(504, f"the handler took longer than {seconds:g} s") from None

    return timed
