"""A repeated pure expression is computed once, before differentiation.

A normalization step (it runs after `resolve`, on the ANF function), not an
optimisation of generated code: the derivative is built from its result.

    _t2 = x ** 2                 _t2 = x ** 2
    _t3 = -_t2                   _t3 = -_t2
    ...                    ->    ...
    _t6 = x ** 2                 (gone)
    _t7 = np.log1p(_t6)          _t7 = np.log1p(_t2)

Done on the normalized function, so that both uses' adjoints meet in one
adjoint (`d_t2`) and the derivative of `x ** 2` is applied once, to their
sum, rather than once per copy (the forward sweep's CSE, `optimize/cse.py`,
comes too late for that).

Only statements whose value is pure arithmetic (`facts.arithmetic`:
an operator, a ufunc, an array function) of numbers and arrays, or an entry
`x[i]` of one, assigned once, from operands assigned once: both computations see the same values,
and neither can have an effect the other has not. Neither the result nor an
operand may ever be written in place, nor share memory with something that
is (`aliases.written_in_place`): two fresh arrays merged into one would then
change together (`t = x * 1.0; t[0] = 1.0` would change the other copy too).
"""
from __future__ import annotations

import operator

import gast

from .. import nodes
from ..analysis.aliases import written_in_place
from ..analysis.numbers import numbers
from ..rules import facts as table


def share_repeats(fn, ops: dict, params: list[str], kinds: tuple) -> None:
    """Drop repeats from `fn` (in place), reading the first result instead.

    A repeat inside a loop or branch body reads an earlier result of the same
    body, or of a block around it (`i + 1` computed for `vs[i + 1]` and again
    for `xs[i + 1]` in one iteration): its operands, assigned once, are the
    same there. A result computed inside a nested block is never reused after
    it (the block may not have run), and a repeat whose target is read before
    its statement (a value carried over from the previous iteration) stays.
    """
    if not _computed_twice([s.value for s in nodes.walk_statements(fn.body) if isinstance(s, gast.Assign)]):
        return  # no value is computed twice: nothing to share (and nothing renamed to make one)
    numeric = {p for p, k in zip(params, kinds) if k in ("array", "scalar")}
    numeric |= numbers(fn.body, params, {p for p, k in zip(params, kinds) if k == "scalar"})
    stores: dict[str, int] = {p: 1 for p in params}
    for n in nodes.name_nodes(fn.body):
        if not isinstance(n.ctx, gast.Load):
            stores[n.id] = stores.get(n.id, 0) + 1
    by_value = {id(s.value): op for s in nodes.walk_statements(fn.body)
                if isinstance(s, gast.Assign) and (op := ops.get(id(s))) is not None}
    written = written_in_place(fn.body, params, lambda call: _pure_call(by_value.get(id(call)), call))
    single = {name for name, count in stores.items() if count == 1} - written
    single -= nodes.read_before_bound(fn.body, single - set(params))
    renames: dict[str, str] = {}
    _share(fn.body, {}, renames, ops, numeric, single)


def _computed_twice(values: list) -> bool:
    """Whether two of `values` are the same expression (equal `nodes.structure`). Equal
    expressions have equal outlines (`_outline`), so only values whose outline another
    one shares are compared in full."""
    groups: dict = {}
    for value in values:
        groups.setdefault(_outline(value), []).append(value)
    for group in groups.values():
        if len(group) > 1:
            keys = [nodes.structure(v) for v in group]
            if len(set(keys)) < len(keys):
                return True
    return False


def _outline(value) -> tuple:
    """The class of `value` and of each of its children, with the names and constants
    among them: a function of `nodes.structure(value)`, cheaper."""
    out = [value.__class__]
    for field in nodes.child_fields(value.__class__):
        child = getattr(value, field, None)
        if child.__class__ is list:
            out.append(tuple(_part(c) for c in child))
        else:
            out.append(_part(child))
    return tuple(out)


def _part(node):
    cls = node.__class__
    if cls is gast.Name:
        return node.id
    if cls is gast.Constant:
        return cls, repr(node.value)
    return cls


def _share(body: list, first: dict, renames: dict, ops, numeric: set, single: set) -> None:
    """Share repeats in `body` (in place); `first` maps the values computed before it
    (in blocks around it) to their names, `renames` the repeats dropped so far."""
    kept = []
    for stmt in body:
        if renames:
            nodes.substitute(stmt, renames)  # (a nested block's statements included)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for block in (stmt.body, stmt.orelse):
                _share(block, dict(first), renames, ops, numeric, single)
            kept.append(stmt)
            continue
        target = _pure_numeric(stmt, ops, numeric, single)
        if target is not None:
            numeric.add(target)
            key = nodes.structure(stmt.value)
            if key in first:
                renames[target] = first[key]
                continue
            first[key] = target
        kept.append(stmt)
    body[:] = kept


def _pure_numeric(stmt, ops, numeric: set, single: set):
    """The target of `z = e`, e pure arithmetic on numbers and arrays; `z` and the
    operands among `single` (assigned once, never written in place)."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    z = stmt.targets[0].id
    op = ops.get(id(stmt))
    if op is None or op.kind != "rule" or z not in single:
        return None
    value = stmt.value
    if isinstance(value, gast.Subscript) and op.callee is operator.getitem:
        operands = [value.value, value.slice]  # `x[i]`: an entry of an array nothing writes into
    elif not table.arithmetic(op.callee):
        return None
    elif isinstance(value, gast.Call):
        operands = value.args
    elif isinstance(value, gast.BinOp):
        operands = [value.left, value.right]
    elif isinstance(value, gast.UnaryOp):
        operands = [value.operand]
    else:
        operands = None
    if operands is None or (isinstance(value, gast.Call) and not all(
            isinstance(k.value, gast.Constant) for k in value.keywords)):
        return None
    for a in operands:
        if isinstance(a, gast.Name):
            if a.id not in numeric or a.id not in single:
                return None
        elif not (isinstance(a, gast.Constant) and type(a.value) in (int, float)):
            return None
    return z


def _pure_call(op, call) -> bool:
    """Whether a call (an ANF statement's value) writes none of its arguments: a
    registered derivative rule's primitive, or a pure function without a derivative
    (`len`), without an `out=`."""
    if op is None or any(k.arg == "out" for k in call.keywords):
        return False
    return op.kind == "rule" or op.kind == "zero" and table.is_pure(op.callee)  # `len(x)` reads x
