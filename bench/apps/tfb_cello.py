"""The TechEmpower Framework Benchmarks' database tests for Cello (bench/db_bench.py).

DATABASE_URL: postgresql://... or sqlite:///... (World and Fortune tables made by db_bench.py).
TFB_SERIAL=1: /queries and /updates await each read before sending the next (the comparison row);
by default the reads are awaited together, so the driver pipelines them on the request's one
connection (TechEmpower allows driver pipelining since Round 17; each row is still read by its own
query).
"""
from __future__ import annotations

import asyncio
import os
from operator import itemgetter
from random import randint, sample

from cello import App, DatabaseConfig, Response, escape

app = App()
app.enable_database(DatabaseConfig(url=os.environ["DATABASE_URL"], pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "8"))))

WORLD = "SELECT id, randomnumber FROM world WHERE id = ?"
ADDITIONAL = (0, "Additional fortune added at request time.")


def count(request) -> int:
    try:
        return min(max(int(request.query.get("queries", "1")), 1), 500)
    except ValueError:
        return 1


@app.get("/db")
async def single(request):
    row = await request.db.fetch_one(WORLD, [randint(1, 10000)])
    return {"id": row[0], "randomNumber": row[1]}


SERIAL = os.environ.get("TFB_SERIAL") == "1"


async def read_worlds(db, ids) -> list:
    """The rows, one query each, on the request's one connection."""
    if SERIAL:
        return [await db.fetch_one(WORLD, [i]) for i in ids]
    return await asyncio.gather(*(db.fetch_one(WORLD, [i]) for i in ids))


@app.get("/queries")
async def queries(request):
    db = request.db
    async with db.connection():  # one connection for the 20 queries
        rows = await read_worlds(db, sample(range(1, 10001), count(request)))
    return [{"id": row[0], "randomNumber": row[1]} for row in rows]


@app.get("/fortunes")
async def fortunes(request):
    rows = [tuple(r) for r in await request.db.fetch_all("SELECT id, message FROM fortune")]
    rows.append(ADDITIONAL)
    rows.sort(key=itemgetter(1))
    body = "".join(f"<tr><td>{i}</td><td>{escape(m)}</td></tr>" for i, m in rows)
    html = ("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
            f"<tr><th>id</th><th>message</th></tr>{body}</table></body></html>")
    return Response(html, content_type="text/html; charset=utf-8")


@app.get("/updates")
async def updates(request):
    db = request.db
    ids = sorted(sample(range(1, 10001), count(request)))  # sorted: concurrent updates never deadlock
    async with db.connection():
        worlds = [{"id": row[0], "randomNumber": randint(1, 10000)} for row in await read_worlds(db, ids)]
        # One statement for the batch (the rules allow it).
        values = ", ".join("(?::int, ?::int)" for _ in worlds)
        params = [v for w in worlds for v in (w["id"], w["randomNumber"])]
        await db.execute(f"UPDATE world SET randomnumber = v.r FROM (VALUES {values}) AS v(id, r) "
                         "WHERE world.id = v.id", params)
    return worlds
