"""What a statement of generated code can raise, when it computes with Python numbers.

The value-only loop pass (`valueloops`) moves where a user's run-time error
is raised: from the forward loop, which it drops, to the backward loop. It
may do so only where it knows every error each statement can raise. This
module is that knowledge, deliberately narrow; anything outside it is
"unknown" (None) and the caller keeps the code as it is.

Types. A name is a Python float or a (small) Python int when every
assignment to it anywhere in the function makes one, assuming the same of
the names it reads (a greatest fixed point: a loop-carried `s = s + t`
stays a float). Floats: float constants, entries of a parameter whose
argument kind is "numbers" (a list or tuple of exactly `float`, checked
at the call, and never written or passed on here), arithmetic with a float
operand, `math` functions. Small ints: int constants, `len(...)`, a loop
index over `range` of small ints, and a small int plus or minus a constant.

What raises, as keys `(exception type, operation)`: errors of the same key
carry the same message, so two statements with one key are
interchangeable as to what the caller sees.

- `+ - *` of floats and small ints: nothing (a float overflows to inf;
  a small int converts to float exactly enough);
- `a / b`: ZeroDivisionError, unless b is a constant other than 0; `a ** k`
  of a float, k an int constant >= 2: OverflowError (a finite float whose
  power overflows);
- the `math` functions of `_MATH`, of one float or small int (of a float
  constant: tried when compiling);
- `v[j]`: IndexError, unless the index is proven inside (`Bounds`); `len(v)`
  and `[0.0] * len(v)`: nothing.
"""
from __future__ import annotations

import math

import gast

from .. import nodes

FLOAT, INT, TOP = "float", "int", "top"
_SMALL = 2 ** 53

_DOMAIN, _RANGE = ("ValueError",), ("OverflowError",)
_MATH = {math.log: _DOMAIN, math.log2: _DOMAIN, math.log10: _DOMAIN, math.log1p: _DOMAIN,
         math.sqrt: _DOMAIN, math.acos: _DOMAIN, math.asin: _DOMAIN, math.acosh: _DOMAIN,
         math.atanh: _DOMAIN, math.sin: _DOMAIN, math.cos: _DOMAIN, math.tan: _DOMAIN,
         math.exp: _RANGE, math.expm1: _RANGE, math.cosh: _RANGE, math.sinh: _RANGE,
         math.tanh: (), math.atan: (), math.fabs: (), math.erf: (), math.erfc: ()}


