"""Names bound to None up front, typed for numba.

The reverse sweep binds `t = None` at the top of the derivative where a save
reads t before its first assignment (an early return's value `_retval1`, a
value taped in a loop whose first iteration has none yet). Python does not
care; numba types a name by all its values, and None with a float is an
optional float, which it refuses to compute with (FINDINGS17 #14: numba's
`OptionalType` dump). `typed_unbound` binds such a name to `0.0` instead
(`0` where every other value is an int, which numba would otherwise make a
float: `range(t)` of it raised; `False` for a truth value) where every other
value of it is a number. The
value None stood for is never read: it is pushed and popped back unread, or
copied and dropped, as in Python. Where another value may be an array or
something else, the None stays (numba then types it or refuses it).
"""
from __future__ import annotations

import math

import gast

from .. import nodes
from .names import resolved as _resolved


def typed_unbound(fn, params_kinds: dict, ctx) -> None:
    """Rewrite the top-level `t = None` of `fn` in place (see the module docstring)."""
    kinds, unbound = _kinds(fn, params_kinds, ctx)
    for stmt in unbound:
        kind = kinds.of_name(stmt.targets[0].id)
        if kind == "number":
            # an int where every other value is one: numba would make a float of them all
            # with 0.0 (a range bound `range(t)` then raises, FINDINGS long profile, session 12)
            ints = kinds.all_ints(stmt.targets[0].id)
            stmt.value = gast.Constant(value=0 if ints else 0.0, kind=None)
        elif kind == "truth":
            stmt.value = gast.Constant(value=False, kind=None)


def typed_stacks(fn, params_kinds: dict, ctx, reals=()) -> None:
    """`_stack_v = []` -> `_stack_v = [0.0][:0]` (an empty list of floats) where every push
    is under an `if` on globals and pushes a float: numba compiles a global in as a
    constant and drops the branch that does not run (`if FLAG:` with FLAG False), and then
    cannot type a list nothing is appended to (FINDINGS17 #12). `reals`: parameters that
    hold floats (native/reals.py)."""
    kinds, _ = _kinds(fn, params_kinds, ctx, reals)
    assigned = set(kinds.values) | {a.id for a in fn.args.args}
    pushes: dict = {}
    guarded: dict = {}
    for stmt, guards in _with_guards(fn.body, []):
        call = stmt.value if isinstance(stmt, gast.Expr) else None
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and call.func.attr == "append" \
                and isinstance(call.func.value, gast.Name) and len(call.args) == 1:
            stack = call.func.value.id
            pushes.setdefault(stack, []).append(call.args[0])
            on_globals = any(not {n.id for n in gast.walk(g) if isinstance(n, gast.Name)} & assigned
                             for g in guards)
            guarded[stack] = guarded.get(stack, True) and on_globals
    for stmt in fn.body:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id.startswith("_stack") and isinstance(stmt.value, gast.List) \
                and not stmt.value.elts and guarded.get(stmt.targets[0].id) \
                and all(kinds.is_float(v) for v in pushes[stmt.targets[0].id]):
            one = gast.List(elts=[gast.Constant(value=0.0, kind=None)], ctx=gast.Load())
            stmt.value = gast.Subscript(value=one, slice=gast.Slice(lower=None, upper=gast.Constant(value=0, kind=None),
                                                                     step=None), ctx=gast.Load())


def _with_guards(body: list, guards: list):
    """(statement, the tests of the `if`s it is under) for every statement of `body`."""
    for stmt in body:
        yield stmt, guards
        if isinstance(stmt, gast.If):
            yield from _with_guards(stmt.body, guards + [stmt.test])
            yield from _with_guards(stmt.orelse, guards + [stmt.test])
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _with_guards(inner, guards)


def _kinds(fn, params_kinds: dict, ctx, reals=()):
    values: dict = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                for name in gast.walk(target):
                    if isinstance(name, gast.Name) and isinstance(name.ctx, gast.Store):
                        values.setdefault(name.id, []).append(node.value if name is target else None)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            values.setdefault(node.target.id, []).append(
                gast.BinOp(left=nodes.name(node.target.id), op=node.op, right=node.value))
        elif isinstance(node, (gast.For, gast.comprehension)) and isinstance(node.target, gast.Name):
            ranged = isinstance(node.iter, gast.Call) and _resolved(node.iter.func, ctx) is range
            values.setdefault(node.target.id, []).append(gast.Constant(value=0, kind=None) if ranged else None)
    pushed: dict = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr == "append" \
                and isinstance(node.func.value, gast.Name) and len(node.args) == 1:
            pushed.setdefault(node.func.value.id, []).append(node.args[0])
    unbound = [s for s in fn.body if isinstance(s, gast.Assign) and len(s.targets) == 1
               and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Constant) and s.value.value is None]
    return _ValueKinds(values, pushed, params_kinds, ctx, {id(s.value) for s in unbound}, reals), unbound


