"""Redis as the fleet's tier of the response cache: :class:`RedisConfig` for
``app.enable_caching(backend=RedisConfig(...))`` (docs/caching.md, "Across servers: Redis").

The engine talks to Redis itself (hiredis on each engine thread's reactor): a cache hit from Redis
never takes the GIL. Each process keeps its own cache in front (the near tier); invalidations reach
every server through Redis pub/sub.
"""
from __future__ import annotations

import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any

__all__ = ["RedisConfig"]

_GLOB = set("*?[]\\")


@dataclass
class RedisConfig:
    """Where Redis is and how to use it, as the original Cello spells it.

    `url`: ``redis://[[user]:password@]host[:port][/database]``. `password` and a non-zero
    `database` override the URL's. `key_prefix` (default ``"cello:"``) comes before every key and
    the invalidation channel: servers that share entries share a prefix; change it when a deploy
    changes what responses look like. `connection_timeout_secs` bounds a connect, and a
    connection whose answers stop for that long is replaced. `lookup_timeout_secs` (Cello's) is
    how long a request waits for Redis before its handler answers instead.

    Accepted for the original's API and not needed here: `pool_size`, `min_idle` and
    `idle_timeout_secs` (each engine thread has one pipelined connection, and each process two
    more for invalidations), `default_ttl` (the routes' ttl applies). Not supported, and refused
    when the cache starts: `tls=True` (``rediss://``) and `cluster_mode=True` (Redis Cluster).
    """

    url: str = "redis://127.0.0.1:6379"
    pool_size: int = 10
    min_idle: int = 1
    connection_timeout_secs: float = 5
    idle_timeout_secs: float = 300
    cluster_mode: bool = False
    default_ttl: float | None = None
    database: int = 0
    password: str | None = None
    tls: bool = False
    key_prefix: str | None = None
    lookup_timeout_secs: float = 0.1

    @classmethod
    def local(cls) -> RedisConfig:
        """Redis on this machine's default port."""
        return cls()

    @classmethod
    def cluster(cls, url: str, pool_size: int = 20, password: str | None = None) -> RedisConfig:
        """The original's Redis Cluster preset (refused when used: Cello speaks to one Redis)."""
        return cls(url=url, pool_size=pool_size, password=password, cluster_mode=True)

    def validate(self) -> None:
        """Raises ValueError for what cannot work, before any server starts."""
        self._parts()

    def _parts(self) -> dict[str, Any]:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme == "rediss" or self.tls:
            raise ValueError("RedisConfig: TLS to Redis (rediss://, tls=True) is not supported yet")
        if parsed.scheme != "redis":
            raise ValueError(f"RedisConfig: url must be redis://host[:port][/database], not {self.url!r}")
        if self.cluster_mode:
            raise ValueError("RedisConfig: Redis Cluster (cluster_mode=True) is not supported; use one Redis primary")
        if not parsed.hostname:
            raise ValueError(f"RedisConfig: no host in {self.url!r}")
        try:
            port = parsed.port or 6379
        except ValueError:
            raise ValueError(f"RedisConfig: bad port in {self.url!r}") from None
        database = self.database
        if not database and parsed.path.strip("/"):
            try:
                database = int(parsed.path.strip("/"))
            except ValueError:
                raise ValueError(f"RedisConfig: the database in {self.url!r} must be a number") from None
        if not 0 <= database <= 65535:
            raise ValueError(f"RedisConfig: database must be 0 or more, not {database}")
        prefix = "cello:" if self.key_prefix is None else str(self.key_prefix)
        if not prefix or _GLOB & set(prefix):
            raise ValueError(f"RedisConfig: key_prefix must be non-empty, without * ? [ ] or \\, not {prefix!r}")
        if self.pool_size < 1:
            raise ValueError("RedisConfig: pool_size must be at least 1")
        for name in ("connection_timeout_secs", "lookup_timeout_secs"):
            if not getattr(self, name) > 0:
                raise ValueError(f"RedisConfig: {name} must be positive")
        password = self.password if self.password is not None else urllib.parse.unquote(parsed.password or "")
        return {"host": parsed.hostname, "port": port, "database": database, "key_prefix": prefix,
                "username": urllib.parse.unquote(parsed.username or "") if parsed.password else "",
                "password": password}

    def settings(self) -> dict[str, Any]:
        """What the engine takes (the host resolved to an address: the engine does no DNS)."""
        parts = self._parts()
        try:
            infos = socket.getaddrinfo(parts["host"], parts["port"], type=socket.SOCK_STREAM)
        except OSError as e:
            raise ValueError(f"RedisConfig: cannot resolve {parts['host']!r}: {e}") from None
        # IPv4 first, as hiredis resolves: a Redis bound to 127.0.0.1 is not reached on ::1.
        infos.sort(key=lambda info: info[0] != socket.AF_INET)
        parts["host"] = infos[0][4][0]
        parts.update(connect_timeout=float(self.connection_timeout_secs), lookup_timeout=float(self.lookup_timeout_secs))
        return parts
