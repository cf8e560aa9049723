"""The original Cello's Request helpers (docs/api.md, "Coming from the original Cello"), on our
Request: methods, not properties, spelled and behaving as the original's code does, except where
noted there (a bad number is a 400 instead of a 500; client_ip() falls back to the peer's address).
"""
from __future__ import annotations

import json
from typing import Any

from . import _cello
from .errors import HTTPError

_TRUE = frozenset({"true", "1", "yes", "on"})


class ParameterError(HTTPError, ValueError):
    """A query or path parameter that is not the number asked for: a 400 (and, as in the original,
    a ValueError for code that catches one)."""

    def __init__(self, where: str, name: str, value: str, kind: str) -> None:
        HTTPError.__init__(self, 400, f"{where} parameter {name!r} must be {kind}, got {value!r}")


def _number(where: str, name: str, value: Any, convert: type, kind: str) -> Any:
    if isinstance(value, convert) and not isinstance(value, bool):
        return value
    try:
        return convert(value)
    except (TypeError, ValueError):
        raise ParameterError(where, name, str(value), kind) from None


def get_query_param(self: Any, name: str, default: str | None = None) -> str | None:
    """The query parameter (its last value when repeated), or `default`."""
    return self.query.get(name, default)


def get_query_int(self: Any, name: str, default: int | None = None) -> int | None:
    """The query parameter as an int, or `default` when absent; a 400 when it is not a number."""
    value = self.query.get(name)
    return default if value is None else _number("query", name, value, int, "an integer")


def get_query_float(self: Any, name: str, default: float | None = None) -> float | None:
    """The query parameter as a float, or `default` when absent; a 400 when it is not a number."""
    value = self.query.get(name)
    return default if value is None else _number("query", name, value, float, "a number")


def get_query_bool(self: Any, name: str, default: bool = False) -> bool:
    """True for true/1/yes/on (any case), False for anything else, `default` when absent."""
    value = self.query.get(name)
    return default if value is None else value.strip().lower() in _TRUE


def get_header(self: Any, name: str, default: str | None = None) -> str | None:
    """The header, by any case of its name, or `default`."""
    return self.headers.get(name, default)


def get_param(self: Any, name: str, default: Any = None) -> Any:
    """The path parameter, or `default`."""
    return self.params.get(name, default)


def get_param_int(self: Any, name: str, default: int | None = None) -> int | None:
    """The path parameter as an int, or `default` when absent; a 400 when it is not a number."""
    value = self.params.get(name)
    return default if value is None else _number("path", name, value, int, "an integer")


def content_type(self: Any) -> str | None:
    """The Content-Type header as sent, or None."""
    return self.headers.get("content-type")


def _content_type_has(self: Any, kind: str) -> bool:
    return kind in (self.headers.get("content-type") or "").lower()


def is_json(self: Any) -> bool:
    """Whether the body is declared JSON (Content-Type contains application/json)."""
    return _content_type_has(self, "application/json")


def is_form(self: Any) -> bool:
    """Whether the body is declared a urlencoded form."""
    return _content_type_has(self, "application/x-www-form-urlencoded")


def is_multipart(self: Any) -> bool:
    """Whether the body is declared multipart/form-data."""
    return _content_type_has(self, "multipart/form-data")


def client_ip(self: Any) -> str | None:
    """The client's address as the proxies in front say it (X-Forwarded-For's first entry, else
    X-Real-IP), else the peer's address. The headers are whatever the client sent unless a proxy
    you trust overwrites them: do not base security decisions on them."""
    forwarded = self.headers.get("x-forwarded-for")
    if forwarded:
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    real = self.headers.get("x-real-ip")
    if real:
        return real.strip()
    ip = self.client[0]
    return ip or None


def user_agent(self: Any) -> str | None:
    """The User-Agent header, or None."""
    return self.headers.get("user-agent")


def host(self: Any) -> str | None:
    """The Host header, or None."""
    return self.headers.get("host")


def accepts(self: Any, content_type: str) -> bool:
    """Whether the Accept header names `content_type` (or */*, or its type/*); True without one."""
    accept = (self.headers.get("accept") or "").lower()
    if not accept:
        return True
    wanted = content_type.lower()
    ranges = {part.split(";")[0].strip() for part in accept.split(",")}
    return wanted in ranges or "*/*" in ranges or wanted.split("/")[0] + "/*" in ranges


def is_xhr(self: Any) -> bool:
    """Whether X-Requested-With says XMLHttpRequest (a script's request)."""
    return (self.headers.get("x-requested-with") or "").lower() == "xmlhttprequest"


def is_secure(self: Any) -> bool:
    """Whether the client came over HTTPS: this server's TLS, or a proxy in front that says so
    (X-Forwarded-Proto or X-Forwarded-Scheme is https)."""
    if self.tls is not None:
        return True
    proto = self.headers.get("x-forwarded-proto") or self.headers.get("x-forwarded-scheme") or ""
    return proto.split(",")[0].strip().lower() == "https"


def request_id(self: Any) -> str | None:
    """This request's id (enable_request_id()), else the X-Request-ID it came with, else None."""
    return self.id or self.headers.get("x-request-id")


def get_context(self: Any, key: str) -> Any:
    """A value set_context() put on this request (middleware and guards pass data this way)."""
    return self.state.get(key)


def set_context(self: Any, key: str, value: Any) -> None:
    """Puts a JSON-able value on this request; TypeError for anything else (as the original)."""
    json.dumps(value)  # raises TypeError for what the original could not hold
    self.state[key] = value


def get_context_string(self: Any, key: str) -> str | None:
    """get_context() as a string: a str as is, anything else as its JSON, None when unset."""
    value = self.state.get(key)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def install(request_class: Any = _cello.Request) -> None:
    """Adds the helpers to the Request class."""
    for function in (get_query_param, get_query_int, get_query_float, get_query_bool, get_header, get_param,
                     get_param_int, content_type, is_json, is_form, is_multipart, client_ip, user_agent, host,
                     accepts, is_xhr, is_secure, request_id, get_context, set_context, get_context_string):
        setattr(request_class, function.__name__, function)
    request_class.query_params = property(lambda request: request.query, doc="The query parameters (request.query).")
