"""Copy and constant propagation with constant folding, on straight-line code.

    _dt1 = dh                 ->   dx = dh * 2.0
    dx = _dt1 * 2.0
    _dr = 1.0                 ->   dy = c
    dy = _dr * c

`a = b` (b a name or a number) is forwarded into later reads of `a` until
`a` or `b` is assigned again, and removed when no read is left and `a` is
not needed after the block.
"""
from __future__ import annotations

import operator

import math

import gast

from .. import nodes
from ..nodes import Transformer
from ..reverse.tape import is_pop_marker


_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def _reads_and_stores(stmt) -> tuple[set[str], set[str]]:
    """`(nodes.loaded_names(stmt), stored)`, from one walk of the statement. Stored:
    the names it assigns, or writes into (`y[0] = v`: a copy `a = y` read after it
    would see the new entry); a pop marker assigns the variable it restores."""
    loads, out = nodes.reads_and_stores(stmt)
    if stmt.__class__ is gast.Assign and all(t.__class__ is gast.Name for t in stmt.targets):
        return loads, out  # (most statements: the names it assigns are stored names already)
    for s in nodes.walk_statements([stmt]):
        if is_pop_marker(s):
            out.add(s.var)
        elif isinstance(s, (gast.Assign, gast.AugAssign)):
            targets = s.targets if isinstance(s, gast.Assign) else [s.target]
            for target in targets:
                for t in target.elts if isinstance(target, (gast.Tuple, gast.List)) else [target]:
                    while isinstance(t, (gast.Subscript, gast.Attribute)):
                        t = t.value
                    if isinstance(t, gast.Name):
                        out.add(t.id)
    return loads, out


def _is_copy(stmt) -> bool:
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    value = stmt.value
    if isinstance(value, gast.Name):
        return value.id != stmt.targets[0].id
    return isinstance(value, gast.Constant) and isinstance(value.value, (int, float)) \
        and not isinstance(value.value, bool)


def propagate(stmts: list, live_out: set[str], floats: frozenset = frozenset()):
    """Forward copies into later reads; dead copies are left for DCE.

    First, `_dt1 = e; dW1 = _dt1` with `_dt1` read nowhere else becomes
    `dW1 = e`: the reader's name survives, not the compiler's.
    """
    changed = _coalesce(stmts, _once(lambda: _load_counts(stmts)))  # (most blocks have no candidate)
    changed |= _block(stmts, floats)
    return stmts, changed


def _once(compute):
    """`compute()`, called at the first call only."""
    done: list = []

    def value():
        if not done:
            done.append(compute())
        return done[0]
    return value


def _load_counts(stmts) -> dict:
    counts: dict = {}
    for n in nodes.name_nodes(stmts):
        if n.ctx.__class__ is gast.Load:
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _coalesce(stmts: list, counts) -> bool:
    """`counts()`: the reads of each name. (Asked before the first change: a change
    drops the one read of a name, which nothing asks about again.)"""
    changed = False
    previous = None
    for i, stmt in enumerate(stmts):
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, gast.Assign):
                changed |= _coalesce(inner, counts)
        if nodes.is_comment(stmt):
            continue
        if (_is_copy(stmt) and isinstance(stmt.value, gast.Name) and previous is not None
                and stmt.value.id.startswith("_") and not stmt.targets[0].id.startswith("_")
                and _target(previous) == stmt.value.id and counts().get(stmt.value.id) == 1
                and stmt.targets[0].id not in nodes.loaded_names(previous.value)):
            previous.targets[0].id = stmt.targets[0].id
            stmts[i] = gast.Pass()
            changed = True
            previous = None
            continue
        previous = stmt if isinstance(stmt, gast.Assign) else None
    stmts[:] = [s for s in stmts if not isinstance(s, gast.Pass)] or stmts[:1]
    return changed


