"""The request log: one line per request on stderr, text or JSON, off with --no-logs and in
production unless asked."""
from __future__ import annotations

import json
import re
import time

import support

TEXT_LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 127\.0\.0\.1:\d+ "(\S+) (\S+)" (\d{3}) (\d+|-)B ([\d.]+)ms (\S+)')


def log_lines(server, needle: str, count: int) -> list[str]:
    """The stderr lines containing `needle`, once there are at least `count` of them (lines are
    written after each response is sent, so they may trail the replies a little)."""
    deadline = time.monotonic() + support.WAIT
    while True:
        lines = [ln for ln in server.stderr.splitlines() if needle in ln]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def raw_size(server, target: str) -> int:
    """Sends GET `target` on a connection of its own and returns the response's size on the wire."""
    with server.raw() as c:
        c.send(f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        while c._fill():
            pass
        return len(c.buf)


def test_development_logs_text_lines(start_server):
    s = start_server("logging_app.py")
    sent = raw_size(s, "/hello?x=1")
    s.get("/cached")
    s.get("/cached")
    s.get("/missing")
    lines = log_lines(s, '"GET ', 4)
    parsed = [TEXT_LINE.match(ln) for ln in lines]
    assert all(parsed), lines
    rows = [(m.group(1), m.group(2), m.group(3), m.group(6)) for m in parsed if m]
    assert ("GET", "/hello?x=1", "200", "-") in rows
    assert ("GET", "/cached", "200", "MISS") in rows and ("GET", "/cached", "200", "HIT") in rows
    assert ("GET", "/missing", "404", "-") in rows  # unmatched requests are logged too
    hello = next(m for m in parsed if m and m.group(2) == "/hello?x=1")
    # The response as written (status line, headers, body), as the inspector and the studio count it.
    assert int(hello.group(4)) == sent > len(b'{"hello":"world"}')
    assert float(hello.group(5)) >= 0


def test_json_lines(start_server):
    s = start_server("logging_app.py", env={"LOG_FORMAT": "json"})
    sent = raw_size(s, "/hello")
    s.get("/cached")
    lines = [json.loads(ln) for ln in log_lines(s, '"method"', 2)]
    by_path = {d["path"]: d for d in lines}
    assert set(by_path) >= {"/hello", "/cached"}
    d = by_path["/hello"]
    assert d["method"] == "GET" and d["status"] == 200 and d["bytes_sent"] == sent and d["cache"] == "-"
    assert d["client"].startswith("127.0.0.1:") and d["latency_ms"] >= 0 and d["request_id"] is None
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$", d["time"])
    assert by_path["/cached"]["cache"] == "MISS"


def test_no_logs_flag_turns_it_off(start_server):
    s = start_server("logging_app.py", "--no-logs", env={"LOG_FORMAT": "text"})
    for _ in range(3):
        assert s.get("/hello").status == 200
    assert s.get("/hello").status == 200
    assert '"GET /hello"' not in s.stderr


def test_production_is_quiet_unless_asked(start_server):
    quiet = start_server("logging_app.py", "--env", "production")
    assert "production" in quiet.banner, quiet.banner  # --env reaches the server (and its banner)
    quiet.get("/hello")
    asked = start_server("logging_app.py", "--env", "production", env={"LOG_FORMAT": "text"})
    asked.get("/hello")
    assert asked.wait_for_stderr('"GET /hello"')
    assert '"GET /hello"' not in quiet.stderr
    flagged = start_server("logging_app.py", "--env", "production", "--logs")
    flagged.get("/hello")
    assert flagged.wait_for_stderr('"GET /hello"')
