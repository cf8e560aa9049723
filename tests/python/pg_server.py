"""A real PostgreSQL server for tests: Debian's postgresql-15 binaries, a cluster in a temporary
directory, listening on 127.0.0.1 and a free port, stopped at the end. PostgreSQL refuses to run as
root, so when the suite runs as root the cluster belongs to `nobody` and its commands run as that
user (setpriv)."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import support

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    return (BIN / "initdb").is_file() and (BIN / "pg_ctl").is_file()


def _as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    user = pwd.getpwnam("nobody")
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *cmd]


_restarters: dict[str, object] = {}


def restart(dsn: str) -> None:
    """Restarts the server behind `dsn` (pg_ctl restart -m fast: every connection is closed)."""
    _restarters[dsn]()  # type: ignore[operator]


@contextlib.contextmanager
def running() -> Iterator[str]:
    """Starts a throwaway cluster; yields its DSN (user `cello`, database `cello`, no password)."""
    root = Path(tempfile.mkdtemp(prefix="cello-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("nobody")
        for path in (root, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = support.free_port()
    # PostgreSQL is a server we use, not code under test: under `tools/dev.sh test-asan` the suite's
    # environment preloads the sanitizer runtimes, which made initdb crawl past its timeout.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    env.update(LC_ALL="C.UTF-8", TZ="UTC")
    run = dict(env=env, check=True, capture_output=True, text=True, timeout=120, cwd=root)
    started = False
    try:
        subprocess.run(_as_user([str(BIN / "initdb"), "-D", str(data), "-U", "cello", "--auth=trust",
                                 "--no-sync", "-E", "UTF8"]), **run)
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} -c fsync=off"
        subprocess.run(_as_user([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                                 "-w", "-t", "60", "start"]), **run)
        started = True
        subprocess.run(_as_user([str(BIN.parent / "bin" / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                                 "cello", "cello"]), **run)
        _restarters[f"postgresql://cello@127.0.0.1:{port}/cello"] = lambda: subprocess.run(
            _as_user([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-m", "fast",
                      "-w", "-t", "60", "restart"]), **run)
        yield f"postgresql://cello@127.0.0.1:{port}/cello"
    finally:
        if started:
            subprocess.run(_as_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           env=env, capture_output=True, timeout=60, cwd=root)
        shutil.rmtree(root, ignore_errors=True)
