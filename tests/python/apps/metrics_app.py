"""enable_prometheus() under test: routes with a template, a slow one, a blocking one and a cached one."""
import os
import threading
import time

from cello import App, cache

app = App()
app.enable_prometheus(endpoint=os.environ.get("METRICS_ENDPOINT", "/metrics"),
                      namespace=os.environ.get("METRICS_NAMESPACE", "cello"),
                      subsystem=os.environ.get("METRICS_SUBSYSTEM", "http"))
released = threading.Event()


@app.get("/users/{id}")
def user(request):
    return {"id": request.params["id"]}


@app.post("/users")
def create_user(request):
    return {"created": True}, 201


@app.get("/slow")
def slow(request):
    time.sleep(0.05)
    return "slow"


@app.get("/block")
def block(request):
    # Held open until /release, so a scrape can see it in progress (the sleep releases the GIL).
    released.wait(10)
    released.clear()
    return "released"


@app.get("/release")
def release(request):
    released.set()
    return "ok"


@app.get("/reports/summary")
@cache(ttl=300, tags=["reports"])
def summary(request):
    return {"total": 42}


@app.get('/odd/a"b\\c')
def odd(request):
    return "odd"


if __name__ == "__main__":
    app.run()
