"""Higher-order transforms: hvp, hessian and jacobian, built from the first-order ones.

`hvp` is forward mode over the generated gradient (forward-over-reverse),
`hessian` the Jacobian of the gradient, and `jacobian` stacks reverse-mode
rows (`vjp`) or forward-mode columns (`jvp`), whichever side is smaller. A
transform of a derivative srcgrad returned (`jacobian(grad(f))`) goes to
`compose`, which transforms generated code again.
"""
from __future__ import annotations

import functools
import inspect

import numpy

from . import cache, compose, forms, native
from .api import Derivative, _jvp, jvp, vjp  # noqa: F401  (jvp: importable from here)
from .boundary import check_tangent, check_wrt_value, copy_arrays, is_dask, kind_of, parameters, resolve_wrt
from .compiler import Options
from .compose import plan
from .errors import SrcGradError


def _one_argument(fun, wrt, what: str, hint: str) -> tuple:
    """(`fun` as a plain function, the one parameter `wrt` names), or a SrcGradError."""
    fun = forms.function_of(fun)
    names, many = resolve_wrt(fun, wrt)
    if many or len(names) != 1:
        raise SrcGradError(f"{what} takes one wrt argument, not {wrt!r}", hint=hint)
    return fun, names[0]


def hvp(fun, wrt=0, backend: str = "python"):
    """Hessian-vector products: `hvp(f)(*args, v)` or `hvp(f)(*args, v=v)` is H @ v,
    without forming H.

    Forward mode applied to the generated gradient (forward-over-reverse).
    The direction `v` is the keyword `v=` or, when not given by keyword,
    always the last positional argument; the other arguments are `f`'s own,
    bound as `f` binds them (defaults applied). So for `f(x, scale=1.0)`,
    `hvp(f)(x, p)` uses the default scale and `hvp(f)(x, 2.0, p)` sets it.
    When `f` has its own parameter `v`, `v=` is `f`'s and the direction can
    only be given positionally, last. `v` must have the structure of the
    wrt argument (its shape; the keys or length of a dict, list or tuple),
    or a SrcGradError says where it went wrong.

    `hessp=hvp(f)` fits `scipy.optimize.minimize` as it is when `f` takes
    only `x`. SciPy calls `hessp(x, p, *args)`, with the direction second,
    so with `args=(a, b)` wire it as
    `hessp=lambda x, p, *a: hvp(f)(x, *a, p)` (a direction in the wrong
    place is refused by the structure check, not silently misread).

    `backend="numba"` compiles the tangent function of the generated
    gradient with numba (`"auto"`: Python where numba refuses); after a
    call, `.backend` says which ran and `.refusal` why not numba.
    """
    native.check_backend(backend)
    if compose.is_derivative(fun):
        native.python_only(backend, "hvp of a derivative")
        return compose.hvp_of_fun(fun, wrt)
    fun, name = _one_argument(fun, wrt, "hvp", "pass wrt=0 or wrt='x'")
    gradient = Derivative(fun, name, return_value=False)
    what = f"hvp({getattr(fun, '__name__', 'f')})"
    signature, direction, binder = compose.with_direction(fun, what)

    def build(values):
        check_wrt_value(direction, values[direction])
        compose.check_direction(what, name, values[name], values[direction])
        return gradient._plan(values).forward(values, {name: ("arg", direction)})

    return _in_backend(compose.Composite(build, signature, f"hvp_{getattr(fun, '__name__', 'f')}", hvp.__doc__,
                                         binder=binder), backend)


def _in_backend(composite, backend: str):
    """`composite` (hvp or hessian of a plain function: forward mode over its generated
    gradient) with its tangent functions built in `backend`; after a call, `.backend`
    says which ran ("numba" where numba ran every one) and `.refusal` why not numba."""
    if backend == "python":
        return composite

    def call(*args, **kwargs):
        values = composite._values(args, kwargs)
        with plan.forward_backend(backend):
            built = composite._build(values)
        composite._last_leaves = built.leaves
        out = built.run(values)
        composite.backend, composite.refusal = plan.ran(built.leaves)
        return out

    composite._call = call
    return composite


def hessian(fun, wrt=0, backend: str = "python"):
    """The full Hessian in one argument: shape `x.shape + x.shape` (a float for a
    number; for a dict of arrays, a dict of dicts of blocks, as in JAX).

    `jacobian(grad(fun))`: one forward-mode column over the generated gradient
    per entry of the argument. `backend=` as for `hvp`: the columns compiled by
    numba; `.backend` and `.refusal` after a call.
    """
    native.check_backend(backend)
    if compose.is_derivative(fun):
        native.python_only(backend, "hessian of a derivative")
        return compose.hessian_of_fun(fun, wrt)
    fun, name = _one_argument(fun, wrt, "hessian", "pass wrt=0 or wrt='x'")
    full = compose.jacobian_of_fun(Derivative(fun, name, return_value=False), name)
    full.__name__ = full.__qualname__ = f"hessian_{getattr(fun, '__name__', 'f')}"
    full.__doc__ = hessian.__doc__
    return _in_backend(full, backend)


