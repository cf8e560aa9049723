"""The asyncio core (docs/async.md): every engine thread runs its own loop on that thread; handlers
run in their own contexts, inside Tasks from their first line; resources made by async startup hooks
belong to each thread's loop; disconnects and shutdown cancel; a @cache follower waits without
holding the thread; aiohttp and asyncpg work inside handlers against real servers."""
from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import pg_server
import support
from cello.testing import TestClient

GIVE_UP = 30.0  # async_core_app's


@pytest.fixture(scope="module")
def core(import_app):
    return import_app("async_core_app")


@pytest.fixture(scope="module")
def client(core):
    with TestClient(core.app) as c:
        yield c


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_each_request_runs_in_its_own_context(client, kind):
    first = client.get(f"/ctx/{kind}?v=one").json()
    second = client.get(f"/ctx/{kind}?v=two").json()
    assert first == {"seen": None}
    assert second == {"seen": None}  # what the first request set is gone


def test_an_async_handler_is_a_task_from_its_first_line(client):
    assert client.get("/task").json() == {"task": True, "same_task": True, "child": 7}


_ORDER = ["callback 1", "child step 1", "callback 2", "handler step 2", "child step 2", "callback 3", "handler woken"]


def test_callbacks_run_in_the_order_they_were_scheduled(client):
    assert client.get("/order").json() == {"debug": False, "seen": _ORDER}


def test_asyncio_debug_mode_works_on_the_engine_loop(core, monkeypatch):
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")  # read when a loop is made
    with TestClient(core.app, workers=1) as c:
        assert c.get("/order").json() == {"debug": True, "seen": _ORDER}
        assert c.get("/task").json() == {"task": True, "same_task": True, "child": 7}


def test_the_task_registry_keeps_asyncios_semantics():
    """cello._loop gives asyncio's WeakSet of tasks a native add and removal callback: tasks are
    registered, dropped when they die, and a death during an iteration waits for its end."""
    import asyncio
    import gc

    import cello._loop  # noqa: F401  (installs it, as every engine does)

    registry = asyncio.tasks._all_tasks
    assert "add" in vars(registry)  # installed (else this test checks nothing of ours)

    async def main() -> tuple[int, int, int, int, int]:
        async def spawn() -> None:
            for _ in range(100):
                asyncio.create_task(asyncio.sleep(0))

        await spawn()
        registered = len(asyncio.all_tasks())
        iterating = iter(registry)
        next(iterating)
        for _ in range(3):  # the 100 tasks finish and are freed while `iterating` is open
            await asyncio.sleep(0)
        gc.collect()
        during = len(registry.data), len(registry._pending_removals)
        del iterating  # the end of the iteration commits the removals
        return registered, *during, len(registry.data), len(asyncio.all_tasks())

    registered, kept, pending, after, alive = asyncio.run(main())
    assert registered == 101  # the 100 and main()
    assert (kept, pending) == (101, 99)  # the task next() returned is alive until the iterator goes
    assert (after, alive) == (1, 1)


def test_each_awaiting_handler_reads_its_own_request(core):
    with TestClient(core.app, workers=1) as c, ThreadPoolExecutor(max_workers=20) as pool:
        for round_ in range(3):
            keys = [f"{round_}-{i}" for i in range(20)]
            replies = list(pool.map(
                lambda k: c.post(f"/after-await/{k}?v={k}&keep={'1' if k.endswith('-7') else ''}",
                                 headers={"X-N": k}, json={"k": k}).json(), keys))
            assert replies == [{"v": k, "path": f"/after-await/{k}", "n": k, "key": k, "body": {"k": k}}
                               for k in keys]
        # Requests a handler kept stay as they were, whatever came after them.
        assert c.get("/kept").json()[-3:] == [{"v": f"{r}-7", "n": f"{r}-7"} for r in range(3)]


