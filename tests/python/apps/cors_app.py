"""App for test_cors.py. CELLO_TEST_CORS selects the policy: "list" (default), "any", "credentials"."""
import os

from cello import App

app = App()
mode = os.environ.get("CELLO_TEST_CORS", "list")
if mode == "any":
    app.enable_cors()
elif mode == "credentials":
    app.enable_cors(origins=["*"], credentials=True)
else:
    app.enable_cors(origins=["https://app.example", "http://localhost:3000", "null"], methods=["GET", "POST", "PUT"],
                    headers=["Content-Type", "X-Token"], expose_headers=["X-Total"], max_age=600)


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
