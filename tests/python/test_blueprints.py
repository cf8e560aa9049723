"""Blueprint(prefix, name=...): decorators, prefixes, nesting, registration rules, and the routes
served by the real engine (through TestClient and the examples/blueprints app)."""
from __future__ import annotations

import pytest

import support
from cello import App, Blueprint
from cello.testing import TestClient

EXAMPLE = str(support.REPO / "examples" / "blueprints" / "app.py")


def handler(request):
    return {"path": request.path, "params": request.params}


def test_same_decorators_as_app():
    bp = Blueprint("/api")
    for deco in (bp.get, bp.post, bp.put, bp.patch, bp.delete, bp.head, bp.options):
        def fn(request):
            return None
        assert deco(f"/{deco.__name__}")(fn) is fn

    def multi(request):
        return None
    assert bp.route("/multi", methods=["GET", "POST"])(multi) is multi
    app = App()
    app.register_blueprint(bp)
    pairs = {(r.method, r.path) for r in app.routes}
    assert {("GET", "/api/get"), ("HEAD", "/api/head"), ("OPTIONS", "/api/options"), ("PATCH", "/api/patch"),
            ("GET", "/api/multi"), ("POST", "/api/multi")} <= pairs
    assert len(app.routes) == 9


def test_route_options_and_qualified_names():
    outer, inner = Blueprint("/a", name="outer"), Blueprint("/b", name="inner")
    inner.get("/x", name="the_x", summary="An x", tags=["t"])(handler)
    outer.register_blueprint(inner)
    anonymous = Blueprint("/c")
    anonymous.get("/y")(handler)
    app = App()
    app.register_blueprint(outer)
    app.register_blueprint(anonymous)
    x, y = app.routes
    assert (x.path, x.name, x.summary, x.tags) == ("/a/b/x", "outer.inner.the_x", "An x", ["t"])
    assert (y.path, y.name) == ("/c/y", "handler")


@pytest.mark.parametrize("prefix", ["/", "api", "/api/", "//"])
def test_bad_prefixes_raise(prefix):
    with pytest.raises(ValueError, match="prefix"):
        Blueprint(prefix)


def test_empty_prefix_and_empty_route_path():
    root = Blueprint()
    root.get("/plain")(handler)
    with pytest.raises(ValueError, match="needs a blueprint prefix"):
        root.get("")(handler)
    api = Blueprint("/api")
    api.get("")(handler)  # the prefix itself
    api.get("/")(handler)  # trailing slash: a different path
    with pytest.raises(ValueError, match="must start with '/'"):
        api.get("items")(handler)
    app = App()
    app.register_blueprint(root)
    app.register_blueprint(api)
    assert [r.path for r in app.routes] == ["/plain", "/api", "/api/"]


def test_bad_patterns_and_conflicts_raise_at_the_decorator():
    bp = Blueprint("/api")
    bp.get("/a/{x}")(handler)
    with pytest.raises(ValueError, match=r"/api/a/\{y\}"):
        bp.get("/a/{y}")(handler)
    with pytest.raises(ValueError, match="/api/b/{x"):
        bp.get("/b/{x")(handler)
    with pytest.raises(ValueError, match="BREW"):
        bp.route("/c", methods=["BREW"])(handler)
    from cello import Depends

    with pytest.raises(TypeError, match="Depends"):
        bp.get("/d")(lambda x=Depends(42): None)


def test_conflict_with_app_route_raises_naming_the_pattern_and_adds_nothing():
    app = App()
    app.get("/api/items/{id}")(handler)
    bp = Blueprint("/api")
    bp.get("/health")(handler)
    bp.get("/items/{item_id}")(handler)
    with pytest.raises(ValueError, match=r"/api/items/\{item_id\}"):
        app.register_blueprint(bp)
    assert [r.path for r in app.routes] == ["/api/items/{id}"]  # /api/health was not added either
    app.get("/api/health")(handler)  # and is still free


