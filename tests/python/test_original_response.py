"""The original Cello's Response spellings, ProblemDetails and a form returned as JSON, over real
HTTP (issue: apps written for the original run unchanged)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cello import App, ProblemDetails, Response
from cello.testing import TestClient


@pytest.fixture(scope="module")
def client():
    app = App()
    routes = {
        "/json": lambda r: Response.json({"b": 1, "a": [1, 2]}, status=None),
        "/json-status": lambda r: Response.json({"ok": False}, 422),
        "/text": lambda r: Response.text("plain ✓"),
        "/html": lambda r: Response.html("<p>hi</p>", 203),
        "/binary": lambda r: Response.binary(b"\x00\x01\xff"),
        "/binary-typed": lambda r: Response.binary(b"GIF89a", "image/gif"),
        "/xml": lambda r: Response.xml({"user": {"id": 1, "name": "a<b", "tags": ["x", "y"], "admin": True, "none": None}}),
        "/xml-root": lambda r: Response.xml([1, 2], root_name="numbers"),
        "/created": lambda r: Response.created({"id": 9}, location="/items/9"),
        "/created-empty": lambda r: Response.created(location="/items/10"),
        "/no-content": lambda r: Response.no_content(),
        "/redirect": lambda r: Response.redirect("/elsewhere"),
        "/redirect-permanent": lambda r: Response.redirect("/moved", permanent=True),
        "/redirect-positional": lambda r: Response.redirect("/moved", True),
        "/redirect-307": lambda r: Response.redirect("/keep", 307),
        "/problem": lambda r: ProblemDetails("https://example.com/probs/out-of-credit", "Out of credit", 403,
                                             detail="Your balance is 30.", instance="/account/12", balance=30),
        "/problem-default": lambda r: ProblemDetails(status=404),
        "/problem-original": lambda r: ProblemDetails("about:blank", "Teapot", 418).with_extension("brew", "tea").to_response(),
        "/none-body": lambda r: Response(None, 200),
    }
    for path, fn in routes.items():
        app.get(path)(fn)

    @app.get("/set-header")
    def set_header(request):
        response = Response("ok")
        response.set_header("X-Custom", "a\r\nInjected: yes")  # stripped, as the original does
        response.set_header("X-Custom", "final")
        return {"content_type": response.content_type(), "is_str": isinstance(response.content_type, str),
                "header": response.headers["X-Custom"]}

    @app.post("/form")
    def form(request):
        return request.form()

    @app.post("/upload")
    def upload(request):
        return request.form()

    with TestClient(app) as c:
        yield c


def test_constructors(client):
    r = client.get("/json")
    assert (r.status_code, r.headers["content-type"], r.json()) == (200, "application/json", {"b": 1, "a": [1, 2]})
    assert client.get("/json-status").status_code == 422
    r = client.get("/text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8" and r.text == "plain ✓"
    r = client.get("/html")
    assert (r.status_code, r.headers["content-type"], r.text) == (203, "text/html; charset=utf-8", "<p>hi</p>")
    r = client.get("/binary")
    assert r.headers["content-type"] == "application/octet-stream" and r.content == b"\x00\x01\xff"
    assert client.get("/binary-typed").headers["content-type"] == "image/gif"
    r = client.get("/none-body")
    assert r.status_code == 200 and r.content == b""


def test_xml(client):
    r = client.get("/xml")
    assert r.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "root"
    user = root.find("user")
    assert user.find("id").text == "1" and user.find("name").text == "a<b"  # escaped on the wire
    assert [t.text for t in user.find("tags")] == ["x", "y"] and user.find("admin").text == "true"
    assert user.find("none").text is None
    assert b"a&lt;b" in r.content
    root = ET.fromstring(client.get("/xml-root").content)
    assert root.tag == "numbers" and [i.text for i in root] == ["1", "2"]


def test_created_no_content_and_redirects(client):
    r = client.get("/created")
    assert (r.status_code, r.headers["location"], r.json()) == (201, "/items/9", {"id": 9})
    r = client.get("/created-empty")
    assert (r.status_code, r.headers["location"], r.content) == (201, "/items/10", b"")
    r = client.get("/no-content")
    assert r.status_code == 204 and r.content == b""
    for path, status, location in [("/redirect", 302, "/elsewhere"), ("/redirect-permanent", 301, "/moved"),
                                   ("/redirect-positional", 301, "/moved"), ("/redirect-307", 307, "/keep")]:
        r = client.get(path)
        assert (r.status_code, r.headers["location"]) == (status, location), path


def test_set_header_and_a_callable_content_type(client):
    assert client.get("/set-header").json() == {"content_type": "text/plain; charset=utf-8", "is_str": True,
                                                  "header": "final"}


def test_problem_details_are_returned_as_they_are(client):
    r = client.get("/problem")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json() == {"type": "https://example.com/probs/out-of-credit", "title": "Out of credit", "status": 403,
                        "detail": "Your balance is 30.", "instance": "/account/12", "balance": 30}
    r = client.get("/problem-default")
    assert r.status_code == 404 and r.json() == {"type": "about:blank", "title": "Not Found", "status": 404}
    r = client.get("/problem-original")
    assert r.status_code == 418 and r.json() == {"type": "about:blank", "title": "Teapot", "status": 418, "brew": "tea"}
    p = ProblemDetails(status=400, detail="bad")
    assert json.loads(p.to_json()) == {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "bad"}
    with pytest.raises(ValueError):
        p.with_extension("status", 1)


def test_a_form_returned_as_json(client):
    r = client.post("/form", content=b"name=ada&role=admin&role=owner",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json() == {"name": "ada", "role": "owner"}
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nreport\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n")
    r = client.post("/upload", content=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 200
    assert r.json() == {"title": "report", "file": {"filename": "r.txt", "content_type": "text/plain", "size": 5}}
