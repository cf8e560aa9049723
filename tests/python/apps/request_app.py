"""Echoes what the Request object exposes, one route per member."""
from cello import App, UploadFile

app = App()


@app.route("/method", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def method(request):
    return {"method": request.method}


@app.get("/paths/{name}")
def paths(request):
    return {"path": request.path, "raw_path": request.raw_path, "params": request.params}


@app.get("/users/{id:int}")
def user(request):
    user_id = request.params["id"]
    return {"id": user_id, "type": type(user_id).__name__}


@app.get("/users/{id:int}/posts/{slug}")
def user_post(request):
    return {"params": request.params, "types": {k: type(v).__name__ for k, v in request.params.items()}}


@app.get("/files/{p:path}")
def files(request):
    return {"params": request.params}


@app.get("/star/{*rest}")
def star(request):
    return {"params": request.params}


@app.get("/query")
def query(request):
    q = request.query
    return {
        "last": {k: q[k] for k in q},
        "all": {k: q.getlist(k) for k in q},
        "missing": q.get("missing"),
        "missing_list": q.getlist("missing"),
        "query_string": request.query_string,
    }


@app.get("/headers")
def headers(request):
    h = request.headers
    return {
        "lower": h["x-token"],
        "title": h["X-Token"],
        "upper": h["X-TOKEN"],
        "get": h.get("x-TOKEN"),
        "absent": h.get("x-absent"),
        "contains": "X-TOKEN" in h,
        "multi": h.getlist("x-multi"),
        "multi_upper": h.getlist("X-MULTI"),
        "host": h["host"],
    }


@app.get("/cookies")
def cookies(request):
    c = request.cookies
    return {"cookies": dict(c), "is_dict": isinstance(c, dict)}


@app.get("/client")
def client(request):
    ip, port = request.client
    return {"ip": ip, "port": port, "port_type": type(port).__name__}


@app.post("/body")
def body(request):
    data = request.body()
    return {"type": type(data).__name__, "len": len(data), "hex": data.hex(), "again": request.body() == data}


@app.post("/text")
def text(request):
    value = request.text()
    return {"type": type(value).__name__, "text": value}


@app.post("/json")
def json_(request):
    first = request.json()
    return {"data": first, "cached": request.json() is first}


@app.post("/form")
def form(request):
    f = request.form()
    fields = {}
    for key in f:
        value = f[key]
        if isinstance(value, UploadFile):
            content = value.read()
            fields[key] = {"filename": value.filename, "content_type": value.content_type,
                           "content_hex": content.hex(), "read_type": type(content).__name__}
        else:
            fields[key] = value
    return {"fields": fields, "lists": {k: [v if isinstance(v, str) else v.filename for v in f.getlist(k)]
                                         for k in f}}


@app.get("/state")
def state(request):
    before = dict(request.state)
    request.state["seen"] = True
    return {"before": before, "after": dict(request.state), "is_dict": isinstance(request.state, dict)}


@app.get("/app")
def app_(request):
    return {"same": request.app is app, "type": type(request.app).__name__}


if __name__ == "__main__":
    app.run()
