"""Cello side of bench/upload.py: a 2 GB upload through request.form() and through stream()."""
import hashlib

from cello import App

app = App()


@app.post("/form")
def form(request):
    upload = request.form()["file"]
    digest = hashlib.sha256()
    while chunk := upload.read(1 << 20):
        digest.update(chunk)
    return {"size": upload.size, "sha256": digest.hexdigest()}


@app.post("/stream")
async def stream(request):
    digest, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


if __name__ == "__main__":
    app.run(max_body_size=8 * 1024 ** 3)
