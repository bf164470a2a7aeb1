"""Loop-invariant statements of the forward sweep computed once, before their loop.

    for i in range(n):                 _t3 = -k
        _t3 = -k              ->       for i in range(n):
        _t4 = xs[i]                        _t4 = xs[i]
        _t5 = _t3 * _t4                    _t5 = _t3 * _t4

A statement moves out of a loop when it computes the same value on every
iteration and moving it changes nothing else:

- it binds a name that nothing else binds (`Shapes.single`), so every read of
  that name, in the loop, after it, or in the backward sweep, sees this value;
- it reads only Python numbers (immutable: no write in place can change
  them) that the loop does not bind (one moved already counts as unbound), so
  its value is the same each time; and it is cheap, a number;
- computing it cannot fail or have an effect (`valueonly._harmless`: `+`,
  `-`, `*` and ufuncs of numbers; not `/` or `**`, which may raise), since a
  loop that runs no iteration did not compute it at all.

Only the top level of a loop's body is searched, loops nested in it
included (a statement moved out of an inner loop may move out of the outer
one in turn).
"""
from __future__ import annotations

import gast

from .. import nodes
from .valueonly import _harmless


def hoist_invariants(forward: list, known):
    """`(forward, changed)`; `known` holds the facts of both sweeps."""
    return _block(forward, known)


def _block(stmts: list, known):
    changed = False
    out: list = []
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            stmt.body, inner = _block(stmt.body, known)
            moved = _invariants(stmt, known)
            out += moved
            changed |= inner or bool(moved)
        out.append(stmt)
    return out, changed


def _invariants(loop, known) -> list:
    """The statements taken out of `loop`'s body, in order."""
    shapes, kinds = known.shapes, known.kinds
    bound = {n.id for n in nodes.name_nodes([loop.target] + loop.body if isinstance(loop, gast.For) else loop.body)
             if not isinstance(n.ctx, gast.Load)}
    moved, kept = [], []
    for stmt in loop.body:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id in shapes.single and _numbers(stmt.value, kinds, bound) \
                and _harmless(stmt.value, shapes, kinds):
            bound.discard(stmt.targets[0].id)
            moved.append(stmt)
        else:
            kept.append(stmt)
    if moved:
        loop.body = kept or [gast.Pass()]
    return moved


def _numbers(expr, kinds: dict, bound: set) -> bool:
    """`expr` reads names, each a Python number the loop does not bind."""
    return all(kinds.get(n.id) == "py" and n.id not in bound for n in nodes.name_nodes(expr))