def _target(stmt):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _block(stmts: list, floats) -> bool:
    """One pass in order: each statement first has the copies still in force read
    through (a compound statement none that it assigns, in its body or not), then
    ends those whose name or source it assigns; then its value is folded, and a copy
    (one folded to a number too: `dp = 1.0 * 0.1`) comes into force after it."""
    changed = False
    live: dict = {}  # a -> (its value node, the name it copies or None)
    copying: dict = {}  # b -> the names a that were made copies of it (some may no longer be)
    for stmt in stmts:
        if live:
            loads, stores = _reads_and_stores(stmt)
            compound = isinstance(stmt, (gast.If, gast.For, gast.While))
            # (from the few names a statement stores, not the many copies in force)
            ended = {a for a in stores if a in live}
            for b in stores:
                for a in copying.get(b, ()):
                    if a in live and live[a][1] == b:
                        ended.add(a)
            if compound:
                for a in ended:
                    del live[a]
            now = {a: live[a][0] for a in loads if a in live}
            if now:
                _Substitute(now).visit(stmt)
                changed = True
            if not compound:
                for a in ended:
                    del live[a]
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, gast.Assign):
                changed |= _block(inner, floats)
        folded_to_name = False
        if isinstance(stmt, gast.Assign) and _foldable(stmt.value, floats):
            folded = fold(stmt.value, floats)
            if folded is not stmt.value and not _aliases(folded, floats):
                stmt.value = folded
                changed = True
                # (the next round's `_coalesce` may give the value the reader's name)
                folded_to_name = isinstance(folded, gast.Name)
        if _is_copy(stmt) and not folded_to_name:
            value = stmt.value
            source = value.id if isinstance(value, gast.Name) else None
            live[stmt.targets[0].id] = (value, source)
            if source is not None:
                copying.setdefault(source, []).append(stmt.targets[0].id)
    return changed


class _Substitute(Transformer):
    """Every read of a name in `copies` replaced by a copy of its value. (A class
    made once: a class statement in the function would cost more than the walk.)"""

    def __init__(self, copies: dict):
        self.copies = copies

    def visit_Name(self, n):
        value = self.copies.get(n.id)
        if value is not None and isinstance(n.ctx, gast.Load):
            return nodes.clone(value)
        return n


def _fold_all(stmts, floats) -> bool:
    changed = False
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and _foldable(stmt.value, floats):
            folded = fold(stmt.value, floats)
            if _aliases(folded, floats):
                continue
            if folded is not stmt.value:
                stmt.value = folded
                changed = True
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, gast.Assign):
                changed |= _fold_all(inner, floats)
    return changed


def _aliases(folded, floats) -> bool:
    """Whether a folded value would bind a name to another's array: `y = x ** 1`
    and `y = -(-x)` make new arrays, `y = x` does not, and a later `y[0] = ...`
    would write into `x` (an adjoint, in `floats`, is never written that way)."""
    return isinstance(folded, gast.Name) and folded.id not in floats


def _foldable(expr, floats: frozenset = frozenset()) -> bool:
    """Whether `fold` could change anything (a cheap test, run first): a node one of
    `_Fold`'s rules rewrites as it is. (No node below `expr` changes unless one of them
    matches, so each node is tested with the children it has.)"""
    stack = [expr]
    pop, push, Constant = stack.pop, stack.append, gast.Constant
    while stack:
        node = pop()
        cls = node.__class__
        if cls is gast.BinOp:
            if _binop_folds(node, floats):
                return True
            push(node.left)
            push(node.right)
        elif cls is gast.UnaryOp:
            if node.op.__class__ is gast.USub and (_number(node.operand) is not None or (
                    node.operand.__class__ is gast.UnaryOp and node.operand.op.__class__ is gast.USub)):
                return True
            push(node.operand)
        elif cls is gast.Call:
            if node.func.__class__ is gast.Name and node.func.id.startswith(("power_derivative",
                                                                               "masked_product")):
                return True
            stack.extend(node.args)
            stack.extend(k.value for k in node.keywords)
        elif cls is not gast.Name and cls is not Constant:
            nodes.push_children(node, push)
    return False


