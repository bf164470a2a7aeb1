"""The generated function(s) of reverse mode, put together from the finished sweeps.

A joint derivative is one function, `grad_f(args)`: the forward sweep, then
the backward sweep, returning the gradients (after the value for
`value_and_grad`, before the auxiliary value for `has_aux`). A split pair,
for `vjp` and for calls between user functions, is two:
`_f_forward(args) -> (value, tape)` and `_f_backward(seed, tape) ->
gradients`, whose tape holds exactly the forward values the backward reads.
"""
from __future__ import annotations

import gast

from .. import nodes
from ..emit import dedupe_comments, with_finite_checks
from ..optimize import free_early
from .pushes import pushed_late


def grad_function(tree, forward, backward, sweeps, names, ctx, options, aux, setting):
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
    tape_names = sorted(read & defined)
    top_level = set(params) | {s.targets[0].id for s in forward
                               if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
    unbound = {n for n in tape_names if n not in top_level}
    unbound |= nodes.read_before_bound(forward, set(sweeps.unbound)) if sweeps.unbound else set()
    unbound = [nodes.assign(n, _placeholder(n, ctx)) for n in sorted(unbound)]
    tape = names.claim("_tape")
    fwd = nodes.without_body(tree)
    fwd.name = names.claim(f"_{tree.name}_forward")
    fwd.returns = None
    packed = nodes.tuple_of([nodes.name(n) for n in tape_names])
    body = unbound + forward
    if debug_nans:
        body = with_finite_checks(body, ctx)
    fwd.body = dedupe_comments(body + [nodes.ret(nodes.tuple_of([sweeps.returned, packed]))])
    seed = sweeps.seed_name
    prologue = []
    if ctx.facts.mutated & set(tape_names):  # restores write into taped arrays: work on a copy
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
