"""multipart/form-data (RFC 7578) over a body that is already in memory.

The parsing is native (engine/multipart.cpp through ``_cello.MultipartReader``): it walks the body
and enforces the structural limits while it goes (the part count is checked before a part is
looked at, a part's header block may not exceed 16 KiB), so a hostile body costs at most
``max_parts`` small header parses. This module applies the form limits that need Python (files,
field sizes, charsets) part by part, in the order the parts come. Field values are decoded
straight from the body; file contents are copied once (into memory, or from the body into a
temporary file). (The standard library's ``email`` parser builds a Message object per part and
copies every payload several times before any limit could be checked; see docs/files-and-forms.md.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Union
from urllib.parse import unquote

from . import _cello
from .errors import HTTPError
from .uploads import UploadFile

if TYPE_CHECKING:
    from .forms import FormLimits

FormValue = Union[str, UploadFile]

#: Bytes of one part's header block; a larger one is malformed (browsers send ~150 bytes).
MAX_PART_HEADER_BYTES: int = _cello.MAX_PART_HEADER_BYTES


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename="b"`` -> (``form-data``, {"name": "a", "filename": "b"}).
    Parameter names are lower-cased; quoted values lose their quotes and ``\\"`` / ``\\\\`` escapes
    (other backslashes stay, so ``C:\\dir\\f.txt`` from old browsers survives)."""
    return _cello.header_params(value)


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type; HTTPError(400) when missing or invalid."""
    boundary = header_params(content_type)[1].get("boundary", "")
    if not 1 <= len(boundary) <= 200 or "\r" in boundary or "\n" in boundary:
        raise HTTPError(400, "multipart/form-data without a valid boundary")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise HTTPError(400, "multipart/form-data without a valid boundary") from None


def file_name(filename: str | None, extended: str | None) -> str | None:
    """The file name of a part: filename* (RFC 8187: charset'language'percent-encoded) when it
    decodes, else filename; None for a part that is not a file."""
    if extended and extended.count("'") >= 2:
        charset, _, rest = extended.split("'", 2)
        try:
            return unquote(rest, encoding=charset or "utf-8", errors="replace")
        except LookupError:
            pass
    return filename


def parse_multipart(body: bytes, boundary: bytes, limits: "FormLimits") -> list[tuple[str, FormValue]]:
    """The (name, value) pairs of a multipart/form-data body, in order. HTTPError 400 for a
    malformed body, too many parts or too many files; 413 for a field over max_field_size."""
    if not isinstance(body, bytes):
        body = bytes(body)
    view = memoryview(body)
    items: list[tuple[str, FormValue]] = []
    files = 0
    try:
        for name, filename, filename_ext, content_type, charset, start, end, headers in _cello.MultipartReader(
                body, boundary, limits.max_parts):
            filename = file_name(filename, filename_ext)
            if filename is not None:
                files += 1
                if files > limits.max_files:
                    raise HTTPError(400, f"too many files in the form (the limit is {limits.max_files})")
                items.append((name, UploadFile(filename, content_type.lower() or "text/plain", view[start:end],
                                               headers=headers, spool_threshold=limits.spool_threshold)))
            else:
                if end - start > limits.max_field_size:
                    raise HTTPError(413, f"form field {name!r} is larger than {limits.max_field_size} bytes")
                charset = "utf-8" if charset is None else charset
                try:
                    items.append((name, str(view[start:end], charset)))
                except (UnicodeDecodeError, LookupError):
                    raise HTTPError(400, f"form field {name!r} is not valid {charset}") from None
    except _cello.MultipartError as e:
        raise HTTPError(400, str(e)) from None
    return items
