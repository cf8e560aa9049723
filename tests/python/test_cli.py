"""The `cello` command line and `python3 app.py`: help, version, routes, targets, bind errors, flag precedence."""
from __future__ import annotations

import os
import socket
import subprocess

import pytest

import support


def test_version():
    import cello

    result = support.run_cli("--version")
    assert result.returncode == 0, result
    out = result.stdout + result.stderr
    assert f"cello {cello.__version__}" in out, out
    assert cello.__version__.count(".") == 2, cello.__version__


def test_help_lists_commands():
    result = support.run_cli("--help")
    assert result.returncode == 0, result
    assert "run" in result.stdout and "routes" in result.stdout, result.stdout


def test_no_command_prints_help_and_fails():
    result = support.run_cli()
    assert result.returncode != 0
    assert "run" in result.stdout + result.stderr


@pytest.mark.parametrize("argv", [["run", "--help"], ["run", "-h"]])
def test_run_help_lists_every_flag(argv):
    result = support.run_cli(*argv)
    assert result.returncode == 0, result
    for flag in ("--host", "--port", "--workers", "--env", "--no-logs", "--reload", "--processes", "--help"):
        assert flag in result.stdout, f"{flag} missing from `cello run --help`:\n{result.stdout}"
    assert "development" in result.stdout and "production" in result.stdout


def test_app_help_lists_every_flag():
    """`python3 app.py --help` prints the same flags."""
    result = subprocess.run([support.PYTHON, support.app_path("basic_app.py"), "--help"], capture_output=True,
                            text=True, env=support.subprocess_env(), timeout=30)
    assert result.returncode == 0, result
    for flag in ("--host", "--port", "--workers", "--env", "--no-logs", "--reload", "--processes"):
        assert flag in result.stdout, f"{flag} missing from `python3 app.py --help`:\n{result.stdout}"


def test_routes_prints_table():
    result = support.run_cli("routes", support.app_path("routing_app.py"))
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["METHOD", "PATH", "HANDLER"], lines[0]
    rows = {tuple(line.split()[:3]) for line in lines[1:]}
    for row in [("GET", "/users/me", "me"), ("GET", "/users/{id}", "user"), ("POST", "/items", "create_item"),
                ("PUT", "/multi", "multi"), ("DELETE", "/multi", "multi"), ("GET", "/files/{p:path}", "files")]:
        assert row in rows, f"{row} missing from:\n{result.stdout}"
    assert "routing_app.py:" in result.stdout  # source location column


def test_routes_module_target():
    result = support.run_cli("routes", "modapp:application", cwd=support.APPS)
    assert result.returncode == 0, result
    assert "/items/{id:int}" in result.stdout


@pytest.mark.parametrize("target, message", [
    ("does_not_exist.py", "no such file"),
    ("modapp:nothing_here", "nothing_here"),
    ("no_such_module_xyz:app", "no_such_module_xyz"),
])
def test_bad_target_fails_clearly(target, message):
    result = support.run_cli("run", target, "--port", "0", cwd=support.APPS, timeout=30)
    assert result.returncode != 0, result
    assert message in result.stderr, result.stderr
    assert "serving" not in result.stderr


def test_run_module_attr(start_server):
    server = start_server("modapp:application", "--no-logs", cwd=support.APPS)
    assert server.routes == 2
    assert server.get("/").json() == {"served_by": "modapp.application"}
    assert server.get("/items/3").json() == {"id": 3}


def test_run_file_attr(start_server):
    server = start_server(support.app_path("modapp.py") + ":application", "--no-logs")
    assert server.get("/").json() == {"served_by": "modapp.application"}


def test_python_app_py_works(start_server):
    server = start_server("basic_app.py", "--no-logs", via="python")
    assert server.get("/").text == "hello"
    assert server.get("/n/4").json() == {"n": 4, "square": 16}


def test_banner_and_request_log(start_server):
    import cello

    server = start_server("basic_app.py", "--env", "development")
    assert server.routes == 6
    assert server.banner.startswith(f"cello {cello.__version__}: serving 6 routes on http://127.0.0.1:")
    server.get("/n/12")
    assert server.wait_for_stderr("/n/12"), f"development logs requests by default:\n{server.stderr}"


def test_no_logs_silences_request_log(start_server):
    server = start_server("basic_app.py", "--no-logs")
    server.get("/n/77")
    server.stop()
    assert "/n/77" not in server.stderr, server.stderr


@pytest.mark.parametrize("via", ["cello", "python"])
def test_port_in_use_fails_with_clear_message(via):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        result = subprocess.run(support.command(support.app_path("basic_app.py"), ["--port", str(port)], via),
                                capture_output=True, text=True, env=support.subprocess_env(), timeout=30)
    assert result.returncode != 0, f"exit code 0 on a port in use; stderr:\n{result.stderr}"
    assert "in use" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "serving" not in result.stderr


