"""Names of the original Cello that this version does not have: importable, so that an app written
for the original loads, and refusing with NotImplementedError, naming the feature, when it is used
(constructed, enabled, called). docs/api.md lists them under "Not in this version"."""
from __future__ import annotations

from typing import Any, NoReturn

DOCS = "docs/api.md, 'Not in this version'"


def refuse(feature: str) -> NoReturn:
    raise NotImplementedError(f"{feature} is not available in this version of Cello ({DOCS})")


class _ConfigType(type):
    """The original's config classes have presets (`RedisConfig.local()`, `.kubernetes()`...):
    any such class attribute builds an instance."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: cls(*args, **kwargs)


class UnavailableConfig(metaclass=_ConfigType):
    """A configuration of a feature this version does not have: it takes the original's arguments
    (any), so that building one succeeds; enabling the feature with it raises."""

    feature = "this feature"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs

    def __getattr__(self, name: str) -> Any:
        kwargs = self.__dict__.get("kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"{type(self).__name__}.{name}: {self.feature} is not available in this version")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.feature} is not available in this version>"


class Unavailable:
    """An object of a feature this version does not have: making one raises."""

    feature = "this feature"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        refuse(self.feature)


class Placeholder:
    """A parameter default the original injected (Depends): allowed in a signature, refused when
    the route is registered."""

    feature = "this feature"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


def config(name: str, feature: str) -> type:
    return type(name, (UnavailableConfig,), {"feature": feature, "__doc__": f"{feature}: not in this version."})


def thing(name: str, feature: str) -> type:
    return type(name, (Unavailable,), {"feature": feature, "__doc__": f"{feature}: not in this version."})


def function(name: str, feature: str) -> Any:
    def unavailable(*args: Any, **kwargs: Any) -> NoReturn:
        refuse(feature)

    unavailable.__name__ = unavailable.__qualname__ = name
    unavailable.__doc__ = f"{feature}: not in this version."
    return unavailable


# name -> (kind, feature). Kinds: config (constructible, refused when enabled), object (refused when
# made), function (refused when called), placeholder (refused when a route uses it).
NAMES: dict[str, tuple[str, str]] = {
    "WebSocketMessage": ("object", "WebSocket"),
    "SseEvent": ("object", "SseEvent (use Response.sse)"),
    "SseStream": ("object", "SseStream (use Response.sse)"),
    "Http3Config": ("config", "HTTP/3"),
    "JwtConfig": ("config", "JWT authentication"),
    "SessionConfig": ("config", "Sessions"),
    "StaticFilesConfig": ("config", "StaticFilesConfig (use app.static())"),
    "OpenTelemetryConfig": ("config", "OpenTelemetry export"),
    "GraphQLConfig": ("config", "GraphQL"),
    "GrpcConfig": ("config", "gRPC"),
    "KafkaConfig": ("config", "Kafka messaging"),
    "RabbitMQConfig": ("config", "RabbitMQ messaging"),
    "SqsConfig": ("config", "SQS messaging"),
    "EventSourcingConfig": ("config", "Event sourcing"),
    "CqrsConfig": ("config", "CQRS"),
    "SagaConfig": ("config", "Sagas"),
    "AsyncClient": ("object", "The HTTP client AsyncClient"),
    "Redis": ("object", "Redis"),
    "Transaction": ("object", "Transaction (use `async with db.transaction():`)"),
    "transactional": ("function", "@transactional (use `async with db.transaction():`)"),
    "validate_jwt_config": ("function", "validate_jwt_config"),
    "validate_session_config": ("function", "validate_session_config"),
    "validate_rate_limit_config": ("function", "validate_rate_limit_config"),
}

# App methods of the original that enable what this version does not have.
APP_METHODS: dict[str, str] = {
    "enable_redis": "Redis", "enable_grpc": "gRPC", "add_grpc_service": "gRPC",
    "enable_messaging": "Kafka messaging", "enable_rabbitmq": "RabbitMQ messaging", "enable_sqs": "SQS messaging",
    "enable_event_sourcing": "Event sourcing", "enable_cqrs": "CQRS", "enable_saga": "Sagas",
    "enable_telemetry": "OpenTelemetry export", "enable_graphql": "GraphQL",
}


def make(name: str) -> Any:
    kind, feature = NAMES[name]
    if kind == "config":
        return config(name, feature)
    if kind == "object":
        return thing(name, feature)
    if kind == "placeholder":
        return type(name, (Placeholder,), {"feature": feature, "__doc__": f"{feature}: not in this version."})
    return function(name, feature)


def app_method(name: str) -> Any:
    feature = APP_METHODS[name]

    def unavailable(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        refuse(feature)

    unavailable.__name__ = unavailable.__qualname__ = name
    unavailable.__doc__ = f"{feature}: not in this version ({DOCS})."
    return unavailable


def check_signature(handler: Any, path: str) -> None:
    """Refuses a handler whose parameters ask for an injection this version does not do."""
    import inspect

    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return
    for p in parameters:
        if isinstance(p.default, Placeholder):
            raise NotImplementedError(f"route {path!r}: parameter {p.name!r} uses {p.default.feature}, which is not "
                                      f"available in this version of Cello ({DOCS})")


class Submodule:
    """For the original's pure-Python submodules (cello.grpc, cello.saga...): any name imports, as
    a class that refuses to be made."""

    def __init__(self, feature: str) -> None:
        self.feature = feature

    def __call__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return thing(name, self.feature)
