"""Definite assignment: the reads of a local that may come before it is bound.

Python raises UnboundLocalError where a function reads a local variable no
assignment has bound yet (`s = s + x[i] * prev` before `prev = x[i]` in the
first iteration; `return b` where only one branch bound b). A derivative
must raise it too, but its code may bind such a name up front (a value
saved before its assignment on the first iteration is bound to a
placeholder) or never compute the read at all (a value only `f` needed).
So the compiler puts a check before each read this analysis cannot prove
bound (`runtime.bound_local`), as it does for the other checks made as the
function runs.

The analysis is the usual forward one over the normalized function: after
an assignment a name is bound; after an `if`, where both branches bound it;
a loop's body may run no time, and its first run starts from what was bound
before the loop (the loop target too is bound only inside). Parameters are
bound; names the function never assigns are not locals and are left alone.
A nested function's reads happen when it is called, not here: they count as
no read.
"""
from __future__ import annotations

import gast

from .. import nodes

_NESTED = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef,
           gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def unproven_reads(fn, params) -> list:
    """[(statement, [names])]: each statement of `fn`'s body (at any depth) that
    reads a local which may be unbound there, with those names in order."""
    locals_ = _assigned(fn.body) - set(params)
    if not locals_:
        return []
    found: list = []
    _block(fn.body, set(params), locals_, found)
    return found


def _block(stmts: list, bound: set, locals_: set, found: list) -> set:
    """The names surely bound after `stmts`, run from a state where `bound` are."""
    bound = set(bound)
    for stmt in stmts:
        reads = [n for n in _header_reads(stmt) if n in locals_ and n not in bound]
        if reads:
            found.append((stmt, list(dict.fromkeys(reads))))
        if isinstance(stmt, gast.If):
            bound = _block(stmt.body, bound, locals_, found) & _block(stmt.orelse, bound, locals_, found)
        elif isinstance(stmt, gast.For):
            _block(stmt.body, bound | _targets(stmt.target), locals_, found)
            _block(stmt.orelse, bound, locals_, found)
        elif isinstance(stmt, gast.While):
            _block(stmt.body, bound, locals_, found)
            _block(stmt.orelse, bound, locals_, found)
        elif isinstance(stmt, (gast.With, gast.Try)):
            bound = _block(stmt.body, bound, locals_, found)
        else:
            bound |= _targets(stmt)
            if isinstance(stmt, gast.Delete):
                bound -= {n.id for t in stmt.targets for n in nodes.name_nodes(t)}
    return bound


def _header_reads(stmt) -> list:
    """The names a statement reads itself (for a compound statement, in its header)."""
    if isinstance(stmt, (gast.If, gast.While)):
        parts = [stmt.test]
    elif isinstance(stmt, gast.For):
        parts = [stmt.iter]
    elif isinstance(stmt, (gast.With, gast.Try)):
        parts = [item.context_expr for item in getattr(stmt, "items", [])]
    elif isinstance(stmt, _NESTED):
        parts = list(getattr(stmt, "decorator_list", []))
    else:
        parts = [stmt]
    return [n.id for part in parts for n in _loads(part)]


def _loads(node):
    """The Name loads in `node`, outside nested functions, in source order."""
    if isinstance(node, gast.Name):
        if isinstance(node.ctx, gast.Load):
            yield node
        return
    if isinstance(node, _NESTED):
        return
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, gast.AST):
                    yield from _loads(item)
        elif isinstance(value, gast.AST):
            yield from _loads(value)


def _targets(node) -> set:
    """The names a simple statement (or a loop target) binds."""
    if isinstance(node, _NESTED) and hasattr(node, "name"):
        return {node.name}
    return {n.id for n in nodes.name_nodes(node) if isinstance(n.ctx, gast.Store)}


def _assigned(stmts) -> set:
    """Every name bound anywhere in `stmts` (not inside a nested function)."""
    out: set = set()
    for stmt in stmts:
        if isinstance(stmt, _NESTED):
            out |= _targets(stmt)
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                out |= _assigned(inner)
        if isinstance(stmt, gast.For):
            out |= _targets(stmt.target)
        elif not isinstance(stmt, (gast.If, gast.While, gast.With, gast.Try)):
            out |= _targets(stmt)
    return out
