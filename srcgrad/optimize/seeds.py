"""Scalar seeds: the adjoint of a full reduction stays a number while it can.

    _dt8 = unreduce(1.0, _t8, None, False)      _dt8 = 1.0
    _dt5 = unbroadcast(_dt8, _t5)          ->   (gone: _t5 has _t8's shape)
    _dt1 = unbroadcast(_dt5 * _t4, _t1)         _dt1 = unbroadcast(_dt8 * _t4, _t1)

`np.sum(a)` sends its adjoint to every entry of `a`: `unreduce` broadcasts
it to `a`'s shape, and each later operation then makes a full pass over an
array of identical entries. Here the number itself stands for that uniform
array (it is *lazy*, over `a`'s leaf set; see `shapes`). A lazy value stays
lazy through negation, arithmetic with numbers, and `unbroadcast` to a value
of the same shape. It becomes a plain operand where NumPy's broadcasting
gives the same result: in an elementwise operation with an array whose shape
already covers its own. Anywhere else it is broadcast back explicitly
(`unreduce(v, a, None, False)`, with `a` of the right shape), so the result
never depends on the shortcut.

    _dt2 = unreduce(c, _t2, None, False)        (_t2 = _t1 * y, read for its shape)
    _dt1 = unbroadcast(_dt2 * y, _t1)     ->    _dt1 = unbroadcast_against(c * y, _t1)

Where the operands beside a lazy value do not cover its shape, but do with
the `unbroadcast` target's, the product is computed at their shape and
broadcast against the target (`runtime.unbroadcast_against`): nothing of
the lazy value's shape is built, nor the forward value read for it.
"""
from __future__ import annotations

import gast

from .. import nodes, runtime
from ..nodes import Transformer
from .setting import representatives
from ..analysis.kinds import kind_of, numpy_names
from ..analysis.shapes import Shapes, absorbed, is_elementwise


class _Abort(Exception):
    """No value of the right shape to broadcast a lazy adjoint back to."""


def scalar_seeds(backward: list, known, forward: list, params, unreduce_name: str, rename_global=None):
    """Rewrite `backward` (top level) with lazy seeds: `(backward, changed)`,
    where `changed` is the set of names that now hold a number (the lazy ones;
    empty when nothing changed). The code cannot say so (`_dt1 = _dt2` was
    `unreduce(_dt2, _t1, None, False)`, the adjoint of a full reduction), so the
    schedule keeps them as a fact (`Setting.numbers`). `known` holds the facts
    of both sweeps; a lazy value is broadcast back from a name bound to a value
    of its shape before the backward sweep. `rename_global(helper)` names a runtime
    helper in the generated code (`unbroadcast_against`; None: not used)."""
    shapes = known.shapes
    lazy: dict[str, frozenset] = {}
    reps = representatives(forward, params, shapes)
    out = []
    try:
        for stmt in backward:
            # A statement that may change is rewritten on a copy: an abort keeps none of it.
            if _is_seed(stmt, shapes) is not None or (
                    lazy and not lazy.keys().isdisjoint(nodes.loaded_names(stmt))):
                out.append(_statement(nodes.clone(stmt), lazy, reps, shapes, (unreduce_name, rename_global)))
            else:  # no seed, no lazy name read: `_statement` would leave it as it is
                _represent(stmt, reps, shapes)
                out.append(stmt)
    except _Abort:
        return backward, frozenset()
    return out, frozenset(lazy)


def _is_seed(stmt, shapes: Shapes):
    """`v = unreduce(c, a, None, False)`: c broadcast to a's shape."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.Call) and len(stmt.value.args) == 4
            and not stmt.value.keywords and shapes.callee(stmt.value) is runtime.unreduce):
        return None
    _, a, axis, keepdims = stmt.value.args
    if not (isinstance(axis, gast.Constant) and axis.value is None
            and isinstance(keepdims, gast.Constant) and keepdims.value is False):
        return None
    if stmt.targets[0].id not in shapes.single:
        return None
    return shapes.of(a)


def _represent(stmt, reps, shapes) -> None:
    """What `_statement` learns from a statement it leaves as it is: the name it binds,
    the first with its leaf set, is one that set's shape can be read from."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        target = stmt.targets[0].id
        known = shapes.leaves.get(target)
        if known is not None and target in shapes.single:
            reps.setdefault(known, target)


