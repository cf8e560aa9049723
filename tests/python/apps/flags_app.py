"""Calls app.run() with arguments taken from the environment, to test that command-line flags win."""
import os

from cello import App

app = App()


@app.get("/")
def home(request):
    return {"app": "flags"}


@app.get("/boom")
def boom(request):
    raise RuntimeError("flags-app-boom")


if __name__ == "__main__":
    app.run(port=int(os.environ["FLAGS_APP_PORT"]), env=os.environ.get("FLAGS_APP_ENV", "production"),
            logs=False)
