"""Responses built explicitly by a handler (returning a dict is faster; see docs/performance.md)."""
from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime, timezone
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from . import _cello
from .datastructures import Headers, HeaderInput


def _to_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"Response body must be bytes or str, not {type(body).__name__} (use Response.json for data)")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="..."`` for `filename` (RFC 6266). A name that is not printable ASCII
    also gets ``filename*=UTF-8''<percent-encoded>`` (RFC 8187, formerly 5987) after an ASCII
    fallback (accents dropped, other characters replaced by ``_``) for clients that ignore it."""
    if not isinstance(filename, str):
        raise TypeError("filename must be str")
    if all(" " <= c <= "~" for c in filename):
        return f"{disposition}; filename={_quoted(filename)}"
    stripped = "".join(c for c in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(c))
    fallback = "".join(c if " " <= c <= "~" else "_" for c in stripped)
    encoded = quote(filename, safe="!#$&+.^_`|~-")  # RFC 8187 attr-char stays as it is
    return f"{disposition}; filename={_quoted(fallback)}; filename*=UTF-8''{encoded}"


class _ContentType(str):
    """The response's media type: a str, also callable as the original Cello's
    ``response.content_type()`` method."""

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)


_content_types: dict[str, _ContentType] = {}
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")  # (tab is allowed)


def _content_type(value: str) -> _ContentType:
    """The media type, checked; the handful an app uses are checked and made once."""
    known = _content_types.get(value)
    if known is None:
        if _CONTROL.search(value):
            raise ValueError("content_type may not contain control characters (CR, LF, NUL...)")
        known = _ContentType(value)
        if len(_content_types) < 64:  # the handful an app uses, made once
            _content_types[value] = known
    return known


class Response:
    """An HTTP response: status, headers and a body of bytes.

    `headers` is a case-insensitive, mutable :class:`Headers`. Names that are not tokens and values with control characters raise ValueError.
    """

    __slots__ = ("body", "status", "_headers", "content_type", "stream_iter", "file_path", "file_name")

    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: HeaderInput = None,
        content_type: str | None = None,
    ) -> None:
        status = int(status)
        if not 200 <= status <= 599:
            # 1xx are the protocol's interim answers and codes past 599 are not HTTP (docs/api.md).
            raise ValueError(f"HTTP status must be 200-599 for a response, got {status}")
        self.body: bytes = body.encode("utf-8") if type(body) is str else _to_bytes(body)
        self.status: int = status
        # Made when first read (most responses never set one): see the `headers` property.
        self._headers: Headers | None = None
        if headers is not None:
            self._headers = parsed = Headers(headers)
            if content_type is None and "content-type" in parsed:
                content_type = parsed["content-type"]
                del parsed["content-type"]
        if content_type is None and isinstance(body, str):
            content_type = "text/plain; charset=utf-8"
        if content_type is not None:  # (the cache looked up here: one call less per response)
            content_type = _content_types.get(content_type) or _content_type(content_type)
        self.content_type: str | None = content_type
        self.stream_iter: Iterable[bytes | str] | None = None
        self.file_path: str | bytes | None = None
        self.file_name: str | None = None

    @property
    def headers(self) -> Headers:
        """The response's headers (case-insensitive, mutable; Content-Type is `content_type`)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers()
        return headers

    @headers.setter
    def headers(self, value: HeaderInput) -> None:
        self._headers = value if isinstance(value, Headers) else Headers(value)

    @classmethod
    def json(cls, data: Any, status: int | None = None, headers: HeaderInput = None) -> "Response":
        """JSON response, serialized by the native writer."""
        return cls(_cello.dumps(data), status or 200, headers, "application/json")

    @classmethod
    def text(cls, text: str, status: int | None = None, headers: HeaderInput = None) -> "Response":
        """text/plain; charset=utf-8 response."""
        return cls(text.encode("utf-8"), status or 200, headers, "text/plain; charset=utf-8")

    @classmethod
    def html(cls, html: str, status: int | None = None, headers: HeaderInput = None) -> "Response":
        """text/html; charset=utf-8 response."""
        return cls(html.encode("utf-8"), status or 200, headers, "text/html; charset=utf-8")

    @classmethod
    def binary(cls, data: bytes, content_type: str | None = None, status: int | None = None,
               headers: HeaderInput = None) -> "Response":
        """Bytes as they are (application/octet-stream unless `content_type` says)."""
        return cls(bytes(data), status or 200, headers, content_type or "application/octet-stream")

    @classmethod
    def xml(cls, data: Any, status: int | None = None, root_name: str | None = None,
            headers: HeaderInput = None) -> "Response":
        """Python data as XML (application/xml): a dict's keys become elements, a list's items
        <item> elements, scalars their text, None an empty element; everything escaped."""
        from .xml_body import to_xml

        return cls(to_xml(data, root_name or "root"), status or 200, headers, "application/xml; charset=utf-8")

    @classmethod
    def created(cls, data: Any = None, location: str | None = None, headers: HeaderInput = None) -> "Response":
        """201 Created: JSON of `data` when given, and a Location header when `location` is."""
        response = cls.json(data, 201, headers) if data is not None else cls(b"", 201, headers)
        if location is not None:
            response.headers["Location"] = location
        return response

    @classmethod
    def no_content(cls, headers: HeaderInput = None) -> "Response":
        """204 No Content."""
        return cls(b"", 204, headers)

    @classmethod
    def stream(cls, iterable: Iterable[bytes | str], content_type: str | None = None, status: int = 200,
               headers: HeaderInput = None) -> "Response":
        """Chunked response whose body is produced by `iterable`, each item sent as soon as it is
        produced. Items are bytes or str (UTF-8). A sync iterable (a generator) runs on the engine
        thread that owns the connection, so a slow producer holds that thread; an async iterable (an
        async generator) runs on the engine thread's asyncio loop. If the client goes away, a generator
        is closed (GeneratorExit inside it) and an async one cancelled (CancelledError)."""
        response = cls(b"", status, headers, content_type)
        response.stream_iter = iterable
        return response

    @classmethod
    def file(cls, path: str | bytes | os.PathLike[str] | os.PathLike[bytes], filename: str | None = None,
             content_type: str | None = None, status: int = 200, headers: HeaderInput = None) -> "Response":
        """The file at `path`, sent by the engine: opened when the response is sent (a relative
        path is relative to the working directory then), streamed in 64 KiB chunks, with ETag,
        Last-Modified, Accept-Ranges, 304 for If-None-Match / If-Modified-Since and 206/416 for
        Range (with status 200 only). The type is guessed from `filename` or else the path, unless
        `content_type` is given. `filename` makes it a download: ``Content-Disposition: attachment``.
        A missing file or a directory answers 404, an unreadable one 500 (both logged).
        See docs/files-and-forms.md."""
        fspath = os.fspath(path)
        if ("\0" if isinstance(fspath, str) else b"\0") in fspath:
            raise ValueError("file path contains a NUL character")
        response = cls(b"", status, headers, content_type)
        response.file_path = fspath
        if filename is not None:
            response.headers["Content-Disposition"] = content_disposition(filename)
            response.file_name = filename
        return response

    @classmethod
    def sse(cls, events: Any, keepalive: float | None = 15.0, status: int = 200,
            headers: HeaderInput = None) -> "Response":
        """Server-Sent Events (text/event-stream) from an iterable or async iterable of events:
        str (the data) or dicts with data/event/id/retry/comment (see cello.sse.format_event).
        Each event is flushed as it is produced; a ": keep-alive" comment is sent after
        `keepalive` seconds without an event. A client that goes away stops the stream."""
        from .sse import event_stream

        response = cls.stream(event_stream(events, keepalive), "text/event-stream; charset=utf-8", status, headers)
        response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Accel-Buffering", "no")  # tell nginx-style proxies not to buffer
        return response

    @classmethod
    def redirect(cls, url: str, status: int | bool | None = None, headers: HeaderInput = None, *,
                 permanent: bool = False) -> "Response":
        """Redirect to `url`: 302 Found, or 301 Moved Permanently with ``permanent=True`` (as the
        original Cello; ``Response.redirect(url, True)`` is also permanent), or `status` (307 and
        308 keep the method and body)."""
        if isinstance(status, bool):
            permanent, status = status, None
        response = cls(b"", status or (301 if permanent else 302), headers)
        response.headers["Location"] = url
        return response

    def set_header(self, name: str, value: str) -> None:
        """Sets a header (replacing any of that name); CR, LF and NUL are dropped from the value,
        as the original Cello does."""
        self.headers[name] = str(value).replace("\r", "").replace("\n", "").replace("\0", "")

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "lax",
    ) -> None:
        """Adds a Set-Cookie header."""
        if any(c in key for c in "=;, \t\r\n") or any(c in value for c in ";\r\n"):
            raise ValueError(f"invalid cookie {key!r}")
        parts = [f"{key}={value}"]
        if max_age is not None:
            parts.append(f"Max-Age={int(max_age)}")
        if expires is not None:
            from email.utils import format_datetime  # only when cookies carry a date

            if isinstance(expires, int):
                expires = datetime.fromtimestamp(expires, timezone.utc)
            parts.append(f"Expires={format_datetime(expires.astimezone(timezone.utc), usegmt=True)}")
        if path:
            parts.append(f"Path={path}")
        if domain:
            parts.append(f"Domain={domain}")
        if secure:
            parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        if samesite:
            if samesite.lower() not in ("lax", "strict", "none"):
                raise ValueError("samesite must be 'lax', 'strict' or 'none'")
            parts.append(f"SameSite={samesite.capitalize()}")
        self.headers.add("Set-Cookie", "; ".join(parts))

    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None) -> None:
        """Adds a Set-Cookie header that expires `key`."""
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain)

    def __repr__(self) -> str:
        if self.file_path is not None:
            return f"<Response {self.status} file {self.file_path!r}>"
        return f"<Response {self.status} {self.content_type or ''} {len(self.body)} bytes>"