def _statement(stmt, lazy, reps, shapes, names):
    unreduce_name, rename_global = names
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        target = stmt.targets[0].id
        seed = _is_seed(stmt, shapes)
        if seed is not None:
            if seed not in reps and isinstance(stmt.value.args[1], gast.Name):
                reps[seed] = stmt.value.args[1].id
            if seed in reps:
                stmt.value = stmt.value.args[0]
                lazy[target] = seed
                return stmt
        against = _against(stmt.value, lazy, shapes, rename_global)
        value, over = (against, None) if against is not None else \
            _expr(stmt.value, lazy, reps, shapes, unreduce_name)
        if over is not None and target in shapes.single:
            lazy[target] = over
            stmt.value = value
        else:
            stmt.value = _plain(value, over, reps, unreduce_name)
        known = shapes.leaves.get(target)
        if known is not None and over is None and target in shapes.single:
            reps.setdefault(known, target)
        return stmt
    # anything else (loops, branches, returns, subscript stores): lazy names broadcast
    if any(n in lazy for n in nodes.loaded_names(stmt)):
        return _broadcast_names(stmt, lazy, reps, unreduce_name)
    return stmt


def _broadcast_names(node, lazy, reps, unreduce_name):
    return _Broadcast(lazy, reps, unreduce_name).visit(node)


class _Broadcast(Transformer):
    """Each read of a lazy name as its plain value (a class made once, not at every call)."""

    def __init__(self, lazy, reps, unreduce_name):
        self.lazy, self.reps, self.unreduce_name = lazy, reps, unreduce_name

    def visit_Name(self, name):
        if isinstance(name.ctx, gast.Load) and name.id in self.lazy:
            return _plain(name, self.lazy[name.id], self.reps, self.unreduce_name)
        return name


def _plain(expr, over, reps, unreduce_name):
    """`expr` as an ordinary value: a lazy one broadcast to its shape."""
    if over is None:
        return expr
    if over not in reps:
        raise _Abort
    return nodes.quote_expr(f"{unreduce_name}(v, a, None, False)", v=expr, a=reps[over])


def _against(expr, lazy, shapes, rename_global):
    """`unbroadcast(e, x)`, with `e` an elementwise operation of lazy names and
    operands `others` whose shape does not cover theirs but does with x's, as
    `unbroadcast_against(e, x)` (the lazy names read as the numbers they hold); else None."""
    if rename_global is None or not (isinstance(expr, gast.Call) and not expr.keywords
                                     and len(expr.args) == 2 and shapes.callee(expr) is runtime.unbroadcast):
        return None
    inner, x = expr.args
    if isinstance(inner, gast.BinOp) and not isinstance(inner.op, gast.MatMult):
        operands = [inner.left, inner.right]
    elif isinstance(inner, gast.Call) and not inner.keywords and is_elementwise(shapes.callee(inner), len(inner.args)):
        operands = list(inner.args)
    else:
        return None
    numbers = [o for o in operands if isinstance(o, gast.Name) and o.id in lazy]
    others = [o for o in operands if not any(o is n for n in numbers)]
    if not numbers or any(n in lazy for o in others for n in nodes.loaded_names(o)):
        return None
    over = frozenset().union(*(lazy[n.id] for n in numbers))
    covered, target = shapes.union(others), shapes.of(x)
    if not covered or target is None or over <= covered \
            or absorbed(over | covered) != absorbed(target | covered):
        return None
    return nodes.quote_expr(f"{rename_global('unbroadcast_against')}(e, x)", e=inner, x=x)


def _expr(expr, lazy, reps, shapes, unreduce_name):
    """(rewritten expr, leaf set it is lazy over or None)."""
    def plain(e):
        new, over = _expr(e, lazy, reps, shapes, unreduce_name)
        return _plain(new, over, reps, unreduce_name)

    if isinstance(expr, gast.Name):
        return expr, lazy.get(expr.id) if isinstance(expr.ctx, gast.Load) else None
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        expr.operand, over = _expr(expr.operand, lazy, reps, shapes, unreduce_name)
        return expr, over
    call = isinstance(expr, gast.Call) and not expr.keywords
    fn = shapes.callee(expr) if call else None
    if call and fn is runtime.unbroadcast and len(expr.args) == 2:
        g, over = _expr(expr.args[0], lazy, reps, shapes, unreduce_name)
        if over is not None and shapes.of(expr.args[1]) == over:
            return g, over  # same shape: nothing to sum
        expr.args[0] = _plain(g, over, reps, unreduce_name)
        return expr, None
    operands = None
    if isinstance(expr, gast.BinOp) and not isinstance(expr.op, gast.MatMult):
        operands = ["left", "right"]
    elif call and is_elementwise(fn, len(expr.args)):
        operands = list(range(len(expr.args)))
    if operands is not None:
        walked = {k: _expr(_get(expr, k), lazy, reps, shapes, unreduce_name) for k in operands}
        lazy_sets = [over for _, over in walked.values() if over is not None]
        for k, (new, _) in walked.items():
            _set(expr, k, new)
        if not lazy_sets:
            return expr, None
        union = frozenset().union(*lazy_sets)
        others = shapes.union([new for new, over in walked.values() if over is None])
        if others == frozenset():
            return expr, union  # only numbers besides: still uniform
        if others is not None and union <= others:
            return expr, None  # the array operands' shape covers the lazy ones
        for k, (new, over) in walked.items():
            _set(expr, k, _plain(new, over, reps, unreduce_name))
        return expr, None
    for field in expr._fields:  # any other expression: its lazy parts are broadcast
        value = getattr(expr, field, None)
        if isinstance(value, gast.expr) and not isinstance(value, gast.Name) or \
                isinstance(value, gast.Name) and isinstance(value.ctx, gast.Load):
            setattr(expr, field, plain(value))
        elif isinstance(value, list):
            setattr(expr, field, [plain(v) if isinstance(v, gast.expr) else v for v in value])
            for kw in value:
                if isinstance(kw, gast.keyword):
                    kw.value = plain(kw.value)
    return expr, None


