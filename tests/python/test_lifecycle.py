"""@app.on_event("startup" | "shutdown"): order, async hooks, failures and signals, on real server
processes (apps/lifecycle_app.py), plus a few in-process checks."""
from __future__ import annotations

import signal
import subprocess
import threading

import pytest

import support
from cello import App

APP = "lifecycle_app.py"


def events(stderr: str) -> list[str]:
    """The app's `event: ...` lines and the server's own banner/stop lines, in order."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("event: "):
            out.append(line[len("event: "):])
        elif support.BANNER.search(line):
            out.append("<serving>")
        elif line.startswith("cello: stopped"):
            out.append("<" + line[len("cello: "):] + ">")
    return out


def launch(via: str, env: dict[str, str], port: int = 0) -> tuple[subprocess.Popen[bytes], support._Collector]:
    """Starts the lifecycle app without waiting for a banner (it may never come)."""
    cmd = support.command(support.app_path(APP), ["--no-logs", "--port", str(port)], via)
    proc = subprocess.Popen(cmd, env=support.subprocess_env(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, support._Collector(proc.stderr)


@pytest.mark.parametrize("via", ["cello", "python"])
def test_startup_before_socket_and_shutdown_after_stop(start_server, via):
    port = support.free_port()
    server = start_server(APP, "--no-logs", "--port", str(port), via=via, env={"CELLO_TEST_PORT": str(port)})
    assert server.get("/").text == "hello"
    assert server.stop() == 0, server.stderr
    assert events(server.stderr) == [
        "startup 1 (port closed)", "startup 2 (async)", "startup 3", "<serving>",
        "shutdown 1", "shutdown 2 (async)", "<stopped>",
    ], server.stderr


def test_shutdown_hooks_run_after_in_flight_requests_finish(start_server):
    server = start_server(APP, "--no-logs")
    reply: dict[str, object] = {}
    client = threading.Thread(target=lambda: reply.update(r=server.get("/sleep?s=0.6", timeout=support.WAIT)))
    client.start()
    assert server.wait_for_stderr("event: request started"), server.stderr  # in flight: inside the handler
    server.signal(signal.SIGTERM)
    client.join(support.WAIT)
    assert server.wait() == 0, server.stderr
    server.stopped = True
    assert reply["r"].status == 200  # type: ignore[union-attr]
    order = events(server.stderr)
    assert order.index("request finished") < order.index("shutdown 1") < order.index("<stopped>"), order


@pytest.mark.parametrize("via", ["cello", "python"])
def test_failing_startup_hook_exits_nonzero_and_never_serves(via):
    port = support.free_port()
    proc, err = launch(via, {"CELLO_TEST_FAIL": "startup"}, port)
    code = proc.wait(support.START_TIMEOUT)
    err.join(5)
    stderr = err.text()
    assert code == 1, stderr
    assert "a startup hook failed; not serving" in stderr
    assert "Traceback (most recent call last)" in stderr and "RuntimeError: the database is down" in stderr
    assert "in warm_up" in stderr, stderr  # the traceback points at the hook
    assert events(stderr) == ["startup 1"], stderr  # later hooks, serving and shutdown hooks never ran
    with pytest.raises(OSError):
        support.request(port, "GET", "/", timeout=2)


@pytest.mark.parametrize("via", ["cello", "python"])
def test_sigterm_during_startup_stops_without_serving(via):
    proc, err = launch(via, {"CELLO_TEST_SLOW_STARTUP": "30"})
    try:
        assert err.wait_for(lambda text: "startup 3 sleeping" in text, support.START_TIMEOUT), err.text()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(support.STOP_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    err.join(5)
    stderr = err.text()
    assert code == 0, stderr
    assert "cello: stopped during startup" in stderr
    assert "<serving>" not in events(stderr) and "shutdown 1" not in events(stderr), stderr


def test_failing_shutdown_hook_runs_the_others_and_exits_nonzero(start_server):
    server = start_server(APP, "--no-logs", env={"CELLO_TEST_FAIL": "shutdown"})
    code = server.stop()
    assert code == 1, server.stderr
    assert "cello: shutdown hook close_resources failed:" in server.stderr
    assert "RuntimeError: cannot close" in server.stderr
    assert events(server.stderr)[-2:] == ["shutdown 2 (async)", "<stopped>"], server.stderr


# -- in process ---------------------------------------------------------------------------------

def test_hooks_run_in_registration_order_on_one_loop_per_event():
    import asyncio

    app = App()
    seen: list[object] = []

    @app.on_event("startup")
    async def first():
        seen.append(("first", asyncio.get_running_loop()))

    @app.on_event("startup")
    def second():
        seen.append("second")

    @app.on_event("startup")
    async def third():
        seen.append(("third", asyncio.get_running_loop()))

    app._run_event("startup")
    assert [s if isinstance(s, str) else s[0] for s in seen] == ["first", "second", "third"]
    assert seen[0][1] is seen[2][1]  # type: ignore[index]
    assert seen[0][1].is_closed()  # type: ignore[index]


def test_on_event_rejects_unknown_events_and_returns_the_function():
    app = App()
    with pytest.raises(ValueError, match="unknown event 'start'"):
        app.on_event("start")

    def hook():
        pass

    assert app.on_event("shutdown")(hook) is hook
    with pytest.raises(TypeError):
        app.on_event("startup")(42)  # type: ignore[arg-type]


def test_sync_hooks_do_not_import_asyncio():
    code = ("import sys\nfrom cello import App\napp = App()\napp.on_event('startup')(lambda: None)\n"
            "app._run_event('startup')\nprint('asyncio' in sys.modules)")
    out = subprocess.run([support.PYTHON, "-c", code], env=support.subprocess_env(), capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_programs_the_app_starts_do_not_keep_its_sockets():
    # A child started without closing descriptors (an editor opened from the studio, a subprocess
    # with close_fds=False) must not hold the listening socket or a client connection: once the
    # server stops, its port refuses connections.
    import socket

    from cello.testing import TestClient

    app = App()

    @app.get("/")
    def home(request):
        return {"ok": True}

    child = None
    try:
        with TestClient(app) as c:
            port = c.port
            assert c.get("/").status_code == 200  # a connection is open too
            child = subprocess.Popen(["sleep", "60"], close_fds=False)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        if child is not None:
            child.kill()
            child.wait()
