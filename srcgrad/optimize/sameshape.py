"""What static shapes (see `shapes`) settle in the backward sweep.

    _t1 = np.sin(x)                           (forward sweep)
    _t2 = _t1 * x
    _dt2 = unbroadcast(_dt3 * _t3, _t2)  ->   _dt2 = unbroadcast(_dt3 * _t3, x)
    _dt1 = unbroadcast(_dt2 * x, _t1)         _dt1 = _dt2 * x
    dx = 1.0 * (_dt1 * np.cos(x))             dx = _dt1 * np.cos(x)

- `unbroadcast(e, y)` where `e` and `y` have the same leaf set is `e`.
- A value read only for its shape (the second argument of `unbroadcast` and
  `unreduce`, the first of `reduced_size`) is read from the earliest value
  with the same leaf set, so a temporary computed only to be measured can go.
- `1.0 * e` is `e` when `e` is a float already (a ufunc like `tanh` that
  always returns one, or arithmetic involving one); for an integer array it
  would be a conversion, and stays.
"""
from __future__ import annotations

import gast
import numpy

from .. import nodes, runtime
from ..rules import facts
from ..analysis.aliases import written_in_place
from ..analysis.kinds import top_level_defs
from .setting import representatives


def settle_shapes(backward: list, known, forward: list, params) -> tuple[list, bool]:
    """`(backward, changed)`; `known` holds the facts of both sweeps."""
    shapes = known.shapes
    reps = representatives(forward, params, shapes)
    defs = top_level_defs(forward + backward, shapes.single)
    # `1.0 * y` is a new array: `y` itself would change with a later write into y (a restore)
    written = written_in_place(forward + backward, list(params),
                               lambda call: facts.is_pure(shapes.callee(call))
                               and not any(k.arg == "out" for k in call.keywords))
    changed = False

    class _Settle(nodes.Transformer):
        def visit_Call(self, node):
            nonlocal changed
            self.generic_visit(node)
            fn = shapes.callee(node)
            if node.keywords:
                return node
            if fn is runtime.unbroadcast and len(node.args) == 2:
                mine = shapes.of(node.args[0])
                if mine is not None and mine == shapes.of(node.args[1]):
                    changed = True
                    return node.args[0]
            position = facts.shape_template(fn)
            if position is not None and len(node.args) > position:
                arg = node.args[position]
                leaves = shapes.leaves.get(arg.id) if isinstance(arg, gast.Name) else None
                if leaves:  # (a number's shape needs no earlier value to read it from)
                    rep = reps.get(leaves)
                    if rep is not None and rep != arg.id:
                        arg.id = rep
                        changed = True
            return node

        def visit_BinOp(self, node):
            nonlocal changed
            self.generic_visit(node)
            if isinstance(node.op, gast.Mult) and isinstance(node.left, gast.Constant) \
                    and node.left.value == 1.0 and type(node.left.value) is float \
                    and _inexact(node.right, shapes, defs, set()) \
                    and not (isinstance(node.right, gast.Name) and node.right.id in written):
                changed = True
                return node.right
            return node

    settle = _Settle()
    # expression statements (line comments, calls kept for their effect) read no shapes
    out = [settle.visit(s) if not isinstance(s, gast.Expr) else s for s in backward]
    return out, changed


def _inexact(expr, shapes, defs, seen) -> bool:
    """`expr` is a float (or complex) value whatever its inputs' dtypes."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) is float
    if isinstance(expr, gast.Name):
        if expr.id in seen or expr.id not in defs:
            return False
        seen.add(expr.id)
        return _inexact(defs[expr.id], shapes, defs, seen)
    if isinstance(expr, gast.BinOp):
        return isinstance(expr.op, gast.Div) or _inexact(expr.left, shapes, defs, seen) \
            or _inexact(expr.right, shapes, defs, seen)
    if isinstance(expr, gast.UnaryOp):
        return _inexact(expr.operand, shapes, defs, seen)
    if isinstance(expr, gast.Call):
        fn = shapes.callee(expr)
        if isinstance(fn, numpy.ufunc):
            return all(t[-1] in "efdgFDG" for t in fn.types if "O" not in t)
    return False
