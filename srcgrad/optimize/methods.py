"""A reduction of a NumPy value called as its method: `np.max(a, axis=1)` -> `a.max(axis=1)`.

`numpy.max(a, ...)` of an array or NumPy scalar does what `a.max(...)` does
(numpy.max calls the method for anything that is not an exact ndarray, and
both run `numpy.maximum.reduce` for one), after a Python-level dispatch that
costs a microsecond or two: on small arrays a visible share of a derivative.
Only the forward sweep's calls whose first argument the value kinds show to be a
NumPy value, with no other positional argument, are rewritten; it runs last (`optimize.free_early`),
as the passes before it recognise the reductions by their function.
"""
from __future__ import annotations

import gast
import numpy

from .. import nodes
from ..nodes import Transformer
from ..analysis.kinds import kind_of

# numpy function -> the ndarray method with the same parameters (after the array)
_METHODS = {numpy.sum: "sum", numpy.prod: "prod", numpy.mean: "mean", numpy.max: "max", numpy.min: "min",
            numpy.std: "std", numpy.var: "var"}
_METHODS.update({getattr(numpy, "amax", numpy.max): "max", getattr(numpy, "amin", numpy.min): "min"})
_KEYWORDS = frozenset(["axis", "dtype", "keepdims", "ddof", "initial", "where"])


def reductions_as_methods(body: list, known, callee):
    """`(body, changed)`: each `numpy.sum(a, **options)` of a NumPy value `a` as `a.sum(**options)`;
    `known` holds the function's facts (its value kinds)."""
    methods = _Methods(known.kinds, callee)
    # the forward sweep's: a helper of the backward sweep may hand a Python float to a
    # reduction (`unbroadcast` of two numbers), whose kind says NumPy value. The backward
    # sweep is what follows its first statement (a pass may have rebuilt a later one
    # without its note)
    start = next((i for i, s in enumerate(body) if nodes.noted(s, "sweep") == "backward"), len(body))
    # (only a statement holding a reduction `_Methods` rewrites is visited: a rewrite makes no call)
    return [methods.visit(s) if any(methods.candidate(c) for c in nodes.of_class(s, _CALL)) else s
            for s in body[:start]] + body[start:], methods.changed


_CALL = (gast.Call,)


class _Methods(Transformer):
    """`reductions_as_methods`' rewrite (a class made once, not at every call)."""

    def __init__(self, kinds: dict, callee):
        self.kinds, self.callee = kinds, callee
        self.changed = False

    def candidate(self, node) -> bool:
        """A call `visit_Call` may rewrite, as far as its own fields tell."""
        return len(node.args) == 1 and isinstance(node.func, gast.Attribute) \
            and all(k.arg in _KEYWORDS for k in node.keywords) and _METHODS.get(self.callee(node)) is not None

    def visit_Call(self, node):
        self.generic_visit(node)
        if len(node.args) != 1 or not all(k.arg in _KEYWORDS for k in node.keywords):
            return node
        method = _METHODS.get(self.callee(node)) if isinstance(node.func, gast.Attribute) else None
        if method is None or kind_of(node.args[0], self.kinds, self.callee) != "np":
            return node
        self.changed = True
        node.func = gast.Attribute(value=node.args[0], attr=method, ctx=gast.Load())
        node.args = []
        return node
