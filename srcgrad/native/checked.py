"""Python's numerics kept in the numba build: `**`, `math`, `int`, `round`, `range`, int `+ - * << >>`, division.

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
- `a + b`, `a - b`, `a * b` (and `+=`, `-=`, `*=`) where both operands may
  be Python ints -> `checked_add(a, b)`, ...: numba's ints wrap at 64 bits
  (FINDINGS17 #4), these raise an OverflowError there. Not where an operand
  is certainly a float (a float constant, an adjoint, a differentiated
  parameter the entry passes as a float: reals.py), an array or a NumPy
  scalar (NumPy's ints wrap in Python too); not for a loop index or counter
  stepped by a small constant (`i + 1`, `len(x) - 1`, `n + 1` of a loop's
  count, a `range` bound `n - 1`): some 2 ** 47 steps from 2 ** 63, which
  no loop reaches; not for int constants whose result Python fits in 64 bits.
  `-n` is not checked: only -2 ** 63 wraps.
- `a << b`, `a >> b` (and `<<=`, `>>=`) where both may be Python ints ->
  `checked_lshift(a, b)`, `checked_rshift(a, b)`: numba's shifts wrap and take
  the count modulo 64 (FINDINGS18 #2); these give Python's ValueError for a
  negative count, Python's 0 or -1 for `a >> b` with b >= 64, and an
  OverflowError for `a << b` beyond 64 bits.
- `a / b`, `a // b`, `a % b` where an operand is certainly not a Python
  number (an entry of an array: a NumPy scalar) and neither is certainly an
  array -> `numpy.divide(a, b)`, `numpy.floor_divide`, `numpy.remainder`:
  inf or NaN at 0 as NumPy gives in Python (FINDINGS17 #20), where numba's
  `/` raises ZeroDivisionError. Python numbers keep Python's error.
- `a == b`, `a < b`, ... (one comparison, or a chain of names and constants)
  where one side may be a Python int beyond 2 ** 53 and the other a Python
  float -> `exact_eq(a, b)`, ...: numba compares the float of the int, which
  there is another number (`n == float(n)` is True for n = 2 ** 53 + 1;
  FINDINGS18 #4), Python compares exactly. Not for int constants within
  2 ** 53, loop indices, lengths and counters, nor entries of arrays (NumPy
  scalars compare through the float in NumPy too).
"""
from __future__ import annotations

import builtins
import math
import types

import gast
import numpy

from .. import nodes, runtime
from . import numerics

_INT_OPS = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
_INT_CHECKED = {gast.Add: numerics.checked_add, gast.Sub: numerics.checked_sub, gast.Mult: numerics.checked_mul,
                gast.LShift: numerics.checked_lshift, gast.RShift: numerics.checked_rshift}
_NUMPY_DIVISIONS = {gast.Div: "divide", gast.FloorDiv: "floor_divide", gast.Mod: "remainder"}
_INT_RESULT = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod, gast.Pow, gast.LShift, gast.RShift,
               gast.BitOr, gast.BitXor, gast.BitAnd)  # of two ints, an int
_SMALL = 2 ** 16  # a step `i + 1`, `n - 1` that a loop index or counter takes
_EXACT = {gast.Eq: numerics.exact_eq, gast.NotEq: numerics.exact_ne, gast.Lt: numerics.exact_lt,
          gast.LtE: numerics.exact_le, gast.Gt: numerics.exact_gt, gast.GtE: numerics.exact_ge}
_TO_INT = (builtins.int, builtins.len, builtins.round, numerics.checked_int, numerics.checked_round,
           numerics.checked_index, numerics.checked_floor, numerics.checked_ceil, numerics.checked_trunc)
_INT_MATH = frozenset({"floor", "ceil", "trunc", "factorial", "comb", "perm", "gcd", "lcm", "isqrt"})
_ARRAY_MAKERS = frozenset({"zeros", "ones", "empty", "full", "array", "asarray", "zeros_like", "ones_like",
                           "empty_like", "full_like", "arange", "linspace", "copy"})
