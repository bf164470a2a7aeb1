"""Python's numeric errors kept in the numba build: `**`, `math`, `int`, `round` and `range` checked.

Run last by `lowering.lower`. numba's numbers follow C (see numerics.py):
`math.log(-1.0)` is NaN, `math.exp(1000.0)` inf, `2 ** 70` wraps, `range(3.0)`
runs, where Python raises. A user's own error must come through the
derivative as Python raises it, so the numba build calls numerics.py's
checked versions instead:

- `a ** b` -> `checked_power(a, b)` where both operands may be Python numbers.
  Not where one is an array or an entry of an array (`x[i]` of a NumPy
  array is a NumPy scalar): NumPy's power raises nothing in Python either,
  and the code stays as it was. `_Numbers` tells which names may hold one.
- `math.f(x)` -> `checked_f(x)` for each math function that raises in Python
  (numerics.MATH), whatever its argument (math raises for NumPy scalars
  too); a call of constants Python evaluates without error stays.
- `int(x)`, `round(x)` -> `checked_int(x)`, `checked_round(x)`; `pow(a, b)`
  as `a ** b`; the runtime's `power_derivative(x, c)` of numbers (c * x ** (c - 1))
  -> `checked_power_derivative(x, c)`.
- A `range` bound that is not an int by construction -> `checked_index(n)`
  (once per parameter: a check of the first loop covers the later ones).
"""
from __future__ import annotations

import builtins
import math
import types

import gast

from .. import nodes, runtime
from . import numerics

_INT_OPS = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
_TO_NUMBER = (builtins.float, builtins.int, builtins.len, builtins.round)  # a Python number, whatever in


def check_numerics(fn, params_kinds: dict, ctx) -> None:
    """Rewrite the generated def `fn` in place (see the module docstring)."""
    _Checker(fn, params_kinds, ctx).visit(fn)


