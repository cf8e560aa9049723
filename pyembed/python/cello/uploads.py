"""Uploaded files of multipart forms: in memory when small, in a temporary file when large."""
from __future__ import annotations

import io
import os
from typing import IO, Any, Mapping

#: Copy size of UploadFile.save().
_COPY_CHUNK = 64 * 1024


class UploadFile:
    """One uploaded file: ``filename`` (as the client sent it: never use it as a path unchecked),
    ``content_type`` (the part's media type, lower-case, ``text/plain`` when the part has none),
    ``headers`` (the part's headers), ``size`` (bytes) and ``file`` (a binary file object).

    Files larger than the spool threshold (``cello.forms.limits.spool_threshold``, 1 MiB by default)
    are written to an anonymous temporary file (``tempfile.TemporaryFile``); smaller ones stay in
    memory (``io.BytesIO``). ``in_memory`` tells which. The temporary file is deleted when it is
    closed: by ``close()``, by leaving a ``with`` block, or when the UploadFile is garbage-collected,
    which for a file the handler does not keep happens as soon as the request ends.

    ``read(size=-1)`` and ``seek()`` work like a file's (the first ``read()`` returns everything);
    ``save(destination)`` writes the whole content to a path or a writable binary file.
    """

    __slots__ = ("filename", "content_type", "headers", "size", "file", "_spill_at")

    def __init__(self, filename: str, content_type: str = "application/octet-stream", data: Any = b"", *,
                 headers: Mapping[str, str] | None = None, spool_threshold: int | None = None) -> None:
        self.filename = filename
        self.content_type = content_type
        self.headers: dict[str, str] = dict(headers or {})
        self._spill_at = 0
        view = memoryview(data).cast("B")
        self.size: int = view.nbytes
        self.file: IO[bytes]
        if spool_threshold is not None and self.size > spool_threshold:
            import tempfile  # only when an upload spills: keeps it out of every server's memory

            self.file = tempfile.TemporaryFile(prefix="cello-upload-")
            self.file.write(view)  # straight from the request body: no copy in between
            self.file.seek(0)
        else:
            self.file = io.BytesIO(view)

    @classmethod
    def _receiving(cls, filename: str, content_type: str, headers: Mapping[str, str] | None,
                   spool_threshold: int) -> "UploadFile":
        """An upload whose content is still arriving: :meth:`_write` it piece by piece (it moves
        to a temporary file once larger than `spool_threshold`), then :meth:`_written`."""
        upload = cls(filename, content_type, headers=headers)
        upload._spill_at = spool_threshold
        return upload

    def _write(self, data: bytes) -> None:
        if isinstance(self.file, io.BytesIO) and self.file.tell() + len(data) > self._spill_at:
            import tempfile

            spooled = tempfile.TemporaryFile(prefix="cello-upload-")
            spooled.write(self.file.getbuffer())
            self.file.close()
            self.file = spooled
        self.file.write(data)

    def _written(self) -> None:
        self.size = self.file.tell()
        self.file.seek(0)

    @property
    def in_memory(self) -> bool:
        """False when the content is in a temporary file."""
        return isinstance(self.file, io.BytesIO)

    def __json__(self) -> dict[str, Any]:
        """As JSON (a form returned from a handler): what the file is, not its bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes from the current position (all the rest by default)."""
        return self.file.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Moves the read position; returns the new one."""
        return self.file.seek(offset, whence)

    def save(self, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Writes the whole content (whatever was read before) to a path or a writable binary file;
        returns the number of bytes written. The read position is left at the end."""
        import shutil  # here, not at the top: most servers never save an upload

        self.file.seek(0)
        if hasattr(destination, "write"):
            shutil.copyfileobj(self.file, destination, _COPY_CHUNK)  # type: ignore[arg-type]
        else:
            with open(destination, "wb") as out:
                shutil.copyfileobj(self.file, out, _COPY_CHUNK)
        return self.size

    def close(self) -> None:
        """Frees the content now (deletes the temporary file)."""
        self.file.close()

    def __enter__(self) -> "UploadFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.in_memory else "temporary file"
        return f"UploadFile({self.filename!r}, {self.content_type!r}, {self.size} bytes in {where})"
