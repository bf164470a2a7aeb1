"""Which parameters a function may write into, for the API's copies.

The original function may change its caller's arrays (`a[0] = ...`, a helper
that does, `np.copyto(a, ...)`); its derivative does the same to the primal
arguments, and forward mode does it to the tangents too. `jvp` and
`jacobian` copy an argument only when this says it may be written, so that
a derivative never changes the caller's values beyond what the function
itself does. Conservative: a name written in place, handed to a call that
is not a known pure rule, or the receiver of a method that is not one,
counts as written, and so does every parameter that may share its memory.
"""
from __future__ import annotations

import gast

from . import nodes
from .aliases import alias_groups
from .resolve import statements

_PURE_KINDS = ("rule", "zero", "copy", "setitem")
_IN_PLACE_METHODS = {"sort", "fill", "resize", "put", "itemset", "partition", "setfield", "setflags",
                     "byteswap", "append", "extend", "insert", "pop", "remove", "clear", "update",
                     "setdefault", "popitem", "reverse"}


def written_params(fn, ops: dict, params: list, mutated: set) -> frozenset:
    """The parameters of `fn` (an ANF tree) whose values a call may change in place."""
    written = set(mutated)
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Expr):  # a discarded call is there for its effect
            written |= nodes.loaded_names(stmt.value)
            continue
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.value, gast.Call):
            continue
        call = stmt.value
        op = ops.get(id(stmt))
        receiver = call.func.value if isinstance(call.func, gast.Attribute) else None
        pure = op is not None and op.kind in _PURE_KINDS \
            and not any(k.arg == "out" for k in call.keywords) \
            and not (receiver is not None and call.func.attr in _IN_PLACE_METHODS)
        if not pure:
            written |= nodes.loaded_names(call)
    if not written:
        return frozenset()
    groups = alias_groups(fn.body, params)
    return frozenset(p for p in params if groups.get(p, {p}) & written)
