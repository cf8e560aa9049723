"""RFC 9457 problem details (formerly RFC 7807) that a handler returns as it is."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from . import _cello
from .response import Response


class ProblemDetails(Response):
    """``application/problem+json`` with the problem's status:

    >>> return ProblemDetails("https://example.com/probs/out-of-credit", "Out of credit", 403,
    ...                       detail="Your balance is 30, but that costs 50.", balance=30)

    The original Cello's spelling works too: ``ProblemDetails(type_uri, title, status, detail=None,
    instance=None)``, ``with_extension(k, v)``, ``to_json()``, ``to_response()``.
    """

    __slots__ = ("type_uri", "title", "detail", "instance", "extensions")

    def __init__(self, type_uri: str = "about:blank", title: str | None = None, status: int = 500,
                 detail: str | None = None, instance: str | None = None, **extensions: Any) -> None:
        super().__init__(b"", status, None, "application/problem+json")
        self.type_uri = type_uri
        self.title = title if title is not None else _phrase(self.status)
        self.detail = detail
        self.instance = instance
        self.extensions: dict[str, Any] = {}
        for key, value in extensions.items():
            self.with_extension(key, value)
        self._render()

    def with_extension(self, key: str, value: Any) -> ProblemDetails:
        """Adds a member beside the standard ones (a name the standard ones do not use)."""
        if key in ("type", "title", "status", "detail", "instance"):
            raise ValueError(f"{key!r} is a standard member of problem details")
        self.extensions[key] = value
        if hasattr(self, "instance"):  # (not while __init__ is still filling the fields)
            self._render()
        return self

    def to_dict(self) -> dict[str, Any]:
        """The members, standard ones first."""
        out: dict[str, Any] = {"type": self.type_uri, "title": self.title, "status": self.status}
        if self.detail is not None:
            out["detail"] = self.detail
        if self.instance is not None:
            out["instance"] = self.instance
        out.update(self.extensions)
        return out

    def to_json(self) -> str:
        return self.body.decode("utf-8")

    def to_response(self) -> Response:
        """Itself: a ProblemDetails is a Response."""
        return self

    def _render(self) -> None:
        self.body = _cello.dumps(self.to_dict())


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
