"""Loops tape a shape, not an array, for an operand read only for its shape.

    for ...:                                   for ...:
        _stack.append(_t8)                         _stack.append(shape_of(_t8))
        _t8 = _t6 + _t7                  ->        _t8 = _t6 + _t7
    ...                                        _s8 = shape_of(_t8)
    for ...:                                   for ...:
        _dt8 = unbroadcast(_dt9, _t8)              _dt8 = unbroadcast_to(_dt9, _s8)
        _t8 = _stack.pop()                         _s8 = _stack.pop()

In a loop, an adjoint is summed back to the shape of its operand with
`unbroadcast(e, _t8)`. Static shapes (see `shapes`) cannot tell that this is
the identity, as a loop's values have no single assignment, so the loop
keeps every iteration's `_t8` alive just for its shape: in the RNN benchmark
three arrays a step, a third of its time. Where the backward sweep reads a
value only there, the loop tapes its shape instead, and the arrays go as soon
as the forward sweep is done with them.

Only for a value assigned once in the body of a top-level loop (besides the
`v = None` that makes its first push legal), pushed right there, and popped
at the top level of the backward loop, which reads it nowhere else.

Where the backward sweep no longer reads such a value at all (its last read
was an `unbroadcast` that static shapes settled after the tape was: a value
of shape () known as such, see `shapes.entry_scalars`), neither it nor its
shape is taped: the push, the pop and the `v = None` go. So does the restore
of a loop-carried value nothing reads any more (`total = _stack.pop()`).
"""
from __future__ import annotations

import gast

from .. import nodes


def tape_shapes(sweeps: tuple, stack: str | None, setting):
    """`((forward, backward), changed)`. `setting.helpers` holds the emitted name of
    `unbroadcast` (if any); `setting.fresh(base)` makes a new name and
    `setting.rename_global` names a runtime helper."""
    forward, backward = sweeps
    fresh, rename_global = setting.fresh, setting.rename_global
    unbroadcast = setting.helpers.get("unbroadcast")
    if stack is None:
        return (forward, backward), False
    forward, backward, changed = _unread_restores(forward, backward, stack, setting.unshared)
    if unbroadcast is None:
        return (forward, backward), changed
    pushes = _stack_statements(forward, stack, "append")
    pops = _stack_statements(backward, stack, "pop")
    loaded = nodes.loaded_names(backward)
    for name, (pop_loop, pop) in pops.items():
        push = pushes.get(name)
        if push is not None and name not in loaded:  # (one push and one pop an iteration: both go)
            forward = _untaped(forward, name, push)
            pop_loop.body.remove(pop)
            if not pop_loop.body:
                pop_loop.body = [gast.Pass()]
            changed = True
            continue
        if push is None or not _reads_only_shape(backward, name, pop_loop, unbroadcast) \
                or not _assigned_once_in(forward, name, push[0]):
            continue
        saved = fresh(name.lstrip("_") + "_shape")
        shape_of = rename_global("shape_of")
        append = push[1]
        append.value.args = [nodes.quote_expr(f"{shape_of}(v)", v=name)]
        pop.targets = [nodes.name(saved, store=True)]
        _to_shape(pop_loop, name, saved, unbroadcast, rename_global("unbroadcast_to"))
        at = next(i for i, s in enumerate(backward) if s is pop_loop)
        backward = backward[:at] + [nodes.assign(saved, nodes.quote_expr(f"{shape_of}(v)", v=name))] \
            + backward[at:]
        changed = True
    if changed:
        forward, backward = _without_empty_loops(forward, backward, stack)
    return (forward, backward), changed


def _without_empty_loops(forward: list, backward: list, stack: str) -> tuple[list, list]:
    """Without a backward loop left with nothing to do (its pops gone: `for _ in
    range(_n1): pass`), the trip count `_n1` the forward loop kept for it (`_n1 = 0`,
    `_n1 = _n1 + 1`: a loop with a `break`), and the stack nothing uses any more."""
    empty = [s for s in backward if isinstance(s, gast.For) and not s.orelse
             and all(isinstance(b, gast.Pass) or nodes.is_comment(b) for b in s.body)]
    if not empty:
        return forward, backward
    backward = _without(backward, empty)
    counters = {n for s in empty for n in nodes.loaded_names(s.iter)}
    read = nodes.loaded_names(backward)
    for n in counters - read:
        uses = [s for s in nodes.walk_statements(forward) if n in nodes.names_in(_own(s))]
        if all(_counts(s, n) for s in uses):
            forward = _without(forward, uses)
    if stack not in nodes.loaded_names(forward + backward):
        forward = _without(forward, [s for s in forward if isinstance(s, gast.Assign)
                                     and isinstance(s.targets[0], gast.Name) and s.targets[0].id == stack])
    return forward, backward


