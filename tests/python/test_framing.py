"""Request framing (RFC 9112) and response framing, byte for byte, against a real server.

Each test sends the exact bytes of a hostile or unusual message on a raw socket. The app
(apps/framing_app.py) has header limit 2048, body limit 1024. After every test a plain request on a
new connection must still succeed.
"""
from __future__ import annotations

import socket
import time
from urllib.parse import quote

import pytest

import support

MAX_HEADER = 2048
SMUGGLED = b"GET /p/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def server():
    with support.running("framing_app.py", "--no-logs", via="python") as s:
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}"
    assert server.proc.poll() is None


def read_all(conn: support.RawConnection, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection."""
    conn.sock.settimeout(timeout)
    data = conn.buf
    while True:
        try:
            chunk = conn.sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


def exchange(server, data: bytes) -> tuple[support.Reply, bytes]:
    """Sends `data`; returns the first response and every byte that followed it until the close."""
    with server.raw() as conn:
        conn.send(data)
        first = conn.read_response()
        return first, read_all(conn)


# -- 1. Transfer-Encoding -----------------------------------------------------------------------

BAD_CODINGS = [b"chunked, identity", b"chunked, chunked", b"identity", b"xchunked", b"gzip, chunked",
               b"chunked;foo=bar", b"\x0bchunked", b"chunked\x0b"]


@pytest.mark.parametrize("coding", BAD_CODINGS)
@pytest.mark.parametrize("with_length", [False, True])
def test_transfer_encoding_we_do_not_implement_is_refused_and_closed(server, coding, with_length):
    """Never a body of length 0 followed by the 'body' parsed as the next request."""
    body = b"0\r\n\r\n" + SMUGGLED
    length = b"Content-Length: %d\r\n" % len(body) if with_length else b""
    data = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n" + length + b"\r\n" + body
    with server.raw() as conn:
        conn.send(data)
        first = conn.read_response()
        assert first.status in (400, 501), first
        support.assert_error_shape(first, first.status)
        assert first.headers.get("Connection") == "close"
        rest = read_all(conn)
    assert b"SMUGGLED" not in first.body + rest, (first, rest)
    assert rest == b"", rest


@pytest.mark.parametrize("fields", [
    b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
])
def test_split_or_conflicting_framing_fields_are_refused(server, fields):
    data = b"POST /echo HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n0\r\n\r\n" + SMUGGLED
    first, rest = exchange(server, data)
    assert first.status in (400, 501), first
    assert b"SMUGGLED" not in rest


def test_unknown_coding_is_501_like_nginx(server):
    first, _ = exchange(server, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
    data = support.assert_error_shape(first, 501)
    assert "gzip" in data["detail"]


def test_chunked_in_any_case_is_read(server):
    with server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED)
        r = conn.read_response()
        assert r.status == 200 and r.json()["body"] == "hello"
        second = conn.read_response()  # a real second request, properly framed this time
        assert second.status == 200 and second.json() == {"name": "SMUGGLED"}


def test_transfer_encoding_in_http10_is_refused(server):
    first, rest = exchange(server, b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                      b"0\r\n\r\n" + SMUGGLED)
    support.assert_error_shape(first, 400)
    assert b"SMUGGLED" not in rest


# -- 2. chunk lines and trailers ------------------------------------------------------------------

def test_trailers_within_the_limit_are_accepted(server):
    with server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200 and r.json()["body"] == "hello"
        assert conn.is_open()


def test_trailer_section_is_bounded_like_the_header_section(server):
    """Today's bound is the header limit; 64 KiB of trailer fields is refused, not buffered."""
    rss_before = support.rss_kib(server.proc.pid)
    trailer = b"".join(b"X-T%d: %s\r\n" % (i, b"v" * 100) for i in range(600))  # ~64 KiB, no end
    with server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n")
        try:
            for i in range(0, len(trailer), 4096):
                conn.send(trailer[i:i + 4096])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while we were still sending: what we want
        r = conn.read_response()
        support.assert_error_shape(r, 431)
        assert conn.closed_by_peer(5)
    assert support.rss_kib(server.proc.pid) - rss_before < 16 * 1024


def test_long_chunk_line_is_refused(server):
    with server.raw() as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=" + b"e" * 8192)
        r = conn.read_response()
        assert r.status in (400, 431), r


@pytest.mark.parametrize("body", [
    b"5\nhello\n0\n\n",          # every chunk line with bare LF
    b"5\r\nhello\r\n0\n\n",      # the last-chunk line
    b"5\r\nhello\r\n0\r\nX-T: 1\n\r\n",  # a trailer line
])
def test_bare_lf_in_chunk_lines_is_refused_at_once(server, body):
    """Refused at once with 400 (it used to hang for the header timeout, then answer 408)."""
    with server.raw(timeout=4) as conn:
        conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        r = conn.read_response()
        support.assert_error_shape(r, 400)
        assert "LF" in r.json()["detail"]


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\nHost: x\n\n", b"GET / HTTP/1.1\r\nHost: x\n\r\n"])
def test_bare_lf_in_the_header_section_is_refused_at_once(server, data):
    with server.raw(timeout=4) as conn:
        conn.send(data)
        support.assert_error_shape(conn.read_response(), 400)


# -- 3. Host, Expect, versions, empty lines -------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
])
def test_missing_or_repeated_host_is_400(server, data):
    first, _ = exchange(server, data)
    support.assert_error_shape(first, 400)
    assert "Host" in first.json()["detail"]


