"""What static shapes (see `shapes`) settle in the backward sweep.

    _t1 = np.sin(x)                           (forward sweep)
    _t2 = _t1 * x
    _dt2 = unbroadcast(_dt3 * _t3, _t2)  ->   _dt2 = unbroadcast(_dt3 * _t3, x)
    _dt1 = unbroadcast(_dt2 * x, _t1)         _dt1 = _dt2 * x
    dx = 1.0 * (_dt1 * np.cos(x))             dx = _dt1 * np.cos(x)

- `unbroadcast(e, y)` where `e` and `y` have the same leaf set is `e`.
- A value read only for its shape (the second argument of `unbroadcast` and
  `unreduce`, the first of `reduced_size`) is read from the earliest value
  with the same leaf set, so a temporary computed only to be measured can go.
- `unbroadcast(e, m)` where m is a `keepdims=True` reduction of a value of
  e's shape (see `shapes.Reduced`) is `e.sum(axis=..., keepdims=True)`; where
  m has shape () (a full reduction, a number), `np.sum(e)`.
- `unreduce(g, a, axis, True)` (or `unreduce(g, a, None, False)`, a NumPy `g`)
  as an operand of an elementwise operation whose other operands cover a's
  shape is `g`: broadcasting puts g's entries where unreduce would.
- `1.0 * e` is `e` when `e` is a float already (a ufunc like `tanh` that
  always returns one, or arithmetic involving one); for an integer array it
  would be a conversion, and stays. So is `d * e` where the rewrites above
  left `d` a copy of the unit seed (`_dt1 = _ds`, `_ds = 1.0`): the round
  that would propagate the copies and find `1.0 * e` is not needed.
"""
from __future__ import annotations

import gast
import numpy

from .. import nodes, runtime
from ..nodes import Transformer
from ..rules import facts
from ..analysis.aliases import written_in_place
from ..analysis.kinds import kind_of
from ..analysis.shapes import Reduced, is_elementwise
from .setting import representatives


def settle_shapes(backward: list, known, forward: list, params, rename_global=None) -> tuple[list, bool]:
    """`(backward, changed)`; `known` holds the facts of both sweeps. `rename_global`
    names numpy in the generated code (None: no sum to shape () is written)."""
    shapes = known.shapes
    reps = representatives(forward, params, shapes)
    defs = known.defs  # (of both sweeps, as `known` is)
    # A statement without a node any rewrite starts from (most of them) is left as it is.
    # (Every rewrite changes only the statement it is in: these are the statements' own.)
    may_settle = _Triggers(shapes.callee, defs)
    expression = [isinstance(s, gast.Expr) for s in backward]  # (never visited: see below)
    hot = [e or may_settle(s) for s, e in zip(backward, expression)]
    # `1.0 * y` is a new array: `y` itself would change with a later write into y (a restore).
    # Only asked where a product may become `1.0 * y` (most derivatives have none; it holds
    # a float 1.0, so only a statement that may settle can have one).
    written = _written(forward + backward, params, shapes) \
        if any(n.op.__class__ is gast.Mult and _may_be_one(n.left)
               for n in nodes.of_class([s for s, h in zip(backward, hot) if h], (gast.BinOp,))) else set()
    settle = _Settle(known, reps, defs, written, rename_global)
    # expression statements (line comments, calls kept for their effect) read no shapes
    out = [settle.visit(s) if h and not e else s for s, h, e in zip(backward, hot, expression)]
    if settle.changed:  # the copies it made may end in a unit seed: `_dt11 * e` is `1.0 * e`
        _unit_products(out, forward, params, shapes)
    return out, settle.changed


def _unit_products(backward: list, forward: list, params, shapes) -> None:
    """`d * e` as `e` (in place) where `d` is bound once, at the top level, to the float
    1.0 or through names so bound (`_dt11 = do`, `do = _dt18`, `_dt18 = 1.0`): what
    copy propagation and the next round's `1.0 * e` rule would make, without that
    round. The same conditions as that rule: `e` a float whatever its inputs, and not
    a name whose memory a later write changes."""
    assigns = {s.targets[0].id: s for s in forward + backward
               if s.__class__ is gast.Assign and s.targets[0].__class__ is gast.Name
               and s.targets[0].id in shapes.single}
    defs = {name: stmt.value for name, stmt in assigns.items()}
    found = {}  # index of a statement -> the products in it to rewrite, as far as shapes tell
    named = False  # whether a product may become a name (`d * y` -> `y`): only then is `written` asked
    for k, stmt in enumerate(backward):
        if stmt.__class__ is gast.Expr:
            continue
        products = [n for n in nodes.of_class(stmt, (gast.BinOp,))
                    if n.op.__class__ is gast.Mult and n.left.__class__ is gast.Name and _unit(n.left.id, assigns)
                    and _inexact(n.right, shapes, defs, set())]
        if products:
            units = found[k] = {id(n) for n in products}
            for n in products:
                right = n.right
                while right.__class__ is gast.BinOp and id(right) in units:  # (a product that goes first)
                    right = right.right
                named |= isinstance(right, gast.Name)
    if found:
        written = _written(forward + backward, params, shapes) if named else frozenset()
        for k, units in found.items():
            backward[k] = _Units(units, written).visit(backward[k])


