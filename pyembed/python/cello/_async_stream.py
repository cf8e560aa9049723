"""Streaming a response from an async iterable: the engine thread's own loop runs the producer."""
from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any


class AsyncStream:
    """Runs an async iterable on the engine thread's loop and buffers what it yields.

    The engine calls `take()` (GIL held) and is woken through `notify` when there is more. At most
    `limit` items wait in the buffer: the producer waits for the engine to catch up (backpressure).
    `close()` cancels the producer: the async generator receives CancelledError at its current
    await, then its finally blocks run. Made on an engine thread, inside its running loop.
    """

    def __init__(self, aiterable: Any, notify: Callable[[], None], limit: int = 16) -> None:
        self._aiterable = aiterable
        self._notify = notify
        self._limit = limit
        self._items: collections.deque[Any] = collections.deque()
        self._done = False
        self._error: BaseException | None = None
        self._space = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = self._loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            async for item in self._aiterable:
                self._items.append(item)
                self._notify()
                while len(self._items) >= self._limit:
                    self._space.clear()
                    await self._space.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # reported to the engine, which aborts the response
            self._error = error
        finally:
            self._done = True
            self._notify()

    def take(self) -> tuple[list[Any], bool, BaseException | None]:
        """Everything buffered, whether the producer is finished, and its error if it failed."""
        items = []
        while self._items:
            items.append(self._items.popleft())
        if items:
            self._space.set()
        return items, self._done and not self._items, self._error

    def close(self) -> None:
        """Stops the producer."""
        task, self._task = self._task, None
        if task is not None and not task.done() and not self._loop.is_closed():
            task.cancel()
