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

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from . import _cello


def _engine_thread(native: Any) -> bool:
    import asyncio

    try:
        return asyncio.get_running_loop() is native.loop
    except RuntimeError:
        return False


def _unavailable(native: Any, what: str) -> Exception:
    """Why `what` cannot read the body on the engine thread now: its failure (413, 408...), or
    that it is still arriving (a blocking wait there would hold up every other connection)."""
    if native.error is not None:
        from .errors import HTTPError

        return HTTPError(*native.error)
    size = f"{native.length} bytes" if native.length is not None else "chunked"
    return RuntimeError(
        f"{what} on the engine thread (an async handler, or a hook or middleware of one): the request body "
        f"({size}) is larger than body_buffer_size and still arriving; read it with await request.body_async() "
        "(text_async(), json_async(), form_async()) or async for chunk in request.stream()")


def _claim(native: Any, who: str) -> None:
    """`who` reads the body as it arrives; a body is read that way once."""
    if native.consumer is not None and native.consumer != who:
        raise RuntimeError(f"the request body was already read by {native.consumer}")
    native.consumer = who


async def _next_chunk(native: Any) -> bytes | None:
    """The next piece of the body, None at the end; waits for it. On the engine thread's loop."""
    while True:
        chunk = native.take()
        if chunk is None or chunk:
            return chunk
        future = native.loop.create_future()
        native.wait(future)
        await future


async def _next_chunk_anywhere(native: Any) -> bytes | None:
    """_next_chunk from any event loop (another one's task goes through the engine thread's)."""
    if _engine_thread(native):
        return await _next_chunk(native)
    import asyncio

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_next_chunk(native), native.loop))


def _blocking(native: Any, work: Any, what: str) -> Any:
    """The result of the coroutine `work` (run on the engine thread's loop), waited for in a sync
    handler's thread. On the engine thread only a body that has arrived whole can be read: `work`
    then finishes without waiting."""
    if _engine_thread(native):
        if not native.complete:
            work.close()
            raise _unavailable(native, what)
        try:
            work.send(None)
        except StopIteration as done:
            return done.value
        raise AssertionError("reading a complete body waited")
    import asyncio

    return asyncio.run_coroutine_threadsafe(work, native.loop).result()


async def _read_all(native: Any) -> bytes:
    pieces = []
    while (chunk := await _next_chunk(native)) is not None:
        pieces.append(chunk)
    return b"".join(pieces)


#: Bytes a sync handler's thread takes per trip to the engine thread when it reads a form (each
#: trip waits for the GIL twice).
_BATCH = 1 << 20


async def _batch(native: Any) -> list[bytes | None]:
    """Pieces of at least _BATCH bytes in all, or up to the end (then the last item is None)."""
    pieces: list[bytes | None] = []
    size = 0
    while size < _BATCH:
        chunk = await _next_chunk(native)
        pieces.append(chunk)
        if chunk is None:
            break
        size += len(chunk)
    return pieces


def read_body(native: Any) -> bytes:
    """``request.body()`` of a body that streams: read whole (see the module's documentation); in
    a sync handler's thread, with one trip to the engine thread's loop."""
    _claim(native, "request.body()")
    native.whole = body = _blocking(native, _read_all(native), "request.body()")
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
        if native is None or getattr(native, "whole", None) is not None:
            return False
        _claim(native, "request.stream()")
        return True

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        chunk = await _next_chunk_anywhere(self._native) if self._streams() else self._whole()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._streams():
            chunk = _blocking(self._native, _next_chunk(self._native), "for chunk in request.stream()")
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
    _claim(native, "request.body()")
    pieces = []
    while (chunk := await _next_chunk_anywhere(native)) is not None:
        pieces.append(chunk)
    native.whole = body = b"".join(pieces)
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
    if getattr(native, "form", None) is not None:
        return native.form
    _claim(native, "request.form()")
    builder = forms.MultipartBuilder(content_type)
    try:
        while (chunk := await _next_chunk_anywhere(native)) is not None:
            builder.feed(chunk)
        native.form = form = builder.finish()  # request.form() gives it too
        return form
    except BaseException:
        builder.close()
        raise


def read_form(native: Any, content_type: str) -> Any:
    """``request.form()`` of a body that streams: a multipart form parsed as it arrives, in the sync
    handler's thread (the engine thread only hands it the pieces, a batch per trip); another form
    read whole and parsed."""
    from . import forms

    if not forms.is_multipart(content_type):
        return forms.parse_form(content_type, read_body(native))
    if getattr(native, "form", None) is not None:
        return native.form
    _claim(native, "request.form()")
    if _engine_thread(native):
        raise _unavailable(native, "request.form()")
    builder = forms.MultipartBuilder(content_type)
    try:
        while True:
            pieces = _blocking(native, _batch(native), "request.form()")
            for chunk in pieces:
                if chunk is None:
                    native.form = form = builder.finish()
                    return form
                builder.feed(chunk)
    except BaseException:
        builder.close()
        raise


def start_handler(fn: Callable[[Any], Any], request: Any) -> Any:
    """Calls the handler of a request whose body is still arriving: an ``async def`` one as usual,
    a sync one in a thread of the loop's default executor (it returns a coroutine that awaits it),
    where reading the body waits without holding up the engine thread."""
    if _is_async(fn):
        return fn(request)
    return _in_thread(fn, request)


@functools.lru_cache(maxsize=None)  # once per handler (handlers live as long as the app)
def _is_async(fn: Any) -> bool:
    import inspect  # only when a large body arrives: not in every server's memory

    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


async def _in_thread(fn: Callable[[Any], Any], request: Any) -> Any:
    import asyncio
    import contextvars

    loop = asyncio.get_running_loop()
    # The thread's reference to the request ends with the call: the executor's work item outlives
    # it for a moment, and the engine recycles the request (closing uploads the handler did not
    # keep) only if nothing else holds it when the handler is done.
    box = [request]
    del request

    def call() -> Any:
        return fn(box.pop())

    result = await loop.run_in_executor(None, contextvars.copy_context().run, call)
    if asyncio.iscoroutine(result):  # a sync wrapper of an async handler
        result = await result
    return result


def install(request_class: Any = _cello.Request) -> None:
    """Adds stream(), body_async(), text_async(), json_async() and form_async() to Request."""
    for fn in (stream, body_async, text_async, json_async, form_async):
        setattr(request_class, fn.__name__, fn)


__all__ = ["RequestStream", "install"]
