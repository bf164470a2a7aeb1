"""The generated function(s) of reverse mode, put together from the finished sweeps.

A joint derivative is one function, `grad_f(args)`: the forward sweep, then
the backward sweep, returning the gradients (after the value for
`value_and_grad`, before the auxiliary value for `has_aux`). A split pair,
for `vjp` and for calls between user functions, is two:
`_f_forward(args) -> (value, tape)` and `_f_backward(seed, tape) ->
gradients`, whose tape holds exactly the forward values the backward reads.
"""
from __future__ import annotations

import types

import gast
import numpy

from .. import nodes
from ..analysis.aliases import outer_memory
from ..analysis.statics import MISSING, value_of
from ..emit import dedupe_comments, with_finite_checks
from ..optimize import free_early
from .pushes import pushed_late


def grad_function(tree, forward, backward, sweeps, names, ctx, options, aux, setting, params=()):
    """`grad_f(args) -> gradients` (with the value first for value_and_grad, and the
    auxiliary value last for has_aux): the forward sweep, then the backward sweep."""
    grads = [nodes.name(g) for g in sweeps.gradients]
    result = grads[0] if len(grads) == 1 else nodes.tuple_of(grads)
    mutated = ctx.facts.mutated
    if options.return_value:
        returned = sweeps.returned
        if isinstance(returned, gast.Name):
            # The backward sweep may restore the returned variable (a loop pops it
            # back): keep the value as the forward sweep left it.
            kept = names.claim("_value")
            value = nodes.name(returned.id)
            if returned.id in mutated:
                value = nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}(v)", v=returned.id)
            forward.append(nodes.assign(kept, value))
            returned = nodes.name(kept)
        result = nodes.tuple_of([returned, result])
    if aux is not None:
        kept = aux
        if mutated or any(n.id == aux and isinstance(n.ctx, gast.Store)
                          for s in backward for n in nodes.name_nodes(s)):
            # The backward sweep restores what the function wrote in place (aux may
            # hold it), or rebinds aux: keep aux as the forward sweep left it.
            kept = names.claim("_aux_kept")
            value = nodes.name(aux)
            if mutated:
                value = nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}(v)", v=aux)
            forward.append(nodes.assign(kept, value))
        result = nodes.tuple_of([result, nodes.name(kept)])
    forward, backward = _put_back(forward, backward, params, names, ctx)
    out = nodes.without_body(tree)
    out.name = names.claim(("value_and_grad_" if options.return_value else "grad_") + tree.name)
    for stmt in backward:  # where the fast path's `try` starts (optimize/fastpath.py)
        nodes.note(stmt, sweep="backward")
    body = with_inits(pushed_late(forward + backward, sweeps.tape.stack), sweeps, ctx)
    if options.debug_nans:
        body = with_finite_checks(body, ctx)
    elif options.optimize:
        body = free_early(body, setting, set(sweeps.gradients) | nodes.loaded_names(result))
    out.body = dedupe_comments(body + [nodes.ret(result)])
    out.returns = None
    return out


