"""The database pool on its embedded backend (docs/database.md): SQLite files in a temporary
directory, reached by real HTTP requests through the engine, and the pool's own guarantees (types
both ways, errors by kind, transactions and savepoints, WAL, the pool's limit and its 503, an
in-memory database shared by the pool)."""
from __future__ import annotations

import asyncio
import datetime
import decimal
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import support
from cello import App, DatabaseConfig
from cello import db as cdb
from cello.testing import TestClient


@pytest.fixture()
def path(tmp_path):
    return str(tmp_path / "app.db")


def make_app(path: str, **config) -> App:
    app = App()
    app.enable_database(DatabaseConfig(url=f"sqlite:///{path}", **config))
    app.db.sync.execute("CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE, "
                        "done BOOLEAN NOT NULL DEFAULT 0, due TIMESTAMP)")

    @app.get("/todos")
    async def todos(request):
        return await request.db.fetch_all("SELECT id, title, done FROM todos ORDER BY id")

    @app.get("/todos/sync")
    def todos_sync(request):
        return request.db.sync.fetch_all("SELECT id, title, done FROM todos ORDER BY id")

    @app.post("/todos")
    async def add(request):
        body = request.json()
        await request.db.execute("INSERT INTO todos (title) VALUES (?)", [body["title"]])
        return await request.db.fetch_one("SELECT id, title, done FROM todos WHERE title = ?", [body["title"]])

    @app.get("/todos/{id:int}")
    async def one(request):
        row = await request.db.fetch_one("SELECT id, title, done FROM todos WHERE id = ?", [request.params["id"]])
        return row if row is not None else ({"detail": "no such todo"}, 404)

    @app.get("/hold")
    async def hold(request):
        # Keeps a connection (in a transaction) across an await: other requests must wait for it
        # without holding the engine thread.
        async with request.db.transaction():
            await request.db.execute("UPDATE todos SET done = done")
            await asyncio.sleep(float(request.query.get("s", "0.5")))
        return {"held": True}

    @app.get("/plain")
    def plain(request):
        return {"ok": True}

    return app


def test_a_crud_app_over_http(path):
    with TestClient(make_app(path)) as c:
        assert c.get("/todos").json() == []
        created = c.post("/todos", json={"title": "write tests"})
        assert created.status_code == 200, created.text
        assert created.json() == {"id": 1, "title": "write tests", "done": False}
        c.post("/todos", json={"title": "café ☕"})
        expected = [{"id": 1, "title": "write tests", "done": False}, {"id": 2, "title": "café ☕", "done": False}]
        assert c.get("/todos").json() == expected
        assert c.get("/todos/sync").json() == expected  # the sync API, from a sync handler
        assert c.get("/todos/2").json()["title"] == "café ☕"
        assert c.get("/todos/9").status_code == 404


def test_rows_go_to_the_native_json_writer_as_objects(path, monkeypatch):
    # Written from the row's own values and column index: Row.__json__ (a dict per row) is not used.
    monkeypatch.setattr(cdb.Row, "__json__", lambda self: pytest.fail("a dict was made for a row"))
    app = make_app(path)
    app.db.sync.execute("INSERT INTO todos (title, due) VALUES (?, ?)", ["a \"quoted\" ☕", datetime.datetime(2026, 1, 2, 3, 4)])

    @app.get("/rows")
    async def rows(request):
        return {"all": await request.db.fetch_all("SELECT id, title, done, due FROM todos"),
                "one": await request.db.fetch_one("SELECT 1 AS n, NULL AS missing")}

    with TestClient(app) as c:
        assert c.get("/rows").json() == {
            "all": [{"id": 1, "title": 'a "quoted" ☕', "done": False, "due": "2026-01-02T03:04:00"}],
            "one": {"n": 1, "missing": None},
        }


def test_an_unhandled_database_error_is_a_500_in_the_common_shape(path):
    with TestClient(make_app(path)) as c:
        assert c.post("/todos", json={"title": "once"}).status_code == 200
        again = c.post("/todos", json={"title": "once"})
        data = support.assert_error_shape(again, 500)
        assert "IntegrityError" in data.get("traceback", "") or "UNIQUE" in str(data), data
        assert "once" not in data.get("traceback", "").split("IntegrityError", 1)[-1], "parameters stay out"
        assert c.get("/todos").status_code == 200  # and the server keeps serving


