"""OpenAPI 3.1 for an app (`app.enable_openapi()`): `/openapi.json` built from the router and the
handlers' parameters (cello.params), `/docs` (Swagger UI) and `/redoc` (ReDoc) served from files
installed with Cello — no CDN, so the pages work on a machine without internet."""
from __future__ import annotations

import datetime
import decimal
import enum
import json
import re
import types
import typing
import uuid
from pathlib import Path
from typing import Any

from .response import Response

DOCS_UI = Path(__file__).with_name("docs_ui")
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "text/javascript"}
DOCS_ROUTE_NAME = "openapi.docs"  # the studio's Routes page links to the route of this name

_PATTERN_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")

VALIDATION_ERROR = {
    "title": "ValidationError", "type": "object", "required": ["loc", "msg", "type"],
    "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                   "msg": {"type": "string"}, "type": {"type": "string"}},
}
HTTP_VALIDATION_ERROR = {
    "title": "HTTPValidationError", "type": "object", "required": ["error", "status", "detail"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer", "const": 422},
                   "detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}},
}


def _template(pattern: str) -> tuple[str, dict[str, str]]:
    """`/users/{id:int}/{*rest}` -> (`/users/{id}/{rest}`, {"id": "int", "rest": "path"})."""
    kinds: dict[str, str] = {}

    def plain(m: re.Match[str]) -> str:
        kinds[m.group(2)] = "path" if m.group(1) else (m.group(3) or "str")
        return "{" + m.group(2) + "}"

    return _PATTERN_PARAM.sub(plain, pattern), kinds


class _Schemas:
    """JSON Schemas of annotations; pydantic models go to components/schemas once each."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def model(self, model: type) -> dict[str, Any]:
        name = model.__name__
        if name not in self.components:
            ref = "#/components/schemas/{model}"
            if hasattr(model, "model_json_schema"):  # pydantic 2
                schema = model.model_json_schema(ref_template=ref)
                defs = schema.pop("$defs", {})
            else:
                schema = model.schema(ref_template=ref)
                defs = schema.pop("definitions", {})
            self.components[name] = schema
            for k, v in defs.items():
                self.components.setdefault(k, v)
        return {"$ref": f"#/components/schemas/{name}"}

    def of(self, tp: Any) -> dict[str, Any]:
        from .params import _EMPTY, _is_model

        if tp is _EMPTY or tp is Any or tp is None:
            return {}
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(a) if a is not type(None) else {"type": "null"} for a in typing.get_args(tp)]}
        if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
            args = typing.get_args(tp)
            schema: dict[str, Any] = {"type": "array"}
            if args:
                schema["items"] = self.of(args[0])
            return schema
        if origin is typing.Literal:
            return {"enum": list(typing.get_args(tp))}
        if origin is dict or tp is dict:
            return {"type": "object"}
        if _is_model(tp):
            return self.model(tp)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
        simple = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
                  bool: {"type": "boolean"}, bytes: {"type": "string", "format": "binary"},
                  uuid.UUID: {"type": "string", "format": "uuid"}, decimal.Decimal: {"type": "string", "format": "decimal"},
                  datetime.datetime: {"type": "string", "format": "date-time"},
                  datetime.date: {"type": "string", "format": "date"}, datetime.time: {"type": "string", "format": "time"}}
        return dict(simple.get(tp, {}))


def _json_default(value: Any) -> tuple[bool, Any]:
    if isinstance(value, enum.Enum):
        value = value.value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False, None
    return True, value


def _function(handler: Any) -> Any:
    while hasattr(handler, "__wrapped__"):
        handler = handler.__wrapped__
    plan = getattr(handler, "__cello_plan__", None)
    return plan.fn if plan is not None else handler


def _collect(plan: Any, seen: set[int]) -> list[tuple[int, str, Any, Any]]:
    """The plan's path/query/body parameters, its dependencies' included (each plan once)."""
    if id(plan) in seen:
        return []
    seen.add(id(plan))
    out = list(plan.params)
    for dep in plan.dependencies:
        out += _collect(dep, seen)
    return out


def _operation(route: Any, kinds: dict[str, str], schemas: _Schemas) -> dict[str, Any]:
    from .params import _EMPTY, BODY, PATH, QUERY

    fn = _function(route.handler)
    handler = route.handler
    while not hasattr(handler, "__cello_plan__") and hasattr(handler, "__wrapped__"):
        handler = handler.__wrapped__
    plan = getattr(handler, "__cello_plan__", None)
    doc = (getattr(fn, "__doc__", None) or "").strip()
    first, _, rest = doc.partition("\n")
    op: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9_]", "_", f"{route.name}_{route.method.lower()}"),
        "summary": route.summary or first.strip() or route.name.rsplit(".", 1)[-1].replace("_", " ").capitalize(),
    }
    if getattr(route, "description", None):
        op["description"] = route.description
    elif rest.strip():
        op["description"] = "\n".join(line.strip() for line in rest.strip().splitlines())
    if route.tags:
        op["tags"] = list(route.tags)
    declared = _collect(plan, set()) if plan is not None else []
    parameters: list[dict[str, Any]] = []
    typed_path = {name: tp for source, name, tp, _ in declared if source == PATH}
    for name, kind in kinds.items():
        schema = schemas.of(typed_path[name]) if name in typed_path else (
            {"type": "integer", "minimum": 0} if kind == "int" else {"type": "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    bodies = []
    for source, name, tp, default in declared:
        if source == QUERY and not any(p["name"] == name and p["in"] == "query" for p in parameters):
            param: dict[str, Any] = {"name": name, "in": "query", "required": default is _EMPTY, "schema": schemas.of(tp)}
            ok, value = _json_default(default) if default is not _EMPTY else (False, None)
            if ok and value is not None:
                param["schema"]["default"] = value
            if typing.get_origin(tp) in (list, tuple, set) or tp in (list, tuple, set):
                param["explode"] = True
            parameters.append(param)
        elif source == BODY:
            bodies.append((name, tp, default))
    if parameters:
        op["parameters"] = parameters
    if len(bodies) == 1:
        name, tp, default = bodies[0]
        op["requestBody"] = {"required": default is _EMPTY, "content": {"application/json": {"schema": schemas.of(tp)}}}
    elif bodies:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {name: schemas.of(tp) for name, tp, _ in bodies},
            "required": [name for name, _, default in bodies if default is _EMPTY]}}}}
    returns = typing.get_type_hints(fn).get("return") if callable(fn) and hasattr(fn, "__annotations__") else None
    ok: dict[str, Any] = {"description": "Successful Response"}
    if route.method != "HEAD":
        ok["content"] = {"application/json": {"schema": schemas.of(returns) if returns is not None else {}}}
    op["responses"] = {"200": ok}
    if declared:
        schemas.components.setdefault("ValidationError", VALIDATION_ERROR)
        schemas.components.setdefault("HTTPValidationError", HTTP_VALIDATION_ERROR)
        op["responses"]["422"] = {"description": "Validation Error", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
    return op


def document(app: Any, title: str, version: str, description: str | None = None,
             exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The app's OpenAPI 3.1 document (routes registered so far; `exclude`: patterns left out)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        if route.path in exclude or route.method in ("HEAD", "WEBSOCKET"):
            continue
        template, kinds = _template(route.path)
        paths.setdefault(template, {})[route.method.lower()] = _operation(route, kinds, schemas)
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    doc: dict[str, Any] = {"openapi": "3.1.0", "info": info, "paths": paths}
    if schemas.components:
        doc["components"] = {"schemas": schemas.components}
    return doc


SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: {spec}, dom_id: "#swagger-ui", deepLinking: true}});</script>
</body></html>
"""

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><redoc spec-url={spec}></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body></html>
"""


def install(app: Any, title: str, version: str, description: str | None, openapi_url: str, docs_url: str | None,
            redoc_url: str | None) -> None:
    """Registers the document's route and the two pages (with their assets)."""
    from html import escape

    own = {openapi_url}
    cached: dict[str, Any] = {}

    def openapi_json(request: Any) -> Any:
        count = len(app.routes)
        if cached.get("count") != count:  # routes added since (a blueprint registered later)
            cached["doc"] = document(app, title, version, description, frozenset(own))
            cached["count"] = count
        return cached["doc"]

    def page(template: str, assets: str) -> Any:
        html = template.format(title=escape(title), assets=escape(assets), spec=json.dumps(openapi_url))

        def serve(request: Any) -> Response:
            return Response(html, content_type="text/html; charset=utf-8")

        return serve

    def asset(request: Any) -> Any:
        name = request.params["name"]
        path = DOCS_UI / name
        if name not in ASSETS or not path.is_file():
            from .errors import HTTPError

            raise HTTPError(404 if name not in ASSETS else 503,
                            None if name not in ASSETS else f"{name} is not installed: run tools/docs_ui.py, then rebuild")
        return Response.file(str(path), content_type=ASSETS[name])

    app.get(openapi_url, name="openapi.json")(openapi_json)
    for url, template, label in ((docs_url, SWAGGER_PAGE, DOCS_ROUTE_NAME), (redoc_url, REDOC_PAGE, "openapi.redoc")):
        if not url:
            continue
        assets = url.rstrip("/") + "/assets"
        own.update({url, assets + "/{name}"})
        app.get(url, name=label)(page(template, assets))
        app.get(assets + "/{name}", name=label + ".assets")(asset)