def test_a_timer_earlier_than_the_loops_next_one_fires_on_time(core):
    """The reactor waits for the loop's earliest timer; a handler adding an earlier one must wake it
    (a later one need not)."""
    with TestClient(core.app, workers=1) as c:
        assert c.get("/far-timer").json() == {"started": True}  # the loop's next timer: 30 s away
        time.sleep(0.2)  # the loop is back in select(), waiting for it
        slept = c.get("/short-sleep", timeout=support.WAIT).json()["slept"]
    assert slept < GIVE_UP / 2  # about 0.05 s; 30 s if the reactor kept waiting for the far timer


def test_timeout_and_wait_for_work_inside_handlers(client):
    assert client.get("/timeout").json() == {"timeout": True, "wait_for": True}


def test_startup_resources_belong_to_each_engine_threads_loop(core):
    before = len(core.startup_loops)
    with TestClient(core.app, workers=2) as c:
        made = core.startup_loops[before:]
        assert len(made) == 2 and made[0] is not made[1]  # the hook ran on each thread's loop
        # Each request opens its own connection, and connections go to the threads in turn.
        replies = [c.get(f"/queue?item={i}").json() for i in range(8)]
    assert [r["item"] for r in replies] == [str(i) for i in range(8)]
    assert all(r["startup_loop"] for r in replies)  # the queue made at startup, on this loop
    assert {r["loop_thread"] for r in replies} == {0, 1}
    assert len({r["thread"] for r in replies}) == 2


def test_system_exit_in_a_handler_is_a_500_and_the_thread_serves_on(client, capfd):
    reply = client.get("/exit")
    assert reply.status_code == 500
    assert "SystemExit" in support.captured_stderr(capfd, "SystemExit")
    assert client.get("/ctx/sync").status_code == 200
    assert client.get("/task").status_code == 200


@pytest.mark.parametrize("how", ["raise", "cancel"])
def test_a_handler_that_cancels_itself_gets_a_500(client, capfd, how):
    reply = client.get(f"/self-cancel/{how}")
    assert reply.status_code == 500  # answered, not left hanging as if its client had gone
    assert "CancelledError" in support.captured_stderr(capfd, "CancelledError")
    assert client.get("/ctx/sync").status_code == 200


def _send_hold(port: int, who: str = "me") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=support.WAIT)
    s.sendall(f"GET /hold?who={who} HTTP/1.1\r\nHost: x\r\nX-Who: {who}\r\n\r\n".encode())
    return s


def test_a_client_that_disconnects_cancels_its_handler(core, client):
    before = dict(core.state)
    core.state["left"] = None
    s = _send_hold(client.port, who="leaver")
    support.wait_until(lambda: core.state["holding"] == before["holding"] + 1)
    closed = time.monotonic()
    s.close()
    for i in range(20):  # the engine thread serves others meanwhile
        assert client.get(f"/ctx/sync?v={i}").status_code == 200
    support.wait_until(lambda: core.state["cancelled"] == before["cancelled"] + 1)
    print(f"cancelled {time.monotonic() - closed:.3f} s after the client closed")
    # Read by the handler after its connection closed: its request, intact.
    support.wait_until(lambda: core.state["left"] is not None)
    assert core.state["left"] == ("/hold", "leaver", "leaver")
    assert client.get("/ctx/sync").status_code == 200  # and the thread serves on


def test_a_client_that_leaves_with_a_request_pipelined_behind_cancels_its_handler(core, client):
    # The connection reads on while a handler is pending: it parses the request queued behind and
    # then sees the end of input (a peek would only ever see the queued bytes).
    before = dict(core.state)
    tasks = client.get("/state").json()["tasks"]
    s = _send_hold(client.port, who="pipeliner")
    support.wait_until(lambda: core.state["holding"] == before["holding"] + 1)
    s.sendall(b"GET /ctx/sync?v=behind HTTP/1.1\r\nHost: x\r\n\r\n")  # arrives while /hold is pending
    time.sleep(0.3)  # (not needed for the outcome: lets a server that only peeks see the bytes first)
    s.close()
    assert support.wait_until(lambda: core.state["cancelled"] == before["cancelled"] + 1), core.state
    assert support.wait_until(lambda: client.get("/state").json()["tasks"] == tasks)  # its task is gone too


