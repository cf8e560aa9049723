"""The Python half of cello-studio: runs an app in the studio's own process with the inspector
attached and the shared reloader watching its directory. The studio (gui/) calls this through the
embedded interpreter and reads the inspector natively; nothing here knows about Qt."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from . import _cello
from .app import App, _reload_function, run_shutdown, run_startup
from .cli import AppLoadError, load_app
from .config import resolve
from .reload import Reloader, forget_modules_under


class Session:
    """One app being served by the studio. `start()` raises (with the app's traceback) if the app
    cannot be imported, a startup hook fails or the port is taken; nothing is left running then."""

    def __init__(self, target: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
                 env: str = "development", watch: bool = True) -> None:
        self.target = target
        self.config = resolve({"host": host, "port": port, "workers": workers, "env": env}, {})
        self.watch = watch
        self.app: App | None = None
        self.inspector: Any = None
        self.server: Any = None
        self._reloader: Reloader | None = None

    def start(self) -> int:
        """Imports the app, runs its startup hooks, starts serving; returns the bound port."""
        location = self.target.partition(":")[0]
        if location.endswith(".py"):  # a restart imports the app's code afresh
            forget_modules_under(Path(location).resolve().parent)
        try:
            self.app = load_app(self.target)
        except AppLoadError as e:
            raise RuntimeError(str(e)) from None
        self.inspector = _cello.Inspector(self.config.workers, list(self.config.inspect_redact))
        self.inspector.set_capture(True)  # the Requests page shows every request's headers and body
        self.server = self.app.build_server(self.config, self.inspector)
        run_startup(self.app, self.server)
        try:
            self.server.start()
        except OSError:
            run_shutdown(self.app, self.server, 30)
            raise
        root, reload = _reload_function(self.target, self.server, self.config, self.inspector)
        self.inspector.set_reload_action(reload)
        if self.watch:
            self._reloader = Reloader(root, reload).start()
        print(f"cello {_cello.__version__}: serving {len(self.app.routes)} routes on "
              f"http://{self.config.host}:{self.server.port} ({self.config.workers} engine thread"
              f"{'s' if self.config.workers != 1 else ''}, {self.config.env})", file=sys.stderr, flush=True)
        return int(self.server.port)

    @property
    def port(self) -> int:
        return int(self.server.port) if self.server is not None else 0

    def stop(self) -> None:
        """Stops watching, drains the server, runs the shutdown hooks (errors are printed)."""
        if self._reloader is not None:
            self._reloader.stop()
            self._reloader = None
        if self.inspector is not None:
            self.inspector.stop()
            self.inspector.clear_reload_action()  # it refers to the server, which refers back
        if self.server is not None:
            server, self.server = self.server, None
            if self.app is not None:
                try:
                    run_shutdown(self.app, server, 30)
                except Exception:  # printed by the hook runner; the studio keeps going
                    pass
            else:
                server.stop()
                server.wait(30)
            print("cello: stopped", file=sys.stderr, flush=True)
