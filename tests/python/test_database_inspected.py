"""The inspector sees each request's database queries and log lines (docs/database.md, "Seen"): a
real server with --inspect on a SQLite file, queried over HTTP; per-route query counts and time, the
N+1 flag, each statement with its time, rows and error, the log lines, and nothing recorded (no
trace object at all) when no inspector is attached."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

import support
from cello import App
from test_inspector import Inspected, start

APP = '''
import asyncio, logging
from cello import App, DatabaseConfig, _cello

log = logging.getLogger("shop")
log.setLevel(logging.INFO)  # records below the logger's level are never made, so never seen
app = App()
app.enable_database(DatabaseConfig(url="sqlite:///{db}"))
app.db.sync.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
if not app.db.sync.fetch_val("SELECT count(*) FROM items"):
    app.db.sync.execute_many("INSERT INTO items (name) VALUES (?)", [[f"item {{i}}"] for i in range(8)])

@app.get("/n1")
async def n_plus_one(request):
    ids = [r["id"] for r in await request.db.fetch_all("SELECT id FROM items ORDER BY id")]
    log.info("loading %d items one by one", len(ids))
    return [await request.db.fetch_one("SELECT id, name FROM items WHERE id = ?", [i]) for i in ids]

@app.get("/one")
async def one(request):
    return await request.db.fetch_one("SELECT id, name FROM items WHERE id = ?", [1])

@app.get("/sync")
def sync(request):
    log.warning("sync handler for %s", request.path)
    changed = request.db.sync.execute("UPDATE items SET name = name WHERE id <= ?", [3])
    return {{"changed": changed, "n": request.db.sync.fetch_val("SELECT count(*) FROM items")}}

@app.get("/gather")
async def gather(request):
    rows = await asyncio.gather(*(request.db.fetch_val("SELECT name FROM items WHERE id = ?", [i]) for i in (1, 2, 3)))
    return {{"names": rows}}

@app.get("/bad")
async def bad(request):
    return await request.db.fetch_all("SELECT nope FROM items")

@app.get("/traced")
def traced(request):
    return {{"traced": _cello.current_trace() is not None}}

@app.get("/traced/async")
async def traced_async(request):
    await asyncio.sleep(0)
    return {{"traced": _cello.current_trace() is not None}}
'''


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(APP.format(db=tmp_path / "shop.db")))
    return path


@pytest.fixture
def inspected(app_file: Path) -> Iterator[Inspected]:
    ins = start(app_file)
    try:
        yield ins
    finally:
        assert ins.server.stop() == 0, ins.server.stderr


def last_request(ins: Inspected, total: int, path: str) -> dict[str, Any]:
    rows = [r for r in ins.settled(total)["requests"] if r["path"] == path]
    assert rows, path
    return rows[-1]


def test_counts_and_time_per_request_and_route_without_detail_capture(inspected: Inspected) -> None:
    s = inspected.server
    assert s.get("/n1").status == 200
    row = last_request(inspected, 1, "/n1")
    assert row["db"]["queries"] == 9 and row["db"]["repeats"] == 8
    assert 0 < row["db"]["time_ms"] <= row["handler_ms"] + 1
    assert row["detail"] is None  # capture off: counts only, no statements
    for _ in range(2):
        assert s.get("/one").status == 200
    snap = inspected.settled(3)
    n1, one = inspected.route(snap, "GET /n1")["db"], inspected.route(snap, "GET /one")["db"]
    assert (n1["queries"], n1["requests"], n1["max_repeats"], n1["n_plus_one"]) == (9, 1, 8, 1)
    assert (one["queries"], one["requests"], one["max_repeats"], one["n_plus_one"]) == (2, 2, 1, 0)
    assert one["time_ms"] > 0
    assert inspected.route(snap, "GET /traced")["db"]["queries"] == 0


def test_statements_rows_errors_and_log_lines_with_detail_capture(inspected: Inspected) -> None:
    s = inspected.server
    assert inspected.call("POST", "/inspect/v1/capture", {"on": True}).status == 200
    assert s.get("/n1").status == 200
    detail = last_request(inspected, 1, "/n1")["detail"]
    sqls = [q["sql"] for q in detail["queries"]]
    assert sqls == ["SELECT id FROM items ORDER BY id"] + ["SELECT id, name FROM items WHERE id = ?"] * 8
    assert [q["rows"] for q in detail["queries"]] == [8] + [1] * 8
    assert all(q["error"] is None and q["duration_ms"] >= 0 for q in detail["queries"])
    starts = [q["start_ms"] for q in detail["queries"]]
    assert starts == sorted(starts)  # in the order they ran, on the request's own clock
    assert [(l["level"], l["logger"], l["message"]) for l in detail["logs"]] == [(20, "shop", "loading 8 items one by one")]

    assert s.get("/sync").json() == {"changed": 3, "n": 8}
    detail = last_request(inspected, 2, "/sync")["detail"]
    assert [(q["sql"], q["rows"]) for q in detail["queries"]] == [
        ("UPDATE items SET name = name WHERE id <= ?", 3), ("SELECT count(*) FROM items", 1)]
    assert detail["logs"][0]["message"] == "sync handler for /sync" and detail["logs"][0]["level"] == 30

    assert s.get("/gather").json() == {"names": ["item 0", "item 1", "item 2"]}
    row = last_request(inspected, 3, "/gather")
    assert row["db"]["queries"] == 3 and len(row["detail"]["queries"]) == 3  # queries of its sub-tasks too

    assert s.get("/bad").status == 500
    row = last_request(inspected, 4, "/bad")
    [q] = row["detail"]["queries"]
    assert q["sql"] == "SELECT nope FROM items" and q["rows"] == -1
    assert q["error"].startswith("ProgrammingError:") and "nope" in q["error"]
    assert s.get("/one").status == 200  # and the server keeps serving


def test_no_trace_without_an_inspector(tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent(APP.format(db=tmp_path / "shop.db")))
    with support.running(str(app_file), "--no-logs") as server:
        assert server.get("/traced").json() == {"traced": False}
        assert server.get("/traced/async").json() == {"traced": False}
        assert server.get("/n1").status == 200


def test_traced_with_an_inspector(inspected: Inspected) -> None:
    assert inspected.server.get("/traced").json() == {"traced": True}
    assert inspected.server.get("/traced/async").json() == {"traced": True}


def test_log_capture_leaves_the_apps_logging_alone(tmp_path: Path) -> None:
    """The hook is a record factory: the app's handlers and Python's last resort still get records."""
    import logging

    from cello import _trace

    _trace.capture_logs()
    _trace.capture_logs()  # once
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cello.test.trace")
    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.warning("plain %s", "record")
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == ["plain record"]
    assert App  # the package imports with the hook installed


def test_without_a_database_only_detail_capture_traces(tmp_path: Path) -> None:
    """Counts are for database queries: an app that never opened a pool is not traced for them (the
    inspector costs it nothing more); detail capture still traces, for the log lines."""
    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent("""
        from cello import App, _cello

        app = App()

        @app.get("/traced")
        def traced(request):
            return {"traced": _cello.current_trace() is not None}
    """))
    ins = start(app_file)
    try:
        assert ins.server.get("/traced").json() == {"traced": False}
        assert ins.call("POST", "/inspect/v1/capture", {"on": True}).status == 200
        assert ins.server.get("/traced").json() == {"traced": True}
    finally:
        assert ins.server.stop() == 0, ins.server.stderr