class Model:
    """Types, lists and index bounds of one function's statements (both sweeps)."""

    def __init__(self, statements: list, params: dict, callee):
        self.callee = callee
        self.defs: dict = {}  # name -> [value expr, or ("loop", For node)]; None: bound otherwise
        self.stores: dict = {}  # buffer name -> values stored at an index
        self._collect(statements, None)
        self.lists = {p for p, k in params.items() if k == "numbers" and p not in self.defs}
        self.buffers: dict = {}  # buffer name -> the list whose length it has
        if self.lists:  # (a walk of every node: only where there is a list of numbers)
            for name, defs in self.defs.items():
                if defs is not None and len(defs) == 1 and not isinstance(defs[0][0], tuple):
                    of = _filled_len(defs[0][0], callee)
                    if of in self.lists:
                        self.buffers[name] = of
            self._only_indexed(statements)
        self.types = self._types(params)

    # ---------------------------------------------------------------- collecting

    def _collect(self, stmts, loop) -> None:
        """Every binding of a name: `defs[name]` lists (value, the loop whose body holds
        the assignment directly, or None); a loop index's value is ("loop", its For)."""
        for stmt in stmts:
            modelled = set()
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, gast.Name):
                    self._def(target.id, (stmt.value, loop))
                    modelled.add(id(target))
                elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    self.stores.setdefault(target.value.id, []).append(stmt.value)
            elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript) \
                    and isinstance(stmt.target.value, gast.Name):  # `dx[i] += e` stores dx[i] + e
                entry = nodes.loaded(stmt.target)
                self.stores.setdefault(stmt.target.value.id, []).append(
                    gast.BinOp(left=entry, op=stmt.op, right=stmt.value))
            elif isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
                self._def(stmt.target.id, (("loop", stmt), loop))
                modelled.add(id(stmt.target))
            header = [stmt.target, stmt.iter] if isinstance(stmt, gast.For) else \
                [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else stmt
            for n in nodes.name_nodes(header):
                if not isinstance(n.ctx, gast.Load) and id(n) not in modelled:
                    self.defs[n.id] = None  # bound some other way: unknown
            if isinstance(stmt, (gast.For, gast.If, gast.While)):
                inner = stmt if isinstance(stmt, gast.For) else None  # not directly in `loop` any more
                self._collect(stmt.body, inner)
                self._collect(stmt.orelse, None)

    def _def(self, name, value) -> None:
        if name in self.defs and self.defs[name] is None:
            return
        self.defs.setdefault(name, []).append(value)

    def _only_indexed(self, statements) -> None:
        """Lists and buffers stay such only if every use indexes them at an atom or takes
        their length (a list is never written; a buffer only at an index)."""
        allowed: set = set()
        for n in nodes.walk(nodes.module(statements)) if statements else ():
            if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) \
                    and not isinstance(n.slice, (gast.Slice, gast.Tuple)):
                store = not isinstance(n.ctx, gast.Load)
                if isinstance(n.ctx, (gast.Load, gast.Store)) and not (store and n.value.id in self.lists):
                    allowed.add(id(n.value))
            elif isinstance(n, gast.Call) and len(n.args) == 1 and isinstance(n.args[0], gast.Name) \
                    and n.args[0].id in self.lists | self.buffers.keys() and not n.keywords \
                    and self.callee(n) is len:
                allowed.add(id(n.args[0]))
        for n in nodes.name_nodes(statements):
            if id(n) in allowed:
                continue
            if n.id in self.lists:
                self.lists.discard(n.id)
            if n.id in self.buffers and not isinstance(n.ctx, gast.Store):
                del self.buffers[n.id]  # read whole, or deleted
        self.buffers = {b: v for b, v in self.buffers.items() if v in self.lists}

    # ---------------------------------------------------------------- types

    def _types(self, params) -> dict:
        types = {n: TOP for n, d in self.defs.items() if d is not None and n not in params}
        types.update({b + "[]": TOP for b in self.buffers})
        while True:
            changed = False
            for name in list(types):
                if types[name] is None:
                    continue
                if name.endswith("[]"):
                    found = [self.type_of(v, types) for v in self.stores.get(name[:-2], [])] + [FLOAT]
                else:
                    found = [self._def_type(d, types) for d, _ in self.defs[name]]
                new = found[0] if all(t == found[0] for t in found) else None
                if TOP in found and None not in found and len(set(found) - {TOP}) <= 1:
                    new = (set(found) - {TOP} or {TOP}).pop()
                if new != types[name]:
                    types[name], changed = new, True
            if not changed:
                return {n: (None if t == TOP else t) for n, t in types.items()}

    def _def_type(self, d, types):
        if isinstance(d, tuple):  # a loop index: over range() of small ints
            it = d[1].iter
            if isinstance(it, gast.Call) and self.callee(it) is range and not it.keywords \
                    and 1 <= len(it.args) <= 3:
                found = {self.type_of(a, types) for a in it.args}
                return INT if found == {INT} else TOP if found <= {INT, TOP} else None
            return None
        if _filled_len(d, self.callee) is not None:
            return "list"
        return self.type_of(d, types)

    def type_of(self, e, types=None):
        """FLOAT, INT, TOP (not settled yet) or None."""
        types = self.types if types is None else types
        if isinstance(e, gast.Constant):
            v = e.value
            return FLOAT if type(v) is float else INT if type(v) is int and abs(v) < _SMALL else None
        if isinstance(e, gast.Name):
            return types.get(e.id)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self.type_of(e.operand, types)
        if isinstance(e, gast.BinOp):
            sides = [self.type_of(e.left, types), self.type_of(e.right, types)]
            if None in sides or "list" in sides:
                return None
            if isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)) and FLOAT in sides:
                return FLOAT
            if isinstance(e.op, gast.Pow):
                return FLOAT if sides[0] == FLOAT and _int_constant(e.right) is not None else \
                    TOP if sides[0] == TOP else None
            if TOP in sides:
                return TOP
            if isinstance(e.op, (gast.Add, gast.Sub)) and (isinstance(e.left, gast.Constant)
                                                           or isinstance(e.right, gast.Constant)):
                return INT  # growth by a constant per statement run: stays small
            return FLOAT if isinstance(e.op, gast.Div) else None
        if isinstance(e, gast.Subscript) and isinstance(e.value, gast.Name) \
                and not isinstance(e.slice, (gast.Slice, gast.Tuple)):
            if e.value.id in self.lists:
                return FLOAT
            return types.get(e.value.id + "[]") if e.value.id in self.buffers else None
        if isinstance(e, gast.Call) and not e.keywords:
            fn = self.callee(e)
            if fn is len and len(e.args) == 1:
                return INT
            if fn in _MATH and len(e.args) == 1:
                t = self.type_of(e.args[0], types)
                return FLOAT if t in (FLOAT, INT) else t if t == TOP else None
        return None

    # ---------------------------------------------------------------- raising

    def raises(self, stmt, loops: tuple = ()):
        """The keys of the errors `stmt` can raise (a set), or None when unknown.
        `loops`: the For statements around it, innermost last."""
        if nodes.is_comment(stmt) or isinstance(stmt, gast.Pass):
            return set()
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, gast.Name) and _filled_len(stmt.value, self.callee) in self.lists:
                return set()
            found = self.expr_raises(stmt.value, loops)
            if isinstance(target, gast.Subscript):
                at = self._index_raises(target, loops)
                return None if found is None or at is None else found | at
            return found if isinstance(target, gast.Name) else None
        if isinstance(stmt, gast.Expr):
            return self.expr_raises(stmt.value, loops)
        if isinstance(stmt, gast.If) and self._quiet_test(stmt.test):
            out = set()
            for inner in stmt.body + stmt.orelse:
                found = self.raises(inner, loops)
                if found is None:
                    return None
                out |= found
            return out
        if isinstance(stmt, gast.For) and not stmt.orelse and self._def_type(("loop", stmt), self.types) == INT:
            out: set = set()
            for inner in stmt.body:
                found = self.raises(inner, loops + (stmt,))
                if found is None:
                    return None
                out |= found
            return out
        return None

    def _quiet_test(self, test) -> bool:
        """A comparison of numbers (under `not`): it cannot raise."""
        if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
            test = test.operand
        return isinstance(test, gast.Compare) \
            and all(isinstance(op, (gast.Lt, gast.LtE, gast.Gt, gast.GtE)) for op in test.ops) \
            and all(self.type_of(e) in (FLOAT, INT) and self.expr_raises(e) == set()
                    for e in [test.left] + test.comparators)

    def expr_raises(self, e, loops: tuple = ()):
        if isinstance(e, (gast.Constant, gast.Name)):
            return set()
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self.expr_raises(e.operand, loops) if self.type_of(e.operand) in (FLOAT, INT) else None
        if isinstance(e, gast.BinOp):
            left, right = self.expr_raises(e.left, loops), self.expr_raises(e.right, loops)
            sides = (self.type_of(e.left), self.type_of(e.right))
            if left is None or right is None or not set(sides) <= {FLOAT, INT}:
                return None
            inner = left | right
            if isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)):
                return inner if FLOAT in sides or self.type_of(e) == INT else None
            if isinstance(e.op, gast.Div):
                nonzero = isinstance(e.right, gast.Constant) and e.right.value != 0
                return inner if nonzero else inner | {("ZeroDivisionError", "/", sides)}
            k = _int_constant(e.right)
            if isinstance(e.op, gast.Pow) and sides[0] == FLOAT and k is not None and k >= 0:
                return inner | ({("OverflowError", "**")} if k >= 2 else set())
            return None
        if isinstance(e, gast.Subscript):
            return self._index_raises(e, loops)
        if isinstance(e, gast.Call) and not e.keywords and len(e.args) == 1:
            fn = self.callee(e)
            if fn is len and isinstance(e.args[0], gast.Name) \
                    and (e.args[0].id in self.lists or e.args[0].id in self.buffers):
                return set()
            if fn in _MATH and isinstance(e.args[0], gast.Constant) and type(e.args[0].value) is float:
                try:  # a pure function of a constant: it raises now or never
                    fn(e.args[0].value)
                    return set()
                except (ValueError, OverflowError):
                    pass
            if fn in _MATH and self.type_of(e.args[0]) in (FLOAT, INT):
                inner = self.expr_raises(e.args[0], loops)
                name = f"math.{fn.__name__}"
                return None if inner is None else inner | {(exc, name) for exc in _MATH[fn]}
        return None

    def _index_raises(self, sub, loops):
        """Nothing for an entry of a list or buffer at an index proven inside, else None."""
        if not isinstance(sub.value, gast.Name):
            return None
        inner = set() if nodes.is_atom(sub.slice) else self.expr_raises(sub.slice, loops)
        if inner != set() or self.type_of(sub.slice) != INT:
            return None
        of = sub.value.id if sub.value.id in self.lists else self.buffers.get(sub.value.id)
        if of is None:
            return None
        return set() if self._inside(sub.slice, of, loops) else None

    def _inside(self, index, of: str, loops) -> bool:
        """`index` is a valid index of any list as long as `of`.

        A loop `for i in range(len(of) - c)` (or its reverse `range(len(of) - c - 1,
        -1, -1)`) runs only when len(of) >= c + 1, with 0 <= i <= len(of) - c - 1; so
        inside it a constant k with -(c+1) <= k <= c is valid, and so is, anywhere,
        a name only ever assigned `i + k` (such k) in the body of such a loop."""
        k = _int_constant(index)
        if k is not None:
            return any((b := self.bound(loop)) is not None and b[0] == of and -(b[1] + 1) <= k <= b[1]
                       for loop in loops)
        if isinstance(index, gast.BinOp):  # `i + k` written in place (see `fuse`)
            offset = next((self._offset(index, loop) for loop in reversed(loops)
                           if self._offset(index, loop) is not None), None)
            b = self.bound(offset[0]) if offset is not None else None
            return b is not None and b[0] == of and -(b[1] + 1) <= offset[1] <= b[1]
        if not isinstance(index, gast.Name) or self.defs.get(index.id) is None:
            return False
        for value, loop in self.defs[index.id]:
            offset = self._offset(value, loop)
            b = self.bound(offset[0]) if offset is not None else None
            if b is None or b[0] != of or not -(b[1] + 1) <= offset[1] <= b[1]:
                return False
        return True

    def _offset(self, value, loop):
        """(the loop over i, k) for a loop's own index i (k = 0), or for `i + k`, `i - k`
        assigned directly in the body of the loop over i, which never assigns i
        itself; None otherwise."""
        if isinstance(value, tuple):
            return value[1], 0
        if loop is None or not isinstance(value, gast.BinOp) or not isinstance(value.op, (gast.Add, gast.Sub)):
            return None
        index = loop.target.id
        if any(not isinstance(d[0], tuple) for d in self.defs.get(index) or [(None,)]):
            return None  # the index is assigned besides being a loop's index
        left, right = value.left, value.right
        if isinstance(left, gast.Name) and left.id == index and _int_constant(right) is not None:
            k = _int_constant(right)
            return loop, k if isinstance(value.op, gast.Add) else -k
        if isinstance(right, gast.Name) and right.id == index and isinstance(value.op, gast.Add) \
                and _int_constant(left) is not None:
            return loop, _int_constant(left)
        return None

    def bound(self, loop):
        """(list, c) when `loop` runs over range(len(list) - c) or its reverse, else None."""
        it = loop.iter
        if not (isinstance(it, gast.Call) and self.callee(it) is range and not it.keywords):
            return None
        if len(it.args) == 1:
            stop = it.args[0]
        elif len(it.args) == 3 and _int_constant(it.args[1]) == -1 and _int_constant(it.args[2]) == -1 \
                and isinstance(it.args[0], gast.BinOp) and isinstance(it.args[0].op, gast.Sub) \
                and _int_constant(it.args[0].right) == 1:
            stop = it.args[0].left
        else:
            return None
        return self._length_minus(stop)

    def _length_minus(self, e, depth: int = 0):
        """(list, c) when `e` is len(list) - c, c >= 0, through single assignments."""
        if depth > 8:
            return None
        if isinstance(e, gast.Name):
            defs = self.defs.get(e.id)
            return self._length_minus(defs[0][0], depth + 1) if defs and len(defs) == 1 \
                and not isinstance(defs[0][0], tuple) else None
        if isinstance(e, gast.Call) and self.callee(e) is len and len(e.args) == 1 \
                and isinstance(e.args[0], gast.Name) and e.args[0].id in self.lists:
            return e.args[0].id, 0
        if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Sub):
            k = _int_constant(e.right)
            inner = self._length_minus(e.left, depth + 1) if k is not None and k >= 0 else None
            return (inner[0], inner[1] + k) if inner is not None else None
        return None


