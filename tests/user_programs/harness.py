"""Checker for the user-program corpus.

Each program file registers cases with ``@case(...)``.  A case is a zero-argument
function that calls srcgrad and returns a list of ``Check`` objects (srcgrad's
answer next to a reference computed by central finite differences in float64, or
by HIPS autograd).  ``run_case`` classifies the outcome:

PASS      every check agrees
WRONG     a number (or the structure / dtype of a gradient) disagrees
CRASH     an exception other than srcgrad.SrcGradError
REJECTED  srcgrad.SrcGradError (fine only when the case says the construct is
          outside the SPEC: ``outside_spec=True``)
N/A       the case itself says it cannot be checked here
"""
from __future__ import annotations

import copy
import math
import traceback
import types
from dataclasses import dataclass, field

import numpy as np

import srcgrad

CASES: dict[str, "Case"] = {}


@dataclass
class Case:
    name: str
    desc: str
    fn: object
    outside_spec: bool = False     # a SrcGradError is the documented answer
    module: str = ""


@dataclass
class Check:
    label: str
    got: object
    expected: object
    rtol: float = 1e-4
    atol: float = 1e-6
    check_dtype: bool = True


@dataclass
class Outcome:
    name: str
    desc: str
    status: str
    detail: str = ""
    outside_spec: bool = False
    error: str = ""
    checks: list = field(default_factory=list)


class NotApplicable(Exception):
    pass


def case(name, desc, outside_spec=False):
    def deco(fn):
        assert name not in CASES, name
        CASES[name] = Case(name, desc, fn, outside_spec, fn.__module__)
        return fn
    return deco


# ----------------------------------------------------------------- pytrees
def leaves(tree, path=()):
    if isinstance(tree, dict):
        for k in tree:
            yield from leaves(tree[k], path + (k,))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from leaves(v, path + (i,))
    else:
        yield path, tree


def get_at(tree, path):
    for p in path:
        tree = tree[p]
    return tree


