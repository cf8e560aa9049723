"""Cluster mode's platform layer by spawning: each worker is a new interpreter that imports the app
again, as on Windows, which has no fork. The same functions as _process_posix, for cello.cluster.

The default on Windows; on POSIX it is chosen with ``CELLO_CLUSTER_START=spawn``, so that the
test suite runs cluster mode this way too. A worker is started as ``python -c ...`` and reads its
orders from its stdin pipe: first the pickled WorkerSpec (without the app, which it imports from
the spec's target) with how to reach its listening socket and the shared memory, then one byte
when it is to drain and exit. The end of that pipe (the supervisor died) stops it the same way.

What differs between the two systems is small and here: the listening socket reaches the worker
by descriptor inheritance (POSIX) or ``socket.share`` (Windows); the shared memory is a memfd
(Linux) or a named mapping (Windows); Windows has no SO_REUSEPORT, so every worker accepts on one
shared socket.
"""
from __future__ import annotations

import mmap
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import _process_posix

WorkerId = int  # the worker's process id
_WINDOWS = os.name == "nt"
_workers: dict[WorkerId, subprocess.Popen[bytes]] = {}


class SharedMemory(mmap.mmap):
    """Zeroed memory a spawned worker can map too; `handoff` tells it how."""

    handoff: tuple[str, Any, int]


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per worker slot (SO_REUSEPORT, as _process_posix) on POSIX; on Windows
    one socket that every worker accepts on, listed `count` times."""
    if not _WINDOWS:
        return _process_posix.listening_sockets(host, port, count)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Windows' SO_REUSEADDR would let another program take the port too: exclusive use instead.
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", socket.SO_REUSEADDR), 1)
        s.bind((host, port))
        s.listen(socket.SOMAXCONN)
    except OSError as e:
        s.close()
        raise OSError(e.errno, f"cannot listen on {host}:{port} ({e.strerror})") from None
    return [s] * count


def shared_memory(size: int) -> SharedMemory:
    """Zeroed memory shared by the supervisor and every worker it starts afterwards."""
    if _WINDOWS:
        name = f"cello-cluster-{os.getpid()}-{uuid.uuid4().hex}"
        memory = SharedMemory(-1, size, tagname=name)
        memory.handoff = ("tagname", name, size)
    else:
        fd = os.memfd_create("cello-cluster", os.MFD_CLOEXEC)  # zeroed; gone with its last user
        os.ftruncate(fd, size)
        memory = SharedMemory(fd, size)
        memory.handoff = ("fd", fd, size)
    return memory


def start_worker(spec: Any, main: Callable[[Any], int]) -> WorkerId:
    """Starts a worker interpreter that runs `main(spec)` (cello.cluster.worker_main) and exits
    with its status; the app is imported there from `spec.target`."""
    if not spec.target:
        raise SystemExit("cello: cluster mode starts each worker by importing the app, and this app's "
                         "module is unknown: serve it with `cello run path/to/app.py`, or name the App "
                         "`app` in the script that calls app.run()")
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    own = spec.sockets[spec.slot]
    memory: SharedMemory = spec.memory
    inherit = () if _WINDOWS else (own.fileno(), memory.handoff[1])
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    proc = subprocess.Popen([sys.executable, "-c", f"from {__package__}._process_spawn import _worker; "
                             f"_worker({main.__module__!r}, {main.__qualname__!r})"],
                            stdin=subprocess.PIPE, pass_fds=inherit, env=env)
    _workers[proc.pid] = proc
    try:
        sock = ("share", own.share(proc.pid)) if _WINDOWS else ("fd", own.fileno(), own.family)
        orders = pickle.dumps((replace(spec, app=None, sockets=[], memory=None), sock, memory.handoff))
        assert proc.stdin is not None
        proc.stdin.write(len(orders).to_bytes(8, "little") + orders)
        proc.stdin.flush()
    except OSError:
        pass  # it died at once: reap() tells
    return proc.pid


def _worker(module: str, name: str) -> None:
    """A spawned worker's first Python: reads its orders, then runs the cluster's worker_main."""
    import importlib

    # Ctrl-C, Ctrl-Break and a terminal's hangup reach every process of the console or session:
    # they are the supervisor's, which stops or rolls the workers itself.
    for ignored in ("SIGINT", "SIGBREAK", "SIGHUP"):
        if hasattr(signal, ignored):
            signal.signal(getattr(signal, ignored), signal.SIG_IGN)
    # The orders pipe gets a descriptor of its own; what the app reads as stdin (or a program it
    # starts inherits) is the null device, so nothing else can swallow a stop order.
    orders = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    header = orders.read(8)
    body = orders.read(int.from_bytes(header, "little")) if len(header) == 8 else b""
    if not body:
        os._exit(1)  # the supervisor went away before it sent the orders
    spec, sock, (kind, where, size) = pickle.loads(body)
    if sock[0] == "share":
        listener = socket.fromshare(sock[1])
    else:
        listener = socket.socket(sock[2], socket.SOCK_STREAM, fileno=sock[1])
    memory = mmap.mmap(-1, size, tagname=where) if kind == "tagname" else mmap.mmap(where, size)
    spec = replace(spec, sockets=[listener if i == spec.slot else None for i in range(spec.slot + 1)],
                   memory=memory)
    # Until the server's own handler is in place, a stop order ends the start-up the same way.
    signal.signal(signal.SIGTERM, _interrupt)
    threading.Thread(target=_watch_orders, args=(orders,), name="cello-orders", daemon=True).start()
    _process_posix.run_and_exit(getattr(importlib.import_module(module), name), spec)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _watch_orders(orders: Any) -> None:
    """A byte (stop_worker) or the pipe's end (the supervisor is gone): drain and exit, as SIGTERM
    does under _process_posix. The server's SIGTERM handler runs on the main thread."""
    try:
        orders.read(1)
    except OSError:
        pass
    import _thread

    _thread.interrupt_main(signal.SIGTERM)


