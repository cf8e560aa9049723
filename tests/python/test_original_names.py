"""Every name the original Cello exports imports here (issue 17 item 7): what this version has is
the real thing; what it has not raises NotImplementedError naming the feature when it is used."""
from __future__ import annotations

import importlib

import pytest

import cello
from cello import App
from cello.testing import TestClient

ORIGINAL_ALL = [
    "App", "Blueprint", "Request", "Response", "WebSocket", "WebSocketMessage", "SseEvent", "SseStream", "FormData",
    "UploadedFile", "TimeoutConfig", "LimitsConfig", "ClusterConfig", "TlsConfig", "Http2Config", "Http3Config",
    "JwtConfig", "RateLimitConfig", "SessionConfig", "SecurityHeadersConfig", "CSP", "StaticFilesConfig",
    "OpenTelemetryConfig", "HealthCheckConfig", "DatabaseConfig", "GraphQLConfig", "RedisConfig", "GrpcConfig",
    "KafkaConfig", "RabbitMQConfig", "SqsConfig", "EventSourcingConfig", "CqrsConfig", "SagaConfig",
    "BackgroundTasks", "TemplateEngine", "MiniJinjaEngine", "Depends", "cache", "AsyncClient", "HttpResponse",
    "ProblemDetails", "Guard", "RoleGuard", "PermissionGuard", "Authenticated", "And", "Or", "Not", "GuardError",
    "ForbiddenError", "UnauthorizedError", "Database", "Redis", "Transaction", "transactional",
    "validate_jwt_config", "validate_session_config", "validate_rate_limit_config", "validate_tls_config",
]
SUBMODULES = ["guards", "validation", "database", "graphql", "grpc", "messaging", "cqrs", "eventsourcing", "saga"]


@pytest.mark.parametrize("name", ORIGINAL_ALL)
def test_every_name_imports(name):
    assert getattr(cello, name) is not None
    exec(f"from cello import {name}", {})


def test_ours_are_the_real_thing():
    assert cello.UploadedFile is cello.UploadFile and cello.HttpResponse is cello.Response
    assert cello.Database.__module__ == "cello.db"


@pytest.mark.parametrize("name", ["JwtConfig", "SessionConfig", "GrpcConfig", "KafkaConfig"])
def test_configs_build_and_say_what_they_are(name):
    config = getattr(cello, name)("secret", algorithm="HS256")
    assert "not available in this version" in repr(config)
    assert config.algorithm == "HS256"
    preset = getattr(cello, name).local()  # the original's presets build too (KafkaConfig.local()...)
    assert isinstance(preset, getattr(cello, name))


@pytest.mark.parametrize("name,feature", [("WebSocketMessage", "WebSocket"), ("Redis", "Redis"),
                                          ("AsyncClient", "AsyncClient")])
def test_objects_refuse_to_be_made(name, feature):
    with pytest.raises(NotImplementedError, match=feature):
        getattr(cello, name)()


@pytest.mark.parametrize("method,feature", [("enable_redis", "Redis"), ("enable_grpc", "gRPC"),
                                            ("enable_graphql", "GraphQL"), ("enable_telemetry", "OpenTelemetry")])
def test_app_methods_of_missing_features_say_so(method, feature):
    app = App()
    with pytest.raises(NotImplementedError, match=feature) as raised:
        getattr(app, method)(cello.RedisConfig())
    assert "docs/api.md" in str(raised.value)


def test_the_originals_depends_spellings_inject():
    # The original declared Depends but never injected it; here both of its spellings work.
    app = App()
    app.register_singleton("greeting", "hello")

    def current_user(request):
        return request.headers.get("X-User", "anon")

    @app.get("/me")
    def me(request, user=cello.Depends(current_user), greeting=cello.Depends("greeting")):
        return {"user": user, "greeting": greeting, "path": request.path}

    with TestClient(app) as c:
        assert c.get("/me", headers={"X-User": "ann"}).json() == {"user": "ann", "greeting": "hello", "path": "/me"}


@pytest.mark.parametrize("module", SUBMODULES)
def test_submodules_import(module):
    m = importlib.import_module(f"cello.{module}")
    if module not in ("guards", "database"):
        thing = getattr(m, "AnyName")
        with pytest.raises(NotImplementedError):
            thing()


def test_an_original_app_loads_and_serves_what_it_can():
    from cello import App, Depends, JwtConfig, RateLimitConfig, Response  # noqa: F401 - as such apps do

    jwt = JwtConfig(secret="s")  # built at import time: fine
    app = App()

    @app.get("/")
    def home(request):
        return Response.json({"jwt": repr(jwt).startswith("<JwtConfig")})

    with TestClient(app) as c:
        assert c.get("/").json() == {"jwt": True}
