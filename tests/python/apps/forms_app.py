"""request.form(): urlencoded and multipart forms, uploads (in memory or spilled to a temporary
file), save(), and the form limits. The limits are the defaults except max_files=4 (configured
below); CELLO_SAVE_DIR is where /save writes."""
import hashlib
import os

from cello import App, UploadFile, forms

app = App()
forms.configure(max_files=4)


def describe(value):
    if isinstance(value, str):
        return value
    info = {"filename": value.filename, "content_type": value.content_type, "size": value.size,
            "in_memory": value.in_memory, "sha256": hashlib.sha256(value.read()).hexdigest()}
    if not value.in_memory:  # where the content lives: a real (deleted) file
        fd = value.file.fileno()
        info["backing"] = os.readlink(f"/proc/self/fd/{fd}")
        info["backing_size"] = os.fstat(fd).st_size
    return info


@app.get("/ok")
def ok(request):
    return "ok"


@app.post("/form")
def form(request):
    f = request.form()
    return {"fields": [[k, describe(v)] for k, v in f.multi_items()]}


@app.post("/save")
def save(request):
    f = request.form()
    out = []
    for key, value in f.multi_items():
        if isinstance(value, UploadFile):
            head = value.read(4)  # a partial read first: save() still writes everything
            path = os.path.join(os.environ["CELLO_SAVE_DIR"], key)
            written = value.save(path)
            out.append({"field": key, "head": head.decode("latin-1"), "written": written,
                        "on_disk": os.path.getsize(path), "after_save": len(value.read())})
    return {"saved": out}


if __name__ == "__main__":
    app.run()
