"""FastAPI peer for bench/run.py (uvicorn fastapi_app:app --app-dir bench/apps)."""

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from payload import USERS

# No return annotations: since FastAPI 0.89 they become response models and add validation.
app = FastAPI()


@app.get("/")
async def home():
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
async def user(id: int):
    return {"id": id, "name": f"User {id}"}


@app.get("/json")
async def json_():
    return USERS


@app.post("/echo")
async def echo(request: Request):
    return await request.json()


class EchoIn(BaseModel):
    name: str
    n: int


async def source():  # async: a sync dependency would go through FastAPI's thread pool
    return "bench"


@app.post("/model")
async def model(body: EchoIn, src: str = Depends(source)):
    return {"name": body.name, "n": body.n, "source": src}