def test_cancelled_requests_leave_no_tasks_or_threads_behind(core, client):
    baseline = client.get("/state").json()
    rounds, width = 10, 100
    for _ in range(rounds):
        start = dict(core.state)
        sockets = [_send_hold(client.port) for _ in range(width)]
        support.wait_until(lambda: core.state["holding"] == start["holding"] + width)
        for s in sockets:
            s.close()
        support.wait_until(lambda: core.state["cancelled"] == start["cancelled"] + width)
    after = support.wait_until(lambda: (lambda st: st if st["tasks"] == baseline["tasks"] else None)(
        client.get("/state").json()))
    assert after["threads"] == baseline["threads"]


def test_cache_followers_wait_without_holding_the_engine_thread(core):
    with TestClient(core.app, workers=1) as c:
        calls = core.state["cache_calls"]
        with ThreadPoolExecutor(max_workers=50) as pool:
            replies = [pool.submit(c.get, "/cached") for _ in range(50)]
            support.wait_until(lambda: core.state["cache_calls"] == calls + 1)
            time.sleep(0.2)  # lets the other 49 arrive and wait (the test holds either way)
            # Served by the same, only engine thread while the 50 wait: a follower that blocked
            # the thread would leave this request, and so every request, hanging.
            assert c.get("/open/cache").status_code == 200
            bodies = [r.result(support.WAIT) for r in replies]
    assert all(b.status_code == 200 for b in bodies)
    assert {b.json()["calls"] for b in bodies} == {calls + 1}
    assert core.state["cache_calls"] == calls + 1  # the handler ran once


def test_shutdown_cancels_what_is_still_pending(core):
    c = TestClient(core.app, drain_timeout=1)
    c.start()
    start = dict(core.state)
    assert c.get("/spawn").json() == {"spawned": True}
    s = _send_hold(c.port)
    support.wait_until(lambda: core.state["holding"] == start["holding"] + 1)
    c.close()  # the held request outlives the drain timeout: its task is cancelled
    s.close()
    assert core.state["cancelled"] == start["cancelled"] + 1
    assert core.state["aborted"] == start["aborted"] + 1  # the task it left running, too


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_aiohttp_client_inside_a_handler(client):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{upstream.server_address[1]}/up"
        replies = [client.get("/fetch", params={"url": url}) for _ in range(3)]
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert [r.json() for r in replies] == [{"status": 200, "body": "hello from /up"}] * 3


def test_asyncpg_against_a_real_postgresql(core):
    with pg_server.running() as dsn:
        os.environ["CELLO_TEST_PG_DSN"] = dsn
        try:
            with TestClient(core.app, workers=2) as c:
                replies = [c.get(f"/pg?n={n}").json() for n in range(4)]
        finally:
            del os.environ["CELLO_TEST_PG_DSN"]
    assert replies == [{"value": n * 6, "rows": [1, 2, 3]} for n in range(4)]


def test_an_exception_after_an_await_is_answered_not_logged_as_lost(capfd):
    """A handler's exception raised after it suspended is answered (its status) and counts as
    retrieved: asyncio must not print "Task exception was never retrieved" for it."""
    import asyncio
    import gc

    from cello import App, HTTPError
    from cello.testing import TestClient

    app = App()

    @app.get("/late")
    async def late(request):
        await asyncio.sleep(0.01)
        raise HTTPError(409, "late")

    @app.get("/late-bug")
    async def late_bug(request):
        await asyncio.sleep(0.01)
        raise KeyError("late")

    with TestClient(app) as c:
        for _ in range(3):
            assert c.get("/late").status_code == 409
            assert c.get("/late-bug").status_code == 500
    gc.collect()
    err = capfd.readouterr().err
    assert "never retrieved" not in err, err
    assert "KeyError: 'late'" in err  # the 500's traceback is logged, as it should be
