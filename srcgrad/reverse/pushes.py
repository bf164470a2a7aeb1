"""A loop's temporaries pushed after their assignment, so none starts as None.

The tape saves a value before a statement overwrites it, and the backward
sweep restores it after that statement's adjoint. For a temporary first
assigned in the loop body, the first save finds it unbound, which took a
`_t4 = None` line up front. When the joint gradient has one forward loop that
pushes and one backward loop that pops, the value of such a temporary is
pushed instead at the end of the iteration that computed it, and popped at
the start of the backward iteration that reads it:

    _stack.append(_t4)            _t4 = xs[i]
    _t4 = xs[i]             ->    ...
    ...                           _stack.append(_t4)       (end of the body)

    ...reads _t4...               _t4 = _stack.pop()       (start of the body)
    _t4 = _stack.pop()      ->    ...reads _t4...

The stack stays last in, first out: each iteration's moved pushes are its
last, and their pops the backward iteration's first, in reverse order. A
value moves only when that is the same computation: the temporary is bound
once, unconditionally, in the loop body and read there only after that; the
backward body reads what the pop binds only before the old pop (the value of
this iteration, which it now holds from the start), binds it nowhere else,
and nothing after the backward loop reads it. Branches that push (and their
mirrors that pop, under the same condition) stay where they are: the moved
values go after their pushes and before their pops (a branch condition
computed at the top of the body, `_t3 = _t2 > 2.0`, moves). Where each loop holds one
nested loop that pushes (pops), and nothing else in a nested block does, the
nested pair's own temporaries move the same way, inside it (those no
statement outside the two nested loops names), and the outer loops' own move
around it: what a nested loop pushes in one iteration it pops in the matching
backward iteration. An exit, a second pushing loop or a deeper nesting
leaves the loops as they are.
"""
from __future__ import annotations

import gast

from .. import nodes


def pushed_late(body: list, stack: str | None) -> list:
    """`body` (a joint gradient's statements) with loop temporaries pushed after
    their assignment where that is safe (see the module docstring)."""
    if stack is None:
        return body
    users = [i for i, s in enumerate(body) if stack in nodes.names_in(s)]
    loops = [i for i in users if isinstance(body[i], (gast.For, gast.While))]
    others = [i for i in users if i not in loops]
    if len(loops) != 2 or not all(_creates(body[i], stack) for i in others):
        return body
    f_at, b_at = loops
    forward, backward = body[f_at], body[b_at]
    if _exits(forward):
        return body
    skip = None  # where the blocks nested in each are (their pushes and pops balance within them)
    if not (_flat(forward.body, stack) and _flat(backward.body, stack)):
        skip = _branches(forward, backward, stack)
        if skip is None:
            at = _inner(forward, backward, stack)
            if at is None:
                return body
            forward, backward = _nested(forward, backward, stack, body, at)
            skip = ({at[0]}, {at[1]})
    after = body[b_at + 1:]
    moved = _moved(forward, backward, stack, lambda p, t: _movable(forward.body, p, t, body[:f_at]),
                   lambda q, v: _pop_movable(backward.body, q, v, after), skip)
    if moved is None:
        return body[:f_at] + [forward] + body[f_at + 1:b_at] + [backward] + after
    forward, backward, popped = moved
    between = _without_dead_inits(body[f_at + 1:b_at], popped)
    return body[:f_at] + [forward] + between + [backward] + after


