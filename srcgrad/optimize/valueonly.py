"""Under `grad`, the forward statements that only compute the value go.

    _t1 = np.sin(x)                  (gone)
    _t2 = np.sum(_t1)          ->    (gone)
    require_scalar(_t2)              (gone: a full sum is a scalar)
    ...backward, reading neither _t1 nor _t2...

`grad` returns the gradient alone: the function's value is computed only for
`require_scalar`, the check that it is a scalar. When it is a scalar by
construction (a full `sum` or `mean`, or arithmetic of such values and
numbers), the check goes, and with it each top-level statement whose result
nothing reads, if it can neither fail nor have an effect: arithmetic and
ufuncs on numeric values whose shapes are known to broadcast (see `shapes`),
and full sums and means. Statements in loops and branches stay.

An unread product whose operands' shapes are not known to broadcast stays for
the error `f` raises where they do not (`(z - lse) * Y` with a `Y` of another
shape): `keep_shape_errors` then computes it only where the shapes differ, the
one case it can fail in, so the usual call pays a comparison, not the product:

    _t11 = _t10 * Y     ->    if _t10.shape != Y.shape or _t10.dtype.kind not in 'iufc' or Y.dtype.kind not in 'iufc':
                                  # raises where f does: shapes that do not broadcast, a dtype of no number
                                  _t10 * Y

(the dtypes are checked too: a string or object array fails whatever its shape).
"""
from __future__ import annotations

import gast

from .. import nodes
from ..rules import facts as table
from ..analysis.kinds import NUMERIC, is_static_scalar, kind_of, numpy_ufunc, top_level_defs
from ..analysis.shapes import is_elementwise


def drop_value_only(forward: list, backward: list, known, require_name: str):
    """`(forward, changed)`; `known` holds the facts of both sweeps."""
    shapes, kinds = known.shapes, known.kinds
    before = len(forward)
    defs = top_level_defs(forward, shapes.single)
    checked = [s for s in forward if _checks(s, require_name)]
    for stmt in checked:
        if is_static_scalar(stmt.value.args[0].id, defs, kinds, shapes.callee):
            forward = [s for s in forward if s is not stmt]
    live = nodes.loaded_names(backward)
    kept = []
    emptied = False  # the statements after a line comment, up to the next one, all went
    for stmt in reversed(forward):
        if nodes.is_comment(stmt):
            if not emptied:
                kept.append(stmt)
            emptied = False
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id not in live and _harmless(stmt.value, shapes, kinds):
            emptied = emptied or not kept or nodes.is_comment(kept[-1])
            continue
        emptied = False
        live |= nodes.loaded_names(stmt)
        kept.append(stmt)
    return kept[::-1], len(kept) != before


def _checks(stmt, require_name) -> bool:
    value = getattr(stmt, "value", None)
    return isinstance(stmt, gast.Expr) and isinstance(value, gast.Call) \
        and isinstance(value.func, gast.Name) and value.func.id == require_name \
        and len(value.args) == 1 and isinstance(value.args[0], gast.Name)


def _harmless(value, shapes, kinds) -> bool:
    """Computing `value` cannot raise, print, draw a random number or write anything."""
    if isinstance(value, (gast.Name, gast.Constant)):
        return True
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
        return kind_of(value.operand, kinds, shapes.callee) in NUMERIC
    if isinstance(value, gast.BinOp):
        operands = [value.left, value.right]
        found = [kind_of(e, kinds, shapes.callee) for e in operands]
        if not all(k in NUMERIC for k in found):
            return False
        # a Python float can raise in / and ** (ZeroDivisionError, OverflowError)
        if not isinstance(value.op, (gast.Add, gast.Sub, gast.Mult)) and "np" not in found:
            return False
        return not isinstance(value.op, gast.MatMult) and _broadcasts(operands, shapes)
    if isinstance(value, gast.Call) and not value.keywords:
        fn = shapes.callee(value)
        numeric = all(kind_of(a, kinds, shapes.callee) in NUMERIC for a in value.args)
        if numpy_ufunc(fn):
            return numeric and is_elementwise(fn, len(value.args)) and _broadcasts(value.args, shapes)
        if table.total_reduction(fn):
            return numeric and len(value.args) == 1
    return False


def _broadcasts(operands, shapes) -> bool:
    """The operands' shapes are known to broadcast: one covers all the others."""
    sets = [shapes.of(e) for e in operands]
    if None in sets:
        return False
    widest = max(sets, key=len)
    return all(s <= widest for s in sets)


_SHAPE_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)  # on number arrays, these fail by shape alone


def keep_shape_errors(forward: list, backward: list, known) -> tuple[list, bool]:
    """`(forward, changed)`: `forward` with each top-level `t = a op b` that nothing
    reads (`op` one of `+ - * /`, `a` and `b` names of kind "np": arrays or NumPy
    scalars, which have `.shape` and `.dtype`), kept only for the error `f` may raise
    there, computed only where the shapes differ or a dtype is not an int, float or
    complex one. With one shape and such dtypes, `a op b` cannot raise: NumPy's
    arithmetic warns (the model `_harmless` drops statements by); a string, object,
    datetime or bool operand (`True - True` raises) is always computed."""
    live = nodes.loaded_names(backward)
    kinds, callee = known.kinds, known.shapes.callee
    out = []
    changed = False
    for stmt in reversed(forward):
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id not in live and isinstance(value, gast.BinOp) \
                and isinstance(value.op, _SHAPE_OPS) \
                and all(isinstance(e, gast.Name) and kind_of(e, kinds, callee) == "np"
                        for e in (value.left, value.right)):
            a, b = value.left.id, value.right.id
            test = f"{a}.shape != {b}.shape" + "".join(
                f" or {n}.dtype.kind not in 'iufc'" for n in dict.fromkeys((a, b)))
            stmt = nodes.quote_stmt(f"if {test}:\n    pass")
            stmt.body = [nodes.comment("raises where f does: shapes that do not broadcast, a dtype of no number"),
                         gast.Expr(value=value)]
            changed = True
        live |= nodes.loaded_names(stmt)
        out.append(stmt)
    return out[::-1], changed
