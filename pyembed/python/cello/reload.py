"""Hot reload: watch the app's directory, re-import its modules in-process, swap the route table.

The listening socket and every connection stay open; requests in flight finish on the old code and
the next request on each connection uses the new one. If the new code fails to import, the old
code keeps serving and the traceback is printed. Shared by `cello run --reload` and (later) the
studio. See docs/reload.md for the rules.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.1
DEBOUNCE_SECONDS = 0.05


def _snapshot(root: Path) -> dict[str, float]:
    """mtime of every .py file under `root` (hidden and __pycache__ folders skipped)."""
    stamps: dict[str, float] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                try:
                    stamps[path] = os.stat(path).st_mtime_ns
                except OSError:
                    pass
    return stamps


def _kept(name: str) -> bool:
    """Never reloaded: the running script itself and Cello (its native module cannot be)."""
    return name == "__main__" or name == "cello" or name.startswith("cello.")


def forget_modules_under(root: Path) -> dict[str, Any]:
    """Removes from sys.modules every module whose file lies under `root`, so that the next import
    runs the new code. Returns them, to put back if the new code fails."""
    root_text = str(root) + os.sep
    gone = {name: module for name, module in list(sys.modules.items())
            if (getattr(module, "__file__", None) or "").startswith(root_text) and not _kept(name)}
    for name in gone:
        del sys.modules[name]
    return gone


def _drop_stale_bytecode(paths: Any) -> None:
    """Deletes the cached bytecode of changed files. Python trusts a .pyc whose recorded size and
    mtime (whole seconds) match the source: a same-size save within the second of the last import
    would otherwise load the old code."""
    from importlib.util import cache_from_source

    for path in paths:
        try:
            os.unlink(cache_from_source(path))
        except (OSError, ValueError, NotImplementedError):
            pass


class Reloader:
    """Polls `root` for changed .py files and calls `reload()` (debounced) on its own thread.
    Polling keeps it portable (no inotify); 0.1 s is well under the 1 s a user notices."""

    def __init__(self, root: Path, reload: Callable[[], Any]) -> None:
        self.root = root
        self._reload = reload
        self._stop = threading.Event()
        self._stamps = _snapshot(root)
        self._thread = threading.Thread(target=self._run, name="cello-reloader", daemon=True)

    def start(self) -> "Reloader":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            stamps = _snapshot(self.root)
            if stamps == self._stamps:
                continue
            time.sleep(DEBOUNCE_SECONDS)  # editors write in several steps: let them finish
            new = _snapshot(self.root)
            _drop_stale_bytecode(p for p, stamp in new.items() if self._stamps.get(p) != stamp)
            self._stamps = new
            self._reload()


def make_reload(load_app: Callable[[], Any], server: Any, config: Any, root: Path,
                on_reloaded: Callable[[Any], None] | None = None,
                report: Callable[[bool, float, int, str], None] | None = None) -> Callable[[], tuple[bool, str]]:
    """The reload step: re-import, build the new route table, swap it in, report the time taken.
    Returns (ok, message). `report(ok, duration_ms, routes, traceback)` hears every attempt (the
    inspector). Serialised: the file watcher and the inspector API may both ask."""
    lock = threading.Lock()
    routes_served = [0]

    def reload() -> tuple[bool, str]:
        with lock:
            started = time.perf_counter()
            old_modules = forget_modules_under(root)
            try:
                app = load_app()
                table = app.build_route_table(config)
                server.replace_routes(table)
            except BaseException:  # SyntaxError, ImportError, a bad route...: keep serving the old code
                forget_modules_under(root)  # whatever the failed attempt imported
                sys.modules.update(old_modules)
                trace = traceback.format_exc()
                print("cello: reload failed; still serving the previous code:", file=sys.stderr)
                sys.stderr.write(trace)
                sys.stderr.flush()
                ms = (time.perf_counter() - started) * 1000
                if report is not None:
                    report(False, ms, routes_served[0], trace)
                return False, trace.strip().splitlines()[-1]
            ms = (time.perf_counter() - started) * 1000
            routes_served[0] = len(app.routes)
            print(f"cello: reloaded {len(app.routes)} routes in {ms:.1f} ms", file=sys.stderr, flush=True)
            if report is not None:
                report(True, ms, len(app.routes), "")
            if on_reloaded is not None:
                on_reloaded(app)
            return True, f"reloaded {len(app.routes)} routes in {ms:.1f} ms"

    return reload
