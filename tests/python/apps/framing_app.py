"""Request framing and what handlers may send: run as `python3 framing_app.py --port 0`.

Small limits (header 2048, body 1024, header timeout 5 s) so the bounds are reached with little data.
The /send/* routes return what a careless or hostile handler might: framing headers, control
characters in values, names that are not tokens, statuses outside 200-599.
"""
import asyncio

from cello import App, HTTPError, Response

app = App()


@app.get("/")
def home(request):
    return "ok"


@app.post("/echo")
def echo(request):
    return {"body": request.body().decode("latin-1"), "version": request.headers.get("X-Version")}


@app.get("/p/{name}")
def param(request):
    return {"name": request.params["name"]}


@app.get("/host")
def host(request):
    return {"host": request.headers.get("Host")}


@app.get("/send/header")
def send_header(request):
    """?name=...&value=... (percent-decoded), set on a Response object."""
    return Response(b"body", headers={request.query["name"]: request.query["value"]})


@app.get("/send/header-tuple")
def send_header_tuple(request):
    return "body", 200, {request.query["name"]: request.query["value"]}


@app.get("/send/header-async")
async def send_header_async(request):
    await asyncio.sleep(0)
    return Response(b"body", headers={request.query["name"]: request.query["value"]})


@app.get("/send/content-type")
def send_content_type(request):
    return Response(b"body", content_type=request.query["value"])


@app.get("/send/status/{code:int}")
def send_status(request):
    return "body", request.params["code"]


@app.get("/send/status-attr/{code:int}")
def send_status_attr(request):
    response = Response(b"body")
    response.status = request.params["code"]  # past the constructor's check
    return response


@app.get("/send/http-error-header")
def send_http_error_header(request):
    raise HTTPError(409, "conflict", headers={"Content-Length": "0"})


if __name__ == "__main__":
    app.run(max_body_size=1024, max_header_size=2048, header_timeout=5, keepalive_timeout=5)
