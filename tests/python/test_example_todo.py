"""examples/todo/app.py runs as documented (docs/database.md): the same CRUD app on the SQLite
default and, with DATABASE_URL, on a real PostgreSQL (pg_server.py), through the engine."""
from __future__ import annotations


import pytest

import pg_server
import support
from cello.testing import TestClient

@pytest.fixture(scope="module")
def pg_dsn():
    if not pg_server.available():
        pytest.skip("Debian's postgresql package is not installed")
    with pg_server.running() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the SQLite default, todo.db, lands here
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_dsn"))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    app = support.load_example("todo").app
    with TestClient(app) as c:
        if request.param == "postgresql":
            app.db.sync.execute("DELETE FROM todos")  # the module's cluster is shared by the cases
        yield c
    if request.param == "sqlite":
        assert (tmp_path / "todo.db").exists()


def test_crud(client):
    assert client.get("/todos").json() == []
    first = client.post("/todos", json={"title": "write docs"})
    assert first.status_code == 201, first.text
    todo = first.json()
    assert todo["title"] == "write docs" and todo["done"] is False
    client.post("/todos", json={"title": "ship ☕"})
    assert [t["title"] for t in client.get("/todos").json()] == ["write docs", "ship ☕"]
    done = client.request("PATCH", f"/todos/{todo['id']}", json={"done": True})
    assert done.json() == {"id": todo["id"], "title": "write docs", "done": True}
    assert client.request("DELETE", f"/todos/{todo['id']}").status_code == 204
    assert client.get(f"/todos/{todo['id']}").status_code == 404
    assert [t["title"] for t in client.get("/todos").json()] == ["ship ☕"]


def test_bad_input_is_a_clear_422_or_404(client):
    support.assert_error_shape(client.post("/todos", json={"title": "  "}), 422)
    support.assert_error_shape(client.post("/todos", json=["not", "an", "object"]), 422)
    support.assert_error_shape(client.request("PATCH", "/todos/1", json={"done": "yes"}), 422)
    support.assert_error_shape(client.request("PATCH", "/todos/999", json={"done": True}), 404)
    support.assert_error_shape(client.request("DELETE", "/todos/999"), 404)
    support.assert_error_shape(client.post("/todos", data=b"{not json", headers={"Content-Type": "application/json"}), 400)
