"""The public entry: grad, value_and_grad, vjp, jvp and source, and the Derivative they return.

This module holds the cached call path: a Derivative finds its arguments'
kinds, runs the generated function compiled for them, and hands back the
gradients converted at the boundary (`boundary`). Everything else happens
once, at compile time, in `compiler`. The markers a user writes inside a
differentiated function live in `markers`, the higher-order transforms
(hvp, hessian, jacobian) in `higher` (which builds on this module; the
package exports them).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import weakref
from operator import countOf

import numpy

from . import cache, fence as _fence, forms, frontend, listing, native, readstate, watch
from .boundary import (CallPlan, _made_fits, as_gradient, check_cotangent, check_kind, check_output, check_tangent,
                       check_wrt_value, convert_gradients, copy_arrays, floated, holds_dask, kind_of, parameters,
                       positional_count, resolve_wrt, skeleton, tangent_like, unshared)
from .compiler import Options, optimizing
from .bound import JVP_BOUND, bound_for
from .errors import SrcGradError
from .markers import detach, no_grad, stop_gradient  # noqa: F401  (importable from here too)


_ONE_ARRAY = ("array",)  # the kinds of the commonest calls, made once
_ONE_NUMBERS = ("numbers",)
# for a one-argument call, the argument types that decide its kind (a list: with a check
# of its entries, inline in `Derivative.__call__`)
_ONE_KINDS = {"scalar": (float, int), "array": (numpy.ndarray,), "numbers": (list,)}


_NUMBA_HEADER = "# backend: numba (this function and the helpers it calls run under numba.njit)\n"


def _numba_made(base) -> bool:
    """Whether an array's `base` is memory numba allocated in the call (numba's
    `_MemInfo` without a parent; an argument's memory has the argument as parent)."""
    return type(base).__name__ == "_MemInfo" and base.parent is None


def _wraps(derivative, fun) -> None:
    """Give a derivative `fun`'s name and docstring; a partial or a callable object
    (whose attributes are its own state) lends only those it has."""
    if inspect.isfunction(fun):
        functools.update_wrapper(derivative, fun)
    else:
        functools.update_wrapper(derivative, fun, updated=())


