"""The pure-Python multipart parser that cello/multipart.py was before the parsing moved to native
code (engine/multipart.cpp), kept unchanged as the reference that test_multipart_native.py compares
the native parser with. (Original docstring follows.)

A multipart/form-data parser (RFC 7578) over a body that is already in memory.

It walks the body with ``bytes.find`` and enforces the form limits while it goes: the part count is
checked before a part is looked at, a field's size before it is decoded, so a hostile body costs
at most ``max_parts`` small header parses. Field values are decoded straight from the body; file
contents are copied once (into memory, or from the body into a temporary file).
(The standard library's ``email`` parser builds a Message object per part and copies every
payload several times before any limit could be checked; see docs/files-and-forms.md.)
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Union
from urllib.parse import unquote

from cello.errors import HTTPError
from cello.uploads import UploadFile

if TYPE_CHECKING:
    from cello.forms import FormLimits

FormValue = Union[str, UploadFile]

#: Bytes of one part's header block; a larger one is malformed (browsers send ~150 bytes).
MAX_PART_HEADER_BYTES = 16 * 1024

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:\\.|[^"\\])*"|[^;]*)')
_QUOTED_PAIR = re.compile(r'\\(["\\])')


def _malformed(why: str) -> HTTPError:
    return HTTPError(400, f"malformed multipart body: {why}")


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename="b"`` -> (``form-data``, {"name": "a", "filename": "b"}).
    Parameter names are lower-cased; quoted values lose their quotes and ``\\"`` / ``\\\\`` escapes
    (other backslashes stay, so ``C:\\dir\\f.txt`` from old browsers survives)."""
    semi = value.find(";")
    main = (value if semi < 0 else value[:semi]).strip().lower()
    params: dict[str, str] = {}
    if semi >= 0:
        for m in _PARAM.finditer(value, semi):
            raw = m.group(2).strip()
            if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
                raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
            params[m.group(1).lower()] = raw
    return main, params


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type; HTTPError(400) when missing or invalid."""
    boundary = header_params(content_type)[1].get("boundary", "")
    if not 1 <= len(boundary) <= 200 or "\r" in boundary or "\n" in boundary:
        raise HTTPError(400, "multipart/form-data without a valid boundary")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise HTTPError(400, "multipart/form-data without a valid boundary") from None


def _part_headers(block: bytes) -> dict[str, str]:
    try:
        text = block.decode("utf-8")  # browsers send file names as raw UTF-8
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    headers: dict[str, str] = {}
    last = ""
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and last:  # obsolete line folding
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise _malformed(f"bad part header line {line[:60]!r}")
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def _file_name(params: dict[str, str]) -> str | None:
    extended = params.get("filename*")  # RFC 8187: charset'language'percent-encoded
    if extended and extended.count("'") >= 2:
        charset, _, rest = extended.split("'", 2)
        try:
            return unquote(rest, encoding=charset or "utf-8", errors="replace")
        except LookupError:
            pass
    return params.get("filename")


def parse_multipart(body: bytes, boundary: bytes, limits: "FormLimits") -> list[tuple[str, FormValue]]:
    """The (name, value) pairs of a multipart/form-data body, in order. HTTPError 400 for a
    malformed body, too many parts or too many files; 413 for a field over max_field_size."""
    delimiter = b"--" + boundary
    next_delimiter = b"\r\n" + delimiter
    # The first delimiter opens the body, or ends a preamble on its own line.
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:
        start = body.find(next_delimiter)
        if start < 0:
            raise _malformed("the boundary never occurs")
        pos = start + len(next_delimiter)
    view = memoryview(body)
    items: list[tuple[str, FormValue]] = []
    files = 0
    while True:
        if body.startswith(b"--", pos):  # the close delimiter; an epilogue after it is ignored
            return items
        eol = body.find(b"\r\n", pos)
        if eol < 0 or body[pos:eol].strip(b" \t"):
            raise _malformed("bad boundary line")
        if len(items) >= limits.max_parts:
            raise HTTPError(400, f"too many form parts (the limit is {limits.max_parts})")
        # The header block ends with an empty line; a part without headers starts with it.
        head_end = body.find(b"\r\n\r\n", eol, eol + MAX_PART_HEADER_BYTES + 4)
        if head_end < 0:
            raise _malformed("part headers do not end (or exceed 16 KiB)")
        data_start = head_end + 4
        data_end = body.find(next_delimiter, data_start)
        if data_end < 0:
            raise _malformed("no closing boundary")
        headers = _part_headers(body[eol + 2:head_end]) if head_end > eol else {}
        kind, params = header_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if kind != "form-data" or name is None:
            raise _malformed("a part without Content-Disposition: form-data; name=...")
        media_type, type_params = header_params(headers.get("content-type", "text/plain"))
        filename = _file_name(params)
        size = data_end - data_start
        if filename is not None:
            files += 1
            if files > limits.max_files:
                raise HTTPError(400, f"too many files in the form (the limit is {limits.max_files})")
            items.append((name, UploadFile(filename, media_type or "text/plain", view[data_start:data_end],
                                           headers=headers, spool_threshold=limits.spool_threshold)))
        else:
            if size > limits.max_field_size:
                raise HTTPError(413, f"form field {name!r} is larger than {limits.max_field_size} bytes")
            charset = type_params.get("charset", "utf-8")
            try:
                items.append((name, str(view[data_start:data_end], charset)))
            except (UnicodeDecodeError, LookupError):
                raise HTTPError(400, f"form field {name!r} is not valid {charset}") from None
        pos = data_end + len(next_delimiter)