def test_types_round_trip(tmp_path):
    db = cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'types.db'}"))
    s = db.sync
    s.execute("CREATE TABLE v (n INTEGER, f REAL, t TEXT, b BLOB, ok BOOLEAN, at TIMESTAMP, day DATE, tm TIME, "
              "price DECIMAL(10, 2), id UUID, doc JSON)")
    aware = datetime.datetime(2026, 12, 5, 6, 30, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    values = [2**63 - 1, 1.5, "zoë — ☕ 漢字", b"\x00\xffbinary", True, aware, datetime.date(2026, 2, 28),
              datetime.time(23, 59, 1), decimal.Decimal("12.25"), uuid.UUID("12345678-1234-5678-1234-567812345678"),
              {"a": [1, 2, {"b": None}], "é": True}]
    s.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    s.execute("INSERT INTO v (n, doc) VALUES (?, ?)", [None, [1, "two"]])
    rows = s.fetch_all("SELECT * FROM v ORDER BY rowid")
    assert list(rows[0]) == values
    assert rows[0]["at"].utcoffset() == datetime.timedelta(hours=2)
    assert rows[1]["n"] is None and rows[1]["doc"] == [1, "two"]
    naive = datetime.datetime(2026, 1, 1, 12, 0)
    assert s.fetch_val("SELECT ?", [naive]) == naive.isoformat(sep=" ")  # an expression has no declared type
    with pytest.raises(ValueError, match="64 bits"):
        s.execute("INSERT INTO v (n) VALUES (?)", [2**64])
    with pytest.raises(TypeError, match="cannot bind"):
        s.execute("INSERT INTO v (n) VALUES (?)", [object()])


def test_rows_read_like_tuples_and_dicts(tmp_path):
    db = cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'rows.db'}"))
    row = db.sync.fetch_one("SELECT 1 AS id, 'x' AS name")
    ident, name = row
    assert (ident, name) == (1, "x")
    assert row[0] == row["id"] == 1
    assert row.keys() == ["id", "name"] and row.items() == [("id", 1), ("name", "x")]
    assert row == (1, "x") and row == {"id": 1, "name": "x"}
    with pytest.raises(KeyError, match="no column 'nope'"):
        row["nope"]
    assert db.sync.fetch_one("SELECT 1 WHERE 0") is None
    assert db.sync.fetch_val("SELECT 1 WHERE 0") is None


def test_a_row_behaves_as_a_sequence_and_a_mapping(tmp_path):
    # cello.db.Row is native (pyembed/src/py_db_row.cpp): what the Python class it replaced did.
    import collections.abc
    import gc
    import pickle

    db = cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'rows.db'}"))
    row = db.sync.fetch_one("SELECT 1 AS id, 'x' AS name, NULL AS note")
    assert isinstance(row, collections.abc.Sequence) and type(row) is cdb.Row
    assert len(row) == 3 and list(row) == [1, "x", None] and tuple(row) == (1, "x", None)
    assert row[-1] is None and row[0:2] == (1, "x") and list(reversed(row)) == [None, "x", 1]
    assert "x" in row and row.index("x") == 1 and row.count(1) == 1
    assert row.get("name") == "x" and row.get("nope", 7) == 7 and row.values() == (1, "x", None)
    assert row._asdict() == {"id": 1, "name": "x", "note": None}
    assert repr(row) == "Row(id=1, name='x', note=None)"
    assert row != (1, "y", None) and row != {"id": 1} and row != 5
    assert row == cdb.Row([1, "x", None], {"id": 0, "name": 1, "note": 2})
    assert row != cdb.Row((1, "x", None), {"a": 0, "b": 1, "c": 2})  # same values, other columns
    assert pickle.loads(pickle.dumps(row)) == row
    match row:
        case (ident, name, _):
            assert (ident, name) == (1, "x")
        case _:
            pytest.fail("a row matches a sequence pattern")
    with pytest.raises(IndexError):
        row[3]
    with pytest.raises(TypeError):
        hash(row)
    with pytest.raises(TypeError):
        cdb.Row((1,), ["not", "a", "dict"])
    # A row that holds itself (through a JSON value) is collected, and its repr does not recurse.
    holder: dict = {}
    cyclic = cdb.Row((holder,), {"data": 0})
    holder["row"] = cyclic
    assert repr(cyclic) == "Row(data={'row': Row(...)})"
    del cyclic, holder
    assert gc.collect() > 0


