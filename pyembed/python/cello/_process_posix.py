"""Cluster mode's platform layer, POSIX: listening sockets, shared memory, worker processes, signals.

Everything the supervisor (cello.cluster) does that depends on the operating system goes through
these few functions, so that a Windows implementation (spawned workers re-importing the app, named
shared memory, a console control handler) can stand beside this file with the same names.
Workers are forked from the supervisor, which has imported the app but started no thread.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

WorkerId = int  # a process id here; a process handle on Windows


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on the same host:port with SO_REUSEPORT, so that the kernel spreads
    new connections over them evenly: one per worker slot. The supervisor keeps them open, so a
    worker that is replaced never drops the connections queued on its slot. Port 0 picks one free
    port for all. Raises OSError (with the address in its message) when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((host, port))
            port = s.getsockname()[1]
            s.listen(socket.SOMAXCONN)
            s.set_inheritable(True)
    except OSError as e:
        for s in sockets:
            s.close()
        raise OSError(e.errno, f"cannot listen on {host}:{port} ({e.strerror})") from None
    return sockets


def shared_memory(size: int) -> mmap.mmap:
    """Zeroed memory shared by the supervisor and every worker it forks afterwards."""
    return mmap.mmap(-1, size, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)


def start_worker(spec: Any, main: Callable[[Any], int]) -> WorkerId:
    """Forks a worker process that runs `main(spec)` (cello.cluster.worker_main with its
    WorkerSpec) and exits with its status. The fork inherits what the spec refers to."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    run_and_exit(main, spec)


def run_and_exit(main: Callable[[Any], int], spec: Any) -> None:
    """In a new worker (forked or spawned): `main(spec)`, then exit with its status, never running
    the supervisor's atexit handlers or flushing its buffered files. A stop order that arrives
    while the worker starts (KeyboardInterrupt) is a clean exit."""
    status = 1
    try:
        status = main(spec)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    except KeyboardInterrupt:
        status = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # (pythonw has none)
                stream.flush()
        os._exit(status)


def setup_worker(cpu: int | None) -> None:
    """In a new worker: it dies with the supervisor (SIGKILL of the supervisor does not leave
    orphans serving), leaves Ctrl-C to the supervisor (which stops every worker once), and runs on
    `cpu` alone when given (ClusterConfig(cpu_affinity=True))."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() == 1:  # the supervisor died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def worker_socket(sockets: list[socket.socket], slot: int) -> int:
    """In a new worker: the file descriptor of its slot's listening socket, now the engine's; the
    other slots' sockets are closed here."""
    fd = -1
    for i, s in enumerate(sockets):
        if i == slot:
            fd = s.detach()
        else:
            s.close()
    return fd


def stop_worker(worker: WorkerId) -> None:
    """Asks a worker to drain and exit (its SIGTERM handler stops the server gracefully)."""
    _signal(worker, signal.SIGTERM)


def kill_worker(worker: WorkerId) -> None:
    """Ends a worker now."""
    _signal(worker, signal.SIGKILL)


def _signal(worker: WorkerId, signum: int) -> None:
    try:
        os.kill(worker, signum)
    except ProcessLookupError:
        pass


def reap() -> list[tuple[WorkerId, str | None]]:
    """Workers that have ended since the last call: (id, None) for a clean exit, else (id, why)."""
    ended: list[tuple[WorkerId, str | None]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            ended.append((pid, f"killed by {name}"))
        else:
            code = os.waitstatus_to_exitcode(status)
            ended.append((pid, None if code == 0 else f"exit status {code}"))


def install_signals(on_stop: Callable[[int], None], on_reload: Callable[[], None]) -> Callable[[], None]:
    """Supervisor signals: SIGTERM, SIGINT (and Windows' Ctrl-Break, for _process_spawn) call
    on_stop(signum); SIGHUP, where there is one, on_reload(). Returns a function that puts the
    previous handlers back."""
    stops = [getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGBREAK") if hasattr(signal, n)]
    reloads = [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    previous = {s: signal.getsignal(s) for s in stops + reloads}
    for s in stops:
        signal.signal(s, lambda signum, frame: on_stop(signum))
    for s in reloads:
        signal.signal(s, lambda signum, frame: on_reload())

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


def rss_bytes(worker: WorkerId) -> int:
    """Resident memory of a worker process (0 when it is gone)."""
    try:
        with open(f"/proc/{worker}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def cpu_count() -> int:
    """CPUs this process may run on (its affinity mask, as a container or taskset limits it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1