def _own(stmt):
    """What a statement itself reads and binds: a block statement's header only."""
    if isinstance(stmt, gast.For):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, (gast.If, gast.While)):
        return stmt.test
    return stmt


def _counts(stmt, n: str) -> bool:
    """`n = 0` or `n = n + 1`: a trip count kept for a backward loop."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == n):
        return False
    value = stmt.value
    return isinstance(value, gast.Constant) and value.value == 0 or isinstance(value, gast.BinOp) \
        and isinstance(value.op, gast.Add) and isinstance(value.left, gast.Name) and value.left.id == n \
        and isinstance(value.right, gast.Constant) and value.right.value == 1


def _unread_restores(forward: list, backward: list, stack: str, unshared) -> tuple[list, list, bool]:
    """Without the restores of an array's overwritten entries (`x[i] = _stack.pop()`
    and its push of `copy_slice(x, i)`; `x[0] = _x1` and its save) where the
    backward sweep no longer reads `x` once it starts restoring it (its reads
    were adjoints that now add in place, see `inplace`), and no other name
    shares its memory (`unshared`: nothing can read the entries through it)."""
    changed = False
    for x in sorted(unshared):
        first = next((i for i, s in enumerate(backward)
                      if any(_restore_of(inner, x) for inner in nodes.walk_statements([s]))), None)
        if first is None or x in _loaded_outside_restores(backward[first:], x):
            continue  # (reads before the first restore see the value the forward sweep left)
        pops = [s for s in nodes.walk_statements(backward) if _restore_of(s, x)]
        pushes = [s for s in nodes.walk_statements(forward) if _saved_entries_of(s, x, stack)]
        saved = [s.value.id for s in pops if isinstance(s.value, gast.Name)]
        saves = [s.targets[0].id for s in pushes if isinstance(s, gast.Assign)]
        if not pops or len(pops) != len(pushes) or sorted(saved) != sorted(saves) \
                or len(set(saves)) != len(saves) or set(saved) & _loaded_outside_restores(backward, x, False) \
                or set(saves) & (nodes.loaded_names(forward) | _stores(forward + backward, saves)):
            continue  # each restore pairs with its save, read by nothing else
        backward = _without(backward, pops)
        forward = _without(forward, pushes)
        changed = True
    return forward, backward, changed


def _stores(stmts: list, names) -> set[str]:
    """The `names` bound more than once in `stmts`."""
    counts: dict = {}
    for node in nodes.name_nodes(stmts):
        if node.id in names and not isinstance(node.ctx, gast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    return {n for n, c in counts.items() if c > 1}


def _restore_of(stmt, x: str) -> bool:
    """`x[i] = _stack.pop()` or `x[i] = _x1`: a restore of x's entries."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) \
        and isinstance(stmt.targets[0].value, gast.Name) and stmt.targets[0].value.id == x \
        and (isinstance(stmt.value, gast.Name) or isinstance(stmt.value, gast.Call) and not stmt.value.args
             and (nodes.dotted(stmt.value.func) or "").endswith(".pop"))


def _saved_entries_of(stmt, x: str, stack: str) -> bool:
    """`_stack.append(copy_slice(x, i))` or `_x1 = copy_slice(x, i)`."""
    value = getattr(stmt, "value", None)
    if isinstance(stmt, gast.Expr) and isinstance(value, gast.Call) and nodes.dotted(value.func) == f"{stack}.append":
        value = value.args[0] if len(value.args) == 1 else None
    elif not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
        and value.func.id.startswith("copy_slice") and value.args \
        and isinstance(value.args[0], gast.Name) and value.args[0].id == x


def _loaded_outside_restores(stmts: list, x: str, values: bool = True) -> set[str]:
    """The names `stmts` load, except `x` as the target of a restore (and, unless
    `values`, what a restore puts back)."""
    out: set[str] = set()
    for stmt in nodes.walk_statements(stmts):
        if _restore_of(stmt, x):
            out |= nodes.loaded_names(stmt.targets[0].slice)
            out |= nodes.loaded_names(stmt.value) if values else set()
        elif isinstance(stmt, (gast.If, gast.While)):
            out |= nodes.loaded_names(stmt.test)
        elif isinstance(stmt, gast.For):
            out |= nodes.loaded_names(stmt.iter)
        else:
            out |= nodes.loaded_names(stmt)
    return out


