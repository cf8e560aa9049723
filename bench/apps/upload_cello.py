"""Cello side of bench/upload.py: a 2 GB upload through request.form() (a sync handler), await
request.form_async() and request.stream()."""
import hashlib

from cello import App, LimitsConfig

app = App()
app.enable_limits(LimitsConfig(max_body_size=8 * 1024 ** 3))  # applies under `cello run` too


def described(upload) -> dict:
    digest = hashlib.sha256()
    while chunk := upload.read(1 << 20):
        digest.update(chunk)
    return {"size": upload.size, "sha256": digest.hexdigest()}


@app.post("/form")
def form(request):
    return described(request.form()["file"])


@app.post("/aform")
async def aform(request):
    return described((await request.form_async())["file"])


@app.post("/stream")
async def stream(request):
    digest, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}

