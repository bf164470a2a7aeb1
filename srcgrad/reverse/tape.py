"""What the backward sweep reads back: pop markers, and settling them.

The backward sweep is built with a marker where each overwritten value
would be restored. After optimization, `settle` keeps a marker only where
the loop's (or, outside loops, the whole) backward code still reads the
value: it becomes `x = _stack.pop()` (or `x = _x1`, or `lst.pop()` for an
append, `x[i] = _stack.pop()` for a write into an array or list, `restore_entry(d,
k, _stack.pop())` for one into a dict, where the key may have been new),
and the forward sweep saves exactly those values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import gast

from .. import nodes
from .walk import Assign, If, Loop, index_expr


class PopMarker(gast.stmt):
    """Where the backward sweep would restore a value the forward sweep overwrote.

    `var` is the variable restored; `key` the index of its `Restore` in
    `Tape.restores`; `index` the index expression of an entry restored
    (`x[i] = old`), else None; `loop_index`, on the marker that restores the
    target of a loop run backwards over `range(n - 1, -1, -1)`, the name that
    loop counts with (settled, the loop sets the target itself). The passes
    see it as a statement that reads `index` and assigns `var`.
    """
    _fields = ("var", "key", "index", "loop_index")


class Restore(NamedTuple):
    """A place where the backward sweep may restore a value the forward sweep overwrote.

    `kind`: "assign" (`z = ...` overwrote z), "setitem" (`x[i] = v` overwrote an
    entry), "append" (undone by `lst.pop()`), "target" (a `for` loop's index),
    "before" (a nested `for` loop's index as it was before the loop),
    "counter" (an inner loop's trip count) or "plain" (`name`, stored by any
    other statement, or a split pair's tape); `site` is the key of the forward
    statement's record (`walk.Record.key`).
    """

    kind: str
    site: int
    name: str | None = None


@dataclass
class Tape:
    """What the forward sweep keeps for the backward sweep, as data.

    Filled in while the backward sweep is built (`restores`, `saves`) and
    settled (`pushed`, `temps`, `stack`); the forward sweep is written from it.
    """

    restores: list = field(default_factory=list)  # a pop marker's index -> its Restore
    pushed: set = field(default_factory=set)  # the Restores that settled into real restores
    temps: dict = field(default_factory=dict)  # Restore outside loops -> the name saving its value
    saves: dict = field(default_factory=dict)  # (variable, version) -> the name an old version is kept in
    stack: str | None = None  # the stack's name, once anything is pushed


def is_pop_marker(stmt) -> bool:
    return stmt.__class__ is PopMarker


def _marker(stmt):
    return stmt.var, stmt.key


def _marker_index(stmt):
    """The index expression of a subscript-restore marker, or None."""
    return stmt.index


def reads_without_markers(stmt, widen=None) -> set[str]:
    """Names the backward code `stmt` reads once its markers are settled.

    A marker stays exactly when its variable is read (see `drop_markers`), and a
    marker that stays reads what it needs to run: the condition of every branch
    around it (a branch left with nothing but markers is still taken or not, as
    the forward sweep took it in that iteration), the trip count of every loop
    around it, and the index of a slice it restores (`x[i] = old`). Those reads
    can keep more markers, so they are added until nothing changes.
    `widen(names)` adds what reading `names` implies (the variables a view
    reads); it is applied at every step.
    """
    widen = widen or (lambda names: names)
    out: set[str] = set()
    conditional: list = []  # (names read, the restored variables that make them read)
    for s in walk_stmts([stmt]):
        if isinstance(s, gast.If):
            if _only_markers(s.body) and _only_markers(s.orelse):
                conditional.append((nodes.loaded_names(s.test), _restored(s.body + s.orelse)))
                continue
            out |= nodes.loaded_names(s.test)
        elif isinstance(s, gast.For):
            if _only_markers(s.body):  # a loop that only restores (`for _ in range(_n2)`)
                conditional.append((nodes.loaded_names(s.iter), _restored(s.body)))
                continue
            out |= nodes.loaded_names(s.iter)
        elif is_pop_marker(s):
            if _marker_index(s) is not None:
                conditional.append((nodes.loaded_names(_marker_index(s)), {_marker(s)[0]}))
        elif isinstance(s, (gast.Assign, gast.Expr, gast.Return)):
            out |= nodes.loaded_names(s)
    out = widen(out)
    while True:
        grown = set(out)
        for names, restored in conditional:
            if not restored.isdisjoint(grown):
                grown |= names
        grown = widen(grown)
        if grown == out:
            return out
        out = grown


def _restored(stmts) -> set[str]:
    return {_marker(s)[0] for s in walk_stmts(stmts) if is_pop_marker(s)}


def _only_markers(stmts) -> bool:
    return all(is_pop_marker(s) or nodes.is_comment(s) or isinstance(s, gast.Pass)
               or (isinstance(s, gast.If) and _only_markers(s.body) and _only_markers(s.orelse))
               or (isinstance(s, gast.For) and _only_markers(s.body))
               for s in stmts)


def walk_stmts(stmts):
    return nodes.walk_statements(stmts)


def drop_markers(stmt, reads: set[str], top_only: bool = False) -> bool:
    """Remove markers of values nobody reads; True if any went."""
    removed = False
    for s in ([stmt] if top_only else walk_stmts([stmt])):
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if not isinstance(inner, list) or isinstance(s, gast.Assign):
                continue
            kept = []
            for t in inner:
                if is_pop_marker(t):
                    var, index = _marker(t)
                    if var not in reads:
                        removed = True
                        continue
                kept.append(t)
            setattr(s, name, kept)
    return removed


def markers_to_pops(stmt, backward, top_only: bool = False) -> None:
    """Markers become restores: `x = _stack.pop()` in loops, `x = _x1` at top level."""
    for s in ([stmt] if top_only else walk_stmts([stmt])):
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if not isinstance(inner, list) or isinstance(s, gast.Assign):
                continue
            out = []
            for t in inner:
                if is_pop_marker(t):
                    var, index = _marker(t)
                    key = backward.tape.restores[index]
                    backward.tape.pushed.add(key)
                    if key[0] == "append":
                        out.append(nodes.expr_stmt(nodes.quote_expr(f"{var}.pop()")))
                        continue
                    if top_only:
                        backward.tape.temps[key] = backward.ctx.names.fresh(var.lstrip("_"))
                        old = nodes.name(backward.tape.temps[key])
                    else:
                        old = nodes.quote_expr(f"{backward.stack_name()}.pop()")
                    where = _marker_index(t)
                    if where is None:
                        t = nodes.assign(var, old)
                    elif var in backward.ctx.facts.dict_names:  # the key may have been new
                        t = nodes.expr_stmt(nodes.quote_expr(
                            f"{backward.ctx.rename_global('restore_entry')}(x, i, v)",
                            x=var, i=index_expr(where), v=old))  # `:` as slice(None, None, None)
                    else:
                        target = gast.Subscript(value=nodes.name(var), slice=nodes.clone(where),
                                                ctx=gast.Store())
                        t = gast.Assign(targets=[target], value=old, type_comment=None)
                out.append(t)
            if name == "body" and not out:
                out = [gast.Pass()]
            setattr(s, name, out)


def maybe_unbound(pushed: set, infos, params) -> list[str]:
    """Saved variables that a first save could find unassigned: set to None up front."""
    names: set[str] = set()
    assigned_before: set[str] = set(params)
    for info in infos:
        for key in pushed:
            name = key[2] if key[0] == "plain" else _pushed_name(key, [info])
            if name is not None and name not in assigned_before:
                names.add(name)
        if isinstance(info, Assign):
            assigned_before.add(info.z)
    return sorted(names)


def _pushed_name(key, infos):
    """The variable a push key refers to (for initialising it before any push)."""
    kind, ident = key[0], key[1]
    for info in all_infos(infos):
        if info.key == ident:
            if kind == "assign" and isinstance(info, Assign):
                return info.z
            if kind in ("target", "before"):
                return info.stmt.target.id
            if kind == "counter":
                return None  # counts are assigned before they are pushed
    return None


def all_infos(infos):
    for info in infos:
        yield info
        if isinstance(info, If):
            yield from all_infos(info.body)
            yield from all_infos(info.orelse)
        elif isinstance(info, Loop):
            yield from all_infos(info.body)

