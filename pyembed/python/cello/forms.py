"""Form bodies: application/x-www-form-urlencoded and multipart/form-data, and their limits.

``request.form()`` calls :func:`parse_form`. The body is already in memory (the server read it
within ``max_body_size``); the limits below bound what one form may turn into in Python objects:

* ``max_parts`` (1000): fields plus files (urlencoded: name=value pairs); above it, 400.
* ``max_files`` (1000): files in one multipart form; above it, 400.
* ``max_field_size`` (1 MiB): bytes of one non-file field's value; above it, 413.
* ``spool_threshold`` (1 MiB): an uploaded file larger than this is kept in a temporary file
  rather than in memory (see :class:`~cello.uploads.UploadFile`).

Change them for the whole process with ``cello.forms.configure(max_parts=..., ...)`` (at import
time of the app, before serving). See docs/files-and-forms.md.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ._cello import MultipartError, MultipartStream, parse_urlencoded
from .datastructures import MultiDict
from .errors import HTTPError
from .multipart import FormValue, boundary_of, file_name, parse_multipart
from .uploads import UploadFile

__all__ = ["FormData", "FormLimits", "FormValue", "MultipartBuilder", "UploadFile", "configure", "limits",
           "parse_form"]

MiB = 1024 * 1024


class FormLimits(NamedTuple):
    """The limits of one form (see the module's documentation). A NamedTuple rather than a
    dataclass: `dataclasses` imports `inspect`, about 1 MB of resident memory in every server."""

    max_parts: int = 1000
    max_files: int = 1000
    max_field_size: int = 1 * MiB
    spool_threshold: int = 1 * MiB

    def checked(self) -> "FormLimits":
        """Itself, after checking every limit is an int >= 0."""
        for name, value in zip(self._fields, self):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"form limit {name} must be an int >= 0, not {value!r}")
        return self


#: The limits in force; replaced by configure().
limits = FormLimits()


def configure(**changes: Any) -> FormLimits:
    """Changes some form limits for the whole process and returns the limits now in force:
    ``cello.forms.configure(max_parts=100, max_field_size=64 * 1024)``."""
    global limits
    unknown = set(changes) - set(FormLimits._fields)
    if unknown:
        raise TypeError(f"unknown form limit(s): {', '.join(sorted(unknown))}")
    limits = limits._replace(**changes).checked()
    return limits


class FormData(MultiDict[FormValue]):
    """Form fields: ``form[k]`` is the last value for `k`, ``getlist(k)`` all of them. Values are
    str, or :class:`UploadFile` for the files of a multipart form."""

    __slots__ = ()

    def close(self) -> None:
        """Closes every uploaded file now (their temporary files are deleted)."""
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                value.close()


def _parse_urlencoded(body: bytes, current: FormLimits) -> FormData:
    if body and body.count(b"&") >= current.max_parts:
        raise HTTPError(400, f"too many form parts (the limit is {current.max_parts})")
    # The engine's parser, as for request.query: urllib's parse_qsl would keep "%zz" as literal text.
    try:
        pairs = parse_urlencoded(body)
    except ValueError:
        raise HTTPError(400, "form body has bad percent-encoding (%zz, a lone %) or invalid UTF-8") from None
    limit = current.max_field_size
    for name, value in pairs:
        # A str of n characters is n to 4n bytes in UTF-8: encode only when it could matter.
        if len(value) > limit or (len(value) * 4 > limit and len(value.encode("utf-8")) > limit):
            raise HTTPError(413, f"form field {name!r} is larger than {limit} bytes")
    return FormData(pairs)


def is_multipart(content_type: str) -> bool:
    """Whether a Content-Type is multipart/form-data."""
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


class MultipartBuilder:
    """A multipart form built as its body arrives (a body larger than the server's
    body_buffer_size): ``feed()`` each piece, then ``finish()``. Files go to their
    :class:`UploadFile` piece by piece (a temporary file beyond the spool threshold); a field over
    ``max_field_size`` is a 413 as soon as it is. Same limits and errors as :func:`parse_form`."""

    def __init__(self, content_type: str, form_limits: FormLimits | None = None) -> None:
        self._limits = limits if form_limits is None else form_limits
        self._reader = MultipartStream(boundary_of(content_type), self._limits.max_parts)
        self._items: list[tuple[str, FormValue]] = []
        self._files = 0
        self._name = ""
        self._charset = "utf-8"
        self._upload: UploadFile | None = None
        self._field: bytearray | None = None

    def feed(self, chunk: bytes) -> None:
        events, error = self._reader.feed(chunk)
        self._events(events)
        if error is not None:
            raise HTTPError(400, error)

    def _events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, bytes):
                self._data(event)
            elif event is None:
                self._end()
            else:
                self._begin(*event)

    def _begin(self, name: str, filename: str | None, filename_ext: str | None, content_type: str,
               charset: str | None, headers: dict[str, str] | None) -> None:
        self._name = name
        filename = file_name(filename, filename_ext)
        if filename is None:
            self._field = bytearray()
            self._charset = "utf-8" if charset is None else charset
            return
        self._files += 1
        if self._files > self._limits.max_files:
            raise HTTPError(400, f"too many files in the form (the limit is {self._limits.max_files})")
        self._upload = UploadFile._receiving(filename, content_type.lower() or "text/plain", headers,
                                             self._limits.spool_threshold)

    def _data(self, data: bytes) -> None:
        if self._upload is not None:
            self._upload._write(data)
            return
        assert self._field is not None
        self._field += data
        if len(self._field) > self._limits.max_field_size:
            raise HTTPError(413, f"form field {self._name!r} is larger than {self._limits.max_field_size} bytes")

    def _end(self) -> None:
        if self._upload is not None:
            self._upload._written()
            self._items.append((self._name, self._upload))
            self._upload = None
            return
        assert self._field is not None
        try:
            self._items.append((self._name, str(self._field, self._charset)))
        except (UnicodeDecodeError, LookupError):
            raise HTTPError(400, f"form field {self._name!r} is not valid {self._charset}") from None
        self._field = None

    def finish(self) -> FormData:
        """The form, once the whole body was fed; HTTPError(400) when it ended early."""
        try:
            self._reader.finish()
        except MultipartError as e:
            raise HTTPError(400, str(e)) from None
        return FormData(self._items)

    def close(self) -> None:
        """Drops a file being received (an error ended the form)."""
        if self._upload is not None:
            self._upload.close()
            self._upload = None


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parses a request body according to its Content-Type, within :data:`limits`.
    HTTPError 400 (malformed, too many parts or files), 413 (a field too large) or 415 (not a form)."""
    current = limits
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return _parse_urlencoded(body, current)
    if media_type == "multipart/form-data":
        return FormData(parse_multipart(body, boundary_of(content_type), current))
    raise HTTPError(415, f"expected a form body, got Content-Type {content_type or '(none)'!r}")
