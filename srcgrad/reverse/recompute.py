"""Recompute, instead of taping, cheap values that a loop's backward code reads.

Inside a loop, a value that the backward code reads is pushed on the stack
before the forward sweep overwrites it, and popped back after its
statement's adjoint. A value that is cheap and pure to compute again (Python
number arithmetic, a `math` function, an entry `x[i]` of a list of numbers
that nothing changes in place) is instead computed again in the backward
iteration, just before the first backward statement that reads it:

    for i in range(n):                  for i in range(n - 1, -1, -1):
        _t5 = x[i]                 ->       # recompute line 4: ...
        _t6 = _t5 ** 2                      _t5 = x[i]
        ...                                 ... adjoints that read _t5 ...

Where it is placed. The backward iteration undoes the forward statements
one by one, in reverse: at the boundary just before statement m's adjoint,
every restored variable holds the value it had just after statement m ran
in the forward iteration. So `z = e` at position j of the loop body can run
again at the boundary before m, the last statement (in forward order) whose
backward code reads z, when:

- z is assigned nowhere else in the function and not changed in place, and
  no backward code needs an older z: inside the outermost loop around it,
  z is read only by the backward code of statements j, j+1, ... of its own
  loop (its own restore goes, so z keeps the recomputed value);
- each operand of e holds, at that boundary, the value it had at statement
  j: it is not assigned by the loop at all (nor changed in place), or it is
  the loop's index, or it is recomputed itself from an earlier statement of
  the body, or it is restored by pops and no statement j..m assigns it.

Recomputing one value adds reads of its operands, which can stop another
value from qualifying: the plan is repeated, dropping what no longer
qualifies, until it is consistent.
"""
from __future__ import annotations

import gast

from .. import nodes
from .tape import Restore, is_pop_marker
from .walk import MANAGED, Assign, If, Loop

_CHEAP_VALUES = (gast.BinOp, gast.UnaryOp, gast.Call, gast.Subscript)


def recompute(body: list, infos: list, backward, fn, ops) -> None:
    """Replace the tape of qualifying loop values by recomputations, in `body`
    (the backward sweep with pop markers, changed in place). `backward` is the
    `Backward` that built it (its pop markers' restores); each backward
    statement's `origin` note names the record whose adjoint produced it, and
    each loop record holds its backward loop."""
    ctx = backward.ctx
    loops = list(_loops(infos))
    if not loops:
        return
    plan = _Plan(body, loops, backward, fn, ops, ctx)
    plan.apply(plan.solve())


class _Candidate:
    def __init__(self, loop: Loop, j: int, info: Assign):
        self.loop, self.j, self.info = loop, j, info
        self.z = info.z
        self.operands = {n for n in nodes.loaded_names(info.stmt.value) if n in info.operands}
        self.at: int | None = None  # the body position whose adjoint it runs before