def jacobian(fun, wrt=0, backend: str = "python"):
    """The Jacobian of any function: shape `out.shape + x.shape`.

    Built from reverse-mode rows (vjp) when the output is the smaller side,
    from forward-mode columns (jvp) otherwise; for a dict/list/tuple argument
    (or output), the blocks nest as in JAX. `fun` may be any derivative
    srcgrad returned (`jacobian(grad(f))`): forward-mode columns over its
    generated code.

    `backend="numba"` compiles the vjp rows or jvp columns with numba (for a
    number or array argument; `"auto"`: Python where numba refuses); after a
    call, `.backend` says which ran and `.refusal` why not numba. A transform
    of a derivative runs Python.
    """
    native.check_backend(backend)
    if compose.is_derivative(fun):
        native.python_only(backend, "jacobian of a derivative")
        return compose.jacobian_of_fun(fun, wrt)
    fun, name = _one_argument(fun, wrt, "jacobian", "call it once per argument")
    params = parameters(fun)

    def full(*args, **kwargs):
        bound = inspect.signature(fun).bind(*args, **kwargs)
        bound.apply_defaults()
        x = bound.arguments[name]
        check_wrt_value(name, x)
        composite.backend, composite.refusal = "python", None
        if not isinstance(x, (numpy.ndarray, float, int)) and not is_dask(x):
            if backend == "numba":  # by columns over the Python build: refused, by name
                from .native.entry import _def_location

                raise SrcGradError(f"jacobian with backend='numba' takes a number or a NumPy array for "
                                   f"{name!r}, not a {type(x).__name__}", _def_location(fun),
                                   hint=f"pass numpy.asarray({name}); backend='auto' runs this one in Python")
            values = dict(bound.arguments)  # a dict, list or tuple of arrays: by columns
            return composite._build(values).run(values)
        # The function runs once on the caller's arguments (as calling it would); every
        # column is taken at the point it was called at, from copies of what it writes.
        written = _written_params(fun, name, bound.arguments)
        kept = {p: copy_arrays(bound.arguments[p]) for p in params if p in written}
        out, pullback = vjp(fun, *args, wrt=name, backend=backend, **kwargs)
        rows = getattr(pullback, "rows", None)  # Dask data: every row in one computation
        if rows is not None:
            from .dask_support import stand_in

            shaped = stand_in(out)  # NumPy arrays of the output's shapes: the basis is NumPy
            return plan.jacobian_of_rows(rows(plan.basis(shaped)), shaped, stand_in(x))
        # a dict, list or tuple output: its structure of blocks out_leaf.shape + x.shape, as in JAX
        if sum(numpy.size(leaf) for leaf in plan.leaves_of(out)) <= numpy.size(x):
            rows = [pullback(e) for e in plan.basis(out)]
            composite.backend, composite.refusal = pullback.backend, pullback.refusal
            return plan.jacobian_of_rows(rows, out, x)
        if name in kept:
            x = kept[name]
        cols, ran = [], None
        for e in _basis(x):
            primals = [copy_arrays(kept[p]) if p in kept else bound.arguments[p] for p in params]
            column, ran = _jvp(fun, primals, [e if p == name else None for p in params], backend=backend)
            cols.append(column[1])
        if backend != "python":
            composite.backend, composite.refusal = getattr(ran, "backend", "python"), getattr(ran, "refusal", None)
        return plan.jacobian_of(cols, out, x)

    composite = compose.jacobian_of_fun(fun, name)
    composite._call = full
    composite.__doc__ = jacobian.__doc__
    return composite


def _pickled_as_made(transform):
    """`transform` (hvp, hessian or jacobian), its result remembering the call that made
    it: a pickled one is made again by the same call (see `compose.Composite.__reduce__`)."""
    def public(fun, wrt=0, backend: str = "python"):
        return compose.remember(transform(fun, wrt, backend), transform.__name__, fun, wrt=wrt, backend=backend)

    functools.update_wrapper(public, transform)
    return public


hvp, hessian, jacobian = _pickled_as_made(hvp), _pickled_as_made(hessian), _pickled_as_made(jacobian)


def _written_params(fun, name: str, values: dict) -> frozenset:
    """The parameters `fun`'s derivative (as vjp builds it) may write into (all of them
    for a callable that is not a plain function: nothing known, so everything copied)."""
    if not hasattr(fun, "__code__"):
        return frozenset(parameters(fun))
    kinds = tuple(kind_of(values[p]) for p in parameters(fun) if p in values)
    return cache.compiled(fun, Options((name,), kinds=kinds, split=True)).writes


def _basis(x):
    """Unit tangents along each entry of a number or array (in C order)."""
    if isinstance(x, numpy.ndarray):
        for i in numpy.ndindex(x.shape):
            e = numpy.zeros(x.shape)
            e[i] = 1.0
            yield e
    else:
        yield 1.0
