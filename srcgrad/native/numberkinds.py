"""What each name of a generated function holds, for tapes.py: which stacks hold numbers of one kind.

A flow-insensitive fixed point over every assignment of the function (see
`Kinds`), with one flow-sensitive question on top (`Kinds.pushed_kind`): what
element type numba gave the values a loop pushes on a stack, so that an
array of that type holds them as numba's list did.
"""
from __future__ import annotations

import builtins
import math

import gast
import numpy

from .. import nodes
from . import numerics

_FLOAT_MATH = frozenset(getattr(math, n) for n in (
    "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 "
    "sqrt pow fabs hypot erf erfc gamma lgamma degrees radians copysign fmod").split())
_FLOAT_UFUNCS = frozenset(getattr(numpy, n) for n in (
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2 log log2 log10 "
    "log1p sqrt cbrt").split())  # of an int or a float: a float64
_FLOAT_HELPERS = frozenset(f for name, f in numerics.MATH.items() if getattr(math, name) in _FLOAT_MATH)
_SCALARS = ("bool", "int", "float", "num")  # num: an int or a float
_ORDER = (gast.Lt, gast.LtE, gast.Gt, gast.GtE)  # a comparison None raises in


class Kinds:
    """What each name of the generated function holds, over all its assignments (flow
    insensitive): "bool", "int", "float", "num" (an int or a float), each of them
    with "?" where it may also be None ("float?": a temporary set to None up front),
    "none", "f1" (a new one-axis float64 array), or None (anything else: an array of
    another kind, a tuple, unknown). Arithmetic on a value that may be None sees its
    number (on None it raises, giving no value). A pop from a stack of the function
    restores an earlier value of the same name: it adds nothing."""

    def __init__(self, fn, params_kinds: dict, lookup):
        self.lookup = lookup
        self.params = {a.id: params_kinds.get(a.id) for a in fn.args.args}
        self.defs: dict[str, list] = {}  # name -> [(statement, value or None)]
        for stmt in _all_statements(fn.body):
            for target, value in _definitions(stmt, lookup):
                self.defs.setdefault(target, []).append((stmt, value))
        self.kinds: dict = {}
        while True:  # from nothing known up, to the least fixed point
            changed = False
            for name, defs in self.defs.items():
                found = _BOTTOM
                for _, value in defs:
                    if value is _RESTORE:
                        continue
                    found = _join(found, self.of(value))
                if found != self.kinds.get(name, _BOTTOM):
                    self.kinds[name] = found
                    changed = True
            if not changed:
                break

    def name_kind(self, name: str):
        if name in self.defs:
            found = self.kinds.get(name, _BOTTOM)
            if name in self.params:
                found = _join(found, self._param(name))
            return found
        if name in self.params:
            return self._param(name)
        value = self.lookup(name)
        if isinstance(value, (bool, numpy.bool_)):
            return "bool"
        if isinstance(value, int):
            return "int"
        if isinstance(value, float):
            return "float"
        return None

    def _param(self, name: str):
        return {"scalar": "num", "numbers": "f1"}.get(self.params[name])

    def of(self, value):
        """The kind of an assigned value: an expression, ("range",) for a loop over a
        range, or None (unknown)."""
        if value is None:
            return None
        if value is _RANGE:
            return "int"
        return self._expr(value)

    def _expr(self, e):
        if isinstance(e, gast.Constant):
            if e.value is None:
                return "none"
            if type(e.value) is bool:
                return "bool"
            return {int: "int", float: "float"}.get(type(e.value))
        if isinstance(e, gast.Name):
            return self.name_kind(e.id)
        if isinstance(e, gast.BinOp):
            left, right = _base(self._expr(e.left)), _base(self._expr(e.right))
            if _BOTTOM in (left, right):
                return _BOTTOM
            if left not in _SCALARS or right not in _SCALARS:
                return None
            if isinstance(e.op, gast.Div):
                return "float"
            if not isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod, gast.Pow)):
                return None
            if "float" in (left, right):
                return "float"
            if {left, right} <= {"int", "bool"} and not isinstance(e.op, gast.Pow):
                return "int"
            return "num"
        if isinstance(e, gast.UnaryOp):
            inner = _base(self._expr(e.operand))
            if inner is _BOTTOM:
                return _BOTTOM
            if inner not in _SCALARS:
                return None
            if isinstance(e.op, gast.Not):
                return "bool"
            if isinstance(e.op, (gast.USub, gast.UAdd)):
                return "int" if inner == "bool" else inner
            return None
        if isinstance(e, gast.Compare):
            sides = [self._expr(x) for x in [e.left] + list(e.comparators)]
            if _BOTTOM in sides:
                return _BOTTOM
            if all(isinstance(op, _ORDER) for op in e.ops):  # None raises in them: no result
                sides = [_base(side) for side in sides]
            return "bool" if all(s in _SCALARS for s in sides) else None
        if isinstance(e, gast.Subscript):
            within, index = self._expr(e.value), _base(self._expr(e.slice))
            if _BOTTOM in (within, index):
                return _BOTTOM
            return "float" if within == "f1" and index in ("int", "bool") else None
        if isinstance(e, gast.Call) and not e.keywords:
            return self._call(e)
        return None

    def _call(self, e):
        func = self.callee(e.func)
        args = [_base(self._expr(a)) for a in e.args]  # None raises in each
        if _BOTTOM in args:
            return _BOTTOM
        if func is builtins.len and len(args) == 1:
            return "int"
        if func in (numpy.zeros, numpy.ones, numpy.empty) and len(args) == 1 and args[0] in ("int", "num"):
            return "f1"
        if _float_zeros(func) and len(args) == 1 and args[0] in ("int", "num"):
            return "f1"
        if not args or not all(a in _SCALARS for a in args):
            return None
        if func in _FLOAT_MATH or func in _FLOAT_HELPERS or func is builtins.float:
            return "float"
        if func in _FLOAT_UFUNCS and all(a in ("int", "float", "num") for a in args):  # not of a bool: float16
            return "float"
        if func is builtins.bool:
            return "bool"
        if func is builtins.abs and len(args) == 1:
            return "int" if args[0] == "bool" else args[0]
        return None

    def callee(self, func):
        if isinstance(func, gast.Name):
            return None if func.id in self.defs or func.id in self.params else self.lookup(func.id)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id not in self.defs and func.value.id not in self.params:
            return getattr(self.lookup(func.value.id), func.attr, None)
        return None

    def pushed_kind(self, key: str, loop, first_push):
        """The element kind of a stack of `key`'s values pushed in `loop` (`first_push`:
        its first push there): "float", "int", "bool", or None where an array of that
        kind would not hold what numba's list held."""
        order = {id(s): i for i, s in enumerate(_all_statements([loop]))}
        mine = [(s, v) for s, v in self.defs.get(key, ()) if v is not _RESTORE]
        within = [self.of(v) for s, v in mine if id(s) in order]
        without = [self.of(v) for s, v in mine if id(s) not in order]
        if key in self.params:
            without.append(self._param(key))
        if not within:
            return None
        numbers = ("int", "float", "num")
        if set(within) <= {"int", "bool"} and len(set(within)) == 1:
            (kind,) = set(within)
            return kind if all(k == kind for k in without) else None
        if not all(k in numbers for k in within + without):
            return None
        # numba gives each version of a name its own type, and unifies them where they
        # meet: at the head of the loop, an int made before it and a float made in it
        # become a float64. The values pushed are float64 when every assignment in the
        # loop is a float, or when the first push reads the head's value (no assignment
        # comes before it) and the value the loop carries back (its body's last
        # assignment, at the top level) is a float: numba's list held float64 then.
        if set(within) == {"float"}:
            return "float"
        defs = sorted((order[id(s)], s, v) for s, v in mine if id(s) in order and s is not loop)
        if not defs or loop in (s for s, _ in mine):
            return None
        _, last, value = defs[-1]
        carried = any(last is s for s in loop.body) and self.of(value) == "float"
        return "float" if carried and order[id(first_push)] < defs[0][0] else None

