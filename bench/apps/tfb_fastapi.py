"""The TechEmpower database tests for FastAPI + asyncpg (bench/db_bench.py), as TechEmpower's own
FastAPI app writes them: an asyncpg pool, prepared statements, Jinja2 for /fortunes."""
from __future__ import annotations

import os
from pathlib import Path
from operator import itemgetter
from random import randint, sample

import asyncpg
import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

UPDATE = "UPDATE world SET randomnumber = $1 WHERE id = $2"
ADDITIONAL = (0, "Additional fortune added at request time.")
TEMPLATE = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True).get_template("fortunes.html")
app = FastAPI()
pool: asyncpg.Pool | None = None


@app.on_event("startup")
async def setup() -> None:
    global pool
    size = int(os.environ.get("DATABASE_POOL_SIZE", "8"))
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=size, max_size=size)


def count(queries: str | None) -> int:
    try:
        return min(max(int(queries or "1"), 1), 500)
    except ValueError:
        return 1


@app.get("/db")
async def single():
    i = randint(1, 10000)
    async with pool.acquire() as conn:
        n = await conn.fetchval("SELECT randomnumber FROM world WHERE id = $1", i)
    return {"id": i, "randomNumber": n}


@app.get("/queries")
async def queries(queries: str | None = None):
    ids = sample(range(1, 10001), count(queries))
    async with pool.acquire() as conn:
        statement = await conn.prepare("SELECT randomnumber FROM world WHERE id = $1")
        return [{"id": i, "randomNumber": await statement.fetchval(i)} for i in ids]


@app.get("/fortunes")
async def fortunes():
    async with pool.acquire() as conn:
        rows = [tuple(r) for r in await conn.fetch("SELECT id, message FROM fortune")]
    rows.append(ADDITIONAL)
    rows.sort(key=itemgetter(1))
    return HTMLResponse(TEMPLATE.render(fortunes=rows))


@app.get("/updates")
async def updates(queries: str | None = None):
    ids = sorted(sample(range(1, 10001), count(queries)))
    worlds = [{"id": i, "randomNumber": randint(1, 10000)} for i in ids]
    async with pool.acquire() as conn:
        statement = await conn.prepare("SELECT randomnumber FROM world WHERE id = $1")
        for i in ids:
            await statement.fetchval(i)
        await conn.executemany(UPDATE, [(w["randomNumber"], w["id"]) for w in worlds])
    return worlds
