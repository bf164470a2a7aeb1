"""Optimizations of the backward sweep, run to a fixed point.

Each pass is `pass(statements, ...) -> (statements, changed)`; the loop
stops when no pass changed anything. The forward sweep is the user's code
and is left as normalization wrote it.
"""
from __future__ import annotations

from .copies import propagate
from .dce import eliminate_dead
from .scalars import elide_unbroadcast


def optimize(backward: list, live_out: set[str], scalar_names: set[str], unbroadcast_name: str,
             math_name: str = "math", floats: frozenset = frozenset(),
             scalar_helpers: frozenset = frozenset(), keep: set = frozenset(),
             arithmetic: dict | None = None) -> list:
    """Copy/constant propagation, folding, dead code and needless unbroadcasts."""
    changed = True
    while changed:
        backward, c1 = propagate(backward, live_out, floats)
        backward, c2 = elide_unbroadcast(backward, scalar_names, {unbroadcast_name}, math_name,
                                         scalar_helpers, arithmetic)
        backward, c3 = eliminate_dead(backward, live_out, keep)
        changed = c1 or c2 or c3
    return backward
