"""App for test_security_headers.py."""
from cello import App, Response

app = App()
app.enable_security_headers(x_frame_options="SAMEORIGIN", content_security_policy="default-src 'self'",
                            referrer_policy=None)


@app.get("/")
def home(request):
    return {"ok": True}


@app.get("/own")
def own(request):
    return Response("own", headers={"X-Content-Type-Options": "handler-value"})


@app.get("/stream")
def stream(request):
    return Response.stream(iter(["a", "b"]), content_type="text/plain")
