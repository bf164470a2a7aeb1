"""Derivatives called with Dask arrays: the whole derivative built lazily, computed once.

Generated code is NumPy calls, and NumPy hands them to Dask through
`__array_function__` and `__array_ufunc__`; so a derivative called with
`dask.array` data builds a task graph instead of computing. This module is the
boundary for such calls (imported only when an argument holds a Dask array:
`import srcgrad` never imports Dask). It runs the NaN-guarded generated
function (the fast path's NaN test would have to compute), then evaluates
every gradient leaf and the value with ONE `dask.compute`, so the forward pass
the gradients share runs once. After that the results are converted as NumPy
results are (`boundary`): a NumPy argument's gradient is a NumPy array, the
value a NumPy number; a Dask argument's gradient is a Dask array with the
argument's chunks (held in memory, like a persisted array). `aux`
(`has_aux=True`) and the value of `vjp` are what the function returned: lazy.

See docs/dask-internals.md.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import warnings

import numpy

from .errors import SrcGradError
from .boundary import as_gradient, check_wrt_value, convert_gradients, floated, is_dask, unshared


def _leaves(tree, found: list) -> list:
    """`found`, extended by the Dask collections in `tree`."""
    if isinstance(tree, dict):
        for v in tree.values():
            _leaves(v, found)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _leaves(v, found)
    elif is_dask(tree) or _collection(tree):
        found.append(tree)
    return found


def _collection(value) -> bool:
    """Any Dask collection (a Dask array is the common one, `is_dask`)."""
    return hasattr(type(value), "__dask_graph__") and type(value).__module__.startswith("dask")


def _replaced(tree, computed: dict):
    """`tree` with each Dask collection replaced by its computed value (by identity)."""
    if isinstance(tree, dict):
        return {k: _replaced(v, computed) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        from .runtime.core import sequence_like

        return sequence_like(tree, [_replaced(v, computed) for v in tree])
    return computed.get(id(tree), tree)


def fresh_objects(tree):
    """`tree` with each Dask array replaced by a new Array object of the same graph."""
    if is_dask(tree):
        return tree.copy()
    if isinstance(tree, dict):
        return {k: fresh_objects(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        from .runtime.core import sequence_like

        return sequence_like(tree, [fresh_objects(v) for v in tree])
    return tree


def compute_once(tree):
    """`tree` with every Dask collection in it computed, all in one `dask.compute` (so
    the work they share runs once); a tree without one comes back as it is."""
    lazy = _leaves(tree, [])
    if not lazy:
        return tree
    import dask

    values = dask.compute(*lazy)
    return _replaced(tree, {id(a): v for a, v in zip(lazy, values)})


def stand_in(tree):
    """`tree` with each Dask array replaced by a NumPy array of its shape and dtype that
    holds no memory (a broadcast zero): what `boundary` converts a gradient against."""
    if is_dask(tree):
        return numpy.broadcast_to(numpy.zeros((), tree.dtype), tree.shape)
    if isinstance(tree, dict):
        return {k: stand_in(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        from .runtime.core import sequence_like

        return sequence_like(tree, [stand_in(v) for v in tree])
    return tree


def as_dask_like(g, x):
    """The converted gradient `g` (NumPy, shaped like `x`'s stand-in) given back as a
    Dask array with `x`'s chunks where `x` is a Dask array, walking containers."""
    if is_dask(x):
        import dask.array

        return dask.array.from_array(g, chunks=x.chunks)
    if isinstance(x, dict) and isinstance(g, dict):
        return {k: as_dask_like(g[k], v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and isinstance(g, (list, tuple)):
        from .runtime.core import sequence_like

        return sequence_like(g, [as_dask_like(gi, xi) for gi, xi in zip(g, x)])
    return g


def gradients_back(grads, wrt: tuple, many: bool, values: dict):
    """Gradients converted against stand-ins (`boundary.convert_gradients`), each given
    back as a Dask array where its argument is one."""
    if len(wrt) == 1 and not many:
        return as_dask_like(grads, values[wrt[0]])
    return tuple([as_dask_like(g, values[n]) for g, n in zip(grads, wrt)])


@contextlib.contextmanager
def building():
    """Around running generated code on Dask data, which builds the graph: a function Dask
    does not run, or one that would compute a Dask array (see `_guarded`), raises a
    SrcGradError naming it and the user's line, before anything is computed."""
    try:
        with warnings.catch_warnings(), _guarded():
            # Dask runs a NumPy function it does not implement by computing its arguments
            # (after this warning): an error here, before anything is computed
            warnings.filterwarnings("error", message=".*is not implemented by Dask", category=FutureWarning)
            yield
    except SrcGradError:
        raise
    except (TypeError, ValueError, NotImplementedError, AttributeError, FutureWarning) as error:
        raise numpy_only(error) from error


def pullbacks(backward_fn, tape, cotangents: list, names: tuple, many: bool, values: dict,
              numpy_only_out: bool = False) -> list:
    """`vjp`'s pullback at each of `cotangents` (a jacobian's rows), computed in one
    `dask.compute`: the gradients for `names`, converted as `vjp` converts them (and a
    Dask argument's given back as Dask, unless `numpy_only_out`: a jacobian's rows)."""
    with building():
        grads = [backward_fn(c, tape) for c in cotangents]
    grads = compute_once(grads)
    stand = {n: stand_in(values[n]) for n in names}
    out = []
    for g, c in zip(grads, cotangents):
        g = unshared(tuple([as_gradient(gi, stand[n]) for gi, n in zip(g, names, strict=True)]), (c, stand))
        if not numpy_only_out:
            g = tuple([as_dask_like(gi, values[n]) for gi, n in zip(g, names)])
        out.append(g if many else g[0])
    return out


@contextlib.contextmanager
def _guarded():
    """While the graph is built: a computation that a runtime helper or a library function
    (SciPy's, NumPy's own Python code) starts, to turn a Dask array into NumPy, raises
    SrcGradError before it runs. A computation that the generated code itself starts
    (`if` on a Dask value, `float(...)`: the user's code) runs on the caller's scheduler."""
    import dask
    import dask.base
    import dask.threaded

    real = dask.base.get_scheduler() or dask.threaded.get
    real = getattr(real, "get", real)  # a distributed Client: its get

    builder = threading.get_ident()

    def scheduler(dsk, keys, **kwargs):
        # the setting is process-wide: another thread's computation just runs
        culprit = _culprit() if threading.get_ident() == builder else None
        if culprit is not None:
            raise SrcGradError(f"{culprit} turns a Dask array into NumPy (it would compute it){_user_line()}",
                               hint=_NUMPY_ONLY_HINT)
        return real(dsk, keys, **kwargs)

    with dask.config.set(scheduler=scheduler):
        yield


_NUMPY_ONLY_HINT = ("this function (or its derivative) runs on NumPy arrays only: call with NumPy data, "
                    "or see docs/dask-internals.md for what runs on Dask")


def _culprit():
    """The function that asked Dask to compute (the first frame outside Dask and the Python
    standard library), or None where that is generated code: the user's own `if`."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<srcgrad"):
            return None
        if not name.startswith(_passing()):
            return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"
        frame = frame.f_back
    return None


@functools.lru_cache(maxsize=None)
def _passing() -> tuple:
    """Where the frames a computation passes through on its way from the code that asked
    for it live: Dask's and distributed's packages, and the standard library's modules
    that call on (contextlib's `with`, threads)."""
    import concurrent.futures
    import contextlib
    import threading

    import dask

    places = [os.path.dirname(dask.__file__) + os.sep, contextlib.__file__, threading.__file__,
              os.path.dirname(concurrent.futures.__file__) + os.sep, "<frozen "]
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        places.append(os.path.dirname(distributed.__file__) + os.sep)
    return tuple(places)


def _user_line() -> str:
    """' at line N: code', the user's line of the innermost generated frame on the stack."""
    frame = sys._getframe(2)
    while frame is not None and not frame.f_code.co_filename.startswith("<srcgrad"):
        frame = frame.f_back
    return "" if frame is None else _noted(frame.f_code.co_filename, frame.f_lineno)


def _noted(filename: str, lineno: int) -> str:
    """' at line N: code' from the `# line N: code` comment above a generated statement."""
    import linecache
    import re

    for text in reversed(linecache.getlines(filename)[:lineno]):
        found = re.search(r"#\s*((?:backward of )?line \d+: .*)", text)
        if found:
            return f" at {found.group(1).strip()}"
    return ""


def numpy_only(error: Exception) -> SrcGradError:
    """The error for a derivative that failed while its graph was being built (so before
    anything was computed): a NumPy function, or the helper of its derivative, that Dask
    does not run. It names the user's line the failing generated statement came from."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith("<srcgrad"):
            where = _noted(frame.filename, frame.lineno) or where
    return SrcGradError(f"the derivative failed on Dask data{where}: {type(error).__name__}: {error}",
                        hint=_NUMPY_ONLY_HINT)


def call(derivative, values: dict, kinds: tuple, args: tuple, kwargs: dict):
    """`Derivative.__call__` for arguments holding Dask arrays: one computation."""
    for name in derivative.wrt:
        check_wrt_value(name, values[name])
    # an integer array differentiated as float64 (lazily, for a Dask one); the caller's Dask
    # arrays as new Array objects (no data copied): a subscript write in the function
    # (`X[0] = v`, which Dask does by rebinding the object's graph) stays ours
    values = {k: fresh_objects(floated(v) if k in derivative.wrt else v) for k, v in values.items()}
    bound = derivative._signature.bind(*args, **kwargs)
    bound.arguments.update(values)
    args, kwargs = bound.args, bound.kwargs
    derivative._last_kinds = kinds
    fn = derivative._function(kinds, nan_safe=True, lazy=True)  # no fast path: its NaN test computes
    with building():
        out = fn(*args, **kwargs)  # lazy: nothing is computed here (an `if` on a Dask value aside)
    aux = None
    if derivative._has_aux:
        out, aux = out
        aux = unshared(aux, values)  # as the function returned it: lazy where it is
    out = compute_once(out)  # the value and every gradient leaf, in one dask.compute
    stand = {k: stand_in(v) for k, v in values.items()}
    wrt, many = derivative.wrt, derivative._many
    if derivative._return_value:
        value, out = out
        value = unshared(value, stand)
    grads = gradients_back(convert_gradients(wrt, many, out, stand), wrt, many, values)
    if derivative._has_aux:
        return ((value, aux), grads) if derivative._return_value else (grads, aux)
    return (value, grads) if derivative._return_value else grads
