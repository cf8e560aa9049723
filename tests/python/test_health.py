"""enable_health_checks(): the probes the engine answers natively (/health, /live, /ready, /startup),
registered checks run on a schedule (never per probe), readiness while draining after SIGTERM, and
probes kept out of the request log and /metrics."""
from __future__ import annotations

import asyncio
import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

import support
from cello import App, DatabaseConfig, HealthCheckConfig
from cello.testing import TestClient


def test_probes_follow_the_registered_checks():
    app = App()
    state = {"redis": True}
    calls = []

    @app.get("/")
    def home(request):
        return {"ok": True}

    app.enable_health_checks(HealthCheckConfig(version="1.4.2", interval_secs=0.05, timeout_secs=0.5))

    @app.add_health_check("redis")
    def redis_ping():
        calls.append(threading.current_thread().name)
        return True if state["redis"] else "connection refused"

    async def slow():
        await asyncio.sleep(5)

    app.add_health_check("queue", lambda: None)
    with TestClient(app) as c:
        assert support.wait_until(lambda: c.get("/health/ready").status_code == 200)
        ready = c.get("/health/ready")
        body = ready.json()
        assert body["status"] == "ready" and body["version"] == "1.4.2"
        assert set(body["checks"]) == {"redis", "queue"} and body["checks"]["redis"]["status"] == "ok"
        assert ready.headers["Cache-Control"] == "no-store"
        assert c.get("/health").json()["status"] == "ok"
        assert c.get("/health/").status_code == 200 and c.get("/health/readiness").status_code == 200
        assert c.get("/health/live").json() == {"status": "alive", "version": "1.4.2"}
        assert c.get("/health/liveness").status_code == 200
        assert c.get("/health/startup").json()["status"] == "started"

        state["redis"] = False
        assert support.wait_until(lambda: c.get("/health/ready").status_code == 503)
        down = c.get("/health/ready").json()
        assert down["status"] == "unavailable" and down["reason"] == "a check is failing"
        assert down["checks"]["redis"] == {"status": "failing", "message": "connection refused",
                                           "checked_seconds_ago": down["checks"]["redis"]["checked_seconds_ago"]}
        assert c.get("/health/live").status_code == 200  # alive all the same
        assert c.get("/").status_code == 200  # and serving
        state["redis"] = True
        assert support.wait_until(lambda: c.get("/health/ready").status_code == 200)

        app.add_health_check("slow", slow)  # added while serving: checked from the next round
        assert support.wait_until(lambda: c.get("/health/ready").json().get("checks", {}).get("slow", {}).get("message", "")
                                  .startswith("no answer within"))
        assert c.get("/health/ready").status_code == 503

        assert c.post("/health/ready").status_code == 405
        assert c.get("/health/other").status_code == 404  # not a probe: the router's answer
    assert calls and all(name == "cello-health" or name.startswith("asyncio") for name in calls)


def test_kubernetes_preset_and_the_database_pool(tmp_path: Path):
    app = App()
    app.enable_database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'h.db'}"))
    app.enable_health_checks(HealthCheckConfig.kubernetes(base_path="/_probe", interval_secs=0.05))
    with TestClient(app) as c:
        assert support.wait_until(lambda: c.get("/_probe/ready").status_code == 200)
        assert c.get("/_probe/ready").json() == {"status": "ready"}  # no details
        assert c.get("/health").status_code == 404
    assert app._health.state.view()["checks"]["database"]["ok"] is True


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError):
        HealthCheckConfig(base_path="health")
    with pytest.raises(ValueError):
        HealthCheckConfig(base_path="/")
    with pytest.raises(ValueError):
        HealthCheckConfig(timeout_secs=0)
    with pytest.raises(TypeError):
        App().add_health_check("x", 42)


APP = '''
from cello import App, HealthCheckConfig

app = App()
app.enable_prometheus()
app.enable_health_checks(HealthCheckConfig(drain_secs=3))

@app.get("/")
def home(request):
    return {"ok": True}
'''


def test_probes_stay_out_of_the_log_and_metrics_and_ready_fails_while_draining(tmp_path: Path):
    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent(APP))
    server = support.start_server(str(app_file), "--logs")
    try:
        for _ in range(5):
            assert server.get("/health/ready").status == 200
            assert server.get("/health/live").status == 200
        assert server.get("/").status == 200
        assert support.wait_until(lambda: '"GET /" 200' in server.stderr)
        assert "/health" not in server.stderr  # not in the request log
        metrics = server.get("/metrics").text
        counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                      if not line.startswith("#") and "requests_total{" in line)
        assert counted == 1, metrics  # GET / alone: ten probes were not counted
        # SIGTERM: for drain_secs the server still serves, and says it is not ready.
        os.kill(server.proc.pid, signal.SIGTERM)
        assert support.wait_until(lambda: server.get("/health/ready").status == 503)
        draining = server.get("/health/ready")
        assert draining.json()["reason"] == "draining"
        assert server.get("/").status == 200
        assert server.get("/health/live").status == 200
    finally:
        code = server.stop()
    assert code == 0, server.stderr
