"""Cases for srcgrad/rules/operators.py: Python operators and their NumPy ufuncs."""
import operator

import numpy as np

from rule_cases import C, P, R, U, case

BINARY = [(R(3), R(3), C(3)), (R(3, 1), R(1, 4), C(3, 4)), (R(), R(2, 3), C(2, 3)),
          (R(2, 3), R(), C(2, 3)), (R(4), R(3, 4), C(3, 4))]
POSITIVE_BINARY = [(P(3), P(3), C(3)), (P(3, 1), P(1, 4), C(3, 4)), (P(), P(2, 3), C(2, 3))]


@case(operator.add, variants=BINARY, wrt=(0, 1))
def add_case(x, y, c):
    return np.sum((x + y) * c)


@case(np.add, variants=BINARY, wrt=(0, 1))
def np_add_case(x, y, c):
    return np.sum(np.add(x, y) * c)


@case(operator.sub, variants=BINARY, wrt=(0, 1))
def sub_case(x, y, c):
    return np.sum((x - y) * c)


@case(np.subtract, variants=BINARY, wrt=(0, 1))
def np_subtract_case(x, y, c):
    return np.sum(np.subtract(x, y) * c)


@case(operator.mul, variants=BINARY, wrt=(0, 1))
def mul_case(x, y, c):
    return np.sum(x * y * c)


@case(operator.mul, variants=[(R(3), C(3))])
def square_by_mul_case(x, c):
    return np.sum(x * x * c)


@case(np.multiply, variants=BINARY, wrt=(0, 1))
def np_multiply_case(x, y, c):
    return np.sum(np.multiply(x, y) * c)


@case(operator.truediv, variants=POSITIVE_BINARY, wrt=(0, 1))
def truediv_case(x, y, c):
    return np.sum(x / y * c)


@case(np.divide, variants=POSITIVE_BINARY, wrt=(0, 1))
def np_divide_case(x, y, c):
    return np.sum(np.divide(x, y) * c)


@case(operator.mod, variants=[(P(3) + 3.1, P(3), C(3)), (P(2, 3) + 2.2, P(), C(2, 3))], wrt=(0, 1))
def mod_case(x, y, c):
    return np.sum((x % y) * c)


@case(np.remainder, variants=[(P(3) + 3.1, P(3), C(3))], wrt=(0, 1))
def np_remainder_case(x, y, c):
    return np.sum(np.remainder(x, y) * c)


@case(operator.neg, variants=[(R(3), C(3)), (R(), C())])
def neg_case(x, c):
    return np.sum(-x * c)


@case(np.negative, variants=[(R(3), C(3))])
def np_negative_case(x, c):
    return np.sum(np.negative(x) * c)


@case(operator.pos, variants=[(R(3), C(3))])
def pos_case(x, c):
    return np.sum(+x * c)


@case(np.positive, variants=[(R(3), C(3))])
def np_positive_case(x, c):
    return np.sum(np.positive(x) * c)


MATMUL = [(R(3, 4), R(4, 5), C(3, 5)), (R(4), R(4, 5), C(5)), (R(3, 4), R(4), C(3)),
          (R(4), R(4), C()), (R(2, 3, 4), R(4, 5), C(2, 3, 5)), (R(2, 1, 3, 4), R(5, 4, 2), C(2, 5, 3, 2))]


@case(operator.matmul, variants=MATMUL, wrt=(0, 1))
def matmul_case(a, b, c):
    return np.sum((a @ b) * c)


@case(np.matmul, variants=MATMUL[:3], wrt=(0, 1))
def np_matmul_case(a, b, c):
    return np.sum(np.matmul(a, b) * c)


@case(operator.pow, variants=[(R(3), C(3)), (R(2, 3), C(2, 3)), (R(), C())])
def pow_constant_case(x, c):
    return np.sum(x ** 3 * c)


@case(operator.pow, variants=[(P(3), C(3))])
def pow_fractional_case(x, c):
    return np.sum(x ** 0.5 * c) + np.sum(x ** -1.5 * c)


@case(operator.pow, variants=POSITIVE_BINARY, wrt=(0, 1))
def pow_case(x, y, c):
    return np.sum(x ** y * c)


