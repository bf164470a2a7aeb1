"""A forward value read only for its shape is not computed: its shape is.

    _t2 = y * z                                _t2 = broadcast_shape(y, z)
    _dt3 = 1.0 / reduced_size(_t2, None)  ->   _dt3 = 1.0 / reduced_size(_t2, None)
    _dt1 = unbroadcast(unreduce(_dt3, _t2, None, False), z)

The adjoint of `np.mean(y * z)` is spread over the shape of `y * z`. When
nothing else reads that product (under `grad` the value is not needed, and
no earlier value has its shape, see `sameshape`), the forward sweep computes
it only to be measured: on logistic regression's 100,000-entry vectors, a
pass over memory for nothing. `broadcast_shape` gives the same shape (and
the same error, for operands that do not broadcast) without the values.

Only for a value assigned once at the top level by arithmetic or a ufunc on
numbers and arrays (see `kinds`), whose every read is the template argument
of `unbroadcast`, `unreduce` or `reduced_size`, and that cannot raise on
Python numbers (no `/` or `**` without an array operand).
"""
from __future__ import annotations

import gast

from .. import nodes, runtime
from .kinds import NUMERIC, kind_of
from .shapes import is_elementwise

# helper -> the position of its template argument
_TEMPLATE_AT = {runtime.unbroadcast: 1, runtime.unreduce: 1, runtime.reduced_size: 0}


def measure_only(forward: list, backward: list, shapes, kinds: dict, rename_global) -> list:
    """`forward` (changed in place) with template-only elementwise values replaced
    by their shapes; an operand of such a shape may become one too, hence the loop."""
    measure = rename_global("broadcast_shape")
    changed = True
    while changed:
        changed = False
        reads = _template_reads(forward + backward, shapes, measure)
        for stmt in reversed(forward):  # later values first: their operands may follow
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and reads.get(stmt.targets[0].id) and stmt.targets[0].id in shapes.single:
                operands = _elementwise_operands(stmt.value, shapes, kinds)
                if operands is not None:
                    stmt.value = gast.Call(func=nodes.name(measure), keywords=[],
                                           args=[nodes.clone(a) for a in operands])
                    changed = True
    return forward


def _template_reads(body: list, shapes, measure: str) -> dict:
    """{name: every read of it is a shape template} (`broadcast_shape`'s operands count)."""
    templates = set()
    for node in (n for stmt in body for n in nodes.walk(stmt)):
        if node.__class__ is gast.Call and not node.keywords:
            if isinstance(node.func, gast.Name) and node.func.id == measure:
                templates.update(id(a) for a in node.args)
                continue
            at = _TEMPLATE_AT.get(_callee(shapes, node))
            if at is not None and len(node.args) > at and isinstance(node.args[at], gast.Name):
                templates.add(id(node.args[at]))
    reads: dict[str, bool] = {}
    for n in nodes.name_nodes(body):
        if isinstance(n.ctx, gast.Load):
            reads[n.id] = reads.get(n.id, True) and id(n) in templates
    return reads


def _callee(shapes, call):
    fn = shapes.callee(call)
    return fn if any(fn is h for h in _TEMPLATE_AT) else None


def _elementwise_operands(value, shapes, kinds: dict):
    """The operands of arithmetic or an elementwise ufunc on numbers and arrays."""
    if isinstance(value, gast.BinOp) and not isinstance(value.op, gast.MatMult):
        operands = [value.left, value.right]
        if not isinstance(value.op, (gast.Add, gast.Sub, gast.Mult)) \
                and "np" not in [kind_of(a, kinds, shapes.callee) for a in operands]:
            return None  # `/` or `**` on Python numbers can raise: it must run
    elif isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
        operands = [value.operand]
    elif isinstance(value, gast.Call) and not value.keywords \
            and is_elementwise(shapes.callee(value), len(value.args)):
        operands = list(value.args)
    else:
        return None
    if not all(isinstance(a, (gast.Name, gast.Constant)) and kind_of(a, kinds, shapes.callee) in NUMERIC
               for a in operands):
        return None
    return operands
