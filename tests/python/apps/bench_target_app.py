"""The target of `cello bench` tests: counts what it served, so a test can compare counts."""
import threading

from cello import App, HTTPError

app = App()
_lock = threading.Lock()
_counts: dict[str, int] = {}


def _count(key: str) -> None:
    with _lock:
        _counts[key] = _counts.get(key, 0) + 1


@app.get("/hit")
def hit(request):
    _count("hit")
    return "hit"


@app.get("/other")
def other(request):
    _count("other")
    return {"other": True}


@app.post("/echo")
def echo(request):
    ok = request.json() == {"n": 7} and request.headers.get("x-bench") == "yes"
    _count("echo_ok" if ok else "echo_bad")
    return {"ok": ok}


@app.get("/boom")
def boom(request):
    raise HTTPError(503, "down on purpose")


@app.get("/stats")
def stats(request):
    with _lock:
        return dict(_counts)


@app.post("/reset")
def reset(request):
    with _lock:
        _counts.clear()
    return {"reset": True}


if __name__ == "__main__":
    app.run()
