"""The numba backend against the Python one, on one function at one point.

`compare_native(fn, args, wrt)` runs `grad`, `value_and_grad`, `jvp` and
`vjp` (its value, and its pullback at a random cotangent shaped like the value)
with `backend="auto"` and with the Python backend
and says, per transform, what auto ran (`Outcome`): where numba compiled the
derivative, its values, gradients and tangents, and the arguments after the
call, must be the Python backend's to `translation.RTOL` relative, with the
same structure; where numba refused, the refusal must be a SrcGradError.
Used by tests/test_native_translation.py (the corpora) and by the long fuzz
profile (tests/fuzzgen.py, `_native_check`).
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

import numpy as np

import srcgrad
from srcgrad.api import _resolve_wrt
from srcgrad.errors import SrcGradError
from translation import Disagreement, _agree, _tangent

NATIVE_TRANSFORMS = ("grad", "value_and_grad", "jvp", "vjp")  # the transforms with backend=


@dataclass
class Outcome:
    """What `backend="auto"` did with one transform of one case.

    `ran`: "numba" (compiled, and agreed with the Python backend), "python" (numba
    refused, `refusal` says why, and the Python build ran), "rejected" (the Python
    backend rejects the function too: nothing to compare), "user error" (the Python
    backend raised the user's own error, `error`; `ran` is then "user error: numba
    returned" where the numba build gave values instead, by design for math domain
    errors, or "user error: both raise")."""

    ran: str
    refusal: object = None
    error: object = None


def _structure(tree):
    """The containers and leaf kinds of a result, without its numbers (a float and a
    NumPy float64 are one kind: the Python build returns whichever the function made)."""
    if isinstance(tree, dict):
        return {k: _structure(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree).__name__, [_structure(v) for v in tree]
    if isinstance(tree, np.ndarray):
        return "array", tree.shape, tree.dtype.str
    if isinstance(tree, float):  # a NumPy float64 scalar where numba gives a float: the same number
        return "float"
    return type(tree).__name__


def _numeric_leaves(tree) -> list:
    """The arrays and numbers of a tree of arguments (not its strings, functions, ...)."""
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree, key=str) for leaf in _numeric_leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _numeric_leaves(v)]
    return [tree] if isinstance(tree, (np.ndarray, float, int)) else []


def _jvp_ran(fn) -> tuple:
    """(backend, refusal) of the function jvp(..., backend="auto") bound for `fn`
    (its last call's: the test drops the table's "auto" entries before it)."""
    from srcgrad.bound import JVP_BOUND

    found = [bound for key, (_, bound, _check) in JVP_BOUND.get(fn, {}).items()
             if isinstance(key, tuple) and key[-1] == "auto"]
    if len(found) != 1:
        raise Disagreement(f"jvp: {len(found)} functions bound for backend='auto' (expected 1)")
    return getattr(found[0], "backend", "python"), getattr(found[0], "refusal", None)


def _forget_jvp(fn) -> None:
    from srcgrad.bound import JVP_BOUND

    table = JVP_BOUND.get(fn, {})
    for key in [k for k in table if isinstance(k, tuple) and k[-1] == "auto"]:
        del table[key]


def _native_outcome(what: str, run) -> Outcome:
    """`run(backend)` -> (result, the backend that ran, its refusal, the arguments after
    the call), for "python" and "auto"; Disagreement where they differ (values to RTOL,
    structure exactly)."""
    python_error = None
    try:
        want, _, _, want_args = run("python")
    except SrcGradError:
        return Outcome("rejected")
    except Exception as exc:  # noqa: BLE001 -- the user's own error: what does numba do?
        python_error = exc
    try:
        got, ran, refusal, got_args = run("auto")
    except SrcGradError as exc:
        raise Disagreement(f"{what}: backend='auto' raises where the Python backend "
                           f"{'raises ' + type(python_error).__name__ if python_error else 'runs'}: {exc!r}")
    except Exception as exc:  # noqa: BLE001
        if python_error is not None and type(exc) is type(python_error):
            return Outcome("user error: both raise", error=python_error)
        raise Disagreement(f"{what}: backend='auto' raises {type(exc).__name__}: {exc} (the Python backend "
                           f"{'raises ' + repr(python_error) if python_error else 'runs'})") from exc
    if ran == "python" and not isinstance(refusal, SrcGradError):
        raise Disagreement(f"{what}: backend='auto' ran Python with no SrcGradError saying why: {refusal!r}")
    if python_error is not None:
        return Outcome(f"user error: {ran} returned", refusal, python_error)
    if _structure(got) != _structure(want):
        raise Disagreement(f"{what}: the {ran} build returns {_structure(got)}, the Python backend "
                           f"{_structure(want)}")
    _agree(what, got, want, (ran, "Python backend"))
    _agree(f"{what}: the arguments after the call", _numeric_leaves(got_args), _numeric_leaves(want_args),
           (ran, "Python backend"))
    return Outcome(ran, refusal)


def compare_native(fn, args, wrt=0, modes=("reverse", "forward"), transforms=NATIVE_TRANSFORMS) -> dict:
    """{transform: Outcome} of `backend="auto"` against the Python backend for each of
    `transforms` that `modes` allows; raise Disagreement where a compiled result differs."""
    fresh = lambda: copy.deepcopy(tuple(args))  # noqa: E731 -- the runs must not see each other's writes
    names, _ = _resolve_wrt(fn, wrt)
    out = {}
    with np.errstate(all="ignore"):
        for name in ("grad", "value_and_grad"):
            if name in transforms and "reverse" in modes:
                def run(backend, transform=getattr(srcgrad, name)):
                    derivative, given = transform(fn, wrt=wrt, backend=backend), fresh()
                    return derivative(*given), derivative.backend, derivative.refusal, given
                out[name] = _native_outcome(name, run)
        if "vjp" in transforms and "reverse" in modes:
            cotangent = []  # drawn once, from the Python backend's value: both pullbacks get it

            def run(backend):
                given = fresh()
                value, pullback = srcgrad.vjp(fn, *given, wrt=wrt, backend=backend)
                if not cotangent:
                    cotangent.append(_tangent(value, np.random.default_rng(17)))
                grads = pullback(copy.deepcopy(cotangent[0]))
                return (value, grads), pullback.backend, pullback.refusal, given
            out["vjp"] = _native_outcome("vjp", run)
        params = list(inspect.signature(fn).parameters)
        positions = [params.index(n) for n in names]
        if "jvp" in transforms and "forward" in modes and all(p < len(args) for p in positions):
            rng = np.random.default_rng(len(params))
            tangents = [_tangent(a, rng) if i in positions else None for i, a in enumerate(args)]

            def run(backend):
                _forget_jvp(fn)
                given = fresh()
                result = srcgrad.jvp(fn, given, copy.deepcopy(tangents), backend=backend)
                return (result, *_jvp_ran(fn), given) if backend == "auto" else (result, "python", None, given)
            out["jvp"] = _native_outcome("jvp", run)
    return out
