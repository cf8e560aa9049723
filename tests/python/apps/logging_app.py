"""Request log under test. LOG_FORMAT=json|text calls enable_logging(); unset leaves the default."""
import os

from cello import App, cache

app = App()
if os.environ.get("LOG_FORMAT"):
    app.enable_logging(format=os.environ["LOG_FORMAT"])


@app.get("/hello")
def hello(request):
    return {"hello": "world"}


@app.get("/cached")
@cache(ttl=60)
def cached(request):
    return "cached body"


if __name__ == "__main__":
    app.run()