def test_nesting_joins_prefixes_at_any_depth():
    app, a, b, c = App(), Blueprint("/a"), Blueprint("/b"), Blueprint()
    c.get("/{id:int}")(handler)
    b.register_blueprint(c)
    b.get("/x")(handler)
    a.register_blueprint(b)
    app.register_blueprint(a)
    assert [r.path for r in app.routes] == ["/a/b/x", "/a/b/{id:int}"]


def test_routes_added_to_a_child_before_the_app_registration_count():
    parent, child = Blueprint("/p"), Blueprint("/c")
    parent.register_blueprint(child)
    child.get("/late")(handler)  # the parent is not on an app yet: still included
    app = App()
    app.register_blueprint(parent)
    assert [r.path for r in app.routes] == ["/p/c/late"]


def test_registered_blueprints_are_frozen():
    parent, child = Blueprint("/p", name="parent"), Blueprint("/c")
    parent.register_blueprint(child)
    App().register_blueprint(parent)
    with pytest.raises(RuntimeError, match="already registered"):
        parent.get("/x")(handler)
    with pytest.raises(RuntimeError, match="already registered"):
        child.post("/y")(handler)
    with pytest.raises(RuntimeError, match="already registered"):
        parent.register_blueprint(Blueprint("/d"))


def test_one_blueprint_on_several_apps_and_parents():
    bp = Blueprint("/shared")
    bp.get("/x")(handler)
    v1, v2 = Blueprint("/v1"), Blueprint("/v2")
    v1.register_blueprint(bp)
    v2.register_blueprint(bp)
    first, second = App(), App()
    first.register_blueprint(v1)
    first.register_blueprint(v2)
    second.register_blueprint(bp)
    assert [r.path for r in first.routes] == ["/v1/shared/x", "/v2/shared/x"]
    assert [r.path for r in second.routes] == ["/shared/x"]


def test_cycles_and_wrong_types_are_rejected():
    a, b = Blueprint("/a"), Blueprint("/b")
    a.register_blueprint(b)
    with pytest.raises(ValueError, match="nested in itself"):
        b.register_blueprint(a)
    with pytest.raises(ValueError, match="nested in itself"):
        a.register_blueprint(a)
    with pytest.raises(TypeError):
        a.register_blueprint(App())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        App().register_blueprint(App())  # type: ignore[arg-type]


def test_blueprint_routes_are_served():
    app = App()
    api = Blueprint("/api", name="api")
    users = Blueprint("/users/{user_id:int}")

    @users.get("/posts/{slug}")
    def post(request):
        return request.params

    @users.delete("")
    def remove(request):
        return None

    @api.get("")
    def api_root(request):
        return "api"

    api.register_blueprint(users)
    app.register_blueprint(api)
    with TestClient(app) as client:
        assert client.get("/api").text == "api"
        assert client.get("/api/").status_code == 404  # trailing slash is strict
        assert client.get("/api/users/7/posts/hello").json() == {"user_id": 7, "slug": "hello"}
        assert client.get("/api/users/x/posts/hello").status_code == 404
        assert client.delete("/api/users/7").status_code == 204
        reply = client.get("/api/users/7")
        assert reply.status_code == 405 and "DELETE" in reply.headers["allow"]


@pytest.mark.parametrize("via", ["cello", "python"])
def test_example_app(via):
    with support.running(EXAMPLE, "--no-logs", via=via) as server:
        assert server.routes == 4
        assert server.get("/api/v1/users/1").json() == {"id": 1, "name": "Ada"}
        created = server.post("/api/v1/users", body='{"name": "Lin"}', headers={"Content-Type": "application/json"})
        assert created.status == 201 and created.json() == {"id": 3, "name": "Lin"}
        assert [u["name"] for u in server.get("/api/v1/users").json()] == ["Ada", "Grace", "Lin"]
        missing = server.get("/api/v1/users/9")
        assert missing.status == 404 and missing.json() == {"error": "user not found", "id": 9}
        assert missing.headers["X-API-Version"] == "1"  # after_request sees exception-handler responses
        assert server.get("/health").json() == {"status": "ok", "users": 3}
        assert server.get("/health").headers["X-API-Version"] == "1"
        assert server.get("/nope").headers.get("X-API-Version") is None  # router 404: no Python ran
    assert "saving 3 users" in server.stdout
