"""The public transforms: grad, value_and_grad, source; no_grad and stop_gradient.

This module checks arguments, resolves `wrt`, and converts gradients at the
boundary (a Python float for a number, a float array of the argument's shape
for an array). Everything else happens once, at compile time, in `compiler`.
"""
from __future__ import annotations

import functools
import inspect
import numbers
import weakref

import numpy

from . import cache, fence as _fence, frontend
from .compiler import Options
from .errors import SrcGradError


class no_grad:
    """Mark a block whose values carry no gradient.

    Inside a differentiated function, `with srcgrad.no_grad():` runs its body
    in the forward sweep and emits it untraced. Outside, it does nothing.

    >>> with no_grad():
    ...     y = 2.0 * 3.0
    >>> y
    6.0
    """

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def stop_gradient(x):
    """Identity forward, zero gradient backward (PyTorch's `.detach()`).

    >>> stop_gradient(3.0)
    3.0
    """
    return x


detach = stop_gradient


def _register_zero_gradient():
    from .rules.registry import nondifferentiable

    nondifferentiable(stop_gradient)


_register_zero_gradient()


def _parameters(fn) -> list[str]:
    sig = inspect.signature(fn)
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _resolve_wrt(fn, wrt) -> tuple[tuple[str, ...], bool]:
    """wrt as parameter names, and whether the caller asked for a tuple."""
    params = _parameters(fn)
    many = isinstance(wrt, (tuple, list))
    items = list(wrt) if many else [wrt]
    if many and not items:
        raise SrcGradError("wrt=() names no argument", hint="pass wrt=0, wrt='x' or wrt=(0, 1)")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise SrcGradError(f"wrt entries are argument positions or names, not {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise SrcGradError(
                    f"wrt={item} is out of range: {fn.__name__} has {len(params)} "
                    f"argument(s) ({', '.join(params)})")
            names.append(params[item])
        else:
            if item not in params:
                raise SrcGradError(f"wrt={item!r} is not an argument of {fn.__name__}; "
                                   f"its arguments are ({', '.join(params)})")
            names.append(item)
    if len(set(names)) != len(names):
        raise SrcGradError(f"wrt={wrt!r} names an argument twice")
    return tuple(names), many


def _kind(value) -> str:
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return "scalar"
    if isinstance(value, numpy.ndarray):
        return "array"
    return "container" if isinstance(value, (dict, list, tuple)) else "other"


