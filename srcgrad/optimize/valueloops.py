"""Under `grad`, a forward loop that only computes the value goes; its errors stay.

    for i in range(_t2):                    (gone)
        _t5 = x[i]
        _t6 = _t5 ** 2
        _t8 = ...
        s = s + _t6
    ...                                     ...
    for i in range(_t2 - 1, -1, -1):        for i in range(_t2 - 1, -1, -1):
        _t5 = x[i]                              _t5 = x[i]
        _t6 = _t5 ** 2                          _t6 = _t5 ** 2
        ...                                     # as f does, line 4 may raise OverflowError here
                                                _t6 ** 2
        dx[i] = dx[i] + ...                     dx[i] = dx[i] + ...

`grad` returns the gradient alone, and a loop whose results nothing after it
reads (not the backward sweep, which recomputes what it needs) computes only
the value. It cannot simply go: `f` raises where the loop raises
(`OverflowError` of a float's `**`, a `math` domain error), and a user's
run-time error passes through the derivative unchanged. So the loop goes
only when the backward loop (the same iterations, reversed) then raises
exactly what `f` raises:

- every statement of the loop that can raise (see `raises`) is evaluated
  again in the backward loop, on the same values: the backward loop
  recomputes it already, or its expression is added there, after the
  recomputed operands;
- everything that runs from the loop's place up to the backward loop, the
  forward loop and the backward loop can raise errors of one kind alone (one
  key of `raises`): the order changes (reversed iterations, the backward
  sweep's own statements in between), so with two kinds the first raised
  could differ. An index the model cannot prove inside its list counts as
  unknown, and so keeps the loop.

Where anything is not known, the loop stays.
"""
from __future__ import annotations

import re

import gast

from .. import nodes
from .raises import Model


def drop_value_loops(sweeps, setting):
    """`((forward, backward), changed)`: the forward sweep without its value-only loops."""
    forward, backward = sweeps
    changed = False
    k = len(forward)
    while k > 0:
        k -= 1
        loop = forward[k]
        if not isinstance(loop, gast.For):
            continue
        model = Model(forward + backward, setting.params, setting.callee)
        plan = _plan(k, forward, backward, model)
        if plan is None:
            continue
        back, insertions = plan
        for at, stmts in sorted(insertions.items(), key=lambda item: -item[0]):
            back.body[at:at] = stmts
        forward = _without_orphan_comments(forward[:k] + forward[k + 1:])
        k = min(k, len(forward))
        changed = True
    return (forward, backward), changed


def _plan(k: int, forward: list, backward: list, model: Model):
    """(the backward loop, {position in its body: statements to insert}) when the loop
    `forward[k]` can go, else None."""
    loop = forward[k]
    if not isinstance(loop.target, gast.Name) or loop.orelse or model.bound(loop) is None:
        return None
    body = [s for s in loop.body if not nodes.is_comment(s)]
    if not all(isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) for s in body):
        return None
    assigned = {loop.target.id} | {s.targets[0].id for s in body}
    rest = forward[k + 1:] + backward
    if nodes.read_before_bound(rest, assigned):
        return None  # the loop's results are read after it
    if any(isinstance(n, (gast.FunctionDef, gast.Lambda)) and nodes.names_in(n) & assigned
           for n in nodes.walk(nodes.module(forward + backward))):
        return None  # a nested function may read them when it is called
    matches = [j for j, s in enumerate(backward) if _reverses(s, loop)]
    twins = [s for s in forward if isinstance(s, gast.For) and gast.dump(s.iter) == gast.dump(loop.iter)
             and gast.dump(s.target) == gast.dump(loop.target)]
    if len(matches) != 1 or len(twins) != 1:
        return None  # which backward loop undoes this one is not certain
    at = matches[0]
    back = backward[at]
    stored = _stored(rest)
    if nodes.names_in(loop.iter) & stored:
        return None
    keys: set = set()
    raising = []
    for stmt in loop.body:
        found = model.raises(stmt, (loop,))
        if found is None:
            return None
        keys |= found
        if found:
            raising.append(stmt)
    for stmt in back.body:
        found = model.raises(stmt, (back,))
        if found is None:
            return None
        keys |= found
    for stmt in forward[k + 1:] + backward[:at]:
        found = model.raises(stmt, ())
        if found is None:
            return None
        keys |= found
    if len(keys) > 1:
        return None
    check = _Faithful(loop, back, stored, model)
    insertions: dict = {}
    for stmt in raising:
        where = check.covered(stmt)
        if where is None:
            return None
        if where is True:
            continue
        lines = insertions.setdefault(where, [])
        note = _note(loop.body, stmt, keys)
        if note not in [nodes.is_comment(s) and s.text for s in lines]:
            lines.append(nodes.comment(note))
        lines.append(_evaluated(stmt.value, model))
    return back, insertions


