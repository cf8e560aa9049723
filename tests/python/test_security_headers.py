"""enable_security_headers() (API.md "Middleware"; docs/middleware-http.md "Security headers"):
the configured headers on every response (handled, error, unmatched, streamed), never replacing
one the handler set."""
from __future__ import annotations

import pytest

import support

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'",
}


@pytest.fixture(scope="module")
def server():
    with support.running("security_headers_app.py", "--no-logs") as s:
        yield s


def check(r, skip=()):
    for name, value in EXPECTED.items():
        if name not in skip:
            assert r.headers.getlist(name) == [value], (name, r)
    assert "Referrer-Policy" not in r.headers  # dropped with referrer_policy=None


def test_on_a_handled_response(server):
    r = server.get("/")
    assert r.status == 200
    check(r)


@pytest.mark.parametrize("method,path", [("GET", "/missing"), ("POST", "/"), ("OPTIONS", "/"), ("BREW", "/")])
def test_on_errors_and_native_answers(server, method, path):
    r = server.request(method, path)
    assert r.status in (404, 405, 204), r
    check(r)


def test_handler_value_is_kept(server):
    r = server.get("/own")
    assert r.headers.getlist("X-Content-Type-Options") == ["handler-value"]
    check(r, skip=("X-Content-Type-Options",))


def test_on_streamed_response(server):
    with server.raw() as conn:
        conn.send(support.http_get("/stream"))
        r = conn.read_response()
    assert r.body == b"ab"
    check(r)


def test_bad_path_still_gets_them_and_server_serves(server):
    with server.raw() as conn:
        conn.send("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response()
    support.assert_error_shape(r, 400)
    check(r)
    assert server.get("/").status == 200


def test_bad_settings_fail_at_start(start_server, tmp_path):
    app = tmp_path / "bad_security_app.py"
    app.write_text("from cello import App\napp = App()\napp.enable_security_headers(x_bad='a\\r\\nb')\n")
    with pytest.raises(AssertionError, match="CR, LF or NUL"):
        start_server(str(app))
