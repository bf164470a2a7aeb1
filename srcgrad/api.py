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

from . import cache, fence as _fence, forms, frontend, watch
from .compiler import Options, optimizing
from .errors import SrcGradError
from .runtime import entry_adjoints


class no_grad:
    """Mark a block whose values carry no gradient.

    Inside a differentiated function, `with srcgrad.no_grad():` runs its body
    as written, and every value it assigns is a constant from there on (as
    with stop_gradient): a name it rebinds carries no gradient afterwards, an
    entry it writes is a constant entry. Outside, it does nothing.

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
    sig = frontend.signature(fn)
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
    kind = type(value)
    if kind is numpy.ndarray:  # the common cases first: this runs on every call
        return "array"
    if kind is float or kind is int:
        return "scalar"
    if isinstance(value, (list, tuple)):
        types = list(map(type, value))  # one pass in C over the entries' types
        if types and types.count(float) == len(types):
            return "numbers"  # a list or tuple of Python floats: entries are numbers
    elif isinstance(value, dict):  # never "numbers": those are indexed by position
        types = list(map(type, value.values()))
    elif isinstance(value, (float, int)) and not isinstance(value, bool):
        return "scalar"
    elif isinstance(value, numpy.ndarray):
        return "array"
    else:
        return "other"
    leaves = types.count(numpy.ndarray) + types.count(float)
    return "record" if leaves == len(types) else "container"  # a record's entries are leaves


def _check_wrt_value(name: str, value, path: str = "") -> None:
    """A wrt argument: a real number, a real array, or a dict/list/tuple of them."""
    kind = type(value)
    if (kind is numpy.ndarray and value.dtype.kind in "fiu") or kind is float:
        return  # the common cases, checked first: this runs on every call
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


def _fresh(g, x) -> bool:
    """`g` is a writeable float array of `x`'s shape and dtype, not `x` itself: one
    the derivative made, handed over as it is."""
    return type(g) is numpy.ndarray and type(x) is numpy.ndarray and g.shape == x.shape \
        and g.dtype == x.dtype and x.dtype.kind == "f" and g.flags.writeable and g is not x


def _root(a) -> int:
    """Which array owns `a`'s memory (by id): two arrays with one root may overlap."""
    base = a.base
    return id(a) if base is None else id(base)


