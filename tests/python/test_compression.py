"""enable_compression() (API.md "Middleware"; docs/middleware-http.md "Compression"): gzip for
compressible bodies of at least min_size bytes when Accept-Encoding allows it, Vary on the
answers that depend on it, never for bodiless or streamed responses, once per cached entry. The app
is served in-process by TestClient; raw sockets to its port for repeated header lines, HEAD and the
chunked framing of streamed bodies."""
from __future__ import annotations

import gzip

import pytest

import support
from cello.testing import TestClient

TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(200)).encode()


@pytest.fixture(scope="module")
def client(import_app):
    with TestClient(import_app("compression_app").app) as c:
        yield c


def get(client, path, accept="gzip", method="GET"):
    headers = {} if accept is None else {"Accept-Encoding": accept}
    return client.request(method, path, headers=headers)


def is_gzip(r):
    return r.headers.get("Content-Encoding") == "gzip"


def vary_lists(r, token):
    return any(token.lower() in [t.strip().lower() for t in v.split(",")] for v in r.headers.getlist("Vary"))


def test_text_round_trip_is_byte_exact(client):
    r = get(client, "/text")
    assert r.status_code == 200, r
    assert is_gzip(r), r
    assert int(r.headers["Content-Length"]) == len(r.content) < len(TEXT)
    assert gzip.decompress(r.content) == TEXT
    assert vary_lists(r, "Accept-Encoding")


def test_json_and_structured_types_are_compressed(client):
    plain = get(client, "/json", accept=None)
    zipped = get(client, "/json")
    assert is_gzip(zipped) and not is_gzip(plain)
    assert gzip.decompress(zipped.content) == plain.content
    for path in ("/svg", "/problem"):
        assert is_gzip(get(client, path)), path


@pytest.mark.parametrize("accept", [
    "gzip", "GZIP", "x-gzip", "*", "deflate, gzip;q=0.5", " br ; q=1 ,\tgzip ; Q=0.001 ",
    "gzip;q=1.000", "gzip, identity;q=0", "identity;q=0.5, gzip", "gzip, gzip;q=0",
])
def test_accepted(client, accept):
    r = get(client, "/text", accept=accept)
    assert r.status_code == 200 and is_gzip(r), (accept, r)
    assert gzip.decompress(r.content) == TEXT


@pytest.mark.parametrize("accept", [
    "", "br", "deflate, br", "gzip;q=0", "gzip; q=0.000", "*;q=0", "gzip;q=0, *", "identity, gzip;q=0.5",
    "gzip;q=2", "gzip;q=abc", "gzip;q=0.5, *;q=1, identity;q=0.9",
])
def test_refused(client, accept):
    r = get(client, "/text", accept=accept)
    assert r.status_code == 200 and not is_gzip(r), (accept, r)
    assert r.content == TEXT
    assert vary_lists(r, "Accept-Encoding")  # the answer still depends on the header


def test_no_accept_encoding_means_identity(client):
    r = get(client, "/text", accept=None)
    assert not is_gzip(r) and r.content == TEXT
    assert vary_lists(r, "Accept-Encoding")


def test_identity_refused_without_gzip_still_gets_identity(client):
    # No acceptable coding at all: identity rather than 406 (docs/middleware-http.md).
    for accept in ("identity;q=0", "*;q=0", "br, identity;q=0"):
        r = get(client, "/text", accept=accept)
        assert r.status_code == 200 and not is_gzip(r) and r.content == TEXT, (accept, r)


def test_huge_accept_encoding_header_is_cheap_and_harmless(client):
    # Only the first 1 KiB / 32 entries are read: a gzip at the end of a 12 KiB header is not seen.
    filler = ", ".join(f"coding{i};q=0.5" for i in range(900))
    r = get(client, "/text", accept=filler + ", gzip")
    assert r.status_code == 200 and not is_gzip(r) and r.content == TEXT, r
    r = get(client, "/text", accept="gzip, " + filler)
    assert is_gzip(r) and gzip.decompress(r.content) == TEXT
    # An entry cut in half by the limit is dropped, not read as "gzip".
    r = get(client, "/text", accept="x" * 1010 + ", gzip;q=0.000000")
    assert not is_gzip(r)
    assert get(client, "/text").status_code == 200  # still serving


def test_several_accept_encoding_lines_form_one_list(client):
    with support.RawConnection(client.port) as conn:
        conn.send("GET /text HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip\r\n\r\n")
        r = conn.read_response()
    assert is_gzip(r) and gzip.decompress(r.body) == TEXT


def test_small_body_not_compressed(client):
    r = get(client, "/small")
    assert r.status_code == 200 and not is_gzip(r) and r.content == b"tiny body"
    assert "Vary" not in r.headers


def test_image_not_compressed(client):
    r = get(client, "/image")
    assert r.status_code == 200 and not is_gzip(r) and len(r.content) == 4100
    assert "Vary" not in r.headers


def test_204_never(client):
    r = get(client, "/empty")
    assert r.status_code == 204 and not is_gzip(r) and r.content == b""


def test_head_never(client):
    with support.RawConnection(client.port) as conn:
        conn.send("HEAD /text HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 200 and not is_gzip(r), r
        assert int(r.headers["Content-Length"]) == len(TEXT)
        assert vary_lists(r, "Accept-Encoding")
        conn.send("GET /text HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        assert gzip.decompress(conn.read_response().body) == TEXT  # same connection still in sync


def test_existing_content_encoding_untouched(client):
    r = get(client, "/encoded")
    assert r.headers.get("Content-Encoding") == "identity-ish" and r.content == TEXT


def test_streamed_body_not_compressed(client):
    with support.RawConnection(client.port) as conn:
        conn.send("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200 and not is_gzip(r) and r.body == TEXT * 3


def test_strong_etag_becomes_weak_and_vary_is_merged(client):
    r = get(client, "/etag")
    assert is_gzip(r)
    assert r.headers["ETag"] == 'W/"v1"'
    assert r.headers.getlist("Vary") == ["Cookie, Accept-Encoding"]
    plain = get(client, "/etag", accept="identity")
    assert plain.headers["ETag"] == '"v1"'


def test_cached_route_is_compressed_once(client):
    def cache_bytes():
        return client.get("/cache-bytes").json()["bytes"]

    before = cache_bytes()
    plain = get(client, "/cached", accept=None)
    assert plain.headers["X-Cache"] == "MISS" and not is_gzip(plain)
    stored = cache_bytes()
    assert stored > before

    first = get(client, "/cached")
    assert first.headers["X-Cache"] == "HIT" and is_gzip(first)
    assert gzip.decompress(first.content) == plain.content  # the handler ran once: call == 1 inside
    with_gzip = cache_bytes()
    assert with_gzip == stored + len(first.content)  # the gzip variant is stored with the entry

    second = get(client, "/cached")
    assert second.headers["X-Cache"] == "HIT" and is_gzip(second)
    assert second.content == first.content
    assert cache_bytes() == with_gzip  # not compressed (nor stored) again
    assert vary_lists(second, "Accept-Encoding")
    identity = get(client, "/cached", accept="identity")
    assert identity.headers["X-Cache"] == "HIT" and identity.content == plain.content
