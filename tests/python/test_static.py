"""app.static(prefix, directory): files served natively (docs/middleware-static.md).

The files are created here in a temporary directory and handed to apps/static_app.py through
CELLO_STATIC_DIR (/static, max_age=600) and CELLO_STATIC_DIR2 (/assets, max_age=0). A secret file
sits next to the served directory: no request may ever return it. After every test a plain request
on a new connection must still succeed (the autouse fixture `still_serving`).
"""
from __future__ import annotations

import hashlib
import os
import socket
import struct
import time
from email.utils import formatdate

import pytest

import support

SECRET = b"TOP SECRET - never served"
HELLO = b"hello static\n"
BIG_SIZE = 20 * 1024 * 1024
MEDIUM_SIZE = 200 * 1024  # above the 64 KiB whole-read limit: streamed


pattern = support.pattern


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("static")
    (base / "secret.txt").write_bytes(SECRET)
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_bytes(SECRET)
    root = base / "public"
    root.mkdir()
    files = {
        "hello.txt": HELLO,
        "index.html": b"<h1>root index</h1>",
        "page.html": b"<p>page</p>",
        "UPPER.HTML": b"<p>upper</p>",
        "style.css": b"body{color:red}",
        "app.js": b"console.log(1)",
        "mod.mjs": b"export default 1",
        "data.json": b'{"a":1}',
        "logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "img.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "photo.jpg": b"\xff\xd8\xff" + bytes(64),
        "anim.gif": b"GIF89a",
        "pic.webp": b"RIFF0000WEBP",
        "favicon.ico": b"\x00\x00\x01\x00",
        "font.woff2": b"wOF2",
        "code.wasm": b"\x00asm\x01\x00\x00\x00",
        "doc.pdf": b"%PDF-1.4",
        "feed.xml": b"<feed/>",
        "noext": b"no extension",
        "blob.zzzunknown": b"unknown type",
        "empty.txt": b"",
        "space name.txt": b"with a space",
        "grüße.txt": "grüße".encode(),
        ".env": SECRET,
        "medium.bin": pattern(MEDIUM_SIZE),
        "sub/deep/file.txt": b"deep file",
        "docs/index.html": b"<h1>docs index</h1>",
        "docs/guide.html": b"<p>guide</p>",
        ".git/config": SECRET,
        "api/readme.txt": b"a file beside an app route",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "empty_dir").mkdir()
    with open(root / "big.bin", "wb") as f:
        f.write(pattern(BIG_SIZE))
    os.symlink(base / "secret.txt", root / "link_out")             # a file outside the root
    os.symlink(base / "outside", root / "dir_out")                  # a directory outside the root
    os.symlink("../secret.txt", root / "rel_link_out")              # relative, outside
    os.symlink("hello.txt", root / "link_in.txt")                    # inside: served
    os.mkfifo(root / "pipe")                                          # never opened (would block)
    assets = base / "assets"
    assets.mkdir()
    (assets / "app.css").write_bytes(b"a{}")
    return {"base": base, "root": root, "assets": assets, "files": files}


@pytest.fixture(scope="module")
def server(tree):
    env = {"CELLO_STATIC_DIR": str(tree["root"]), "CELLO_STATIC_DIR2": str(tree["assets"])}
    with support.running("static_app.py", "--no-logs", env=env) as s:
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/ok")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}"
    assert server.proc.poll() is None


