"""Form bodies: application/x-www-form-urlencoded and multipart/form-data.

Multipart parsing uses the standard library's MIME parser (``email``), imported on first use so
that apps without forms do not pay for it in memory; the whole body is in memory (it was already
read within the server's body limit).
"""
from __future__ import annotations

from typing import Union
from urllib.parse import parse_qsl

from .datastructures import MultiDict
from .errors import HTTPError


class UploadFile:
    """An uploaded file of a multipart form."""

    __slots__ = ("filename", "content_type", "data")

    def __init__(self, filename: str, content_type: str, data: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self) -> str:
        return f"UploadFile({self.filename!r}, {self.content_type!r}, {self.size} bytes)"

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def read(self) -> bytes:
        """The file's content."""
        return self.data


FormValue = Union[str, UploadFile]


class FormData(MultiDict[FormValue]):
    """Form fields: ``form[k]`` is the last value for `k`, ``getlist(k)`` all of them."""

    __slots__ = ()


def _parse_multipart(content_type: str, body: bytes) -> list[tuple[str, FormValue]]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    if not message.is_multipart() or message.defects:
        raise HTTPError(400, "malformed multipart body")
    items: list[tuple[str, FormValue]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise HTTPError(400, "multipart part without a name")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            items.append((name, UploadFile(filename, part.get_content_type(), payload)))
        else:
            charset = part.get_content_charset() or "utf-8"
            try:
                items.append((name, payload.decode(charset)))
            except (UnicodeDecodeError, LookupError):
                raise HTTPError(400, f"form field {name!r} is not valid {charset}") from None
    return items


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parses a request body according to its Content-Type. HTTPError(400/415) when it can't."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
            return FormData(parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict"))
        except (UnicodeDecodeError, ValueError):
            raise HTTPError(400, "form body is not valid UTF-8 / percent-encoding") from None
    if media_type == "multipart/form-data":
        if "boundary=" not in content_type:
            raise HTTPError(400, "multipart/form-data without a boundary")
        return FormData(_parse_multipart(content_type, body))
    raise HTTPError(415, f"expected a form body, got Content-Type {content_type or '(none)'!r}")
