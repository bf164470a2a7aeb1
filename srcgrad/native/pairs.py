"""A split pair rewritten for numba: vjp's, and a called user function's in reverse mode.

`f_forward(args) -> (value, tape)` and `f_backward(dvalue, tape)` are read as
one function, the forward's body then the backward's (as numba runs them for a
pullback: `entry._split_entries`), without the tape's pack at the forward's
return and its unpack at the backward's top, and go through `lowering`'s
rewrites and checks. Then, on the pair:

- **The stack split across both.** Each list of the split is carried in the
  tape in the stack's place, and copied where the stack was.
- **Values pushed after their binding.** The split forward saves a value before
  each binding, so a loop's first save pushes `None` (a `t = None` up front),
  which numba types as optional, and the lists and the values with it. Where
  that is the same computation, the value is pushed after each binding and
  the backward reads it back from the list (`_pushed_after`).
- **The tape: what the backward reads.** Values the backward binds before it
  reads them leave the tape, and a `t = None` up front stays only where the
  forward may read t unbound.
- **No copy of the tape.** `_tape = fresh_tape(_tape)` goes: in numba each
  backward run has a tape of its own (the caller refuses a callee's pair
  that had one, see `callees.Callees.compiled`).
"""
from __future__ import annotations

import copy

import gast

from .. import nodes
from ..reverse.pushes import pushed_late
from .lowering import (_checks, _drop_dels, _is_new_stack, _located, _numpy_calls, _pop_key, _positional,
                       _push_key, _split_stack, _walk_statements)
from .unbound import typed_unbound, unchecked_unbound


def lower(forward, backward, params_kinds: dict, ctx, stack, seed=None) -> tuple:
    """Rewrite a split pair (`f_forward(args) -> (value, tape)`, `f_backward(dvalue,
    tape)`: what vjp and a callee's derivative are) in place for numba, as
    `lowering.lower` rewrites one function: the rewrites and checks run on the two bodies read as one
    (forward, then backward, as numba runs them for a pullback), the tape's pack in
    `forward`'s return and its unpack at `backward`'s top left out. Where the stack
    `stack` splits into one list per value, the tape carries each list in its place.
    (The names of the keyword-only parameters it made positional, whether it dropped
    the backward's copy of the tape.)"""
    moved = _positional(forward)
    returned = forward.body[-1]
    head = 0  # backward's prologue: `_tape = fresh_tape(_tape)`, the unpack, `copy_stack`
    while head < len(backward.body) and _reads_tape(backward.body[head], tape_name(backward), stack):
        head += 1
    prologue = backward.body[:head]
    # `_tape = fresh_tape(_tape)` (the backward restores arrays of the tape in place: a copy, so
    # that a pullback can run again) goes: in numba each backward run has a tape of its own
    copied = [s for s in prologue if isinstance(s.targets[0], gast.Name) and s.targets[0].id == tape_name(backward)]
    prologue = [s for s in prologue if s not in copied]
    marker = gast.Pass()
    merged = copy.copy(forward)
    # `t = None` up front for a value the tape may carry unbound: put back below where needed
    inits = [s for s in forward.body[:-1] if _is_none_init(s)]
    merged.body = [s for s in forward.body[:-1] if not _is_none_init(s)] + [marker] + backward.body[head:]
    _drop_dels(merged.body)
    _numpy_calls(merged, ctx)
    # loop values pushed after their assignment where that is safe, as the joint build has
    # them: no `None` pushed before a first assignment, which numba would type as optional
    merged.body = pushed_late(merged.body, stack)
    split = _split_stack(merged, stack, ctx) if stack is not None and any(
        _is_new_stack(s) and s.targets[0].id == stack for s in _walk_statements(merged.body)) else None
    late = _pushed_after(merged, marker, split, {s.targets[0].id for s in inits}) if split else {}
    _checks(merged, params_kinds, ctx, adjoints=(seed,) if seed else ())  # the seed: an adjoint, a float
    at = next(i for i, s in enumerate(merged.body) if s is marker)
    if split is not None:
        _carry_split(returned, prologue, stack, list(split.values()))
    if late:
        _untaped(returned, prologue, late)
    forward.body = merged.body[:at] + [returned]
    backward.body = merged.body[at + 1:] or [gast.Pass()]
    _live_tape(returned, prologue, backward.body)
    backward.body = prologue + backward.body
    needed = nodes.read_before_bound(forward.body, {s.targets[0].id for s in inits})
    forward.body = [s for s in inits if s.targets[0].id in needed] + forward.body
    unchecked_unbound(forward, ctx)  # (native/unbound.py)
    typed_unbound(forward, params_kinds, ctx)  # those `t = None` typed where t is a number
    return moved, bool(copied)


def tape_name(backward) -> str:
    """The tape parameter of a split pair's backward (its last)."""
    return backward.args.args[-1].id


