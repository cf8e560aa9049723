"""request.form() over real HTTP (docs/files-and-forms.md): urlencoded and multipart forms, uploads
(size, filename, content_type, read(), save()), the spill to a temporary file above 1 MiB, the
form limits (400/413 with a detail), malformed bodies, and the server serving on after each.

The server (apps/forms_app.py) runs with TMPDIR set to a directory of this module, so the test
can see the temporary files of spilled uploads and check they are gone once the request ended.
"""
from __future__ import annotations

import hashlib
import os

import pytest

import support

MiB = 1024 * 1024
BOUNDARY = "----celloFormBoundary7MA4YWxkTrZu0gW"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def field(name: str, value: str | bytes, headers: str = "") -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n{headers}\r\n').encode() + data + b"\r\n"


def upload(name: str, filename: str, data: bytes, content_type: str = "application/octet-stream") -> bytes:
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n")
    return head.encode() + data + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("forms")
    (base / "tmp").mkdir()
    (base / "saved").mkdir()
    return {"tmp": base / "tmp", "saved": base / "saved"}


@pytest.fixture(scope="module")
def server(dirs):
    env = {"TMPDIR": str(dirs["tmp"]), "CELLO_SAVE_DIR": str(dirs["saved"])}
    with support.running("forms_app.py", "--no-logs", env=env) as s:
        yield s


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    r = server.get("/ok")
    assert (r.status, r.body) == (200, b"ok"), f"server stopped serving: {r}"
    assert server.proc.poll() is None


def post_form(server, body: bytes, headers: dict[str, str] | None = None, path: str = "/form") -> support.Reply:
    return server.post(path, body, headers=headers or MULTIPART, timeout=30)


