"""Handler parameters beyond `request`, FastAPI-style, decided once when the route is registered.

    @app.get("/items/{item_id}")
    async def read(item_id: int, q: str | None = None, user=Depends(current_user)): ...

    @app.post("/items")
    def create(item: Item, tasks: BackgroundTasks): ...

Each parameter of a handler (and of each dependency) is, by its annotation, default and name:

* the request: annotated ``Request``, or the first positional parameter with neither annotation
  nor default (``def handler(request)``, as every Cello handler takes it);
* ``Depends(callable)``: the callable's value, its own parameters resolved the same way; sync,
  ``async def`` or a generator (``yield`` once: the code after it runs once the response is out);
  computed once per request unless ``use_cache=False``; ``app.dependency_overrides[callable] =
  other`` swaps it (tests). ``Depends("name")`` is the value of ``app.register_singleton(name, value)``;
* ``BackgroundTasks``: the request's tasks, run after the response (cello.background);
* a pydantic model: the JSON body validated into it (two or more models: the body's keys by
  parameter name);
* a name of the route's path (``{item_id}``): that path value, converted to the annotation;
* anything else: a query parameter of that name (``list[int]``: every value), required unless it
  has a default.

A value that does not convert or validate is a 422 whose ``detail`` lists each problem
(``{"loc": ["query", "limit"], "msg": ..., "type": ...}``). A handler that takes only the request
is registered as it is, so it costs nothing. The plan is made here, once; per request only the
plan is followed (no ``inspect``).
"""
from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

from . import _cello
from .background import BackgroundTasks, request_tasks
from .errors import HTTPError
from .routing import _CO_ASYNC_GENERATOR, _CO_COROUTINE, _function_of

class _Empty:
    """No value (inspect.Parameter.empty, without importing `inspect` for every app)."""


_EMPTY: Any = _Empty


class Depends:
    """A parameter's default that asks for a dependency: ``user = Depends(current_user)``."""

    __slots__ = ("dependency", "use_cache")

    def __init__(self, dependency: Callable[..., Any] | str | None = None, *, use_cache: bool = True) -> None:
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        return f"Depends({getattr(self.dependency, '__qualname__', self.dependency)!r})"


class RequestValidationError(HTTPError):
    """422: the request's path, query or body values did not fit the handler's parameters.
    ``detail`` (and ``errors``) is the list of problems, each ``{"loc", "msg", "type"}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, errors)
        self.errors = errors


def _problem(where: str, name: str | None, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": [where] if name is None else [where, name], "msg": msg, "type": kind}


# --- converting text (path and query values) ------------------------------------------------------

_TRUE = {"1", "true", "on", "yes", "t", "y"}
_FALSE = {"0", "false", "off", "no", "f", "n"}


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("value could not be parsed to a boolean")


def _to_int(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ValueError("value is not a valid integer") from None


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValueError("value is not a valid float") from None


_SCALARS: dict[Any, tuple[Callable[[Any], Any], str]] = {
    str: (str, "type_error.str"),
    int: (_to_int, "type_error.integer"),
    float: (_to_float, "type_error.float"),
    bool: (_to_bool, "type_error.bool"),
    uuid.UUID: (uuid.UUID, "type_error.uuid"),
    decimal.Decimal: (decimal.Decimal, "type_error.decimal"),
    datetime.datetime: (datetime.datetime.fromisoformat, "type_error.datetime"),
    datetime.date: (datetime.date.fromisoformat, "type_error.date"),
    datetime.time: (datetime.time.fromisoformat, "type_error.time"),
}


def _optional_of(tp: Any) -> tuple[Any, bool]:
    """(X, True) for ``X | None`` / ``Optional[X]``; (tp, False) otherwise."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _converter(tp: Any, where: str, name: str) -> tuple[Callable[[Any], Any], bool]:
    """How a text value becomes `tp`, and whether the parameter takes every value (list[X])."""
    tp, _ = _optional_of(tp)
    if tp is _EMPTY or tp is Any:
        return (lambda v: v), False
    origin = typing.get_origin(tp)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        one, _ = _converter(args[0] if args else _EMPTY, where, name)
        collect = origin or tp
        return (lambda values: collect(one(v) for v in values)), True
    if tp in _SCALARS:
        convert, kind = _SCALARS[tp]

        def scalar(v: Any) -> Any:
            try:
                return convert(v)
            except (TypeError, ValueError, ArithmeticError) as e:
                msg = str(e) if convert in (_to_int, _to_float, _to_bool) else f"value is not a valid {tp.__name__}"
                raise RequestValidationError([_problem(where, name, msg, kind)]) from None

        return scalar, False
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        def member(v: Any) -> Any:
            try:
                return tp(v)
            except ValueError:
                for m in tp:  # an int-valued enum from text
                    if str(m.value) == str(v):
                        return m
                allowed = ", ".join(repr(m.value) for m in tp)
                raise RequestValidationError([_problem(where, name, f"value is not one of: {allowed}",
                                                       "type_error.enum")]) from None

        return member, False
    return _pydantic_converter(tp, where, name), False


