"""`cello bench` over real sockets: against a Cello server (counts match what it served), stdlib
servers with known behaviour (a fixed delay, chunked bodies, resets, silence, a one-off stall) and
the command line's errors. Bounds are generous: they separate right from wrong, not fast from slow.
The suite runs on a loaded 2-core machine (docs/testing.md, "Timing"): lower bounds on latency come
from the stub servers' sleeps (a sleep never ends early), upper bounds on latency are either facts
that hold at any speed (Little's law, the run's length) or far above what load adds, and no test
needs a given throughput beyond a few requests."""
from __future__ import annotations

import contextlib
import json
import signal
import socket
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

import support


def bench(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return support.run_cli("bench", *args, timeout=timeout)


def bench_json(*args: str, timeout: float = 120.0) -> dict[str, Any]:
    result = bench(*args, "--json", timeout=timeout)
    assert result.returncode == 0, result
    return json.loads(result.stdout)


# -- stdlib servers with known behaviour ------------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def reply(h: BaseHTTPRequestHandler, body: bytes = b"ok", status: int = 200, chunked: bool = False) -> None:
    h.send_response(status)
    if chunked:
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for piece in (body[: len(body) // 2], body[len(body) // 2 :]):
            if piece:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        h.wfile.write(b"0\r\n\r\n")
    else:
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


@contextlib.contextmanager
def stub_server(behaviour: Behaviour) -> Iterator[ThreadingHTTPServer]:
    """An HTTP/1.1 keep-alive server on a thread per connection; `behaviour` answers each request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # head and body are separate writes: no 40 ms delayed-ACK stall

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            behaviour(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url_of(server: ThreadingHTTPServer, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@contextlib.contextmanager
def raw_server(on_connection: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP listener handing every accepted socket to `on_connection` (on the accept thread)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            on_connection(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def close_with_reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


# -- against a Cello server --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def target() -> Iterator[support.Server]:
    with support.running("bench_target_app.py", "--no-logs") as server:
        yield server


def served(server: support.Server) -> dict[str, int]:
    counts = server.get("/stats").json()
    server.post("/reset")
    return counts


def test_counts_match_what_the_server_served(target):
    served(target)
    c = 4
    data = bench_json(target.url + "/", f"-c{c}", "-t2", "-d1s", "--path", "/hit:3", "--path", "/other:1")
    seen = served(target)
    assert data["mode"] == "closed" and data["errors"]["total"] == 0, data["errors"]
    by_path = {p["path"]: p["requests"] for p in data["paths"]}
    assert by_path["/hit"] + by_path["/other"] == data["requests"] > 40  # a few, so the mix means something
    # The server may also have answered requests still in flight when the run ended (<= one per connection).
    for path, key in (("/hit", "hit"), ("/other", "other")):
        assert by_path[path] <= seen[key] <= by_path[path] + c, (by_path, seen)
    # The mix: 3:1, exact up to one pick per connection.
    assert abs(by_path["/hit"] - 3 * by_path["/other"]) <= 4 * c, by_path
    assert data["status"]["2xx"] == data["requests"]
    assert data["latency_us"]["p50"] > 0 and data["latency_us"]["max"] >= data["latency_us"]["p99"]
    # Per-second progress adds up to the total.
    assert len(data["seconds"]) == 1
    assert sum(s["requests"] for s in data["seconds"]) == data["requests"]
    assert sum(b["count"] for b in data["histogram"]["buckets"]) == data["requests"]


def test_post_json_with_headers(target):
    served(target)
    data = bench_json(target.url + "/echo", "-c2", "-d1s", "-m", "POST", "-H", "Content-Type: application/json",
                      "-H", "X-Bench: yes", "--body", '{"n": 7}')
    seen = served(target)
    assert data["errors"]["total"] == 0, data["errors"]
    assert seen.get("echo_bad", 0) == 0, seen
    assert data["requests"] <= seen["echo_ok"] <= data["requests"] + 2


def test_body_from_file(target, tmp_path):
    served(target)
    body = tmp_path / "body.json"
    body.write_text('{"n": 7}')
    data = bench_json(target.url + "/echo", "-c1", "-d500ms", "-m", "POST", "-H", "X-Bench: yes", "--body", f"@{body}")
    seen = served(target)
    assert data["requests"] > 0 and seen.get("echo_bad", 0) == 0 and seen["echo_ok"] >= data["requests"], seen


def test_pipelining(target):
    served(target)
    data = bench_json(target.url + "/hit", "-c2", "-d1s", "--pipeline", "8")
    seen = served(target)
    assert data["pipeline"] == 8 and data["errors"]["total"] == 0, data["errors"]
    assert data["requests"] <= seen["hit"] <= data["requests"] + 2 * 8


def test_status_errors_by_kind(target):
    missing = bench_json(target.url + "/missing", "-c2", "-d500ms")
    assert missing["requests"] > 0
    assert missing["errors"]["status_4xx"] == missing["requests"] == missing["status"]["4xx"]
    assert missing["errors"]["status_5xx"] == 0 and missing["errors"]["read"] == 0
    boom = bench_json(target.url + "/boom", "-c2", "-d500ms")
    assert boom["requests"] > 0 and boom["errors"]["status_5xx"] == boom["requests"]
    assert boom["errors"]["status_4xx"] == 0


def test_text_report_looks_like_wrk(target):
    result = bench(target.url + "/hit", "-c2", "-d500ms")
    assert result.returncode == 0, result
    out = result.stdout
    for needle in ("Running 0.5s test @ " + target.url + "/hit", "2 connections", "Latency", "Avg", "Stdev", "Max",
                   "50%", "75%", "90%", "99%", "99.9%", "99.99%", "requests in", "read",
                   "Errors: connect 0, read 0, write 0, timeout 0, status 4xx 0, status 5xx 0",
                   "Requests/sec:", "Transfer/sec:"):
        assert needle in out, f"{needle!r} missing from:\n{out}"


def test_ctrl_c_stops_early_and_still_reports(target):
    served(target)  # counts from zero: hits below are this run's
    proc = subprocess.Popen([str(support.CELLO_BIN), "bench", target.url + "/hit", "-c2", "-d60s", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=support.subprocess_env())
    # Interrupt a run that is under way (the target served some of it) and at least 1 s old, however
    # long the process took to start.
    assert support.wait_until(lambda: target.get("/stats").json().get("hit", 0) > 0), proc.stderr
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=support.WAIT)
    assert proc.returncode == 0, err
    data = json.loads(out)
    assert data["stopped_early"] is True
    assert 1.0 <= data["elapsed_s"] < support.WAIT and data["requests"] > 0, data["elapsed_s"]  # not the 60 s
    served(target)


# -- against stdlib servers ----------------------------------------------------------------------------

def test_latency_of_a_known_delay():
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.020)
        reply(h)

    with stub_server(slow) as server:
        data = bench_json(url_of(server), "-c4", "-d2s", "--timeout", "10s")
    assert data["errors"]["total"] == 0, data["errors"]
    latency = data["latency_us"]
    # Not under the delay: no request is answered in less than the server's 20 ms sleep.
    assert latency["min"] / 1000 >= 19.5 and latency["p50"] / 1000 >= 19.5, latency
    # Not over what the clock allows (Little's law, closed loop): each connection has one request
    # in flight at a time, so the latencies of one connection add up to at most the run's length,
    # whatever the load. Latency counted from anything earlier than the send breaks this.
    assert data["requests"] * latency["mean"] <= 4 * data["elapsed_s"] * 1e6 * 1.01, data
    assert latency["p50"] <= latency["p99"] <= latency["max"], latency
    # 4 connections, each at most 50 requests/s; at least a few requests on a loaded machine.
    assert 20 <= data["requests"] <= 4 * 50 * 2 + 4


@pytest.mark.parametrize("chunked", [False, True])
def test_content_length_and_chunked_bodies(chunked):
    body = b"x" * 5000

    def answer(h: BaseHTTPRequestHandler) -> None:
        reply(h, body, chunked=chunked)

    with stub_server(answer) as server:
        data = bench_json(url_of(server), "-c2", "-d1s", "--pipeline", "2")
    assert data["errors"]["total"] == 0, data["errors"]
    assert data["requests"] > 10 and data["status"]["2xx"] == data["requests"]
    assert data["bytes_read"] >= data["requests"] * len(body)


def test_interim_1xx_answers_are_not_responses():
    """A 103 Early Hints before each answer: one request, one response, counted once as 2xx."""
    def hints_first(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
        reply(h, b"after the hints")

    with stub_server(hints_first) as server:
        data = bench_json(url_of(server), "-c2", "-d1s")
    assert data["errors"]["total"] == 0, data["errors"]
    assert data["requests"] > 10
    assert data["status"]["2xx"] == data["requests"] and data["status"].get("1xx", 0) == 0, data["status"]


def test_server_that_closes_after_each_response():
    def once(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "2")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b"ok")
        h.close_connection = True

    with stub_server(once) as server:
        data = bench_json(url_of(server), "-c2", "-d1s")
    assert data["requests"] > 10
    assert data["errors"]["total"] == 0, data["errors"]  # Connection: close is no error: it reconnects


def test_resets_are_read_errors_and_the_run_ends_cleanly():
    def reset_after_request(conn: socket.socket) -> None:
        conn.settimeout(2)
        with contextlib.suppress(OSError):
            conn.recv(4096)
        close_with_reset(conn)

    with raw_server(reset_after_request) as port:
        start = time.monotonic()
        data = bench_json(f"http://127.0.0.1:{port}/", "-c2", "-d1s")
        took = time.monotonic() - start
    assert data["requests"] == 0
    assert data["errors"]["read"] > 0, data["errors"]
    assert data["errors"]["status_4xx"] == data["errors"]["status_5xx"] == 0
    assert took < support.WAIT, took  # it ends: a 1 s run does not hang on reset connections


def test_silent_server_gives_timeouts():
    held: list[socket.socket] = []
    with raw_server(held.append) as port:
        data = bench_json(f"http://127.0.0.1:{port}/", "-c2", "-d1500ms", "--timeout", "300ms")
    for conn in held:
        conn.close()
    assert data["requests"] == 0
    assert data["errors"]["timeout"] >= 2, data["errors"]


def test_refused_connects_are_connect_errors():
    """The listener goes away after cello bench's reachability probe: every connect is refused."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]

    def accept_probe_then_close() -> None:
        conn, _ = listener.accept()
        listener.close()
        conn.close()

    thread = threading.Thread(target=accept_probe_then_close, daemon=True)
    thread.start()
    data = bench_json(f"http://127.0.0.1:{port}/", "-c2", "-d1s")
    thread.join(5)
    assert data["requests"] == 0
    assert data["errors"]["connect"] >= 2, data["errors"]


def test_open_loop_corrects_coordinated_omission():
    """One 1 s stall at a constant 100 req/s: corrected, the ~100 requests due during the stall
    all count it (p99 ~ 1 s); from send time (uncorrected) and in closed loop only one does.
    The stall is a sleep, so the lower bounds are hard; the upper bounds leave the 1 s stall half a
    second or more of slack, and "only one request saw it" is asserted as "p99 well under the stall"
    (a loaded machine would have to delay 1 % of the requests by 0.5 s to break it)."""
    state = {"n": 0}
    lock = threading.Lock()

    def stall_once(h: BaseHTTPRequestHandler) -> None:
        with lock:
            state["n"] += 1
            n = state["n"]
        if n == 60:
            time.sleep(1.0)
        reply(h)

    with stub_server(stall_once) as server:
        opened = bench_json(url_of(server), "-c1", "-d4s", "-R", "100", "--timeout", "10s")
        state["n"] = 0
        closed = bench_json(url_of(server), "-c1", "-d4s", "--timeout", "10s")
    assert opened["mode"] == "open" and opened["target_rate"] == 100
    assert opened["errors"]["total"] == 0 and closed["errors"]["total"] == 0
    # Never more than due (4 s x 100/s); most of it even on a loaded machine (the stall is caught up).
    assert 200 <= opened["requests"] <= 401, opened["requests"]
    corrected, uncorrected = opened["latency_us"], opened["uncorrected_latency_us"]
    assert 900_000 <= corrected["max"] <= 2_500_000, corrected
    assert 700_000 <= corrected["p99"] <= 2_500_000, corrected
    assert corrected["p90"] >= 100_000, corrected  # ~100 of ~400 requests waited behind the stall
    assert 900_000 <= uncorrected["max"] <= 2_500_000, uncorrected
    assert uncorrected["p99"] <= 500_000, uncorrected
    assert closed["latency_us"]["max"] >= 900_000
    assert closed["latency_us"]["p99"] <= 500_000, closed["latency_us"]


def test_ceiling_search():
    """The search's shape, with bounds that hold on a loaded machine: the stub server can never do
    more than 4 connections x 50 req/s, and never answers in under 20 ms; how close to that it gets
    depends on what else the machine is doing, so no lower bound on rates is asserted."""
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.020)
        reply(h)

    with stub_server(slow) as server:
        data = bench_json(url_of(server), "-c4", "-d1s", "--ceiling", timeout=180)
    probe = data["probe_rate"]
    assert 0 < probe <= 205, data  # 4 connections x at most 50 req/s
    assert data["steps"][0]["phase"] == "probe"
    ramp = data["steps"][1:]
    assert ramp and ramp[0]["phase"] == "ramp"
    # Either a step failed (the usual case: the ramp climbs to 1.5x the probe, past what 4 x 50 req/s
    # allows, unless the probe itself was slowed down), or the search says it stopped at its limit.
    assert data["hit_search_limit"] != any(not s["sustainable"] for s in ramp), data
    # A step holds when it achieves 95 % of its target. What a step achieves is bounded like the
    # probe (205: the 4 requests in flight when the step starts can complete inside it), so a target
    # up to 205 / 0.95 can hold. (211, i.e. 200 / 0.95, failed a CI run with 211.2.)
    assert 0 <= data["ceiling_rate"] <= 216, data
    # The ceiling is the highest rate that held: no sustainable ramp or refine step above it.
    held = [s["target_rate"] for s in ramp if s["sustainable"] and s["phase"] in ("ramp", "refine")]
    assert data["ceiling_rate"] == (max(held) if held else 0), (held, data["ceiling_rate"])
    assert [p["fraction"] for p in data["below"]] == ([0.5, 0.75, 0.9] if held else [])
    for point in data["below"]:
        assert abs(point["target_rate"] - point["fraction"] * data["ceiling_rate"]) < 1e-6
        assert point["latency_us"]["p50"] >= 19_500, point["latency_us"]


# -- the command line ------------------------------------------------------------------------------------

def test_help_lists_bench():
    result = support.run_cli("--help")
    assert result.returncode == 0 and "bench" in result.stdout, result.stdout
    usage = bench("--help")
    assert usage.returncode == 0
    for flag in ("-c", "-t", "-d", "-R", "--json", "-m", "-H", "--body", "--path", "--pipeline", "--timeout", "--ceiling"):
        assert flag in usage.stdout, flag
    # `python3 -m cello bench` hands over to the native binary.
    via_python = subprocess.run([support.PYTHON, "-m", "cello", "bench", "--help"], capture_output=True, text=True,
                                env=support.subprocess_env(), timeout=30)
    assert via_python.returncode == 0 and via_python.stdout == usage.stdout, via_python


@pytest.mark.parametrize("args, message", [
    ([], "no URL"),
    (["http://127.0.0.1:1/", "-c", "abc"], "-c"),
    (["http://127.0.0.1:1/", "--frobnicate"], "--frobnicate"),
    (["wss://127.0.0.1:1/"], "wss"),
    (["http://127.0.0.1:1/", "-d", "forever"], "duration"),
    (["http://127.0.0.1:1/", "-H", "no colon here"], "header"),
    (["http://127.0.0.1:1/", "-R", "0.0001"], "rate"),
])
def test_bad_arguments_exit_2(args, message):
    result = bench(*args)
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr


def test_unreachable_url_exits_1():
    port = support.free_port()
    start = time.monotonic()
    result = bench(f"http://127.0.0.1:{port}/", "-d1s")
    assert result.returncode == 1, result
    assert "cannot connect" in result.stderr and str(port) in result.stderr, result.stderr
    assert time.monotonic() - start < support.WAIT  # it gives up after its probe, it does not hang
    unresolvable = bench("http://no-such-host.invalid/", "-d1s")
    assert unresolvable.returncode == 1 and "resolve" in unresolvable.stderr, unresolvable.stderr
