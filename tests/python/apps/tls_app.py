"""An HTTPS app for test_tls.py: what the handlers see of TLS, and a WebSocket echo. Its TlsConfig
comes from the environment (TLS_CERT, TLS_KEY, TLS_CA, TLS_MIN, TLS_REQUIRE) when run as a script;
`cello run` gives it --tls-cert/--tls-key instead."""
import os

from cello import App, TlsConfig

app = App()


@app.get("/")
def root(request):
    return {"scheme": request.scheme, "tls": request.tls, "secure": request.is_secure()}


@app.get("/ok")
def ok(request):
    return "ok"


@app.post("/echo")
def echo(request):
    return {"size": len(request.body())}


@app.websocket("/ws")
async def ws_echo(ws):
    await ws.accept()
    async for message in ws:
        await ws.send_text(message)


if __name__ == "__main__":
    tls = TlsConfig(os.environ["TLS_CERT"], os.environ["TLS_KEY"], ca_path=os.environ.get("TLS_CA") or None,
                    min_version=os.environ.get("TLS_MIN", "1.2"), require_client_cert=os.environ.get("TLS_REQUIRE") == "1")
    app.run(tls=tls, header_timeout=int(os.environ.get("HEADER_TIMEOUT", "10")))
