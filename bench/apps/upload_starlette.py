"""Starlette side of bench/upload.py (uvicorn upload_starlette:app; form() needs python3-multipart)."""
import hashlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def form(request: Request) -> JSONResponse:
    upload = (await request.form())["file"]
    digest, size = hashlib.sha256(), 0
    while chunk := await upload.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return JSONResponse({"size": size, "sha256": digest.hexdigest()})


async def stream(request: Request) -> JSONResponse:
    digest, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return JSONResponse({"size": size, "sha256": digest.hexdigest()})


app = Starlette(routes=[Route("/form", form, methods=["POST"]), Route("/stream", stream, methods=["POST"])])
