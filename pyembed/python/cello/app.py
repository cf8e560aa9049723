"""The application object: route registration and running the native server."""
from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from . import _cello
from ._elsewhere import check_signature
from .caching import CACHE_ATTRIBUTE
from .config import RunConfig, resolve, server_flag_parser
from .hooks import HooksMixin
from .middleware import DEFAULT_CACHE_BYTES, MiddlewareMixin
from .routing import _CO_VARARGS, WEBSOCKET, WEBSOCKET_OPTIONS, RoutingMixin, _function_of, checked_method

if TYPE_CHECKING:
    from .blueprints import Blueprint
    from .cluster import WorkerCell


class RouteInfo:
    """One registered route, as listed by `cello routes`."""

    __slots__ = ("method", "path", "handler", "name", "summary", "tags", "description")

    def __init__(self, method: str, path: str, handler: Callable[..., Any], name: str,
                 summary: str | None = None, tags: list[str] | None = None, description: str | None = None) -> None:
        self.method = method
        self.path = path
        self.handler = handler
        self.name = name
        self.summary = summary
        self.tags = list(tags or [])
        self.description = description  # the OpenAPI operation's (else the docstring's)

    @property
    def source(self) -> str:
        """file:line of the handler, when known."""
        fn = _function_of(self.handler)[0]
        return f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}" if fn else "?"

    def __repr__(self) -> str:
        return f"RouteInfo({self.method} {self.path} -> {self.name})"


def _check_handler(fn: Callable[..., Any], path: str) -> None:
    if not callable(fn):
        raise TypeError(f"handler for {path!r} is not callable")
    func, bound = _function_of(fn)
    if func is None:
        return  # a builtin or callable object: let it try
    code = func.__code__
    label = getattr(fn, "__qualname__", repr(fn))
    defaults = len(func.__defaults__ or ())
    positional = code.co_argcount - bound
    required = positional - defaults
    kw_required = code.co_kwonlyargcount - len(func.__kwdefaults__ or {})
    takes_one = required <= 1 and (positional >= 1 or code.co_flags & _CO_VARARGS) and kw_required <= 0
    if not takes_one:
        raise TypeError(f"handler {label!r} for {path!r} must take exactly one argument, the request")


