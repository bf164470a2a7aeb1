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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gast

from . import nodes, templates
from .errors import located
from .recompute import recompute
from .tape import (POP_MARKER, all_infos, drop_markers, is_pop_marker, markers_to_pops, maybe_unbound,
                   reads_without_markers, walk_stmts)
from .versions import MANAGED, Assign, If, Loop, SetItem, Update, Walk, index_expr, stored


@dataclass
class Sweeps:
    forward: list | None  # written by `finish`
    backward: list  # with pop markers until `finish`
    gradients: list  # adjoint names of the wrt parameters, in order
    returned: object  # the returned atom
    side_effects: set = field(default_factory=set)  # calls that must stay
    finish: object = None  # finish(optimized backward) -> (forward, backward)
    state: object = None
    seed_name: str = ""  # the adjoint of the returned value: the seed parameter when split
    counts: set = field(default_factory=set)  # trip counts kept off the tape: unread ones go



# --- phase 2: the backward sweep -----------------------------------------------

class _Backward:
    def __init__(self, walk: Walk, final: dict, ctx):
        self.walk = walk
        self.final = final
        self.ctx = ctx
        self.saves: dict = {}
        self.pushed: set = set()  # keys of _Pop markers that became real pops
        self.stack = None  # the stack's name, once anything is pushed
        self.keys: list = []  # marker index -> (kind, statement id[, name])
        self.temps: dict = {}  # key of a top-level restore -> the saved value's name
        self.segments: dict = {}  # id(statement record) -> the backward statements it produced
        self.loop_nodes: dict = {}  # id(Loop record) -> its backward loop
        self.reversed_loops: dict = {}  # id(backward loop over range(n - 1, -1, -1)) -> the index

    def pop_marker(self, name: str, key, index=None):
        """Where a saved value would be restored; `settle` decides once optimized."""
        if key not in self.keys:
            self.keys.append(key)
        args = [nodes.const(name), nodes.const(self.keys.index(key))]
        if index is not None:
            args.append(nodes.clone(index))
        return nodes.expr_stmt(gast.Call(func=nodes.name(POP_MARKER), args=args, keywords=[]))

    # names -------------------------------------------------------------
    def is_final(self, name: str, vid) -> bool:
        seen = 0
        while vid is not None and seen < 10_000:
            if self.final.get(name) == vid:
                return True
            vid = self.walk.flows_into.get((name, vid))
            seen += 1
        return False

    def resolve(self, name: str, ref) -> str:
        if ref is None or ref == MANAGED or self.is_final(name, ref):
            return name
        key = (name, ref)
        if key not in self.saves:
            self.saves[key] = self.ctx.names.fresh(name.lstrip("_"))
        return self.saves[key]

    def renamed(self, expr, refs: dict):
        used = nodes.loaded_names(expr)
        mapping = {n: self.resolve(n, r) for n, r in refs.items() if n in used}
        mapping = {k: v for k, v in mapping.items() if k != v}
        return nodes.substitute(nodes.clone(expr), mapping) if mapping else expr

    def zero(self, var: str, refs: dict):
        """`dv = 0` for `var` as the given versions see it."""
        adj = self.ctx.names.adjoint(var)
        if var in self.ctx.scalar_names:
            return nodes.assign(adj, nodes.const(0.0))
        owner = self.ctx.field_owner.get(var)
        if owner is not None:  # a record field: zeros like params["W1"]
            record, key = owner
            value = nodes.quote_expr(f"{self.ctx.rename_global('zeros_like')}(r[k])", r=record,
                                     k=nodes.const(key))
            return nodes.assign(adj, self.renamed(value, {record: refs.get(record)}))
        value = self.renamed(nodes.quote_expr(f"{self.ctx.rename_global('zeros_like')}(v)", v=var),
                             {var: refs.get(var)})
        return nodes.assign(adj, value)

    # statements ----------------------------------------------------------
    def block(self, infos, init: set):
        out: list = []
        for info in reversed(infos):
            start = len(out)
            if isinstance(info, SetItem):
                self.setitem(info, init, out)
            elif isinstance(info, Assign):
                self.assign(info, init, out)
            elif isinstance(info, If):
                self.branch(info, init, out)
            elif isinstance(info, Loop):
                self.loop(info, init, out)
            elif info.loop is not None and stored(info.stmt):
                # the forward sweep pushes these in sorted order: pop them in reverse
                for n in sorted(stored(info.stmt), reverse=True):
                    out.append(self.pop_marker(n, ("plain", id(info.stmt), n)))
            self.segments[id(info)] = out[start:]
        return out, init

    def assign(self, info: Assign, init: set, out: list) -> None:
        z = info.z
        if info.items is not None and z in init:
            self.items(info, init, out)
        # Statements before this one see an earlier version of z: its adjoint starts
        # afresh, also when this statement passes nothing back (no branch join may
        # then zero it, from a value that one arm never assigns).
        init.discard(z)
        if info.call is not None and info.loop is not None:  # pushed after z: popped first
            tape = info.call[1]
            out.append(self.pop_marker(tape, ("plain", id(info.stmt), tape)))
        if (info.loop is not None and not info.invariant) or z in self.ctx.mutated:
            out.append(self.pop_marker(z, ("assign", id(info.stmt))))

    def setitem(self, info: SetItem, init: set, out: list) -> None:
        x = info.x
        if info.items is not None and x in init:
            self.items(info, init, out)
        if info.index is None:  # an append: undone by lst.pop()
            out.append(self.pop_marker(x, ("append", id(info.stmt))))
            return
        index = self.renamed(info.stmt.targets[0].slice, info.refs)
        out.append(self.pop_marker(x, ("setitem", id(info.stmt)), index))

    def items(self, info, init: set, out: list) -> None:
        """A statement's adjoint: temporaries, then each contribution assigned if it
        is the first to its adjoint and added (add_grad for containers) if not."""
        line = info.stmt.lineno
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        for item, twice in _merge_twins(info.items):
            value = self.renamed(item.value, info.refs)
            if twice:  # `x * x`: one contribution, doubled (exactly what adding it twice gives)
                value = nodes.binop(nodes.const(2), "*", value)
            if isinstance(item, templates.Local) and item.name.endswith("[]"):
                # dx[i] = dx[i] + g: the dense adjoint list is updated in place
                target = nodes.clone(value.left)
                target.ctx = gast.Store()
                out.append(nodes.stamp(gast.Assign(targets=[target], value=value, type_comment=None), line))
                continue
            if isinstance(item, templates.Local):
                out.append(nodes.assign(item.name, value, line))
                continue
            adj = self.ctx.names.adjoint(item.target)
            if isinstance(item, Update):  # the adjoint changes without a new contribution
                out.append(nodes.assign(adj, value, line))
                continue
            if item.target in init and item.target in self.ctx.container_names:
                value = nodes.quote_expr(f"{self.ctx.rename_global('add_grad')}(a, e)", a=adj, e=value)
            elif item.target in init:
                value = nodes.binop(nodes.name(adj), "+", value)
            out.append(nodes.assign(adj, value, line))
            init.add(item.target)

    def branch(self, info: If, init: set, out: list) -> None:
        body, init_b = self.block(info.body, set(init))
        orelse, init_o = self.block(info.orelse, set(init))
        union = init_b | init_o
        body += [self.zero(v, info.refs) for v in sorted(union - init_b)]
        orelse += [self.zero(v, info.refs) for v in sorted(union - init_o)]
        init.clear()
        init.update(union)
        if not body and not orelse:
            return
        test = self.renamed(info.stmt.test, info.refs)
        line = info.stmt.lineno
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        out.append(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse))

    def loop(self, info: Loop, init: set, out: list) -> None:
        start = set(init)
        while True:  # the adjoints a backward iteration hands to the next one
            body, end = self.block(info.body, set(start))
            grown = set(init) | end
            if grown == start:
                break
            start = grown
        body += [self.zero(v, info.entry) for v in sorted(start - end)]
        before = [self.zero(v, info.post) for v in sorted(start - set(init))]
        init.update(start)
        if isinstance(info.stmt, gast.For):
            target = info.stmt.target.id
            body.insert(0, self.pop_marker(target, ("target", id(info.stmt))))
        line = info.stmt.lineno
        repeat = nodes.quote_stmt(f"for {self.ctx.names.claim_once('_')} in range({info.counter}):\n    pass")
        if info.bound is not None:  # range(n) backwards: the index comes back without the tape
            if isinstance(info.bound, gast.Name):
                bound = self.renamed(info.bound, {info.bound.id: info.entry.get(info.bound.id)})
                repeat.iter = nodes.quote_expr("range(n - 1, -1, -1)", n=bound)
            else:
                repeat.iter = nodes.quote_expr(f"range({info.bound.value - 1}, -1, -1)")
            self.reversed_loops[id(repeat)] = info.stmt.target.id
        repeat.body = body or [gast.Pass()]
        self.loop_nodes[id(info)] = repeat
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        out.extend(before)
        out.append(repeat)
        if info.parent is not None and info.bound is None:
            out.append(self.pop_marker(info.counter, ("counter", id(info.stmt))))
            out[-1], out[-2] = out[-2], out[-1]  # the count is restored before the loop runs

    def settle(self, stmts: list) -> list:
        """Turn pop markers into pops where the loop's backward code reads the value.

        Run on the optimized backward sweep, so that a value only an optimized-away
        statement read is never taped. Dropping a marker can empty a branch and
        so stop a condition being read: iterate until nothing changes.
        """
        out = self._settle_loops(stmts)
        # Restores outside loops (variables changed in place): kept when anything reads them.
        holder = gast.If(test=nodes.const(True), body=out, orelse=[])
        while drop_markers(holder, self.reads(holder), top_only=True):
            pass
        for s in walk_stmts(out):
            if isinstance(s, gast.If) and not isinstance(s, (gast.For, gast.While)):
                while drop_markers(s, self.reads(holder), top_only=True):
                    pass
        markers_to_pops(holder, self, top_only=True)
        for s in walk_stmts(holder.body):
            if isinstance(s, gast.If):
                markers_to_pops(s, self, top_only=True)
        return holder.body

    def _settle_loops(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                stmt = self._settle_loop(stmt)
            elif isinstance(stmt, gast.If):
                stmt.body = self._settle_loops(stmt.body) or [gast.Pass()]
                stmt.orelse = self._settle_loops(stmt.orelse)
            out.append(stmt)
        return out

    def _settle_loop(self, loop):
        while True:
            reads = self.reads(loop)
            removed = drop_markers(loop, reads)
            if not removed:
                break
        index = self.reversed_loops.get(id(loop))
        first = loop.body[0] if loop.body else None
        if index is not None and first is not None and is_pop_marker(first) \
                and self.keys[first.value.args[1].value][0] == "target":
            loop.body = loop.body[1:] or [gast.Pass()]  # the loop itself sets the index
            loop.target = nodes.name(index, store=True)
        markers_to_pops(loop, self)
        return loop

    def reads(self, stmt) -> set[str]:
        """What `stmt` reads, where reading a view of a variable written in place
        (`_t1 = buf[0]`, then `buf[0] = ...`) counts as reading that variable: its
        restore must stay, or the view would show the overwritten entries."""
        views, mutated = self.ctx.views, self.ctx.mutated
        return reads_without_markers(
            stmt, lambda out: out | {m for m in mutated if not views.get(m, {m}).isdisjoint(out)})

    def stack_name(self) -> str:
        if self.stack is None:
            self.stack = self.ctx.names.claim("_stack")
        return self.stack



def _merge_twins(items: list) -> list:
    """(item, twice) pairs: two consecutive identical contributions to one adjoint,
    as the operands of `x * x` give, become one that counts twice."""
    out: list = []
    for item in items:
        if out and not out[-1][1] and type(item) is templates.Contribution \
                and type(out[-1][0]) is templates.Contribution and item.target == out[-1][0].target \
                and gast.dump(item.value) == gast.dump(out[-1][0].value):
            out[-1] = (out[-1][0], True)
            continue
        out.append((item, False))
    return out



# --- phase 3: the forward sweep ------------------------------------------------

class _Forward:
    def __init__(self, backward: _Backward, walk: Walk, ctx):
        self.bw = backward
        self.ctx = ctx
        self.saves_at: dict = {}
        self.maybe_unbound: set[str] = set()  # saved after a branch or loop that may not bind it
        for (name, vid), saved in sorted(backward.saves.items(), key=lambda kv: kv[1]):
            site = walk.def_site.get((name, vid))
            if isinstance(site, (gast.If, gast.For, gast.While)):
                self.maybe_unbound.add(name)
            self.saves_at.setdefault(id(site) if site is not None else None, []).append(
                nodes.assign(saved, nodes.name(name)))
        self.last_line = None

    def push(self, name: str):
        return nodes.expr_stmt(nodes.quote_expr(f"{self.bw.stack_name()}.append(v)", v=name))

    def save(self, key, value):
        """Keep `value` for the restore that `key` names: in a temp, or on the stack."""
        if key in self.bw.temps:
            return nodes.assign(self.bw.temps[key], value)
        return nodes.expr_stmt(nodes.quote_expr(f"{self.bw.stack_name()}.append(v)", v=value))

    def block(self, infos) -> list:
        out: list = []
        for info in infos:
            stmt = info.stmt
            line = getattr(stmt, "lineno", None)
            if line is not None and line != self.last_line:
                out.append(nodes.comment(f"line {line}: {self.ctx.line(line)}"))
                self.last_line = line
            if isinstance(info, SetItem) and info.index is None:
                out.append(stmt)  # an append: nothing to save, the backward pops it
            elif isinstance(info, SetItem):
                key = ("setitem", id(stmt))
                if key in self.bw.pushed:
                    old = nodes.quote_expr(f"{self.ctx.rename_global('copy_slice')}(x, i)",
                                           x=info.x, i=index_expr(info.index))
                    out.append(self.save(key, old))
                out.append(stmt)
            elif isinstance(info, Assign):
                key = ("assign", id(stmt))
                if key in self.bw.pushed:
                    out.append(self.save(key, nodes.name(info.z)))
                if info.call is not None:
                    forward, tape, free = info.call
                    if ("plain", id(stmt), tape) in self.bw.pushed:
                        out.append(self.push(tape))
                    call = nodes.clone(stmt.value)
                    call.func = nodes.name(forward)
                    call.keywords = list(call.keywords) + [gast.keyword(arg=n, value=nodes.name(n))
                                                           for n in free]
                    stmt = gast.Assign(targets=[nodes.tuple_of([nodes.name(info.z, store=True),
                                                                nodes.name(tape, store=True)], store=True)],
                                       value=call, type_comment=None)
                    gast.copy_location(stmt, info.stmt)
                out.append(stmt)
            elif isinstance(info, If):
                branch = gast.If(test=stmt.test, body=self.block(info.body) or [gast.Pass()],
                                 orelse=self.block(info.orelse))
                out.append(branch)
            elif isinstance(info, Loop):
                out.extend(self.loop(info))
            else:
                for n in sorted(stored(stmt)):
                    if ("plain", id(stmt), n) in self.bw.pushed:
                        out.append(self.push(n))
                out.append(stmt)
            out.extend(self.saves_at.get(id(info.stmt), []))
        return out

    def loop(self, info: Loop) -> list:
        stmt = nodes.clone(info.stmt)
        count = info.counter
        body = [] if info.bound is not None else \
            [nodes.assign(count, nodes.binop(nodes.name(count), "+", nodes.const(1)))]
        body += self.block(info.body)
        self.last_line = None
        if isinstance(stmt, gast.For) and ("target", id(info.stmt)) in self.bw.pushed:
            at = len(body)
            if body and isinstance(body[-1], gast.If) and any(isinstance(s, gast.Break) for s in body[-1].body):
                at -= 1  # before the final `if <flag>: break`
            body.insert(at, self.push(stmt.target.id))
        stmt.body = body or [gast.Pass()]
        out = [stmt] if info.bound is not None else [nodes.assign(count, nodes.const(0)), stmt]
        if ("counter", id(info.stmt)) in self.bw.pushed:
            out.append(self.push(count))
        return out



# --- the pass ------------------------------------------------------------------

def reverse(fn, ops: dict, act, wrt: list[str], ctx) -> Sweeps:
    """Build both sweeps of `fn`; `ctx` supplies names, lines, globals and scalars.

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
    walk = Walk(ops, act, ctx, fn)
    cur = {p: 0 for p in params}
    infos = walk.block(body, cur, set(ctx.mutated), None)

    backward = _Backward(walk, dict(cur), ctx)
    returned = ret.value
    init: set[str] = set()
    seed: list = []
    seed_name = None
    if isinstance(returned, gast.Name) and act.is_active(returned.id):
        if getattr(ctx, "split", False):  # the backward function takes the seed
            seed_name = ctx.names.adjoint(returned.id)
        else:
            seed = [nodes.assign(ctx.names.adjoint(returned.id), nodes.const(1.0))]
        init.add(returned.id)
    if seed_name is None:
        seed_name = ctx.names.claim("_dout")
    dense_init = [nodes.assign(adj, nodes.quote_expr(f"[0.0] * len({p})"))
                  for p, adj in sorted(ctx.dense.items())]
    init |= set(ctx.dense)
    sweep, init = backward.block(infos, init)
    sweep = dense_init + sweep
    gradients = []
    tail: list = []
    for p in wrt:
        if p in ctx.records:  # assembled from its fields' adjoints: {"W1": dW1, ...}
            fields = [(k, f) for k, f in ctx.records[p].items() if f in init]
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
        settled = backward.settle(optimized)
        forward_pass = _Forward(backward, walk, ctx)
        forward = forward_pass.block(infos)
        entry = list(forward_pass.saves_at.get(None, []))
        unbound = set(forward_pass.maybe_unbound) - set(params)
        if backward.stack is not None:
            entry.insert(0, nodes.assign(backward.stack, nodes.quote_expr("[]")))
        unbound |= set(maybe_unbound(backward.pushed, infos, params))
        entry += [nodes.assign(n, nodes.const(None)) for n in sorted(unbound)]
        if ctx.require_scalar:
            forward.append(nodes.expr_stmt(nodes.quote_expr(
                f"{ctx.rename_global('require_scalar')}(r)", r=returned)))
        sweeps.counts = {info.counter for info in all_infos(infos) if isinstance(info, Loop)
                         and info.bound is None and ("counter", id(info.stmt)) not in backward.pushed}
        return entry + forward, settled

    keep = {POP_MARKER}
    sweeps = Sweeps(None, seed + sweep + tail, gradients, returned, keep, finish, backward, seed_name)
    return sweeps

