#!/usr/bin/python3
"""Side-by-side HTTP benchmark: Cello vs nginx vs FastAPI vs Starlette.

Every server runs pinned to CPU 0, wrk runs pinned to CPU 1. For each endpoint the script
reports req/s, p50/p99 latency, the server's CPU time per request, its RSS and wrk errors,
then prints the table as Markdown (also written to --out). `--soak N` instead sends N
requests to Cello and checks that its RSS does not grow. Stdlib only; run with /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
APPS = BENCH / "apps"
sys.path.insert(0, str(APPS))

from payload import ECHO_BODY, HOME, MODEL_ANSWER, USERS, user  # noqa: E402

PYTHON = "/usr/bin/python3"
SERVER_CPU = "0"
CLIENT_CPU = "1"
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0
SOAK_CHUNK = 100_000
SOAK_MAX_GROWTH_MB = 5.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request and the body every server must answer with."""

    key: str
    method: str
    path: str
    expected: Any
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""
    connections: int | None = None  # this many wrk connections instead of --connections
    pipeline: int = 0  # requests wrk sends back to back on a connection before reading (HTTP pipelining)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}{self.note}"


ENDPOINTS: dict[str, Endpoint] = {
    e.key: e
    for e in (
        Endpoint("root", "GET", "/", HOME),
        Endpoint("pipelined", "GET", "/", HOME, note=" (pipelined, depth 16)", pipeline=16),
        Endpoint("users", "GET", "/users/42", user(42)),
        Endpoint("json", "GET", "/json", USERS),
        Endpoint("echo", "POST", "/echo", ECHO_BODY),
        Endpoint("model", "POST", "/model", MODEL_ANSWER, note=" (pydantic body + Depends)"),
        Endpoint("cached", "GET", "/cached", HOME, note=" (@cache)"),
        Endpoint("gzip", "GET", "/json", USERS, (("Accept-Encoding", "gzip"),), note=" (gzip)"),
        Endpoint("origin", "GET", "/", HOME, (("Origin", "http://bench.example"),), note=" (with Origin)"),
        Endpoint("async", "GET", "/async", HOME, note=" (async def, no await)"),
        Endpoint("await0", "GET", "/await/sleep0", HOME, note=" (await asyncio.sleep(0))"),
        Endpoint("awaitsoon", "GET", "/await/soon", HOME, note=" (await a future set by call_soon)"),
        Endpoint("sleep1ms", "GET", "/await/sleep1ms", HOME, note=" (await asyncio.sleep(0.001), 200 conns)",
                 connections=200),
    )
}


@dataclass(frozen=True)
class Server:
    """How to start one peer and which endpoints it can serve."""

    name: str
    port: int
    command: list[str]
    endpoints: frozenset[str]
    env: tuple[tuple[str, str], ...] = ()


@dataclass
class WrkResult:
    """The numbers parsed from one wrk run."""

    requests: int
    rps: float
    p50_us: float | None
    p99_us: float | None
    errors: int


@dataclass
class Row:
    """One line of the result table; None means the server cannot serve the endpoint."""

    endpoint: Endpoint
    server: str
    wrk: WrkResult | None = None
    cpu_us_per_req: float | None = None
    rss_mb: float | None = None
    pss_mb: float | None = None  # proportional: a page shared by N processes counts 1/N in each


# --------------------------------------------------------------------------- servers


def nginx_config(tmp: Path, port: int, processes: int = 1) -> str:
    """An nginx config that answers with the same bytes as the Python apps, with `processes`
    worker processes (more than one needs nginx's master process)."""

    def quote(text: str) -> str:
        assert "$" not in text, "nginx would expand '$' as a variable"
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    compact = (",", ":")
    home = quote(json.dumps(HOME, separators=compact))
    users = quote(json.dumps(USERS, separators=compact))
    temps = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