class App(RoutingMixin, HooksMixin, MiddlewareMixin):
    """A Cello application: register routes with the decorators, then `run()`."""

    def __init__(self) -> None:
        self._routes: list[RouteInfo] = []
        self._cache = _cello.ResponseCache(DEFAULT_CACHE_BYTES)
        self._init_middleware()
        self._init_hooks()
        # Validates every registration at once (conflicts, bad patterns) with the engine's own router.
        self._check_table = _cello.RouteTable()
        self._db: Any = None
        self._guards: list[Callable[[Any], Any]] = []  # add_guard(): before every route
        self.templates: Any = None  # enable_templates()
        # Depends(x) resolves to dependency_overrides.get(x, x): swap a dependency in tests.
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self._singletons: dict[str, Any] = {}  # register_singleton(): Depends("name")
        self._health: Any = None  # enable_health_checks()

    # -- routes -------------------------------------------------------------------------------
    # route(), get(), post()... come from RoutingMixin and end here.
    def _add_route(self, methods: list[str], path: str, handler: Callable[..., Any], name: str,
                   summary: str | None, tags: list[str], description: str | None = None) -> None:
        if methods != [WEBSOCKET]:
            _check_handler(handler, path)
            check_signature(handler, path)  # an injection of the original's that is not here: said now
        for method in methods:
            self._check_table.add(checked_method(method), path, handler, name)
            self._routes.append(RouteInfo(method, path, handler, name, summary, tags, description))

    def enable_openapi(self, title: str = "Cello API", version: str = "1.0.1", *, description: str | None = None,
                       openapi_url: str = "/openapi.json", docs_url: str | None = "/docs",
                       redoc_url: str | None = "/redoc") -> None:
        """`openapi_url`: the app's OpenAPI 3.1 document, from its routes and their handlers'
        parameters (docs/openapi.md); `docs_url`: Swagger UI; `redoc_url`: ReDoc (None: not served).
        The pages load their scripts from this server, never from a CDN."""
        from .openapi import install

        install(self, title, version, description, openapi_url, docs_url, redoc_url)

    def enable_health_checks(self, config: Any = None) -> None:
        """Health probes answered natively: ``{base}`` and ``{base}/ready`` (503 while starting,
        draining or while a check fails), ``{base}/live``, ``{base}/startup`` (docs/health.md).
        `config`: a cello.HealthCheckConfig. The database pool, when enabled, is checked too."""
        from .health import HealthCheckConfig, HealthChecks

        config = config or HealthCheckConfig()
        checks = self._health.checks if self._health is not None else {}
        self._health = HealthChecks(self, config)
        for name, check in checks.items():
            self._health.add(name, check)
        self.enable_native_middleware("health", base_path=config.base_path, include_details=config.include_details,
                                      version=config.version or "", state=self._health.state_name)

    def add_health_check(self, name: str, check: Callable[[], Any] | None = None) -> Any:
        """Registers a check for the readiness probe: ``app.add_health_check("redis", ping)`` or as
        a decorator. It returns True/None (passing), False or a message (failing), or raises; sync or
        async; run every `interval_secs`, never per probe."""
        if self._health is None:
            self.enable_health_checks()

        def register(fn: Callable[[], Any]) -> Callable[[], Any]:
            self._health.add(name, fn)
            return fn

        return register(check) if check is not None else register

    def register_singleton(self, name: str, value: Any) -> None:
        """A value handlers receive with ``Depends("name")`` (one object for the whole app)."""
        self._singletons[name] = value

    def register_blueprint(self, blueprint: Blueprint) -> None:
        """Registers every route of `blueprint` and of the blueprints nested in it, under their
        joined prefixes. All or nothing: a conflict raises ValueError naming the pattern and adds
        none of them. Afterwards the blueprint is frozen (see `Blueprint`)."""
        from .blueprints import Blueprint

        if not isinstance(blueprint, Blueprint):
            raise TypeError(f"register_blueprint() takes a Blueprint, not {type(blueprint).__name__}")
        new = list(blueprint._collect())
        trial = _cello.RouteTable()  # checked against a copy first, so a conflict changes nothing
        for r in self._routes + new:
            trial.add(checked_method(r.method), r.path, r.handler, r.name)
        for r in new:
            self._check_table.add(checked_method(r.method), r.path, r.handler, r.name)
            self._routes.append(r)
        for bp in blueprint._walk():
            bp._frozen = True

    @property
    def routes(self) -> list[RouteInfo]:
        """The registered routes, in registration order."""
        return list(self._routes)

    def enable_templates(self, template_dir: str = "templates", auto_escape: bool = True,
                         globals: dict[str, Any] | None = None) -> Any:
        """Jinja2 templates from `template_dir` (cello.templates.Templates); also reachable as
        `app.templates`, `app.render()` and `app.render_string()`. Once per app."""
        from .templates import Templates

        if self.templates is not None:
            raise RuntimeError("enable_templates() was already called for this app")
        self.templates = Templates(template_dir, auto_escape, globals)
        return self.templates

    def render(self, name: str, context: dict[str, Any] | None = None, /, **values: Any) -> str:
        """The template `name` rendered (enable_templates() first)."""
        if self.templates is None:
            raise RuntimeError("call app.enable_templates() before rendering")
        return self.templates.render(name, context, **values)

    def render_string(self, source: str, context: dict[str, Any] | None = None, /, **values: Any) -> str:
        """`source` rendered as a template (enable_templates() first)."""
        if self.templates is None:
            raise RuntimeError("call app.enable_templates() before rendering")
        return self.templates.render_string(source, context, **values)

    def add_guard(self, guard: Callable[[Any], Any]) -> None:
        """A guard (cello.guards) checked before every route's own guards and handler: True or
        None lets the request through, False or a message refuses it (403), a GuardError answers
        with its status."""
        if not callable(guard):
            raise TypeError(f"a guard must be callable, not {type(guard).__name__}")
        self._guards.append(guard)

    # -- cache --------------------------------------------------------------------------------
    def invalidate_cache(self, tags: Iterable[str] | None = None, path: str | None = None) -> int:
        """Drops cached responses that carry any of `tags`, and those stored for `path` (any query);
        returns how many. Works from handlers, startup code and any thread."""
        return self._cache.invalidate(list(tags or ()), path)

    def cache_stats(self) -> dict[str, dict[str, dict[str, float]]]:
        """Hits, misses, stores, evictions, invalidations and hit ratio, per route and per tag."""
        return {"routes": self._cache.route_stats(), "tags": self._cache.tag_stats(),
                "memory": {"bytes": self._cache.bytes, "entries": self._cache.entries,
                           "max_bytes": self._cache.max_bytes}}

    # -- database -----------------------------------------------------------------------------
    def enable_database(self, config: Any = None) -> Any:
        """Opens the database pool (`cello.db.DatabaseConfig`; default ``sqlite:///cello.db``, which
        needs no server) and returns it; handlers reach it as `request.db`, other code as `app.db`."""
        from .db import Database

        if self._db is not None:
            raise RuntimeError("enable_database() was already called for this app")
        self._db = Database(config)
        return self._db

    @property
    def db(self) -> Any:
        """The pool `enable_database()` opened (`cello.db.Database`)."""
        if self._db is None:
            raise RuntimeError("no database: call app.enable_database() first")
        return self._db

    # -- serving ------------------------------------------------------------------------------
    def build_route_table(self, config: RunConfig) -> _cello.RouteTable:
        """The engine's snapshot of this app: routes, cache policies and middleware."""
        table = _cello.RouteTable(self, config.debug)
        if self.templates is not None:  # the template error page is for development only
            self.templates.debug = config.debug
        table.set_cache(self._cache)
        for r in self._routes:  # with request hooks, each handler is wrapped once, here
            handler = r.handler
            if r.method == WEBSOCKET:
                if self._guards:
                    from .guards import guarded

                    handler = guarded(handler, self._guards)
                table.add_websocket(r.path, handler, r.name, dict(getattr(handler, WEBSOCKET_OPTIONS, {})), r.source)
                continue
            if self._handler_timeout is not None:
                from .limits import with_handler_timeout

                handler = with_handler_timeout(handler, self._handler_timeout)
            if self._guards:
                from .guards import guarded

                handler = guarded(handler, self._guards)
            table.add(r.method, r.path, self._wrap_handler(handler), r.name,
                      self._cache_policy(r.method, r.path, getattr(r.handler, CACHE_ATTRIBUTE, None),
                                         bool(self._guards) or getattr(r.handler, "__cello_guarded__", False)),
                      r.source)
        for name, settings in self._middleware_settings(config.logs, config.logs_explicit):
            table.add_middleware(name, dict(settings))
        return table

    def build_server(self, config: RunConfig, inspector: _cello.Inspector | None = None,
                     worker: WorkerCell | None = None) -> _cello.Server:
        """A native server for this app (not started), reporting to `inspector` when given; in a
        cluster `worker`, on the supervisor's socket."""
        from functools import partial

        from ._loop import EngineLoops, run_thread

        options = {**self._server_defaults, **config.server_options}  # run()/CLI settings win
        loops = EngineLoops(config.workers)
        options.update(host=config.host, port=config.port, workers=config.workers,
                       thread_main=partial(run_thread, loops=loops))
        if config.tls is not None:
            options.update(tls=config.tls.settings())
        options.update(http2=config.http2.settings() if config.http2 is not None else {"enabled": False})
        if worker is not None:  # a cluster worker: the supervisor's socket, a heartbeat in its memory
            options.update(listen_fd=worker.listen_fd, heartbeat=worker.heartbeat)
            worker.join(self._cache)  # before the middleware is built: it counts for the whole server
            if config.inspect:  # events go to the supervisor's inspector through shared memory
                options.update(cluster_telemetry=list(config.inspect_redact))
        if self._cache_backend is not None:  # in each process (threads do not survive a fork)
            try:
                _cello.attach_redis_cache(self._cache, self._cache_backend.settings())
            except ValueError as e:
                raise SystemExit(f"cello: {e}") from None
        if inspector is not None or (worker is not None and config.inspect):
            from ._trace import capture_logs

            capture_logs()  # each request's log lines go to the inspector with it
        server = _cello.Server(self.build_route_table(config), options, inspector)
        server.engine_loops = loops
        return server

    def run(self, host: str | None = None, port: int | None = None, workers: int | None = None,
            env: str | None = None, logs: bool | None = None, reload: bool = False, cluster: Any = None,
            inspect: bool | str | None = None, inspect_redact: str | list[str] | None = None,
            tls: Any = None, http2: Any = None, *, argv: list[str] | None = None,
            **server_options: Any) -> None:
        """Serves the app until Ctrl-C or SIGTERM.

        Command-line flags (``--port 9000``...) win over these arguments, which win over defaults.
        `inspect`: True (or "HOST:PORT") serves the inspector API (docs/inspector.md).
        `inspect_redact`: header names (a list, or "a,b") the inspector redacts on top of its
        built-in rule; added to ``--inspect-redact`` and ``CELLO_INSPECT_REDACT``.
        `tls`: a :class:`cello.TlsConfig` to serve HTTPS (docs/tls.md); ``--tls-cert``/``--tls-key``
        name its files from the command line.
        `http2`: a :class:`cello.Http2Config`, or False for HTTP/1.1 only (docs/http2.md).
        `server_options`: max_body_size, max_header_size, body_buffer_size, header_timeout,
        keepalive_timeout, drain_timeout, body_timeout (bytes and seconds; docs/api.md).
        """
        if "cello.cli" in sys.modules and sys.modules["cello.cli"].importing_app:
            return  # the app's module is being imported to be served (a worker, a reload)
        parser = server_flag_parser(prog=sys.argv[0] if sys.argv else "app")
        flags, unknown = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
        if unknown:
            print(f"cello: ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)
        given = dict(host=host, port=port, workers=workers, env=env, logs=logs, reload=reload or None,
                     cluster=cluster, server_options=server_options, inspect=inspect,
                     inspect_redact=inspect_redact, tls=tls, http2=http2)
        try:
            config = resolve(given, vars(flags))
        except ValueError as e:
            parser.error(str(e))
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None) if main is not None and getattr(main, "app", None) is self else None
        serve(self, config, reload_target=script)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(app: App, config: RunConfig, reload_target: str | None = None, worker: WorkerCell | None = None) -> None:
    """Runs `app` with `config` in this process: startup hooks, then the server until Ctrl-C or
    SIGTERM, the graceful stop, then shutdown hooks. Returns after a clean stop. A failing startup
    hook exits with status 1 before the socket opens; a failing shutdown hook, with status 1 after
    the remaining hooks ran. Tracebacks go to stderr.

    With several processes (cluster mode) this process becomes their supervisor (cello.cluster),
    which re-imports the app from `reload_target` on SIGHUP; `worker` is set in each worker."""
    if config.reload and not reload_target:
        raise SystemExit("cello: --reload needs to know where the app comes from: "
                         "use `cello run app.py --reload` or app.run() from a script")
    if config.tls is not None and worker is None:
        from .tls import validate_tls_config

        try:  # a clear error before any socket, thread or worker process
            validate_tls_config(config.tls)
        except ValueError as e:
            raise SystemExit(f"cello: {e}") from None
    if config.processes > 1 and worker is None:
        from .cluster import Supervisor

        status = Supervisor(app, config, reload_target).run()
        if status:
            raise SystemExit(status)
        return
    inspect = config.inspect and worker is None  # a cluster's inspector is the supervisor's
    inspector = _cello.Inspector(config.workers, list(config.inspect_redact)) if inspect else None
    server = app.build_server(config, inspector, worker)
    # Installed before the startup hooks and the socket: a SIGTERM that arrives during start-up
    # still stops cleanly. Only the main thread may install handlers: an app run in another thread
    # (the original Cello's testing guide starts one in a daemon thread) serves without them.
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if on_main else None
    previous_hup = _reload_tls_on_sighup(server) if on_main and worker is None and config.tls is not None else None
    try:
        if not _startup(app, server):
            return
        reloader = None
        try:
            # Engine threads keep their loops after draining, for the shutdown hooks: _shutdown
            # below runs them and lets the threads go, whatever happens in between.
            server.engine_loops.hold_after_drain()
            root, reload_now = _reload_function(reload_target, server, config, inspector) if reload_target else (None, None)
            reloader = _start_reloader(root, reload_now) if config.reload and reload_now else None
            if inspector is not None:
                serve_inspector(inspector, config, reload_now)
            _serve_until_stopped(app, server, config, worker)
        finally:
            if reloader is not None:
                reloader.stop()
            if inspector is not None:
                inspector.stop()
                inspector.clear_reload_action()  # the action holds the server, which holds the inspector
            if on_main:
                signal.signal(signal.SIGTERM, previous)  # a second SIGTERM during shutdown hooks kills
            shutdown_ok = _shutdown(app, server)
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, previous)
        if previous_hup is not None:
            signal.signal(signal.SIGHUP, previous_hup)
    if worker is None:  # the supervisor tells of its workers
        print("cello: stopped", file=sys.stderr, flush=True)
    if not shutdown_ok:
        raise SystemExit(1)