@pytest.mark.parametrize("value", [b"a b", b"x/y", b"[::1", b"[]", b"x:port", b"user@x", b"a\\b", b"x:80:81",
                                   b"%zz", b"\xff", b"a\"b", b"[::1]x"])
def test_invalid_host_is_400(server, value):
    first, _ = exchange(server, b"GET / HTTP/1.1\r\nHost: " + value + b"\r\n\r\n")
    support.assert_error_shape(first, 400)


@pytest.mark.parametrize("value", ["example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8000",
                                   "[v1.fe80::a+en1]", "xn--bcher-kva.example", "a%20b", ""])
def test_valid_host_is_served(server, value):
    with server.raw() as conn:
        conn.send(f"GET /host HTTP/1.1\r\nHost: {value}\r\n\r\n".encode())
        r = conn.read_response()
    assert r.status == 200 and r.json() == {"host": value}, r


def test_http10_without_host_is_served(server):
    with server.raw() as conn:
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200 and r.version == "HTTP/1.0"


def expect_exchange(server, version: bytes, wait_for_interim: bool) -> bytes:
    """Sends headers with Expect: 100-continue, then the body: once the interim answer came
    (`wait_for_interim`: a server that never sends it fails by a read timeout), else after a pause
    that leaves room for one. Returns all bytes received."""
    with server.raw(timeout=support.WAIT) as conn:
        conn.send(b"POST /echo " + version + b"\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Length: 5\r\nConnection: close\r\n\r\n")
        if wait_for_interim:
            while b"\r\n\r\n" not in conn.buf:
                assert conn._fill(), conn.buf
        else:
            time.sleep(0.3)  # room for an interim answer (a loaded machine may give less: never a false failure)
        conn.send(b"hello")
        return read_all(conn, timeout=support.WAIT)


def test_expect_100_continue_is_answered_on_http11_only(server):
    got11 = expect_exchange(server, b"HTTP/1.1", wait_for_interim=True)
    assert got11.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), got11
    got10 = expect_exchange(server, b"HTTP/1.0", wait_for_interim=False)
    assert got10.startswith(b"HTTP/1.0 200 "), got10
    assert b"100 Continue" not in got10


