"""Names a generated function binds more than once, with every value they get.

A loop's carry (`h = np.tanh(W @ h)`), a parameter the function rebinds
(`x = x * c`), a value the backward sweep restores from the tape
(`h = _stack.pop()`): the analyses that give facts to names assigned once
(value kinds, static shapes) can give one to such a name too, when each of
its values has it. This module lists the values: `carried(body, single)`
maps each such name to its stores, `(value, top_level)` in program order,
with a restore's value `RESTORE`.

A restore gives back a value the name held: the tape pushes a name's value
before the name is rebound and pops it into the same name, last in first
out. A name counts only where that can be seen, as it is for the tape's
own pushes: its stack pushes it by name as often as it pops into it. A name
bound any other way as well (a `for` target, `+=`, unpacking, a `with`)
is left out.
"""
from __future__ import annotations

import gast

from .. import nodes

RESTORE = object()  # the value of a store `v = stack.pop()`


def carried(body: list, single) -> dict:
    """{name: [(value or RESTORE, top_level), ...]} for the names of `body`
    not in `single` (those bound once) that are bound only by plain
    assignments and restores (see the module docstring)."""
    top = {id(s) for s in body}
    stores: dict[str, list] = {}
    pushed: dict[str, list] = {}
    popped: dict[str, list] = {}
    other: set[str] = set()
    for stmt in nodes.walk_statements(body):
        cls = stmt.__class__
        if cls is gast.Expr:
            if _is_method(stmt.value, "append", 1) and isinstance(stmt.value.args[0], gast.Name):
                pushed.setdefault(stmt.value.func.value.id, []).append(stmt.value.args[0].id)
            continue
        if cls is gast.Assign and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            target = stmt.targets[0].id
            if target in single:
                continue
            value = stmt.value
            if _is_method(value, "pop", 0):
                popped.setdefault(value.func.value.id, []).append(target)
                value = RESTORE
            stores.setdefault(target, []).append((value, id(stmt) in top))
            continue
        if cls is nodes.Comment or cls is gast.If or cls is gast.While:
            continue
        if cls is gast.For:
            other.update(nodes.stored_names(stmt.target))
            continue
        other.update(nodes.stored_names(stmt))  # `+=`, unpacking, anything else that binds
    for stack, names in popped.items():
        pushes = pushed.get(stack, [])
        other.update(n for n in names if pushes.count(n) != names.count(n))
    return {n: found for n, found in stores.items() if n not in other}


def is_restore(value) -> bool:
    """`value` is `stack.pop()`: a restore, stored into a name."""
    return _is_method(value, "pop", 0)


def _is_method(node, method: str, nargs: int) -> bool:
    """`name.method(...)` with `nargs` positional arguments and no keywords."""
    return (node.__class__ is gast.Call and node.func.__class__ is gast.Attribute and node.func.attr == method
            and node.func.value.__class__ is gast.Name and len(node.args) == nargs and not node.keywords)
