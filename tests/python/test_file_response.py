"""Response.file(path, filename=None, content_type=None, status=200, headers=None) over real HTTP
(docs/files-and-forms.md): content and type, downloads, ranges, validators, HEAD, errors, and a
20 MB file streamed without the server's memory growing by its size.

The files are created here and handed to apps/file_app.py through CELLO_FILE_DIR. After every
test a plain request must still succeed (the autouse fixture `still_serving`).
"""
from __future__ import annotations

import hashlib
import os
import time
from email.utils import formatdate
from urllib.parse import quote

import pytest

import support

HELLO = b"hello file\n"
BIG_SIZE = 20 * 1024 * 1024
MEDIUM_SIZE = 200 * 1024  # above the 64 KiB whole-read limit: streamed


pattern = support.pattern


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    base = tmp_path_factory.mktemp("files")
    (base / "hello.txt").write_bytes(HELLO)
    (base / "page.html").write_bytes(b"<p>page</p>")
    (base / "data.json").write_bytes(b'{"a":1}')
    (base / "noext").write_bytes(b"raw")
    (base / "empty.txt").write_bytes(b"")
    (base / "medium.bin").write_bytes(pattern(MEDIUM_SIZE))
    (base / "sub").mkdir()
    (base / "locked.txt").write_bytes(b"locked")
    os.chmod(base / "locked.txt", 0)
    with open(base / "big.bin", "wb") as f:
        f.write(pattern(BIG_SIZE))
    return base


def unreadable_file(base) -> str | None:
    """A file that open() refuses with EACCES: a mode-000 file, or for root (who reads those
    anyway) a write-only sysfs attribute, which the kernel refuses to open for reading."""
    if os.geteuid() != 0:
        return str(base / "locked.txt")
    for candidate in ("/sys/bus/pci/rescan", "/sys/class/zram-control/hot_remove"):
        try:
            open(candidate, "rb").close()
        except PermissionError:
            return candidate
        except OSError:
            continue
    return None


@pytest.fixture(scope="module")
def server(base):
    env = {"CELLO_FILE_DIR": str(base), "CELLO_UNREADABLE_FILE": unreadable_file(base) or ""}
    with support.running("file_app.py", "--no-logs", env=env) as s:
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/ok")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}"
    assert server.proc.poll() is None



def head(server, path: str, headers: dict[str, str] | None = None) -> support.Reply:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    with server.raw(timeout=10) as conn:
        conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode("latin-1"))
        r = conn.read_response(head=True)
        assert conn.is_open()  # nothing but headers followed: the connection is still in sync
        return r


