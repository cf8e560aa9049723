"""App for test_compression.py: bodies of every kind behind enable_compression()."""
import itertools

from cello import App, Response, cache

app = App()
app.enable_compression(min_size=1024)

TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(200))
ROWS = [{"id": i, "name": f"user-{i}", "active": i % 2 == 0} for i in range(100)]
calls = itertools.count(1)


@app.get("/text")
def text(request):
    return TEXT


@app.get("/json")
def json_rows(request):
    return ROWS


@app.get("/small")
def small(request):
    return "tiny body"


@app.get("/image")
def image(request):
    return Response(b"\x89PNG" + b"\x00" * 4096, content_type="image/png")


@app.get("/svg")
def svg(request):
    return Response("<svg>" + "<g/>" * 1000 + "</svg>", content_type="image/svg+xml")


@app.get("/problem")
def problem(request):
    return Response('{"detail": "' + "x" * 2000 + '"}', content_type="application/problem+json; charset=utf-8")


@app.get("/empty")
def empty(request):
    return None


@app.get("/encoded")
def encoded(request):
    return Response(TEXT, content_type="text/plain", headers={"Content-Encoding": "identity-ish"})


@app.get("/stream")
def stream(request):
    return Response.stream((TEXT for _ in range(3)), content_type="text/plain")


@app.get("/etag")
def etag(request):
    return Response(TEXT, content_type="text/plain", headers={"ETag": '"v1"', "Vary": "Cookie"})


@app.get("/cached")
@cache(ttl=300)
def cached(request):
    return {"call": next(calls), "rows": ROWS}


@app.get("/cache-bytes")
def cache_bytes(request):
    return app.cache_stats()["memory"]