def _moved(forward, backward, stack: str, movable, pop_movable, skip=None):
    """(forward, backward, the names moved): copies of the loops `forward` (pushing at
    its top level only) and `backward` (popping at its top level only) with each push
    that `movable(p, t)` and `pop_movable(q, v)` allow moved to the end of the forward
    body and its pop to the start of the backward body; None when nothing moves.
    `skip`: the positions of the blocks nested in the forward and the backward loop
    whose own pushes and pops pair up inside them (two sets)."""
    inner_f, inner_b = skip if skip is not None else ((), ())
    pushes = [i for i, s in enumerate(forward.body) if _push_of(s, stack) is not None]
    if any(stack in nodes.loaded_names(s) for i, s in enumerate(forward.body)
           if i not in pushes and i not in inner_f):
        return None  # a use of the stack other than a push
    pops = [i for i, s in enumerate(backward.body) if _pop_target(s, stack) is not None]
    if any(stack in nodes.loaded_names(s) for i, s in enumerate(backward.body)
           if i not in pops and i not in inner_b):
        return None
    if len(pushes) != len(pops) or not pushes:
        return None
    moved = []
    for j, p in enumerate(pushes):
        q = pops[len(pops) - 1 - j]
        t = _push_of(forward.body[p], stack)
        v = _pop_target(backward.body[q], stack)
        if t and movable(p, t) and pop_movable(q, v):
            moved.append((p, q, v))
    if not moved:
        return None
    forward, backward = nodes.clone(forward), nodes.clone(backward)
    late = [forward.body[p] for p, _, _ in moved]
    early = [backward.body[q] for _, q, _ in sorted(moved, key=lambda m: m[1])]
    drop_f = {p for p, _, _ in moved}
    drop_b = {q for _, q, _ in moved}
    forward.body = [s for i, s in enumerate(forward.body) if i not in drop_f] \
        + [nodes.comment("this iteration's values, for the backward sweep")] + late
    backward.body = [nodes.comment("the values this iteration saved")] + early \
        + [s for i, s in enumerate(backward.body) if i not in drop_b]
    return forward, backward, {v for _, _, v in moved}


def _inner(forward, backward, stack: str):
    """(position in `forward.body`, in `backward.body`) of the one loop nested in each
    that touches the stack, itself flat, beside top-level pushes (pops); else None."""
    inner_f = [i for i, s in enumerate(forward.body) if stack in nodes.names_in(s)
               and _push_of(s, stack) is None]
    inner_b = [i for i, s in enumerate(backward.body) if stack in nodes.names_in(s)
               and _pop_target(s, stack) is None]
    if len(inner_f) != 1 or len(inner_b) != 1:
        return None
    f_loop, b_loop = forward.body[inner_f[0]], backward.body[inner_b[0]]
    if not (isinstance(f_loop, (gast.For, gast.While)) and isinstance(b_loop, (gast.For, gast.While))
            and not f_loop.orelse and not b_loop.orelse
            and _flat(f_loop.body, stack) and _flat(b_loop.body, stack)):
        return None
    return inner_f[0], inner_b[0]


def _branches(forward, backward, stack: str):
    """(positions in `forward.body`, in `backward.body`) of the branches that touch
    the stack, when only branches do (their pushes and pops, the backward sweep's
    mirror of the forward's, balance within them: the pops of a branch run under
    the condition its pushes ran under); else None."""
    found = []
    for loop in (forward, backward):
        nested = [i for i, s in enumerate(loop.body) if isinstance(s, (gast.If, gast.For, gast.While, gast.With,
                                                                       gast.Try)) and stack in nodes.names_in(s)]
        if not all(isinstance(loop.body[i], gast.If) and not any(
                isinstance(n, (gast.For, gast.While, gast.With, gast.Try)) for n in nodes.walk(loop.body[i]))
                for i in nested):
            return None
        found.append(set(nested))
    return tuple(found) if len(found[0]) == len(found[1]) else None


def _nested(forward, backward, stack: str, body: list, at: tuple):
    """The loops `forward` and `backward` with the temporaries of the loops nested in
    them (at positions `at`) pushed late inside those: the ones no statement of `body`
    outside the two nested loops names (what the outer loops do between inner
    iterations cannot see them)."""
    f_loop, b_loop = forward.body[at[0]], backward.body[at[1]]
    elsewhere = set().union(*(nodes.names_in(s) for s in body if s is not forward and s is not backward),
                            *(nodes.names_in(s) for k, s in enumerate(forward.body) if k != at[0]),
                            *(nodes.names_in(s) for k, s in enumerate(backward.body) if k != at[1]),
                            nodes.names_in(f_loop.target) if isinstance(f_loop, gast.For) else set(),
                            nodes.names_in(f_loop.iter if isinstance(f_loop, gast.For) else f_loop.test),
                            nodes.names_in(b_loop.target) if isinstance(b_loop, gast.For) else set(),
                            nodes.names_in(b_loop.iter if isinstance(b_loop, gast.For) else b_loop.test))
    moved = _moved(f_loop, b_loop, stack,
                   lambda p, t: t not in elsewhere and _movable(f_loop.body, p, t, []),
                   lambda q, v: v not in elsewhere and _pop_movable(b_loop.body, q, v, []),
                   _branches(f_loop, b_loop, stack))
    if moved is None:
        return forward, backward
    forward, backward = nodes.clone(forward), nodes.clone(backward)
    forward.body[at[0]], backward.body[at[1]], _ = moved
    return forward, backward


