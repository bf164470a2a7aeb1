"""Cases for srcgrad/rules/builtins.py: mostly Python floats, some arrays."""
import numpy as np

from rule_cases import C, P, R, case
from srcgrad import runtime as rt


@case(abs, variants=[(P(), C()), (-P(), C()), (R(), C())])
def builtin_abs_case(x, c):
    return abs(x) * c


@case(abs, variants=[(R(4), C(4)), (R(2, 3), C(2, 3))])
def builtin_abs_array_case(x, c):
    return np.sum(abs(x) * c)


@case(float, variants=[(R(), C()), (np.array(R()), C())])
def builtin_float_case(x, c):
    return float(x) * c


@case(float, variants=[(R(3), C())])
def builtin_float_of_element_case(x, c):
    return float(np.sum(x * x)) * c


@case(max, variants=[(R(), R(), C()) for _ in range(3)], wrt=(0, 1))
def builtin_max_case(x, y, c):
    return max(x, y) * c


@case(max, variants=[(P(), C()), (-P(), C())])
def builtin_max_constant_case(x, c):
    return max(x, 0.0) * c


@case(min, variants=[(R(), R(), C()) for _ in range(3)], wrt=(0, 1))
def builtin_min_case(x, y, c):
    return min(x, y) * c


@case(min, variants=[(P(), C()), (-P(), C())])
def builtin_min_constant_case(x, c):
    return min(0.0, x) * c


@case(sum, variants=[(R(), R(), C()) for _ in range(2)], wrt=(0, 1))
def builtin_sum_case(x, y, c):
    return sum([x, y, x * y]) * c


@case(sum, variants=[(R(3), R(3), C(3)), (R(), R(2, 3), C(2, 3)), (R(3, 1), R(1, 4), C(3, 4))], wrt=(0, 1))
def builtin_sum_arrays_case(a, b, c):
    return np.sum(sum([a, b]) * c)


@case(sum, variants=[(R(), R(), R(), C())], wrt=(0, 1, 2))
def builtin_sum_start_case(x, y, s, c):
    return sum((x, y), s) * c


@case(sum, variants=[(R(3, 4), C(4)), (R(2, 3, 2), C(3, 2))])
def builtin_sum_array_case(a, c):
    return np.sum(sum(a) * c)


@case(pow, variants=[(P(), R(), C()) for _ in range(3)], wrt=(0, 1))
def builtin_pow_case(x, y, c):
    return pow(x, y) * c


@case(pow, variants=[(R(), C()), (R(3), C(3))])
def builtin_pow_constant_exponent_case(x, c):
    return np.sum(pow(x, 3) * c)


# --- zero gradient ---------------------------------------------------------------


@case(len, variants=[(R(3), C(3)), (R(2, 4), C(2, 4))])
def builtin_len_case(a, c):
    return np.sum(a * c) * len(a)


@case(range, len, variants=[(R(), C())])
def builtin_range_case(x, c):
    return x * c * len(range(3))


@case(int, round, variants=[(2.3, C()), (-1.6, C())])
def builtin_int_round_case(x, c):
    return (int(x) + round(x) + round(x, 1) + x * x) * c


@case(bool, variants=[(R(), C())])
def builtin_bool_case(x, c):
    return x * c * bool(x)


@case(isinstance, type, variants=[(R(), C())])
def builtin_isinstance_type_case(x, c):
    return x * c * isinstance(x, float) + x * c * (type(x) is float)


@case(any, all, variants=[(R(), C())])
def builtin_any_all_case(x, c):
    return x * c * (any([x > 0, True]) + all([x > 0, x < 0]))


@case(list, variants=[(R(3), R(2, 3), C(3))], wrt=(0, 1))
def list_case(x, a, c):
    items = list((x * 2.0, x * x))  # a tuple's items
    rows = list(a * a)  # an array's rows
    keys = list({"p": x, "q": a})  # a dict's keys: no gradient
    return np.sum(items[0] * items[1] * c) + np.sum(rows[1] * c) * len(keys[0])


@case(rt.max_of, rt.min_of, variants=[(R(), R(), R(), C()) for _ in range(3)], wrt=(0, 1, 2))
def builtin_max_min_of_a_list_case(x, y, w, c):  # max(items): the one-argument form
    items = [x * y, w, np.sin(x)]
    return (max(items) + 2.0 * min(items) + max((y, w))) * c


@case(rt.max_of, rt.min_of, variants=[(R(5), C()), (R(1), C())])
def builtin_max_min_of_an_array_case(a, c):
    return (max(a) - 0.5 * min(a * a)) * c


@case(np.float64, variants=[(R(), C()), (R(3), C(3))])
def numpy_float64_case(x, c):
    acc = np.float64(0.0)  # an accumulator, as in `acc = np.float64(0.0); acc += ...`
    return np.sum((np.float64(x) * x + acc) * c)


@case(tuple, variants=[(R(), R(), C(3)), (R(3), R(3), C(3))], wrt=(0, 1))
def builtin_tuple_case(x, y, c):
    items = tuple([x * y, np.sin(x), y])
    return np.sum(items[0] * c[0] + items[1] * c[1] + items[2] * c[2])


@case(tuple, variants=[(R(3), C(3))])
def builtin_tuple_of_an_array_case(a, c):
    return sum(tuple(a * a) * c)


@case(sorted, variants=[(R(), R(), R(), C(3)) for _ in range(3)], wrt=(0, 1, 2))
def builtin_sorted_case(x, y, w, c):  # a permutation: each slot's weight goes to its item
    s = sorted([x * y, w, np.sin(x)])
    return s[0] * c[0] + s[1] * c[1] + s[2] * c[2]


@case(sorted, variants=[(R(4), C(4)), (R(1), C(1))])
def builtin_sorted_reverse_of_an_array_case(a, c):
    s = sorted(a * 2.0, reverse=True)
    return sum(si * ci for si, ci in zip(s, c))
