"""Errors (API.md "Errors"): HTTPError, unhandled exceptions in development and production, through
the app served in-process by TestClient in each environment. (That `--env` reaches the server and
its banner is checked where the process runs: test_cli.py, test_logging.py.)"""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient


@pytest.fixture(scope="module")
def dev(import_app):
    with TestClient(import_app("errors_app").app, env="development") as c:
        yield c


@pytest.fixture(scope="module")
def prod(import_app):
    with TestClient(import_app("errors_app").app, env="production", workers=1) as c:
        yield c


@pytest.fixture(params=["development", "production"])
def client(request, dev, prod):
    return dev if request.param == "development" else prod


def test_http_error_status_detail_headers(client):
    r = client.get("/err/conflict")
    support.assert_error_shape(r, 409, "already exists")
    assert r.json() == {"error": "Conflict", "status": 409, "detail": "already exists"}
    assert r.headers["X-Why"] == "duplicate"


def test_http_error_json_detail(client):
    r = client.get("/err/detail-dict")
    support.assert_error_shape(r, 422, {"field": "name", "problems": ["too short", "not ascii: ü"]})


def test_http_error_without_detail(client):
    r = client.get("/err/no-detail")
    support.assert_error_shape(r, 401, None)
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_http_error_404_from_handler(client):
    support.assert_error_shape(client.get("/err/not-found"), 404, "no such widget")


def test_http_error_503_with_retry_after(client):
    r = client.get("/err/unavailable")
    support.assert_error_shape(r, 503, "down for maintenance")
    assert r.headers["Retry-After"] == "120"


def test_unhandled_exception_is_500_and_server_keeps_serving(client):
    r = client.get("/err/boom")
    support.assert_error_shape(r, 500)
    ok = client.get("/ok")
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    # and again on the same connection
    with support.RawConnection(client.port) as conn:
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
    assert b"kaboom-secret-marker" not in r.content, r
    assert b"RuntimeError" not in r.content, r
    assert b"Traceback" not in r.content, r
    assert b"errors_app.py" not in r.content, r


def test_traceback_is_logged_to_stderr(client, capfd):
    marker = "kaboom-secret-marker"
    client.get("/err/boom")
    err = support.captured_stderr(capfd, "Traceback", marker, "RuntimeError")
    assert "Traceback" in err, err
    assert marker in err, err
    assert "RuntimeError" in err, err
