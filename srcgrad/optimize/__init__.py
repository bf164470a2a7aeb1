"""The optimiser schedule: every pass over generated code, in order, here.

A pass has one shape: `pass_(statements, ...) -> (statements, changed)`,
where `statements` is a list of statements, or the pair `(forward,
backward)` for a pass that reads or changes both sweeps of a joint
derivative, and `changed` says whether it changed anything (in place or
not). The facts a pass reads about the code (static shapes, value kinds:
`setting.facts`) are computed from the statements it is given, again after
any pass changed them.

Reverse mode (`reverse`):

1. the backward fixed point: copy and constant propagation (`copies`),
   scalar elision (`scalars`) and dead code (`dce`) until none changes
   anything; first on the backward sweep with its pop markers (when the
   derivative has loops or is a split pair), then the tape is settled;
2. a matrix product's adjoint left for its helpers to sum (`products`);
   dead code again, and the saves nobody reads any more (`saves`); a
   product's adjoint unguarded where no selection can have zeroed it
   (`selections`), before the passes that fold the plain products;
3. for a joint derivative, the whole-function passes: CSE of the forward
   sweep (`cse`), scalar seeds (`seeds`), then what static shapes settle
   (`sameshape`) and the backward fixed point, alternately, until neither
   changes anything; value-only statements and loops (`valueonly`,
   `valueloops`, under `grad`);
   `dx += e` at the top level (`inplace`);
4. in-place accumulation into loop adjoints the loop owns (`inplace`: `+=`,
   `dx[i] += g`, `scatter_add`); shapes instead of values on the tape, and
   nothing for values or entries nothing reads (`shapetape`, joint only);
   loop-invariant number arithmetic before its loop (`hoist`, joint only).

`methods` then calls NumPy's reductions of arrays as their methods, `release`
frees NumPy temporaries in the assembled function, and the
fast path (`fastpath`) goes in front of it. Forward mode (`tangent`) runs
scalar elision and constant folding to their fixed point.

Every loop here stops at a fixed point; one that runs `ROUNDS` times without
reaching it is a bug in a pass (two passes undoing each other), reported as
`NoFixedPoint` rather than left to hang.
"""
from __future__ import annotations

import dataclasses

from .copies import fold_constants, propagate
from .cse import common_subexpressions
from .dce import eliminate_dead
from .fuse import fuse_temporaries
from .hoist import hoist_invariants
from .products import sum_in_helpers
from .raises import may_hold_numbers
from .inplace import accumulate_in_place, accumulate_top_level
from .methods import reductions_as_methods
from .release import release
from .sameshape import settle_shapes
from .saves import drop_unread_saves
from .scalars import elide_unbroadcast
from .selections import plain_products
from .seeds import scalar_seeds, spelled_seeds
from .setting import Setting, facts
from .shapetape import tape_shapes
from .squares import squares_as_products
from .literals import float_literals
from .valueloops import drop_value_loops
from .valueonly import drop_value_only, keep_shape_errors

ROUNDS = 64

__all__ = ["NoFixedPoint", "Setting", "facts", "fixed_point", "free_early", "reverse", "tangent"]


class NoFixedPoint(RuntimeError):
    """An internal error: the passes kept changing the code (a bug in srcgrad)."""


def fixed_point(statements, passes: list):
    """Run `passes` (each `statements -> (statements, changed)`) in turn until a
    whole round changes nothing; `(statements, changed at all)`."""
    changed_at_all = False
    for _ in range(ROUNDS):
        changed = False
        for pass_ in passes:
            statements, c = pass_(statements)
            changed |= c
        if not changed:
            return statements, changed_at_all
        changed_at_all = True
    raise NoFixedPoint(f"srcgrad internal error: the passes {[p.__name__ for p in passes]} "
                       f"changed the code {ROUNDS} times over; please report it")


def backward_fixed_point(backward: list, setting: Setting):
    """Copies, folding, scalar elision and dead code, until nothing changes."""
    live = set(setting.gradients)
    # Scalar elision found nothing to do, and only dead code went since. Dead code
    # elimination drops statements and changes no expression: the scalars the elision
    # learns from assignments can only be fewer, so it would find nothing again.
    settled = [False]
    # Dead code elimination ran, and nothing has changed the statements since (copies
    # found nothing, scalar elision was skipped). On statements none of which has a
    # body it would find nothing again: without loops and branches one backward pass
    # finds every dead assignment (liveness flows only through the statements kept),
    # and the comments heading nothing went with them.
    swept = [False]

    def copies(stmts):
        stmts, changed = propagate(stmts, live, setting.floats)
        settled[0] &= not changed
        swept[0] &= not changed
        return stmts, changed

    def scalars(stmts):
        if settled[0]:
            return stmts, False
        swept[0] = False  # (whether or not it says it changed anything)
        stmts, changed = elide_unbroadcast(stmts, set(setting.scalars), {setting.unbroadcast}, setting.math,
                                           setting.number_helpers, setting.arithmetic, setting.unbounded)
        settled[0] = not changed
        return stmts, changed

    def dead(stmts):
        if swept[0] and not any(hasattr(s, "body") for s in stmts):
            return stmts, False
        stmts, changed = eliminate_dead(stmts, live)
        swept[0] = True
        return stmts, changed

    return fixed_point(backward, [copies, scalars, dead])


