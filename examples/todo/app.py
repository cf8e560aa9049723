"""A small CRUD app on the database pool (docs/database.md).

    cello run examples/todo/app.py                      # SQLite: todo.db in the working directory
    DATABASE_URL=postgresql://user@127.0.0.1/todo cello run examples/todo/app.py

    curl -s localhost:8000/todos -d '{"title": "write docs"}'
    curl -s localhost:8000/todos
    curl -s -X PATCH localhost:8000/todos/1 -d '{"done": true}'
    curl -s -X DELETE localhost:8000/todos/1

The table is created at startup; the same SQL runs on both databases (`?` placeholders).
"""
from __future__ import annotations

import os

from cello import App, DatabaseConfig, HTTPError

app = App()
url = os.environ.get("DATABASE_URL", "sqlite:///todo.db")
app.enable_database(DatabaseConfig(url=url, pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "10"))))

# SERIAL on PostgreSQL; an INTEGER PRIMARY KEY is SQLite's rowid.
_ID = "SERIAL PRIMARY KEY" if url.startswith("postgres") else "INTEGER PRIMARY KEY"


@app.on_event("startup")
async def create_table() -> None:
    await app.db.execute(f"CREATE TABLE IF NOT EXISTS todos (id {_ID}, title TEXT NOT NULL, "
                         "done BOOLEAN NOT NULL DEFAULT FALSE)")


def _title(body: object) -> str:
    title = body.get("title") if isinstance(body, dict) else None
    if not isinstance(title, str) or not title.strip():
        raise HTTPError(422, "a non-empty string `title` is required")
    return title.strip()


@app.get("/todos")
async def list_todos(request):
    return await request.db.fetch_all("SELECT id, title, done FROM todos ORDER BY id")


@app.post("/todos")
async def create_todo(request):
    title = _title(request.json())
    async with request.db.transaction():
        await request.db.execute("INSERT INTO todos (title) VALUES (?)", [title])
        # In the same transaction: the row just added (max(id) is ours while we hold it).
        row = await request.db.fetch_one("SELECT id, title, done FROM todos ORDER BY id DESC LIMIT 1")
    return row, 201


@app.get("/todos/{id:int}")
async def get_todo(request):
    row = await request.db.fetch_one("SELECT id, title, done FROM todos WHERE id = ?", [request.params["id"]])
    if row is None:
        raise HTTPError(404, "no such todo")
    return row


@app.patch("/todos/{id:int}")
async def update_todo(request):
    body = request.json()
    if not isinstance(body, dict) or not isinstance(body.get("done"), bool):
        raise HTTPError(422, "a boolean `done` is required")
    changed = await request.db.execute("UPDATE todos SET done = ? WHERE id = ?", [body["done"], request.params["id"]])
    if not changed:
        raise HTTPError(404, "no such todo")
    return await get_todo(request)


@app.delete("/todos/{id:int}")
async def delete_todo(request):
    if not await request.db.execute("DELETE FROM todos WHERE id = ?", [request.params["id"]]):
        raise HTTPError(404, "no such todo")
    return None, 204


if __name__ == "__main__":
    app.run()