def _pushed_after(merged, marker, split: dict, unbound: set) -> dict:
    """{t: its list} for each value t the forward pushes before assigning it, from a
    `t = None` up front (`unbound`), rewritten to push it after: numba would type the
    list, and t, as optional.

    Where t is bound only by `_stack_t.append(t); t = ...` (the push right before each
    binding), the list holds [None, a1, ..., a(m-1)] and the tape am; pushed after, it
    holds [a1, ..., am]. The backward's `t = _stack_t.pop()` (restoring t's value before
    the binding it passes) becomes `_stack_t.pop()` and, where the list still has values,
    `t = _stack_t[-1]`: the same value, but for the first binding, where t was unbound
    (None) and nothing reads it. The tape no longer carries t: the backward starts from
    the list's last value (see `_untaped`)."""
    at = next(i for i, s in enumerate(merged.body) if s is marker)
    forward, backward = merged.body[:at], merged.body[at + 1:]
    out = {}
    for key, stack in split.items():
        if key not in unbound:
            continue
        pushes = [(block, i) for block in _blocks_of(forward) for i, s in enumerate(block)
                  if _push_key(s, stack) is not None]
        binds = sum(1 for s in forward for n in gast.walk(s)
                    if isinstance(n, gast.Name) and n.id == key and isinstance(n.ctx, gast.Store))
        if not pushes or binds != len(pushes) or not all(
                _push_key(block[i], stack) == key and i + 1 < len(block) and isinstance(block[i + 1], gast.Assign)
                and len(block[i + 1].targets) == 1 and isinstance(block[i + 1].targets[0], gast.Name)
                and block[i + 1].targets[0].id == key for block, i in pushes):
            continue
        pops = [(block, i) for block in _blocks_of(backward) for i, s in enumerate(block)
                if _pop_key(s, stack) is not None]
        if not all(_pop_key(block[i], stack) == key for block, i in pops):
            continue
        for block, i in pushes:
            block[i], block[i + 1] = block[i + 1], block[i]
        for block, i in sorted(pops, key=lambda p: -p[1]):
            pop = block[i]
            block[i:i + 1] = [_located(gast.Expr(value=pop.value), pop), _peek(key, stack)]
        out[key] = stack
    return out


def _peek(name: str, stack: str):
    """`if len(stack) > 0: name = stack[-1]`."""
    return nodes.parse_stmts(f"if len({stack}) > 0:\n    {name} = {stack}[-1]")[0]


def _blocks_of(body: list):
    """`body` and every statement list inside it."""
    yield body
    for stmt in body:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                yield from _blocks_of(inner)
        for handler in getattr(stmt, "handlers", None) or ():
            yield from _blocks_of(handler.body)


def _untaped(returned, prologue: list, late: dict) -> None:
    """The tape without the values `_pushed_after` rewrote: the backward takes each from
    its list (the last value pushed) after copying the lists."""
    tape = returned.value.elts[1] if isinstance(returned.value, gast.Tuple) and len(returned.value.elts) == 2 \
        else None
    unpack = next((s for s in prologue if isinstance(getattr(s, "targets", [None])[0], gast.Tuple)), None)
    if isinstance(tape, gast.Tuple) and unpack is not None and len(tape.elts) == len(unpack.targets[0].elts):
        keep = [i for i, e in enumerate(unpack.targets[0].elts) if not (isinstance(e, gast.Name) and e.id in late)]
        tape.elts = [tape.elts[i] for i in keep]
        unpack.targets[0].elts = [unpack.targets[0].elts[i] for i in keep]
    prologue.extend(_peek(name, stack) for name, stack in late.items())


def _is_none_init(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
        and isinstance(stmt.value, gast.Constant) and stmt.value.value is None


def _live_tape(returned, prologue: list, body: list) -> None:
    """The tape without the values `body` (the backward after its prologue) binds before
    it reads them: a value popped late stays out of the tape (where a loop that never ran
    would leave it None, which numba types as optional)."""
    tape = returned.value.elts[1] if isinstance(returned.value, gast.Tuple) and len(returned.value.elts) == 2 \
        else None
    unpack = next((s for s in prologue if isinstance(getattr(s, "targets", [None])[0], gast.Tuple)), None)
    if not isinstance(tape, gast.Tuple) or unpack is None or len(unpack.targets[0].elts) != len(tape.elts) \
            or not all(isinstance(e, gast.Name) for e in tape.elts + unpack.targets[0].elts):
        return
    names = [e.id for e in unpack.targets[0].elts]
    read = {n for s in prologue if s is not unpack for n in nodes.loaded_names(s)}
    live = nodes.read_before_bound(body, set(names)) | read
    keep = [i for i, n in enumerate(names) if n in live]
    if len(keep) == len(names) or not keep:
        return
    tape.elts = [tape.elts[i] for i in keep]
    unpack.targets[0].elts = [unpack.targets[0].elts[i] for i in keep]


def _reads_tape(stmt, tape: str, stack) -> bool:
    """Whether `stmt` is one of a backward's prologue statements: `_tape = fresh_tape(_tape)`,
    `a, b, ... = _tape`, `_stack = copy_stack(_stack)`."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1):
        return False
    value = stmt.value
    if isinstance(value, gast.Name):
        return value.id == tape
    return isinstance(value, gast.Call) and len(value.args) == 1 and isinstance(value.args[0], gast.Name) \
        and value.args[0].id in (tape, stack)


def _carry_split(returned, prologue: list, stack: str, split: list) -> None:
    """The tape of a pair whose stack was split: each list in the stack's place, packed
    and unpacked, and each copied where the stack was."""
    def spread(elts):
        out = []
        for e in elts:
            out.extend([nodes.name(n) for n in split] if isinstance(e, gast.Name) and e.id == stack else [e])
        return out

    tape = returned.value.elts[1] if isinstance(returned.value, gast.Tuple) and len(returned.value.elts) == 2 \
        else None
    if isinstance(tape, gast.Tuple):
        tape.elts = spread(tape.elts)
    for i, stmt in enumerate(list(prologue)):
        target = stmt.targets[0]
        if isinstance(target, gast.Tuple):
            target.elts = [nodes.name(n.id, store=True) if isinstance(n, gast.Name) else n for n in spread(target.elts)]
        elif isinstance(target, gast.Name) and target.id == stack:  # `_stack = copy_stack(_stack)`
            call = stmt.value
            copies = [nodes.assign(n, gast.Call(func=call.func, args=[nodes.name(n)], keywords=[])) for n in split]
            at = prologue.index(stmt)
            prologue[at:at + 1] = copies