def _reload_tls_on_sighup(server: Any) -> Any:
    """SIGHUP reads the TLS certificate and key again (a renewed certificate): connections open
    keep theirs, new ones get the new. Files that do not serve leave the old in use. Returns the
    previous handler (None where there is no SIGHUP)."""
    if not hasattr(signal, "SIGHUP"):
        return None

    def reload_tls(signum: int, frame: FrameType | None) -> None:
        try:
            server.reload_tls()
        except ValueError as e:
            print(f"cello: SIGHUP: the TLS files were not reloaded, the old ones stay in use: {e}",
                  file=sys.stderr, flush=True)
            return
        print("cello: SIGHUP: TLS certificate and key reloaded", file=sys.stderr, flush=True)

    return signal.signal(signal.SIGHUP, reload_tls)


def _reload_function(target: str, server: Any, config: RunConfig, inspector: Any) -> tuple[Any, Any]:
    """(root, reload): the app's directory and its in-process reload (cello.reload), which
    reports to `inspector`."""
    from pathlib import Path

    from .cli import load_app
    from .reload import make_reload

    location = target.partition(":")[0]
    root = Path(location).resolve().parent if location.endswith(".py") else Path.cwd()
    report = inspector.record_reload if inspector is not None else None
    return root, make_reload(lambda: load_app(target), server, config, root, report=report)


