"""Native JSON (API.md "What a handler may return"): serialization of handler results and request.json(),
through the app served in-process by TestClient (development: 500 bodies carry the traceback)."""
from __future__ import annotations

import json
import math
import sys

import pytest

import support
from cello.testing import TestClient

if str(support.APPS) not in sys.path:
    sys.path.insert(0, str(support.APPS))
import json_app  # noqa: E402  (the expected values live next to the app)


@pytest.fixture(scope="module")
def client():
    with TestClient(json_app.app, env="development") as c:
        yield c


def get_json(client, path):
    r = client.get(path)
    assert r.status_code == 200, r
    assert r.headers.get("content-type") == "application/json", r
    return r, r.json()


def test_nested(client):
    r, data = get_json(client, "/json/nested")
    assert data == json_app.NESTED
    assert r.content == json.dumps(json_app.NESTED, separators=(",", ":")).encode()


def test_non_ascii_and_escapes(client):
    r, data = get_json(client, "/json/unicode")
    assert data == json_app.UNICODE
    r.content.decode("utf-8")  # valid UTF-8
    assert b"\n" not in r.content and b"\t" not in r.content and b"\x00" not in r.content  # control chars escaped


def test_big_ints(client):
    _, data = get_json(client, "/json/bigints")
    assert data == json_app.BIG_INTS
    assert all(type(v) is int for v in data.values())


def test_floats_round_trip(client):
    _, data = get_json(client, "/json/floats")
    assert len(data) == len(json_app.FLOATS)
    for got, want in zip(data, json_app.FLOATS):
        assert got == want, (got, want)
        assert type(got) is float, f"{want!r} came back as {got!r}: a float must stay a float (1.0 stays 1.0)"
        assert math.copysign(1.0, got) == math.copysign(1.0, want), (got, want)


@pytest.mark.parametrize("path, word", [("/json/nan", "nan"), ("/json/inf", "inf")])
def test_nan_and_inf_are_500_naming_the_problem(client, path, word):
    r = client.get(path)
    data = support.assert_error_shape(r, 500)
    text = (str(data.get("detail")) + str(data.get("traceback", ""))).lower()
    assert word in text, data
    assert client.get("/json/nested").status_code == 200


def test_dataclass(client):
    _, data = get_json(client, "/json/dataclass")
    assert data == {"point": {"x": 1, "y": 2.5, "label": "p"},
                    "segment": {"start": {"x": 0, "y": 0.0, "label": "a"}, "end": {"x": 3, "y": 4.0, "label": "b"}}}


def test_datetime_and_date_iso8601(client):
    _, data = get_json(client, "/json/datetime")
    assert data["naive"] == "2024-01-02T03:04:05"
    assert data["micro"] == "2024-01-02T03:04:05.123456"
    assert data["aware"] in ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z")
    assert data["offset"] == "2024-01-02T03:04:05+02:00"
    assert data["date"] == "2024-12-31"


def test_uuid(client):
    _, data = get_json(client, "/json/uuid")
    assert data == {"id": "12345678-1234-5678-1234-567812345678"}


def test_decimal(client):
    """docs/api.md: a Decimal is a JSON number with the exact digits."""
    r, data = get_json(client, "/json/decimal")
    assert r.content == b'{"price":19.99,"whole":3}', r


def test_decimal_nan_is_500(client):
    support.assert_error_shape(client.get("/json/decimal-nan"), 500)


def test_cycle_is_500_not_a_crash(client):
    r = client.get("/json/cycle")
    support.assert_error_shape(r, 500)
    assert client.get("/json/nested").status_code == 200


def test_nesting_limit(client):
    _, data = get_json(client, "/json/deep?depth=200")
    depth = 0
    while isinstance(data, list) and data:
        data, depth = data[0], depth + 1
    assert depth == 199
    support.assert_error_shape(client.get("/json/deep?depth=5000"), 500)
    assert client.get("/json/nested").status_code == 200


def test_enum_uses_value(client):
    _, data = get_json(client, "/json/enum")
    assert data == {"color": "red", "green": 2, "level": 3}


def test_dunder_json(client):
    _, data = get_json(client, "/json/dunder-json")
    assert data == {"money": {"amount": 5, "currency": "EUR"}, "list": [{"amount": 1, "currency": "USD"}]}


@pytest.mark.parametrize("path, type_name", [("/json/unsupported", "Widget"), ("/json/unsupported-set", "set")])
def test_unsupported_type_is_500_naming_the_type(client, path, type_name):
    r = client.get(path)
    data = support.assert_error_shape(r, 500)
    assert type_name in str(data.get("detail")) + str(data.get("traceback", "")), data
    assert client.get("/json/nested").status_code == 200


def test_non_str_keys_like_json_dumps(client):
    r, data = get_json(client, "/json/keys")
    expected = {7: "int", 2.5: "float", True: "true", False: "false", None: "none", "s": "str"}
    assert r.content == json.dumps(expected, separators=(",", ":")).encode()


