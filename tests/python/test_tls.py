"""HTTPS (docs/tls.md) with real clients: Python's ssl (http.client, python3-websockets), curl,
`openssl s_client` and sslscan. Certificates are made here by the openssl command, in a temporary
directory: a CA, server certificates it signs, client certificates for mTLS (and one from another
CA), a key that matches nothing and an encrypted key. Each server keeps serving after the bad
handshakes sent to it.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import support

import cello
import websockets  # python3-websockets


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d: Path, name: str) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/O=Cello Tests/CN={name}", cwd=d)


def make_signed(d: Path, name: str, ca: str, subject: str, san: str | None = None) -> None:
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
    extra = ["-extfile", f"{name}.ext"] if san else []
    if san:
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.pem", *extra, cwd=d)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    make_signed(d, "server", "ca", "/CN=first", "DNS:localhost,IP:127.0.0.1")
    make_signed(d, "renewed", "ca", "/CN=renewed", "DNS:localhost,IP:127.0.0.1")
    make_signed(d, "alice", "ca", "/O=Cello Tests/CN=alice")
    make_signed(d, "mallory", "rogue-ca", "/CN=mallory")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "stray.key", cwd=d)
    openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted.key", cwd=d)
    (d / "garbage.pem").write_text("not a certificate\n")
    return d


def tls_env(certs: Path, **extra: str) -> dict[str, str]:
    env = {"TLS_CERT": str(certs / "server.pem"), "TLS_KEY": str(certs / "server.key")}
    env.update(extra)
    return env


def client_context(certs: Path, cert: str | None = None, **kw) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if cert:
        ctx.load_cert_chain(str(certs / f"{cert}.pem"), str(certs / f"{cert}.key"))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def https_get(port: int, path: str, ctx: ssl.SSLContext, conn: http.client.HTTPSConnection | None = None):
    own = conn is None
    conn = conn or http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        if own:
            conn.close()


def peer_subject(port: int, certs: Path) -> str:
    """The CN of the certificate the server presents to a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_context(certs).wrap_socket(raw, server_hostname="localhost") as s:
            return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]


@pytest.fixture(scope="module")
def server(certs) -> Iterator[support.Server]:
    with support.running("tls_app.py", "--no-logs", via="python", env=tls_env(certs, HEADER_TIMEOUT="1")) as s:
        yield s


def still_serving(server, certs) -> None:
    status, body = https_get(server.port, "/ok", client_context(certs))
    assert (status, body) == (200, b"ok"), server.stderr[-3000:]


# --- serving ---


def test_https_requests_on_one_connection_see_what_tls_negotiated(server, certs):
    assert "routes on https://" in server.banner
    conn = http.client.HTTPSConnection("localhost", server.port, context=client_context(certs), timeout=10)
    try:
        for _ in range(3):  # keep-alive: one handshake, three requests
            status, body = https_get(server.port, "/", None, conn)
            assert status == 200
            seen = json.loads(body)
            assert seen["scheme"] == "https" and seen["secure"] is True
            tls = seen["tls"]
            assert tls["version"] == "TLSv1.3" and tls["cipher"].startswith("TLS_")
            assert tls["alpn"] is None  # http.client offers no ALPN
            assert tls["server_name"] == "localhost" and tls["client_subject"] is None
        conn.request("POST", "/echo", body=b"x" * 300_000)  # a body of many TLS records
        resp = conn.getresponse()
        assert json.loads(resp.read()) == {"size": 300_000}
    finally:
        conn.close()


