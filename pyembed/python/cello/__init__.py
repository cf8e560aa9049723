"""Cello: a native (C++) web engine for Python handlers.

>>> from cello import App
>>> app = App()
>>> @app.get("/")
... def home(request):
...     return {"message": "Hello, World!"}
"""
from __future__ import annotations

import atexit

from . import _cello, _elsewhere, _request_body, _request_helpers
from .app import App
from .background import BackgroundTasks
from .blueprints import Blueprint
from .caching import cache
from .cluster import ClusterConfig
from .datastructures import Headers, QueryParams
from .db import Database, DatabaseConfig
from .errors import HTTPError
from .forms import FormData, UploadFile, parse_form
from .websocket import WebSocket, WebSocketDisconnect
from .health import HealthCheckConfig
from .guards import (And, Authenticated, ForbiddenError, Guard, GuardError, Not, Or, PermissionGuard, RoleGuard,
                     UnauthorizedError)
from .middleware import RateLimitConfig
from .params import Depends, RequestValidationError
from .problem import ProblemDetails
from .limits import LimitsConfig, TimeoutConfig
from .response import Response
from .security import CSP, SecurityHeadersConfig
from .templates import Templates
from .http2 import Http2Config
from .redis import RedisConfig
from .tls import TlsConfig, validate_tls_config

Request = _cello.Request
escape = _cello.escape  # html.escape(value, quote=True) in one native pass (str() of a non-str first)
Request.db = property(lambda request: request.app.db, doc="The app's database pool (app.enable_database()).")
_request_helpers.install(Request)
_request_body.install(Request)
__version__: str = _cello.__version__

UploadedFile = UploadFile  # the original's names for ours
HttpResponse = Response
TemplateEngine = MiniJinjaEngine = Templates
for _name in _elsewhere.APP_METHODS:  # what the original's App enables and this version has not
    if not hasattr(App, _name):
        setattr(App, _name, _elsewhere.app_method(_name))


def __getattr__(name: str) -> object:
    """The original Cello's other names (docs/api.md, "Not in this version"): they import; using
    one raises NotImplementedError naming the feature."""
    if name in _elsewhere.NAMES:
        value = _elsewhere.make(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cello' has no attribute {name!r}")


_cello._bind(Response, HTTPError, Headers, QueryParams, parse_form)
atexit.register(_cello._unbind)

__all__ = [
    "Http2Config",
    "RedisConfig",
    "TlsConfig",
    "validate_tls_config",
    "WebSocket",
    "WebSocketDisconnect",
    "HealthCheckConfig",
    "BackgroundTasks",
    "Depends",
    "RequestValidationError",
    "Templates",
    "LimitsConfig",
    "TimeoutConfig",
    "CSP",
    "SecurityHeadersConfig",
    "And",
    "Authenticated",
    "ForbiddenError",
    "Guard",
    "GuardError",
    "Not",
    "Or",
    "PermissionGuard",
    "RoleGuard",
    "UnauthorizedError",
    "App",
    "Blueprint",
    "ClusterConfig",
    "Database",
    "DatabaseConfig",
    "FormData",
    "HTTPError",
    "ProblemDetails",
    "Headers",
    "QueryParams",
    "RateLimitConfig",
    "Request",
    "Response",
    "UploadFile",
    "__version__",
    "cache",
    "escape",
]
