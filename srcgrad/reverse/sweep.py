"""Phase 3 of reverse mode: the forward sweep, written once the tape is settled.

The function's statements as written, plus what the settled backward sweep
reads back: before a statement overwrites a value that is restored, the old
value is saved (`_x1 = x` outside loops, pushed on `_stack` inside them);
loops count their trips (`_n1`) unless the backward loop can run its range
reversed; a user function's call becomes its split pair's forward function,
whose tape is kept like any other value.
"""
from __future__ import annotations

import gast

from .. import nodes
from .backward import Backward
from .tape import Restore
from .walk import Assign, If, Loop, SetItem, Walk, index_expr, stored


class ForwardSweep:
    def __init__(self, backward: Backward, walk: Walk, ctx):
        self.bw = backward
        self.ctx = ctx
        self.saves_at: dict = {}  # a record's key (None: the entry) -> the saves after its statement
        self.maybe_unbound: set[str] = set()  # saved after a branch or loop that may not bind it
        for (name, vid), saved in sorted(backward.tape.saves.items(), key=lambda kv: kv[1]):
            site = walk.def_site.get((name, vid))
            if site is not None and site.joins:
                self.maybe_unbound.add(name)
            self.saves_at.setdefault(site.key if site is not None else None, []).append(
                nodes.assign(saved, nodes.name(name)))
        self.last_line = None

    def push(self, name: str):
        return nodes.expr_stmt(nodes.quote_expr(f"{self.bw.stack_name()}.append(v)", v=name))

    def save(self, key, value):
        """Keep `value` for the restore that `key` names: in a temp, or on the stack."""
        if key in self.bw.tape.temps:
            return nodes.assign(self.bw.tape.temps[key], value)
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
                key = Restore("setitem", info.key)
                if key in self.bw.tape.pushed:
                    old = nodes.quote_expr(f"{self.ctx.rename_global('copy_slice')}(x, i)",
                                           x=info.x, i=index_expr(info.index))
                    out.append(self.save(key, old))
                out.append(stmt)
            elif isinstance(info, Assign):
                key = Restore("assign", info.key)
                if key in self.bw.tape.pushed:
                    out.append(self.save(key, nodes.name(info.z)))
                if info.call is not None:
                    forward, tape, free = info.call
                    if Restore("plain", info.key, tape) in self.bw.tape.pushed:
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
                    if Restore("plain", info.key, n) in self.bw.tape.pushed:
                        out.append(self.push(n))
                out.append(stmt)
            out.extend(self.saves_at.get(info.key, []))
        return out

    def loop(self, info: Loop) -> list:
        stmt = nodes.clone(info.stmt)
        count = info.counter
        body = [] if info.bound is not None else \
            [nodes.assign(count, nodes.binop(nodes.name(count), "+", nodes.const(1)))]
        body += self.block(info.body)
        self.last_line = None
        if isinstance(stmt, gast.For) and Restore("target", info.key) in self.bw.tape.pushed:
            at = len(body)
            if body and isinstance(body[-1], gast.If) and any(isinstance(s, gast.Break) for s in body[-1].body):
                at -= 1  # before the final `if <flag>: break`
            body.insert(at, self.push(stmt.target.id))
        stmt.body = body or [gast.Pass()]
        out = [stmt] if info.bound is not None else [nodes.assign(count, nodes.const(0)), stmt]
        if isinstance(stmt, gast.For) and Restore("before", info.key) in self.bw.tape.pushed:
            out.insert(0, self.push(stmt.target.id))  # its index before the loop rebinds it
        if Restore("counter", info.key) in self.bw.tape.pushed:
            out.append(self.push(count))
        return out
