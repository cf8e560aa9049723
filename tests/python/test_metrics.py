"""enable_prometheus(): the native /metrics endpoint over real HTTP, checked by promtool and
scraped by a real Prometheus server (Debian package `prometheus`, installed by tools/dev.sh)."""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import support

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}

Labels = frozenset[tuple[str, str]]


class Scrape:
    """One parsed exposition page: samples by (name, labels)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, Labels], float] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            labels = frozenset((k, re.sub(r"\\[\\\"n]", lambda e: UNESCAPE[e.group(0)], v))
                               for k, v in LABEL.findall(m.group(2) or ""))
            key = (m.group(1), labels)
            assert key not in self.samples, f"duplicate series {line!r}"
            self.samples[key] = float(m.group(3))

    def value(self, name: str, default: float | None = 0.0, **labels: str) -> float:
        """The sample with exactly these labels (`default` when absent; None: must exist)."""
        key = (name, frozenset(labels.items()))
        if key not in self.samples:
            assert default is not None, f"no sample {name}{labels} in:\n{self.text}"
            return default
        return self.samples[key]

    def series(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample of `name`."""
        return [dict(labels) for (n, labels) in self.samples if n == name]

    def buckets(self, name: str, **labels: str) -> dict[float, float]:
        """A histogram's cumulative buckets as {le: count}."""
        out = {}
        for (n, ls), v in self.samples.items():
            d = dict(ls)
            le = d.pop("le", None)
            if n == f"{name}_bucket" and d == labels and le is not None:
                out[float(le)] = v
        return dict(sorted(out.items()))


def scrape(server: support.Server) -> Scrape:
    reply = server.get("/metrics")
    assert reply.status == 200, reply
    assert reply.content_type == CONTENT_TYPE, reply
    return Scrape(reply.text)


def scrape_on(conn: support.RawConnection) -> Scrape:
    """A scrape on an existing keep-alive connection (so it stays on that engine thread)."""
    conn.send(support.http_get("/metrics"))
    reply = conn.read_response()
    assert reply.status == 200, reply
    return Scrape(reply.text)


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"`{tool}` is not installed: apt-get install -y prometheus (tools/dev.sh test installs it)")
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[support.Server]:
    # Two engine threads: a scrape is answered while another thread is held in /block.
    with support.running("metrics_app.py", "--no-logs", "--workers", "2") as s:
        yield s


def test_endpoint_is_native_text_format(server: support.Server) -> None:
    reply = server.get("/metrics")
    assert reply.status == 200
    assert reply.content_type == CONTENT_TYPE
    assert "# TYPE cello_http_requests_in_progress gauge" in reply.text
    head = server.request("HEAD", "/metrics")
    assert head.status == 200 and head.body == b"" and head.content_type == CONTENT_TYPE
    post = server.post("/metrics", body="x")
    support.assert_error_shape(post, 405)
    assert post.headers["Allow"] == "GET, HEAD, OPTIONS"
    options = server.request("OPTIONS", "/metrics")
    assert options.status == 204 and options.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_requests_are_counted_by_route_template(server: support.Server) -> None:
    name = "cello_http_requests_total"
    labels = dict(method="GET", route="/users/{id}", status="200")
    before = scrape(server).value(name, **labels)
    for user in ("1", "2", "abc"):
        assert server.get(f"/users/{user}").status == 200
    assert server.post("/users", body="{}").status == 201
    after = scrape(server)
    assert after.value(name, **labels) == before + 3
    assert after.value(name, method="POST", route="/users", status="201") == 1
    assert all(s["route"] in ("/users/{id}", "/users") or not s["route"].startswith("/users")
               for s in after.series(name)), "raw paths must never become route labels"
    # The histograms count the same requests, by (method, route).
    assert after.value("cello_http_request_duration_seconds_count", method="GET", route="/users/{id}") == before + 3
    assert after.value("cello_http_response_size_bytes_count", method="GET", route="/users/{id}") == before + 3


