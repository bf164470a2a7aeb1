"""In the backward sweep, a Python float's square is a product; its error stays.

    _t12 = 1.0 - _t11                        _t12 = 1.0 - _t11
    if not -1e+154 < _t12 < 1e+154:          _t3 = i + 1
        _t12 ** 2                     ->     if not -1e+154 < _t11 < 1e+154:
    _t3 = i + 1                                  _t11 ** 2
    _t7 = x[_t3] - _t11 ** 2                     _t12 ** 2
                                             _t7 = x[_t3] - _t11 * _t11

In CPython a float's `t ** 2` costs about twice `t * t`, and the two differ
in two ways: where the square overflows, the power raises OverflowError and
the product is inf; and the power may round its last bit differently. So:

- only the backward sweep changes: its recomputed squares feed gradients
  alone, while the forward sweep computes f's own values, bit for bit;
- `t` must be a Python float wherever it is bound (`raises.Model`'s types);
- a guard goes before the statement, evaluating the power for its error
  alone where it can overflow (|t| >= 1e154; NaN fails the comparisons and
  reaches the power, which is quiet), as `valueloops` does for the loops it
  drops.

A guard already there for `c - t`, `t + c` or `-t` (c a constant of at
most 1e150) joins the new guard for `t`: while |t| < 1e154 neither square
can overflow, so one comparison serves both, and where it fails both powers
run, in their order. The old guard moves down to the new one's place only
past assignments to names that can raise nothing but a power's
OverflowError (the same error, with the same message) and rebind neither
`t` nor `c - t`.
"""
from __future__ import annotations

import gast

from .. import nodes
from .raises import FLOAT, Model

BOUND = 1e154  # 10 ** (308 // 2): below it a float's square is finite
_POWER = ("OverflowError", "**")
_NEAR = 1e150  # a constant this small moves |c - t| at most from 1e154 to 1.0001e154 < sqrt(max float)


def squares_as_products(body: list, setting):
    """`(body, changed)`: the assembled function's statements, whose backward sweep
    starts at the first statement noted `sweep="backward"` (`reverse.function`)."""
    start = next((i for i, s in enumerate(body) if nodes.noted(s, "sweep") == "backward"), len(body))
    if not _has_float_square(body[start:]):
        return body, False
    model = Model(body, setting.params, setting.callee)
    return body, _block(body, model, (), start)


def _has_float_square(stmts) -> bool:
    return any(_square_of(n) is not None for n in nodes.walk(nodes.module(stmts)))


def _square_of(node):
    """The name `t` when `node` is `t ** 2`, else None."""
    if node.__class__ is gast.BinOp and node.op.__class__ is gast.Pow and node.left.__class__ is gast.Name \
            and node.right.__class__ is gast.Constant and type(node.right.value) is int and node.right.value == 2:
        return node.left.id
    return None


def _block(stmts: list, model: Model, loops: tuple, start: int = 0) -> bool:
    """Rewrite one block (in place) from position `start`, and the blocks nested in it."""
    changed = False
    j = start
    while j < len(stmts):
        stmt = stmts[j]
        if isinstance(stmt, gast.For):
            changed |= _block(stmt.body, model, loops + (stmt,))
            changed |= _block(stmt.orelse, model, loops)
        elif isinstance(stmt, (gast.If, gast.While)) and _guarded(stmt) is None:
            changed |= _block(stmt.body, model, loops)
            changed |= _block(stmt.orelse, model, loops)
        elif isinstance(stmt, (gast.Assign, gast.AugAssign)):
            squared = list(dict.fromkeys(t for t in _squares(stmt.value) if model.type_of(_load(t)) == FLOAT))
            for t in squared:
                j = _guard_before(stmts, j, t, model, loops, start)
            if squared:
                stmt.value = _products(stmt.value, set(squared))
                changed = True
        j += 1
    return changed


def _guard_before(stmts: list, j: int, t: str, model: Model, loops: tuple, start: int) -> int:
    """Put the guard for `t` before statement j (taking over the guards it can, from
    position `start` on, with their comments); the statement's new position."""
    joined, kept = _joined(stmts, j, t, model, loops, start)
    if kept:
        return j  # a guard for t is there already
    notes = []
    for at in sorted(joined, reverse=True):
        del stmts[at]
        j -= 1
        if nodes.is_comment(stmts[at - 1]) and (at == len(stmts) or nodes.is_comment(stmts[at])):
            notes.insert(0, stmts.pop(at - 1))  # the comment heading the guard alone
            j -= 1
    guard = _guard(t)
    guard.body += [_power(w) for w in joined.values()]
    notes = list({n.text: n for n in notes}.values()) or [nodes.comment(
        "a square as a product; the power only where it can overflow, to raise as f does")]
    stmts[j:j] = notes + [guard]
    return j + len(notes) + 1


