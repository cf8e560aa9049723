"""cello.testing.TestClient: every method and option, over the real engine in this process."""
from __future__ import annotations

import io
import threading

import pytest

from cello import App, Response
from cello.testing import TestClient, TestResponse


def make_app() -> App:
    app = App()

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(request):
        return {
            "method": request.method,
            "path": request.path,
            "query": request.query.multi_items(),
            "content_type": request.headers.get("content-type"),
            "headers": {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-")},
            "body": request.body().decode("latin-1"),
        }

    @app.post("/form")
    def form(request):
        data = request.form()
        out = {}
        for key, value in data.multi_items():
            if isinstance(value, str):
                out.setdefault(key, []).append(value)
            else:
                out.setdefault(key, []).append({"filename": value.filename, "content_type": value.content_type,
                                                "data": value.read().decode("latin-1")})
        return out

    @app.get("/headers")
    def headers(request):
        response = Response.text("héllo", headers={"X-Single": "1"})
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.content_type = "text/plain; charset=latin-1"
        response.body = "héllo".encode("latin-1")
        return response

    @app.route("/only-head-and-options", methods=["HEAD", "OPTIONS"])
    def head_options(request):
        return Response(b"", 200, {"X-Method": request.method})

    return app


@pytest.fixture(scope="module")
def client():
    with TestClient(make_app(), workers=2) as c:
        yield c


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_every_method(client, method):
    r = getattr(client, method.lower())("/echo")
    assert isinstance(r, TestResponse)
    assert r.status_code == 200 and r.reason == "OK" and r.http_version == "HTTP/1.1"
    assert r.json()["method"] == method
    assert client.request(method.lower(), "/echo").json()["method"] == method


def test_head_and_options(client):
    r = client.head("/echo")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) > 0  # the GET's length, no body
    assert client.options("/only-head-and-options").headers["x-method"] == "OPTIONS"
    assert client.options("/echo").headers["allow"]


def test_response_members(client):
    r = client.get("/headers")
    assert r.headers["x-single"] == r.headers["X-SINGLE"] == "1"  # case-insensitive
    assert [c.split(";")[0] for c in r.headers.getlist("set-cookie")] == ["a=1", "b=2"]
    assert r.encoding == "latin-1" and r.text == "héllo" and r.content == "héllo".encode("latin-1")
    assert r.is_success and "200" in repr(r)
    missing = client.get("/missing")
    assert missing.status_code == 404 and not missing.is_success
    assert missing.json()["error"] == "Not Found"


def test_params_and_headers(client):
    r = client.get("/echo", params={"a": "1", "b": ["x", "y"], "sp": "a b&c"}, headers={"X-Token": "t"})
    data = r.json()
    assert data["query"] == [["a", "1"], ["b", "x"], ["b", "y"], ["sp", "a b&c"]]
    assert data["headers"] == {"x-token": "t"}
    assert client.get("/echo?z=0", params=[("a", "1")]).json()["query"] == [["z", "0"], ["a", "1"]]
    assert client.get("/echo", params="q=raw").json()["query"] == [["q", "raw"]]


def test_json_body(client):
    data = client.post("/echo", json={"name": "Ada", "tags": [1, None]}).json()
    assert data["content_type"] == "application/json"
    assert data["body"] == '{"name":"Ada","tags":[1,null]}'
    # an explicit Content-Type header wins
    data = client.put("/echo", json=[1], headers={"Content-Type": "application/vnd.x+json"}).json()
    assert (data["content_type"], data["body"]) == ("application/vnd.x+json", "[1]")


def test_data_forms_and_raw_bodies(client):
    data = client.post("/echo", data={"a": "1", "b": ["x", "y"]}).json()
    assert data["content_type"] == "application/x-www-form-urlencoded"
    assert data["body"] == "a=1&b=x&b=y"
    assert client.post("/form", data={"name": "Ada Lovelace", "n": 3}).json() == {"name": ["Ada Lovelace"], "n": ["3"]}
    assert client.patch("/echo", data=b"\x00raw").json()["body"] == "\x00raw"
    assert client.patch("/echo", data="text é").json()["body"] == "text é".encode().decode("latin-1")
    assert client.post("/echo", content=b"content").json()["body"] == "content"
    assert client.post("/echo").json()["body"] == ""