def _pydantic_converter(tp: Any, where: str, name: str) -> Callable[[Any], Any]:
    """Any other annotation: pydantic validates the value (Literal, constrained types, ...)."""
    import pydantic

    if hasattr(pydantic, "TypeAdapter"):  # pydantic 2
        validate = pydantic.TypeAdapter(tp).validate_python
    else:
        validate = lambda v: pydantic.parse_obj_as(tp, v)  # noqa: E731

    def convert(v: Any) -> Any:
        try:
            return validate(v)
        except pydantic.ValidationError as e:
            raise RequestValidationError([_problem(where, name, err["msg"], err["type"]) for err in e.errors()]) from None

    return convert


# --- pydantic bodies --------------------------------------------------------------------------------

def _is_model(tp: Any) -> bool:
    if not isinstance(tp, type):
        return False
    try:
        import pydantic
    except ImportError:
        return False
    return issubclass(tp, pydantic.BaseModel)


def _model_validator(model: type, name: str | None) -> Callable[[Any], Any]:
    import pydantic

    validate = getattr(model, "model_validate", None) or model.parse_obj

    def convert(data: Any) -> Any:
        try:
            return validate(data)
        except pydantic.ValidationError as e:
            prefix = ["body"] if name is None else ["body", name]
            raise RequestValidationError([{"loc": prefix + list(err["loc"]), "msg": err["msg"], "type": err["type"]}
                                          for err in e.errors()]) from None

    return convert


def plain(value: Any) -> Any:
    """A pydantic model returned by a handler, as the dict the JSON writer writes."""
    dump = getattr(value, "model_dump", None)
    return dump() if dump is not None else value.dict()


# --- the plan -----------------------------------------------------------------------------------------

# A parameter's source (the first item of each step).
REQUEST, PATH, QUERY, BODY, BODY_FIELD, DEPENDS, TASKS, SINGLETON = range(8)


def _is_async(fn: Any) -> bool:
    func = _function_of(fn)[0]
    if func is None:
        call = getattr(type(fn), "__call__", None)
        func = call if call is not None and hasattr(call, "__code__") else None
    return bool(func is not None and func.__code__.co_flags & (_CO_COROUTINE | _CO_ASYNC_GENERATOR))