def _start_reloader(root: Any, reload: Any) -> Any:
    """Watches `root` and calls `reload` when a .py file changes."""
    from .reload import Reloader

    reloader = Reloader(root, reload).start()
    print(f"cello: watching {root} for changes", file=sys.stderr, flush=True)
    return reloader


def serve_inspector(inspector: Any, config: RunConfig, reload: Any) -> None:
    """Starts the inspector API and prints where it is and its token."""
    import os

    host, port = config.inspect
    if reload is not None:
        inspector.set_reload_action(reload)
    try:
        bound = inspector.serve(host, port, os.environ.get("CELLO_INSPECT_TOKEN", ""))
    except OSError as e:
        raise SystemExit(f"cello: inspector: {e.strerror or e}") from None
    shown = f"[{host}]" if ":" in host else host
    print(f"cello: inspector on http://{shown}:{bound}/inspect/v1 (token {inspector.token})",
          file=sys.stderr, flush=True)


def run_startup(app: App, server: Any) -> None:
    """The startup hooks, before the socket opens: the engine threads start (no socket yet), then
    the hooks run in order, sync ones here, async ones on every engine thread's loop. Raises the
    first failure (or a Ctrl-C), having stopped the server's threads."""
    server.start_threads()
    try:
        server.engine_loops.wait_ready()
        app._run_event("startup", server.engine_loops.loops)
        if app._health is not None:
            app._health.started()
    except BaseException:
        server.stop()
        server.wait(60)
        raise


