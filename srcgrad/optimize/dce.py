"""Dead-code elimination on the backward sweep.

An assignment whose target is not read later (before it is assigned again)
and is not live at the end is removed. Backward-sweep statements are
template code: pure, so removal is always safe.
"""
from __future__ import annotations

import gast

from .. import nodes


def eliminate_dead(stmts: list, live_out: set[str]):
    live = set(live_out)
    kept: list = []
    changed = False
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            target = stmt.targets[0].id
            if target not in live:
                changed = True
                continue
            live.discard(target)
            live |= nodes.loaded_names(stmt.value)
        elif not nodes.is_comment(stmt):
            live |= nodes.loaded_names(stmt)
        kept.append(stmt)
    kept.reverse()
    return _drop_empty_comments(kept), changed


def _drop_empty_comments(stmts: list) -> list:
    """A line comment followed by nothing of its own goes too."""
    out: list = []
    for i, stmt in enumerate(stmts):
        if nodes.is_comment(stmt) and (i + 1 == len(stmts) or nodes.is_comment(stmts[i + 1])):
            continue
        out.append(stmt)
    return out
