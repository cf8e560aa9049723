"""Route registration in-process (`from cello import App`): decorators, bad patterns, unsupported handlers."""
from __future__ import annotations

import pytest

from cello import App


def handler(request):
    return {}


def test_decorators_return_function_unchanged():
    app = App()
    for deco in (app.get, app.post, app.put, app.patch, app.delete, app.head, app.options):
        def fn(request):
            return None
        assert deco(f"/{deco.__name__}")(fn) is fn
    def multi(request):
        return None
    assert app.route("/multi", methods=["GET", "POST"])(multi) is multi
    assert {(r.method, r.path) for r in app.routes} >= {("GET", "/multi"), ("POST", "/multi"), ("PATCH", "/patch")}


def test_route_options_are_recorded():
    app = App()
    app.get("/x", name="the_x", summary="An x", tags=["t"])(handler)
    (route,) = app.routes
    assert (route.name, route.summary, route.tags) == ("the_x", "An x", ["t"])


@pytest.mark.parametrize("first, second", [
    ("/a/{x}", "/a/{x}"),  # same route twice
    ("/a/{x}", "/a/{y}"),  # same shape, different parameter name
    ("/a/{x:int}", "/a/{y:int}"),
    ("/f/{p:path}", "/f/{q:path}"),
    ("/same", "/same"),
])
def test_conflicting_patterns_raise_value_error(first, second):
    app = App()
    app.get(first)(handler)
    with pytest.raises(ValueError) as info:
        app.get(second)(handler)
    assert second in str(info.value), str(info.value)


def test_same_path_different_methods_is_fine():
    app = App()
    app.get("/a/{x}")(handler)
    app.post("/a/{x}")(handler)
    app.get("/a/me")(handler)
    assert len(app.routes) == 3


@pytest.mark.parametrize("pattern", [
    "/a/{x",          # unterminated
    "/a/x}",          # stray closing brace
    "/a/{}",          # empty name
    "/a/{x:nope}",    # unknown type
    "no/leading/slash",
    "",
    "/a/{p:path}/b",  # catch-all not last
    "/a/{x}/{x}",     # duplicate parameter
    "/a/{1x}",        # not an identifier
    "/a/{{x}}",       # nested braces
])
def test_malformed_patterns_raise_value_error_naming_pattern(pattern):
    app = App()
    with pytest.raises(ValueError) as info:
        app.get(pattern)(handler)
    assert repr(pattern) in str(info.value) or f"'{pattern}'" in str(info.value) or (
        pattern and pattern in str(info.value)), str(info.value)


def test_async_handler_is_accepted():
    app = App()

    async def handler_async(request):
        return {}

    assert app.get("/async")(handler_async) is handler_async
    assert [r.path for r in app.routes] == ["/async"]


def test_async_generator_handler_is_accepted():
    app = App()

    async def agen(request):
        yield b"x"

    assert app.get("/agen")(agen) is agen


def test_handler_parameters_are_read_at_registration():
    # Beyond the request, parameters are path/query values, bodies and dependencies (cello.params):
    # what cannot be satisfied is refused when the route is registered, not when it is called.
    from cello import Depends

    app = App()
    app.get("/none")(lambda: None)  # no parameters: called without the request
    app.get("/two")(lambda a, b: None)  # the request, then a required query parameter `b`
    with pytest.raises(TypeError, match="Depends"):
        app.get("/bad-dependency")(lambda x=Depends(42): None)

    def unknown(request, n: "NoSuchType"):  # noqa: F821
        return None

    with pytest.raises(TypeError, match="NoSuchType"):
        app.get("/unknown-type")(unknown)
    with pytest.raises(TypeError):
        app.get("/not-callable")(42)
    assert [r.path for r in app.routes] == ["/none", "/two"]