class _ValueKinds:
    """What a name of the generated function holds in all its values: "number" (a Python
    number or a NumPy scalar), "truth" (a bool), or None (an array, a tuple, unknown)."""

    def __init__(self, values: dict, pushed: dict, params_kinds: dict, ctx, unbound: set, reals=()):
        self.values, self.pushed, self.kinds, self.ctx = values, pushed, params_kinds, ctx
        self.unbound = unbound  # the None values of `t = None` up front: no constraint
        self.reals = set(reals)  # parameters that hold floats
        self.visiting: set = set()
        self.floats_visiting: set = set()
        self.ints_visiting: set = set()

    def is_float(self, value) -> bool:
        """Whether a value is certainly a Python float (or float64): a float constant, an
        operation of a float with a number, `/` of numbers, a math function's value."""
        if isinstance(value, gast.Constant):
            return type(value.value) is float
        if isinstance(value, gast.Name):
            name = value.id
            if name in self.kinds:
                return name in self.reals
            if name not in self.values:
                return type(_global_value(name, self.ctx)) is float
            if name in self.floats_visiting:
                return True
            self.floats_visiting.add(name)
            try:
                return all(v is not None and self.is_float(v) for v in self.values[name])
            finally:
                self.floats_visiting.discard(name)
        if isinstance(value, gast.BinOp):
            numbers = self.of(value.left) in ("number", "any") and self.of(value.right) in ("number", "any")
            return numbers and (isinstance(value.op, gast.Div) or self.is_float(value.left)
                                or self.is_float(value.right))
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            return self.is_float(value.operand)
        if isinstance(value, gast.IfExp):
            return self.is_float(value.body) and self.is_float(value.orelse)
        if isinstance(value, gast.Call):
            func = value.func
            if isinstance(func, gast.Attribute) and func.attr == "pop" and isinstance(func.value, gast.Name) \
                    and not value.args:
                return all(self.is_float(v) for v in self.pushed.get(func.value.id, [None]))
            if isinstance(func, gast.Attribute) and _resolved(func.value, self.ctx) is math:
                return func.attr not in ("floor", "ceil", "trunc", "factorial", "comb", "perm", "gcd", "isqrt")
            return _resolved(func, self.ctx) is float
        return False

    def all_ints(self, name: str) -> bool:
        """Whether every value of a local name, but its None up front, is certainly an int."""
        return name in self.values and self._is_int(nodes.name(name))

    def _is_int(self, value) -> bool:
        """Whether a value is certainly a Python int (an int64 in numba): an int constant, a
        range loop's index, `+ - * // %` of ints, `len(...)`, a pop of ints pushed."""
        if isinstance(value, gast.Constant):
            return type(value.value) is int
        if isinstance(value, gast.Name):
            name = value.id
            if name in self.kinds:
                return False  # a parameter: whatever the caller passes
            if name not in self.values:
                return type(_global_value(name, self.ctx)) is int
            if name in self.ints_visiting:
                return True  # a cycle: the other values decide
            self.ints_visiting.add(name)
            try:
                return all(v is not None and (id(v) in self.unbound or self._is_int(v)) for v in self.values[name])
            finally:
                self.ints_visiting.discard(name)
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv,
                                                                   gast.Mod)):
            return self._is_int(value.left) and self._is_int(value.right)
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            return self._is_int(value.operand)
        if isinstance(value, gast.Call):
            func = value.func
            if isinstance(func, gast.Attribute) and func.attr == "pop" and isinstance(func.value, gast.Name) \
                    and not value.args:
                return all(self._is_int(v) for v in self.pushed.get(func.value.id, [None]) if v is not None) \
                    and None not in self.pushed.get(func.value.id, [None])
            return _resolved(func, self.ctx) is len
        return False

    def of_name(self, name: str):
        if name in self.kinds:
            return "number" if self.kinds[name] == "scalar" else None
        if name not in self.values:
            value = _global_value(name, self.ctx)
            return "number" if type(value) in (int, float) else "truth" if type(value) is bool else None
        if name in self.visiting:
            return "any"  # a cycle (`t = t + 1`, a pop of what was pushed): the other values decide
        self.visiting.add(name)
        try:
            return _joined(self.of(v) for v in self.values[name])
        finally:
            self.visiting.discard(name)

    def of(self, value):
        if value is None:
            return None
        if id(value) in self.unbound:
            return "any"
        if isinstance(value, gast.Constant):
            return "truth" if type(value.value) is bool else "number" if type(value.value) in (int, float) else None
        if isinstance(value, gast.Name):
            return self.of_name(value.id)
        if isinstance(value, gast.Compare) or isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.Not):
            return "truth"
        if isinstance(value, gast.BoolOp):
            return _joined(self.of(v) for v in value.values)
        if isinstance(value, gast.Subscript):
            index = value.slice
            sliced = isinstance(index, gast.Slice) or isinstance(index, gast.Tuple) and any(
                isinstance(e, gast.Slice) for e in index.elts)
            container = self._container(value.value)
            return None if sliced or container is None else container
        if isinstance(value, gast.BinOp):
            kinds = {self.of(value.left), self.of(value.right)} - {"any"}
            return "number" if kinds <= {"number", "truth"} and kinds else ("any" if not kinds else None)
        if isinstance(value, gast.UnaryOp):
            return "number" if self.of(value.operand) in ("number", "truth") else self.of(value.operand)
        if isinstance(value, gast.IfExp):
            return _joined([self.of(value.body), self.of(value.orelse)])
        if isinstance(value, gast.Call):
            func = value.func
            if isinstance(func, gast.Attribute) and func.attr == "pop" and isinstance(func.value, gast.Name) \
                    and not value.args:
                return _joined(self.of(v) for v in self.pushed.get(func.value.id, [None]))
            if isinstance(func, gast.Attribute):
                owner = _resolved(func.value, self.ctx)
                if owner is math:
                    return "number"
            args = [self.of(a) for a in value.args]
            return "number" if value.args and all(a in ("number", "truth", "any") for a in args) else None
        return None

    def _container(self, expr):
        """The kind of an entry of `expr`: "number" for arrays and tuples of numbers."""
        if isinstance(expr, gast.Name):
            if expr.id in self.kinds:
                return "number" if self.kinds[expr.id] in ("array", "numbers") else None
            if expr.id not in self.values:
                value = _global_value(expr.id, self.ctx)
                return "number" if isinstance(value, tuple) and all(type(v) in (int, float) for v in value) \
                    else None
            return "number"  # a local array (or a shape): numba refuses an entry that is not a number
        return None


