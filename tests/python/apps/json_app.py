"""Native JSON serialization: what a returned dict may contain, and request.json() round trips."""
import dataclasses
import datetime
import decimal
import enum
import uuid

from cello import App

app = App()

NESTED = {"level1": {"level2": {"level3": {"list": [1, [2, [3, [4, {"deep": "end"}]]]]}}},
          "empty_list": [], "empty_dict": {}, "mixed": [None, True, False, 0, -1, "", "s"]}

UNICODE = {"latin": "héllo wörld", "cjk": "你好，世界", "emoji": "😀🎉", "k€y": "välue",
           "controls": "tab\there\nnewline \"quoted\" back\\slash \x01\x1f", "slash": "a/b", "nul": "a\x00b"}

BIG_INTS = {"big": 2 ** 100, "neg_big": -(2 ** 70), "u64_max": 2 ** 64 - 1, "i64_min": -(2 ** 63),
            "i64_max": 2 ** 63 - 1, "zero": 0}

FLOATS = [0.1, 0.2 + 0.1, 1 / 3, 1e300, -2.5e-300, 5e-324, 1.7976931348623157e308, 0.0, -0.0, 100.0,
          1e16, 123456789.123456789, -1.5, 2.2250738585072014e-308]


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


@dataclasses.dataclass
class Segment:
    start: Point
    end: Point


class Money:
    def __init__(self, amount, currency):
        self.amount = amount
        self.currency = currency

    def __json__(self):
        return {"amount": self.amount, "currency": self.currency}


class Widget:
    pass


@app.get("/json/nested")
def nested(request):
    return NESTED


@app.get("/json/unicode")
def unicode_(request):
    return UNICODE


@app.get("/json/bigints")
def bigints(request):
    return BIG_INTS


@app.get("/json/floats")
def floats(request):
    return FLOATS


@app.get("/json/nan")
def nan(request):
    return {"value": float("nan")}


@app.get("/json/inf")
def inf(request):
    return {"value": [1.0, float("inf")]}


@app.get("/json/dataclass")
def dataclass_(request):
    return {"point": Point(1, 2.5), "segment": Segment(Point(0, 0.0, "a"), Point(3, 4.0, "b"))}


@app.get("/json/datetime")
def datetime_(request):
    return {
        "naive": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "micro": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456),
        "aware": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "offset": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "date": datetime.date(2024, 12, 31),
    }


@app.get("/json/uuid")
def uuid_(request):
    return {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")}


@app.get("/json/decimal")
def decimal_(request):
    return {"price": decimal.Decimal("19.99"), "whole": decimal.Decimal("3")}


@app.get("/json/enum")
def enum_(request):
    return {"color": Color.RED, "green": Color.GREEN, "level": Level.HIGH}


@app.get("/json/dunder-json")
def dunder_json(request):
    return {"money": Money(5, "EUR"), "list": [Money(1, "USD")]}


@app.get("/json/unsupported")
def unsupported(request):
    return {"fine": 1, "widget": Widget()}


@app.get("/json/unsupported-set")
def unsupported_set(request):
    return {"tags": {"a", "b"}}


@app.get("/json/keys")
def keys(request):
    return {7: "int", 2.5: "float", True: "true", False: "false", None: "none", "s": "str"}


@app.get("/json/bad-key")
def bad_key(request):
    return {(1, 2): "tuple key"}


@app.get("/json/tuple")
def tuple_(request):
    return {"t": (1, (2, 3)), "list_of_tuples": [(1, "a")]}


@app.get("/json/str-subclass")
def str_subclass(request):
    class Name(str):
        pass

    return {"name": Name("alice"), "count": True + 1}


@app.get("/json/cycle")
def cycle(request):
    data = {"name": "loop"}
    data["self"] = data
    return data


@app.get("/json/deep")
def deep(request):
    depth = int(request.query["depth"])
    data = []
    for _ in range(depth - 1):
        data = [data]
    return data


@app.get("/json/decimal-nan")
def decimal_nan(request):
    return {"bad": decimal.Decimal("NaN")}


@app.post("/json/echo")
def echo(request):
    return request.json()


@app.post("/json/types")
def types(request):
    def describe(v):
        if isinstance(v, dict):
            return {k: describe(x) for k, x in v.items()}
        if isinstance(v, list):
            return [describe(x) for x in v]
        return type(v).__name__

    return describe(request.json())


if __name__ == "__main__":
    app.run()
