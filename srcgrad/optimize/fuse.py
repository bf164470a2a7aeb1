"""Temporaries read once, written into the expression that reads them.

    _dt12 = 2.0 * _t12
    _dt11 = -_dt12                  ->      dx[i] = dx[i] - 2.0 * _t12
    dx[i] = dx[i] + _dt11

One operation per statement is what the compiler works on; in the finished
function each statement costs a store and a load the interpreter then pays on
every iteration. A temporary goes into the one expression that reads it when
that changes nothing but the text:

- it is assigned once in the whole function and read once, by a later
  statement of the same block, in the same group of lines (between them only
  the line comments of its own line: the comments stay true);
- its expression is Python-number arithmetic that the error model (`raises`)
  knows, reading nothing that the statements in between assign or write
  into, so it computes the same value where it moves to;
- it cannot raise, or nothing evaluated between it and its new place can
  (the statements in between and the rest of the reading statement): an
  error is raised where it was, with the same type.

NumPy values, calls other than `len` and the `math` functions of the model,
and the NaN guards are left as they are. `a + -e` is written `a - e` (the same
IEEE operation), and `100.0 * (2 * r)` of a float `r` is `200.0 * r` (the same
number: see `_rescaled`).

Two updates of one entry of a gradient list in a block, `dx[i] = dx[i] - a` and a
later `dx[i] = dx[i] + b`, become one, `dx[i] = dx[i] - a + b`: the same
additions in the same order, where nothing between them touches `dx` and `a` can
be evaluated later to the same value without raising.
"""
from __future__ import annotations

import math

import gast

from .. import nodes
from .raises import Model, may_hold_numbers


def fuse_temporaries(body: list, params: dict, callee, keep: set) -> tuple[list, bool]:
    """`(body, changed)`: the assembled function's statements with single-use
    temporaries fused; `keep`: names read after `body` (the returned ones)."""
    if any(s.__class__ in (gast.Nonlocal, gast.Global) for s in _every_statement(body)):
        return body, False  # a call could rebind a name from elsewhere
    if not may_hold_numbers(body, params, callee):
        return body, False  # (the same answer as the test below, without building the model)
    model = Model(body, params, callee)
    if not any(isinstance(s, gast.Assign) and _pure_numbers(s.value, model) for s in nodes.walk_statements(body)):
        return body, False  # every rewrite here starts from a statement of Python-number arithmetic
    stores, loads = _counts(body)
    fuser = _Fuser(model, stores, loads, keep, body)
    fuser.block(body, ())
    return body, fuser.changed


def _every_statement(stmts):
    """Every statement of a block and of the blocks nested in it (a nested def's too):
    where `global` and `nonlocal` can stand (never in an expression)."""
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, field, None)
            if inner.__class__ is list:
                yield from _every_statement(inner)


def _counts(body):
    stores: dict = {}
    loads: dict = {}
    for n in nodes.name_nodes(body):
        into = loads if isinstance(n.ctx, gast.Load) else stores
        into[n.id] = into.get(n.id, 0) + 1
    return stores, loads


