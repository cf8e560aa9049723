"""app.enable_*(): native middleware, configured from Python, run by the engine with no Python per
request. Each call records settings; the engine builds the middleware when the app is served."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from . import _cello
from .redis import RedisConfig

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
DEFAULT_CACHE_TTL = 60.0  # @cache() without ttl, and without enable_caching()

# Sent by enable_security_headers() unless overridden (None drops one).
DEFAULT_SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class RateLimitConfig:
    """A rate limit per client address, natively; over it: 429 with Retry-After.

    ``RateLimitConfig(requests=100, per=60.0, burst=None)``: a token bucket, `requests` per `per`
    seconds, bursts up to `burst` (default: `requests`); cluster-wide in cluster mode.
    ``.token_bucket(capacity, refill_rate)``, ``.sliding_window(max_requests, window_secs)`` (no burst
    at a window's edge) and ``.adaptive(capacity, refill_rate, min_capacity, error_threshold)`` (the
    budget shrinks to `min_capacity` while the share of 5xx answers is above `error_threshold`) are
    the original Cello's; the last two count per process in cluster mode. `X-Forwarded-For` is
    believed only from `trusted_proxies` (IP addresses or CIDR blocks)."""

    __slots__ = ("algorithm", "requests", "per", "burst", "trusted_proxies", "max_requests", "window_secs",
                 "capacity", "refill_rate", "min_capacity", "error_threshold")

    def __init__(self, requests: int | str = 100, per: float = 60.0, burst: int | None = None,
                 trusted_proxies: Iterable[str] = (), *, algorithm: str | None = None, capacity: int | None = None,
                 refill_rate: float | None = None, max_requests: int | None = None, window_secs: float | None = None,
                 min_capacity: int | None = None, error_threshold: float | None = None, **original: Any) -> None:
        # The original Cello's spelling: RateLimitConfig("token_bucket", capacity=..., refill_rate=...).
        if isinstance(requests, str):
            algorithm, requests = requests, 100
        self.algorithm = algorithm or "token_bucket"
        if self.algorithm not in ("token_bucket", "sliding_window", "adaptive"):
            raise ValueError(f"unknown rate limit algorithm {algorithm!r}: token_bucket, sliding_window or adaptive")
        self.capacity = int(100 if capacity is None else capacity)
        self.refill_rate = float(10 if refill_rate is None else refill_rate)
        if self.algorithm == "token_bucket" and (capacity is not None or refill_rate is not None or algorithm):
            if self.capacity < 1 or not self.refill_rate > 0:
                raise ValueError("token bucket needs capacity >= 1 and refill_rate > 0")
            requests = max(1, round(self.refill_rate))
            per, burst = requests / self.refill_rate, self.capacity
        if requests < 1 or not per > 0:
            raise ValueError("rate limit needs requests >= 1 and per > 0")
        self.requests = int(requests)
        self.per = float(per)
        self.burst = int(burst if burst is not None else requests)
        if self.burst < 1:
            raise ValueError("rate limit burst must be >= 1")
        self.max_requests = int(100 if max_requests is None else max_requests)
        self.window_secs = float(60 if window_secs is None else window_secs)
        if self.algorithm == "sliding_window" and (self.max_requests < 1 or not self.window_secs > 0):
            raise ValueError("sliding window needs max_requests >= 1 and window_secs > 0")
        self.min_capacity = int(max(1, self.capacity // 10) if min_capacity is None else min_capacity)
        self.error_threshold = float(0.1 if error_threshold is None else error_threshold)
        if self.algorithm == "adaptive" and not (1 <= self.min_capacity <= self.capacity and self.refill_rate > 0
                                                 and 0 <= self.error_threshold < 1):
            raise ValueError("adaptive needs capacity >= min_capacity >= 1, refill_rate > 0, 0 <= error_threshold < 1")
        self.trusted_proxies = [str(p) for p in trusted_proxies]

    @classmethod
    def token_bucket(cls, capacity: int, refill_rate: float) -> RateLimitConfig:
        """The original Cello's spelling: bursts of `capacity`, `refill_rate` requests a second."""
        return cls(algorithm="token_bucket", capacity=capacity, refill_rate=refill_rate)

    @classmethod
    def sliding_window(cls, max_requests: int, window_secs: float) -> RateLimitConfig:
        """At most `max_requests` in any `window_secs` seconds."""
        return cls(algorithm="sliding_window", max_requests=max_requests, window_secs=window_secs)

    @classmethod
    def adaptive(cls, capacity: int, refill_rate: float, min_capacity: int | None = None,
                 error_threshold: float | None = None) -> RateLimitConfig:
        """A token bucket that shrinks to `min_capacity` (default capacity / 10) while more than
        `error_threshold` (default 0.1) of the last 10 seconds' answers were 5xx."""
        return cls(algorithm="adaptive", capacity=capacity, refill_rate=refill_rate, min_capacity=min_capacity,
                   error_threshold=error_threshold)

    @property
    def middleware(self) -> str:
        """The native middleware this configuration enables."""
        return {"token_bucket": "rate_limit", "sliding_window": "sliding_window",
                "adaptive": "adaptive_rate_limit"}[self.algorithm]

    def settings(self) -> dict[str, Any]:
        """The engine's settings for this configuration."""
        if self.algorithm == "sliding_window":
            return {"max_requests": self.max_requests, "window_secs": self.window_secs,
                    "trusted_proxies": self.trusted_proxies}
        if self.algorithm == "adaptive":
            return {"capacity": float(self.capacity), "refill_rate": self.refill_rate,
                    "min_capacity": float(self.min_capacity), "error_threshold": self.error_threshold,
                    "trusted_proxies": self.trusted_proxies}
        return {"requests": self.requests, "per": self.per, "burst": self.burst,
                "trusted_proxies": self.trusted_proxies}


