"""No `unbroadcast` (or `broadcast_like`) where both sides are known scalars.

    ds = unbroadcast(dy * 2.0, s)     ->   ds = dy * 2.0
    dc = masked_product(ds, c)        ->   dc = ds * c
    dx = unbroadcast(dy, x)                dx = unbroadcast(dy, x)   (x an array)

When a derivative is specialised for Python-number arguments, the values
derived from them only by arithmetic and `math` functions are scalars too;
`unbroadcast(e, x)` with a scalar `e` and a scalar `x` is `e`, and removing
it leaves adjoint code with no NumPy call at all.
"""
from __future__ import annotations

import math

import gast

from .. import nodes
from ..nodes import Transformer
from ..rules import facts


def elide_unbroadcast(stmts: list, scalars: set[str], unbroadcast, math_name: str = "math",
                      helpers: frozenset = frozenset(), arithmetic: dict | None = None,
                      unbounded: dict | None = None):
    """Drop `unbroadcast(e, x)` for scalar e and x; with `arithmetic` ({helper name:
    "*" or "/"}), turn the NaN-guarding helpers back into plain `a * b` / `a / b` on
    Python numbers, where no numpy.where can have left an inf behind, and no helper
    of `unbounded` (d(x ** 0.5)/dx is inf at 0) in the factor can have made one: a
    zero adjoint times that inf stays 0, as on arrays."""
    arithmetic = arithmetic or {}
    elide = _Elide(scalars, unbroadcast, math_name, helpers, arithmetic, unbounded or {})
    targets = frozenset(unbroadcast) | frozenset(arithmetic)

    def block(stmts):
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                if _candidate(stmt.value, targets, lambda e: is_scalar(e, scalars, math_name, helpers)):
                    stmt.value = elide.visit(stmt.value)
                if isinstance(stmt.targets[0], gast.Name) and is_scalar(stmt.value, scalars, math_name, helpers):
                    scalars.add(stmt.targets[0].id)
            elif isinstance(stmt, (gast.If, gast.For, gast.While)):
                block(stmt.body)
                block(stmt.orelse)

    block(stmts)
    return stmts, elide.changed


class _Elide(Transformer):
    """`elide_unbroadcast`'s rewrites of one expression (a class made once, not at every call)."""

    def __init__(self, scalars: set[str], unbroadcast, math_name: str, helpers: frozenset, arithmetic: dict,
                 unbounded: dict):
        self.scalars, self.unbroadcast, self.math_name = scalars, unbroadcast, math_name
        self.helpers, self.arithmetic, self.unbounded = helpers, arithmetic, unbounded
        self.changed = False

    def scalar(self, expr) -> bool:
        return is_scalar(expr, self.scalars, self.math_name, self.helpers)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        # 1.0 * e is e for a number e (for arrays it may be a dtype conversion)
        if isinstance(node.op, gast.Mult) and isinstance(node.left, gast.Constant) \
                and node.left.value == 1 and self.scalar(node.right):
            self.changed = True
            return node.right
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and len(node.args) == 2
                and self.scalar(node.args[0]) and self.scalar(node.args[1])):
            return node
        if node.func.id in self.unbroadcast:
            self.changed = True
            return node.args[0]
        if node.func.id in self.arithmetic and not (self.unbounded and any(
                _unbounded(c, self.unbounded) for c in nodes.of_class(node.args[1], (gast.Call,)))):
            self.changed = True
            return nodes.binop(node.args[0], self.arithmetic[node.func.id], node.args[1])
        return node


def _unbounded(call, helpers: dict) -> bool:
    """A call of one of `helpers` ({emitted name: helper}) that may give an inf at finite
    numbers: not `power_derivative(x, c)` with a number c of 0 or at least 1 (c * x ** (c - 1))."""
    if not (call.func.__class__ is gast.Name and call.func.id in helpers):
        return False
    if helpers[call.func.id] == "power_derivative" and len(call.args) == 2 \
            and call.args[1].__class__ is gast.Constant:
        c = call.args[1].value
        if type(c) in (int, float) and (c == 0 or c >= 1):
            return False
    return True


def _candidate(expr, calls: frozenset, scalar) -> bool:
    """Whether `_Elide` would change `expr`: a call to one of `calls` on two scalars,
    or `1 * e` with a scalar `e` (tested first, as most statements have neither)."""
    stack = [expr]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        cls = node.__class__
        if cls is gast.Call:
            if node.func.__class__ is gast.Name and node.func.id in calls and len(node.args) == 2 \
                    and scalar(node.args[0]) and scalar(node.args[1]):
                return True
        elif cls is gast.BinOp and node.op.__class__ is gast.Mult \
                and node.left.__class__ is gast.Constant and node.left.value == 1 and scalar(node.right):
            return True
        if cls is not gast.Name and cls is not gast.Constant:
            nodes.push_children(node, push)
    return False


def is_scalar(expr, scalars: set[str], math_name: str = "math", helpers: frozenset = frozenset()) -> bool:
    """Whether `expr` is built only from known scalars by arithmetic."""
    if isinstance(expr, gast.Constant):
        return isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
    if isinstance(expr, gast.Name):
        return expr.id in scalars
    if isinstance(expr, gast.BinOp) and not isinstance(expr.op, gast.MatMult):
        return is_scalar(expr.left, scalars, math_name, helpers) and is_scalar(expr.right, scalars, math_name, helpers)
    if isinstance(expr, gast.UnaryOp):
        return is_scalar(expr.operand, scalars, math_name, helpers)
    callee = nodes.dotted(expr.func) if isinstance(expr, gast.Call) else None
    if callee is not None and (callee in helpers or _maps_numbers(callee, math_name)):
        return all(is_scalar(a, scalars, math_name, helpers) for a in expr.args)
    return False


def _maps_numbers(callee: str, math_name: str) -> bool:
    """`math.f(...)` of numbers is a number: the facts table says which `f` do."""
    if not callee.startswith(math_name + "."):
        return False
    return facts.maps_numbers(getattr(math, callee[len(math_name) + 1:], None))