def test_port_in_use_by_another_cello(start_server):
    first = start_server("basic_app.py", "--no-logs")
    result = subprocess.run(support.command(support.app_path("basic_app.py"), ["--port", str(first.port)], "cello"),
                            capture_output=True, text=True, env=support.subprocess_env(), timeout=30)
    assert result.returncode != 0, result.stderr
    assert "in use" in result.stderr.lower(), result.stderr
    assert first.get("/").status == 200


def test_flag_beats_run_argument(start_server):
    run_port, flag_port = support.free_port(), support.free_port()
    while flag_port == run_port:
        flag_port = support.free_port()
    server = start_server("flags_app.py", "--port", str(flag_port), "--env", "development", via="python",
                          env={"FLAGS_APP_PORT": str(run_port), "FLAGS_APP_ENV": "production"})
    assert server.port == flag_port, server.banner
    assert "development" in server.banner, server.banner
    assert server.get("/").json() == {"app": "flags"}
    # --env development (flag) beat env="production" (run argument): tracebacks are in 500 bodies
    assert "traceback" in server.get("/boom").json()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", run_port), timeout=1).close()


def test_run_argument_beats_default():
    """Without flags, run(port=..., env="production") is used instead of the defaults (8000, development)."""
    run_port = support.free_port()
    proc = subprocess.Popen([support.PYTHON, support.app_path("flags_app.py")], env=support.subprocess_env(
        {"FLAGS_APP_PORT": str(run_port), "FLAGS_APP_ENV": "production"}), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        line = proc.stderr.readline().decode()
        assert f"http://127.0.0.1:{run_port} " in line, line
        assert "production" in line, line
        r = support.request(run_port, "GET", "/boom")
        data = support.assert_error_shape(r, 500)
        assert "traceback" not in data, data
    finally:
        proc.terminate()
        code = proc.wait(20)
        rest = proc.stderr.read().decode()
        proc.stderr.close()
    assert code == 0, rest
    assert "cello: stopped" in rest


def test_reload_refuses_several_processes():
    result = support.run_cli("run", support.app_path("basic_app.py"), "--port", "0", "--processes", "2", "--reload",
                             timeout=30)
    assert result.returncode == 2, result
    assert "--reload serves one process; it cannot be combined with 2 processes" in result.stderr, result.stderr
    assert "serving" not in result.stderr


@pytest.mark.parametrize("args", [["--env", "staging"], ["--workers", "0"], ["--workers", "-1"],
                                  ["--port", "notaport"], ["--port", "70000"]], ids=" ".join)
def test_bad_flag_values_fail(args):
    """Invalid flag values are rejected with a non-zero exit instead of serving."""
    cmd = [str(support.CELLO_BIN), "run", support.app_path("basic_app.py"), "--no-logs", *args]
    if "--port" not in args:
        cmd += ["--port", "0"]
    proc = subprocess.Popen(cmd, env=support.subprocess_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = support._Collector(proc.stderr)
    err.wait_for(lambda text: "serving" in text, 10)  # returns early when the process exits
    if "serving" in err.text():
        proc.terminate()
        proc.wait(20)
        err.join(5)
        raise AssertionError(f"{args} was accepted: the server started instead of failing; stderr:\n{err.text()}")
    proc.wait(10)
    err.join(5)
    assert proc.returncode != 0, (args, err.text())
    assert "serving" not in err.text(), err.text()


def test_headless_binary_links_no_qt() -> None:
    """`cello` (production) must not load Qt; the studio, built from the same tree, does."""
    cello = support.BUILD_DIR / "cello"
    result = subprocess.run(["ldd", str(cello)], capture_output=True, text=True, check=True)
    assert "libpython3" in result.stdout  # ldd really listed the binary's libraries
    assert "qt" not in result.stdout.lower(), result.stdout
    studio = support.BUILD_DIR / "cello-studio"
    if studio.exists():
        studio_libs = subprocess.run(["ldd", str(studio)], capture_output=True, text=True, check=True).stdout
        assert "libQt6Widgets" in studio_libs


def test_studio_help_and_version_need_no_display_and_no_display_is_a_message() -> None:
    studio = support.BUILD_DIR / "cello-studio"
    if not studio.exists():
        pytest.skip("built without the studio (CELLO_BUILD_STUDIO=OFF)")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    helped = subprocess.run([str(studio), "--help"], env=env, capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0, helped
    assert helped.stdout.startswith("Usage: cello-studio") and "--attach" in helped.stdout
    version = subprocess.run([str(studio), "--version"], env=env, capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("cello-studio "), version
    headless = subprocess.run([str(studio)], env=env, capture_output=True, text=True, timeout=30)
    assert headless.returncode == 1, headless  # not an abort (-6) with a core dump
    assert "no display" in headless.stderr and headless.stderr.count("\n") == 1, headless.stderr
