"""Health probes: `app.enable_health_checks(HealthCheckConfig(...))` (the original Cello's API).

The engine answers `/health`, `/health/live`, `/health/ready` and `/health/startup` itself
(engine/middleware/health_middleware.cpp), from a state this module keeps up to date: whether the
startup hooks have run, whether the server is draining, and the latest outcome of each registered
check. The checks run on a thread of their own every `interval_secs` (each bounded by
`timeout_secs`), never per probe: a probe costs no Python and never waits on a database.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from . import _cello

log = logging.getLogger("cello.health")

Check = Callable[[], Any]


class HealthCheckConfig:
    """Where the probes answer and what they say.

    `base_path`: the probes' prefix. `include_details`: each check's state in the body (off for
    `.kubernetes()`). `version`: reported in the body. `timeout_secs`: one check's time limit (past it
    the check fails). `interval_secs` (`cache_secs`, the original's name, sets it too): how often the
    checks run. `drain_secs`: on a graceful stop (SIGTERM), how long the server keeps serving with
    `/ready` answering 503 before it stops accepting, so that a load balancer can take it out first.
    `include_system_info` is accepted for the original's sake and adds nothing (use /metrics)."""

    def __init__(self, base_path: str = "/health", include_details: bool = True, include_system_info: bool = False,
                 version: str | None = None, timeout_secs: float = 5.0, cache_secs: float | None = None,
                 interval_secs: float | None = None, drain_secs: float = 0.0) -> None:
        if not base_path.startswith("/") or base_path.rstrip("/") == "":
            raise ValueError(f"base_path must be a path like /health, not {base_path!r}")
        if timeout_secs <= 0:
            raise ValueError("timeout_secs must be positive")
        self.base_path = base_path
        self.include_details = include_details
        self.include_system_info = include_system_info
        self.version = version
        self.timeout_secs = float(timeout_secs)
        self.cache_secs = cache_secs
        self.interval_secs = float(interval_secs if interval_secs is not None else cache_secs or 5.0)
        if self.interval_secs <= 0:
            raise ValueError("interval_secs must be positive")
        self.drain_secs = max(0.0, float(drain_secs))

    @classmethod
    def kubernetes(cls, **kwargs: Any) -> HealthCheckConfig:
        """Status only, no details in the bodies (what a kubelet reads)."""
        return cls(**{"include_details": False, **kwargs})

    @classmethod
    def detailed(cls, **kwargs: Any) -> HealthCheckConfig:
        """Every check's state in the bodies."""
        return cls(**{"include_details": True, "include_system_info": True, **kwargs})


def _outcome(result: Any) -> tuple[bool, str]:
    """A check's return value: True/None pass; False fails; a str fails with that message."""
    if result is None or result is True:
        return True, ""
    if result is False:
        return False, "the check returned False"
    if isinstance(result, str):
        return False, result
    if isinstance(result, dict):  # {"status": "ok" | ..., "message": ...}
        ok = str(result.get("status", "ok")).lower() in ("ok", "up", "healthy", "pass")
        return ok, "" if ok else str(result.get("message") or result.get("status"))
    return bool(result), "" if result else f"the check returned {result!r}"


class HealthChecks:
    """One app's checks and the native state its probes read."""

    def __init__(self, app: Any, config: HealthCheckConfig) -> None:
        self.app = app
        self.config = config
        self.state_name = f"app-{id(app)}"
        self.state = _cello.HealthState(self.state_name)
        self.checks: dict[str, Check] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, name: str, check: Check) -> None:
        if not callable(check):
            raise TypeError(f"health check {name!r} is not callable")
        self.checks[name] = check
        self.state.report(name, False, "not checked yet")

    def started(self) -> None:
        """After the startup hooks: checks start, and /startup (and /ready, once they pass) say so."""
        if self.app._db is not None and "database" not in self.checks:
            self.add("database", self._database)
        if getattr(self.app, "_cache_backend", None) is not None and "redis" not in self.checks:
            self.add("redis", self._redis)
        self.state.set_draining(False)
        self.state.set_started(True)
        if self.checks and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="cello-health", daemon=True)
            self._thread.start()

    def draining(self) -> None:
        """A graceful stop begins: /ready answers 503 (for `drain_secs` before the server stops
        accepting), and the checks stop."""
        if self.state.view()["draining"]:
            return  # (both the signal's path and the shutdown call this)
        self.state.set_draining(True)
        if self.config.drain_secs:
            try:
                time.sleep(self.config.drain_secs)
            except KeyboardInterrupt:
                pass  # a second Ctrl-C or SIGTERM: stop waiting, drain now
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.config.timeout_secs + 1)
            self._thread = None

    async def _database(self) -> None:
        await self.app.db.fetch_val("SELECT 1")

    def _redis(self) -> None:
        # The cache's own subscription: up when invalidations from other servers can arrive.
        if not _cello.redis_cache_listening(self.app._cache):
            raise RuntimeError("the cache's Redis cannot be reached (invalidations from other servers would be missed)")

    def _run(self) -> None:
        import asyncio

        async def rounds() -> None:
            while not self._stop.is_set():
                for name, check in list(self.checks.items()):
                    await self._check(name, check)
                await asyncio.to_thread(self._stop.wait, self.config.interval_secs)

        asyncio.run(rounds())

    async def _check(self, name: str, check: Check) -> None:
        import asyncio

        from .routing import is_coroutine_function

        try:
            if is_coroutine_function(check):
                result = await asyncio.wait_for(check(), self.config.timeout_secs)
            else:
                result = await asyncio.wait_for(asyncio.to_thread(check), self.config.timeout_secs)
                if hasattr(result, "__await__"):
                    result = await asyncio.wait_for(result, self.config.timeout_secs)
            ok, message = _outcome(result)
        except (asyncio.TimeoutError, TimeoutError):
            ok, message = False, f"no answer within {self.config.timeout_secs:g} s"
        except Exception as e:
            ok, message = False, f"{type(e).__name__}: {e}"
        was = self.state.view()["checks"].get(name, {}).get("ok")
        if was is not None and was != ok:
            (log.info if ok else log.warning)("health check %s %s%s", name, "passes" if ok else "fails",
                                              "" if ok else f": {message}")
        self.state.report(name, ok, message)
