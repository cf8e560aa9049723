"""Cluster mode: a supervisor process and N worker processes, each serving the app on its engine
threads, so that Python handlers run on every core (each process has its own GIL).

The supervisor binds the port (one SO_REUSEPORT socket per worker slot, kept open by the
supervisor), forks the workers, restarts one that crashes or stops answering its heartbeat,
drains them all on SIGTERM/SIGINT and replaces them one at a time, with the app re-imported, on
SIGHUP. docs/cluster.md has the whole story. The operating system's part is in _process_posix
(workers forked) or _process_spawn (workers started afresh: Windows, or CELLO_CLUSTER_START=spawn).
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if os.name == "nt" or os.environ.get("CELLO_CLUSTER_START") == "spawn":
    from . import _process_spawn as platform
else:
    from . import _process_posix as platform

if TYPE_CHECKING:
    from .app import App
    from .config import RunConfig

_CELL_HEADER = 4  # int64s before a cell's per-thread slots: pid, ready, spare x2
# Per engine thread (written by the engine, py_server.cpp's heartbeat_writer): heartbeat ms,
# requests answered, WebSocket connections open, WebSocket messages.
_THREAD_INTS = 4
_EVENTS_PER_THREAD = 4096  # --inspect: each worker engine thread's event ring in shared memory


class ClusterConfig:
    """How many worker processes serve the app, and how the supervisor looks after them.

    `processes`: worker processes (None: one per CPU). `max_restarts` crashes within
    `restart_window` seconds stop the supervisor (exit 1) instead of restarting forever.
    `shutdown_timeout`: seconds a worker gets to drain on SIGTERM before it is killed.
    `worker_timeout`: seconds without a heartbeat (an engine thread stuck in a handler) before a
    worker is killed and replaced. `max_requests` (+ up to `max_requests_jitter`, random per worker):
    a worker is replaced gracefully after answering that many requests; 0 never.

    The original Cello's spelling is accepted too: `workers` for `processes`, `cpu_affinity=True`
    pins worker i to CPU i, `graceful_shutdown=False` kills workers at once on SIGTERM.
    """

    def __init__(self, processes: int | None = None, max_restarts: int = 5, restart_window: float = 60,
                 shutdown_timeout: float = 30, worker_timeout: float = 30, max_requests: int = 0,
                 max_requests_jitter: int = 0, *, workers: int | None = None, cpu_affinity: bool = False,
                 graceful_shutdown: bool = True) -> None:
        if workers is not None and processes is not None and workers != processes:
            raise ValueError(f"ClusterConfig: processes={processes} and workers={workers} disagree "
                             "(workers is the original Cello's name for processes)")
        processes = processes if processes is not None else workers
        if processes is not None and (not isinstance(processes, int) or processes < 1):
            raise ValueError(f"ClusterConfig: processes must be a positive integer or None, not {processes!r}")
        for name, value in (("max_restarts", max_restarts), ("max_requests", max_requests),
                            ("max_requests_jitter", max_requests_jitter)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"ClusterConfig: {name} must be an integer >= 0, not {value!r}")
        for name, value in (("restart_window", restart_window), ("shutdown_timeout", shutdown_timeout),
                            ("worker_timeout", worker_timeout)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"ClusterConfig: {name} must be a number of seconds > 0, not {value!r}")
        self.processes = processes
        self.max_restarts = max_restarts
        self.restart_window = float(restart_window)
        self.shutdown_timeout = float(shutdown_timeout)
        self.worker_timeout = float(worker_timeout)
        self.max_requests = max_requests
        self.max_requests_jitter = max_requests_jitter
        self.cpu_affinity = bool(cpu_affinity)
        self.graceful_shutdown = bool(graceful_shutdown)

    @property
    def workers(self) -> int | None:
        """The original Cello's name for `processes`."""
        return self.processes

    @classmethod
    def auto(cls) -> ClusterConfig:
        """One worker process per CPU."""
        return cls(processes=None)

    def __repr__(self) -> str:
        return (f"ClusterConfig(processes={self.processes!r}, max_restarts={self.max_restarts}, "
                f"restart_window={self.restart_window:g}, shutdown_timeout={self.shutdown_timeout:g}, "
                f"worker_timeout={self.worker_timeout:g}, max_requests={self.max_requests}, "
                f"max_requests_jitter={self.max_requests_jitter}, cpu_affinity={self.cpu_affinity})")


