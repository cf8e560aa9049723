"""HTTPError and unhandled exceptions."""
from cello import App, HTTPError

app = App()


@app.get("/ok")
def ok(request):
    return {"ok": True}


@app.get("/err/conflict")
def conflict(request):
    raise HTTPError(409, "already exists", headers={"X-Why": "duplicate"})


@app.get("/err/detail-dict")
def detail_dict(request):
    raise HTTPError(422, {"field": "name", "problems": ["too short", "not ascii: ü"]})


@app.get("/err/no-detail")
def no_detail(request):
    raise HTTPError(401, headers={"WWW-Authenticate": "Bearer"})


@app.get("/err/not-found")
def not_found(request):
    raise HTTPError(404, "no such widget")


@app.get("/err/unavailable")
def unavailable(request):
    raise HTTPError(503, "down for maintenance", headers={"Retry-After": "120"})


@app.get("/err/boom")
def boom(request):
    raise RuntimeError("kaboom-secret-marker")


@app.get("/err/nested")
def nested(request):
    def inner_helper_function():
        return {}["missing-key-marker"]
    return inner_helper_function()


if __name__ == "__main__":
    app.run()
