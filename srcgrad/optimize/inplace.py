"""In-place accumulation into adjoint buffers the derivative owns.

    dW = zeros_like(W)                dW = zeros_like(W)
    for _ in range(_n1):      ->      for _ in range(_n1):
        dW = dW + e                       dW += e

    dx = np.cos(x) * 2.0              dx = np.cos(x) * 2.0
    dx = dx + _dt1            ->      dx += _dt1           (accumulate_top_level)

Runs last, on the final backward sweep. An adjoint qualifies when it is
zero-initialised right before a loop (a fresh array nothing else holds) and
the loop only accumulates into it: no other statement in the loop reads or
assigns it, so adding in place cannot show through another name. A Python
float accumulates the same way (`+=` rebinds it).
"""
from __future__ import annotations

import gast

from .. import nodes, runtime
from ..analysis.shapes import is_elementwise


def accumulate_in_place(stmts: list, zeros_name: str):
    """`(stmts, changed)`, rewritten in place."""
    changed = False
    for i, stmt in enumerate(stmts):
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, gast.Assign):
                changed |= accumulate_in_place(inner, zeros_name)[1]
        if not isinstance(stmt, gast.For):
            continue
        fresh = _fresh_before(stmts[:i], zeros_name)
        for var in sorted(fresh):
            if _only_accumulated(stmt.body, var):
                stmt.body = _rewrite(stmt.body, var)
                changed = True
    return stmts, changed


def _fresh_before(stmts, zeros_name) -> set[str]:
    """Adjoints zero-initialised by the statements just before a loop."""
    out: set[str] = set()
    for stmt in reversed(stmts):
        if nodes.is_comment(stmt):
            continue
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and (
                (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                 and value.func.id == zeros_name)
                or (isinstance(value, gast.Constant) and value.value == 0.0)):
            out.add(stmt.targets[0].id)
            continue
        break
    return out


def _is_accumulation(stmt, var) -> bool:
    return (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == var and isinstance(stmt.value, gast.BinOp)
            and isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.left, gast.Name)
            and stmt.value.left.id == var and var not in nodes.loaded_names(stmt.value.right))


def _only_accumulated(body, var) -> bool:
    for stmt in nodes.walk_statements(body):
        if _is_accumulation(stmt, var):
            continue
        if var in nodes.names_in(stmt) and not isinstance(stmt, (gast.If, gast.For, gast.While)):
            return False
        if isinstance(stmt, (gast.If, gast.While)) and var in nodes.loaded_names(stmt.test):
            return False
        if isinstance(stmt, gast.For) and var in nodes.loaded_names(stmt.iter):
            return False
    return True


def _augmented(var: str, added):
    """`var += added`; `var -= e` for `added` = `-e` (the same value: a + (-b) is a - b)."""
    if isinstance(added, gast.UnaryOp) and isinstance(added.op, gast.USub):
        return gast.AugAssign(target=nodes.name(var, store=True), op=gast.Sub(), value=added.operand)
    return gast.AugAssign(target=nodes.name(var, store=True), op=gast.Add(), value=added)


def _rewrite(stmts, var) -> list:
    out = []
    for stmt in stmts:
        if _is_accumulation(stmt, var):
            out.append(gast.copy_location(_augmented(var, stmt.value.right), stmt))
            continue
        nodes.map_blocks(stmt, lambda inner: _rewrite(inner, var))
        out.append(stmt)
    return out


def accumulate_top_level(stmts: list, known):
    """`dx = dx + e` -> `dx += e` at the top level, where `dx` holds a fresh
    array (see `is_fresh`) that no other statement has read since, so nothing
    else can hold it; and `e` has no axis `dx` lacks (its leaf set is within
    dx's, see `shapes`). `(stmts, changed)`; `known` holds the function's facts."""
    shapes = known.shapes
    changed = False
    owned: dict[str, frozenset] = {}
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            var = stmt.targets[0].id
            if var in owned and _is_accumulation(stmt, var):
                added = shapes.of(stmt.value.right)
                if added is not None and added <= owned[var]:
                    out.append(gast.copy_location(_augmented(var, stmt.value.right), stmt))
                    changed = True
                    continue
            for name in nodes.loaded_names(stmt.value) & owned.keys():
                owned.pop(name)
            owned.pop(var, None)
            leaves = shapes.of(stmt.value)
            if is_fresh(stmt.value, shapes.callee) and leaves is not None:
                owned[var] = leaves
        else:
            for name in nodes.names_in(stmt) & owned.keys():
                owned.pop(name)
        out.append(stmt)
    return out, changed


def is_fresh(expr, callee) -> bool:
    """`expr` evaluates to a new value that nothing else holds: arithmetic, a
    ufunc, an elementwise helper, or `unbroadcast` of such a value."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return True
    if not isinstance(expr, gast.Call) or expr.keywords:
        return False
    fn = callee(expr)
    if fn is runtime.unbroadcast or fn is runtime.unbroadcast_against:
        return len(expr.args) == 2 and is_fresh(expr.args[0], callee)
    return is_elementwise(fn, len(expr.args))
