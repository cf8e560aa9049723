"""Cluster mode (docs/cluster.md): a supervisor and worker processes, over real processes and sockets.

Each test serves tests/python/apps/cluster_app.py with several worker processes; /pid tells which
worker answered. Every test runs with forked and with spawned workers (the start_method fixture). Faults are real: SIGKILL, SIGSEGV, os._exit, a handler that never returns.
"""
from __future__ import annotations

import collections
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import support

APP = "cluster_app.py"


@pytest.fixture(autouse=True, params=["fork", "spawn"])
def start_method(request, monkeypatch):
    """Every test both ways: workers forked (POSIX's default) and workers spawned afresh, as on
    Windows (cello._process_spawn), which CELLO_CLUSTER_START=spawn selects here."""
    monkeypatch.setenv("CELLO_CLUSTER_START", request.param)
    return request.param


def pids_of(server: support.Server, connections: int) -> collections.Counter[int]:
    """Which worker answered each of `connections` fresh connections (one request each)."""
    counts: collections.Counter[int] = collections.Counter()
    for _ in range(connections):
        reply = server.get("/pid", headers={"Connection": "close"})
        assert reply.status == 200, reply
        counts[reply.json()["pid"]] += 1
    return counts


def worker_pids(server: support.Server) -> set[int]:
    return {int(p) for p in re.findall(r"pid (\d+)", server.stderr)} | set(pids_of(server, 40))