class _Plan:
    def __init__(self, body, loops, backward, fn, ops, ctx):
        self.backward, self.ctx, self.ops = backward, ctx, ops
        self.loops = loops
        self.by_key = {info.key: info for info in loops}
        self.stores = _store_counts(fn)
        self.touched = _touched(fn, ops)
        # Loops and positions are named by their records' keys.
        self.inner_targets = {info.key: {n.target.id for n in nodes.of_class(info.stmt, (gast.For,))
                                         if n is not info.stmt}
                              for info in loops}
        self.assigned = {info.key: set(nodes.stored_names(info.stmt)) for info in loops}
        # Where each read happens: a chain of (loop, body position) from the outermost loop;
        # a backward statement's position is its origin's, in the loop around that.
        self.position: dict[int, tuple] = {child.key: (info.key, j) for info in loops
                                           for j, child in enumerate(info.body)}
        self.chain_of: dict[int, tuple] = {}  # loop -> the chain its backward loop runs at
        self.reads: dict[str, list] = {}
        by_key = {info.key: info for info in loops if info.backward is not None}
        for stmt in body:
            self._visit(stmt, (), by_key)

    def _visit(self, stmt, chain, by_key) -> None:
        info = by_key.get(nodes.noted(stmt, "origin"))
        if info is not None and stmt is info.backward:
            self.chain_of[info.key] = chain
            self._read(stmt.iter, chain)
            for inner in stmt.body:
                at = self.position.get(nodes.noted(inner, "origin"), (info.key, None))
                self._visit(inner, chain + (at,), by_key)
            return
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            self._read(stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter, chain)
            for inner in stmt.body + stmt.orelse:
                self._visit(inner, chain, by_key)
            return
        self._read(stmt, chain)

    def _read(self, node, chain) -> None:
        for n in nodes.name_nodes(node):
            if n.ctx.__class__ is gast.Load:
                self.reads.setdefault(n.id, []).append(chain)

    # candidates ----------------------------------------------------------------
    def candidates(self) -> list:
        out = []
        for info in self.loops:
            if info.key not in self.chain_of:
                continue
            for j, child in enumerate(info.body):
                if isinstance(child, Assign) and self._cheap(child, info):
                    out.append(_Candidate(info, j, child))
        return out

    def _cheap(self, child: Assign, loop: Loop) -> bool:
        """A value that is pure, cheap and a Python number, assigned once, directly in the body."""
        stmt, z, ctx = child.stmt, child.z, self.ctx
        if child.call is not None or child.invariant or stmt not in loop.stmt.body:
            return False
        value = stmt.value
        if self.stores.get(z) != 1 or z in ctx.facts.mutated or not (
                z in ctx.facts.scalar_names or _row_of(value, ctx, self.stores)):
            return False
        op = self.ops.get(id(stmt))
        if op is None or op.kind not in ("rule", "zero") or not isinstance(value, _CHEAP_VALUES):
            return False
        if isinstance(value, gast.Subscript):  # x[i]: an entry, by a number
            index = value.slice
            return isinstance(value.value, gast.Name) and (
                (isinstance(index, gast.Name) and index.id in ctx.facts.scalar_names)
                or (isinstance(index, gast.Constant) and type(index.value) is int))
        return True  # scalar arithmetic or a math function: what `scalar_names` admits

    # the fixed point -------------------------------------------------------------
    def solve(self) -> list:
        chosen = self.candidates()
        while True:
            extra = self._place(chosen)
            bad = [c for c in chosen if c.at is None or not self._valid(c, chosen, extra)]
            if not bad:
                return chosen
            chosen = [c for c in chosen if c not in bad]

    def _place(self, chosen) -> dict:
        """Each candidate's position (before the adjoint of the last statement that
        reads it); returns the reads the recomputations add, as chains."""
        extra: dict[str, list] = {}
        deepest_first = sorted(chosen, key=lambda c: (-len(self.chain_of[c.loop.key]), -c.j))
        for c in deepest_first:
            positions = [m for chain in self.reads.get(c.z, []) + extra.get(c.z, [])
                         for loop, m in chain if loop == c.loop.key and m is not None]
            c.at = max(positions) if positions else None
            if c.at is None:
                continue
            where = self.chain_of[c.loop.key] + ((c.loop.key, c.at),)
            for y in c.operands:
                extra.setdefault(y, []).append(where)
        return extra

    def _valid(self, c: _Candidate, chosen, extra) -> bool:
        loop = c.loop.key
        chain = self.chain_of[loop]
        outermost = chain[0][0] if chain else loop
        for read in self.reads.get(c.z, []) + extra.get(c.z, []):
            if not any(lp == outermost for lp, _ in read):
                continue  # before the backward loop runs: the forward's last value
            if not any(lp == loop and m is not None and m >= c.j for lp, m in read):
                return False  # an older z is read
        earlier = {d.z for d in chosen if d.loop is c.loop and d.j < c.j}
        between = set(nodes.stored_names(c.loop.stmt.body[c.j:c.at + 1]))
        for y in c.operands:
            if y in self.ctx.facts.mutated or y in self.touched or y in self.inner_targets[loop]:
                return False
            if y in self.assigned[loop] and y not in earlier and y in between:
                return False
            if self._rebound_after(y, c):  # (assigned in c's loop or in a loop around it)
                return False  # the first backward iteration would read the value after the loop
        return True

    def _rebound_after(self, y: str, c: _Candidate) -> bool:
        """`y`, which c's loop assigns, is assigned again after that loop or a loop around
        it: its value when the loop ended comes back only by a restore before the
        backward loop (`Backward.rebound_after`), which the optimiser may have dropped
        before this plan added a read of y."""
        for key in [c.loop.key] + [lp for lp, _ in self.chain_of[c.loop.key]]:
            info = self.by_key.get(key)
            if info is None or y not in self.assigned[key]:
                continue
            if isinstance(info.stmt, gast.For) and isinstance(info.stmt.target, gast.Name) \
                    and info.stmt.target.id == y:
                continue  # a loop's index: each backward iteration sets it first
            version = info.post.get(y)
            if version is not None and version != MANAGED and not self.backward.is_final(y, version):
                return True
        return False

    # rewriting -----------------------------------------------------------------
    def apply(self, chosen) -> None:
        """Drop each z's restore; put `z = e` before the adjoint of statement `at`,
        several at one place in forward order."""
        backward = self.backward
        groups: dict = {}
        for c in chosen:
            groups.setdefault((c.loop.key, c.at), []).append(c)
            key = Restore("assign", c.info.key)
            _drop_restores(c.loop.backward.body, lambda s: backward.tape.restores[s.key] == key)
        for group in groups.values():
            loop, at = group[0].loop, group[0].at
            body = loop.backward.body
            first = loop.body[at].key  # the adjoint of statement `at`: the first statement it produced
            where = next(i for i, s in enumerate(body) if nodes.noted(s, "origin") == first)
            new: list = []
            last = None
            for c in sorted(group, key=lambda c: c.j):
                line = c.info.stmt.lineno
                if line != last:
                    new.append(nodes.comment(f"recompute line {line}: {self.ctx.line(line)}"))
                    last = line
                value = backward.renamed(c.info.stmt.value, c.info.operands)
                new.append(nodes.assign(c.z, nodes.clone(value), line))
            body[where:where] = new


