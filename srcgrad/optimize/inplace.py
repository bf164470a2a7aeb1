"""In-place accumulation into adjoint buffers the derivative owns.

    dW = zeros_like(W)                dW = zeros_like(W)
    for _ in range(_n1):      ->      for _ in range(_n1):
        dW = dW + e                       dW += e

    dxs = unbroadcast(e, xs)                       dxs = unbroadcast(e, xs)
    for i in range(n - 1, -1, -1):                 dxs = owned_adjoint(dxs)
        _dt3 = written_adjoint(dxs, i + 1, _t3)    for i in range(n - 1, -1, -1):
        dxs = zero_at(dxs, i + 1)            ->        _dt3 = written_adjoint(dxs, i + 1, _t3)
        dxs = dxs + unindex(_dt2, xs, i)               dxs[i + 1] = 0.0
        dxs = dxs + unindex(_dt4, xs, idx)             dxs[i] += _dt2
                                                       scatter_add(dxs, idx, _dt4)

    dx = np.cos(x) * 2.0              dx = np.cos(x) * 2.0
    dx = dx + _dt1            ->      dx += _dt1           (accumulate_top_level)

Both run last, on the final backward sweep (no pass after them knows `+=`).

In a loop (`accumulate_in_place`), an adjoint's array is rebuilt by every
contribution of a read `x[i]` (`dx + unindex(g, x, i)`: a full-size array per
iteration, quadratic time) and of a write (`zero_at`: a full copy). Adding in
place is exact only into a buffer nothing else can see. Ownership:

- the adjoint is a buffer the loop owns when it enters the loop: zero-
  initialised right before it (`zeros_like`, a new array), or else copied
  there once (`owned_adjoint`, a new array of a floating dtype). The copy is
  what keeps the caller's arrays (a vjp cotangent handed in as the seed, an
  adjoint that another adjoint name also holds after `dy = dx`) unchanged;
- inside the loop, no statement lets another name hold it: the adjoint only
  appears as the target of its own accumulations (`dx = dx + e`, `e` free of
  dx), of zeroing (`zero_at`) and of fresh zeros (`dx = zeros_like(x)`, where
  a branch initialises it), and is read only by `written_adjoint`, which
  copies the entries it returns. Any other use leaves the adjoint on the
  copying path;
- container adjoints (tuples, lists, dicts: `Setting.containers`) stay on the
  copying path: their helpers build new containers that share entries.

After the loop, the buffer is an ordinary value again (others may hold it),
so a later loop copies it once more unless it was zero-initialised there.
A basic index (an int, a slice, a tuple of them: `Setting.scalars` names the
Python numbers) adds with `dx[i] += g`; any other index (an integer array,
which may repeat, or a boolean mask) with `scatter_add`, `numpy.add.at`'s
sum over repeats. A Python float accumulates the same way (`+=` rebinds it);
a buffer that is `0.0` before the loop is owned for that only, never for
entries. `written_adjoint(dx, i, v)` of an int `i` into a one-axis array
(`Setting.entries`) with `v` of shape () is the entry `dx[i]`: a NumPy
scalar, a copy already.
Forward mode over the generated code (hvp) sees `dx[i] += g` as a subscript
write and `scatter_add` as a write it models (compiler `_restores`).
"""
from __future__ import annotations

import gast

from .. import nodes, runtime
from ..analysis.shapes import is_elementwise


def accumulate_in_place(stmts: list, setting):
    """`(stmts, changed)`, rewritten in place; `setting` names the helpers."""
    helpers = setting.helpers
    forms = _Forms((helpers.get("zeros_like"), helpers.get("zeros_like_entry")), helpers.get("unindex"),
                   helpers.get("zero_at"),
                   helpers.get("written_adjoint"), frozenset(setting.scalars), setting.containers,
                   setting.numbers | setting.scalars, setting.entries, setting.vectors)
    return _block(stmts, forms, setting.rename_global)