def reverse(backward: list, settle, setting: Setting, *, loops: bool, joint: bool, value_needed: bool,
            seed: str | None = None):
    """The optimised sweeps `(forward, backward)` of a reverse-mode derivative.

    `backward` is the backward sweep with its pop markers; `settle(backward)`
    settles the tape and returns `(forward, backward, stack name or None,
    names of saved values and trip counts)`. `loops`: the derivative has a
    tape worth optimising before it is settled (a loop, or a split pair).
    `joint`: one function, both sweeps (not a split pair). `value_needed`:
    the function's value is returned or checked. `seed`: the cotangent a split pair's
    backward function is given.
    """
    if loops:
        backward, _ = backward_fixed_point(backward, setting)
    forward, backward, stack, saved = settle(backward)
    backward = _summed_in_helpers(forward, backward, setting, stack)
    backward, _ = eliminate_dead(backward, set(setting.gradients))
    (forward, backward), _ = drop_unread_saves((forward, backward), saved)
    if "selected_product" in setting.helpers:
        backward, _ = plain_products(forward, backward, setting.helpers["selected_product"], setting.callee,
                                     None if joint else seed, stack)
    if joint:
        forward, backward = _whole_function(forward, backward, setting, value_needed, optimized_yet=loops)
    if not setting.lazy:  # `numpy_buffer += dask_array` fails: Dask takes no NumPy out=
        backward, _ = accumulate_in_place(backward, setting)  # no pass after these two knows `+=`
    if joint:
        (forward, backward), _ = tape_shapes((forward, backward), stack, setting)
        if loops:
            forward, _ = hoist_invariants(forward, facts(forward + backward, setting))
    return forward, backward


def _summed_in_helpers(forward: list, backward: list, setting: Setting, stack):
    """`products` and the copies it leaves (`_dt4 = _dt6`) propagated, until an adjoint
    that now goes only to product helpers (`x @ Wx + h @ Wh`'s) is one no more."""
    for _ in range(ROUNDS):
        backward, summed = sum_in_helpers(forward, backward, setting.callee, stack)
        if not summed:
            return backward
        backward, _ = backward_fixed_point(backward, setting)
    raise NoFixedPoint("srcgrad internal error: products did not reach a fixed point; please report it")


def _whole_function(forward: list, backward: list, setting: Setting, value_needed: bool, optimized_yet: bool):
    """The passes that see both sweeps. Unless `optimized_yet`, the backward
    fixed point runs here at least once (a derivative without loops has no
    tape to settle, and needs it only once)."""
    helpers = setting.helpers
    known = facts(forward + backward, setting)
    (forward, backward), changed = common_subexpressions((forward, backward), setting.params, known)
    pending = not optimized_yet  # the backward fixed point still owes a run
    if "unreduce" in helpers:
        if changed:
            known = facts(forward + backward, setting)
        backward, seeded = scalar_seeds(backward, known, forward, setting.params, helpers["unreduce"],
                                        setting.rename_global)
        if seeded:
            setting = dataclasses.replace(setting, numbers=setting.numbers | seeded)
            changed = pending = True
    # Settling shapes exposes copies, and propagating them can expose more to settle.
    for _ in range(ROUNDS):
        if changed:
            known = facts(forward + backward, setting)
        backward, changed = settle_shapes(backward, known, forward, setting.params, setting.rename_global)
        if not (changed or pending):
            break
        backward, propagated = backward_fixed_point(backward, setting)
        changed |= propagated
        pending = False
    else:
        raise NoFixedPoint("srcgrad internal error: settling shapes did not reach a fixed point; "
                           "please report it")
    if not value_needed and "require_scalar" in helpers:
        if changed:
            known = facts(forward + backward, setting)
        forward, changed = drop_value_only(forward, backward, known, helpers["require_scalar"])
        (forward, backward), dropped = drop_value_loops((forward, backward), setting)
        if dropped:  # what only the loop read goes too
            forward, _ = drop_value_only(forward, backward, facts(forward + backward, setting),
                                         helpers["require_scalar"])
            changed = True
        if changed:
            known = facts(forward + backward, setting)
            changed = False
        if not setting.native:  # (numba has no `.dtype.kind`: the product stays there)
            # unread bindings become checks: the facts of every other name stand
            forward, _ = keep_shape_errors(forward, backward, known)
    if changed:
        known = facts(forward + backward, setting)
    if not setting.lazy:
        backward, _ = accumulate_top_level(backward, known)
    return forward, backward


def tangent(body: list, setting: Setting):
    """Forward mode's passes (tangent code sits among the user's own): scalar
    elision of `broadcast_like` (`setting.unbroadcast` names it) and constant
    folding, to their fixed point."""
    def scalars(stmts):
        return elide_unbroadcast(stmts, set(setting.scalars), {setting.unbroadcast},
                                 setting.math, setting.number_helpers, setting.arithmetic, setting.unbounded)

    def folding(stmts):
        return fold_constants(stmts, setting.floats)

    body, _ = fixed_point(body, [scalars, folding])
    return body


def free_early(body: list, setting: Setting, keep: set[str]) -> list:
    """Reductions of NumPy values as their methods, then `del` each NumPy temporary
    of the assembled function after its last use. First, temporaries read once go
    into the expression that reads them (`fuse`), the backward sweep's squares of
    Python floats become products (`squares`), and int constants beside Python
    floats floats (`literals`)."""
    body, _ = fuse_temporaries(body, setting.params, setting.callee, keep)
    if may_hold_numbers(body, setting.params, setting.callee):  # (else neither finds a Python float)
        body, _ = squares_as_products(body, setting)
        body, _ = float_literals(body, setting)
    known = facts(body, setting)
    body, _ = reductions_as_methods(body, known, setting.callee)
    body, _ = spelled_seeds(body, known, setting)
    body, _ = release(body, known, keep)
    return body
