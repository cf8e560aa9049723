"""Fixtures of the Cello suite: the apps of tests/python/apps/ imported in-process (for TestClient),
and real `cello` server subprocesses on ephemeral ports (where the process itself is under test).

Environment (set by CTest): CELLO_BUILD_DIR (default <repo>/build) and PYTHONPATH=<build>/python.
<build>/python is put on sys.path here too, so `from cello import App` works in-process.

Servers are started with `support.running(app, *flags, via="cello"|"python")`: `via="cello"` runs
`build/cello run tests/python/apps/<app> --port 0 ...`, `via="python"` runs `/usr/bin/python3 <app> --port 0 ...`.
The port is parsed from the banner on stderr; at teardown SIGTERM must stop the server with exit code 0.
Most test modules hold one module-scoped server so the whole suite stays fast.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

import support

if str(support.PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(support.PYTHON_DIR))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"cello build dir: {support.BUILD_DIR}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if not support.CELLO_BIN.is_file():
        raise pytest.UsageError(f"no cello binary at {support.CELLO_BIN}: build first or set CELLO_BUILD_DIR")
    if not (support.PYTHON_DIR / "cello").is_dir():
        raise pytest.UsageError(f"no cello package under {support.PYTHON_DIR}: build first or set CELLO_BUILD_DIR")


@pytest.fixture(scope="session")
def import_app() -> Callable[[str], ModuleType]:
    """Imports a module of tests/python/apps/ in this process: `import_app("returns_app").app` is
    the App to hand to `TestClient`. Modules are imported once per session (module state is shared
    by the tests that use them, as it was by the tests of one server process)."""
    if str(support.APPS) not in sys.path:
        sys.path.insert(0, str(support.APPS))
    return importlib.import_module


@pytest.fixture
def start_server() -> Iterator[Callable[..., support.Server]]:
    """Factory for servers owned by one test: start_server(app, *flags, via=...). Stopped (SIGTERM, exit 0)
    at teardown unless the test already stopped them itself."""
    servers: list[support.Server] = []

    def start(app: str, *args: str, **kw: object) -> support.Server:
        server = support.start_server(app, *args, **kw)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    failures = []
    for server in servers:
        if server.stopped:
            continue
        code = server.stop()
        if code != 0:
            failures.append(f"{server.cmd} exited with {code} after SIGTERM; stderr:\n{server.stderr}")
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="session")
def hello_server() -> Iterator[support.Server]:
    """The basic app (apps/basic_app.py) under `cello run`, shared by the whole session."""
    with support.running("basic_app.py", "--no-logs") as server:
        yield server
