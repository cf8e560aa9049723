"""The database pool against a real PostgreSQL 15 (Debian's package, a throwaway cluster started by
pg_server.py): libpq's asynchronous API on the engine thread's loop, the pool's limits in
pg_stat_activity, reconnection after backends are terminated, errors by SQLSTATE, types both ways."""
from __future__ import annotations

import asyncio
import datetime
import decimal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import pg_server
import support
from cello import App, DatabaseConfig
from cello import db as cdb
from cello._db_postgres import numbered
from cello.testing import TestClient

pytestmark = pytest.mark.skipif(not pg_server.available(), reason="Debian's postgresql package is not installed")


@pytest.fixture(scope="module")
def dsn():
    with pg_server.running() as url:
        yield url


@pytest.fixture()
def admin(dsn):
    """A second pool, to look at the server from outside the app's."""
    return cdb.Database(DatabaseConfig(url=dsn, pool_size=2)).sync


def app_connections(admin, name: str) -> int:
    return admin.fetch_val("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", [name])


def make_app(dsn: str, name: str, **config) -> App:
    app = App()
    app.enable_database(DatabaseConfig(url=dsn, application_name=name, **config))

    @app.get("/sleep")
    async def sleep(request):
        seconds = float(request.query.get("s", "0.05"))
        return {"pid": await request.db.fetch_val("SELECT pg_backend_pid() FROM pg_sleep(?)", [seconds])}

    @app.get("/pid")
    async def pid(request):
        return {"pid": await request.db.fetch_val("SELECT pg_backend_pid()")}

    @app.get("/plain")
    def plain(request):
        return {"ok": True}

    return app


def test_placeholders_are_numbered_outside_literals_and_comments():
    assert numbered("SELECT ? + ?") == "SELECT $1 + $2"
    assert numbered("SELECT '?', \"a?\", ? -- what?\n, ?") == "SELECT '?', \"a?\", $1 -- what?\n, $2"
    assert numbered("SELECT $x$ ? $x$, ? /* ? */, 'it''s ?', ?") == "SELECT $x$ ? $x$, $1 /* ? */, 'it''s ?', $2"
    assert numbered("SELECT $1, $2") == "SELECT $1, $2"  # already numbered: left alone


