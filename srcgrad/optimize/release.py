"""Free NumPy temporaries after their last use: `del _t1, _t4`.

    _t1 = x * 2.0                    _t1 = x * 2.0
    y = np.sin(_t1)                  y = np.sin(_t1)
    _dt1 = np.cos(_t1)         ->    _dt1 = np.cos(_t1)
    dx = _dt1 * 2.0                  del _t1
                                     dx = _dt1 * 2.0
                                     del _dt1

A derivative holds every forward temporary until it returns; on large
arrays that is memory the next operation could have reused (and, past
glibc's mmap threshold, pages the kernel must fault in again). After each
top-level statement, the NumPy values (see `kinds`) that nothing later reads
are deleted, unless their shape is () (see `shapes`). Only names bound at
the top level before that statement qualify, so a `del` never meets an
unbound name; none goes just before the `return`.
"""
from __future__ import annotations

import gast

from .. import nodes


def release(body: list, known, keep: set[str]):
    """`(body, changed)`; `known` holds the function's facts (its value kinds)."""
    kinds, leaves = known.kinds, known.shapes.leaves
    reads = [nodes.loaded_names(stmt) for stmt in body]
    last = {name: i for i, names in enumerate(reads) for name in names}  # the last read wins
    bound: set[str] = set()
    out = []
    # the last statement other than a comment or a `return` (`_ends`): no `del` from it on
    last_real = max((i for i, stmt in enumerate(body) if not _ends(stmt)), default=-1)
    for i, stmt in enumerate(body):
        out.append(stmt)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bound.add(stmt.targets[0].id)
        dead = sorted(n for n in reads[i] & bound
                      if last[n] == i and kinds.get(n) == "np" and n not in keep
                      and leaves.get(n) != frozenset())  # of shape (): a number, nothing to free
        if dead and i < last_real:
            out.append(nodes.delete(dead))
            bound -= set(dead)
    return out, len(out) != len(body)


def _ends(stmt) -> bool:
    """A comment or a `return`: where only these follow a statement (the caller appends
    the return), a `del` after it would free nothing the function still needs memory for."""
    return nodes.is_comment(stmt) or isinstance(stmt, gast.Return)
