"""Routes for matching, 404/405, automatic HEAD and OPTIONS, strict trailing slash."""
from cello import App, Response

app = App()


@app.get("/users/me")
def me(request):
    return {"route": "me"}


@app.get("/users/{id}")
def user(request):
    return {"route": "user", "id": request.params["id"]}


@app.get("/users/{id}/posts/{post:int}")
def user_post(request):
    return {"route": "user_post", "params": request.params}


@app.get("/items")
def list_items(request):
    return ["a", "b"]


@app.post("/items")
def create_item(request):
    return {"created": True}, 201


@app.route("/multi", methods=["PUT", "DELETE"])
def multi(request):
    return {"method": request.method}


@app.get("/page")
def page(request):
    return "hello body"


@app.get("/page-json")
def page_json(request):
    return {"message": "a json body for HEAD", "n": [1, 2, 3]}


@app.get("/dir/")
def directory(request):
    return "dir with slash"


@app.get("/custom-options")
def custom_options_get(request):
    return "get"


@app.options("/custom-options")
def custom_options(request):
    return Response(b"", status=200, headers={"X-Custom-Options": "yes", "Allow": "GET, OPTIONS, TRACE"})


@app.head("/custom-head")
def custom_head(request):
    return Response(b"", status=200, headers={"X-Custom-Head": "yes"})


@app.get("/files/{p:path}")
def files(request):
    return {"route": "files", "p": request.params["p"]}


@app.get("/files/special")
def files_special(request):
    return {"route": "special"}


if __name__ == "__main__":
    app.run()