def test_curl_over_https_with_alpn(server, certs):
    for flag, version, alpn in (("--http1.1", "1.1", "http/1.1"), ("--http2", "2", "h2")):
        out = subprocess.run(["curl", "-sS", flag, "--cacert", str(certs / "ca.pem"), "-w",
                              "\n%{http_version} %{ssl_verify_result}", f"https://localhost:{server.port}/"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        body, _, tail = out.rpartition("\n")
        assert tail == f"{version} 0"
        assert json.loads(body)["tls"]["alpn"] == alpn


def test_tls_1_0_and_1_1_are_refused_and_1_2_uses_a_forward_secret_aead_cipher(server, certs):
    for flag in ("-tls1", "-tls1_1"):
        done = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", flag],
                              input=b"", capture_output=True, timeout=30)
        assert done.returncode != 0
        assert b"Cipher is (NONE)" in done.stdout, done.stdout[-2000:]
    ctx = client_context(certs, maximum_version=ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() == "TLSv1.2"
            name, _, _ = s.cipher()
            assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name)
    still_serving(server, certs)


def test_sessions_resume(server, certs):
    ctx = client_context(certs)
    conn = http.client.HTTPSConnection("localhost", server.port, context=ctx, timeout=10)
    https_get(server.port, "/", None, conn)  # the ticket arrives with the first answer (TLS 1.3)
    session = conn.sock.session
    conn.close()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            assert s.session_reused
    assert json.loads(data.split(b"\r\n\r\n", 1)[1])["tls"]["resumed"] is True


def test_wss_echo(server, certs):
    async def go():
        async with websockets.connect(f"wss://localhost:{server.port}/ws", ssl=client_context(certs)) as ws:
            for text in ("hello", "é" * 100_000):
                await ws.send(text)
                assert await ws.recv() == text
    asyncio.run(asyncio.wait_for(go(), 30))
    still_serving(server, certs)


def test_plain_http_garbage_and_a_silent_client_are_closed(server, certs):
    with support.RawConnection(server.port) as c:  # cleartext HTTP to the TLS port
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.closed_by_peer(10)
    with support.RawConnection(server.port) as c:  # a handshake that never comes: the header timeout (1 s)
        assert c.closed_by_peer(15)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:  # a client that rejects us
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    still_serving(server, certs)


def test_sslscan_finds_no_weak_protocol_or_cipher(server):
    if shutil.which("sslscan") is None:
        pytest.fail("sslscan is missing (tools/dev.sh installs it)")
    out = subprocess.run(["sslscan", "--no-colour", f"127.0.0.1:{server.port}"], capture_output=True, text=True,
                         timeout=120).stdout
    for old in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"):
        assert f"{old}     disabled" in out or f"{old}   disabled" in out, out
    accepted = [line.split() for line in out.splitlines() if line.startswith(("Accepted", "Preferred"))]
    assert accepted, out
    for fields in accepted:
        version, cipher = fields[1], fields[4]
        assert version in ("TLSv1.2", "TLSv1.3"), fields
        assert cipher.startswith("TLS_") or (cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)), fields
    assert "Session renegotiation not supported" in out


# --- client certificates ---


def test_mtls_requires_a_certificate_from_the_ca_and_shows_its_subject(certs):
    env = tls_env(certs, TLS_CA=str(certs / "ca.pem"), TLS_REQUIRE="1")
    with support.running("tls_app.py", "--no-logs", via="python", env=env) as s:
        status, body = https_get(s.port, "/", client_context(certs, "alice"))
        tls = json.loads(body)["tls"]
        assert status == 200 and tls["client_subject"] == "CN=alice,O=Cello Tests"
        assert tls["client_issuer"] == "CN=ca,O=Cello Tests"
        for who in (None, "mallory"):  # no certificate, or one from another CA
            with pytest.raises((ssl.SSLError, ConnectionError)):
                https_get(s.port, "/", client_context(certs, who))
        assert https_get(s.port, "/ok", client_context(certs, "alice")) == (200, b"ok")


def test_a_ca_without_require_makes_the_certificate_optional(certs):
    env = tls_env(certs, TLS_CA=str(certs / "ca.pem"))
    with support.running("tls_app.py", "--no-logs", via="python", env=env) as s:
        assert json.loads(https_get(s.port, "/", client_context(certs))[1])["tls"]["client_subject"] is None
        assert json.loads(https_get(s.port, "/", client_context(certs, "alice"))[1])["tls"]["client_subject"] == \
            "CN=alice,O=Cello Tests"
        with pytest.raises((ssl.SSLError, ConnectionError)):  # one that is sent must verify
            https_get(s.port, "/", client_context(certs, "mallory"))


def test_min_version_1_3_refuses_tls_1_2(certs):
    with support.running("tls_app.py", "--no-logs", via="python", env=tls_env(certs, TLS_MIN="1.3")) as s:
        with pytest.raises(ssl.SSLError):
            https_get(s.port, "/", client_context(certs, maximum_version=ssl.TLSVersion.TLSv1_2))
        assert https_get(s.port, "/ok", client_context(certs)) == (200, b"ok")


# --- start and reload ---


