#!/usr/bin/python3
"""HTTPS and HTTP/2: Cello vs nginx with the same certificate (ECDSA P-256, made here by openssl), in one run.

Rows: keep-alive `GET /` and `GET /json` over TLS 1.3 (wrk, 50 connections), new TLS connections
per second (wrk with `Connection: close`: every request is a new connection and a full handshake;
wrk resumes no session), and HTTP/2 `GET /` with `h2load -c 50 -m 10` (50 connections, 10 streams
each) over TLS (h2 by ALPN) and in cleartext (h2c, prior knowledge). Each server runs pinned to CPU 0 with one worker (nginx:
one worker process, `ssl_session_cache` and tickets as Cello has them), wrk pinned to CPU 1; the
servers take turns, --rounds times, and each row is the median round. Reports requests per second,
the server's CPU µs per request (utime + stime from /proc) and the ratio to nginx.

    /usr/bin/python3 bench/tls.py [--duration 5] [--rounds 3] [--cello-bin build/cello]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import (APPS, CLIENT_CPU, HOME, USERS, Server, cpu_seconds, nginx_config, run_wrk,  # noqa: E402
                 start_server, stop_server)

ROWS = (("GET / (keep-alive)", "/", (), 50), ("GET /json (keep-alive)", "/json", (), 50),
        ("new TLS connections (handshake + GET /)", "/", (("Connection", "close"),), 50),
        ("h2 GET / (h2load -m 10)", "/", "h2", 50), ("h2c GET / (h2load -m 10)", "/", "h2c", 50))
H2C_PORT_OFFSET = 10  # nginx's cleartext HTTP/2 port: its TLS port + 10 (Cello's h2c rows: a second process, 8461)


def make_certificate(d: Path) -> tuple[Path, Path]:
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def nginx_tls_config(d: Path, port: int, cert: Path, key: Path) -> str:
    """bench/run.py's nginx config (the same answers), listening with TLS (h2 and HTTP/1.1) and, on
    port + 10, cleartext HTTP/2 (h2c)."""
    text = nginx_config(d, port)
    tls = (f"listen 127.0.0.1:{port} ssl http2;\n        listen 127.0.0.1:{port + H2C_PORT_OFFSET} http2;\n"
           f"        ssl_certificate {cert};\n        ssl_certificate_key {key};\n"
           "        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:SSL:10m;\n"
           "        ssl_session_tickets on;")
    return text.replace(f"listen 127.0.0.1:{port};", tls)


def run_h2load(url: str, seconds: int, connections: int, streams: int = 10) -> tuple[float, int, int]:
    """(requests/s, requests done, failed + errored) of `h2load -c N -m 10` pinned to CPU 1."""
    out = subprocess.run(["taskset", "-c", CLIENT_CPU, "h2load", "-c", str(connections), "-m", str(streams),
                          "-D", str(seconds),
                          "--warm-up-time=1", url], capture_output=True, text=True, timeout=seconds + 60).stdout
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, (\d+) errored", out)
    rate = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out)
    if not done or not rate:
        raise RuntimeError(f"cannot parse h2load's output:\n{out}")
    return float(rate.group(1)), int(done.group(1)), int(done.group(2)) + int(done.group(3))


def measure(port: int, proc, path: str, how: object, conns: int, seconds: int) -> tuple[float, float, int]:
    """(requests/s, server CPU µs per request, errors) of one row against the server on `port`."""
    before = cpu_seconds(proc.pid)
    if how in ("h2", "h2c"):
        scheme = "https" if how == "h2" else "http"
        rps, requests, errors = run_h2load(f"{scheme}://127.0.0.1:{port}{path}", seconds, conns)
    else:
        w = run_wrk(f"https://127.0.0.1:{port}{path}", seconds, conns, None, False, how)
        rps, requests, errors = w.rps, w.requests, w.errors
    cpu_us = (cpu_seconds(proc.pid) - before) / max(requests, 1) * 1e6
    return rps, cpu_us, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cello-bin", default=str(ROOT / "build" / "cello"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cert, key = make_certificate(tmp)
        (tmp / "nginx").mkdir()
        (tmp / "nginx" / "nginx.conf").write_text(nginx_tls_config(tmp / "nginx", 8452, cert, key))

        def cello(port: int, *tls: str) -> list[str]:
            return [args.cello_bin, "run", str(APPS / "cello_app.py"), "--host", "127.0.0.1", "--port", str(port),
                    "--workers", "1", "--processes", "1", "--env", "production", "--no-logs", *tls]

        cello_tls = Server("cello", 8451, cello(8451, "--tls-cert", str(cert), "--tls-key", str(key)), frozenset())
        cello_h2c = Server("cello", 8461, cello(8461), frozenset())  # the same app, cleartext (h2c rows)
        nginx = Server("nginx", 8452, ["/usr/sbin/nginx", "-p", str(tmp / "nginx"), "-c", str(tmp / "nginx" / "nginx.conf"),
                                       "-e", str(tmp / "nginx" / "error.log")], frozenset())
        procs = {8451: start_server(cello_tls, tmp / "cello.log"), 8461: start_server(cello_h2c, tmp / "cello-h2c.log"),
                 8452: start_server(nginx, tmp / "nginx.log")}
        # Per row: which (name, url port, process port) pairs run it.
        def targets(how: object) -> list[tuple[str, int, int]]:
            if how == "h2c":
                return [("cello", 8461, 8461), ("nginx", 8452 + H2C_PORT_OFFSET, 8452)]
            return [("cello", 8451, 8451), ("nginx", 8452, 8452)]

        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        try:
            for port in (8451, 8452):  # both answer the same bytes
                for path, expected in (("/json", USERS), ("/", HOME)):
                    out = subprocess.run(["curl", "-sk", f"https://127.0.0.1:{port}{path}"], capture_output=True, text=True)
                    assert json.loads(out.stdout) == expected, (port, out.stdout[:200])
            for r in range(args.rounds + 1):  # round 0 warms up and is not kept
                for label, path, how, conns in ROWS:
                    for name, url_port, proc_port in targets(how):
                        rps, cpu_us, errors = measure(url_port, procs[proc_port], path, how, conns,
                                                      args.duration if r else 1)
                        if r == 0:
                            continue
                        results.setdefault((label, name), []).append((rps, cpu_us, errors))
                        print(f"round {r} {label} {name}: {rps:,.0f} req/s, {cpu_us:.1f} µs CPU/req, errors {errors}",
                              file=sys.stderr, flush=True)
        finally:
            for p in procs.values():
                stop_server(p)
    print("| row (pinned: server CPU 0, client CPU 1) | server | requests/s | CPU µs/request | errors | vs nginx |")
    print("|---|---|---|---|---|---|")
    for label, _, how, conns in ROWS:
        medians = {}
        for name in ("cello", "nginx"):
            runs = results[(label, name)]
            medians[name] = (statistics.median(x[0] for x in runs), statistics.median(x[1] for x in runs),
                             max(x[2] for x in runs))
        for name in ("cello", "nginx"):
            rps, cpu, errors = medians[name]
            print(f"| {label}, {conns} connections | {name} | {rps:,.0f} | {cpu:.1f} | {errors} | "
                  f"{rps / medians['nginx'][0]:.2f}× |")


if __name__ == "__main__":
    main()
