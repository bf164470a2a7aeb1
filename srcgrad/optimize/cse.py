"""Common subexpressions of the forward sweep, computed once.

    _t2 = x ** 2                 _t2 = x ** 2
    ...                    ->    ...
    _t6 = x ** 2                 (gone; later reads of _t6 read _t2)

Only top-level statements of numeric kind (see `kinds`), whose operands are
assigned once, so both computations see the same values; neither the result
nor an operand is ever written in place or shares memory with something that
is (see `aliases.written_in_place`), so merging two results cannot make a
later write into one show through the other.
"""
from __future__ import annotations

import gast

from .. import nodes
from ..analysis.aliases import written_in_place
from ..rules import facts as table
from ..analysis.kinds import NUMERIC, kind_of, numpy_ufunc


def common_subexpressions(sweeps: tuple, params, known):
    """((forward, backward), changed); `known` holds the facts of both sweeps."""
    forward, backward = sweeps
    shapes, kinds = known.shapes, known.kinds
    if not _repeats(forward, shapes, kinds):
        return sweeps, False
    written = written_in_place(forward + backward, list(params), lambda call: _pure(shapes.callee(call), call))
    single = shapes.single - written
    seen: dict[str, str] = {}
    renames: dict[str, str] = {}
    out = []
    for stmt in forward:
        key = _key(stmt, shapes, kinds, renames, single)
        if key is not None and key in seen:
            renames[stmt.targets[0].id] = seen[key]
            continue
        if renames:
            stmt = nodes.substitute(stmt, renames)
        if key is not None:
            seen[key] = stmt.targets[0].id
        out.append(stmt)
    if renames:
        backward = [nodes.substitute(s, renames) for s in backward]
    return (out, backward), bool(renames)


def _key(stmt, shapes, kinds, renames, single):
    found = _mergeable(stmt, shapes, kinds, single)
    if found is None:
        return None
    value = found[0]
    return nodes.structure(nodes.substitute(nodes.clone(value), renames) if renames else value)


def _mergeable(stmt, shapes, kinds, single):
    """`(value, the names its operands read)` of a statement `_key` gives a key, else None."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id in single):
        return None
    value = stmt.value
    if isinstance(value, gast.Call):
        fn = shapes.callee(value)
        if value.keywords or not (numpy_ufunc(fn) or table.total_reduction(fn)):
            return None
    elif not isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return None
    operands = nodes.loaded_names(value.args if isinstance(value, gast.Call) else value)
    if kind_of(value, kinds, shapes.callee) not in NUMERIC or not operands <= single:
        return None
    return value, operands


def _pure(fn, call) -> bool:
    """Whether a call of the generated code writes none of its arguments: the table
    of facts says it is pure (srcgrad's runtime helpers copy before they write),
    and it has no `out=`."""
    if any(k.arg == "out" for k in call.keywords):
        return False
    return table.is_pure(fn)


def _repeats(forward: list, shapes, kinds) -> bool:
    """Whether two statements could be merged, before the alias analysis narrows the
    candidates (an exact early way out: it costs more than everything else here)."""
    # Two values with the same key have the same class, operator and operand names: only
    # values alike in these are keyed (a key copies the whole expression).
    alike: dict = {}
    for stmt in forward:
        found = _mergeable(stmt, shapes, kinds, shapes.single)
        if found is not None:
            value, operands = found
            op = value.op.__class__ if isinstance(value, (gast.BinOp, gast.UnaryOp)) else None
            alike.setdefault((value.__class__, op, frozenset(operands)), []).append(value)
    for values in alike.values():
        if len(values) > 1:
            keys = {nodes.structure(value) for value in values}
            if len(keys) != len(values):
                return True
    return False
