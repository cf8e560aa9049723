"""A small app for connection-level tests (keep-alive, pipelining, workers, signals)."""
import os
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
    print(f"sleep: started {seconds}", flush=True)  # a test can wait for a request to be in flight
    time.sleep(seconds)
    return {"slept": seconds}


_meetings: dict[str, threading.Barrier] = {}
_meetings_lock = threading.Lock()


@app.get("/meet/{group}/{n:int}")
def meet(request):
    """Answers once `n` requests of `group` are inside this handler at the same time (a barrier),
    {"met": false} after 30 s: handlers run one at a time never all get there."""
    with _meetings_lock:
        barrier = _meetings.setdefault(request.params["group"], threading.Barrier(request.params["n"]))
    try:
        barrier.wait(30)
    except threading.BrokenBarrierError:
        return {"met": False}
    return {"met": True}


@app.get("/thread")
def thread(request):
    return {"thread": threading.get_ident()}


if __name__ == "__main__":
    # BASIC_APP_LONG_TIMEOUTS=N: keep-alive and drain timeouts of N s, for a test that shows a stop
    # does not wait for them.
    long = int(os.environ.get("BASIC_APP_LONG_TIMEOUTS", "0"))
    app.run(**({"keepalive_timeout": long, "drain_timeout": long} if long else {}))