class WorkerCell:
    """What a worker process knows of the cluster: its listening socket, its cell in shared memory
    (pid, ready flag, and each engine thread's heartbeat, answered count and WebSocket counts) and the engine's
    shared block (metrics, cache invalidations, rate limits), which it joins with join()."""

    def __init__(self, index: int, cell_index: int, listen_fd: int, cell: memoryview, threads: int,
                 native: memoryview) -> None:
        self.index = index
        self.cell_index = cell_index
        self.listen_fd = listen_fd
        self._cell = cell
        self._native = native
        self.link: Any = None
        self.heartbeat = cell[_CELL_HEADER * 8:(_CELL_HEADER + _THREAD_INTS * threads) * 8]

    def join(self, cache: Any) -> None:
        """Joins the engine's shared block (before the middleware is built), with `cache`'s
        invalidations passed on to every worker."""
        from . import _cello

        if self.link is None:
            self.link = _cello.ClusterLink(self._native, self.cell_index)
        self.link.watch(cache)

    def mark_ready(self) -> None:
        """The worker serves: the supervisor may now retire the one it replaces."""
        self._cell[8:16] = (1).to_bytes(8, sys.byteorder)


@dataclass
class WorkerSpec:
    """Everything a new worker process needs to serve. The platform layer carries it into the new
    process: with fork, as it is (the supervisor's app, sockets and memory are inherited); by
    spawning, pickled, with the slot's socket and the memory handed over and `app` imported from
    `target`."""

    slot: int
    cell: int
    fresh: bool  # import the app afresh from `target` (after SIGHUP) instead of using `app`
    cpu: int | None  # pin to this CPU (cpu_affinity)
    target: str | None
    config: RunConfig
    threads: int
    cell_ints: int
    native_at: int  # where the engine's block starts in `memory`
    app: App | None
    sockets: list[Any]  # every slot's listening socket; the worker keeps its own
    memory: Any  # the shared memory (platform.shared_memory)


def worker_main(spec: WorkerSpec) -> int:
    """In a new worker process: serve the app on the slot's socket until told to stop."""
    from .app import serve

    platform.setup_worker(spec.cpu)
    fd = platform.worker_socket(spec.sockets, spec.slot)
    app = spec.app
    if app is None or (spec.fresh and spec.target):
        from .cli import load_app

        app = load_app(spec.target)
    view = memoryview(spec.memory).cast("B")
    start = spec.cell * spec.cell_ints * 8
    me = WorkerCell(spec.slot, spec.cell, fd, view[start:start + spec.cell_ints * 8], spec.threads,
                    view[spec.native_at:])
    serve(app, spec.config, worker=me)
    return 0


class _Worker:
    """The supervisor's record of one worker process."""

    def __init__(self, slot: int, cell: int, pid: int, fresh: bool, limit: int) -> None:
        self.slot = slot
        self.cell = cell
        self.pid = pid
        self.fresh = fresh  # started with the app re-imported (SIGHUP)
        self.limit = limit  # max requests before recycling, 0 none
        self.started = time.time()
        self.draining_since: float | None = None
        self.expected_exit = False  # we asked it to stop (drain, recycle, roll)
        self.why_stopped = ""