class _Forms:
    """The emitted names of the helpers the pass reads, and the names it trusts."""

    def __init__(self, zeros, unindex, zero_at, written, scalars, containers, numbers, entries, vectors):
        (self.zeros, self.zeros_entry), self.unindex, self.zero_at, self.written = zeros, unindex, zero_at, written
        self.zero_names = tuple(n for n in zeros if n is not None)
        self.scalars, self.containers = scalars, containers
        self.numbers, self.entries = numbers, entries  # shape (); adjoints of one-axis arrays
        self.vectors = vectors  # float64 arrays of one axis

    def call_of(self, expr, helper, nargs):
        return helper is not None and isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) \
            and expr.func.id == helper and len(expr.args) == nargs and not expr.keywords


def _block(stmts: list, forms: _Forms, rename_global):
    changed = False
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, gast.For):
            fresh = _fresh_before(stmts[:i], forms.zero_names)
            for var in sorted(_targets(stmt.body)):
                uses = _uses(stmt.body, var, forms)
                entries = uses is not None and bool(uses & {"scatter", "zero", "read"})
                if uses is None or entries and var in forms.containers:
                    continue
                # a number (`dv = 0.0`) is owned for `+=`, which rebinds it; entries need an array
                owned = fresh.get(var) == "zeros" or fresh.get(var) == "number" and uses <= {"add", "none"} \
                    or entries and _new_vector_before(stmts[:i], var, forms)
                if not owned and entries:
                    copy = nodes.quote_expr(f"{rename_global('owned_adjoint')}(v)", v=nodes.name(var))
                    out.append(nodes.assign(var, copy))
                    owned = True
                if owned:
                    stmt.body = _rewrite(stmt.body, var, forms, rename_global)
                    changed = True
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and not isinstance(stmt, gast.Assign):
                new, c = _block(inner, forms, rename_global)
                setattr(stmt, name, new)
                changed |= c
        out.append(stmt)
    return out, changed


def _fresh_before(stmts, zero_names) -> dict[str, str]:
    """Adjoints zero-initialised by the statements just before a loop: "zeros"
    (`zeros_like` or `zeros_like_entry`, the names in `zero_names`: a new array, or
    None where the loop reads no such entry and runs no trip) or "number" (`0.0`)."""
    out: dict[str, str] = {}
    for stmt in reversed(stmts):
        if nodes.is_comment(stmt):
            continue
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id in zero_names:
                out.setdefault(stmt.targets[0].id, "zeros")
                continue
            if isinstance(value, gast.Constant) and value.value == 0.0:
                out.setdefault(stmt.targets[0].id, "number")
                continue
        break
    return out


_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.FloorDiv, gast.Mod)


def _new_vector_before(stmts, var, forms: _Forms) -> bool:
    """`var` holds a float array of one axis or more that no other name holds when
    the loop after `stmts` starts: what `owned_adjoint` would copy it into. So
    its last binding is arithmetic of a float64 vector (`dxs = 2.0 * xs`: a new
    array, float64 or complex) with numbers, and nothing since has read it."""
    for stmt in reversed(stmts):
        if nodes.is_comment(stmt) or var not in nodes.names_in(stmt):
            continue
        return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == var \
            and var not in nodes.loaded_names(stmt.value) and _vector_arithmetic(stmt.value, forms) is True
    return False


def _vector_arithmetic(expr, forms: _Forms):
    """True: arithmetic with a float64 vector among its operands, and otherwise
    numbers; False: numbers only; None: anything else."""
    if isinstance(expr, gast.Constant):
        return False if type(expr.value) in (int, float) else None
    if isinstance(expr, gast.Name):
        return True if expr.id in forms.vectors else False if expr.id in forms.numbers else None
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        return _vector_arithmetic(expr.operand, forms)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, _ARITHMETIC):
        sides = (_vector_arithmetic(expr.left, forms), _vector_arithmetic(expr.right, forms))
        return None if None in sides else any(sides)
    return None


