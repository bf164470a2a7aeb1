"""Single exit: `return`, `break` and `continue` become flags and guards.

Assumes: desugared. Guarantees: the only `return` is the function's last
statement; `break` appears only as `if <flag>: break` at the end of a loop
body; `continue` is gone. Statements after a point that may exit are
guarded by `if not <flag>:`, so the sweeps see only structured branches,
which they record and replay.

    for x in xs:                     _brk1 = False
        if x > t:                    for x in xs:
            break           ->           _c1 = x > t
        s = s + x                        if _c1:
                                             _brk1 = True
                                         if not _brk1:
                                             s = s + x
                                         if _brk1:
                                             break
"""
from __future__ import annotations

import gast

from .. import nodes
from ..naming import Names


def single_exit(fn, names: Names):
    """`fn` (a tree `normalize` made and owns: changed in place) with one exit, at its end."""
    body = fn.body
    last_return = body[-1] if body and isinstance(body[-1], gast.Return) else None
    # one walk for both questions: a return before the last statement, a break or continue
    exits = nodes.of_class(body, _EXITS)
    early = any(n.__class__ is gast.Return and n is not last_return for n in exits)
    if not early and not any(n.__class__ is not gast.Return for n in exits):
        return fn
    state = _State(names, early)
    new_body, _ = state.block(fn.body, loop=None)
    if early:
        line = fn.body[0].lineno if fn.body else fn.lineno
        prefix = [nodes.assign(state.returned, nodes.const(False), line),
                  nodes.assign(state.retval, nodes.const(None), line)]
        last = fn.body[-1].lineno if fn.body else fn.lineno
        new_body = prefix + new_body + [nodes.stamp(nodes.ret(nodes.name(state.retval)), last)]
    fn.body = new_body
    return fn


_EXITS = (gast.Return, gast.Break, gast.Continue)


class _Loop:
    def __init__(self, names: Names):
        self.brk = names.fresh("brk")
        self.cont = names.fresh("cont")
        self.uses_brk = False
        self.uses_cont = False


class _State:
    def __init__(self, names: Names, early: bool):
        self.names = names
        self.returned = names.fresh("returned") if early else None
        self.retval = names.fresh("retval") if early else None

    def block(self, stmts, loop):
        """Rewrite `stmts`; returns (statements, flags that may be set in them)."""
        out: list = []
        flags: set[str] = set()
        for i, stmt in enumerate(stmts):
            new, set_here = self.statement(stmt, loop)
            line = getattr(stmt, "lineno", None)  # (none on a `pass` put in an emptied block)
            for s in new:
                gast.copy_location(s, stmt)
                if line is not None:
                    nodes.stamp(s, line, stmt.col_offset)
            out.extend(new)
            if set_here:
                flags |= set_here
                rest, rest_flags = self.block(stmts[i + 1:], loop)
                flags |= rest_flags
                if rest:
                    out.append(self.guard(set_here, rest, stmt))
                return out, flags
        return out, flags

    def guard(self, flags, body, like):
        test = " or ".join(sorted(flags))
        guard = nodes.quote_stmt(f"if not ({test}):\n    pass")
        guard.body = body
        gast.copy_location(guard, like)
        nodes.stamp(guard, like.lineno, like.col_offset)
        return guard

    def statement(self, stmt, loop):
        if isinstance(stmt, gast.Return):
            if self.returned is None:  # the final return
                return [stmt], set()
            flags = {self.returned}
            if loop is not None:
                loop.uses_brk = True
            return [nodes.assign(self.retval, stmt.value), nodes.assign(self.returned, nodes.const(True))], flags
        if isinstance(stmt, gast.Break):
            loop.uses_brk = True
            return [nodes.assign(loop.brk, nodes.const(True))], {loop.brk}
        if isinstance(stmt, gast.Continue):
            loop.uses_cont = True
            return [nodes.assign(loop.cont, nodes.const(True))], {loop.cont}
        if isinstance(stmt, gast.If):
            stmt = nodes.clone(stmt)
            stmt.body, f1 = self.block(stmt.body, loop)
            stmt.orelse, f2 = self.block(stmt.orelse, loop)
            if not stmt.body:
                stmt.body = [gast.Pass()]
            return [stmt], f1 | f2
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        return [stmt], set()

    def loop(self, stmt):
        inner = _Loop(self.names)
        stmt = nodes.clone(stmt)
        body, flags = self.block(stmt.body, inner)
        before: list = []
        if inner.uses_cont:
            body = [nodes.assign(inner.cont, nodes.const(False))] + body
        exits = sorted(f for f in flags if f in (inner.brk, self.returned))
        if inner.uses_brk or self.returned in flags:
            if inner.uses_brk:
                before.append(nodes.assign(inner.brk, nodes.const(False)))
            stop = nodes.quote_stmt(f"if {' or '.join(exits)}:\n    break")
            body.append(stop)
        stmt.body = body
        outer = {self.returned} if self.returned in flags else set()
        return before + [stmt], outer