class _Fuser:
    def __init__(self, model, stores, loads, keep, body):
        self.model, self.stores, self.loads, self.keep = model, stores, loads, keep
        self.body = body
        self.changed = False

    def block(self, stmts: list, loops: tuple) -> None:
        """Fuse within `stmts` (changed in place), then within the blocks nested in it."""
        j = 0
        while j < len(stmts):
            if self._reuse(stmts, j, loops):
                del stmts[j]
                self.changed = True
                continue
            j += 1
        j = 0
        while j < len(stmts):
            if self._fuse_at(stmts, j, loops):
                del stmts[j]
                self.changed = True
                j = max(j - 1, 0)  # the statement before may now be read once, later
                continue
            j += 1
        j = 0
        while j < len(stmts):
            if self._merge_update(stmts, j, loops):
                self.changed = True
                continue
            j += 1
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and _pure_numbers(stmt.value, self.model):
                self.changed |= _rescaled(stmt.value, self.model)
        for stmt in stmts:
            if isinstance(stmt, gast.For):
                self.block(stmt.body, loops + (stmt,))
            elif isinstance(stmt, (gast.If, gast.While)):
                self.block(stmt.body, loops)
                self.block(stmt.orelse, loops)

    def _single(self, stmt) -> str | None:
        """The target of `name = <Python-number expression>`, assigned nowhere else."""
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)):
            return None
        name = stmt.targets[0].id
        if name in self.keep or self.stores.get(name) != 1 or not _pure_numbers(stmt.value, self.model):
            return None
        return name

    def _reuse(self, stmts: list, j: int, loops: tuple) -> bool:
        """`t2 = e` after `t1 = e` in the same block, nothing between changing what e
        reads: t2's readers read t1 (the same value, computed once). Only for what
        the error model knows: names of numbers, entries of lists of numbers and of
        gradient buffers (written only at an index), the length of those (`len` of
        another list could change with an append)."""
        name = self._single(stmts[j])
        if name is None or nodes.is_atom(stmts[j].value) or self.model.raises(stmts[j], loops) is None:
            return False
        value = stmts[j].value
        text = gast.dump(value)
        reads = nodes.loaded_names(value)
        containers = _containers(value)
        for a in range(j - 1, -1, -1):
            earlier = stmts[a]
            if nodes.is_comment(earlier):
                continue
            first = self._single(earlier)
            if first is not None and gast.dump(earlier.value) == text:
                if any(name in nodes.loaded_names(s) for s in stmts[a:j]):
                    return False  # read there, in a loop, it holds the last iteration's value
                for n in nodes.name_nodes(self.body):
                    if n.id == name and isinstance(n.ctx, gast.Load):
                        n.id = first
                self.loads[first] = self.loads.get(first, 0) + self.loads.pop(name, 0)
                return True
            if _stored_names(earlier) & reads or _written(earlier) & containers:
                return False
        return False

    def _fuse_at(self, stmts: list, j: int, loops: tuple) -> bool:
        stmt = stmts[j]
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)):
            return False
        name = stmt.targets[0].id
        if name in self.keep or self.stores.get(name) != 1 or self.loads.get(name) != 1:
            return False
        value = stmt.value
        own = self.model.raises(stmt, loops)
        if own is None or not _pure_numbers(value, self.model):
            return False
        heading = _heading(stmts, j)
        reads = nodes.loaded_names(value)
        writes_into = _containers(value)
        for k in range(j + 1, len(stmts)):
            later = stmts[k]
            if nodes.is_comment(later):
                if later.text != heading:
                    return False
                continue
            if nodes.noted(later, "sweep") != nodes.noted(stmt, "sweep"):
                return False
            if name in nodes.loaded_names(later):
                return self._into(later, name, value, own, loops)
            if _stored_names(later) & reads or _written(later) & writes_into:
                return False
            if own and self.model.raises(later, loops) != set():
                return False
        return False

    def _merge_update(self, stmts: list, j: int, loops: tuple) -> bool:
        """`v[i] = v[i] + a` (or `-`) and a later `v[i] = v[i] + b` of the same block as
        one statement, `v[i] = v[i] + a + b`: the same two additions in the same order,
        one read and one write of the entry fewer. Only for Python-number entries and an
        `a` that cannot raise, where nothing in between reads or writes `v`, rebinds
        what `a` or `i` reads, or leaves the block early (an error raised in between
        leaves `v` behind, a buffer of the derivative's own). Removes the first
        statement (and its line comments, now heading nothing), and says whether it did."""
        first = _update(stmts[j])
        if first is None or self.model.raises(stmts[j], loops) != set() \
                or not _pure_numbers(stmts[j].value, self.model):
            return False
        var, index, _, added = first
        if not self._only_indexed(var):
            return False
        reads = nodes.loaded_names(added) | nodes.loaded_names(index)
        key = nodes.structure(index)
        for k in range(j + 1, len(stmts)):
            later = stmts[k]
            if nodes.is_comment(later):
                continue
            second = _update(later)
            if second is not None and second[0] == var and nodes.structure(second[1]) == key:
                _, _, op, _ = first
                later.value.left = gast.BinOp(left=later.value.left, op=op, right=added)
                del stmts[j]
                if j == len(stmts) or nodes.is_comment(stmts[j]):  # its comments head nothing now
                    while j > 0 and nodes.is_comment(stmts[j - 1]):
                        j -= 1
                        del stmts[j]
                return True
            if not _plain(later) or var in nodes.names_in(later) or _stored_names(later) & reads:
                return False
        return False

    def _only_indexed(self, var: str) -> bool:
        """`var` is read only as `var[...]` and returned: no other name can hold the list
        and change an entry between two updates."""
        indexed = {id(n.value) for n in nodes.of_class(self.body, (gast.Subscript,))}
        returned = {id(n) for r in nodes.of_class(self.body, (gast.Return,)) for n in nodes.walk(r)}
        return all(id(n) in indexed or id(n) in returned for n in nodes.name_nodes(self.body)
                   if n.id == var and isinstance(n.ctx, gast.Load))

    def _into(self, later, name, value, own, loops) -> bool:
        """Put `value` in place of the one read of `name` in `later`."""
        if not isinstance(later, (gast.Assign, gast.Expr)):
            return False
        if own and self.model.raises(later, loops) != set():
            return False  # the rest of the statement could raise first
        for node in nodes.walk(later):
            for field in node._fields:
                child = getattr(node, field, None)
                if isinstance(child, gast.Name) and child.id == name and isinstance(child.ctx, gast.Load):
                    setattr(node, field, _simplified(node, field, nodes.clone(value)))
                    return True
                if isinstance(child, list):
                    for i, item in enumerate(child):
                        if isinstance(item, gast.Name) and item.id == name and isinstance(item.ctx, gast.Load):
                            child[i] = nodes.clone(value)
                            return True
        return False


