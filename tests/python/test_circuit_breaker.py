"""enable_circuit_breaker() (the original Cello's, issue 17 item 4), native, over real HTTP: a route
that keeps failing is cut off with 503 and Retry-After without its handler running, probes go
through after reset_timeout, successes close it, a failure during probes opens it again; other
routes are untouched."""
from __future__ import annotations

import time

import pytest

import support
from cello import App
from cello.testing import TestClient


@pytest.fixture
def setup():
    app = App()
    state = {"fail": True, "calls": 0}
    app.enable_circuit_breaker(failure_threshold=3, reset_timeout=1, half_open_target=2)

    @app.get("/flaky/{n}")
    def flaky(request):
        state["calls"] += 1
        return ({"error": "down"}, 500) if state["fail"] else {"ok": True}

    @app.get("/fine")
    def fine(request):
        return {"ok": True}

    @app.get("/missing")
    def missing(request):
        return {"error": "no"}, 404  # not a failure code

    with TestClient(app) as c:
        yield c, state


def test_opens_after_the_threshold_and_refuses_without_the_handler(setup):
    c, state = setup
    for _ in range(3):
        assert c.get("/flaky/1").status_code == 500
    assert state["calls"] == 3
    r = c.get("/flaky/2")  # the route, whatever its parameters
    support.assert_error_shape(r, 503)
    assert 1 <= int(r.headers["Retry-After"]) <= 1 and state["calls"] == 3  # the handler did not run
    assert c.get("/fine").status_code == 200  # other routes are not affected
    for _ in range(5):
        assert c.get("/missing").status_code == 404  # a 404 is no failure


def test_half_open_probes_close_it_or_open_it_again(setup):
    c, state = setup
    for _ in range(3):
        c.get("/flaky/1")
    assert c.get("/flaky/1").status_code == 503
    support.wait_until(lambda: c.get("/flaky/1").status_code != 503, timeout=support.WAIT)  # after reset_timeout
    # That probe failed (state["fail"] still true): open again at once.
    assert c.get("/flaky/1").status_code == 503
    state["fail"] = False
    support.wait_until(lambda: c.get("/flaky/1").status_code == 200, timeout=support.WAIT)
    assert c.get("/flaky/1").status_code == 200  # second success: closed
    state["fail"] = True
    assert c.get("/flaky/1").status_code == 500  # closed: failures count from zero again
    assert c.get("/flaky/1").status_code == 500


def test_settings_are_checked():
    app = App()
    app.enable_circuit_breaker(failure_threshold=0)
    with pytest.raises(Exception, match="failure_threshold"):
        TestClient(app).__enter__()
