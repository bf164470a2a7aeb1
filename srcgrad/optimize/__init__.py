"""Optimizations of a generated derivative.

`optimize` runs the backward-sweep passes to a fixed point: each is
`pass(statements, ...) -> (statements, changed)`, and the loop stops when no
pass changed anything. `whole_function` then runs, once, the passes that
need both sweeps of a joint derivative (they may change the forward sweep
too), and `free_early` adds the `del`s last.
"""
from __future__ import annotations

import gast

from .copies import propagate
from .cse import common_subexpressions
from .dce import eliminate_dead
from .inplace import accumulate_top_level
from ..analysis.kinds import static_scalars, top_level_defs, value_kinds
from .release import release
from .sameshape import settle_shapes
from .scalars import elide_unbroadcast
from .seeds import scalar_seeds
from ..analysis.shapes import Shapes, assigned_once
from .valueonly import drop_value_only


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


def whole_function(forward: list, backward: list, params: dict, scalars: set[str], callee,
                   helper_names: dict, rerun, value_needed: bool, optimized_yet: bool = True):
    """Passes that see both sweeps of a joint derivative, in order: CSE of the
    forward sweep, scalar seeds, what static shapes settle (each followed by
    `rerun(backward)`, the backward fixed point again), dropping value-only
    forward statements under `grad`, in-place accumulation at the top level.
    `params` maps each parameter to its argument kind. Returns both sweeps and
    the value kinds found (for `free_early`). Unless `optimized_yet`, the
    backward fixed point runs here at least once (a derivative without loops
    has no tape to settle, and needs it only once)."""
    def facts():
        return _facts(forward + backward, params, scalars, callee)

    shapes, kinds = facts()
    forward, backward, changed = common_subexpressions(forward, backward, params, shapes, kinds)
    if changed:
        shapes, kinds = facts()
    seeded: set = set()
    if "unreduce" in helper_names:
        backward, seeded = scalar_seeds(backward, shapes, _reps(forward, params, shapes),
                                        helper_names["unreduce"])
    # The lazy seeds hold numbers now; every other name keeps its shape.
    shapes.leaves.update((name, frozenset()) for name in seeded)
    # Settling shapes exposes copies, and propagating them can expose more to settle:
    # two rounds catch what the workloads show.
    for _ in range(2):
        backward, settled = settle_shapes(backward, shapes, _reps(forward, params, shapes),
                                          top_level_defs(forward + backward, shapes.single))
        if not (settled or seeded or not optimized_yet):
            break
        backward = rerun(backward)
        optimized_yet = True
        shapes, kinds = facts()
        seeded = set()
    if not value_needed and "require_scalar" in helper_names:
        forward = drop_value_only(forward, backward, shapes, kinds, helper_names["require_scalar"])
    backward = accumulate_top_level(backward, shapes)
    return forward, backward, kinds


def _reps(forward, params, shapes) -> dict:
    """{leaf set: the first name bound to a value of that shape before the backward sweep}."""
    reps: dict = {}
    for name in list(params) + [s.targets[0].id for s in forward if isinstance(s, gast.Assign)
                                and isinstance(s.targets[0], gast.Name)]:
        if name in shapes.single and shapes.leaves.get(name) is not None:
            reps.setdefault(shapes.leaves[name], name)
    return reps


def _facts(body: list, params: dict, scalars: set[str], callee):
    """(shapes, kinds) of a function body; values of shape () by construction
    (numbers, full reductions) have no leaves."""
    single = assigned_once(body, params)
    kinds = value_kinds(body, params, scalars, callee, single)
    known = static_scalars(top_level_defs(body, single), kinds, callee)
    return Shapes(body, list(params), callee, scalars | known, single), kinds


def free_early(body: list, kinds: dict, keep: set[str]) -> list:
    """`del` each NumPy temporary after its last use (see `release`).

    `kinds` are `whole_function`'s: the passes after it only drop statements
    and turn `x = x + e` into `x += e`, which changes no name's kind.
    """
    return release(body, kinds, keep)
