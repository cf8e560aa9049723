"""@cache: responses served from native memory, without calling Python, until their TTL ends."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

CACHE_ATTRIBUTE = "__cello_cache__"

# A field name is a token (RFC 9110 5.1, 5.6.2).
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _header_names(vary: Iterable[str] | None) -> list[str]:
    """The request header names of ``vary=``, checked; a lone str is refused (not split into letters)."""
    if vary is None:
        return []
    if isinstance(vary, (str, bytes)):
        raise TypeError(f"cache vary= takes a list of header names, e.g. vary=[{vary!r}]")
    names = []
    for name in vary:
        if not isinstance(name, str) or name == "*" or not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"cache vary= needs request header names, not {name!r}")
        names.append(name)
    return names


def cache(ttl: float | None = None, tags: Iterable[str] | None = None, vary: Iterable[str] | None = None,
          key: Callable[[Any], str | None] | None = None) -> Callable[[F], F]:
    """Caches the route's 2xx responses for `ttl` seconds, as a shared cache (RFC 9111) would.
    Without `ttl`: the app's enable_caching(ttl=...), else 60 s.

    The key is the Host header, the path and the query string (parameters ordered by name, repeated
    names kept in their order), plus the request headers named in `vary`. `key=` replaces the path
    and query with a function of the request (return None to skip the cache for that request); it
    costs a Python call per request. `tags` name groups for ``app.invalidate_cache(tags=[...])``.

    Never shared between users: a request carrying ``Authorization`` or ``Cookie`` bypasses the cache
    unless `vary` names that header (then each credential has its own entries), or the stored
    response says ``Cache-Control: public``. Responses with ``Set-Cookie``, ``Vary: *`` or
    ``Cache-Control: no-store / private / no-cache`` are not stored; a response's own ``Vary`` and
    ``max-age`` / ``s-maxage`` / ``Expires`` are honoured. See docs/caching.md.

    Hits are answered natively with ``X-Cache: HIT`` and ``Age``; misses carry ``X-Cache: MISS``.
    Concurrent misses on one key run the handler once; the others wait for its response.
    """
    if ttl is not None and not ttl > 0:
        raise ValueError(f"cache ttl must be a positive number of seconds, not {ttl!r}")
    if key is not None and not callable(key):
        raise TypeError("cache key= must be a function of the request")
    settings = {"ttl": None if ttl is None else float(ttl), "tags": [str(t) for t in tags or ()],
                "vary": _header_names(vary), "key": key}

    def decorator(fn: F) -> F:
        setattr(fn, CACHE_ATTRIBUTE, settings)
        return fn

    return decorator