def _drop_restores(body: list, restores) -> None:
    """Remove the pop markers `restores(marker)` picks from `body`, at any depth."""
    body[:] = [s for s in body if not (is_pop_marker(s) and restores(s))]
    for s in body:
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if isinstance(inner, list) and not isinstance(s, gast.Assign):
                _drop_restores(inner, restores)


def _loops(infos):
    for info in infos:
        if isinstance(info, Loop):
            yield info
            yield from _loops(info.body)
        elif isinstance(info, If):
            yield from _loops(info.body)
            yield from _loops(info.orelse)


def _row_of(value, ctx, stores: dict) -> bool:
    """`xs[i]` by a Python int, of an array argument nothing writes to (a view), or
    of a local name bound once that nothing writes to nor may view anything written
    (`_s1 = loop_items(Ws)` of `for W in Ws`, a list: the same item): as cheap to
    take again as a number."""
    if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
            and isinstance(value.slice, gast.Name) and value.slice.id in ctx.facts.scalar_names):
        return False
    xs = value.value.id
    if xs in ctx.facts.array_params:
        return xs not in ctx.facts.mutated
    return ctx.is_local(xs) and stores.get(xs) == 1 and xs not in ctx.facts.written()


def _store_counts(fn) -> dict:
    counts: dict[str, int] = {}
    for n in nodes.name_nodes(fn):
        if isinstance(n.ctx, (gast.Store, gast.Param)):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _touched(fn, ops) -> set[str]:
    """Names that a call might change in place: passed to anything but a rule, or
    used in an expression statement."""
    out: set[str] = set()
    for n in nodes.of_class(fn, (gast.Expr, gast.Assign)):
        if isinstance(n, gast.Expr):
            out |= nodes.loaded_names(n)
        elif isinstance(n, gast.Assign):
            op = ops.get(id(n))
            if op is not None and op.kind not in ("rule", "zero", "copy"):
                out |= nodes.loaded_names(n.value)
    return out
