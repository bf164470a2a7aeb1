"""Dead-code elimination on the backward sweep, through branches and loops.

    # backward of line 4: return y        (gone: heads nothing any more)
    _dt3 = dy * 2.0                       (gone: nobody reads _dt3)
    # backward of line 3: y = x * w   ->  # backward of line 3: y = x * w
    dx = dy * w                           dx = dy * w
    _t1 = _stack.pop()                    _t1 = _stack.pop()

An assignment whose target is not live afterwards is removed; a branch or
loop left with nothing to do goes too. Backward-sweep statements are
template code, pure except for stack pops (`x = _stack.pop()`) and pushes,
which always stay: the stack's order depends on them.
"""
from __future__ import annotations

import gast

from .. import nodes


def eliminate_dead(stmts: list, live_out: set[str]):
    out, _, changed = _block(stmts, set(live_out))
    return _drop_orphan_comments(out), changed


def _has_effect(stmt) -> bool:
    """A stack pop (`x = _stack.pop()`): removing it would shift every later pop."""
    value = getattr(stmt, "value", None)
    if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Name):
        return True
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "pop" and isinstance(value.func.value, gast.Name) \
        and value.func.value.id.startswith("_stack")


def _block(stmts, live: set, mutate: bool = True):
    """(kept statements, names live before them, changed); only with `mutate` are the
    bodies of the statements kept rewritten in place (a loop's fixed point asks for
    liveness alone, on statements it must not change)."""
    kept: list = []
    changed = False
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            target = stmt.targets[0].id
            self_copy = isinstance(stmt.value, gast.Name) and stmt.value.id == target
            if (target not in live or self_copy) and not _has_effect(stmt):
                changed = True
                continue
            live.discard(target)
            live |= nodes.loaded_names(stmt.value)
        elif isinstance(stmt, gast.If):
            body, live_b, c1 = _block(stmt.body, set(live), mutate)
            orelse, live_o, c2 = _block(stmt.orelse, set(live), mutate)
            changed |= c1 or c2
            if not _real(body) and not _real(orelse):
                changed = True
                continue
            if mutate:
                stmt.body, stmt.orelse = body or [gast.Pass()], orelse
            live = live_b | live_o | nodes.loaded_names(stmt.test)
        elif isinstance(stmt, (gast.For, gast.While)):
            loop_live = set(live)
            while True:
                _, inner, _ = _block(stmt.body, set(loop_live), mutate=False)
                grown = loop_live | inner
                if grown == loop_live:
                    break
                loop_live = grown
            body, _, c = _block(stmt.body, set(loop_live), mutate)
            changed |= c
            if not _real(body):
                changed = True
                continue
            if mutate:
                stmt.body = body
            live = loop_live | nodes.loaded_names(stmt.iter if isinstance(stmt, gast.For) else stmt.test)
        elif isinstance(stmt, gast.Pass):
            continue
        else:
            live |= nodes.loaded_names(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept, live, changed


def _real(stmts) -> bool:
    return any(not nodes.is_comment(s) and not isinstance(s, gast.Pass) for s in stmts)


def _drop_orphan_comments(stmts: list) -> list:
    """A line comment followed by no statement of its own goes too."""
    out: list = []
    for i, stmt in enumerate(stmts):
        if nodes.is_comment(stmt) and (i + 1 == len(stmts) or nodes.is_comment(stmts[i + 1])):
            continue
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner:
                setattr(stmt, name, _drop_orphan_comments(inner) or ([gast.Pass()] if name == "body" else []))
        out.append(stmt)
    return out
