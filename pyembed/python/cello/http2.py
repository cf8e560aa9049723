"""HTTP/2: on by default (docs/http2.md). :class:`Http2Config` tunes it: ``app.run(http2=Http2Config(...))``;
``app.run(http2=False)`` or ``--no-http2`` serves HTTP/1.1 only."""
from __future__ import annotations

from typing import Any

__all__ = ["Http2Config"]


class Http2Config:
    """HTTP/2 settings, as the original Cello spells them.

    `max_concurrent_streams`: requests a client may have open at once on one connection (more are
    refused with REFUSED_STREAM, which clients retry). `initial_window_size`: flow-control window
    per stream and per connection, in bytes (how much a client may send before the server reads).
    `max_frame_size`: the largest frame the server accepts (16384 to 16777215). `enable_push` must
    stay False: server push is not supported (browsers have dropped it).
    """

    def __init__(self, max_concurrent_streams: int = 100, initial_window_size: int = 1048576,
                 max_frame_size: int = 16384, enable_push: bool = False) -> None:
        self.max_concurrent_streams = max_concurrent_streams
        self.initial_window_size = initial_window_size
        self.max_frame_size = max_frame_size
        self.enable_push = enable_push
        self.settings()

    def settings(self) -> dict[str, Any]:
        """The engine's settings (checked again: the attributes are writable)."""
        if self.enable_push:
            raise ValueError("enable_push=True: HTTP/2 server push is not supported (browsers have dropped it)")
        checks = (("max_concurrent_streams", self.max_concurrent_streams, 1, 2**31 - 1),
                  ("initial_window_size", self.initial_window_size, 1, 2**31 - 1),
                  ("max_frame_size", self.max_frame_size, 16384, 2**24 - 1))
        for name, value, low, high in checks:
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")
        return {"enabled": True, "max_concurrent_streams": self.max_concurrent_streams,
                "initial_window_size": self.initial_window_size, "max_frame_size": self.max_frame_size}

    def __repr__(self) -> str:
        return (f"Http2Config(max_concurrent_streams={self.max_concurrent_streams}, "
                f"initial_window_size={self.initial_window_size}, max_frame_size={self.max_frame_size})")
