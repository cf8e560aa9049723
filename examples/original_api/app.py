"""An app written against the original Cello's API, as its guides write one: guards, a validated
DTO, the circuit breaker, smart caching, rate limiting, health checks, templates and OpenAPI.

    cello run examples/original_api/app.py
    curl -s localhost:8000/                                   # a page from templates/index.html
    curl -s localhost:8000/api/products/1                     # cached (X-Cache: MISS, then HIT)
    curl -s -X POST localhost:8000/api/products -H 'X-Role: admin' \\
         -H 'Content-Type: application/json' -d '{"name": "Pen", "price": 2.5}'
    curl -s localhost:8000/docs                               # Swagger UI; /openapi.json
    curl -s localhost:8000/health/ready
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from cello import App, Blueprint, HealthCheckConfig, RateLimitConfig, Response, cache
from cello.guards import Authenticated, RoleGuard

app = App()
app.enable_cors()
app.enable_caching(ttl=60)
app.enable_circuit_breaker(failure_threshold=3, reset_timeout=30)
app.enable_rate_limit(RateLimitConfig.sliding_window(max_requests=600, window_secs=60))
app.enable_health_checks(HealthCheckConfig(version="1.0.0"))
app.enable_templates(str(Path(__file__).with_name("templates")))
app.enable_openapi(title="Original-style shop", version="1.0.0")

PRODUCTS: dict[int, dict] = {1: {"id": 1, "name": "Notebook", "price": 4.0}}


@app.before_request
def who_is_it(request):
    """The original's guards read the user from the request context; this sets it from headers."""
    role = request.get_header("X-Role")
    if role:
        request.set_context("user", {"id": 7, "roles": [role], "permissions": []})


class ProductIn(BaseModel):
    name: str
    price: float


@app.get("/")
def index(request):
    return Response.html(app.render("index.html", {"products": list(PRODUCTS.values())}))


api = Blueprint("/api", "api")


@api.get("/products/{id}", tags=["products"])
@cache(ttl=30, tags=["products"])
def product(request):
    """One product by id."""
    pid = request.get_param_int("id")
    if pid not in PRODUCTS:
        return Response.json({"error": f"no product {pid}"}, status=404)
    return PRODUCTS[pid]


@api.post("/products", tags=["products"], guards=[Authenticated(), RoleGuard(["admin"])])
def create_product(request, body: ProductIn):
    """Adds a product (admins only)."""
    pid = max(PRODUCTS) + 1
    PRODUCTS[pid] = {"id": pid, "name": body.name, "price": body.price}
    app.invalidate_cache(["products"])
    return Response.created(PRODUCTS[pid], location=f"/api/products/{pid}")


@api.get("/flaky")
def flaky(request):
    """Fails until the circuit opens (the breaker answers 503 for it then)."""
    raise RuntimeError("upstream is down")


app.register_blueprint(api)

if __name__ == "__main__":
    app.run()
