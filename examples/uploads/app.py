"""Uploads and downloads: `python3 examples/uploads/app.py` (or `cello run examples/uploads/app.py`),
then open http://127.0.0.1:8000/ in a browser.

* GET  /                 an HTML form to pick files
* POST /upload           multipart form: every file is saved under UPLOAD_DIR
* GET  /files            the saved files as JSON
* GET  /files/{name}     one saved file, as a download (Range and conditional requests work)

UPLOAD_DIR is the environment variable of that name, else ./uploads next to this file.
"""
import os
import pathlib

from cello import App, HTTPError, Response, UploadFile, forms

app = App()
UPLOAD_DIR = pathlib.Path(os.environ.get("UPLOAD_DIR") or pathlib.Path(__file__).with_name("uploads"))
UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
forms.configure(max_files=20)  # at most 20 files per form (the other limits keep their defaults)

PAGE = """<!doctype html>
<meta charset="utf-8"><title>Cello uploads</title>
<h1>Upload files</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input type="text" name="note" placeholder="a note">
  <input type="file" name="files" multiple>
  <button>Upload</button>
</form>
<p><a href="/files">saved files</a></p>
"""


def safe_name(filename: str) -> str:
    """The client's file name reduced to a plain name in UPLOAD_DIR (never a path)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name.startswith("."):
        raise HTTPError(400, f"unusable file name {filename!r}")
    return name


@app.get("/")
def index(request):
    return Response.html(PAGE)


@app.post("/upload")
def upload(request):
    form = request.form()
    saved = []
    for upload in form.getlist("files"):
        if not isinstance(upload, UploadFile) or upload.filename == "":
            continue  # a text field named "files", or the browser's empty file input
        name = safe_name(upload.filename)
        upload.save(UPLOAD_DIR / name)
        saved.append({"name": name, "size": upload.size, "content_type": upload.content_type})
    return {"note": form.get("note", ""), "saved": saved}


@app.get("/files")
def list_files(request):
    return sorted(p.name for p in UPLOAD_DIR.iterdir() if p.is_file())


@app.get("/files/{name}")
def download(request):
    name = request.params["name"]
    if name.startswith("."):
        raise HTTPError(404, "file not found")
    return Response.file(UPLOAD_DIR / name, filename=name)


if __name__ == "__main__":
    app.run()
