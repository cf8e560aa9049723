"""enable_caching(ttl, methods, exclude_paths) and @cache(ttl=None) as the original Cello spells
them, on the native cache: every GET route cached but the excluded ones, X-Cache HIT/MISS/BYPASS,
invalidate_cache(tags); the TTLs each route got, read from the inspector."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cello import App
from test_inspector import start

APP = '''
from cello import App, cache

app = App()
app.enable_caching(ttl=120)
calls = {"n": 0}

@app.get("/page")
def page(request):
    calls["n"] += 1
    return {"calls": calls["n"]}

@app.get("/health")
def health(request):
    calls["n"] += 1
    return {"calls": calls["n"]}

@app.post("/write")
def write(request):
    return {"ok": True}

@app.get("/tagged")
@cache(tags=["items"])
def tagged(request):
    calls["n"] += 1
    return {"calls": calls["n"]}

@app.get("/short")
@cache(ttl=5)
def short(request):
    return {"ok": True}

@app.get("/missing")
def missing(request):
    return {"error": "no"}, 404

@app.post("/invalidate")
def invalidate(request):
    return {"dropped": app.invalidate_cache(["items"])}
'''


@pytest.fixture
def inspected(tmp_path: Path):
    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent(APP))
    ins = start(app_file)
    try:
        yield ins
    finally:
        assert ins.server.stop() == 0, ins.server.stderr


def test_every_get_route_is_cached_but_the_excluded(inspected):
    s = inspected.server
    first, second = s.get("/page"), s.get("/page")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert first.json() == second.json()
    a, b = s.get("/health"), s.get("/health")
    assert "X-Cache" not in a.headers and a.json() != b.json()  # excluded by default
    assert "X-Cache" not in s.post("/write", body="").headers  # only GET and HEAD
    assert s.get("/missing").headers["X-Cache"] == "BYPASS"  # a 404 is not stored
    assert s.get("/page", headers={"Authorization": "Bearer x"}).headers["X-Cache"] == "BYPASS"


def test_ttls_and_invalidation_by_tag(inspected):
    s = inspected.server
    ttls = {r["pattern"]: (r["cached"], r["cache_ttl_s"]) for r in inspected.snapshot()["routes"]}
    assert ttls["/page"] == (True, 120) and ttls["/tagged"] == (True, 120)  # @cache() without ttl: the app's
    assert ttls["/short"] == (True, 5) and ttls["/health"][0] is False and ttls["/write"][0] is False
    one, two = s.get("/tagged"), s.get("/tagged")
    assert two.headers["X-Cache"] == "HIT"
    assert s.post("/invalidate", body="").json() == {"dropped": 1}
    three = s.get("/tagged")
    assert three.headers["X-Cache"] == "MISS" and three.json() != one.json()


def test_settings_are_checked():
    app = App()
    with pytest.raises(ValueError):
        app.enable_caching(ttl=0)
    with pytest.raises(ValueError):
        app.enable_caching(methods=["POST"])
    app.enable_caching(ttl=30, methods=["get"], exclude_paths=["/private"])
    assert app._cache_policy("GET", "/health", None)["ttl"] == 30  # the list given replaces the default
    assert app._cache_policy("GET", "/private/x", None) is None
    assert app._cache_policy("HEAD", "/x", None) is None  # only the methods given