class Supervisor:
    """Runs `config.processes` workers of `app` until SIGTERM/SIGINT; see the module docstring."""

    def __init__(self, app: App, config: RunConfig, target: str | None) -> None:
        self.app = app
        self.config = config
        self.cluster: ClusterConfig = config.cluster or ClusterConfig()
        self.target = target  # where to re-import the app from on SIGHUP; None: no re-import
        self.processes = config.processes
        self.threads = config.workers
        self.cell_ints = _CELL_HEADER + _THREAD_INTS * self.threads
        self.cells = 2 * self.processes + 2  # old and new side by side during a rolling restart
        self.free_cells = deque(range(self.cells))
        self.workers: dict[int, _Worker] = {}  # pid -> worker
        self.crashes: deque[float] = deque()
        self.stopping = 0.0  # when the stop began (monotonic), 0 while serving
        self.force = False
        self.reload_requested = ""  # why a rolling restart was asked for ("SIGHUP", "the inspector")
        self.rolling: deque[int] = deque()  # slots still to replace in this rolling restart
        self.reimport = False  # after a SIGHUP, every new worker imports the app afresh
        self.roll_new: _Worker | None = None  # the new worker of the slot being replaced
        self.roll_started = 0.0
        self.restarts = [0] * self.processes  # per slot: times its worker was replaced
        self.inspector: Any = None  # --inspect: the whole server's, fed by every worker
        self.link: Any = None
        self.workers_shown = 0.0
        self.exit_status = 0

    # --- the supervisor's loop ---

    def run(self) -> int:
        cfg = self.config
        try:
            self.sockets = platform.listening_sockets(cfg.host, cfg.port, self.processes)
        except OSError as e:
            raise SystemExit(f"cello: {e.strerror or e}") from None
        self.port = self.sockets[0].getsockname()[1]
        from . import _cello

        # The supervisor's cells, then (page-aligned) the engine's block.
        self.native_at = native_at = (8 * self.cell_ints * self.cells + 4095) // 4096 * 4096
        events = _EVENTS_PER_THREAD if cfg.inspect else 0
        self.memory = platform.shared_memory(native_at + _cello.cluster_memory_size(self.cells, self.threads, events))
        self.view = memoryview(self.memory).cast("B")
        self.ints = self.view[:native_at].cast("q")
        self.native = self.view[native_at:]
        _cello.cluster_format(self.native, self.cells, self.threads, events)
        restore = platform.install_signals(self._on_stop_signal, self._on_reload_signal)
        try:
            for slot in range(self.processes):
                self._start(slot)
            self._wait_first_ready()
            if not self.stopping:
                if cfg.inspect:  # its line before the banner, as without cluster mode
                    self._start_inspector()
                self._banner()  # then who serves
                for w in sorted(self.workers.values(), key=lambda w: w.slot):
                    print(f"cello: worker {w.slot + 1} started (pid {w.pid})", file=sys.stderr, flush=True)
            while self.workers or not self.stopping:
                self._tick()
                time.sleep(0.05)
        finally:
            restore()
            if self.inspector is not None:
                self.inspector.stop()
                self.inspector.clear_reload_action()
            for s in self.sockets:
                s.close()
        print(f"cello: stopped ({self.processes} workers)" if self.exit_status == 0 else "cello: stopped",
              file=sys.stderr, flush=True)
        return self.exit_status

    def _banner(self) -> None:
        from . import _cello

        cfg = self.config
        threads = f"{self.threads} engine thread{'s' if self.threads != 1 else ''}"
        print(f"cello {_cello.__version__}: serving {len(self.app.routes)} routes on "
              f"{cfg.scheme}://{cfg.host}:{self.port} ({self.processes} processes x {threads}, {cfg.env})",
              file=sys.stderr, flush=True)

    def _wait_first_ready(self) -> None:
        """Until every first worker serves (or the cluster gives up / is stopped)."""
        while not self.stopping and not all(self._ready(w) for w in self.workers.values()):
            self._tick()
            time.sleep(0.02)

    def _tick(self) -> None:
        for pid, why in platform.reap():
            self._ended(pid, why)
        now = time.monotonic()
        if self.stopping:
            if self.force or now - self.stopping > self.cluster.shutdown_timeout:
                for w in self.workers.values():
                    platform.kill_worker(w.pid)
            return
        if self.reload_requested:
            why, self.reload_requested = self.reload_requested, ""
            self._begin_roll(why)
        self._roll_step()
        self._check_heartbeats(now)
        self._check_recycling()
        if self.inspector is not None and now - self.workers_shown >= 0.5:
            self.workers_shown = now
            self.inspector.set_workers(self.worker_rows())

    def _on_stop_signal(self, signum: int) -> None:
        if self.stopping:
            self.force = True  # a second Ctrl-C: no more waiting
            return
        self._stop_all(graceful=self.cluster.graceful_shutdown)

    def _on_reload_signal(self) -> None:
        self.reload_requested = "SIGHUP"

    def _stop_all(self, graceful: bool) -> None:
        self.stopping = time.monotonic()
        self.force = not graceful
        for w in self.workers.values():
            self._retire(w, "stopping")

    # --- workers ---

    def _start(self, slot: int) -> _Worker:
        cell = self.free_cells.popleft()
        base = cell * self.cell_ints
        self.ints[base:base + self.cell_ints] = memoryview(bytes(8 * self.cell_ints)).cast("q")
        jitter = random.randint(0, self.cluster.max_requests_jitter) if self.cluster.max_requests else 0
        limit = self.cluster.max_requests + jitter if self.cluster.max_requests else 0
        fresh = self.reimport
        spec = WorkerSpec(slot=slot, cell=cell, fresh=fresh,
                          cpu=slot % platform.cpu_count() if self.cluster.cpu_affinity else None,
                          target=self.target, config=self.config, threads=self.threads, cell_ints=self.cell_ints,
                          native_at=self.native_at, app=self.app, sockets=self.sockets, memory=self.memory)
        pid = platform.start_worker(spec, worker_main)
        self.ints[base] = pid
        worker = _Worker(slot, cell, pid, fresh, limit)
        self.workers[pid] = worker
        self.workers_shown = 0.0  # the inspector's list changes at the next tick
        return worker

    def _ready(self, w: _Worker) -> bool:
        return self.ints[w.cell * self.cell_ints + 1] == 1

    def _ended(self, pid: int, why: str | None) -> None:
        from . import _cello

        w = self.workers.pop(pid, None)
        if w is None:
            return
        _cello.cluster_cell_ended(self.native, w.cell)
        self.free_cells.append(w.cell)
        self.workers_shown = 0.0
        label = f"worker {w.slot + 1} (pid {pid})"
        if w.expected_exit:
            detail = f" ({why})" if why else ""
            print(f"cello: {label} stopped{detail}", file=sys.stderr, flush=True)
        else:
            print(f"cello: {label} {w.why_stopped or 'exited: ' + (why or 'exit status 0')}",
                  file=sys.stderr, flush=True)
        if self.stopping or w.expected_exit:
            return
        if w is self.roll_new:
            # The new code did not come up: keep the old workers.
            self.rolling.clear()
            print("cello: the reloaded app failed to start; the previous workers keep serving",
                  file=sys.stderr, flush=True)
            self._roll_done(f"the reloaded app failed to start (worker {w.slot + 1}: {why or 'exit status 0'}); "
                            "the previous workers keep serving")
            return
        now = time.monotonic()
        self.crashes.append(now)
        while self.crashes and now - self.crashes[0] > self.cluster.restart_window:
            self.crashes.popleft()
        if len(self.crashes) > self.cluster.max_restarts:
            print(f"cello: {len(self.crashes)} worker crashes within {self.cluster.restart_window:g} s "
                  f"(max_restarts={self.cluster.max_restarts}); giving up", file=sys.stderr, flush=True)
            self.exit_status = 1
            self._stop_all(graceful=True)
            return
        if not any(o.slot == w.slot for o in self.workers.values()):
            new = self._start(w.slot)
            self.restarts[w.slot] += 1
            print(f"cello: worker {w.slot + 1} restarted (pid {new.pid})", file=sys.stderr, flush=True)

    def _retire(self, w: _Worker, why: str) -> None:
        """Asks `w` to drain and exit (graceful), or kills it."""
        if w.expected_exit and w.draining_since is not None:
            return
        w.expected_exit = True
        w.why_stopped = why
        w.draining_since = time.monotonic()
        if self.force:
            platform.kill_worker(w.pid)
        else:
            platform.stop_worker(w.pid)

    def _check_heartbeats(self, now: float) -> None:
        limit_ms = self.cluster.worker_timeout * 1000
        now_ms = time.monotonic() * 1000  # CLOCK_MONOTONIC, as the engine's steady clock
        for w in list(self.workers.values()):
            if w.expected_exit:
                if w.draining_since is not None and now - w.draining_since > self.cluster.shutdown_timeout:
                    platform.kill_worker(w.pid)
                continue
            if not self._ready(w):
                continue
            base = w.cell * self.cell_ints + _CELL_HEADER
            beats = [self.ints[base + _THREAD_INTS * t] for t in range(self.threads)]
            if any(b and now_ms - b > limit_ms for b in beats):
                w.why_stopped = (f"did not answer its heartbeat for {self.cluster.worker_timeout:g} s "
                                 "(a handler that never returns?); killed")
                platform.kill_worker(w.pid)

    def _thread_sum(self, w: _Worker, slot: int) -> int:
        """One of a worker's per-thread counts (_THREAD_INTS), summed over its engine threads."""
        base = w.cell * self.cell_ints + _CELL_HEADER
        return sum(self.ints[base + _THREAD_INTS * t + slot] for t in range(self.threads))

    def _answered(self, w: _Worker) -> int:
        return self._thread_sum(w, 1)

    def _check_recycling(self) -> None:
        for w in list(self.workers.values()):
            if w.limit and not w.expected_exit and self._ready(w) and self._answered(w) >= w.limit:
                if any(o.slot == w.slot and o is not w for o in self.workers.values()):
                    continue  # its successor is already starting
                new = self._start(w.slot)
                self.restarts[w.slot] += 1
                print(f"cello: worker {w.slot + 1} (pid {w.pid}) answered {w.limit} requests; "
                      f"replaced by pid {new.pid}", file=sys.stderr, flush=True)
        # A replaced worker drains once its successor serves.
        for w in list(self.workers.values()):
            if w.limit and not w.expected_exit and self._answered(w) >= w.limit:
                successor = [o for o in self.workers.values() if o.slot == w.slot and o is not w]
                if successor and self._ready(successor[0]):
                    self._retire(w, "recycled")

    # --- rolling restart (SIGHUP) ---

    def _begin_roll(self, why: str) -> None:
        if self.target is None:
            print(f"cello: {why}: restarting workers with the app as loaded (its source is unknown)",
                  file=sys.stderr, flush=True)
        else:
            print(f"cello: {why}: restarting workers one at a time with the app re-imported",
                  file=sys.stderr, flush=True)
        self.reimport = self.target is not None
        self.rolling = deque(range(self.processes))
        self.roll_new = None
        self.roll_started = time.monotonic()

    def _roll_step(self) -> None:
        """One slot at a time: start its new worker, and once that one serves, retire the old."""
        if not self.rolling:
            return
        slot = self.rolling[0]
        new = self.roll_new
        if new is None:
            self.roll_new = self._start(slot)
            return
        if not self._ready(new):
            return
        for w in list(self.workers.values()):
            if w.slot == slot and w is not new and not w.expected_exit:
                self._retire(w, "replaced")
        self.restarts[slot] += 1
        print(f"cello: worker {slot + 1} restarted (pid {new.pid})", file=sys.stderr, flush=True)
        self.rolling.popleft()
        self.roll_new = None
        if not self.rolling:
            print("cello: rolling restart done", file=sys.stderr, flush=True)
            self._roll_done("")

    # --- the inspector (--inspect): one for the whole server ---

    def _start_inspector(self) -> None:
        """The inspector API, fed by every worker's event rings; its reload is a rolling restart and
        its invalidation reaches every worker."""
        from . import _cello
        from .app import serve_inspector

        cfg = self.config
        self.link = _cello.ClusterLink(self.native, self.cells)  # the supervisor's: no cell of its own
        self.inspector = _cello.Inspector.for_cluster(self.link, list(cfg.inspect_redact))
        # The inspector's own cache object, never the app's: the inspector's threads lock the cache
        # they hold, and a worker forked while one of them held the app's would inherit it locked.
        # Empty; its invalidations go out to every worker and its counters are the workers' sums.
        self.inspector_cache = _cello.ResponseCache(0)
        self.link.watch(self.inspector_cache)
        self._show_routes(self.app)
        self.inspector.set_server(cfg.host, self.port)
        serve_inspector(self.inspector, cfg, self._reload_from_inspector)

    def _show_routes(self, app: App) -> None:
        """The routes the workers serve, as this process builds them from the same app."""
        self.inspector.set_routes(app.build_route_table(self.config), self.inspector_cache)
        self.routes_shown = len(app.routes)

    def _reload_from_inspector(self) -> tuple[bool, str]:
        self.reload_requested = "the inspector"  # the loop begins the roll (this runs on the API's thread)
        return True, "rolling restart begun: workers are replaced one at a time"

    def _roll_done(self, error: str) -> None:
        if self.inspector is None:
            return
        self.inspector.set_workers(self.worker_rows())  # before the reload shows: who serves now
        if not error and self.reimport and self.target:
            from .cli import load_app

            try:
                self._show_routes(load_app(self.target))
            except BaseException as e:  # the workers run it: only the listing would be stale
                error = f"the workers serve the new code, but the inspector could not import it: {e}"
        self.inspector.record_reload(not error, (time.monotonic() - self.roll_started) * 1000,
                                     self.routes_shown, error)

    def worker_rows(self) -> list[dict[str, Any]]:
        """Every worker process: slot, pid, state, requests answered, RSS, restarts, start time,
        WebSocket connections open and their messages."""
        rows = []
        for w in sorted(self.workers.values(), key=lambda w: (w.slot, w.started)):
            state = "draining" if w.expected_exit else "serving" if self._ready(w) else "starting"
            rows.append({"slot": w.slot + 1, "pid": w.pid, "state": state, "requests": self._answered(w),
                         "rss_bytes": platform.rss_bytes(w.pid), "restarts": self.restarts[w.slot],
                         "started": w.started, "websockets": self._thread_sum(w, 2),
                         "websocket_messages": self._thread_sum(w, 3)})
        return rows