class Plan:
    """Where each parameter of one function comes from (made once, followed per request)."""

    def __init__(self, fn: Callable[..., Any], path_names: frozenset[str], label: str) -> None:
        self.fn = fn
        self.label = label
        self.path_names = path_names
        self.steps: list[tuple[Any, ...]] = []
        self.params: list[tuple[int, str, Any, Any]] = []  # (source, name, annotation, default): OpenAPI
        self.dependencies: list[Plan] = []
        import inspect

        try:
            signature = inspect.signature(fn)
            hints = typing.get_type_hints(fn)
        except (TypeError, ValueError, NameError) as e:
            raise TypeError(f"{label}: cannot read its parameters ({e})") from None
        from . import Request

        models = [p for p in signature.parameters.values() if _is_model(hints.get(p.name, p.annotation))
                  and not isinstance(p.default, Depends)]
        first = True
        self._first_positional = False
        for p in signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            tp = hints.get(p.name, p.annotation)
            tp = _EMPTY if tp is p.empty else tp
            default = _EMPTY if p.default is p.empty else p.default
            if isinstance(default, Depends):
                dep = default.dependency if default.dependency is not None else tp
                if isinstance(dep, str):
                    self.steps.append((SINGLETON, p.name, dep))
                else:
                    if not callable(dep):
                        raise TypeError(f"{label}: Depends() of parameter {p.name!r} needs a callable")
                    sub = plan_for(dep, path_names)
                    self.dependencies.append(sub)
                    self.steps.append((DEPENDS, p.name, dep, default.use_cache, sub))
            elif tp is Request or ((tp is _EMPTY or tp is Any) and default is _EMPTY and first
                                   and p.name not in path_names and p.kind != p.KEYWORD_ONLY):
                self.steps.append((REQUEST, p.name))
                self._first_positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            elif tp is BackgroundTasks:
                self.steps.append((TASKS, p.name))
            elif _is_model(tp):
                single = len(models) == 1
                self.steps.append((BODY if single else BODY_FIELD, p.name, _model_validator(tp, None if single else p.name),
                                   default))
                self.params.append((BODY, p.name, tp, default))
            elif p.name in path_names:
                convert, _ = _converter(tp, "path", p.name)
                self.steps.append((PATH, p.name, convert))
                self.params.append((PATH, p.name, tp, default))
            else:
                convert, many = _converter(tp, "query", p.name)
                self.steps.append((QUERY, p.name, convert, many, default))
                self.params.append((QUERY, p.name, tp, default))
            first = False
        self.is_async = _is_async(fn) or any(d.is_async for d in self.dependencies)
        kind = _function_of(fn)[0]
        flags = kind.__code__.co_flags if kind is not None else 0
        self.async_generator = bool(flags & _CO_ASYNC_GENERATOR)
        self.generator = bool(flags & 0x20)  # CO_GENERATOR
        self.coroutine = bool(flags & _CO_COROUTINE) and not self.async_generator

    @property
    def only_request(self) -> bool:
        """True when the function takes just the request (positionally): nothing to resolve."""
        return len(self.steps) == 1 and self.steps[0][0] == REQUEST and self._first_positional




_plans: dict[tuple[Any, frozenset[str]], Plan] = {}


def plan_for(fn: Callable[..., Any], path_names: frozenset[str] = frozenset()) -> Plan:
    key = (fn, path_names)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = Plan(fn, path_names, getattr(fn, "__qualname__", repr(fn)))
    return plan


# --- following a plan per request ---------------------------------------------------------------

class _Scope:
    """One request's dependency values, generators to finish and background tasks."""

    __slots__ = ("request", "cache", "exits", "tasks", "body", "overrides")

    def __init__(self, request: Any) -> None:
        self.request = request
        self.cache: dict[Any, Any] = {}
        self.exits: list[Any] = []
        self.tasks: BackgroundTasks | None = None
        self.body: Any = _EMPTY
        self.overrides = getattr(request.app, "dependency_overrides", None) if request.app is not None else None


def _body(scope: _Scope) -> Any:
    if scope.body is _EMPTY:
        request = scope.request
        scope.body = request.json() if request.body() else _EMPTY
    return scope.body


