"""Differentiated number parameters the numba build computes as floats.

A derivative treats a differentiated argument as a real number, but Python
lets the caller pass an int (`df(3, 2)`), and numba compiles that call with
64-bit int arithmetic: `x * x * x` at `x = 10 ** 10` would wrap silently
(FINDINGS17 #4). The numba entry therefore passes such an int as a float
(`float(x)`, exact below 2 ** 53; beyond it the float is what the gradient,
a float, is computed in anyway), and the checked arithmetic of checked.py
knows that parameter holds a float, so `x * y` of two of them stays plain.

That is only the same computation where the parameter's values are used as
numbers: `real_params` keeps as it is every parameter whose value (or a value
computed from it) is used where an int and a float differ: an index, a
`range` bound, `isinstance`, a bit operation, a repeated list, an int-only
math function, a shape, a method or attribute, printing or formatting. What
changes where it is converted: a value of `value_and_grad` (or a primal
output of `jvp`) computed from ints alone is a float, as the gradient is.
"""
from __future__ import annotations

import builtins
import math

import gast

_BIT_OPS = (gast.LShift, gast.RShift, gast.BitOr, gast.BitXor, gast.BitAnd, gast.Invert)
_INT_MATH = frozenset({"factorial", "comb", "perm", "gcd", "lcm", "isqrt"})
_SHAPES = frozenset({"zeros", "ones", "empty", "full", "eye", "identity", "arange", "linspace", "reshape",
                     "tile", "repeat", "roll", "resize", "tri", "triu", "tril", "diag", "take", "delete",
                     "insert", "split", "array_split", "expand_dims", "squeeze", "moveaxis", "swapaxes",
                     "transpose", "sum", "mean", "prod", "max", "min", "argmax", "argmin", "cumsum",
                     "concatenate", "stack", "full_like", "zeros_like", "ones_like", "empty_like"})


def real_params(fn, params_kinds: dict, differentiated, ctx) -> list:
    """Those of `differentiated` (number parameters of `fn`) that `fn` only uses as
    numbers: the entry passes an int for one as a float (see the module docstring)."""
    candidates = [p for p in differentiated if params_kinds.get(p, "scalar") == "scalar"]
    if not candidates:
        return []
    sources: dict = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Assign):
            names = {n.id for n in gast.walk(node.value) if isinstance(n, gast.Name)}
            for target in node.targets:
                for name in gast.walk(target):
                    if isinstance(name, gast.Name) and isinstance(name.ctx, gast.Store):
                        sources.setdefault(name.id, set()).update(names)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            sources.setdefault(node.target.id, set()).update(
                n.id for n in gast.walk(node.value) if isinstance(n, gast.Name))
        elif isinstance(node, gast.For):
            names = {n.id for n in gast.walk(node.iter) if isinstance(n, gast.Name)}
            for name in gast.walk(node.target):
                if isinstance(name, gast.Name):
                    sources.setdefault(name.id, set()).update(names)
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr == "append" and isinstance(node.func.value, gast.Name):
            sources.setdefault(node.func.value.id, set()).update(
                n.id for a in node.args for n in gast.walk(a) if isinstance(n, gast.Name))
    sinks = _int_only_reads(fn, ctx, set(sources) | {a.id for a in fn.args.args})
    real = []
    for param in candidates:
        derived = {param}
        while True:
            more = {n for n, read in sources.items() if n not in derived and read & derived}
            if not more:
                break
            derived |= more
        if not derived & sinks:
            real.append(param)
    return real


def _int_only_reads(fn, ctx, local: set) -> set:
    """The names `fn` reads where an int and a float of the same value differ."""
    out: set = set()

    def names(expr):
        out.update(n.id for n in gast.walk(expr) if isinstance(n, gast.Name))

    tape_calls = {id(n.func) for n in gast.walk(fn) if _tape_call(n)}
    for node in gast.walk(fn):
        if isinstance(node, gast.Subscript):
            names(node.slice)
        elif isinstance(node, gast.Attribute):
            if id(node) not in tape_calls and _global(node.value, ctx, local) is None:
                names(node.value)  # a method or attribute of a value (not of a module)
        elif isinstance(node, (gast.BinOp, gast.UnaryOp)) and isinstance(node.op, _BIT_OPS):
            names(node)
        elif isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult) and any(
                isinstance(side, (gast.List, gast.Tuple, gast.ListComp)) or isinstance(side, gast.Constant)
                and isinstance(side.value, (str, bytes)) for side in (node.left, node.right)):
            names(node)  # a repeated list or string
        elif isinstance(node, gast.JoinedStr):
            names(node)
        elif isinstance(node, gast.Call) and id(node.func) not in tape_calls and not _numeric_call(node, ctx, local):
            for arg in node.args + [k.value for k in node.keywords]:
                names(arg)
    return out


_NUMERIC_BUILTINS = (builtins.abs, builtins.min, builtins.max, builtins.float, builtins.int, builtins.round,
                     builtins.len, builtins.sum, builtins.pow, builtins.divmod, builtins.bool)


def _numeric_call(call, ctx, local: set) -> bool:
    """Whether a call gives the same number for an int as for a float of its value: the
    builtins of numbers, math's float functions, NumPy's elementwise functions, srcgrad's
    runtime and checked helpers."""
    func = call.func
    obj = _global(func, ctx, local)
    if obj is None:
        return False
    if any(obj is f for f in _NUMERIC_BUILTINS):
        return True
    owner = _global(func.value, ctx, local) if isinstance(func, gast.Attribute) else None
    name = getattr(obj, "__name__", "")
    if owner is math or getattr(obj, "__module__", None) == "math":
        return name not in _INT_MATH
    if (getattr(owner, "__name__", "") or getattr(obj, "__module__", "") or "").split(".")[0] == "numpy":
        return name not in _SHAPES
    code = getattr(obj, "__code__", None)
    return (getattr(obj, "__module__", "") or "").startswith("srcgrad.") \
        and not (code is not None and code.co_filename.startswith("<srcgrad"))


def _tape_call(node) -> bool:
    """`name.append(v)` or `name.pop()`: a tape of the derivative (or a user's list)."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr in ("append", "pop") and isinstance(node.func.value, gast.Name)


def _global(expr, ctx, local: set):
    """The object a global name or dotted name of the generated code is, else None."""
    if isinstance(expr, gast.Name):
        if expr.id in local or ctx.is_local(expr.id):
            return None
        if expr.id in ctx.helpers:
            return ctx.helpers[expr.id]
        try:
            return ctx.parsed.namespace.lookup(expr.id)
        except KeyError:
            return getattr(builtins, expr.id, None)
    if isinstance(expr, gast.Attribute):
        owner = _global(expr.value, ctx, local)
        return getattr(owner, expr.attr, None) if owner is not None else None
    return None