class Load:
    """Requests in a loop on a few threads until stopped; counts answers and failures."""

    def __init__(self, server: support.Server, path: str = "/pid", threads: int = 4) -> None:
        self.server, self.path = server, path
        self.ok = 0
        self.errors: list[str] = []
        self.pids: collections.Counter[int] = collections.Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def __enter__(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(support.WAIT)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reply = self.server.get(self.path, timeout=support.WAIT)
                with self._lock:
                    if reply.status == 200:
                        self.ok += 1
                        self.pids[reply.json()["pid"]] += 1
                    else:
                        self.errors.append(f"status {reply.status}")
            except (OSError, http.client.HTTPException) as e:
                with self._lock:
                    self.errors.append(repr(e))

    def wait_for(self, n: int) -> None:
        start = self.ok
        assert support.wait_until(lambda: self.ok >= start + n), f"load stalled at {self.ok}: {self.errors[:3]}"


def test_two_workers_share_the_port_and_the_load(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    assert "2 processes x 1 engine thread" in server.banner
    counts = pids_of(server, 200)
    assert len(counts) == 2, counts
    started = {int(p) for p in re.findall(r"cello: worker \d started \(pid (\d+)\)", server.stderr)}
    assert started == set(counts), server.stderr  # one line per worker, naming its pid
    assert os.getpid() not in counts and server.proc.pid not in counts  # workers, not the supervisor
    for pid, n in counts.items():
        assert 70 <= n <= 130, f"worker {pid} answered {n} of 200 connections: {counts}"
    server.stop()
    assert server.returncode == 0, server.stderr
    assert "cello: stopped" in server.stderr


def test_a_taken_port_is_one_message_and_exit_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = support.run_cli("run", support.app_path(APP), "--processes", "3", "--port", str(port))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("cannot listen on") == 1, proc.stderr
    assert "serving" not in proc.stderr


@pytest.mark.parametrize("how", ["sigkill", "segv", "exit"])
def test_a_crashed_worker_is_replaced_while_the_other_serves(start_server, how):
    server = start_server(APP, "--processes", "2", "--no-logs")
    before = set(pids_of(server, 40))
    assert len(before) == 2
    with Load(server) as load:
        load.wait_for(20)
        if how == "sigkill":
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
        else:
            # A fresh connection lands on either worker: the one that answers crashes.
            with pytest.raises((OSError, http.client.HTTPException)):
                server.get(f"/{how}", headers={"Connection": "close"})
        killed_at = time.monotonic()
        assert server.wait_for_stderr("restarted"), server.stderr
        took = time.monotonic() - killed_at
        # Requests in flight on the killed worker die with it (at most one per client thread)...
        lost = len(load.errors)
        assert lost <= 4, load.errors
        load.wait_for(50)
    # ...and nothing fails once it is replaced.
    assert len(load.errors) == lost, load.errors[lost:]
    after = set(pids_of(server, 40))
    assert len(after) == 2 and len(after & before) == 1, (before, after)
    crashed = (before - after).pop()
    expected = {"sigkill": "killed by SIGKILL", "segv": "killed by SIGSEGV", "exit": "exit status 1"}[how]
    assert f"(pid {crashed}) exited: {expected}" in server.stderr, server.stderr
    print(f"replaced {took:.3f} s after the crash")
    assert server.stop() == 0, server.stderr


def test_a_worker_stuck_in_a_handler_is_killed_and_replaced(start_server):
    server = start_server(APP, "--no-logs", via="python",
                          env={"CLUSTER_TEST_CONFIG": "processes=2,worker_timeout=2"})
    before = set(pids_of(server, 40))
    stuck: dict[str, object] = {}

    def call_spin() -> None:
        try:
            stuck["reply"] = server.get("/spin", headers={"Connection": "close"}, timeout=support.WAIT)
        except (OSError, http.client.HTTPException) as e:
            stuck["error"] = e

    t = threading.Thread(target=call_spin)
    t.start()
    assert support.wait_until(lambda: "spin: started" in server.stdout), server.stdout
    spinning = int(re.search(r"spin: started (\d+)", server.stdout).group(1))
    # The other worker keeps answering meanwhile.
    assert any(pid != spinning for pid in pids_of(server, 20))
    assert server.wait_for_stderr("did not answer its heartbeat for 2 s"), server.stderr
    t.join(support.WAIT)
    assert "error" in stuck  # its connection died with it
    assert server.wait_for_stderr("restarted"), server.stderr
    after = set(pids_of(server, 40))
    assert spinning not in after and len(after) == 2 and len(after & before) == 1
    assert server.stop() == 0, server.stderr


def test_a_crash_loop_stops_the_supervisor():
    proc = support.run_cli("run", support.app_path(APP), "--processes", "2", "--port", "0",
                           env={"CLUSTER_TEST_FAIL_STARTUP": "1"}, timeout=support.WAIT * 2)
    assert proc.returncode == 1, proc.stderr
    assert "startup refused" in proc.stderr
    assert "worker crashes within 60 s (max_restarts=5); giving up" in proc.stderr, proc.stderr
    assert proc.stderr.count("restarted") <= 5


def test_max_requests_recycles_workers_without_errors(start_server):
    server = start_server(APP, "--no-logs", via="python",
                          env={"CLUSTER_TEST_CONFIG": "processes=2,max_requests=30,max_requests_jitter=5"})
    first = set(pids_of(server, 20))
    with Load(server) as load:
        assert support.wait_until(lambda: len(set(load.pids) - first) >= 2), (first, load.pids, server.stderr)
    assert load.errors == [], load.errors[:5]
    assert re.search(r"answered 3\d requests; replaced by pid \d+", server.stderr), server.stderr
    assert server.wait_for_stderr(") stopped"), server.stderr  # the old ones drained and exited
    assert server.stop() == 0, server.stderr


def test_sigterm_drains_requests_in_flight_on_every_worker(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    replies: list[object] = []

    def slow() -> None:
        try:
            replies.append(server.get("/sleep?s=1", headers={"Connection": "close"}, timeout=support.WAIT))
        except (OSError, http.client.HTTPException) as e:
            replies.append(e)

    clients = [threading.Thread(target=slow) for _ in range(8)]
    for c in clients:
        c.start()
    # All eight inside their handler, on both workers, before the signal.
    assert support.wait_until(lambda: server.stdout.count("sleep: started") == 8), server.stdout
    assert len(set(re.findall(r"sleep: started (\d+)", server.stdout))) == 2, server.stdout
    server.signal(signal.SIGTERM)
    for c in clients:
        c.join(support.WAIT)
    assert server.wait() == 0, server.stderr
    server.stopped = True
    assert len(replies) == 8 and all(getattr(r, "status", None) == 200 for r in replies), replies
    assert server.stderr.count("stopped") >= 3  # each worker, then the supervisor


def test_sighup_restarts_workers_with_new_code_and_no_errors(start_server, tmp_path):
    app = tmp_path / "cluster_app.py"
    shutil.copy(support.app_path(APP), app)
    server = start_server(str(app), "--processes", "2", "--no-logs")
    assert set(r["version"] for r in (server.get("/pid").json() for _ in range(10))) == {"v1"}
    with Load(server) as load:
        for round_ in (2, 3, 4):
            app.write_text(app.read_text().replace(f'VERSION = "v{round_ - 1}"', f'VERSION = "v{round_}"'))
            done = server.stderr.count("rolling restart done")
            stopped = server.stderr.count(") stopped")
            server.signal(signal.SIGHUP)
            assert support.wait_until(lambda: server.stderr.count("rolling restart done") > done), server.stderr
            # The old workers drain (answering what they had already accepted), then exit.
            assert support.wait_until(lambda: server.stderr.count(") stopped") >= stopped + 2), server.stderr
            load.wait_for(20)
            versions = {server.get("/pid", headers={"Connection": "close"}).json()["version"] for _ in range(40)}
            assert versions == {f"v{round_}"}, versions
    assert load.errors == [], load.errors[:5]
    assert server.stop() == 0, server.stderr


def test_sighup_with_broken_code_keeps_the_old_workers(start_server, tmp_path):
    app = tmp_path / "cluster_app.py"
    shutil.copy(support.app_path(APP), app)
    server = start_server(str(app), "--processes", "2", "--no-logs")
    before = set(pids_of(server, 40))
    app.write_text(app.read_text() + "\ndef broken(:\n")
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr("the reloaded app failed to start; the previous workers keep serving"), server.stderr
    assert "SyntaxError" in server.stderr
    assert set(pids_of(server, 40)) == before
    assert server.stop() == 0, server.stderr


# --- settings (in-process: ClusterConfig and the precedence of flags, run() and defaults) ---

def test_cluster_config_spellings_and_validation():
    from cello import ClusterConfig

    c = ClusterConfig()
    assert (c.processes, c.max_restarts, c.restart_window, c.shutdown_timeout, c.worker_timeout,
            c.max_requests, c.max_requests_jitter) == (None, 5, 60, 30, 30, 0, 0)
    assert ClusterConfig.auto().processes is None
    original = ClusterConfig(workers=3, cpu_affinity=True, max_restarts=2, graceful_shutdown=True, shutdown_timeout=9)
    assert (original.processes, original.workers, original.cpu_affinity, original.shutdown_timeout) == (3, 3, True, 9)
    for bad in ({"processes": 0}, {"processes": 2, "workers": 3}, {"max_restarts": -1}, {"worker_timeout": 0},
                {"max_requests": 1.5}):
        with pytest.raises(ValueError):
            ClusterConfig(**bad)


def test_process_counts_follow_flag_then_run_then_default(monkeypatch):
    from cello import ClusterConfig
    from cello import _process_posix
    from cello.config import resolve

    monkeypatch.setattr(_process_posix, "cpu_count", lambda: 8)
    counts = lambda given, flags: (lambda c: (c.processes, c.workers))(resolve(given, flags))  # noqa: E731
    assert counts({}, {}) == (1, 1)  # development
    assert counts({"env": "production"}, {}) == (8, 1)  # one process per CPU
    assert counts({"env": "production"}, {"workers": 8}) == (1, 8)  # the seed's tip: no oversubscription
    assert counts({"env": "production"}, {"workers": 2}) == (4, 2)
    assert counts({"env": "production"}, {"processes": 2}) == (2, 4)
    assert counts({"cluster": ClusterConfig(processes=3)}, {}) == (3, 1)
    assert counts({"cluster": ClusterConfig(processes=3)}, {"processes": 2}) == (2, 1)  # the flag wins
    assert counts({"cluster": ClusterConfig.auto()}, {}) == (8, 1)
    assert counts({"env": "production", "reload": True}, {}) == (1, 8)  # reloading serves one process
    with pytest.raises(ValueError, match="--reload serves one process"):
        resolve({"reload": True}, {"processes": 2})
    with pytest.raises(ValueError, match="cello.ClusterConfig"):
        resolve({"cluster": {"processes": 2}}, {})


def test_help_says_what_each_count_multiplies():
    out = support.run_cli("run", "--help").stdout
    assert "engine threads per process" in out
    assert "N worker processes under a supervisor" in out


def test_cello_bench_across_three_sighups_counts_no_error(start_server, tmp_path):
    """The issue's check as a user runs it: `cello bench -c 50` (keep-alive connections, closed loop)
    while the server is restarted three times. Draining workers answer the next request on each
    kept-alive connection with Connection: close instead of closing under it."""
    app = tmp_path / "cluster_app.py"
    shutil.copy(support.app_path(APP), app)
    server = start_server(str(app), "--processes", "2", "--no-logs")
    bench = subprocess.Popen([str(support.CELLO_BIN), "bench", "-c", "50", "-d", "60s", "--json",
                              f"{server.url}/pid"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # load first (not a timing assumption: more load before the first roll is fine)
        for n in (1, 2, 3):
            server.signal(signal.SIGHUP)
            assert support.wait_until(lambda: server.stderr.count("rolling restart done") >= n), server.stderr
        # ...and every replaced worker has drained and exited (two per roll).
        assert support.wait_until(lambda: server.stderr.count(") stopped") >= 6), server.stderr
        assert bench.poll() is None, "cello bench ended before the three rolling restarts did: " + bench.stderr.read()
        bench.send_signal(signal.SIGINT)
        out, err = bench.communicate(timeout=support.WAIT)
    finally:
        if bench.poll() is None:
            bench.kill()
    report = json.loads(out)
    assert report["requests"] > 0, report
    assert report["errors"]["total"] == 0, report["errors"]
    assert server.stop() == 0, server.stderr


# --- one server, not N: metrics, cache invalidation, rate limit (docs/cluster.md) ---

def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text page (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_add_up_over_workers_whichever_answers_the_scrape(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    counts = pids_of(server, 60)
    assert len(counts) == 2, counts  # both workers answered some of the 60

    def scrape() -> str:
        return server.get("/metrics", headers={"Connection": "close"}).text

    def total(page: str) -> float:
        return metric(page, "cello_http_requests_total", method="GET", route="/pid", status="200")

    # A client reads its answer a moment before the worker counts it: wait for the last one.
    assert support.wait_until(lambda: total(scrape()) >= 60)
    for _ in range(10):  # fresh connections: each scrape may land on either worker
        page = scrape()
        assert total(page) == 60, page
        assert metric(page, "cello_http_request_duration_seconds_count", method="GET", route="/pid") == 60
        assert metric(page, "cello_http_request_duration_seconds_bucket", method="GET", route="/pid",
                      le="+Inf") == 60
        assert metric(page, "cello_http_response_size_bytes_count", method="GET", route="/pid") == 60
        # The scrape counts itself; the previous one may not have finished on the other worker.
        assert 1 <= metric(page, "cello_http_requests_in_progress") <= 2, page
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: apt-get install -y prometheus (tools/dev.sh test installs it)"
    check = subprocess.run([promtool, "check", "metrics"], input=page, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), check.stdout + check.stderr

    # A worker that dies takes nothing with it: its cell's counts stay, its successor counts on.
    victim = min(counts)
    os.kill(victim, signal.SIGKILL)
    assert support.wait_until(lambda: re.search(r"worker \d restarted", server.stderr)), server.stderr
    counts2 = pids_of(server, 40)
    assert victim not in counts2
    assert support.wait_until(lambda: total(scrape()) >= 100)
    assert total(scrape()) == 100


def cached_generations(server: support.Server) -> dict[int, int]:
    """pid -> the generation of the /items each of the two workers has cached (fresh connections
    until both answered)."""
    cached: dict[int, int] = {}
    for _ in range(200):
        if len(cached) == 2:
            break
        body = server.get("/items", headers={"Connection": "close"}).json()
        cached.setdefault(body["pid"], body["generation"])
    assert len(cached) == 2, cached
    return cached


def fresh_everywhere(server: support.Server, cached: dict[int, int]) -> set[int]:
    """The workers that answer /items with a newer generation than `cached`, looking until all do
    (or the wait runs out)."""
    fresh: set[int] = set()

    def all_fresh() -> bool:
        body = server.get("/items", headers={"Connection": "close"}).json()
        if body["generation"] > cached[body["pid"]]:
            fresh.add(body["pid"])
        return fresh == set(cached)

    support.wait_until(all_fresh)
    return fresh


def test_cache_invalidation_reaches_every_worker(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    cached = cached_generations(server)
    for _ in range(10):  # cached: the same generation from each worker
        body = server.get("/items", headers={"Connection": "close"}).json()
        assert body["generation"] == cached[body["pid"]], body

    invalidated_by = server.post("/items/invalidate").json()["pid"]
    fresh = fresh_everywhere(server, cached)
    assert fresh == set(cached), f"stale after invalidation by {invalidated_by}: {cached} {fresh}"
    # (so the worker that did not invalidate dropped its entry too)


def test_the_rate_limit_holds_for_the_whole_server(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs", env={"CLUSTER_TEST_RATE": "20"})
    allowed: collections.Counter[int] = collections.Counter()
    refused = 0
    for _ in range(60):
        reply = server.get("/pid", headers={"Connection": "close"})
        if reply.status == 200:
            allowed[reply.json()["pid"]] += 1
        else:
            assert reply.status == 429, reply
            assert int(reply.headers.get("Retry-After")) >= 1
            refused += 1
    assert sum(allowed.values()) == 20 and refused == 40, (allowed, refused)  # 20 in all, not 20 per worker
    assert len(allowed) == 2, allowed  # and both workers did allow some


def test_the_inspector_serves_the_whole_cluster(start_server):
    from test_inspector import INSPECTOR_LINE, TOKEN, Inspected

    server = start_server(APP, "--processes", "2", "--no-logs", "--inspect=127.0.0.1:0",
                          env={"CELLO_INSPECT_TOKEN": TOKEN})
    m = INSPECTOR_LINE.search(server.stderr)
    assert m and server.stderr.count("cello: inspector on") == 1, server.stderr  # one API, not one per worker
    ins = Inspected(server, m.group(1), int(m.group(2)), m.group(3))
    counts = pids_of(server, 40)
    assert len(counts) == 2, counts

    # Totals over every worker.
    snap = ins.settled(40)
    assert snap["requests_total"] == 40, snap["requests_total"]
    assert snap["server"] == {"host": "127.0.0.1", "port": server.port}
    assert ins.route(snap, "GET /pid")["total"]["count"] == 40
    assert [r["route"] for r in snap["requests"]].count("GET /pid") == 40

    # The workers: pid, state, requests (their heartbeat, once a second), memory, restarts.
    def workers_report(expected: collections.Counter[int]) -> bool:
        rows = ins.snapshot()["workers"]
        return {w["pid"]: w["requests"] for w in rows} == dict(expected)

    assert support.wait_until(lambda: workers_report(counts)), (ins.snapshot()["workers"], counts)
    rows = ins.snapshot()["workers"]
    assert sorted(w["slot"] for w in rows) == [1, 2]
    for w in rows:
        assert w["state"] == "serving" and w["restarts"] == 0, w
        assert w["rss_bytes"] > 4 << 20, w  # a real process's resident memory

    # WebSockets: each worker's open connections and messages (its heartbeat too).
    import asyncio
    import websockets

    def websockets_of(rows: list[dict]) -> dict[int, tuple[int, int]]:
        return {w["pid"]: (w["websockets"], w["websocket_messages"]) for w in rows if w["websockets"] or w["websocket_messages"]}

    async def talk() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
            await ws.send("a")
            pid = int((await ws.recv()).split(":")[0])
            await ws.send("b")
            await ws.recv()
            assert support.wait_until(lambda: websockets_of(ins.snapshot()["workers"]) == {pid: (1, 4)}), \
                (pid, ins.snapshot()["workers"])
        assert support.wait_until(lambda: websockets_of(ins.snapshot()["workers"]) == {pid: (0, 4)}), \
            (pid, ins.snapshot()["workers"])

    asyncio.run(asyncio.wait_for(talk(), 60))

    # Failed requests reach it from every worker, with their tracebacks.
    def failed_pids() -> set[int]:
        return {int(re.search(r"boom in (\d+)", e["message"]).group(1)) for e in ins.snapshot()["errors"]}

    def one_more_failure_seen_from_both() -> bool:
        assert server.get("/boom", headers={"Connection": "close"}).status == 500
        return failed_pids() == set(counts)

    assert support.wait_until(one_more_failure_seen_from_both), (failed_pids(), counts)
    errors = ins.snapshot()["errors"]
    assert all(e["route"] == "GET /boom" and "ValueError: boom in" in e["traceback"] for e in errors), errors

    # A worker killed: replaced, and its slot counts one restart.
    victim = rows[0]
    os.kill(victim["pid"], signal.SIGKILL)

    def replaced() -> bool:
        rows = ins.snapshot()["workers"]
        mine = [w for w in rows if w["slot"] == victim["slot"]]
        return len(rows) == 2 and len(mine) == 1 and mine[0]["pid"] != victim["pid"] and mine[0]["restarts"] == 1 \
            and mine[0]["state"] == "serving"

    assert support.wait_until(replaced), ins.snapshot()["workers"]

    # The inspector's invalidation reaches every worker's cache; its detail capture is refused.
    cached = cached_generations(server)
    assert ins.call("POST", "/inspect/v1/cache/invalidate", {"tags": ["items"]}).status == 200
    assert fresh_everywhere(server, cached) == set(cached)
    refused = ins.call("POST", "/inspect/v1/capture", {"on": True})
    assert refused.status == 409 and "cluster mode" in refused.text, refused

    # Its reload is a rolling restart: new processes, recorded as a reload.
    before = {w["pid"] for w in ins.snapshot()["workers"]}
    reply = ins.call("POST", "/inspect/v1/reload")
    assert reply.status == 200 and reply.json()["ok"], reply
    assert support.wait_until(lambda: ins.snapshot()["reloads"] and ins.snapshot()["reloads"][-1]["ok"]), \
        server.stderr
    after = {w["pid"] for w in ins.snapshot()["workers"] if w["state"] == "serving"}
    assert len(after) == 2 and not after & before, (before, after)
    assert "the inspector: restarting workers one at a time" in server.stderr


def test_cache_counters_add_up_over_workers(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    pids: set[int] = set()
    for _ in range(40):
        pids.add(server.get("/items", headers={"Connection": "close"}).json()["pid"])
    assert len(pids) == 2, pids  # each worker computed and stored its own copy once

    def counts(page: str) -> tuple[float, ...]:
        return tuple(metric(page, f"cello_cache_{name}_total", method="GET", route="/items")
                     for name in ("hits", "misses", "stores"))

    assert support.wait_until(lambda: counts(server.get("/metrics").text) == (38, 2, 2)), \
        server.get("/metrics").text
    for _ in range(6):  # whichever worker answers the scrape
        page = server.get("/metrics", headers={"Connection": "close"}).text
        assert counts(page) == (38, 2, 2), page
        assert metric(page, "cello_cache_tag_hits_total", tag="items") == 38
    server.post("/items/invalidate")
    assert support.wait_until(
        lambda: metric(server.get("/metrics").text, "cello_cache_invalidations_total", method="GET", route="/items") == 2)


def _gone(pid: int) -> bool:
    """The process has exited (a zombie nobody has reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_workers_end_when_the_supervisor_is_killed(start_server):
    server = start_server(APP, "--processes", "2", "--no-logs")
    workers = set(pids_of(server, 40))
    assert len(workers) == 2
    server.proc.kill()  # SIGKILL: the supervisor cannot tell its workers anything
    assert server.wait() == -signal.SIGKILL
    server.stopped = True
    assert support.wait_until(lambda: all(_gone(p) for p in workers)), workers
    with pytest.raises(OSError):
        server.get("/pid", timeout=5)  # nobody serves the port any more


def test_run_at_the_top_level_of_a_script_serves_in_every_worker(start_server, tmp_path):
    # No `if __name__ == "__main__":` guard: a worker that imports the script (spawned workers
    # always do) must serve the app, not start a cluster of its own.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import os\n"
        "from cello import App, ClusterConfig\n"
        "app = App()\n"
        "@app.get('/pid')\n"
        "def pid(request):\n"
        "    return {'pid': os.getpid(), 'version': 'v1'}\n"
        "app.run(cluster=ClusterConfig(processes=2), logs=False)\n")
    server = start_server(str(script), via="python")
    assert "2 processes" in server.banner, server.stderr
    counts = pids_of(server, 60)
    assert len(counts) == 2 and server.proc.pid not in counts, counts
    assert server.stop() == 0, server.stderr
    assert server.stderr.count("serving") == 1, server.stderr  # the supervisor's banner alone


def test_an_app_the_workers_cannot_import_is_one_clear_error(start_method, tmp_path):
    if start_method == "fork":  # forked workers inherit the app: nothing to import
        pytest.skip("only spawned workers import the app")
    script = tmp_path / "nameless.py"
    script.write_text(
        "from cello import App, ClusterConfig\n"
        "application = App()\n"  # not named `app`: run() does not know where it comes from
        "@application.get('/')\n"
        "def index(request):\n"
        "    return 'hi'\n"
        "if __name__ == '__main__':\n"
        "    application.run(cluster=ClusterConfig(processes=2), port=0)\n")
    proc = subprocess.run([support.PYTHON, str(script)], env=support.subprocess_env(None), capture_output=True,
                          text=True, timeout=support.WAIT * 2)
    assert proc.returncode == 1, proc.stderr
    assert "cello run path/to/app.py" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
