"""Starlette peer for bench/run.py (uvicorn starlette_app:app --app-dir bench/apps)."""

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


app = Starlette(
    routes=[
        Route("/", home),
        Route("/users/{id:int}", user),
        Route("/json", json_),
        Route("/echo", echo, methods=["POST"]),
    ]
)
