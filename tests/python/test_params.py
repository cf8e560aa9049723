"""Handler parameters beyond `request` (cello.params): typed path and query values, pydantic bodies,
Depends() with sync/async/generator dependencies, overrides and singletons, BackgroundTasks run after
the response — over real HTTP, with the 422s they give for bad input."""
from __future__ import annotations

import asyncio
import enum
import socket
import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

import support
from cello import App, BackgroundTasks, Blueprint, Depends, Request
from cello.guards import RoleGuard
from cello.testing import TestClient


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class Owner(BaseModel):
    email: str


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def problems(reply) -> list[tuple[tuple[str, ...], str]]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["status"] == 422 and body["error"]
    return [(tuple(p["loc"]), p["type"]) for p in body["detail"]]


def test_path_and_query_values_by_name_with_their_types():
    app = App()

    @app.get("/items/{item_id}")
    def read(item_id: int, q: str | None = None, limit: int = 10, exact: bool = False, color: Color = Color.RED,
             ids: list[int] | None = None):
        return {"item_id": item_id, "q": q, "limit": limit, "exact": exact, "color": color.value, "ids": ids}

    @app.get("/typed/{n:int}/{name}")
    async def typed(request, n: int, name: str, ratio: float):
        return {"n": n, "name": name, "ratio": ratio, "path": request.path}

    @app.get("/needs")
    def needs(count: int):
        return {"count": count}

    with TestClient(app) as c:
        assert c.get("/items/7").json() == {"item_id": 7, "q": None, "limit": 10, "exact": False, "color": "red",
                                            "ids": None}
        assert c.get("/items/7?q=x&limit=3&exact=yes&color=blue&ids=1&ids=2").json() == {
            "item_id": 7, "q": "x", "limit": 3, "exact": True, "color": "blue", "ids": [1, 2]}
        assert c.get("/typed/5/zo%C3%AB?ratio=0.25").json() == {"n": 5, "name": "zoë", "ratio": 0.25, "path": "/typed/5/zoë"}
        # Every bad value is reported at once, by where it was.
        assert problems(c.get("/items/x?limit=many&exact=maybe&color=green&ids=1&ids=two")) == [
            (("path", "item_id"), "type_error.integer"), (("query", "limit"), "type_error.integer"),
            (("query", "exact"), "type_error.bool"), (("query", "color"), "type_error.enum"),
            (("query", "ids"), "type_error.integer")]
        assert problems(c.get("/needs")) == [(("query", "count"), "value_error.missing")]
        assert problems(c.get("/typed/5/a")) == [(("query", "ratio"), "value_error.missing")]
        assert c.get("/needs?count=3").json() == {"count": 3}


