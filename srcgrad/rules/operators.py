"""Derivative rules for Python's operators (keys: `operator.add`, ...).

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line.
Every binary rule undoes broadcasting with `unbroadcast`.

Each adjoint rule has its tangent rule (forward mode) right after it: a
`d[z] = e` line adds e to the result's tangent, reads one input's tangent, and
is dropped when that input carries none; or a `linear(...)` line for an
operator linear in one operand (negation, a subscript).
"""
import operator

import numpy

from srcgrad.rules.registry import adjoint, constant_only, linear, nondifferentiable, tangent
from srcgrad.runtime import (broadcast_like, concat, concat_adjoint_left, concat_adjoint_right,
                             concat_tangent, dict_unpack_adjoint, exponent_tangent, log_or_zero, masked_product,
                             matmul_adjoint_left, matmul_adjoint_right, pack_dict, pack_list, pack_tuple,
                             power_derivative, repeat, repeat_adjoint, repeat_tangent, selected_product, tangent_ratio,
                             unbroadcast, unindex, unpack_adjoint)
from srcgrad.templates import d

nondifferentiable(
    operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
    operator.eq, operator.ne, operator.not_, operator.and_, operator.or_,
    operator.xor, operator.invert, operator.is_, operator.is_not, operator.contains,
)


@adjoint(operator.add, numpy.add)               # z = x1 + x2
def add_adjoint(z, x1, x2):
    d[x1] = unbroadcast(d[z], x1)
    d[x2] = unbroadcast(d[z], x2)


@tangent(operator.add, numpy.add)
def add_tangent(z, x1, x2):
    d[z] = broadcast_like(d[x1], z)
    d[z] = broadcast_like(d[x2], z)


@adjoint(operator.sub, numpy.subtract)          # z = x1 - x2
def subtract_adjoint(z, x1, x2):
    d[x1] = unbroadcast(d[z], x1)
    d[x2] = unbroadcast(-d[z], x2)


@tangent(operator.sub, numpy.subtract)
def subtract_tangent(z, x1, x2):
    d[z] = broadcast_like(d[x1], z)
    d[z] = broadcast_like(-d[x2], z)


@adjoint(operator.mul, numpy.multiply)          # z = x1 * x2
def multiply_adjoint(z, x1, x2):
    d[x1] = unbroadcast(selected_product(d[z], x2), x1)
    d[x2] = unbroadcast(selected_product(d[z], x1), x2)


@tangent(operator.mul, numpy.multiply)
def multiply_tangent(z, x1, x2):
    d[z] = d[x1] * x2
    d[z] = x1 * d[x2]


@adjoint(operator.truediv, numpy.divide)    # z = x1 / x2
def divide_adjoint(z, x1, x2):
    d[x1] = unbroadcast(tangent_ratio(d[z], x2), x1)
    d[x2] = unbroadcast(-tangent_ratio(masked_product(d[z], z), x2), x2)


@tangent(operator.truediv, numpy.divide)
def divide_tangent(z, x1, x2):
    d[z] = tangent_ratio(d[x1], x2)
    d[z] = -tangent_ratio(masked_product(d[x2], z), x2)


@adjoint(operator.mod, numpy.remainder)  # z = x1 % x2 = x1 - floor(x1 / x2) * x2
def mod_adjoint(z, x1, x2):
    d[x1] = unbroadcast(d[z], x1)
    d[x2] = unbroadcast(-d[z] * numpy.floor_divide(x1, x2), x2)


@tangent(operator.mod, numpy.remainder)
def mod_tangent(z, x1, x2):
    d[z] = broadcast_like(d[x1], z)
    d[z] = -d[x2] * numpy.floor_divide(x1, x2)


@adjoint(operator.neg, numpy.negative)          # z = -x
def negative_adjoint(z, x):
    d[x] = -d[z]


linear(operator.neg, "x", numpy.negative)


@adjoint(operator.pos, numpy.positive)          # z = +x
def positive_adjoint(z, x):
    d[x] = d[z]


linear(operator.pos, "x", numpy.positive)


@adjoint(operator.matmul, numpy.matmul)         # z = x1 @ x2
def matmul_adjoint(z, x1, x2):
    d[x1] = matmul_adjoint_left(d[z], x1, x2)
    d[x2] = matmul_adjoint_right(d[z], x1, x2)


@tangent(operator.matmul, numpy.matmul)
def matmul_tangent(z, x1, x2):
    d[z] = numpy.matmul(d[x1], x2)
    d[z] = numpy.matmul(x1, d[x2])


@adjoint(operator.pow, numpy.power)             # z = x1 ** x2
def power_adjoint(z, x1, x2):
    d[x1] = unbroadcast(masked_product(d[z], power_derivative(x1, x2)), x1)
    d[x2] = unbroadcast(masked_product(d[z], z * log_or_zero(x1)), x2)


@tangent(operator.pow, numpy.power)
def power_tangent(z, x1, x2):
    d[z] = masked_product(d[x1], power_derivative(x1, x2))
    d[z] = exponent_tangent(d[x2], z, x1)


@adjoint(operator.getitem)                      # z = a[index]
def getitem_adjoint(z, a, index):
    d[a] = unindex(d[z], a, index)


linear(operator.getitem, "a")


# --- displays: tuple, list and dict literals --------------------------------


@adjoint(pack_tuple, pack_list)                 # z = (x1, x2, ...) or [x1, x2, ...]
def pack_adjoint(z, *items):
    d[items] = unpack_adjoint(d[z], items)


@tangent(pack_tuple)                            # z = (x1, x2, ...): the tangents, zeros for constants
def pack_tuple_tangent(z, *items):
    d[z] = d[items]


@tangent(pack_list)                             # z = [x1, x2, ...]: a list, so it can be appended to
def pack_list_tangent(z, *items):
    d[z] = list(d[items])


@adjoint(pack_dict)                             # z = {k1: v1, k2: v2, ...}
def pack_dict_adjoint(z, keys, values):
    d[values] = dict_unpack_adjoint(d[z], keys, values)


@tangent(pack_dict)
def pack_dict_tangent(z, keys, values):
    d[z] = pack_dict(keys, d[values])


constant_only(pack_dict, "keys", "key the dict by constants (strings, ints): a key carries no derivative, "
              "so a loop over the keys would read them as constants")


# --- lists and tuples: `a + b` concatenates, `a * n` repeats ----------------
# Bound by srcgrad/sequences.py where an operand is known to be a list or tuple;
# the helpers fall back to the arithmetic adjoints for an operand that is not.


@adjoint(concat)                                # z = x1 + x2
def concat_adjoint(z, x1, x2):
    d[x1] = concat_adjoint_left(d[z], x1, x2)
    d[x2] = concat_adjoint_right(d[z], x1, x2)


@tangent(concat)                                # one line: the tangents joined, zeros for a constant
def concat_tangent_rule(z, x1, x2):
    d[z] = concat_tangent(d[x1], d[x2], z)


@adjoint(repeat)                                # z = x1 * x2, one of them a count
def repeat_adjoint_rule(z, x1, x2):
    d[x1] = repeat_adjoint(d[z], x1, x2)
    d[x2] = repeat_adjoint(d[z], x2, x1)


@tangent(repeat)
def repeat_tangent_rule(z, x1, x2):
    d[z] = repeat_tangent(d[x1], d[x2], x1, x2, z)
