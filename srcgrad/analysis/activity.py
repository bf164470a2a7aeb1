"""Activity analysis: which variables need an adjoint.

A variable is *varied* when its value depends on a `wrt` input through
differentiable operations, and *useful* when it can reach the returned
value through them; it is *active* when both. Only active variables get
adjoint code. `no_grad` blocks and zero-gradient operations
(`stop_gradient`, comparisons, `floor`, ...) cut the dependency.

The analysis is by name and flow-insensitive (a name is varied if any of its
assignments is), iterated to a fixed point: conservative, so it can only
keep adjoint code that turns out to be zero, never drop a needed one.
"""
from __future__ import annotations

from dataclasses import dataclass

import gast
import numpy

from .. import nodes, runtime
from ..normalize.anf import is_append
from .aliases import alias_groups
from .resolve import Op, differentiable_params, statements


@dataclass(frozen=True)
class Activity:
    varied: frozenset
    useful: frozenset
    # varied, not counting what `list(d)` or a loop reads out of a collection that
    # may be a dict (a dict's keys carry no derivative)
    varied_keys: frozenset = frozenset()

    def is_active(self, name: str) -> bool:
        return name in self.varied and name in self.useful


def _sources(stmt, op: Op) -> set[str]:
    """The names whose gradient the statement's result passes on."""
    if op.kind == "copy":
        return {stmt.value.id} if isinstance(stmt.value, gast.Name) else set()
    if op.kind == "rule":
        out: set[str] = set()
        for node in differentiable_params(op):
            out |= nodes.loaded_names(node)
        return out
    if op.kind in ("user", "custom"):  # every argument (and a nested helper's free variables)
        out = set(nodes.loaded_names(stmt.value))
        for node in op.bindings.values():
            out |= nodes.loaded_names(node)
        return out
    if op.kind in ("unknown", "opaque", "badcall"):
        # No rule yet: treat every input as flowing, so that the reverse pass
        # reports the missing rule instead of silently dropping a gradient.
        return nodes.loaded_names(stmt.value)
    return set()


def activity(fn, ops: dict, wrt: list[str], returned: str | None, not_dicts=frozenset(),
             restores=None, generated: bool = False) -> Activity:
    """Compute varied and useful names of the ANF function `fn`. `not_dicts`:
    parameters known to be arrays or numbers (their items are not keys). `restores`:
    id(statement) -> (d, old) of a generated `restore_entry(d, key, old)`, a write;
    `generated`: srcgrad's own code, whose writes may show through views (see
    `_shared_writes`; the user's code is alias-checked instead)."""
    restores = restores or {}
    edges: list[tuple[str, set[str]]] = []
    listings: set[int] = set()  # edges of `list(x)` and `loop_items(x)` of an x that may be a dict
    known, not_dicts = not_dicts, None  # (found at the first `list(x)`: most functions have none)
    for stmt in statements(fn.body):
        op = ops.get(id(stmt))
        if op is not None and op.kind == "rule" and op.rule.primitive in (list, runtime.loop_items):
            if not_dicts is None:
                not_dicts = _not_dicts(fn, ops, known)
            if not (isinstance(stmt.value.args[0], gast.Name) and stmt.value.args[0].id in not_dicts):
                listings.add(len(edges))
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            # x[i] = v: the new x depends on v and on the rest of the old x
            x = stmt.targets[0].value.id
            sources = {x} | ({stmt.value.id} if isinstance(stmt.value, gast.Name) else set())
            edges.append((x, sources))
        elif isinstance(stmt, gast.Assign):
            edges.append((stmt.targets[0].id, _sources(stmt, ops[id(stmt)])))
        elif id(stmt) in restores:  # restore_entry(d, key, old): d[key] = old
            x, old = restores[id(stmt)]
            edges.append((x, {x} | nodes.loaded_names(old)))
        elif is_append(stmt):  # lst.append(v): the list now holds v too
            lst, item = stmt.value.func.value.id, stmt.value.args[0]
            edges.append((lst, {lst} | ({item.id} if isinstance(item, gast.Name) else set())))
    if generated:
        edges += _shared_writes(fn, restores)
    varied = _reached(edges, set(wrt))
    # (the same edges give the same names: a fixed point is found again only without the listings)
    varied_keys = _reached([e for i, e in enumerate(edges) if i not in listings], set(wrt)) if listings \
        else varied
    useful = {returned} if returned else set()
    changed = True
    while changed:  # the least fixed point, whatever the order: the edges backwards, as usefulness flows
        changed = False
        for target, sources in reversed(edges):
            if target in useful and not sources <= useful:
                useful |= sources
                changed = True
    return Activity(frozenset(varied), frozenset(useful), frozenset(varied_keys))


def _shared_writes(fn, restores) -> list[tuple[str, set[str]]]:
    """Edges of what an in-place write changes besides the name written: `x[i] = v`
    changes every name that may share x's memory (`w = x[1:]` before it, or `z = x`).
    The user's own code cannot observe that (the alias check refuses it), but
    srcgrad's generated gradient does: its backward sweep restores an overwritten
    slice through one name (`_y1[1:] = _y2`) and reads it through a view of it
    (`_t1 = y[1:]`), so the view's tangent must be written back too."""
    writes = [(s.targets[0].value.id, {s.value.id} if isinstance(s.value, gast.Name) else set())
              for s in statements(fn.body)
              if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)]
    writes += [(x, nodes.loaded_names(old)) for x, old in restores.values()]
    if not writes:
        return []
    args = fn.args
    params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
    groups = alias_groups(fn.body, params, appends=False)
    edges = []
    for x, values in writes:
        written = {x} | set(values)
        edges += [(other, {other} | written) for other in sorted(groups.get(x, {x}) - {x})]
    return edges


def _not_dicts(fn, ops: dict, params: frozenset) -> set[str]:
    """Names every assignment of which gives an array, a number, a list or a tuple:
    arithmetic, displays, `list(...)`, NumPy calls. What `list(x)` or a loop reads out
    of one of these is its items, which carry x's derivative (not a dict's keys)."""
    found: dict[str, bool] = {p: True for p in params}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            name = stmt.targets[0].id
            found[name] = found.get(name, True) and _gives_no_dict(stmt, ops.get(id(stmt)))
        elif isinstance(stmt, gast.For):
            for n in gast.walk(stmt.target):
                if isinstance(n, gast.Name):
                    found[n.id] = False
    return {n for n, ok in found.items() if ok}


def _gives_no_dict(stmt, op) -> bool:
    value = stmt.value
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.List, gast.Tuple, gast.Constant)):
        return True
    if op is None or op.kind != "rule" or not isinstance(value, gast.Call):
        return False
    primitive = op.rule.primitive
    return primitive in (list, tuple, runtime.loop_items) or \
        (getattr(primitive, "__module__", "") or "").split(".")[0] == "numpy" or isinstance(primitive, numpy.ufunc)


def _reached(edges, varied: set[str]) -> set[str]:
    """The names that depend on `varied` through `edges` (target, sources)."""
    changed = True
    while changed:
        changed = False
        for target, sources in edges:
            if target not in varied and sources & varied:
                varied.add(target)
                changed = True
    return varied

