"""The native multipart parser (engine/multipart.cpp behind cello/multipart.py) against the pure-Python
parser it replaced (multipart_reference.py, kept verbatim): the same items, file names, content types,
part headers, field values, and the same HTTPError status and detail, for thousands of generated
bodies built from realistic and hostile pieces (folded and repeated headers, quoting and escapes,
Unicode whitespace, Latin-1 header blocks, missing or broken boundaries, limits at their edges).
The HTTP-level behaviour is covered by test_forms_uploads.py; tests/fuzz/multipart_fuzz.cpp fuzzes
the native parser itself.
"""
from __future__ import annotations

import random

import pytest

import multipart_reference as reference
from cello import multipart as native
from cello.errors import HTTPError
from cello.forms import FormLimits, MultipartBuilder
from cello.uploads import UploadFile

B = b"xYz"


def outcome(parse, body: bytes, boundary: bytes, limits: FormLimits):
    try:
        items = parse(body, boundary, limits)
    except HTTPError as e:
        return ("error", e.status, e.detail)
    out = []
    for name, value in items:
        if isinstance(value, UploadFile):
            out.append(("file", name, value.filename, value.content_type, value.headers, value.read(),
                        value.in_memory))
            value.close()
        else:
            out.append(("field", name, value))
    return ("ok", out)


def same(body: bytes, boundary: bytes = B, limits: FormLimits = FormLimits()) -> None:
    want = outcome(reference.parse_multipart, body, boundary, limits)
    got = outcome(native.parse_multipart, body, boundary, limits)
    assert got == want, f"body={body!r}"


NAMES = ['name="a"', "name=a", 'NAME="b"', 'name="a\\"q"', 'name="c\\\\d"', 'name="C:\\dir\\f"', 'name="x;y"',
         'name=""', "name=", 'name = "s p"', "name=\u00a0v\u00a0", 'name="unterminated', 'name="bad\\\nq"',
         "name=caf\u00e9", 'name="\u2003"', "nam\u212ae=k"]
FILES = ['filename="f.txt"', "filename=f.bin", "filename*=UTF-8''%e2%82%ac.txt", "filename*=bogus''%41",
         "filename*=utf-8'x", 'filename=""', "FILENAME*=''plain", "filename*=idna''x"]
DISPOSITIONS = ["form-data", "Form-Data", " form-data ", "attachment", "", "form-data\u3000"]
TYPES = ["", "Content-Type: text/plain; charset=latin-1", "Content-Type: TEXT/Plain", "content-type: ; charset=",
         "Content-Type: text/plain; charset=nope", 'Content-Type: text/plain; charset="utf-8"',
         "Content-Type: application/json\r\n\tcontinued", "Content-Type:"]
EXTRA = ["", "X-A: 1", "X-A: 1\r\n x-a-fold", " leading-fold: x", "no colon here", ": empty name", "X-\u00e9: \u00e9",
         "Content-Disposition: form-data; name=override", "X-B:\t \t", "\u00a0: nbsp name"]
DATA = [b"", b"value", b"value", b"caf\xc3\xa9", b"caf\xe9", b"\xff\xfe", b"x" * 40, b"line\r\nbreak", b"--xYz not a delimiter",
        b"\r\n--xY"]


def gen_part(rnd: random.Random) -> bytes:
    disp = rnd.choice(DISPOSITIONS) if rnd.random() < 0.2 else "form-data"
    params = rnd.sample(NAMES, rnd.choice([0, 1, 1, 1, 1, 2])) + rnd.sample(FILES, rnd.choice([0, 0, 1, 2]))
    rnd.shuffle(params)
    sep = rnd.choice(["; ", ";", " ; ", ";\t"])
    lines = [f"Content-Disposition: {disp}{sep if params else ''}{sep.join(params)}"]
    if rnd.random() < 0.1:
        lines[0] = lines[0].replace("Content-Disposition", rnd.choice(["content-disposition", "CONTENT-DISPOSITION"]))
    if rnd.random() < 0.15:
        lines.append(" ; extra=1")  # a fold of the disposition
    lines += [rnd.choice(TYPES), rnd.choice(EXTRA) if rnd.random() < 0.3 else ""]
    lines = [line for line in lines if line]
    rnd.shuffle(lines)
    block = "\r\n".join(lines)
    head = block.encode("latin-1" if rnd.random() < 0.2 and all(ord(c) < 256 for c in block) else "utf-8")
    if rnd.random() < 0.05:
        head = b""
    return b"\r\n" + head + b"\r\n\r\n" + rnd.choice(DATA)


def gen_body(rnd: random.Random) -> bytes:
    out = rnd.choice([b"", b"", b"", b"preamble\r\n", b"junk", b"\r\n"])
    out += rnd.choice([b"--xYz \t", b"--xY"]) if rnd.random() < 0.1 else b"--xYz"
    for i in range(rnd.randint(0, 4)):
        if i:
            out += b"\r\n--xYz" + (rnd.choice([b" ", b"junk"]) if rnd.random() < 0.1 else b"")
        out += gen_part(rnd)
    out += rnd.choice([b"\r\n--xYz--\r\n", b"\r\n--xYz--", b"\r\n--xYz--epilogue"] if rnd.random() < 0.85
                      else [b"", b"\r\n--xYz", b"\r\n--xYz\r\n"])
    if rnd.random() < 0.1:
        cut = rnd.randint(0, len(out))
        out = out[:cut]
    return out