def raw_get(server, target: str, headers: dict[str, str] | None = None, method: str = "GET") -> support.Reply:
    """One request with the target sent byte for byte (http.client would not normalise it either,
    but this also allows targets it refuses)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    with server.raw(timeout=10) as conn:
        conn.send(f"{method} {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode("latin-1"))
        return conn.read_response(head=method == "HEAD")



def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---- content and types --------------------------------------------------------------------------

@pytest.mark.parametrize("name,ctype", [
    ("hello.txt", "text/plain; charset=utf-8"),
    ("page.html", "text/html; charset=utf-8"),
    ("UPPER.HTML", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
    ("mod.mjs", "text/javascript; charset=utf-8"),
    ("data.json", "application/json"),
    ("logo.svg", "image/svg+xml"),
    ("img.png", "image/png"),
    ("photo.jpg", "image/jpeg"),
    ("anim.gif", "image/gif"),
    ("pic.webp", "image/webp"),
    ("favicon.ico", "image/vnd.microsoft.icon"),
    ("font.woff2", "font/woff2"),
    ("code.wasm", "application/wasm"),
    ("doc.pdf", "application/pdf"),
    ("feed.xml", "application/xml"),
    ("noext", "application/octet-stream"),
    ("blob.zzzunknown", "application/octet-stream"),
    ("sub/deep/file.txt", "text/plain; charset=utf-8"),
])
def test_content_and_type(server, tree, name, ctype):
    r = server.get("/static/" + name)
    assert r.status == 200, r
    assert r.body == tree["files"][name]
    assert r.content_type == ctype
    assert r.headers["Content-Length"] == str(len(tree["files"][name]))
    assert r.headers["Cache-Control"] == "public, max-age=600"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["ETag"].startswith('"') and r.headers["ETag"].endswith('"')
    assert r.headers["Last-Modified"].endswith(" GMT")


def test_encoded_names_and_query(server, tree):
    assert server.get("/static/space%20name.txt").body == b"with a space"
    assert server.get("/static/gr%C3%BC%C3%9Fe.txt").body == "grüße".encode()
    r = server.get("/static/hello.txt?v=123")  # cache busting query strings are ignored
    assert (r.status, r.body) == (200, HELLO)
    assert server.get("/static//sub//deep/file.txt").body == b"deep file"  # empty segments skipped


def test_empty_file(server):
    r = server.get("/static/empty.txt")
    assert (r.status, r.body, r.headers["Content-Length"]) == (200, b"", "0")


def test_last_modified_is_the_file_mtime(server, tree):
    mtime = os.stat(tree["root"] / "hello.txt").st_mtime
    assert server.get("/static/hello.txt").headers["Last-Modified"] == formatdate(int(mtime), usegmt=True)


def test_second_mount_has_its_own_directory_and_max_age(server):
    r = server.get("/assets/app.css")
    assert (r.status, r.body) == (200, b"a{}")
    assert r.headers["Cache-Control"] == "public, max-age=0"
    support.assert_error_shape(server.get("/assets/hello.txt"), 404)


def test_symlink_inside_the_root_is_served(server):
    r = server.get("/static/link_in.txt")
    assert (r.status, r.body) == (200, HELLO)


# ---- missing files, directories, app routes --------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/static/missing.txt", "/static/sub/missing", "/static/hello.txt/", "/static/empty_dir/",
    "/static/empty_dir", "/static/pipe", "/static/sub/deep/file.txt/x",
])
def test_missing_is_json_404(server, path):
    support.assert_error_shape(server.get(path), 404)


def test_head_of_missing_is_404_without_body(server):
    r = raw_get(server, "/static/missing.txt", method="HEAD")
    assert (r.status, r.body) == (404, b"")


def test_directory_serves_index_html(server):
    r = server.get("/static/docs/")
    assert (r.status, r.body) == (200, b"<h1>docs index</h1>")
    assert r.content_type == "text/html; charset=utf-8"
    assert server.get("/static/").body == b"<h1>root index</h1>"


@pytest.mark.parametrize("path,location", [
    ("/static/docs", "/static/docs/"),
    ("/static/docs?x=1", "/static/docs/?x=1"),
    ("/static", "/static/"),
])
def test_directory_without_slash_redirects(server, path, location):
    r = raw_get(server, path)
    assert r.status == 301, r
    assert r.headers["Location"] == location


def test_app_routes_under_the_prefix_still_work(server):
    assert server.get("/static/api/info").json() == {"route": "info"}
    assert server.get("/static/api/readme.txt").body == b"a file beside an app route"
    assert server.post("/static/upload", body=b"12345").json() == {"uploaded": 5}


def test_mount_at_root(start_server, tree):
    env = {"CELLO_STATIC_DIR": str(tree["root"]), "CELLO_STATIC_ROOT_MOUNT": "1"}
    s = start_server("static_app.py", "--no-logs", env=env)
    assert s.get("/").body == b"<h1>root index</h1>"
    assert s.get("/hello.txt").body == HELLO
    assert s.get("/ok").body == b"ok"  # no such file: the app route answers
    assert s.get("/static/api/info").json() == {"route": "info"}
    support.assert_error_shape(s.get("/nothing"), 404)
    r = raw_get(s, "//docs")
    assert r.status == 301, r
    assert r.headers["Location"] == "/docs/"  # never "//docs/": a protocol-relative (open) redirect
    assert raw_get(s, "/docs").headers["Location"] == "/docs/"
    assert SECRET not in raw_get(s, "/../secret.txt").body


def test_paths_outside_the_prefix_are_untouched(server):
    support.assert_error_shape(server.get("/staticx/hello.txt"), 404)
    support.assert_error_shape(server.get("/hello.txt"), 404)


# ---- methods ----------------------------------------------------------------------------------------

def test_head_has_headers_and_no_body(server, tree):
    get = server.get("/static/medium.bin")
    with server.raw() as conn:
        conn.send(b"HEAD /static/medium.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 200, r
        assert r.headers["Content-Length"] == str(MEDIUM_SIZE)
        assert "Transfer-Encoding" not in r.headers
        for name in ("ETag", "Last-Modified", "Cache-Control", "Accept-Ranges", "Content-Type"):
            assert r.headers[name] == get.headers[name], name
        # no body bytes followed: the next response on the connection parses cleanly
        conn.send(b"GET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().body == HELLO


def test_head_of_big_file_is_instant(server):
    with server.raw() as conn:
        conn.send(b"HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n")
        r = conn.read_response(head=True)
        assert r.status == 200, r  # Range is defined for GET only
        assert r.headers["Content-Length"] == str(BIG_SIZE)
        conn.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().body == b"ok"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "PROPFIND"])
def test_other_methods_are_405(server, method):
    r = raw_get(server, "/static/hello.txt", method=method)
    support.assert_error_shape(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_options_lists_the_methods(server):
    r = raw_get(server, "/static/hello.txt", method="OPTIONS")
    assert r.status == 204, r
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


# ---- validators and conditional requests ----------------------------------------------------------

def test_if_none_match_gives_304(server):
    r = server.get("/static/hello.txt")
    etag = r.headers["ETag"]
    for value in (etag, f'"nope", {etag}', f"W/{etag}", "*", f'"a,b", W/{etag}'):
        c = raw_get(server, "/static/hello.txt", {"If-None-Match": value})
        assert c.status == 304, (value, c)
        assert c.body == b""
        assert c.headers["ETag"] == etag
        assert c.headers["Cache-Control"] == "public, max-age=600"
        assert "Content-Length" not in c.headers
    for value in ('"nope"', "garbage", etag[:-2] + '"', ""):
        c = server.get("/static/hello.txt", headers={"If-None-Match": value})
        assert (c.status, c.body) == (200, HELLO), value


def test_head_if_none_match_gives_304(server):
    etag = server.get("/static/hello.txt").headers["ETag"]
    r = raw_get(server, "/static/hello.txt", {"If-None-Match": etag}, method="HEAD")
    assert r.status == 304, r


def test_if_modified_since(server, tree):
    lm = server.get("/static/hello.txt").headers["Last-Modified"]
    mtime = int(os.stat(tree["root"] / "hello.txt").st_mtime)
    r = raw_get(server, "/static/hello.txt", {"If-Modified-Since": lm})
    assert (r.status, r.body) == (304, b""), r
    later = formatdate(mtime + 3600, usegmt=True)
    assert raw_get(server, "/static/hello.txt", {"If-Modified-Since": later}).status == 304
    # the obsolete forms recipients must accept (RFC 9110 5.6.7)
    t = time.gmtime(mtime + 60)
    rfc850 = time.strftime("%A, %d-%b-%y %H:%M:%S GMT", t)
    asctime = time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)
    for value in (rfc850, asctime):
        assert raw_get(server, "/static/hello.txt", {"If-Modified-Since": value}).status == 304, value
    earlier = formatdate(mtime - 3600, usegmt=True)
    for value in (earlier, "yesterday", "Sun, 31 Feb 2021 00:00:00 GMT", "Sun, 06 Nov 1994 25:00:00 GMT"):
        r = server.get("/static/hello.txt", headers={"If-Modified-Since": value})
        assert (r.status, r.body) == (200, HELLO), value


def test_if_none_match_takes_precedence_over_if_modified_since(server):
    lm = server.get("/static/hello.txt").headers["Last-Modified"]
    r = server.get("/static/hello.txt", headers={"If-None-Match": '"other"', "If-Modified-Since": lm})
    assert (r.status, r.body) == (200, HELLO)


def test_etag_changes_when_the_file_changes(server, tree):
    path = tree["root"] / "changing.txt"
    path.write_bytes(b"version one")
    first = server.get("/static/changing.txt")
    path.write_bytes(b"version two!")
    second = server.get("/static/changing.txt")
    assert second.body == b"version two!"
    assert first.headers["ETag"] != second.headers["ETag"]
    assert raw_get(server, "/static/changing.txt", {"If-None-Match": first.headers["ETag"]}).status == 200


# ---- ranges -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,first,last", [
    ("bytes=0-4", 0, 4),
    ("bytes=5-", 5, len(HELLO) - 1),
    ("bytes=-3", len(HELLO) - 3, len(HELLO) - 1),
    ("bytes=2-2", 2, 2),
    ("bytes=0-999999", 0, len(HELLO) - 1),
    ("bytes=-999", 0, len(HELLO) - 1),
    ("Bytes=1-3", 1, 3),       # the unit is case-insensitive
    (" bytes=1-3 ", 1, 3),
])
def test_range_206(server, spec, first, last):
    r = server.get("/static/hello.txt", headers={"Range": spec})
    assert r.status == 206, (spec, r)
    assert r.body == HELLO[first:last + 1]
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{len(HELLO)}"
    assert r.headers["Content-Length"] == str(last - first + 1)
    assert r.content_type == "text/plain; charset=utf-8"


@pytest.mark.parametrize("spec,first,last", [
    ("bytes=1000-150000", 1000, 150000),       # streamed: above the whole-read limit
    ("bytes=65530-65545", 65530, 65545),       # across a chunk boundary
    ("bytes=-70000", MEDIUM_SIZE - 70000, MEDIUM_SIZE - 1),
    ("bytes=100000-", 100000, MEDIUM_SIZE - 1),
])
def test_range_of_a_streamed_file(server, tree, spec, first, last):
    r = server.get("/static/medium.bin", headers={"Range": spec})
    assert r.status == 206, r
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{MEDIUM_SIZE}"
    assert r.body == tree["files"]["medium.bin"][first:last + 1]


@pytest.mark.parametrize("path,spec,size", [
    ("/static/hello.txt", "bytes=1000-2000", len(HELLO)),
    ("/static/hello.txt", f"bytes={len(HELLO)}-", len(HELLO)),
    ("/static/hello.txt", "bytes=-0", len(HELLO)),
    ("/static/hello.txt", "bytes=99999999999999999999999999-", len(HELLO)),
    ("/static/empty.txt", "bytes=0-0", 0),
    ("/static/empty.txt", "bytes=-5", 0),
])
def test_unsatisfiable_range_416(server, path, spec, size):
    r = server.get(path, headers={"Range": spec})
    support.assert_error_shape(r, 416)
    assert r.headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("spec,status", [
    ("bytes=abc", 200),
    ("bytes=5-2", 200),
    ("items=0-1", 200),
    ("bytes=0-1,3-4", 200),           # several ranges: ignored, whole file
    ("bytes=0-1,", 200),
    ("bytes=", 200),
    ("bytes=-", 200),
    ("bytes=--1", 200),
    ("bytes=1-2-3", 200),
    ("bytes 0-1", 200),
    ("bytes = 0-1", 200),             # no whitespace around '=' in the grammar
    ("bytes=0x10-0x20", 200),
    ("bytes=+1-2", 200),
    ("bytes=0-99999999999999999999999999", 206),
    ("bytes=-99999999999999999999999999", 206),
    ("bytes=18446744073709551615-18446744073709551615", 416),
    ("=", 200),
    ("bytes=\xff\xfe", 200),          # obs-text bytes
])
def test_bad_range_headers_never_crash(server, spec, status):
    r = raw_get(server, "/static/hello.txt", {"Range": spec})
    assert r.status == status, (spec, r)
    if status == 200:
        assert r.body == HELLO
        assert "Content-Range" not in r.headers
    elif status == 206:
        assert r.body == HELLO


def test_if_range(server):
    r = server.get("/static/hello.txt")
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    honoured = {"Range": "bytes=0-4"}
    assert server.get("/static/hello.txt", headers={**honoured, "If-Range": etag}).status == 206
    assert server.get("/static/hello.txt", headers={**honoured, "If-Range": lm}).status == 206
    for stale in ('"other"', f"W/{etag}", "Sun, 06 Nov 1994 08:49:37 GMT", "garbage"):
        s = server.get("/static/hello.txt", headers={**honoured, "If-Range": stale})
        assert (s.status, s.body) == (200, HELLO), stale


# ---- refused paths ----------------------------------------------------------------------------------

TRAVERSALS = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/sub/%2e%2e/%2e%2e/secret.txt",
    "/static/./../secret.txt",
    "/static/..\\secret.txt",
    "/static/..%5csecret.txt",
    "/static/%5c..%5csecret.txt",
    "/static/link_out",
    "/static/rel_link_out",
    "/static/dir_out/secret.txt",
    "/static/dir_out/",
    "/static/.env",
    "/static/.git/config",
    "/static/%2eenv",
    "/static/hello.txt%00.png",
    "/static/%00",
    "/static/" + "../" * 20 + "etc/passwd",
    "/static/..%252fsecret.txt",
    "http://x/static/../secret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",   # overlong UTF-8 dots: invalid UTF-8
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_refused(server, target):
    r = raw_get(server, target)
    assert r.status in (400, 404), (target, r)
    assert SECRET not in r.body
    if r.status == 404:
        support.assert_error_shape(r, 404)


def test_secret_never_returned_over_one_connection(server):
    """The same attempts pipelined on one keep-alive connection, then a real file."""
    with server.raw(timeout=10) as conn:
        for target in TRAVERSALS[:15]:
            conn.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1"))
        conn.send(b"GET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in TRAVERSALS[:15]:
            r = conn.read_response()
            assert r.status == 404 and SECRET not in r.body, r
        assert conn.read_response().body == HELLO


# ---- large files --------------------------------------------------------------------------------------

def test_large_file_streams_byte_exact_with_small_rss(server, tree):
    d = support.download_watching_rss(server, "/static/big.bin")
    assert d.status == 200
    assert d.headers.get("Content-Length") == str(BIG_SIZE)
    assert d.headers.get("Transfer-Encoding") is None
    assert d.headers.get("Content-Type") == "application/octet-stream"
    assert d.size == BIG_SIZE
    assert d.sha256 == hashlib.sha256(pattern(BIG_SIZE)).hexdigest()
    # One 64 KiB chunk plus the connection's output buffer: far below the 20 MB file.
    assert d.rss_growth_kib < 8 * 1024, f"server RSS grew by {d.rss_growth_kib} KiB while streaming a 20 MB file"


def test_http10_download_is_sized(server):
    with server.raw(timeout=30) as conn:
        conn.send(b"GET /static/medium.bin HTTP/1.0\r\n\r\n")
        r = conn.read_response()
    assert r.status == 200
    assert r.headers["Content-Length"] == str(MEDIUM_SIZE)
    assert r.body == pattern(MEDIUM_SIZE)


def test_keep_alive_after_a_streamed_file(server):
    with server.raw(timeout=30) as conn:
        for _ in range(3):
            conn.send(b"GET /static/medium.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.read_response().body == pattern(MEDIUM_SIZE)
        conn.send(b"GET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().body == HELLO


# A sized stream (Content-Length) ends with its last data write: requests pipelined behind it must
# still be answered without the client sending more.
def test_pipelined_after_a_streamed_file(server):
    with server.raw(timeout=3) as conn:
        conn.send(b"GET /static/medium.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /static/medium.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-10\r\n\r\n")
        assert conn.read_response().body == pattern(MEDIUM_SIZE)
        assert conn.read_response().body == HELLO
        r = conn.read_response()
        assert (r.status, r.body) == (206, pattern(MEDIUM_SIZE)[-10:])


@pytest.mark.parametrize("reset", [False, True])
def test_client_disconnecting_mid_download(server, reset):
    pid = server.proc.pid
    fds_before = open_fds(pid)
    for _ in range(5):
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        received = 0
        while received < 300 * 1024:
            received += len(sock.recv(65536))
        if reset:  # RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    # the server noticed, closed the connections and with them the files
    deadline = time.monotonic() + support.WAIT
    while open_fds(pid) > fds_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_fds(pid) <= fds_before, "file descriptors leaked after clients went away"
    r = server.get("/static/medium.bin", timeout=30)
    assert (r.status, r.body) == (200, pattern(MEDIUM_SIZE))


def test_concurrent_downloads(server):
    conns = []
    for _ in range(4):
        c = server.raw(timeout=30)
        c.send(b"GET /static/medium.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        conns.append(c)
    try:
        for c in conns:
            assert c.read_response().body == pattern(MEDIUM_SIZE)
    finally:
        for c in conns:
            c.close()
