"""srcgrad tried from outside (break26): functions of lists of Python floats
(Rosenbrock-like chains, sums of squares of differences, polynomials, int
constants mixed in) at values near overflow, NaN, inf, -0.0 and with non-float
entries; the per-type call cache; in-place operations and dtypes; global
arrays and attributes a function writes; a small MLP with softmax
cross-entropy; SciPy and notebook habits.

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Every derivative is checked against central differences in float64 (the
function called on fresh copies of its arguments) or a hand derivative.

A finding that still fails is a strict xfail naming its number in FINDINGS26.md.
"""
import copy
import math
import warnings

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, fd_dir, close, _flat


def fresh(t):
    return copy.deepcopy(t)


def fd(f, args, wrt=0, eps=1e-6):
    """Central differences on fresh copies (some programs write their arguments)."""
    return fd_grad(lambda *a: f(*fresh(a)), list(args), wrt, eps)


def fd_checked(f, args, wrt=0):
    """Two step sizes that agree, so the reference is not itself noise."""
    a = fd(f, args, wrt, 1e-6)
    b = fd(f, args, wrt, 1e-5)
    np.testing.assert_allclose(_flat(a)[0], _flat(b)[0], rtol=1e-4, atol=1e-6)
    return a


def outcome(call):
    """('ok', value) or ('err', type, message): what a call did."""
    try:
        return ("ok", call())
    except Exception as e:          # noqa: BLE001 - the point is to compare them
        return ("err", type(e), str(e))


def same_error(f, args, transform_calls):
    """f raises; every transform raises the same type with the same message."""
    expected = outcome(lambda: f(*fresh(args)))
    assert expected[0] == "err", expected
    for name, call in transform_calls:
        got = outcome(call)
        assert got[0] == "err" and got[1:] == expected[1:], (name, got, expected)


def reverse_calls(f, args):
    return [("grad", lambda: srcgrad.grad(f)(*fresh(args))),
            ("value_and_grad", lambda: srcgrad.value_and_grad(f)(*fresh(args))),
            ("vjp", lambda: srcgrad.vjp(f, *fresh(args))[1](1.0))]


def bit_equal(a, b):
    """The same float, bit for bit (NaN equal to NaN, -0.0 not 0.0), the same type."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) or isinstance(a, np.floating):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


# --------------------------------------------------------------------------
# Python floats in lists and loops: what works (regression guards).
# --------------------------------------------------------------------------

def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


def poly_mixed_ints(x):
    s = 0
    for i in range(len(x)):
        s = s + 3 * x[i] / 2 + (x[i] + 1) ** 2 * 5 + x[i] ** 3
    return s


def sumsq_diff(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i + 1] - x[i]) ** 2 + (2.5 - x[i]) ** 2
    return s


def cubes_and_squares(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0.0:
            s = s + x[i] ** 3
        else:
            s = s + x[i] ** 2
    return s


LIST_FUNCS = [rosen, poly_mixed_ints, sumsq_diff, cubes_and_squares]
BASE = [0.3, -1.2, 2.5, 0.7]


@pytest.mark.parametrize("f", LIST_FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["list", "tuple", "array", "list_with_int", "list_of_np_float64"])
def test_list_of_floats_gradients_right(f, kind):
    x = {"list": list(BASE), "tuple": tuple(BASE), "array": np.array(BASE),
         "list_with_int": [0.3, -1, 2.5, 0.7],
         "list_of_np_float64": [np.float64(v) for v in BASE]}[kind]
    expected = fd_checked(lambda v: f(list(v)), [np.array(x, dtype=float)])
    df = srcgrad.grad(f)
    g = df(fresh(x))
    close(np.array(g, dtype=float), expected)
    value, g2 = srcgrad.value_and_grad(f)(fresh(x))
    assert bit_equal(value, f(fresh(x)))
    close(np.array(g2, dtype=float), expected)
    _, pb = srcgrad.vjp(f, fresh(x))
    close(np.array(pb(1.0), dtype=float), expected)
    if kind in ("list", "tuple"):
        assert type(g) is type(x) and all(type(v) is float for v in g)


def test_one_derivative_alternating_argument_kinds():
    """The per-type call cache: array, list, tuple, list with an int, list again."""
    df = srcgrad.value_and_grad(sumsq_diff)
    expected = fd_checked(lambda v: sumsq_diff(list(v)), [np.array(BASE)])
    for x in [np.array(BASE), list(BASE), tuple(BASE), [0.3, -1.2, 2.5, 1], list(BASE),
              np.array(BASE, dtype=np.float32), list(BASE), (1, 2, 3, 4), np.array(BASE)]:
        value, g = df(fresh(x))
        assert bit_equal(value, sumsq_diff(fresh(x)))
        ref = expected if not isinstance(x[-1], int) or isinstance(x[-1], bool) else \
            fd_checked(lambda v: sumsq_diff(list(v)), [np.array(x, dtype=float)])
        close(np.array(g, dtype=float), ref, rtol=1e-4 if getattr(x, "dtype", None) == np.float32 else 1e-5)


BIG = [1e153, 9.99e153, 1e154, 1.34e154, 1.3407807929942596e154, 1.3407807929942597e154, 1e155, 1e160,
       1e77, 5.6e102, 5.65e102, 1e103, float("nan"), float("inf"), float("-inf"), -0.0, 1e-200]


@pytest.mark.parametrize("f", LIST_FUNCS, ids=lambda f: f.__name__)
def test_near_overflow_errors_and_values(f):
    """At each value: f's OverflowError (same message) from grad, value_and_grad
    and vjp; else value_and_grad's value bit for bit f's."""
    for big in BIG:
        for pos in range(3):
            x = [0.5, -0.25, 1.5]
            x[pos] = big
            fo = outcome(lambda: f(list(x)))
            for name, call in reverse_calls(f, [x]) + [("tuple", lambda: srcgrad.value_and_grad(f)(tuple(x)))]:
                got = outcome(call)
                assert got[0] == fo[0], (f.__name__, x, name, got, fo)
                if fo[0] == "err":
                    assert got[1:] == fo[1:], (x, name, got, fo)
                elif name in ("value_and_grad", "tuple"):
                    assert bit_equal(got[1][0], fo[1]), (x, name, got[1][0], fo[1])


def test_int_entries_keep_int_arithmetic():
    """Big ints in the list: the value is f's exact int-then-float arithmetic."""
    def three_products(x):
        return 3 * x[0] * x[1]

    def square_difference(x):
        return x[0] * x[0] - x[1] * x[1]
    for f, x in [(three_products, [2 ** 53 + 1, 1.0]), (square_difference, [2 ** 53 + 1, 2 ** 53])]:
        value, g = srcgrad.value_and_grad(f)(list(x))
        assert bit_equal(value, f(list(x)))
    value, g = srcgrad.value_and_grad(three_products)([2 ** 53 + 1, 1.0])
    assert g == [3.0, float(3 * (2 ** 53 + 1))]


