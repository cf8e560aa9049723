"""One route per kind of handler return value and per Response constructor."""
from cello import App, Response

app = App()


@app.get("/ret/dict")
def ret_dict(request):
    return {"zebra": 1, "apple": [1, 2, {"c": None}], "mid": {"y": True, "x": False}, "t": (1, "two")}


@app.get("/ret/list")
def ret_list(request):
    return [3, "two", 1.5, True, None, {"k": []}]


@app.get("/ret/empty-dict")
def ret_empty_dict(request):
    return {}


@app.get("/ret/str")
def ret_str(request):
    return "héllo wörld ✓"


@app.get("/ret/bytes")
def ret_bytes(request):
    return b"\x00\x01\x02\xff"


@app.get("/ret/bytearray")
def ret_bytearray(request):
    return bytearray(b"\x10\x20\x30")


@app.get("/ret/memoryview")
def ret_memoryview(request):
    return memoryview(b"0123456789")[2:6]


@app.get("/ret/none")
def ret_none(request):
    return None


@app.get("/ret/response")
def ret_response(request):
    return Response(b"a,b\n1,2\n", status=201, headers={"X-Kind": "csv"}, content_type="text/csv")


@app.get("/ret/response-default")
def ret_response_default(request):
    return Response()


@app.get("/ret/tuple2")
def ret_tuple2(request):
    return {"created": True}, 201


@app.get("/ret/tuple2-str")
def ret_tuple2_str(request):
    return "accepted", 202


@app.get("/ret/tuple3")
def ret_tuple3(request):
    return ["made"], 202, {"X-Extra": "yes", "X-Other": "2"}


@app.get("/ret/tuple-bytes")
def ret_tuple_bytes(request):
    return b"\x01\x02", 203


@app.get("/ret/tuple-none")
def ret_tuple_none(request):
    return None, 404


@app.get("/resp/json")
def resp_json(request):
    return Response.json({"k": "v", "n": [1, 2]}, status=201, headers={"X-J": "1"})


@app.get("/resp/text")
def resp_text(request):
    return Response.text("plain ✓", status=202)


@app.get("/resp/html")
def resp_html(request):
    return Response.html("<h1>hi ✓</h1>")


@app.get("/resp/redirect")
def resp_redirect(request):
    return Response.redirect("/target?x=1")


@app.get("/resp/redirect301")
def resp_redirect301(request):
    return Response.redirect("https://example.com/elsewhere", status=301)


@app.get("/resp/cookies")
def resp_cookies(request):
    r = Response.text("ok")
    r.set_cookie("sid", "abc123", max_age=60, httponly=True, secure=True)
    r.set_cookie("theme", "dark")
    return r


@app.get("/resp/headers")
def resp_headers(request):
    r = Response.text("ok")
    r.headers["x-custom"] = "1"
    r.headers["X-Custom"] = "2"  # same header, replaced
    r.headers["X-Gone"] = "soon"
    del r.headers["x-gone"]
    r.headers.add("X-Multi", "a")
    r.headers.add("x-multi", "b")
    return r


@app.get("/resp/headers-readback")
def resp_headers_readback(request):
    r = Response(b"", headers={"X-Case": "v"})
    return {"lower": r.headers["x-case"], "upper": r.headers["X-CASE"], "contains": "x-CaSe" in r.headers}


@app.get("/resp/crlf-setitem")
def resp_crlf_setitem(request):
    r = Response.text("should not be sent")
    r.headers["X-Bad"] = "a\r\nInjected: yes"
    return r


@app.get("/resp/crlf-ctor")
def resp_crlf_ctor(request):
    return Response(b"should not be sent", headers={"X-Bad": "a\nInjected: yes"})


@app.get("/resp/crlf-tuple")
def resp_crlf_tuple(request):
    return "should not be sent", 200, {"X-Bad": "a\r\nInjected: yes"}


@app.get("/resp/crlf-redirect")
def resp_crlf_redirect(request):
    return Response.redirect("/ok\r\nInjected: yes")


@app.get("/resp/crlf-catch")
def resp_crlf_catch(request):
    r = Response.text("ok")
    try:
        r.headers["X-Bad"] = "a\rb"
    except ValueError as e:
        return {"raised": "ValueError", "message": str(e)}
    return {"raised": None}


if __name__ == "__main__":
    app.run()