def _joined(kinds):
    """One kind for all of them ("any" is a cycle's: no constraint)."""
    found = set(kinds) - {"any"}
    if not found:
        return "any"
    return found.pop() if len(found) == 1 and None not in found else None


def _global_value(name: str, ctx):
    if ctx.is_local(name):
        return None
    try:
        return ctx.parsed.namespace.lookup(name)
    except KeyError:
        return ctx.helpers.get(name)


def unchecked_unbound(fn, ctx) -> None:
    """numba's semantics for a local read before any assignment binds it: no check.

    The Python backend raises f's UnboundLocalError there (`runtime.bound_local`,
    after `analysis.assigned`); numba reads such a name as whatever its slot holds,
    as `numba.njit(f)` itself does, and cannot type the `UNBOUND` placeholder. So,
    in place: each `bound_local(v, 'v')` goes, and `t = UNBOUND` is `t = None`
    (typed next by `typed_unbound`). docs/supported-language.md says so."""
    from ..runtime import UNBOUND, bound_local

    checks = {name for name, obj in ctx.helpers.items() if obj is bound_local}
    placeholders = {name for name, obj in ctx.helpers.items() if obj is UNBOUND}
    if checks or placeholders:
        _unchecked(fn.body, checks, placeholders)


def _unchecked(stmts: list, checks: set, placeholders: set) -> None:
    kept = []
    for stmt in stmts:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) \
                and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id in checks:
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name) and stmt.value.id in placeholders:
            stmt.value = gast.Constant(value=None, kind=None)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _unchecked(inner, checks, placeholders)
        kept.append(stmt)
    stmts[:] = kept or [gast.Pass()]
