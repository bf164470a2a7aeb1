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
shape is taped: the push, the pop and the `v = None` go.
"""
from __future__ import annotations

import gast

from .. import nodes


def tape_shapes(sweeps: tuple, stack: str | None, helper_names: dict, fresh, rename_global):
    """`((forward, backward), changed)`. `helper_names` holds the emitted name of
    `unbroadcast` (if any); `fresh(base)` makes a new name and `rename_global`
    names a runtime helper."""
    forward, backward = sweeps
    unbroadcast = helper_names.get("unbroadcast")
    if stack is None or unbroadcast is None:
        return (forward, backward), False
    changed = False
    pushes = _stack_statements(forward, stack, "append")
    pops = _stack_statements(backward, stack, "pop")
    loaded = nodes.loaded_names(backward)
    for name, (pop_loop, pop) in pops.items():
        push = pushes.get(name)
        if push is not None and name not in loaded and _assigned_once_in(forward, name, push[0]):
            forward = _untaped(forward, name, push)
            pop_loop.body.remove(pop)
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
    return (forward, backward), changed


def _untaped(forward: list, name: str, push) -> list:
    """`forward` without the push of `name`, and without its `name = None` unless
    the loop reads `name` before assigning it."""
    loop, append = push
    loop.body.remove(append)
    at = next(i for i, s in enumerate(loop.body) if isinstance(s, gast.Assign)
              and isinstance(s.targets[0], gast.Name) and s.targets[0].id == name)
    if name in nodes.loaded_names(loop.body[:at]):
        return forward
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
