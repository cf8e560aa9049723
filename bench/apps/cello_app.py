"""Cello peer for bench/run.py: `cello run bench/apps/cello_app.py`."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cello import App  # noqa: E402
from payload import USERS  # noqa: E402

app = App()


@app.get("/")
def home(request):
    return {"message": "Hello, World!"}


@app.get("/users/{id:int}")
def user(request):
    i = request.params["id"]
    return {"id": i, "name": f"User {i}"}


@app.get("/json")
def json_(request):
    return USERS


@app.post("/echo")
def echo(request):
    return request.json()


if __name__ == "__main__":
    app.run()
