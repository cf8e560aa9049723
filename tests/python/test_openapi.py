"""enable_openapi(): /openapi.json is OpenAPI 3.1, valid against the specification's published JSON
Schema (python3-jsonschema; the schema file comes from the npm registry via tools/docs_ui.py), built
from the router and the handlers' parameters; /docs and /redoc load their scripts from this server."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel

from cello import App, Blueprint, Depends, Request
from cello.testing import TestClient

SCHEMA = (Path(__file__).resolve().parents[2] / "third_party" / "docs-ui" / "dist" / "@apidevtools" /
          "openapi-schemas" / "schemas" / "v3.1" / "schema.json")


def validator() -> jsonschema.Draft202012Validator:
    assert SCHEMA.is_file(), f"{SCHEMA} is missing: tools/docs_ui.py fetches it (tools/dev.sh test runs it)"
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft202012Validator(schema)


class Tag(BaseModel):
    label: str


class Item(BaseModel):
    name: str
    price: float
    tags: list[Tag] = []


def app_with_routes() -> App:
    app = App()

    def paging(offset: int = 0, limit: int = 20):
        return offset, limit

    @app.get("/items/{item_id}", tags=["items"])
    async def read_item(item_id: int, q: str | None = None, page=Depends(paging)) -> Item:
        """Read one item.

        Looks the item up by its id.
        """
        return Item(name="x", price=1)

    @app.post("/items", tags=["items"], summary="Create an item", description="Adds one to the catalogue.")
    def create_item(item: Item):
        return item

    @app.get("/users/{id:int}")
    def user(request: Request):
        return {"id": request.params["id"]}

    @app.get("/search")
    def search(terms: list[str], exact: bool = False):
        return {"terms": terms}

    bp = Blueprint("/admin", "admin")

    @bp.delete("/cache")
    def clear(request):
        return {}

    app.register_blueprint(bp)
    app.enable_openapi(title="Shop", version="2.0.0", description="The shop's API")
    return app


def test_the_document_is_valid_openapi_3_1_built_from_routes_and_parameters():
    app = app_with_routes()
    with TestClient(app) as c:
        reply = c.get("/openapi.json")
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/json")
        doc = reply.json()
    validator().validate(doc)  # raises with the failing part otherwise
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Shop", "version": "2.0.0", "description": "The shop's API"}
    assert set(doc["paths"]) == {"/items/{item_id}", "/items", "/users/{id}", "/search", "/admin/cache"}

    read = doc["paths"]["/items/{item_id}"]["get"]
    assert read["summary"] == "Read one item." and read["description"] == "Looks the item up by its id."
    assert read["tags"] == ["items"]
    params = {(p["in"], p["name"]): p for p in read["parameters"]}
    assert params[("path", "item_id")] == {"name": "item_id", "in": "path", "required": True,
                                           "schema": {"type": "integer"}}
    assert params[("query", "q")]["required"] is False
    assert params[("query", "limit")]["schema"] == {"type": "integer", "default": 20}  # from the dependency
    assert read["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Item"}
    assert "422" in read["responses"]

    create = doc["paths"]["/items"]["post"]
    assert create["summary"] == "Create an item" and create["description"] == "Adds one to the catalogue."
    assert create["requestBody"] == {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Item"}}}}
    schemas = doc["components"]["schemas"]
    assert set(schemas["Item"]["required"]) == {"name", "price"}
    assert "Tag" in schemas and "HTTPValidationError" in schemas

    user = doc["paths"]["/users/{id}"]["get"]
    assert user["parameters"] == [{"name": "id", "in": "path", "required": True,
                                   "schema": {"type": "integer", "minimum": 0}}]
    assert "422" not in user["responses"]  # the request alone: nothing to validate
    search = doc["paths"]["/search"]["get"]["parameters"]
    assert search[0]["schema"] == {"type": "array", "items": {"type": "string"}} and search[0]["required"] is True
    assert doc["paths"]["/admin/cache"]["delete"]["operationId"]
    assert not any(p.startswith(("/docs", "/redoc", "/openapi")) for p in doc["paths"])


def test_the_validator_is_not_a_rubber_stamp():
    bad = {"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/a": {"get": {"responses": "nope"}}}}
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(bad)


def test_docs_and_redoc_pages_load_their_scripts_from_this_server():
    app = app_with_routes()
    with TestClient(app) as c:
        for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
            reply = c.get(page)
            assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
            html = reply.text
            assert not re.search(r"(src|href)=\"(https?:)?//", html), html  # nothing from elsewhere
            assert f'{page}/assets/{asset}' in html and '"/openapi.json"' in html
            script = c.get(f"{page}/assets/{asset}")
            assert script.status_code == 200, script.text
            assert script.headers["Content-Type"].startswith("text/javascript")
            assert len(script.content) > 100_000
        assert c.get("/docs/assets/swagger-ui.css").headers["Content-Type"].startswith("text/css")
        assert c.get("/docs/assets/secret.txt").status_code == 404
        assert c.get("/docs/assets/..%2Fopenapi.py").status_code == 404
        assert c.get("/openapi.json").status_code == 200


def test_routes_added_after_enable_openapi_appear_too():
    app = App()
    app.enable_openapi()
    with TestClient(app) as c:
        assert c.get("/openapi.json").json()["paths"] == {}
    app.get("/late")(lambda request: {})
    with TestClient(app) as c:
        doc = c.get("/openapi.json").json()
    assert list(doc["paths"]) == ["/late"]
    validator().validate(doc)
