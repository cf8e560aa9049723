"""The original Cello's security-header builders, feeding app.enable_security_headers():

>>> csp = CSP().default_src(["'self'"]).script_src(["'self'", "cdn.example.com"]).frame_ancestors(["'none'"])
>>> app.enable_security_headers(SecurityHeadersConfig.secure(), csp=csp)
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_TOKEN = re.compile(r"^[^;,\r\n\x00]+$")  # a source expression: no directive or header separators

# Every fetch, document and navigation directive of CSP Level 3 (the builder's methods).
DIRECTIVES = (
    "default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem",
    "style-src-attr", "img-src", "font-src", "connect-src", "media-src", "object-src", "frame-src", "child-src",
    "worker-src", "manifest-src", "prefetch-src", "base-uri", "form-action", "frame-ancestors", "sandbox",
    "report-uri", "report-to", "require-trusted-types-for", "trusted-types",
)
FLAGS = ("upgrade-insecure-requests", "block-all-mixed-content")


class CSP:
    """A Content-Security-Policy, one method per directive (``default_src``, ``font_src``,
    ``connect_src``, ``frame_ancestors``...), each taking a list of sources; ``build()`` gives the
    header value."""

    def __init__(self) -> None:
        self._directives: dict[str, list[str]] = {}

    def directive(self, name: str, sources: Iterable[str] = ()) -> CSP:
        """Sets directive `name` (``"font-src"``) to `sources`; returns the builder."""
        if name not in DIRECTIVES and name not in FLAGS:
            raise ValueError(f"unknown CSP directive {name!r}")
        values = [sources] if isinstance(sources, str) else [str(s) for s in sources]
        for value in values:
            if not _TOKEN.match(value):
                raise ValueError(f"bad CSP source {value!r} for {name}")
        self._directives[name] = values
        return self

    def build(self) -> str:
        """The header value: directives in the order they were set."""
        return "; ".join(" ".join([name, *values]) for name, values in self._directives.items())

    def __str__(self) -> str:
        return self.build()

    def __getattr__(self, attr: str):  # default_src(...) and the rest
        name = attr.replace("_", "-")
        if name in FLAGS:
            return lambda: self.directive(name)
        if name in DIRECTIVES:
            return lambda sources=(): self.directive(name, sources)
        raise AttributeError(attr)


class SecurityHeadersConfig:
    """The original's security headers, as settings of enable_security_headers()."""

    def __init__(self, x_frame_options: str | None = "DENY", x_content_type_options: bool = True,
                 x_xss_protection: str | None = "1; mode=block",
                 referrer_policy: str | None = "strict-origin-when-cross-origin", hsts_max_age: int | None = None,
                 hsts_include_subdomains: bool = False, hsts_preload: bool = False) -> None:
        self.x_frame_options = x_frame_options
        self.x_content_type_options = x_content_type_options
        self.x_xss_protection = x_xss_protection
        self.referrer_policy = referrer_policy
        self.hsts_max_age = hsts_max_age
        self.hsts_include_subdomains = hsts_include_subdomains
        self.hsts_preload = hsts_preload

    @classmethod
    def secure(cls) -> SecurityHeadersConfig:
        """With HSTS for a year, subdomains included."""
        return cls(hsts_max_age=31536000, hsts_include_subdomains=True)

    def headers(self) -> dict[str, str | None]:
        """Header name → value (None: not sent)."""
        hsts = None
        if self.hsts_max_age is not None:
            hsts = f"max-age={int(self.hsts_max_age)}"
            if self.hsts_include_subdomains:
                hsts += "; includeSubDomains"
            if self.hsts_preload:
                hsts += "; preload"
        return {"X-Frame-Options": self.x_frame_options,
                "X-Content-Type-Options": "nosniff" if self.x_content_type_options else None,
                "X-XSS-Protection": self.x_xss_protection, "Referrer-Policy": self.referrer_policy,
                "Strict-Transport-Security": hsts}
