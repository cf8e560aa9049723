"""Graceful stop (API.md "Running an app"): SIGTERM drains in-flight requests and exits 0."""
from __future__ import annotations

import signal
import threading
import time

import pytest

import support


@pytest.mark.parametrize("via", ["cello", "python"])
def test_sigterm_drains_in_flight_request(start_server, via):
    server = start_server("basic_app.py", "--no-logs", via=via)
    assert server.get("/").status == 200
    result: dict[str, object] = {}

    def slow_client() -> None:
        try:
            result["reply"] = server.get("/sleep?s=1", timeout=support.WAIT)
        except Exception as e:  # noqa: BLE001 - reported below
            result["error"] = e

    client = threading.Thread(target=slow_client)
    started = time.monotonic()
    client.start()
    # Signal once the request is inside the handler (its line on stdout), not after a guessed delay.
    assert support.wait_until(lambda: "sleep: started 1.0" in server.stdout), server.stderr
    server.signal(signal.SIGTERM)
    client.join(support.WAIT)
    code = server.wait()
    server.stopped = True
    assert "error" not in result, f"in-flight request failed: {result.get('error')!r}; stderr:\n{server.stderr}"
    reply = result["reply"]
    assert reply.status == 200, reply
    assert reply.json() == {"slept": 1.0}
    assert code == 0, server.stderr
    assert "cello: stopped" in server.stderr
    assert time.monotonic() - started < support.WAIT


def test_sigterm_stops_accepting(start_server):
    server = start_server("basic_app.py", "--no-logs")
    assert server.get("/").status == 200
    assert server.stop() == 0
    with pytest.raises(OSError):
        support.request(server.port, "GET", "/", timeout=2)


def test_sigterm_with_idle_keepalive_connection_exits_promptly(start_server):
    """Keep-alive and drain timeouts of 60 s: a stop that waited for either would take a minute
    (and fail server.stop()'s own limit); the bound leaves a loaded machine 15 s."""
    server = start_server("basic_app.py", "--no-logs", via="python", env={"BASIC_APP_LONG_TIMEOUTS": "60"})
    with server.raw() as conn:
        conn.send(support.http_get("/"))
        assert conn.read_response().status == 200
        started = time.monotonic()
        assert server.stop() == 0, server.stderr
        assert time.monotonic() - started < 15, "an idle keep-alive connection delayed shutdown"
        assert conn.closed_by_peer(support.WAIT)


def test_sigint_stops_gracefully(start_server):
    server = start_server("basic_app.py", "--no-logs")
    assert server.get("/").status == 200
    server.signal(signal.SIGINT)
    assert server.wait() == 0, server.stderr
    server.stopped = True
    assert "cello: stopped" in server.stderr


@pytest.mark.parametrize("via", ["cello", "python"])
def test_sigterm_right_after_banner_is_graceful(via):
    """A supervisor may send SIGTERM as soon as the server says it is serving: still exit 0.

    (The window is small: on an idle machine this may pass even if the handler is installed too late.)
    """
    codes = []
    for _ in range(5):
        server = support.start_server("basic_app.py", "--no-logs", via=via)
        codes.append((server.stop(), "cello: stopped" in server.stderr))
    assert codes == [(0, True)] * 5, f"(exit code, printed 'cello: stopped') per run: {codes}"
