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


def written_params(fn, ops: dict, params: list) -> frozenset:
    """The parameters of `fn` (an ANF tree) whose values a call may change in place."""
    by_value = {id(s.value): op for s in nodes.walk(fn)
                if isinstance(s, gast.Assign) and (op := ops.get(id(s))) is not None}

    def pure(call) -> bool:
        op = by_value.get(id(call))
        return op is not None and op.kind == "rule" and not any(k.arg == "out" for k in call.keywords)

    return frozenset(written_in_place(fn.body, params, pure) & set(params))
