"""A matrix product's adjoint is summed to the product's shape by its own helpers.

    _t4 = W @ h                                  (forward sweep; a loop tapes _t4)
    _t6 = _t4 + _t5
    ...
    _dt4 = unbroadcast(_dt6, _t4)          ->    _dt4 = _dt6
    dW += matmul_adjoint_left(_dt4, W, h)        dW += matmul_adjoint_left(_dt4, W, h)
    dh = matmul_adjoint_right(_dt4, W, h)        dh = matmul_adjoint_right(_dt4, W, h)

The adjoint of `+` sums its adjoint back to each operand's shape. Where the
operand is a matrix product `t = a @ b` whose adjoint goes only to the
product's adjoint helpers (`facts.sums_adjoint`: matmul_adjoint_left and
_right), the sum is theirs to do: they know `a` and `b`, hence the product's
shape, and sum a bigger adjoint down to it first. So the backward sweep no
longer reads `t`, and a loop no longer tapes it or its shape (`shapetape`).

Only where every binding of `t` is `t = a @ b` with the names the helpers are
given, or a sum of such products and other values (`x @ Wx + h @ Wh`: each
product's shape broadcasts to the sum's, so summing to the sum's shape first
adds nothing), or a restore from the tape (an earlier value of one of those);
and where the summed adjoint is bound once and read only as those helpers'
first argument.
"""
from __future__ import annotations

import collections

import gast

from .. import nodes, runtime
from ..rules import facts


def sum_in_helpers(forward: list, backward: list, callee, stack: str | None):
    """`(backward, changed)`; `callee(call)` resolves a call's function; `stack`: the tape."""
    candidates = [stmt for stmt in nodes.walk_statements(backward)  # `dx = unbroadcast(g, y)`
                  if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                  and isinstance(stmt.value, gast.Call) and callee(stmt.value) is runtime.unbroadcast
                  and len(stmt.value.args) == 2 and not stmt.value.keywords
                  and isinstance(stmt.value.args[1], gast.Name)]
    if not candidates:
        return backward, False
    everything = forward + backward
    bindings: dict = collections.defaultdict(list)
    for stmt in nodes.walk_statements(everything):
        for node in nodes.name_nodes(stmt.targets if isinstance(stmt, gast.Assign) else
                                     [stmt.target] if isinstance(stmt, (gast.For, gast.AugAssign)) else []):
            if not isinstance(node.ctx, gast.Load):
                bindings[node.id].append(stmt)
    # A candidate needs its adjoint bound once and its product's name bound to products; the
    # walk below only adds bindings (`del`), so where no candidate passes here none would there.
    if not any(len(bindings.get(stmt.targets[0].id, ())) == 1
               and _products(stmt.value.args[1].id, bindings, stack, set()) for stmt in candidates):
        return backward, False
    uses: dict = collections.defaultdict(list)  # name -> the calls reading it as their adjoint
    loads: dict = {}
    # Every name and call of both sweeps (`nodes.of_class(everything, (Name, Call))`, with
    # what is done with each inlined: this visits every node of the derivative)
    todo = list(reversed(everything))
    pop, push, fields_of, AST = todo.pop, todo.append, nodes.child_fields, gast.AST
    Name, Call, Load, Del = gast.Name, gast.Call, gast.Load, gast.Del
    while todo:
        node = pop()
        cls = node.__class__
        if cls is Name:
            ctx = node.ctx.__class__
            if ctx is Load:
                loads[node.id] = loads.get(node.id, 0) + 1
            elif ctx is Del:  # `del` and the like bind too: no candidate
                bindings[node.id].append(None)
        elif cls is Call and node.args and node.args[0].__class__ is Name \
                and len(node.args) == 3 and not node.keywords and facts.sums_adjoint(callee(node)):
            uses[node.args[0].id].append(node)
        for field in fields_of(cls):  # (nodes.push_children, inlined)
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    changed = False
    for stmt in candidates:
        adjoint, product = stmt.targets[0].id, stmt.value.args[1].id
        calls = uses.get(adjoint, [])
        if not calls or len(calls) != loads.get(adjoint, 0) or len(bindings[adjoint]) != 1:
            continue
        operands = {tuple(a.id if isinstance(a, gast.Name) else None for a in c.args[1:]) for c in calls}
        if operands <= _products(product, bindings, stack, set()):
            stmt.value = stmt.value.args[0]
            changed = True
    return backward, changed


def _products(name: str, bindings: dict, stack: str | None, seen: set) -> set:
    """The operand pairs `(a, b)` of the products `a @ b` that `name` always holds,
    or that it always holds a sum (`+`, `-`) of: each broadcasts to its shape,
    so summing an adjoint to that shape first changes nothing for theirs. A
    restore from the tape gives back an earlier value: it adds no other case."""
    if name in seen:
        return set()
    seen = seen | {name}
    found = None
    for stmt in bindings.get(name, [None]):
        if stmt is not None and _popped(stmt, stack):
            continue
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            return set()
        value = stmt.value
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.MatMult) \
                and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name):
            pairs = {(value.left.id, value.right.id)}
        elif isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
            pairs = set().union(*(_products(side.id, bindings, stack, seen) for side in (value.left, value.right)
                                  if isinstance(side, gast.Name)))
        else:
            return set()
        found = pairs if found is None else found & pairs
    return found or set()


def _popped(stmt, stack: str | None) -> bool:
    """`name = _stack.pop()`: a restore of an earlier value."""
    value = getattr(stmt, "value", None)
    return stack is not None and isinstance(stmt, gast.Assign) and isinstance(value, gast.Call) \
        and isinstance(value.func, gast.Attribute) and isinstance(value.func.value, gast.Name) \
        and value.func.value.id == stack and value.func.attr == "pop" and not value.args
