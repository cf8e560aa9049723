"""Templates on Jinja2 (Debian's python3-jinja2): ``app.enable_templates()`` as the original Cello
spells it (its MiniJinja syntax is Jinja2's).

>>> templates = app.enable_templates("templates")
>>> @app.get("/hello/{name}")
... def hello(request):
...     return templates.response("hello.html", {"name": request.params["name"]})

Autoescape is on (HTML, XML and any name: as the original's ``auto_escape=True``). Templates are
re-read when their file changes, so the studio's hot reload covers them too. A template that fails
(a syntax error, an undefined filter, an exception inside it) answers 500; in development the page
names the template's file and line and shows the lines around it.
"""
from __future__ import annotations

import html
import os
import sys
import traceback
from typing import Any

from .response import Response


class TemplateError(Exception):
    """A template that could not be rendered: where (file, line) and why. Not an HTTPError: raised
    out of a handler it is an unhandled exception, logged with its traceback, and its details reach
    the client only in development (the framework's 500)."""

    def __init__(self, message: str, template: str | None, line: int | None, source: str | None) -> None:
        super().__init__(f"{message} (in {template or '?'}{f', line {line}' if line else ''})")
        self.message, self.template, self.line, self.source = message, template, line, source

    def page(self) -> Response:
        """The development page: the error, the template's file and line, the lines around it."""
        rows = []
        if self.source and self.line:
            lines = self.source.splitlines()
            for n in range(max(1, self.line - 3), min(len(lines), self.line + 3) + 1):
                mark = ' class="here"' if n == self.line else ""
                rows.append(f"<tr{mark}><td>{n}</td><td><pre>{html.escape(lines[n - 1])}</pre></td></tr>")
        where = html.escape(f"{self.template or '?'}" + (f", line {self.line}" if self.line else ""))
        body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Template error</title><style>"
                "body{font-family:sans-serif;margin:2em}pre{margin:0}td{padding:0 .6em;vertical-align:top}"
                "tr.here{background:#fdd}</style></head><body><h1>Template error</h1>"
                f"<p><b>{html.escape(self.message)}</b></p><p>in <code>{where}</code></p>"
                f"<table>{''.join(rows)}</table></body></html>")
        return Response.html(body, 500)


class Templates:
    """A Jinja2 environment on `template_dir`; what enable_templates() returns."""

    def __init__(self, template_dir: str | os.PathLike[str] = "templates", auto_escape: bool = True,
                 globals: dict[str, Any] | None = None) -> None:
        try:
            import jinja2
        except ImportError:
            raise RuntimeError("templates need Jinja2: install Debian's python3-jinja2") from None
        self._jinja2 = jinja2
        self.template_dir = os.path.abspath(os.fspath(template_dir))
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(self.template_dir), autoescape=auto_escape,
                                      auto_reload=True)
        self.env.globals.update(globals or {})
        self.debug = True  # the app sets it from its environment when it serves

    def render(self, name: str, context: dict[str, Any] | None = None, /, **values: Any) -> str:
        """The template `name` (relative to template_dir) rendered with `context` and `values`."""
        try:
            return self.env.get_template(name).render({**(context or {}), **values})
        except self._jinja2.TemplateNotFound:
            raise TemplateError(f"template {name!r} not found in {self.template_dir}", name, None, None) from None
        except Exception as e:
            raise self._located(e, name) from e

    def render_string(self, source: str, context: dict[str, Any] | None = None, /, **values: Any) -> str:
        """`source` rendered as a template."""
        try:
            return self.env.from_string(source).render({**(context or {}), **values})
        except Exception as e:
            raise self._located(e, "<string>", source) from e

    def response(self, name: str, context: dict[str, Any] | None = None, /, status: int = 200,
                 **values: Any) -> Response:
        """The rendered template as a text/html response; in development a failure is the error page."""
        try:
            return Response.html(self.render(name, context, **values), status)
        except TemplateError as e:
            if not self.debug:
                raise  # a logged 500 without the details
            print(f"cello: template error: {e}", file=sys.stderr, flush=True)
            return e.page()

    def _located(self, error: Exception, name: str, source: str | None = None) -> TemplateError:
        """Where in the template the error is: a syntax error says it; for an error while rendering,
        Jinja2 puts the template's lines in the traceback."""
        jinja2 = self._jinja2
        line = getattr(error, "lineno", None) if isinstance(error, jinja2.TemplateSyntaxError) else None
        template = getattr(error, "filename", None) or getattr(error, "name", None) or name
        if line is None:
            for frame in traceback.extract_tb(error.__traceback__):
                if frame.filename.startswith(self.template_dir) or frame.filename == "<template>":
                    template, line = frame.filename, frame.lineno
        if source is None and template and os.path.isfile(template):
            with open(template, encoding="utf-8", errors="replace") as f:
                source = f.read()
        elif source is None:
            path = os.path.join(self.template_dir, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    source = f.read()
                template = path
        return TemplateError(f"{type(error).__name__}: {error}", template, line, source)
