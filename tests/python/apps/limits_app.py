"""An app with small server limits, run as `python3 limits_app.py --port 0` (the options come from run())."""
from cello import App

app = App()


@app.get("/")
def home(request):
    return "ok"


@app.post("/echo")
def echo(request):
    return request.body()


@app.post("/json")
def parse_json(request):
    return {"parsed": request.json()}


@app.post("/text")
def parse_text(request):
    return {"text": request.text()}


@app.post("/form")
def parse_form(request):
    return {"fields": {k: v for k, v in request.form().items() if isinstance(v, str)}}


@app.get("/query")
def query(request):
    return {"query": dict(request.query)}


@app.get("/raw-query")
def raw_query(request):
    return {"query_string": request.query_string}


@app.get("/p/{name}")
def param(request):
    return {"name": request.params["name"]}


if __name__ == "__main__":
    app.run(max_body_size=1024, max_header_size=2048, header_timeout=1, keepalive_timeout=1)
