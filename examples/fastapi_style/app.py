"""The same kind of app written the FastAPI way: typed parameters, a pydantic body, dependencies
(one with teardown), background tasks, 422s for bad input and the OpenAPI pages — on Cello.

    cello run examples/fastapi_style/app.py
    curl -s 'localhost:8000/items?limit=2'
    curl -s -X POST localhost:8000/items -H 'Authorization: Bearer token-ann' \\
         -H 'Content-Type: application/json' -d '{"name": "Pen", "price": 2.5}'
    curl -s localhost:8000/items/abc                           # 422: item_id is an int
    curl -s localhost:8000/docs                                # Swagger UI
"""
from __future__ import annotations

import logging

from pydantic import BaseModel

from cello import App, BackgroundTasks, Depends, HTTPError, Request

app = App()
app.enable_openapi(title="FastAPI-style shop", version="1.0.0")
log = logging.getLogger("shop")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class Store:
    """Stands in for a database session: opened per request, closed after the response."""

    items: list[dict] = []
    closed = 0

    def close(self) -> None:
        Store.closed += 1


def get_store():
    store = Store()
    try:
        yield store
    finally:
        store.close()


def current_user(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer token-"):
        raise HTTPError(401, "a bearer token is needed")
    return header.removeprefix("Bearer token-")


audit: list[str] = []


def record(user: str, name: str) -> None:
    audit.append(f"{user} added {name}")
    log.info("%s added %s", user, name)


@app.get("/items", tags=["items"])
def list_items(limit: int = 10, offset: int = 0, store: Store = Depends(get_store)) -> list[Item]:
    """Lists items, a page at a time."""
    return store.items[offset:offset + limit]


@app.get("/items/{item_id}", tags=["items"])
def read_item(item_id: int, store: Store = Depends(get_store)) -> Item:
    """One item by its position."""
    if not 0 <= item_id < len(store.items):
        raise HTTPError(404, f"no item {item_id}")
    return store.items[item_id]


@app.post("/items", tags=["items"])
async def create_item(item: Item, tasks: BackgroundTasks, user: str = Depends(current_user),
                      store: Store = Depends(get_store)) -> Item:
    """Adds an item; the audit line is written after the response."""
    store.items.append(item.dict() if not hasattr(item, "model_dump") else item.model_dump())
    tasks.add_task(record, user, item.name)
    return item


if __name__ == "__main__":
    app.run()