class Derivative:
    """A compiled derivative of `fun`: call it like `fun`; `.source` shows its code."""

    def __init__(self, fun, wrt, return_value: bool, debug_nans: bool = False, has_aux: bool = False,
                 backend: str = "python"):
        self._backend = native.check_backend(backend)
        given, fun = fun, forms.function_of(fun)
        self._given, self._wrt_given = given, wrt
        parsed = frontend.parse(fun, fresh=False)  # (the fence only reads the tree)
        _fence.fence(parsed)  # unsupported syntax fails now, not at the first call
        self.fun = fun
        self.wrt, self._many = resolve_wrt(fun, wrt)
        self._return_value = return_value
        self._debug_nans = bool(debug_nans)
        self._has_aux = bool(has_aux)  # fun returns (loss, aux): see `_converted`
        self._optimize = optimizing()  # False only inside compiler.unoptimized() (tests)
        self._signature = frontend.signature(fun)
        self._params = parameters(fun)
        positional = [p.name for p in self._signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # wrt as positions, when every parameter is positional (the fast call path)
        self._positions = tuple(positional.index(n) for n in self.wrt) \
            if len(positional) == len(self._params) else None
        self._nparams = len(self._params) if self._positions is not None else -1
        self._bound: dict = {}  # kinds -> (bound generated function, its watch's checks, code, made keys)
        self._last_kinds = None  # the argument kinds of the last call: what `source` shows
        self._plans: dict = {}  # kinds -> CallPlan, for calls with every argument positional
        self._one: dict = {}  # type -> CallPlan, for plain grad's one-argument calls (`__call__`)
        _wraps(self, given)

    def _plan(self, values: dict):
        """This derivative as one generated function to transform again (see compose/):
        the NaN-guarded code alone, its gradients given their arguments' structure."""
        from . import compose

        for name in self.wrt:
            check_wrt_value(name, values[name])
        fn = self._function(tuple(kind_of(values[p]) for p in self._params if p in values), nan_safe=True)

        return compose.single(compose.Leaf(fn, {p: ("arg", p) for p in self._params if p in values},
                                           0, self._converted))

    def _function(self, kinds: tuple, nan_safe: bool = False, lazy: bool = False):
        """The bound generated function for these argument kinds. `nan_safe`: the
        NaN-guarded code alone, no fast path in front (what hvp differentiates);
        `lazy`: for arguments holding Dask arrays (see `dask_support`)."""
        key = (kinds, "nan_safe", "lazy") if lazy else (kinds, "nan_safe") if nan_safe else kinds
        found = self._bound.get(key)
        if found is None or (found[1] is not None and not found[1]()):
            if found is not None and not forms.current(self.fun):
                # a callable object's class got a new __call__: differentiate that one
                self.__init__(self._given, self._wrt_given, self._return_value, self._debug_nans,
                              self._has_aux, self._backend)
                return self._function(kinds, nan_safe, lazy)
            options = Options(self.wrt, kinds=kinds, nan_safe=nan_safe, lazy=lazy, **self._build_options())
            if self._backend != "python" and not (nan_safe or lazy):
                found = self._bound[key] = self._native(options)
                return found[0]
            compiled = cache.compiled(self.fun, options)
            seen = watch.of(compiled, self.fun)
            found = self._bound[key] = (compiled.bind(self.fun), seen.check(), seen.check(planned=True),
                                        self.fun.__code__, compiled.made, compiled.fresh)
        return found[0]

    def _native(self, options: Options) -> tuple:
        """`_function`'s entry for the numba backend: the numba-compiled derivative (its
        wrapper), or for backend="auto" the Python build where numba refuses it."""
        compiled, fn, check, planned, fresh = native.bind(self.fun, options, self._backend)
        return fn, check, planned, self.fun.__code__, compiled.made, fresh

    @property
    def backend(self) -> str:
        """Which backend ran the last call: "python" or "numba" (with backend="auto",
        "python" where numba refused the derivative, `.refusal` says why; None before
        the first call)."""
        found = self._bound.get(self._last_kinds)
        if found is not None:
            return getattr(found[0], "backend", "python")
        return {"python": "python", "numba": "numba"}.get(self._backend)  # auto: None until a call

    @property
    def native(self):
        """Where numba ran the last call, what it ran: `.text` (the module's source),
        `.path` (its file in the cache directory), `.dispatcher` (numba's); else None."""
        found = self._bound.get(self._last_kinds)
        return getattr(found[0], "native", None) if found is not None and self.backend == "numba" else None

    @property
    def refusal(self):
        """Why the last call ran in Python under backend="auto" (a SrcGradError), else None."""
        found = self._bound.get(self._last_kinds)
        return getattr(found[0], "refusal", None) if found is not None else None

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs:
            # The commonest call, one argument: its plan found by the argument's type alone
            # (`_one`), the checks and conversions inline, in the order `_planned` does them.
            x = args[0]
            plan = self._one.get(type(x))
            if plan is not None and plan.code is self.fun.__code__ and (plan.watch is None or plan.watch()):
                kind = plan.kind
                if kind == "numbers":  # a list (`_ONE_KINDS`): of Python floats alone, checked here
                    n = len(x)
                    if n and countOf(map(type, x), float) == n:
                        self._last_kinds = _ONE_NUMBERS
                        out = plan.fn(x)
                        if plan.fresh:  # made by the derivative, checked when it was built
                            return out
                        # a list of Python floats, copied: `gradient_for_kind` without its loops
                        if type(out) is list and len(out) == n and countOf(map(type, out), float) == n:
                            return out[:]
                        return plan.gradient(out, args)
                elif kind == "scalar":
                    self._last_kinds = plan.kinds
                    out = plan.fn(x)
                    return out if type(out) is float else plan.gradient(out, args)
                else:  # an array
                    dtype = x.dtype
                    if dtype.kind == "f":  # otherwise `_planned` checks it
                        self._last_kinds = _ONE_ARRAY
                        out = plan.fn(x)
                        # `_fresh(out, x)` and `unshared` inlined: a new array the derivative made
                        # (owning its memory), of x's shape and dtype
                        if type(out) is numpy.ndarray and (out.base is None or _numba_made(out.base)) \
                                and (out.dtype is dtype or out.dtype == dtype) \
                                and out.shape == x.shape and out.flags.writeable and out is not x:
                            return out
                        return plan.gradient(out, args)
        if len(args) == self._nparams and not kwargs:
            return self._planned(args)
        if kwargs or len(args) != len(self._params):
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
        else:
            values = dict(zip(self._params, args))
        return self._call_bound(values, tuple(kind_of(values[p]) for p in self._params if p in values),
                                args, kwargs)

    def _planned(self, args: tuple):
        """A call with every parameter passed by position (no default is read): the
        generated function for the arguments' kinds, run through its `CallPlan`."""
        kinds = tuple([kind_of(a) for a in args])
        plan = self._plans.get(kinds)
        if plan is None:
            bound = self._bound.get(kinds)
            if bound is None:
                return self._call_bound(dict(zip(self._params, args)), kinds, args, {})
            plan = self._plans[kinds] = CallPlan(bound, kinds, self._positions, self.wrt, self._many)
            if len(args) == 1 and not (self._has_aux or self._return_value or self._many) \
                    and kinds[0] in _ONE_KINDS:
                for t in _ONE_KINDS[kinds[0]]:
                    self._one[t] = plan
        if plan.code is not self.fun.__code__ or (plan.watch is not None and not plan.watch()):
            # its code replaced in place, or a helper or rule it was built from redefined: rebuild
            del self._plans[kinds]
            return self._call_bound(dict(zip(self._params, args)), kinds, args, {})
        if plan.lazy and holds_dask(args):
            return self._call_bound(dict(zip(self._params, args)), kinds, args, {})
        for p, name, kind in plan.checks:
            if kind == "array":
                dtype_kind = args[p].dtype.kind
                if dtype_kind == "f":
                    continue
                if dtype_kind in "iu":  # differentiated as float64
                    args = args[:p] + (floated(args[p]),) + args[p + 1:]
                    continue
            check_kind(name, args[p], kind)
        self._last_kinds = kinds
        out = plan.fn(*args)
        if self._has_aux:
            out, aux = out
            if self._return_value:
                value, out = out
                return unshared((value, aux), args), plan.gradient(out, args)
            return plan.gradient(out, args), unshared(aux, args)
        if self._return_value:
            value, out = out
            return unshared(value, args), plan.gradient(out, args)
        at = plan.made_at
        if at >= 0 and _made_fits(out, args[at], plan.made):  # `plan.gradient`'s first test, inlined
            return (out,) if self._many else out
        at = plan.array_at
        if at >= 0 and not self._many:
            # `_fresh(out, x)` and `unshared` inlined: one float array in, and out a new
            # array the derivative made (owning its memory, none of the arguments)
            x = args[at]
            if type(out) is numpy.ndarray and (out.base is None or _numba_made(out.base)) \
                    and (out.dtype is x.dtype or out.dtype == x.dtype) \
                    and out.shape == x.shape and x.dtype.kind == "f" and out.flags.writeable \
                    and (out is not x if len(args) == 1 else all(a is not out for a in args)):
                return out
        return plan.gradient(out, args)

    def _call_bound(self, values: dict, kinds: tuple, args, kwargs):
        """The general call: every wrt value checked, the derivative compiled if need be."""
        if "dask" in kinds or ("container" in kinds and holds_dask(values)):
            from . import dask_support  # only now: `import srcgrad` does not import Dask

            return dask_support.call(self, values, kinds, args, kwargs)
        for name in self.wrt:
            check_wrt_value(name, values[name])
        ints = {n: f for n in self.wrt if (f := floated(values[n])) is not values[n]}
        if ints:  # differentiated as float64
            values = {**values, **ints}
            call = self._signature.bind(*args, **kwargs)
            call.arguments.update(ints)
            args, kwargs = call.args, call.kwargs
        self._last_kinds = kinds
        return self._converted(self._function(kinds)(*args, **kwargs), values)

    def _converted(self, out, values: dict):
        """The generated function's result `out` as the caller gets it: gradients
        shaped like their arguments, `aux` beside them as JAX has it."""
        if self._has_aux:
            out, aux = out
            if self._return_value:
                value, grads = out
                return unshared((value, aux), values), convert_gradients(self.wrt, self._many, grads, values)
            return convert_gradients(self.wrt, self._many, out, values), unshared(aux, values)
        if self._return_value:
            value, grads = out
            return unshared(value, values), convert_gradients(self.wrt, self._many, grads, values)
        return convert_gradients(self.wrt, self._many, out, values)

    def _build_options(self) -> dict:
        """The `Options` fields this derivative is built with, besides wrt and kinds."""
        return {"return_value": self._return_value, "debug_nans": self._debug_nans,
                "has_aux": self._has_aux, "optimize": self._optimize}

    @property
    def source(self) -> str:
        """The generated Python source: the code the last call ran (before any call,
        the code for the argument kinds its header comment names)."""
        return self.source_text()

    def source_text(self, annotate: bool = False, kinds=None, nan_safe: bool = False) -> str:
        """`source`, with each statement's original line (`annotate`), or for other
        argument kinds (see `listing.resolve_kinds`), or with the NaN-safe twin (`nan_safe`)."""
        return self._built(kinds).text(annotate, nan_safe)

    def _built(self, kinds=None):
        """The derivative for `kinds` (default: the last call's), as `listing` builds it:
        the numba build where numba ran (or, before any call, will run) it."""
        numba = self.backend == "numba" and (kinds is None or self._backend == "numba")
        built = listing.build(self.fun, self.wrt, "reverse", self._last_kinds if kinds is None else kinds,
                              **self._build_options(), **({"backend": "numba"} if numba else {}))
        if numba:
            return dataclasses.replace(built, header=built.header + _NUMBA_HEADER)
        return built

    def _compiled(self):
        """The Compiled the last call ran (before any call, the one `source` shows)."""
        return self._built().compiled

    def __repr__(self) -> str:
        return f"<srcgrad derivative of {self.fun.__qualname__} wrt {', '.join(self.wrt)}>"

    def __reduce__(self):
        """Pickled as what rebuilds it: the function as given (pickled by reference, so a
        module-level one; a lambda or closure gets pickle's own error), wrt and the options.
        The generated and compiled functions and call plans stay behind: the copy builds
        them again at its first call (`multiprocessing.Pool.map(df, ...)` after a call)."""
        return _rebuilt, (self._given, self._wrt_given, self._return_value, self._debug_nans, self._has_aux,
                          self._backend, self._optimize)


def _rebuilt(given, wrt, return_value: bool, debug_nans: bool, has_aux: bool, backend: str,
             optimize: bool) -> Derivative:
    """A pickled Derivative, made again (see `Derivative.__reduce__`)."""
    derivative = Derivative(given, wrt, return_value, debug_nans, has_aux, backend)
    derivative._optimize = optimize
    return derivative


def _transform(return_value: bool):
    def transform(fun=None, wrt=0, has_aux=False, **options):
        if fun is None:
            return lambda f: transform(f, wrt=wrt, has_aux=has_aux, **options)
        unknown = set(options) - {"debug_nans", "backend"}
        if unknown:
            raise TypeError(f"unexpected option(s): {', '.join(sorted(unknown))}")
        from . import compose

        if compose.is_derivative(fun):
            if options.get("backend", "python") != "python":
                native.python_only(options["backend"], "a transform of a derivative")
            options = {k: v for k, v in options.items() if k != "backend"}
            if options:
                raise SrcGradError(f"{', '.join(sorted(options))} applies to the derivative of a plain function",
                                   hint="pass it to the inner transform")
            return compose.remember(compose.grad_of(fun, wrt, return_value, has_aux),
                                    "value_and_grad" if return_value else "grad", fun, wrt=wrt, has_aux=has_aux)
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

    The caller's arguments are left as they were, also where `fun` writes
    into one (`x[0] = ...`): the backward sweep undoes each write on its way
    back. (`vjp` and `jvp` run `fun` for its value and leave an argument it
    writes written, as calling `fun` would.)

    `backend="numba"` compiles the derivative with numba (an optional extra),
    `backend="auto"` where numba compiles it and Python elsewhere;
    `df.backend` says which ran, `df.refusal` why not numba. Every transform
    of a plain function takes `backend=` (docs/performance.md).

    >>> import numpy as np
    >>> def f(x):
    ...     return np.sum(x ** 2)
    """

value_and_grad = _transform(return_value=True)
value_and_grad.__name__ = "value_and_grad"
value_and_grad.__doc__ = """Like `grad`, but return `(value, gradient)` from one call
    (`((loss, aux), gradient)` with `has_aux=True`)."""


def source(derivative, mode: str | None = None, wrt=0, annotate: bool = False, kinds=None,
           nan_safe: bool = False) -> str:
    """The generated Python source of a derivative made by srcgrad.

    `source(df)` for a derivative from grad/value_and_grad: the code its last
    call ran (for a transform of a derivative, the generated functions its
    last call ran). `source(f, mode="forward", wrt=...)` for the tangent
    function jvp would use, `mode="reverse"` for the gradient of a plain
    function and `mode="split"` for the forward/backward pair vjp runs.

    The text starts with a comment naming the argument kinds it was built
    for (`# built for argument kinds: x=array, n=scalar`). Before any call,
    and for a plain function, those are the parameters' default kinds (see
    `listing`); `kinds` picks others: "x=array,n=scalar" or {"n": "scalar"}.
    `annotate=True` ends every generated statement with the original line it
    came from, as tracebacks and pdb show it.

    Where NaN guards (`masked_product`, `tangent_ratio`: 0 * inf kept 0) would
    slow a gradient down, it is built twice: a fast function with plain `*`
    and `/`, and its NaN-safe twin `<name>_nan_safe`, which the fast one calls
    when it meets a NaN or a floating-point error. The text shows the fast
    function and a comment naming the twin; `nan_safe=True` shows the twin too.
    """
    if isinstance(derivative, Derivative) and mode is None:
        return derivative.source_text(annotate, kinds, nan_safe)
    from . import compose

    if isinstance(derivative, compose.Composite) and mode is None:
        if kinds is not None:
            raise SrcGradError("kinds= applies to the derivative of a plain function; a transform of "
                               "a derivative shows the generated functions its last call ran",
                               hint="call it with the arguments you mean, then source() it")
        return derivative.source_text(annotate, nan_safe)
    if mode not in listing.MODES or not callable(derivative):
        raise SrcGradError(f"{derivative!r} is not a derivative made by srcgrad",
                           hint="pass grad(f), or a function with mode='reverse', 'forward' or 'split'")
    fun = derivative.fun if isinstance(derivative, Derivative) else derivative
    return listing.derivative_source(fun, wrt, mode, kinds, annotate, nan_safe)


def jvp(fun, primals, tangents, debug_nans: bool = False, backend: str = "python"):
    """Forward mode: `(fun(*primals), directional derivative along tangents)`.

    `tangents` has one entry per primal (an array, number or pytree of the
    primal's structure), or None for an argument held constant. The tangent
    function is generated by source transformation, compiled once and cached.

    >>> import numpy as np
    >>> def f(x):
    ...     return np.sin(x) * x
    """
    return _jvp(fun, primals, tangents, debug_nans, backend)[0]


def _jvp(fun, primals, tangents, debug_nans: bool = False, backend: str = "python"):
    """(`jvp`'s result, the function that ran: numba's wrapper says which backend ran it,
    `.backend`, and why not numba, `.refusal`)."""
    from . import compose

    native.check_backend(backend)
    fun = forms.function_of(fun)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise SrcGradError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                           hint="give one tangent per primal (None for a constant argument)")
    if compose.is_derivative(fun):
        return compose.jvp_of(fun, primals, tangents), None
    params = parameters(fun)
    if len(primals) > len(params):
        raise SrcGradError(f"jvp got {len(primals)} primals but {fun.__name__} takes {len(params)}")
    wrt = tuple(params[i] for i, t in enumerate(tangents) if t is not None)
    for i, t in enumerate(tangents):
        if t is not None:
            check_wrt_value(params[i], primals[i])
            check_tangent(params[i], primals[i], t)
    primals = tuple(p if t is None else floated(p) for p, t in zip(primals, tangents))  # ints as float64
    values = dict(zip(params, primals))
    signature = frontend.signature(fun).parameters
    for p in params[len(primals):]:  # defaults have kinds too, as in vjp (a function: act=np.tanh)
        if signature[p].default is signature[p].empty:
            break
        values[p] = signature[p].default
    kinds = tuple(kind_of(values[p]) for p in params if p in values)
    options = Options(wrt, kinds=kinds, debug_nans=debug_nans, mode="forward")
    compiled, bound = bound_for(JVP_BOUND, fun, options, backend)
    # where the function writes into an argument, the tangent function writes into its
    # tangent too: that is the caller's, so it gets a copy
    given = {tp: copy_arrays(t) if p in compiled.writes else t
             for p, tp, t in zip(wrt, compiled.tangent_params, (t for t in tangents if t is not None))}
    # keyword-only parameters (a partial's keywords among them) are passed by name
    positional = positional_count(fun)
    keywords = dict(zip(params[positional:], primals[positional:]))
    out, out_dot = bound(*primals[:positional], **keywords, **given)
    check_output(out, "jvp")
    return unshared((out, tangent_like(out_dot, out)), (primals, tangents)), bound


_SPLIT_BOUND: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def vjp(fun, *args, wrt=0, debug_nans: bool = False, backend: str = "python", **kwargs):
    """Split reverse mode: run `fun` now, return `(value, pullback)`.

    `pullback(cotangent)` — PyTorch's `.backward()` — runs the backward sweep
    later, with `cotangent` shaped like the value (a tuple/dict of them for a
    tuple/dict value, None for an entry held at zero; another shape is a
    SrcGradError), and returns the gradients for `wrt` (one value, or a
    tuple when `wrt` is a tuple). A pullback can be called any number of
    times; each call gives the same result for the same cotangent, also when
    an argument was changed in place after `vjp` returned (the tape keeps
    copies of the arguments the function does not write itself, and of no
    argument that shares memory with one it writes).

    With `backend="numba"` both sweeps are compiled by numba: `vjp` runs the
    forward sweep for the value, and each pullback call the forward and the
    backward sweep in machine code, from the arguments as they were (the tape
    never leaves compiled code). `backend="auto"` runs Python where numba
    refuses; `pullback.backend` says which ran, `pullback.refusal` why.
    """
    from . import compose

    native.check_backend(backend)
    if compose.is_derivative(fun):
        native.python_only(backend, "vjp of a derivative")
        return compose.vjp_of(fun, args, kwargs, wrt)
    fun = forms.function_of(fun)
    names, many = resolve_wrt(fun, wrt)
    sig = inspect.signature(fun)
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    for name in names:
        check_wrt_value(name, bound.arguments[name])
        bound.arguments[name] = floated(bound.arguments[name])  # an integer array: as float64
    values = bound.arguments
    params = parameters(fun)
    kinds = tuple(kind_of(values[p]) for p in params if p in values)
    lazy = holds_dask(values)  # Dask data: see dask_support (imported only then)
    options = Options(names, kinds=kinds, debug_nans=debug_nans, split=True, lazy=lazy)
    refusal = None
    if backend != "python":
        split = _native_split(fun, options, backend)
        if split.value is not None:
            return _native_vjp(fun, options, split, values, params, names, many)
        refusal = split.refusal  # backend="auto" where numba refuses: the Python build, below
    compiled, pair = bound_for(_SPLIT_BOUND, fun, options)
    forward_fn, backward_fn = pair
    # The tape keeps what the backward sweep reads, the arguments too, until the
    # pullback runs: it keeps copies of those the function does not write, so that
    # changing an argument in place after vjp does not change the gradient.
    call = sig.bind(*args, **kwargs)
    written = [v for p, v in call.arguments.items() if p in compiled.writes and isinstance(v, numpy.ndarray)]
    for p, v in call.arguments.items():
        if p in names:
            v = call.arguments[p] = values[p]  # floated above; a copy already where it was converted
        # (an array that is, or shares memory with, one the function writes stays itself: f sees
        # the write through it, `f(z, z)`)
        if p not in compiled.writes and not (isinstance(v, numpy.ndarray)
                                             and any(numpy.may_share_memory(v, w) for w in written)):
            call.arguments[p] = copy_arrays(v)
    if lazy:
        from . import dask_support

        call.arguments.update({p: dask_support.fresh_objects(v) for p, v in call.arguments.items()})
        with dask_support.building():
            value, tape = forward_fn(*call.args, **call.kwargs)  # lazy: the value too
    else:
        value, tape = forward_fn(*call.args, **call.kwargs)
    check_output(value, "vjp")
    value = unshared(value, values)
    seen = readstate.snapshot(backward_fn)  # the globals the backward sweep reads, as they are now

    def pullback(cotangent):
        """The gradients for `wrt` of <cotangent, fun's value>."""
        readstate.check(backward_fn, seen)
        if lazy:  # one dask.compute
            return dask_support.pullbacks(backward_fn, tape, [cotangent], names, many, values)[0]
        check_cotangent(value, cotangent)
        return pullback_of(backward_fn(cotangent, tape), cotangent)

    def build(cotangent_values):  # the pullback is linear: transformed by forward mode over it
        seed, tape_param = (p for p, _ in compose._layout(backward_fn))
        return compose.single(compose.Leaf(
            backward_fn, {seed: ("arg", "cotangent"), tape_param: ("const", tape)}, 0,
            lambda grads, _: pullback_of(grads)))

    shapes = {n: skeleton(values[n]) for n in names}  # as they were: the caller may change them

    def pullback_of(grads, cotangent=None):
        out = unshared(tuple([as_gradient(g, shapes[n]) for g, n in zip(grads, names, strict=True)]),
                       (cotangent, values))
        return out if many else out[0]

    transformable = compose.Composite(build, _PULLBACK_SIGNATURE, f"pullback_{getattr(fun, '__name__', 'f')}",
                                      pullback.__doc__, call=pullback)
    transformable.source = listing.header_for(params, kinds) + compiled.source  # the pair that ran
    if lazy:  # a jacobian's rows, all in one dask.compute
        transformable.rows = lambda cotangents: dask_support.pullbacks(backward_fn, tape, cotangents, names,
                                                                       many, values, numpy_only_out=True)
    if backend != "python":
        transformable.refusal = refusal
    return value, transformable


_NATIVE_SPLIT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # fun -> {(Options, backend): Split}


def _native_split(fun, options: Options, backend: str):
    """vjp's numba build of `fun` for `options` (a `native.Split`), made once (and again
    after a helper or rule it was built from, or a global it compiled in, changed)."""
    per_fun = _NATIVE_SPLIT.setdefault(fun, {})
    found = per_fun.get((options, backend))
    if found is None or (found.check is not None and not found.check()):
        found = per_fun[(options, backend)] = native.bind_split(fun, options, backend)
    return found


def _native_vjp(fun, options: Options, split, values: dict, params: list, names: tuple, many: bool):
    """vjp in the numba backend: the value from the compiled forward sweep now; each
    pullback call runs the compiled forward sweep again and then the backward one, on
    the arguments as they were (the tape stays in compiled code). The result matches the
    Python backend's vjp, also for a function that writes into an argument (written now,
    as calling it does; each pullback starts from a copy of it as it was)."""
    from . import compose

    written = split.compiled.writes
    kept = {p: copy_arrays(values[p]) for p in params if p in written}
    args = [values[p] if p in written else copy_arrays(values[p]) for p in params]
    value = split.value(*args)
    check_output(value, "vjp")
    value = unshared(value, values)
    saved = [kept.get(p, a) for p, a in zip(params, args)]
    shapes = {n: skeleton(values[n]) for n in names}  # as they were: the caller may change them

    def arguments():
        return [copy_arrays(a) if p in kept else a for p, a in zip(params, saved)]

    def pullback(cotangent):
        """The gradients for `wrt` of <cotangent, fun's value>."""
        check_cotangent(value, cotangent)
        grads = split.gradients(*arguments(), cotangent)
        transformable.backend = getattr(split.gradients, "backend", "numba")
        transformable.refusal = getattr(split.gradients, "refusal", None)
        return pullback_of(grads, cotangent)

    def pullback_of(grads, cotangent=None):
        out = unshared(tuple([as_gradient(g, shapes[n]) for g, n in zip(grads, names, strict=True)]),
                       (cotangent, values))
        return out if many else out[0]

    def build(cotangent_values):  # a transform of the pullback: forward mode over the Python build's
        _, (forward_fn, backward_fn) = bound_for(_SPLIT_BOUND, fun, options)
        code, given = forward_fn.__code__, arguments()
        keywords = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
        tape = forward_fn(*given[:code.co_argcount], **dict(zip(keywords, given[code.co_argcount:])))[1]
        seed, tape_param = (p for p, _ in compose._layout(backward_fn))
        return compose.single(compose.Leaf(
            backward_fn, {seed: ("arg", "cotangent"), tape_param: ("const", tape)}, 0,
            lambda grads, _: pullback_of(grads)))

    transformable = compose.Composite(build, _PULLBACK_SIGNATURE, f"pullback_{getattr(fun, '__name__', 'f')}",
                                      pullback.__doc__, call=pullback)
    transformable.source = listing.header_for(params, options.kinds) + _NUMBA_HEADER + split.compiled.source
    transformable.backend = getattr(split.value, "backend", "numba")
    transformable.refusal = getattr(split.value, "refusal", None)
    return value, transformable


_PULLBACK_SIGNATURE = inspect.Signature([inspect.Parameter("cotangent", inspect.Parameter.POSITIONAL_OR_KEYWORD)])


# --- names kept importable from here -------------------------------------------------

_kind, _resolve_wrt = kind_of, resolve_wrt  # as tests and older code import them
