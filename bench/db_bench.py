#!/usr/bin/python3
"""The TechEmpower Framework Benchmarks' database tests: Cello against FastAPI + asyncpg and
Starlette + asyncpg, on one local PostgreSQL 15 (and Cello's /db on SQLite).

    /usr/bin/python3 bench/db_bench.py [--duration 8] [--rounds 3] [--connections 64] [--out F]

Starts a throwaway PostgreSQL cluster (tests/python/pg_server.py: Debian's postgresql-15, as
`nobody` when run as root), fills `World` (10,000 rows) and `Fortune` (12 rows, TechEmpower's), and a
SQLite file with the same `World`. Every server runs pinned to CPU 0 with one engine thread (one
uvicorn worker) and a pool of --pool connections; PostgreSQL and wrk share CPU 1. Endpoints, as the
rules say: /db (one random row), /queries?queries=20 (20 separate queries), /fortunes (all rows
plus one added at request time, sorted, rendered as escaped HTML), /updates?queries=20 (20 reads,
then the 20 rows written; Cello's reads are awaited together and pipelined by its driver on
the request's connection, and `cello-serial` awaits them one at a time). Each response is checked before it is measured. Servers and endpoints
take turns for --rounds (the World table vacuumed before each measurement: /updates leaves dead
rows behind); each row is that server's median round. The table gives req/s, p50, p99
and the server's CPU µs per request, then the ratios the issue asks for.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests" / "python"))

import pg_server  # noqa: E402
from run import (APPS, CLIENT_CPU, PYTHON, REPO, Server, cpu_seconds, run_wrk, start_server,  # noqa: E402
                 stop_server, uvicorn_command)

FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]

ENDPOINTS = {
    "db": "/db",
    "queries": "/queries?queries=20",
    "fortunes": "/fortunes",
    "updates": "/updates?queries=20",
}
TARGETS = {"db": 3.0, "fortunes": 3.0, "queries": 2.0, "updates": 2.0}  # × FastAPI + asyncpg


def fill_postgres(dsn: str) -> None:
    from cello import DatabaseConfig
    from cello import db as cdb

    s = cdb.Database(DatabaseConfig(url=dsn, pool_size=1)).sync
    s.execute("CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)")
    s.execute("INSERT INTO world SELECT i, floor(random() * 10000 + 1) FROM generate_series(1, 10000) AS i")
    s.execute("CREATE TABLE fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL)")
    s.execute_many("INSERT INTO fortune VALUES (?, ?)", [[i + 1, m] for i, m in enumerate(FORTUNES)])
    s.execute("VACUUM ANALYZE")


def cdb_sync(dsn: str):
    from cello import DatabaseConfig
    from cello import db as cdb

    return cdb.Database(DatabaseConfig(url=dsn, pool_size=1)).sync


def fill_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE world (id INTEGER PRIMARY KEY, randomnumber INTEGER NOT NULL)")
        c.executemany("INSERT INTO world VALUES (?, abs(random()) % 10000 + 1)", [(i,) for i in range(1, 10001)])


def pin_postgres(dsn: str) -> None:
    """The postmaster (and so every backend it forks from now on) on the load generator's CPU."""
    from cello import DatabaseConfig
    from cello import db as cdb

    backend = cdb.Database(DatabaseConfig(url=dsn, pool_size=1)).sync.fetch_val("SELECT pg_backend_pid()")
    postmaster = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1]  # its parent
    subprocess.run(["taskset", "-a", "-cp", CLIENT_CPU, postmaster], check=True, capture_output=True)


