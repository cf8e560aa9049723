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
                 inspect: tuple[str, int] | None = None, inspect_redact: tuple[str, ...] = (),
                 cluster: Any = None, tls: Any = None, http2: Any = None) -> None:
        self.host = host
        self.port = port
        self.workers = workers
        self.env = env
        self.logs = logs
        self.logs_explicit = logs_explicit  # --logs/--no-logs or run(logs=...) was given
        self.reload = reload
        self.processes = processes  # worker processes; 1: this process serves, no supervisor
        self.cluster = cluster  # the ClusterConfig (supervision settings), or None for the defaults
        self.server_options: dict[str, Any] = dict(server_options or {})
        self.inspect = inspect  # (host, port) of the inspector API, or None
        self.inspect_redact = inspect_redact  # extra header names the inspector redacts
        self.tls = tls  # the TlsConfig when serving HTTPS, else None
        self.http2 = http2  # the Http2Config, or None for HTTP/1.1 only

    @property
    def scheme(self) -> str:
        """"https" with TLS, else "http"."""
        return "https" if self.tls is not None else "http"

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
                        help="engine threads per process (default 1; in production, with --processes "
                             "given, the CPUs divided among the processes)")
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
                        help="cluster mode: N worker processes under a supervisor, each running --workers "
                             "engine threads (default 1; in production, the CPUs divided by --workers). "
                             "Engine threads share one Python lock per process; processes do not")
    parser.add_argument("--no-http2", dest="http2", action="store_false", default=s,
                        help="HTTP/1.1 only (HTTP/2 is on by default: h2 over TLS, h2c in cleartext; docs/http2.md)")
    parser.add_argument("--tls-cert", default=s, metavar="FILE",
                        help="serve HTTPS with this PEM certificate (and its chain); needs --tls-key (docs/tls.md)")
    parser.add_argument("--tls-key", default=s, metavar="FILE", help="the certificate's PEM private key")
    parser.add_argument("--tls-ca", default=s, metavar="FILE",
                        help="PEM CAs whose client certificates are accepted (asked for, optional; "
                             "run(tls=TlsConfig(..., require_client_cert=True)) requires one)")


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
    workers, processes, cluster = _counts(merged, production)
    # Reloading serves one process: it keeps the default count at 1.
    single = "--reload" if merged.get("reload") else None
    if single and processes > 1:
        if merged.get("processes") is not None or (cluster is not None and cluster.processes is not None):
            raise ValueError(f"{single} serves one process; it cannot be combined with {processes} processes "
                             "(docs/cluster.md)")
        processes = 1
        if production and merged.get("workers") is None:
            from ._process_posix import cpu_count

            workers = cpu_count()  # the one process gets every CPU's engine thread
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
        cluster=cluster,
        tls=_tls(merged),
        http2=_http2(merged.get("http2")),
    )


def _http2(value: Any) -> Any:
    """run(http2=...) or --no-http2: an Http2Config (None and True: the defaults), or None for off."""
    from .http2 import Http2Config

    if value is None or value is True:
        return Http2Config()
    if value is False:
        return None
    if not isinstance(value, Http2Config):
        raise ValueError(f"http2 must be a cello.Http2Config, True or False, not {type(value).__name__}")
    return value


def _tls(merged: dict[str, Any]) -> Any:
    """The TlsConfig: run(tls=...), with --tls-cert/--tls-key/--tls-ca over its files."""
    from .tls import TlsConfig

    tls = merged.get("tls")
    if tls is not None and not isinstance(tls, TlsConfig):
        raise ValueError(f"tls must be a cello.TlsConfig, not {type(tls).__name__}")
    cert, key, ca = merged.get("tls_cert"), merged.get("tls_key"), merged.get("tls_ca")
    if cert is None and key is None and ca is None:
        return tls
    if tls is None:
        if cert is None or key is None:
            raise ValueError("HTTPS needs both --tls-cert and --tls-key")
        return TlsConfig(cert, key, ca_path=ca)
    return TlsConfig(cert if cert is not None else tls.cert_path, key if key is not None else tls.key_path,
                     ca_path=ca if ca is not None else tls.ca_path, min_version=tls.min_version,
                     max_version=tls.max_version, require_client_cert=tls.require_client_cert)


def _counts(merged: dict[str, Any], production: bool) -> tuple[int, int, Any]:
    """(engine threads per process, processes, ClusterConfig or None). A count given by a flag or
    run() wins; in production the counts left unset fill the CPUs (processes first: each has its
    own Python lock), in development they are 1. --processes wins over run(cluster=...)."""
    from ._process_posix import cpu_count
    from .cluster import ClusterConfig

    cluster = merged.get("cluster")
    if cluster is not None and not isinstance(cluster, ClusterConfig):
        raise ValueError(f"cluster must be a cello.ClusterConfig, not {type(cluster).__name__}")
    cpus = cpu_count()
    workers = merged.get("workers")
    processes = merged.get("processes")
    if processes is None and cluster is not None:
        processes = cluster.processes if cluster.processes is not None else cpus
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    if production:
        if processes is None:
            processes = max(1, cpus // (workers or 1))
        if workers is None:
            workers = max(1, cpus // processes)
    return int(workers or 1), int(processes or 1), cluster
