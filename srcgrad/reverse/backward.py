"""Phase 2 of reverse mode: the backward sweep, with pop markers.

`Backward` runs each statement's adjoint items (from `walk`) in reverse order:
the first contribution to an adjoint assigns it, later ones add (`add_grad`
for containers); a branch replays the forward sweep's choice and zeroes the
adjoints only one arm initialises; a loop runs its trip count backwards, to
a fixed point of the adjoints one iteration hands to the next. Where a value
the forward sweep overwrote would be restored, it leaves a pop marker; the
`Tape` it fills says what each marker restores, and `settle` decides, after
optimisation, which of them become real restores.

What later phases need to find again in the optimized sweep is written on
it: each backward statement carries, as the note `origin` (`nodes.note`), the key of the
record whose adjoint produced it, and a `Loop` record holds its backward
loop (`Loop.backward`).
"""
from __future__ import annotations

import gast

from .. import nodes, templates
from .tape import PopMarker, Restore, Tape
from .walk import MANAGED, Assign, If, Loop, SetItem, Update, Walk, stored


class Backward:
    def __init__(self, walk: Walk, final: dict, ctx):
        self.walk = walk
        self.final = final
        self.ctx = ctx
        self.tape = Tape()  # what is restored, pushed and saved: filled in as the sweep is built

    def pop_marker(self, name: str, key, index=None, loop_index=None):
        """Where a saved value would be restored; `settle` decides once optimized."""
        restores = self.tape.restores
        if key not in restores:
            restores.append(key)
        return PopMarker(var=name, key=restores.index(key), index=None if index is None else nodes.clone(index),
                         loop_index=loop_index)

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
        saves = self.tape.saves
        if key not in saves:
            saves[key] = self.ctx.names.fresh(name.lstrip("_"))
        return saves[key]

    def reads_final(self, refs: dict) -> bool:
        """Each name of `refs` read as it finally is: nothing to rename (nor to save)."""
        return all(r is None or r == MANAGED or self.is_final(n, r) for n, r in refs.items())

    def renamed(self, expr, refs: dict, final: bool | None = None):
        """`expr` reading each name of `refs` in its version (`final`: `reads_final(refs)`,
        when the caller knows it already)."""
        if final if final is not None else self.reads_final(refs):
            return expr  # each name read as it finally is: nothing to rename (nor to save)
        used = nodes.loaded_names(expr)
        mapping = {n: self.resolve(n, r) for n, r in refs.items() if n in used}
        mapping = {k: v for k, v in mapping.items() if k != v}
        return nodes.substitute(nodes.clone(expr), mapping) if mapping else expr

    def zero(self, var: str, refs: dict):
        """`dv = 0` for `var` as the given versions see it."""
        adj = self.ctx.names.adjoint(var)
        if var in self.ctx.facts.scalar_names:
            return nodes.assign(adj, nodes.const(0.0))
        owner = self.ctx.facts.field_owner.get(var)
        if owner is not None:  # a record field: zeros like params["W1"]
            record, key = owner
            value = nodes.quote_expr(f"{self.ctx.rename_global('zeros_like_entry')}(r, k)", r=record,
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
                    out.append(self.pop_marker(n, Restore("plain", info.key, n)))
            for stmt in out[start:]:
                nodes.note(stmt, origin=info.key)
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
            out.append(self.pop_marker(tape, Restore("plain", info.key, tape)))
        if (info.loop is not None and not info.invariant) or z in self.ctx.facts.mutated:
            out.append(self.pop_marker(z, Restore("assign", info.key)))

    def setitem(self, info: SetItem, init: set, out: list) -> None:
        x = info.x
        if info.items is not None and x in init:
            self.items(info, init, out)
        if info.index is None:  # an append: undone by lst.pop()
            out.append(self.pop_marker(x, Restore("append", info.key)))
            return
        index = self.renamed(info.stmt.targets[0].slice, info.refs)
        out.append(self.pop_marker(x, Restore("setitem", info.key), index))

    def items(self, info, init: set, out: list) -> None:
        """A statement's adjoint: temporaries, then each contribution assigned if it
        is the first to its adjoint and added (add_grad for containers) if not."""
        line = info.stmt.lineno
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        final = self.reads_final(info.refs)  # (the same for each item: asked once)
        for item, twice in _merge_twins(info.items):
            value = self.renamed(item.value, info.refs, final)
            if twice:  # `x * x`: one contribution, doubled (exactly what adding it twice gives)
                value = _binop(nodes.const(2), gast.Mult, value)
            if isinstance(item, templates.Local) and item.name.endswith("[]"):
                # dx[i] = dx[i] + g: the dense adjoint list is updated in place
                target = nodes.clone(value.left)
                target.ctx = gast.Store()
                out.append(nodes.stamp(gast.Assign(targets=[target], value=value, type_comment=None), line))
                continue
            if isinstance(item, templates.Local):
                out.append(_assign(item.name, value, line))
                continue
            adj = self.ctx.names.adjoint(item.target)
            if isinstance(item, Update):  # the adjoint changes without a new contribution
                out.append(_assign(adj, value, line))
                continue
            if item.target in init and item.target in self.ctx.facts.container_names:
                value = nodes.quote_expr(f"{self.ctx.rename_global('add_grad')}(a, e)", a=adj, e=value)
            elif item.target in init:
                value = _binop(nodes.name(adj), gast.Add, value)
            out.append(_assign(adj, value, line))
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
            counted = target if info.bound is not None else None  # range(n) backwards (below)
            body.insert(0, self.pop_marker(target, Restore("target", info.key), loop_index=counted))
        line = info.stmt.lineno
        repeat = nodes.quote_stmt(f"for {self.ctx.names.claim_once('_')} in range({info.counter}):\n    pass")
        if info.bound is not None:  # range(n) backwards: the index comes back without the tape
            if isinstance(info.bound, gast.Name):
                bound = self.renamed(info.bound, {info.bound.id: info.entry.get(info.bound.id)})
                repeat.iter = nodes.quote_expr("range(n - 1, -1, -1)", n=bound)
            else:
                repeat.iter = nodes.quote_expr(f"range({info.bound.value - 1}, -1, -1)")
        repeat.body = body or [gast.Pass()]
        info.backward = repeat
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        out.extend(self.rebound_after(info))
        out.extend(before)  # zeros just before the loop: the loop may add into them in place
        out.append(repeat)
        if info.parent is not None and info.bound is None:
            out.append(self.pop_marker(info.counter, Restore("counter", info.key)))
            out[-1], out[-2] = out[-2], out[-1]  # the count is restored before the loop runs
        if info.parent is not None and isinstance(info.stmt, gast.For):
            # The backward loop leaves its target as the first iteration set it; the code of
            # the enclosing loop before this one reads it as it was before the loop began.
            out.append(self.pop_marker(info.stmt.target.id, Restore("before", info.key)))

    def rebound_after(self, info: Loop) -> list:
        """`h = _h1` for each name the loop assigns that code after the loop assigns
        again: the backward loop reads the names it assigns as they are (its pops
        restore them one iteration at a time), so each first gets back the value it
        held when the loop ended, which the forward sweep saved (`resolve`)."""
        out = []
        # (a `for` loop's target is set at the start of each backward iteration)
        target = info.stmt.target.id if isinstance(info.stmt, gast.For) else None
        for n in sorted(stored(info.stmt) - {target}):
            version = info.post.get(n)
            if version is not None and version != MANAGED and not self.is_final(n, version):
                out.append(nodes.assign(n, nodes.name(self.resolve(n, version))))
        return out

    def stack_name(self) -> str:
        if self.tape.stack is None:
            self.tape.stack = self.ctx.names.claim("_stack")
        return self.tape.stack


def _binop(left, op, right):
    """`left <op> right` (`op` a gast operator class) of operands made for this sweep:
    taken as they are, where `nodes.binop` would copy them (the value of an adjoint
    item is the item's own, or a renamed copy of it: as for a first contribution, it
    goes into one statement of the finished sweep)."""
    return gast.BinOp(left=left, op=op(), right=right)


def _assign(target: str, value, line):
    """`nodes.assign(target, value, line)`, the statement made without gast's keyword
    constructor (which sets the same fields, in the same order, slower): a backward
    sweep assigns every adjoint item."""
    stmt = _new(gast.Assign)
    stmt.__dict__.update(targets=[nodes.name(target, store=True)], value=value, type_comment=None)
    return stmt if line is None else nodes.stamp(stmt, line)


_new = gast.Assign.__new__


def _merge_twins(items: list) -> list:
    """(item, twice) pairs: two consecutive identical contributions to one adjoint,
    as the operands of `x * x` give, become one that counts twice."""
    out: list = []
    for item in items:
        if out and not out[-1][1] and type(item) is templates.Contribution \
                and type(out[-1][0]) is templates.Contribution and item.target == out[-1][0].target \
                and nodes.structure(item.value) == nodes.structure(out[-1][0].value):
            out[-1] = (out[-1][0], True)
            continue
        out.append((item, False))
    return out
