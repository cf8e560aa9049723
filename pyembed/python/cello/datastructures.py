"""Case-insensitive headers and multi-valued query parameters."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TypeVar, Union

HeaderInput = Union[Mapping[str, str], Iterable[tuple[str, str]], None]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_header(name: str, value: str) -> None:
    """RFC 9110: a name is a token; a value has no control characters but HTAB. (Framing headers
    such as Content-Length are refused when a response is sent: docs/security.md.)"""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("header names and values must be str")
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"invalid header name {name!r}: it must be a token (letters, digits, !#$%&'*+-.^_`|~)")
    if _CONTROL.search(value):
        raise ValueError(f"invalid value for header {name!r}: control characters (CR, LF, NUL...) are not allowed")


class Headers(MutableMapping[str, str]):
    """Case-insensitive, multi-valued HTTP headers that keep their order.

    ``headers["content-type"]`` and ``headers["Content-Type"]`` are the same entry;
    ``getlist`` returns every value of a repeated header; ``add`` appends one.
    """

    __slots__ = ("_items",)

    def __init__(self, headers: HeaderInput = None) -> None:
        self._items: list[tuple[str, str]] = []
        if headers is None:
            return
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in pairs:
            self.add(name, value)

    def __getitem__(self, key: str) -> str:
        lower = key.lower()
        for name, value in self._items:
            if name.lower() == lower:
                return value
        raise KeyError(key)

    def __setitem__(self, key: str, value: str) -> None:
        _check_header(key, value)
        del self[key]
        self._items.append((key, value))

    def __delitem__(self, key: str) -> None:
        lower = key.lower()
        self._items = [(n, v) for n, v in self._items if n.lower() != lower]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lower = key.lower()
        return any(n.lower() == lower for n, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len({n.lower() for n, _ in self._items})

    def add(self, key: str, value: str) -> None:
        """Appends a value without replacing existing ones (e.g. Set-Cookie)."""
        _check_header(key, value)
        self._items.append((key, value))

    def getlist(self, key: str) -> list[str]:
        """Every value of `key`, in order."""
        lower = key.lower()
        return [v for n, v in self._items if n.lower() == lower]

    def raw(self) -> list[tuple[str, str]]:
        """All (name, value) pairs, repeated names included."""
        return list(self._items)

    def items(self):  # type: ignore[override]
        """All (name, value) pairs, repeated names included, in order."""
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted((n.lower(), v) for n, v in self._items) == sorted((n.lower(), v) for n, v in other._items)
        if isinstance(other, Mapping):
            return self == Headers(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


V = TypeVar("V")


class MultiDict(Mapping[str, V]):
    """An ordered multi-valued mapping: ``d[k]`` is the last value given for `k`,
    ``getlist(k)`` all of them in order."""

    __slots__ = ("_items", "_last")

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._items: list[tuple[str, V]] = list(items)
        self._last: dict[str, V] = dict(self._items)

    def __getitem__(self, key: str) -> V:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, key: str) -> list[V]:
        """Every value of `key`, in order."""
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, V]]:
        """All (key, value) pairs, repeated keys included."""
        return list(self._items)

    def __json__(self) -> dict[str, V]:
        """As a JSON object (returned from a handler): the last value of each key."""
        return dict(self._last)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class QueryParams(MultiDict[str]):
    """Query parameters: ``query[k]`` is the last value given for `k`, ``getlist(k)`` all of them."""

    __slots__ = ()