def test_user_errors_of_int_entries_pass_through():
    def halves(x):
        s = 0.0
        for i in range(len(x)):
            s = s + 3 * x[i] / 2
        return s

    def shifted_squares(x):
        s = 0.0
        for i in range(len(x)):
            s = s + (x[i] + 1) ** 2 * 5
        return s
    same_error(halves, [[1.0, 10 ** 400]], reverse_calls(halves, [[1.0, 10 ** 400]]))
    same_error(shifted_squares, [[10 ** 400, 1.0]], reverse_calls(shifted_squares, [[10 ** 400, 1.0]]))


def test_first_error_of_two_kinds_in_a_loop():
    """The forward loop meets ZeroDivisionError or OverflowError first; srcgrad the same."""
    def recip_and_square(x):
        s = 0.0
        for i in range(len(x)):
            s = s + 1.0 / x[i] + x[i] ** 2
        return s
    for x in ([0.0, 1e200], [1e200, 0.0], [1.0, 0.0]):
        same_error(recip_and_square, [x], reverse_calls(recip_and_square, [x]))


def test_list_entries_nan_inf():
    for x in ([float("nan"), 1.0, 2.0], [1.0, float("inf"), 2.0], [-0.0, 0.0, -0.0]):
        value, g = srcgrad.value_and_grad(rosen)(list(x))
        assert bit_equal(value, rosen(list(x)))
    value, g = srcgrad.value_and_grad(rosen)([-0.0, 0.0, -0.0])
    close(g, fd_checked(lambda v: rosen(list(v)), [np.array([-0.0, 0.0, -0.0])]))


def test_non_float_entries_refused_clearly():
    for bad, word in [(True, "bool"), (1.0 + 0j, "complex"), (None, "NoneType")]:
        with pytest.raises(srcgrad.SrcGradError, match=word):
            srcgrad.grad(rosen)([0.5, bad, 1.0])


# --------------------------------------------------------------------------
# FINDINGS26 #1: a name read before its first assignment in a loop (the
# user's UnboundLocalError) becomes a TypeError about None.
# --------------------------------------------------------------------------

def lagged_product(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * prev          # noqa: F821 - prev is bound only below: a user bug
        prev = x[i]
    return s


def lagged_sum(x):
    s = 0.0
    for i in range(len(x)):
        t = x[i] + u                 # noqa: F821
        u = 2.0 * x[i]
        s = s + t * u
    return s


def test_f01_the_functions_raise_unbound_local():
    for f in (lagged_product, lagged_sum):
        with pytest.raises(UnboundLocalError):
            f(np.array([1.0, 2.0, 3.0]))


def test_f01_forward_mode_right():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(UnboundLocalError):
        srcgrad.jvp(lagged_product, (x,), (np.ones(3),))
    with pytest.raises(UnboundLocalError):
        srcgrad.grad(lagged_sum)([1.0, 2.0, 3.0])     # the list build of lagged_sum: right


def test_f01_grad_array():
    """Fixed on main (was: FINDINGS26 #1: UnboundLocalError becomes TypeError (unsupported operand type(s) for *: 'float' and 'NoneType') in grad)."""
    with pytest.raises(UnboundLocalError):
        srcgrad.grad(lagged_product)(np.array([1.0, 2.0, 3.0]))


def test_f01_value_and_grad_list():
    """Fixed on main (was: FINDINGS26 #1: UnboundLocalError becomes TypeError in value_and_grad)."""
    with pytest.raises(UnboundLocalError):
        srcgrad.value_and_grad(lagged_product)([1.0, 2.0, 3.0])


def test_f01_vjp_list():
    """Fixed on main (was: FINDINGS26 #1: UnboundLocalError becomes TypeError in vjp (list of floats))."""
    with pytest.raises(UnboundLocalError):
        srcgrad.vjp(lagged_sum, [1.0, 2.0, 3.0])


def test_f01_hvp():
    """Fixed on main (was: FINDINGS26 #1: UnboundLocalError becomes TypeError in hvp)."""
    with pytest.raises(UnboundLocalError):
        srcgrad.hvp(lagged_sum)(np.array([1.0, 2.0, 3.0]), np.ones(3))


def square_if_positive(a):
    if a > 0.0:
        b = a * a
    return b + a                     # noqa: F821 - b unbound when a <= 0: a user bug


def last_negative_square(x):
    i = 0
    while i < len(x) and x[i] < 0.0:
        v = x[i] ** 2
        i += 1
    return v + x[0]                  # noqa: F821 - v unbound when x[0] >= 0


def test_f01_no_error_functions_raise():
    with pytest.raises(UnboundLocalError):
        square_if_positive(-1.0)
    with pytest.raises(UnboundLocalError):
        last_negative_square([1.0, 2.0])
    assert srcgrad.grad(square_if_positive)(2.0) == 5.0
    assert srcgrad.grad(last_negative_square)([-1.0, 2.0]) == [-1.0, 0.0]


def test_f01_grad_of_a_raising_function_scalar():
    """Fixed on main (was: FINDINGS26 #1: grad returns 1.0 for a function that raises UnboundLocalError (the value-only read of the unbound name is dropped))."""
    with pytest.raises(UnboundLocalError):
        srcgrad.grad(square_if_positive)(-1.0)


def test_f01_hvp_of_a_raising_function_scalar():
    """Fixed on main (was: FINDINGS26 #1: hvp returns 0.0 for a function that raises UnboundLocalError)."""
    with pytest.raises(UnboundLocalError):
        srcgrad.hvp(square_if_positive)(-1.0, 1.0)


def test_f01_grad_of_a_raising_function_list():
    """Fixed on main (was: FINDINGS26 #1: grad returns [1, 0] for a while loop that never binds v (list))."""
    with pytest.raises(UnboundLocalError):
        srcgrad.grad(last_negative_square)([1.0, 2.0])


# --------------------------------------------------------------------------
# FINDINGS26 #2: the derivative of a Python float's negative power raises
# OverflowError where f runs (the derivative is -inf; `1.0 / x` gives -inf).
# --------------------------------------------------------------------------

def inverse_power(x):
    return x ** -1 + 2.0


def inverse_division(x):
    return 1.0 / x + 2.0


def coulomb(xs):
    e = 0.0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            e = e + ((xs[i] - xs[j]) ** 2) ** -0.5
    return e


def test_f02_the_functions_run_and_division_gives_inf():
    assert inverse_power(1e-170) == 1e170
    assert coulomb([0.0, 1e-160, 1.0]) > 1e159
    assert srcgrad.grad(inverse_division)(1e-170) == -math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = srcgrad.grad(lambda_free_array_inverse)(np.array([1e-170, 1.0]))
    assert g[0] == -math.inf and g[1] == -1.0


def lambda_free_array_inverse(x):
    return np.sum(x ** -1)


def test_f02_right_at_ordinary_points():
    assert srcgrad.grad(inverse_power)(0.5) == pytest.approx(-4.0)
    x = [0.0, 0.5, 2.0]
    close(srcgrad.grad(coulomb)(x), fd_checked(lambda v: coulomb(list(v)), [np.array(x)]))


def test_f02_inverse_power_grad():
    """Fixed on main (was: FINDINGS26 #2: grad of x ** -1 at 1e-170 raises OverflowError (f runs; 1/x gives -inf))."""
    assert srcgrad.grad(inverse_power)(1e-170) == -math.inf


def test_f02_inverse_power_jvp():
    """Fixed on main (was: FINDINGS26 #2: jvp of x ** -1 at 1e-170 raises OverflowError)."""
    assert srcgrad.jvp(inverse_power, (1e-170,), (1.0,))[1] == -math.inf


def test_f02_coulomb_close_pair():
    """Fixed on main (was: FINDINGS26 #2: a Coulomb energy with a close pair: grad raises OverflowError)."""
    g = srcgrad.grad(coulomb)([0.0, 1e-160, 1.0])
    assert math.isinf(g[0]) and math.isinf(g[1])


# --------------------------------------------------------------------------
# FINDINGS26 #3: `d = x[i]; d -= c` over a list of Python floats is refused as
# sharing memory with x (d is a float; -= rebinds it).
# --------------------------------------------------------------------------

def centered_squares(x):
    s = 0.0
    for i in range(len(x)):
        d = x[i]
        d -= 0.5
        d *= 2.0
        s += d ** 2
    return s


def centered_squares_spelled_out(x):
    s = 0.0
    for i in range(len(x)):
        d = x[i]
        d = d - 0.5
        d = d * 2.0
        s += d ** 2
    return s


def test_f03_spelled_out_right():
    x = [0.3, 1.2, -0.7]
    close(srcgrad.grad(centered_squares_spelled_out)(list(x)),
          fd_checked(lambda v: centered_squares_spelled_out(list(v)), [np.array(x)]))


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #3: d = x[i]; d -= 0.5 over a list of floats refused "
                   "('d' may share memory with 'x')")