def _check_wrt_value(name: str, value, path: str = "") -> None:
    """A wrt argument: a real number, a real array, or a dict/list/tuple of them."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_wrt_value(name, item, f"{path}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_wrt_value(name, item, f"{path}[{i}]")
        return
    if isinstance(value, bool) or not (
            isinstance(value, numbers.Real) or (
                isinstance(value, numpy.ndarray) and value.dtype.kind in "fiu")):
        raise SrcGradError(
            f"cannot differentiate with respect to {name + path!r}: it is a "
            f"{type(value).__name__}; a wrt argument must be a real number, a real array, "
            "or a dict/list/tuple of them",
            hint="convert it with numpy.asarray(..., dtype=float), or remove it from wrt")


def _as_gradient(g, x):
    """Give the gradient the structure of its argument (None means zero)."""
    if isinstance(x, dict):
        return {k: _as_gradient(g.get(k) if isinstance(g, dict) else None, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        items = g if isinstance(g, (list, tuple)) else [None] * len(x)
        return type(x)(_as_gradient(gi, xi) for gi, xi in zip(items, x))
    if g is None:
        g = 0.0
    if isinstance(x, numpy.ndarray):
        dtype = x.dtype if x.dtype.kind == "f" else numpy.float64
        g = numpy.asarray(g, dtype=dtype)
        if g.shape != x.shape:
            g = numpy.broadcast_to(g, x.shape)
        if not g.flags.writeable or g.base is not None:
            g = numpy.array(g)
        return g
    return float(g)


class Derivative:
    """A compiled derivative of `fun`: call it like `fun`; `.source` shows its code."""

    def __init__(self, fun, wrt, return_value: bool, debug_nans: bool = False):
        parsed = frontend.parse(fun)
        _fence.fence(parsed)  # unsupported syntax fails now, not at the first call
        self.fun = fun
        self.wrt, self._many = _resolve_wrt(fun, wrt)
        self._return_value = return_value
        self._debug_nans = bool(debug_nans)
        self._signature = inspect.signature(fun)
        self._params = _parameters(fun)
        self._bound: dict = {}
        functools.update_wrapper(self, fun)

    def _function(self, kinds: tuple):
        fn = self._bound.get(kinds)
        if fn is None:
            compiled = cache.compiled(self.fun, Options(self.wrt, self._return_value, kinds,
                                                          self._debug_nans))
            fn = self._bound[kinds] = compiled.bind(self.fun)
        return fn

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != len(self._params):
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
        else:
            values = dict(zip(self._params, args))
        kinds = tuple(_kind(values[p]) for p in self._params if p in values)
        for name in self.wrt:
            _check_wrt_value(name, values[name])
        self._last_kinds = kinds
        out = self._function(kinds)(*args, **kwargs)
        if self._return_value:
            value, grads = out
            return value, self._convert(grads, values)
        return self._convert(out, values)

    def _convert(self, grads, values):
        if len(self.wrt) == 1:
            g = _as_gradient(grads, values[self.wrt[0]])
            return (g,) if self._many else g
        return tuple(_as_gradient(g, values[n]) for g, n in zip(grads, self.wrt, strict=True))

    @property
    def source(self) -> str:
        """The generated Python source (for the argument kinds of the last call)."""
        kinds = getattr(self, "_last_kinds", ())
        options = Options(self.wrt, self._return_value, kinds, self._debug_nans)
        return cache.compiled(self.fun, options).source

    def __repr__(self) -> str:
        return f"<srcgrad derivative of {self.fun.__qualname__} wrt {', '.join(self.wrt)}>"


def _transform(return_value: bool):
    def transform(fun=None, wrt=0, **options):
        if fun is None:
            return lambda f: transform(f, wrt=wrt, **options)
        unknown = set(options) - {"debug_nans"}
        if unknown:
            raise TypeError(f"unexpected option(s): {', '.join(sorted(unknown))}")
        return Derivative(fun, wrt, return_value, **options)

    return transform


grad = _transform(return_value=False)
grad.__name__ = "grad"
grad.__doc__ = """The gradient of a scalar function `fun` with respect to `wrt`.

    `wrt` is an argument position or name, or a tuple of them (the result is
    then a tuple). Use as `grad(f)`, `grad(f, wrt=(0, 1))`, `@grad` or
    `@grad(wrt="w")`.

    >>> import numpy as np
    >>> def f(x):
    ...     return np.sum(x ** 2)
    """

value_and_grad = _transform(return_value=True)
value_and_grad.__name__ = "value_and_grad"
value_and_grad.__doc__ = """Like `grad`, but return `(value, gradient)` from one call."""


def source(derivative, mode: str | None = None, wrt=0) -> str:
    """The generated Python source of a derivative made by srcgrad.

    `source(df)` for a derivative from grad/value_and_grad; `source(f,
    mode="forward", wrt=...)` for the tangent function jvp would use, and
    `source(f, mode="reverse", wrt=...)` for the gradient of a plain function.
    """
    if isinstance(derivative, Derivative) and mode is None:
        return derivative.source
    if mode not in ("forward", "reverse") or not callable(derivative):
        raise SrcGradError(f"{derivative!r} is not a derivative made by srcgrad",
                           hint="pass grad(f), or a function with mode='forward' or 'reverse'")
    fun = derivative.fun if isinstance(derivative, Derivative) else derivative
    names, _ = _resolve_wrt(fun, wrt)
    if mode == "reverse":
        return cache.compiled(fun, Options(names)).source
    return cache.compiled(fun, Options(names, mode="forward")).source


def _leaves_zero_like(tree):
    """A tangent of zeros with the structure of `tree` (Python floats for numbers)."""
    if isinstance(tree, dict):
        return {k: _leaves_zero_like(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_leaves_zero_like(v) for v in tree)
    if isinstance(tree, numpy.ndarray):
        return numpy.zeros(tree.shape, tree.dtype if tree.dtype.kind == "f" else numpy.float64)
    return 0.0


_JVP_BOUND: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def jvp(fun, primals, tangents, debug_nans: bool = False):
    """Forward mode: `(fun(*primals), directional derivative along tangents)`.

    `tangents` has one entry per primal (an array, number or pytree of the
    primal's structure), or None for an argument held constant. The tangent
    function is generated by source transformation, compiled once and cached.

    >>> import numpy as np
    >>> def f(x):
    ...     return np.sin(x) * x
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise SrcGradError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                           hint="give one tangent per primal (None for a constant argument)")
    params = _parameters(fun)
    if len(primals) > len(params):
        raise SrcGradError(f"jvp got {len(primals)} primals but {fun.__name__} takes {len(params)}")
    wrt = tuple(params[i] for i, t in enumerate(tangents) if t is not None)
    for i, t in enumerate(tangents):
        if t is not None:
            _check_wrt_value(params[i], primals[i])
    values = dict(zip(params, primals))
    kinds = tuple(_kind(values[p]) for p in params if p in values)
    options = Options(wrt, kinds=kinds, debug_nans=debug_nans, mode="forward")
    compiled = cache.compiled(fun, options)
    per_fun = _JVP_BOUND.setdefault(fun, {})
    bound = per_fun.get(options)
    if bound is None:
        bound = per_fun[options] = compiled.bind(fun)
    given = {tp: t for tp, t in zip(compiled.tangent_params, (t for t in tangents if t is not None))}
    out, out_dot = bound(*primals, **given)
    return out, _tangent_like(out_dot, out)


