"""Derivative rules for Python's builtins (`abs`, `float`, `max`, `min`, `sum`, `pow`), and
`numpy.float64`, which converts as `float` does (`acc = np.float64(0.0)`).

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode), which writes
`d[z]` with one line per input that carries a tangent. Builtins see Python
numbers most of the time, so the templates are plain operators (cheap for
floats, still right for arrays) or helpers that return at once for a float.
Kinks follow SPEC §7: abs'(0) = 0, ties in max/min split the gradient evenly.
max(a, b) and min(a, b) are a choice between a and b, as numpy.maximum is.
"""
import builtins
import operator

import numpy

from srcgrad.rules.registry import adjoint, alias, linear, nondifferentiable, one_argument, tangent, unsupported
from srcgrad.runtime import (
    broadcast_like, choice_share, extreme_pick, extreme_share, float_adjoint_helper, list_adjoint_helper,
    list_tangent_helper, max_of, min_of, sign_of, sorted_adjoint, sorted_tangent, sum_adjoint_helper,
    sum_tangent_helper, unbroadcast,
)
from srcgrad.templates import d

nondifferentiable(
    builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
    builtins.isinstance, builtins.type, builtins.any, builtins.all,
)

# zip, enumerate and reversed are read by index where a `for` loop iterates them
# (normalize/desugar.py); a value made by one, kept or passed on, is not.
for _view in (builtins.zip, builtins.enumerate, builtins.reversed):
    unsupported(_view, "a `for` loop reads zip(...), enumerate(...) and reversed(...) by index when it "
                       "iterates them itself, or enumerate(zip(...)); flatten a nested one "
                       "(`for a, b, c in zip(xs, ys, zs)`, `for i, b in enumerate(ys)` with `ys[::-1]` "
                       "for reversed) or build the list with a comprehension `[(i, v) for ...]`")

# pow(base, exp) is `base ** exp`; a `mod` argument does not bind and is rejected.
# Both modes use operator.pow's rules (rules/operators.py).
alias(builtins.pow, operator.pow)


@adjoint(builtins.abs)                          # z = abs(x); abs'(0) = 0, and sign_of has zero
def abs_adjoint(z, x):                          # derivative: abs''(0) = 0, as for numpy.abs
    d[x] = d[z] * sign_of(x)


@tangent(builtins.abs)
def abs_tangent(z, x):
    d[z] = d[x] * sign_of(x)


@adjoint(builtins.float)                        # z = float(x); x a number or a size-1 array
def float_adjoint(z, x):
    d[x] = float_adjoint_helper(d[z], x)


linear(builtins.float, "x")                     # tangent: float(x_dot)


@adjoint(numpy.float64)                         # z = numpy.float64(x): float's subclass, and
def float64_adjoint(z, x=0.0):                  # an array of float64 for an array
    d[x] = float_adjoint_helper(d[z], x)


linear(numpy.float64, "x")


@adjoint(builtins.max, builtins.min)            # z = max(arg1, arg2): a choice; a tie splits evenly,
def max_adjoint(z, arg1, arg2):                 # a NaN result has NaN derivatives (choice_share)
    d[arg1] = choice_share(d[z], arg1, arg2, z)
    d[arg2] = choice_share(d[z], arg2, arg1, z)


@tangent(builtins.max, builtins.min)
def max_tangent(z, arg1, arg2):
    d[z] = choice_share(d[arg1], arg1, arg2, z)
    d[z] = choice_share(d[arg2], arg2, arg1, z)


# max(items) / min(items), the one-argument forms: a list, tuple or array of numbers
one_argument(builtins.max, max_of)
one_argument(builtins.min, min_of)


@adjoint(max_of, min_of)                        # z = max(items); a tie splits evenly
def extreme_of_adjoint(z, items):
    d[items] = extreme_share(d[z], items, z)


@tangent(max_of, min_of)
def extreme_of_tangent(z, items):
    d[z] = extreme_pick(d[items], items, z)


@adjoint(builtins.list)                         # z = list(x): a dict's keys, or the items
def list_adjoint(z, x):
    d[x] = list_adjoint_helper(d[z], x)


@tangent(builtins.list)
def list_tangent(z, x):
    d[z] = list_tangent_helper(d[x], x)


@adjoint(builtins.tuple)                        # z = tuple(x): the items of a list, tuple or array
def tuple_adjoint(z, x):
    d[x] = list_adjoint_helper(d[z], x)


@tangent(builtins.tuple)
def tuple_tangent(z, x):
    d[z] = tuple(list_tangent_helper(d[x], x))


@adjoint(builtins.sorted)                       # z = sorted(x): a permutation; ties share evenly
def sorted_adjoint_rule(z, x, reverse=False):
    d[x] = sorted_adjoint(d[z], x, reverse)


@tangent(builtins.sorted)
def sorted_tangent_rule(z, x, reverse=False):
    d[z] = sorted_tangent(d[x], x, reverse)


@adjoint(builtins.sum)                          # z = sum(iterable, start), e.g. sum([a, b, c])
def sum_adjoint(z, iterable, start=0):
    d[iterable] = sum_adjoint_helper(d[z], iterable)
    d[start] = unbroadcast(d[z], start)


@tangent(builtins.sum)                          # items may broadcast against each other
def sum_tangent(z, iterable, start=0):
    d[z] = broadcast_like(sum_tangent_helper(d[iterable]), z)
    d[z] = broadcast_like(d[start], z)