@case(np.power, variants=POSITIVE_BINARY, wrt=(0, 1))
def np_power_case(x, y, c):
    return np.sum(np.power(x, y) * c)


@case(operator.getitem, variants=[(R(5), C())])
def getitem_int_case(x, c):
    return x[2] * c + x[-1]


@case(operator.getitem, variants=[(R(4, 5), C(4, 2))])
def getitem_slice_case(x, c):
    return np.sum(x[:, 1:3] * c)


@case(operator.getitem, variants=[(R(4, 5), C(2))])
def getitem_tuple_case(x, c):
    return np.sum(x[1, ::2][1:] * c)


@case(operator.getitem, variants=[(R(6), C(3))])
def getitem_mask_case(x, c):
    mask = np.array([True, False, True, False, False, True])
    return np.sum(x[mask] * c)


@case(operator.getitem, variants=[(R(5), C(4))])
def getitem_repeated_indices_case(x, c):
    idx = np.array([0, 3, 3, 1])
    return np.sum(x[idx] * c)


@case(operator.getitem, variants=[(R(3, 4), C(2, 4))])
def getitem_rows_case(x, c):
    return np.sum(x[np.array([2, 2])] * c)


# --- zero-gradient operators: mixed with a differentiable path --------------

@case(operator.floordiv, variants=[(P(3) * 5, C(3))])
def floordiv_case(x, c):
    return np.sum((x // 2.0 + x) * c)


@case(operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
      variants=[(R(4), C(4))])
def comparisons_case(x, c):
    m = (x < 0.1) + (x <= 0.2) + (x > 0.3) + (x >= 0.4) + (x == 0.5) + (x != 0.6)
    return np.sum((m + x) * c)


@case(operator.and_, operator.or_, operator.xor, operator.invert, variants=[(R(4), C(4))])
def bitwise_case(x, c):
    m = ((x > 0) & (x < 1)) | ((x < -1) ^ (x > 2))
    n = ~m
    return np.sum((m * x + n * x * x) * c)


@case(operator.not_, operator.is_, operator.is_not, operator.contains, variants=[(R(), C())])
def logic_case(x, c):
    a = not (x > 100.0)
    b = c is None
    e = c is not None
    f = 3 in (1, 2, 3)
    return x * c * a + x * b + x * x * e * f



# --- displays: tuple, list and dict literals that carry gradients -----------
from srcgrad import runtime  # noqa: E402


@case(runtime.pack_tuple, variants=[(R(3), R(), C(3))], wrt=(0, 1))
def tuple_display_case(x, y, c):
    t = (x * y, x + y, y)
    return np.sum(t[0] * c) + np.sum(t[1] * t[2] * c)


@case(runtime.pack_list, variants=[(R(2, 3), R(3), C(2, 3))], wrt=(0, 1))
def list_display_case(x, y, c):
    items = [x, [y, x * y]]
    inner = items[1]
    return np.sum(items[0] * inner[1] * c) + np.sum(inner[0] * c)


@case(runtime.pack_dict, variants=[(R(3), R(), C(3))], wrt=(0, 1))
def dict_display_case(x, y, c):
    d = {"a": x * y, "b": y, "unused": x}
    return np.sum(d["a"] * d["b"] * c)


@case(operator.getitem, variants=[({"w": R(3), "b": R()}, C(3))])
def getitem_dict_param_case(p, c):
    return np.sum(np.tanh(p["w"] * p["b"]) * c)


# --- lists and tuples: `+` concatenates, `*` repeats -------------------------

@case(runtime.concat, variants=[(R(3), R(), C(3))], wrt=(0, 1))
def concat_case(x, y, c):
    items = [x * y] + [x, y * y]
    pair = (y,) + (x,)
    return np.sum(items[0] * items[1] * c) + items[2] * np.sum(pair[0] * pair[1] * c)


@case(runtime.repeat, variants=[(R(3), R(), C(3))], wrt=(0, 1))
def repeat_case(x, y, c):
    items = [x * y, y] * 2
    again = 2 * (x,)
    return np.sum(items[0] * items[3] * c) + np.sum(items[2] * again[1] * c)
