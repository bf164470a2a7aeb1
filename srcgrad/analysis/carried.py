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

import collections

import gast

from .. import nodes

RESTORE = object()  # the value of a store `v = stack.pop()`


class Outline:
    """The bindings of a function body as the analyses of `optimize.setting.facts`
    read them (names assigned once, value kinds, static shapes, `carried`), from one
    walk over its statements instead of one walk each.

    `assigns`: `(stmt, name, top_level)` for each `Assign` whose first target is a
    name, in `nodes.walk_statements` order (`top`: those at the top level, as
    `(stmt, name)`); `updates`: the top-level statements that bind a name by
    `Assign` (first target) or `AugAssign`, in order; `exprs`: the top-level
    expression statements; `compound`: the top-level `if`, `for`, `while` and
    `with` statements; `pushed`: {stack: the names `stack.append(name)` pushes,
    at any level}; `other`: the names `carried` leaves out, bound by a `for`
    target or by a statement other than a plain assignment (`+=`, unpacking).
    `single`: the names bound exactly once (`shapes.assigned_once`).
    """

    __slots__ = ("assigns", "top", "updates", "exprs", "compound", "pushed", "other", "_stored", "_scan",
                 "_params", "_single")

    def __init__(self, body: list, params=()):
        self.assigns: list = []
        self.top: list = []
        self.updates: list = []
        self.exprs: list = []
        self.compound: list = []
        self.pushed: dict = {}
        self.other: set = set()
        self._stored: list = []  # names stored, as far as the walk has read them
        self._scan: list = []  # nodes whose stored names `single` still has to count
        self._params, self._single = params, None
        self._block(body, True)

    def _block(self, block: list, top: bool) -> None:
        # The stores counted are those of `nodes.stored_names(body)`: each statement's
        # own, read here, or its nodes left to one `stored_names` walk (`_scan`).
        Assign, Name, Store, Expr, Comment, If, For, While = gast.Assign, gast.Name, gast.Store, gast.Expr, \
            nodes.Comment, gast.If, gast.For, gast.While
        scan, stored = self._scan, self._stored
        for stmt in block:
            cls = stmt.__class__
            if cls is Assign:
                targets = stmt.targets
                target = targets[0]
                if target.__class__ is Name:
                    self.assigns.append((stmt, target.id, top))
                    if top:
                        self.top.append((stmt, target.id))
                        self.updates.append(stmt)
                    if len(targets) == 1:
                        if target.annotation is not None:
                            scan.append(target)
                        elif target.ctx.__class__ is Store:
                            stored.append(target.id)
                        scan.append(stmt.value)
                        continue
                found = nodes.stored_names(stmt)  # unpacking, an entry, several targets
                stored += found
                self.other.update(found)
            elif cls is Comment:
                continue
            elif cls is Expr:
                value = stmt.value
                scan.append(value)
                if top:
                    self.exprs.append(stmt)
                if _is_method(value, "append", 1) and value.args[0].__class__ is Name:
                    self.pushed.setdefault(value.func.value.id, []).append(value.args[0].id)
            elif cls is If or cls is While:
                scan.append(stmt.test)
                if top:
                    self.compound.append(stmt)
                self._block(stmt.body, False)
                self._block(stmt.orelse, False)
            elif cls is For:
                found = nodes.stored_names(stmt.target)
                stored += found
                self.other.update(found)
                scan.append(stmt.iter)
                if top:
                    self.compound.append(stmt)
                self._block(stmt.body, False)
                self._block(stmt.orelse, False)
            else:
                found = nodes.stored_names(stmt)  # `+=`, anything else that binds
                stored += found
                self.other.update(found)
                if top:
                    if cls is gast.AugAssign and stmt.target.__class__ is Name:
                        self.updates.append(stmt)
                    elif cls is gast.With:
                        self.compound.append(stmt)

    @property
    def single(self) -> set:
        """The names bound exactly once (a parameter counts as bound; `del` binds nothing)."""
        if self._single is None:
            stores = collections.Counter(list(self._params))
            stores.update(self._stored)
            stores.update(nodes.stored_names(self._scan))
            self._single = {n for n, count in stores.items() if count == 1}
        return self._single


def carried(body: list, single, outline: Outline | None = None) -> dict:
    """{name: [(value or RESTORE, top_level), ...]} for the names of `body`
    not in `single` (those bound once) that are bound only by plain
    assignments and restores (see the module docstring). `outline`: `body`'s,
    when it is at hand."""
    if outline is None:
        outline = Outline(body)
    stores: dict[str, list] = {}
    popped: dict[str, list] = {}
    for stmt, target, top in outline.assigns:
        if target in single or len(stmt.targets) != 1:  # (several targets: in `outline.other`)
            continue
        value = stmt.value
        if _is_method(value, "pop", 0):
            popped.setdefault(value.func.value.id, []).append(target)
            value = RESTORE
        stores.setdefault(target, []).append((value, top))
    other = outline.other
    for stack, names in popped.items():
        pushes = outline.pushed.get(stack, [])
        other = other | {n for n in names if pushes.count(n) != names.count(n)}
    return {n: found for n, found in stores.items() if n not in other}


def is_restore(value) -> bool:
    """`value` is `stack.pop()`: a restore, stored into a name."""
    return _is_method(value, "pop", 0)


def _is_method(node, method: str, nargs: int) -> bool:
    """`name.method(...)` with `nargs` positional arguments and no keywords."""
    return (node.__class__ is gast.Call and node.func.__class__ is gast.Attribute and node.func.attr == method
            and node.func.value.__class__ is gast.Name and len(node.args) == nargs and not node.keywords)
