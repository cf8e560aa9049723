"""Templates on Jinja2 (issue 17 item 11): enable_templates(), render/render_string, autoescape,
globals, files re-read when changed, and a template error as a development page naming the
template's file and line (a plain 500 in production), over real HTTP."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from cello import App
from cello.testing import TestClient


@pytest.fixture
def site(tmp_path: Path) -> Path:
    t = tmp_path / "templates"
    t.mkdir()
    (t / "hello.html").write_text("<h1>Hello {{ name }}</h1><p>{{ site }}</p>")
    (t / "broken.html").write_text("line one\n{% for x in items %}\n{{ x }}\n")  # no endfor
    (t / "fails.html").write_text("ok\nstill ok\n{{ 1 // zero }}\n")
    return t


def make_app(site: Path) -> App:
    app = App()
    templates = app.enable_templates(str(site), globals={"site": "Cello & co"})

    @app.get("/hello/{name}")
    def hello(request):
        return templates.response("hello.html", {"name": request.params["name"]})

    @app.get("/broken")
    def broken(request):
        return templates.response("broken.html", items=[1])

    @app.get("/fails")
    def fails(request):
        return templates.response("fails.html", zero=0)

    @app.get("/string")
    def string(request):
        return {"text": app.render_string("{{ a }}+{{ b|upper }}", {"a": "<x>"}, b="y")}

    return app


def test_rendering_escapes_and_sees_globals(site):
    with TestClient(make_app(site)) as c:
        r = c.get("/hello/%3Cscript%3E")
        assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.text == "<h1>Hello &lt;script&gt;</h1><p>Cello &amp; co</p>"
        assert c.get("/string").json() == {"text": "&lt;x&gt;+Y"}
        (site / "hello.html").write_text("<h2>Hi {{ name }}</h2>")
        time.sleep(0.01)
        assert c.get("/hello/ada").text == "<h2>Hi ada</h2>"  # a changed file is read again


def test_errors_name_the_template_and_line(site):
    with TestClient(make_app(site)) as c:
        r = c.get("/broken")
        assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
        assert "broken.html" in r.text and "line 3" in r.text and "TemplateSyntaxError" in r.text  # the unclosed for, at the end
        r = c.get("/fails")
        assert r.status_code == 500 and "fails.html" in r.text and "line 3" in r.text
        assert "ZeroDivisionError" in r.text and "{{ 1 // zero }}" in r.text
        assert c.get("/hello/ok").status_code == 200  # and the server keeps serving


def test_production_hides_the_page(site):
    with TestClient(make_app(site), env="production") as c:
        r = c.get("/fails")
        assert r.status_code == 500 and "fails.html" not in r.text


def test_once_and_in_order(site):
    app = App()
    with pytest.raises(RuntimeError):
        app.render("hello.html")
    app.enable_templates(str(site))
    with pytest.raises(RuntimeError):
        app.enable_templates(str(site))
    assert app.render("hello.html", name="x", site="s") == "<h1>Hello x</h1><p>s</p>"


def test_a_render_error_in_a_handler_is_a_logged_500(site, capfd):
    app = App()
    app.enable_templates(str(site))

    @app.get("/page")
    def page(request):
        return app.render("fails.html", zero=0)

    with TestClient(app, env="production") as c:
        r = c.get("/page")
    assert r.status_code == 500 and "fails.html" not in r.text and "ZeroDivisionError" not in r.text
    assert "fails.html" in capfd.readouterr().err  # the operator sees where


def test_escape_is_html_escape_in_one_pass():
    # cello.escape (pyembed/src/py_html_escape.cpp) answers exactly as html.escape(quote=True), for
    # strings of every width (1-, 2- and 4-byte characters), and returns an unescaped str as it is.
    import html
    import random

    from cello import escape

    plain = "nothing to escape, é€"
    assert escape(plain) is plain
    assert escape("<a href=\"x\">Tom & Jerry's</a>") == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/a&gt;"
    assert escape(42) == "42" and escape(None) == "None"
    rng = random.Random(7)
    alphabet = "ab<>&\"' é€😀\x00"  # (an embedded NUL must not end the scan)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert escape(text) == html.escape(text), text

