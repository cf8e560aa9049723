"""Shared response payloads: every peer in the benchmark answers with exactly these values."""

from __future__ import annotations

from typing import Any

USERS: list[dict[str, Any]] = [
    {
        "id": i,
        "name": f"User {i}",
        "email": f"user{i}@example.com",
        "active": True,
        "score": i * 1.5 + 0.25,  # exact in binary, so every serializer prints it the same way
        "tags": ["a", "b"],
    }
    for i in range(10)
]

HOME: dict[str, str] = {"message": "Hello, World!"}

ECHO_BODY: dict[str, Any] = {"name": "cello", "n": 42}


def user(i: int) -> dict[str, Any]:
    """Body of GET /users/{i}."""
    return {"id": i, "name": f"User {i}"}

# POST /model: ECHO_BODY validated into a pydantic model, plus a dependency's value.
MODEL_ANSWER: dict[str, Any] = {"name": "cello", "n": 42, "source": "bench"}
