"""examples/async/app.py runs as documented (docs/async.md): what each async def handler answers,
20 concurrent slow requests overlapping, and blocking work on a thread leaving the loop free. Every
test runs twice: through TestClient in this process and through `cello run` in a subprocess."""
from __future__ import annotations

import hashlib
import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import support
from cello.testing import TestClient

EXAMPLE = support.REPO / "examples" / "async" / "app.py"

Get = Callable[..., tuple[int, Any]]  # get(path, timeout=10.0) -> (status, parsed JSON body)


def load_example() -> Any:
    """The example as a module of its own (its file is called app.py, like the other examples)."""
    spec = importlib.util.spec_from_file_location("example_async_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["TestClient", "cello run"])
def get(request) -> Iterator[Get]:
    if request.param == "TestClient":
        with TestClient(load_example().app) as client:
            def get_in_process(path: str, timeout: float = 10.0) -> tuple[int, Any]:
                r = client.get(path, timeout=timeout)
                return r.status_code, r.json()

            yield get_in_process
    else:
        with support.running(str(EXAMPLE), "--no-logs") as server:  # one engine thread (development)
            assert server.routes == 4, server.banner

            def get_over_process(path: str, timeout: float = 10.0) -> tuple[int, Any]:
                r = server.get(path, timeout=timeout)
                return r.status, r.json()

            yield get_over_process
            assert "Traceback" not in server.stderr, server.stderr


def test_awaiting_handler(get):
    t0 = time.monotonic()
    assert get("/sleep?seconds=0.1") == (200, {"slept": 0.1})
    assert time.monotonic() - t0 >= 0.1


def test_gather_takes_the_longest_not_the_sum(get):
    status, body = get("/gather")
    assert status == 200, body
    assert body["results"] == [{"step": "a", "seconds": 0.1}, {"step": "b", "seconds": 0.2},
                               {"step": "c", "seconds": 0.3}]
    assert 0.3 <= body["elapsed"] < 0.6, body  # 0.6 s would be the three sleeps one after another


@pytest.mark.parametrize("n, squares", [(5, [0, 1, 4, 9, 16]), (0, []), (40, [i * i for i in range(40)])])
def test_queue_fed_by_a_task(get, n, squares):
    assert get(f"/squares?n={n}") == (200, {"squares": squares})


def test_blocking_work_runs_on_a_thread(get):
    expected = b"hi"
    for _ in range(1000):
        expected = hashlib.sha256(expected).digest()
    assert get("/digest?text=hi&delay=0") == (200, {"text": "hi", "sha256x1000": expected.hex()})


def test_blocking_work_leaves_the_loop_free(get):
    """While /digest blocks its worker thread for 0.6 s, an awaiting handler is still answered at
    once: the blocking call is not on the asyncio loop (nor on the engine thread)."""
    slow: list[tuple[int, Any]] = []
    worker = threading.Thread(target=lambda: slow.append(get("/digest?delay=0.6")))
    worker.start()
    time.sleep(0.15)
    t0 = time.monotonic()
    assert get("/sleep?seconds=0") == (200, {"slept": 0.0})
    quick = time.monotonic() - t0
    worker.join()
    assert slow and slow[0][0] == 200 and len(slow[0][1]["sha256x1000"]) == 64, slow
    assert quick < 0.3, f"an awaiting handler waited {quick:.2f}s for the blocking call (0.45 s left)"


@pytest.mark.parametrize("path, detail", [
    ("/sleep?seconds=soon", "seconds must be a number"),
    ("/sleep?seconds=60", "seconds must be between 0 and 5"),
    ("/squares?n=-1", "n must be between 0 and 1000"),
])
def test_bad_parameters_are_400(get, path, detail):
    assert get(path) == (400, {"error": "Bad Request", "status": 400, "detail": detail})


def test_twenty_concurrent_slow_requests_overlap(get):
    replies: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def call() -> None:
        reply = get("/sleep?seconds=0.5", timeout=20)
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=call) for _ in range(20)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert replies == [(200, {"slept": 0.5})] * 20, replies
    assert elapsed < 2.5, f"20 x sleep(0.5) took {elapsed:.2f}s: they did not overlap (one after another: 10 s)"
