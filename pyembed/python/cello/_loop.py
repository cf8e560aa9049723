"""Each engine thread's asyncio event loop, run on that thread and driven by its reactor.

An engine thread runs `run_thread(reactor, hooks)`: an `EngineLoop` (a `SelectorEventLoop`) whose
selector, where it would block in `select()`, runs the engine's reactor instead. Socket events,
HTTP parsing and sync handlers run inside that call; it returns as soon as asyncio has work of its
own (a callback, a timer, one of its file descriptors is ready), then asyncio runs its ready
callbacks and calls `select()` again. Nothing crosses threads: an `async def` handler starts, awaits
and finishes on the thread that owns its connection.

Only public asyncio API is used: `SelectorEventLoop(selector)`, `selectors.EpollSelector`, and the
`call_soon`/`call_at` methods of the loop, which this class extends (call_soon natively, in
py_loop.cpp). The engine starts a handler's Task while a one-shot hook is armed: the Task's first
`call_soon` (its first step) is handed back to the engine, which runs it at once (docs/async.md).
"""
from __future__ import annotations

import asyncio
import selectors
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from . import _cello

# ThreadReactor::Woke, as _cello.Reactor.run returns it.
_TIMEOUT, _NUDGED, _READABLE, _FINISHED = 0, 1, 2, 3


class _ReactorSelector(selectors.EpollSelector):
    """An epoll selector for asyncio's own file descriptors whose `select()` runs the engine's
    reactor; the reactor watches this selector's epoll fd and returns when it is readable."""

    def __init__(self, reactor: Any, on_finished: Callable[[], None]) -> None:
        super().__init__()
        self._reactor: Any = reactor
        self._on_finished = on_finished
        reactor.watch(self.fileno())

    @property
    def finished(self) -> bool:
        """The engine thread is done: select() no longer drives its reactor."""
        return self._reactor is None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        reactor = self._reactor
        if reactor is None:  # the engine thread is done: a plain selector for the loop's last steps
            return super().select(timeout)
        woke = _cello._reactor_run(timeout)  # this thread's reactor
        if woke == _READABLE:
            return super().select(0)
        if woke == _FINISHED:
            self.detach()
            self._on_finished()
            return super().select(0)
        return []

    def detach(self) -> None:
        """Stops driving the reactor for good (and stops it watching our fd, which close() frees)."""
        reactor, self._reactor = self._reactor, None
        if reactor is not None:
            reactor.watch(-1)

    def close(self) -> None:
        self.detach()
        super().close()


class EngineLoop(asyncio.SelectorEventLoop):
    """The asyncio loop of one engine thread (see the module docstring)."""

    def __init__(self, reactor: Any) -> None:
        self.engine_thread: int = reactor.index
        self.selector = _ReactorSelector(reactor, self.stop)
        super().__init__(self.selector)
        # Bound once: asyncio's C Task and Future look `call_soon` up on the loop for every step and
        # callback they schedule, and an instance attribute saves making a bound method each time.
        self.call_soon = EngineLoop.call_soon.__get__(self, EngineLoop)  # type: ignore[method-assign]
        self._reactor = reactor
        # Handlers' Tasks are made on this loop; their steps and wake-ups go straight to its ready
        # queue (the one private attribute used: docs/async.md).
        reactor.set_loop(self, self._ready)

    def close(self) -> None:
        if self._reactor is not None:
            self._reactor.set_loop(None)
            self._reactor = None
        super().close()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
        # A timer added from inside the reactor: it returns early if it would otherwise wait past
        # `when` (not for a timer due after the one it waits for, so that a burst of requests that
        # each start a timer is handled in one pass).
        _cello._loop_nudge(when)
        return super().call_at(when, callback, *args, context=context)