# ---- content and type ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,ctype", [
    ("hello.txt", "text/plain; charset=utf-8"),
    ("page.html", "text/html; charset=utf-8"),
    ("data.json", "application/json"),
    ("noext", "application/octet-stream"),
    ("medium.bin", "application/octet-stream"),
])
def test_content_and_guessed_type(server, base, name, ctype):
    r = server.get(f"/files/{name}")
    assert r.status == 200, r
    assert r.body == (base / name).read_bytes()
    assert r.content_type == ctype
    assert r.headers["Content-Length"] == str(len(r.body))
    assert r.headers["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in r.headers
    assert "Cache-Control" not in r.headers  # no caching policy unless the handler sets one


def test_empty_file(server):
    r = server.get("/files/empty.txt")
    assert (r.status, r.body, r.headers["Content-Length"]) == (200, b"", "0")


def test_given_content_type_wins(server):
    r = server.get("/typed/hello.txt")
    assert (r.status, r.content_type, r.body) == (200, "application/x-custom", HELLO)


def test_bytes_path(server):
    r = server.get("/bytes-path")
    assert (r.status, r.body) == (200, HELLO)


def test_handler_headers_are_kept_and_its_etag_is_the_validator(server):
    r = server.get("/headers")
    assert r.status == 200, r
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Extra"] == "1"
    assert r.headers.getlist("ETag") == ['"my-version"']
    assert r.headers.getlist("Content-Length") == [str(len(HELLO))]  # the handler's 999 is dropped
    assert r.body == HELLO
    again = server.get("/headers", headers={"If-None-Match": '"my-version"'})
    assert again.status == 304, again


def test_other_status_sends_the_whole_file(server):
    r = server.get("/status", headers={"Range": "bytes=0-1"})
    assert (r.status, r.body) == (203, HELLO)
    r = server.get("/status", headers={"If-None-Match": "*"})
    assert (r.status, r.body) == (203, HELLO)


# ---- downloads ----------------------------------------------------------------------------------

def test_download_ascii_name(server):
    r = server.get("/download/medium.bin?as=report.pdf")
    assert r.status == 200, r
    assert r.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert r.content_type == "application/pdf"  # guessed from the download name
    assert r.body == pattern(MEDIUM_SIZE)


def test_download_name_with_quotes_is_escaped(server):
    r = server.get('/download/hello.txt?as=say%20%22hi%22%5C.txt')
    assert r.headers["Content-Disposition"] == 'attachment; filename="say \\"hi\\"\\\\.txt"'


def test_download_non_ascii_name(server):
    r = server.get("/download/hello.txt?as=" + quote("Grüße €.txt"))
    assert r.status == 200, r
    assert r.headers["Content-Disposition"] == (
        "attachment; filename=\"Gru_e _.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%E2%82%AC.txt")
    assert r.content_type == "text/plain; charset=utf-8"


def test_download_name_with_control_characters_cannot_inject(server):
    r = server.get("/download/hello.txt?as=a%0D%0AX-Injected:%201")
    assert r.status == 200, r
    assert "X-Injected" not in r.headers
    assert r.headers["Content-Disposition"] == "attachment; filename=\"a__X-Injected: 1\"; filename*=UTF-8''a%0D%0AX-Injected%3A%201"


# ---- ranges -------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,first,last", [
    ("bytes=0-4", 0, 4),
    ("bytes=100000-", 100000, MEDIUM_SIZE - 1),
    ("bytes=-10", MEDIUM_SIZE - 10, MEDIUM_SIZE - 1),
    ("bytes=5-999999999", 5, MEDIUM_SIZE - 1),
    ("BYTES=1-1", 1, 1),
])
def test_range_forms(server, spec, first, last):
    r = server.get("/files/medium.bin", headers={"Range": spec})
    assert r.status == 206, r
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{MEDIUM_SIZE}"
    assert r.headers["Content-Length"] == str(last - first + 1)
    assert r.body == pattern(MEDIUM_SIZE)[first:last + 1]


@pytest.mark.parametrize("spec", ["bytes=0-1,3-4", "bytes=abc", "bytes=5-2", "items=0-1"])
def test_ranges_that_are_ignored(server, spec):
    r = server.get("/files/hello.txt", headers={"Range": spec})
    assert (r.status, r.body) == (200, HELLO)


@pytest.mark.parametrize("spec", [f"bytes={len(HELLO)}-", "bytes=-0", "bytes=99999-100000"])
def test_unsatisfiable_range_is_416(server, spec):
    r = server.get("/files/hello.txt", headers={"Range": spec})
    support.assert_error_shape(r, 416)
    assert r.headers["Content-Range"] == f"bytes */{len(HELLO)}"


def test_if_range(server):
    etag = server.get("/files/hello.txt").headers["ETag"]
    r = server.get("/files/hello.txt", headers={"Range": "bytes=0-4", "If-Range": etag})
    assert (r.status, r.body) == (206, HELLO[:5])
    r = server.get("/files/hello.txt", headers={"Range": "bytes=0-4", "If-Range": '"stale"'})
    assert (r.status, r.body) == (200, HELLO)


def test_range_of_a_big_file_streams(server):
    first, last = 10_000_000, 10_300_000
    r = server.get("/files/big.bin", headers={"Range": f"bytes={first}-{last}"}, timeout=30)
    assert r.status == 206, r
    assert r.headers.get("Transfer-Encoding") is None
    assert r.body == pattern(BIG_SIZE)[first:last + 1]


# ---- validators ---------------------------------------------------------------------------------

def test_etag_and_last_modified(server, base):
    r = server.get("/files/hello.txt")
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    st = os.stat(base / "hello.txt")
    assert r.headers["Last-Modified"] == formatdate(int(st.st_mtime), usegmt=True)


def test_if_none_match_gives_304(server):
    etag = server.get("/files/hello.txt").headers["ETag"]
    r = server.get("/files/hello.txt", headers={"If-None-Match": etag})
    assert (r.status, r.body) == (304, b"")
    assert r.headers["ETag"] == etag
    r = server.get("/files/hello.txt", headers={"If-None-Match": f'"other", W/{etag}'})
    assert r.status == 304
    r = server.get("/files/hello.txt", headers={"If-None-Match": '"other"'})
    assert (r.status, r.body) == (200, HELLO)


