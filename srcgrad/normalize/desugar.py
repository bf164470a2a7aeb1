"""Desugaring: fewer statement forms for the later passes.

Assumes: the fence accepted the function. Guarantees: no AugAssign or
AnnAssign; every Assign has one target; a tuple target is unpacked into
single assignments; docstrings and `pass` are gone; `return` is the last
statement (an earlier one is rejected until control flow is supported).

    x += y            ->   x = x + y
    a, b = b, a       ->   _t1 = b; _t2 = a; a = _t1; b = _t2
    n, m = x.shape    ->   _t1 = x.shape; n = _t1[0]; m = _t1[1]
"""
from __future__ import annotations

import gast

from .. import nodes
from ..errors import SourceInfo, unsupported
from ..naming import Names


def desugar(fn, names: Names, source: SourceInfo):
    fn = nodes.clone(fn)
    fn.body = _body(fn.body, names, source, top=True)
    return fn


def _body(body, names: Names, source: SourceInfo, top: bool = False) -> list:
    out: list = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, gast.Pass) or (
                isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)):
            continue
        if isinstance(stmt, gast.Return) and not (top and i == len(body) - 1):
            raise unsupported(source, stmt, "a `return` before the end of the function",
                              "compute the result in a variable and return it at the end")
        if isinstance(stmt, gast.AugAssign):
            left = nodes.clone(stmt.target)
            left.ctx = gast.Load()
            value = gast.BinOp(left=left, op=stmt.op, right=stmt.value)
            target = nodes.clone(stmt.target)
            target.ctx = gast.Store()
            stmt = _assign([target], value, stmt)
        elif isinstance(stmt, gast.AnnAssign):
            stmt = _assign([stmt.target], stmt.value, stmt)
        if isinstance(stmt, gast.Assign):
            out.extend(_unpack(stmt, names))
        elif isinstance(stmt, gast.With):
            out.append(stmt)  # a no_grad block: run as written, untraced
        else:
            out.append(stmt)
    return out


def _assign(targets, value, like):
    new = gast.Assign(targets=targets, value=value, type_comment=None)
    return gast.copy_location(new, like)


def _unpack(stmt, names: Names) -> list:
    """Split chained and tuple targets into one-name assignments."""
    targets = stmt.targets
    if len(targets) == 1 and isinstance(targets[0], gast.Name):
        return [stmt]
    out: list = []
    value = stmt.value
    if len(targets) == 1 and _matches(targets[0], value):
        # Parallel assignment: evaluate every right-hand side before any store.
        pairs = _leaves(targets[0], value)
        holders = [names.fresh("t") for _ in pairs]
        for holder, (_, elt) in zip(holders, pairs, strict=True):
            out.append(_assign([nodes.name(holder, store=True)], elt, stmt))
        for holder, (target, _) in zip(holders, pairs, strict=True):
            out.extend(_unpack_one(target, nodes.name(holder), stmt, names))
        return out
    if len(targets) > 1 or not isinstance(value, gast.Name):
        holder = names.fresh("t")
        out.append(_assign([nodes.name(holder, store=True)], value, stmt))
        value = nodes.name(holder)
    for target in targets:
        out.extend(_unpack_one(target, value, stmt, names))
    return out


def _matches(target, value) -> bool:
    return (isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts))


def _leaves(target, value) -> list:
    """(target, value) pairs of a structured assignment, split as deep as both match."""
    if not _matches(target, value):
        return [(target, value)]
    return [pair for t, v in zip(target.elts, value.elts, strict=True) for pair in _leaves(t, v)]


def _unpack_one(target, value, like, names: Names) -> list:
    if isinstance(target, gast.Name):
        return [_assign([target], nodes.clone(value), like)]
    out: list = []
    for i, elt in enumerate(target.elts):
        item = gast.Subscript(value=nodes.clone(value), slice=nodes.const(i), ctx=gast.Load())
        if isinstance(elt, gast.Name):
            out.append(_assign([elt], item, like))
        else:
            holder = names.fresh("t")
            out.append(_assign([nodes.name(holder, store=True)], item, like))
            out.extend(_unpack_one(elt, nodes.name(holder), like, names))
    return out
