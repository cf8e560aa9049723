"""app.static(): files served natively. The test creates the files and passes the directories in
CELLO_STATIC_DIR (mounted at /static) and CELLO_STATIC_DIR2 (mounted at /assets, max_age=0); with CELLO_STATIC_ROOT_MOUNT=1 the first
directory is also mounted at "/"."""
import os

from cello import App

app = App()

app.static("/static", os.environ["CELLO_STATIC_DIR"], max_age=600)
if os.environ.get("CELLO_STATIC_DIR2"):
    app.static("/assets", os.environ["CELLO_STATIC_DIR2"], max_age=0)
if os.environ.get("CELLO_STATIC_ROOT_MOUNT"):
    app.static("/", os.environ["CELLO_STATIC_DIR"])  # the whole path space, after the mounts above


@app.get("/ok")
def ok(request):
    return "ok"


# App routes under the prefix: used when no file answers the path (GET) or for other methods.
@app.get("/static/api/info")
def info(request):
    return {"route": "info"}


@app.post("/static/upload")
def upload(request):
    return {"uploaded": len(request.body())}


if __name__ == "__main__":
    app.run()
