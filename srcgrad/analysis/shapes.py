"""Which values of a generated function have the same shape, without running it.

Every value gets the set of *leaves* its shape is broadcast from. A
parameter, or the result of anything not elementwise (a matmul, a
reduction, a subscript), is its own leaf; an elementwise operation's result
has the union of its operands' leaves; a Python number has none. Values with
equal leaf sets have equal shapes, because broadcasting is a function of the
leaves' shapes. Only names assigned exactly once get a set: a name assigned
again (a loop variable, a restore from the stack) is unknown, unless it
holds a number wherever it is assigned (the empty set).
"""
from __future__ import annotations

import collections

import gast
import numpy

from .. import nodes, runtime
from ..rules import facts

# Runtime helpers that broadcast their operands like a binary ufunc.


class Shapes:
    """Leaf sets of a function's names; `callee(call)` resolves a call's function."""

    def __init__(self, body: list, params: list[str], callee, scalars: set[str], single=None):
        self.callee = callee
        self.single = assigned_once(body, params) if single is None else single
        self.leaves: dict[str, frozenset] = {p: frozenset([p]) for p in params if p in self.single}
        for name in scalars:  # numbers (or 0-d values) wherever they are assigned
            self.leaves[name] = frozenset()
        top = {id(s) for s in body}
        for stmt in nodes.walk_statements(body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id in self.single and stmt.targets[0].id not in self.leaves:
                target = stmt.targets[0].id
                found = self.of(stmt.value) if id(stmt) in top else None
                self.leaves[target] = found if found is not None else frozenset([target])
        self._accumulated(body)

    def _accumulated(self, body: list) -> None:
        """An adjoint assigned once at the top level, then only added to (`d = d + e`,
        `d -= e`) by values whose leaves are within its own, keeps its shape: it
        gets its first value's leaf set."""
        nested = {n.id for s in body if isinstance(s, (gast.If, gast.For, gast.While, gast.With))
                  for n in nodes.name_nodes(s) if not isinstance(n.ctx, gast.Load)}
        found: dict[str, frozenset | None] = {}
        for stmt in body:
            if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                name, added = stmt.target.id, stmt.value if isinstance(stmt.op, (gast.Add, gast.Sub)) else None
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                name, value = stmt.targets[0].id, stmt.value
                if name in self.single or name in self.leaves and name not in found:
                    continue
                if name not in found:
                    found[name] = self.of(value)
                    continue
                added = value.right if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)) \
                    and isinstance(value.left, gast.Name) and value.left.id == name else None
            else:
                continue
            if name in found and found[name] is not None:
                leaves = self.of(added) if added is not None and name not in nodes.loaded_names(added) else None
                if leaves is None or not leaves <= found[name]:
                    found[name] = None
        for name, leaves in found.items():
            if leaves is not None and name not in nested:
                self.leaves[name] = leaves

    def of(self, expr) -> frozenset | None:
        """The leaf set of an expression, or None when it is not known."""
        if isinstance(expr, gast.Constant):
            number = isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
            return frozenset() if number else None
        if isinstance(expr, gast.Name):
            return self.leaves.get(expr.id)
        if isinstance(expr, gast.BinOp) and not isinstance(expr.op, gast.MatMult):
            return self.union([expr.left, expr.right])
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
            return self.of(expr.operand)
        if isinstance(expr, gast.Call) and not expr.keywords:
            fn = self.callee(expr)
            if is_elementwise(fn, len(expr.args)):
                return self.union(expr.args)
            if fn is runtime.unbroadcast and len(expr.args) == 2:
                return self.of(expr.args[1])
            if fn is runtime.unreduce and expr.args:
                return self.of(expr.args[1]) if len(expr.args) > 1 else None
        return None

    def union(self, exprs) -> frozenset | None:
        out: frozenset = frozenset()
        for e in exprs:
            found = self.of(e)
            if found is None:
                return None
            out |= found
        return out


def assigned_once(body: list, params) -> set[str]:
    """Names bound exactly once in `body` (a parameter counts as bound; `del`
    binds nothing)."""
    stores = collections.Counter(list(params))
    for node in nodes.name_nodes(body):
        if node.ctx.__class__ is gast.Store:
            stores[node.id] += 1
    return {n for n, count in stores.items() if count == 1}


def is_elementwise(fn, nargs: int) -> bool:
    """A function whose result has the broadcast shape of its `nargs` operands
    (not a generalized ufunc such as `matmul`, whose core dimensions change)."""
    if isinstance(fn, numpy.ufunc):
        return fn.nout == 1 and fn.nin == nargs and fn.signature is None
    return facts.elementwise_helper(fn) and nargs == 2


def resolver(is_local, helpers: dict, lookup):
    """`callee(call)`: the object a call's dotted function name refers to, or None.

    `lookup(name)` finds a global (KeyError when there is none); local names
    and attributes of values are never resolved.
    """
    def callee(call):
        path = nodes.dotted(call.func)
        if path is None:
            return None
        head, *rest = path.split(".")
        if is_local(head):
            return None
        if head in helpers:
            obj = helpers[head]
        else:
            try:
                obj = lookup(head)
            except KeyError:
                return None
        for attr in rest:
            obj = getattr(obj, attr, None)
        return obj
    return callee
