#!/usr/bin/python3
"""HTTPS: Cello vs nginx with the same certificate (ECDSA P-256, made here by openssl), in one run.

Rows: keep-alive `GET /` and `GET /json` over TLS 1.3 (wrk, 50 connections), and new TLS
connections per second (wrk with `Connection: close`: every request is a new connection and a
full handshake; wrk resumes no session). Each server runs pinned to CPU 0 with one worker (nginx:
one worker process, `ssl_session_cache` and tickets as Cello has them), wrk pinned to CPU 1; the
servers take turns, --rounds times, and each row is the median round. Reports requests per second,
the server's CPU µs per request (utime + stime from /proc) and the ratio to nginx.

    /usr/bin/python3 bench/tls.py [--duration 5] [--rounds 3] [--cello-bin build/cello]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import (APPS, HOME, USERS, Server, cpu_seconds, nginx_config, run_wrk, start_server,  # noqa: E402
                 stop_server)

ROWS = (("GET / (keep-alive)", "/", (), 50), ("GET /json (keep-alive)", "/json", (), 50),
        ("new TLS connections (handshake + GET /)", "/", (("Connection", "close"),), 50))


def make_certificate(d: Path) -> tuple[Path, Path]:
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def nginx_tls_config(d: Path, port: int, cert: Path, key: Path) -> str:
    """bench/run.py's nginx config (the same answers), listening with TLS instead."""
    text = nginx_config(d, port)
    tls = (f"listen 127.0.0.1:{port} ssl;\n        ssl_certificate {cert};\n        ssl_certificate_key {key};\n"
           "        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:SSL:10m;\n"
           "        ssl_session_tickets on;")
    return text.replace(f"listen 127.0.0.1:{port};", tls)


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
        servers = [
            Server("cello", 8451, [args.cello_bin, "run", str(APPS / "cello_app.py"), "--host", "127.0.0.1", "--port",
                                   "8451", "--workers", "1", "--processes", "1", "--env", "production", "--no-logs",
                                   "--tls-cert", str(cert), "--tls-key", str(key)], frozenset()),
            Server("nginx", 8452, ["/usr/sbin/nginx", "-p", str(tmp / "nginx"), "-c", str(tmp / "nginx" / "nginx.conf"),
                                   "-e", str(tmp / "nginx" / "error.log")], frozenset()),
        ]
        procs = {s.name: start_server(s, tmp / f"{s.name}.log") for s in servers}
        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        try:
            for s in servers:  # warm up, and check both answer the same bytes
                for label, path, headers, conns in ROWS:
                    run_wrk(f"https://127.0.0.1:{s.port}{path}", 1, conns, None, False, headers)
                out = subprocess.run(["curl", "-sk", f"https://127.0.0.1:{s.port}/json"], capture_output=True, text=True)
                assert out.stdout and __import__("json").loads(out.stdout) == USERS, (s.name, out.stdout[:200])
                out = subprocess.run(["curl", "-sk", f"https://127.0.0.1:{s.port}/"], capture_output=True, text=True)
                assert __import__("json").loads(out.stdout) == HOME, (s.name, out.stdout[:200])
            for r in range(args.rounds):
                for label, path, headers, conns in ROWS:
                    for s in servers:
                        pid = procs[s.name].pid
                        before = cpu_seconds(pid)
                        w = run_wrk(f"https://127.0.0.1:{s.port}{path}", args.duration, conns, None, False, headers)
                        cpu_us = (cpu_seconds(pid) - before) / max(w.requests, 1) * 1e6
                        results.setdefault((label, s.name), []).append((w.rps, cpu_us, w.errors))
                        print(f"round {r + 1} {label} {s.name}: {w.rps:,.0f} req/s, {cpu_us:.1f} µs CPU/req, "
                              f"errors {w.errors}", file=sys.stderr, flush=True)
        finally:
            for p in procs.values():
                stop_server(p)
    print(f"| row (wrk, 1 thread, pinned) | server | requests/s | CPU µs/request | errors | vs nginx |")
    print("|---|---|---|---|---|---|")
    for label, _, _, conns in ROWS:
        medians = {}
        for s in servers:
            runs = results[(label, s.name)]
            medians[s.name] = (statistics.median(x[0] for x in runs), statistics.median(x[1] for x in runs),
                               max(x[2] for x in runs))
        for s in servers:
            rps, cpu, errors = medians[s.name]
            print(f"| {label}, {conns} connections | {s.name} | {rps:,.0f} | {cpu:.1f} | {errors} | "
                  f"{rps / medians['nginx'][0]:.2f}× |")


if __name__ == "__main__":
    main()
