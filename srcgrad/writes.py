"""Which parameters a function may write into, for the API's copies.

The original function may change its caller's arrays (`a[0] = ...`, a helper
that does, `np.copyto(a, ...)`); its derivative does the same to the primal
arguments, and forward mode does it to the tangents too. `jvp` and
`jacobian` copy an argument only when this says it may be written, so that
a derivative never changes the caller's values beyond what the function
itself does. The analysis is `aliases.written_in_place` (deny by default: a
call vouched for only when it is a registered rule's primitive without
`out=`), the same one the passes that merge values read.
"""
from __future__ import annotations

import gast

from . import nodes
from .analysis.aliases import written_in_place
from .analysis.effects import resolve_call


def written_params(fn, ops: dict, params: list, namespace, is_local) -> frozenset:
    """The parameters of `fn` (an ANF tree) whose values a call may change in place.
    A call writes nothing when it is a registered rule's primitive without `out=`,
    or when the facts table says so of what it calls (`len(x)`, `range(n)`)."""
    by_value = {id(s.value): op for s in _assignments(fn) if (op := ops.get(id(s))) is not None}

    def pure(call) -> bool:
        if any(k.arg == "out" for k in call.keywords):
            return False
        op = by_value.get(id(call))
        if op is not None and op.kind == "rule":
            return True
        resolved = resolve_call(call, namespace, is_local)
        return resolved.facts is not None and resolved.facts.pure and not resolved.written

    return frozenset(written_in_place(fn.body, params, pure) & set(params))


# The fields of a node that hold statements (an assignment is a statement: it is
# only ever found in these lists, never inside an expression).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _assignments(fn) -> list:
    """The `Assign` statements in `fn` (nested blocks and defs included): what
    `nodes.of_class(fn, (gast.Assign,))` finds, from a walk of the statements alone
    rather than of every node (this runs once per build, over the whole function)."""
    out: list = []
    stack = [fn]
    pop, push, Assign = stack.pop, stack.extend, gast.Assign
    while stack:
        node = pop()
        if node.__class__ is Assign:
            out.append(node)
            continue
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if block.__class__ is list:
                push(block)
    return out