def setup_worker(cpu: int | None) -> None:
    """In a new worker (whose signals _worker has set): runs on `cpu` alone when given, where the
    system lets a process pin itself from Python (Linux)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def worker_socket(sockets: list[socket.socket | None], slot: int) -> int:
    """In a new worker: the descriptor (a SOCKET handle on Windows) of its listening socket, now the
    engine's."""
    own = sockets[slot]
    assert own is not None
    return own.detach()


def stop_worker(worker: WorkerId) -> None:
    """Asks a worker to drain and exit: one byte on its orders pipe."""
    proc = _workers.get(worker)
    if proc is None or proc.stdin is None:
        return
    try:
        proc.stdin.write(b"s")
        proc.stdin.flush()
    except OSError:
        pass  # already gone


def kill_worker(worker: WorkerId) -> None:
    """Ends a worker now (SIGKILL; TerminateProcess on Windows)."""
    proc = _workers.get(worker)
    if proc is not None and proc.poll() is None:
        try:
            proc.kill()
        except OSError:
            pass


def reap() -> list[tuple[WorkerId, str | None]]:
    """Workers that have ended since the last call: (id, None) for a clean exit, else (id, why)."""
    ended: list[tuple[WorkerId, str | None]] = []
    for pid, proc in list(_workers.items()):
        code = proc.poll()
        if code is None:
            continue
        del _workers[pid]
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            ended.append((pid, f"killed by {name}"))
        else:
            ended.append((pid, None if code == 0 else f"exit status {code}"))
    return ended


def rss_bytes(worker: WorkerId) -> int:
    """Resident memory (Windows: the working set) of a worker process; 0 when it is gone."""
    return _working_set(worker) if _WINDOWS else _process_posix.rss_bytes(worker)


def _working_set(pid: int) -> int:
    """GetProcessMemoryInfo's WorkingSetSize, through ctypes (Windows only)."""
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):  # PROCESS_MEMORY_COUNTERS
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.K32GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    process_query_limited_information = 0x1000
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return 0
    try:
        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        if not kernel32.K32GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return 0
        return int(counters.WorkingSetSize)
    finally:
        kernel32.CloseHandle(handle)


install_signals = _process_posix.install_signals  # portable: SIGBREAK and SIGHUP where they exist
cpu_count = _process_posix.cpu_count
