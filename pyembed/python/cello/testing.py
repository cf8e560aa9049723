"""`TestClient`: serves an app on the real engine, on an ephemeral loopback port inside this
process, and talks HTTP to it with the standard library's `http.client`.

>>> with TestClient(app) as client:
...     assert client.get("/users/1").json() == {"id": 1}
"""
from __future__ import annotations

import contextlib
import http.client
import json as jsonlib
import os
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Union
from urllib.parse import urlencode

from ._testing_websocket import WebSocketRejected, WebSocketTestSession
from .app import App, run_shutdown, run_startup
from .config import RunConfig
from .datastructures import Headers

Fields = Union[Mapping[str, Any], list[tuple[str, Any]]]

__all__ = ["TestClient", "TestResponse", "WebSocketRejected", "WebSocketTestSession"]


class TestResponse:
    """One response: `status_code`, `reason`, `headers` (case-insensitive), `content`, `text`,
    `json()`. A streamed response (`client.stream(...)`) is read with `iter_bytes()`/`iter_text()`
    or `read()`; `content` is available once it has been read."""

    __test__ = False  # not a pytest test class

    def __init__(self, raw: http.client.HTTPResponse, method: str, url: str) -> None:
        self._raw = raw
        self.method = method
        self.url = url
        self.status_code: int = raw.status
        self.reason: str = raw.reason
        self.http_version: str = "HTTP/1.1" if raw.version == 11 else "HTTP/1.0"
        self.headers = Headers(raw.getheaders())
        self._parts: list[bytes] = []  # what iter_bytes() has read so far
        self._content: bytes | None = None

    def read(self) -> bytes:
        """Reads the body to the end; returns all of it (also the part iter_bytes() gave)."""
        if self._content is None:
            self._content = b"".join(self._parts) + self._raw.read()
        return self._content

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The body as it arrives, in pieces of at most `chunk_size` bytes (of a chunked body, at
        most one chunk each)."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        while self._content is None and (chunk := self._raw.read1(chunk_size)):
            self._parts.append(chunk)
            yield chunk
        if self._content is None:
            self._content = b"".join(self._parts)

    def iter_text(self, chunk_size: int = 65536) -> Iterator[str]:
        """`iter_bytes()` decoded incrementally with the response's charset."""
        import codecs

        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        for chunk in self.iter_bytes(chunk_size):
            if text := decoder.decode(chunk):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail

    @property
    def content(self) -> bytes:
        """The body as bytes."""
        return self.read()

    @property
    def encoding(self) -> str:
        """The charset of the Content-Type, else utf-8."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with the response's charset (utf-8 by default)."""
        return self.content.decode(self.encoding, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.content)

    @property
    def is_success(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status_code < 300

    def close(self) -> None:
        """Closes the connection (a streamed response that was not read to the end)."""
        self._raw.close()

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_code} {self.method} {self.url}>"


def _urlencode(data: Fields) -> str:
    pairs = data.items() if isinstance(data, Mapping) else data
    return urlencode(list(pairs), doseq=True)


