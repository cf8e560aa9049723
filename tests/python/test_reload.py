"""Hot reload (`--reload`, docs/reload.md): real server processes serving apps written into a
temporary directory per test, edited while a client keeps talking to them.

The rules checked here are the ones docs/reload.md states: the socket and keep-alive connections
stay open, a save is served within 1 s, a failed import keeps the old code, routes come and go,
startup hooks run once, shutdown hooks are the first app's, module state inside the app's
directory is fresh after a reload and outside it is kept, the response cache and rate-limit
buckets start empty while metrics counters carry over, requests in flight finish on the old code,
and only .py files under the watched directory count.
"""
from __future__ import annotations

import itertools
import os
import re
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import support

RELOADED = "cello: reloaded "
FAILED = "cello: reload failed; still serving the previous code:"
# docs/reload.md promises a save is served within 1 s (50-150 ms on an idle machine); that promise is
# measured by bench/reload_compare.py, which says whether it held. Here the suite runs on a loaded
# 2-core machine, so the test asserts a bound that holds there and still fails a watcher that misses
# saves or polls far too slowly. (docs/testing.md, "Timing")
SAVE_TO_SERVED_UNDER_LOAD = 5.0

# Python's bytecode cache tells a stale .pyc by the source's mtime in whole seconds and its size, so
# two same-size saves within one second can load the old bytecode (a reload that reports success
# and serves the old code: test_same_size_saves_within_one_second_are_served). The other tests
# switch the cache off so that what they check does not depend on how fast they type.
NO_PYC = {"PYTHONDONTWRITEBYTECODE": "1"}


# -- helpers --------------------------------------------------------------------------------------

def make_site(root: Path, files: dict[str, str]) -> Path:
    """Writes `files` (relative path -> source) under root/site and returns root/site/app.py."""
    site = root / "site"
    for name, text in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return site / "app.py"


def save(path: Path, text: str) -> float:
    """Overwrites `path` as an editor saves it; returns the time.monotonic() of the save."""
    path.write_text(textwrap.dedent(text))
    return time.monotonic()


def set_version(path: Path, version: int) -> float:
    """Rewrites the `VERSION = N` line of `path`; returns the time of the save."""
    text, count = re.subn(r"^VERSION = \d+$", f"VERSION = {version}", path.read_text(), flags=re.M)
    assert count == 1, text
    path.write_text(text)
    return time.monotonic()


wait_until = support.wait_until  # the first truthy value of predicate() within support.WAIT seconds


def reload_count(server: support.Server) -> int:
    return server.stderr.count(RELOADED)


def wait_reloads(server: support.Server, count: int, timeout: float = support.WAIT) -> None:
    """Waits for `count` "reloaded" lines: the line is printed after the new code is installed, so a
    client can see the new code a moment before the line is on stderr."""
    assert wait_until(lambda: reload_count(server) >= count, timeout), \
        f"expected {count} reloads; stderr:\n{server.stderr}"


def version_of(server: support.Server, path: str = "/version") -> Any:
    reply = server.get(path)
    assert reply.status == 200, reply
    return reply.json()["version"]


def wait_version(server: support.Server, version: int, path: str = "/version",
                 timeout: float = support.WAIT) -> None:
    assert wait_until(lambda: version_of(server, path) == version, timeout), \
        f"version {version} never served at {path}; stderr:\n{server.stderr}"


def alive(server: support.Server) -> bool:
    return server.proc.poll() is None


def stdout_events(server: support.Server) -> list[str]:
    return [line[len("event: "):] for line in server.stdout.splitlines() if line.startswith("event: ")]


