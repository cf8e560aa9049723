"""enable_security_headers() (API.md "Middleware"; docs/middleware-http.md "Security headers"):
the configured headers on every response (handled, error, unmatched, streamed), never replacing
one the handler set. The app is served in-process by TestClient; a bad setting failing the start of
a `cello run` process is checked on a subprocess."""
from __future__ import annotations

import pytest

import support
from cello.testing import TestClient

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'",
}


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("security_headers_app").app) as c:
        yield c


def check(r, skip=()):
    for name, value in EXPECTED.items():
        if name not in skip:
            assert r.headers.getlist(name) == [value], (name, r)
    assert "Referrer-Policy" not in r.headers  # dropped with referrer_policy=None


def test_on_a_handled_response(client):
    r = client.get("/")
    assert r.status_code == 200
    check(r)


@pytest.mark.parametrize("method,path", [("GET", "/missing"), ("POST", "/"), ("OPTIONS", "/"), ("BREW", "/")])
def test_on_errors_and_native_answers(client, method, path):
    r = client.request(method, path)
    assert r.status_code in (404, 405, 204), r
    check(r)


def test_handler_value_is_kept(client):
    r = client.get("/own")
    assert r.headers.getlist("X-Content-Type-Options") == ["handler-value"]
    check(r, skip=("X-Content-Type-Options",))


def test_on_streamed_response(client):
    with support.RawConnection(client.port) as conn:
        conn.send(support.http_get("/stream"))
        r = conn.read_response()
    assert r.body == b"ab"
    check(r)


def test_bad_path_still_gets_them_and_server_serves(client):
    with support.RawConnection(client.port) as conn:
        conn.send("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response()
    support.assert_error_shape(r, 400)
    check(r)
    assert client.get("/").status_code == 200


def test_bad_settings_fail_at_start(start_server, tmp_path):
    app = tmp_path / "bad_security_app.py"
    app.write_text("from cello import App\napp = App()\napp.enable_security_headers(x_bad='a\\r\\nb')\n")
    with pytest.raises(AssertionError, match="CR, LF or NUL"):
        start_server(str(app))


def test_the_original_cellos_builders():
    """SecurityHeadersConfig and CSP (issue 17 item 6), every directive, over HTTP."""
    import pytest as _pytest

    from cello import CSP, App, SecurityHeadersConfig
    from cello.testing import TestClient

    csp = (CSP().default_src(["'self'"]).script_src(["'self'", "https://cdn.example.com"])
           .style_src(["'self'", "'unsafe-inline'"]).img_src(["'self'", "data:"]).font_src(["https://fonts.example.com"])
           .connect_src(["'self'", "https://api.example.com"]).frame_ancestors(["'none'"]).upgrade_insecure_requests())
    app = App()
    app.enable_security_headers(SecurityHeadersConfig.secure(), csp=csp)

    @app.get("/")
    def home(request):
        return {"ok": True}

    with TestClient(app) as c:
        h = c.get("/").headers
    assert h["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self' https://cdn.example.com; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src https://fonts.example.com; connect-src 'self' https://api.example.com; "
        "frame-ancestors 'none'; upgrade-insecure-requests")
    assert h["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    assert h["X-XSS-Protection"] == "1; mode=block"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"  # ours, kept
    plain = SecurityHeadersConfig(x_frame_options="SAMEORIGIN", x_content_type_options=False, x_xss_protection=None)
    assert plain.headers()["X-Frame-Options"] == "SAMEORIGIN" and plain.headers()["X-Content-Type-Options"] is None
    with _pytest.raises(ValueError):
        CSP().script_src(["'self'; script-src *"])  # no smuggled directive
    with _pytest.raises(AttributeError):
        CSP().not_a_directive(["x"])
