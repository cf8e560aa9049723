"""Request bodies still arriving when the handler starts.

A body larger than the server's ``body_buffer_size`` (1 MiB by default) is not read before the
handler runs: the handler takes it as it arrives, and the connection reads only as fast as it is
taken (a window of 256 KiB waits at most). ``request.stream()`` gives its pieces, ``async for`` in
any handler, ``for`` in a sync one; ``await request.body_async()`` (and ``text_async``,
``json_async``, ``form_async``) read it whole from an ``async def`` handler. A sync handler of such
a request runs in a thread of the loop's default executor (as Starlette runs every sync endpoint),
so that ``request.body()``, ``json()``, ``form()`` and ``for chunk in request.stream()`` wait there
for the body without holding up the engine thread. Multipart forms are parsed as they arrive:
uploaded files go to their temporary files piece by piece, never whole into memory.

Every native call on the body (``_cello.RequestBodyStream``) happens on the engine thread's loop;
a handler's thread reaches it through ``asyncio.run_coroutine_threadsafe``. (asyncio is imported
only once a large body comes: ``import cello`` does not import it.)
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from . import _cello


def _engine_thread(native: Any) -> bool:
    import asyncio

    try:
        return asyncio.get_running_loop() is native.loop
    except RuntimeError:
        return False


def _still_arriving(native: Any, what: str) -> RuntimeError:
    size = f"{native.length} bytes" if native.length is not None else "chunked"
    return RuntimeError(
        f"{what} in an async handler: the request body ({size}) is larger than body_buffer_size and still "
        "arriving; read it with await request.body_async() (text_async(), json_async(), form_async()) or "
        "async for chunk in request.stream()")


async def _next_chunk(native: Any) -> bytes | None:
    """The next piece of the body, None at the end; waits for it on the engine thread's loop."""
    while True:
        chunk = native.take()
        if chunk is None or chunk:
            return chunk
        future = native.loop.create_future()
        native.wait(future)
        await future


def _next_chunk_blocking(native: Any, what: str) -> bytes | None:
    """The same from a sync handler's thread, which waits. On the engine thread (an async
    handler's sync call) only a body that has arrived whole can be read."""
    if _engine_thread(native):
        chunk = native.take()
        if chunk == b"":
            raise _still_arriving(native, what)
        return chunk
    import asyncio

    return asyncio.run_coroutine_threadsafe(_next_chunk(native), native.loop).result()


def _check_unread(native: Any) -> None:
    if native.taken:
        raise RuntimeError("the request body was already read (in part) with request.stream()")


async def _read_all(native: Any) -> bytes:
    pieces = []
    while (chunk := await _next_chunk(native)) is not None:
        pieces.append(chunk)
    return b"".join(pieces)


def _on_engine_loop(native: Any, work: Any, what: str) -> Any:
    """Runs the coroutine `work` on the engine thread's loop and waits for its result: from a
    sync handler's thread, one trip there for the whole body, not one per piece (each trip waits
    for the GIL). On the engine thread only a body that has arrived whole can be read."""
    if _engine_thread(native):
        if not native.complete:
            work.close()
            raise _still_arriving(native, what)
        try:  # everything is there: the coroutine finishes without waiting
            work.send(None)
        except StopIteration as done:
            return done.value
        raise AssertionError("a complete body's read waited")
    import asyncio

    return asyncio.run_coroutine_threadsafe(work, native.loop).result()


def read_body(native: Any) -> bytes:
    """``request.body()`` of a body that streams: read whole (see the module's documentation)."""
    _check_unread(native)
    native.whole = body = _on_engine_loop(native, _read_all(native), "request.body()")
    return body


