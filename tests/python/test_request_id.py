"""enable_request_id() (API.md "Middleware"; docs/middleware-http.md "Request id"): the client's
X-Request-ID when sane, else a new UUID4; seen by the handler as request.id, in the log line and in
the response. The app is served in-process by TestClient with its request log on (captured with
pytest's capfd); raw sockets to its port send header bytes a client library would refuse."""
from __future__ import annotations

import re

import pytest

import support
from cello.testing import TestClient

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("request_id_app").app, logs=True) as c:  # with the request log
        yield c


def test_generated_when_absent(client, capfd):
    r = client.get("/id")
    rid = r.headers["X-Request-ID"]
    assert UUID4.match(rid), rid
    assert r.json() == {"id": rid}
    err = support.captured_stderr(capfd, '"GET /id" 200', rid)
    assert '"GET /id" 200' in err, err
    assert rid in err, err


def test_generated_ids_differ(client):
    ids = {client.get("/id").headers["X-Request-ID"] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("given", ["abc-123", "req_1:2/3+4=5", "A" * 128, "~!#$%&*()[]{}<>?@^`|"])
def test_sane_value_is_propagated(client, given):
    r = client.get("/id", headers={"X-Request-ID": given})
    assert r.headers["X-Request-ID"] == given
    assert r.json() == {"id": given}


@pytest.mark.parametrize("given", ["has space", '"quoted"', "it's", "back\\slash", "A" * 129])
def test_bad_value_is_replaced(client, given):
    r = client.get("/id", headers={"X-Request-ID": given})
    rid = r.headers["X-Request-ID"]
    assert UUID4.match(rid), (given, rid)
    assert r.json() == {"id": rid}
    assert client.get("/id").status_code == 200


@pytest.mark.parametrize("raw", [b"", b"caf\xc3\xa9", b"\x01\x02", b"x\x7fy"])
def test_non_ascii_or_empty_is_replaced(client, raw):
    with support.RawConnection(client.port) as conn:
        conn.send(b"GET /id HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + raw + b"\r\n\r\n")
        r = conn.read_response()
    if r.status == 400:  # control bytes are refused by the HTTP parser before any middleware
        assert raw in (b"\x01\x02", b"x\x7fy"), r
    else:
        rid = r.headers["X-Request-ID"]
        assert UUID4.match(rid), (raw, rid)
        assert r.json() == {"id": rid}
    assert client.get("/id").status_code == 200


def test_header_name_is_case_insensitive(client):
    r = client.get("/id", headers={"x-request-id": "lower-case-name"})
    assert r.json() == {"id": "lower-case-name"}


def test_kept_request_keeps_its_id(client):
    first = client.get("/kept", headers={"X-Request-ID": "kept-one"})
    assert first.json() == {"id": "kept-one"}
    later = client.get("/last", headers={"X-Request-ID": "another"})
    assert later.json() == {"id": "kept-one"}
    assert later.headers["X-Request-ID"] == "another"


def test_unmatched_and_bad_requests_get_an_id(client):
    r = client.get("/missing", headers={"X-Request-ID": "for-a-404"})
    support.assert_error_shape(r, 404)
    assert r.headers["X-Request-ID"] == "for-a-404"
    with support.RawConnection(client.port) as conn:
        conn.send("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response()
    support.assert_error_shape(r, 400)
    assert UUID4.match(r.headers["X-Request-ID"])


def test_any_native_middleware_enabled_by_name():
    """The generic enabler (issue 17 item 12): a native middleware needs no Python of its own."""
    import pytest as _pytest

    from cello import App, _cello
    from cello.testing import TestClient

    assert _cello.middleware_names()[:3] == ["health", "request_id", "logging"]
    app = App()
    app.enable_native_middleware("request_id", header="X-Trace-Id")

    @app.get("/")
    def home(request):
        return {"id": request.id}

    with TestClient(app) as c:
        r = c.get("/", headers={"X-Trace-Id": "abc-123"})
    assert r.headers["X-Trace-Id"] == "abc-123" and r.json() == {"id": "abc-123"}
    with _pytest.raises(ValueError, match="no native middleware 'nope'"):
        app.enable_native_middleware("nope")
