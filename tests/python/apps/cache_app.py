"""@cache under test: handlers count their calls so tests can tell a hit from a miss."""
import asyncio
import sys
import threading
import time

from cello import App, HTTPError, Response, cache

app = App()
app.enable_caching(max_bytes=int(__import__("os").environ.get("CACHE_MAX_BYTES", 64 * 1024 * 1024)), all_routes=False)
calls: dict[str, int] = {}
lock = threading.Lock()


def count(name: str) -> int:
    with lock:
        calls[name] = calls.get(name, 0) + 1
        return calls[name]


@app.get("/counted")
@cache(ttl=1.0, tags=["reports"])
def counted(request):
    return {"call": count("counted"), "query": request.query_string}


@app.get("/long")
@cache(ttl=60, tags=["reports", "long"])
def long_lived(request):
    return {"call": count("long")}


@app.get("/items/{id}")
@cache(ttl=60, tags=["items"])
def item(request):
    return {"id": request.params["id"], "call": count("item")}


@app.get("/slow")
@cache(ttl=60)
def slow(request):
    time.sleep(0.5)
    return {"call": count("slow")}


@app.get("/vary")
@cache(ttl=60, vary=["Accept-Language"])
def vary(request):
    return {"lang": request.headers.get("accept-language"), "call": count("vary")}


@app.get("/custom")
@cache(ttl=60, key=lambda request: request.query.get("user"))
def custom(request):
    return {"user": request.query.get("user"), "call": count("custom")}


@app.get("/status/{code:int}")
@cache(ttl=60)
def status(request):
    code = request.params["code"]
    count(f"status{code}")
    if code >= 400:
        raise HTTPError(code)
    return Response.text("s", status=code)


@app.get("/cookie")
@cache(ttl=60)
def cookie(request):
    count("cookie")
    r = Response.text("with cookie")
    r.set_cookie("session", "abc")
    return r


@app.get("/me")
@cache(ttl=60)
def me(request):
    """Echoes the caller's credentials: a body built for one user."""
    return {"cookie": request.headers.get("cookie"), "authorization": request.headers.get("authorization"),
            "call": count("me")}


@app.get("/per-user")
@cache(ttl=60, vary=["Authorization"])
def per_user(request):
    return {"authorization": request.headers.get("authorization"), "cookie": request.headers.get("cookie"),
            "call": count("per-user")}


@app.get("/public")
@cache(ttl=60)
def public(request):
    """The same for everyone, and says so: requests with credentials may be answered from the cache."""
    count("public")
    return Response.text("everyone", headers={"Cache-Control": "public, max-age=60"})


@app.get("/lang")
@cache(ttl=60)
def lang(request):
    """Picks its language from Accept-Language and says so with Vary, in two field lines."""
    count("lang")
    body = {"lang": request.headers.get("accept-language"), "tenant": request.headers.get("x-tenant")}
    return Response.json(body, headers=[("Vary", "accept-language"), ("Vary", "X-Tenant")])


@app.get("/slow-lang")
@cache(ttl=60)
def slow_lang(request):
    count("slow-lang")  # before the wait: a test can tell the handler is running
    time.sleep(1.0)
    return Response.json({"lang": request.headers.get("accept-language")}, headers={"Vary": "Accept-Language"})


# Response header fields that forbid storing (or, for the *-ok ones, allow it).
CACHE_HEADERS = {
    "vary-star": [("Vary", "*")],
    "private": [("Cache-Control", "private")],
    "private-field": [("Cache-Control", 'private="X-User, Cache-Control", max-age=60')],
    "no-store": [("Cache-Control", "max-age=60"), ("Cache-Control", "NO-STORE")],
    "no-cache": [("Cache-Control", "no-cache")],
    "max-age-0": [("Cache-Control", "max-age=0")],
    "s-maxage-0": [("Cache-Control", "max-age=60, s-maxage=0")],
    "bad-max-age": [("Cache-Control", "max-age=soon")],
    "expires-0": [("Expires", "0")],
    "expires-past": [("Expires", "Thu, 01 Jan 1970 00:00:01 GMT")],
    "max-age-ok": [("Cache-Control", "max-age=30")],
    "quoted-ok": [("Cache-Control", 'community="no-store, private", max-age=30')],
    "max-age-1": [("Cache-Control", "max-age=1")],
}


@app.get("/cc/{kind}")
@cache(ttl=60)
def cache_control(request):
    kind = request.params["kind"]
    return Response.json({"kind": kind, "call": count(f"cc-{kind}")}, headers=CACHE_HEADERS[kind])


@app.get("/host")
@cache(ttl=60)
def host(request):
    return {"host": request.headers.get("host"), "call": count("host")}


@app.get("/query")
@cache(ttl=60)
def query(request):
    return {"a": request.query.getlist("a"), "call": count("query")}


@app.get("/async/{n}")
@cache(ttl=60)
async def async_item(request):
    """Answers after other requests on the same engine thread have been looked up meanwhile."""
    await asyncio.sleep(0.3)
    return {"n": request.params["n"], "call": count("async")}


@app.get("/big/{n:int}")
@cache(ttl=60)
def big(request):
    count("big")
    return "x" * 4000


@app.get("/hog")
def hog(request):
    """Holds the GIL for about two seconds: nothing else can run Python meanwhile. Answers when
    it held it, on the system-wide monotonic clock (the test's clock too)."""
    sys.setswitchinterval(30)  # the hog keeps the GIL until it returns
    try:
        start = time.monotonic()
        end = time.perf_counter() + 2.0
        while time.perf_counter() < end:
            pass
        stop = time.monotonic()
    finally:
        sys.setswitchinterval(0.005)
    return {"from": start, "to": stop}


@app.get("/calls")
def get_calls(request):
    with lock:
        return dict(calls)


@app.post("/invalidate")
def invalidate(request):
    body = request.json()
    return {"removed": app.invalidate_cache(tags=body.get("tags"), path=body.get("path"))}


@app.get("/stats")
def stats(request):
    return app.cache_stats()


if __name__ == "__main__":
    app.run()
