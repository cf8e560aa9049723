"""examples/uploads/app.py runs as documented: the form page, an upload of several files, the
list, and a download with Range (docs/files-and-forms.md)."""
from __future__ import annotations

import pytest

import support

EXAMPLE = support.REPO / "examples" / "uploads" / "app.py"
BOUNDARY = "exampleBoundary42"


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if filename is not None:
        head += "Content-Type: application/octet-stream\r\n"
    return (head + "\r\n").encode() + data + b"\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    upload_dir = tmp_path_factory.mktemp("uploads")
    with support.running(str(EXAMPLE), "--no-logs", via="python", env={"UPLOAD_DIR": str(upload_dir)}) as s:
        s.upload_dir = upload_dir  # type: ignore[attr-defined]
        yield s


def test_form_page(server):
    r = server.get("/")
    assert r.status == 200 and r.content_type == "text/html; charset=utf-8"
    assert b'enctype="multipart/form-data"' in r.body


def test_upload_list_and_download(server):
    big = bytes(range(256)) * 8192  # 2 MiB: spilled to a temporary file before it is saved
    body = (part("note", b"hello") + part("files", b"first file", "a.txt") + part("files", big, "C:\\x\\big.bin")
            + part("files", b"", "") + f"--{BOUNDARY}--\r\n".encode())
    r = server.post("/upload", body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert r.status == 200, r
    assert r.json() == {"note": "hello", "saved": [
        {"name": "a.txt", "size": 10, "content_type": "application/octet-stream"},
        {"name": "big.bin", "size": len(big), "content_type": "application/octet-stream"},
    ]}
    assert (server.upload_dir / "big.bin").read_bytes() == big
    assert server.get("/files").json() == ["a.txt", "big.bin"]
    r = server.get("/files/big.bin", headers={"Range": "bytes=1000-1999"})
    assert r.status == 206, r
    assert r.body == big[1000:2000]
    assert r.headers["Content-Disposition"] == 'attachment; filename="big.bin"'
    support.assert_error_shape(server.get("/files/missing.txt"), 404)


def test_bad_file_name_is_400(server):
    body = part("files", b"x", ".hidden") + f"--{BOUNDARY}--\r\n".encode()
    r = server.post("/upload", body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    support.assert_error_shape(r, 400)