@pytest.mark.parametrize("cert,key,message", [
    ("missing.pem", "server.key", "TLS certificate '{d}/missing.pem' cannot be read: No such file or directory"),
    ("garbage.pem", "server.key", "TLS certificate '{d}/garbage.pem' holds no usable PEM certificate"),
    ("server.pem", "stray.key", "TLS private key '{d}/stray.key' does not match the certificate '{d}/server.pem'"),
    ("server.pem", "encrypted.key", "TLS private key '{d}/encrypted.key' holds no PEM private key, or an encrypted one"),
    ("server.pem", None, "HTTPS needs both --tls-cert and --tls-key"),
])
def test_bad_files_stop_the_start_with_a_clear_error(certs, cert, key, message):
    args = ["--tls-cert", str(certs / cert)] + (["--tls-key", str(certs / key)] if key else [])
    done = support.run_cli("run", support.app_path("tls_app.py"), "--port", "0", *args, timeout=60)
    assert done.returncode != 0
    assert message.format(d=certs) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_sighup_reloads_the_certificate_without_dropping_connections(certs, tmp_path):
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(certs / "server.pem", live_cert)
    shutil.copy(certs / "server.key", live_key)
    with support.running("tls_app.py", "--no-logs", "--tls-cert", str(live_cert), "--tls-key", str(live_key)) as s:
        assert peer_subject(s.port, certs) == "first"
        conn = http.client.HTTPSConnection("localhost", s.port, context=client_context(certs), timeout=10)
        assert https_get(s.port, "/ok", None, conn) == (200, b"ok")
        shutil.copy(certs / "renewed.pem", live_cert)
        shutil.copy(certs / "renewed.key", live_key)
        s.signal(signal.SIGHUP)
        assert s.wait_for_stderr("TLS certificate and key reloaded"), s.stderr
        assert https_get(s.port, "/ok", None, conn) == (200, b"ok")  # the open connection goes on
        conn.close()
        assert peer_subject(s.port, certs) == "renewed"
        shutil.copy(certs / "stray.key", live_key)  # a key that does not match: the renewed pair stays
        s.signal(signal.SIGHUP)
        assert s.wait_for_stderr("the TLS files were not reloaded, the old ones stay in use"), s.stderr
        assert peer_subject(s.port, certs) == "renewed"


def test_cluster_workers_serve_tls_and_a_rolling_restart_takes_the_new_certificate(certs, tmp_path):
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(certs / "server.pem", live_cert)
    shutil.copy(certs / "server.key", live_key)
    with support.running("tls_app.py", "--no-logs", "--processes", "2", "--tls-cert", str(live_cert),
                         "--tls-key", str(live_key)) as s:
        assert "routes on https://" in s.banner
        assert all(https_get(s.port, "/ok", client_context(certs)) == (200, b"ok") for _ in range(6))
        shutil.copy(certs / "renewed.pem", live_cert)
        shutil.copy(certs / "renewed.key", live_key)
        s.signal(signal.SIGHUP)
        assert support.wait_until(lambda: all(peer_subject(s.port, certs) == "renewed" for _ in range(4)), timeout=60), \
            s.stderr


# --- the Python API ---


def test_tls_config_checks_what_it_is_given(certs):
    config = cello.TlsConfig(certs / "server.pem", certs / "server.key")
    assert config.cert_path == str(certs / "server.pem") and config.min_version == "1.2" and config.max_version == "1.3"
    assert "server.pem" in repr(config)
    cello.validate_tls_config(config)
    with pytest.raises(ValueError, match="TLS 1.0 and 1.1 are not offered"):
        cello.TlsConfig("c", "k", min_version="1.1")
    with pytest.raises(ValueError, match="require_client_cert=True needs ca_path"):
        cello.TlsConfig("c", "k", require_client_cert=True)
    with pytest.raises(ValueError, match="above max_version"):
        cello.TlsConfig("c", "k", min_version="1.3", max_version="1.2")
    with pytest.raises(ValueError, match="cannot be read"):
        cello.validate_tls_config(cello.TlsConfig(certs / "nope.pem", certs / "server.key"))


# --- the inspector ---


def test_the_inspector_records_each_requests_protocol_and_tls_version(certs):
    env = tls_env(certs, CELLO_INSPECT_TOKEN="t" * 32)
    with support.running("tls_app.py", "--no-logs", "--inspect=127.0.0.1:0", via="python", env=env) as s:
        m = re.search(r"inspector on http://([\d.]+):(\d+)/inspect/v1", s.stderr)
        assert m, s.stderr
        conn = http.client.HTTPSConnection("localhost", s.port, context=client_context(certs), timeout=10)
        https_get(s.port, "/ok", None, conn)
        conn.close()
        https_get(s.port, "/ok", client_context(certs, maximum_version=ssl.TLSVersion.TLSv1_2))

        def rows():
            reply = support.request(int(m.group(2)), "GET", "/inspect/v1/snapshot", host=m.group(1),
                                    headers={"Authorization": "Bearer " + "t" * 32})
            return [r for r in reply.json()["requests"] if r["path"] == "/ok"]
        seen = support.wait_until(lambda: len(rows()) == 2 and rows())
        assert [(r["protocol"], r["tls"]) for r in seen] == [("HTTP/1.1", "TLSv1.3"), ("HTTP/1.1", "TLSv1.2")]


# --- cello bench https:// ---


def test_cello_bench_over_https_keep_alive_and_a_handshake_per_request(server):
    for extra in ([], ["-H", "Connection: close"]):  # the second: a new TLS connection for each request
        done = support.run_cli("bench", f"https://localhost:{server.port}/ok", "-c", "4", "-d", "1s", "--json", *extra,
                               timeout=60)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["requests"] > 20 and report["errors"]["total"] == 0, report["errors"]
        assert report["status"]["2xx"] == report["requests"]
