"""Which `+` and `*` join or repeat lists and tuples rather than add or multiply numbers.

Python's `a + b` concatenates two lists and `a * 3` repeats one; the
arithmetic rules would treat the list's adjoint like an array's. Whether an
operand is a list or tuple is a static fact here: a display, a `list(...)` or
`tuple(...)` call, a call of the user's function that returns a display, a
slice of such a value, a name that is `.append`ed to, a list or tuple argument
(the container kinds), or a concatenation or repetition of these, wherever
the name is assigned. A `+` or `*` with such
an operand is bound to the concatenation or repetition rule
(`runtime.concat`, `runtime.repeat`); when only one operand is known to be
a sequence, that rule's helpers check the other at run time.

An entry of a `container` argument (a list, tuple or dict some of whose
entries are themselves lists, tuples or dicts) may be a list: `p["ws"] * 2`.
Such entries, and the loop items and slices taken from them, are *maybe*
sequences: their `+` and `*` are bound to the same rules, whose helpers
decide at run time between joining and adding. Entries of a `record` (every
entry an array or a number) and all other operands keep the arithmetic
rules, so array code (`h @ Ws[i] + bs[i]`) is as fast as before.
"""
from __future__ import annotations

import gast

from .normalize.anf import is_append
from .analysis.carried import is_restore
from .analysis.resolve import primitive_op, statements
from . import runtime

_CONTAINER_KINDS = ("numbers", "record", "container")  # lists, tuples (and dicts) of arguments


def bind_sequence_ops(fn, ops: dict, params: list, kinds, source, generated: bool = False) -> set[str]:
    """Rebind `+`/`*` statements with a list or tuple operand; return the names
    that may hold lists or tuples (their adjoints merge with add_grad). `generated`:
    `fn` is srcgrad's own derivative (differentiated again, for hvp)."""
    seqs = sequence_names(fn, ops, params, kinds, generated) | maybe_sequence_names(fn, ops, params, kinds)
    out = set(seqs)
    for stmt in statements(fn.body):
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.BinOp)):
            continue
        value = stmt.value
        sides = [isinstance(s, gast.Name) and s.id in seqs for s in (value.left, value.right)]
        if not any(sides):
            continue
        if isinstance(value.op, gast.Add):
            primitive, label = runtime.concat, "list/tuple concatenation `+`"
        elif isinstance(value.op, gast.Mult):
            primitive, label = runtime.repeat, "list/tuple repetition `*`"
        else:
            continue
        ops[id(stmt)] = primitive_op(primitive, [value.left, value.right], stmt, source, label)
        out.add(stmt.targets[0].id)
    return out


def sequence_names(fn, ops: dict, params: list, kinds, generated: bool = False) -> set[str]:
    """Names every assignment of which gives a list or tuple (a greatest fixpoint:
    `acc = []` then `acc = acc + [x]` in a loop is a list). In srcgrad's own
    derivative (`generated`), a restore from its tape, `acc = _stack.pop()`, gives
    back a value acc held, and `acc = None` at the top is the placeholder the
    compiler writes for a name pushed before it is bound: neither says what acc
    holds (a `+` of None would raise in the function anyway)."""
    defs: dict = {}
    for p, k in zip(params, kinds):
        defs.setdefault(p, []).append("sequence" if k in _CONTAINER_KINDS else None)
    appended = set()
    top = {id(s) for s in fn.body}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if generated and (_tape_restore(stmt.value) or id(stmt) in top
                              and isinstance(stmt.value, gast.Constant) and stmt.value.value is None):
                defs.setdefault(stmt.targets[0].id, [])
                continue
            defs.setdefault(stmt.targets[0].id, []).append(stmt)
        elif is_append(stmt):
            appended.add(stmt.value.func.value.id)
        elif isinstance(stmt, (gast.For, gast.With)):  # loop targets, no_grad blocks: unknown
            for n in gast.walk(stmt.target if isinstance(stmt, gast.For) else stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    defs.setdefault(n.id, []).append(None)
    seqs = {n for n in defs if n in appended or defs[n] and all(d is not None for d in defs[n])}
    changed = True
    while changed:
        changed = False
        for name in sorted(seqs):
            if not all(d == "sequence" or _gives_sequence(d, ops, seqs) for d in defs[name]):
                seqs.discard(name)
                changed = True
    return seqs


def maybe_sequence_names(fn, ops: dict, params: list, kinds) -> set[str]:
    """Names that may hold a list or tuple at run time: entries, slices and loop
    items of `container` arguments, of such names, their joins and repetitions
    (`ws = p["ws"] * 2`: `ws[3]` may be a list too), and copies of them."""
    maybe = {p for p, k in zip(params, kinds) if k == "container"}
    if not maybe:
        return set()
    changed = True
    while changed:
        changed = False
        for stmt in statements(fn.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                target, value = stmt.targets[0].id, stmt.value
                if isinstance(value, gast.Subscript):
                    value = value.value
                elif isinstance(value, gast.Call) and len(value.args) == 1 and \
                        getattr(ops.get(id(stmt)), "callee", None) in (list, tuple, runtime.loop_items):
                    value = value.args[0]
                sides = [value.left, value.right] if isinstance(value, gast.BinOp) and \
                    isinstance(value.op, (gast.Add, gast.Mult)) else [value]
                found = any(isinstance(v, gast.Name) and v.id in maybe for v in sides)
            elif isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
                target = stmt.target.id
                found = isinstance(stmt.iter, gast.Name) and stmt.iter.id in maybe
            else:
                continue
            if found and target not in maybe:
                maybe.add(target)
                changed = True
    return maybe


def _tape_restore(value) -> bool:
    """`_stack.pop()`: a restore from the tape of srcgrad's generated code."""
    return is_restore(value) and value.func.value.id.startswith("_stack")


def _gives_sequence(stmt, ops: dict, seqs: set[str]) -> bool:
    value = stmt.value
    if isinstance(value, (gast.List, gast.Tuple)):
        return True
    if isinstance(value, gast.Name):
        return value.id in seqs
    if isinstance(value, gast.BinOp):
        left, right = (isinstance(s, gast.Name) and s.id in seqs for s in (value.left, value.right))
        if isinstance(value.op, gast.Add):
            return left and right
        if isinstance(value.op, gast.Mult):  # times an int constant: `[h0] * 3`
            count = value.right if left else value.left
            return (left or right) and isinstance(count, gast.Constant) and type(count.value) is int
        return False
    if isinstance(value, gast.Subscript):  # a slice of a list is a list
        return isinstance(value.value, gast.Name) and value.value.id in seqs \
            and isinstance(value.slice, gast.Slice)
    op = ops.get(id(stmt))
    if not isinstance(value, gast.Call) or op is None:
        return False
    return op.callee in (list, tuple) or (op.kind == "user" and _returns_displays(op.callee))


def _returns_displays(fn) -> bool:
    """Whether every `return` of the user's function `fn` returns a list or tuple display."""
    from .errors import SrcGradError
    from .frontend import parse

    try:
        tree = parse(fn, fresh=False).tree  # (only read)
    except SrcGradError:
        return False
    returns, todo = [], list(tree.body)
    while todo:  # the function's own statements, not those of functions it defines
        node = todo.pop()
        if isinstance(node, gast.Return):
            returns.append(node)
        elif not isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)):
            todo.extend(gast.iter_child_nodes(node))
    return bool(returns) and all(isinstance(r.value, (gast.List, gast.Tuple)) for r in returns)