def _targets(body) -> set[str]:
    return {s.targets[0].id for s in nodes.walk_statements(body)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}


def _is_accumulation(stmt, var) -> bool:
    return (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == var and isinstance(stmt.value, gast.BinOp)
            and isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.left, gast.Name)
            and stmt.value.left.id == var and var not in nodes.loaded_names(stmt.value.right))


def _form(stmt, var, forms: _Forms) -> str | None:
    """How `stmt` touches the adjoint `var`: "add" (`var = var + e`), "scatter"
    (`var = var + unindex(g, x, index)`), "zero" (`var = zero_at(var, index)`),
    "fresh" (`var = zeros_like(x)`), "read" (`t = written_adjoint(var, index, v)`),
    "none"; None for anything else."""
    if var not in nodes.names_in(stmt):
        return "none"
    if isinstance(stmt, (gast.If, gast.While)):
        return None if var in nodes.loaded_names(stmt.test) else "none"
    if isinstance(stmt, gast.For):
        return None if var in nodes.names_in(stmt.iter) or var in nodes.names_in(stmt.target) else "none"
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    value = stmt.value
    if stmt.targets[0].id != var:
        if forms.call_of(value, forms.written, 3) and isinstance(value.args[0], gast.Name) \
                and value.args[0].id == var and var not in nodes.loaded_names(value.args[1:]):
            return "read"
        return None
    if _is_accumulation(stmt, var):
        return "scatter" if forms.call_of(value.right, forms.unindex, 3) else "add"
    if forms.call_of(value, forms.zero_at, 2) and isinstance(value.args[0], gast.Name) \
            and value.args[0].id == var and var not in nodes.loaded_names(value.args[1]):
        return "zero"
    if (forms.call_of(value, forms.zeros, 1) or forms.call_of(value, forms.zeros_entry, 2)) \
            and var not in nodes.loaded_names(value):
        return "fresh"
    return None


def _uses(body, var, forms: _Forms) -> set[str] | None:
    """The forms in which `body` touches `var`, if it accumulates into it
    (see `_form`) and touches it no other way; else None."""
    found: set[str] = set()
    for stmt in nodes.walk_statements(body):
        form = _form(stmt, var, forms)
        if form is None:
            return None
        found.add(form)
    return found if found & {"add", "scatter", "zero"} else None


def _augmented(target, added):
    """`target += added`; `target -= e` for `added` = `-e` (the same value: a + (-b) is a - b)."""
    if isinstance(added, gast.UnaryOp) and isinstance(added.op, gast.USub):
        return gast.AugAssign(target=target, op=gast.Sub(), value=added.operand)
    return gast.AugAssign(target=target, op=gast.Add(), value=added)


def _is_basic(index, scalars) -> bool:
    """An index that names every entry at most once and that `+=` reads as NumPy's
    basic indexing: an int, a Python number's name, a slice, a tuple of them."""
    if isinstance(index, gast.Constant):
        return type(index.value) is int or index.value is Ellipsis
    if isinstance(index, gast.Name):
        return index.id in scalars
    if isinstance(index, gast.Call) and isinstance(index.func, gast.Name) and index.func.id == "slice":
        return all(_is_basic(a, scalars) or isinstance(a, gast.Constant) and a.value is None for a in index.args)
    if isinstance(index, gast.BinOp) and isinstance(index.op, (gast.Add, gast.Sub)):
        return _is_basic(index.left, scalars) and _is_basic(index.right, scalars)
    if isinstance(index, gast.Tuple):
        return all(_is_basic(e, scalars) for e in index.elts)
    return False


