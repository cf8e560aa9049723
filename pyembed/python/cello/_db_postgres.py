"""cello.db's PostgreSQL backend: libpq's asynchronous API (engine/db/pg_connection) driven from the
engine thread's asyncio loop.

A statement is sent without waiting; the task then awaits the connection's socket on its loop (the
engine's reactor watches the loop's poller), so while the server works the thread serves other
requests, and no thread is spent per query. The pool (engine/db/pg_pool) only counts and hands out
connections; connecting is asynchronous too. `db.sync` (sync handlers, scripts) waits in select()
with the GIL released.

Placeholders are `?` as on SQLite, rewritten to `$1, $2...` outside string literals, quoted names,
dollar quotes and comments (SQL already written with `$n` is left alone).
"""
from __future__ import annotations

import asyncio
import collections
import functools
import select
import threading
import time
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from . import _cello
from .db import DatabaseConfig, OperationalError, PoolTimeout, ProgrammingError, fork_generation

@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2...`, skipping literals, quoted names, dollar quotes, comments."""
    if "?" not in sql:
        return sql
    out: list[str] = []
    i, n, k = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:  # a doubled quote inside
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif c == "$" and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            if j < n and sql[j] == "$" and not sql[i + 1:j].isdigit():  # $tag$ ... $tag$
                tag = sql[i:j + 1]
                end = sql.find(tag, j + 1)
                end = n if end < 0 else end + len(tag)
                out.append(sql[i:end])
                i = end
            else:
                out.append(sql[i:j])
                i = j
        elif c == "?":
            k += 1
            out.append(f"${k}")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


async def _ready(conn: Any, what: str) -> None:
    """Until the connection's socket is readable (or writable), on this thread's loop."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fd = conn.socket
    wake = lambda: fut.done() or fut.set_result(None)  # noqa: E731
    if what == "read":
        loop.add_reader(fd, wake)
        try:
            await fut
        finally:
            loop.remove_reader(fd)
    else:
        loop.add_writer(fd, wake)
        try:
            await fut
        finally:
            loop.remove_writer(fd)


def _ready_sync(conn: Any, what: str, deadline: float | None) -> None:
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    r, w, _ = select.select([conn.socket] if what == "read" else [], [conn.socket] if what == "write" else [], [],
                            timeout)
    if not r and not w:
        raise OperationalError("the PostgreSQL server did not answer in time")


async def _query(conn: Any, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
    future = conn.query(sql, params)  # on an engine thread: its reactor watches the socket
    if future is not None:
        return await future
    wait = conn.send(sql, params)
    while wait is not None:
        await _ready(conn, wait)
        wait = conn.flush() if wait == "write" else conn.read()
    return conn.take()


def _query_sync(conn: Any, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
    wait = conn.send(sql, params)
    while wait is not None:
        _ready_sync(conn, wait, None)
        wait = conn.flush() if wait == "write" else conn.read()
    return conn.take()


class _Lease:
    """A checked-out connection, its transaction depth (0: none; more: savepoints), the task whose
    transaction block is open on it, and whether that block is ending (ROLLBACK/COMMIT sent)."""

    __slots__ = ("conn", "depth", "owner", "ending")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.depth = 0
        self.owner: Any = None
        self.ending = False

    def usable(self) -> Any:
        """The connection, or a clear error for a statement that comes too late."""
        if self.conn is None:
            raise OperationalError("this block's connection went back to the pool: the statement came after the "
                                   "`async with` ended (await the tasks started inside it)")
        if self.ending:
            raise OperationalError("this connection's transaction is ending: the statement came after it failed "
                                   "or finished (use asyncio.TaskGroup to stop sibling tasks with it)")
        return self.conn


class PostgresBackend:
    def __init__(self, config: DatabaseConfig) -> None:
        self.config = config
        info = config.url
        if config.application_name:
            info += ("&" if "?" in info else "?") + "application_name=" + config.application_name
        self.conninfo = info
        self._generation = fork_generation()
        self._open = self._new_pool()
        self._lock = threading.Lock()  # the waiters are shared by the engine threads
        # (loop, future, deadline), first come first served.
        self._waiters: collections.deque[tuple[Any, Any, float]] = collections.deque()
        self._expiry: dict[Any, Any] = {}  # loop -> its one timer for its waiters' deadlines
        self._next_sweep = 0.0

    def _new_pool(self) -> Any:
        c = self.config
        return _cello.PgPool(self.conninfo, c.pool_size, c.min_idle, c.max_lifetime_secs, c.idle_timeout_secs)

    @property
    def pool(self) -> Any:
        """This process's pool (a cluster worker forked after enable_database() opens its own)."""
        if self._generation != fork_generation():
            self._open = self._new_pool()  # the parent's connections are its own: never used here
            self._lock = threading.Lock()
            self._waiters = collections.deque()
            self._expiry = {}
            self._generation = fork_generation()
        return self._open

    def stats(self) -> dict[str, int]:
        self.pool.sweep()
        return self.pool.stats()

    # -- connections --------------------------------------------------------------------------
    async def _connect(self, deadline: float) -> Any:
        conn = _cello.PgConn(self.conninfo, self.pool)
        wait: str | None = "write"  # libpq: wait until writable before the first poll
        try:
            async with asyncio.timeout(max(0.001, deadline - time.monotonic())):
                while wait is not None:
                    await _ready(conn, wait)
                    wait = conn.connect_poll()
        except TimeoutError:
            raise OperationalError("cannot connect to PostgreSQL: no answer within "
                                   f"{self.config.connection_timeout_secs:g} s") from None
        return conn

    def _timed_out(self) -> PoolTimeout:
        return PoolTimeout(f"no connection free after {self.config.connection_timeout_secs:g} s "
                           f"(pool_size {self.config.pool_size})")

    @staticmethod
    def _idle_or_slot(pool: Any) -> tuple[Any, bool]:
        """An idle connection, or else whether a slot was reserved for a new one."""
        conn = pool.take_idle()
        return (conn, False) if conn is not None else (None, pool.reserve())

    async def acquire(self) -> _Lease:
        # The path every query without a block of its own takes: helpers inlined, one coroutine.
        pool = self.pool
        now = time.monotonic()
        if now >= self._next_sweep:  # idle connections past idle_timeout closed, at most once a second
            self._next_sweep = now + 1.0
            pool.sweep()
        deadline = now + self.config.connection_timeout_secs
        while True:
            # Under the lock with release()'s check for waiters: a connection returned between this
            # look and the queueing below is handed to this task, not left idle.
            with self._lock:
                conn, reserved = self._idle_or_slot(pool)
                if conn is None and not reserved:
                    loop = _cello.engine_loop() or asyncio.get_running_loop()
                    waiter = loop.create_future()
                    self._waiters.append((loop, waiter, deadline))
            if conn is not None:
                return _Lease(conn)
            if reserved:
                try:
                    return _Lease(await self._connect(deadline))
                except BaseException:
                    pool.unreserve()
                    raise
            # All in use: queued first come, first served for the next one returned (release()
            # hands it over directly), or for a freed slot (None: go round again). One timer per
            # loop for all its waiters, not one each (a heap push and pop per wait).
            if loop not in self._expiry:
                self._expiry[loop] = loop.call_at(deadline, self._expire, loop)
            pool.waiting(1)
            try:
                conn = await waiter
            except BaseException:
                # Handed a connection just as this task gave up (its client left): it goes on to
                # the next in line, never lost.
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None and waiter.result() is not None:
                    self._hand_over(waiter.result())
                raise
            finally:
                pool.waiting(-1)
            if conn is not None:
                return _Lease(conn)

    def _expire(self, loop: Any) -> None:
        """This loop's waiters past their deadline fail with PoolTimeout; the timer is set again
        for the next deadline of those still waiting (loop.time() is time.monotonic())."""
        now = loop.time()
        later = None
        with self._lock:
            waiting = collections.deque(w for w in self._waiters if not w[1].done())  # (dropped: gave up, served)
            self._waiters = waiting
            for waiter_loop, waiter, deadline in waiting:
                if waiter_loop is not loop:
                    continue
                if deadline <= now:
                    waiter.set_exception(self._timed_out())
                elif later is None or deadline < later:
                    later = deadline
        if later is None:
            del self._expiry[loop]
        else:
            self._expiry[loop] = loop.call_at(later, self._expire, loop)

    def acquire_sync(self) -> _Lease:
        pool = self.pool
        deadline = time.monotonic() + self.config.connection_timeout_secs
        delay = 0.0005
        while True:
            conn, reserved = self._idle_or_slot(pool)
            if conn is not None:
                return _Lease(conn)
            if reserved:
                try:
                    conn = _cello.PgConn(self.conninfo, pool)
                    wait: str | None = "write"
                    while wait is not None:
                        _ready_sync(conn, wait, deadline)
                        wait = conn.connect_poll()
                    return _Lease(conn)
                except BaseException:
                    pool.unreserve()
                    raise
            if time.monotonic() >= deadline:
                raise self._timed_out()
            pool.waiting(1)
            try:
                time.sleep(delay)
            finally:
                pool.waiting(-1)
            delay = min(delay * 2, 0.02)

    def release(self, lease: _Lease) -> None:
        """Back to the pool: kept if idle and healthy; a connection cut mid-query or left in a
        transaction is closed (the server rolls back what it had). A task waiting for a
        connection gets it at once (or, if it was closed, the slot it freed)."""
        conn, lease.conn = lease.conn, None
        if conn is not None:
            self._hand_over(conn)

    def _hand_over(self, conn: Any) -> None:
        """To the first task still waiting, else to the pool. Called on the thread whose reactor
        watches the connection, if one does."""
        pool = self.pool
        loop = _cello.engine_loop()
        while True:
            with self._lock:
                if not self._waiters:
                    if conn is not None:
                        conn.unwatch()  # here, on the thread whose reactor watched it
                        pool.put(conn)  # the pool decides whether it is fit to reuse
                    return
                waiter_loop, waiter, _ = self._waiters.popleft()
            if waiter.done():  # timed out or cancelled meanwhile
                continue
            if conn is not None and waiter_loop is loop and loop is not None and pool.reusable(conn):
                # A task of this same thread: straight to it, still watched by this thread's
                # reactor for its next statement (no trip through the pool, no system call).
                waiter.set_result(conn)
                return
            if conn is not None:
                conn.unwatch()
                pool.put(conn)
            conn = pool.take_idle()  # None: it was closed, a slot is free for the waiter to connect
            if waiter_loop is loop:
                waiter.set_result(conn)
                return
            try:  # a task of another engine thread: delivered on its own loop
                waiter_loop.call_soon_threadsafe(self._deliver, waiter, conn)
                return
            except RuntimeError:  # its loop is closed: the next in line
                continue

    def _deliver(self, waiter: Any, conn: Any) -> None:
        if waiter.done():  # gave up before it arrived: the next one in line
            if conn is not None:
                self._hand_over(conn)
            return
        waiter.set_result(conn)

    # -- statements ---------------------------------------------------------------------------
    def statement(self, lease: _Lease | None, sql: str, params: Sequence[Any] | None) -> Awaitable[tuple[Any, ...]]:
        """What to await for a statement's result: on a leased connection on an engine thread, the
        native future itself (no coroutine in between: /queries runs 20 of these per request)."""
        if lease is not None:
            future = lease.usable().query(numbered(sql), params)
            if future is not None:
                return future
        return self.execute(lease, sql, params)

    def statements(self, lease: _Lease, sql: str, param_sets: Iterable[Sequence[Any]],
                   out: list[Awaitable[tuple[Any, ...]]]) -> None:
        """The statement once per parameter set, sent at once (pipelined on an engine thread):
        what to await for each result appended to `out`, in order (those sent are there even when
        a later parameter set raises)."""
        for params in param_sets:
            out.append(self.statement(lease, sql, params))

    async def execute(self, lease: _Lease | None, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        sql = numbered(sql)
        if lease is not None:
            return await _query(lease.usable(), sql, params)
        # The pool checks an idle connection before handing it out (a server restart or a
        # terminated backend shows as a readable socket). A statement cut while it runs is not
        # retried: it fails with OperationalError, and its connection is closed.
        own = await self.acquire()
        try:
            future = own.conn.query(sql, params)  # (_query's first step, inlined: one coroutine less)
            return await (future if future is not None else _query(own.conn, sql, params))
        finally:
            self.release(own)

    def execute_sync(self, lease: _Lease | None, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        sql = numbered(sql)
        if lease is not None:
            return _query_sync(lease.usable(), sql, params)
        own = self.acquire_sync()
        try:
            return _query_sync(own.conn, sql, params)
        finally:
            self.release(own)

    @staticmethod
    def _begin_sql(lease: _Lease) -> str:
        return "BEGIN" if lease.depth == 0 else f"SAVEPOINT cello_{lease.depth}"

    @staticmethod
    def _claim(lease: _Lease, task: Any) -> None:
        """A transaction block belongs to the task that opened it: another task sharing the
        connection (asyncio.gather inside `db.connection()`) cannot open one beside it."""
        if lease.depth and lease.owner is not task:
            raise ProgrammingError("a transaction is already open on this connection in another task: tasks that "
                                   "share a connection cannot each have a transaction (use one connection per task)")
        if not lease.depth:
            lease.owner, lease.ending = task, False

    @staticmethod
    def _end_sql(lease: _Lease, commit: bool) -> list[str]:
        if lease.depth == 1:
            return ["COMMIT" if commit else "ROLLBACK"]
        name = f"cello_{lease.depth - 1}"
        return [f"RELEASE SAVEPOINT {name}"] if commit else [f"ROLLBACK TO SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}"]

    async def begin(self, lease: _Lease) -> None:
        self._claim(lease, asyncio.current_task())
        sql = self._begin_sql(lease)
        lease.depth += 1  # before the await: a task that looks meanwhile sees the block open
        try:
            await _query(lease.usable(), sql, None)
        except BaseException:
            lease.depth -= 1
            if not lease.depth:
                lease.owner = None
            raise

    async def commit(self, lease: _Lease) -> None:
        await self._end(lease, True)

    async def rollback(self, lease: _Lease) -> None:
        try:
            await self._end(lease, False)
        except (OperationalError, ValueError, asyncio.CancelledError):
            pass  # cut mid-query or gone: release() closes it, and the server rolls back

    async def _end(self, lease: _Lease, commit: bool) -> None:
        statements = self._end_sql(lease, commit)
        lease.depth -= 1
        if not lease.depth:
            lease.owner = None
            lease.ending = True  # a sibling's statement from now on would land outside the transaction
        conn = lease.conn
        if conn is None:
            raise OperationalError("the connection is gone")
        for sql in statements:
            await _query(conn, sql, None)
        if not lease.depth:
            lease.ending = False  # committed or rolled back: the connection takes statements again

    def begin_sync(self, lease: _Lease) -> None:
        _query_sync(lease.conn, self._begin_sql(lease), None)
        lease.depth += 1

    def commit_sync(self, lease: _Lease) -> None:
        for sql in self._end_sql(lease, True):
            _query_sync(lease.conn, sql, None)
        lease.depth -= 1

    def rollback_sync(self, lease: _Lease) -> None:
        try:
            for sql in self._end_sql(lease, False):
                _query_sync(lease.conn, sql, None)
        except (OperationalError, ValueError):
            pass
        lease.depth -= 1