def check(port: int, key: str) -> None:
    """The answer follows the rules (shape, escaping, sort order) before it is measured."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{ENDPOINTS[key]}", timeout=10) as r:
        body = r.read().decode()
        kind = r.headers.get("Content-Type", "")
    if key == "fortunes":
        assert kind.startswith("text/html"), kind
        assert "&lt;script&gt;" in body and "<script>" not in body, body
        messages = re.findall(r"<td>\d+</td><td>(.*?)</td>", body)
        assert len(messages) == 13 and "Additional fortune added at request time." in messages, body
        return
    data = json.loads(body)
    rows = [data] if key == "db" else data
    assert len(rows) == (1 if key == "db" else 20), body
    assert all(set(r) == {"id", "randomNumber"} and 1 <= r["id"] <= 10000 for r in rows), body


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--pool", type=int, default=8, help="connections per server's pool")
    p.add_argument("--cello-bin", default=str(REPO / "build" / "cello"))
    p.add_argument("--endpoints", default=",".join(ENDPOINTS))
    p.add_argument("--servers", default="cello,cello-serial,cello-sqlite,fastapi,starlette")
    p.add_argument("--out", default=str(BENCH / "db_results.md"))
    args = p.parse_args()
    keys = [k for k in args.endpoints.split(",") if k]
    names = [n for n in args.servers.split(",") if n]

    with tempfile.TemporaryDirectory(prefix="cello-dbbench-") as tmp_name, pg_server.running() as dsn:
        tmp = Path(tmp_name)
        pin_postgres(dsn)
        fill_postgres(dsn)
        fill_sqlite(tmp / "world.db")
        pool = ("DATABASE_POOL_SIZE", str(args.pool))
        cello_cmd = lambda port: [args.cello_bin, "run", str(APPS / "tfb_cello.py"), "--host", "127.0.0.1",  # noqa: E731
                                  "--port", str(port), "--workers", "1", "--env", "production", "--no-logs"]
        known = {
            "cello": Server("cello", 8101, cello_cmd(8101), frozenset(ENDPOINTS), (("DATABASE_URL", dsn), pool)),
            "cello-serial": Server("cello-serial", 8105, cello_cmd(8105), frozenset({"queries", "updates"}),
                                   (("DATABASE_URL", dsn), pool, ("TFB_SERIAL", "1"))),
            "cello-sqlite": Server("cello-sqlite", 8102, cello_cmd(8102), frozenset({"db"}),
                                   (("DATABASE_URL", f"sqlite:///{tmp / 'world.db'}"), pool)),
            "fastapi": Server("fastapi", 8103, uvicorn_command("tfb_fastapi", 8103), frozenset(ENDPOINTS),
                              (("DATABASE_URL", dsn), pool)),
            "starlette": Server("starlette", 8104, uvicorn_command("tfb_starlette", 8104), frozenset(ENDPOINTS),
                                (("DATABASE_URL", dsn), pool)),
        }
        servers = [known[n] for n in names]
        procs = {}
        runs: dict[tuple[str, str], list[tuple[float, float | None, float | None, float | None]]] = {}
        try:
            for s in servers:
                procs[s.name] = start_server(s, tmp / f"{s.name}.log")
                for key in keys:
                    if key in s.endpoints:
                        check(s.port, key)
            admin = cdb_sync(dsn)
            for _ in range(args.rounds):
                for key in keys:
                    for s in servers:
                        if key not in s.endpoints:
                            continue
                        # /updates leaves dead row versions behind: without a vacuum every later
                        # measurement (of any server) reads a bloated table, and rounds drift.
                        admin.execute("VACUUM ANALYZE world")
                        url = f"http://127.0.0.1:{s.port}{ENDPOINTS[key]}"
                        if args.warmup:
                            run_wrk(url, args.warmup, args.connections, None, latency=False)
                        before = cpu_seconds(procs[s.name].pid)
                        r = run_wrk(url, args.duration, args.connections, None, latency=True)
                        cpu = (cpu_seconds(procs[s.name].pid) - before) * 1e6 / r.requests if r.requests else None
                        if r.errors:
                            print(f"   {s.name} {key}: {r.errors} errors", file=sys.stderr)
                        print(f"   {key} {s.name}: {r.rps:,.0f} req/s, {cpu or 0:.0f} CPU µs/req", file=sys.stderr)
                        runs.setdefault((key, s.name), []).append((r.rps, r.p50_us, r.p99_us, cpu))
        finally:
            for proc in procs.values():
                stop_server(proc)

    def median(key: str, name: str):
        done = sorted(runs.get((key, name), []))
        return done[len(done) // 2] if done else None

    lines = [f"# Cello database benchmark ({datetime.datetime.now():%Y-%m-%d %H:%M})", "",
             f"TechEmpower's database tests on a local PostgreSQL 15 (World 10,000 rows, Fortune 12). Servers on "
             f"CPU 0, one engine thread / one uvicorn worker, pools of {args.pool}; PostgreSQL and wrk on CPU 1 "
             f"(`wrk -t1 -c{args.connections} -d{args.duration}s`), {args.rounds} rounds taking turns, median round.",
             "", "| test | server | req/s | p50 | p99 | CPU µs/req |", "|---|---|---:|---:|---:|---:|"]
    for key in keys:
        for s in servers:
            m = median(key, s.name)
            if m:
                lines.append(f"| {ENDPOINTS[key]} | {s.name} | {m[0]:,.0f} | {(m[1] or 0) / 1000:.2f} ms | "
                             f"{(m[2] or 0) / 1000:.2f} ms | {m[3] or 0:.0f} |")
    lines.append("")
    for key in keys:
        c, f, st = median(key, "cello"), median(key, "fastapi"), median(key, "starlette")
        if c and f:
            ratio = c[0] / f[0]
            verdict = "meets" if ratio >= TARGETS[key] else "below"
            lines.append(f"- {ENDPOINTS[key]}: Cello/FastAPI {ratio:.2f}× (target {TARGETS[key]:g}×: {verdict})"
                         + (f", Cello/Starlette {c[0] / st[0]:.2f}×" if st else ""))
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO / "build" / "python"))
    sys.path.insert(0, os.environ["PYTHONPATH"].split(os.pathsep)[0])
    sys.exit(main())