def _squares(expr) -> list:
    return [t for t in map(_square_of, nodes.walk(expr)) if t is not None]


def _products(expr, names: set):
    """`expr` with `t ** 2` as `t * t` for t in `names`."""
    if _square_of(expr) in names:
        return gast.BinOp(left=_load(expr.left.id), op=gast.Mult(), right=_load(expr.left.id))
    for field in expr._fields:
        value = getattr(expr, field, None)
        if isinstance(value, list):
            setattr(expr, field, [_products(v, names) if isinstance(v, gast.expr) else v for v in value])
        elif isinstance(value, gast.expr):
            setattr(expr, field, _products(value, names))
    return expr


def _joined(stmts: list, j: int, t: str, model: Model, loops: tuple, start: int):
    """`({position: w}, kept)`: the guards before statement j that a guard for `t`,
    put just before it, can take over (see the module's docstring); `kept`: one for
    `t` itself is there, and still guards `t`'s value."""
    found: dict = {}
    rebound: set = set()  # names bound from a candidate guard's place down to j
    for at in range(j - 1, start - 1, -1):
        stmt = stmts[at]
        if nodes.is_comment(stmt):
            continue
        w = _guarded(stmt)
        if w is None and _guarded(stmt, any_power=True) == t and t not in rebound:
            return {}, True  # `t ** k`'s guard, k > 2: below its bound t's square is finite too
        if w is not None:
            if w == t and t not in rebound:
                return {}, True
            d = _single_def(stmts, at, w)
            if d is not None and w not in rebound and t not in rebound and _near(d[1], t) \
                    and not _binds(stmts[d[0] + 1:at], t):
                found[at] = w
            continue
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            break
        errors = model.raises(stmt, loops)
        if errors is None or not errors <= {_POWER}:
            break
        rebound.add(stmt.targets[0].id)
    return dict(sorted(found.items())), False


def _single_def(stmts: list, at: int, w: str):
    """(position, value) of the assignment to `w` when it is the one statement of
    the block that binds `w`, it comes before position `at`, and nothing nested
    binds `w`; else None."""
    found = None
    for k, stmt in enumerate(stmts):
        if _binds([stmt], w):
            if found is not None or k >= at or not isinstance(stmt, gast.Assign) \
                    or not isinstance(stmt.targets[0], gast.Name):
                return None
            found = (k, stmt.value)
    return found


def _binds(stmts: list, name: str) -> bool:
    return any(n.id == name and not isinstance(n.ctx, gast.Load) for n in nodes.name_nodes(stmts))


def _near(value, t: str) -> bool:
    """`value` is `c - t`, `c + t`, `t - c`, `t + c` or `-t`, c a number |c| <= 1e150."""
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
        return isinstance(value.operand, gast.Name) and value.operand.id == t
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub))):
        return False
    sides = [value.left, value.right]
    names = [s for s in sides if isinstance(s, gast.Name)]
    numbers = [s for s in sides if isinstance(s, gast.Constant) and type(s.value) in (int, float)]
    return len(names) == 1 and names[0].id == t and len(numbers) == 1 and abs(numbers[0].value) <= _NEAR


def _guarded(stmt, any_power: bool = False):
    """`w` when `stmt` is `if not -1e154 < w < 1e154: w ** 2`, else None; with
    `any_power`, also `if not -b < w < b: w ** k` (k > 2, b = 10 ** (308 // k),
    as `valueloops` writes it)."""
    if not (isinstance(stmt, gast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], gast.Expr)):
        return None
    power = stmt.body[0].value
    w = _square_of(power)
    if w is not None:
        return w if gast.dump(stmt.test) == gast.dump(_guard(w).test) else None
    if not any_power or not (power.__class__ is gast.BinOp and power.op.__class__ is gast.Pow
                             and power.left.__class__ is gast.Name and power.right.__class__ is gast.Constant
                             and type(power.right.value) is int and power.right.value > 2):
        return None
    bound = nodes.const(10.0 ** (308 // power.right.value))
    test = nodes.quote_expr("not -_b < _t < _b", _b=bound, _t=power.left.id)
    return power.left.id if gast.dump(stmt.test) == gast.dump(test) else None


def _guard(t: str):
    test = nodes.quote_expr("not -_b < _t < _b", _b=nodes.const(BOUND), _t=t)
    return gast.If(test=test, body=[_power(t)], orelse=[])


def _power(t: str):
    return nodes.expr_stmt(nodes.quote_expr("_t ** 2", _t=t))


def _load(name: str):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
