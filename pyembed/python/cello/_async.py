"""Running `async def` handlers: the first step inline on the engine thread, the rest on one asyncio
loop thread for the process.

The engine thread calls `start(coro, finish)`. It runs the coroutine's first step with the process
loop set as the running loop, so `asyncio.get_running_loop()`, `create_task`, `asyncio.sleep` and
friends work from the first line. Doing that from another thread is safe only because the loop
thread is parked: it holds `gate` whenever it runs Python code and releases it only while it waits in
`select()`, and the engine thread takes the gate for the first step. If the coroutine finishes in
that step, no loop is involved and the value is returned. If it awaits, a task continues it on the
loop; `finish(task)` is called on the loop thread when the task is done.
"""
from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable, Coroutine
from typing import Any

_lock = threading.Lock()
_loop: "_GatedLoop | None" = None


class _GatedLoop(asyncio.SelectorEventLoop):
    """A selector loop that holds `gate` except while it waits for I/O or timers."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Lock()
        select = self._selector.select  # type: ignore[attr-defined]

        def gated_select(timeout: float | None = None) -> Any:
            self.gate.release()
            try:
                return select(timeout)
            finally:
                self.gate.acquire()

        self._selector.select = gated_select  # type: ignore[attr-defined]

    def run_gated(self) -> None:
        with self.gate:
            self.run_forever()

    def wake(self) -> None:
        """Makes the loop re-check its queue (new tasks or timers added from the engine thread)."""
        self._write_to_self()  # type: ignore[attr-defined]


def loop() -> _GatedLoop:
    """The process's asyncio loop, started on its own daemon thread on first use."""
    global _loop
    with _lock:
        if _loop is None:
            new = _GatedLoop()
            threading.Thread(target=new.run_gated, name="cello-asyncio", daemon=True).start()
            _loop = new
        return _loop


async def _resume(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    """Continues a coroutine whose first step already ran and is waiting on `waiting_on` (an
    asyncio future, or None for a bare yield): waits for it, then steps the coroutine again."""
    while True:
        try:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                # The coroutine yielded the future with the "blocking" flag set, for a Task to
                # clear; we are that Task's stand-in, so clear it before awaiting it ourselves.
                waiting_on._asyncio_future_blocking = False
                try:
                    await waiting_on
                except asyncio.CancelledError:
                    raise
                except BaseException:
                    pass  # the coroutine itself receives the error when it resumes
        except asyncio.CancelledError:
            # The client went away: deliver the cancellation inside the handler.
            try:
                waiting_on = coro.throw(asyncio.CancelledError())
            except StopIteration as done:
                return done.value
            continue
        try:
            waiting_on = coro.send(None)
        except StopIteration as done:
            return done.value


def start(coro: Coroutine[Any, Any, Any], finish: Callable[[asyncio.Task[Any]], None]
          ) -> tuple[bool, Any]:
    """Runs the first step. Returns (True, value) when the coroutine finished, or (False, task)
    when it continues on the loop (`finish(task)` is called there when it is done). Exceptions of the
    first step propagate to the caller. (The engine does the same natively; this is the reference
    for tests and for callers outside the engine.)"""
    lp = loop()
    with lp.gate:
        asyncio.events._set_running_loop(lp)
        try:
            waiting_on = coro.send(None)
        except StopIteration as done:
            return True, done.value
        finally:
            asyncio.events._set_running_loop(None)
        task = continue_on_loop(coro, waiting_on, finish)
    lp.wake()
    return False, task


def continue_on_loop(coro: Coroutine[Any, Any, Any], waiting_on: Any,
                     finish: Callable[[asyncio.Task[Any]], None]) -> asyncio.Task[Any]:
    """Hands a coroutine whose first step ran to the loop. Call holding `loop().gate`, then wake()."""
    task = loop().create_task(_resume(coro, waiting_on))
    task.add_done_callback(finish)
    return task


def cancel(task: asyncio.Task[Any]) -> None:
    """Cancels `task` from any thread."""
    loop().call_soon_threadsafe(task.cancel)


class AsyncStream:
    """Runs an async iterable on the loop and buffers what it yields for an engine thread.

    The engine calls `take()` (any thread, GIL held) and is woken through `notify` (called on the
    loop thread) when there is more. At most `limit` items wait in the buffer: the producer waits
    for the engine to catch up (backpressure). `close()` cancels the producer: the async generator
    receives CancelledError at its current await, then its finally blocks run.
    """

    def __init__(self, aiterable: Any, notify: Callable[[], None], limit: int = 16) -> None:
        self._aiterable = aiterable
        self._notify = notify
        self._limit = limit
        self._items: collections.deque[Any] = collections.deque()
        self._done = False
        self._error: BaseException | None = None
        self._space: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        loop().call_soon_threadsafe(self._start)

    def _start(self) -> None:
        if self._closed:
            return
        self._space = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._space is not None
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
        if items and self._space is not None:
            loop().call_soon_threadsafe(self._space.set)
        return items, self._done and not self._items, self._error

    def close(self) -> None:
        """Stops the producer (from any thread)."""
        self._closed = True

        def cancel() -> None:
            if self._task is not None and not self._task.done():
                self._task.cancel()

        loop().call_soon_threadsafe(cancel)
