"""Callables that are a Python function with some of its parameters already bound.

`functools.partial(f, a, w=W)`, a callable object (its class's `__call__` with
`self` bound to the object) and a bound method (`obj.energy`) all run a
plain function (a `def` or a `lambda`) with values the caller does not pass.
`function_of` turns them into a `BoundFunction`: that function with the
parameters bound by position taken out of its signature and read, like
closure variables, from cells holding the bound values (constants, never
differentiated), and its signature otherwise as `inspect.signature` shows
the callable (a partial's keywords become keyword-only parameters with the
bound value as default, so they can be passed, and named in `wrt`, still).
The compiler sees a function like any other: its code object, globals,
cells, defaults and a parsed tree; `shape` adds what the code object cannot
say (which parameters are bound, the signature) to the compile cache's key.
"""
from __future__ import annotations

import functools
import inspect
import types

import gast

from . import frontend, identity, nodes
from .errors import SrcGradError

_PARTIALS: dict = {}  # id(partial) -> (weak ref, its BoundFunction), while its keywords stay
_METHODS: dict = {}  # id(object) -> (weak ref, {function: its BoundFunction})


class BoundFunction:
    """A plain function `func` with the parameters in `bound` fixed to values.

    Quacks like a function where the compiler needs one (`__code__`,
    `__globals__`, `cells`, `__defaults__`, `__kwdefaults__`, `__signature__`,
    `parsed`); `watched` lists (mapping, key, object) entries a derivative's
    watch must also check (a class's `__call__`).
    """

    def __init__(self, func, bound: dict, signature: inspect.Signature, label: str, watched=(),
                 name: str | None = None):
        self.func = func
        self.bound = bound
        self.__name__ = name or func.__name__
        self.__qualname__ = label
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__
        self.__code__ = func.__code__
        self.__globals__ = func.__globals__
        self.__signature__ = signature
        self.watched = tuple(watched)
        closure = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
        self.cells = {**closure, **{name: types.CellType(v) for name, v in bound.items()}}
        params = list(signature.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        defaults = [p.default for p in positional if p.default is not p.empty]
        self.__defaults__ = tuple(defaults) or None
        self.__kwdefaults__ = {p.name: p.default for p in params
                               if p.kind is p.KEYWORD_ONLY and p.default is not p.empty} or None
        self.shape = (tuple(sorted(bound)),
                      tuple((p.name, p.kind, p.default is not p.empty) for p in params))
        self.parsed = _parsed(self, func, signature)

    def __call__(self, *args, **kwargs):
        """Run `func` as the callable it stands for would (bound values lead: they are
        its first positional parameters)."""
        return self.func(*self.bound.values(), *args, **{**(self.__kwdefaults__ or {}), **kwargs})


def function_of(fun):
    """`fun` itself when it is a plain function (or not a form srcgrad knows), else
    the BoundFunction of a partial, a callable object or a bound method."""
    if inspect.isfunction(fun) or isinstance(fun, BoundFunction):
        return fun
    if isinstance(fun, functools.partial):
        return _partial(fun)
    if inspect.ismethod(fun):
        return _method(fun)
    call = getattr(type(fun), "__call__", None)
    if inspect.isfunction(call) and not inspect.isclass(fun) \
            and not type(fun).__module__.startswith("srcgrad."):  # a Derivative is not user code
        owner = next((c for c in type(fun).__mro__ if "__call__" in vars(c)), type(fun))
        return _with_self(call, fun, fun, f"{type(fun).__name__}.__call__",
                          watched=[(vars(owner), "__call__", call)], name=type(fun).__name__)
    return fun


def _method(fun):
    """The BoundFunction of the bound method `fun`: one per (object, function) while the
    object lives, so that `self.h(x)` called twice in a body is one callee."""
    obj, func = fun.__self__, fun.__func__
    known = identity.lookup(_METHODS, id(obj), obj)
    found = known.get(func) if known is not None else None
    if found is not None and current(found):
        return found
    form = _with_self(func, obj, fun, f"{type(obj).__name__}.{func.__name__}")
    try:
        if known is None:
            known = identity.store(_METHODS, id(obj), obj, {})
        known[func] = form
    except TypeError:  # an object without weak references: not kept
        pass
    return form


def current(form) -> bool:
    """Whether the callable `form` stands for still runs its function (a class's
    `__call__` may have been replaced since); always for a plain function."""
    return all(where.get(key) is expected for where, key, expected in getattr(form, "watched", ()))


def _partial(fun):
    found = identity.lookup(_PARTIALS, id(fun), fun)
    if found is not None and current(found):
        return found
    inner = function_of(fun.func)
    if not isinstance(inner, (BoundFunction, types.FunctionType)):
        return fun  # a partial of something without source: the frontend says so
    func, bound = (inner.func, dict(inner.bound)) if isinstance(inner, BoundFunction) else (inner, {})
    remaining = [p for p in inspect.signature(inner).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(fun.args) > len(remaining):
        raise SrcGradError(
            f"cannot differentiate {fun!r}: it binds more positional arguments than "
            f"{func.__qualname__} names (the rest would go to *args)",
            hint="bind named parameters only")
    bound.update((p.name, v) for p, v in zip(remaining, fun.args))
    label = f"partial({getattr(inner, '__qualname__', func.__qualname__)})"
    # `fun.keywords` is a plain dict a caller may change: each value is watched, so a
    # replaced one makes a new form (and a derivative made before builds again)
    keywords = [(fun.keywords, name, value) for name, value in fun.keywords.items()]
    form = BoundFunction(func, bound, inspect.signature(fun), label,
                         list(getattr(inner, "watched", ())) + keywords)
    try:
        identity.store(_PARTIALS, id(fun), fun, form)
    except TypeError:  # a partial subclass without weak references: not kept
        pass
    return form


def _with_self(call, obj, fun, label: str, watched=(), name=None):
    """`call` (a function, or a form of one) with its first parameter bound to `obj`."""
    inner = function_of(call)
    if not isinstance(inner, (BoundFunction, types.FunctionType)):
        return fun
    func, bound = (inner.func, dict(inner.bound)) if isinstance(inner, BoundFunction) else (inner, {})
    first = next((p for p in inspect.signature(inner).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), None)
    if first is None:
        return fun
    bound[first.name] = obj
    return BoundFunction(func, bound, inspect.signature(fun), label,
                         list(getattr(inner, "watched", ())) + list(watched), name=name)


def _parsed(form, func, signature):
    """The ParsedFunction of `form`: `func`'s tree, its parameters as `signature` has
    them, the bound ones read from cells (assigned from them first where the body
    rebinds one, as a local must be)."""
    parsed = frontend.parse(func)
    tree = nodes.clone(parsed.tree)
    tree.name = form.__name__ if form.__name__.isidentifier() else tree.name
    args = tree.args
    every = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    by_name = {a.id: a for a in every}
    defaults = _default_nodes(args)
    own = inspect.signature(func).parameters
    new = gast.arguments(args=[], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                         kwarg=None, defaults=[])
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            new.vararg = args.vararg
            continue
        if p.kind is p.VAR_KEYWORD:
            new.kwarg = args.kwarg
            continue
        if p.name not in by_name:
            raise SrcGradError(
                f"cannot differentiate {form.__qualname__}: it binds {p.name!r}, which "
                f"{func.__qualname__} takes through **{args.kwarg.id if args.kwarg else 'kwargs'}",
                hint="bind named parameters only")
        default = None
        if p.default is not p.empty:
            default = defaults.get(p.name) if p.name in own and own[p.name].default is p.default \
                else None
            if default is None:
                default = nodes.const(p.default if _literal(p.default) else ...)
        if p.kind is p.KEYWORD_ONLY:
            new.kwonlyargs.append(by_name[p.name])
            new.kw_defaults.append(default)
        else:
            (new.posonlyargs if p.kind is p.POSITIONAL_ONLY else new.args).append(by_name[p.name])
            if default is not None:
                new.defaults.append(default)
    tree.args = new
    stored = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
              and isinstance(getattr(n, "ctx", None), gast.Store)}
    rebound = [name for name in form.bound if name in stored]
    if rebound:
        taken = nodes.names_in(tree)
        for name in rebound:
            cell = f"_{name}_bound"
            while cell in taken:
                cell = "_" + cell
            form.cells[cell] = form.cells.pop(name)
            first = nodes.assign(name, nodes.name(cell))
            nodes.stamp(first, tree.lineno, tree.col_offset)
            tree.body.insert(0, first)
    closure = {name: form.cells[name] for name in form.cells}
    namespace = frontend._Namespace(func.__globals__, closure)
    return frontend.ParsedFunction(func, tree, parsed.source, namespace, closure)


def _default_nodes(args) -> dict:
    """Parameter name -> its default's expression node, as written."""
    positional = list(args.posonlyargs) + list(args.args)
    out = {a.id: d for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults)}
    out.update({a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return out


def _literal(value) -> bool:
    return value is None or type(value) in (bool, int, float, str)