def test_files_multipart(client):
    upload = io.BytesIO(b"from a file object")
    upload.name = "/tmp/report.csv"
    result = client.post("/form", data={"title": "my files"}, files={
        "doc": ("name.txt", b"bytes", "text/plain"),
        "pair": ("pair.bin", b"\x00\xff"),
        "plain": b"just bytes",
        "fileobj": upload,
        "quoted": ('we"ird\r\n.txt', "str content", "text/plain"),
    }).json()
    assert result["title"] == ["my files"]
    assert result["doc"] == [{"filename": "name.txt", "content_type": "text/plain", "data": "bytes"}]
    assert result["pair"] == [{"filename": "pair.bin", "content_type": "application/octet-stream", "data": "\x00\xff"}]
    assert result["plain"] == [{"filename": "plain", "content_type": "application/octet-stream", "data": "just bytes"}]
    assert result["fileobj"][0]["filename"] == "report.csv"
    assert result["fileobj"][0]["data"] == "from a file object"
    assert result["quoted"][0]["data"] == "str content"
    assert result["quoted"][0]["filename"].startswith("we")
    echoed = client.post("/echo", files={"f": b"x"}).json()
    assert echoed["content_type"].startswith("multipart/form-data; boundary=")
    with pytest.raises(TypeError):
        client.post("/form", data=b"raw", files={"f": b"x"})


def test_stream_is_incremental():
    app = App()
    release = threading.Event()

    @app.get("/events")
    def events(request):
        def produce():
            yield "first\n"
            release.wait(10)  # the test must have seen "first" before the rest is produced
            yield "second\n"
            yield "third\n"
        return produce()

    with TestClient(app) as client:
        with client.stream("GET", "/events") as r:
            assert r.status_code == 200 and r.headers["transfer-encoding"] == "chunked"
            chunks = r.iter_bytes()
            assert next(chunks) == b"first\n"
            release.set()
            assert b"".join(chunks) == b"second\nthird\n"
            assert r.content == b"first\nsecond\nthird\n"
        with client.stream("GET", "/events") as r:
            assert "".join(r.iter_text()) == "first\nsecond\nthird\n"
        with client.stream("GET", "/events") as r:
            assert next(r.iter_bytes()) == b"first\n"
            assert r.read() == r.content == b"first\nsecond\nthird\n"  # the whole body
        with client.stream("GET", "/events") as r:  # left before the end: closed, no error
            assert r.status_code == 200


def test_one_client_from_many_threads(client):
    results: list[int] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                r = client.get("/echo", params={"n": n, "i": i})
                assert r.json()["query"] == [["n", str(n)], ["i", str(i)]]
                results.append(r.status_code)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert results == [200] * 90


def test_lifecycle_hooks_run_on_enter_and_exit():
    app = App()
    log: list[str] = []
    app.on_event("startup")(lambda: log.append("startup"))

    @app.on_event("shutdown")
    async def shutdown():
        log.append("shutdown")

    @app.get("/")
    def home(request):
        return log

    client = TestClient(app)
    assert log == []
    with client:
        assert log == ["startup"]
        assert client.get("/").json() == ["startup"]
    assert log == ["startup", "shutdown"]
    with pytest.raises(RuntimeError, match="closed"):
        client.get("/")


def test_without_with_the_first_request_starts_and_close_stops():
    app = App()
    log: list[str] = []
    app.on_event("startup")(lambda: log.append("startup"))
    app.on_event("shutdown")(lambda: log.append("shutdown"))
    app.get("/")(lambda request: "up")
    client = TestClient(app)
    assert client.get("/").text == "up" and client.get("/").text == "up"
    port = client.port
    assert log == ["startup"]
    client.close()
    client.close()  # idempotent
    assert log == ["startup", "shutdown"]
    import socket
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_failing_startup_hook_propagates_and_nothing_is_served():
    app = App()

    @app.on_event("startup")
    def fail():
        raise RuntimeError("no database")

    app.on_event("shutdown")(lambda: pytest.fail("shutdown hooks must not run"))
    client = TestClient(app)
    with pytest.raises(RuntimeError, match="no database"):
        with client:
            pytest.fail("the block must not run")
    assert client._server is None


def test_server_options_and_env(capfd):
    app = App()

    @app.post("/upload")
    def upload(request):
        return {"size": len(request.body())}

    @app.get("/fail")
    def fail(request):
        raise ValueError("secret detail")

    with TestClient(app, env="production", max_body_size=10) as client:
        assert client.post("/upload", content=b"x" * 10).json() == {"size": 10}
        assert client.post("/upload", content=b"x" * 11).status_code == 413
        body = client.get("/fail").json()
        assert body["detail"] is None and "traceback" not in body
        assert client.base_url == f"http://127.0.0.1:{client.port}"
    assert "secret detail" in capfd.readouterr().err  # logged, not sent
