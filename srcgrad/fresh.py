"""Which gradients a generated function made itself: the record it returns, proved fresh.

A gradient handed back to the caller must share no memory with the caller's
arrays nor with another gradient (`boundary.unshared`, which walks both at
every call). For a record (`params = {"W1": ..., "b1": ...}`) the generated
function ends with `dparams = {'W1': dW1, 'b1': db1, ...}; return dparams`,
and the code says where each entry came from: `dW1 = matmul_adjoint_right(...)`
is new memory, `db1 = unbroadcast(_dt4, _t3)` is `_dt4` or new memory, `_dt4 =
dh * (1.0 - h * h)` is new memory. When every entry comes only from memory
the function allocated, and no two entries from the same allocation, the
walk has nothing to find: `made_record` proves it once, at compile time, and
the boundary then checks only the entries' types, dtypes and shapes.

The proof follows names through the function's top-level assignments, in
order (straight-line code; a name bound anywhere else is unknown): an
arithmetic operator or a unary minus on numeric values (`analysis/kinds.py`)
allocates; a call allocates where the facts table (rules/facts.py) says its
result shares memory with none of its arguments, and may hand on the
arguments its `views` name otherwise; a name is what it was bound to; a
parameter, a global, a subscript or anything else is unknown.
"""
from __future__ import annotations

import gast

from . import nodes
from .analysis.kinds import NUMERIC, kind_of
from .rules import facts as table

_UNKNOWN = None


def made_record(fn, params, kinds: dict, callee) -> tuple | None:
    """The keys (strings) of the dict display `fn` returns when each of its values is
    memory `fn` allocated itself, no two from one allocation (or a number); else None.

    `kinds` are the value kinds of `fn`'s names (`optimize.setting.kinds_of`);
    `callee(call)` resolves a call to the object it calls (None: a method of a local).
    """
    body = fn.body
    if not body or not isinstance(body[-1], gast.Return) or not isinstance(body[-1].value, gast.Name):
        return None
    result = body[-1].value.id
    display = None
    sources: dict = {}
    for index, stmt in enumerate(body[:-1]):
        if isinstance(stmt, gast.Delete) or nodes.is_comment(stmt):
            continue
        simple = isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name)
        found = _sources(stmt.value, index, sources, kinds, callee) if simple else _UNKNOWN
        # anything else a statement binds is unknown: in a loop, a branch, an augmented
        # assignment, a nested def or import, an assignment expression
        for node in nodes.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                sources[node.id] = _UNKNOWN
            elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
                sources[node.name] = _UNKNOWN
            elif isinstance(node, gast.alias):
                sources[(node.asname or node.name).split(".")[0]] = _UNKNOWN
        if simple:
            name = stmt.targets[0].id
            sources[name] = found
            display = stmt.value if name == result else display
    if not isinstance(display, gast.Dict) or sources.get(result) is _UNKNOWN \
            or not all(isinstance(k, gast.Constant) and type(k.value) is str for k in display.keys) \
            or not all(isinstance(v, gast.Name) for v in display.values):
        return None
    # the dict itself: read once, by the return (no entry stored into it, no method called on it)
    if sum(n.id == result for s in body for n in nodes.name_nodes(s)) != 2:
        return None
    taken: set = set()
    for value in display.values:
        found = sources.get(value.id, _UNKNOWN)
        if found is _UNKNOWN or value.id in params or not taken.isdisjoint(found):
            return None
        taken |= found
    return tuple(k.value for k in display.keys)


def _sources(value, index: int, sources: dict, kinds: dict, callee):
    """The allocations (statement positions) `value` may hold memory of, or None (unknown)."""
    if isinstance(value, gast.Constant):
        return frozenset()
    if isinstance(value, gast.Name):
        return sources.get(value.id, _UNKNOWN)
    if isinstance(value, gast.BinOp):
        if all(kind_of(e, kinds, callee) in NUMERIC for e in (value.left, value.right)):
            return frozenset({index})  # a new array, or a number
        return _UNKNOWN
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
        return frozenset({index}) if kind_of(value.operand, kinds, callee) in NUMERIC else _UNKNOWN
    if isinstance(value, gast.Dict):
        return frozenset({index})  # the returned display: its entries are checked one by one
    if isinstance(value, gast.Call):
        facts = _facts(value, kinds, callee)
        if facts is None or not facts.pure or facts.writes or facts.sequence or facts.views == table.ALL \
                or any(k.arg is None or k.arg == "out" for k in value.keywords):
            return _UNKNOWN
        args = ([value.func.value] if callee(value) is None else []) + list(value.args)
        found = frozenset({index})
        for position in facts.views:
            if position < len(args):
                shared = _sources(args[position], index, sources, kinds, callee)
                if shared is _UNKNOWN:
                    return _UNKNOWN
                found |= shared
        return found
    return _UNKNOWN


def _facts(call, kinds: dict, callee):
    """The facts of `call`: of what it calls, or of a NumPy method of a numeric local."""
    fn = callee(call)
    if fn is not None:
        return table.of(fn)
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and kinds.get(func.value.id) in NUMERIC:
        return table.method(func.attr)
    return None
