"""A small app for connection-level tests (keep-alive, pipelining, workers, signals)."""
import threading
import time

from cello import App

app = App()


@app.get("/")
def home(request):
    return "hello"


@app.get("/n/{n:int}")
def number(request):
    n = request.params["n"]
    return {"n": n, "square": n * n}


@app.post("/echo")
def echo(request):
    return request.body()


@app.get("/sleep")
def sleep(request):
    seconds = float(request.query.get("s", "1"))
    time.sleep(seconds)
    return {"slept": seconds}


@app.get("/thread")
def thread(request):
    return {"thread": threading.get_ident()}


if __name__ == "__main__":
    app.run()
