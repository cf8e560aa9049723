"""The database pool: `app.enable_database(DatabaseConfig(...))`, then `request.db` / `app.db`.

>>> app.enable_database()  # sqlite:///cello.db, no server needed
>>> @app.get("/users/{id:int}")
... async def user(request):
...     return await request.db.fetch_one("SELECT id, name FROM users WHERE id = ?", [request.params["id"]])

Placeholders are ``?``, one per parameter, in order; parameters are always bound, never spliced
into the SQL. Rows read like tuples (``row[0]``, ``a, b = row``) and like dicts (``row["name"]``,
``row.keys()``); a handler may return them (or a list of them) as JSON objects.

The pool is native (engine/db). SQLite statements run on the calling engine thread with the GIL
released: SQLite is a library, a statement takes microseconds. PostgreSQL's ``postgresql://`` URLs
are served through libpq, asynchronously on the engine thread's loop (docs/database.md).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import functools
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import _cello
from .errors import HTTPError

__all__ = ["Database", "DatabaseConfig", "DatabaseError", "IntegrityError", "OperationalError", "PoolTimeout",
           "ProgrammingError", "Row", "SyncDatabase"]


# Bumped in a child after fork(): a pool made before it belongs to the parent (a cluster worker
# opens its own). Cheaper than os.getpid(), a system call, on every checkout.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


def fork_generation() -> int:
    """How many fork()s this process is away from the one that imported cello.db."""
    return _forks


class DatabaseError(Exception):
    """A database failure; `sqlstate` is PostgreSQL's SQLSTATE or SQLite's result code name."""

    sqlstate: str | None = None


class IntegrityError(DatabaseError):
    """A constraint was violated (unique, primary or foreign key, not null, check)."""


class OperationalError(DatabaseError):
    """The database could not do it: locked, unreachable, out of space, connection lost."""


class ProgrammingError(DatabaseError):
    """The statement is wrong: syntax, an unknown table or column, the wrong number of parameters."""


class PoolTimeout(OperationalError, HTTPError):
    """No connection (or SQLite's writer lock) came free within `connection_timeout_secs`: a 503."""

    def __init__(self, message: str) -> None:
        HTTPError.__init__(self, 503, "database busy: " + message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class _Busy(Exception):
    """SQLite's writer lock is taken and the caller asked not to wait (try again later)."""


# --- parameters and values ---------------------------------------------------------------------

def _adapt(value: Any) -> Any:
    """A parameter the native layer does not bind directly, as str, bytes, int or float."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):  # an int subclass (IntEnum): its value
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"cannot bind a parameter of type {type(value).__name__}")




def _datetime(v: Any) -> Any:
    return datetime.datetime.fromisoformat(v) if isinstance(v, str) else v


def _date(v: Any) -> Any:
    return datetime.date.fromisoformat(v) if isinstance(v, str) else v


def _time(v: Any) -> Any:
    return datetime.time.fromisoformat(v) if isinstance(v, str) else v


def _decimal(v: Any) -> Any:
    return decimal.Decimal(str(v)) if isinstance(v, (str, int, float)) else v


def _uuid(v: Any) -> Any:
    if isinstance(v, str):
        return uuid.UUID(v)
    return uuid.UUID(bytes=v) if isinstance(v, bytes) and len(v) == 16 else v


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, (str, bytes)) else v


def _bool(v: Any) -> Any:
    return bool(v) if isinstance(v, int) else v


def _converter(declared: str) -> Any:
    """How a column of this declared type comes back (SQLite keeps the declared type, not the value's)."""
    t = declared.upper()
    if "BOOL" in t:
        return _bool
    if "TIMESTAMP" in t or "DATETIME" in t:
        return _datetime
    if t == "DATE":
        return _date
    if t.startswith("TIME"):
        return _time
    if t.startswith("DECIMAL") or t.startswith("NUMERIC"):
        return _decimal
    if t == "UUID":
        return _uuid
    if t in ("JSON", "JSONB"):
        return _json
    return None


# One row: a tuple of its values that also answers to its column names (row[0], row["id"], keys(),
# items(), get(), _asdict(); equal to a tuple or dict of the same contents). Native
# (pyembed/src/py_db_row.cpp): a handler reads many per request.
Row = _cello.Row
Sequence.register(Row)


@functools.lru_cache(maxsize=1024)
def _shape(columns: tuple[str, ...], declared: tuple[str, ...]) -> tuple[dict[str, int], list[tuple[int, Any]]]:
    """A result's column index and converters, worked out once per distinct result shape."""
    index = {name: i for i, name in enumerate(columns)}
    return index, [(i, c) for i, c in enumerate(map(_converter, declared)) if c is not None]


_cello._bind_db((IntegrityError, OperationalError, ProgrammingError, PoolTimeout, _Busy), _adapt)


_trace = _cello.current_trace  # the running request's trace while an inspector is attached, else None


def _row_count(result: tuple[Any, ...]) -> int:
    """Rows a statement returned, or else changed."""
    return len(result[2]) if result[0] else int(result[3])


def _traced(trace: Any, sql: str, start_ns: int, result: Any = None, error: BaseException | None = None) -> Any:
    """Records one statement in the request's trace; returns its result, or the error to re-raise."""
    took = time.perf_counter_ns() - start_ns
    if error is not None:
        trace.query(sql, took, -1, f"{type(error).__name__}: {error}")
        return error
    trace.query(sql, took, _row_count(result))
    return result


def _abandon(results: Sequence[Any]) -> None:
    """Statements no one will await (an earlier one failed): their outcome is dropped quietly."""
    for r in results:
        if hasattr(r, "close"):  # a coroutine not started
            r.close()
        else:
            r.add_done_callback(lambda f: f.cancelled() or f.exception())


def _rows(result: tuple[Any, ...]) -> list[Row]:
    rows = result[2]
    index, converters = _shape(result[0], result[1])
    if converters:
        converted = []
        for values in rows:
            values = list(values)
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            converted.append(tuple(values))
        rows = converted
    return _cello._rows(rows, index)


# --- configuration -----------------------------------------------------------------------------

@dataclass
class DatabaseConfig:
    """Where the database is and how the pool behaves (the original product's signature).

    `url`: ``sqlite:///relative.db``, ``sqlite:////absolute/path.db``, ``sqlite:///:memory:``
    (one database shared by the pool, which then holds one connection) or
    ``postgresql://user:password@host:port/database`` (libpq's URL syntax: ?sslmode=... and the rest).
    """

    url: str = "sqlite:///cello.db"
    pool_size: int = 10
    min_idle: int = 1
    max_lifetime_secs: float = 1800
    connection_timeout_secs: float = 5
    idle_timeout_secs: float = 300
    application_name: str | None = None

    @classmethod
    def postgres(cls, host: str, port: int = 5432, database: str = "postgres", user: str = "postgres",
                 password: str | None = None, pool_size: int = 10) -> DatabaseConfig:
        """A PostgreSQL server's config from its parts."""
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
        return cls(url=f"postgresql://{auth}@{host}:{port}/{quote(database, safe='')}", pool_size=pool_size)

    def __post_init__(self) -> None:
        if self.pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if self.connection_timeout_secs <= 0:
            raise ValueError("connection_timeout_secs must be positive")

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        scheme = urlsplit(self.url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres"):
            return "postgresql"
        raise ValueError(f"unsupported database URL {self.url!r}: sqlite:/// or postgresql://")

    @property
    def sqlite_path(self) -> str:
        """The file of a sqlite:/// URL (":memory:" for an in-memory database)."""
        if not self.url.startswith("sqlite:///"):
            raise ValueError(f"a SQLite URL is sqlite:///path (three slashes), got {self.url!r}")
        return unquote(self.url[len("sqlite:///"):]) or "cello.db"


# --- the database --------------------------------------------------------------------------------

class Database:
    """`await db.fetch_all(sql, params)` and friends; `db.sync` has the same without `await`."""

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        self.config = config or DatabaseConfig()
        if self.config.backend == "sqlite":
            from ._db_sqlite import SqliteBackend

            self._backend: Any = SqliteBackend(self.config)  # opens the file now: a bad path fails here
        else:
            from ._db_postgres import PostgresBackend

            self._backend = PostgresBackend(self.config)
        # The transaction (a checked-out connection) of the running request or task, if any.
        self._current: contextvars.ContextVar[Any] = contextvars.ContextVar(f"cello_db_{id(self)}", default=None)
        self.sync = SyncDatabase(self)

    @property
    def stats(self) -> dict[str, int]:
        """Connections by state: open, idle, in_use."""
        return self._backend.stats()

    def _run(self, sql: str, params: Sequence[Any] | None) -> Awaitable[tuple[Any, ...]]:
        """What to await for the statement's result: the backend's own awaitable when no inspector
        watches (no coroutine layer in between), else one that records the statement."""
        trace = _trace()
        if trace is None:
            return self._backend.statement(self._current.get(), sql, params)
        return self._run_traced(trace, sql, params)

    async def _run_traced(self, trace: Any, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        # The inspector sees the statement (never its parameters), its time including any wait
        # for a connection, and its rows or error.
        start = time.perf_counter_ns()
        try:
            result = await self._backend.statement(self._current.get(), sql, params)
        except Exception as e:
            raise _traced(trace, sql, start, error=e)
        return _traced(trace, sql, start, result)

    async def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        """Every row of a query."""
        return _rows(await self._run(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] | None = None) -> Row | None:
        """The first row, or None."""
        rows = _rows(await self._run(sql, params))
        return rows[0] if rows else None

    async def fetch_val(self, sql: str, params: Sequence[Any] | None = None, column: int = 0) -> Any:
        """One value of the first row (None when there is no row)."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[column]

    async def execute(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Runs a statement; returns how many rows it changed."""
        return int((await self._run(sql, params))[3])

    async def execute_many(self, sql: str, param_sets: Iterable[Sequence[Any]]) -> int:
        """The statement once per parameter set, all in one transaction; returns the rows changed.
        On PostgreSQL they are pipelined: all sent at once, not one round trip each."""
        total = 0
        async with self.transaction():
            pending = getattr(self._backend, "statements", None)
            if pending is None:
                for params in param_sets:
                    total += await self.execute(sql, params)
                return total
            trace, start = _trace(), time.perf_counter_ns()
            results: list[Any] = []
            try:
                pending(self._current.get(), sql, param_sets, results)
            except BaseException:
                _abandon(results)  # the ones sent before a parameter set that could not be
                raise
            for i, result in enumerate(results):
                try:
                    done = await result
                except BaseException as e:
                    _abandon(results[i + 1:])
                    if trace is None or not isinstance(e, Exception):
                        raise
                    raise _traced(trace, sql, start, error=e)
                total += int((done if trace is None else _traced(trace, sql, start, done))[3])
        return total

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Database]:
        """``async with db.connection():`` — the statements inside (on this task) share one
        connection, without a transaction: a burst of queries takes it from the pool once."""
        if self._current.get() is not None:
            yield self
            return
        lease = await self._backend.acquire()
        token = self._current.set(lease)
        try:
            yield self
        finally:
            self._current.reset(token)
            self._backend.release(lease)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """``async with db.transaction():`` — committed at the end, rolled back if the block raises;
        nested blocks are savepoints. Statements inside (on this task) use its connection."""
        backend = self._backend
        outer = self._current.get()
        lease = outer if outer is not None else await backend.acquire()
        token = self._current.set(lease)
        try:
            await backend.begin(lease)
            try:
                yield self
            except BaseException:
                await backend.rollback(lease)
                raise
            await backend.commit(lease)
        finally:
            self._current.reset(token)
            if outer is None:
                backend.release(lease)


class SyncDatabase:
    """The same methods for sync handlers and scripts: they block (the GIL released) until done."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _run(self, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        trace = _trace()
        if trace is None:
            return self._db._backend.execute_sync(self._db._current.get(), sql, params)
        start = time.perf_counter_ns()
        try:
            result = self._db._backend.execute_sync(self._db._current.get(), sql, params)
        except Exception as e:
            raise _traced(trace, sql, start, error=e)
        return _traced(trace, sql, start, result)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        return _rows(self._run(sql, params))

    def fetch_one(self, sql: str, params: Sequence[Any] | None = None) -> Row | None:
        rows = _rows(self._run(sql, params))
        return rows[0] if rows else None

    def fetch_val(self, sql: str, params: Sequence[Any] | None = None, column: int = 0) -> Any:
        row = self.fetch_one(sql, params)
        return None if row is None else row[column]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> int:
        return int(self._run(sql, params)[3])

    def execute_many(self, sql: str, param_sets: Iterable[Sequence[Any]]) -> int:
        total = 0
        with self.transaction():
            for params in param_sets:
                total += self.execute(sql, params)
        return total

    @contextlib.contextmanager
    def connection(self) -> Iterator[SyncDatabase]:
        """``with db.sync.connection():`` as the async one, blocking."""
        db = self._db
        if db._current.get() is not None:
            yield self
            return
        lease = db._backend.acquire_sync()
        token = db._current.set(lease)
        try:
            yield self
        finally:
            db._current.reset(token)
            db._backend.release(lease)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SyncDatabase]:
        """``with db.sync.transaction():`` as the async one, blocking."""
        db, backend = self._db, self._db._backend
        outer = db._current.get()
        lease = outer if outer is not None else backend.acquire_sync()
        token = db._current.set(lease)
        try:
            backend.begin_sync(lease)
            try:
                yield self
            except BaseException:
                backend.rollback_sync(lease)
                raise
            backend.commit_sync(lease)
        finally:
            db._current.reset(token)
            if outer is None:
                backend.release(lease)
