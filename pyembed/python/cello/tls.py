"""HTTPS: :class:`TlsConfig` for ``app.run(tls=...)`` and ``cello run --tls-cert F --tls-key F``.

The engine does TLS with OpenSSL (docs/tls.md): TLS 1.2 and 1.3 only, forward-secret AEAD ciphers,
session resumption, client certificates (mTLS) and a reload of the files on SIGHUP.
"""
from __future__ import annotations

import os
from typing import Any

from . import _cello

__all__ = ["TlsConfig", "validate_tls_config"]

_VERSIONS = ("1.2", "1.3")


def _version(value: Any, name: str) -> str:
    text = str(value)
    if text in ("1.0", "1.1"):
        raise ValueError(f"{name}={text!r}: TLS 1.0 and 1.1 are not offered (they are insecure); use '1.2' or '1.3'")
    if text not in _VERSIONS:
        raise ValueError(f"{name} must be '1.2' or '1.3', not {value!r}")
    return text


class TlsConfig:
    """What the server's TLS is made of, as the original Cello spells it.

    `cert_path`: PEM file with the server's certificate followed by its chain. `key_path`: its
    private key (PEM, not encrypted). `ca_path`: PEM file (or directory) of the CAs whose client
    certificates are accepted; with it a client may present a certificate, and with
    `require_client_cert=True` it must (mTLS). `min_version`/`max_version`: "1.2" or "1.3".
    Handlers see what was negotiated in ``request.tls`` (the client certificate's subject too).
    """

    def __init__(self, cert_path: str | os.PathLike[str], key_path: str | os.PathLike[str],
                 ca_path: str | os.PathLike[str] | None = None, min_version: str = "1.2",
                 max_version: str = "1.3", require_client_cert: bool = False) -> None:
        self.cert_path = os.fspath(cert_path)
        self.key_path = os.fspath(key_path)
        self.ca_path = None if ca_path is None else os.fspath(ca_path)
        self.min_version = _version(min_version, "min_version")
        self.max_version = _version(max_version, "max_version")
        self.require_client_cert = bool(require_client_cert)
        self.settings()  # the remaining checks, at once

    def settings(self) -> dict[str, Any]:
        """The engine's settings (checked again: the attributes are writable)."""
        min_version = _version(self.min_version, "min_version")
        max_version = _version(self.max_version, "max_version")
        if min_version > max_version:
            raise ValueError(f"min_version {min_version!r} is above max_version {max_version!r}")
        if self.require_client_cert and not self.ca_path:
            raise ValueError("require_client_cert=True needs ca_path: the CAs that sign the accepted client certificates")
        return {"cert_path": os.fspath(self.cert_path), "key_path": os.fspath(self.key_path),
                "ca_path": os.fspath(self.ca_path) if self.ca_path else "", "min_version": min_version,
                "max_version": max_version, "require_client_cert": bool(self.require_client_cert)}

    def __repr__(self) -> str:
        extra = f", ca_path={self.ca_path!r}" if self.ca_path else ""
        if self.require_client_cert:
            extra += ", require_client_cert=True"
        return (f"TlsConfig(cert_path={self.cert_path!r}, key_path={self.key_path!r}{extra}, "
                f"min_version={self.min_version!r}, max_version={self.max_version!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TlsConfig) and self.settings() == other.settings()

    __hash__ = None  # type: ignore[assignment]  (mutable)


def validate_tls_config(config: TlsConfig) -> None:
    """Raises ValueError naming the file and the problem (missing, unreadable, not PEM, an
    encrypted key, a key that does not match the certificate) unless the server could start
    with `config`; the check the server makes at start."""
    if not isinstance(config, TlsConfig):
        raise ValueError(f"expected a cello.TlsConfig, not {type(config).__name__}")
    if not _cello.HAS_TLS:
        raise ValueError("TLS is not in this build of Cello (Windows builds have no OpenSSL yet; docs/tls.md)")
    _cello.check_tls(config.settings())
