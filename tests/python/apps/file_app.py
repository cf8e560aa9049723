"""Response.file(): the test creates the files and passes their directory in CELLO_FILE_DIR."""
import os
import pathlib

from cello import App, Response, cache

app = App()
BASE = pathlib.Path(os.environ["CELLO_FILE_DIR"])


@app.get("/ok")
def ok(request):
    return "ok"


@app.get("/files/{name:path}")
def files(request):
    return Response.file(BASE / request.params["name"])  # a pathlib.Path


@app.get("/download/{name:path}")
def download(request):
    return Response.file(str(BASE / request.params["name"]), filename=request.query["as"])


@app.get("/typed/{name:path}")
def typed(request):
    return Response.file(BASE / request.params["name"], content_type="application/x-custom")


@app.get("/headers")
def with_headers(request):
    return Response.file(BASE / "hello.txt", headers={"Cache-Control": "no-store", "X-Extra": "1",
                                                      "ETag": '"my-version"', "Content-Length": "999"})


@app.get("/status")
def other_status(request):
    return Response.file(BASE / "hello.txt", status=203)


@app.get("/bytes-path")
def bytes_path(request):
    return Response.file(os.fsencode(BASE / "hello.txt"))


@app.get("/cached")
@cache(ttl=60)
def cached(request):
    return Response.file(BASE / "hello.txt")


@app.get("/missing")
def missing(request):
    return Response.file(BASE / "no-such-file.txt")


@app.get("/directory")
def directory(request):
    return Response.file(BASE / "sub")


@app.get("/unreadable")
def unreadable(request):
    return Response.file(os.environ.get("CELLO_UNREADABLE_FILE") or BASE / "locked.txt")


if __name__ == "__main__":
    app.run()