_TO_NUMBER = (builtins.float, builtins.int, builtins.len, builtins.round)  # a Python number, whatever in


def check_numerics(fn, params_kinds: dict, ctx, reals=()) -> None:
    """Rewrite the generated def `fn` in place (see the module docstring). `reals`: the
    number parameters that hold a float (the entry passes an int as one: reals.py)."""
    _Checker(fn, params_kinds, ctx, reals).visit(fn)


class _Checker(gast.NodeTransformer):
    def __init__(self, fn, params_kinds: dict, ctx, reals):
        self.ctx = ctx
        self.params = {a.id for a in fn.args.args}
        self.numbers = _Numbers(fn, params_kinds, self.params, self._object, frozenset(reals))
        self.checked_bounds: set = set()  # parameters a dominating range bound checked
        self.exempt: set = set()  # ids of int sums left plain (range bounds)
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
        numbers = self.numbers
        left, right = node.left, node.right
        checked = None
        if isinstance(node.op, gast.Pow):
            if numbers.may_be_number(left) and numbers.may_be_number(right):
                checked = numerics.checked_power
        elif type(node.op) in _INT_CHECKED:
            if numbers.may_be_int(left) and numbers.may_be_int(right) and id(node) not in self.exempt \
                    and not (numbers.constant_shift(node.op, left, right)
                             if isinstance(node.op, (gast.LShift, gast.RShift))
                             else numbers.counter_step(node.op, left, right)):
                checked = _INT_CHECKED[type(node.op)]
        elif type(node.op) in _NUMPY_DIVISIONS and numbers.numpy_division(left, right):
            self.generic_visit(node)
            divide = gast.Attribute(value=nodes.name(self.ctx.helper(numpy, "numpy")),
                                    attr=_NUMPY_DIVISIONS[type(node.op)], ctx=gast.Load())
            return gast.Call(func=divide, args=[node.left, node.right], keywords=[])
        self.generic_visit(node)
        if checked is not None:
            return self._call(checked, checked.__name__, [node.left, node.right])
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        operands = [node.left] + node.comparators
        pairs = list(zip(operands, node.ops, operands[1:]))
        if not any(type(op) in _EXACT and self._inexact(a, b) for a, op, b in pairs):
            return node
        if len(pairs) > 1 and not all(isinstance(v, (gast.Name, gast.Constant)) for v in operands[1:-1]) \
                or any(type(op) not in _EXACT for op in node.ops):
            return node  # a chain whose middle terms would be evaluated twice: left as it is
        tests = [self._call(_EXACT[type(op)], _EXACT[type(op)].__name__, [nodes.clone(a), nodes.clone(b)])
                 for a, op, b in pairs]
        made = tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.And(), values=tests)
        return gast.copy_location(made, node)

    def _inexact(self, a, b) -> bool:
        """Whether numba may compare `a` and `b` otherwise than Python: an int that may
        lie beyond 2 ** 53 against a float."""
        return (self._wide_int(a) and self._may_be_float(b)) or (self._wide_int(b) and self._may_be_float(a))

    def _wide_int(self, expr) -> bool:
        if isinstance(expr, gast.Constant):
            return type(expr.value) is int and abs(expr.value) > 2 ** 53
        numbers = self.numbers
        return not isinstance(expr, gast.Compare) and numbers.may_be_int(expr) \
            and not numbers._counter(expr, numbers.counters)

    def _may_be_float(self, expr) -> bool:
        if isinstance(expr, gast.Constant):
            return type(expr.value) is float
        if isinstance(expr, gast.Name) and self.numbers.is_int(expr.id):
            return False
        return self.numbers.may_be_number(expr)

    def visit_AugAssign(self, node):
        """`v op= e` as `v = v op e` where the operation is rewritten (`v **= e`, `c *= 3` of
        ints, `s /= x[i]`); a `+=` that stays plain stays as it was written."""
        if isinstance(node.target, gast.Name):
            value = gast.BinOp(left=nodes.name(node.target.id), op=node.op, right=node.value)
            gast.copy_location(value, node)
            visited = self.visit_BinOp(value)
            if visited is not value:
                new = gast.Assign(targets=[node.target], value=visited, type_comment=None)
                return gast.copy_location(new, node)
            node.value = value.right  # as its visit left it
            return node
        self.generic_visit(node)
        return node

    def visit_Call(self, node):
        numbers = all(self.numbers.may_be_number(a) for a in node.args)  # before its arguments change
        if self._builtin(node.func) is builtins.range:
            # a bound `n - 1`, `n + 1`: within 2 ** 16 of 2 ** 63, the loop would never end
            self.exempt |= {id(a) for a in node.args if _steps_by_a_constant(a)}
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

    def __init__(self, fn, params_kinds: dict, params: set, lookup, reals=frozenset()):
        self.lookup = lookup
        self.reals = reals
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
        # parameters that count the steps of a loop the function always runs to its end
        self.loop_counts = {it.args[-1].id for it in (s.iter for s in fn.body if isinstance(s, gast.For))
                            if isinstance(it, gast.Call) and isinstance(it.func, gast.Name)
                            and lookup(it.func.id) is builtins.range and len(it.args) == 1
                            and isinstance(it.args[-1], gast.Name) and it.args[-1].id in params
                            and it.args[-1].id not in self.sources} - self._exits(fn)
        self.current: set = set()
        self.number = self._grow(lambda values: any(v is None or self._value_number(v) for v in values))
        self.ints = self._shrink(lambda values: all(v is not None and self._value_int(v) for v in values))
        self.may_ints = self._grow(lambda values: any(v is None or self._value_may_int(v) for v in values))
        self.counters = self._shrink(lambda values: all(v is not None and self._counter(v, self.current)
                                                         for v in values))
        self.arrays = self._shrink(lambda values: all(v is not None and self._array(v, self.current)
                                                       for v in values))

    @staticmethod
    def _exits(fn) -> set:
        """All parameters, where a loop may end early (a `break` or `return` in the function)."""
        if any(isinstance(n, (gast.Break, gast.Return)) for s in fn.body if isinstance(s, gast.For)
               for n in gast.walk(s)):
            return {a.id for a in fn.args.args}
        return set()

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
            if expr.id in self.params and expr.id in self.kinds:  # a callee's "other": may be
                return self.kinds[expr.id] not in ("array", "numbers") or expr.id in known
            if expr.id not in self.sources and expr.id not in self.params \
                    and isinstance(self.lookup(expr.id), numpy.generic):
                return False  # a global NumPy scalar (a numpy.float64 compiled in): NumPy's arithmetic
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

    # -- may hold a Python int (whose + - * numba would wrap at 64 bits) ---------------

    def _value_may_int(self, value) -> bool:
        if isinstance(value, tuple):
            it = value[1]
            if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                    and self.lookup(it.func.id) is builtins.range:
                return True
            return self._entries_may_be_ints(it)
        return self.may_be_int(value, self.current)

    def may_be_int(self, expr, known=None) -> bool:
        """Whether `expr` may be a Python int (or bool): not where it is certainly a float,
        an array, a NumPy scalar (whose ints wrap in NumPy too) or not a number."""
        known = self.may_ints if known is None else known
        if isinstance(expr, gast.Constant):
            return type(expr.value) in (int, bool)
        if isinstance(expr, gast.Name):
            if expr.id in self.params:
                if expr.id in known:
                    return True
                return expr.id not in self.reals and self.kinds.get(expr.id, "scalar") not in ("array", "numbers")
            if expr.id in self.sources:
                return expr.id in known
            return _may_be_int_value(self.lookup(expr.id))
        if isinstance(expr, gast.Attribute):
            owner = self._global(expr.value)
            if isinstance(owner, types.ModuleType):
                return _may_be_int_value(getattr(owner, expr.attr, None))
            return expr.attr not in ("shape", "real", "imag", "T")
        if isinstance(expr, gast.Subscript):
            container = self._global(expr.value)
            if isinstance(container, tuple):
                return any(_may_be_int_value(v) for v in container)
            return self._entries_may_be_ints(expr.value)
        if isinstance(expr, gast.BinOp):
            return isinstance(expr.op, _INT_RESULT) and self.may_be_int(expr.left, known) \
                and self.may_be_int(expr.right, known)
        if isinstance(expr, gast.UnaryOp):
            return isinstance(expr.op, gast.Not) or self.may_be_int(expr.operand, known)
        if isinstance(expr, gast.Compare):
            return True
        if isinstance(expr, gast.BoolOp):
            return any(self.may_be_int(v, known) for v in expr.values)
        if isinstance(expr, gast.IfExp):
            return self.may_be_int(expr.body, known) or self.may_be_int(expr.orelse, known)
        if isinstance(expr, gast.Call):
            return self._call_may_be_int(expr, known)
        return not isinstance(expr, (gast.List, gast.Tuple, gast.Dict, gast.Set, gast.JoinedStr, gast.Lambda,
                                     gast.ListComp, gast.GeneratorExp))

    def _call_may_be_int(self, call, known) -> bool:
        func = call.func
        if _list_call(call, "pop") and func.value.id in self.pushed:  # a tape: what was pushed
            return any(self.may_be_int(v, known) for v in self.pushed[func.value.id])
        if isinstance(func, gast.Attribute):
            owner = self._global(func.value)
            if owner is math:
                return func.attr in _INT_MATH
            if isinstance(owner, types.ModuleType) and owner.__name__.split(".")[0] == "numpy":
                return False
        if isinstance(func, gast.Name):
            obj = self.lookup(func.id)
            if any(obj is f for f in _TO_INT):
                return True
            if obj is builtins.float or obj is numerics.checked_power_derivative:
                return False
        return not call.args or any(self.may_be_int(a, known) for a in call.args)

    def _entries_may_be_ints(self, container) -> bool:
        """Whether an entry of `container` may be a Python int: not of an array, nor of a
        list of floats (it crosses as a float array)."""
        if isinstance(container, gast.Name) and container.id in self.params and container.id in self.kinds:
            return self.kinds[container.id] not in ("array", "numbers")
        return self._elements_are_numbers(container)

    def _global(self, expr):
        """The object a global dotted name (`config`, `config.K`) is, else None."""
        if isinstance(expr, gast.Name):
            return None if expr.id in self.params or expr.id in self.sources else self.lookup(expr.id)
        if isinstance(expr, gast.Attribute):
            owner = self._global(expr.value)
            return getattr(owner, expr.attr, None) if isinstance(owner, types.ModuleType) else None
        return None

    # -- int arithmetic that cannot overflow in practice ---------------------------------

    def counter_step(self, op, left, right) -> bool:
        """Whether `left op right` (+ or -) steps a loop index or counter (`i + 1`,
        `len(x) - 1`, `n_steps + 1` counted up from 0) by a small constant: it would need
        some 2 ** 47 steps of a loop to reach 2 ** 63."""
        if (_small(right) and self._counter(left, self.counters)) \
                or (_small(left) and self._counter(right, self.counters)):
            return True
        if isinstance(left, gast.Name) and left.id in self.loop_counts and _small(right) \
                and (right.value >= 0) == isinstance(op, gast.Add):
            return True  # `n + 1` of a loop's count: below 2 ** 47 where the loop ends
        a, b = self._known_int(left), self._known_int(right)  # constants: computed here
        return a is not None and b is not None and all(-2 ** 63 <= a + s * b < 2 ** 63 for s in (1, -1)) \
            and -2 ** 63 <= a * b < 2 ** 63

    def constant_shift(self, op, left, right) -> bool:
        """Whether `left << right` / `left >> right` is of int constants whose Python value
        numba computes (a count from 0 to 62, a result within 64 bits)."""
        a, b = self._known_int(left), self._known_int(right)
        return a is not None and b is not None and 0 <= b < 63 \
            and -2 ** 63 <= (a << b if isinstance(op, gast.LShift) else a >> b) < 2 ** 63

    def _known_int(self, expr):
        """The value of an int constant or a global int (compiled in as a constant), else None."""
        if isinstance(expr, gast.Constant):
            return expr.value if type(expr.value) is int else None
        value = self._global(expr)
        return value if type(value) is int else None

    def _counter(self, value, known) -> bool:
        """A loop index, a length or a shape, or a counter stepped by small constants from one."""
        if isinstance(value, tuple):
            it = value[1]
            return isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                and self.lookup(it.func.id) is builtins.range
        if _small(value) or isinstance(value, gast.Compare):
            return True
        if isinstance(value, gast.Name):
            return value.id in known and value.id not in self.params
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
            return (_small(value.right) and self._counter(value.left, known)) \
                or (_small(value.left) and self._counter(value.right, known))
        if _list_call(value, "pop") and value.func.value.id in self.pushed:  # a tape: what was pushed
            return all(self._counter(v, known) for v in self.pushed[value.func.value.id])
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
            return self.lookup(value.func.id) is builtins.len
        if isinstance(value, gast.Attribute):
            return value.attr in ("size", "ndim")
        if isinstance(value, gast.Subscript):  # an entry of a shape
            shape = value.value
            if isinstance(shape, gast.Name) and shape.id in self.sources:
                shape = self.sources[shape.id]
                return all(isinstance(v, gast.Attribute) and v.attr == "shape" for v in shape)
            return isinstance(shape, gast.Attribute) and shape.attr == "shape"
        return False

    # -- division by a NumPy scalar: NumPy's inf and NaN, not ZeroDivisionError -----------

    def numpy_division(self, left, right) -> bool:
        """Whether `left / right` (or // or %) is NumPy's in Python, as the division of a
        NumPy scalar (an entry of an array): one operand is certainly not a Python number.
        Not where one is certainly an array: numba divides arrays as NumPy does already."""
        if self.may_be_number(left) and self.may_be_number(right):
            return False
        return all(_numeric(e) and not self._array(e, self.arrays) for e in (left, right))

    def _array(self, value, known) -> bool:
        """Whether a value is certainly an array (a parameter of an array kind, a NumPy array
        made, a name only assigned those, an operation with one)."""
        if isinstance(value, gast.Name):
            if value.id in self.params and value.id in self.kinds:
                return self.kinds[value.id] in ("array", "numbers")
            return value.id in known
        if isinstance(value, gast.Subscript):
            index = value.slice
            return isinstance(index, gast.Slice) or isinstance(index, gast.Tuple) and any(
                isinstance(e, gast.Slice) for e in index.elts)
        if isinstance(value, gast.BinOp):
            return self._array(value.left, known) or self._array(value.right, known)
        if isinstance(value, gast.UnaryOp):
            return self._array(value.operand, known)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
            owner = self._global(value.func.value)
            return getattr(owner, "__name__", "") == "numpy" and value.func.attr in _ARRAY_MAKERS
        return False

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


def _may_be_int_value(value) -> bool:
    """Whether a global's value (None: unknown) may be a Python int."""
    return value is None or type(value) in (int, bool)


def _small(expr) -> bool:
    return isinstance(expr, gast.Constant) and type(expr.value) is int and abs(expr.value) <= _SMALL


def _steps_by_a_constant(expr) -> bool:
    """`a + c` or `a - c`, c a small int constant."""
    return isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Add, gast.Sub)) \
        and (_small(expr.right) or _small(expr.left))


def _numeric(expr) -> bool:
    """Whether `expr` may be a number at all (not a string to format with %, a list)."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) in (int, float, bool)
    return not isinstance(expr, (gast.List, gast.Tuple, gast.Dict, gast.Set, gast.JoinedStr))


def _list_call(node, method: str) -> bool:
    """Whether `node` is `name.method(...)`."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == method and isinstance(node.func.value, gast.Name)
