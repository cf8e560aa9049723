"""The `cello` command: run an app, list its routes."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from . import _cello
from .app import App
from .config import add_server_flags, resolve
from .app import serve


class AppLoadError(Exception):
    """The target could not be imported or holds no App."""


def _find_app(module: object, attr: str | None, target: str) -> App:
    if attr:
        app = getattr(module, attr, None)
        if app is None:
            raise AppLoadError(f"{target}: no attribute {attr!r}")
    else:
        app = getattr(module, "app", None)
        if not isinstance(app, App):
            apps = [v for v in vars(module).values() if isinstance(v, App)]
            if len(apps) != 1:
                raise AppLoadError(f"{target}: expected one cello.App (named 'app'), found {len(apps)}")
            app = apps[0]
    if not isinstance(app, App):
        raise AppLoadError(f"{target}: {attr} is a {type(app).__name__}, not a cello.App")
    return app


# Above 0 while load_app imports an app: an App.run() at the top level of its module (no
# `if __name__ == "__main__":` guard) does nothing then, instead of starting a second server in a
# cluster worker, a rolling restart or a reload.
importing_app = 0


def load_app(target: str) -> App:
    """Imports `path/to/app.py[:attr]` or `package.module[:attr]` and returns its App."""
    global importing_app
    importing_app += 1
    try:
        return _load_app(target)
    finally:
        importing_app -= 1


def _load_app(target: str) -> App:
    location, _, attr = target.partition(":")
    path = Path(location)
    if location.endswith(".py") or path.is_file():
        if not path.is_file():
            raise AppLoadError(f"{location}: no such file")
        path = path.resolve()
        if str(path.parent) not in sys.path:  # the app's own imports resolve like `python3 app.py`
            sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise AppLoadError(f"{location}: cannot import")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(location)
    return _find_app(module, attr or None, target)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cello", description="Cello: a native web engine for Python handlers.")
    parser.add_argument("--version", action="version",
                        version=f"cello {_cello.__version__} (Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="serve an app", description="Serve an app: cello run app.py [flags]")
    run.add_argument("target", help="path/to/app.py, module:attr or path/to/app.py:attr")
    add_server_flags(run)
    routes = sub.add_parser("routes", help="print an app's route table")
    routes.add_argument("target", help="path/to/app.py, module:attr or path/to/app.py:attr")
    # Native (C++, no interpreter): the `cello` binary handles it before Python starts; this
    # entry is for the help text and for `python3 -m cello bench`, which hands over to the binary.
    bench = sub.add_parser("bench", help="load-test a URL, like wrk/wrk2 (cello bench --help)", add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _native_binary() -> Path | None:
    """The `cello` executable that belongs to this package (build tree or installed layout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parents[1] / "cello", package.parents[3] / "bin" / "cello"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _run_bench(args: list[str]) -> int:
    binary = _native_binary()
    if binary is None:
        print("cello: `cello bench` needs the cello executable, which was not found next to this package",
              file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(binary, [str(binary), "bench", *args])


def print_routes(app: App) -> None:
    """Prints METHOD, PATH, HANDLER and SOURCE columns."""
    rows = [(r.method, r.path, r.name, r.source) for r in app.routes]
    header = ("METHOD", "PATH", "HANDLER", "SOURCE")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cello` binary and of `python3 -m cello`. Returns the exit status."""
    parser = _parser()
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["bench"]:  # everything after `bench` is the load generator's, help included
        return _run_bench(raw[1:])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    # A file target made absolute now: whoever imports it again later (a reload, a spawned cluster
    # worker) must find it even if the app changed the working directory.
    location, colon, attr = args.target.partition(":")
    if location.endswith(".py") or Path(location).is_file():
        args.target = str(Path(location).absolute()) + colon + attr
    try:
        app = load_app(args.target)
    except AppLoadError as e:
        print(f"cello: {e}", file=sys.stderr)
        return 2
    if args.command == "routes":
        print_routes(app)
        return 0
    flags = {k: v for k, v in vars(args).items() if k not in ("command", "target")}
    try:
        config = resolve({}, flags)
    except ValueError as e:
        print(f"cello: {e}", file=sys.stderr)
        return 2
    serve(app, config, reload_target=args.target)
    return 0
