"""The optimisation passes' Transformer: `nodes.Transformer`, without a visit of a leaf.

The passes rewrite every expression of a derivative several times per build,
and about half the nodes they meet are leaves: names, constants and operators
(`Mult`, `USub`, ...). Visiting one calls `visit`, finds no method, and runs
`generic_visit` over no children, to hand the node back as it was. Here the
parent skips that call for a leaf its Transformer has no `visit_<Class>` method
for (a name with an annotation is visited as before). What is rewritten, and
in what order, is exactly `nodes.Transformer`'s.
"""
from __future__ import annotations

import gast

from .. import nodes


def _leaf_classes() -> frozenset:
    """Node classes whose nodes have no children a Transformer visits (a `Name`: only
    its annotation, None in an expression)."""
    found = {gast.Name, gast.Constant}
    for base in (gast.operator, gast.unaryop, gast.cmpop, gast.boolop, gast.expr_context):
        stack = [base]
        while stack:
            cls = stack.pop()
            found.add(cls)
            stack.extend(cls.__subclasses__())
    assert all(not nodes.child_fields(cls) for cls in found if cls is not gast.Name)
    return frozenset(found)


_LEAVES = _leaf_classes()


class Transformer(nodes.Transformer):
    """`nodes.Transformer`, leaves not visited unless the subclass has a method for them."""

    _skipped: frozenset = frozenset()
    _dispatch: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._skipped = frozenset(leaf for leaf in _LEAVES if not hasattr(cls, "visit_" + leaf.__name__))
        cls._dispatch = {}  # node class -> this class's method for it (as `nodes.Transformer.visit` finds it)

    def visit(self, node):
        method = self._dispatch.get(node.__class__)
        if method is None:
            method = self._dispatch[node.__class__] = getattr(
                type(self), "visit_" + node.__class__.__name__, Transformer.generic_visit)
        return method(self, node)

    def generic_visit(self, node):
        # `nodes.Transformer.generic_visit`, a skipped leaf taken as visited and unchanged
        AST, Name, skipped = gast.AST, gast.Name, self._skipped
        for field in nodes.child_fields(node.__class__):
            old = getattr(node, field, None)
            if old.__class__ is list:
                new = None  # a new list only from the first item a visit replaces
                for k, item in enumerate(old):
                    if isinstance(item, AST):
                        cls = item.__class__
                        if cls in skipped and (cls is not Name or item.annotation is None):
                            if new is not None:
                                new.append(item)
                            continue
                        visited = self.visit(item)
                        if visited is item and new is None:
                            continue
                        if new is None:
                            new = old[:k]
                        if visited is None:
                            continue
                        if not isinstance(visited, AST):
                            new.extend(visited)
                            continue
                        item = visited
                    if new is not None:
                        new.append(item)
                if new is not None:
                    old[:] = new
            elif isinstance(old, AST):
                cls = old.__class__
                if cls in skipped and (cls is not Name or old.annotation is None):
                    continue
                replaced = self.visit(old)
                if replaced is None:
                    delattr(node, field)
                elif replaced is not old:
                    setattr(node, field, replaced)
        return node