def test_errors_carry_their_kind(tmp_path):
    s = cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'e.db'}")).sync
    s.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL)")
    s.execute("INSERT INTO u (email) VALUES (?)", ["a@x"])
    with pytest.raises(cdb.IntegrityError) as unique:
        s.execute("INSERT INTO u (email) VALUES (?)", ["a@x"])
    assert unique.value.sqlstate == "SQLITE_CONSTRAINT_UNIQUE"
    with pytest.raises(cdb.IntegrityError) as not_null:
        s.execute("INSERT INTO u (email) VALUES (?)", [None])
    assert not_null.value.sqlstate == "SQLITE_CONSTRAINT_NOTNULL"
    with pytest.raises(cdb.ProgrammingError, match="syntax error"):
        s.execute("SELEC 1")
    with pytest.raises(cdb.ProgrammingError, match="no such table"):
        s.fetch_all("SELECT * FROM missing")
    with pytest.raises(cdb.ProgrammingError, match="takes 1 parameters, 2 given"):
        s.execute("SELECT ?", [1, 2])
    with pytest.raises(cdb.ProgrammingError, match="one statement at a time"):
        s.execute("SELECT 1; SELECT 2")
    with pytest.raises(TypeError, match="sequence"):
        s.execute("SELECT ?", "x")
    assert issubclass(cdb.PoolTimeout, cdb.OperationalError)


def test_transactions_commit_roll_back_and_nest(tmp_path):
    db = cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 't.db'}"))
    db.sync.execute("CREATE TABLE t (name TEXT)")

    async def main():
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (?)", ["kept"])
            with pytest.raises(RuntimeError):
                async with db.transaction():  # a savepoint: only it is undone
                    await db.execute("INSERT INTO t VALUES (?)", ["inner"])
                    raise RuntimeError("undo the inner block")
        with pytest.raises(KeyError):
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (?)", ["lost"])
                raise KeyError("undo all")
        return [r["name"] for r in await db.fetch_all("SELECT name FROM t")]

    assert asyncio.run(main()) == ["kept"]
    with pytest.raises(ZeroDivisionError):
        with db.sync.transaction():
            db.sync.execute("INSERT INTO t VALUES (?)", ["sync lost"])
            1 / 0
    with db.sync.transaction():
        assert db.sync.execute_many("INSERT INTO t VALUES (?)", [["a"], ["b"]]) == 2
    assert db.sync.fetch_val("SELECT count(*) FROM t") == 3
    assert asyncio.run(db.execute_many("INSERT INTO t VALUES (?)", [["c"], ["d"]])) == 2
    assert db.stats["in_use"] == 0


def test_wal_mode_and_concurrent_writers(path):
    app = make_app(path, pool_size=4)
    assert app.db.sync.fetch_val("PRAGMA journal_mode") == "wal"
    with TestClient(app, workers=2) as c:
        with ThreadPoolExecutor(16) as pool:
            replies = list(pool.map(lambda i: c.post("/todos", json={"title": f"t{i}"}), range(200)))
        assert [r.status_code for r in replies] == [200] * 200
        assert len(c.get("/todos").json()) == 200
    assert app.db.stats["open"] <= 4


def test_a_request_waiting_for_a_connection_does_not_hold_the_thread_and_gets_a_503(path):
    app = make_app(path, pool_size=1, connection_timeout_secs=0.5)
    with TestClient(app, workers=1) as c:
        results = {}
        holder = threading.Thread(target=lambda: results.setdefault("hold", c.get("/hold?s=2")))
        holder.start()
        support.wait_until(lambda: app.db.stats["in_use"] == 1)
        # The one engine thread still serves while the connection is held...
        assert c.get("/plain").json() == {"ok": True}
        # ...and a request that needs the connection gives up after connection_timeout_secs.
        waited = c.get("/todos")
        support.assert_error_shape(waited, 503)
        assert "database busy" in str(waited.json()["detail"])
        holder.join(30)
        assert results["hold"].json() == {"held": True}
        assert c.get("/todos").status_code == 200  # free again


def test_memory_database_is_shared_by_the_pool():
    db = cdb.Database(DatabaseConfig(url="sqlite:///:memory:", pool_size=8))
    db.sync.execute("CREATE TABLE m (x INTEGER)")
    db.sync.execute("INSERT INTO m VALUES (1)")

    async def main():
        return await asyncio.gather(*(db.fetch_val("SELECT count(*) FROM m") for _ in range(10)))

    assert asyncio.run(main()) == [1] * 10
    assert db.stats["open"] == 1  # one connection holds the one in-memory database


