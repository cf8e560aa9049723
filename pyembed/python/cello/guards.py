"""Guards: checks that run before a handler and refuse the request with 401 or 403 (the original
Cello's `cello.guards`). A guard is any callable of the request that returns True or None to let it
through, False or a message (str) to refuse it with 403, or raises a GuardError of its own status.

>>> @app.get("/admin", guards=[Authenticated(), RoleGuard(["admin"])])
... def admin(request): ...

`RoleGuard`, `PermissionGuard` and `Authenticated` read the user that earlier code (a
before_request hook, a middleware) put on the request with ``request.set_context("user", user)``:
a dict or an object with `roles` and `permissions`. Guards combine with `And`, `Or`, `Not` (or
``&``, ``|``, ``~``). Guards on a blueprint apply to its routes and its children's; `app.add_guard()`
applies to every route.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .errors import HTTPError

__all__ = ["And", "Authenticated", "ForbiddenError", "Guard", "GuardError", "Not", "Or", "PermissionGuard",
           "RoleGuard", "UnauthorizedError"]


class GuardError(HTTPError):
    """A refused request, answered in the framework's error shape with `status`."""

    default_status = 403
    default_message = "Forbidden"

    def __init__(self, message: str | None = None, status: int | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(status or self.default_status, self.message)

    def __str__(self) -> str:
        return self.message


class ForbiddenError(GuardError):
    """403: the client is known but may not do this."""


class UnauthorizedError(GuardError):
    """401: the client must authenticate first."""

    default_status = 401
    default_message = "Unauthorized"


class Guard:
    """Base class: override `check(request)` (True/None: pass; False or a str: refuse)."""

    def check(self, request: Any) -> bool | str | None:
        raise NotImplementedError

    def __call__(self, request: Any) -> bool | str | None:
        return self.check(request)

    def __and__(self, other: Callable[[Any], Any]) -> And:
        return And([self, other])

    def __or__(self, other: Callable[[Any], Any]) -> Or:
        return Or([self, other])

    def __invert__(self) -> Not:
        return Not(self)


def passes(guard: Callable[[Any], Any], request: Any) -> bool:
    """Whether `guard` lets the request through (a GuardError it raises counts as no)."""
    try:
        enforce(guard, request)
    except GuardError:
        return False
    return True


def enforce(guard: Callable[[Any], Any], request: Any) -> None:
    """Raises the guard's refusal: its own GuardError, or ForbiddenError for False or a message."""
    result = guard(request)
    if inspect.isawaitable(result):
        if hasattr(result, "close"):
            result.close()
        raise TypeError(f"guard {guard!r} is async: guards are plain functions of the request")
    if result is None or result is True:
        return
    if result is False:
        raise ForbiddenError()
    if isinstance(result, str):
        raise ForbiddenError(result)
    raise TypeError(f"guard {guard!r} returned {type(result).__name__}: expected True/None, False or a message")


def _user(request: Any) -> Any:
    getter = getattr(request, "get_context", None)
    return getter("user") if getter is not None else None


def _names(user: Any, field: str) -> set[str]:
    value = user.get(field) if isinstance(user, dict) else getattr(user, field, None)
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value}


class Authenticated(Guard):
    """Passes when a user was put on the request; 401 otherwise."""

    def check(self, request: Any) -> bool:
        if not _user(request):
            raise UnauthorizedError("authentication required")
        return True


def _require(request: Any, field: str, wanted: list[str], require_all: bool, what: str) -> bool | str:
    """True when the request's user has all (or any) of `wanted` in its `field`; 401 without a user."""
    user = _user(request)
    if not user:
        raise UnauthorizedError("authentication required")
    have = _names(user, field)
    ok = all(w in have for w in wanted) if require_all else any(w in have for w in wanted)
    return True if ok else f"requires {what} {(' and ' if require_all else ' or ').join(wanted)}"


class RoleGuard(Guard):
    """Passes when the user has one of `roles` (all of them with ``require_all=True``); 401 without
    a user, 403 without the roles."""

    def __init__(self, roles: Iterable[str], require_all: bool = False) -> None:
        self.roles = [str(r) for r in roles]
        self.require_all = require_all

    def check(self, request: Any) -> bool | str:
        return _require(request, "roles", self.roles, self.require_all, "role")


class PermissionGuard(Guard):
    """Passes when the user has all of `permissions` (any of them with ``require_all=False``)."""

    def __init__(self, permissions: Iterable[str], require_all: bool = True) -> None:
        self.permissions = [str(p) for p in permissions]
        self.require_all = require_all

    def check(self, request: Any) -> bool | str:
        return _require(request, "permissions", self.permissions, self.require_all, "permission")


class And(Guard):
    """Every guard must pass; the first refusal is the answer."""

    def __init__(self, guards: Sequence[Callable[[Any], Any]]) -> None:
        self.guards = list(guards)

    def check(self, request: Any) -> bool:
        for guard in self.guards:
            enforce(guard, request)
        return True


class Or(Guard):
    """One guard passing is enough; when none does, the last refusal is the answer."""

    def __init__(self, guards: Sequence[Callable[[Any], Any]]) -> None:
        if not guards:
            raise ValueError("Or() needs at least one guard")
        self.guards = list(guards)

    def check(self, request: Any) -> bool:
        for guard in self.guards[:-1]:
            if passes(guard, request):
                return True
        enforce(self.guards[-1], request)
        return True


class Not(Guard):
    """Passes when `guard` refuses."""

    def __init__(self, guard: Callable[[Any], Any]) -> None:
        self.guard = guard

    def check(self, request: Any) -> bool | str:
        return "forbidden" if passes(self.guard, request) else True


def guarded(handler: Callable[..., Any], guards: Sequence[Callable[[Any], Any]]) -> Callable[..., Any]:
    """`handler` behind `guards` (checked in order before it runs); an async handler stays async.
    A WebSocket handler's guards see the upgrade request (``ws.request``): a refusal is the HTTP
    answer to the upgrade (401, 403...)."""
    checks = tuple(guards)
    for guard in checks:
        if not callable(guard):
            raise TypeError(f"a guard must be callable, not {type(guard).__name__}")
    if hasattr(handler, "__cello_websocket__"):
        @functools.wraps(handler)  # keeps the route's WebSocket options
        async def websocket_guarded(ws: Any) -> Any:
            for guard in checks:
                enforce(guard, ws.request)
            return await handler(ws)

        return websocket_guarded
    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def async_guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            for guard in checks:
                enforce(guard, request)
            return await handler(request, *args, **kwargs)

        async_guarded.__cello_guarded__ = True  # type: ignore[attr-defined]
        return async_guarded

    @functools.wraps(handler)
    def sync_guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
        for guard in checks:
            enforce(guard, request)
        return handler(request, *args, **kwargs)

    sync_guarded.__cello_guarded__ = True  # type: ignore[attr-defined]
    return sync_guarded
