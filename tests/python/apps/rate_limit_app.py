"""App for test_rate_limit.py: 1 request per second, bursts of 3; X-Forwarded-For believed from
127.0.0.1, 127.0.0.5 and 10.9.0.0/16 (tests connect from other 127/8 addresses to be untrusted peers).
The other HTTP middleware are on too, to check how the chain treats a refusal."""
from cello import App, RateLimitConfig

app = App()
app.enable_rate_limit(RateLimitConfig(requests=2, per=2.0, burst=3,
                                      trusted_proxies=["127.0.0.1", "127.0.0.5", "10.9.0.0/16"]))
app.enable_cors()
app.enable_request_id()
app.enable_security_headers()
app.enable_compression()


@app.get("/")
def home(request):
    return {"ok": True}
