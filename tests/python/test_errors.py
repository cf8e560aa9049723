"""Errors (API.md "Errors"): HTTPError, unhandled exceptions in development and production."""
from __future__ import annotations

import pytest

import support


@pytest.fixture(scope="module")
def dev():
    with support.running("errors_app.py", "--env", "development") as s:
        yield s


@pytest.fixture(scope="module")
def prod():
    with support.running("errors_app.py", "--env", "production", "--workers", "1") as s:
        yield s


@pytest.fixture(params=["development", "production"])
def server(request, dev, prod):
    return dev if request.param == "development" else prod


def test_banner_names_env(dev, prod):
    assert "development" in dev.banner
    assert "production" in prod.banner


def test_http_error_status_detail_headers(server):
    r = server.get("/err/conflict")
    support.assert_error_shape(r, 409, "already exists")
    assert r.json() == {"error": "Conflict", "status": 409, "detail": "already exists"}
    assert r.headers["X-Why"] == "duplicate"


def test_http_error_json_detail(server):
    r = server.get("/err/detail-dict")
    support.assert_error_shape(r, 422, {"field": "name", "problems": ["too short", "not ascii: ü"]})


def test_http_error_without_detail(server):
    r = server.get("/err/no-detail")
    support.assert_error_shape(r, 401, None)
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_http_error_404_from_handler(server):
    support.assert_error_shape(server.get("/err/not-found"), 404, "no such widget")


def test_http_error_503_with_retry_after(server):
    r = server.get("/err/unavailable")
    support.assert_error_shape(r, 503, "down for maintenance")
    assert r.headers["Retry-After"] == "120"


def test_unhandled_exception_is_500_and_server_keeps_serving(server):
    r = server.get("/err/boom")
    support.assert_error_shape(r, 500)
    ok = server.get("/ok")
    assert ok.status == 200 and ok.json() == {"ok": True}
    # and again on the same connection
    with server.raw() as conn:
        conn.send(support.http_get("/err/boom") + support.http_get("/ok"))
        assert conn.read_response().status == 500
        assert conn.read_response().status == 200


def test_development_500_has_traceback(dev):
    r = dev.get("/err/nested")
    data = support.assert_error_shape(r, 500)
    assert "traceback" in data, data
    tb = data["traceback"]
    assert isinstance(tb, str)
    assert "KeyError" in tb and "missing-key-marker" in tb and "inner_helper_function" in tb, tb


def test_production_500_has_no_traceback(prod):
    r = prod.get("/err/boom")
    data = support.assert_error_shape(r, 500)
    assert "traceback" not in data, data
    assert b"kaboom-secret-marker" not in r.body, r
    assert b"RuntimeError" not in r.body, r
    assert b"Traceback" not in r.body, r
    assert b"errors_app.py" not in r.body, r


def test_traceback_is_logged_to_stderr(server):
    marker = "kaboom-secret-marker"
    server.get("/err/boom")
    assert server.wait_for_stderr("Traceback", 5), server.stderr
    assert server.wait_for_stderr(marker, 5), server.stderr
    assert server.wait_for_stderr("RuntimeError", 5), server.stderr
