"""@app.exception_handler(ExcType): an exception raised by a handler becomes the response its
exception handler returns (most specific class first), over the real engine via TestClient."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from cello import App, HTTPError, Response
from cello.testing import TestClient


class AppError(Exception):
    pass


class NotFound(AppError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class UserNotFound(NotFound):
    pass


class Teapot(Exception):
    pass


class Unmapped(Exception):
    pass


def make_app() -> App:
    app = App()

    @app.exception_handler(AppError)
    def app_error(request, exc):
        return {"handler": "app_error", "type": type(exc).__name__, "path": request.path}, 400

    @app.exception_handler(NotFound)
    def not_found(request, exc):
        return {"handler": "not_found", "what": exc.what, "params": request.params}, 404, {"X-Handled": "yes"}

    @app.exception_handler(Teapot)
    def teapot(request, exc):
        response = Response.text("short and stout", status=418)
        response.set_cookie("brewed", "1")
        return response

    @app.exception_handler(KeyError)
    def key_error(request, exc):
        return f"missing {exc.args[0]}"

    @app.exception_handler(ZeroDivisionError)
    def broken(request, exc):
        raise RuntimeError("the handler itself fails")

    @app.exception_handler(LookupError)
    def not_json(request, exc):
        return {1, 2}  # a set: not serializable

    @app.get("/raise/{kind}")
    def raiser(request):
        kind = request.params["kind"]
        if kind == "app":
            raise AppError("generic")
        if kind == "notfound":
            raise NotFound("page")
        if kind == "user":
            raise UserNotFound("user")
        if kind == "teapot":
            raise Teapot()
        if kind == "key":
            raise KeyError("token")
        if kind == "index":
            raise IndexError("index")
        if kind == "zero":
            return 1 / 0
        if kind == "http":
            raise HTTPError(409, "conflict detail")
        if kind == "unmapped":
            raise Unmapped("nobody handles me")
        return "no error"

    @app.post("/json")
    def parse(request):
        return request.json()

    return app


@pytest.fixture(scope="module")
def client():
    with TestClient(make_app()) as c:
        yield c


def test_handler_return_value_becomes_the_response(client):
    r = client.get("/raise/app")
    assert r.status_code == 400
    assert r.json() == {"handler": "app_error", "type": "AppError", "path": "/raise/app"}


def test_subclass_goes_to_the_most_specific_handler(client):
    r = client.get("/raise/notfound")
    assert r.status_code == 404 and r.headers["x-handled"] == "yes"
    assert r.json() == {"handler": "not_found", "what": "page", "params": {"kind": "notfound"}}
    # UserNotFound has no handler of its own: NotFound's (nearer in the MRO than AppError's)
    assert client.get("/raise/user").json()["handler"] == "not_found"


def test_handlers_may_return_a_response_or_str(client):
    r = client.get("/raise/teapot")
    assert (r.status_code, r.text, r.headers["content-type"]) == (418, "short and stout", "text/plain; charset=utf-8")
    assert r.headers["set-cookie"].startswith("brewed=1")
    r = client.get("/raise/key")
    assert (r.status_code, r.text) == (200, "missing token")


def test_unmapped_exceptions_and_http_errors_keep_the_framework_response(client):
    r = client.get("/raise/unmapped")
    assert r.status_code == 500 and r.json()["error"] == "Internal Server Error"
    assert "Unmapped: nobody handles me" in r.json()["detail"]
    r = client.get("/raise/http")
    assert r.status_code == 409 and r.json() == {"error": "Conflict", "status": 409, "detail": "conflict detail"}
    r = client.post("/json", content=b"{bad")
    assert r.status_code == 400 and r.json()["error"] == "Bad Request"
    assert client.get("/raise/none").text == "no error"


def test_failing_exception_handler_gives_a_logged_500(client, capfd):
    r = client.get("/raise/zero")
    assert r.status_code == 500
    assert r.json()["error"] == "Internal Server Error"
    assert "RuntimeError: the handler itself fails" in r.json()["detail"]
    err = capfd.readouterr().err
    assert "the handler itself fails" in err, err


def test_bad_return_value_of_an_exception_handler_gives_a_500(client, capfd):
    r = client.get("/raise/index")  # IndexError -> LookupError's handler returns a set
    assert r.status_code == 500
    assert "set" in r.text
    capfd.readouterr()


def test_handler_for_exception_does_not_swallow_http_errors():
    app = App()

    @app.exception_handler(Exception)
    def everything(request, exc):
        return {"caught": type(exc).__name__}, 503

    @app.get("/fail")
    def fail(request):
        raise ValueError("x")

    @app.get("/forbidden")
    def forbidden(request):
        raise HTTPError(403)

    with TestClient(app) as client:
        assert client.get("/fail").json() == {"caught": "ValueError"}
        assert client.get("/forbidden").status_code == 403
        assert client.get("/forbidden").json()["error"] == "Forbidden"
        assert client.get("/missing").status_code == 404  # the router's 404: no Python runs


def test_handler_for_http_error_reshapes_framework_errors_raised_in_python():
    app = App()

    @app.exception_handler(HTTPError)
    def http_error(request, exc):
        return {"message": exc.reason, "code": exc.status}, exc.status, exc.headers or {}

    @app.get("/teapot")
    def teapot(request):
        raise HTTPError(418, headers={"X-Kind": "teapot"})

    @app.post("/json")
    def parse(request):
        return request.json()

    with TestClient(app) as client:
        r = client.get("/teapot")
        assert (r.status_code, r.json(), r.headers["x-kind"]) == (418, {"message": "I'm a Teapot", "code": 418}, "teapot")
        assert client.post("/json", content=b"[").json() == {"message": "Bad Request", "code": 400}


def test_handled_exceptions_are_not_logged(capfd):
    app = App()
    app.exception_handler(AppError)(lambda request, exc: ("handled", 400))

    @app.get("/")
    def fail(request):
        raise AppError("quiet")

    with TestClient(app, env="production") as client:
        assert client.get("/").text == "handled"
    assert "quiet" not in capfd.readouterr().err


# -- in process: registration and the lookup the engine calls ---------------------------------------

def test_exception_response_walks_the_mro():
    app = make_app()
    request = SimpleNamespace(path="/p", params={})
    assert app._exception_response(request, UserNotFound("u"))[0]["handler"] == "not_found"
    assert app._exception_response(request, AppError())[0]["handler"] == "app_error"
    assert app._exception_response(request, Unmapped()) is App._NO_HANDLER
    assert app._exception_response(request, HTTPError(404)) is app._NO_HANDLER
    assert repr(App._NO_HANDLER) == "<no exception handler>"


def test_has_exception_handlers():
    app = App()
    assert app._has_exception_handlers is False
    assert app._exception_response(None, ValueError()) is App._NO_HANDLER

    def handle(request, exc):
        return None

    assert app.exception_handler(ValueError)(handle) is handle
    assert app._has_exception_handlers is True


def test_later_registration_replaces():
    app = App()
    app.exception_handler(ValueError)(lambda request, exc: "first")
    app.exception_handler(ValueError)(lambda request, exc: "second")
    assert app._exception_response(None, ValueError()) == "second"


def test_registration_errors():
    app = App()
    with pytest.raises(TypeError, match="exception class"):
        app.exception_handler(404)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exception class"):
        app.exception_handler(str)  # type: ignore[arg-type]

    async def handler(request, exc):
        return None

    with pytest.raises(TypeError, match="async def"):
        app.exception_handler(ValueError)(handler)
    assert not app._has_exception_handlers