class MiddlewareMixin:
    """The enable_*() methods of App."""

    def _init_middleware(self) -> None:
        self._middleware: dict[str, dict[str, Any]] = {}
        self._static: list[dict[str, Any]] = []
        self._log_settings: dict[str, Any] | None = None  # set: logging asked for explicitly
        self._cache_defaults: dict[str, Any] | None = None  # enable_caching(): every route cached
        self._cache_backend: RedisConfig | None = None  # enable_caching(backend=...): the fleet tier
        self._server_defaults: dict[str, Any] = {}  # enable_timeouts()/enable_limits(); run() overrides
        self._handler_timeout: float | None = None

    def enable_cors(self, origins: Iterable[str] | None = None, methods: Iterable[str] | None = None,
                    headers: Iterable[str] | None = None, credentials: bool = False, max_age: int = 86400,
                    expose_headers: Iterable[str] | None = None) -> None:
        """CORS: `origins` (None or "*" for any), allowed `methods` and request `headers`. Preflights
        are answered natively, also on paths without an OPTIONS route. With `credentials=True` the
        exact origin is reflected, never "*"."""
        origin_list = ["*"] if origins is None else [str(o) for o in ([origins] if isinstance(origins, str) else origins)]
        self._middleware["cors"] = {
            "origins": origin_list,
            "methods": [m.upper() for m in (methods or ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])],
            "headers": [str(h) for h in (headers or ["*"])],
            "expose_headers": [str(h) for h in (expose_headers or [])],
            "credentials": bool(credentials),
            "max_age": int(max_age),
        }

    def enable_compression(self, min_size: int = 1024, level: int = 6) -> None:
        """gzip for compressible bodies of at least `min_size` bytes when the client accepts it."""
        if not 1 <= level <= 9:
            raise ValueError("compression level must be 1..9")
        self._middleware["compression"] = {"min_size": int(min_size), "level": int(level)}

    def enable_logging(self, format: str = "text") -> None:
        """One line per request on stderr, "text" or "json"; on even in production."""
        if format not in ("text", "json"):
            raise ValueError("log format must be 'text' or 'json'")
        self._log_settings = {"format": format}

    def enable_prometheus(self, endpoint: str = "/metrics", namespace: str = "cello",
                          subsystem: str = "http") -> None:
        """Prometheus metrics served natively at `endpoint` (text format 0.0.4)."""
        if not endpoint.startswith("/"):
            raise ValueError("the metrics endpoint must start with '/'")
        self._middleware["metrics"] = {"endpoint": endpoint, "namespace": namespace, "subsystem": subsystem}

    def enable_caching(self, ttl: float = 300, methods: Iterable[str] | None = None,
                       exclude_paths: Iterable[str] | None = None, *, max_bytes: int = DEFAULT_CACHE_BYTES,
                       all_routes: bool = True, backend: RedisConfig | None = None) -> None:
        """Caches every route's 2xx responses for `ttl` seconds, as the original Cello does: routes
        of `methods` (GET and HEAD; only those can be cached) whose path does not start with one of
        `exclude_paths` (default ``["/health", "/metrics"]``, replaced when given). ``@cache``
        routes keep their own settings (a ``@cache()`` without ttl takes this one). `max_bytes`
        bounds the cache's memory (LRU by bytes). The same rules as @cache apply (docs/caching.md):
        requests with credentials bypass it, and Set-Cookie or Cache-Control: private responses are
        not stored. ``all_routes=False``: only the @cache routes (then `ttl` is their default).
        ``backend=RedisConfig(...)``: entries are shared by every server using that Redis, and
        invalidations reach them all; this process's cache stays in front of it."""
        if not ttl > 0:
            raise ValueError(f"cache ttl must be a positive number of seconds, not {ttl!r}")
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        wanted = [m.upper() for m in (methods if methods is not None else ("GET", "HEAD"))]
        if any(m not in ("GET", "HEAD") for m in wanted):
            raise ValueError(f"only GET and HEAD responses can be cached, not {wanted}")
        excluded = ["/health", "/metrics"] if exclude_paths is None else [str(p) for p in exclude_paths]
        if backend is not None:
            if not isinstance(backend, RedisConfig):
                raise TypeError(f"backend must be a RedisConfig, not {type(backend).__name__}")
            if not _cello.HAS_REDIS:
                raise ValueError("this build of Cello has no Redis (Windows builds have none yet)")
            backend.validate()
        self._cache_backend = backend
        self._cache.max_bytes = int(max_bytes)
        self._cache_defaults = {"ttl": float(ttl), "methods": wanted if all_routes else [], "exclude_paths": excluded}

    def _cache_policy(self, method: str, path: str, declared: dict[str, Any] | None,
                      guarded: bool = False) -> dict[str, Any] | None:
        """The cache settings of one route: its @cache, else enable_caching()'s when it applies."""
        defaults = self._cache_defaults
        if declared is not None:
            if declared["ttl"] is None:  # @cache() without ttl: the app's default
                declared = {**declared, "ttl": defaults["ttl"] if defaults else DEFAULT_CACHE_TTL}
            return declared
        if defaults is None or method not in defaults["methods"]:
            return None
        if guarded:  # the cache answers before guards run: a guarded route is cached only by its own @cache
            return None
        if any(path.startswith(prefix) for prefix in defaults["exclude_paths"]):
            return None
        return {"ttl": defaults["ttl"], "tags": [], "vary": [], "key": None}

    def enable_request_id(self, header: str = "X-Request-ID") -> None:
        """Propagates the client's request id header or generates one; visible as `request.id`,
        in the log line and in the response."""
        self._middleware["request_id"] = {"header": header}

    def enable_security_headers(self, config: Any = None, csp: Any = None, **overrides: str | None) -> None:
        """Adds security headers to every response. Keyword arguments override the defaults by
        name, underscores for dashes (``x_frame_options="SAMEORIGIN"``, ``content_security_policy=
        "default-src 'self'"``, ``strict_transport_security="max-age=63072000"``); None drops one.
        The original Cello's builders work too: `config` a cello.security.SecurityHeadersConfig
        (its headers replace the defaults they name), `csp` a cello.security.CSP (or a str)."""
        headers: dict[str, str | None] = dict(DEFAULT_SECURITY_HEADERS)
        if config is not None:
            headers.update(config.headers())
        if csp is not None:
            headers["Content-Security-Policy"] = str(csp)
        for key, value in overrides.items():
            name = "-".join(part.capitalize() for part in key.split("_"))
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        self._middleware["security_headers"] = {"headers": [(k, v) for k, v in headers.items() if v is not None]}

    def enable_native_middleware(self, name: str, **settings: Any) -> None:
        """Enables the native middleware `name` (``_cello.middleware_names()``) with `settings`, the
        way every enable_*() does: a middleware added to the engine needs no Python of its own.
        Enabling one again replaces its settings."""
        from . import _cello

        if name not in _cello.middleware_names():
            raise ValueError(f"no native middleware {name!r} (there are: {', '.join(_cello.middleware_names())})")
        self._middleware[name] = dict(settings)

    def enable_circuit_breaker(self, failure_threshold: int = 5, reset_timeout: float = 30, half_open_target: int = 3,
                               failure_codes: Iterable[int] | None = None) -> None:
        """A circuit breaker per route (the original Cello's), natively: after `failure_threshold`
        answers in a row with a status in `failure_codes` (500, 502, 503, 504) the route is answered
        503 with Retry-After, without running its handler, for `reset_timeout` seconds; then requests
        go through as probes, and `half_open_target` successes in a row close the circuit (one
        failure opens it again). Per process."""
        codes = [500, 502, 503, 504] if failure_codes is None else [int(c) for c in failure_codes]
        self.enable_native_middleware("circuit_breaker", failure_threshold=int(failure_threshold),
                                      reset_timeout=float(reset_timeout), half_open_target=int(half_open_target),
                                      failure_codes=[str(c) for c in codes])

    def enable_timeouts(self, config: Any = None) -> None:
        """Applies a cello.limits.TimeoutConfig (the original Cello's) to the engine."""
        from .limits import TimeoutConfig

        config = config or TimeoutConfig()
        self._server_defaults.update(config.server_options())
        self._handler_timeout = config.handler

    def enable_limits(self, config: Any = None) -> None:
        """Applies a cello.limits.LimitsConfig (the original Cello's) to the engine."""
        from .limits import LimitsConfig

        self._server_defaults.update((config or LimitsConfig()).server_options())

    def enable_rate_limit(self, config: RateLimitConfig | None = None) -> None:
        """A rate limit per client address (cello.RateLimitConfig: token bucket, sliding window or
        adaptive); over it: 429 with Retry-After. Enabling one replaces the one enabled before."""
        config = config or RateLimitConfig()
        for name in ("rate_limit", "sliding_window", "adaptive_rate_limit"):
            self._middleware.pop(name, None)
        self._middleware[config.middleware] = config.settings()

    def static(self, prefix: str, directory: str | os.PathLike[str], max_age: int = 3600) -> None:
        """Serves files under `directory` at `prefix` natively (ETag, Last-Modified, Range)."""
        if not prefix.startswith("/"):
            raise ValueError("the static prefix must start with '/'")
        path = os.path.realpath(directory)
        if not os.path.isdir(path):
            raise ValueError(f"static directory {directory!r} does not exist")
        self._static.append({"prefix": prefix.rstrip("/") or "/", "directory": path, "max_age": int(max_age)})

    def _middleware_settings(self, logs: bool, logs_explicit: bool) -> list[tuple[str, Mapping[str, Any]]]:
        """Every middleware to build, as (name, settings). The request log is on when a flag or
        run(logs=...) says so, else when enable_logging() was called or the default for the
        environment (`logs`) is on."""
        out: list[tuple[str, Mapping[str, Any]]] = list(self._middleware.items())
        out += [("static", s) for s in self._static]
        if (logs if logs_explicit else (logs or self._log_settings is not None)):
            out.append(("logging", self._log_settings or {"format": "text"}))
        return out
