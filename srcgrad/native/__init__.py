"""The numba backend: a generated derivative compiled to machine code by numba.

`grad(f, backend="numba")` builds the derivative as usual, with the last
step for numba (`lowering`: one typed stack per taped value, lists of floats
as arrays, no fast path), writes it as a standalone module (the exporter's,
with srcgrad/native's `helpers` and every function under `numba.njit(cache=True)`),
and imports it from a file in srcgrad's cache directory (`loader`), where
numba's own cache keeps the machine code for the next process. `entry`
wraps the module's entry point for the call path. vjp's split pair is one
module with two entries (`bind_split`): the forward sweep for the value, and
both sweeps for a pullback call, so that the tape stays in compiled code.
jacobian, hessian and hvp reach numba through vjp, jvp and forward mode over
the generated gradient (`compose.plan.forward_backend`).

`backend="auto"` uses numba where it compiles the derivative and the Python
build elsewhere; `backend="python"` (the default) never imports numba.
numba is an optional extra (`pip install srcgrad[numba]`).
"""
from __future__ import annotations

import dataclasses

from ..errors import SrcGradError

BACKENDS = ("python", "numba", "auto")


def check_backend(backend) -> str:
    """`backend` if it is one srcgrad knows (and numba is there for "numba")."""
    if backend not in BACKENDS:
        raise SrcGradError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}")
    if backend == "numba" and not available():
        raise SrcGradError("backend='numba' needs numba, which is not installed",
                           hint='pip install "srcgrad[numba]" (or backend="auto", which runs Python without it)')
    return backend


def python_only(backend, transform: str) -> None:
    """Check `backend` for a transform the numba backend does not compile (a transform
    of a derivative srcgrad returned): "python" and "auto" run Python, "numba" is refused."""
    if backend != "numba":
        check_backend(backend)
    else:
        raise SrcGradError(f"{transform} has no numba backend: backend='numba' compiles the derivatives "
                           "of plain functions (grad, value_and_grad, jvp, vjp, jacobian, hessian, hvp)",
                           hint=f"use backend='auto' (it runs {transform} in Python) or backend='python'")


def available() -> bool:
    """Whether numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def bind(fun, options, backend: str) -> tuple:
    """(Compiled, the function to call, its staleness check, the call plan's check,
    whether it returns a new list of floats, see `codegen.Compiled.fresh`) of `fun`'s
    derivative for `options` in `backend` ("numba" or "auto"); either check may be
    None. With "auto", the Python build where numba refuses (its function's `refusal`
    says why) and as the wrapper's fallback at the first call."""
    import dataclasses

    from .. import cache, watch

    python = None
    if backend == "auto":
        compiled = cache.compiled(fun, options)
        seen = watch.of(compiled, fun)
        python = (compiled, compiled.bind(fun), seen.check(), seen.check(planned=True), compiled.fresh)
    try:
        _check_kinds(fun, options.kinds)
        compiled = cache.compiled(fun, dataclasses.replace(options, backend="numba"))
        entry = compile_entry(compiled, fun, options, fallback=python and python[1])
    except SrcGradError as err:
        if python is None:
            raise
        python[1].refusal = err
        # refused for a global's value: once that global is rebound, the build is tried again
        from .entry import refused_global_check

        unchanged = refused_global_check(err)
        return (*python[:2], _both(python[2], unchanged), _both(python[3], unchanged), python[4])
    seen = watch.of(compiled, fun)
    current = entry.current if entry.watches else None
    fresh = compiled.fresh and (python is None or python[4])  # either may run
    return compiled, entry.function, _both(seen.check(), current), _both(seen.check(planned=True), current), fresh


@dataclasses.dataclass
class Split:
    """vjp's derivative in the numba backend: `value(*args)` runs the forward sweep,
    `gradients(*args, cotangent)` both sweeps (the tape stays in compiled code), every
    argument positional. `python` is the Python build's pair (forward, backward) where
    "auto" may fall back to it; `refusal` why the build runs in Python (then `value`
    and `gradients` are None); `compiled` the build that runs; `check` its staleness
    check (None: nothing to check)."""

    compiled: object
    value: object
    gradients: object
    python: object
    refusal: object
    check: object


def bind_split(fun, options, backend: str) -> Split:
    """vjp's split derivative of `fun` for `options` compiled by numba (`Split`); with
    "auto", the Python build's pair where numba refuses the build, and behind each entry
    where it refuses to compile it at the first call."""
    from .. import cache, watch

    python = None
    if backend == "auto":
        built = cache.compiled(fun, options)
        python = (built, built.bind(fun), watch.of(built, fun).check())
    try:
        _check_kinds(fun, options.kinds)
        compiled = cache.compiled(fun, dataclasses.replace(options, backend="numba"))
        from .entry import NativeEntry, by_position

        pair = python and python[1]
        value = NativeEntry(compiled, fun, options, by_position(pair, "value"), role="value")
        gradients = NativeEntry(compiled, fun, options, by_position(pair, "gradients"), made=value.made,
                                role="gradients")
    except SrcGradError as err:
        if python is None:
            raise
        from .entry import refused_global_check

        return Split(python[0], None, None, python[1], err, _both(python[2], refused_global_check(err)))
    current = value.current if value.watches else None
    return Split(compiled, value.function, gradients.function, python and python[1], None,
                 _both(watch.of(compiled, fun).check(), current))


_KINDS = ("scalar", "array", "numbers")  # Python numbers, NumPy arrays, lists of Python floats
_KIND_TEXT = {"record": "a dict, an empty list or a sequence holding arrays",
              "container": "a list, tuple or dict that is not a list of floats",
              "dask": "a Dask array", "other": "a value of another type"}


def _check_kinds(fun, kinds: tuple) -> None:
    """Refuse, by name, an argument the numba backend does not take."""
    code = fun.__code__
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    for name, kind in zip(params, kinds):
        if kind not in _KINDS:
            what = _KIND_TEXT.get(kind, "a function" if not isinstance(kind, str) else f"of kind {kind}")
            from .entry import _def_location

            raise SrcGradError(f"the numba backend takes numbers, NumPy arrays and lists of floats; "
                               f"argument {name!r} is {what}", _def_location(fun),
                               hint="backend='auto' runs such a call in Python; backend='python' always does")


def _both(check, other):
    """One staleness check of two (either may be None: nothing to check)."""
    if other is None or check is None:
        return other or check
    return lambda: check() and other()


def compile_entry(compiled, fn, options, fallback=None):
    """The numba-compiled derivative of `compiled` (built with Options.backend="numba")
    for the function object `fn`: a `entry.NativeEntry`. `fallback`: the Python
    build's function, run where numba refuses (backend="auto")."""
    from .entry import NativeEntry

    return NativeEntry(compiled, fn, options, fallback)