class Poller(threading.Thread):
    """One keep-alive connection sending `GET path` every `interval` seconds until stopped; records
    (receive time, status, version, Connection header) of every answer and any error."""

    def __init__(self, port: int, path: str = "/version", interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.conn = support.RawConnection(port, timeout=support.WAIT)
        self.path = path
        self.interval = interval
        self.answers: list[tuple[float, int, Any, str | None]] = []
        self.errors: list[str] = []
        self.open_at_end = False
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                self.conn.send(support.http_get(self.path))
                reply = self.conn.read_response()
                received = time.monotonic()
                version = reply.json().get("version") if reply.status == 200 else None
                connection = reply.headers.get("Connection")
                with self._lock:
                    self.answers.append((received, reply.status, version, connection))
                    if reply.status != 200 or (connection or "").lower() == "close":
                        self.errors.append(repr(reply))
                self._halt.wait(self.interval)
            self.open_at_end = self.conn.is_open()
        except Exception as e:  # noqa: BLE001 - any failure of the connection is what we count
            with self._lock:
                self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            self.conn.close()

    def count(self) -> int:
        with self._lock:
            return len(self.answers)

    def count_of(self, version: int) -> int:
        """How many answers carried `version`."""
        with self._lock:
            return sum(1 for _, _, v, _ in self.answers if v == version)

    def first_seen(self, version: int) -> float | None:
        """When the first answer carrying `version` arrived."""
        with self._lock:
            return next((t for t, _, v, _ in self.answers if v == version), None)

    def finish(self) -> None:
        self._halt.set()
        self.join(10)
        assert not self.is_alive(), "the polling client hung"


# -- apps -----------------------------------------------------------------------------------------

VERSION_APP = """\
    from cello import App

    VERSION = 1
    app = App()


    @app.get("/version")
    def version(request):
        return {"version": VERSION}


    if __name__ == "__main__":
        app.run()
    """

HELPER_APP = """\
    from cello import App

    import helper

    VERSION = 1
    app = App()


    @app.get("/version")
    def version(request):
        return {"version": VERSION, "helper": helper.VALUE}
    """


# -- the connection stays, the new code is served -------------------------------------------------

@pytest.mark.parametrize("via", ["cello", "python"])
def test_keepalive_client_sees_three_reloads_without_an_error(tmp_path, start_server, via):
    """A client on one keep-alive connection sends a request every 20 ms while the app is saved
    three times: every answer is a 200 on that same connection, versions only move forward, and
    each save is served promptly (SAVE_TO_SERVED_UNDER_LOAD). Each version is saved over only after
    the client got 10 answers of it: counted, not timed, so a slow machine gets as many answers."""
    app = make_site(tmp_path, {"app.py": VERSION_APP})
    server = start_server(str(app), "--reload", "--no-logs", via=via, env=NO_PYC)
    assert f"cello: watching {app.parent.resolve()} for changes" in server.stderr
    poller = Poller(server.port)
    poller.start()
    latencies = []
    try:
        for version in (2, 3, 4):
            assert wait_until(lambda: poller.count_of(version - 1) >= 10 or poller.errors), poller.errors
            saved = set_version(app, version)
            seen = wait_until(lambda: poller.first_seen(version) or poller.errors)
            assert seen and not poller.errors, \
                f"version {version} never served; errors {poller.errors}; stderr:\n{server.stderr}"
            latencies.append(seen - saved)
        assert wait_until(lambda: poller.count_of(4) >= 10 or poller.errors), poller.errors
        wait_reloads(server, 3)
    finally:
        poller.finish()
    print(f"{via}: save -> first new response: {', '.join(f'{x * 1000:.0f} ms' for x in latencies)}; "
          f"{len(poller.answers)} answers on one connection")
    assert poller.errors == [], poller.errors
    assert poller.open_at_end, "the server closed the keep-alive connection"
    versions = [v for _, _, v, _ in poller.answers]
    assert versions == sorted(versions), "an answer of older code came after newer code"
    assert set(versions) == {1, 2, 3, 4}
    assert len(versions) >= 40, len(versions)
    assert all(latency < SAVE_TO_SERVED_UNDER_LOAD for latency in latencies), \
        f"save -> first new response: {[f'{x * 1000:.0f} ms' for x in latencies]}"
    assert reload_count(server) == 3, server.stderr
    assert FAILED not in server.stderr
    assert len(re.findall(r"cello: reloaded 1 routes in \d+\.\d ms", server.stderr)) == 3, server.stderr


def test_module_imported_by_the_app_is_reloaded(tmp_path, start_server):
    """Saving helper.py (next to app.py) alone reloads: the app sees the helper's new code."""
    app = make_site(tmp_path, {"app.py": HELPER_APP, "helper.py": 'VALUE = "first"\n'})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    assert server.get("/version").json() == {"version": 1, "helper": "first"}
    save(app.parent / "helper.py", 'VALUE = "second"\n')
    assert wait_until(lambda: server.get("/version").json()["helper"] == "second"), server.stderr
    assert server.get("/version").json() == {"version": 1, "helper": "second"}
    wait_reloads(server, 1)
    assert reload_count(server) == 1


# -- failures keep the old code -------------------------------------------------------------------

BREAKAGES = {
    # name: (file to save, its broken source, what the traceback names)
    "syntax error in app.py": (
        "app.py", HELPER_APP.replace("VERSION = 1", "VERSION = 2") + "\n    def broken(:\n        pass\n",
        ["SyntaxError", "app.py"]),
    "syntax error in helper.py": (
        "helper.py", 'VALUE = ("broken"\n', ["SyntaxError", "helper.py"]),
    "exception raised at import": (
        "helper.py", 'VALUE = "broken"\nraise RuntimeError("helper refuses to load")\n',
        ["RuntimeError: helper refuses to load", "helper.py"]),
    "route conflict": (
        "app.py", HELPER_APP.replace("VERSION = 1", "VERSION = 2") + """
    @app.get("/version")
    def again(request):
        return "conflict"
    """, ["ValueError", "/version"]),
    "missing module": (
        "app.py", "    import no_such_module_for_cello_tests\n" + HELPER_APP.replace("VERSION = 1", "VERSION = 2"),
        ["ModuleNotFoundError: No module named 'no_such_module_for_cello_tests'"]),
    "missing name": (
        "app.py", "    from helper import NO_SUCH_NAME\n" + HELPER_APP.replace("VERSION = 1", "VERSION = 2"),
        ["ImportError: cannot import name 'NO_SUCH_NAME' from 'helper'"]),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_failed_reload_keeps_serving_the_old_code(tmp_path, start_server, breakage):
    """A save that does not import prints the traceback and changes nothing: same answers, same
    connection, process alive. Fixing the file reloads as usual."""
    name, source, needles = BREAKAGES[breakage]
    app = make_site(tmp_path, {"app.py": HELPER_APP, "helper.py": 'VALUE = "first"\n'})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    conn = server.raw()
    conn.send(support.http_get("/version"))
    assert conn.read_response().json() == {"version": 1, "helper": "first"}

    save(app.parent / name, source)
    assert server.wait_for_stderr(FAILED), server.stderr

    def failure_report() -> str:  # the traceback follows the line: wait until it is complete
        return server.stderr.split(FAILED, 1)[1]

    wait_until(lambda: all(needle in failure_report() for needle in needles))
    report = failure_report()
    assert "Traceback (most recent call last):" in report, report
    for needle in needles:
        assert needle in report, f"{needle!r} not in the reload failure report:\n{report}"
    assert RELOADED not in server.stderr
    for _ in range(5):  # the old code, on a new connection and on the old one
        assert server.get("/version").json() == {"version": 1, "helper": "first"}
        conn.send(support.http_get("/version"))
        assert conn.read_response().json() == {"version": 1, "helper": "first"}
        time.sleep(0.05)
    assert alive(server)

    if name == "app.py":
        save(app, HELPER_APP.replace("VERSION = 1", "VERSION = 3"))
        fixed = {"version": 3, "helper": "first"}
    else:
        save(app.parent / name, 'VALUE = "fixed"\n')
        fixed = {"version": 1, "helper": "fixed"}
    assert wait_until(lambda: server.get("/version").json() == fixed), server.stderr
    conn.send(support.http_get("/version"))
    assert conn.read_response().json() == fixed
    wait_reloads(server, 1)
    assert reload_count(server) == 1
    assert server.stderr.count(FAILED) == 1
    conn.close()


# -- routes ---------------------------------------------------------------------------------------

ROUTES_V1 = """\
    from cello import App

    app = App()


    @app.get("/a")
    def a(request):
        return "a1"


    @app.get("/b")
    def b(request):
        return "b1"


    @app.get("/boom")
    def boom(request):
        raise KeyError("boom")
    """

ROUTES_V2 = """\
    from cello import App

    app = App()


    @app.route("/a", methods=["GET", "POST"])
    def a(request):
        return "a2"


    @app.get("/c")
    def c(request):
        return "c2"


    @app.get("/items/{id:int}")
    def item(request):
        return {"id": request.params["id"]}


    @app.get("/boom")
    def boom(request):
        raise KeyError("boom")


    @app.after_request
    def tag(request, response):
        response.headers["X-Hook"] = "v2"


    @app.exception_handler(LookupError)
    def lookup_failed(request, exc):
        return {"handled_by": "v2"}, 418
    """


def test_routes_added_and_removed_by_a_reload(tmp_path, start_server):
    """The route table is replaced whole: new routes and methods answer, removed ones are 404/405,
    and the request hooks are the new app's."""
    app = make_site(tmp_path, {"app.py": ROUTES_V1})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    assert server.get("/a").text == "a1"
    assert "X-Hook" not in server.get("/a").headers
    assert server.get("/boom").status == 500
    assert server.get("/b").text == "b1"
    support.assert_error_shape(server.get("/c"), 404)
    support.assert_error_shape(server.post("/a"), 405)

    save(app, ROUTES_V2)
    assert wait_until(lambda: server.get("/a").text == "a2"), server.stderr
    assert server.wait_for_stderr("cello: reloaded 5 routes"), server.stderr  # GET+POST /a, /c, /items/{id}, /boom
    support.assert_error_shape(server.get("/b"), 404)  # removed
    assert server.get("/c").text == "c2"  # added
    assert server.post("/a").text == "a2"  # a method added to a kept path
    assert server.get("/items/7").json() == {"id": 7}
    assert server.get("/a").headers.get("X-Hook") == "v2"  # the new app's after_request hook
    boom = server.get("/boom")  # and its exception handler
    assert (boom.status, boom.json()) == (418, {"handled_by": "v2"}), boom

    save(app, ROUTES_V1.replace('"a1"', '"a3"').replace('"b1"', '"b3"'))
    assert wait_until(lambda: server.get("/a").text == "a3"), server.stderr
    assert server.get("/b").text == "b3"  # back again
    support.assert_error_shape(server.get("/c"), 404)
    support.assert_error_shape(server.get("/items/7"), 404)
    support.assert_error_shape(server.post("/a"), 405)
    assert "X-Hook" not in server.get("/a").headers
    assert server.get("/boom").status == 500


# -- lifecycle hooks and module state -------------------------------------------------------------

HOOKS_APP = """\
    from cello import App

    VERSION = 1
    RESOURCES = {}
    app = App()


    @app.on_event("startup")
    def open_resources():
        RESOURCES["db"] = f"opened by version {VERSION}"
        print("event: startup", VERSION, flush=True)


    @app.on_event("shutdown")
    def close_resources():
        print("event: shutdown", VERSION, RESOURCES.get("db"), flush=True)


    @app.get("/version")
    def version(request):
        return {"version": VERSION, "db": RESOURCES.get("db")}


    if __name__ == "__main__":
        app.run()
    """


@pytest.mark.parametrize("via", ["cello", "python"])
def test_startup_hooks_run_once_and_shutdown_hooks_are_the_first_apps(tmp_path, start_server, via):
    """Startup hooks run once, at start, not on reload; at stop only the shutdown hooks of the app
    the server started with run (with that app's module globals). The reloaded app's hooks never
    run, so what its startup hook would have put in its (fresh) module globals is missing."""
    app = make_site(tmp_path, {"app.py": HOOKS_APP})
    server = start_server(str(app), "--reload", "--no-logs", via=via, env=NO_PYC)
    assert server.get("/version").json() == {"version": 1, "db": "opened by version 1"}
    for version in (2, 3):
        set_version(app, version)
        wait_version(server, version)
    assert server.get("/version").json() == {"version": 3, "db": None}
    assert stdout_events(server) == ["startup 1"]
    assert server.stop() == 0, server.stderr
    assert stdout_events(server) == ["startup 1", "shutdown 1 opened by version 1"]
    assert "cello: stopped" in server.stderr


STATE_APP = """\
    import sys

    from cello import App

    if LIBRARY_DIR not in sys.path:  # (`cello run` does not pass PYTHONPATH on)
        sys.path.append(LIBRARY_DIR)
    import counterlib  # a library: outside the app's directory
    import helper  # next to app.py: reloaded with it

    VERSION = 1
    HITS = {"n": 0}
    counterlib.IMPORTED_BY.append(VERSION)
    app = App()


    @app.get("/state")
    def state(request):
        HITS["n"] += 1
        helper.HITS["n"] += 1
        counterlib.HITS["n"] += 1
        return {"version": VERSION, "app": HITS["n"], "helper": helper.HITS["n"],
                "library": counterlib.HITS["n"], "imported_by": counterlib.IMPORTED_BY,
                "library_id": id(counterlib)}


    if __name__ == "__main__":
        app.run()
    """


@pytest.mark.parametrize("via", ["cello", "python"])
def test_module_state_fresh_inside_the_app_directory_kept_outside(tmp_path, start_server, via):
    """After a reload the app module and helper.py start from scratch (their globals are
    re-created); a module imported from outside the watched directory is the same object with
    its state intact."""
    library = tmp_path / "lib"
    library.mkdir()
    (library / "counterlib.py").write_text('IMPORTED_BY = []\nHITS = {"n": 0}\n')
    source = STATE_APP.replace("LIBRARY_DIR", repr(str(library)))
    app = make_site(tmp_path, {"app.py": source, "helper.py": 'HITS = {"n": 0}\n'})
    server = start_server(str(app), "--reload", "--no-logs", via=via, env=NO_PYC)
    for _ in range(3):
        before = server.get("/state").json()
    assert (before["version"], before["app"], before["helper"], before["library"]) == (1, 3, 3, 3), before
    assert before["imported_by"] == [1]

    set_version(app, 2)
    polls: list[dict[str, Any]] = []

    def reloaded() -> bool:
        polls.append(server.get("/state").json())
        return polls[-1]["version"] == 2

    assert wait_until(reloaded), server.stderr
    after = server.get("/state").json()
    assert (after["app"], after["helper"]) == (2, 2), after  # fresh: counting from the first new-code poll
    assert after["library"] == 3 + len(polls) + 1, (after, polls)  # kept: every request counted
    assert after["imported_by"] == [1, 2]  # the library was not re-imported, the app was
    assert after["library_id"] == before["library_id"]


# -- cache and middleware -------------------------------------------------------------------------

MIDDLEWARE_APP = """\
    from cello import App, RateLimitConfig, cache

    VERSION = 1
    app = App()
    app.enable_rate_limit(RateLimitConfig(requests=3, per=3600, trusted_proxies=["127.0.0.1"]))
    app.enable_prometheus()
    if VERSION >= 2:  # a setting that changes with the code
        app.enable_security_headers()


    @app.get("/cached")
    @cache(ttl=3600)
    def cached(request):
        return {"version": VERSION}


    @app.get("/version")
    def version(request):
        return {"version": VERSION}


    @app.get("/cache-stats")
    def cache_stats(request):
        return app.cache_stats()["routes"].get("GET /cached")
    """


def metric(text: str, family: str, **labels: str) -> float:
    """The value of the sample of `family` with exactly `labels`, 0 if absent."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        name, _, rest = line.partition("{")
        if name == family and rest:
            got, _, value = rest.rpartition("} ")
            if ",".join(sorted(got.split(","))) == want:
                return float(value)
    return 0.0


def test_cache_and_rate_limit_start_empty_metrics_carry_over(tmp_path, start_server):
    """The response cache belongs to the App object, which a reload re-creates: old entries are
    not served and its counters restart. Middleware is rebuilt from the new app's settings, so
    rate-limit buckets start full; metrics counters live in a store shared by the metrics
    middleware of one namespace, so they continue."""
    app = make_site(tmp_path, {"app.py": MIDDLEWARE_APP})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    addresses = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())
    ok_versions = 0  # GET /version answered 200, as the metrics must count them

    def get(path: str, client: str | None = None) -> support.Reply:
        nonlocal ok_versions
        reply = server.get(path, headers={"X-Forwarded-For": client or next(addresses)})
        if path == "/version" and reply.status == 200:
            ok_versions += 1
        return reply

    assert "X-Content-Type-Options" not in get("/version").headers
    first, second = get("/cached"), get("/cached")
    assert (first.json(), first.headers["X-Cache"]) == ({"version": 1}, "MISS")
    assert (second.json(), second.headers["X-Cache"]) == ({"version": 1}, "HIT")
    assert get("/cache-stats").json()["hits"] == 1
    for _ in range(3):
        assert get("/version", "10.9.9.9").status == 200
    support.assert_error_shape(get("/version", "10.9.9.9"), 429)
    scrape = get("/metrics").text
    assert metric(scrape, "cello_http_requests_total", method="GET", route="/version", status="200") == 4
    assert metric(scrape, "cello_cache_hits_total", method="GET", route="/cached") == 1

    set_version(app, 2)
    assert wait_until(lambda: get("/version").json()["version"] == 2), server.stderr

    fresh = get("/cached")  # the new app's cache is empty: no stale version-1 entry
    assert (fresh.json(), fresh.headers["X-Cache"]) == ({"version": 2}, "MISS")
    stats = get("/cache-stats").json()
    assert (stats["hits"], stats["misses"], stats["stores"]) == (0, 1, 1), stats
    assert get("/version", "10.9.9.9").status == 200  # a full bucket again
    assert get("/version").headers.get("X-Content-Type-Options") == "nosniff"  # the new app's middleware
    scrape = get("/metrics").text
    assert metric(scrape, "cello_http_requests_total", method="GET", route="/version", status="200") == ok_versions
    assert metric(scrape, "cello_http_requests_total", method="GET", route="/version", status="429") == 1
    assert metric(scrape, "cello_cache_hits_total", method="GET", route="/cached") == 0  # the new cache's
    assert metric(scrape, "cello_cache_misses_total", method="GET", route="/cached") == 1


# -- requests in flight ---------------------------------------------------------------------------

SLOW_APP = """\
    import os
    import time

    from cello import App

    VERSION = 1
    app = App()


    @app.get("/slow")
    def slow(request):
        # Held until the test creates GATE (after it saw the reload), not for a guessed time; the
        # deadline is longer than the test waits for the reload, so a reload that waits for this
        # request fails the test instead of coming just in time.
        print("event: slow entered", VERSION, flush=True)
        deadline = time.monotonic() + 120
        while not os.path.exists(GATE) and time.monotonic() < deadline:
            time.sleep(0.01)
        return {"version": VERSION}


    @app.get("/version")
    def version(request):
        return {"version": VERSION}
    """


def test_request_in_flight_finishes_on_the_old_code(tmp_path, start_server):
    """A slow request started before a save gets the old code's answer even though the reload
    completes while its handler runs; the next request on that connection gets the new code.
    The handler is held until the test saw the reload (a file the test creates), so the request is
    in flight during the reload by construction: a reload that waited for it would never come."""
    gate = tmp_path / "gate"
    app = make_site(tmp_path, {"app.py": SLOW_APP.replace("GATE", repr(str(gate)))})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    conn = server.raw(timeout=support.WAIT + 30)
    conn.send(support.http_get("/slow"))
    try:
        assert wait_until(lambda: "event: slow entered 1" in server.stdout), server.stderr
        set_version(app, 2)
        assert server.wait_for_stderr(RELOADED), server.stderr
    finally:
        gate.touch()
    reply = conn.read_response()
    assert reply.status == 200 and reply.json() == {"version": 1}, reply
    conn.send(support.http_get("/slow"))
    assert conn.read_response().json() == {"version": 2}
    conn.send(support.http_get("/version"))
    assert conn.read_response().json() == {"version": 2}
    conn.close()


# -- what is watched ------------------------------------------------------------------------------

PACKAGE_APP = """\
    from cello import App

    from pkg import sub

    app = App()


    @app.get("/version")
    def version(request):
        return {"version": sub.VERSION}
    """


def test_py_files_under_the_app_directory_are_watched_others_not(tmp_path, start_server):
    """.py files anywhere under the app's directory count (a package's module, a new file, a
    removed one); other files do not."""
    app = make_site(tmp_path, {"app.py": PACKAGE_APP, "pkg/__init__.py": "", "pkg/sub.py": "VERSION = 1\n",
                               "notes.txt": "one\n", "pkg/data.json": "{}\n"})
    server = start_server(str(app), "--reload", "--no-logs", env=NO_PYC)
    assert version_of(server) == 1

    save(app.parent / "notes.txt", "two\n")
    save(app.parent / "pkg" / "data.json", '{"a": 1}\n')
    time.sleep(0.6)  # several polls
    assert reload_count(server) == 0, server.stderr

    set_version(app.parent / "pkg" / "sub.py", 2)  # a module of a package, one level down
    wait_version(server, 2)
    wait_reloads(server, 1)

    save(app.parent / "pkg" / "extra.py", "X = 1\n")  # a new .py file, imported by nobody
    wait_reloads(server, 2)
    (app.parent / "pkg" / "extra.py").unlink()  # a .py file removed
    wait_reloads(server, 3)
    assert version_of(server) == 2
    assert reload_count(server) == 3


def test_module_attr_target_watches_the_current_directory(tmp_path, start_server):
    """`cello run mod:attr --reload` watches the directory it was started in."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "mymod.py").write_text(textwrap.dedent(VERSION_APP).replace("app = App()", "application = App()")
                                   .replace("@app.", "@application."))
    server = start_server("mymod:application", "--reload", "--no-logs", cwd=site, env=NO_PYC)
    assert f"cello: watching {site.resolve()} for changes" in server.stderr
    set_version(site / "mymod.py", 2)
    wait_version(server, 2)


# -- the bytecode cache ---------------------------------------------------------------------------

def test_same_size_saves_within_one_second_are_served(tmp_path, start_server, monkeypatch):
    """With Python's default bytecode cache on, saves that keep the file's size and land in the
    same second (an editor's quick fix: VERSION = 1 -> 2) must still be served. The mtimes are set
    explicitly so that the test does not depend on timing."""
    app = make_site(tmp_path, {"app.py": VERSION_APP})
    second = int(time.time()) - 10
    os.utime(app, ns=(second * 10**9 + 100_000_000,) * 2)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # Python's default: .pyc files written
    server = start_server(str(app), "--reload", "--no-logs")
    assert version_of(server) == 1
    assert (app.parent / "__pycache__").is_dir()
    for version in (2, 3):
        set_version(app, version)
        os.utime(app, ns=(second * 10**9 + version * 100_000_000,) * 2)
        wait_reloads(server, version - 1)
        assert wait_until(lambda: version_of(server) == version), \
            f"'{RELOADED.strip()}' was printed but version {version - 1}'s code is served"