def _as_gradient(g, x):
    """Give the gradient the structure of its argument (None means zero)."""
    if type(x) is float and type(g) is float:
        return g
    if _fresh(g, x):
        return g
    if isinstance(x, dict):
        return {k: _as_gradient(g.get(k) if isinstance(g, dict) else None, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_as_gradient(gi, xi) for gi, xi in zip(entry_adjoints(g, x), x, strict=True))
    if g is None:
        g = 0.0
    if type(g) is not float and not (type(g) is numpy.ndarray and g.dtype.kind == "f"):
        _require_real(g)
    if isinstance(x, numpy.floating):  # a NumPy scalar keeps its precision
        return x.dtype.type(g)
    if isinstance(x, numpy.ndarray):
        dtype = x.dtype if x.dtype.kind == "f" else numpy.float64
        if type(g) is numpy.ndarray and g.dtype == dtype and g.shape == x.shape \
                and g.flags.writeable and g is not x:
            return g  # fresh from the derivative: hand it over as it is
        g = numpy.asarray(g, dtype=dtype)
        if g.shape != x.shape:
            g = numpy.broadcast_to(g, x.shape)
        if not g.flags.writeable or g is x:
            g = numpy.array(g)
        return g
    return float(g)


def _check_kind(name: str, value, kind: str) -> None:
    """`_check_wrt_value` for a value whose kind `_kind` has found."""
    if kind == "scalar" or kind == "numbers":
        return  # a real number, or a list/tuple of Python floats: always valid
    if kind == "array":
        if value.dtype.kind in "fiu":
            return
    elif kind == "record":  # entries are arrays or Python floats: one flat pass
        for item in value.values() if isinstance(value, dict) else value:
            if type(item) is numpy.ndarray and item.dtype.kind not in "fiu":
                break
        else:
            return
    _check_wrt_value(name, value)  # raises, naming the offending entry


def _gradient(g, x, kind: str):
    """`_as_gradient(g, x)` for an argument whose kind `_kind` has found.

    Arrays among the result may share memory with each other only for the
    "record" kind, which `_record_gradient` takes care of; across several wrt
    arguments, see `_unshared`.
    """
    if kind == "array":
        if _fresh(g, x):
            return g
    elif kind == "scalar":
        if type(g) is float and type(x) is float:
            return g
    elif kind == "numbers":
        kind_x = type(x)
        if (kind_x is list or kind_x is tuple) and (type(g) is list or type(g) is tuple) \
                and len(g) == len(x):
            try:  # entries are Python floats or NumPy scalars: float() is the conversion
                if any(isinstance(v, numpy.complexfloating) for v in g):
                    raise TypeError  # float() would keep the real part: the general path raises
                out = list(map(float, g))  # a new list: never the input, nor g
            except (TypeError, ValueError):  # a None (zero) entry, or worse: the general path
                pass
            else:
                return out if kind_x is list else tuple(out)
    elif kind == "record":
        return _record_gradient(g, x)
    else:
        return _unshared(_as_gradient(g, x))  # a container may hold arrays twice
    return _as_gradient(g, x)


def _record_gradient(g, x):
    """`_as_gradient` for a record (a dict/list/tuple of arrays and Python floats),
    with no two arrays sharing memory."""
    if type(x) is dict and type(g) is dict:
        out = {}
        for key, v in x.items():
            gv = g.get(key)
            fresh = _fresh(gv, v) if type(v) is numpy.ndarray else type(gv) is float
            out[key] = gv if fresh else _as_gradient(gv, v)
        return _unshared(out)
    return _unshared(_as_gradient(g, x))


def _array_roots(tree, roots: list) -> None:
    """The memory owners of the arrays in a converted gradient (None: a subclass)."""
    if type(tree) is numpy.ndarray:
        roots.append(_root(tree))
    elif isinstance(tree, dict):
        for v in tree.values():
            _array_roots(v, roots)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _array_roots(v, roots)
    elif isinstance(tree, numpy.ndarray):
        roots.append(None)  # a subclass: `_unshared` looks at it


def _unshared(tree, seen=None):
    """`tree` with every array that shares memory with an earlier one replaced by a copy.

    Two gradients returned from one call must not be one buffer: writing into
    one (an optimizer's `g -= lr * ...` on another) would change both. `tree`
    is a converted gradient (from `_as_gradient`), whose containers are new.
    Usually no two arrays have one memory owner, and `tree` comes back as it is.
    """
    if seen is None:
        roots: list = []
        _array_roots(tree, roots)
        if len(set(roots)) == len(roots) and None not in roots:
            return tree
        seen = {}
    if isinstance(tree, numpy.ndarray):
        earlier = seen.setdefault(_root(tree), [])
        if any(e is tree or numpy.shares_memory(e, tree) for e in earlier):
            tree = numpy.array(tree)  # owns its memory: a root of its own
            seen[id(tree)] = [tree]
        else:
            earlier.append(tree)
        return tree
    if isinstance(tree, dict):
        for key, v in tree.items():
            tree[key] = _unshared(v, seen)
        return tree
    if isinstance(tree, list):
        tree[:] = [_unshared(v, seen) for v in tree]
        return tree
    if isinstance(tree, tuple):
        return type(tree)(_unshared(v, seen) for v in tree)  # as `_as_gradient` built it
    return tree


_ONE_ARRAY = ("array",)  # the kinds of the commonest call, made once
_UNCHECKED = ("scalar", "numbers")  # kinds whose values `_kind` has already proved valid


class _Plan:
    """The fast call path for one tuple of argument kinds (every argument positional)."""

    __slots__ = ("fn", "watch", "checks", "converts", "floats", "unshare", "array_at")

    def __init__(self, bound, kinds, positions, wrt):
        self.fn, self.watch = bound  # watch: see watch.Watch.check; None when nothing can change
        # the position of the one wrt argument when it is an array (the commonest call), else -1
        self.array_at = positions[0] if len(positions) == 1 and kinds[positions[0]] == "array" else -1
        # (position, name, kind) of the wrt values `_check_kind` must look at
        self.checks = tuple((p, n, kinds[p]) for p, n in zip(positions, wrt)
                            if kinds[p] not in _UNCHECKED)
        self.converts = tuple((p, kinds[p]) for p in positions)
        # every wrt value a number: a tuple of Python floats for Python floats is handed over
        self.floats = all(kinds[p] == "scalar" for p in positions)
        self.unshare = any(kinds[p] not in _UNCHECKED for p in positions)


def _wraps(derivative, fun) -> None:
    """Give a derivative `fun`'s name and docstring; a partial or a callable object
    (whose attributes are its own state) lends only those it has."""
    if inspect.isfunction(fun):
        functools.update_wrapper(derivative, fun)
    else:
        functools.update_wrapper(derivative, fun, updated=())


class Derivative:
    """A compiled derivative of `fun`: call it like `fun`; `.source` shows its code."""

    def __init__(self, fun, wrt, return_value: bool, debug_nans: bool = False, has_aux: bool = False):
        given, fun = fun, forms.function_of(fun)
        self._given, self._wrt_given = given, wrt
        parsed = frontend.parse(fun)
        _fence.fence(parsed)  # unsupported syntax fails now, not at the first call
        self.fun = fun
        self.wrt, self._many = _resolve_wrt(fun, wrt)
        self._return_value = return_value
        self._debug_nans = bool(debug_nans)
        self._has_aux = bool(has_aux)  # fun returns (loss, aux): see `_converted`
        self._optimize = optimizing()  # False only inside compiler.unoptimized() (tests)
        self._signature = frontend.signature(fun)
        self._params = _parameters(fun)
        positional = [p.name for p in self._signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # wrt as positions, when every parameter is positional (the fast call path)
        self._positions = tuple(positional.index(n) for n in self.wrt) \
            if len(positional) == len(self._params) else None
        self._nparams = len(self._params) if self._positions is not None else -1
        self._bound: dict = {}  # kinds -> (bound generated function, its watch's check or None)
        self._plans: dict = {}  # kinds -> _Plan, for calls with every argument positional
        _wraps(self, given)

    def _plan(self, values: dict):
        """This derivative as one generated function to transform again (see compose.py):
        the NaN-guarded code alone, its gradients given their arguments' structure."""
        from . import compose

        for name in self.wrt:
            _check_wrt_value(name, values[name])
        fn = self._function(tuple(_kind(values[p]) for p in self._params if p in values), nan_safe=True)

        return compose.single(compose.Leaf(fn, {p: ("arg", p) for p in self._params if p in values},
                                           0, self._converted))

    def _function(self, kinds: tuple, nan_safe: bool = False):
        """The bound generated function for these argument kinds. `nan_safe`: the
        NaN-guarded code alone, no fast path in front (what hvp differentiates)."""
        key = (kinds, "nan_safe") if nan_safe else kinds
        found = self._bound.get(key)
        if found is None or (found[1] is not None and not found[1]()):
            if found is not None and not forms.current(self.fun):
                # a callable object's class got a new __call__: differentiate that one
                self.__init__(self._given, self._wrt_given, self._return_value, self._debug_nans,
                              self._has_aux)
                return self._function(kinds, nan_safe)
            compiled = cache.compiled(self.fun, Options(self.wrt, self._return_value, kinds, self._debug_nans,
                                                        nan_safe=nan_safe, has_aux=self._has_aux,
                                                        optimize=self._optimize))
            found = self._bound[key] = (compiled.bind(self.fun), watch.of(compiled, self.fun).check())
        return found[0]

    def __call__(self, *args, **kwargs):
        if len(args) == self._nparams and not kwargs:
            # The common call: every argument positional. No signature binding.
            if len(args) == 1:
                kinds = _ONE_ARRAY if type(args[0]) is numpy.ndarray else (_kind(args[0]),)
            else:
                kinds = tuple([_kind(a) for a in args])
            plan = self._plans.get(kinds)
            if plan is None:
                bound = self._bound.get(kinds)
                if bound is None:
                    return self._call_bound(dict(zip(self._params, args)), kinds, args, kwargs)
                plan = self._plans[kinds] = _Plan(bound, kinds, self._positions, self.wrt)
            if plan.watch is not None and not plan.watch():
                del self._plans[kinds]  # a helper or rule it was built from was redefined: rebuild
                return self._call_bound(dict(zip(self._params, args)), kinds, args, kwargs)
            # The planned path, inline: this is every call after the first.
            for p, name, kind in plan.checks:
                if kind != "array" or args[p].dtype.kind not in "fiu":
                    _check_kind(name, args[p], kind)
            self._last_kinds = kinds
            out = plan.fn(*args)
            if self._has_aux:
                out, aux = out
                if self._return_value:
                    value, out = out
                    return (value, aux), self._planned_gradient(plan, out, args)
                return self._planned_gradient(plan, out, args), aux
            if self._return_value:
                value, out = out
                return value, self._planned_gradient(plan, out, args)
            at = plan.array_at
            if at >= 0 and not self._many:
                # `_fresh(out, x)` inlined: one float array in, its own new gradient out
                x = args[at]
                if type(out) is numpy.ndarray and out is not x and out.dtype is x.dtype \
                        and out.shape == x.shape and x.dtype.kind == "f" and out.flags.writeable:
                    return out
            return self._planned_gradient(plan, out, args)
        if kwargs or len(args) != len(self._params):
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
        else:
            values = dict(zip(self._params, args))
        return self._call_bound(values, tuple(_kind(values[p]) for p in self._params if p in values),
                                args, kwargs)

    def _call_bound(self, values: dict, kinds: tuple, args, kwargs):
        """The general call: every wrt value checked, the derivative compiled if need be."""
        for name in self.wrt:
            _check_wrt_value(name, values[name])
        self._last_kinds = kinds
        return self._converted(self._function(kinds)(*args, **kwargs), values)

    def _converted(self, out, values: dict):
        """The generated function's result `out` as the caller gets it: gradients
        shaped like their arguments, `aux` beside them as JAX has it."""
        if self._has_aux:
            out, aux = out
            if self._return_value:
                value, grads = out
                return (value, aux), self._convert(grads, values)
            return self._convert(out, values), aux
        if self._return_value:
            value, grads = out
            return value, self._convert(grads, values)
        return self._convert(out, values)

    def _planned_gradient(self, plan, out, args):
        converts = plan.converts
        if len(converts) == 1:
            (p, kind), = converts
            g = _gradient(out, args[p], kind)
            return (g,) if self._many else g
        if plan.floats and type(out) is tuple and len(out) == len(converts) \
                and list(map(type, out)).count(float) == len(out) \
                and [type(args[p]) for p, _ in converts].count(float) == len(out):
            return out  # Python floats for Python floats, in a tuple: as they are
        g = tuple([_gradient(gi, args[p], kind) for gi, (p, kind) in zip(out, converts, strict=True)])
        return _unshared(g) if plan.unshare else g

    def _convert(self, grads, values):
        if len(self.wrt) == 1:
            g = _unshared(_as_gradient(grads, values[self.wrt[0]]))
            return (g,) if self._many else g
        return _unshared(tuple([_as_gradient(g, values[n])
                                    for g, n in zip(grads, self.wrt, strict=True)]))


    @property
    def source(self) -> str:
        """The generated Python source (for the argument kinds of the last call)."""
        return self._compiled().source

    def _compiled(self):
        kinds = getattr(self, "_last_kinds", ())
        options = Options(self.wrt, self._return_value, kinds, self._debug_nans, has_aux=self._has_aux,
                          optimize=self._optimize)
        return cache.compiled(self.fun, options)

    def __repr__(self) -> str:
        return f"<srcgrad derivative of {self.fun.__qualname__} wrt {', '.join(self.wrt)}>"


def _transform(return_value: bool):
    def transform(fun=None, wrt=0, has_aux=False, **options):
        if fun is None:
            return lambda f: transform(f, wrt=wrt, has_aux=has_aux, **options)
        unknown = set(options) - {"debug_nans"}
        if unknown:
            raise TypeError(f"unexpected option(s): {', '.join(sorted(unknown))}")
        from . import compose

        if compose.is_derivative(fun):
            if options:
                raise SrcGradError("debug_nans applies to the derivative of a plain function",
                                   hint=f"pass debug_nans=True to the inner transform")
            return compose.grad_of(fun, wrt, return_value, has_aux)
        return Derivative(fun, wrt, return_value, has_aux=has_aux, **options)

    return transform


grad = _transform(return_value=False)
grad.__name__ = "grad"
grad.__doc__ = """The gradient of a scalar function `fun` with respect to `wrt`.

    `wrt` is an argument position or name, or a tuple of them (the result is
    then a tuple). Use as `grad(f)`, `grad(f, wrt=(0, 1))`, `@grad` or
    `@grad(wrt="w")`. With `has_aux=True`, `fun` returns `(loss, aux)`
    (written out in its return statement): only `loss` is differentiated,
    and the result is `(gradient, aux)`. `fun` may be any derivative srcgrad
    returned (`grad(grad(f))`, to any order), `wrt` naming its parameters.

    `fun` is a `def` or a `lambda` (in a file or a notebook cell), a
    `functools.partial` of one, a callable object or a bound method. Values
    a partial binds by position, and the object of a callable object or
    bound method, are constants, read when the derivative runs; `wrt`
    counts and names the parameters left, as `inspect.signature(fun)`
    shows them (a partial's keywords among them).

    >>> import numpy as np
    >>> def f(x):
    ...     return np.sum(x ** 2)
    """

value_and_grad = _transform(return_value=True)
value_and_grad.__name__ = "value_and_grad"
value_and_grad.__doc__ = """Like `grad`, but return `(value, gradient)` from one call
    (`((loss, aux), gradient)` with `has_aux=True`)."""


def source(derivative, mode: str | None = None, wrt=0, annotate: bool = False) -> str:
    """The generated Python source of a derivative made by srcgrad.

    `source(df)` for a derivative from grad/value_and_grad (for a transform of a
    derivative, the generated functions its last call ran); `source(f,
    mode="forward", wrt=...)` for the tangent function jvp would use, and
    `source(f, mode="reverse", wrt=...)` for the gradient of a plain function.
    `annotate=True` ends every generated statement with the original line it
    came from, as tracebacks and pdb show it.
    """
    if isinstance(derivative, Derivative) and mode is None:
        compiled = derivative._compiled()
        return compiled.annotated if annotate else compiled.source
    from . import compose

    if isinstance(derivative, compose.Composite) and mode is None:
        return derivative.source_text(annotate)
    if mode not in ("forward", "reverse") or not callable(derivative):
        raise SrcGradError(f"{derivative!r} is not a derivative made by srcgrad",
                           hint="pass grad(f), or a function with mode='forward' or 'reverse'")
    fun = derivative.fun if isinstance(derivative, Derivative) else forms.function_of(derivative)
    names, _ = _resolve_wrt(fun, wrt)
    compiled = cache.compiled(fun, Options(names) if mode == "reverse" else Options(names, mode="forward"))
    return compiled.annotated if annotate else compiled.source


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
    from . import compose

    fun = forms.function_of(fun)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise SrcGradError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                           hint="give one tangent per primal (None for a constant argument)")
    if compose.is_derivative(fun):
        return compose.jvp_of(fun, primals, tangents)
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
    compiled, bound = _bound_for(_JVP_BOUND, fun, options)
    # where the function writes into an argument, the tangent function writes into its
    # tangent too: that is the caller's, so it gets a copy
    given = {tp: _copy_arrays(t) if p in compiled.writes else t
             for p, tp, t in zip(wrt, compiled.tangent_params, (t for t in tangents if t is not None))}
    # keyword-only parameters (a partial's keywords among them) are passed by name
    positional = _positional_count(fun)
    keywords = dict(zip(params[positional:], primals[positional:]))
    out, out_dot = bound(*primals[:positional], **keywords, **given)
    return out, _tangent_like(out_dot, out)


def _positional_count(fun) -> int:
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in frontend.signature(fun).parameters.values())