def _update(stmt):
    """`(v, i, op, a)` for `v[i] = v[i] op a` (op `+` or `-`, `i` a name or a constant), else None."""
    if not (stmt.__class__ is gast.Assign and len(stmt.targets) == 1):
        return None
    target, value = stmt.targets[0], stmt.value
    if not (target.__class__ is gast.Subscript and target.value.__class__ is gast.Name
            and target.slice.__class__ in (gast.Name, gast.Constant)
            and value.__class__ is gast.BinOp and value.op.__class__ in (gast.Add, gast.Sub)
            and value.left.__class__ is gast.Subscript and value.left.value.__class__ is gast.Name
            and value.left.value.id == target.value.id
            and nodes.structure(value.left.slice) == nodes.structure(target.slice)):
        return None
    return target.value.id, target.slice, value.op, value.right


def _plain(stmt) -> bool:
    """A statement that runs to its end or raises: an assignment, an expression, or a
    branch of such (no loop, no `break`, `continue` or `return`)."""
    if stmt.__class__ in (gast.Assign, gast.AugAssign, gast.Expr) or nodes.is_comment(stmt):
        return True
    return stmt.__class__ is gast.If and all(_plain(s) for s in stmt.body + stmt.orelse)


def _simplified(parent, field, value):
    """`a + -e` as `a - e`, and `a + -e * f` as `a - e * f` (`-e * f` is `-(e * f)`, the
    same number): `parent` is the BinOp whose `field` receives `value`."""
    if field == "right" and isinstance(parent, gast.BinOp) and isinstance(parent.op, gast.Add):
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
            parent.op = gast.Sub()
            return value.operand
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) \
                and isinstance(value.left, gast.UnaryOp) and isinstance(value.left.op, gast.USub):
            parent.op = gast.Sub()
            value.left = value.left.operand
    return value


def _rescaled(expr, model) -> bool:
    """Each `c * (k * e)` below `expr` as `(c * k) * e`, for a float `e` and constants
    with |c| >= 1 and k a power of two >= 1 (`100.0 * (2 * r)` is `200.0 * r`: scaling
    up by a power of two rounds nothing, and overflows where the whole product does).
    Says whether it changed anything."""
    changed = False
    for node in nodes.of_class(expr, (gast.BinOp,)):
        inner = node.right
        if node.op.__class__ is gast.Mult and inner.__class__ is gast.BinOp and inner.op.__class__ is gast.Mult:
            scaled = _scaled(_constant(node.left), _constant(inner.left))
            if scaled is not None and model.type_of(inner.right) == "float":
                node.left, node.right = nodes.const(scaled), inner.right
                changed = True
    return changed


def _constant(node):
    """The value of a number constant node (not a bool), else None."""
    value = getattr(node, "value", None) if isinstance(node, gast.Constant) else None
    return value if type(value) in (int, float) else None


def _scaled(c, k):
    """`c * k` as a float when `c * (k * e)` is `(c * k) * e` for every float e, else None."""
    if c is None or k is None or not (math.isfinite(c) and abs(c) >= 1 and k >= 1):
        return None
    mantissa, _ = math.frexp(k)
    product = float(c) * k
    return product if mantissa == 0.5 and math.isfinite(product) else None


def _pure_numbers(value, model) -> bool:
    """Arithmetic, indexing, `len` and `math` calls of Python numbers (the model's
    types settle it), nothing else."""
    for n in nodes.walk(value):
        if isinstance(n, gast.Call) or isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
            if isinstance(n, gast.Call) and model.type_of(n) in ("float", "int"):
                continue
            return False
    return model.type_of(value) in ("float", "int")


def _heading(stmts: list, j: int):
    for k in range(j - 1, -1, -1):
        if nodes.is_comment(stmts[k]):
            return stmts[k].text
    return None


def _containers(expr) -> set:
    """Names of the lists `expr` reads an entry of."""
    return {n.value.id for n in nodes.walk(expr) if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name)}


def _stored_names(stmt) -> set:
    return {n.id for n in nodes.name_nodes(stmt) if not isinstance(n.ctx, gast.Load)}


def _written(stmt) -> set:
    """Names of lists or arrays `stmt` writes an entry of."""
    return {n.value.id for n in nodes.walk(stmt) if isinstance(n, gast.Subscript)
            and not isinstance(n.ctx, gast.Load) and isinstance(n.value, gast.Name)}