@pytest.mark.parametrize("minor", [b"2", b"9"])
def test_higher_http1_minor_version_is_served_as_11(server, minor):
    with server.raw() as conn:
        conn.send(b"GET /p/v HTTP/1." + minor + b"\r\nHost: x\r\n\r\n")
        r = conn.read_response()
        assert r.status == 200 and r.version == "HTTP/1.1" and r.json() == {"name": "v"}
        assert conn.is_open()


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.10", b"HTTP/1.x"])
def test_other_versions_are_refused(server, version):
    first, _ = exchange(server, b"GET / " + version + b"\r\nHost: x\r\n\r\n")
    assert first.status in (400, 505), first


def test_empty_lines_before_the_request_line_are_ignored(server):
    with server.raw() as conn:
        conn.send(b"\r\n\r\nGET /p/one HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /p/two HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().json() == {"name": "one"}
        assert conn.read_response().json() == {"name": "two"}


# -- 4. what a handler may send -------------------------------------------------------------------

def get_raw(server, path: str) -> support.Reply:
    with server.raw() as conn:
        conn.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        return conn.read_response()


FRAMING = ["Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Trailer", "Keep-Alive",
           "content-length", "TRANSFER-ENCODING"]


@pytest.mark.parametrize("route", ["/send/header", "/send/header-tuple", "/send/header-async"])
@pytest.mark.parametrize("name", FRAMING)
def test_handler_cannot_set_framing_headers(server, route, name):
    value = {"content-length": "0", "transfer-encoding": "chunked"}.get(name.lower(), "close")
    r = get_raw(server, f"{route}?name={quote(name)}&value={quote(value)}")
    data = support.assert_error_shape(r, 500)
    assert name in str(data), data  # development: the cause is named
    assert r.body != b"body" and r.headers.getlist("Content-Length") == [str(len(r.body))]


def test_handler_framing_header_is_logged(server):
    r = get_raw(server, "/send/header?name=Content-Length&value=0")
    assert r.status == 500
    assert server.wait_for_stderr("Content-Length"), server.stderr


@pytest.mark.parametrize("value", ["a\x00b", "a\x01b", "a\x7fb", "a\rb", "a\nb", "a\r\nX-Injected: 1"])
def test_control_characters_in_header_values_are_a_500(server, value):
    r = get_raw(server, f"/send/header?name=X-Test&value={quote(value)}")
    support.assert_error_shape(r, 500)
    assert "X-Injected" not in r.headers


@pytest.mark.parametrize("name", ["Bad Name", "a:b", "x\x00", "(x)", "é", "a\rb"])
def test_header_names_must_be_tokens(server, name):
    r = get_raw(server, f"/send/header?name={quote(name)}&value=v")
    support.assert_error_shape(r, 500)


@pytest.mark.parametrize("value", ["tab\there", "caf\u00e9", "a,b;c=\"d\""])
def test_tab_and_non_ascii_values_are_allowed(server, value):
    r = get_raw(server, f"/send/header?name=X-Test&value={quote(value)}")
    assert r.status == 200 and r.body == b"body"
    assert r.headers["X-Test"] == value.encode().decode("latin-1").strip()


def test_control_characters_in_content_type_are_a_500(server):
    support.assert_error_shape(get_raw(server, "/send/content-type?value=" + quote("text/plain\r\nX-I: 1")), 500)


@pytest.mark.parametrize("code", [100, 101, 103, 199, 600, 999])
@pytest.mark.parametrize("route", ["/send/status/", "/send/status-attr/"])
def test_status_outside_200_599_is_a_500(server, route, code):
    r = get_raw(server, f"{route}{code}")
    data = support.assert_error_shape(r, 500)
    assert str(code) in str(data)


@pytest.mark.parametrize("code", [200, 204, 299, 418, 599])
def test_status_inside_200_599_is_sent(server, code):
    assert get_raw(server, f"/send/status/{code}").status == code


def test_http_error_with_a_framing_header_is_a_500(server):
    r = get_raw(server, "/send/http-error-header")
    data = support.assert_error_shape(r, 500)
    assert "Content-Length" in str(data)