def test_f03_augmented_entry_list():
    x = [0.3, 1.2, -0.7]
    close(srcgrad.grad(centered_squares)(list(x)), fd_checked(lambda v: centered_squares(list(v)), [np.array(x)]))


def loop_item_augmented(x):
    s = 0.0
    for v in x:
        v -= 0.5
        s += v * v
    return s


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #3: for v in x: v -= 0.5 over a list of floats refused "
                   "('v' may share memory with 'x')")
def test_f03_loop_item_augmented_list():
    x = [0.3, 1.2, -0.7]
    close(srcgrad.grad(loop_item_augmented)(list(x)), [2 * (v - 0.5) for v in x])


# --------------------------------------------------------------------------
# FINDINGS26 #4: one object reaching the function by two ways, one of which
# it writes, and srcgrad does not see it: a global array passed as the
# argument of a function that writes the global, and one list passed for
# an input and an out-parameter (FINDINGS25 #13's refusal covers arrays
# passed twice only).  The derivative is that of the two-object program.
# --------------------------------------------------------------------------

OUT26 = np.zeros(3)


def write_the_global(x):
    for i in range(1, 3):
        OUT26[i] = x[i - 1] * 2.0 + x[i]
    return np.sum(x * OUT26)


def fill_list_out(x, out):
    for i in range(1, 3):
        out[i] = x[i - 1] * 2.0 + x[i]
    return x[0] * out[0] + x[1] * out[1] + x[2] * out[2]


def aliased_program(y):
    """What both compute when the two names are one object, written out."""
    y = np.array(y, dtype=float)
    for i in range(1, 3):
        y[i] = y[i - 1] * 2.0 + y[i]
    return np.sum(y * y)


Y26 = np.array([0.5, 0.2, 0.1])


def test_f04_the_aliased_value_and_reference():
    OUT26[:] = Y26
    assert write_the_global(OUT26) == pytest.approx(7.94)
    lst = list(Y26)
    assert fill_list_out(lst, lst) == pytest.approx(7.94)
    close(fd_checked(aliased_program, [Y26.copy()]), np.array([25.8, 12.4, 5.0]))


def test_f04_separate_objects_right():
    OUT26[:] = 0.0
    close(srcgrad.grad(write_the_global)(Y26.copy()), fd_checked(write_the_global, [Y26.copy()]))
    close(srcgrad.grad(fill_list_out)(list(Y26), [0.0, 0.0, 0.0]),
          fd_checked(lambda v: fill_list_out(list(v), [0.0, 0.0, 0.0]), [Y26.copy()]))


def test_f04_global_passed_as_argument_grad():
    """Fixed: refused, as one array passed twice is (was: FINDINGS26 #4: grad [2.9, 7.4, 5] for
    [25.8, 12.4, 5])."""
    OUT26[:] = Y26
    with pytest.raises(srcgrad.SrcGradError, match="shares memory with the global 'OUT26'"):
        srcgrad.grad(write_the_global)(OUT26)
    with pytest.raises(srcgrad.SrcGradError, match="shares memory with the global 'OUT26'"):
        srcgrad.vjp(write_the_global, OUT26[1:])
    close(srcgrad.grad(write_the_global)(Y26.copy()), np.array([0.9, 1.6, 0.6]))  # a copy: two arrays


def test_f04_global_passed_as_argument_jvp():
    """Fixed: refused (was: FINDINGS26 #4: jvp 2.9 for 25.8)."""
    OUT26[:] = Y26
    with pytest.raises(srcgrad.SrcGradError, match="shares memory with the global 'OUT26'"):
        srcgrad.jvp(write_the_global, (OUT26,), (np.array([1.0, 0.0, 0.0]),))


def test_f04_one_list_twice():
    """Fixed (was: FINDINGS26 #4: one list for input and out-parameter: grad [2.9, 7.4, 5] for [25.8, 12.4, 5], and the caller's list written)."""
    lst = list(Y26)
    try:
        g = srcgrad.grad(fill_list_out)(lst, lst)
    except srcgrad.SrcGradError:
        g = None                      # a refusal, as for arrays, would do
    if g is not None:
        close(g, np.array([25.8, 12.4, 5.0]))
    assert lst == list(Y26)


# --------------------------------------------------------------------------
# FINDINGS26 #5: a loss history kept in a global or attribute list is
# refused, also inside `with srcgrad.no_grad():` (documented: "runs as
# written") and with `srcgrad.stop_gradient(s)` or `len(x)` appended; the
# hint (`lst = lst + [v]`) cannot be followed for a global.
# --------------------------------------------------------------------------

HISTORY26 = []


def log_in_no_grad(x):
    s = np.sum(x ** 2)
    with srcgrad.no_grad():
        HISTORY26.append(float(s))
    return s


def log_stopped(x):
    s = np.sum(x ** 2)
    HISTORY26.append(srcgrad.stop_gradient(s))
    return s


def log_a_count(x):
    s = np.sum(x ** 2)
    HISTORY26.append(len(x))
    return s


