"""The original Cello's Request helpers (issue: apps written for the original run unchanged), over
real HTTP through the engine, and the Request(...) constructor its testing guide uses."""
from __future__ import annotations

import pytest

import support
from cello import App, HTTPError, Request
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client():
    app = App()

    @app.get("/items/{id}")
    def item(request):
        return {
            "param": request.get_param("id"),
            "param_int": request.get_param_int("id"),
            "missing_param": request.get_param("nope", "dflt"),
            "q": request.get_query_param("q"),
            "q_default": request.get_query_param("absent", "d"),
            "page": request.get_query_int("page", 1),
            "ratio": request.get_query_float("ratio"),
            "flag": request.get_query_bool("flag"),
            "flag_default": request.get_query_bool("absent", True),
            "query_params": dict(request.query_params),
            "header": request.get_header("x-custom"),
            "header_default": request.get_header("x-absent", "none"),
            "content_type": request.content_type(),
            "is_json": request.is_json(), "is_form": request.is_form(), "is_multipart": request.is_multipart(),
            "client_ip": request.client_ip(),
            "user_agent": request.user_agent(),
            "host": request.host(),
            "accepts_json": request.accepts("application/json"),
            "accepts_xml": request.accepts("application/xml"),
            "is_xhr": request.is_xhr(),
            "is_secure": request.is_secure(),
            "request_id": request.request_id(),
        }

    @app.get("/number")
    def number(request):
        try:
            return {"n": request.get_query_int("n")}
        except ValueError:  # an original app's own handling still works
            return {"n": None, "caught": True}

    @app.get("/strict")
    def strict(request):
        return {"n": request.get_query_int("n")}

    @app.get("/context")
    def context(request):
        request.set_context("user", {"id": 7, "roles": ["admin"]})
        request.set_context("name", "ada")
        try:
            request.set_context("bad", object())
            stored_bad = True
        except TypeError:
            stored_bad = False
        return {"user": request.get_context("user"), "as_string": request.get_context_string("user"),
                "name": request.get_context_string("name"), "unset": request.get_context("nope"),
                "stored_bad": stored_bad}

    with TestClient(app) as c:
        yield c


def test_every_helper_over_http(client):
    r = client.get("/items/42?q=hello+world&page=3&ratio=0.25&flag=YES&q=last",
                   headers={"X-Custom": "v", "Content-Type": "application/json; charset=utf-8",
                            "User-Agent": "original-app/1.0", "Accept": "text/html, application/json;q=0.9",
                            "X-Requested-With": "XMLHttpRequest", "X-Forwarded-Proto": "https",
                            "X-Forwarded-For": "203.0.113.9, 10.0.0.1", "X-Request-ID": "abc-123"})
    assert r.status_code == 200
    assert r.json() == {
        "param": "42", "param_int": 42, "missing_param": "dflt",
        "q": "last", "q_default": "d", "page": 3, "ratio": 0.25, "flag": True, "flag_default": True,
        "query_params": {"q": "last", "page": "3", "ratio": "0.25", "flag": "YES"},
        "header": "v", "header_default": "none",
        "content_type": "application/json; charset=utf-8", "is_json": True, "is_form": False, "is_multipart": False,
        "client_ip": "203.0.113.9", "user_agent": "original-app/1.0", "host": r.json()["host"],
        "accepts_json": True, "accepts_xml": False, "is_xhr": True, "is_secure": True, "request_id": "abc-123",
    }
    assert r.json()["host"].startswith("127.0.0.1:")


def test_helpers_fall_back_sensibly(client):
    r = client.get("/items/5")
    data = r.json()
    assert data["page"] == 1 and data["ratio"] is None and data["flag"] is False and data["q"] is None
    assert data["client_ip"] == "127.0.0.1"  # no proxy headers: the peer
    assert data["is_secure"] is False and data["is_xhr"] is False and data["content_type"] is None
    assert data["accepts_xml"] is True  # no Accept header: anything
    assert data["request_id"] is None
    assert client.get("/items/5", headers={"X-Real-IP": "198.51.100.4"}).json()["client_ip"] == "198.51.100.4"


def test_a_bad_number_is_a_400_that_is_also_a_value_error(client):
    r = client.get("/strict?n=twelve")
    support.assert_error_shape(r, 400, "query parameter 'n' must be an integer, got 'twelve'")
    assert client.get("/number?n=twelve").json() == {"n": None, "caught": True}
    assert client.get("/number?n=12").json() == {"n": 12}
    support.assert_error_shape(client.get("/items/abc"), 400, "path parameter 'id' must be an integer, got 'abc'")


def test_context_holds_json_values(client):
    assert client.get("/context").json() == {
        "user": {"id": 7, "roles": ["admin"]}, "as_string": '{"id":7,"roles":["admin"]}', "name": "ada",
        "unset": None, "stored_bad": False}


def test_the_constructor_for_unit_tests():
    r = Request("POST", "/users/42", params={"id": "42"}, query={"page": "2", "q": "a b"},
                headers={"Content-Type": "application/x-www-form-urlencoded", "Host": "example.com"},
                body="name=ada&role=admin")
    assert (r.method, r.path, r.get_param_int("id"), r.get_query_int("page"), r.get_query_param("q")) == (
        "POST", "/users/42", 42, 2, "a b")
    assert r.is_form() and r.host() == "example.com" and r.form()["name"] == "ada"
    assert r.body() == b"name=ada&role=admin"
    t = Request("GET", "/a%20b?x=1")
    assert t.path == "/a b" and t.raw_path == "/a%20b" and t.get_query_int("x") == 1
    assert t.body() == b"" and t.get_header("anything") is None
    j = Request("PUT", "/j", body=b'{"k": [1, 2]}', headers=[("Content-Type", "application/json")])
    assert j.is_json() and j.json() == {"k": [1, 2]}
    with pytest.raises(HTTPError):
        Request("GET", "/q?x=%zz").query  # noqa: B018 - bad escapes are the same 400 as over HTTP
    with pytest.raises(ValueError):
        Request("GET", "/bad%zzpath")


def test_a_handler_called_with_a_hand_made_request():
    app = App()

    @app.get("/hello/{name}")
    def hello(request):
        return {"hello": request.get_param("name"), "lang": request.get_query_param("lang", "en")}

    assert hello(Request("GET", "/hello/ada", params={"name": "ada"}, query="lang=fr")) == {"hello": "ada", "lang": "fr"}
