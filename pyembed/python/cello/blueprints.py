"""Blueprints: groups of routes under a common prefix, registered on an App (or on another
blueprint) in one call."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import _cello
from ._elsewhere import check_signature
from .app import RouteInfo, _check_handler
from .routing import WEBSOCKET, RoutingMixin, checked_method


def check_prefix(prefix: str) -> str:
    """`prefix` if valid: "" (no prefix) or a path starting with "/" and not ending with "/"."""
    if not isinstance(prefix, str):
        raise TypeError(f"a blueprint prefix must be a str, not {type(prefix).__name__}")
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        hint = ' (use "" for no prefix)' if prefix == "/" else ""
        raise ValueError(f"blueprint prefix {prefix!r} must be empty or start with '/' and not end "
                         f"with '/'{hint}")
    return prefix


class Blueprint(RoutingMixin):
    """Routes under `prefix`, with the same decorators as App.

    ``bp.get("/items")`` under ``Blueprint("/api")`` serves ``/api/items``; a route path of "" serves
    the prefix itself. `name`, if given, qualifies the route names (``"api.list_items"``).
    `register_blueprint(child)` (or `register(child)`, the original Cello's name) nests another
    blueprint (prefixes join).
    `app.register_blueprint(bp)` copies every route to the app; after that the blueprint (and
    every blueprint nested in it) is frozen: adding routes or children raises RuntimeError,
    because they could not reach the app. A blueprint may be registered on several apps.
    """

    def __init__(self, prefix: str = "", name: str | None = None,
                 guards: Sequence[Callable[[Any], Any]] | None = None) -> None:
        self.prefix = check_prefix(prefix)
        self.name = name
        self.guards = list(guards or [])  # checked before each route's own, here and in children
        self._routes: list[RouteInfo] = []  # paths relative to the prefix
        self._children: list[Blueprint] = []
        self._frozen = False
        # Catches bad patterns and conflicts at the decorator, where the error points to the code.
        self._check_table = _cello.RouteTable()

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Blueprint{label} prefix={self.prefix!r} routes={len(self._routes)}>"

    def _check_open(self) -> None:
        if self._frozen:
            raise RuntimeError(f"{self!r} is already registered on an app: add its routes and nested "
                               "blueprints before app.register_blueprint()")

    def _add_route(self, methods: list[str], path: str, handler: Callable[..., Any], name: str,
                   summary: str | None, tags: list[str], description: str | None = None) -> None:
        self._check_open()
        if path == "" and not self.prefix:
            raise ValueError("route '' needs a blueprint prefix (use '/' for the root)")
        if path and not path.startswith("/"):
            raise ValueError(f"route {path!r} must start with '/' (or be '' for the prefix itself)")
        full = self.prefix + path
        if methods != [WEBSOCKET]:
            _check_handler(handler, full)
            check_signature(handler, full)
        for method in methods:  # the engine's router rejects unknown methods, bad patterns, conflicts
            self._check_table.add(checked_method(method), full, handler, name)
            self._routes.append(RouteInfo(method, path, handler, name, summary, tags, description))

    def register_blueprint(self, child: Blueprint) -> None:
        """Nests `child`: its routes are served under this blueprint's prefix + its own."""
        self._check_open()
        if not isinstance(child, Blueprint):
            raise TypeError(f"register_blueprint() takes a Blueprint, not {type(child).__name__}")
        if child is self or any(bp is self for bp in child._walk()):
            raise ValueError(f"{child!r} cannot be nested in itself")
        self._children.append(child)

    register = register_blueprint  # the original Cello's spelling

    def _walk(self) -> Iterator[Blueprint]:
        """This blueprint and every blueprint nested in it."""
        yield self
        for child in self._children:
            yield from child._walk()

    def _collect(self, prefix: str = "", qualifier: str = "") -> Iterator[RouteInfo]:
        """Every route of this blueprint and its children, with full paths and qualified names:
        its own routes in registration order, then each child's."""
        prefix += self.prefix
        if self.name:
            qualifier += self.name + "."
        for r in self._routes:
            yield RouteInfo(r.method, prefix + r.path, self._guarded(r.handler), qualifier + r.name, r.summary,
                            r.tags, r.description)
        for child in self._children:
            for r in child._collect(prefix, qualifier):
                yield RouteInfo(r.method, r.path, self._guarded(r.handler), r.name, r.summary, r.tags, r.description)

    def _guarded(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        if not self.guards:
            return handler
        from .guards import guarded

        return guarded(handler, self.guards)

    @property
    def routes(self) -> list[RouteInfo]:
        """The routes as they will be registered (full paths), own routes first, then nested ones."""
        return list(self._collect())