def test_unmatched_requests_share_one_label(server: support.Server) -> None:
    name = "cello_http_requests_total"
    before = scrape(server)
    assert server.get("/no/such/path").status == 404
    assert server.get("/another/one?x=1").status == 404
    with server.raw() as conn:  # an unknown method must not create a series of its own
        conn.send(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().status == 404
    after = scrape(server)
    unmatched = dict(method="GET", route="<unmatched>", status="404")
    assert after.value(name, **unmatched) == before.value(name, **unmatched) + 2
    assert after.value(name, method="OTHER", route="<unmatched>", status="404") == 1
    assert not [s for s in after.series(name) if "no/such" in s["route"] or "BREW" in s["method"]]


def test_slow_handler_lands_in_the_right_duration_bucket(server: support.Server) -> None:
    assert server.get("/slow").status == 200  # sleeps 50 ms
    s = scrape(server)
    labels = dict(method="GET", route="/slow")
    buckets = s.buckets("cello_http_request_duration_seconds", **labels)
    assert list(buckets) == [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.inf]
    assert s.value("cello_http_request_duration_seconds_count", **labels) == 1
    assert s.value("cello_http_request_duration_seconds_sum", default=None, **labels) > 0.05
    assert buckets[0.05] == 0, buckets
    # 0.1 on an idle machine; a loaded one may add a little, never more than 0.25 s.
    assert buckets[0.25] == 1, buckets
    assert min(le for le, n in buckets.items() if n == 1) in (0.1, 0.25)


def test_histograms_are_cumulative_and_consistent(server: support.Server) -> None:
    server.get("/users/7")
    s = scrape(server)
    checked = 0
    for family in ("cello_http_request_duration_seconds", "cello_http_response_size_bytes"):
        for labels in s.series(f"{family}_count"):
            buckets = list(s.buckets(family, **labels).values())
            assert buckets == sorted(buckets), (family, labels, buckets)
            assert buckets[-1] == s.value(f"{family}_count", **labels), (family, labels)
            checked += 1
    assert checked >= 4


def test_in_progress_gauge_counts_open_requests(server: support.Server) -> None:
    gauge = "cello_http_requests_in_progress"
    # Connections are spread round robin over the two engine threads, in accept order: the watcher
    # and the releaser share one thread, /block holds the other. All three are accepted before
    # /block starts, since the acceptor itself may live on the thread /block will hold.
    with server.raw() as watcher, server.raw(timeout=support.WAIT) as blocked, server.raw() as releaser:
        assert scrape_on(watcher).value(gauge, default=None) == 1  # the scrape itself
        scrape_on(releaser)  # accepted, hence so is `blocked` (connected before it)
        blocked.send(support.http_get("/block"))
        try:
            assert support.wait_until(lambda: scrape_on(watcher).value(gauge) == 2), \
                "the blocked request never showed as in progress"
        finally:
            releaser.send(support.http_get("/release"))
            assert releaser.read_response().status == 200
        assert blocked.read_response().text == "released"
        # A request with a bad target skips every before() but must not skew the gauge either.
        with server.raw() as bad:
            bad.send(b"GET nope HTTP/1.1\r\nHost: x\r\n\r\n")
            assert bad.read_response().status == 400
        # completion follows the write by a moment
        assert support.wait_until(lambda: scrape_on(watcher).value(gauge) == 1), "the gauge did not return to 1"


def test_cache_hits_and_misses_by_route_and_tag(server: support.Server) -> None:
    replies = [server.get("/reports/summary") for _ in range(3)]
    assert [r.headers["X-Cache"] for r in replies] == ["MISS", "HIT", "HIT"]
    s = scrape(server)
    route = dict(method="GET", route="/reports/summary")
    assert s.value("cello_cache_misses_total", default=None, **route) == 1
    assert s.value("cello_cache_hits_total", default=None, **route) == 2
    assert s.value("cello_cache_stores_total", default=None, **route) == 1
    assert s.value("cello_cache_evictions_total", default=None, **route) == 0
    assert s.value("cello_cache_invalidations_total", default=None, **route) == 0
    assert s.value("cello_cache_tag_hits_total", default=None, tag="reports") == 2
    assert s.value("cello_cache_tag_misses_total", default=None, tag="reports") == 1
    assert s.value("cello_cache_entries", default=None) >= 1
    assert s.value("cello_cache_bytes", default=None) > 0
    assert s.value("cello_cache_max_bytes", default=None) >= s.value("cello_cache_bytes")
    # Hits are requests too, answered natively.
    assert s.value("cello_http_requests_total", method="GET", route="/reports/summary", status="200") == 3


def test_process_metrics_are_plausible(server: support.Server) -> None:
    s = scrape(server)
    now = time.time()
    start = s.value("process_start_time_seconds", default=None)
    assert now - 300 < start <= now + 1
    assert s.value("process_cpu_seconds_total", default=None) > 0
    rss = s.value("process_resident_memory_bytes", default=None)
    assert 1 << 20 < rss < 4 << 30
    assert s.value("process_virtual_memory_bytes", default=None) >= rss
    fds = s.value("process_open_fds", default=None)
    assert 3 <= fds < s.value("process_max_fds", default=None)


def test_label_values_are_escaped(server: support.Server) -> None:
    assert server.get("/odd/a%22b%5Cc").status == 200
    s = scrape(server)
    assert 'route="/odd/a\\"b\\\\c"' in s.text
    assert s.value("cello_http_requests_total", method="GET", route='/odd/a"b\\c', status="200") == 1


def test_endpoint_namespace_and_subsystem_are_settings(start_server) -> None:
    app = start_server("metrics_app.py", "--no-logs", env={"METRICS_ENDPOINT": "/internal/metrics",
                                                           "METRICS_NAMESPACE": "shop", "METRICS_SUBSYSTEM": ""})
    assert app.get("/metrics").status == 404
    app.get("/reports/summary")
    reply = app.get("/internal/metrics?debug=1")  # the query does not matter
    assert reply.status == 200 and reply.content_type == CONTENT_TYPE
    s = Scrape(reply.text)
    assert s.value("shop_requests_total", default=None, method="GET", route="<unmatched>", status="404") == 1
    assert s.value("shop_cache_misses_total", default=None, method="GET", route="/reports/summary") == 1
    assert not [name for name, _ in s.samples if name.startswith("cello_")]


def test_promtool_accepts_a_real_scrape(server: support.Server) -> None:
    promtool = require("promtool")
    server.get("/users/1")
    server.get("/missing")
    server.get("/reports/summary")
    text = server.get("/metrics").text
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), \
        f"promtool check metrics:\n{check.stdout}{check.stderr}"


