"""Saves nobody reads: the forward sweep's part of dead code.

    _y1 = y                      (gone)
    y = y * 2.0            ->    y = y * 2.0
    _y2 = y                      _y2 = y
    y = np.sin(y)                y = np.sin(y)
    (backward: `y = _y2`; no read of _y1 is left)

Saved values (`_x1 = x`) and loop trip counts (`_n1 = _n1 + 1`) exist only
for the backward sweep; where the clean-up after settling the tape removed
what read them, they go too.
"""
from __future__ import annotations

import gast

from .. import nodes


def drop_unread_saves(sweeps: tuple, saved: set[str]):
    """`((forward, backward), changed)`: assignments to names in `saved` that the
    backward sweep does not read are dropped from the forward sweep."""
    forward, backward = sweeps
    if not saved:  # (a derivative without a tape saves nothing: no walk of the backward sweep)
        return (forward, backward), False
    unread = saved - nodes.loaded_names(backward)
    if not unread:
        return (forward, backward), False
    changed = False

    def drop(stmts: list) -> list:
        nonlocal changed
        out = []
        for s in stmts:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in unread:
                changed = True
                continue
            nodes.map_blocks(s, drop)
            out.append(s)
        return out or [gast.Pass()]

    return (drop(forward), backward), changed