# call_soon, natively (py_loop.cpp): the first step of a handler's new Task goes to the engine, which
# runs it at once; a Task's later steps and wake-ups go to the ready queue without a Python frame;
# any other callback tells the reactor and goes to asyncio's own call_soon. get_debug, natively too.
_cello._install_loop_methods(EngineLoop, asyncio.SelectorEventLoop.call_soon)
# asyncio's registry of tasks, with a native add and removal callback (py_task_registry.hpp).
_cello._speed_up_task_registry(asyncio.tasks._all_tasks)


class EngineLoops:
    """The event loops of one server's engine threads, for the main thread to run the app's async
    startup and shutdown hooks on (App._run_event): each engine thread registers its loop as it
    starts; after it has drained it keeps its loop running, without the reactor, until the main
    thread has run the shutdown hooks (only when the main thread said it will: `hold_after_drain`)."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._loops: list[EngineLoop] = []
        self._drained = 0
        self._ready = threading.Event()
        self._all_drained = threading.Event()
        self._hold = False
        self._release: dict[EngineLoop, asyncio.Future[None]] = {}

    @property
    def loops(self) -> list[EngineLoop]:
        """The registered loops, in engine thread order."""
        with self._lock:
            return sorted(self._loops, key=lambda loop: loop.engine_thread)

    def wait_ready(self) -> None:
        """Main thread: until every engine thread's loop runs. Ctrl-C interrupts the wait."""
        while not self._ready.wait(0.1):
            pass

    def hold_after_drain(self) -> None:
        """Main thread, before stopping the server: keep the loops after they drain, for the
        shutdown hooks, until release()."""
        self._hold = True

    def wait_drained(self, timeout: float) -> bool:
        """Main thread: until every engine thread has drained (False if `timeout` passed first)."""
        return self._all_drained.wait(timeout)

    def release(self) -> None:
        """Main thread: the held loops may close."""
        self._hold = False
        with self._lock:
            waiting = list(self._release.items())
        for loop, future in waiting:
            try:
                loop.call_soon_threadsafe(lambda f=future: f.done() or f.set_result(None))
            except RuntimeError:  # already closed
                pass

    # -- on the engine threads ----------------------------------------------------------------
    def _started(self, loop: EngineLoop) -> None:
        with self._lock:
            self._loops.append(loop)
            if len(self._loops) == self._threads:
                self._ready.set()

    def _stopped(self, loop: EngineLoop) -> None:
        future = loop.create_future()
        with self._lock:
            self._release[loop] = future
            self._drained += 1
            if self._drained == self._threads:
                self._all_drained.set()
        if self._hold:
            loop.run_until_complete(future)
        with self._lock:
            del self._release[loop]


def _cancel_remaining(loop: EngineLoop) -> None:
    """What the app left running when its thread stopped (tasks it spawned, handlers still
    awaiting after the drain timeout): cancelled, and given the chance to clean up."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())  # asyncio.to_thread work, as asyncio.run


def _serve(loop: EngineLoop) -> None:
    """run_forever until the engine thread is done. A SystemExit or KeyboardInterrupt raised in a
    task (asyncio lets those out of run_forever) is reported, and the thread keeps serving: only
    the main thread decides when the process ends."""
    while True:
        try:
            loop.run_forever()
        except (SystemExit, KeyboardInterrupt):
            print(f"cello: engine thread {loop.engine_thread}: a task raised this; the server keeps serving:",
                  file=sys.stderr)
            traceback.print_exc()
        if loop.selector.finished:
            return


def run_thread(reactor: Any, loops: EngineLoops | None = None) -> None:
    """An engine thread's life: its loop serves until the engine stops and drains (held for the
    app's shutdown hooks if the main thread asked), then what is left is cancelled and the loop
    closed."""
    loop = EngineLoop(reactor)
    asyncio.set_event_loop(loop)
    try:
        if loops is not None:
            loops._started(loop)
        try:
            _serve(loop)
        finally:
            if loops is not None:
                loops._stopped(loop)
        _cancel_remaining(loop)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
