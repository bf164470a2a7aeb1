"""A product's adjoint keeps its NaN guard only where a selection may have zeroed it.

    _t1 = p > 0                                     (the user's np.where)
    _t3 = p * np.log(p)
    ...
    _dt3 = np.where(_t1, dy, 0.0)                   a selection's zeros
    dp = selected_product(_dt3, _t2)        ->      kept: p * log(p) at p = 0 is 0 * -inf,
                                                    where the value does not depend on it
    dw = selected_product(dy, x)            ->      dw = dy * x

The adjoint of `z = x1 * x2` is `dz * x2`. Where the function's value does not
depend on an entry of z at all (numpy.where did not select it, indexing did
not read it, a branch did not use it), dz is 0 there and x2 may be inf or NaN,
so the product must be guarded: 0 * NaN is NaN, the derivative is 0. Where dz
can only be 0 because of arithmetic (a product with a zero), the value does
depend on that entry, and a NaN there is the function's own.

So each name gets one bit, "may hold a selection's zero", followed through
the whole derivative in execution order (both sweeps; the branches of an `if`
joined; a loop's body run to a fixed point):

- a selection sets it: a comparison, a zero put in place of a value
  (`dt = 0.0`, an adjoint reset; not `g * 0`, which keeps a NaN), a call
  the facts table does not mark as never selecting (`facts.never_selects`:
  numpy.where, unindex, zeros_like and max select), and the seed a split
  pair's backward function is given (a one-hot cotangent selects);
- a sum has it only if every operand has it (one operand that depends on an
  entry makes the sum depend on it); every other operation has it if any
  operand has it;
- a value restored from the tape (`x = _stack.pop()`) is an earlier value of
  the same name: it has the bit if any value of that name ever had it.

`selected_product(g, f)` becomes `g * f` where g's bit is clear, or where f
is a number written in the code (`dy * 100.0`): no inf or NaN to meet. The plain
lowering keeps every `selected_product` (a guarded product, as `masked_product`),
so translation validation compares the two.
"""
from __future__ import annotations

import math

import gast

from .. import nodes
from ..nodes import Transformer
from ..rules import facts as table

_SUMS = (gast.Add, gast.Sub)
_CALL = (gast.Call,)


def plain_products(forward: list, backward: list, selected: str, callee, seed: str | None = None,
                   stack: str | None = None):
    """(`backward` with `selected(g, f)` as `g * f` where no selection reaches g, changed).

    `selected`: the emitted name of `runtime.selected_product`; `callee(call)` resolves a
    call's function; `seed`: the cotangent parameter of a split pair's backward function;
    `stack`: the tape's name (its pops restore earlier values)."""
    flow = _Flow(selected, callee, stack)
    guards = [flow.guards_in(s) for s in backward]
    if not any(guards):
        return backward, False  # no guard to unguard: the flow need not be followed
    flow.constants_of = lambda: _constants(forward + backward)
    flow.checking = False  # the forward sweep's own guards (a derivative's, for hvp) stay as they are
    state = flow.block(forward, {seed} if seed else set())
    flow.checking = True
    flow.block(backward, state)
    plain = _Plain(flow)
    # (the flow changes no node: a statement whose guards all stay is left as it is)
    return [plain.visit(s) if any(id(n) not in flow.kept for n in found) else s
            for s, found in zip(backward, guards)], plain.changed


class _Plain(Transformer):
    """The guards `flow` did not keep, as plain products (a class made once)."""

    def __init__(self, flow):
        self.flow, self.changed = flow, False

    def visit_Call(self, node):
        self.generic_visit(node)
        if self.flow.guarded(node) and id(node) not in self.flow.kept:
            self.changed = True
            return nodes.binop(node.args[0], "*", node.args[1])
        return node


