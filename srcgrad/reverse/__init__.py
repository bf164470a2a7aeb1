"""Reverse mode: a forward sweep, then a backward sweep, in one function.

Assumes: ANF, resolved ops, activity. Guarantees: statements that recompute
the function (forward sweep) and then run each active statement's adjoint
template in reverse order (backward sweep), replaying every branch and loop
the forward sweep took.

Adjoints. Every version of a variable shares one adjoint name (`dx`). The
engine assigns the first contribution (`dx = e`) and adds the later ones
(`dx = dx + e`, never in place: an adjoint may alias another); after a
statement's adjoint has run, the adjoint of its result starts afresh, since
earlier statements saw an earlier version of that variable. Where branches
meet or a loop repeats, an adjoint that only some paths initialise is set to
zero on the others.

Values the backward sweep reads are kept in two ways:
- outside loops, by *version*: when the forward sweep later overwrites a
  value that an adjoint needs, the old one is kept under a saved name
  (`_x1 = x`) and the adjoint reads that;
- inside loops, by *restoring*: before a loop statement overwrites a
  variable that the loop's backward code reads, its old value is pushed on
  `_stack`; the backward sweep pops it back right after that statement's
  adjoint, so every adjoint sees the values of its own iteration. Loop trip
  counts (`_n1`) are counted, and branch conditions are ordinary variables,
  pushed when they live in a loop. Only what the backward code reads is
  pushed: a loop-invariant operand never is.

The package, in the order the phases run: `walk.py` (phase 1: versions and
each statement's adjoint items, from `adjoints.py`; user calls become split
pairs through `calls.py`), `backward.py` (phase 2: the backward sweep with
pop markers, filling the `Tape` of `tape.py`), then, once the caller has
optimized the backward sweep, `recompute.py` (cheap loop values computed
again instead of taped), `settle.py` (which markers become pops) and
`sweep.py` (phase 3: the forward sweep that saves what is popped);
`function.py` puts the sweeps together into the generated function(s).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gast

from .. import nodes
from ..errors import located
from .backward import Backward
from .recompute import recompute
from .settle import settle
from .sweep import ForwardSweep
from .tape import Restore, Tape, all_infos, maybe_unbound
from .walk import Loop, Walk


@dataclass
class Sweeps:
    forward: list | None  # written by `finish`
    backward: list  # with pop markers until `finish`
    gradients: list  # adjoint names of the wrt parameters, in order
    returned: object  # the returned atom
    finish: object = None  # finish(optimized backward) -> (forward, backward)
    tape: Tape | None = None  # what is restored, pushed and saved (settled by `finish`)
    seed_name: str = ""  # the adjoint of the returned value: the seed parameter when split
    counts: set = field(default_factory=set)  # trip counts kept off the tape: unread ones go
    unbound: set = field(default_factory=set)  # names a save may read unbound (set to None if still so)


def reverse(fn, ops: dict, act, wrt: list[str], ctx, calls, split: bool = False) -> Sweeps:
    """Build both sweeps of `fn`; `ctx` supplies names, lines, globals and the value
    facts, `calls` the split pairs of called user functions (`calls.SplitPairs`);
    `split`: the backward function takes the seed (a split pair of its own).

    The backward sweep comes back with pop markers; the caller optimizes it
    and hands it to `Sweeps.finish`, which settles what the loops tape and
    writes the forward sweep to match.
    """
    body = list(fn.body)
    ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
    if ret is None:
        raise located(ctx.source, fn, "the function has no `return` of a value",
                      "return the scalar to differentiate")
    args = fn.args
    params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
    walk = Walk(ops, act, ctx, calls, fn)
    cur = {p: 0 for p in params}
    infos = walk.block(body, cur, set(ctx.facts.mutated), None)

    backward = Backward(walk, dict(cur), ctx)
    returned = ret.value
    init: set[str] = set()
    seed: list = []
    seed_name = None
    if isinstance(returned, gast.Name) and act.is_active(returned.id):
        if split:  # the backward function takes the seed
            seed_name = ctx.names.adjoint(returned.id)
        else:
            seed = [nodes.assign(ctx.names.adjoint(returned.id), nodes.const(1.0))]
        init.add(returned.id)
    if seed_name is None:
        seed_name = ctx.names.claim("_dout")
    dense_init = [nodes.assign(ctx.names.adjoint(p), nodes.quote_expr(f"[0.0] * len({p})"))
                  for p in sorted(ctx.facts.dense)]
    init |= set(ctx.facts.dense)
    sweep, init = backward.block(infos, init)
    sweep = dense_init + sweep
    gradients = []
    tail: list = []
    for p in wrt:
        if p in ctx.facts.records:  # assembled from its fields' adjoints: {"W1": dW1, ...}
            fields = [(k, f) for k, f in ctx.facts.records[p].items() if f in init]
            if fields:
                display = gast.Dict(keys=[nodes.const(k) for k, _ in fields],
                                    values=[nodes.name(ctx.names.adjoint(f)) for _, f in fields])
                if not all(isinstance(k, str) for k, _ in fields):  # a list or tuple: by position
                    display = nodes.quote_expr(f"{ctx.rename_global('record_adjoint')}(p, e)",
                                               p=p, e=display)
                tail.append(nodes.assign(ctx.names.adjoint(p), display))
                init.add(p)
        if p not in init:
            tail.append(backward.zero(p, {p: 0}))
        gradients.append(ctx.names.adjoint(p))

    def finish(optimized: list, recompute_loops: bool = True):
        if recompute_loops:  # an optimisation: off in the unoptimised build
            recompute(optimized, infos, backward, fn, ops)
        settled = settle(backward, optimized)
        forward_pass = ForwardSweep(backward, walk, ctx)
        forward = forward_pass.block(infos)
        entry = list(forward_pass.saves_at.get(None, []))
        unbound = set(forward_pass.maybe_unbound) - set(params)
        if backward.tape.stack is not None:
            entry.insert(0, nodes.assign(backward.tape.stack, nodes.quote_expr("[]")))
        unbound |= set(maybe_unbound(backward.tape.pushed, infos, params))
        sweeps.unbound = unbound  # set to None up front where the finished code still reads them unbound
        if not split:  # a joint gradient: the function must return one number
            forward.append(nodes.expr_stmt(nodes.quote_expr(
                f"{ctx.rename_global('require_scalar')}(r)", r=returned)))
        sweeps.counts = {info.counter for info in all_infos(infos) if isinstance(info, Loop)
                         and info.bound is None and Restore("counter", info.key) not in backward.tape.pushed}
        return entry + forward, settled

    sweeps = Sweeps(None, seed + sweep + tail, gradients, returned, finish, backward.tape, seed_name)
    return sweeps