def _written(stmts: list, params, shapes) -> set:
    """The names whose memory a statement of `stmts` may write in place."""
    return written_in_place(stmts, list(params), lambda call: facts.is_pure(shapes.callee(call))
                            and not any(k.arg == "out" for k in call.keywords))


def _unit(name: str, assigns: dict) -> bool:
    seen = set()
    while name not in seen and name in assigns:
        seen.add(name)
        value = assigns[name].value
        if value.__class__ is gast.Constant:
            return type(value.value) is float and value.value == 1.0
        if value.__class__ is not gast.Name:
            return False
        name = value.id
    return False


class _Units(Transformer):
    """`_unit_products`' rewrite (a class made once)."""

    def __init__(self, units: set, written: set):
        self.units, self.written = units, written

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if id(node) in self.units and not (isinstance(node.right, gast.Name) and node.right.id in self.written):
            return node.right
        return node


class _Triggers:
    """`may_settle(stmt)`: whether `_Settle` may rewrite anything in `stmt`, from one
    walk that resolves each call once (a walk costs a fraction of the Transformer's
    visit). Each rewrite starts from a node of one of these kinds, as the statement
    was given (nothing changes before one fires):

    - a call without keywords to `unbroadcast`, `unbroadcast_against` or `unreduce`,
      or to a function that reads an argument for its shape only (`shape_template`);
    - a name read that is bound to an `unreduce(g, a, axis, keepdims)` call (`defs`),
      an operand `_broadcast_by_operation` may replace;
    - the float constant 1.0 (`1.0 * e`)."""

    def __init__(self, callee, defs: dict):
        self.callee, self.defs = callee, defs
        self.unreduced: dict = {}  # name -> whether it is bound to an unreduce call

    def __call__(self, stmt) -> bool:
        stack = [stmt]
        pop, push, fields_of, AST = stack.pop, stack.append, nodes.child_fields, gast.AST
        Name, Constant, Call = gast.Name, gast.Constant, gast.Call
        while stack:
            n = pop()
            cls = n.__class__
            if cls is Name:
                if n.ctx.__class__ is gast.Load and self._unreduced(n.id):
                    return True
                if n.annotation is None:
                    continue
            elif cls is Constant:
                if type(n.value) is float and n.value == 1.0:
                    return True
                continue
            elif cls is Call and not n.keywords:
                fn = self.callee(n)
                if fn is runtime.unbroadcast or fn is runtime.unbroadcast_against or fn is runtime.unreduce \
                        or facts.shape_template(fn) is not None:
                    return True
            for field in fields_of(cls):  # (nodes.push_children, inlined)
                value = getattr(n, field, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, AST):
                            push(item)
                elif isinstance(value, AST):
                    push(value)
        return False

    def _unreduced(self, name: str) -> bool:
        found = self.unreduced.get(name)
        if found is None:
            call = self.defs.get(name)
            found = self.unreduced[name] = call.__class__ is gast.Call and not call.keywords \
                and len(call.args) == 4 and self.callee(call) is runtime.unreduce
        return found


class _Settle(Transformer):
    """`settle_shapes`' rewrites (a class made once, not at every call)."""

    def __init__(self, known, reps: dict, defs: dict, written: set, rename_global):
        self.shapes, self.kinds, self.reps, self.defs, self.written = known.shapes, known.kinds, reps, defs, written
        self.rename_global = rename_global
        self.changed = False

    def visit_Call(self, node):
        self.generic_visit(node)
        shapes = self.shapes
        fn = shapes.callee(node)
        if node.keywords:
            return node
        if (fn is runtime.unbroadcast or fn is runtime.unbroadcast_against) and len(node.args) == 2:
            mine = shapes.of(node.args[0])
            if mine is not None and mine == shapes.of(node.args[1]):
                self.changed = True
                return node.args[0]
            summed = _summed(node.args[0], mine, shapes.of(node.args[1]), self.kinds, shapes.callee,
                             self.rename_global)
            if summed is not None:
                self.changed = True
                return summed
        if is_elementwise(fn, len(node.args)):
            self.changed |= _broadcast_by_operation(node.args, shapes, self.defs, self.kinds)
        position = facts.shape_template(fn)
        if position is not None and len(node.args) > position:
            arg = node.args[position]
            leaves = shapes.leaves.get(arg.id) if isinstance(arg, gast.Name) else None
            if leaves:  # (a number's shape needs no earlier value to read it from)
                rep = self.reps.get(leaves)
                if rep is not None and rep != arg.id:
                    arg.id = rep
                    self.changed = True
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, gast.MatMult):
            operands = [node.left, node.right]
            if _broadcast_by_operation(operands, self.shapes, self.defs, self.kinds):
                node.left, node.right = operands
                self.changed = True
        if isinstance(node.op, gast.Mult) and isinstance(node.left, gast.Constant) \
                and node.left.value == 1.0 and type(node.left.value) is float \
                and _inexact(node.right, self.shapes, self.defs, set()) \
                and not (isinstance(node.right, gast.Name) and node.right.id in self.written):
            self.changed = True
            return node.right
        return node


