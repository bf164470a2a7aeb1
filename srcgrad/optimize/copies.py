"""Copy and constant propagation with constant folding, on straight-line code.

    _dt1 = dh                 ->   dx = dh * 2.0
    dx = _dt1 * 2.0
    _dr = 1.0                 ->   dy = c
    dy = _dr * c

`a = b` (b a name or a number) is forwarded into later reads of `a` until
`a` or `b` is assigned again, and removed when no read is left and `a` is
not needed after the block.
"""
from __future__ import annotations

import operator

import gast

from .. import nodes

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def _target(stmt):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _reads(stmt, ident: str) -> bool:
    return isinstance(stmt, gast.Assign) and ident in nodes.loaded_names(stmt.value)


def propagate(stmts: list, live_out: set[str], floats: frozenset = frozenset()):
    stmts = list(stmts)
    changed = False
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        a = _target(stmt)
        value = stmt.value if a else None
        is_copy = isinstance(value, gast.Name) or (
            isinstance(value, gast.Constant) and isinstance(value.value, (int, float))
            and not isinstance(value.value, bool))
        if not is_copy or (isinstance(value, gast.Name) and value.id == a):
            i += 1
            continue
        b = value.id if isinstance(value, gast.Name) else None
        blocked = False
        for later in stmts[i + 1:]:
            if not isinstance(later, gast.Assign):
                continue
            if _reads(later, a):
                if blocked:
                    break
                later.value = fold(nodes.substitute(later.value, {a: value}), floats)
                changed = True
            t = _target(later)
            if t == a:
                break
            if b is not None and t == b:
                blocked = True  # reads of `a` after this see the old `b`
        if not _still_read(stmts, i, a) and a not in live_out | ({a} if blocked else set()):
            del stmts[i]
            changed = True
            continue
        i += 1
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            folded = fold(stmt.value, floats)
            if folded is not stmt.value:
                stmt.value = folded
                changed = True
    return stmts, changed


def _still_read(stmts, i, a) -> bool:
    for later in stmts[i + 1:]:
        if _reads(later, a):
            return True
        if _target(later) == a:
            return False
    return False


def _number(node):
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    return None


def fold(expr, floats: frozenset = frozenset()):
    """Fold arithmetic on constants and drop multiplications by one.

    `1.0 * e` becomes `e` only when `e` names a value known to be a float
    (an adjoint): for a boolean `e` the multiplication is a real conversion.
    """

    def is_float(node):
        return isinstance(node, gast.Name) and node.id in floats
    class _Fold(gast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            left, right = _number(node.left), _number(node.right)
            op = type(node.op)
            if left is not None and right is not None and op in _FOLD:
                try:
                    return nodes.const(_FOLD[op](left, right))
                except (ArithmeticError, ValueError):
                    return node
            if op is gast.Mult and left == 1 and is_float(node.right):
                return node.right
            if op in (gast.Mult, gast.Div) and right == 1 and is_float(node.left):
                return node.left
            if op is gast.Pow and right == 1:
                return node.left
            if op is gast.Mult and left == -1 and is_float(node.right):
                return gast.UnaryOp(op=gast.USub(), operand=node.right)
            return node

        def visit_UnaryOp(self, node):
            self.generic_visit(node)
            value = _number(node.operand)
            if isinstance(node.op, gast.USub) and value is not None:
                return nodes.const(-value)
            if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.UnaryOp) \
                    and isinstance(node.operand.op, gast.USub):
                return node.operand.operand
            return node

    return _Fold().visit(expr)