def _quote(value: str) -> str:
    """A multipart parameter value, escaped like browsers do (HTML's form submission rules)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _file_part(field: str, value: Any) -> tuple[str, bytes, str]:
    """(filename, content, content type) of one `files=` entry: (filename, content[, content_type]),
    a file object or bytes/str (named after the field)."""
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise ValueError(f"files[{field!r}]: expected (filename, content) or (filename, content, content_type)")
        filename, content = value[0], value[1]
        content_type = value[2] if len(value) == 3 else "application/octet-stream"
    elif hasattr(value, "read"):
        filename = os.path.basename(getattr(value, "name", field) or field)
        content, content_type = value.read(), "application/octet-stream"
    else:
        filename, content, content_type = field, value, "application/octet-stream"
    if hasattr(content, "read"):
        content = content.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return str(filename), bytes(content), content_type


def _multipart(data: Fields | None, files: Fields) -> tuple[bytes, str]:
    """A multipart/form-data body from form fields and files, and its Content-Type."""
    if data is not None and not isinstance(data, (Mapping, list)):
        raise TypeError("with files=, data= must be a dict or a list of pairs (the form fields)")
    boundary = uuid.uuid4().hex
    out: list[bytes] = []
    fields = (data.items() if isinstance(data, Mapping) else data) if data else []
    for name, value in fields:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            item = item if isinstance(item, bytes) else str(item).encode("utf-8")
            out += [f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode(),
                    item, b"\r\n"]
    for name, value in (files.items() if isinstance(files, Mapping) else files):
        filename, content, content_type = _file_part(name, value)
        out += [f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'.encode(),
                content, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _stop(server: Any) -> None:
    server.stop()
    server.wait(10)


class TestClient:
    """Serves `app` on the real engine, on 127.0.0.1 and a free port, for the duration of a
    ``with`` block (or from the first request until `close()`), and sends requests to it.

    Entering runs the app's startup hooks and starts the server; leaving stops it gracefully and
    runs the shutdown hooks. `env`, `workers`, `logs` and `server_options` (max_body_size...)
    are those of `app.run()`. Each request uses its own connection, so one client may be used
    from several threads. Redirects are not followed.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: App, *, env: str = "development", workers: int = 1, logs: bool = False,
                 timeout: float = 10.0, **server_options: Any) -> None:
        self.app = app
        self.timeout = timeout
        self._config = RunConfig(host="127.0.0.1", port=0, workers=workers, env=env, logs=logs,
                                 server_options=server_options, logs_explicit=True)
        self._server: Any = None
        self._finalizer: weakref.finalize | None = None
        self._lock = threading.Lock()
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Runs the startup hooks and starts serving (done by ``with`` or the first request).
        An exception of a startup hook propagates and nothing is served."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this TestClient is closed")
            if self._server is not None:
                return
            server = self.app.build_server(self._config)
            run_startup(self.app, server)
            server.start()
            self._server = server
            # Forgotten close(): the server still stops when the client is collected or at exit.
            self._finalizer = weakref.finalize(self, _stop, server)

    def close(self, timeout: float = 30.0) -> None:
        """Stops the server (in-flight requests finish), then runs the shutdown hooks; a failing
        shutdown hook's exception propagates after the other hooks ran."""
        with self._lock:
            server, self._server = self._server, None
            self._closed = True
            if server is None:
                return
            if self._finalizer is not None:
                self._finalizer.detach()
            if not run_shutdown(self.app, server, timeout):
                raise RuntimeError(f"the server did not stop within {timeout}s")

    def __enter__(self) -> TestClient:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The server's port (starts it if needed)."""
        self.start()
        return int(self._server.port)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    # -- requests -----------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, params: Fields | str | None = None, headers: Mapping[str, str] | None = None,
              json: Any = None, data: Any = None, files: Any = None, content: bytes | str | None = None,
              timeout: float | None = None) -> TestResponse:
        """Sends one request on a new connection; returns once the headers arrived."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        port = self.port
        if params:
            query = params if isinstance(params, str) else _urlencode(params)
            path += ("&" if "?" in path else "?") + query
        sent = Headers(headers)
        body: bytes | None = None
        content_type: str | None = None
        if files is not None:
            body, content_type = _multipart(data, files)
        elif json is not None:
            body, content_type = jsonlib.dumps(json, separators=(",", ":")).encode(), "application/json"
        elif isinstance(data, (Mapping, list)):
            body, content_type = _urlencode(data).encode("ascii"), "application/x-www-form-urlencoded"
        elif data is not None:
            body = data
        elif content is not None:
            body = content
        if isinstance(body, str):
            body = body.encode("utf-8")
        if content_type and "content-type" not in sent:
            sent["Content-Type"] = content_type
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""  # Content-Length: 0, like other clients
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout if timeout is None else timeout)
        try:
            conn.request(method, path, body=body, headers=sent)  # repeated headers stay repeated
            raw = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        return TestResponse(raw, method, path)

    def websocket_connect(self, path: str, *, headers: Mapping[str, str] | None = None,
                          subprotocols: list[str] | None = None, params: Fields | str | None = None,
                          timeout: float | None = None) -> WebSocketTestSession:
        """Opens a WebSocket to `path` (a ``with`` block closes it): ``send_text/bytes/json``,
        ``receive``, ``receive_text/bytes/json``, ``close(code, reason)``, ``subprotocol``. A refused
        upgrade raises ``cello.testing.WebSocketRejected`` (its ``status``: 403...)."""
        if params:
            path += ("&" if "?" in path else "?") + (params if isinstance(params, str) else _urlencode(params))
        return WebSocketTestSession(self.port, path, headers, subprotocols or (),
                                    self.timeout if timeout is None else timeout)

    def request(self, method: str, path: str, **kw: Any) -> TestResponse:
        """Sends `method` `path` and reads the whole response.

        Keywords: `params` (dict, list of pairs or str: the query), `headers`, `json` (any JSON
        value), `data` (a dict or list of pairs: a urlencoded form, or with `files` the form
        fields; bytes or str: the raw body), `files` (multipart: ``{"field": ("name.txt",
        b"bytes", "text/plain")}``, ``("name", bytes)``, plain bytes or a file object),
        `content` (raw body), `timeout` (seconds)."""
        response = self._send(method.upper(), path, **kw)
        try:
            response.read()
        finally:
            response.close()
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kw: Any) -> Iterator[TestResponse]:
        """Like `request`, but the body is not read: iterate `iter_bytes()` inside the block to
        see it arrive. The connection is closed when the block ends."""
        response = self._send(method.upper(), path, **kw)
        try:
            yield response
        finally:
            response.close()

    def get(self, path: str, **kw: Any) -> TestResponse:
        """GET `path`."""
        return self.request("GET", path, **kw)

    def head(self, path: str, **kw: Any) -> TestResponse:
        """HEAD `path`."""
        return self.request("HEAD", path, **kw)

    def options(self, path: str, **kw: Any) -> TestResponse:
        """OPTIONS `path`."""
        return self.request("OPTIONS", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        """POST `path`."""
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        """PUT `path`."""
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        """PATCH `path`."""
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        """DELETE `path`."""
        return self.request("DELETE", path, **kw)