def test_unsupported_key_is_500(client):
    support.assert_error_shape(client.get("/json/bad-key"), 500)


def test_tuples_are_arrays(client):
    _, data = get_json(client, "/json/tuple")
    assert data == {"t": [1, [2, 3]], "list_of_tuples": [[1, "a"]]}


def test_subclasses_of_str_and_bool_arithmetic(client):
    _, data = get_json(client, "/json/str-subclass")
    assert data == {"name": "alice", "count": 2}


ECHO_DOC = {
    "nested": json_app.NESTED,
    "unicode": json_app.UNICODE,
    "i64": [2 ** 63 - 1, -(2 ** 63), 0, -1],
    "floats": [0.1, 1e300, -2.5e-300, 1 / 3, 1.7976931348623157e308],
    "literals": [True, False, None],
}


def test_request_json_round_trip(client):
    r = client.post("/json/echo", content=json.dumps(ECHO_DOC, ensure_ascii=False).encode("utf-8"),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r
    assert r.json() == ECHO_DOC


def test_request_json_round_trip_ascii_escapes(client):
    r = client.post("/json/echo", content=json.dumps(ECHO_DOC, ensure_ascii=True),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r
    assert r.json() == ECHO_DOC


def test_request_json_big_ints_exact(client):
    doc = {"u64": 2 ** 64 - 1, "big": 2 ** 100, "neg_big": -(2 ** 80)}
    r = client.post("/json/echo", content=json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r
    assert r.json() == doc


def test_request_json_python_types(client):
    doc = {"i": 1, "f": 1.5, "e": 1e3, "s": "x", "b": True, "n": None, "l": [1], "d": {}}
    r = client.post("/json/types", content=json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.json() == {"i": "int", "f": "float", "e": "float", "s": "str", "b": "bool", "n": "NoneType",
                        "l": ["int"], "d": {}}


@pytest.mark.parametrize("scalar", ["1", "\"text\"", "null", "true", "[]", "2.5"])
def test_request_json_top_level_scalars(client, scalar):
    r = client.post("/json/echo", content=scalar, headers={"Content-Type": "application/json"})
    if scalar == "null":
        assert r.status_code == 204, r  # the handler returned None
    else:
        assert r.status_code == 200, r
        if isinstance(json.loads(scalar), str):
            assert r.text == "text"  # a str return is text/plain
        else:
            assert r.json() == json.loads(scalar)


# ---- request.json() with hostile input, as exact bytes on a raw socket -------------------------

def post_json_raw(client, body: bytes) -> support.Reply:
    with support.RawConnection(client.port, timeout=30) as conn:
        conn.send(b"POST /json/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return conn.read_response()


@pytest.mark.parametrize("body", [
    b"[" * 100_000,                                            # unterminated
    b"[" * 100_000 + b"]" * 100_000,                           # well-formed, too deep for simdjson
    b"[100000000000000000000000000000, " + b"[" * 100_000 + b"]" * 100_001,  # too deep for the fallback
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
])
def test_request_json_deep_nesting_is_400_not_a_crash(client, body):
    data = support.assert_error_shape(post_json_raw(client, body), 400)
    assert data["detail"].startswith("invalid JSON"), data
    assert client.get("/json/nested").status_code == 200


def test_request_json_nesting_within_the_limit(client):
    # 250: the echo must also pass the writer's limit (256) on its way back.
    r = post_json_raw(client, b"[" * 250 + b"]" * 250)
    assert r.status == 200, r
    depth, data = 0, r.json()
    while isinstance(data, list) and data:
        data, depth = data[0], depth + 1
    assert depth == 249


def test_request_json_integers_of_any_size_up_to_pythons_digit_limit(client):
    """Integers beyond 64 bits are exact Python ints, up to sys.get_int_max_str_digits() digits
    (4300 by default): int() of n digits costs O(n^2), so that is Python's guard and ours."""
    limit = sys.get_int_max_str_digits()
    assert limit == 4300, "the test assumes Python's default digit limit"
    at_limit = int("7" * limit)
    r = post_json_raw(client, b'{"n": -%s}' % (b"7" * limit))
    assert r.status == 200 and r.json() == {"n": -at_limit}, r
    data = support.assert_error_shape(post_json_raw(client, b"[" + b"1" * 5000 + b"]"), 400)
    assert data["detail"] == "invalid JSON: an integer of 5000 digits is longer than allowed (4300 digits)", data


def test_request_json_5000_digit_integer_parses_when_the_app_allows_it(client):
    """The limit is the interpreter's: an app that wants longer integers raises it."""
    digits = b"1234567890" * 500
    sys.set_int_max_str_digits(10_000)
    try:
        r = post_json_raw(client, b"[" + digits + b", -" + digits + b"]")
        assert r.status == 200, r
        assert r.json() == [int(digits), -int(digits)]
    finally:
        sys.set_int_max_str_digits(4300)
