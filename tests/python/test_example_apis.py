"""examples/original_api (an app in the original Cello's idioms) and examples/fastapi_style (the
FastAPI way) run as their docstrings say, over real HTTP."""
from __future__ import annotations

import support
from cello.testing import TestClient


def test_the_original_style_app():
    app = support.load_example("original_api").app
    with TestClient(app) as c:
        page = c.get("/")
        assert page.status_code == 200 and "<li>Notebook: 4.00</li>" in page.text
        first, second = c.get("/api/products/1"), c.get("/api/products/1")
        assert first.json() == {"id": 1, "name": "Notebook", "price": 4.0}
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
        assert c.get("/api/products/99").status_code == 404

        new = {"name": "Pen", "price": "2.5"}
        assert c.post("/api/products", json=new).status_code == 401  # no user: Authenticated
        assert c.post("/api/products", json=new, headers={"X-Role": "guest"}).status_code == 403
        bad = c.post("/api/products", json={"name": "Pen"}, headers={"X-Role": "admin"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "price"]
        made = c.post("/api/products", json=new, headers={"X-Role": "admin"})
        assert made.status_code == 201 and made.headers["Location"] == "/api/products/2"
        assert made.json() == {"id": 2, "name": "Pen", "price": 2.5}
        assert c.get("/api/products/2").json()["name"] == "Pen"

        # The circuit opens after three failures: the fourth is the breaker's 503, not the handler's 500.
        assert [c.get("/api/flaky").status_code for _ in range(4)] == [500, 500, 500, 503]

        doc = c.get("/openapi.json").json()
        assert doc["info"]["title"] == "Original-style shop"
        assert doc["paths"]["/api/products"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ProductIn"}
        assert c.get("/docs").status_code == 200
        assert support.wait_until(lambda: c.get("/health/ready").status_code == 200)
        assert c.get("/health/ready").json()["version"] == "1.0.0"


def test_the_fastapi_style_app():
    module = support.load_example("fastapi_style")
    app, store = module.app, module.Store
    with TestClient(app) as c:
        assert c.get("/items").json() == []
        token = {"Authorization": "Bearer token-ann"}
        assert c.post("/items", json={"name": "Pen", "price": 2.5}).status_code == 401
        for name in ("Pen", "Ink", "Pad"):
            made = c.post("/items", json={"name": name, "price": 1}, headers=token)
            assert made.status_code == 200 and made.json() == {"name": name, "price": 1.0, "tags": []}
        assert [i["name"] for i in c.get("/items?limit=2&offset=1").json()] == ["Ink", "Pad"]
        assert c.get("/items/0").json()["name"] == "Pen"
        assert c.get("/items/7").status_code == 404
        bad = c.get("/items/abc?limit=x")
        assert bad.status_code == 422
        assert [p["loc"] for p in bad.json()["detail"]] == [["path", "item_id"]]
        assert c.post("/items", json={"price": 1}, headers=token).status_code == 422
        assert support.wait_until(lambda: len(module.audit) == 3)
        assert module.audit == ["ann added Pen", "ann added Ink", "ann added Pad"]
        # Each store opened (seven: none for the 401 and the 422s) is closed after its response.
        assert support.wait_until(lambda: store.closed == 7)
        doc = c.get("/openapi.json").json()
        params = {p["name"] for p in doc["paths"]["/items"]["get"]["parameters"]}
        assert params == {"limit", "offset"}
        assert doc["paths"]["/items/{item_id}"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"] == {"$ref": "#/components/schemas/Item"}