def _binop_folds(node, floats) -> bool:
    """Whether `_Fold.visit_BinOp` rewrites `node`, its operands as they are (a test
    that may say yes where it does not, never the other way)."""
    left, right = _number(node.left), _number(node.right)
    if left is None and right is None:
        return False
    op = node.op.__class__
    if left is not None and right is not None:
        return op in _FOLD
    if left is not None:
        if op is gast.Mult:
            inner = node.right
            return left in (1, -1) and _is_float(inner, floats) or inner.__class__ is gast.BinOp \
                and inner.op.__class__ is gast.Mult and _number(inner.left) is not None
        return op is gast.Add and left == 0 and _is_float(node.right, floats)
    if op is gast.Pow:
        return right == 1
    return op in (gast.Mult, gast.Div) and right == 1 and _is_float(node.left, floats)


def _is_float(node, floats) -> bool:
    """`_Fold.is_float`."""
    if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub:
        node = node.operand
    return node.__class__ is gast.Name and node.id in floats


def _number(node):
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    return None


def _exact_scale(c) -> bool:
    """Multiplying by `c` rounds nothing: c is 0 or a signed power of two."""
    return c == 0 or math.isfinite(c) and math.frexp(abs(c))[0] == 0.5


def fold(expr, floats: frozenset = frozenset()):
    """Fold arithmetic on constants and drop multiplications by one.

    `1.0 * e` becomes `e` only when `e` names a value known to be a float
    (an adjoint): for a boolean `e` the multiplication is a real conversion.
    """
    return _Fold(floats).visit(expr)


class _Fold(Transformer):
    """`fold`'s rewrites (a class made once, not at every call)."""

    def __init__(self, floats: frozenset):
        self.floats = floats

    def is_float(self, node):
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            node = node.operand
        return isinstance(node, gast.Name) and node.id in self.floats

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = _number(node.left), _number(node.right)
        op = type(node.op)
        if left is not None and right is not None and op in _FOLD:
            try:
                return nodes.const(_FOLD[op](left, right))
            except (ArithmeticError, ValueError):
                return node
        if op is gast.Mult and left == 1 and self.is_float(node.right):
            return node.right
        inner = node.right
        if op is gast.Mult and left is not None and isinstance(inner, gast.BinOp) \
                and isinstance(inner.op, gast.Mult) and _number(inner.left) is not None \
                and (_number(inner.left) == 1 or left == 1 and _exact_scale(_number(inner.left))):
            # 2 * (1.0 * e) and 1.0 * (2 * e) are 2.0 * e: scaling by one or a power of
            # two is exact, so the product is the same whatever e's dtype
            return gast.BinOp(left=nodes.const(left * _number(inner.left)), op=gast.Mult(),
                              right=inner.right)
        if op in (gast.Mult, gast.Div) and right == 1 and self.is_float(node.left):
            return node.left
        if op is gast.Pow and right == 1:
            return node.left
        if op is gast.Add and left == 0 and self.is_float(node.right):
            return node.right
        if op is gast.Mult and left == -1 and self.is_float(node.right):
            return gast.UnaryOp(op=gast.USub(), operand=node.right)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        # power_derivative(x, c) for a constant c >= 1 is finite: c * x ** (c - 1), folded
        name = node.func.id if isinstance(node.func, gast.Name) else ""
        if name.startswith("power_derivative") and len(node.args) == 2:
            c = _number(node.args[1])
            if c is not None and c >= 1:
                return fold(nodes.quote_expr(f"{c!r} * x ** {c - 1!r}", x=node.args[0]), self.floats)
        # masked_product(g, f) keeps 0 * inf at 0; for a number g other than 0 it is g * f
        if name.startswith("masked_product") and len(node.args) == 2 and not node.keywords:
            g = _number(node.args[0])
            if g is not None and g != 0:
                return self.visit_BinOp(gast.BinOp(left=node.args[0], op=gast.Mult(), right=node.args[1]))
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        value = _number(node.operand)
        if isinstance(node.op, gast.USub) and value is not None:
            return nodes.const(-value)
        if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.UnaryOp) \
                and isinstance(node.operand.op, gast.USub):
            return node.operand.operand
        return node


def fold_constants(stmts: list, floats: frozenset = frozenset()):
    """Constant folding alone (forward mode: tangent code sits among the user's own).

        x_dot = 0.0 * y_dot + 2.0 * 3.0    ->   x_dot = 0.0 * y_dot + 6.0
        z_dot = -(-x_dot)                       z_dot = x_dot
    """
    return stmts, _fold_all(stmts, floats)