master_process {"on" if processes > 1 else "off"};
worker_processes {processes};
error_log {tmp / 'error.log'} warn;
pid {tmp / 'nginx.pid'};
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}
    default_type application/json;
    gzip on;
    gzip_types application/json;
    gzip_min_length 512;  # /json is 974 bytes
    gzip_comp_level 6;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    server {{
        listen 127.0.0.1:{port};
        location = / {{ return 200 {home}; }}
        location = /json {{ return 200 {users}; }}
        location = /cached {{ return 200 {home}; }}
        location ~ ^/users/(\\d+)$ {{ return 200 '{{"id":$1,"name":"User $1"}}'; }}
    }}
}}
"""


def uvicorn_command(module: str, port: int, processes: int = 1) -> list[str]:
    """Command line for a uvicorn peer (flags checked against Debian's uvicorn 0.17.6)."""
    return [
        PYTHON, "-m", "uvicorn", f"{module}:app", "--app-dir", str(APPS),
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning", "--workers", str(processes),
    ]  # fmt: skip


def build_servers(names: list[str], cello_bin: Path, tmp: Path, processes: int = 1,
                  cello_before: Path | None = None) -> list[Server]:
    """Server specs for the requested names, in the requested order, each with `processes` worker
    processes (Cello's --processes, nginx's worker_processes, uvicorn's --workers). `cello_before`:
    another build of cello (the "cello-before" server), for a change's before and after in one run."""
    nginx_dir = tmp / "nginx"
    nginx_dir.mkdir(exist_ok=True)
    (nginx_dir / "nginx.conf").write_text(nginx_config(nginx_dir, 8002, processes))
    plain = frozenset({"root", "pipelined", "users", "json", "echo"})

    def cello(name: str, port: int, endpoints: set[str], middleware: str = "", extra: tuple[str, ...] = (),
              binary: Path = cello_bin) -> Server:
        return Server(
            name, port,
            [str(binary), "run", str(APPS / "cello_app.py"), "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--processes", str(processes), "--env", "production", "--no-logs", *extra],
            frozenset(endpoints), (("CELLO_BENCH_MIDDLEWARE", middleware),),
        )  # fmt: skip

    known = {
        "cello": cello("cello", 8001, set(plain) | {"cached", "origin"}),
        "cello-before": cello("cello-before", 8011, set(plain) | {"cached", "origin"}, binary=cello_before or cello_bin),
        # async def rows on their own process: the first one imports asyncio (about 9 MB), which an
        # app of sync handlers never does.
        "cello+async": cello("cello+async", 8007, {"root", "async", "await0", "awaitsoon", "sleep1ms"}),
        # Handler parameters (cello.params) with pydantic: its own process, so no other row imports pydantic.
        "cello+model": Server(
            "cello+model", 8009,
            [str(cello_bin), "run", str(APPS / "cello_app.py"), "--host", "127.0.0.1", "--port", "8009",
             "--workers", "1", "--processes", str(processes), "--env", "production", "--no-logs"],
            frozenset({"model"}), (("CELLO_BENCH_MODEL", "1"),),
        ),
        # The same app with gzip on (only the gzip row), and with CORS + request id + metrics on.
        "cello+gzip": cello("cello+gzip", 8005, {"gzip"}, "compression"),
        "cello+mw": cello("cello+mw", 8006, {"root", "origin"}, "cors,request_id,metrics"),
        # The inspector attached (--inspect): every request goes through the telemetry rings.
        "cello+inspect": cello("cello+inspect", 8008, {"root", "json"}, "", ("--inspect=127.0.0.1:8018",)),
        "nginx": Server(
            "nginx", 8002,
            ["/usr/sbin/nginx", "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"),
             "-e", str(nginx_dir / "error.log")],
            (plain - {"echo"}) | {"cached", "gzip", "origin"},
        ),
        "fastapi": Server("fastapi", 8003, uvicorn_command("fastapi_app", 8003, processes), plain | {"model"}),
        "starlette": Server("starlette", 8004, uvicorn_command("starlette_app", 8004, processes),
                            plain | {"await0", "awaitsoon", "sleep1ms"}),
    }  # fmt: skip
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown server(s): {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[n] for n in names]


