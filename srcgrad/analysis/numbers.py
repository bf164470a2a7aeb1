"""Local names that only ever hold a number: immutable values, which share no memory.

The alias check (aliases.py) leaves such names out of its groups, and the
desugaring of `j -= 1` keeps Python-number arithmetic as written.
"""
from __future__ import annotations

import gast

from .. import nodes
from ..rules import facts as table


def _statements(body):
    """Every statement of `body` in program order, nested bodies included."""
    for stmt in body:
        yield stmt
        for name in ("body", "orelse"):  # a no_grad block's body too: it runs in place
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def numbers(body, params, known=frozenset()) -> set[str]:
    """Local names that only ever hold a number (a Python int or float, a NumPy
    scalar) or a string: immutable values, which nothing changes in place, so
    sharing one is harmless (`j = i; j -= 1` rebinds j). `known`: parameters
    that hold numbers. A name qualifies when every binding is a number: a
    literal, `len`, `float`, `int`, a `math` function, a NumPy ufunc of numbers,
    `.item()`, `.shape[i]`, a full reduction, arithmetic of such, a loop index
    over `range`."""
    binds: dict[str, list] = {p: [gast.Constant(value=0, kind=None)] for p in known}
    for stmt in _statements(body):
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, gast.Name):
                    binds.setdefault(target.id, []).append(stmt.value)
                elif _paired(target, stmt.value):  # `a, b = b, a`: each name gets its value
                    for t, v in zip(target.elts, stmt.value.elts):
                        if isinstance(t, gast.Name):
                            binds.setdefault(t.id, []).append(v)
                        else:
                            for n in gast.walk(t):
                                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                                    binds.setdefault(n.id, []).append(None)
                else:
                    for n in gast.walk(target):
                        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                            binds.setdefault(n.id, []).append(None)
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            binds.setdefault(stmt.target.id, []).append(
                gast.BinOp(left=gast.Name(id=stmt.target.id, ctx=gast.Load(), annotation=None,
                                          type_comment=None), op=stmt.op, right=stmt.value))
        elif isinstance(stmt, gast.For):
            over = nodes.dotted(stmt.iter.func) if isinstance(stmt.iter, gast.Call) else None
            index = stmt.target.elts[0] if over == "enumerate" and isinstance(stmt.target, gast.Tuple) \
                else stmt.target if over == "range" else None
            for n in gast.walk(stmt.target):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    binds.setdefault(n.id, []).append(gast.Constant(value=0, kind=None) if n is index else None)
        elif isinstance(stmt, gast.With):
            for item in stmt.items:
                for n in gast.walk(item.optional_vars) if item.optional_vars is not None else ():
                    if isinstance(n, gast.Name):
                        binds.setdefault(n.id, []).append(None)
    found = {n for n in binds if n not in params or n in known}
    changed = True
    while changed:
        changed = False
        for n in list(found):
            if not all(v is not None and _number_valued(v, found) for v in binds[n]):
                found.discard(n)
                changed = True
    return found


def _paired(target, value) -> bool:
    """`a, b = e1, e2`: a tuple or list target and display of one length, no `*`."""
    sequences = (gast.Tuple, gast.List)
    return isinstance(target, sequences) and isinstance(value, sequences) \
        and len(target.elts) == len(value.elts) \
        and not any(isinstance(e, gast.Starred) for e in target.elts + value.elts)


_NUMBER_CALLS = {"len", "float", "int", "bool", "str"}


def _number_valued(expr, numbers_: set) -> bool:
    """Whether `expr` is a number whenever the names in `numbers_` hold numbers."""
    if isinstance(expr, gast.Constant):
        return isinstance(expr.value, (int, float, complex, str)) or expr.value is None
    if isinstance(expr, gast.Name):
        return expr.id in numbers_
    if isinstance(expr, gast.BinOp):
        return _number_valued(expr.left, numbers_) and _number_valued(expr.right, numbers_)
    if isinstance(expr, gast.UnaryOp):
        return _number_valued(expr.operand, numbers_)
    if isinstance(expr, gast.BoolOp):
        return all(_number_valued(v, numbers_) for v in expr.values)
    if isinstance(expr, gast.IfExp):
        return _number_valued(expr.body, numbers_) and _number_valued(expr.orelse, numbers_)
    if isinstance(expr, gast.Attribute):
        return expr.attr in ("ndim", "size")
    if isinstance(expr, gast.Subscript):  # x.shape[0]
        return isinstance(expr.value, gast.Attribute) and expr.value.attr == "shape"
    if isinstance(expr, gast.Call):
        path = nodes.dotted(expr.func) or ""
        if path in _NUMBER_CALLS or path.startswith("math.") or (
                isinstance(expr.func, gast.Attribute) and expr.func.attr == "item" and not expr.args):
            return True
        head, _, last = path.rpartition(".")
        if head in ("np", "numpy") and not expr.keywords:
            import numpy

            fn = getattr(numpy, last, None)
            if isinstance(fn, numpy.ufunc) and fn.nout == 1 and len(expr.args) == fn.nin:
                # a ufunc of numbers (`np.sqrt(a)`, a a Python float): a NumPy scalar
                return all(_number_valued(a, numbers_) for a in expr.args)
            found = table.of(fn)
            return len(expr.args) == 1 and found is not None and found.reduces
    return False
