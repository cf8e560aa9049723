"""@cache: responses served from native memory, without calling Python, until their TTL ends."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

CACHE_ATTRIBUTE = "__cello_cache__"


def cache(ttl: float = 60, tags: Iterable[str] | None = None, vary: Iterable[str] | None = None,
          key: Callable[[Any], str | None] | None = None) -> Callable[[F], F]:
    """Caches the route's 2xx responses for `ttl` seconds.

    The key is method + path + sorted query string, plus the request headers named in `vary`.
    `key=` replaces it with a function of the request (return None to skip the cache for that
    request); it costs a Python call per request. `tags` name groups for
    ``app.invalidate_cache(tags=[...])``. Responses carrying Set-Cookie are never stored.
    Hits are answered natively with ``X-Cache: HIT`` and ``Age``; misses carry ``X-Cache: MISS``.
    Concurrent misses on one key run the handler once; the others wait for its response.
    """
    if not ttl > 0:
        raise ValueError(f"cache ttl must be a positive number of seconds, not {ttl!r}")
    if key is not None and not callable(key):
        raise TypeError("cache key= must be a function of the request")
    settings = {"ttl": float(ttl), "tags": [str(t) for t in tags or ()], "vary": [str(v) for v in vary or ()],
                "key": key}

    def decorator(fn: F) -> F:
        setattr(fn, CACHE_ATTRIBUTE, settings)
        return fn

    return decorator