def open_temp_files(server, tmp) -> list[str]:
    """The server's descriptors that point into its TMPDIR."""
    found = []
    for fd in os.listdir(f"/proc/{server.proc.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{server.proc.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(tmp)):
            found.append(target)
    return found


# ---- urlencoded ---------------------------------------------------------------------------------

def test_urlencoded(server):
    r = post_form(server, b"name=J%C3%BCrgen+M&tag=a&tag=b&empty=",
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    assert r.json()["fields"] == [["name", "Jürgen M"], ["tag", "a"], ["tag", "b"], ["empty", ""]]


def test_urlencoded_bad_utf8_is_400(server):
    r = post_form(server, b"a=%ff%fe", {"Content-Type": "application/x-www-form-urlencoded"})
    support.assert_error_shape(r, 400)


@pytest.mark.parametrize("body", [b"a=%zz", b"a=%ZZ", b"a=%", b"a=%4", b"%zz=1", b"a=1&b=%g0&c=3", b"a=%ff", b"a=\xff"])
def test_urlencoded_bad_percent_escape_is_400(server, body):
    """The engine's rule for request.query, the same for forms: urllib's parse_qsl would have kept
    "%zz" as three literal characters."""
    with server.raw() as conn:
        conn.send(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        data = support.assert_error_shape(conn.read_response(), 400)
        assert "percent-encoding" in data["detail"], data
        # Answered like any 4xx from a handler: the connection stays usable.
        conn.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().body == b"ok"


def test_urlencoded_good_escapes_and_plus(server):
    r = post_form(server, b"a=%41%62+c&%7Ekey=%2B&=empty-name&novalue",
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    assert r.json()["fields"] == [["a", "Ab c"], ["~key", "+"], ["", "empty-name"], ["novalue", ""]]


def test_urlencoded_too_many_parts_is_400(server):
    r = post_form(server, b"&".join(b"k%d=v" % i for i in range(1001)),
                  {"Content-Type": "application/x-www-form-urlencoded"})
    data = support.assert_error_shape(r, 400)
    assert data["detail"] == "too many form parts (the limit is 1000)"
    ok = post_form(server, b"&".join(b"k%d=v" % i for i in range(1000)),
                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert ok.status == 200 and len(ok.json()["fields"]) == 1000


def test_urlencoded_oversized_field_is_413(server):
    r = post_form(server, b"big=" + b"x" * (MiB + 1), {"Content-Type": "application/x-www-form-urlencoded"})
    support.assert_error_shape(r, 413, f"form field 'big' is larger than {MiB} bytes")


def test_not_a_form_is_415(server):
    r = post_form(server, b"{}", {"Content-Type": "application/json"})
    support.assert_error_shape(r, 415)


# ---- multipart ----------------------------------------------------------------------------------

def test_multipart_fields_and_several_files(server):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    text = f"--{BOUNDARY[:-1]} looks like a boundary but is not\r\n".encode() * 3
    body = multipart(
        field("title", "Grüße"),
        upload("files", "photo.png", png, "image/png"),
        upload("files", "notes.txt", text, "text/plain; charset=utf-8"),
        upload("other", "empty.bin", b""),
        field("title", "second"),
    )
    r = post_form(server, body)
    assert r.status == 200, r
    fields = r.json()["fields"]
    assert [k for k, _ in fields] == ["title", "files", "files", "other", "title"]
    assert fields[0][1] == "Grüße" and fields[4][1] == "second"
    assert fields[1][1] == {"filename": "photo.png", "content_type": "image/png", "size": len(png),
                            "in_memory": True, "sha256": sha(png)}
    assert fields[2][1] == {"filename": "notes.txt", "content_type": "text/plain", "size": len(text),
                            "in_memory": True, "sha256": sha(text)}
    assert fields[3][1]["size"] == 0 and fields[3][1]["sha256"] == sha(b"")


def test_multipart_names_quoting_and_unicode_filename(server):
    body = multipart(
        upload("doc", "rapport d’été.pdf", b"%PDF", "application/pdf"),
        (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="q"; filename="a\\"b.txt"; '
         f"filename*=UTF-8''%E2%82%AC.txt\r\n\r\n").encode() + b"x\r\n",
        (f"--{BOUNDARY}\r\ncontent-disposition: FORM-DATA; NAME=bare\r\n\r\n").encode() + b"token\r\n",
    )
    r = post_form(server, body)
    assert r.status == 200, r
    fields = dict((k, v) for k, v in r.json()["fields"])
    assert fields["doc"]["filename"] == "rapport d’été.pdf"
    assert fields["q"]["filename"] == "€.txt"  # filename* wins
    assert fields["q"]["content_type"] == "text/plain"  # a part without Content-Type
    assert fields["bare"] == "token"


def test_preamble_epilogue_and_boundary_in_quotes(server):
    body = b"preamble to ignore\r\n" + multipart(field("a", "1")) + b"epilogue to ignore"
    r = post_form(server, body, {"Content-Type": f'multipart/form-data; boundary="{BOUNDARY}"'})
    assert r.status == 200, r
    assert r.json()["fields"] == [["a", "1"]]


def test_field_charset(server):
    body = multipart(field("latin", "café".encode("latin-1"), "Content-Type: text/plain; charset=latin-1\r\n"))
    r = post_form(server, body)
    assert r.json()["fields"] == [["latin", "café"]]


def test_read_and_save(server, dirs):
    small = b"0123456789" * 100
    big = os.urandom(MiB + 100)
    r = post_form(server, multipart(upload("small", "s.bin", small), upload("big", "b.bin", big)), path="/save")
    assert r.status == 200, r
    saved = r.json()["saved"]
    assert saved == [
        {"field": "small", "head": "0123", "written": len(small), "on_disk": len(small), "after_save": 0},
        {"field": "big", "head": big[:4].decode("latin-1"), "written": len(big), "on_disk": len(big), "after_save": 0},
    ]
    assert (dirs["saved"] / "small").read_bytes() == small
    assert (dirs["saved"] / "big").read_bytes() == big


def test_big_upload_spills_to_a_temporary_file_that_goes_away(server, dirs):
    at_threshold = b"a" * MiB
    above = os.urandom(MiB + 1)
    r = post_form(server, multipart(upload("edge", "edge.bin", at_threshold), upload("big", "big.bin", above)))
    assert r.status == 200, r
    fields = dict((k, v) for k, v in r.json()["fields"])
    assert fields["edge"]["in_memory"] is True  # 1 MiB exactly stays in memory
    big = fields["big"]
    assert big["in_memory"] is False
    assert big["size"] == big["backing_size"] == MiB + 1
    assert big["sha256"] == sha(above)
    assert big["backing"].startswith(str(dirs["tmp"]))  # a file under the server's TMPDIR
    assert "(deleted)" in big["backing"] or "cello-upload-" in big["backing"]
    # The request is over: the UploadFile was collected, its file closed and gone.
    assert open_temp_files(server, dirs["tmp"]) == []
    assert os.listdir(dirs["tmp"]) == []


# ---- limits -------------------------------------------------------------------------------------

def test_too_many_parts_is_400(server):
    r = post_form(server, multipart(*(field(f"f{i}", "v") for i in range(1001))))
    support.assert_error_shape(r, 400, "too many form parts (the limit is 1000)")
    r = post_form(server, multipart(*(field(f"f{i}", "v") for i in range(1000))))
    assert r.status == 200 and len(r.json()["fields"]) == 1000


def test_too_many_files_is_400(server):
    body = multipart(*(upload("f", f"{i}.txt", b"x") for i in range(5)))  # the app allows 4
    support.assert_error_shape(post_form(server, body), 400, "too many files in the form (the limit is 4)")
    body = multipart(*(upload("f", f"{i}.txt", b"x") for i in range(4)))
    assert post_form(server, body).status == 200


def test_oversized_field_is_413(server):
    r = post_form(server, multipart(field("note", "x" * (MiB + 1))))
    support.assert_error_shape(r, 413, f"form field 'note' is larger than {MiB} bytes")
    assert post_form(server, multipart(field("note", "x" * MiB))).status == 200
    # The field limit is not a file limit.
    assert post_form(server, multipart(upload("file", "f.txt", b"x" * (MiB + 1)))).status == 200


# ---- malformed bodies ---------------------------------------------------------------------------

@pytest.mark.parametrize("body,detail", [
    (b"no boundary anywhere", "malformed multipart body: the boundary never occurs"),
    (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated".encode(),
     "malformed multipart body: no closing boundary"),
    (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line".encode(),
     "malformed multipart body: part headers do not end (or exceed 16 KiB)"),
    (f"--{BOUNDARY}\r\nX-Other: 1\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(),
     "malformed multipart body: a part without Content-Disposition: form-data; name=..."),
    (f"--{BOUNDARY}\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(),
     "malformed multipart body: a part without Content-Disposition: form-data; name=..."),
    (f"--{BOUNDARY}\r\nnot a header\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(),
     "malformed multipart body: bad part header line 'not a header'"),
    (f"--{BOUNDARY}junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(),
     "malformed multipart body: bad boundary line"),
    (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n".encode() + b"X: " + b"y" * 20000 + b"\r\n\r\n",
     "malformed multipart body: part headers do not end (or exceed 16 KiB)"),
    (multipart(field("a", b"\xff\xfe")), "form field 'a' is not valid utf-8"),
])
def test_malformed_multipart_is_400(server, body, detail):
    support.assert_error_shape(post_form(server, body), 400, detail)


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=",
                                          "multipart/form-data; boundary=" + "x" * 201])
def test_bad_boundary_parameter_is_400(server, content_type):
    r = post_form(server, multipart(field("a", "1")), {"Content-Type": content_type})
    support.assert_error_shape(r, 400, "multipart/form-data without a valid boundary")


def test_empty_multipart_form(server):
    r = post_form(server, f"--{BOUNDARY}--\r\n".encode())
    assert r.status == 200, r
    assert r.json() == {"fields": []}