def _get(expr, key):
    return getattr(expr, key) if isinstance(key, str) else expr.args[key]


def _set(expr, key, value):
    if isinstance(key, str):
        setattr(expr, key, value)
    else:
        expr.args[key] = value


def spelled_seeds(body: list, known, setting) -> tuple[list, bool]:
    """`(body, changed)`: each seed left at the top level of the assembled function,
    `v = unreduce(1.0, a, None, False)` with `a` a NumPy value (the value kinds
    say so) and a float constant, as what an expert writes, `numpy.ones(a.shape)`
    (`numpy.full(a.shape, c)` for another constant). Both give a float64 array
    of a's shape holding c, as `unreduce` does (which for a large `a` hands out a
    read-only broadcast view instead: the new array is writable, and reads the same).

    Python backend only: numba types a NumPy scalar as a float, without `.shape`
    (its `unreduce` helper takes both); and not for Dask arguments, whose seed
    stays a lazy array."""
    unreduce = setting.helpers.get("unreduce")
    if unreduce is None or setting.native or setting.lazy:
        return body, False
    seeds = [i for i, s in enumerate(body) if s.__class__ is gast.Assign and s.value.__class__ is gast.Call
             and s.value.func.__class__ is gast.Name and s.value.func.id == unreduce]
    if not seeds:
        return body, False
    spell = _Spelled(numpy_names(body, known.kinds, setting.params, setting.callee), setting.callee,
                     setting.rename_global)
    body = list(body)
    copies = set()
    for i in seeds:
        body[i] = spell.visit(body[i])
        if body[i].value.func.__class__ is not gast.Name:  # spelled: a new, writable float64 array
            copies.add(_owned_copy(body, i, setting.callee))
    return [s for k, s in enumerate(body) if k not in copies], spell.changed


def _owned_copy(body: list, i: int, callee) -> int | None:
    """The position of `v = owned_adjoint(v)`, when it is the next statement after
    the seed `v = ...` at `i` to mention v: a copy the accumulation in place made
    of a seed that `unreduce` could hand out as a read-only view. A spelled seed
    is a new array that nothing else holds."""
    name = body[i].targets[0]
    for k in range(i + 1, len(body)):
        stmt = body[k]
        if name.__class__ is gast.Name and name.id not in nodes.names_in(stmt):
            continue
        value = getattr(stmt, "value", None)
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 and name.__class__ is gast.Name \
                and stmt.targets[0].__class__ is gast.Name and stmt.targets[0].id == name.id \
                and value.__class__ is gast.Call and len(value.args) == 1 and not value.keywords \
                and value.args[0].__class__ is gast.Name and value.args[0].id == name.id \
                and callee(value) is runtime.owned_adjoint:
            return k
        return None
    return None


class _Spelled(Transformer):
    """`spelled_seeds`' rewrite (a class made once, not at every call)."""

    def __init__(self, kinds: dict, callee, rename_global):
        self.kinds, self.callee, self.rename_global = kinds, callee, rename_global
        self.changed = False

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (len(node.args) == 4 and not node.keywords and self.callee(node) is runtime.unreduce):
            return node
        c, a, axis, keepdims = node.args
        if not (isinstance(c, gast.Constant) and type(c.value) is float and isinstance(a, gast.Name)
                and isinstance(axis, gast.Constant) and axis.value is None
                and isinstance(keepdims, gast.Constant) and keepdims.value is False
                and kind_of(a, self.kinds, self.callee) == "np"):
            return node
        self.changed = True
        numpy_name = self.rename_global("numpy")
        if c.value == 1.0:
            return nodes.quote_expr(f"{numpy_name}.ones(a.shape)", a=a)
        return nodes.quote_expr(f"{numpy_name}.full(a.shape, c)", a=a, c=c)
