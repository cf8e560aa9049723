"""The route decorators shared by `App` and `Blueprint`, and the code-flag checks on handlers."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from types import MethodType
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# Code-object flags (see the `inspect` module): checked directly, because importing `inspect`
# costs about 2 MB of resident memory in every server.
_CO_VARARGS = 0x04
_CO_COROUTINE = 0x80 | 0x100  # async def, @types.coroutine
_CO_ASYNC_GENERATOR = 0x200
_CO_ASYNC = _CO_COROUTINE | _CO_ASYNC_GENERATOR


def _function_of(fn: Any) -> tuple[Any, int]:
    """The Python function behind `fn` (through decorators' __wrapped__ and bound methods), or
    None, and how many leading positional parameters are already bound (1 for a bound method)."""
    bound = 0
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    if isinstance(fn, MethodType):
        fn, bound = fn.__func__, 1
    return (fn if hasattr(fn, "__code__") else None), bound


def _code_flags(fn: Any) -> int:
    """The code flags of the function behind `fn` (0 for builtins and other callables)."""
    func = _function_of(fn)[0]
    return func.__code__.co_flags if func is not None else 0


def is_coroutine_function(fn: Any) -> bool:
    """True for `async def` functions (not async generators): calling them returns a coroutine."""
    return bool(_code_flags(fn) & _CO_COROUTINE)


def is_async_callable(fn: Any) -> bool:
    """True for `async def` functions and async generator functions."""
    return bool(_code_flags(fn) & _CO_ASYNC)


def _takes_only_request(fn: Any, path: str) -> bool:
    """The common handler, ``def handler(request)``, seen from its code alone (no `inspect`)."""
    func, bound = _function_of(fn)
    if func is None:
        return True  # a builtin or callable object: called with the request
    code = func.__code__
    if code.co_argcount - bound != 1 or code.co_kwonlyargcount or func.__defaults__:
        return False
    name = code.co_varnames[bound]
    annotation = func.__annotations__.get(name)
    label = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None) or repr(annotation)
    return (annotation is None or label in ("Request", "Any", "typing.Any")) and "{" + name not in path


def _bind_parameters(fn: Any, path: str) -> Any:
    from .params import bind

    return bind(fn, path)


#: The method name of WebSocket routes in RouteInfo (served as GET with Upgrade: websocket).
WEBSOCKET = "WEBSOCKET"
#: The attribute of a WebSocket handler holding its options.
WEBSOCKET_OPTIONS = "__cello_websocket__"


def checked_method(method: str) -> str:
    """The HTTP method under which the router files a route (a WebSocket route is a GET)."""
    return "GET" if method == WEBSOCKET else method


class RoutingMixin:
    """`route()` and the per-method decorators. The class provides `_add_route`, which records
    (and validates) one handler for one path and a list of methods."""

    def _add_route(self, methods: list[str], path: str, handler: Callable[..., Any], name: str,
                   summary: str | None, tags: list[str], description: str | None = None) -> None:
        raise NotImplementedError

    def route(self, path: str, methods: Iterable[str] | None = ("GET",), *, name: str | None = None,
              summary: str | None = None, tags: list[str] | None = None,
              guards: Sequence[Callable[[Any], Any]] | None = None,
              description: str | None = None) -> Callable[[Handler], Handler]:
        """Registers the decorated function for `path` and each of `methods`; returns it unchanged.
        `guards` (cello.guards) are checked in order before it runs; `summary`, `description` and
        `tags` go to the OpenAPI document (enable_openapi)."""
        method_list = [m.upper() for m in (methods if methods is not None else ("GET",))]
        if not method_list:
            raise ValueError(f"route {path!r} needs at least one method")

        def decorator(fn: Handler) -> Handler:
            route_name = name or getattr(fn, "__qualname__", repr(fn))
            handler = fn if _takes_only_request(fn, path) else _bind_parameters(fn, path)
            if guards:
                from .guards import guarded

                handler = guarded(handler, guards)
            self._add_route(method_list, path, handler, route_name, summary, list(tags or []), description)
            return fn

        return decorator

    def websocket(self, path: str, *, name: str | None = None, max_message_size: int = 1024 * 1024,
                  deflate: bool = True, idle_timeout: int = 60,
                  guards: Sequence[Callable[[Any], Any]] | None = None) -> Callable[[Handler], Handler]:
        """Registers ``async def handler(ws)`` for WebSocket connections to `path` (a GET with
        ``Upgrade: websocket``; path parameters as for HTTP routes, in ``ws.params``).
        `max_message_size`: a larger message closes the connection with 1009; `deflate`:
        permessage-deflate when the client offers it; `idle_timeout`: a ping after half this many
        seconds without a frame from the client, closed after all of them (0: never). `guards`
        see the upgrade request; a refusal is its HTTP answer (401, 403). See docs/websocket.md."""

        def decorator(fn: Handler) -> Handler:
            import inspect

            if not inspect.iscoroutinefunction(fn):
                raise TypeError(f"the WebSocket handler for {path!r} must be an async def taking the WebSocket")
            setattr(fn, WEBSOCKET_OPTIONS, {"max_message_size": int(max_message_size), "deflate": bool(deflate),
                                            "idle_timeout": int(idle_timeout)})
            handler = fn
            if guards:
                from .guards import guarded

                handler = guarded(fn, guards)
            self._add_route([WEBSOCKET], path, handler, name or getattr(fn, "__qualname__", repr(fn)), None, [], None)
            return fn

        return decorator

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """GET route (HEAD is answered automatically)."""
        return self.route(path, ["GET"], **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """POST route."""
        return self.route(path, ["POST"], **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """PUT route."""
        return self.route(path, ["PUT"], **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """PATCH route."""
        return self.route(path, ["PATCH"], **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """DELETE route."""
        return self.route(path, ["DELETE"], **kw)

    def head(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """HEAD route (overrides the automatic HEAD of a GET route)."""
        return self.route(path, ["HEAD"], **kw)

    def options(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """OPTIONS route (overrides the automatic OPTIONS answer)."""
        return self.route(path, ["OPTIONS"], **kw)
