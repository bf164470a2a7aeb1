"""Settling the tape: which pop markers of the optimized backward sweep become restores.

Run on the optimized backward sweep, so that a value only an optimized-away
statement read is never taped: a marker stays where the loop's backward code
(or, outside loops, the whole backward code) still reads its variable, or, for
an entry a loop writes in place, where backward code after the loop reads it,
and becomes a pop (`tape.markers_to_pops`); the forward sweep then saves exactly
what is popped.
"""
from __future__ import annotations

import gast

from .. import nodes
from .tape import drop_markers, is_pop_marker, markers_to_pops, reads_without_markers, walk_stmts


def settle(backward, stmts: list) -> list:
    """Turn pop markers into pops where the loop's backward code reads the value.

    Run on the optimized backward sweep, so that a value only an optimized-away
    statement read is never taped. Dropping a marker can empty a branch and
    so stop a condition being read: iterate until nothing changes.
    """
    out = _settle_loops(backward, stmts, set())
    # Restores outside loops (variables changed in place): kept when anything reads them.
    # (What the whole sweep reads is worked out only for a block holding markers.)
    holder = gast.If(test=nodes.const(True), body=out, orelse=[])
    while _holds_markers(holder) and drop_markers(holder, _reads(backward, holder), top_only=True):
        pass
    for s in walk_stmts(out):
        if isinstance(s, gast.If) and not isinstance(s, (gast.For, gast.While)):
            while _holds_markers(s) and drop_markers(s, _reads(backward, holder), top_only=True):
                pass
    markers_to_pops(holder, backward, top_only=True)
    for s in walk_stmts(holder.body):
        if isinstance(s, gast.If):
            markers_to_pops(s, backward, top_only=True)
    return holder.body


def _settle_loops(backward, stmts: list, later: set) -> list:
    """`later`: what the backward code after `stmts` reads."""
    # What the backward code after each statement reads: needed at loops and branches
    # only, so not worked out for the statements before the first of them.
    first = next((i for i, s in enumerate(stmts) if isinstance(s, (gast.For, gast.While, gast.If))), len(stmts))
    after = [None] * len(stmts)
    for i in range(len(stmts) - 1, first - 1, -1):
        after[i] = later
        if i > first:
            later = later | _reads(backward, stmts[i])
    out = []
    for stmt, read_after in zip(stmts, after):
        if isinstance(stmt, (gast.For, gast.While)):
            stmt = _settle_loop(backward, stmt, read_after)
        elif isinstance(stmt, gast.If):
            stmt.body = _settle_loops(backward, stmt.body, read_after) or [gast.Pass()]
            stmt.orelse = _settle_loops(backward, stmt.orelse, read_after)
        out.append(stmt)
    return out


def _holds_markers(stmt) -> bool:
    """Whether a pop marker stands directly in `stmt`'s body or else block: only then
    has `drop_markers(stmt, ..., top_only=True)` anything to drop."""
    return any(is_pop_marker(s) for s in stmt.body) or any(is_pop_marker(s) for s in stmt.orelse)


def _settle_loop(backward, loop, read_after: set):
    """An entry the loop writes in place (`u[i] = 0.0`, an append) that backward code
    after the backward loop reads must be as it was before the forward loop: its
    restores stay, as for a read in the loop. So do the restores of a name the loop
    rebinds that is written in place somewhere (or may view such a name): it has no
    saved versions, and the backward code after the loop reads it through them."""
    unversioned = backward.ctx.facts.written()
    in_place = {s.var for s in walk_stmts([loop]) if is_pop_marker(s)
                and (backward.tape.restores[s.key][0] in ("setitem", "append") or s.var in unversioned)} & read_after
    while True:
        reads = _reads(backward, loop, in_place)
        removed = drop_markers(loop, reads)
        if not removed:
            break
    _indexed_by_range(backward, loop)
    for k, inner in reversed(list(enumerate(loop.body))):
        if isinstance(inner, gast.For) and _indexed_by_range(backward, inner) and k + 1 < len(loop.body):
            _drop_index_before(backward, loop, k, read_after)
    markers_to_pops(loop, backward)
    return loop


def _indexed_by_range(backward, loop) -> bool:
    """A backward loop over `range(n - 1, -1, -1)` whose first statement restores its
    index from the tape gets the index from the range instead (the same values, in
    the same order): True when it did."""
    first = loop.body[0] if loop.body else None
    if first is not None and is_pop_marker(first) and first.loop_index is not None \
            and backward.tape.restores[first.key][0] == "target":
        loop.body = loop.body[1:] or [gast.Pass()]  # the loop itself sets the index
        loop.target = nodes.name(first.loop_index, store=True)
        return True
    return False


def _drop_index_before(backward, loop, k: int, read_after: set) -> None:
    """After the nested backward loop at `loop.body[k]`, now indexed by its range, the
    restore of its index to the value before the forward loop (for the code of
    `loop` around it) goes when nothing but that nested loop reads the index: not
    the rest of `loop`'s body (run again next iteration), its own index, nor the
    code after it. Its push and the `c = None` before the first one go with it."""
    after = loop.body[k + 1]
    index = loop.body[k].target.id
    if not (is_pop_marker(after) and after.var == index and backward.tape.restores[after.key][0] == "before"):
        return
    others = [s for i, s in enumerate(loop.body) if i not in (k, k + 1)]
    if index in read_after or isinstance(loop, gast.For) and index in nodes.names_in(loop.target) \
            or any(index in _reads(backward, s) for s in others):
        return
    del loop.body[k + 1]


def _reads(backward, stmt, read_after=frozenset()) -> set[str]:
    """What `stmt` reads, where reading a view of a variable written in place
    (`_t1 = buf[0]`, then `buf[0] = ...`) counts as reading that variable: its
    restore must stay, or the view would show the overwritten entries.
    `read_after`: variables read by other code, as if `stmt` read them too (their
    restores then read what they need: the index of an entry)."""
    views, mutated = backward.ctx.facts.views, backward.ctx.facts.mutated
    return reads_without_markers(
        stmt, lambda out: out | read_after | {m for m in mutated if not views.get(m, {m}).isdisjoint(out)})

