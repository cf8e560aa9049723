"""Starlette peer for bench/run.py (uvicorn starlette_app:app --app-dir bench/apps)."""

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from payload import USERS


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, World!"})


async def user(request: Request) -> JSONResponse:
    i = request.path_params["id"]
    return JSONResponse({"id": i, "name": f"User {i}"})


async def json_(request: Request) -> JSONResponse:
    return JSONResponse(USERS)


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


async def await_sleep0(request: Request) -> JSONResponse:
    await asyncio.sleep(0)
    return JSONResponse({"message": "Hello, World!"})


async def await_soon(request: Request) -> JSONResponse:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, None)
    await future
    return JSONResponse({"message": "Hello, World!"})


async def await_sleep1ms(request: Request) -> JSONResponse:
    await asyncio.sleep(0.001)
    return JSONResponse({"message": "Hello, World!"})


app = Starlette(
    routes=[
        Route("/", home),
        Route("/users/{id:int}", user),
        Route("/json", json_),
        Route("/echo", echo, methods=["POST"]),
        Route("/await/sleep0", await_sleep0),
        Route("/await/soon", await_soon),
        Route("/await/sleep1ms", await_sleep1ms),
    ]
)
