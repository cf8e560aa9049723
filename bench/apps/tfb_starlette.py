"""The TechEmpower database tests for Starlette + asyncpg (bench/db_bench.py), as TechEmpower's own
Starlette app writes them: an asyncpg pool, prepared statements, Jinja2 for /fortunes."""
from __future__ import annotations

import os
from pathlib import Path
from operator import itemgetter
from random import randint, sample

import asyncpg
import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

UPDATE = "UPDATE world SET randomnumber = $1 WHERE id = $2"
ADDITIONAL = (0, "Additional fortune added at request time.")
TEMPLATE = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True).get_template("fortunes.html")
pool: asyncpg.Pool | None = None


async def setup() -> None:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=int(os.environ.get("DATABASE_POOL_SIZE", "8")),
                                     max_size=int(os.environ.get("DATABASE_POOL_SIZE", "8")))


def count(request) -> int:
    try:
        return min(max(int(request.query_params.get("queries", "1")), 1), 500)
    except ValueError:
        return 1


async def single_row(request):
    i = randint(1, 10000)
    async with pool.acquire() as conn:
        n = await conn.fetchval("SELECT randomnumber FROM world WHERE id = $1", i)
    return JSONResponse({"id": i, "randomNumber": n})


async def queries(request):
    ids = sample(range(1, 10001), count(request))
    async with pool.acquire() as conn:
        statement = await conn.prepare("SELECT randomnumber FROM world WHERE id = $1")
        worlds = [{"id": i, "randomNumber": await statement.fetchval(i)} for i in ids]
    return JSONResponse(worlds)


async def fortunes(request):
    async with pool.acquire() as conn:
        rows = [tuple(r) for r in await conn.fetch("SELECT id, message FROM fortune")]
    rows.append(ADDITIONAL)
    rows.sort(key=itemgetter(1))
    return HTMLResponse(TEMPLATE.render(fortunes=rows))


async def updates(request):
    ids = sorted(sample(range(1, 10001), count(request)))
    worlds = [{"id": i, "randomNumber": randint(1, 10000)} for i in ids]
    async with pool.acquire() as conn:
        statement = await conn.prepare("SELECT randomnumber FROM world WHERE id = $1")
        for i in ids:
            await statement.fetchval(i)
        await conn.executemany(UPDATE, [(w["randomNumber"], w["id"]) for w in worlds])
    return JSONResponse(worlds)


app = Starlette(routes=[Route("/db", single_row), Route("/queries", queries), Route("/fortunes", fortunes),
                        Route("/updates", updates)], on_startup=[setup])