@pytest.mark.parametrize("seed", range(8))
def test_generated_bodies_match_the_reference(seed):
    rnd = random.Random(seed)
    for _ in range(500):
        limits = FormLimits(max_parts=rnd.choice([1000] * 6 + [2, 1, 0]), max_files=rnd.choice([1000] * 4 + [1, 0]),
                            max_field_size=rnd.choice([1 << 20] * 4 + [5, 0]), spool_threshold=rnd.choice([1 << 20, 3]))
        same(gen_body(rnd), B, limits)


def streamed(rnd: random.Random):
    """parse_multipart's signature over MultipartBuilder (a body arriving in pieces), the body cut
    at random places (single bytes included)."""
    def parse(body: bytes, boundary: bytes, limits: FormLimits):
        builder = MultipartBuilder(f"multipart/form-data; boundary={boundary.decode()}", limits)
        at = 0
        while at < len(body):
            n = rnd.choice([1, 2, 3, 5, 8, 40, 1000])
            builder.feed(body[at:at + n])
            at += n
        return list(builder.finish().multi_items())
    return parse


@pytest.mark.parametrize("seed", range(4))
def test_bodies_read_as_they_arrive_match_the_reference(seed):
    """The streaming reader (engine/multipart_stream.cpp, for bodies larger than body_buffer_size)
    gives the same form as the reference for every body the reference accepts, and an error for
    every one it refuses: the same error, unless the body has two (a field over its limit in a
    part that never ends is a 413 as soon as the field is too long, not the missing delimiter)."""
    rnd = random.Random(100 + seed)
    same_error = 0
    errors = 0
    for _ in range(400):
        limits = FormLimits(max_parts=rnd.choice([1000] * 6 + [2, 1, 0]), max_files=rnd.choice([1000] * 4 + [1, 0]),
                            max_field_size=rnd.choice([1 << 20] * 4 + [5, 0]), spool_threshold=rnd.choice([1 << 20, 3]))
        body = gen_body(rnd)
        want = outcome(reference.parse_multipart, body, B, limits)
        got = outcome(streamed(rnd), body, B, limits)
        if want[0] == "ok":
            assert got == want, f"body={body!r}"
        else:
            assert got[0] == "error", f"body={body!r}: {got}"
            errors += 1
            same_error += got == want
    assert same_error >= errors * 0.8, f"only {same_error} of {errors} errors are the reference's"


@pytest.mark.parametrize("body", [
    b"",
    b"--xYz--",
    b"--xYz\r\n\r\n\r\nno headers\r\n--xYz--",
    b"--xYz\r\n" + b"X: " + b"a" * (16 * 1024) + b"\r\n\r\nv\r\n--xYz--",             # header block over 16 KiB
    b"--xYz\r\n" + b"X: " + b"a" * (16 * 1024 - 8) + b"\r\n\r\nv\r\n--xYz--",         # just under
    b"--xYz\r\nContent-Disposition: form-data; name=a\r\n\r\nnever closed",
    b"--xYz\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--xYz",              # no close delimiter
    b"--xYzjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--xYz--",
    b"--xYz\r\nContent-Disposition: form-data; name=a\r\n" + "bad line \u00e9".encode() * 9 + b"\r\n\r\nv\r\n--xYz--",
    b"--xYz\r\nContent-Disposition: form-data; name=a\r\n\xe9\xe9 bad latin-1 line\r\n\r\nv\r\n--xYz--",
    b"--xYz\r\nContent-Disposition: form-data; name=a; filename=\"f\"\r\nX-Y: 1\r\n z\r\nx-y: 2\r\n\r\nv\r\n--xYz--",
])
def test_hostile_bodies_match_the_reference(body):
    same(body)
    want = outcome(reference.parse_multipart, body, B, FormLimits())
    for seed in range(3):  # read as they arrive, cut differently each time
        assert outcome(streamed(random.Random(seed)), body, B, FormLimits()) == want, f"body={body!r}"


def test_header_params_match_the_reference():
    pieces = ["form-data", ";", " ", "\t", "=", '"', "\\", "\n", "a", "Name", "fIlEnAmE*", "\u00a0", "\u2028",
              "\u212a", "\u0130", "\ud800", "caf\u00e9", "x;y", "''", "\x1c", "\x85"]
    rnd = random.Random(12)
    for _ in range(20000):
        value = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert native.header_params(value) == reference.header_params(value), repr(value)


def test_boundary_of_matches_the_reference():
    for ct in ["multipart/form-data; boundary=abc", 'multipart/form-data; boundary="a b"', "multipart/form-data",
               "multipart/form-data; boundary=", "multipart/form-data; boundary=caf\u00e9",
               "multipart/form-data; BOUNDARY=x; boundary=y", "multipart/form-data; boundary=" + "x" * 201]:
        def run(mod):
            try:
                return mod.boundary_of(ct)
            except HTTPError as e:
                return (e.status, e.detail)
        assert run(native) == run(reference), ct