def _may_be_one(expr) -> bool:
    """`expr` is the float 1.0, or may become it below: a call whose first argument
    may be 1.0 (`unbroadcast(1.0, y)` settles to `1.0`)."""
    while expr.__class__ is gast.Call and expr.args:
        expr = expr.args[0]
    return expr.__class__ is gast.Constant and type(expr.value) is float and expr.value == 1.0


def _summed(expr, leaves, target, kinds, callee, rename_global=None):
    """`expr.sum(axis=a, keepdims=True)` when `target` (a leaf set) is one `Reduced`
    leaf over `leaves` along constant axes `a` (so `expr` has those axes: an array);
    `numpy.sum(expr)` when it is the empty leaf set (shape (): `unbroadcast` sums
    every axis; a value of shape () it hands back as it is, which `numpy.sum` gives
    as a NumPy scalar of the same value); `expr` a NumPy value with leaves; else None."""
    if not leaves or target is None or kind_of(expr, kinds, callee) != "np":
        return None
    if target:
        leaf = next(iter(target))
        if len(target) != 1 or type(leaf) is not Reduced or leaf.over != leaves or leaf.axis is None:
            return None
    elif rename_global is None or any(type(leaf) is not str or kinds.get(leaf) != "np" for leaf in leaves):
        return None  # (a leaf that may be a number: `expr` may be a Python float, kept one)
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):  # -(sum) is sum(-e), exactly
        return gast.UnaryOp(op=gast.USub(), operand=_summed(expr.operand, leaves, target, kinds, callee,
                                                             rename_global))
    if not target:
        return nodes.quote_expr(f"{rename_global('numpy')}.sum(e)", e=expr)
    axis = gast.Tuple(elts=[gast.Constant(value=a, kind=None) for a in leaf.axis], ctx=gast.Load()) \
        if isinstance(leaf.axis, tuple) else gast.Constant(value=leaf.axis, kind=None)
    return nodes.quote_expr("e.sum(axis=a, keepdims=True)", e=expr, a=axis)


def _broadcast_by_operation(operands: list, shapes, defs, kinds) -> bool:
    """Replace, in `operands` (of one elementwise operation), each `unreduce(g, a,
    axis, True)` (a name bound to one, or the call itself) by `g` where the other
    operands cover a's shape; whether any changed. With `axis=None, keepdims=False`
    only a NumPy `g` (a Python float would change the result's dtype)."""
    changed = False
    for i, operand in enumerate(operands):
        call = defs.get(operand.id) if isinstance(operand, gast.Name) and isinstance(operand.ctx, gast.Load) \
            else operand
        if not (isinstance(call, gast.Call) and not call.keywords and len(call.args) == 4
                and shapes.callee(call) is runtime.unreduce):
            continue
        g, a, axis, keepdims = call.args
        kept = isinstance(keepdims, gast.Constant) and keepdims.value is True
        whole = isinstance(axis, gast.Constant) and axis.value is None \
            and isinstance(keepdims, gast.Constant) and keepdims.value is False
        if not (kept or whole) or kind_of(g, kinds, shapes.callee) != "np" \
                or not (isinstance(g, gast.Name) and g.id in shapes.single or isinstance(g, gast.Constant)):
            continue
        over, others = shapes.of(a), shapes.union(operands[:i] + operands[i + 1:])
        if over is not None and others is not None and over <= others:
            operands[i] = nodes.clone(g)
            changed = True
    return changed


def _inexact(expr, shapes, defs, seen) -> bool:
    """`expr` is a float (or complex) value whatever its inputs' dtypes."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) is float
    if isinstance(expr, gast.Name):
        if expr.id in seen or expr.id not in defs:
            return False
        seen.add(expr.id)
        return _inexact(defs[expr.id], shapes, defs, seen)
    if isinstance(expr, gast.BinOp):
        return isinstance(expr.op, gast.Div) or _inexact(expr.left, shapes, defs, seen) \
            or _inexact(expr.right, shapes, defs, seen)
    if isinstance(expr, gast.UnaryOp):
        return _inexact(expr.operand, shapes, defs, seen)
    if isinstance(expr, gast.Call):
        fn = shapes.callee(expr)
        if isinstance(fn, numpy.ufunc):
            return all(t[-1] in "efdgFDG" for t in fn.types if "O" not in t)
    return False