def _query(port: int, expr: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=support.WAIT) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def _targets(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=support.WAIT) as r:
            return json.dumps([{k: t.get(k) for k in ("scrapeUrl", "health", "lastError")}
                               for t in json.load(r)["data"]["activeTargets"]])
    except OSError as e:
        return f"(targets unavailable: {e})"


def test_a_real_prometheus_server_scrapes_and_queries(start_server) -> None:
    prometheus = require("prometheus")
    app = start_server("metrics_app.py", "--no-logs")  # its own server: exact counts
    for user in range(5):
        assert app.get(f"/users/{user}").status == 200
    assert app.get("/slow").status == 200
    # The bucket the one /slow request fell in, as the app counted it: how long it took depends on
    # the machine's load (at least the handler's 0.05 s sleep), what Prometheus computes from it not.
    family, slow_route = "cello_http_request_duration_seconds", dict(method="GET", route="/slow")
    assert support.wait_until(lambda: scrape(app).value(f"{family}_count", **slow_route) == 1)  # recorded after the write
    slow_buckets = scrape(app).buckets(family, **slow_route)
    bounds = [0.0, *slow_buckets]
    upper_index = next(i for i, count in enumerate(slow_buckets.values()) if count >= 1)
    lower, upper = bounds[upper_index], bounds[upper_index + 1]
    assert lower >= 0.05, slow_buckets  # the sleep is a lower bound
    with tempfile.TemporaryDirectory(prefix="cello-prom-") as tmp:
        config = Path(tmp) / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: cello\n    metrics_path: /metrics\n"
            f"    static_configs:\n      - targets: ['127.0.0.1:{app.port}']\n")
        port = support.free_port()
        log = open(Path(tmp) / "prometheus.log", "w+b")
        proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            expr = 'sum(cello_http_requests_total{route="/users/{id}"})'
            deadline = time.monotonic() + 60  # ends at the first result: Prometheus starts slowly under load
            result: list[dict] = []
            while time.monotonic() < deadline:
                try:
                    result = _query(port, expr)
                except OSError:
                    result = []  # not listening yet
                if result:
                    break
                assert proc.poll() is None, "prometheus exited: " + Path(log.name).read_text()
                time.sleep(0.25)
            assert result, f"no result for {expr} within 60 s; targets: {_targets(port)}"
            assert float(result[0]["value"][1]) == 5
            # (a scrape that ran past the 1 s scrape timeout on a loaded machine reads 0 until the next one)
            assert support.wait_until(lambda: [u["value"][1] for u in _query(port, 'up{job="cello"}')] == ["1"],
                                      interval=0.25), _targets(port)
            slow = _query(port, 'cello_http_request_duration_seconds_bucket{route="/slow",le="0.05"}')
            assert slow and slow[0]["value"][1] == "0"
            quantile = _query(port, 'histogram_quantile(0.5, sum by (le) '
                                    '(cello_http_request_duration_seconds_bucket{route="/slow"}))')
            # One observation: the median is interpolated inside its bucket (the middle of it).
            assert quantile and lower < float(quantile[0]["value"][1]) <= upper, (quantile, slow_buckets)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()
