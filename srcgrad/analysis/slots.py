"""Statements in program order, and the lists and dicts a function builds: which
names hold one, and what a store into one of their slots is seen by.

Helpers of `aliases`: a list or dict holds its entries' memory (a store into a
slot of one makes it hold the value, where a store into an array copies it), and
`[v] * n` holds one object in several slots.
"""
from __future__ import annotations

import gast

from .. import nodes

def positions(body):
    """(statement, position in program order, ids of the loops around it), nested included."""
    counter = [0]

    def walk(stmts, loops):
        for stmt in stmts:
            counter[0] += 1
            yield stmt, counter[0], loops
            inner_loops = loops | {id(stmt)} if isinstance(stmt, (gast.For, gast.While)) else loops
            for name in ("body", "orelse"):  # a no_grad block's body too: it runs in place
                inner = getattr(stmt, name, None)
                if isinstance(inner, list):
                    yield from walk(inner, inner_loops)

    yield from walk(body, frozenset())


def is_append_call(stmt) -> bool:
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name) and bool(call.args))


def containers(body, params) -> set[str]:
    """Names that may hold a list or dict the function builds (a store into a slot
    of one makes it hold the value; into an array, copies it): names bound to a
    display, a comprehension, `list(...)`, `dict(...)`, `[v] * n` or `lst + [v]`,
    and copies of such names. Parameters are left out (their kind is the caller's)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for stmt, _, _ in positions(body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id not in found and _builds_container(stmt.value, found):
                found.add(stmt.targets[0].id)
                changed = True
    return found - set(params)


def _builds_container(value, found: set) -> bool:
    if isinstance(value, (gast.List, gast.Dict, gast.ListComp, gast.DictComp)):
        return True
    if isinstance(value, gast.Name):
        return value.id in found
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Mult)):
        return any(isinstance(side, (gast.List, gast.ListComp)) or (isinstance(side, gast.Name) and side.id in found)
                   for side in (value.left, value.right))
    return isinstance(value, gast.Call) and nodes.dotted(value.func) in ("list", "dict")


def repeats_entries(body, name: str) -> bool:
    """`name` is bound somewhere to `[v] * n` (or `n * [v]`) with `v` not a number:
    one object held in several slots, so a change of one entry shows in all."""
    for stmt, _, _ in positions(body):
        value = stmt.value if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
            and stmt.targets[0].id == name else None
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult):
            for side in (value.left, value.right):
                if isinstance(side, (gast.List, gast.Tuple)) and not all(
                        isinstance(e, gast.Constant) and not isinstance(e.value, (list, dict)) for e in side.elts):
                    return True
    return False


def made_containers(body, params, lists=frozenset()) -> set[str]:
    """Names only ever bound to a dict or list the function makes itself: a display, a
    comprehension, a repeated list display (`[0.0] * n`), another name of a made one
    (`hs = made`: `slot_observers` counts both names), `dict(...)` / `list(...)`
    (a new container holding another one's entries), or `xs[:]` of a parameter of
    `lists` (one that holds a list or tuple, never an array: a list's slice is a
    new list; a tuple's cannot be written)."""
    bindings: dict[str, list] = {}
    for stmt, _, _ in positions(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bindings.setdefault(stmt.targets[0].id, []).append(stmt.value)
        elif isinstance(stmt, gast.For):
            for n in gast.walk(stmt.target):
                if isinstance(n, gast.Name):
                    bindings.setdefault(n.id, []).append(None)
    constructors = {"dict", "list"} - set(bindings) - set(params)  # not shadowed by a local
    copied = set(lists) - set(bindings)  # parameters never bound again

    def made(value, found) -> bool:
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult):  # [0.0] * n
            return any(isinstance(side, gast.List) or (isinstance(side, gast.Name) and side.id in found)
                       for side in (value.left, value.right))
        if isinstance(value, gast.Name):  # another name of a made container
            return value.id in found
        return isinstance(value, (gast.Dict, gast.List, gast.ListComp, gast.DictComp)) or (
            isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id in constructors and len(value.args) <= 1 and not value.keywords) or (
            isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and value.value.id in copied
            and isinstance(value.slice, gast.Slice)
            and value.slice.lower is None and value.slice.upper is None and value.slice.step is None)

    found: set[str] = set()
    while True:  # a repeat of a made list is made: `_t1 = [0.0]; xs = _t1 * 6`
        grown = {n for n, values in bindings.items()
                 if n not in params and all(made(v, found) for v in values)}
        if grown == found:
            return found
        found = grown


def slot_observers(body, name: str, before, fresh=None) -> set[str]:
    """Names that see a write into a slot of `name`, a container the function made.

    Its copies by name and whatever may hold or return one of them (a display,
    an append, a call) see the write; its entries (`e = d[k]`) do not, since
    the write rebinds a slot and changes no entry. Only bindings made before
    the write (or in a loop around it) count. With `fresh=(position, loops)`,
    where every path to the write last bound `name` to a new container (`d =
    {}` in the same iteration, `aliases._fresh_binding`), only bindings made
    since then count (in the loops between the two, before or after it): a
    name bound to the container of an earlier iteration (`p = d`) holds
    another one.
    """
    seen = {name}
    changed = True
    while changed:
        changed = False
        for stmt, position, loops in positions(body):
            if not (position < before[0] or loops & before[1]):
                continue
            if fresh is not None and not (fresh[0] < position and (position < before[0] or loops & fresh[1])):
                continue
            holder, value = None, None
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                holder, value = stmt.targets[0].id, stmt.value
                if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                        and value.value.id in seen:
                    continue  # an entry of the container, not the container
            elif is_append_call(stmt):
                holder, value = stmt.value.func.value.id, stmt.value.args[0]
            if holder in seen and isinstance(value, gast.Name) and value.id not in seen:
                seen.add(value.id)  # `hs = made`: the name it was copied from sees the write too
                changed = True
            elif holder is not None and holder not in seen and nodes.loaded_names(value) & seen:
                seen.add(holder)
                changed = True
    return seen


def shallow_copy_of(value, containers: set):
    """The name of the container `value` copies shallowly (`p.copy()`, `p[:]`, `p + []`,
    `[] + p`, `copy.copy(p)`), when it is one of `containers`; else None."""
    if isinstance(value, gast.Call) and not value.keywords:
        func = value.func
        if isinstance(func, gast.Attribute) and func.attr == "copy" and not value.args \
                and isinstance(func.value, gast.Name) and func.value.id in containers:
            return func.value.id
        if len(value.args) == 1 and isinstance(value.args[0], gast.Name) and value.args[0].id in containers \
                and nodes.dotted(func) == "copy.copy":  # (the path joined only for a container's name)
            return value.args[0].id
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and value.value.id in containers \
            and isinstance(value.slice, gast.Slice):
        return value.value.id
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        for side, other in ((value.left, value.right), (value.right, value.left)):
            if isinstance(side, gast.Name) and side.id in containers and isinstance(other, (gast.List, gast.Tuple)):
                return side.id
    return None
