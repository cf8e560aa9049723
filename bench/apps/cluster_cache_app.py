"""For bench/invalidation.py: a cached route that says which worker computed it, and when."""
import itertools
import os

from cello import App, cache

app = App()
_generation = itertools.count(1)


@app.get("/items")
@cache(ttl=600, tags=["items"])
def items(request):
    return {"pid": os.getpid(), "generation": next(_generation)}


@app.post("/items/invalidate")
def invalidate(request):
    return {"pid": os.getpid(), "dropped": app.invalidate_cache(tags=["items"])}