class _Flow:
    """The bit of every name at every statement; `kept`: the guards some run reaches
    with a marked adjoint."""

    def __init__(self, selected: str, callee, stack: str | None):
        self.selected, self.callee, self.stack = selected, callee, stack
        self.kept: set = set()
        self.ever: set = set()  # every name that ever held the bit: what a pop restores
        self.constants_of = set  # () -> names bound once, to a number written in the code (`dt = 0.01`)
        self._constant_names = None
        self.checking = True  # whether the statements followed are those whose guards may go
        self.guards: dict = {}  # id(statement) -> (statement, the guards it runs): no node changes here
        self.templates: dict = {}  # id(function) -> (function, its shape template): those that never select

    def never_selects(self, found) -> bool:
        """`table.never_selects(found)`, asked once per function; the shape template of
        one that never selects is kept in `templates`."""
        known = self.templates.get(id(found))
        if known is not None and known[0] is found:
            return True
        if not table.never_selects(found):
            return False
        self.templates[id(found)] = (found, table.shape_template(found) if found is not None else None)
        return True

    def guards_in(self, stmt) -> list:
        """The guarded calls below `stmt` (its nested statements' included)."""
        found = self.guards.get(id(stmt))
        if found is None or found[0] is not stmt:
            found = self.guards[id(stmt)] = (stmt, [n for n in nodes.of_class(stmt, _CALL) if self.guarded(n)])
        return found[1]

    def constants(self) -> set:
        if self._constant_names is None:
            self._constant_names = self.constants_of()
        return self._constant_names

    def guarded(self, call) -> bool:
        return isinstance(call.func, gast.Name) and call.func.id == self.selected \
            and len(call.args) == 2 and not call.keywords

    def block(self, stmts: list, state: set) -> set:
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state: set) -> set:
        for node in self.guards_in(stmt) if self.checking else ():  # the guards it runs, in this state
            if self.marked(node.args[0], state) and not _finite(node.args[1], self.constants):
                self.kept.add(id(node))
        if isinstance(stmt, gast.Assign):
            bit = self.restored(stmt) if self.popped(stmt.value) else self.marked(stmt.value, state)
            for target in stmt.targets:
                state = self.store(target, bit, state)
        elif isinstance(stmt, gast.AugAssign):
            # `g += e`: a sum, marked only if both are; `g[i] += e` leaves g's other entries
            if isinstance(stmt.op, _SUMS) and isinstance(stmt.target, gast.Name):
                bit = stmt.target.id in state and self.marked(stmt.value, state)
                state = self.store(stmt.target, bit, state)
            elif not isinstance(stmt.op, _SUMS):
                state = self.store(stmt.target, self.marked(stmt.value, state), state, strong=False)
        elif isinstance(stmt, gast.If):
            state = self.block(stmt.body, set(state)) | self.block(stmt.orelse, set(state))
        elif isinstance(stmt, (gast.For, gast.While)):
            state = self.loop(stmt, state)
        elif isinstance(stmt, gast.With):
            state = self.block(stmt.body, state | {n for item in stmt.items if item.optional_vars is not None
                                                   for n in _stored(item.optional_vars)})
        elif isinstance(stmt, gast.Try):
            after = self.block(stmt.body, set(state))
            joined = state | after
            for handler in stmt.handlers:
                joined |= self.block(handler.body, set(joined))
            state = joined | self.block(stmt.orelse, set(after)) | self.block(stmt.finalbody, set(joined))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            state = self.written(stmt.value, state)
        elif not isinstance(stmt, (gast.Return, gast.Delete, gast.Pass, gast.Break, gast.Continue,
                                   gast.Expr, gast.Raise, gast.Assert)):
            # anything else that binds names (a nested def, global): taken to select
            state = state | set(nodes.stored_names(stmt))
        return state

    def loop(self, stmt, state: set) -> set:
        head = set(state)
        while True:
            inner = set(head)
            if isinstance(stmt, gast.For):
                inner = self.store(stmt.target, self.marked(stmt.iter, head), inner)
            after = self.block(stmt.body, inner)
            if after <= head:
                break
            head |= after
        return self.block(stmt.orelse, head) | head

    def store(self, target, bit: bool, state: set, strong: bool = True) -> set:
        if isinstance(target, gast.Name) and strong:
            state = state - {target.id} if not bit else state | {target.id}
        elif isinstance(target, (gast.Tuple, gast.List)) and strong:
            for element in target.elts:
                state = self.store(element, bit, state)
        elif bit:  # an entry or attribute written: the rest keeps its bit
            state = state | _stored(target)
        if bit:
            self.ever |= _stored(target)
        return state

    def written(self, call, state: set) -> set:
        """A call as a statement may write into its operands (`dxs.append(g)`,
        `numpy.add.at(dx, i, g)`): unless it is pure, they hold what it was given."""
        func = call.func
        receiver = func.value if isinstance(func, gast.Attribute) else None
        if isinstance(receiver, gast.Name) and receiver.id == self.stack:
            return state  # the tape's pushes: its pops restore earlier values
        found = self.callee(call)
        if found is not None and table.is_pure(found):
            return state
        if not self.call_marked(call, state):
            return state
        operands = list(call.args) + [k.value for k in call.keywords] + ([receiver] if receiver else [])
        return state | set().union(*(_stored(o) for o in operands))

    def marked(self, expr, state: set) -> bool:
        """Whether the value of `expr` may hold a selection's zero."""
        if isinstance(expr, gast.Name):
            return expr.id in state
        if isinstance(expr, gast.Constant):
            return isinstance(expr.value, (int, float, complex)) and expr.value == 0
        if isinstance(expr, (gast.Compare, gast.BoolOp)) or (isinstance(expr, gast.UnaryOp)
                                                              and isinstance(expr.op, gast.Not)):
            return True
        if isinstance(expr, gast.UnaryOp):
            return self.marked(expr.operand, state)
        if isinstance(expr, gast.BinOp):
            left, right = self.operand(expr.left, state), self.operand(expr.right, state)
            return (left and right) if isinstance(expr.op, _SUMS) else (left or right)
        if isinstance(expr, gast.Call):
            return self.call_marked(expr, state)
        if isinstance(expr, (gast.Attribute, gast.Subscript)):  # `g.T`; an entry of a marked value
            return self.marked(expr.value, state)
        if isinstance(expr, (gast.Tuple, gast.List)):
            return any(self.marked(e, state) for e in expr.elts)
        if isinstance(expr, gast.IfExp):
            return self.marked(expr.body, state) or self.marked(expr.orelse, state)
        return True  # anything else (a comprehension, a lambda, a dict) is taken to select

    def operand(self, expr, state: set) -> bool:
        """`marked` for an operand: a number there is an argument (`axis=0`, `keepdims=False`,
        `g * 0`, which keeps a NaN), not a value put in place of another."""
        return False if isinstance(expr, gast.Constant) else self.marked(expr, state)

    def popped(self, expr) -> bool:
        """`_stack.pop()`: the tape gives back an earlier value."""
        return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) \
            and isinstance(expr.func.value, gast.Name) and expr.func.value.id == self.stack \
            and expr.func.attr == "pop"

    def restored(self, stmt) -> bool:
        """`x = _stack.pop()`, `x[i] = _stack.pop()`: marked if any value of x ever was."""
        return any(_stored(t) & self.ever for t in stmt.targets)

    def call_marked(self, call, state: set) -> bool:
        func = call.func
        if self.popped(call):
            return True  # a pop anywhere but `x = _stack.pop()`: whatever it gives back
        found = self.callee(call)
        receiver = template = None
        if isinstance(func, gast.Attribute) and found is None:  # a method of a value: `g.sum(0)`
            facts = table.method(func.attr)
            if facts is None or not facts.nonselecting:
                return True
            receiver = func.value
        else:
            if not self.never_selects(found):
                return True
            template = self.templates[id(found)][1] if found is not None else None
        operand = self.operand
        for i, a in enumerate(call.args):
            if i != template and operand(a, state):
                return True
        for k in call.keywords:
            if operand(k.value, state):
                return True
        return receiver is not None and operand(receiver, state)


