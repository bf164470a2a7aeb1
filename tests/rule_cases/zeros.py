"""Zero cases: sample arguments at which a declared zero derivative is checked.

Every zero-gradient primitive (`nondifferentiable(...)`) has one here, and so
has every rule parameter without a `d[...]` line that can hold a float (see
test_rules.py). Primitives that take integers only are called with a float
in `INTEGER_ONLY` instead, with arguments at which they must reject a float:
no float reaches them.
"""
import builtins
import math
import operator

import numpy as np

from rule_cases import P, R, zero_case
from srcgrad import runtime as rt


def _attribute(descriptor, a):
    return descriptor.__get__(a)


def _shape_only(f, *args, **kwargs):
    return np.shape(f(*args, **kwargs))


# --- piecewise constant, integer- or boolean-valued -----------------------------

zero_case(np.floor, np.ceil, np.trunc, np.rint, np.round, np.around, np.sign, np.isnan, np.isinf,
          np.isfinite, np.logical_not, np.argmax, np.argmin, np.argsort, np.nonzero,
          np.count_nonzero, np.all, np.any, np.shape, np.size, np.ndim,
          variants=[(R(5),), (R(2, 3),)])
zero_case(np.round, np.around, variants=[(R(4), 2), ((R(4),), {"decimals": 1})])
zero_case(np.floor_divide, np.heaviside, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
          np.greater_equal, np.logical_and, np.logical_or, np.logical_xor, np.allclose, np.isclose,
          np.array_equal, variants=[(R(5), R(5)), (R(2, 3), R(3))])
zero_case(np.int8, np.int16, np.int32, np.int64, np.intp, np.uint8, np.uint16, np.uint32, np.uint64,
          np.bool_, variants=[(np.array([0.5, 1.25, 2.75, 3.5]),), (np.array([[4.5, 0.25], [6.75, 1.5]]),)])
zero_case(np.searchsorted, variants=[(np.sort(R(6)), R(4))])
zero_case(np.ndarray.argmax, np.ndarray.argmin, np.ndarray.argsort, np.ndarray.nonzero, np.ndarray.all,
          np.ndarray.any, variants=[(R(5),), (R(2, 3),)])
for _descriptor in (np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype):
    zero_case(_descriptor, variants=[(R(2, 3),)], call=_attribute)

zero_case(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
          variants=[(R(),), (P() * 3.0,)])
zero_case(math.isclose, variants=[(R(), R())])
_pairs = [(R(), R()), (R(4), R(4))]
zero_case(operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
          operator.ne, operator.is_, operator.is_not, variants=_pairs)
# piecewise constant: sampled halfway between two jumps, so a random draw never sits on one
zero_case(operator.floordiv, variants=[((np.floor(x / y) + 0.5) * y, y) for x, y in _pairs])
zero_case(operator.not_, variants=[(R(),)])
zero_case(operator.contains, variants=[(R(4), R())])
_first, _second = R() * 10.0, R() * 10.0
zero_case(builtins.round, variants=[(float(round(_first)),), (round(_second, 2), 2)])  # on a step, off its jumps
zero_case(builtins.int, builtins.bool, builtins.type, variants=[(R() * 10.0,)])
zero_case(builtins.len, builtins.any, builtins.all, variants=[(R(4),)])
zero_case(builtins.isinstance, variants=[(R(), float)])

# --- constructors of constants: the arguments give shapes only ------------------

zero_case(np.zeros_like, np.ones_like, rt.zeros_like, rt.shape_of, variants=[(R(3),), (R(2, 3),)])
# abs's derivative, piecewise constant (fixed samples: the shared generator's draws stay as they were)
zero_case(rt.sign_of, variants=[(np.array([-1.5, 0.25, 2.0]),), (-0.7,), (np.array([[0.3, -2.0], [1.1, -0.2]]),)])
zero_case(np.empty_like, variants=[(R(3),), (R(2, 3),)], call=_shape_only)
zero_case(np.arange, variants=[(P(low=3.1, high=3.9),)])  # arange(stop): piecewise constant
zero_case(np.arange, variants=[(P(), P(low=3.1, high=3.9), 0.5)], only=(1,))  # the stop
zero_case(rt.reduced_size, variants=[(R(2, 3), 1), (R(4),)])
# what an in-place operation leaves in the array: the value computed anew, never the array's old entries
zero_case(rt.in_place_result, variants=[(np.array([0.5, -1.5, 2.0]), np.array([0.3, 0.7, -0.2]), "+="),
                                        (np.array([0.5, -1.5, 2.0]), np.array([[0.3, 0.7, -0.2]] * 2), "sin")],
          only=(1,))
# an entry's zero adjoint, from the record (fixed samples: the shared generator's draws stay as they were)
zero_case(rt.zeros_like_entry, variants=[(np.array([0.3, -1.2, 2.0]),), (np.array([[0.5, -0.25], [1.5, 0.1]]),)],
          call=lambda f, x: f([x, x * 2.0], 1))

# --- rule parameters without a derivative line that can hold a float -------------

zero_case(math.copysign, variants=[(R(), R())], only=(1,))
zero_case(np.copysign, variants=[(np.array([0.7, -1.3, 2.0]), np.array([-0.8, 1.1, -1.9])),
                                  (np.array([[1.5], [-0.6]]), np.array([0.9, -1.2, 0.4]))], only=(1,))
zero_case(np.full_like, variants=[(R(3), 2.0), (R(2, 3), R(3))], only=(0,))  # `a` gives the shape
zero_case(np.where, variants=[(R(4), R(4), R(4))], only=(0,))  # a float condition: its truth
# --- integers only: a float argument is a TypeError, so no gradient can be lost --------

INTEGER_ONLY = [
    (np.zeros, (3.0,)), (np.ones, (3.0,)), (np.eye, (3.0,)), (np.identity, (3.0,)), (np.empty, (3.0,)),
    (math.factorial, (3.0,)), (math.gcd, (4.0, 6)), (math.lcm, (4.0, 6)), (math.comb, (5.0, 2)),
    (math.perm, (5.0, 2)), (math.isqrt, (9.0,)), (operator.and_, (1.5, 1)), (operator.or_, (1.5, 1)),
    (operator.xor, (1.5, 1)), (operator.invert, (1.5,)), (builtins.range, (2.5,)),
]