def run_shutdown(app: App, server: Any, timeout: float = 60.0) -> bool:
    """The graceful stop, then the shutdown hooks (async ones on the engine threads' loops, which
    wait for them after draining), then the threads end. Raises the first hook failure once every
    hook ran; False if the threads did not end within `timeout`."""
    loops = server.engine_loops
    if app._health is not None:
        app._health.draining()  # /ready answers 503 first (for drain_secs): balancers move away
    loops.hold_after_drain()
    try:
        server.stop()
        loops.wait_drained(timeout)
        app._run_event("shutdown", loops.loops)
    finally:
        loops.release()
        stopped = bool(server.wait(timeout))  # joined here, never by a collector at exit
    return stopped


def _startup(app: App, server: Any) -> bool:
    """Runs the startup hooks. False if Ctrl-C or SIGTERM interrupted them (nothing is served and
    no shutdown hook runs); a failing hook prints its traceback and exits with status 1."""
    try:
        run_startup(app, server)
    except KeyboardInterrupt:
        print("cello: stopped during startup", file=sys.stderr, flush=True)
        return False
    except Exception:
        import traceback

        print("cello: a startup hook failed; not serving", file=sys.stderr)
        traceback.print_exc()
        raise SystemExit(1) from None
    return True


def _shutdown(app: App, server: Any) -> bool:
    """Stops the server, then runs the shutdown hooks; False if one failed (each failure is
    printed with its traceback)."""
    try:
        run_shutdown(app, server)
    except Exception:
        return False
    return True


def _serve_until_stopped(app: App, server: _cello.Server, config: RunConfig, worker: WorkerCell | None) -> None:
    """Opens the socket, serves until Ctrl-C or SIGTERM, then drains and joins the engine threads."""
    try:
        try:
            server.start()
        except OSError as e:
            raise SystemExit(f"cello: {e.strerror or e}") from None
        plural = "s" if config.workers != 1 else ""
        if worker is not None:
            worker.mark_ready()
        else:
            print(f"cello {_cello.__version__}: serving {len(app.routes)} routes on {config.scheme}://{config.host}:{server.port} "
                  f"({config.workers} engine thread{plural}, {config.env})", file=sys.stderr, flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if app._health is not None:
            app._health.draining()  # for drain_secs: still serving, /ready answering 503
        server.stop()  # the drain begins; _shutdown waits for it
