"""cello.db's SQLite backend: the native pool (engine/db/sqlite_pool) behind the Database API.

Statements run on the calling thread with the GIL released. The async methods never wait on the
engine thread: no free connection, or the writer lock taken (maybe by a transaction of another task
on this same thread, across an await), and they yield to the loop and try again, backing off from
0.5 ms to 20 ms, until connection_timeout_secs (then PoolTimeout, a 503).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from . import _cello
from .db import DatabaseConfig, PoolTimeout, _Busy, fork_generation

_inherited: list[Any] = []  # pools a forked worker inherited from its parent: kept, never used


class SqliteBackend:
    def __init__(self, config: DatabaseConfig) -> None:
        self.config = config
        self._generation = fork_generation()
        self._open = self._new_pool()  # now: a bad path fails at enable_database()

    def _new_pool(self) -> Any:
        c = self.config
        return _cello.SqlitePool(c.sqlite_path, c.pool_size, c.connection_timeout_secs, c.max_lifetime_secs)

    @property
    def pool(self) -> Any:
        """This process's pool: a cluster worker forked after enable_database() opens its own (a
        SQLite connection must not cross a fork; the parent's is left alone, never used)."""
        if self._generation != fork_generation():
            _inherited.append(self._open)  # not closed: closing would touch the parent's file locks
            self._open = self._new_pool()
            self._generation = fork_generation()
        return self._open

    def stats(self) -> dict[str, int]:
        return self.pool.stats()

    @staticmethod
    def _attempt(step: Callable[[], Any]) -> Any:
        """The step's result, or None when it found nothing free (no connection, the writer lock)."""
        try:
            return step()
        except _Busy:
            return None

    async def _patiently(self, step: Callable[[], Any], what: str) -> Any:
        result = self._attempt(step)
        if result is not None:
            return result
        pool = self.pool
        pool.waiting(1)  # seen in /metrics while it waits
        try:
            deadline = time.monotonic() + self.config.connection_timeout_secs
            delay = 0.0005
            while True:
                if time.monotonic() >= deadline:
                    raise PoolTimeout(f"{what} after {self.config.connection_timeout_secs:g} s "
                                      f"(pool_size {self.config.pool_size})")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.02)
                result = self._attempt(step)
                if result is not None:
                    return result
        finally:
            pool.waiting(-1)

    # -- async --------------------------------------------------------------------------------
    async def acquire(self) -> Any:
        return await self._patiently(lambda: self.pool.acquire(False), "no connection free")

    def release(self, lease: Any) -> None:
        lease.close()

    def statement(self, lease: Any, sql: str, params: Sequence[Any] | None) -> Awaitable[tuple[Any, ...]]:
        return self.execute(lease, sql, params)

    async def execute(self, lease: Any, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        if lease is not None:
            return await self._patiently(lambda: lease.execute(sql, params, False), "the writer lock was not free")
        lease = await self.acquire()
        try:
            return await self._patiently(lambda: lease.execute(sql, params, False), "the writer lock was not free")
        finally:
            lease.close()

    async def begin(self, lease: Any) -> None:
        await self._patiently(lambda: lease.begin(False), "the writer lock was not free")

    async def commit(self, lease: Any) -> None:
        lease.commit()

    async def rollback(self, lease: Any) -> None:
        lease.rollback()

    # -- sync ---------------------------------------------------------------------------------
    def acquire_sync(self) -> Any:
        return self.pool.acquire(True)

    def execute_sync(self, lease: Any, sql: str, params: Sequence[Any] | None) -> tuple[Any, ...]:
        return lease.execute(sql, params) if lease is not None else self.pool.execute(sql, params)

    def begin_sync(self, lease: Any) -> None:
        lease.begin(True)

    def commit_sync(self, lease: Any) -> None:
        lease.commit()

    def rollback_sync(self, lease: Any) -> None:
        lease.rollback()