def port_open(port: int) -> bool:
    """True if something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_server(server: Server, log_path: Path, pin: bool = True) -> subprocess.Popen[bytes]:
    """Start `server` (pinned to CPU 0 unless `pin` is false) and wait until its port answers."""
    if port_open(server.port):
        raise RuntimeError(f"port {server.port} is already in use; stop whatever listens there")
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [*(["taskset", "-c", SERVER_CPU] if pin else []), *server.command],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **dict(server.env)},
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while not port_open(server.port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} did not start (exit {proc.returncode}):\n{tail}")
        time.sleep(0.1)
    return proc


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it after a grace period."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass


# --------------------------------------------------------------------------- /proc


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (covers servers that fork workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def stat_fields(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name, so index 0 is field 3 (state)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime+stime of `pid` and its descendants; /proc/PID/stat already sums all threads."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = stat_fields(p)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # fields 14 (utime) and 15 (stime)
    return ticks / CLK_TCK


def tree_kib(pid: int, file: str, field: str) -> int:
    """`field` (in kB) of /proc/PID/`file`, summed over `pid` and its descendants."""
    kib = 0
    for p in process_tree(pid):
        try:
            text = Path(f"/proc/{p}/{file}").read_text()
        except OSError:
            continue
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
        kib += int(match.group(1)) if match else 0
    return kib


def pss_mb(pid: int) -> float:
    """Pss of the tree, in MiB: unlike summed RSS, pages that forked workers share with their
    parent count once."""
    return tree_kib(pid, "smaps_rollup", "Pss") / 1024


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` and its descendants, in MiB."""
    return tree_kib(pid, "status", "VmRSS") / 1024


# --------------------------------------------------------------------------- wrk


