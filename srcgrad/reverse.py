"""Reverse mode: a forward sweep, then a backward sweep, in one function.

Assumes: ANF (straight-line), resolved ops, activity. Guarantees: a list of
statements that recomputes the function (forward sweep), seeds the adjoint
of the returned value, runs each active statement's adjoint template in
reverse order (backward sweep), and returns the gradients.

Adjoints of every version of a variable share one name (`dx`). The engine
assigns the first contribution (`dx = e`) and adds later ones
(`dx = dx + e`, never in place: an adjoint may alias another); after a
statement's adjoint has run, the adjoint of its result starts afresh,
because earlier statements saw an earlier version of that variable.

When the backward sweep reads a value that the forward sweep later
overwrites, the old value is kept under a saved name (`_x1 = x`) and the
adjoint code reads that instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import gast

from . import nodes, templates
from .errors import located
from .resolve import Op

_FORWARD_ONLY_CALLS = {"print"}


@dataclass
class Sweeps:
    forward: list
    backward: list
    gradients: list  # adjoint names of the wrt parameters, in order
    returned: object  # the returned atom


class _Block:
    """One active statement's adjoint, before names are settled."""

    def __init__(self, index, stmt, items, reads):
        self.index = index
        self.stmt = stmt
        self.items = items
        self.reads = reads  # local name -> version it reads


def reverse(fn, ops: dict, act, wrt: list[str], ctx) -> Sweeps:
    """Build both sweeps of `fn`; `ctx` supplies names, lines and globals."""
    body = list(fn.body)
    ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
    if ret is None:
        raise located(ctx.source, fn, "the function has no `return` of a value",
                      "return the scalar to differentiate")
    args = fn.args
    params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
    version = {p: 0 for p in params}
    defined_at: dict = {(p, 0): -1 for p in params}
    blocks: list[_Block] = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, gast.Assign):
            z = stmt.targets[0].id
            if act.is_active(z):
                items = _adjoint_items(stmt, ops[id(stmt)], act, ctx)
                reads = {n: version.get(n, 0) for n in _local_reads(items, ctx)}
                reads[z] = version.get(z, 0) + 1
                blocks.append(_Block(i, stmt, items, reads))
            assigned = [z]
        else:
            _check_forward_only(stmt, act, ctx)
            assigned = sorted(n.id for n in gast.walk(stmt)
                              if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store))
        for n in assigned:
            version[n] = version.get(n, 0) + 1
            defined_at[(n, version[n])] = i

    saves = _settle_saved_values(blocks, version, defined_at, ctx)
    forward = _forward_sweep(body, saves, ctx)
    returned = ret.value
    if ctx.require_scalar:
        forward.append(nodes.expr_stmt(nodes.quote_expr(
            f"{ctx.rename_global('require_scalar')}(r)", r=returned)))
    backward, init = _backward_sweep(blocks, returned, act, ctx)
    gradients = []
    for p in wrt:
        dp = ctx.names.adjoint(p)
        if p not in init:
            zero = nodes.const(0.0) if p in ctx.scalar_params else nodes.quote_expr(
                f"{ctx.rename_global('zeros_like')}(p)", p=p)
            backward.append(nodes.assign(dp, zero))
        gradients.append(dp)
    return Sweeps(forward, backward, gradients, returned)


def _adjoint_items(stmt, op: Op, act, ctx) -> list:
    z = stmt.targets[0].id
    if op.kind == "copy":
        return [templates.Contribution(stmt.value.id, nodes.name(ctx.names.adjoint(z)))]
    if op.kind == "rule":
        def adjoint_of(var):
            return ctx.names.adjoint(var) if act.is_active(var) else None

        return templates.instantiate(op.rule.template, op.bindings, adjoint_of,
                                     ctx.rename_global, ctx.names.fresh)
    if op.kind == "user":
        raise located(ctx.source, stmt, f"calling the Python function {op.label}() with "
                      "values being differentiated is not supported yet",
                      "inline the helper's body, or register a rule with srcgrad.defvjp")
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


def _local_reads(items, ctx) -> set[str]:
    out: set[str] = set()
    for item in items:
        out |= {n for n in nodes.loaded_names(item.value) if ctx.is_local(n)}
    return out


def _settle_saved_values(blocks, version, defined_at, ctx) -> dict:
    """Name each overwritten value an adjoint reads; rename those reads. -> {index: [save]}"""
    saved: dict = {}
    saves: dict = {}
    for block in blocks:
        renames = {}
        for n, v in block.reads.items():
            if v >= version.get(n, 0):
                continue
            if (n, v) not in saved:
                saved[(n, v)] = ctx.names.fresh(n.lstrip("_"))
                saves.setdefault(defined_at[(n, v)], []).append(
                    nodes.assign(saved[(n, v)], nodes.name(n)))
            renames[n] = saved[(n, v)]
        if renames:
            block.items = [_rename_item(it, renames) for it in block.items]
    return saves


def _rename_item(item, renames):
    value = nodes.substitute(nodes.clone(item.value), renames)
    if isinstance(item, templates.Local):
        return templates.Local(item.name, value)
    return templates.Contribution(item.target, value)


def _forward_sweep(body, saves, ctx) -> list:
    out: list = []
    last = None
    for j in saves.get(-1, []):
        out.append(j)
    for i, stmt in enumerate(body):
        line = getattr(stmt, "lineno", None)
        if line != last and line is not None:
            out.append(nodes.comment(f"line {line}: {ctx.line(line)}"))
            last = line
        if isinstance(stmt, gast.With):
            out.append(nodes.comment("no_grad: run as written, not differentiated"))
            out.extend(_unwrap_with(stmt))
        else:
            out.append(stmt)
        out.extend(saves.get(i, []))
    return out


def _unwrap_with(stmt) -> list:
    out: list = []
    for s in stmt.body:
        out.extend(_unwrap_with(s) if isinstance(s, gast.With) else [s])
    return out


def _backward_sweep(blocks, returned, act, ctx):
    out: list = []
    init: set[str] = set()
    if isinstance(returned, gast.Name) and act.is_active(returned.id):
        out.append(nodes.assign(ctx.names.adjoint(returned.id), nodes.const(1.0)))
        init.add(returned.id)
    last = None
    for block in reversed(blocks):
        z = block.stmt.targets[0].id
        if z not in init:
            continue  # nothing reached z: its adjoint is zero
        line = block.stmt.lineno
        if line != last:
            out.append(nodes.comment(f"backward of line {line}: {ctx.line(line)}"))
            last = line
        for item in block.items:
            if isinstance(item, templates.Local):
                out.append(nodes.assign(item.name, item.value, line))
                continue
            adj = ctx.names.adjoint(item.target)
            value = item.value if item.target not in init else nodes.binop(nodes.name(adj), "+", item.value)
            out.append(nodes.assign(adj, value, line))
            init.add(item.target)
        init.discard(z)  # earlier statements saw an earlier version of z
    return out, init


def _check_forward_only(stmt, act, ctx) -> None:
    """Expression statements may not hide mutation of values being differentiated."""
    if not isinstance(stmt, gast.Expr):
        return
    call = stmt.value
    path = nodes.dotted(call.func) if isinstance(call, gast.Call) else None
    if path in _FORWARD_ONLY_CALLS or (path or "").split(".")[0] in ("logging", "logger", "log", "warnings"):
        return
    touched = [n for n in nodes.loaded_names(stmt.value) if act.is_active(n)]
    if touched:
        raise located(ctx.source, stmt, f"a call whose result is discarded, on the "
                      f"differentiated value {touched[0]!r}",
                      "assign the result to a variable; in-place updates are not supported yet")
