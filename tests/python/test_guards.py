"""cello.guards (the original Cello's guards) over real HTTP: on routes, on blueprints and their
children, and app-wide; a refused request is a 401 or 403 in the common error shape, never a 500."""
from __future__ import annotations

import pytest

import support
from cello import App, Blueprint
from cello.guards import (And, Authenticated, ForbiddenError, GuardError, Not, Or, PermissionGuard, RoleGuard,
                          UnauthorizedError)
from cello.testing import TestClient

USERS = {
    "alice": {"name": "alice", "roles": ["admin"], "permissions": ["read", "write"]},
    "bob": {"name": "bob", "roles": ["viewer"], "permissions": ["read"]},
}


class Banned(GuardError):
    default_status = 451
    default_message = "unavailable here"


@pytest.fixture(scope="module")
def client():
    app = App()

    @app.before_request
    def who(request):  # what an auth middleware does: the user on the request
        user = USERS.get(request.headers.get("x-user", ""))
        if user:
            request.set_context("user", user)

    @app.get("/me", guards=[Authenticated()])
    def me(request):
        return {"me": request.get_context("user")["name"]}

    @app.get("/admin", guards=[RoleGuard(["admin"])])
    async def admin(request):
        return {"admin": True}

    @app.get("/write", guards=[PermissionGuard(["read", "write"])])
    def write(request):
        return {"write": True}

    @app.get("/either", guards=[Or([RoleGuard(["admin"]), PermissionGuard(["read"])])])
    def either(request):
        return {"either": True}

    @app.get("/both", guards=[RoleGuard(["viewer"]) & PermissionGuard(["read"])])
    def both(request):
        return {"both": True}

    @app.get("/not-admin", guards=[Not(RoleGuard(["admin"]))])
    def not_admin(request):
        return {"not_admin": True}

    @app.get("/plain-false", guards=[lambda request: False])
    def plain_false(request):
        return {}

    @app.get("/message", guards=[lambda request: "closed on Sundays"])
    def message(request):
        return {}

    @app.get("/custom", guards=[lambda request: (_ for _ in ()).throw(Banned())])
    def custom(request):
        return {}

    @app.get("/stream", guards=[Authenticated()])
    def stream(request):
        yield "a"
        yield "b"

    api = Blueprint("/api", "api", guards=[Authenticated()])
    admin_bp = Blueprint("/admin", "admin", guards=[RoleGuard(["admin"])])

    @api.get("/items")
    def items(request):
        return {"items": []}

    @admin_bp.get("/users")
    async def users(request):
        return {"users": list(USERS)}

    api.register(admin_bp)
    app.register_blueprint(api)

    app.add_guard(lambda request: None if request.headers.get("x-blocked") is None else "blocked by the app")

    with TestClient(app) as c:
        yield c


def get(client, path, user=None, **headers):
    if user:
        headers["X-User"] = user
    return client.get(path, headers={k.replace("_", "-"): v for k, v in headers.items()})


def test_authenticated(client):
    support.assert_error_shape(get(client, "/me"), 401, "authentication required")
    assert get(client, "/me", "bob").json() == {"me": "bob"}


def test_roles_and_permissions(client):
    support.assert_error_shape(get(client, "/admin"), 401)
    support.assert_error_shape(get(client, "/admin", "bob"), 403, "requires role admin")
    assert get(client, "/admin", "alice").json() == {"admin": True}  # an async handler
    support.assert_error_shape(get(client, "/write", "bob"), 403, "requires permission read and write")
    assert get(client, "/write", "alice").status_code == 200


def test_combinations(client):
    assert get(client, "/either", "bob").status_code == 200 and get(client, "/either", "alice").status_code == 200
    support.assert_error_shape(get(client, "/either"), 401)
    assert get(client, "/both", "bob").status_code == 200
    support.assert_error_shape(get(client, "/both", "alice"), 403)
    assert get(client, "/not-admin", "bob").status_code == 200
    support.assert_error_shape(get(client, "/not-admin", "alice"), 403)


def test_plain_callables_and_custom_errors(client):
    support.assert_error_shape(get(client, "/plain-false"), 403, "Forbidden")
    support.assert_error_shape(get(client, "/message"), 403, "closed on Sundays")
    support.assert_error_shape(get(client, "/custom"), 451, "unavailable here")
    support.assert_error_shape(get(client, "/stream"), 401)
    assert get(client, "/stream", "bob").text == "ab"


def test_blueprint_guards_reach_nested_routes(client):
    support.assert_error_shape(get(client, "/api/items"), 401)
    assert get(client, "/api/items", "bob").json() == {"items": []}
    support.assert_error_shape(get(client, "/api/admin/users", "bob"), 403)  # the child's own guard
    support.assert_error_shape(get(client, "/api/admin/users"), 401)  # the parent's comes first
    assert get(client, "/api/admin/users", "alice").json() == {"users": ["alice", "bob"]}


def test_app_guard_runs_before_every_route(client):
    support.assert_error_shape(get(client, "/me", "bob", x_blocked="1"), 403, "blocked by the app")
    support.assert_error_shape(get(client, "/api/items", x_blocked="1"), 403, "blocked by the app")
    assert get(client, "/me", "bob").status_code == 200


def test_errors_and_bad_guards():
    assert (ForbiddenError().status, UnauthorizedError().status, ForbiddenError("no").detail) == (403, 401, "no")
    app = App()
    with pytest.raises(TypeError):
        app.get("/x", guards=["not callable"])(lambda request: {})
    with pytest.raises(TypeError):
        app.add_guard(42)
    with pytest.raises(ValueError):
        Or([])


def test_guarded_routes_are_left_out_of_the_blanket_cache():
    """enable_caching() caches every GET route, but the cache answers before guards run: a guarded
    route (or every route, with an app-wide guard) is not cached unless it says so with @cache."""
    app = App()
    app.enable_caching(ttl=60)

    @app.before_request
    def who(request):
        if request.headers.get("x-api-key") == "k":
            request.set_context("user", {"roles": ["admin"]})

    @app.get("/secret", guards=[RoleGuard(["admin"])])
    def secret(request):
        return {"secret": True}

    @app.get("/open")
    def open_page(request):
        return {"open": True}

    with TestClient(app) as c:
        assert c.get("/secret", headers={"X-API-Key": "k"}).status_code == 200
        support.assert_error_shape(c.get("/secret"), 401)  # not served from the cache
        assert c.get("/open").headers["X-Cache"] == "MISS" and c.get("/open").headers["X-Cache"] == "HIT"
    app.add_guard(lambda request: None)
    assert app._cache_policy("GET", "/open", None, True) is None


def test_not_refuses_an_async_guard():
    from cello import Request

    async def async_guard(request):
        return True

    with pytest.raises(TypeError, match="async"):
        Not(async_guard)(Request("GET", "/"))