def log_into_argument(x, hist):
    s = np.sum(x ** 2)
    hist.append(float(s))
    return s


def test_f05_a_list_argument_right():
    hist = []
    g = srcgrad.grad(log_into_argument)(np.array([1.0, 2.0]), hist)
    close(g, np.array([2.0, 4.0]))
    assert hist == [5.0]


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #5: HISTORY.append(float(s)) inside no_grad refused "
                   "('a value that depends on a differentiated input')")
def test_f05_no_grad_block():
    HISTORY26.clear()
    close(srcgrad.grad(log_in_no_grad)(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
    assert HISTORY26 == [5.0]


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #5: HISTORY.append(stop_gradient(s)) refused")
def test_f05_stop_gradient():
    HISTORY26.clear()
    close(srcgrad.grad(log_stopped)(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
    assert HISTORY26 == [5.0]


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #5: HISTORY.append(len(x)) refused")
def test_f05_an_int():
    HISTORY26.clear()
    close(srcgrad.grad(log_a_count)(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
    assert HISTORY26 == [2]


# --------------------------------------------------------------------------
# FINDINGS26 #6: a float or list subclass whose operations differ (a
# `float` with its own `__mul__`, a `list` with its own `__getitem__`) is
# differentiated as a plain float or list: f's value, the plain type's
# gradient.  (An ndarray subclass like that is refused.)
# --------------------------------------------------------------------------

class DoublingFloat(float):
    """A float whose products are doubled (a user's unit-carrying number, say)."""
    def __mul__(self, other):
        return DoublingFloat(float(self) * float(other) * 2.0)
    __rmul__ = __mul__


class TenfoldList(list):
    """A list whose entries read ten times larger (a scaled view, say)."""
    def __getitem__(self, i):
        return list.__getitem__(self, i) * 10.0


def product_plus(p):
    return p[0] * p[1] + p[2]


def weighted_squares(p):
    s = 0.0
    for i in range(len(p)):
        s = s + (p[i] - 1) ** 2 * (i + 1)
    return s


def test_f06_the_functions_use_the_subclass():
    assert product_plus([DoublingFloat(1.5), 2.0, 3.0]) == 9.0
    assert weighted_squares(TenfoldList([1.5, 2.0, 3.0])) == 3441.0


def test_f06_float_subclass():
    """Fixed on main (6f10b32): refused by name (was: gradient [2, 3, 1] of the plain product for [4, 3, 1])."""
    with pytest.raises(srcgrad.SrcGradError, match="DoublingFloat, a subclass of float with its own arithmetic"):
        srcgrad.grad(product_plus)([DoublingFloat(1.5), 2.0, 3.0])


def test_f06_list_subclass():
    """Fixed on main (6f10b32): refused by name (was: [28, 76, 174] for [280, 760, 1740])."""
    with pytest.raises(srcgrad.SrcGradError, match="TenfoldList, a subclass of list"):
        srcgrad.grad(weighted_squares)(TenfoldList([1.5, 2.0, 3.0]))


def test_f06_plain_subclasses_still_right():
    """np.float64 entries and a namedtuple still differentiate."""
    assert srcgrad.grad(product_plus)([np.float64(1.5), 2.0, 3.0]) == [2.0, 1.5, 1.0]
    assert srcgrad.grad(by_position)(Params26(1.5, 2.0, 3.0)) == Params26(6.0, 2.25, 1.5)


# --------------------------------------------------------------------------
# FINDINGS26 #7: a namedtuple of floats is accepted as a wrt argument (the
# gradient comes back as the namedtuple) but reading a field by name is
# refused as "'.a' has no derivative rule" with a hint to register one.
# --------------------------------------------------------------------------

from collections import namedtuple          # noqa: E402

Params26 = namedtuple("Params26", ["a", "b", "c"])


def by_field(p):
    return p.a ** 2 * p.b + 3 * p.c / 2


def by_position(p):
    return p[0] ** 2 * p[1] + 3 * p[2] / 2


def test_f07_by_position_right():
    v, g = srcgrad.value_and_grad(by_position)(Params26(1.5, 2.0, 3.0))
    assert v == 9.0
    assert isinstance(g, Params26) and g == Params26(6.0, 2.25, 1.5)


@pytest.mark.xfail(strict=True, reason="FINDINGS26 #7: p.a of a namedtuple argument refused ('.a has no derivative rule')")
def test_f07_by_field():
    v, g = srcgrad.value_and_grad(by_field)(Params26(1.5, 2.0, 3.0))
    assert v == 9.0
    assert tuple(g) == (6.0, 2.25, 1.5)


# --------------------------------------------------------------------------
# In-place operations and dtypes (FINDINGS25 #2 and #3 and their
# neighbours): where NumPy raises, srcgrad raises the same type; where it
# runs, value_and_grad's value is NumPy's, dtype included, and the gradient
# is right.
# --------------------------------------------------------------------------

def iadd_floats_into_arange(x):
    a = np.arange(3)
    a += x
    return np.sum(a * x)


def imul_into_int_zeros(x):
    a = np.zeros(3, dtype=int)
    a *= x
    return np.sum(a + x)


def ipow_into_int(x):
    a = np.arange(3)
    a **= 0.5 * x
    return np.sum(a)


def iadd_into_uint8_image(x):
    img = np.zeros(3, dtype=np.uint8)
    img += x
    return np.sum(img * x)


def idiv_into_int(x):
    a = np.ones(3, dtype=int)
    a /= x
    return np.sum(a * x)


def iadd_broadcasts_larger(x):
    a = np.zeros(3)
    a += x.reshape(1, 3) * np.ones((2, 1))
    return np.sum(a)


def iadd_column_into_row(x):
    a = np.zeros(3)
    a += x.reshape(3, 1)
    return np.sum(a)


def iadd_row_into_column(x):
    a = np.ones((3, 1))
    a += x
    return np.sum(a)


def idiv_broadcasts_larger(x):
    a = x * 1.0
    a /= np.ones((2, 1))
    return np.sum(a)


def copyto_int(x):
    a = np.zeros(3, dtype=int)
    np.copyto(a, x * 2.5)
    return np.sum(a * x)


def out_int(x):
    a = np.zeros(3, dtype=int)
    np.multiply(x, 2.5, out=a)
    return np.sum(a * x)


M26 = np.arange(9.0).reshape(3, 3) / 10


def dot_out_float32(x):
    a = np.zeros(3, np.float32)
    np.dot(M26, x, out=a)              # ValueError: output array is not acceptable
    return np.sum(a * x)


RAISES = [(dot_out_float32, ValueError), (iadd_floats_into_arange, TypeError), (imul_into_int_zeros, TypeError), (ipow_into_int, TypeError),
          (iadd_into_uint8_image, TypeError), (idiv_into_int, TypeError), (iadd_broadcasts_larger, ValueError),
          (iadd_column_into_row, ValueError), (iadd_row_into_column, ValueError), (idiv_broadcasts_larger, ValueError),
          (copyto_int, TypeError), (out_int, TypeError)]
XD = np.array([0.3, 1.7, 2.2])


@pytest.mark.parametrize("fn, exc", RAISES, ids=lambda v: getattr(v, "__name__", ""))
def test_inplace_numpy_raises(fn, exc):
    with pytest.raises(exc):
        fn(XD.copy())


def f32_zeros_accumulator(x):
    acc = np.zeros(3, np.float32)
    acc += 1e-8 * x
    return np.sum(acc) * 1e8


def f32_ones_accumulator(x):
    acc = np.ones(3, dtype=np.float32)
    acc += 1e-8 * x
    return np.sum(acc) * 1e8


def f32_astype_then_iadd(x):
    a = x.astype(np.float32)
    a += x
    return np.sum(a * x)


def f32_isub(x):
    a = np.ones(3, np.float32)
    a -= x / 3.0
    return np.sum(a * x)


def f16_accumulator(x):
    a = np.ones(3, np.float16)
    a += x
    return np.sum(a * x)


def f32_loop_accumulator(x):
    a = np.zeros(3, np.float32)
    for i in range(3):
        a += x[i] * x
    return np.sum(a)


def f32_out(x):
    a = np.ones(3, np.float32)
    np.add(a, x / 3.0, out=a)
    return np.sum(a * x)


def f32_slice_write(x):
    a = np.zeros(3, np.float32)
    a[:] = x / 3.0
    return np.sum(a * x)


def f32_entry_iadd(x):
    a = np.zeros(3, np.float32)
    for i in range(3):
        a[i] += x[i] / 3.0
    return np.sum(a * x)


DTYPE_VALUES = [f32_zeros_accumulator, f32_ones_accumulator, f32_astype_then_iadd, f32_isub, f16_accumulator,
                f32_loop_accumulator, f32_out, f32_slice_write, f32_entry_iadd]


def _same_value(v, w):
    return type(v) is type(w) and np.asarray(v).dtype == np.asarray(w).dtype and v == w


@pytest.mark.parametrize("fn", [f32_out, f32_slice_write, f32_entry_iadd], ids=lambda f: f.__name__)
def test_inplace_low_precision_value_right(fn):
    value, g = srcgrad.value_and_grad(fn)(XD.copy())
    assert _same_value(value, fn(XD.copy()))
    out, _ = srcgrad.vjp(fn, XD.copy())
    assert _same_value(out, fn(XD.copy()))


def _xf(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


# Which of these still fail is updated after each merge of main (see FINDINGS26.md).
RAISES_STATUS = {  # fixed since: the rest of FINDINGS25 #2/#3 (runtime.in_place_result)
    dot_out_float32: "FINDINGS25 #2 (neighbour): np.dot(..., out=) a float32 array runs (NumPy: ValueError)",
}


def _raises_params():
    out = []
    for fn, exc in RAISES:
        for mode in ("grad", "value_and_grad", "jvp"):
            reason = RAISES_STATUS.get(fn)
            marks = [_xf(reason)] if reason else []
            out.append(pytest.param(fn, exc, mode, marks=marks, id=f"{fn.__name__}-{mode}"))
    return out


@pytest.mark.parametrize("fn, exc, mode", _raises_params())
def test_inplace_srcgrad_raises_like_numpy(fn, exc, mode):
    call = {"grad": lambda: srcgrad.grad(fn)(XD.copy()),
            "value_and_grad": lambda: srcgrad.value_and_grad(fn)(XD.copy()),
            "jvp": lambda: srcgrad.jvp(fn, (XD.copy(),), (np.ones(3),))}[mode]
    with pytest.raises(exc) as info:
        call()
    assert not isinstance(info.value, srcgrad.SrcGradError)


VALUE_STATUS: dict = {  # FINDINGS25 #3 fixed: NumPy's values and dtypes
}


@pytest.mark.parametrize("fn", [pytest.param(f, marks=[_xf(VALUE_STATUS[f])] if f in VALUE_STATUS else [], id=f.__name__)
                                for f in DTYPE_VALUES])
def test_inplace_low_precision_value_and_dtype(fn):
    value, g = srcgrad.value_and_grad(fn)(XD.copy())
    assert _same_value(value, fn(XD.copy())), (value, fn(XD.copy()))
    out, _ = srcgrad.jvp(fn, (XD.copy(),), (np.ones(3),))
    assert _same_value(out, fn(XD.copy()))


# --------------------------------------------------------------------------
# Global, attribute and closure arrays the function writes (FINDINGS25 #10
# and neighbours): after each transform the array holds what calling f
# leaves in it, and the derivatives are right.
# --------------------------------------------------------------------------

TRAJ26 = np.zeros(5)


def simulate_global(k):
    TRAJ26[0] = 1.0
    for i in range(4):
        TRAJ26[i + 1] = TRAJ26[i] - 0.1 * k * TRAJ26[i]
    return TRAJ26[4] ** 2


class Decay26:
    def __init__(self):
        self.traj = np.zeros(5)

    def run(self, k):
        t = self.traj
        t[0] = 1.0
        for i in range(4):
            t[i + 1] = t[i] - 0.1 * k * t[i]
        return np.sum(t ** 2)


def make_closure_sim():
    buf = np.zeros(5)

    def run(k):
        buf[0] = 1.0
        for i in range(4):
            buf[i + 1] = buf[i] - 0.1 * k * buf[i]
        return np.sum(buf ** 2)
    return run, buf


def _expected_traj(k=2.0):
    t = np.zeros(5)
    t[0] = 1.0
    for i in range(4):
        t[i + 1] = t[i] - 0.1 * k * t[i]
    return t


STATE26 = {"traj": np.zeros(5)}


def simulate_dict_global(k):
    t = STATE26["traj"]
    t[0] = 1.0
    for i in range(4):
        t[i + 1] = t[i] - 0.1 * k * t[i]
    return t[4] ** 2


def _sim_targets():
    obj = Decay26()
    run, buf = make_closure_sim()
    return {"global": (simulate_global, TRAJ26), "attribute": (obj.run, obj.traj), "closure": (run, buf),
            "dict_global": (simulate_dict_global, STATE26["traj"])}


TRANSFORMS = {
    "grad": lambda f: srcgrad.grad(f)(2.0),
    "value_and_grad": lambda f: srcgrad.value_and_grad(f)(2.0)[1],
    "vjp": lambda f: srcgrad.vjp(f, 2.0)[1](1.0),
    "vjp_twice": lambda f: (lambda pb: (pb(1.0), pb(1.0))[1])(srcgrad.vjp(f, 2.0)[1]),
    "jvp": lambda f: srcgrad.jvp(f, (2.0,), (1.0,))[1],
    "hvp": lambda f: srcgrad.hvp(f)(2.0, 1.0),
    "grad_of_grad": lambda f: srcgrad.grad(srcgrad.grad(f))(2.0),
    "jacobian": lambda f: srcgrad.jacobian(f)(2.0),
}

# (target, transform) -> reason; updated after each merge of main
STATE_STATUS = {  # global, attribute and closure arrays: FINDINGS25 #10 fixed
    ("dict_global", "grad"): "FINDINGS25 #10 (neighbour): an array held in a global dict, written, is reset by grad",
    ("dict_global", "value_and_grad"): "FINDINGS25 #10 (neighbour): an array held in a global dict, written, is reset by value_and_grad",
    ("dict_global", "hvp"): "FINDINGS25 #10 (neighbour): an array held in a global dict, written, is reset by hvp",
    ("dict_global", "grad_of_grad"): "FINDINGS25 #10 (neighbour): an array held in a global dict, written, is reset by grad_of_grad",
}


def _state_params():
    out = []
    for target in ("global", "attribute", "closure", "dict_global"):
        for name in TRANSFORMS:
            reason = STATE_STATUS.get((target, name))
            out.append(pytest.param(target, name, marks=[_xf(reason)] if reason else [], id=f"{target}-{name}"))
    return out


def _first_and_second(f):
    """f's derivative and second derivative in k, by differences of f itself."""
    h = 1e-4
    d1 = (f(2.0 + h) - f(2.0 - h)) / (2 * h)
    d2 = (f(2.0 + h) - 2 * f(2.0) + f(2.0 - h)) / (h * h)
    return d1, d2


@pytest.mark.parametrize("target, transform", _state_params())
def test_written_global_state_after_transform(target, transform):
    f, arr = _sim_targets()[target]
    d1, d2 = _first_and_second(f)
    arr[:] = 0.0
    result = TRANSFORMS[transform](f)
    expected = d2 if transform in ("hvp", "grad_of_grad") else d1
    assert float(np.asarray(result)) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(arr, _expected_traj())


def test_pullback_after_the_user_changes_the_trajectory():
    """The user writes the array after vjp; calling the pullback leaves it as the user left it."""
    f, arr = _sim_targets()["global"]
    arr[:] = 0.0
    _, pb = srcgrad.vjp(f, 2.0)
    arr[3] = 99.0
    keep = arr.copy()
    try:
        pb(1.0)
    except srcgrad.SrcGradError:
        pass                              # refusing (the state changed) would be fine too
    np.testing.assert_array_equal(arr, keep)


# --------------------------------------------------------------------------
# FINDINGS25 #13 (one array for an input and an out-parameter) under hvp,
# hessian and jacobian: refused (as grad, vjp and jvp now refuse it) or right.
# --------------------------------------------------------------------------

def fill_out_array(x, out):
    for i in range(1, 3):
        out[i] = x[i - 1] * 2.0 + x[i]
    return np.sum(x * out)


def _aliased_hvp_reference(v):
    """Differences of the aliased program's gradient [25.8, 12.4, 5] (written out)."""
    def g(y):
        return fd(aliased_program, [y], 0, 1e-6)
    h = 1e-4
    return (np.asarray(g(Y26 + h * v)) - np.asarray(g(Y26 - h * v))) / (2 * h)


def test_aliased_out_parameter_hvp():
    """Fixed (was: FINDINGS25 #13: hvp of one array passed twice gives the two-array program's [0, 2, 0])."""
    y = Y26.copy()
    v = np.array([1.0, 0.0, 0.0])
    try:
        hv = srcgrad.hvp(fill_out_array)(y, y, v)
    except srcgrad.SrcGradError:
        return
    close(hv, _aliased_hvp_reference(v), rtol=1e-4, atol=1e-4)


def test_aliased_out_parameter_hessian():
    """Fixed (was: FINDINGS25 #13: hessian of one array passed twice: the two-array program's)."""
    y = Y26.copy()
    try:
        H = srcgrad.hessian(fill_out_array)(y, y)
    except srcgrad.SrcGradError:
        return
    close(np.asarray(H)[0], _aliased_hvp_reference(np.array([1.0, 0.0, 0.0])), rtol=1e-4, atol=1e-4)


def test_aliased_out_parameter_refused_by_first_order():
    y = Y26.copy()
    for call in (lambda: srcgrad.grad(fill_out_array)(y, y), lambda: srcgrad.jacobian(fill_out_array)(y, y),
                 lambda: srcgrad.vjp(fill_out_array, y, y), lambda: srcgrad.jvp(fill_out_array, (y, y), (np.ones(3), None))):
        with pytest.raises(srcgrad.SrcGradError, match="share memory"):
            call()
    np.testing.assert_array_equal(y, Y26)


# --------------------------------------------------------------------------
# FINDINGS26 #8: a list that is not all Python floats (`list(array)`, whose
# entries are np.float64, or one int among floats) is built as a container
# whose gradient is accumulated by copying the whole list per read: time
# quadratic in the length (4,000 entries: 9 s; 16,000: about 2 minutes,
# where a list of Python floats takes 11 ms and f 6 ms).
# --------------------------------------------------------------------------

def _rosen_hand_gradient(xa):
    ref = np.zeros_like(xa)
    ref[:-1] += -400 * xa[:-1] * (xa[1:] - xa[:-1] ** 2) - 2 * (1 - xa[:-1])
    ref[1:] += 200 * (xa[1:] - xa[:-1] ** 2)
    return ref


# The times of FINDINGS26 #8 were measured by hand (FINDINGS26.md); tests assert values only
# (speed is measured in benchmarks/, never asserted in a test).

def test_f08_list_of_python_floats_right():
    xa = np.random.default_rng(0).uniform(-1, 1, 1500)
    g = srcgrad.grad(rosen)(xa.tolist())
    close(np.array(g), _rosen_hand_gradient(xa), rtol=1e-10, atol=1e-9)


def test_f08_list_of_numpy_floats_right():
    xa = np.random.default_rng(0).uniform(-1, 1, 300)
    g = srcgrad.grad(rosen)(list(xa))
    close(np.array(g, dtype=float), _rosen_hand_gradient(xa), rtol=1e-10, atol=1e-9)


def rosen_zip(x):
    s = 0.0
    for a, b in zip(x, x[1:]):
        s = s + 100.0 * (b - a ** 2) ** 2 + (1 - a) ** 2
    return s


def test_f08_zip_over_python_floats_right():
    xa = np.random.default_rng(0).uniform(-1, 1, 300)
    g = srcgrad.grad(rosen_zip)(xa.tolist())
    close(np.array(g), _rosen_hand_gradient(xa), rtol=1e-10, atol=1e-9)


# --------------------------------------------------------------------------
# FINDINGS26 #9: a function that falls off its end on one path (returns
# None) or returns a string there gets a zero gradient: require_scalar lets
# None and a str through (README: "The function must return a real scalar.
# Otherwise the call raises SrcGradError.").
# --------------------------------------------------------------------------

def loss_or_none(x):
    s = np.sum(x ** 2)
    if s > 10.0:
        return s


def loss_or_none_list(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] ** 2
    if s > 10.0:
        return s


def loss_or_message(x):
    if x[0] > 0:
        return np.sum(x)
    return "bad"


def test_f09_the_functions_return_none_or_str():
    assert loss_or_none(np.array([1.0, 2.0])) is None
    assert loss_or_message(np.array([-1.0, 2.0])) == "bad"
    close(srcgrad.grad(loss_or_none)(np.array([3.0, 2.0])), np.array([6.0, 4.0]))
    with pytest.raises(srcgrad.SrcGradError, match="scalar"):
        srcgrad.grad(lambda_free_vector)(np.array([1.0, 2.0]))


def lambda_free_vector(x):
    return x * 2.0


def test_f09_none_array_grad():
    """Fixed on main (was: FINDINGS26 #9: grad of a function returning None gives [0, 0])."""
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        srcgrad.grad(loss_or_none)(np.array([1.0, 2.0]))


def test_f09_none_list_value_and_grad():
    """Fixed on main (was: FINDINGS26 #9: value_and_grad of a function returning None gives (None, [0.0, 0.0]))."""
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        srcgrad.value_and_grad(loss_or_none_list)([1.0, 2.0])


def test_f09_str_grad():
    """Fixed on main (was: FINDINGS26 #9: grad of a function returning 'bad' gives [0, 0])."""
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        srcgrad.grad(loss_or_message)(np.array([-1.0, 2.0]))


def test_f09_none_hvp():
    """Fixed on main (was: FINDINGS26 #9: hvp of a function returning None gives [0, 0])."""
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        srcgrad.hvp(loss_or_none)(np.array([1.0, 2.0]), np.ones(2))


def loss_in_a_dict(x):
    return {"loss": np.sum(x ** 2)}


def always_a_message(x):
    s = np.sum(x ** 2)
    return "done"


def test_f09_dict_return_refused_clearly():
    """Fixed on main (was: FINDINGS26 #9: a function returning a dict: AttributeError ('float' object has no attribute 'get') from srcgrad's dict_unpack_adjoint)."""
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(loss_in_a_dict)(np.array([1.0, 2.0]))


def test_f09_always_str():
    """Fixed on main (was: FINDINGS26 #9: a function always returning a str gets [0, 0])."""
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        srcgrad.grad(always_a_message)(np.array([1.0, 2.0]))


# --------------------------------------------------------------------------
# FINDINGS26 #10: a trajectory kept in a module-level list of floats:
# grad and vjp crash in the generated code (TypeError: NoneType + float at
# `dTL[i] += _dt4`) and leave the list half restored; jvp is right.
# --------------------------------------------------------------------------

TRAJ_LIST26 = [0.0] * 5


def simulate_into_global_list(k):
    TRAJ_LIST26[0] = 1.0
    for i in range(4):
        TRAJ_LIST26[i + 1] = TRAJ_LIST26[i] - 0.1 * k * TRAJ_LIST26[i]
    return TRAJ_LIST26[4] ** 2


def test_f10_jvp_right():
    TRAJ_LIST26[:] = [0.0] * 5
    value, dot = srcgrad.jvp(simulate_into_global_list, (2.0,), (1.0,))
    assert value == pytest.approx(0.8 ** 8)
    assert dot == pytest.approx(-8 * 0.1 * 0.8 ** 7)
    assert TRAJ_LIST26 == pytest.approx(list(_expected_traj()))


def test_f10_grad():
    """Fixed (was: FINDINGS26 #10: grad of a global-list trajectory: TypeError (unsupported operand type(s) for +: 'NoneType' and 'float') from the generated code)."""
    TRAJ_LIST26[:] = [0.0] * 5
    g = srcgrad.grad(simulate_into_global_list)(2.0)
    assert g == pytest.approx(-8 * 0.1 * 0.8 ** 7)


def test_f10_vjp():
    """Fixed (was: FINDINGS26 #10: vjp pullback of a global-list trajectory: TypeError)."""
    TRAJ_LIST26[:] = [0.0] * 5
    _, pb = srcgrad.vjp(simulate_into_global_list, 2.0)
    assert pb(1.0) == pytest.approx(-8 * 0.1 * 0.8 ** 7)


class ListSim26:
    def __init__(self):
        self.h = [0.0] * 5

    def run(self, k):
        t = self.h
        t[0] = 1.0
        for i in range(4):
            t[i + 1] = t[i] - 0.1 * k * t[i]
        return t[4] ** 2


def test_f10_attribute_list_grad():
    """Fixed (was: FINDINGS26 #10: an attribute list trajectory: grad raises TypeError (NoneType + float))."""
    assert srcgrad.grad(ListSim26().run)(2.0) == pytest.approx(-8 * 0.1 * 0.8 ** 7)


def test_f10_attribute_list_hvp():
    """Fixed (was: FINDINGS26 #10: an attribute list trajectory: hvp raises TypeError (NoneType + float))."""
    d2 = 8 * 7 * 0.01 * 0.8 ** 6
    assert srcgrad.hvp(ListSim26().run)(2.0, 1.0) == pytest.approx(d2)


# --------------------------------------------------------------------------
# FINDINGS26 #11: a name bound under a flag and read under the same flag
# (an optional bias): f runs, but grad, value_and_grad and hvp raise
# UnboundLocalError from the generated code (`db = zeros_like(b)` in the
# backward arm where the flag is false).
# --------------------------------------------------------------------------

def optional_bias_layer(w, x, use_bias=False):
    if use_bias:
        b = w[0] * 2.0
    h = np.tanh(w * x)
    if use_bias:
        h = h + b
    return np.sum(h ** 2)


def data_flag(w, x):
    use_bias = x[0] > 0.0
    if use_bias:
        b = w[0] * 2.0
    h = w * x
    if use_bias:
        h = h + b
    return np.sum(h ** 2)


W11 = np.array([0.5, -1.0])
X11 = np.array([1.0, 2.0])


def test_f11_flag_true_and_vjp_right():
    close(srcgrad.grad(optional_bias_layer)(W11.copy(), X11, True),
          fd_checked(lambda w: optional_bias_layer(w, X11, True), [W11.copy()]))
    _, pb = srcgrad.vjp(optional_bias_layer, W11.copy(), X11, False)
    close(pb(1.0), fd_checked(lambda w: optional_bias_layer(w, X11, False), [W11.copy()]))


def test_f11_flag_false_grad():
    """Fixed on main (was: FINDINGS26 #11: use_bias=False: grad raises UnboundLocalError (db = zeros_like(b) in the generated code))."""
    close(srcgrad.grad(optional_bias_layer)(W11.copy(), X11),
          fd_checked(lambda w: optional_bias_layer(w, X11), [W11.copy()]))


def test_f11_flag_false_hvp():
    """Fixed on main (was: FINDINGS26 #11: use_bias=False: hvp raises UnboundLocalError)."""
    v = np.array([1.0, 0.0])
    hv = srcgrad.hvp(optional_bias_layer)(W11.copy(), X11, v)
    ref = fd_dir(lambda w: srcgrad.vjp(optional_bias_layer, w, X11)[1](1.0), [W11.copy()], 0, v, 1e-5)
    close(hv, ref, 1e-4, 1e-5)


def test_f11_data_flag_value_and_grad():
    """Fixed on main (was: FINDINGS26 #11: a data-dependent flag: value_and_grad raises UnboundLocalError)."""
    x = np.array([-1.0, 1.0])
    value, g = srcgrad.value_and_grad(data_flag)(W11.copy(), x)
    assert value == data_flag(W11.copy(), x)
    close(g, fd_checked(lambda w: data_flag(w, x), [W11.copy()]))


def test_f09_the_refusal_names_what_came_back():
    with pytest.raises(srcgrad.SrcGradError, match="returned None"):
        srcgrad.grad(loss_or_none)(np.array([1.0, 2.0]))
    with pytest.raises(srcgrad.SrcGradError, match="returned a dict"):
        srcgrad.value_and_grad(loss_in_a_dict)(np.array([1.0, 2.0]))


def test_f09_none_vjp_pullback():
    """Fixed (was: FINDINGS26 #9 (rest): the vjp pullback of a function that returned None gives [0, 0])."""
    with pytest.raises(srcgrad.SrcGradError):
        out, pb = srcgrad.vjp(loss_or_none, np.array([1.0, 2.0]))
        pb(1.0)


def test_f09_none_jvp():
    """Fixed (was: FINDINGS26 #9 (rest): jvp of a function that returned None gives (None, 0.0))."""
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.jvp(loss_or_none, (np.array([1.0, 2.0]),), (np.ones(2),))


def test_f09_str_jacobian():
    """Fixed (was: FINDINGS26 #9 (rest): jacobian of a function that returned a str gives [0, 0])."""
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.jacobian(always_a_message)(np.array([1.0, 2.0]))


def inverse_square(x):
    return x ** -2


def inverse_sqrt(x):
    return x ** -0.5


def root_of_abs(x):
    return abs(x) ** 0.5


def test_f02_more_negative_powers_fixed():
    """Fixed on main with #2: the slope of a power that overflows where the power does not is inf."""
    assert srcgrad.grad(inverse_square)(1e-103) == -math.inf
    assert srcgrad.grad(inverse_sqrt)(1e-300) == -math.inf
    assert srcgrad.jvp(inverse_sqrt, (1e-300,), (1.0,))[1] == -math.inf
    assert srcgrad.hvp(root_of_abs)(5e-324, 1.0) == -math.inf
    with pytest.raises(OverflowError):                  # f's own overflow still passes through
        srcgrad.grad(inverse_square)(1e-160)


def loss_by_mode(x, mode="a"):
    if mode == "a":
        y = x * 2.0
    elif mode == "b":
        z = x ** 2
    if mode == "b":
        return np.sum(z)
    return np.sum(y)


def dict_bias(p, x, use_b=False):
    if use_b:
        b = p["b"]
    h = p["w"] * x
    if use_b:
        h = h + b
    return np.sum(h ** 2)


def test_f11_mode_string():
    """Fixed on main (was: FINDINGS26 #11: an elif chain on a mode string: grad raises UnboundLocalError (dz = zeros_like(z)))."""
    x = np.array([0.5, -0.3, 2.0])
    close(srcgrad.grad(loss_by_mode)(x.copy(), "a"), np.full(3, 2.0))
    close(srcgrad.grad(loss_by_mode)(x.copy(), "b"), 2 * x)


def test_f11_dict_parameters():
    """Fixed on main (was: FINDINGS26 #11: a dict of parameters with an optional bias: grad raises UnboundLocalError)."""
    g = srcgrad.grad(dict_bias)({"w": 2.0, "b": 1.0}, 0.5)
    assert g == {"w": pytest.approx(1.0), "b": 0.0}


STATE_DICT26 = {"pos": 0.0, "vel": 1.0}


def step_global_dict(k):
    STATE_DICT26["pos"] = 0.0
    STATE_DICT26["vel"] = 1.0
    for i in range(3):
        STATE_DICT26["vel"] = STATE_DICT26["vel"] - 0.1 * k * STATE_DICT26["pos"]
        STATE_DICT26["pos"] = STATE_DICT26["pos"] + 0.1 * STATE_DICT26["vel"]
    return STATE_DICT26["pos"] ** 2


def step_local_dict(k):
    st = {"pos": 0.0, "vel": 1.0}
    for i in range(3):
        st["vel"] = st["vel"] - 0.1 * k * st["pos"]
        st["pos"] = st["pos"] + 0.1 * st["vel"]
    return st["pos"] ** 2


def test_f10_local_dict_right():
    assert srcgrad.grad(step_local_dict)(2.0) == pytest.approx(float(fd_checked(step_local_dict, [2.0])), rel=1e-6)
    assert srcgrad.jvp(step_global_dict, (2.0,), (1.0,))[1] == pytest.approx(srcgrad.grad(step_local_dict)(2.0))


def test_f10_global_dict_grad():
    """Fixed (was: FINDINGS26 #10: a state dict in a global: grad raises IndexError from srcgrad's written_adjoint (the dict's adjoint indexed as an array))."""
    assert srcgrad.grad(step_global_dict)(2.0) == pytest.approx(srcgrad.grad(step_local_dict)(2.0))
    assert STATE_DICT26["pos"] == pytest.approx(0.29204)        # the state f leaves


def test_f10_global_dict_hvp():
    """Fixed (was: FINDINGS26 #10: a state dict in a global: hvp raises TypeError)."""
    assert srcgrad.hvp(step_global_dict)(2.0, 1.0) == pytest.approx(srcgrad.hvp(step_local_dict)(2.0, 1.0))


class TenfoldDict(dict):
    """A dict whose entries read ten times larger."""
    def __getitem__(self, k):
        return dict.__getitem__(self, k) * 10.0


def dict_product(d):
    return d["a"] ** 2 * d["b"]


def test_f06_dict_subclass():
    """Fixed (was: FINDINGS26 #6 (rest): a dict subclass with its own __getitem__: {'a': 600, 'b': 225} for {'a': 6000, 'b': 2250})."""
    assert dict_product(TenfoldDict(a=1.5, b=2.0)) == pytest.approx(4500.0)
    try:
        g = srcgrad.grad(dict_product)(TenfoldDict(a=1.5, b=2.0))
    except srcgrad.SrcGradError:
        return
    assert g == {"a": pytest.approx(6000.0), "b": pytest.approx(2250.0)}


def sum_of_comprehension(x):
    return sum([(v - 1) ** 2 for v in x])


def test_f08_comprehension_right():
    xa = np.random.default_rng(0).uniform(-1, 1, 2000)
    g = srcgrad.grad(sum_of_comprehension)(xa.tolist())
    close(np.array(g), 2 * (xa - 1), rtol=1e-12, atol=1e-12)
