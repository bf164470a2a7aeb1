"""Cases for srcgrad/rules/ufuncs.py: reduce, accumulate and outer of NumPy's ufuncs."""
import numpy as np

from rule_cases import C, P, R, case
from srcgrad import runtime as rt
from srcgrad.rules import ufuncs as rf

FWD = ("forward",)


@case(np.add.reduce, variants=[(R(3, 4), C(4)), (R(5), C())])
def add_reduce_case(a, c):
    return np.sum(np.add.reduce(a) * c)


@case(np.add.reduce, variants=[(R(3, 4, 2), C(3, 2))])
def add_reduce_axis_case(a, c):
    return np.sum(np.add.reduce(a, axis=1) * c)


@case(np.add.reduce, variants=[(R(3, 4), C())])
def add_reduce_all_case(a, c):
    return np.add.reduce(a, axis=None) * c


@case(np.add.reduce, variants=[(R(2, 3, 2), C(1, 3, 1))])
def add_reduce_axes_keepdims_case(a, c):
    return np.sum(np.add.reduce(a, axis=(0, -1), keepdims=True) * c)


@case(np.multiply.reduce, variants=[(R(3, 4), C(4))])
def multiply_reduce_case(a, c):
    return np.sum(np.multiply.reduce(a) * c)


@case(np.multiply.reduce, variants=[(R(3, 4), C(3)), (np.array([[1.5, 0.0, -2.0], [0.5, 2.0, 1.0]]), C(2))])
def multiply_reduce_axis_case(a, c):
    return np.sum(np.multiply.reduce(a, -1) * c)


@case(np.maximum.reduce, np.minimum.reduce, variants=[(R(3, 4), C(4), C(3))])
def extreme_reduce_case(a, c, c2):
    return np.sum(np.maximum.reduce(a) * c) + np.sum(np.minimum.reduce(a, axis=1) * c2)


@case(np.add.accumulate, variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def add_accumulate_case(a, c):
    return np.sum(np.add.accumulate(a) * c)


@case(np.add.accumulate, np.multiply.accumulate, variants=[(R(3, 4), C(3, 4), C(3, 4))])
def accumulate_axis_case(a, c, c2):
    return np.sum(np.add.accumulate(a, axis=1) * c) + np.sum(np.multiply.accumulate(a, axis=-1) * c2)


@case(np.multiply.accumulate, variants=[(R(4, 2), C(4, 2)), (np.array([1.5, 0.0, -2.0, 0.5]), C(4))])
def multiply_accumulate_case(a, c):
    return np.sum(np.multiply.accumulate(a) * c)


@case(np.maximum.accumulate, np.minimum.accumulate, variants=[(R(7), C(7), C(7)), (R(3, 5), C(3, 5), C(3, 5))])
def extreme_accumulate_case(a, c, c2):
    return np.sum(np.maximum.accumulate(a) * c) + np.sum(np.minimum.accumulate(a) * c2)


@case(np.maximum.accumulate, np.minimum.accumulate, variants=[(R(3, 5), C(3, 5), C(3, 5)), (R(2, 3, 4), C(2, 3, 4), C(2, 3, 4))])
def extreme_accumulate_axis_case(a, c, c2):
    return np.sum(np.maximum.accumulate(a, axis=-1) * c) + np.sum(np.minimum.accumulate(a, 1) * c2)


_OUTER = [(R(3), R(4), C(3, 4)), (R(2, 3), R(4), C(2, 3, 4)), (R(2), R(), C(2)), (R(), R(2, 2), C(2, 2))]


@case(np.add.outer, variants=_OUTER, wrt=(0, 1))
def add_outer_case(a, b, c):
    return np.sum(np.add.outer(a, b) * c)


@case(np.subtract.outer, variants=_OUTER, wrt=(0, 1))
def subtract_outer_case(a, b, c):
    return np.sum(np.subtract.outer(a, b) * c)


@case(np.multiply.outer, variants=_OUTER, wrt=(0, 1))
def multiply_outer_case(a, b, c):
    return np.sum(np.multiply.outer(a, b) * c)


@case(np.divide.outer, variants=[(R(3), P(4), C(3, 4)), (R(2, 3), P(2), C(2, 3, 2))], wrt=(0, 1))
def divide_outer_case(a, b, c):
    return np.sum(np.divide.outer(a, b) * c)


@case(np.maximum.outer, np.minimum.outer, variants=[(R(3), R(4), C(3, 4), C(3, 4))], wrt=(0, 1))
def extreme_outer_case(a, b, c, c2):
    return np.sum(np.maximum.outer(a, b) * c) + np.sum(np.minimum.outer(a, b) * c2)


@case(rt.outer_expand, rt.outer_unexpand, variants=[(R(2, 3), R(4), C(2, 3))], modes=FWD)
def outer_helpers_case(a, b, c):
    return np.sum(rt.outer_unexpand(rt.outer_expand(a * a, b) * b, a) * c)


# --- reduce with dtype=, initial=, where= ---------------------------------------------------

MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])


@case(rf.ADD_REDUCE, variants=[(R(3, 4), R(), C(4))], wrt=(0, 1))
def add_reduce_keywords_case(a, start, c):
    return np.sum(np.add.reduce(a, initial=start, where=MASK) * c) + np.add.reduce(a, None, np.float64)


@case(rf.MULTIPLY_REDUCE, variants=[(R(3, 4), P(), C(3))], wrt=(0, 1))
def multiply_reduce_keywords_case(a, start, c):
    return np.sum(np.multiply.reduce(a, axis=1, initial=start, where=MASK) * c)


@case(*rf.EXTREME_REDUCES, variants=[(R(3, 4), C(4), C(3))])
def extreme_reduce_keywords_case(a, c, c2):
    return np.sum(np.maximum.reduce(a, initial=-5.0, where=MASK) * c) \
        + np.sum(np.minimum.reduce(a, axis=1, initial=5.0, where=MASK) * c2)


@case(rt.running_extreme_adjoint, rt.running_extreme_tangent, variants=[(R(3, 5), R(3, 5), C(3, 5))], modes=FWD)
def running_extreme_helpers_case(g, t, c):
    a = np.array([[0.3, 1.2, -0.4, 2.0, 1.1], [-1.0, -2.0, 0.5, 0.2, 3.0], [2.5, 0.1, 0.2, 0.3, 0.4]])
    z = np.maximum.accumulate(a, axis=1)
    return np.sum((rt.running_extreme_adjoint(g * g, a, z, 1) + rt.running_extreme_tangent(t * g, a, z, 1)) * c)
