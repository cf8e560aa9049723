"""App for test_cors.py. `make_app(mode)` builds it with one CORS policy: "list" (the module's `app`
unless CELLO_TEST_CORS says otherwise), "any", "credentials"."""
import os

from cello import App


def make_app(mode: str = "list") -> App:
    app = App()
    if mode == "any":
        app.enable_cors()
    elif mode == "credentials":
        app.enable_cors(origins=["*"], credentials=True)
    else:
        app.enable_cors(origins=["https://app.example", "http://localhost:3000", "null"],
                        methods=["GET", "POST", "PUT"], headers=["Content-Type", "X-Token"],
                        expose_headers=["X-Total"], max_age=600)

    @app.get("/items")
    def items(request):
        return ({"items": []}, 200, {"X-Total": "0"})

    @app.post("/items")
    def create(request):
        return {"created": True}

    @app.options("/custom")
    def custom_options(request):
        return ("from handler", 200, {"X-Handler": "yes"})

    @app.get("/custom")
    def custom(request):
        return "custom"

    return app


app = make_app(os.environ.get("CELLO_TEST_CORS", "list"))