def test_bad_configurations_are_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="three slashes"):
        cdb.Database(DatabaseConfig(url="sqlite://relative.db"))
    with pytest.raises(cdb.OperationalError, match="unable to open"):
        cdb.Database(DatabaseConfig(url=f"sqlite:///{tmp_path}/no/such/dir/x.db"))
    with pytest.raises(ValueError, match="unsupported database URL"):
        cdb.Database(DatabaseConfig(url="mysql://localhost/x"))
    assert DatabaseConfig.postgres("db", user="u", password="p@ss", database="app").url == "postgresql://u:p%40ss@db:5432/app"
    with pytest.raises(ValueError, match="pool_size"):
        DatabaseConfig(pool_size=0)
    app = App()
    with pytest.raises(RuntimeError, match="enable_database"):
        app.db
    app.enable_database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'x.db'}"))
    with pytest.raises(RuntimeError, match="already"):
        app.enable_database()


def test_in_cluster_mode_each_worker_opens_its_own_connections(tmp_path):
    # The pool was opened before the fork (enable_database at import): each worker opens its own
    # connections, and their writes all land in the one file.
    db_file = tmp_path / "cluster.db"
    cdb.Database(DatabaseConfig(url=f"sqlite:///{db_file}")).sync.execute(
        "CREATE TABLE hits (id INTEGER PRIMARY KEY, worker INTEGER)")
    env = {"DATABASE_URL": f"sqlite:///{db_file}", "DATABASE_POOL_SIZE": "2"}
    with support.running("db_cluster_app.py", "--processes", "2", "--no-logs", env=env) as server:
        with ThreadPoolExecutor(16) as pool:
            replies = list(pool.map(lambda _: support.request(server.port, "GET", "/who"), range(300)))
        assert [r.status for r in replies] == [200] * 300, [r.body for r in replies if r.status != 200][:3]
        assert len({r.json()["worker"] for r in replies}) == 2
    assert cdb.Database(DatabaseConfig(url=f"sqlite:///{db_file}")).sync.fetch_val("SELECT count(*) FROM hits") == 300


def metric(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus page, by name and exact labels."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_pool_figures_in_metrics(path):
    app = make_app(path, pool_size=1, connection_timeout_secs=5)
    app.enable_prometheus()

    @app.get("/broken")
    async def broken(request):
        return await request.db.fetch_all("SELECT nope FROM todos")

    pool = f"sqlite:///{path}"  # the URL it was opened with
    with TestClient(app, workers=1) as c:
        assert c.post("/todos", json={"title": "a"}).status_code == 200  # 2 statements
        assert c.get("/broken").status_code == 500
        page = c.get("/metrics").text
        assert metric(page, "cello_db_pool_max_connections", pool=pool) == 1
        assert metric(page, "cello_db_pool_connections", pool=pool, state="idle") == 1
        assert metric(page, "cello_db_pool_connections", pool=pool, state="in_use") == 0
        assert metric(page, "cello_db_query_errors_total", pool=pool) == 1
        counted = metric(page, "cello_db_query_duration_seconds_count", pool=pool)
        assert counted is not None and counted >= 3
        assert metric(page, "cello_db_query_duration_seconds_bucket", pool=pool, le="+Inf") == counted
        assert "password" not in page
        # The one connection held by a request: the next one waits for it, and the page says so.
        results = {}
        holder = threading.Thread(target=lambda: results.setdefault("hold", c.get("/hold?s=1.5")))
        holder.start()
        support.wait_until(lambda: app.db.stats["in_use"] == 1)
        waiter = threading.Thread(target=lambda: results.setdefault("wait", c.get("/todos")))
        waiter.start()
        support.wait_until(lambda: metric(c.get("/metrics").text, "cello_db_pool_waiters", pool=pool) == 1)
        page = c.get("/metrics").text
        assert metric(page, "cello_db_pool_connections", pool=pool, state="in_use") == 1
        holder.join(30)
        waiter.join(30)
        assert results["hold"].status_code == 200 and results["wait"].status_code == 200
        page = c.get("/metrics").text
        assert metric(page, "cello_db_pool_waiters", pool=pool) == 0
        assert metric(page, "cello_db_query_duration_seconds_count", pool=pool) > counted
