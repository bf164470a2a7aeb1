"""Free NumPy temporaries after their last use: `del _t1, _t4`.

A derivative holds every forward temporary until it returns; on large
arrays that is memory the next operation could have reused (and, past
glibc's mmap threshold, pages the kernel must fault in again). After each
top-level statement, the NumPy values (see `kinds`) that nothing later reads
are deleted. Only names bound at the top level before that statement qualify,
so a `del` never meets an unbound name.
"""
from __future__ import annotations

import gast

from .. import nodes


def release(body: list, kinds: dict, keep: set[str]) -> list:
    reads = [nodes.loaded_names(stmt) for stmt in body]
    last = {name: i for i, names in enumerate(reads) for name in names}  # the last read wins
    bound: set[str] = set()
    out = []
    for i, stmt in enumerate(body):
        out.append(stmt)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bound.add(stmt.targets[0].id)
        if nodes.is_comment(stmt):
            continue
        dead = sorted(n for n in reads[i] & bound
                      if last[n] == i and kinds.get(n) == "np" and n not in keep)
        if dead:
            out.append(nodes.delete(dead))
            bound -= set(dead)
    return out