def _finite(expr, constants=frozenset) -> bool:
    """A number written in the code (or a name bound only to one: `constants()` gives
    them), which no adjoint's zero can meet as inf or NaN."""
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        expr = expr.operand
    if isinstance(expr, gast.Name):
        return expr.id in constants()
    return isinstance(expr, gast.Constant) and isinstance(expr.value, (int, float)) \
        and not isinstance(expr.value, bool) and math.isfinite(expr.value)


def _constants(stmts: list):
    """Names bound exactly once in `stmts`, by `name = <finite number>` (a `_Constants`)."""
    return _Constants(stmts)


class _Constants:
    """`name in constants`: whether `name` is bound exactly once in `stmts`, by
    `name = <finite number>`. The bindings of every name are counted only when a
    name so bound is asked (the guards' factors are seldom such names)."""

    def __init__(self, stmts: list):
        self.stmts = stmts
        self.candidates = {s.targets[0].id for s in nodes.walk_statements(stmts)
                           if isinstance(s, gast.Assign) and len(s.targets) == 1
                           and isinstance(s.targets[0], gast.Name) and _finite(s.value)}
        self.bound = None

    def __contains__(self, name) -> bool:
        if name not in self.candidates:
            return False
        if self.bound is None:
            self.bound = {}
            for node in nodes.name_nodes(self.stmts):
                if not isinstance(node.ctx, gast.Load):
                    self.bound[node.id] = self.bound.get(node.id, 0) + 1
        return self.bound.get(name) == 1


def _stored(target) -> set:
    """The names a target binds or writes into (`x`, `(a, b)`, `x[i]`, `x.attr`)."""
    while isinstance(target, (gast.Subscript, gast.Attribute, gast.Starred)):
        target = target.value
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Tuple, gast.List)):
        return set().union(*(_stored(e) for e in target.elts)) if target.elts else set()
    return set()
