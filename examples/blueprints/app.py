"""Blueprints, lifecycle hooks, an exception handler and request hooks in one small app.

Run it with `python3 examples/blueprints/app.py` or `cello run examples/blueprints/app.py`, then:
  curl localhost:8000/api/v1/users/1        ->  {"id": 1, "name": "Ada"}
  curl localhost:8000/api/v1/users/9        ->  404 {"error": "user not found", "id": 9}
  curl -X POST localhost:8000/api/v1/users -d '{"name": "Lin"}'
  curl localhost:8000/health                ->  {"status": "ok", "users": 2}
"""
from cello import App, Blueprint, Response

app = App()
users: dict[int, dict] = {}


class NotFound(Exception):
    """A missing record: mapped to 404 by the exception handler below."""

    def __init__(self, what: str, key: int) -> None:
        super().__init__(what, key)
        self.what, self.key = what, key


# -- routes, grouped: /api/v1/users/... -----------------------------------------------------------
users_bp = Blueprint("/users", name="users")


@users_bp.get("")
def list_users(request):
    return list(users.values())


@users_bp.get("/{id:int}")
def get_user(request):
    user_id = request.params["id"]
    if user_id not in users:
        raise NotFound("user", user_id)
    return users[user_id]


@users_bp.post("")
def create_user(request):
    user = {"id": max(users, default=0) + 1, "name": request.json()["name"]}
    users[user["id"]] = user
    return user, 201


api = Blueprint("/api/v1", name="api")
api.register_blueprint(users_bp)
app.register_blueprint(api)  # last: routes added to a registered blueprint would raise


@app.get("/health")
def health(request):
    return {"status": "ok", "users": len(users)}


# -- lifecycle, errors, hooks -----------------------------------------------------------------------
@app.on_event("startup")
def load_users():
    users.update({1: {"id": 1, "name": "Ada"}, 2: {"id": 2, "name": "Grace"}})


@app.on_event("shutdown")
def save_users():
    print(f"saving {len(users)} users")


@app.exception_handler(NotFound)
def not_found(request, exc):
    return {"error": f"{exc.what} not found", "id": exc.key}, 404


@app.after_request
def add_version(request, response: Response):
    response.headers["X-API-Version"] = "1"
    return response


if __name__ == "__main__":
    app.run()