def test_if_modified_since(server):
    lm = server.get("/files/hello.txt").headers["Last-Modified"]
    assert server.get("/files/hello.txt", headers={"If-Modified-Since": lm}).status == 304
    earlier = formatdate(time.time() - 10 * 365 * 86400, usegmt=True)
    assert server.get("/files/hello.txt", headers={"If-Modified-Since": earlier}).status == 200
    assert server.get("/files/hello.txt", headers={"If-Modified-Since": "garbage"}).status == 200


def test_a_changed_file_gets_a_new_etag(server, base):
    path = base / "changing.txt"
    path.write_bytes(b"one")
    first = server.get("/files/changing.txt")
    path.write_bytes(b"two!")
    second = server.get("/files/changing.txt", headers={"If-None-Match": first.headers["ETag"]})
    assert (second.status, second.body) == (200, b"two!")
    assert second.headers["ETag"] != first.headers["ETag"]


# ---- HEAD ---------------------------------------------------------------------------------------

def test_head_has_the_get_headers_without_a_body(server):
    get = server.get("/files/big.bin", headers={"Range": "bytes=0-0"})
    r = head(server, "/files/big.bin", {"Range": "bytes=0-0"})  # HEAD ignores Range
    assert r.status == 200, r
    assert r.body == b""
    assert r.headers["Content-Length"] == str(BIG_SIZE)
    assert r.headers["ETag"] == get.headers["ETag"]
    assert r.headers["Accept-Ranges"] == "bytes"
    r = head(server, "/download/hello.txt?as=x.txt")
    assert r.headers["Content-Length"] == str(len(HELLO))
    assert r.headers["Content-Disposition"] == 'attachment; filename="x.txt"'


# ---- errors -------------------------------------------------------------------------------------

def test_missing_file_is_404_and_logged(server):
    r = server.get("/missing")
    support.assert_error_shape(r, 404, "file not found")
    assert server.wait_for_stderr("no-such-file.txt'): No such file or directory; answering 404")


def test_directory_is_refused(server):
    r = server.get("/directory")
    support.assert_error_shape(r, 404, "file not found")
    assert server.wait_for_stderr("not a regular file; answering 404")
    r = server.get("/files/")  # the base directory itself
    support.assert_error_shape(r, 404, "file not found")


def test_unreadable_file_is_500_and_logged(server, base):
    path = unreadable_file(base)
    if path is None:
        pytest.skip("running as root and no write-only sysfs file to stand for an unreadable file")
    r = server.get("/unreadable")
    support.assert_error_shape(r, 500, "file could not be read")
    assert server.wait_for_stderr(f"{path}'): Permission denied; answering 500")


def test_file_is_opened_when_sent_not_when_built(base):
    from cello import Response

    response = Response.file(base / "created-later.txt", filename="later.txt")
    assert response.file_path == str(base / "created-later.txt")
    assert response.headers["Content-Disposition"] == 'attachment; filename="later.txt"'
    with pytest.raises(ValueError):
        Response.file("bad\0path")
    with pytest.raises(TypeError):
        Response.file(42)  # type: ignore[arg-type]


def test_file_created_after_the_response_was_built_is_served(server, base):
    assert server.get("/files/late.txt").status == 404
    (base / "late.txt").write_bytes(b"late")
    assert server.get("/files/late.txt").body == b"late"


# ---- big files ----------------------------------------------------------------------------------

def test_big_file_streams_with_small_rss(server):
    d = support.download_watching_rss(server, "/files/big.bin")
    assert d.status == 200
    assert d.headers.get("Content-Length") == str(BIG_SIZE)
    assert d.headers.get("Transfer-Encoding") is None
    assert d.size == BIG_SIZE
    assert d.sha256 == hashlib.sha256(pattern(BIG_SIZE)).hexdigest()
    # One 64 KiB chunk plus the connection's output buffer: far below the 20 MB file.
    assert d.rss_growth_kib < 8 * 1024, f"server RSS grew by {d.rss_growth_kib} KiB while streaming a 20 MB file"


def test_keep_alive_after_a_streamed_file(server):
    with server.raw(timeout=30) as conn:
        for _ in range(2):
            conn.send(b"GET /files/medium.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.read_response().body == pattern(MEDIUM_SIZE)
        conn.send(b"GET /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().body == HELLO


def test_a_range_answer_is_never_cached(server):
    first = server.get("/cached", headers={"Range": "bytes=0-1"})
    assert (first.status, first.body) == (206, HELLO[:2])
    whole = server.get("/cached")
    assert (whole.status, whole.body) == (200, HELLO)
    hit = server.get("/cached")
    assert (hit.status, hit.body, hit.headers["X-Cache"]) == (200, HELLO, "HIT")
