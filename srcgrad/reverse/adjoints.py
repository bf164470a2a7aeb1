"""What one statement contributes to the backward sweep: its adjoint items.

A statement's adjoint is a list of `templates.Local` temporaries and
`templates.Contribution`s to its operands' adjoints: from its rule template,
a copy, a user rule (defvjp), or a located error when it has no derivative.
"""
from __future__ import annotations

import operator

import gast

from .. import nodes, templates
from ..analysis.resolve import Op
from ..errors import located
from ..rules import registry


def adjoint_items(stmt, op: Op, act, ctx, reads: set | None = None) -> list:
    """The adjoint items of `stmt` (see the module); `reads`, if a set, gets every
    identifier their values load (`nodes.loaded_names` of them)."""
    if reads is None:
        return _adjoint_items(stmt, op, act, ctx, None)
    noted: set = set()
    items = _adjoint_items(stmt, op, act, ctx, noted)
    if items and not noted:  # not a template's copies: what their values read is looked up
        noted = nodes.loaded_names([item.value for item in items])
    reads |= noted
    return items


def _adjoint_items(stmt, op: Op, act, ctx, reads: set | None) -> list:
    """`adjoint_items`; `reads` is filled by a template's instantiation only."""
    z = stmt.targets[0].id
    if op.kind == "copy":
        source = stmt.value
        if not (isinstance(source, gast.Name) and ctx.is_local(source.id)):
            return []  # a constant or a global: nothing to pass the gradient to
        return [templates.Contribution(source.id, nodes.name(ctx.names.adjoint(z)))]
    if op.kind in ("zero", "setitem"):
        return []  # a zero-gradient operation: nothing flows back
    if op.kind == "badcall":
        raise located(ctx.source, stmt, op.label, op.hint)
    if op.kind == "rule" and op.rule.mode != "reverse":
        raise located(ctx.source, stmt, f"{op.label} has a forward-mode rule only",
                      "use forward mode (jvp) for this function")
    field = record_field(stmt, op, ctx)
    if field is not None:  # z = params["W1"]: straight into that field's own adjoint
        return [templates.Contribution(field, nodes.name(ctx.names.adjoint(z)))]
    dense = dense_entry(stmt, op, ctx)
    if dense is not None:  # z = x[i] of a list of numbers: dx[i] = dx[i] + dz
        adj, index = dense
        target = gast.Subscript(value=nodes.name(adj), slice=nodes.loaded(index), ctx=gast.Load())
        return [templates.Local(f"{adj}[]", nodes.binop(target, "+", nodes.name(ctx.names.adjoint(z))))]
    if op.kind == "rule":
        refuse(stmt, op, "reverse", ctx)

        def adjoint_of(var):
            return ctx.names.adjoint(var) if act.is_active(var) else None

        return templates.instantiate(op.rule.template, op.bindings, adjoint_of,
                                     ctx.rename_global, ctx.names.fresh, reads)
    if op.kind == "custom":
        return custom_vjp_items(stmt, op, act, ctx)
    if op.kind == "opaque" and op.label in ("Tuple", "List"):
        raise located(ctx.source, stmt, "a tuple or list of values being differentiated "
                      "is not supported yet",
                      "keep the values in separate variables, or build an array with "
                      "numpy.array or numpy.stack")
    if op.kind == "opaque":
        raise located(ctx.source, stmt, f"a `{op.label}` expression over values being "
                      "differentiated has no derivative",
                      "use numpy.where(condition, a, b) to choose between values")
    raise located(ctx.source, stmt, f"{op.label} has no derivative rule",
                  "register one with srcgrad.defvjp, or wrap the value in "
                  "srcgrad.stop_gradient(...) if it should carry no gradient")


def refuse(stmt, op: Op, mode: str, ctx) -> None:
    """Raise the located error for a literal argument the rule declared it cannot differentiate."""
    refused = registry.refusal(op.callee if op.callee is not None else op.rule.primitive, op.bindings, mode)
    if refused is None and op.callee is not None:
        refused = registry.refusal(op.rule.primitive, op.bindings, mode)
    if refused is not None:
        argument, what = refused
        raise located(ctx.source, stmt, f"{op.label}(..., {argument}) has no derivative rule",
                      f"the rule supports {what}")


def record_field(stmt, op: Op, ctx):
    """The field name (`params['W1']`) when `stmt` reads a record parameter by a constant key."""
    if op.kind != "rule" or op.callee is not operator.getitem:
        return None
    record, key = op.bindings.get("a"), op.bindings.get("index")
    if not (isinstance(record, gast.Name) and isinstance(key, gast.Constant)):
        return None
    fields = ctx.facts.records.get(record.id)
    return None if fields is None else fields.get(key.value)


def dense_entry(stmt, op: Op, ctx):
    """(adjoint list, index) when `stmt` reads an entry of a dense-adjoint parameter."""
    if op.kind != "rule" or op.callee is not operator.getitem:
        return None
    source, index = op.bindings.get("a"), op.bindings.get("index")
    if not isinstance(source, gast.Name) or source.id not in ctx.facts.dense:
        return None
    return ctx.names.adjoint(source.id), index


def custom_vjp_items(stmt, op, act, ctx) -> list:
    """`_g = my_op_vjp(dz, z, *args)`; each active argument takes its entry (None: zero)."""
    rule = registry.user_vjp(op.callee)
    if rule is None:
        raise located(ctx.source, stmt, f"{op.label} has a defjvp rule but no defvjp rule",
                      "register its reverse rule with srcgrad.defvjp")
    z = stmt.targets[0].id
    name = ctx.helper(rule, getattr(rule, "__name__", "vjp_rule"))
    grads = ctx.names.fresh("g")
    args = [op.bindings[i] for i in range(len(op.bindings))]
    call = gast.Call(func=nodes.name(name), args=[nodes.name(ctx.names.adjoint(z)), nodes.name(z)]
                     + [nodes.loaded(a) for a in args], keywords=[])
    normalized = nodes.quote_expr(f"{ctx.rename_global('rule_gradients')}(c, a, {name!r}, {_rule_params(rule)!r})",
                                  c=call, a=nodes.tuple_of([nodes.loaded(a) for a in args]))
    items = [templates.Local(grads, normalized)]

    def adjoint_of(var):
        return ctx.names.adjoint(var) if act.is_active(var) else None

    for i, arg in enumerate(args):
        part = nodes.quote_expr(f"{ctx.rename_global('fill_grad')}({grads}[{i}], a)", a=nodes.loaded(arg))
        items.extend(templates.contributions(arg, part, adjoint_of, ctx.names.fresh))
    return items


def _rule_params(rule) -> tuple:
    """The names of a defvjp rule's parameters after (g, ans): its arguments' names."""
    import inspect

    try:
        params = list(inspect.signature(rule).parameters.values())
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in params[2:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def local_reads(items, ctx) -> set[str]:
    """The local names the values of `items` read (one walk of them all)."""
    return {n for n in nodes.loaded_names([item.value for item in items]) if ctx.is_local(n)}

