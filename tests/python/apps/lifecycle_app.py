"""Startup and shutdown hooks, sync and async, that report on stderr (tests/python/test_lifecycle.py).

CELLO_TEST_PORT: the port the server will listen on; a startup hook checks that nothing listens
there yet. CELLO_TEST_FAIL: "startup" makes the second startup hook raise, "shutdown" the first
shutdown hook. CELLO_TEST_SLOW_STARTUP: seconds the last startup hook sleeps.
"""
import asyncio
import os
import socket
import sys
import time

from cello import App

app = App()


def report(line: str) -> None:
    print(f"event: {line}", file=sys.stderr, flush=True)


@app.on_event("startup")
def open_resources():
    port = int(os.environ.get("CELLO_TEST_PORT", "0"))
    if port:
        with socket.socket() as s:
            listening = s.connect_ex(("127.0.0.1", port)) == 0
        report(f"startup 1 (port {'open' if listening else 'closed'})")
    else:
        report("startup 1")


@app.on_event("startup")
async def warm_up():
    await asyncio.sleep(0.01)
    asyncio.get_running_loop()
    if os.environ.get("CELLO_TEST_FAIL") == "startup":
        raise RuntimeError("the database is down")
    report("startup 2 (async)")


@app.on_event("startup")
def slow():
    seconds = float(os.environ.get("CELLO_TEST_SLOW_STARTUP", "0"))
    if seconds:
        report("startup 3 sleeping")
        time.sleep(seconds)
    report("startup 3")


@app.on_event("shutdown")
def close_resources():
    if os.environ.get("CELLO_TEST_FAIL") == "shutdown":
        raise RuntimeError("cannot close")
    report("shutdown 1")


@app.on_event("shutdown")
async def flush():
    await asyncio.sleep(0.01)
    report("shutdown 2 (async)")


@app.get("/")
def home(request):
    return "hello"


@app.get("/sleep")
def sleep(request):
    report("request started")  # the test signals only once the request is in flight
    time.sleep(float(request.query.get("s", "1")))
    report("request finished")
    return "slept"


if __name__ == "__main__":
    app.run()