_BOTTOM = "bottom"  # not known yet (the fixed point starts there)
_RANGE = ("range",)
_RESTORE = ("restore",)


def _join(a, b):
    if a == _BOTTOM:
        return b
    if b == _BOTTOM or a == b:
        return a
    optional = a == "none" or b == "none" or str(a).endswith("?") or str(b).endswith("?")
    a, b = a.rstrip("?") if isinstance(a, str) else a, b.rstrip("?") if isinstance(b, str) else b
    if a == "none" or b == "none":  # None and a number: that number or None
        found = b if a == "none" else a
    elif a == b:
        found = a
    elif a in _SCALARS and b in _SCALARS:
        found = "num"
    else:
        return None
    if found not in _SCALARS:
        return None
    return found + "?" if optional else found


def _base(kind):
    """The kind of a value of `kind` that is not None ("float" of "float?"): what an
    operation on it sees, where None raises."""
    if kind == "none":  # an operation on None raises: it gives no value at all
        return _BOTTOM
    if isinstance(kind, str) and kind.endswith("?"):
        return kind[:-1]
    return kind


def _float_zeros(func) -> bool:
    from .helpers import float_zeros

    return func is float_zeros


def _all_statements(body):
    for stmt in body:
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _all_statements(inner)
        for handler in getattr(stmt, "handlers", None) or ():
            yield from _all_statements(handler.body)


def _definitions(stmt, lookup):
    """(name, value) for each name `stmt` binds: the value assigned, _RANGE for a loop
    over a range, _RESTORE for a pop of a stack, None where unknown."""
    if isinstance(stmt, gast.Assign):
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            value = stmt.value
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                    and value.func.attr == "pop" and not value.args and isinstance(value.func.value, gast.Name) \
                    and value.func.value.id.startswith("_stack"):
                return [(stmt.targets[0].id, _RESTORE)]
            return [(stmt.targets[0].id, value)]
        return [(n.id, None) for t in stmt.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        return [(stmt.target.id, gast.BinOp(left=nodes.name(stmt.target.id), op=stmt.op, right=stmt.value))]
    if isinstance(stmt, gast.For):
        is_range = isinstance(stmt.iter, gast.Call) and isinstance(stmt.iter.func, gast.Name) \
            and lookup(stmt.iter.func.id) is builtins.range
        return [(n.id, _RANGE if is_range and n is stmt.target else None) for n in gast.walk(stmt.target)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    if isinstance(stmt, (gast.If, gast.While)):
        return []
    return [(n.id, None) for n in gast.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
            and not isinstance(stmt, (gast.FunctionDef,))]