def _creates(stmt, stack: str) -> bool:
    """`_stack = []`."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
        and stmt.targets[0].id == stack and stack not in nodes.loaded_names(stmt.value)


def _flat(stmts: list, stack: str) -> bool:
    """No nested block of `stmts` touches the stack."""
    return not any(isinstance(s, (gast.If, gast.For, gast.While, gast.With, gast.Try))
                   and stack in nodes.names_in(s) for s in stmts)


def _exits(loop) -> bool:
    return any(isinstance(n, (gast.Break, gast.Continue, gast.Return)) for n in nodes.walk(loop))


def _push_of(stmt, stack: str):
    """`t` of `_stack.append(t)` or `_stack.append(shape_of(t))`, "" for another push,
    else None."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
            and call.func.value.id == stack and len(call.args) == 1 and not call.keywords):
        return None
    arg = call.args[0]
    if isinstance(arg, gast.Call) and isinstance(arg.func, gast.Name) and arg.func.id.startswith("shape_of") \
            and len(arg.args) == 1 and not arg.keywords:
        arg = arg.args[0]
    return arg.id if isinstance(arg, gast.Name) else ""


def _pop_target(stmt, stack: str):
    """`v` of `v = _stack.pop()` (or "" for another use of a pop), else None."""
    value = getattr(stmt, "value", None)
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
            and value.func.attr == "pop" and isinstance(value.func.value, gast.Name)
            and value.func.value.id == stack):
        return None
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return ""


def _stores(stmt) -> set:
    return {n.id for n in nodes.name_nodes(stmt) if isinstance(n.ctx, gast.Store)}


def _movable(stmts: list, p: int, t: str, before: list) -> bool:
    """`t` is bound once in the loop body, after its push at `p`, at the top level,
    read only after that binding, and bound nowhere before the loop."""
    binds = [i for i, s in enumerate(stmts) if t in _stores(s)]
    if len(binds) != 1 or binds[0] < p or isinstance(stmts[binds[0]], (gast.If, gast.For, gast.While)):
        return False
    if any(t in nodes.loaded_names(s) for i, s in enumerate(stmts[:binds[0] + 1]) if i != p):
        return False
    return not any(t in _stores(s) for s in before)


def _pop_movable(stmts: list, q: int, v: str, after: list) -> bool:
    """What the pop at `q` binds is read in the backward body only before it, bound
    nowhere else there, and read nowhere after the backward loop."""
    if not v:
        return False
    if any(v in _stores(s) for i, s in enumerate(stmts) if i != q):
        return False
    if any(v in nodes.loaded_names(s) for s in stmts[q:]):
        return False
    return not any(v in nodes.names_in(s) for s in after)


def _without_dead_inits(stmts: list, popped: set) -> list:
    """The statements between the loops without `v = ...` for a `v` the backward
    loop now pops before reading (`_t5_shape1 = shape_of(_t5)`), if nothing reads it."""
    read = set().union(*(nodes.loaded_names(s) for s in stmts)) if stmts else set()
    return [s for s in stmts if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                                     and s.targets[0].id in popped and s.targets[0].id not in read
                                     and _pure_read(s.value))]


def _pure_read(value) -> bool:
    """A name, or `shape_of(name)`: dropping it drops no effect."""
    if isinstance(value, gast.Name):
        return True
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
        and value.func.id.startswith("shape_of") and all(isinstance(a, gast.Name) for a in value.args)