def split_pair(tree, forward, backward, sweeps, params, names, ctx, debug_nans: bool) -> list:
    """`f_forward(args) -> (value, tape)` and `f_backward(dvalue, tape) -> gradients`.

    The tape holds exactly the forward values the backward code reads. The
    backward works on a copy of the stack, so it can run more than once.
    """
    grads = [nodes.name(g) for g in sweeps.gradients]
    defined = set(params) | {n.id for n in nodes.name_nodes(forward) if isinstance(n.ctx, gast.Store)}
    read = nodes.loaded_names(backward)
    outer = outer_restores(forward, backward, params, ctx)
    tape_names = sorted(read & (defined | set(outer)))
    top_level = set(params) | {s.targets[0].id for s in forward
                               if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
    unbound = {n for n in tape_names if n not in top_level and n not in outer}
    unbound |= nodes.read_before_bound(forward, set(sweeps.unbound)) if sweeps.unbound else set()
    unbound = [nodes.assign(n, _placeholder(n, ctx)) for n in sorted(unbound)]
    tape = names.claim("_tape")
    fwd = nodes.without_body(tree)
    fwd.name = names.claim(f"_{tree.name}_forward")
    fwd.returns = None
    packed = nodes.tuple_of([nodes.name(n) for n in tape_names])
    if outer:  # the backward restores into the caller's memory: tape it as it is now
        packed = nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}(t)", t=packed)
    body = unbound + forward
    if debug_nans:
        body = with_finite_checks(body, ctx)
    fwd.body = dedupe_comments(body + [nodes.ret(nodes.tuple_of([sweeps.returned, packed]))])
    seed = sweeps.seed_name
    prologue = []
    if (ctx.facts.mutated | set(outer)) & set(tape_names):  # restores write into taped arrays: work on a copy
        prologue.append(nodes.assign(tape, nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}({tape})")))
    if tape_names:
        prologue.append(gast.Assign(targets=[nodes.tuple_of([nodes.name(n) for n in tape_names], store=True)],
                                    value=nodes.name(tape), type_comment=None))
    stack = sweeps.tape.stack
    if stack is not None and stack in tape_names:
        prologue.append(nodes.assign(stack, nodes.quote_expr(f"{ctx.rename_global('copy_stack')}({stack})")))
    body = prologue + backward
    if debug_nans:
        body = with_finite_checks(body, ctx)
    bwd = nodes.function(names.claim(f"_{tree.name}_backward"), [seed, tape],
                         dedupe_comments(body + [nodes.ret(nodes.tuple_of(grads))]))
    return [fwd, bwd]




def outer_restores(forward: list, backward: list, params, ctx) -> list[str]:
    """The names the backward sweep restores entries of (`x[i] = _stack.pop()`,
    `restore_entry(d, k, old)`, `lst.pop()`) that may hold memory the caller keeps and
    did not pass: a global or closure array (`TRAJ[i + 1] = ...`), a local bound to
    one or to an attribute (`t = self.traj`; `aliases.outer_memory`). Calling the
    function leaves such an array written, so the derivative must too (an argument,
    which the caller passed, is left as it was, as documented)."""
    mutated = ctx.facts.mutated
    if not mutated:
        return []
    restored = set()
    for stmt in nodes.walk_statements(backward):
        cls = stmt.__class__
        if cls is gast.Assign and stmt.targets[0].__class__ is gast.Subscript:
            target = stmt.targets[0].value
            if target.__class__ is gast.Name and target.id in mutated:
                restored.add(target.id)
        elif cls is gast.Expr and stmt.value.__class__ is gast.Call:  # lst.pop(), restore_entry(d, ...)
            call = stmt.value
            held = call.func.value if call.func.__class__ is gast.Attribute else (call.args or [None])[0]
            if held.__class__ is gast.Name and held.id in mutated:
                restored.add(held.id)
    if not restored:
        return []
    namespace = ctx.parsed.namespace

    def data(name):  # a global or closure name holding what a method may view
        value = value_of(nodes.name(name), namespace, ctx.is_local)
        return value is not MISSING and not isinstance(value, types.ModuleType)

    return sorted(restored & outer_memory(forward, params, data))


def _put_back(forward: list, backward: list, params, names, ctx) -> tuple[list, list]:
    """The sweeps of a joint derivative that leave each value of `outer_restores` as
    the function leaves it: the forward sweep ends by copying it,
    `_TRAJ2 = copy_slice(TRAJ, ...)`, and the backward sweep, which restores its
    entries one by one (earlier adjoints read it as it was), ends by putting that
    copy back, `TRAJ[...] = _TRAJ2` (a list's `[:]`; a dict's entries one by one,
    `restore_entry`, where the restores' keys are constants, else `update`). Only
    for a value whose type is known when the derivative is built (`_held_type`):
    a global's or closure's, or a local's bound once, at the top level, to an
    attribute or global or a part of one; another is left as before."""
    outer = outer_restores(forward, backward, params, ctx)
    if not outer:
        return forward, backward
    namespace = ctx.parsed.namespace
    bound = {}  # a local -> the value of its one binding, at the top level (so run once)
    for stmt in forward:  # (a compound statement's names are all bound in a loop or a branch)
        one = stmt.__class__ is gast.Assign
        for n in nodes.stored_names(stmt.targets if one else stmt):
            bound[n] = stmt.value if one and n not in bound else None
    rebound = set(nodes.stored_names(backward))  # (restored by rebinding: another array each time)
    forward, backward = list(forward), list(backward)
    copy_slice = ctx.rename_global("copy_slice")
    for name in outer:
        value = nodes.name(name) if not ctx.is_local(name) else None if name in rebound else bound.get(name)
        kind = None if value is None else _held_type(value, namespace, ctx.is_local, bound)
        if kind is numpy.ndarray:
            save, put = f"{copy_slice}(x, ...)", "x[...] = v"
        elif kind is list:
            save, put = f"{copy_slice}(x, slice(None))", "x[:] = v"
        elif kind is dict:
            keys = _restored_keys(backward, name)
            if keys is None:  # a key computed as it runs
                save, put = "dict(x)", "x.update(v)"
            else:  # each entry as it was left, or removed again: a form forward mode differentiates
                forward.append(nodes.comment(f"{name} as the function leaves it, put back after the backward sweep"))
                backward.append(nodes.comment(f"{name} as the function left it"))
                for key in keys:
                    left = names.fresh(name)
                    forward.append(nodes.assign(left, nodes.quote_expr(f"{copy_slice}(x, k)", x=name, k=key)))
                    backward.append(nodes.expr_stmt(nodes.quote_expr(
                        f"{ctx.rename_global('restore_entry')}(x, k, v)", x=name, k=nodes.clone(key), v=left)))
                continue
        else:
            continue
        left = names.fresh(name)
        forward += [nodes.comment(f"{name} as the function leaves it, put back after the backward sweep"),
                    nodes.assign(left, nodes.quote_expr(save, x=name))]
        backward += [nodes.comment(f"{name} as the function left it"), nodes.quote_stmt(put, x=name, v=left)]
    return forward, backward


_VIEW_METHODS = frozenset({"reshape", "view", "ravel", "transpose", "swapaxes", "squeeze"})


def _held_type(value, namespace, is_local, bound: dict, depth: int = 0):
    """The type of what the expression `value` holds, as far as the build can know it:
    a global's, a closure variable's or an attribute's (`self.traj`) value now; an
    array where `value` is a part or a view of one (`TRAJ[1:]`, `self.traj.T`,
    `TRAJ.reshape(2, 3)`: written into by the function, it is no NumPy scalar);
    through a local bound once at the top level (`bound`: `_t1 = self.traj; t = _t1[1]`)."""
    found = value_of(value, namespace, is_local)
    if found is not MISSING:
        return type(found)
    cls = value.__class__
    if cls is gast.Name and bound.get(value.id) is not None and depth < 50:
        return _held_type(bound[value.id], namespace, is_local, bound, depth + 1)
    if cls is gast.Subscript or cls is gast.Attribute and value.attr == "T":
        inner = value.value
    elif cls is gast.Call and value.func.__class__ is gast.Attribute and value.func.attr in _VIEW_METHODS:
        inner = value.func.value
    else:
        return None
    return numpy.ndarray if _held_type(inner, namespace, is_local, bound, depth + 1) is numpy.ndarray else None


def _restored_keys(backward: list, name: str) -> list | None:
    """The constant keys of the entries of the dict `name` the backward sweep restores
    (`restore_entry(d, 'h', old)`), each once; None when one is not a constant."""
    keys: dict = {}
    for stmt in nodes.walk_statements(backward):
        key = None
        if stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is gast.Subscript:
            target = stmt.targets[0]
            if target.value.__class__ is gast.Name and target.value.id == name:
                key = target.slice
        elif stmt.__class__ is gast.Expr and stmt.value.__class__ is gast.Call and len(stmt.value.args) == 3:
            held = stmt.value.args[0]
            if held.__class__ is gast.Name and held.id == name:
                key = stmt.value.args[1]
        if key is None:
            continue
        if key.__class__ is not gast.Constant:
            return None
        keys.setdefault((type(key.value), key.value), key)
    return list(keys.values())


def _placeholder(name: str, ctx):
    """What a name is bound to up front: None, or `runtime.UNBOUND` for a local f may
    read before binding it, which the check where f reads it tells from None."""
    return nodes.name(ctx.unbound_value) if name in ctx.maybe_unbound else nodes.const(None)


def with_inits(body: list, sweeps, ctx) -> list:
    """`body` with `name = None` up front for each name a save reads before any
    statement has surely bound it (`sweeps.unbound`: a temporary first assigned
    in a loop body is pushed before its assignment, on the first iteration).
    Decided on the finished code: the optimiser may have dropped such a save."""
    # (a local f may leave unbound on one path: a branch join's `db = zeros_like(b)` reads it)
    candidates = set(sweeps.unbound) | ctx.maybe_unbound
    needed = nodes.read_before_bound(body, candidates) if candidates else ()
    if not needed:
        return body
    at = 1 if body and sweeps.tape.stack is not None and isinstance(body[0], gast.Assign) \
        and body[0].targets[0].__class__ is gast.Name and body[0].targets[0].id == sweeps.tape.stack else 0
    return body[:at] + [nodes.assign(n, _placeholder(n, ctx)) for n in sorted(needed)] + body[at:]