def test_a_pydantic_model_is_the_validated_json_body():
    app = App()

    @app.post("/items")
    def create(item: Item):
        return {"name": item.name, "price": item.price, "tags": item.tags, "type": type(item).__name__}

    @app.post("/echo")
    async def echo(item: Item):
        return item  # a model returned is written as its fields

    @app.put("/owned")
    def owned(item: Item, owner: Owner):  # two models: the body's keys by parameter name
        return {"item": item.name, "owner": owner.email}

    with TestClient(app) as c:
        assert c.post("/items", json={"name": "pen", "price": "1.5"}).json() == {
            "name": "pen", "price": 1.5, "tags": [], "type": "Item"}
        assert c.post("/echo", json={"name": "pen", "price": 2, "tags": ["a"]}).json() == {
            "name": "pen", "price": 2.0, "tags": ["a"]}
        assert problems(c.post("/items", json={"name": "pen"})) == [(("body", "price"), "value_error.missing")]
        assert problems(c.post("/items", json={"name": "pen", "price": "cheap", "tags": "x"}))[0] == (
            ("body", "price"), "type_error.float")
        assert problems(c.post("/items", content=b"")) == [(("body",), "value_error.missing")]
        bad = c.post("/items", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["detail"].startswith("invalid JSON")
        assert c.put("/owned", json={"item": {"name": "pen", "price": 1}, "owner": {"email": "a@b"}}).json() == {
            "item": "pen", "owner": "a@b"}
        assert problems(c.put("/owned", json={"item": {"name": "pen", "price": 1}})) == [
            (("body", "owner"), "value_error.missing")]
        assert c.get("/items").status_code == 405  # the server keeps serving


def test_dependencies_sync_async_nested_cached_and_overridden():
    app = App()
    calls: list[str] = []

    def settings():
        calls.append("settings")
        return {"prefix": "v1"}

    async def current_user(request: Request, token: str | None = None, cfg=Depends(settings)):
        await asyncio.sleep(0)
        if token is None:
            from cello import HTTPError
            raise HTTPError(401, "no token")
        return {"name": token, "prefix": cfg["prefix"]}

    def counter():
        calls.append("counter")
        return len(calls)

    @app.get("/me")
    async def me(user=Depends(current_user), cfg=Depends(settings), a=Depends(counter),
                 b=Depends(counter, use_cache=False)):
        return {"user": user, "cfg": cfg, "a": a, "b": b}

    @app.get("/sync-handler")
    def sync_handler(user=Depends(current_user)):  # a sync handler with an async dependency
        return {"user": user["name"]}

    app.register_singleton("clock", "the clock")

    @app.get("/singleton")
    def singleton(clock=Depends("clock")):
        return {"clock": clock}

    with TestClient(app) as c:
        body = c.get("/me?token=ann").json()
        assert body["user"] == {"name": "ann", "prefix": "v1"}
        assert calls == ["settings", "counter", "counter"]  # settings once per request; b not cached
        assert body["a"] == 2 and body["b"] == 3
        no_token = c.get("/me")
        assert no_token.status_code == 401 and no_token.json()["detail"] == "no token"
        assert c.get("/sync-handler?token=bo").json() == {"user": "bo"}
        assert c.get("/singleton").json() == {"clock": "the clock"}

        app.dependency_overrides[current_user] = lambda: {"name": "test-user", "prefix": "t"}
        assert c.get("/me").json()["user"] == {"name": "test-user", "prefix": "t"}
        assert c.get("/sync-handler").json() == {"user": "test-user"}
        app.dependency_overrides.clear()
        assert c.get("/me").status_code == 401


def test_a_handler_of_the_request_alone_is_registered_as_it_is():
    app = App()

    def plain(request):
        return {"ok": True}

    async def plain_async(req: Request):
        return {"ok": True}

    def no_parameters():
        return {"none": True}

    app.get("/plain")(plain)
    app.get("/async")(plain_async)
    app.get("/none")(no_parameters)
    handlers = {r.path: r.handler for r in app.routes}
    assert handlers["/plain"] is plain and handlers["/async"] is plain_async  # no wrapper: no cost
    with TestClient(app) as c:
        assert c.get("/none").json() == {"none": True}
        assert c.get("/plain").json() == {"ok": True}


def test_guards_and_blueprints_with_parameters():
    app = App()
    bp = Blueprint("/api", "api")

    def user(request):
        request.set_context("user", {"roles": request.headers.get("X-Roles", "").split(",")})

    app.before_request(user)

    @bp.get("/admin/{n:int}", guards=[RoleGuard(["admin"])])
    def admin(n: int, verbose: bool = False):
        return {"n": n, "verbose": verbose}

    app.register_blueprint(bp)
    with TestClient(app) as c:
        assert c.get("/api/admin/3?verbose=1", headers={"X-Roles": "admin"}).json() == {"n": 3, "verbose": True}
        assert c.get("/api/admin/3", headers={"X-Roles": "user"}).status_code == 403
        assert problems(c.get("/api/admin/3?verbose=perhaps", headers={"X-Roles": "admin"})) == [
            (("query", "verbose"), "type_error.bool")]


def slow_read(port: int, path: str, hold: float) -> tuple[float, bytes]:
    """Sends a GET, waits `hold` seconds before reading, then reads the whole answer; returns when
    it started reading and what it read."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        time.sleep(hold)
        started = time.monotonic()
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return started, data


def test_teardown_and_background_tasks_run_after_the_response_is_out():
    app = App()
    events: dict[str, float] = {}
    done = threading.Event()
    big = "x" * (16 * 1024 * 1024)  # more than the socket buffers hold: written only as the client reads

    def session():
        events["opened"] = time.monotonic()
        try:
            yield "session"
        finally:
            events["closed"] = time.monotonic()

    async def async_session():
        yield "async session"
        events["async closed"] = time.monotonic()

    def sync_task(name: str) -> None:
        events[name] = time.monotonic()
        events["thread"] = threading.current_thread().name  # type: ignore[assignment]

    async def async_task(name: str) -> None:
        await asyncio.sleep(0)
        events[name] = time.monotonic()
        done.set()

    @app.get("/big")
    async def big_answer(tasks: BackgroundTasks, s=Depends(session), a=Depends(async_session)):
        tasks.add_task(sync_task, "sync task")
        tasks.add_task(async_task, name="async task")
        assert tasks.pending_count() == 2
        return {"s": s, "a": a, "big": big}

    with TestClient(app) as c:
        started, data = slow_read(c.port, "/big", hold=1.0)
        assert data.startswith(b"HTTP/1.1 200") and len(data) > len(big)
        assert done.wait(support.WAIT)
        assert support.wait_until(lambda: "sync task" in events)
        # Nothing after the response ran before the client began to read it.
        for name in ("closed", "async closed", "sync task", "async task"):
            assert events[name] >= started, (name, events, started)
        assert events["opened"] < started
        assert str(events["thread"]).startswith("cello-background")


def test_a_failing_dependency_teardown_sees_the_handlers_error():
    app = App()
    seen: list[str] = []

    def tx():
        try:
            yield "tx"
            seen.append("commit")
        except ValueError as e:
            seen.append(f"rollback: {e}")
            raise

    @app.get("/fail")
    def fail(t=Depends(tx)):
        raise ValueError("boom")

    @app.get("/bad-input")
    def bad_input(n: int, t=Depends(tx)):
        return {"n": n}

    with TestClient(app) as c:
        assert c.get("/fail").status_code == 500
        assert seen == ["rollback: boom"]
        assert c.get("/bad-input?n=1").json() == {"n": 1}
        assert support.wait_until(lambda: "commit" in seen)
        assert c.get("/bad-input?n=x").status_code == 422


def test_background_tasks_outside_a_response_keep_the_originals_calls():
    tasks = BackgroundTasks()
    out: list[int] = []

    async def later(x: int) -> None:
        out.append(x)

    tasks.add_task(out.append, 1)
    tasks.add_task(lambda a, b: out.append(a + b), args_list=[2, 3])
    tasks.add_task(later, 9)
    assert tasks.pending_count() == 3
    tasks.run_all()
    assert out == [1, 5, 9] and tasks.pending_count() == 0
    with pytest.raises(TypeError):
        tasks.add_task("not callable")


APP_WITH_A_FAILING_TASK = '''
from cello import App, BackgroundTasks

app = App()

def send_mail(to):
    raise ConnectionError("mail server down for " + to)

@app.post("/signup")
def signup(tasks: BackgroundTasks):
    tasks.add_task(send_mail, "ann@example.org")
    return {"signed_up": True}
'''


def test_a_failing_background_task_is_logged_and_recorded_by_the_inspector(tmp_path: Path):
    from test_inspector import TOKEN, INSPECTOR_LINE  # the inspected-server helpers

    app_file = tmp_path / "app.py"
    app_file.write_text(APP_WITH_A_FAILING_TASK)
    server = support.start_server(str(app_file), "--inspect=127.0.0.1:0", "--no-logs",
                                  env={"CELLO_INSPECT_TOKEN": TOKEN})
    try:
        m = INSPECTOR_LINE.search(server.stderr)
        assert m, server.stderr
        reply = server.post("/signup", body="")
        assert reply.status == 200 and reply.json() == {"signed_up": True}

        def recorded() -> list:
            snap = support.request(int(m.group(2)), "GET", "/inspect/v1/snapshot",
                                   headers={"Authorization": f"Bearer {TOKEN}"}, host=m.group(1)).json()
            return snap["errors"]

        assert support.wait_until(lambda: recorded())
        err = recorded()[0]
        assert (err["method"], err["path"], err["route"]) == ("POST", "/signup", "POST /signup")
        assert err["message"] == "background task send_mail: ConnectionError: mail server down for ann@example.org"
        assert "raise ConnectionError" in err["traceback"]
        assert support.wait_until(lambda: "background task send_mail failed" in server.stderr)
        assert server.post("/signup", body="").status == 200  # still serving
    finally:
        assert server.stop() == 0, server.stderr
