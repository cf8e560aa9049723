"""Exceptions that become HTTP responses."""
from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class HTTPError(Exception):
    """Raise to answer with `status`.

    The body has the framework's common shape:
    ``{"error": "<reason phrase>", "status": <code>, "detail": <detail>}``.
    `detail` may be any JSON-serializable value; `headers` are added to the response.
    """

    def __init__(self, status: int, detail: Any = None, headers: Mapping[str, str] | None = None) -> None:
        if not 200 <= int(status) <= 599:
            # 1xx are the protocol's interim answers and codes past 599 are not HTTP (docs/api.md).
            raise ValueError(f"HTTP status must be 200-599 for a response, got {status}")
        self.status = int(status)
        self.detail = detail
        self.headers = dict(headers) if headers else None
        super().__init__(status, detail)

    @property
    def reason(self) -> str:
        """The reason phrase of the status, e.g. "Not Found"."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Unknown"

    def __str__(self) -> str:
        return f"{self.status} {self.reason}" + (f": {self.detail}" if self.detail is not None else "")