def _subscript_index(index):
    """`slice(a, b, None)` written back as `a:b`, in a subscript."""
    if isinstance(index, gast.Call) and isinstance(index.func, gast.Name) and index.func.id == "slice" \
            and len(index.args) == 3 and not index.keywords:
        parts = [None if isinstance(a, gast.Constant) and a.value is None else nodes.clone(a) for a in index.args]
        return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_subscript_index(e) for e in index.elts], ctx=gast.Load())
    return nodes.clone(index)


def _entry(var, index, store: bool = True):
    return gast.Subscript(value=nodes.name(var), slice=_subscript_index(index),
                          ctx=gast.Store() if store else gast.Load())


def _one_entry(args, var, forms: _Forms) -> bool:
    """`written_adjoint(var, i, v)` is the entry `var[i]`: an int `i` into a one-axis
    array, a value `v` of shape () (nothing to sum, and a number a copy already)."""
    _, index, value = args
    return var in forms.entries and isinstance(value, gast.Name) and value.id in forms.numbers and (
        isinstance(index, gast.Name) and index.id in forms.scalars
        or isinstance(index, gast.Constant) and type(index.value) is int)


def _rewrite(stmts, var, forms: _Forms, rename_global) -> list:
    out = []
    for stmt in stmts:
        form = _form(stmt, var, forms) if isinstance(stmt, gast.Assign) else "none"
        if form == "add":
            new = _augmented(nodes.name(var, store=True), stmt.value.right)
        elif form == "scatter":
            added, _, index = stmt.value.right.args
            if _is_basic(index, forms.scalars):
                new = _augmented(_entry(var, index), added)
            else:
                new = nodes.expr_stmt(nodes.quote_expr(f"{rename_global('scatter_add')}(v, i, g)",
                                                       v=nodes.name(var), i=index, g=added))
        elif form == "zero":
            new = gast.Assign(targets=[_entry(var, stmt.value.args[1])], value=nodes.const(0.0), type_comment=None)
        elif form == "read" and _one_entry(stmt.value.args, var, forms):
            stmt.value = _entry(var, stmt.value.args[1], store=False)
            new = stmt
        else:
            nodes.map_blocks(stmt, lambda inner: _rewrite(inner, var, forms, rename_global))
            out.append(stmt)
            continue
        out.append(gast.copy_location(new, stmt))
    return out


def accumulate_top_level(stmts: list, known):
    """`dx = dx + e` -> `dx += e` at the top level, where `dx` holds a fresh
    array (see `is_fresh`) that no other statement has read since, so nothing
    else can hold it; and `e` has no axis `dx` lacks (its leaf set is within
    dx's, see `shapes`). `(stmts, changed)`; `known` holds the function's facts."""
    shapes = known.shapes
    changed = False
    owned: dict[str, frozenset] = {}
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            var = stmt.targets[0].id
            if var in owned and _is_accumulation(stmt, var):
                added = shapes.of(stmt.value.right)
                if added is not None and added <= owned[var]:
                    out.append(gast.copy_location(_augmented(nodes.name(var, store=True), stmt.value.right), stmt))
                    changed = True
                    continue
            for name in nodes.loaded_names(stmt.value) & owned.keys():
                owned.pop(name)
            owned.pop(var, None)
            if is_fresh(stmt.value, shapes.callee):  # (the cheaper test first)
                leaves = shapes.of(stmt.value)
                if leaves is not None:
                    owned[var] = leaves
        else:
            for name in nodes.names_in(stmt) & owned.keys():
                owned.pop(name)
        out.append(stmt)
    return out, changed


def is_fresh(expr, callee) -> bool:
    """`expr` evaluates to a new value that nothing else holds: arithmetic, a
    ufunc, an elementwise helper, or `unbroadcast` of such a value."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return True
    if not isinstance(expr, gast.Call) or expr.keywords:
        return False
    fn = callee(expr)
    if fn is runtime.unbroadcast or fn is runtime.unbroadcast_against:
        return len(expr.args) == 2 and is_fresh(expr.args[0], callee)
    return is_elementwise(fn, len(expr.args))