class _Checker(gast.NodeTransformer):
    def __init__(self, fn, params_kinds: dict, ctx):
        self.ctx = ctx
        self.params = {a.id for a in fn.args.args}
        self.numbers = _Numbers(fn, params_kinds, self.params, self._object)
        self.checked_bounds: set = set()  # parameters a dominating range bound checked
        self.top = {id(s) for s in fn.body}

    def _object(self, name: str):
        """What a global name of the generated code is (None for a local or an unknown)."""
        if name in self.params or self.ctx.is_local(name):
            return None
        if name in self.ctx.helpers:
            return self.ctx.helpers[name]
        try:
            return self.ctx.parsed.namespace.lookup(name)
        except KeyError:
            return None

    def _call(self, obj, preferred: str, args: list):
        return gast.Call(func=nodes.name(self.ctx.helper(obj, preferred)), args=args, keywords=[])

    def visit_FunctionDef(self, node):
        for stmt in node.body:  # in order: a range bound checked at the top level covers later ones
            self.visit(stmt)
            if id(stmt) in self.top and isinstance(stmt, gast.For):
                self.checked_bounds |= self._bounds_checked(stmt.iter)
        return node

    def _bounds_checked(self, it) -> set:
        """The parameters (never reassigned) `range(checked_index(n))` checked."""
        if not (isinstance(it, gast.Call) and self._builtin(it.func) is builtins.range):
            return set()
        return {a.args[0].id for a in it.args
                if isinstance(a, gast.Call) and self._builtin(a.func) is numerics.checked_index
                and isinstance(a.args[0], gast.Name) and a.args[0].id in self.params
                and not self.numbers.assigned(a.args[0].id)}

    def _builtin(self, func):
        return self._object(func.id) if isinstance(func, gast.Name) else None

    def visit_BinOp(self, node):
        power = isinstance(node.op, gast.Pow) and self.numbers.may_be_number(node.left) \
            and self.numbers.may_be_number(node.right)
        self.generic_visit(node)
        if power:
            return self._call(numerics.checked_power, "checked_power", [node.left, node.right])
        return node

    def visit_AugAssign(self, node):
        if isinstance(node.op, gast.Pow) and isinstance(node.target, gast.Name):
            value = gast.BinOp(left=nodes.name(node.target.id), op=gast.Pow(), right=node.value)
            new = gast.Assign(targets=[node.target], value=value, type_comment=None)
            gast.copy_location(new, node)
            return self.visit(new)
        self.generic_visit(node)
        return node

    def visit_Call(self, node):
        numbers = all(self.numbers.may_be_number(a) for a in node.args)  # before its arguments change
        self.generic_visit(node)
        if node.keywords:
            return node
        func = node.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and self._object(func.value.id) is math:
            return self._math(node, func.attr)
        obj = self._builtin(func)
        if obj is None:
            return node
        if isinstance(obj, types.BuiltinFunctionType) and getattr(math, obj.__name__, None) is obj:
            return self._math(node, obj.__name__)  # `from math import log`
        if obj is builtins.int and len(node.args) == 1:
            return self._call(numerics.checked_int, "checked_int", node.args)
        if obj is runtime.power_derivative and len(node.args) == 2 and numbers:
            return self._call(numerics.checked_power_derivative, "checked_power_derivative", node.args)
        if obj is builtins.pow and len(node.args) == 2 and numbers:
            return self._call(numerics.checked_power, "checked_power", node.args)
        if obj is builtins.round and len(node.args) == 1:
            return self._call(numerics.checked_round, "checked_round", node.args)
        if obj is builtins.range:
            node.args = [a if self._int_bound(a) else self._call(numerics.checked_index, "checked_index", [a])
                         for a in node.args]
        return node

    def _math(self, node, attr: str):
        checked = numerics.MATH.get(attr)
        if checked is None or checked.__code__.co_argcount != len(node.args):  # log(x, base) stays
            return node
        if all(isinstance(a, gast.Constant) and type(a.value) in (int, float) for a in node.args):
            try:
                getattr(math, attr)(*(a.value for a in node.args))
                return node  # constants Python computes without an error
            except (ValueError, OverflowError, TypeError):
                pass
        return self._call(checked, checked.__name__, node.args)

    def _int_bound(self, expr) -> bool:
        """Whether `expr`, a range bound, is an int by construction (or checked already)."""
        if isinstance(expr, gast.Constant):
            return type(expr.value) is int
        if isinstance(expr, gast.Name):
            return expr.id in self.checked_bounds or self.numbers.is_int(expr.id)
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
            return self._int_bound(expr.operand)
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, _INT_OPS):
            return self._int_bound(expr.left) and self._int_bound(expr.right)
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
            obj = self._builtin(expr.func)
            return obj is builtins.len or obj is numerics.checked_index
        return False