def may_hold_numbers(statements: list, params: dict, callee) -> bool:
    """False proves that `Model(statements, params, callee).type_of(value)` is neither
    FLOAT nor INT for the value of any assignment of `statements` (at the top level and
    in if/for/while blocks): a pass that starts only from such a value need not build
    the model, which walks every node and solves the names' types.

    Without types: the names that surely hold no number are found (a least fixed
    point): the parameters (never typed), and any name with an assignment
    `name = value` whose value surely is none; a value surely is none unless it may be
    (`_may_be_number`). Each of those names is typed None or "list" by the model (one
    of its definitions is), so a value that reads one where `type_of` needs a number is
    typed so too. A name bound some other way (a loop, `a = b = e`) is never counted as
    such here: it may be a number, which only makes the answer True more often."""
    defs: dict = {}  # name -> the values of its assignments `name = value`
    values = []  # the value of every assignment
    for stmt in nodes.walk_statements(statements):
        if stmt.__class__ is gast.Assign:
            values.append(stmt.value)
            if len(stmt.targets) == 1 and stmt.targets[0].__class__ is gast.Name:
                defs.setdefault(stmt.targets[0].id, []).append(stmt.value)
    lists = "numbers" in params.values()  # an entry of a list of numbers is a float
    none = set(params)
    grew = True
    while grew:
        grew = False
        for name, assigned in defs.items():
            if name not in none and not all(_may_be_number(v, none, lists, callee) for v in assigned):
                none.add(name)
                grew = True
    return any(_may_be_number(v, none, lists, callee) for v in values)