def _tangent_like(t, value):
    """Give an output tangent the structure of its output."""
    if isinstance(value, dict):
        return {k: _tangent_like(t.get(k) if isinstance(t, dict) else None, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = t if isinstance(t, (list, tuple)) else [None] * len(value)
        return type(value)(_tangent_like(ti, vi) for ti, vi in zip(items, value))
    if t is None:
        t = 0.0
    if isinstance(value, numpy.ndarray):
        t = numpy.asarray(t, dtype=value.dtype if value.dtype.kind == "f" else numpy.float64)
        return numpy.broadcast_to(t, value.shape).copy() if t.shape != value.shape else t
    if isinstance(value, (float, int)):
        return float(t)
    return t


_SPLIT_BOUND: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def vjp(fun, *args, wrt=0, debug_nans: bool = False, **kwargs):
    """Split reverse mode: run `fun` now, return `(value, pullback)`.

    `pullback(cotangent)` — PyTorch's `.backward()` — runs the backward sweep
    later, with `cotangent` shaped like the value (a tuple/dict of them for a
    tuple/dict value), and returns the gradients for `wrt` (one value, or a
    tuple when `wrt` is a tuple). A pullback can be called any number of
    times; each call gives the same result for the same cotangent.
    """
    names, many = _resolve_wrt(fun, wrt)
    sig = inspect.signature(fun)
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    values = bound.arguments
    for name in names:
        _check_wrt_value(name, values[name])
    params = _parameters(fun)
    kinds = tuple(_kind(values[p]) for p in params if p in values)
    options = Options(names, kinds=kinds, debug_nans=debug_nans, split=True)
    compiled = cache.compiled(fun, options)
    per_fun = _SPLIT_BOUND.setdefault(fun, {})
    pair = per_fun.get(options)
    if pair is None:
        pair = per_fun[options] = compiled.bind(fun)
    forward_fn, backward_fn = pair
    value, tape = forward_fn(*args, **kwargs)

    def pullback(cotangent):
        grads = backward_fn(cotangent, tape)
        out = tuple(_as_gradient(g, values[n]) for g, n in zip(grads, names, strict=True))
        return out if many else out[0]

    pullback.source = compiled.source
    return value, pullback