def test_types_round_trip(dsn):
    s = cdb.Database(DatabaseConfig(url=dsn)).sync
    s.execute("CREATE TABLE types (n bigint, f double precision, t text, b bytea, ok boolean, at timestamptz, "
              "naive timestamp, day date, tm time, price numeric(30, 10), id uuid, doc jsonb, arr json)")
    aware = datetime.datetime(2026, 12, 5, 6, 30, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    naive = datetime.datetime(1999, 12, 31, 23, 59, 59)
    values = [-(2**63), 0.1, "zoë — ☕ 漢字 '; DROP TABLE types; --", b"\x00\xff\x10", False, aware, naive,
              datetime.date(2024, 2, 29), datetime.time(7, 8, 9), decimal.Decimal("12345678901234567890.0123456789"),
              uuid.UUID("12345678-1234-5678-1234-567812345678"), {"a": [1, {"b": None}], "é": True}, [1, "two"]]
    s.execute("INSERT INTO types VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    row = s.fetch_one("SELECT * FROM types")
    assert row["at"] == aware  # the same instant (the server answers in its time zone)
    assert [row[i] for i in range(len(values)) if i != 5] == [v for i, v in enumerate(values) if i != 5]
    assert s.fetch_val("SELECT count(*) FROM types") == 1  # the quote in the text was only data
    s.execute("INSERT INTO types (n) VALUES (?)", [None])
    assert s.fetch_val("SELECT count(*) FROM types WHERE n IS NULL") == 1
    with pytest.raises(ValueError, match="64 bits"):
        s.execute("SELECT ?::numeric", [2**64])


def test_errors_carry_their_sqlstate(dsn):
    s = cdb.Database(DatabaseConfig(url=dsn)).sync
    s.execute("CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL)")
    s.execute("INSERT INTO users (email) VALUES (?)", ["a@x"])
    with pytest.raises(cdb.IntegrityError) as unique:
        s.execute("INSERT INTO users (email) VALUES (?)", ["a@x"])
    assert unique.value.sqlstate == "23505"
    with pytest.raises(cdb.ProgrammingError) as missing:
        s.fetch_all("SELECT * FROM nowhere")
    assert missing.value.sqlstate == "42P01"
    with pytest.raises(cdb.ProgrammingError) as syntax:
        s.execute("SELEC 1")
    assert syntax.value.sqlstate == "42601"
    assert "a@x" not in str(unique.value)  # the SQL, never the parameters


def test_transactions_and_savepoints(dsn):
    db = cdb.Database(DatabaseConfig(url=dsn))
    db.sync.execute("CREATE TABLE tx (name text)")

    async def main():
        async with db.transaction():
            await db.execute("INSERT INTO tx VALUES (?)", ["kept"])
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    await db.execute("INSERT INTO tx VALUES (?)", ["inner"])
                    raise RuntimeError
        with pytest.raises(KeyError):
            async with db.transaction():
                await db.execute("INSERT INTO tx VALUES (?)", ["lost"])
                raise KeyError
        return [r[0] for r in await db.fetch_all("SELECT name FROM tx")]

    assert asyncio.run(main()) == ["kept"]
    assert db.sync.execute_many("INSERT INTO tx VALUES (?)", [["a"], ["b"]]) == 2
    assert db.stats["in_use"] == 0


def test_never_more_than_pool_size_connections(dsn, admin):
    app = make_app(dsn, "limit", pool_size=4)
    with TestClient(app, workers=2) as c:
        seen = []
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                seen.append(app_connections(admin, "limit"))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(50) as pool:
                replies = list(pool.map(lambda _: c.get("/sleep?s=0.05"), range(200)))
        finally:
            stop.set()
            watcher.join()
        assert [r.status_code for r in replies] == [200] * 200
        assert max(seen) <= 4, seen
        assert max(seen) >= 2  # they did run side by side
        assert len({r.json()["pid"] for r in replies}) <= 4


def test_a_slow_query_does_not_hold_its_engine_thread(dsn):
    app = make_app(dsn, "slow", pool_size=2)
    with TestClient(app, workers=1) as c:
        slow = {}
        t = threading.Thread(target=lambda: slow.setdefault("reply", c.get("/sleep?s=3")))
        t.start()
        support.wait_until(lambda: app.db.stats["in_use"] == 1)
        # The one engine thread answers, including another query, while the slow one runs.
        assert c.get("/plain").json() == {"ok": True}
        assert "pid" in c.get("/pid").json()
        assert t.is_alive(), "the slow query was still running"
        t.join(30)
        assert slow["reply"].status_code == 200


def test_waiting_past_the_timeout_is_a_503(dsn):
    app = make_app(dsn, "timeout", pool_size=1, connection_timeout_secs=0.3)
    with TestClient(app, workers=1) as c:
        held = threading.Thread(target=lambda: c.get("/sleep?s=5"))
        held.start()
        support.wait_until(lambda: app.db.stats["in_use"] == 1)
        support.assert_error_shape(c.get("/pid"), 503)
        # Waiters queued one after the other share one timer, set again for each next deadline:
        # every one of them times out (none is left waiting for the slow query to end).
        replies: list = []
        later = [threading.Thread(target=lambda: replies.append(c.get("/pid"))) for _ in range(3)]
        for t in later:
            t.start()
            time.sleep(0.1)
        for t in later:
            t.join(30)
        assert [r.status_code for r in replies] == [503, 503, 503]
        held.join(30)
        assert c.get("/pid").status_code == 200


def test_clients_that_leave_while_waiting_lose_no_connection(dsn):
    # Waiters for the one connection whose clients hang up: their tasks are cancelled, some just
    # as the connection is handed to them. Afterwards nothing is held and the pool still serves.
    app = make_app(dsn, "leavers", pool_size=2)
    with TestClient(app, workers=1) as c:
        for _ in range(5):
            socks = []
            for _ in range(30):
                s = socket.create_connection(("127.0.0.1", c.port))
                s.sendall(b"GET /sleep?s=0.02 HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
            time.sleep(0.05)
            for s in socks:
                s.close()
        support.wait_until(lambda: app.db.stats["in_use"] == 0)
        replies = [c.get("/pid") for _ in range(5)]
        assert [r.status_code for r in replies] == [200] * 5
        assert app.db.stats["open"] <= 2


def test_terminated_backends_are_replaced_and_a_cut_query_fails_clearly(dsn, admin):
    app = make_app(dsn, "killed", pool_size=3)
    with TestClient(app, workers=1) as c:
        before = {c.get("/pid").json()["pid"] for _ in range(5)}
        running = {}
        t = threading.Thread(target=lambda: running.setdefault("reply", c.get("/sleep?s=5")))
        t.start()
        support.wait_until(lambda: app_connections(admin, "killed") >= 1 and app.db.stats["in_use"] == 1)
        killed = admin.fetch_val("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE application_name = ?", ["killed"])
        assert killed >= 1
        t.join(30)
        assert not t.is_alive(), "the cut query must not hang"
        support.assert_error_shape(running["reply"], 500)
        # The next queries reconnect by themselves.
        after = {c.get("/pid").json()["pid"] for _ in range(5)}
        assert after and not (after & before)


def test_a_restarted_server_is_reconnected_to(dsn):
    app = make_app(dsn, "restarted", pool_size=3)
    with TestClient(app, workers=1) as c:
        before = {c.get("/pid").json()["pid"] for _ in range(5)}
        assert app.db.stats["idle"] >= 1
        pg_server.restart(dsn)  # every connection the pool holds is closed by the server
        replies = [c.get("/pid") for _ in range(5)]
        assert [r.status_code for r in replies] == [200] * 5, [r.text for r in replies]
        assert not ({r.json()["pid"] for r in replies} & before)
        assert app.db.stats["open"] <= 3


def test_idle_connections_close_and_old_ones_are_replaced(dsn, admin):
    db = cdb.Database(DatabaseConfig(url=dsn, pool_size=5, min_idle=1, idle_timeout_secs=1,
                                     max_lifetime_secs=1, application_name="aging"))

    async def burst():
        return await asyncio.gather(*(db.fetch_val("SELECT pg_backend_pid() FROM pg_sleep(0.1)") for _ in range(5)))

    first = set(asyncio.run(burst()))
    assert len(first) >= 2 and db.stats["open"] >= 2
    support.wait_until(lambda: time.sleep(0.2) or db.stats["open"] <= 1, timeout=10)
    support.wait_until(lambda: app_connections(admin, "aging") <= 1, timeout=10)
    time.sleep(1.1)  # past max_lifetime: the connection left is replaced, not reused
    assert db.sync.fetch_val("SELECT pg_backend_pid()") not in first


def test_an_unreachable_server_is_an_operational_error():
    port = support.free_port()
    db = cdb.Database(DatabaseConfig(url=f"postgresql://nobody@127.0.0.1:{port}/x", connection_timeout_secs=2))
    with pytest.raises(cdb.OperationalError, match="cannot connect"):
        db.sync.fetch_val("SELECT 1")
    with pytest.raises(cdb.OperationalError, match="cannot connect"):
        asyncio.run(db.fetch_val("SELECT 1"))
    assert db.stats["open"] == 0


def test_in_cluster_mode_each_worker_has_its_own_pool(dsn, admin):
    # pool_size 3 × 2 worker processes: at most 6 connections, each worker within its 3.
    env = {"DATABASE_URL": dsn + "?application_name=cluster", "DATABASE_POOL_SIZE": "3"}
    with support.running("db_cluster_app.py", "--processes", "2", "--no-logs", env=env) as server:
        def ask(_):
            return support.request(server.port, "GET", "/who").json()

        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(ask, range(400)))
            seen = app_connections(admin, "cluster")
        workers: dict[int, set[int]] = {}
        for a in answers:
            workers.setdefault(a["worker"], set()).add(a["backend"])
            assert a["open"] <= 3
        assert len(workers) == 2, workers.keys()
        assert all(len(backends) <= 3 for backends in workers.values()), workers
        assert not (set.intersection(*workers.values())), "two workers shared a connection"
        assert seen <= 6
        # /metrics on any worker: both workers' pools, as one server's.
        from test_database_sqlite import metric

        page = support.request(server.port, "GET", "/metrics").text
        [pool] = {line.split('pool="')[1].split('"')[0] for line in page.splitlines()
                  if line.startswith("cello_db_pool_max_connections")}
        assert metric(page, "cello_db_pool_max_connections", pool=pool) == 6  # 3 per worker, 2 workers
        assert metric(page, "cello_db_query_duration_seconds_count", pool=pool) == 400
        open_now = metric(page, "cello_db_pool_connections", pool=pool, state="idle")
        assert open_now is not None and 2 <= open_now <= 6  # each worker keeps its idle connections


def test_pool_figures_in_metrics(dsn):
    """(Other pools of this database in this process, from earlier tests, are added into the same
    series: the figures are compared before and after.)"""
    from test_database_sqlite import metric

    app = make_app(dsn, "cello_metrics", pool_size=3)
    app.enable_prometheus()

    @app.get("/broken")
    async def broken(request):
        return await request.db.fetch_all("SELECT nope FROM pg_class")

    with TestClient(app, workers=1) as c:
        before = c.get("/metrics").text
        for _ in range(3):
            assert c.get("/pid").status_code == 200
        assert c.get("/broken").status_code == 500
        page = c.get("/metrics").text
    pools = {line.split('pool="')[1].split('"')[0] for line in page.splitlines() if line.startswith("cello_db_pool_max")}
    [pool] = [p for p in pools if p.startswith("postgresql://")]
    assert pool.endswith("/" + dsn.rsplit("/", 1)[1].split("?")[0])  # host:port/dbname, no user or password
    assert "@" not in pool

    def grew(name: str, **labels: str) -> float:
        return (metric(page, name, pool=pool, **labels) or 0) - (metric(before, name, pool=pool, **labels) or 0)

    assert metric(page, "cello_db_pool_max_connections", pool=pool) >= 3
    assert metric(page, "cello_db_pool_connections", pool=pool, state="in_use") == 0
    assert grew("cello_db_query_duration_seconds_count") == 4
    assert grew("cello_db_query_errors_total") == 1


def test_statements_awaited_together_share_one_connection_in_a_pipeline(dsn):
    # asyncio.gather on one connection: every statement is sent at once (libpq's pipeline mode),
    # each result reaches its own awaiter in order, and one statement's error is its own.
    app = App()
    app.enable_database(DatabaseConfig(url=dsn, application_name="pipeline", pool_size=2))

    @app.get("/burst")
    async def burst(request):
        db = request.db
        n = int(request.query["n"])
        async with db.connection():
            rows = await asyncio.gather(
                *(db.fetch_one("SELECT ?::int * 2 AS twice, pg_backend_pid() AS pid", [i]) for i in range(n)),
                db.fetch_one("SELECT * FROM nowhere"),
                db.fetch_one("SELECT 1 / ?::int", [0]),
                db.fetch_val("SELECT 'after the errors'"),
                return_exceptions=True)
        ok, missing, divide, after = rows[:n], rows[n], rows[n + 1], rows[n + 2]
        return {"twice": [r["twice"] for r in ok], "pids": sorted({r["pid"] for r in ok}),
                "errors": [type(missing).__name__, missing.sqlstate, type(divide).__name__, divide.sqlstate],
                "after": after}

    @app.get("/cancelled")
    async def cancelled(request):
        db = request.db
        async with db.connection():
            slow = asyncio.ensure_future(db.fetch_val("SELECT pg_backend_pid() FROM pg_sleep(0.3)"))
            fast = [asyncio.ensure_future(db.fetch_val("SELECT ?::int", [i])) for i in range(3)]
            await asyncio.sleep(0.05)
            slow.cancel()  # its result still arrives (first): dropped, the ones behind it go to their tasks
            values = await asyncio.gather(*fast)
            pid = await db.fetch_val("SELECT pg_backend_pid()")
        return {"values": values, "pid": pid}

    @app.get("/tx")
    async def tx(request):
        db = request.db
        await db.execute("CREATE TABLE IF NOT EXISTS piped (n int PRIMARY KEY)")
        try:
            async with db.transaction():
                await asyncio.gather(*(db.execute("INSERT INTO piped VALUES (?)", [i]) for i in (1, 2, 2, 3)))
        except cdb.IntegrityError as e:
            failed = e.sqlstate
        return {"failed": failed, "kept": await db.fetch_val("SELECT count(*) FROM piped")}

    with TestClient(app, workers=1) as c:
        for n in (1, 5, 200):  # 200: more than one packet's worth
            body = c.get(f"/burst?n={n}").json()
            assert body["twice"] == [2 * i for i in range(n)]
            assert len(body["pids"]) == 1, "one connection for all of them"
            assert body["errors"] == ["ProgrammingError", "42P01", "ProgrammingError", "22012"]
            assert body["after"] == "after the errors"
        body = c.get("/cancelled").json()
        assert body["values"] == [0, 1, 2]
        assert c.get("/tx").json() == {"failed": "23505", "kept": 0}  # the whole transaction rolled back
        assert app.db.stats["in_use"] == 0
        assert c.get("/burst?n=3").status_code == 200


def test_execute_many_is_pipelined_in_one_transaction(dsn):
    app = App()
    app.enable_database(DatabaseConfig(url=dsn, application_name="many", pool_size=1))

    @app.post("/load")
    async def load(request):
        db = request.db
        await db.execute("CREATE TABLE IF NOT EXISTS many (n int PRIMARY KEY)")
        rows = request.json()["rows"]
        try:
            changed = await db.execute_many("INSERT INTO many VALUES (?)", [[n] for n in rows])
        except cdb.IntegrityError as e:
            return {"error": e.sqlstate, "count": await db.fetch_val("SELECT count(*) FROM many")}
        return {"changed": changed, "count": await db.fetch_val("SELECT count(*) FROM many")}

    with TestClient(app, workers=1) as c:
        assert c.post("/load", json={"rows": list(range(500))}).json() == {"changed": 500, "count": 500}
        # A duplicate halfway: nothing of this batch is kept, and no stray error is left behind.
        assert c.post("/load", json={"rows": [1000, 1001, 5, 1002]}).json() == {"error": "23505", "count": 500}
        assert c.post("/load", json={"rows": [2000]}).json() == {"changed": 1, "count": 501}


def test_pipelined_statements_at_the_edges(dsn):
    # What a shared, pipelined connection must not get wrong (each found by review).
    app = App()
    app.enable_database(DatabaseConfig(url=dsn, application_name="edges", pool_size=2))

    @app.get("/two-transactions")
    async def two_transactions(request):
        db = request.db
        await db.execute("CREATE TABLE IF NOT EXISTS two_tx (n int)")

        async def tx(n):
            async with db.transaction():
                await db.execute("INSERT INTO two_tx VALUES (?)", [n])

        async with db.connection():
            outcome = await asyncio.gather(tx(1), tx(2), return_exceptions=True)
        return {"outcome": [type(o).__name__ for o in outcome],
                "rows": [r[0] for r in await db.fetch_all("SELECT n FROM two_tx ORDER BY n")]}

    @app.get("/sibling-after-rollback")
    async def sibling(request):
        db = request.db
        await db.execute("CREATE TABLE IF NOT EXISTS sibling (n int)")

        async def fails():
            raise ValueError("stop")

        async def late():
            await db.fetch_val("SELECT pg_sleep(0.05)")
            await db.execute("INSERT INTO sibling VALUES (2)")

        task = None
        try:
            async with db.transaction():
                task = asyncio.ensure_future(late())
                await asyncio.gather(fails(), task)
        except ValueError:
            pass
        late_error = None
        try:
            await task
        except Exception as e:
            late_error = type(e).__name__
        return {"late": late_error, "kept": await db.fetch_val("SELECT count(*) FROM sibling")}

    @app.get("/prepare-race")
    async def prepare_race(request):
        db = request.db
        sql = "SELECT count(*) FROM made_later"
        async with db.connection():
            outcome = await asyncio.gather(db.fetch_val(sql), db.execute("CREATE TABLE made_later (n int)"),
                                           db.fetch_val(sql), return_exceptions=True)
        return {"outcome": [type(o).__name__ if isinstance(o, Exception) else o for o in outcome]}

    @app.get("/left-running")
    async def left_running(request):
        db = request.db
        async with db.connection():
            task = asyncio.ensure_future(db.fetch_val("SELECT 1 FROM pg_sleep(0.3)"))
            await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(task, 5)
        except Exception as e:
            return {"error": type(e).__name__, "message": str(e)}
        return {"error": None}

    @app.get("/copy")
    async def copy(request):
        await request.db.execute("COPY (SELECT 1) TO STDOUT")

    @app.get("/replan")
    async def replan(request):
        db = request.db
        out = []
        async with db.connection():
            await db.execute("CREATE TABLE IF NOT EXISTS shape (a int)")
            await db.fetch_all("SELECT * FROM shape")
            await db.execute("ALTER TABLE shape ADD COLUMN b int")
            for _ in range(2):
                try:
                    await db.fetch_all("SELECT * FROM shape")
                    out.append("ok")
                except Exception as e:
                    out.append(type(e).__name__)
        return out

    @app.get("/many-bad")
    async def many_bad(request):
        db = request.db
        await db.execute("CREATE TABLE IF NOT EXISTS many_bad (n int)")
        try:
            await db.execute_many("INSERT INTO many_bad VALUES (?)", [[1], [2], [object()]])
        except TypeError as e:
            return {"error": "TypeError", "kept": await db.fetch_val("SELECT count(*) FROM many_bad")}

    with TestClient(app, workers=1) as c:
        body = c.get("/two-transactions").json()
        assert sorted(body["outcome"]) == ["NoneType", "ProgrammingError"] and len(body["rows"]) == 1
        assert c.get("/sibling-after-rollback").json() == {"late": "OperationalError", "kept": 0}
        assert c.get("/prepare-race").json() == {"outcome": ["ProgrammingError", 0, 0]}
        left = c.get("/left-running").json()
        assert left["error"] == "OperationalError" and "went back to its pool" in left["message"]
        copy = c.get("/copy")
        assert copy.status_code == 500
        # A plan made before ALTER TABLE fails once ("cached plan must not change result type"), then
        # the statement is prepared again.
        assert c.get("/replan").json() == ["ProgrammingError", "ok"]
        assert c.get("/many-bad").json() == {"error": "TypeError", "kept": 0}
        assert support.wait_until(lambda: app.db.stats["in_use"] == 0)
        assert c.get("/prepare-race").status_code == 200  # (made_later exists now: all three succeed)