class RequestStream:
    """What ``request.stream()`` returns: the body's pieces (bytes, none empty) as they arrive.
    ``async for chunk in request.stream()`` in any handler, ``for chunk in request.stream()`` in a
    sync one. A body read whole before (``body()``) comes as one piece; a body can be streamed once."""

    __slots__ = ("_request", "_native", "_given")

    def __init__(self, request: Any) -> None:
        self._request = request
        self._native = request._body_stream
        self._given = False  # a body that was not streamed: given as one piece

    def _whole(self) -> bytes | None:
        if self._given:
            return None
        self._given = True
        body = self._request.body()
        return body or None

    def _streams(self) -> bool:
        native = self._native
        return native is not None and getattr(native, "whole", None) is None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        chunk = await _next_chunk(self._native) if self._streams() else self._whole()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._streams():
            chunk = _next_chunk_blocking(self._native, "for chunk in request.stream()")
        else:
            chunk = self._whole()
        if chunk is None:
            raise StopIteration
        return chunk


def stream(self: Any) -> RequestStream:
    """The body's pieces as they arrive (``async for`` / ``for``); see :class:`RequestStream`."""
    return RequestStream(self)


async def body_async(self: Any) -> bytes:
    """The body, read whole without blocking the engine thread (for ``async def`` handlers)."""
    native = self._body_stream
    if native is None or getattr(native, "whole", None) is not None:
        return self.body()
    _check_unread(native)
    native.whole = body = await _read_all(native)
    self._set_body(body)
    return body


async def text_async(self: Any) -> str:
    """The body as str (UTF-8), read as :func:`body_async` does; HTTPError(400) on bad UTF-8."""
    await body_async(self)
    return self.text()


async def json_async(self: Any) -> Any:
    """The body parsed as JSON, read as :func:`body_async` does; HTTPError(400) when invalid."""
    await body_async(self)
    return self.json()


async def form_async(self: Any) -> Any:
    """The body as form data, read as it arrives; files spool to disk piece by piece."""
    from . import forms

    native = self._body_stream
    content_type = self.headers.get("content-type", "")
    if native is None or getattr(native, "whole", None) is not None or not forms.is_multipart(content_type):
        if native is not None:
            await body_async(self)
        return self.form()
    _check_unread(native)
    return await _read_multipart(native, content_type)


async def _read_multipart(native: Any, content_type: str) -> Any:
    from . import forms

    builder = forms.MultipartBuilder(content_type)
    try:
        while (chunk := await _next_chunk(native)) is not None:
            builder.feed(chunk)
        return builder.finish()
    except BaseException:
        builder.close()
        raise


def read_form(native: Any, content_type: str) -> Any:
    """``request.form()`` of a body that streams: a multipart form parsed as it arrives (on the
    engine thread's loop, for a sync handler waiting in its thread), another form read whole and
    parsed."""
    from . import forms

    if not forms.is_multipart(content_type):
        return forms.parse_form(content_type, read_body(native))
    _check_unread(native)
    return _on_engine_loop(native, _read_multipart(native, content_type), "request.form()")


def start_handler(fn: Callable[[Any], Any], request: Any) -> Any:
    """Calls the handler of a request whose body is still arriving: an ``async def`` one as usual,
    a sync one in a thread of the loop's default executor (it returns a coroutine that awaits it),
    where reading the body waits without holding up the engine thread."""
    if _is_async(fn):
        return fn(request)
    return _in_thread(fn, request)


def _is_async(fn: Any) -> bool:
    import inspect  # only when a large body arrives: not in every server's memory

    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


async def _in_thread(fn: Callable[[Any], Any], request: Any) -> Any:
    import asyncio
    import contextvars

    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(None, contextvars.copy_context().run, fn, request)
    if asyncio.iscoroutine(result):  # a sync wrapper of an async handler
        result = await result
    return result


def install(request_class: Any = _cello.Request) -> None:
    """Adds stream(), body_async(), text_async(), json_async() and form_async() to Request."""
    for fn in (stream, body_async, text_async, json_async, form_async):
        setattr(request_class, fn.__name__, fn)


__all__ = ["RequestStream", "install"]
