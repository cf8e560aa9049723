#!/usr/bin/python3
"""`cello bench` against wrk: can the native load generator drive as much load as wrk?
With --http2, `cello bench --http2` against h2load, both on nginx's cleartext HTTP/2 (h2c).

nginx (config from bench/run.py) runs pinned to CPU 0; the clients run one at a time pinned to
CPU 1, both with one thread and the same connections (with --http2 the same streams each). Each
round runs both back to back (the order alternates, so drift on the machine hits both alike). Prints every round, the
medians and the ratio cello/wrk; exits 1 when the ratio of medians is below --target.
Stdlib only; run with /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as harness  # noqa: E402  (bench/run.py: nginx config, server start/stop, wrk parsing)
import tls as tls_bench  # noqa: E402  (bench/tls.py: h2load parsing)


def cello_bench(cello: Path, url: str, seconds: int, connections: int, streams: int = 0) -> float:
    """req/s of one `cello bench` run pinned to the client CPU (HTTP/2 with `streams` > 0)."""
    cmd = ["taskset", "-c", harness.CLIENT_CPU, str(cello), "bench", url, "-t1", f"-c{connections}",
           f"-d{seconds}s", "--json"]  # fmt: skip
    if streams:
        cmd += ["--http2", f"--pipeline={streams}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"cello bench failed ({out.returncode}): {out.stderr or out.stdout}")
    data = json.loads(out.stdout)
    if data["errors"]["total"]:
        print(f"WARNING: cello bench saw errors: {data['errors']}", file=sys.stderr)
    return float(data["requests_per_sec"])


def wrk(url: str, seconds: int, connections: int) -> float:
    result = harness.run_wrk(url, seconds, connections, None, latency=False)
    if result.errors:
        print(f"WARNING: wrk saw {result.errors} errors", file=sys.stderr)
    return result.rps


def h2load(url: str, seconds: int, connections: int, streams: int) -> float:
    rps, _, errors = tls_bench.run_h2load(url, seconds, connections, streams)
    if errors:
        print(f"WARNING: h2load saw {errors} failed requests", file=sys.stderr)
    return rps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7, help="wrk/cello pairs (default 7)")
    p.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    p.add_argument("--connections", type=int, default=50, help="connections, both clients (default 50)")
    p.add_argument("--port", type=int, default=8092, help="the server's port (default 8092)")
    p.add_argument("--target", type=float, default=0.95, help="required cello/wrk ratio (default 0.95)")
    p.add_argument("--http2", action="store_true", help="h2c: cello bench --http2 against h2load")
    p.add_argument("--server", choices=("nginx", "cello"), default="nginx",
                   help="what both load (default nginx; cello: bench/run.py's Cello app, which serves h2c faster)")
    p.add_argument("--streams", type=int, default=10, help="--http2: streams per connection (default 10)")
    p.add_argument("--cello-bin", type=Path, default=harness.REPO / "build" / "cello", help="default build/cello")
    args = p.parse_args(argv)
    cello = args.cello_bin.resolve()
    if not cello.exists():
        print(f"error: {cello} not found", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{args.port}/"
    with tempfile.TemporaryDirectory(prefix="cello-loadgen-") as tmp_name:
        tmp = Path(tmp_name)
        if args.server == "cello":  # one engine thread; HTTP/1.1 and h2c on the same port
            (spec,) = harness.build_servers(["cello"], cello, tmp)
            command = [str(args.port) if a == str(spec.port) else a for a in spec.command]
            server = harness.Server("cello", args.port, command, frozenset(), spec.env)
        else:
            config = harness.nginx_config(tmp, args.port)
            if args.http2:  # cleartext HTTP/2 with prior knowledge only on this port
                config = config.replace(f"listen 127.0.0.1:{args.port};", f"listen 127.0.0.1:{args.port} http2;")
            (tmp / "nginx.conf").write_text(config)
            server = harness.Server("nginx", args.port, ["/usr/sbin/nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                                         "-e", str(tmp / "error.log")], frozenset())  # fmt: skip
        streams = args.streams if args.http2 else 0
        peer_name = "h2load" if args.http2 else "wrk"

        def peer(seconds: int) -> float:
            if args.http2:
                return h2load(url, seconds, args.connections, args.streams)
            return wrk(url, seconds, args.connections)

        proc = harness.start_server(server, tmp / "server.log")
        try:
            peer(1)  # warm-up
            cello_bench(cello, url, 1, args.connections, streams)
            rows: list[tuple[float, float]] = []
            for i in range(args.rounds):
                if i % 2 == 0:
                    w = peer(args.duration)
                    c = cello_bench(cello, url, args.duration, args.connections, streams)
                else:
                    c = cello_bench(cello, url, args.duration, args.connections, streams)
                    w = peer(args.duration)
                rows.append((w, c))
                print(f"round {i + 1}: {peer_name} {w:,.0f} req/s, cello bench {c:,.0f} req/s, ratio {c / w:.3f}",
                      flush=True)
        finally:
            harness.stop_server(proc)
    w_med = statistics.median(w for w, _ in rows)
    c_med = statistics.median(c for _, c in rows)
    pair_med = statistics.median(c / w for w, c in rows)
    ratio = c_med / w_med
    print(f"\n{args.server} on CPU {harness.SERVER_CPU}, clients on CPU {harness.CLIENT_CPU}, -t1 -c{args.connections}"
          f"{f' -m{args.streams} (h2c)' if args.http2 else ''}, {args.duration}s x {args.rounds} rounds each")
    print(f"median {peer_name + ':':<12}{w_med:,.0f} req/s")
    print(f"median cello bench: {c_med:,.0f} req/s")
    print(f"ratio of medians:   {ratio:.3f}  (median of per-round ratios {pair_med:.3f}; target >= {args.target})")
    return 0 if ratio >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