def lua_string(text: str) -> str:
    """A Lua long-bracket literal holding `text` verbatim."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def echo_script(tmp: Path) -> Path:
    """wrk script that POSTs the small JSON body to /echo."""
    path = tmp / "echo.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {lua_string(json.dumps(ECHO_BODY))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def pipeline_script(tmp: Path, path: str, depth: int) -> Path:
    """wrk script that sends `depth` GET requests in one write and reads their answers."""
    script = tmp / f"pipeline{depth}.lua"
    script.write_text(
        "init = function(args)\n"
        "  local r = {}\n"
        f"  for i = 1, {depth} do r[i] = wrk.format(nil, {lua_string(path)}) end\n"
        "  req = table.concat(r)\n"
        "end\n"
        "request = function() return req end\n"
    )
    return script


def soak_script(tmp: Path) -> Path:
    """wrk script that alternates GET /json and POST /echo."""
    path = tmp / "soak.lua"
    path.write_text(
        f'local get = wrk.format("GET", "/json")\n'
        f'local post = wrk.format("POST", "/echo", {{["Content-Type"] = "application/json"}}, '
        f"{lua_string(json.dumps(ECHO_BODY))})\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  if n % 2 == 1 then return get else return post end\n"
        "end\n"
    )
    return path


def run_wrk(url: str, seconds: int, connections: int, script: Path | None, latency: bool,
            headers: tuple[tuple[str, str], ...] = (), threads: int = 1) -> WrkResult:
    """Run wrk (pinned to CPU 1 with one thread; unpinned with more) and parse its report."""
    pin = ["taskset", "-c", CLIENT_CPU] if threads == 1 else []
    cmd = [*pin, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers:
        cmd += ["-H", f"{name}: {value}"]
    cmd += ["--latency"] if latency else []
    cmd += ["-s", str(script)] if script else []
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    return parse_wrk(out.stdout)


def parse_duration_us(text: str) -> float:
    """wrk duration like '512.00us', '1.23ms' or '2.00s' in microseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    scale = {"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}[match.group(2)]
    return float(match.group(1)) * scale


def parse_wrk(output: str) -> WrkResult:
    """Requests, req/s, p50/p99 and errors (non-2xx/3xx plus socket errors) from wrk's output."""
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not requests or not rps:
        raise ValueError(f"cannot parse wrk output:\n{output}")
    pct = {m.group(1): parse_duration_us(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+(\S+)", output, re.M)}
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    return WrkResult(int(requests.group(1)), float(rps.group(1)), pct.get("50"), pct.get("99"), errors)


# --------------------------------------------------------------------------- checks & measurements


def fetch(port: int, endpoint: Endpoint) -> bytes:
    """One request with urllib; returns the response body."""
    data = json.dumps(ECHO_BODY).encode() if endpoint.method == "POST" else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{endpoint.path}", data=data, method=endpoint.method)
    req.add_header("Content-Type", "application/json")
    for name, value in endpoint.headers:
        req.add_header(name, value)
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = resp.read()
        if "Accept-Encoding" in dict(endpoint.headers):
            if resp.headers.get("Content-Encoding") != "gzip":
                raise ValueError("asked for gzip, got an identity body")
            body = gzip.decompress(body)
        return body


def check_bodies(server: Server, endpoints: list[Endpoint]) -> None:
    """Warn if any endpoint's body differs (as parsed JSON) from the expected value."""
    for endpoint in endpoints:
        if endpoint.key not in server.endpoints:
            continue
        try:
            body = fetch(server.port, endpoint)
            ok = json.loads(body) == endpoint.expected
        except (OSError, ValueError, http.client.HTTPException) as exc:
            body, ok = str(exc).encode(), False
        if not ok:
            print(f"WARNING: {server.name} {endpoint.label} answered {body[:200]!r}, "
                  f"expected {json.dumps(endpoint.expected)[:200]}", file=sys.stderr)  # fmt: skip


def measure(server: Server, pid: int, endpoint: Endpoint, args: argparse.Namespace, tmp: Path) -> Row:
    """Warm up, then one measured wrk run with the server's CPU time and RSS around it."""
    url = f"http://127.0.0.1:{server.port}{endpoint.path}"
    script = echo_script(tmp) if endpoint.method == "POST" else None
    if endpoint.pipeline:
        script = pipeline_script(tmp, endpoint.path, endpoint.pipeline)
    threads = 1 if args.processes == 1 else 2
    if args.warmup > 0:
        run_wrk(url, args.warmup, endpoint.connections or args.connections, script, latency=False,
                headers=endpoint.headers, threads=threads)
    cpu_before = cpu_seconds(pid)
    result = run_wrk(url, args.duration, endpoint.connections or args.connections, script, latency=True,
                     headers=endpoint.headers, threads=threads)
    cpu_after = cpu_seconds(pid)
    cpu_us = (cpu_after - cpu_before) * 1e6 / result.requests if result.requests else None
    return Row(endpoint, server.name, result, cpu_us, rss_mb(pid), pss_mb(pid))


def bench_servers(servers: list[Server], endpoints: list[Endpoint], args: argparse.Namespace,
                  tmp: Path) -> list[Row]:
    """Start every server (all pinned to CPU 0; idle ones cost nothing), then measure, `--rounds`
    times, every endpoint on every server in turn. Taking turns puts the machine's drift into every
    row alike; the reported row is each server's median round by req/s."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for server in servers:
            print(f"== {server.name} on :{server.port}", file=sys.stderr)
            procs[server.name] = start_server(server, tmp / f"{server.name}.log", pin=args.processes == 1)
            check_bodies(server, endpoints)
        # Rounds outermost: each round measures every endpoint, so rows compared with each other
        # (async def against def, an await against Starlette's) come from the same stretch of time.
        runs: dict[tuple[str, str], list[Row]] = {(e.key, s.name): [] for e in endpoints for s in servers}
        for _ in range(args.rounds):
            for endpoint in endpoints:
                for server in servers:
                    if endpoint.key not in server.endpoints:
                        continue
                    row = measure(server, procs[server.name].pid, endpoint, args, tmp)
                    print(f"   {endpoint.label} {server.name}: {row.wrk.rps:,.0f} req/s", file=sys.stderr)  # type: ignore[union-attr]
                    runs[(endpoint.key, server.name)].append(row)
        rows = []
        for endpoint in endpoints:
            for server in servers:
                done = sorted(runs[(endpoint.key, server.name)], key=lambda r: r.wrk.rps)  # type: ignore[union-attr]
                rows.append(done[len(done) // 2] if done else Row(endpoint, server.name))
        return rows
    finally:
        for proc in procs.values():
            stop_server(proc)


# --------------------------------------------------------------------------- report


def fmt(value: float | None, spec: str, unit: str = "") -> str:
    """Format a number, or 'n/a' when missing."""
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def render_table(rows: list[Row], endpoints: list[Endpoint]) -> str:
    """Markdown table, grouped by endpoint in the requested order."""
    lines = [
        "| endpoint | server | req/s | p50 | p99 | CPU µs/req | RSS MB | PSS MB | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint in endpoints:
        for row in (r for r in rows if r.endpoint.key == endpoint.key):
            w = row.wrk
            lines.append(
                f"| {endpoint.label} | {row.server} | {fmt(w and w.rps, ',.0f')} "
                f"| {fmt(w and w.p50_us and w.p50_us / 1e3, '.2f', ' ms')} "
                f"| {fmt(w and w.p99_us and w.p99_us / 1e3, '.2f', ' ms')} "
                f"| {fmt(row.cpu_us_per_req, '.1f')} | {fmt(row.rss_mb, '.1f')} | {fmt(row.pss_mb, '.1f')} "
                f"| {fmt(w and w.errors, 'd')} |"
            )
    return "\n".join(lines)


def render_ratios(rows: list[Row], endpoints: list[Endpoint]) -> str:
    """Per endpoint: cello/nginx and cello/fastapi req/s, and RSS cello vs fastapi."""
    by_key = {(r.endpoint.key, r.server): r for r in rows}

    def rps(key: str, server: str) -> float | None:
        row = by_key.get((key, server))
        return row.wrk.rps if row and row.wrk else None

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}x" if a and b else "n/a"

    lines = []
    for e in endpoints:
        ours = next((n for n in ("cello", "cello+gzip", "cello+async", "cello+model") if rps(e.key, n)), "cello")
        cello, fastapi = by_key.get((e.key, ours)), by_key.get((e.key, "fastapi"))
        rss_c, rss_f = cello and cello.rss_mb, fastapi and fastapi.rss_mb
        pss_c, pss_f = cello and cello.pss_mb, fastapi and fastapi.pss_mb
        lines.append(
            f"- {e.label}: {ours}/nginx req/s {ratio(rps(e.key, ours), rps(e.key, 'nginx'))}, "
            f"{ours}/fastapi req/s {ratio(rps(e.key, ours), rps(e.key, 'fastapi'))}, "
            f"RSS {ours} {fmt(rss_c, '.1f', ' MB')} vs fastapi {fmt(rss_f, '.1f', ' MB')} ({ratio(rss_c, rss_f)}; "
            f"PSS {ratio(pss_c, pss_f)})"
        )
        starlette = by_key.get((e.key, "starlette"))
        if e.key in ("root", "json", "users") and starlette and starlette.wrk:
            lines.append(f"- {e.label}: {ours}/starlette req/s {ratio(rps(e.key, ours), rps(e.key, 'starlette'))}, "
                         f"RSS vs starlette {ratio(rss_c, starlette.rss_mb)}")
        if e.key == "async" and rps("root", "cello+async"):
            lines.append(f"- {e.label}: async/sync req/s {ratio(rps('async', 'cello+async'), rps('root', 'cello+async'))} "
                         "(the same handler as GET /, declared async def, same process)")
        if e.key in ("await0", "awaitsoon", "sleep1ms") and rps(e.key, "starlette"):
            lines.append(f"- {e.label}: cello+async/starlette req/s "
                         f"{ratio(rps(e.key, 'cello+async'), rps(e.key, 'starlette'))} (Starlette on uvicorn+uvloop+httptools)")
        if rps(e.key, "cello+inspect") and rps(e.key, "cello"):
            lines.append(f"- {e.label}: cello+inspect/cello req/s {ratio(rps(e.key, 'cello+inspect'), rps(e.key, 'cello'))} "
                         "(inspector attached vs not)")
        if rps(e.key, "cello+mw"):
            lines.append(f"- {e.label}: cello+mw/cello req/s {ratio(rps(e.key, 'cello+mw'), rps(e.key, 'cello'))} "
                         "(CORS, request id and metrics on vs none)")
    return "\n".join(lines)


def render_header(args: argparse.Namespace) -> str:
    """Run conditions, so a results file says how it was produced."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "unknown CPU")  # fmt: skip
    if args.processes > 1:
        return (
            f"# Cello benchmark, {args.processes} processes ({datetime.datetime.now():%Y-%m-%d %H:%M})\n\n"
            f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}. Each server with {args.processes} "
            f"worker processes (Cello --processes, nginx worker_processes, uvicorn --workers), unpinned; "
            f"`wrk -t2 -c{args.connections} -d{args.duration}s --latency` on the same machine, unpinned, "
            f"after a {args.warmup}s warm-up. Servers and endpoints take turns, {args.rounds} rounds; each "
            f"row is that server's median round by req/s. CPU and RSS are the whole process tree's."
        )
    return (
        f"# Cello benchmark ({datetime.datetime.now():%Y-%m-%d %H:%M})\n\n"
        f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}. Server on CPU {SERVER_CPU}, "
        f"wrk on CPU {CLIENT_CPU}: `wrk -t1 -c{args.connections} -d{args.duration}s --latency` "
        f"after a {args.warmup}s warm-up. Servers and endpoints take turns, {args.rounds} rounds; "
        f"each row is that server's median round by req/s."
    )


# --------------------------------------------------------------------------- modes


def run_table(args: argparse.Namespace, tmp: Path) -> int:
    """Benchmark every selected server and endpoint; print and save the Markdown report."""
    endpoints = [ENDPOINTS[k] for k in args.endpoints]
    names = list(args.servers)
    if "cello" in names and not args.cello_bin.exists():
        print(f"WARNING: {args.cello_bin} not found, skipping cello", file=sys.stderr)
        names.remove("cello")
    rows = bench_servers(build_servers(names, args.cello_bin, tmp, args.processes, args.cello_before), endpoints,
                         args, tmp)
    report = "\n\n".join([render_header(args), render_table(rows, endpoints), render_ratios(rows, endpoints)]) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


def run_soak(args: argparse.Namespace, tmp: Path, server_name: str = "cello") -> int:
    """Send `args.soak` requests (GET /json and POST /echo alternating); fail if RSS grows > 5 MB."""
    if server_name == "cello" and not args.cello_bin.exists():
        print(f"error: {args.cello_bin} not found", file=sys.stderr)
        return 2
    (server,) = build_servers([server_name], args.cello_bin, tmp)
    script, url = soak_script(tmp), f"http://127.0.0.1:{server.port}/"
    proc = start_server(server, tmp / f"{server.name}.log")
    try:
        check_bodies(server, [ENDPOINTS["json"], ENDPOINTS["echo"]])
        done, errors, rate = 0, 0, None
        baseline = None
        while done < args.soak:
            target = min(SOAK_CHUNK, args.soak - done)
            seconds = 1 if rate is None else max(1, round(target / rate))
            result = run_wrk(url, seconds, args.connections, script, latency=False)
            done, errors, rate = done + result.requests, errors + result.errors, result.requests / seconds
            if baseline is None and done >= min(SOAK_CHUNK, args.soak):
                baseline = rss_mb(proc.pid)
                print(f"RSS after {done:,} requests: {baseline:.1f} MB")
            print(f"   {done:,} / {args.soak:,} requests", file=sys.stderr)
            if proc.poll() is not None:
                print(f"error: {server.name} exited with {proc.returncode}", file=sys.stderr)
                return 1
        final = rss_mb(proc.pid)
    finally:
        stop_server(proc)
    growth = final - (baseline or final)
    print(f"RSS after {done:,} requests: {final:.1f} MB")
    print(f"RSS growth: {growth:+.1f} MB (limit {SOAK_MAX_GROWTH_MB:.0f} MB), errors: {errors}")
    return 1 if growth > SOAK_MAX_GROWTH_MB else 0


# --------------------------------------------------------------------------- CLI


def csv_list(choices: list[str]) -> Any:
    """argparse type: comma-separated subset of `choices`."""

    def parse(text: str) -> list[str]:
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"choose from {','.join(choices)}")
        return items

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    servers = ["cello", "cello+gzip", "cello+mw", "cello+async", "cello+model", "cello+inspect", "nginx", "fastapi", "starlette"]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=10, help="measured seconds per endpoint (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up seconds per endpoint, 0 to skip (default 2)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds: each measures every endpoint on every server; the median is reported (default 3)")
    p.add_argument("--servers", type=csv_list([*servers, "cello-before"]), default=servers,
                   help="subset of " + ",".join(servers) + " (and cello-before, with --cello-before)")
    p.add_argument("--endpoints", type=csv_list(list(ENDPOINTS)), default=list(ENDPOINTS),
                   help="subset of " + ",".join(ENDPOINTS))  # fmt: skip
    p.add_argument("--cello-bin", type=Path, default=REPO / "build" / "cello", help="default build/cello")
    p.add_argument("--cello-before", type=Path, help="another cello build, served as cello-before (before/after)")
    p.add_argument("--out", type=Path, default=BENCH / "results.md", help="default bench/results.md")
    p.add_argument("--processes", type=int, default=1,
                   help="worker processes per server (default 1: pinned server and wrk -t1; more: the seed's "
                        "multi-core set-up, unpinned, wrk -t2)")
    p.add_argument("--soak", type=int, metavar="N", help="only Cello: N requests, fail if RSS grows > 5 MB")
    args = p.parse_args(argv)
    args.cello_bin = args.cello_bin.resolve()
    if "cello-before" in args.servers and not args.cello_before:
        p.error("the cello-before server needs --cello-before PATH")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cello-bench-") as tmp:
        if args.soak:
            return run_soak(args, Path(tmp))
        return run_table(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