def _without(stmts: list, gone: list) -> list:
    """`stmts` without the statements `gone`, and without a line comment left with
    nothing under it."""
    ids = {id(s) for s in gone}
    out: list = []
    orphan = None  # a comment whose next statement went
    for stmt in stmts:
        if id(stmt) in ids:
            if out and nodes.is_comment(out[-1]):
                orphan = out[-1]
            continue
        if orphan is not None and nodes.is_comment(stmt):
            out.remove(orphan)
        orphan = None
        nodes.map_blocks(stmt, lambda inner: _without(inner, gone) or [gast.Pass()])
        out.append(stmt)
    if orphan is not None:
        out.remove(orphan)
    return out


def _untaped(forward: list, name: str, push) -> list:
    """`forward` without the push of `name`, and without its `name = None` unless
    the loop reads `name` before assigning it (or assigns it only in a branch)."""
    loop, append = push
    loop.body.remove(append)
    if not loop.body:
        loop.body = [gast.Pass()]
    at = next((i for i, s in enumerate(loop.body) if isinstance(s, gast.Assign)
               and isinstance(s.targets[0], gast.Name) and s.targets[0].id == name), None)
    if at is None or name in nodes.loaded_names(loop.body[:at]):
        return forward  # (bound in a branch, or before the loop: its `name = None` may be needed)
    return [s for s in forward if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                                       and s.targets[0].id == name and isinstance(s.value, gast.Constant)
                                       and s.value.value is None)]


def _stack_statements(stmts: list, stack: str, method: str) -> dict:
    """{name: (top-level loop, statement)} for `stack.append(name)` (or `name =
    stack.pop()`) at the top level of a top-level `for` loop, for names that
    the stack sees nowhere else."""
    def named(stmt):
        return _append_of(stmt, stack) if method == "append" else _pop_into(stmt, stack)

    counts: dict = {}
    for stmt in nodes.walk_statements(stmts):
        name = named(stmt)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    found: dict = {}
    for loop in stmts:
        if isinstance(loop, gast.For):
            for stmt in loop.body:
                name = named(stmt)
                if name is not None and counts[name] == 1:
                    found[name] = (loop, stmt)
    return found


def _append_of(stmt, stack: str):
    value = getattr(stmt, "value", None)
    if isinstance(stmt, gast.Expr) and isinstance(value, gast.Call) and nodes.dotted(value.func) == f"{stack}.append" \
            and len(value.args) == 1 and isinstance(value.args[0], gast.Name):
        return value.args[0].id
    return None


def _pop_into(stmt, stack: str):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
            and isinstance(stmt.value, gast.Call) and nodes.dotted(stmt.value.func) == f"{stack}.pop" \
            and not stmt.value.args:
        return stmt.targets[0].id
    return None


def _reads_only_shape(backward: list, name: str, loop, unbroadcast: str) -> bool:
    """Every read of `name` in the backward sweep is `unbroadcast(e, name)` inside `loop`."""
    templates = set()
    for node in nodes.walk(loop):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id == unbroadcast \
                and len(node.args) == 2 and isinstance(node.args[1], gast.Name) and node.args[1].id == name:
            templates.add(id(node.args[1]))
    reads = [n for n in nodes.name_nodes(backward) if n.id == name and isinstance(n.ctx, gast.Load)]
    return bool(reads) and all(id(n) in templates for n in reads)


def _assigned_once_in(forward: list, name: str, loop) -> bool:
    """`name` is assigned once in `loop`'s body (top level) and elsewhere only `name = None`."""
    in_loop = [s for s in loop.body if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
               and s.targets[0].id == name]
    stores = [n for n in nodes.name_nodes(forward) if n.id == name and isinstance(n.ctx, gast.Store)]
    inits = [s for s in forward if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
             and s.targets[0].id == name and isinstance(s.value, gast.Constant) and s.value.value is None]
    return len(in_loop) == 1 and len(stores) == 1 + len(inits)


def _to_shape(loop, name: str, saved: str, unbroadcast: str, unbroadcast_to: str) -> None:
    for node in nodes.walk(loop):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id == unbroadcast \
                and len(node.args) == 2 and isinstance(node.args[1], gast.Name) and node.args[1].id == name:
            node.func = nodes.name(unbroadcast_to)
            node.args[1] = nodes.name(saved)
