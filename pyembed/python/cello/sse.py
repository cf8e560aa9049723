"""Server-Sent Events: formatting events and keeping an idle stream alive."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Union

from . import _cello

Event = Union[str, bytes, Mapping[str, Any]]
_END = object()


def _line_safe(name: str, value: Any) -> str:
    text = str(value)
    if "\r" in text or "\n" in text:
        raise ValueError(f"SSE field {name!r} may not contain CR or LF")
    return text


def format_event(event: Event) -> str:
    """One event in the text/event-stream format.

    A str is the data; a mapping may have ``data`` (str, or any value written as JSON), ``event``,
    ``id``, ``retry`` (milliseconds) and ``comment``. Multi-line data becomes several data lines.
    """
    if isinstance(event, bytes):
        event = event.decode("utf-8")
    if isinstance(event, str):
        event = {"data": event}
    lines = []
    if "comment" in event:
        lines += [f": {line}" for line in str(event["comment"]).splitlines() or [""]]
    if "id" in event:
        lines.append(f"id: {_line_safe('id', event['id'])}")
    if "event" in event:
        lines.append(f"event: {_line_safe('event', event['event'])}")
    if "retry" in event:
        lines.append(f"retry: {int(event['retry'])}")
    if "data" in event:
        data = event["data"]
        text = data if isinstance(data, str) else _cello.dumps(data).decode("utf-8")
        lines += [f"data: {line}" for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines) + "\n\n"


async def _aiter(events: Any) -> AsyncIterator[Any]:
    if hasattr(events, "__aiter__"):
        async for event in events:
            yield event
        return
    iterator = iter(events)  # a sync iterable may block: step it on a worker thread
    while True:
        event = await asyncio.to_thread(next, iterator, _END)
        if event is _END:
            return
        yield event


async def event_stream(events: Iterable[Event] | Any, keepalive: float | None) -> AsyncIterator[str]:
    """Formats `events`; sends a comment line when nothing was sent for `keepalive` seconds, so
    proxies and browsers keep the connection open."""
    source = _aiter(events)
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            pending = asyncio.ensure_future(source.__anext__())
            while True:
                done, _ = await asyncio.wait({pending}, timeout=keepalive)
                if done:
                    break
                yield ": keep-alive\n\n"
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield format_event(event)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
        await source.aclose()
