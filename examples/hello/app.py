"""The smallest Cello app: `python3 examples/hello/app.py` or `cello run examples/hello/app.py`."""
from cello import App

app = App()


@app.get("/")
def home(request):
    return {"message": "Hello, World!"}


@app.get("/users/{id:int}")
def get_user(request):
    user_id = request.params["id"]
    return {"id": user_id, "name": f"User {user_id}"}


@app.post("/echo")
def echo(request):
    return request.json()


if __name__ == "__main__":
    app.run()
