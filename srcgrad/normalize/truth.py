"""Tests of lazy values decided once: `if _t2:` becomes `_c1 = bool(_t2)`, `if _c1:`.

With Dask data a test such as `np.sum(z) > 0` is a lazy array, and `if` on it
computes it (Python needs a bool). The backward sweep replays the branches the
forward sweep took by testing the same names again; a lazy test would compute
there a second time. Built for lazy arguments only (Options.lazy), after `anf`:
each `if` on a name tests a Python bool made once, right before it.
"""
from __future__ import annotations

import gast

from .. import nodes


def tests_decided_once(fn, names):
    """Rewrite `fn`'s (ANF) `if` statements in place; see the module docstring."""
    fn.body = _block(fn.body, names)
    return fn


def _block(body: list, names) -> list:
    out = []
    for stmt in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _block(getattr(stmt, field), names))
        if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name):
            decided = names.fresh("c")
            made = nodes.stamp(gast.Assign(targets=[nodes.name(decided, store=True)], type_comment=None,
                                           value=nodes.quote_expr("bool(v)", v=stmt.test)), stmt.lineno)
            out.append(made)
            stmt.test = nodes.name(decided)
        out.append(stmt)
    return out