class _Numbers:
    """Which names of the generated function may hold a Python number (not a NumPy
    scalar, not an array), and which hold an int by construction: small fixed points
    over every assignment. A name it knows nothing of may hold a number."""

    def __init__(self, fn, params_kinds: dict, params: set, lookup):
        self.lookup = lookup
        self.kinds = params_kinds
        self.params = params
        self.sources: dict[str, list] = {}  # name -> the values assigned to it (None: unknown)
        self.pushed: dict[str, list] = {}  # a list (a tape) -> the values appended to it
        for node in gast.walk(fn):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    for name in gast.walk(target):
                        if isinstance(name, gast.Name) and isinstance(name.ctx, gast.Store):
                            self.sources.setdefault(name.id, []).append(
                                node.value if name is target else None)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                self.sources.setdefault(node.target.id, []).append(
                    gast.BinOp(left=nodes.name(node.target.id), op=node.op, right=node.value))
            elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
                self.sources.setdefault(node.target.id, []).append(("for", node.iter))
            elif _list_call(node, "append") and len(node.args) == 1:
                self.pushed.setdefault(node.func.value.id, []).append(node.args[0])
        self.current: set = set()
        self.number = self._grow(lambda values: any(v is None or self._value_number(v) for v in values))
        self.ints = self._shrink(lambda values: all(v is not None and self._value_int(v) for v in values))

    def assigned(self, name: str) -> bool:
        return name in self.sources

    def _grow(self, rule) -> set:
        """The least set of names the rule adds (it reads `current`): 'may be'."""
        self.current = set()
        while True:
            add = {n for n, values in self.sources.items() if n not in self.current and rule(values)}
            if not add:
                return self.current
            self.current |= add

    def _shrink(self, rule) -> set:
        """The greatest set of names the rule keeps (it reads `current`): 'always is'."""
        self.current = set(self.sources)
        while True:
            drop = {n for n in self.current if not rule(self.sources[n])}
            if not drop:
                return self.current
            self.current -= drop

    # -- may hold a Python number ------------------------------------------------------

    def _value_number(self, value) -> bool:
        """Whether an assigned value (or a loop target's `("for", iter)`) may be a number."""
        if isinstance(value, tuple):
            it = value[1]
            if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                    and self.lookup(it.func.id) is builtins.range:
                return True
            return self._elements_are_numbers(it)
        return self.may_be_number(value, self.current)

    def may_be_number(self, expr, known=None) -> bool:
        """Whether `expr` may be a Python int or float (not a NumPy scalar or an array)."""
        known = self.number if known is None else known
        if isinstance(expr, gast.Constant):
            return type(expr.value) in (int, float)
        if isinstance(expr, gast.Name):
            if expr.id in self.params and expr.id in self.kinds:
                return self.kinds[expr.id] == "scalar" or expr.id in known
            return expr.id not in self.sources or expr.id in known
        if isinstance(expr, gast.Subscript):
            return self._elements_are_numbers(expr.value)
        if isinstance(expr, gast.BinOp):
            return self.may_be_number(expr.left, known) and self.may_be_number(expr.right, known)
        if isinstance(expr, gast.UnaryOp):
            return self.may_be_number(expr.operand, known)
        if isinstance(expr, gast.IfExp):
            return self.may_be_number(expr.body, known) or self.may_be_number(expr.orelse, known)
        if isinstance(expr, gast.Call):
            func = expr.func
            if _list_call(expr, "pop") and func.value.id in self.pushed:  # a tape: what was pushed
                return any(self.may_be_number(v, known) for v in self.pushed[func.value.id])
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
                owner = self.lookup(func.value.id)
                if owner is math:
                    return True
                if isinstance(owner, types.ModuleType) and owner.__name__.split(".")[0] == "numpy":
                    return False
            if isinstance(func, gast.Name) and any(self.lookup(func.id) is f for f in _TO_NUMBER):
                return True
            return all(self.may_be_number(a, known) for a in expr.args)
        return True

    def _elements_are_numbers(self, container) -> bool:
        """Whether an entry of `container` may be a Python number: not for a NumPy array."""
        if isinstance(container, gast.Name):
            if container.id in self.params and container.id in self.kinds:
                return self.kinds[container.id] not in ("array",)
            values = self.sources.get(container.id)
            if values and all(isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute)
                              and isinstance(v.func.value, gast.Name)
                              and getattr(self.lookup(v.func.value.id), "__name__", "") == "numpy"
                              for v in values):
                return False
        return True

    # -- an int by construction -------------------------------------------------------

    def is_int(self, name: str) -> bool:
        if name in self.params:
            return False
        if name in self.sources:
            return name in self.ints
        value = self.lookup(name)
        return type(value) is int  # a global int (the module carries it as a constant)

    def _value_int(self, value) -> bool:
        if isinstance(value, tuple):
            it = value[1]
            return isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                and self.lookup(it.func.id) is builtins.range
        if isinstance(value, gast.Constant):
            return type(value.value) is int
        if isinstance(value, gast.Name):
            if value.id in self.params:
                return False
            return value.id in self.current if value.id in self.sources else self.is_int(value.id)
        if isinstance(value, gast.BinOp) and isinstance(value.op, _INT_OPS):
            return self._value_int(value.left) and self._value_int(value.right)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
            return self.lookup(value.func.id) is builtins.len
        return False


def _list_call(node, method: str) -> bool:
    """Whether `node` is `name.method(...)`."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == method and isinstance(node.func.value, gast.Name)
