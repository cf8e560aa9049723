"""The Python extension points of App: lifecycle hooks (`on_event`), exception handlers and
before/after-request hooks. Apps that use none of them pay nothing per request."""
from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .errors import HTTPError
from .response import Response
from .routing import is_async_callable, is_coroutine_function

F = TypeVar("F", bound=Callable[..., Any])

EVENTS = ("startup", "shutdown")


class _NoHandler:
    """`App._exception_response` found no handler: the engine answers as usual."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no exception handler>"


NO_HANDLER = _NoHandler()


def _body_response(body: Any) -> Response:
    """A Response for a body the way the engine converts it: dict/list/other data as JSON,
    str as text, bytes as octet-stream, None as 204."""
    if isinstance(body, str):
        return Response(body)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return Response(bytes(body), content_type="application/octet-stream")
    if body is None:
        return Response(b"", 204)
    return Response.json(body)  # dict, list, dataclasses, datetimes...; TypeError if not JSON-able


def to_response(value: Any) -> Response:
    """The `Response` for anything a handler may return (see docs/api.md, "Return values")."""
    if isinstance(value, Response):
        return value
    if type(value) is tuple:
        if len(value) not in (2, 3):
            raise TypeError("a tuple return must be (body, status) or (body, status, headers)")
        status = value[1]
        if not isinstance(status, int):
            raise TypeError("the status in a returned tuple must be an int")
        if not 100 <= status <= 999:
            raise ValueError(f"status code out of range: {status}")
        response = _body_response(value[0])
        response.status = status
        if status < 200 or status in (204, 304):
            response.body = b""
        if len(value) == 3 and value[2] is not None:
            headers = value[2]
            for name, header_value in (headers.items() if isinstance(headers, Mapping) else headers):
                if name.lower() == "content-type":
                    response.content_type = header_value
                else:
                    response.headers.add(name, header_value)
        return response
    if not isinstance(value, (dict, list)) and (hasattr(type(value), "__next__") or hasattr(type(value), "__anext__")):
        return Response.stream(value)  # generators and other iterators: streamed
    return _body_response(value)


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _run_on(loop: Any, awaitable: Awaitable[Any]) -> Any:
    """Runs `awaitable` on `loop` (running in another thread) and waits for its result; Ctrl-C
    while waiting cancels it there and propagates."""
    import asyncio

    future = asyncio.run_coroutine_threadsafe(_awaited(awaitable), loop)
    try:
        while True:
            try:
                return future.result(0.1)
            except TimeoutError:
                continue
    except BaseException:
        future.cancel()
        raise


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _check_sync(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what} {fn!r} is not callable")
    if is_async_callable(fn):
        raise TypeError(f"{what} {_name(fn)!r} is an async def function; it must be a plain def "
                        "(it runs inside the request, on the engine thread)")


class HooksMixin:
    """on_event, exception_handler, before_request and after_request."""

    # What `_exception_response` returns when no handler matches (read by the engine).
    _NO_HANDLER = NO_HANDLER

    def _init_hooks(self) -> None:
        self._event_hooks: dict[str, list[Callable[[], Any]]] = {event: [] for event in EVENTS}
        self._exception_handlers: dict[type[BaseException], Callable[[Any, Any], Any]] = {}
        self._before_request: list[Callable[[Any], Any]] = []
        self._after_request: list[Callable[[Any, Response], Response | None]] = []

    # -- lifecycle ----------------------------------------------------------------------------
    def on_event(self, event: str) -> Callable[[F], F]:
        """Registers a function to run at "startup" (before the socket opens) or "shutdown"
        (after the graceful stop). Takes no arguments; returns the function unchanged. Hooks run in
        registration order.

        A plain `def` hook runs once, on the main thread. An `async def` hook runs on every engine
        thread's own event loop, once per thread, so that what it opens (a pool, a client, a
        queue) belongs to the loop whose handlers use it: keep such resources per thread, e.g. in
        a `threading.local()` (docs/async.md, "Startup and shutdown").
        """
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}: use 'startup' or 'shutdown'")

        def decorator(fn: F) -> F:
            if not callable(fn):
                raise TypeError(f"{event} hook {fn!r} is not callable")
            self._event_hooks[event].append(fn)
            return fn

        return decorator

    def _run_event(self, event: str, loops: list[Any] | None = None) -> None:
        """Runs the `event` hooks in registration order, sync ones in this thread. An async one
        (or a plain def's awaitable) runs on each of `loops` in turn, the engine threads' loops,
        waiting for each; without `loops`, on one event loop (asyncio.Runner) for the whole event,
        made only if one is needed.

        "startup" stops at the first exception and raises it. "shutdown" runs every hook: a
        failure's traceback is printed on stderr and the first failure is raised at the end."""
        runner = None
        failure: Exception | None = None
        try:
            for hook in self._event_hooks[event]:
                try:
                    if loops and is_coroutine_function(hook):
                        for loop in loops:
                            _run_on(loop, hook())
                        continue
                    result = hook()
                    if hasattr(type(result), "__await__"):
                        if loops:
                            _run_on(loops[0], result)
                            continue
                        if runner is None:
                            import asyncio  # only apps with async hooks pay for it

                            runner = asyncio.Runner()
                        runner.run(_awaited(result))
                except Exception as exc:
                    if event == "startup":
                        raise
                    import traceback

                    print(f"cello: shutdown hook {_name(hook)} failed:", file=sys.stderr)
                    traceback.print_exc()
                    failure = failure or exc
        finally:
            if runner is not None:
                runner.close()
        if failure is not None:
            raise failure

    # -- exception handlers -------------------------------------------------------------------
    def exception_handler(self, exc_type: type[BaseException]) -> Callable[[F], F]:
        """Registers `fn(request, exc)` for exceptions of `exc_type` and its subclasses raised by
        handlers and request hooks; it returns anything a handler may return. The most specific
        class wins (the exception's MRO). A later registration for the same class replaces the
        earlier one. Returns the function unchanged."""
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            raise TypeError(f"exception_handler() takes an exception class, not {exc_type!r}")

        def decorator(fn: F) -> F:
            _check_sync(fn, "exception handler")
            self._exception_handlers[exc_type] = fn
            return fn

        return decorator

    @property
    def _has_exception_handlers(self) -> bool:
        """True when the engine should ask `_exception_response` on the error path."""
        return bool(self._exception_handlers)

    def _exception_response(self, request: Any, exc: BaseException) -> Any:
        """What the app's exception handler for `exc` returns, or `_NO_HANDLER`.

        Walks the exception's MRO, most specific first. `HTTPError` ends the walk: a handler for
        `Exception` does not swallow HTTPErrors (the framework's own 400s, 404s...), only a handler
        for HTTPError or a subclass of it takes them. Exceptions of the handler propagate."""
        for cls in type(exc).__mro__:
            handler = self._exception_handlers.get(cls)
            if handler is not None:
                return handler(request, exc)
            if cls is HTTPError:
                break
        return NO_HANDLER

    # -- request hooks ------------------------------------------------------------------------
    def before_request(self, fn: F) -> F:
        """Registers `fn(request)`, called before every handler (costs a Python call per request).
        Returning None continues; returning anything a handler may return answers the request
        without calling the handler. Plain `def` only; returns the function unchanged."""
        _check_sync(fn, "before_request hook")
        self._before_request.append(fn)
        return fn

    def after_request(self, fn: F) -> F:
        """Registers `fn(request, response)`, called for every response made in Python: by the
        handler, a before_request hook or an exception handler (costs a Python call per request).
        `response` is a `Response`; return it (changed or not), another one, or None to keep it.
        Not called for the framework's own error responses (an unhandled exception, an HTTPError
        without an exception handler). Plain `def` only; returns the function unchanged."""
        _check_sync(fn, "after_request hook")
        self._after_request.append(fn)
        return fn

    def _wrap_handler(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """`handler` with the request hooks around it, or `handler` itself when there are none
        (so the engine calls it directly). An `async def` handler gets an `async def` wrapper."""
        before = tuple(self._before_request)
        after = tuple(self._after_request)
        if not before and not after:
            return handler

        def run_before(request: Any) -> Any:
            for hook in before:
                result = hook(request)
                if result is not None:
                    return result
            return None

        def run_after(request: Any, result: Any) -> Any:
            if not after:
                return result  # converted natively
            response = to_response(result)
            for hook in after:
                replaced = hook(request, response)
                if replaced is not None:
                    response = to_response(replaced)
            return response

        def handled(request: Any, exc: Exception) -> Any:
            # The app's exception handler answers here, so that after_request sees its response;
            # without one the exception goes on to the engine (framework error response).
            result = self._exception_response(request, exc)
            if result is NO_HANDLER:
                raise exc
            return result

        if is_coroutine_function(handler):
            async def async_wrapped(request: Any) -> Any:
                try:
                    result = run_before(request)
                    if result is None:
                        result = await handler(request)
                except Exception as exc:
                    result = handled(request, exc)
                return run_after(request, result)

            wrapped: Callable[..., Any] = async_wrapped
        else:
            def sync_wrapped(request: Any) -> Any:
                try:
                    result = run_before(request)
                    if result is None:
                        result = handler(request)
                except Exception as exc:
                    result = handled(request, exc)
                return run_after(request, result)

            wrapped = sync_wrapped
        wrapped.__name__ = getattr(handler, "__name__", wrapped.__name__)
        wrapped.__qualname__ = getattr(handler, "__qualname__", wrapped.__qualname__)
        return wrapped