def _simple(plan: Plan, scope: _Scope, kwargs: dict[str, Any], problems: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Fills every parameter but the dependencies; returns the dependency steps left to do."""
    request = scope.request
    deferred = []
    for step in plan.steps:
        source, name = step[0], step[1]
        try:
            if source == REQUEST:
                kwargs[name] = request
            elif source == QUERY:
                convert, many, default = step[2], step[3], step[4]
                if many:
                    values = request.query.getlist(name)
                    if values:
                        kwargs[name] = convert(values)
                    elif default is _EMPTY:
                        problems.append(_problem("query", name, "field required", "value_error.missing"))
                    else:
                        kwargs[name] = default
                else:
                    value = request.query.get(name)
                    if value is not None:
                        kwargs[name] = convert(value)
                    elif default is _EMPTY:
                        problems.append(_problem("query", name, "field required", "value_error.missing"))
                    else:
                        kwargs[name] = default
            elif source == PATH:
                kwargs[name] = step[2](request.params[name])
            elif source == BODY or source == BODY_FIELD:
                body = _body(scope)
                if source == BODY_FIELD:
                    body = body.get(name, _EMPTY) if isinstance(body, dict) else _EMPTY
                if body is _EMPTY:
                    if step[3] is _EMPTY:
                        problems.append(_problem("body", None if source == BODY else name, "field required",
                                                 "value_error.missing"))
                    else:
                        kwargs[name] = step[3]
                else:
                    kwargs[name] = step[2](body)
            elif source == TASKS:
                if scope.tasks is None:
                    scope.tasks = BackgroundTasks()
                kwargs[name] = scope.tasks
            elif source == SINGLETON:
                singletons = getattr(request.app, "_singletons", {})
                if step[2] not in singletons:
                    raise LookupError(f"Depends({step[2]!r}): nothing registered under that name "
                                      "(app.register_singleton(name, value))")
                kwargs[name] = singletons[step[2]]
            else:
                deferred.append(step)
        except RequestValidationError as e:
            problems.extend(e.errors)
    return deferred


def _target(step: tuple[Any, ...], scope: _Scope, path_names: frozenset[str]) -> tuple[Any, Plan]:
    """The dependency to call and its plan (planned at registration; an override's when set)."""
    dep = step[2]
    if scope.overrides:
        override = scope.overrides.get(dep)
        if override is not None:
            return override, plan_for(override, path_names)
    return dep, step[4]


def _cached(step: tuple[Any, ...], dep: Any, scope: _Scope, kwargs: dict[str, Any]) -> bool:
    """Fills the parameter from this request's earlier call of `dep`, when it may."""
    if step[3] and dep in scope.cache:
        kwargs[step[1]] = scope.cache[dep]
        return True
    return False


def _entered(sub: Plan, value: Any, scope: _Scope) -> Any:
    """A generator dependency's yielded value (its rest runs after the response)."""
    if sub.generator:
        scope.exits.append(value)
        return next(value)
    return value


def _solve_sync(plan: Plan, scope: _Scope, problems: list[dict[str, Any]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for step in _simple(plan, scope, kwargs, problems):
        dep, sub = _target(step, scope, plan.path_names)
        if _cached(step, dep, scope, kwargs):
            continue
        if sub.is_async:
            raise TypeError(f"{plan.label}: dependency {sub.label} is async, but this route is called synchronously "
                            "(an override must be as sync as what it replaces)")
        sub_kwargs = _solve_sync(sub, scope, problems)
        if not problems:
            kwargs[step[1]] = scope.cache[dep] = _entered(sub, dep(**sub_kwargs), scope)
    return kwargs


async def _solve_async(plan: Plan, scope: _Scope, problems: list[dict[str, Any]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for step in _simple(plan, scope, kwargs, problems):
        dep, sub = _target(step, scope, plan.path_names)
        if _cached(step, dep, scope, kwargs):
            continue
        sub_kwargs = await _solve_async(sub, scope, problems) if sub.is_async else _solve_sync(sub, scope, problems)
        if problems:
            continue
        value = dep(**sub_kwargs)
        if sub.async_generator:
            scope.exits.append(value)
            value = await value.__anext__()
        elif sub.coroutine:
            value = await value
        else:
            value = _entered(sub, value, scope)
        kwargs[step[1]] = scope.cache[dep] = value
    return kwargs


# --- finishing: generators and background tasks ---------------------------------------------------

def _throw_sync(gen: Any, error: BaseException) -> None:
    try:
        gen.throw(error)
    except StopIteration:
        pass
    except BaseException as e:
        if e is not error:
            raise


async def _throw_async(gen: Any, error: BaseException) -> None:
    try:
        await gen.athrow(error)
    except StopAsyncIteration:
        pass
    except BaseException as e:
        if e is not error:
            raise


def _close_sync(gen: Any) -> None:
    try:
        next(gen)
    except StopIteration:
        return
    raise RuntimeError(f"dependency {gen.__qualname__} yielded more than once")


async def _close_async(gen: Any) -> None:
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        return
    raise RuntimeError(f"dependency {gen.__qualname__} yielded more than once")


def _finish_later(scope: _Scope) -> None:
    """After the response: the dependencies' code after their `yield` (last opened first), then
    the background tasks."""
    exits, tasks = scope.exits[::-1], scope.tasks

    def after(report: Callable[[str, str], None] | None) -> None:
        from .background import _failed

        if any(hasattr(g, "__anext__") for g in exits):
            async def finish() -> None:
                for gen in exits:
                    try:
                        await _close_async(gen) if hasattr(gen, "__anext__") else _close_sync(gen)
                    except Exception as e:
                        _failed(gen, e, report)
                if tasks is not None:
                    tasks._start(report)

            loop = _cello.engine_loop()
            if loop is not None:
                loop.create_task(finish())
            return
        for gen in exits:
            try:
                _close_sync(gen)
            except Exception as e:
                _failed(gen, e, report)
        if tasks is not None:
            tasks._start(report)

    scope.request._after_response(after)


def _check(problems: list[dict[str, Any]]) -> None:
    if problems:
        raise RequestValidationError(problems)


def bind(fn: Callable[..., Any], path: str) -> Callable[..., Any]:
    """`fn` as a handler of one argument, the request: itself when it takes only that, else a
    wrapper that follows its plan (async when it or a dependency is)."""
    plan = plan_for(fn, _path_names(path))
    if plan.only_request:
        return fn
    model_out = _returns_models()

    if plan.is_async:
        async def handler(request: Any) -> Any:
            scope = _Scope(request)
            try:
                problems: list[dict[str, Any]] = []
                kwargs = await _solve_async(plan, scope, problems)
                _check(problems)
                result = fn(**kwargs)
                if plan.coroutine:
                    result = await result
            except BaseException as e:
                for gen in scope.exits[::-1]:
                    await _throw_async(gen, e) if hasattr(gen, "__anext__") else _throw_sync(gen, e)
                raise
            if scope.exits or scope.tasks:
                _finish_later(scope)
            return plain(result) if model_out(result) else result
    else:
        def handler(request: Any) -> Any:
            scope = _Scope(request)
            try:
                problems: list[dict[str, Any]] = []
                kwargs = _solve_sync(plan, scope, problems)
                _check(problems)
                result = fn(**kwargs)
            except BaseException as e:
                for gen in scope.exits[::-1]:
                    _throw_sync(gen, e)
                raise
            if scope.exits or scope.tasks:
                _finish_later(scope)
            return plain(result) if model_out(result) else result

    handler.__name__ = getattr(fn, "__name__", "handler")
    handler.__qualname__ = getattr(fn, "__qualname__", handler.__name__)
    handler.__doc__ = getattr(fn, "__doc__", None)
    handler.__module__ = getattr(fn, "__module__", None)
    handler.__cello_plan__ = plan  # type: ignore[attr-defined]  # (OpenAPI reads it)
    return handler


def _returns_models() -> Callable[[Any], bool]:
    try:
        from pydantic import BaseModel
    except ImportError:
        return lambda result: False
    return lambda result: isinstance(result, BaseModel)


def _path_names(path: str) -> frozenset[str]:
    """The parameter names of a route pattern: ``/a/{id:int}/{rest:path}`` -> {"id", "rest"}."""
    names = set()
    i = path.find("{")
    while i >= 0:
        j = path.find("}", i)
        if j < 0:
            break
        names.add(path[i + 1:j].split(":", 1)[0].strip())
        i = path.find("{", j)
    return frozenset(names)