def _evaluated(value, model: Model):
    """The statement that evaluates `value` for its errors alone. A float's `t ** k`
    (k an int constant) can overflow only where |t| >= 10 ** (308 // k), whose k-th
    power is below the largest float: there alone it runs (two comparisons are
    cheaper than a power, and NaN fails them, reaching the power, which is quiet)."""
    evaluate = nodes.expr_stmt(nodes.clone(value))
    k = value.right.value if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Pow) \
        and isinstance(value.right, gast.Constant) and type(value.right.value) is int else None
    if k is None or k < 2 or not isinstance(value.left, gast.Name) or model.type_of(value.left) != "float":
        return evaluate
    bound = nodes.const(10.0 ** (308 // k))
    test = nodes.quote_expr("not -_b < _t < _b", _b=bound, _t=nodes.clone(value.left))
    return gast.If(test=test, body=[evaluate], orelse=[])


def _reverses(stmt, loop) -> bool:
    """`stmt` is `for i in range(A - 1, -1, -1)` where `loop` is `for i in range(A)`."""
    if not (isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name)
            and stmt.target.id == loop.target.id and not stmt.orelse):
        return False
    it, forward_it = stmt.iter, loop.iter
    if not (isinstance(it, gast.Call) and isinstance(forward_it, gast.Call) and len(it.args) == 3
            and len(forward_it.args) == 1 and gast.dump(it.func) == gast.dump(forward_it.func)):
        return False
    start = it.args[0]
    expected = nodes.quote_expr("_a - 1, -1, -1", _a=nodes.clone(forward_it.args[0]))
    return gast.dump(gast.Tuple(elts=it.args, ctx=gast.Load())) == gast.dump(expected) \
        and isinstance(start, gast.BinOp)


def _stored(stmts) -> set:
    """Names bound anywhere in `stmts`."""
    return {n.id for n in nodes.name_nodes(stmts) if not isinstance(n.ctx, gast.Load)}


class _Faithful:
    """Whether a name holds, at a place in the backward loop's body, the value it held
    at a statement of the forward loop's body, in the same iteration."""

    def __init__(self, loop, back, stored: set, model: Model):
        self.loop, self.back, self.model = loop, back, model
        self.stored = stored | _stored(loop.body)
        self.forward_at = _single_defs(loop.body)
        self.back_at = _single_defs(back.body)
        self.back_stored = _stored(back.body)

    def covered(self, stmt):
        """True when the backward loop recomputes `stmt` as it is, else the position
        after which its expression can be evaluated there (the end of a comment
        group), or None."""
        name = stmt.targets[0].id
        if name not in self.forward_at:
            return None  # assigned more than once in the loop
        j = self.forward_at[name][0]
        if name in self.back_at and self._same_at(name, j):
            return True
        operands = _operands(stmt.value)
        if not all(self._before(n, j) for n in operands):
            return None
        for p in range(len(self.back.body) + 1):
            if all(self._holds(n, p) for n in operands):
                while p < len(self.back.body) and not nodes.is_comment(self.back.body[p]) \
                        and not (_stored([self.back.body[p]]) & operands):
                    p += 1
                return p
        return None

    def _before(self, name: str, j: int) -> bool:
        """`name`, read by statement j of the forward body, holds this iteration's value."""
        if name in self.forward_at:
            return self.forward_at[name][0] < j
        return True  # the index, or a value the loop does not assign

    def _holds(self, name: str, p: int, depth: int = 0) -> bool:
        """Before position p of the backward body, `name` holds what it holds in the forward body."""
        if name == self.loop.target.id:
            return name not in self.back_stored and name not in _stored(self.loop.body)
        if name in self.forward_at:
            return name in self.back_at and self.back_at[name][0] < p \
                and self._same_at(name, self.forward_at[name][0], depth)
        if name in self.stored or name in self.back_stored:
            return False
        return name in self.model.lists or self.model.type_of(gast.Name(id=name, ctx=gast.Load(),
                                                                        annotation=None, type_comment=None)) \
            in ("float", "int")

    def _same_at(self, name: str, j: int, depth: int = 0) -> bool:
        """The backward body assigns `name` once, as the forward body's statement j does,
        from operands that hold the same values."""
        if depth > 64 or name not in self.back_at:
            return False
        q, back_stmt = self.back_at[name]
        forward_stmt = self.forward_at[name][1]
        if gast.dump(back_stmt.value) != gast.dump(forward_stmt.value):
            return False
        operands = _operands(forward_stmt.value)
        return all(self._before(n, j) and self._holds(n, q, depth + 1) for n in operands)


def _single_defs(body: list) -> dict:
    """{name: (position, statement)} for names the block's top level assigns exactly
    once and nothing nested in it assigns."""
    counts: dict = {}
    for n in nodes.name_nodes(body):
        if not isinstance(n.ctx, gast.Load):
            counts[n.id] = counts.get(n.id, 0) + 1
    return {s.targets[0].id: (j, s) for j, s in enumerate(body)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and counts.get(s.targets[0].id) == 1}


def _operands(expr) -> set:
    """The names `expr` reads as values (not a called function's name)."""
    skip = {id(n) for c in nodes.walk(expr) if isinstance(c, gast.Call) for n in nodes.name_nodes(c.func)}
    return {n.id for n in nodes.name_nodes(expr) if id(n) not in skip}


_LINE = re.compile(r"line (\d+)")


def _note(body: list, stmt, keys: set) -> str:
    """The line comment over the statements added: which line of f, which error."""
    line = None
    for s in body:
        if s is stmt:
            break
        if nodes.is_comment(s) and _LINE.match(s.text):
            line = _LINE.match(s.text).group(1)
    errors = " or ".join(sorted({k[0] for k in keys}))
    where = f"line {line}" if line else "f"
    return f"{where} can raise {errors} here, as f does: evaluated for that alone"


def _without_orphan_comments(stmts: list) -> list:
    return [s for j, s in enumerate(stmts)
            if not (nodes.is_comment(s) and (j + 1 == len(stmts) or nodes.is_comment(stmts[j + 1])))]