def _copy_arrays(tree):
    """`tree` with every array and container in it copied (numbers as they are)."""
    if isinstance(tree, numpy.ndarray):
        return tree.copy()
    if isinstance(tree, dict):
        return {k: _copy_arrays(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_copy_arrays(v) for v in tree)
    return tree


def _bound_for(table, fun, options) -> tuple:
    """(the Compiled derivative of `fun` for `options`, bound to `fun`): bound once,
    and again after a helper or rule it was built from changed (see `watch`)."""
    per_fun = table.setdefault(fun, {})
    found = per_fun.get(options)
    if found is None or (found[2] is not None and not found[2]()):
        compiled = cache.compiled(fun, options)
        found = per_fun[options] = (compiled, compiled.bind(fun), watch.of(compiled, fun).check())
    return found[0], found[1]


def _require_real(g) -> None:
    """A derivative that met a complex value at run time (a negative Python float to a
    fractional power): outside the SPEC, an error rather than a real part."""
    if isinstance(g, complex) or numpy.iscomplexobj(g):
        raise SrcGradError("the derivative computed a complex value; srcgrad differentiates "
                           "real numbers only, and its real part is not the gradient",
                           hint="rebuild with debug_nans=True, which names the line where the "
                                "complex value appears, and keep that computation real")


def _tangent_like(t, value):
    """Give an output tangent the structure of its output."""
    if isinstance(value, dict):
        return {k: _tangent_like(t.get(k) if isinstance(t, dict) else None, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = t if isinstance(t, (list, tuple)) else [None] * len(value)
        return type(value)(_tangent_like(ti, vi) for ti, vi in zip(items, value))
    if t is None:
        t = 0.0
    if type(t) is not float:
        _require_real(t)
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
    times; each call gives the same result for the same cotangent, also when
    an argument was changed in place after `vjp` returned (the tape keeps
    copies of the arguments the function does not write itself).
    """
    from . import compose

    if compose.is_derivative(fun):
        return compose.vjp_of(fun, args, kwargs, wrt)
    fun = forms.function_of(fun)
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
    compiled, pair = _bound_for(_SPLIT_BOUND, fun, options)
    forward_fn, backward_fn = pair
    # The tape keeps what the backward sweep reads, the arguments too, until the
    # pullback runs: it keeps copies of those the function does not write, so that
    # changing an argument in place after vjp does not change the gradient.
    call = sig.bind(*args, **kwargs)
    for p, v in call.arguments.items():
        if p not in compiled.writes:
            call.arguments[p] = _copy_arrays(v)
    value, tape = forward_fn(*call.args, **call.kwargs)

    def pullback(cotangent):
        """The gradients for `wrt` of <cotangent, fun's value>."""
        return pullback_of(backward_fn(cotangent, tape))

    def build(cotangent_values):  # the pullback is linear: transformed by forward mode over it
        seed, tape_param = (p for p, _ in compose._layout(backward_fn))
        return compose.single(compose.Leaf(
            backward_fn, {seed: ("arg", "cotangent"), tape_param: ("const", tape)}, 0,
            lambda grads, _: pullback_of(grads)))

    def pullback_of(grads):
        out = tuple(_as_gradient(g, values[n]) for g, n in zip(grads, names, strict=True))
        return out if many else out[0]

    transformable = compose.Composite(build, _PULLBACK_SIGNATURE, f"pullback_{getattr(fun, '__name__', 'f')}",
                                      pullback.__doc__, call=pullback)
    transformable.source = compiled.source
    return value, transformable


_PULLBACK_SIGNATURE = inspect.Signature([inspect.Parameter("cotangent", inspect.Parameter.POSITIONAL_OR_KEYWORD)])


# --- higher orders: forward mode over generated code (see compose.py) ---------

def hvp(fun, wrt=0):
    """Hessian-vector products: `hvp(f)(*args, v)` or `hvp(f)(*args, v=v)` is H @ v,
    without forming H.

    Forward mode applied to the generated gradient (forward-over-reverse). `v`
    may follow the function's own arguments positionally, so `hvp(f)` fits
    `scipy.optimize.minimize(..., hessp=hvp(f))`. (When the function has a
    parameter named `v`, as `hvp(f)` itself does, the direction is `v2`.)
    """
    from . import compose

    if compose.is_derivative(fun):
        return compose.hvp_of_fun(fun, wrt)
    fun = forms.function_of(fun)
    (name,), many = _resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("hvp takes one wrt argument", hint="pass wrt=0 or wrt='x'")
    gradient = Derivative(fun, name, return_value=False)
    signature, direction = compose.with_v(frontend.signature(fun))

    def build(values):
        _check_wrt_value(direction, values[direction])
        return gradient._plan(values).forward(values, {name: ("arg", direction)})

    return compose.Composite(build, signature, f"hvp_{getattr(fun, '__name__', 'f')}", hvp.__doc__)


def hessian(fun, wrt=0):
    """The full Hessian in one argument: shape `x.shape + x.shape` (a float for a
    number; for a dict of arrays, a dict of dicts of blocks, as in JAX).

    `jacobian(grad(fun))`: one forward-mode column over the generated gradient
    per entry of the argument.
    """
    from . import compose

    if compose.is_derivative(fun):
        return compose.hessian_of_fun(fun, wrt)
    fun = forms.function_of(fun)
    (name,), many = _resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("hessian takes one wrt argument", hint="pass wrt=0 or wrt='x'")
    full = compose.jacobian_of_fun(Derivative(fun, name, return_value=False), name)
    full.__name__ = full.__qualname__ = f"hessian_{getattr(fun, '__name__', 'f')}"
    full.__doc__ = hessian.__doc__
    return full


def jacobian(fun, wrt=0):
    """The Jacobian of any function: shape `out.shape + x.shape`.

    Built from reverse-mode rows (vjp) when the output is the smaller side,
    from forward-mode columns (jvp) otherwise; for a dict/list/tuple argument
    (or output), the blocks nest as in JAX. `fun` may be any derivative
    srcgrad returned (`jacobian(grad(f))`): forward-mode columns over its
    generated code.
    """
    from . import compose

    if compose.is_derivative(fun):
        return compose.jacobian_of_fun(fun, wrt)
    fun = forms.function_of(fun)
    (name,), many = _resolve_wrt(fun, wrt)
    if many:
        raise SrcGradError("jacobian takes one wrt argument", hint="call it once per argument")
    params = _parameters(fun)

    def full(*args, **kwargs):
        bound = inspect.signature(fun).bind(*args, **kwargs)
        bound.apply_defaults()
        x = bound.arguments[name]
        _check_wrt_value(name, x)
        if not isinstance(x, (numpy.ndarray, float, int)):
            values = dict(bound.arguments)  # a dict, list or tuple of arrays: by columns
            return composite._build(values).run(values)
        # The function runs once on the caller's arguments (as calling it would); every
        # column is taken at the point it was called at, from copies of what it writes.
        written = _written_params(fun, name, bound.arguments)
        kept = {p: _copy_arrays(bound.arguments[p]) for p in params if p in written}
        out, pullback = vjp(fun, *args, wrt=name, **kwargs)
        out_shape, x_shape = numpy.shape(out), numpy.shape(x)
        if numpy.size(out) <= numpy.size(x):
            rows = [pullback(e if out_shape else float(e)) for e in _basis(numpy.asarray(out, float))] \
                if out_shape else [pullback(1.0)]
            jac = numpy.stack([numpy.asarray(r, float) for r in rows])
        else:
            if name in kept:
                x = kept[name]
            cols = []
            for e in _basis(x):
                primals = [_copy_arrays(kept[p]) if p in kept else bound.arguments[p] for p in params]
                _, out_dot = jvp(fun, primals, [e if p == name else None for p in params])
                cols.append(numpy.asarray(out_dot, float))
            jac = numpy.stack(cols, axis=-1)
        return jac.reshape(out_shape + x_shape) if out_shape + x_shape else float(jac.reshape(()))

    composite = compose.jacobian_of_fun(fun, name)
    composite._call = full
    composite.__doc__ = jacobian.__doc__
    return composite


def _written_params(fun, name: str, values: dict) -> frozenset:
    """The parameters `fun`'s derivative (as vjp builds it) may write into (all of them
    for a callable that is not a plain function: nothing known, so everything copied)."""
    if not hasattr(fun, "__code__"):
        return frozenset(_parameters(fun))
    kinds = tuple(_kind(values[p]) for p in _parameters(fun) if p in values)
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
