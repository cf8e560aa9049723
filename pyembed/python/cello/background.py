"""Work a handler leaves for after its response: `BackgroundTasks`.

A handler that declares a ``BackgroundTasks`` parameter (or makes one and calls
``request_tasks(request, tasks)``) gets its tasks run once the response has been written (or the
client went away first): ``def`` functions on a small thread pool, ``async def`` ones as tasks on
the engine thread's loop. A task that raises is logged (logger ``cello.background``, with its
traceback) and, when an inspector is attached, recorded as an error of the request that queued it.
"""
from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import concurrent.futures

from .routing import is_async_callable

log = logging.getLogger("cello.background")

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    import concurrent.futures  # (here: an app without background tasks never loads it)

    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="cello-background")
        return _pool


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _failed(func: Any, error: BaseException, report: Callable[[str, str], None] | None) -> None:
    log.error("background task %s failed", _name(func), exc_info=(type(error), error, error.__traceback__))
    if report is not None:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        report(f"background task {_name(func)}: {type(error).__name__}: {error}", text)


class BackgroundTasks:
    """Functions to call after the response: ``tasks.add_task(send_email, to, subject=...)``."""

    def __init__(self) -> None:
        self._tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def add_task(self, func: Callable[..., Any], *args: Any, args_list: list[Any] | None = None,
                 **kwargs: Any) -> None:
        """Queues ``func(*args, **kwargs)``. (The original's ``add_task(func, [a, b])`` spelling is
        ``add_task(func, args_list=[a, b])`` here: a list given positionally is one argument.)"""
        if not callable(func):
            raise TypeError(f"add_task() needs a callable, not {type(func).__name__}")
        self._tasks.append((func, (*args, *(args_list or ())), kwargs))

    def pending_count(self) -> int:
        """How many tasks are queued and not started."""
        return len(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def run_all(self) -> None:
        """Runs the queued tasks now, in order, in this thread (the original's explicit call); an
        ``async def`` task runs to completion on a loop of its own. Errors propagate."""
        tasks, self._tasks = self._tasks, []
        for func, args, kwargs in tasks:
            result = func(*args, **kwargs)
            if hasattr(result, "__await__"):
                import asyncio

                asyncio.run(result)

    def _start(self, report: Callable[[str, str], None] | None) -> None:
        """After the response: every task started (sync on the pool, async on this thread's loop)."""
        tasks, self._tasks = self._tasks, []
        for func, args, kwargs in tasks:
            if is_async_callable(func):
                import asyncio

                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    from . import _cello

                    loop = _cello.engine_loop()
                if loop is None or loop.is_closed():
                    log.error("background task %s not run: no event loop on this thread", _name(func))
                    continue
                loop.create_task(_run_async(func, args, kwargs, report))
            else:
                _threads().submit(_run_sync, func, args, kwargs, report)


async def _run_async(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                     report: Callable[[str, str], None] | None) -> None:
    try:
        await func(*args, **kwargs)
    except Exception as e:
        _failed(func, e, report)


def _run_sync(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
              report: Callable[[str, str], None] | None) -> None:
    try:
        func(*args, **kwargs)
    except Exception as e:
        _failed(func, e, report)


def request_tasks(request: Any, tasks: BackgroundTasks) -> None:
    """Has `tasks` run after `request`'s response (what a BackgroundTasks parameter does)."""
    request._after_response(tasks._start)
