"""A cluster-mode test app: each answer says which worker process gave it."""
import asyncio
import ctypes
import os

from cello import App, ClusterConfig

VERSION = "v1"

app = App()


@app.on_event("startup")
def maybe_fail() -> None:
    if os.environ.get("CLUSTER_TEST_FAIL_STARTUP"):
        raise RuntimeError("startup refused (CLUSTER_TEST_FAIL_STARTUP)")


@app.get("/pid")
def pid(request):
    return {"pid": os.getpid(), "version": VERSION}


@app.get("/work")
def work(request):
    # About 100 µs of pure Python: the GIL is held throughout.
    n = 0
    for i in range(4000):
        n += i * i
    return {"n": n}


@app.get("/sleep")
async def sleep(request):
    seconds = float(request.query.get("s", "1"))
    print(f"sleep: started {os.getpid()}", flush=True)
    await asyncio.sleep(seconds)
    return {"slept": seconds, "pid": os.getpid()}


@app.get("/spin")
def spin(request):
    print(f"spin: started {os.getpid()}", flush=True)
    while True:  # a handler that never returns: the worker stops answering its heartbeat
        pass


@app.get("/exit")
def exit_now(request):
    os._exit(1)


@app.get("/segv")
def segv(request):
    ctypes.string_at(0)  # a real segmentation fault, on the engine thread


if __name__ == "__main__":
    settings = {k: float(v) if "." in v else int(v) for k, v in
                (item.split("=") for item in os.environ.get("CLUSTER_TEST_CONFIG", "").split(",") if item)}
    app.run(cluster=ClusterConfig(**settings))