def set_at(tree, path, value):
    """A copy of `tree` with the leaf at `path` replaced (containers rebuilt)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        new = dict(tree)
        new[head] = set_at(tree[head], rest, value)
        return new
    items = list(tree)
    items[head] = set_at(tree[head], rest, value)
    return type(tree)(items) if isinstance(tree, tuple) else items


def to_f64(tree):
    if isinstance(tree, dict):
        return {k: to_f64(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        out = [to_f64(v) for v in tree]
        return tuple(out) if isinstance(tree, tuple) else out
    if isinstance(tree, np.ndarray):
        return tree.astype(np.float64)
    if isinstance(tree, (bool, np.bool_)):
        return tree
    if isinstance(tree, (int, float, np.floating, np.integer)):
        return float(tree)
    return tree


def _as_scalar(v):
    v = np.asarray(v, dtype=np.float64)
    assert v.shape == (), f"function returned shape {v.shape}, not a scalar"
    return float(v)


# ------------------------------------------------------ finite differences
def num_grad_arg(f, args, argnum, kwargs=None, eps=1e-6):
    """Central-difference gradient of scalar f w.r.t. args[argnum] (a pytree)."""
    kwargs = kwargs or {}
    args = list(args)
    target = to_f64(args[argnum])
    result = target if not isinstance(target, np.ndarray) else None

    def evaluate(tree):
        a = list(args)
        a[argnum] = tree
        return _as_scalar(f(*copy.deepcopy(a), **copy.deepcopy(kwargs)))

    out = copy.deepcopy(target)
    for path, leaf in list(leaves(target)):
        if isinstance(leaf, np.ndarray):
            g = np.zeros(leaf.shape)
            for idx in np.ndindex(*leaf.shape):
                h = eps * max(1.0, abs(leaf[idx]))
                lp = leaf.copy(); lp[idx] += h
                lm = leaf.copy(); lm[idx] -= h
                g[idx] = (evaluate(set_at(target, path, lp)) - evaluate(set_at(target, path, lm))) / (2 * h)
            out = set_at(out, path, g)
        elif isinstance(leaf, float):
            h = eps * max(1.0, abs(leaf))
            g = (evaluate(set_at(target, path, leaf + h)) - evaluate(set_at(target, path, leaf - h))) / (2 * h)
            out = set_at(out, path, g)
    del result
    return out


def resolve_wrt(f, wrt):
    import inspect
    params = list(inspect.signature(f).parameters)
    def one(w):
        return params.index(w) if isinstance(w, str) else (w % len(params) if w < 0 else w)
    if isinstance(wrt, tuple):
        return tuple(one(w) for w in wrt)
    return one(wrt)


def num_grad(f, args, wrt=0, kwargs=None, eps=1e-6):
    idx = resolve_wrt(f, wrt)
    if isinstance(idx, tuple):
        return tuple(num_grad_arg(f, args, i, kwargs, eps) for i in idx)
    return num_grad_arg(f, args, idx, kwargs, eps)


def num_jvp(f, args, tangents, eps=1e-6):
    """Directional derivative of f (any output) along tangents (None = fixed)."""
    args = [to_f64(a) for a in args]

    def shifted(s):
        a = []
        for x, t in zip(args, tangents):
            if t is None:
                a.append(copy.deepcopy(x))
            else:
                a.append(tree_axpy(s, t, x))
        return f(*a)
    plus, minus = shifted(eps), shifted(-eps)
    return tree_map2(lambda p, m: (np.asarray(p, float) - np.asarray(m, float)) / (2 * eps), plus, minus)


def tree_axpy(s, t, x):
    if isinstance(x, dict):
        return {k: tree_axpy(s, t[k], x[k]) for k in x}
    if isinstance(x, (list, tuple)):
        out = [tree_axpy(s, ti, xi) for ti, xi in zip(t, x)]
        return tuple(out) if isinstance(x, tuple) else out
    return x + s * np.asarray(t, float) if isinstance(x, np.ndarray) else x + s * float(t)


def tree_map2(fn, a, b):
    if isinstance(a, dict):
        return {k: tree_map2(fn, a[k], b[k]) for k in a}
    if isinstance(a, (list, tuple)):
        out = [tree_map2(fn, x, y) for x, y in zip(a, b)]
        return tuple(out) if isinstance(a, tuple) else out
    return fn(a, b)


def num_jacobian(f, args, argnum=0, eps=1e-6):
    args = [to_f64(a) for a in args]
    x = np.asarray(args[argnum], float)
    out0 = np.asarray(f(*args), float)
    J = np.zeros(out0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        h = eps * max(1.0, abs(x[idx]))
        xp = x.copy(); xp[idx] += h
        xm = x.copy(); xm[idx] -= h
        ap = list(args); ap[argnum] = xp if x.shape else float(xp)
        am = list(args); am[argnum] = xm if x.shape else float(xm)
        J[(Ellipsis,) + idx] = (np.asarray(f(*ap), float) - np.asarray(f(*am), float)) / (2 * h)
    return J


def num_hessian(f, args, argnum=0, h=1e-4):
    args = [to_f64(a) for a in args]
    x = np.asarray(args[argnum], float)
    n = x.size
    flat = x.ravel()

    def fx(v):
        a = list(args)
        a[argnum] = v.reshape(x.shape) if x.shape else float(v[0])
        return _as_scalar(f(*a))
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n); ei[i] = h
            ej = np.zeros(n); ej[j] = h
            val = (fx(flat + ei + ej) - fx(flat + ei - ej) - fx(flat - ei + ej) + fx(flat - ei - ej)) / (4 * h * h)
            H[i, j] = H[j, i] = val
    return H.reshape(x.shape + x.shape) if x.shape else float(H[0, 0])


# --------------------------------------------------------------- autograd
def autograd_version(f):
    """A copy of `f` (and of same-module functions it reaches) with np -> autograd.numpy."""
    import autograd.numpy as anp
    import autograd.scipy.special as asp
    g = dict(f.__globals__)
    for k, v in list(g.items()):
        if v is np:
            g[k] = anp
    if "special" in g and getattr(g["special"], "__name__", "") == "scipy.special":
        g["special"] = asp
    for k, v in list(g.items()):
        if isinstance(v, types.FunctionType) and v.__module__ == f.__module__ and v.__globals__ is f.__globals__:
            g[k] = types.FunctionType(v.__code__, g, v.__name__, v.__defaults__, v.__closure__)
    return types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)


def autograd_grad(f, args, wrt=0):
    import autograd
    idx = resolve_wrt(f, wrt)
    fa = autograd_version(f)
    a = [to_f64(x) for x in args]
    if isinstance(idx, tuple):
        return tuple(autograd.grad(fa, i)(*a) for i in idx)
    return autograd.grad(fa, idx)(*a)


def like(tree, ref):
    """Give `tree` (an autograd result) the leaf kinds of `ref` (0-d arrays -> floats)."""
    if isinstance(ref, dict):
        return {k: like(tree[k], ref[k]) for k in ref}
    if isinstance(ref, (list, tuple)):
        out = [like(t, r) for t, r in zip(tree, ref)]
        return tuple(out) if isinstance(ref, tuple) else out
    if isinstance(ref, float):
        return float(tree)
    return np.asarray(tree, dtype=np.float64)


# ------------------------------------------------------------- comparison
def compare(got, expected, rtol, atol, check_dtype=True, path="", in_dtype=None):
    """Return a list of mismatch strings (empty when they agree)."""
    problems = []
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return [f"{path or 'result'}: structure {type(got).__name__} {list(got) if isinstance(got, dict) else ''} != dict {list(expected)}"]
        for k in expected:
            problems += compare(got[k], expected[k], rtol, atol, check_dtype, f"{path}[{k!r}]")
        return problems
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected) or type(got) is not type(expected):
            return [f"{path or 'result'}: structure {type(got).__name__}(len {len(got) if hasattr(got, '__len__') else '-'}) != {type(expected).__name__}(len {len(expected)})"]
        for i, (g, e) in enumerate(zip(got, expected)):
            problems += compare(g, e, rtol, atol, check_dtype, f"{path}[{i}]")
        return problems
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return [f"{path or 'result'}: got {type(got).__name__}, expected ndarray of shape {expected.shape}"]
        if got.shape != expected.shape:
            return [f"{path or 'result'}: shape {got.shape} != {expected.shape}"]
    if isinstance(expected, str) or isinstance(got, str):
        return [] if got == expected else [f"{path or 'result'}: got {got!r}, expected {expected!r}"]
    g = np.asarray(got, dtype=np.float64) if not np.iscomplexobj(got) else np.asarray(got)
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        return [f"{path or 'result'}: shape {g.shape} != {e.shape}"]
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    tol = atol * (1.0 + scale) + rtol * np.abs(e)
    bad = ~(np.abs(g - e) <= tol)
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(np.where(bad, np.abs(g - e), -1))), g.shape) if g.shape else ()
        where = list(int(k) for k in i) if i else ''
        problems.append(f"{path or 'result'}{where}: got {float(g[i]):.10g}, expected {float(e[i]):.10g}"
                        f" (max |err| {float(np.max(np.abs(g - e))):.3g})")
    return problems


# ------------------------------------------------------------------ checks
def snapshot(args):
    return copy.deepcopy(args)


def unchanged(before, after):
    for (p1, a), (p2, b) in zip(leaves(before), leaves(after)):
        if isinstance(a, np.ndarray):
            if not (isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)):
                return False
    return True


# Python 3.11+ records the columns each instruction came from, which tell lambdas sharing a
# line apart; Python 3.10 records none, and there such a lambda is a located SrcGradError.
COLUMNS = hasattr(types.CodeType, "co_positions")


def grad_of_lambda_sharing_a_line(label, fun, args, expected, rtol=1e-10, atol=1e-12):
    """A Check of srcgrad.grad(fun)(*args) for a lambda that shares its source line with
    another of the same parameters: on Python 3.11+ the value; on 3.10 the designed
    refusal (a SrcGradError at the lambda's line whose hint says to move it)."""
    if COLUMNS:
        return Check(label, srcgrad.grad(fun)(*args), expected, rtol, atol)
    line = fun.__code__.co_firstlineno
    try:
        srcgrad.grad(fun)(*args)
    except srcgrad.SrcGradError as err:
        got = (err.location is not None and err.location.lineno, "records no columns" in str(err),
               "line of its own" in (err.hint or ""))
    else:
        got = "no SrcGradError"
    return Check(label + " refused without columns", got, (line, True, True))


def check_grad(f, args, wrt=0, kwargs=None, label="grad", rtol=1e-4, atol=1e-6, eps=1e-6, autograd=False,
               dgrad=None):
    """srcgrad.grad(f, wrt)(*args) against central differences (and autograd)."""
    kwargs = kwargs or {}
    before = snapshot((args, kwargs))
    df = dgrad if dgrad is not None else srcgrad.grad(f, wrt=wrt)
    got = df(*args, **kwargs)
    checks = []
    if not unchanged(before, (args, kwargs)):
        checks.append(Check(label + ": arguments modified by the derivative", "modified", "unchanged"))
    exp = num_grad(f, before[0], wrt, before[1], eps=eps)
    checks.append(Check(label + " vs FD", got, exp, rtol, atol))
    if autograd:
        try:
            ag = like(autograd_grad(f, before[0], wrt), exp)
            checks.append(Check(label + " vs autograd", got, ag, 1e-6, 1e-8))
        except Exception as e:  # autograd cannot run this program: no comparison
            checks.append(Check(label + f" (autograd n/a: {type(e).__name__})", 0.0, 0.0))
    return checks


def check_value_and_grad(f, args, wrt=0, kwargs=None, label="value_and_grad", rtol=1e-4, atol=1e-6):
    kwargs = kwargs or {}
    before = snapshot((args, kwargs))
    val, got = srcgrad.value_and_grad(f, wrt=wrt)(*args, **kwargs)
    ref_val = f(*copy.deepcopy(before[0]), **copy.deepcopy(before[1]))
    exp = num_grad(f, before[0], wrt, before[1])
    return [Check(label + " value", val, ref_val, 1e-10, 1e-12, check_dtype=False),
            Check(label + " grad vs FD", got, exp, rtol, atol)]


def check_vjp(f, args, cot, wrt=0, label="vjp", rtol=1e-4, atol=1e-6, repeat=True):
    before = snapshot(args)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    got = pullback(cot)
    checks = [Check(label + " value", out, f(*copy.deepcopy(before)), 1e-10, 1e-12)]

    def scalarised(*a):
        o = f(*a)
        return sum(float(np.sum(np.asarray(ov, float) * np.asarray(cv, float)))
                   for (_, ov), (_, cv) in zip(leaves(o), leaves(cot)))
    exp = num_grad(scalarised_signature(f, scalarised), before, wrt)
    checks.append(Check(label + " pullback vs FD", got, exp, rtol, atol))
    if repeat:
        got2 = pullback(cot)
        checks.append(Check(label + " pullback called twice", got2, exp, rtol, atol))
    return checks


def scalarised_signature(f, g):
    """g with f's signature (so that named wrt resolves)."""
    import functools
    import inspect
    w = functools.wraps(f)(lambda *a, **k: g(*a, **k))
    w.__signature__ = inspect.signature(f)
    return w


def check_jvp(f, args, tangents, label="jvp", rtol=1e-4, atol=1e-6):
    before = snapshot(args)
    out, tout = srcgrad.jvp(f, tuple(args), tuple(tangents))
    exp = num_jvp(f, before, tangents)
    return [Check(label + " value", out, f(*copy.deepcopy(before)), 1e-10, 1e-12),
            Check(label + " tangent vs FD", tout, exp, rtol, atol)]


def check_jacobian(f, args, wrt=0, label="jacobian", rtol=1e-4, atol=1e-6):
    before = snapshot(args)
    got = srcgrad.jacobian(f, wrt=wrt)(*args)
    exp = num_jacobian(f, before, resolve_wrt(f, wrt))
    return [Check(label + " vs FD", got, exp, rtol, atol)]


def check_hessian(f, args, wrt=0, label="hessian", rtol=1e-3, atol=1e-5):
    before = snapshot(args)
    got = srcgrad.hessian(f, wrt=wrt)(*args)
    exp = num_hessian(f, before, resolve_wrt(f, wrt))
    return [Check(label + " vs FD", got, exp, rtol, atol)]


def check_hvp(f, args, v, wrt=0, label="hvp", rtol=1e-3, atol=1e-5, positional=False):
    before = snapshot(args)
    if positional:
        got = srcgrad.hvp(f, wrt=wrt)(*args, v)
    else:
        got = srcgrad.hvp(f, wrt=wrt)(*args, v=v)
    H = num_hessian(f, before, resolve_wrt(f, wrt))
    x = np.asarray(before[resolve_wrt(f, wrt)])
    exp = (np.asarray(H).reshape(x.size, x.size) @ np.asarray(v, float).ravel()).reshape(x.shape)
    if not x.shape:
        exp = float(exp)
    return [Check(label + " vs FD", got, exp, rtol, atol)]


# ------------------------------------------------------------------ runner
def _error_quality(err):
    msg = str(err)
    loc = getattr(err, "location", None)
    has_loc = loc is not None and getattr(loc, "lineno", None) is not None
    has_hint = bool(getattr(err, "hint", None)) or "hint:" in msg
    first = msg.strip().splitlines()[0] if msg.strip() else "(empty message)"
    return f"{first} [location={'yes' if has_loc else 'NO'}, hint={'yes' if has_hint else 'NO'}]"


def run_case(c: Case) -> Outcome:
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                checks = c.fn()
    except NotApplicable as e:
        return Outcome(c.name, c.desc, "N/A", str(e), c.outside_spec)
    except srcgrad.SrcGradError as e:
        return Outcome(c.name, c.desc, "REJECTED", _error_quality(e), c.outside_spec, error=str(e))
    except AssertionError as e:  # check_grads' own verdict, or a shape assertion in the harness
        return Outcome(c.name, c.desc, "WRONG", "AssertionError: " + str(e).splitlines()[0] if str(e) else "AssertionError",
                       c.outside_spec, error=traceback.format_exc())
    except Exception as e:  # noqa: BLE001
        tb = traceback.format_exc()
        return Outcome(c.name, c.desc, "CRASH", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                       c.outside_spec, error=tb)
    problems = []
    for ch in checks:
        for p in compare(ch.got, ch.expected, ch.rtol, ch.atol, ch.check_dtype):
            problems.append(f"{ch.label}: {p}")
    if problems:
        return Outcome(c.name, c.desc, "WRONG", "; ".join(problems[:3]), c.outside_spec, checks=checks)
    return Outcome(c.name, c.desc, "PASS", f"{len(checks)} checks", c.outside_spec, checks=checks)


def acceptable(o: Outcome) -> bool:
    if o.status == "PASS" or o.status == "N/A":
        return True
    if o.status == "REJECTED":
        return o.outside_spec
    return False


def load_all():
    import importlib
    import pkgutil
    import os
    here = os.path.dirname(__file__)
    for m in sorted(pkgutil.iter_modules([here])):
        if m.name.startswith("prog_"):
            importlib.import_module(f"user_programs.{m.name}")
    return CASES
