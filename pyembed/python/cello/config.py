"""Server settings: command-line flags, run() arguments and defaults, in that order of precedence."""
from __future__ import annotations

import argparse
import os
import re
from typing import Any

ENVIRONMENTS = ("development", "production")
DEFAULT_INSPECT = "127.0.0.1:9400"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token: what a header name is made of


def parse_inspect(value: str | bool | None) -> tuple[str, int] | None:
    """`--inspect[=HOST:PORT]` or run(inspect=...): None (off), or where the inspector API listens.
    True or "" means the loopback default; "PORT" alone keeps the loopback host."""
    if value is None or value is False:
        return None
    text = DEFAULT_INSPECT if value is True or value == "" else str(value)
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--inspect expects HOST:PORT (e.g. {DEFAULT_INSPECT}), not {value!r}")
    return host, int(port)


def parse_redact(*sources: Any) -> tuple[str, ...]:
    """Extra header names the inspector redacts (docs/inspector.md), from every source given: each
    is None, "name1,name2" or an iterable of such strings. The sources are merged rather than one
    overriding another: a name only ever hides more, so no setting can un-redact what another
    asked for. Names are lowercased, deduplicated in order; one that is not an HTTP token raises
    ValueError."""
    names: list[str] = []
    for source in sources:
        if source is None:
            continue
        items = [source] if isinstance(source, str) else list(source)
        for item in items:
            if not isinstance(item, str):
                raise ValueError(f"inspect_redact expects header names, not {item!r}")
            for name in item.split(","):
                name = name.strip().lower()
                if not name:
                    continue
                if not _TOKEN.fullmatch(name):
                    raise ValueError(f"inspect_redact: {name!r} is not a header name")
                if name not in names:
                    names.append(name)
    return tuple(names)


class RunConfig:
    """The resolved settings of one server run."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, env: str = "development",
                 logs: bool = True, reload: bool = False, processes: int = 1,
                 server_options: dict[str, Any] | None = None, logs_explicit: bool = False,
                 inspect: tuple[str, int] | None = None, inspect_redact: tuple[str, ...] = ()) -> None:
        self.host = host
        self.port = port
        self.workers = workers
        self.env = env
        self.logs = logs
        self.logs_explicit = logs_explicit  # --logs/--no-logs or run(logs=...) was given
        self.reload = reload
        self.processes = processes
        self.server_options: dict[str, Any] = dict(server_options or {})
        self.inspect = inspect  # (host, port) of the inspector API, or None
        self.inspect_redact = inspect_redact  # extra header names the inspector redacts

    @property
    def debug(self) -> bool:
        """Tracebacks in 500 bodies: development only."""
        return self.env == "development"


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """Adds the flags shared by `python3 app.py` and `cello run`. Unset flags stay absent."""
    s = argparse.SUPPRESS
    parser.add_argument("--host", default=s, help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=s, help="TCP port (default 8000; 0 picks a free one)")
    parser.add_argument("--workers", type=int, default=s, metavar="N",
                        help="engine threads in this process (default: 1 in development, CPU count in production)")
    parser.add_argument("--env", choices=ENVIRONMENTS, default=s,
                        help="development (default: request log, tracebacks in 500s) or production")
    parser.add_argument("--no-logs", dest="logs", action="store_false", default=s, help="no request log")
    parser.add_argument("--logs", dest="logs", action="store_true", default=s,
                        help="request log on (the default in development)")
    parser.add_argument("--reload", action="store_true", default=s,
                        help="reload the app in-process when its .py files change (development)")
    parser.add_argument("--inspect", nargs="?", const=True, default=s, metavar="HOST:PORT",
                        help=f"serve the inspector API (JSON + server-sent events, token-protected) "
                             f"on {DEFAULT_INSPECT} or HOST:PORT")
    parser.add_argument("--inspect-redact", action="append", default=s, metavar="NAME[,NAME...]",
                        help="also redact these headers (and query parameters) in what the inspector "
                             "shows; adds to run(inspect_redact=...) and CELLO_INSPECT_REDACT")
    parser.add_argument("--processes", type=int, default=s, metavar="N",
                        help="cluster mode with N processes (not available yet in this version)")


def server_flag_parser(prog: str) -> argparse.ArgumentParser:
    """The parser `app.run()` applies to sys.argv."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve this Cello app.")
    add_server_flags(parser)
    return parser


def resolve(given: dict[str, Any], flags: dict[str, Any]) -> RunConfig:
    """Merges run() arguments (`given`, None meaning unset) with command-line `flags` (which win)."""
    merged = {k: v for k, v in given.items() if v is not None}
    merged.update(flags)
    env = merged.get("env") or os.environ.get("CELLO_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise ValueError(f"env must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"
    workers = merged.get("workers")
    if workers is None:
        workers = (os.cpu_count() or 1) if production else 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    processes = merged.get("processes")
    if processes is None:
        processes = 1
    if processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    cluster = merged.get("cluster")
    if cluster is not None:
        processes = getattr(cluster, "processes", processes)
    return RunConfig(
        host=merged.get("host", "127.0.0.1"),
        port=int(merged.get("port", 8000)),
        workers=int(workers),
        env=env,
        logs=bool(merged["logs"]) if "logs" in merged else not production,
        reload=bool(merged.get("reload", False)),
        processes=int(processes),
        server_options=dict(merged.get("server_options", {})),
        logs_explicit="logs" in merged,
        inspect=parse_inspect(merged.get("inspect")),
        inspect_redact=parse_redact(os.environ.get("CELLO_INSPECT_REDACT"), given.get("inspect_redact"),
                                    flags.get("inspect_redact")),
    )
