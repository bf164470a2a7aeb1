"""Transforms of derivatives: every derivative srcgrad returns can be transformed again.

Each transform here (grad, value_and_grad, jacobian, hessian, hvp, jvp and
vjp of a derivative) builds a `Plan` (see `plan.py`) from the plan of the
derivative it transforms, and returns a `Composite` that runs it.

So `jacobian(grad(f))` is one forward-mode column per entry of `x` over the
generated gradient, `grad(grad(grad(f)))` is forward over forward over
reverse, and `hvp(f)` is one forward pass over the generated gradient. The
parameters of a derivative, which `wrt` refers to, are those of the function
it differentiates (for `hvp`, followed by `v`).

Forward mode is the only mode applied to generated code (its runtime helpers
have tangent rules, not adjoint rules), so the gradient of a derivative is
built from forward-mode columns, one per scalar entry of the `wrt` argument.
"""
from __future__ import annotations

import inspect

import numpy

from .. import cache, frontend
from ..boundary import check_tangent, check_wrt_value, resolve_wrt, tangent_like
from ..errors import SrcGradError
from .plan import (Plan, Zero, _scalar, by_columns, combine, gradient_of, is_derivative, jacobian_of,
                   pulled_back, single, split, user_leaf)


class Composite:
    """A derivative built from plans: call it like the function it differentiates.

    `build(values)` makes the plan for one call's arguments (bound by name,
    defaults applied); a call runs it, or `call` where one is given (a faster
    way to the same value: jacobian of a plain function by vjp rows).
    """

    # transforms of derivatives run their generated code in Python; hvp, hessian, jacobian
    # and vjp of a plain function say here which backend their last call ran, and why not numba
    backend = "python"
    refusal = None

    def __init__(self, build, signature: inspect.Signature, name: str, doc: str = "", call=None,
                 binder=None):
        self._build = build
        self._call = call  # a faster way to the same value, where there is one
        self._binder = binder  # (args, kwargs) -> values, where `signature.bind` is not the rule (hvp)
        self.__signature__ = signature
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc

    def _values(self, args, kwargs) -> dict:
        if self._binder is not None:
            return self._binder(args, kwargs)
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as err:
            raise SrcGradError(f"{self.__name__}{self.__signature__}: {err}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def _plan(self, values: dict) -> Plan:
        return self._build(values)

    def __call__(self, *args, **kwargs):
        if self._call is not None:
            return self._call(*args, **kwargs)
        values = self._values(args, kwargs)
        plan = self._build(values)
        self._last_leaves = plan.leaves
        return plan.run(values)

    def source_text(self, annotate: bool = False, nan_safe: bool = False) -> str:
        """The generated functions the last call ran (each once, in order; a fast
        path's NaN-safe twin with `nan_safe`, see `codegen.Compiled.shown`)."""
        texts: list = []
        for leaf in getattr(self, "_last_leaves", ()):
            fn = leaf.leaf.fn if isinstance(leaf, Zero) else leaf.fn
            compiled = cache.compiled_of(fn.__code__)
            text = None if compiled is None else compiled.shown(annotate, nan_safe)
            if text is not None and text not in texts:
                texts.append(text)
        if not texts:
            raise SrcGradError(f"{self.__name__} has no generated functions of its own to show "
                               "from a last call",
                               hint="call it first; jacobian(f) of a plain function runs vjp/jvp of f, "
                                    "whose code source(f, mode='reverse' or 'forward') shows")
        return "\n\n".join(texts)

    def __repr__(self) -> str:
        return f"<srcgrad {self.__name__}>"

    # (the public transform's name, its args, its keywords): what `__reduce__` pickles
    _recipe = None

    def __reduce__(self):
        """Pickled as the public transform call that made it (`hvp(f, wrt=0)`, `grad(df)`),
        its function by reference; a pullback, which holds one call's tape, is refused."""
        if self._recipe is None:
            raise TypeError(f"{self.__name__} cannot be pickled: it holds the values of one call; "
                            "pickle the function and transform it where it runs")
        return _remade, self._recipe


def _remade(name: str, args: tuple, kwargs: dict):
    """A pickled Composite, made again by the public transform `name` (see `__reduce__`)."""
    import importlib

    # the package's public transform, looked up when a copy is unpickled (the package is
    # loaded by then: this module is part of it)
    return getattr(importlib.import_module("srcgrad"), name)(*args, **kwargs)


def remember(composite: Composite, name: str, *args, **kwargs) -> Composite:
    """`composite`, made by the public transform `name` from `args` and `kwargs`: what
    pickling it keeps."""
    composite._recipe = (name, args, kwargs)
    return composite


def target_plan(fun, values: dict) -> Plan:
    """The plan of `fun` (a derivative srcgrad returned, or a user's function)."""
    if is_derivative(fun):
        return fun._plan(values)
    return single(user_leaf(fun, values))


def _name(fun) -> str:
    return getattr(fun, "__name__", "f")


def bind(fun, args, kwargs) -> dict:
    if isinstance(fun, Composite):
        return fun._values(args, kwargs)
    bound = frontend.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _positional_names(fun, count: int) -> list:
    """The parameter each of `count` positional arguments of `fun` binds to (for hvp,
    the last one is the direction)."""
    marks = [object() for _ in range(count)]
    found = {id(value): name for name, value in bind(fun, marks, {}).items()}
    return [found[id(mark)] for mark in marks]


def _binder_of(fun):
    """How a transform of `fun` binds its calls: as `fun` does (None: by its signature)."""
    return fun._binder if isinstance(fun, Composite) else None


def _check(names, values):
    for name in names:
        check_wrt_value(name, values[name])


def grad_of(fun, wrt, return_value: bool, has_aux: bool = False) -> Composite:
    """grad / value_and_grad of a derivative: forward-mode columns over its plan."""
    names, many = resolve_wrt(fun, wrt)
    what = f"{'value_and_grad' if return_value else 'grad'}({_name(fun)})"

    def build(values):
        _check(names, values)
        inner = target_plan(fun, values)
        loss = Plan(inner.leaves, lambda outputs: _aux_split(inner.assemble(outputs), what)[0]) \
            if has_aux else inner
        columns, counts = by_columns(loss, values, names)

        def gradients(cols):
            grads = tuple(gradient_of(c, values[n], what) for c, n in zip(split(cols, counts), names))
            return grads if many else grads[0]

        grads_plan = Plan(columns.leaves, lambda outputs: gradients(columns.assemble(outputs)))
        if not (return_value or has_aux):
            return grads_plan
        return combine([inner, grads_plan], lambda both: _with_value(both, return_value, has_aux, what))

    prefix = "value_and_grad_" if return_value else "grad_"
    return Composite(build, frontend.signature(fun), prefix + _name(fun), binder=_binder_of(fun))


def _aux_split(value, what: str):
    if not (isinstance(value, tuple) and len(value) == 2):
        raise SrcGradError(f"{what} with has_aux=True needs the function to return a pair "
                           f"(loss, aux); it returns {type(value).__name__}",
                           hint="return (loss, aux), or drop has_aux=True")
    return value


def _with_value(both, return_value: bool, has_aux: bool, what: str):
    value, grads = both
    if has_aux:
        loss, aux = _aux_split(value, what)
        return ((_scalar(loss, what), aux), grads) if return_value else (grads, aux)
    return _scalar(value, what), grads


def jacobian_of_fun(fun, wrt) -> Composite:
    """jacobian of a derivative: one forward-mode column per entry of the argument."""
    (name,), many = resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("jacobian takes one wrt argument", hint="call it once per argument")

    def build(values):
        _check((name,), values)
        inner = target_plan(fun, values)
        columns, _ = by_columns(inner, values, (name,))
        return combine([inner, columns], lambda both: jacobian_of(both[1], both[0], values[name]))

    return Composite(build, frontend.signature(fun), f"jacobian_{_name(fun)}", binder=_binder_of(fun))


def hessian_of_fun(fun, wrt) -> Composite:
    """hessian(fun) = jacobian(grad(fun)): forward-mode columns over the gradient's plan."""
    (name,), many = resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("hessian takes one wrt argument", hint="pass wrt=0 or wrt='x'")
    full = jacobian_of_fun(grad_of(fun, name, return_value=False), name)
    full.__name__ = full.__qualname__ = f"hessian_{_name(fun)}"
    return full


def hvp_of_fun(fun, wrt) -> Composite:
    """Hessian-vector products of a derivative: (H v)_i is the second directional
    derivative along v and e_i, forward over forward over its plan."""
    (name,), many = resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("hvp takes one wrt argument", hint="pass wrt=0 or wrt='x'")
    what = f"hvp({_name(fun)})"
    signature, direction, binder = with_direction(fun, what)

    def build(values):
        _check((name,), values)
        check_direction(what, name, values[name], values[direction])
        inner = target_plan(fun, values)
        along_v = inner.forward(values, {name: ("arg", direction)})
        columns, _ = by_columns(along_v, values, (name,))
        return Plan(columns.leaves,
                    lambda outputs: gradient_of(columns.assemble(outputs), values[name], what))

    return Composite(build, signature, f"hvp_{_name(fun)}", binder=binder)


def with_direction(fun, what: str) -> tuple[inspect.Signature, str, object]:
    """How `hvp(fun)` is called: (its signature, the name of the direction among
    the call's values, the binder of a call).

    The direction is the keyword `v=`, or else the last positional argument; every
    other argument binds as `fun`'s own, its defaults applied, so `hvp(f)(x, p)` of
    `f(x, scale=1.0)` runs at the default scale and `hvp(f)(x, 2.0, p)` sets it.
    When `fun` has a parameter `v` (hvp of an hvp has one), `v=` is `fun`'s own
    argument and the direction is always the last positional one; its name among
    the values (and for `wrt`) is then `v2`, `v3`, ..., never a keyword. The builders
    check that the direction has the structure of the wrt argument
    (`check_direction`): a SciPy `hessp(x, p, *args)` call with `args` puts it in
    the wrong place, and is refused rather than silently misread.
    """
    signature = frontend.signature(fun)
    params = list(signature.parameters.values())
    taken = {p.name for p in params}
    direction = next(n for n in ["v"] + [f"v{i}" for i in range(2, len(params) + 3)] if n not in taken)
    keyword = direction == "v"
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                  inspect.Parameter.VAR_POSITIONAL)
    at = sum(p.kind in positional for p in params)
    last = inspect.Parameter(direction, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    shown = inspect.Signature(params[:at] + [last] + params[at:],
                              __validate_parameters__=False)  # the direction after the positional ones
    inner = _binder_of(fun)
    hint = (f"call it with {_name(fun)}'s own arguments followed by the direction "
            + ("(or give it as v=...)" if keyword else
               f"(always positional: {_name(fun)} has its own parameter v, so v= is {_name(fun)}'s)"))

    def binder(args, kwargs):
        if not keyword and direction in kwargs:
            raise SrcGradError(f"{what}: the direction has no keyword ({direction}= is not one)", hint=hint)
        if keyword and "v" in kwargs:
            kwargs = dict(kwargs)
            v = kwargs.pop("v")
        elif args:
            args, v = args[:-1], args[-1]
        else:
            raise SrcGradError(f"{what} needs a direction: none was given", hint=hint)
        if inner is not None:
            values = inner(args, kwargs)
        else:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as err:
                raise SrcGradError(f"{what}: {err} (after the direction, the last positional "
                                   "argument, was taken)", hint=hint) from None
            bound.apply_defaults()
            values = dict(bound.arguments)
        values[direction] = v
        return values

    return shown, direction, binder


_SCIPY_HINT = ("the direction is the last positional argument (or v=...); scipy.optimize.minimize "
               "calls hessp(x, p, *args), so with args= pass hessp=lambda x, p, *a: hvp(f)(x, *a, p)")


def check_direction(what: str, name: str, x, v, path: str = "") -> None:
    """The direction `v` of a Hessian-vector product has the structure of the wrt
    argument `x` (shape, and the keys or length of a dict, list or tuple); else a
    SrcGradError. A direction in the wrong place (SciPy's `hessp(x, p, *args)`)
    almost always fails this, rather than giving a silently wrong product."""
    where = name + path
    if isinstance(x, dict):
        if not isinstance(v, dict) or set(v) != set(x):
            keys = f"keys {list(v)}" if isinstance(v, dict) else f"a {type(v).__name__}"
            raise SrcGradError(f"{what}: the direction must be a dict with the keys of {where!r} "
                               f"({list(x)}), but it has {keys}", hint=_SCIPY_HINT)
        for key, item in x.items():
            check_direction(what, name, item, v[key], f"{path}[{key!r}]")
        return
    if isinstance(x, (list, tuple)):
        if not isinstance(v, (list, tuple)) or len(v) != len(x):
            got = f"{len(v)} entries" if isinstance(v, (list, tuple)) else f"is a {type(v).__name__}"
            raise SrcGradError(f"{what}: the direction must be a list or tuple of {len(x)} entries, "
                               f"as {where!r} is, but it {'has ' if 'entries' in got else ''}{got}",
                               hint=_SCIPY_HINT)
        for i, (xi, vi) in enumerate(zip(x, v)):
            check_direction(what, name, xi, vi, f"{path}[{i}]")
        return
    if isinstance(v, (dict, list, tuple)) or numpy.shape(v) != numpy.shape(x):
        got = f"a {type(v).__name__}" if isinstance(v, (dict, list, tuple)) else f"shape {numpy.shape(v)}"
        raise SrcGradError(f"{what}: the direction must have the shape of {where!r}, "
                           f"{numpy.shape(x)}, but it has {got}", hint=_SCIPY_HINT)


def jvp_of(fun, primals: tuple, tangents: tuple):
    """jvp of a derivative: its plan's leaves in forward mode along the tangents."""
    params = [p for p in frontend.signature(fun).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if len(primals) > len(params):
        raise SrcGradError(f"jvp got {len(primals)} primals but {_name(fun)} takes {len(params)}")
    values = bind(fun, primals, {})
    names = _positional_names(fun, len(primals))
    moved = {names[i]: ("const", t) for i, t in enumerate(tangents) if t is not None}
    _check(moved, values)
    for name, (_, t) in moved.items():
        check_tangent(name, values[name], t)
    plan = target_plan(fun, values)
    if not moved:
        out = plan.run(values)
        return out, tangent_like(None, out)
    return plan.forward(values, moved).run_pair(values)


def vjp_of(fun, args, kwargs, wrt):
    """vjp of a derivative: the pullback contracts the cotangent with forward-mode
    columns of its Jacobian (generated code has no adjoint rules to run backward)."""
    names, many = resolve_wrt(fun, wrt)
    values = bind(fun, args, kwargs)
    _check(names, values)
    inner = target_plan(fun, values)
    out = inner.run(values)
    found: list = []

    def pullback(cotangent):
        if not found:
            columns, counts = by_columns(inner, values, names)
            found.append(split(columns.run(values), counts))
        grads = tuple(pulled_back(cols, out, cotangent, values[n]) for cols, n in zip(found[0], names))
        return grads if many else grads[0]

    return out, pullback