def _may_be_number(e, none: set, lists: bool, callee) -> bool:
    """Whether `Model.type_of(e)` may be FLOAT, INT or TOP, when each name of `none` is
    typed None or "list" (if False, it is None or "list": case by case as `type_of`)."""
    cls = e.__class__
    if cls is gast.Constant:
        v = e.value
        return type(v) is float or type(v) is int and abs(v) < _SMALL
    if cls is gast.Name:
        return e.id not in none
    if cls is gast.UnaryOp:
        return e.op.__class__ in (gast.USub, gast.UAdd) and _may_be_number(e.operand, none, lists, callee)
    if cls is gast.BinOp:
        return _may_be_number(e.left, none, lists, callee) and _may_be_number(e.right, none, lists, callee)
    if cls is gast.Subscript:  # an entry of a list of numbers, or of a buffer as long as one
        return lists
    if cls is gast.Call and not e.keywords and len(e.args) == 1:
        fn = callee(e)
        return fn is len or id(fn) in _MATH_IDS and _may_be_number(e.args[0], none, lists, callee)
    return False


_MATH_IDS = frozenset(id(fn) for fn in _MATH)  # (`fn in _MATH` would hash whatever a call resolves to)


def fresh_numbers(fn, params: dict, callee):
    """The parameter whose length the gradient `fn` returns has, when `fn` ends in
    `return g` with g a list `[0.0] * len(p)` made in it, written only at an index
    with Python floats and shared with nothing (a "numbers" parameter p): the call
    path then needs neither to check nor to copy it. None otherwise."""
    last = fn.body[-1] if fn.body else None
    if not (isinstance(last, gast.Return) and isinstance(last.value, gast.Name)):
        return None
    model = Model(fn.body[:-1], params, callee)
    name = last.value.id
    if name not in model.buffers or model.types.get(name + "[]") != FLOAT:
        return None
    return model.buffers[name]


def _int_constant(e):
    if isinstance(e, gast.Constant) and type(e.value) is int:
        return e.value
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) and isinstance(e.operand, gast.Constant) \
            and type(e.operand.value) is int:
        return -e.operand.value
    return None


def _filled_len(e, callee):
    """v for `[c] * len(v)` (c a number constant), else None."""
    if not (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult)):
        return None
    for seq, n in ((e.left, e.right), (e.right, e.left)):
        if isinstance(seq, gast.List) and len(seq.elts) == 1 and isinstance(seq.elts[0], gast.Constant) \
                and type(seq.elts[0].value) is float and isinstance(n, gast.Call) and callee(n) is len \
                and len(n.args) == 1 and isinstance(n.args[0], gast.Name):
            return n.args[0].id
    return None
