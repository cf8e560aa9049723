"""An app for test_http2.py: what HTTP/2 streams must carry like HTTP/1.1 requests (sync and async
handlers, bodies, streamed answers, server-sent events, large answers past the flow-control
window, errors, cookies and the Host)."""
import asyncio
import os

from cello import App, Response

app = App()
BIG = b"0123456789abcdef" * (3 * 1024 * 1024 // 16)  # 3 MiB: three times the default window


@app.get("/")
def home(request):
    return {"host": request.headers.get("host"), "cookie": request.headers.get("cookie"),
            "scheme": request.scheme, "alpn": request.tls["alpn"] if request.tls else None}


@app.get("/ok")
def ok(request):
    return "ok"


@app.get("/async")
async def slow_hello(request):
    await asyncio.sleep(0.01)
    return {"hello": "async"}


@app.get("/wait/{ms:int}")
async def wait(request):
    await asyncio.sleep(request.params["ms"] / 1000)
    return {"waited": request.params["ms"]}


@app.post("/echo")
def echo(request):
    body = request.body()
    return {"size": len(body), "head": body[:16].decode("latin-1")}


@app.post("/size/{n:int}")
def size(request):
    """200 when the body is exactly n bytes (what cello bench --http2 checks by status), else 400."""
    got = len(request.body())
    return Response(str(got), status=200 if got == request.params["n"] else 400)


@app.post("/upload")
async def upload(request):
    size = chunks = 0
    async for chunk in request.stream():  # a large body arrives while the handler runs
        size += len(chunk)
        chunks += 1
    return {"size": size, "chunks": chunks}


@app.post("/early")
def early(request):
    return {"ignored": True}  # answers without reading the (large) body


@app.get("/big")
def big(request):
    return Response(BIG, content_type="application/octet-stream")


@app.get("/stream")
def stream(request):
    def parts():
        for i in range(5):
            yield f"part {i}\n"
    return parts()


@app.get("/events")
def events(request):
    async def gen():
        for i in range(3):
            await asyncio.sleep(0.01)
            yield {"data": f"tick {i}"}
    return Response.sse(gen(), keepalive=None)


@app.get("/boom")
def boom(request):
    raise RuntimeError("handler failed on purpose")


if __name__ == "__main__":
    from cello import TlsConfig

    tls = TlsConfig(os.environ["TLS_CERT"], os.environ["TLS_KEY"]) if os.environ.get("TLS_CERT") else None
    app.run(tls=tls, write_timeout=int(os.environ.get("WRITE_TIMEOUT", "30")))
