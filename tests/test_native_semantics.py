"""The numba backend keeps Python's numeric errors (FINDINGS17 #3 to #8; native/checked.py).

A user's own error must come through a derivative as Python raises it: math
domain and range errors, float overflow in `**`, `int` of NaN or inf,
`range` of a float. Where Python's value is one numba's numbers cannot hold
(an int beyond 64 bits, an int to a negative int power), the numba build
raises an error saying so, never another value. In range, the values stay
the Python backend's.

The helpers (native/numerics.py) are compiled once here the way the
backend's module compiles them, and compared with Python over special values.
"""
import inspect
import math
import re
from math import sqrt

import numpy as np
import pytest

import srcgrad
from srcgrad.native import helpers, numerics

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def kind(err) -> str:
    """An exception's type name; numerics' BeyondInt64 (an OverflowError) and NotHeld (the
    wrapper's SrcGradError) as what they stand for: the helpers here run without the wrapper."""
    name = type(err).__name__.lstrip("_")
    return {"BeyondInt64": "OverflowError", "NotHeld": "SrcGradError"}.get(name, name)


def outcome(thunk):
    """The value thunk returns, or (its exception's kind, its message)."""
    try:
        return thunk()
    except Exception as err:  # noqa: BLE001
        return kind(err), str(err)


def same(got, want):
    """The same value (NaN for NaN, 1e-13 relative: numba's libm is not always Python's), or the same exception and message."""
    if isinstance(want, tuple) or isinstance(got, tuple):
        assert got == want
    elif math.isnan(want):
        assert math.isnan(got), (got, want)
    else:
        assert type(got) is type(want) and (got == want or abs(got - want) <= 1e-13 * abs(want)), (got, want)


# -- the helpers, compiled as the backend's module compiles them ------------------------


NAMES = ["sqrt", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "acosh", "atanh",
         "exp", "expm1", "sinh", "cosh", "gamma", "lgamma", "floor", "ceil", "trunc", "int", "round"]


@pytest.fixture(scope="module")
def compiled():
    """numerics.py with every function under numba.njit (as the exporter writes it),
    and `one(k, x)`: the k-th one-argument helper of NAMES at x (one compile for all)."""
    text = re.sub(r"^from \.helpers import .*$", "", inspect.getsource(numerics), flags=re.M)
    text += "\n\ndef one(k, x):\n" + "".join(
        f"    if k == {k}:\n        return float(checked_{name}(x))\n" for k, name in enumerate(NAMES))
    text += "    return 0.0\n"
    text = re.sub(r"^def ", "@numba.njit\ndef ", text, flags=re.M)
    space = {"SrcGradError": srcgrad.SrcGradError, "numba": numba, "__name__": "compiled_numerics",
             "power_derivative": numba.njit(helpers.power_derivative)}
    exec(compile(text, "<numerics>", "exec"), space)
    return {"one": space["one"], "pow": space["checked_pow"], "power": space["checked_power"],
            "index": space["checked_index"], "add": space["checked_add"], "sub": space["checked_sub"],
            "mul": space["checked_mul"]}


SPECIAL = [-math.inf, -1e308, -1000.0, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-320, 0.25, 1.0, 2.5, 10.0,
           800.0, 1e20, 1e308, math.inf, math.nan]
PYTHON = {"int": int, "round": round}


def test_each_math_function_raises_what_python_raises_and_gives_its_values(compiled):
    for k, name in enumerate(NAMES):
        for x in SPECIAL:
            want = outcome(lambda: PYTHON.get(name, getattr(math, name, None))(x))
            if isinstance(want, int) and not isinstance(want, bool):
                want = float(want) if abs(want) < 2 ** 63 else ("OverflowError", "")
            got = outcome(lambda: compiled["one"](k, x))
            if want == ("OverflowError", ""):  # Python's exact int beyond 64 bits: refused, said why
                assert got[0] == "OverflowError" and "64 bits" in got[1], (name, x, got)
                continue
            same(got, want)


def test_math_pow_and_the_power_operator_on_floats(compiled):
    values = [-math.inf, -8.0, -2.0, -1.0, -0.0, 0.0, 0.5, 2.0, 10.0, 400.0, math.inf, math.nan]
    for x in values:
        for y in values + [-1.0, 3.0, -400.0]:
            same(outcome(lambda: compiled["pow"](x, y)), outcome(lambda: math.pow(x, y)))
            want = outcome(lambda: x ** y)
            got = outcome(lambda: compiled["power"](x, y))
            if isinstance(want, complex):  # Python's complex result: refused, said why
                assert got[0] == "SrcGradError" and "complex" in got[1], (x, y, got)
                assert "both backends refuse it" in got[1], got  # the Python backend's too (FINDINGS18 #11)
            else:
                same(got, want)
    for x, n in ((10.0, 400), (2.0, -1), (0.0, -1), (-2.0, 3), (1e200, 2), (0.0, 0)):
        same(outcome(lambda: compiled["power"](x, n)), outcome(lambda: x ** n))
        same(outcome(lambda: compiled["power"](n, x)), outcome(lambda: n ** x))


def test_int_to_an_int_power_is_python_s_value_or_an_error_saying_why(compiled):
    power = compiled["power"]
    for a, b in ((2, 10), (-3, 5), (0, 0), (0, 3), (1, 10 ** 12), (-1, 10 ** 12 + 1), (7, 1), (2, 62),
                 (-2, 62), (3, 39), (-9, 19)):
        got = power(a, b)
        assert got == a ** b and type(got) is int, (a, b, got)
    for a, b in ((2, 63), (2, 70), (-3, 40), (10, 19), (3, 41)):
        kind, message = outcome(lambda: power(a, b))
        assert kind == "OverflowError" and "64 bits" in message, (a, b, message)
    assert outcome(lambda: power(0, -1)) == outcome(lambda: 0 ** -1)  # Python's ZeroDivisionError
    kind, message = outcome(lambda: power(2, -2))  # 0.25 in Python: a float numba's int cannot be
    assert kind == "SrcGradError" and "negative int is a float in Python" in message


def test_a_range_bound_must_be_an_int(compiled):
    assert compiled["index"](3) == 3
    assert outcome(lambda: compiled["index"](3.0)) == outcome(lambda: range(3.0))


# -- user programs, end to end ---------------------------------------------------------


def times_power_of_two(x, n):
    return x * 2 ** n


def times_int(x, k):
    return x * int(k)


def log_sum(x):
    s = 0.0
    for v in x:
        s += math.log(v) + math.sqrt(v)
    return s


def exp_sum(x):
    s = 0.0
    for v in x:
        s += math.exp(v) + math.pow(v, 3.0)
    return s


def power(x, k):
    return x ** k


def weighted_powers(x, a=2.0, n=3, *, shift=0.0):
    s = 0.0
    for i in range(n):
        s += a * (x + shift) ** i
    return s


def raised(thunk):
    """(the exception's type name, its message) thunk raises, or 'ok'."""
    try:
        thunk()
    except Exception as err:  # noqa: BLE001
        return kind(err), str(err)
    return "ok"


def test_f03_f04_int_powers_and_int_of_a_float_never_wrap():
    d = srcgrad.grad(times_power_of_two, backend="numba")
    assert d(1.5, 10) == srcgrad.grad(times_power_of_two)(1.5, 10) == 1024.0
    assert d(1.5, 62) == 2.0 ** 62 and d.backend == "numba"
    kind, message = raised(lambda: d(1.0, 70))  # 2 ** 70 in Python, 0 if it wrapped
    assert kind == "OverflowError" and "64 bits" in message
    kind, message = raised(lambda: d(1.0, -2))  # 0.25 in Python, 0 if computed in ints
    assert kind == "SrcGradError" and "negative int is a float in Python" in message
    assert d(1.0, 2.0) == 4.0  # a float exponent: a float power, as in Python
    assert d(1.0, -2.0) == 0.25
    i = srcgrad.grad(times_int, backend="numba")
    assert i(2.0, 7.9) == srcgrad.grad(times_int)(2.0, 7.9) == 7.0
    assert i(2.0, -7.9) == -7.0 and i(2.0, 5) == 5.0
    kind, message = raised(lambda: i(1.0, 1e20))  # 10 ** 20 in Python, -2 ** 63 if it wrapped
    assert kind == "OverflowError" and "64 bits" in message
    for k in (math.nan, math.inf, -math.inf):  # FINDINGS17 #5: Python's own errors
        assert raised(lambda: i(1.0, k)) == raised(lambda: srcgrad.grad(times_int)(1.0, k)) != "ok"


def test_f05_f06_f07_math_domain_and_range_errors_come_through():
    for fun, x in ((log_sum, [1.0, -1.0]), (log_sum, [1.0, 0.0]), (exp_sum, [1.0, 1000.0]),
                   (exp_sum, [1.0, 1e110])):
        want = raised(lambda: srcgrad.grad(fun)(x))
        assert want[0] in ("ValueError", "OverflowError")
        assert raised(lambda: srcgrad.grad(fun, backend="numba")(x)) == want
    x = [0.5, 2.0, 9.0]  # in range: the Python backend's values
    for fun in (log_sum, exp_sum):
        got, want = srcgrad.grad(fun, backend="numba")(x), srcgrad.grad(fun)(x)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        assert type(got) is type(want)


def test_f06_float_powers_overflow_as_in_python():
    d = srcgrad.grad(power, backend="numba")
    for x, k in ((10.0, 400.0), (10.0, 400), (-10.0, 401), (0.0, -1.0)):
        want = raised(lambda: srcgrad.grad(power)(x, k))
        assert want[0] in ("OverflowError", "ZeroDivisionError")
        assert raised(lambda: d(x, k)) == want
    for x, k in ((2.0, 3), (2.0, 0.5), (3, 2), (0.5, -2.0), (2.0, -1), (2, 62), (3, 39)):
        assert d(x, k) == srcgrad.grad(power)(x, k)  # (2, 62): 62 * 2 ** 61 in floats, not wrapped
    # the value in range, its derivative -x ** -2 beyond the floats: -inf, as 1 / x's (FINDINGS26 #2)
    assert d(1e-200, -1.0) == srcgrad.grad(power)(1e-200, -1.0) == -math.inf


def other_spellings(x, n):
    return pow(x, n) + sqrt(x) + math.floor(x)


def test_pow_sqrt_imported_by_name_and_floor_are_checked_too():
    d = srcgrad.grad(other_spellings, backend="numba")
    for args in ((4.0, 3), (-4.0, 3), (10.0, 400), (1e300, 2.0), (math.nan, 2), (math.inf, 1)):
        want = raised(lambda: srcgrad.grad(other_spellings)(*args))
        if want == "ok":
            assert d(*args) == srcgrad.grad(other_spellings)(*args)
        else:
            assert raised(lambda: d(*args)) == want, args
    assert "checked_power(x, n)" in srcgrad.source(d) and "checked_sqrt(x)" in srcgrad.source(d)


def test_f08_range_of_a_float_is_a_type_error():
    d = srcgrad.grad(weighted_powers, backend="numba")
    want = raised(lambda: srcgrad.grad(weighted_powers)(1.5, 2.0, 3.0))
    assert want[0] == "TypeError"
    assert raised(lambda: d(1.5, 2.0, 3.0)) == want
    assert d(1.5, 2.0, 4) == srcgrad.grad(weighted_powers)(1.5, 2.0, 4)


def squares_of_entries(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] ** 2
    return s


def test_powers_of_array_entries_stay_numpy_s_and_unchanged():
    """x[i] of an array is a NumPy scalar: its power overflows to inf in Python too."""
    x = np.array([1e200, 2.0])
    with np.errstate(over="ignore", invalid="ignore"):
        want = srcgrad.grad(squares_of_entries)(x)
    d = srcgrad.grad(squares_of_entries, backend="numba")
    np.testing.assert_array_equal(d(x), want)
    assert d.backend == "numba" and "x[i] ** 2" in srcgrad.source(d) and "checked" not in srcgrad.source(d)


def scaled_squares(x):
    s = 0.0
    for i in range(len(x)):
        s += 3.0 * x[i] ** 2
    return s


def test_f09_a_float32_array_is_refused_by_name_and_auto_runs_python():
    """numba computes a float32 array in float64; the Python backend keeps float32."""
    x32 = np.array([0.1, 0.7], dtype=np.float32)
    want = srcgrad.value_and_grad(scaled_squares)(x32)
    assert type(want[0]) is np.float32 and want[1].dtype == np.float32
    with pytest.raises(srcgrad.SrcGradError) as err:
        srcgrad.value_and_grad(scaled_squares, backend="numba")(x32)
    assert "'x'" in str(err.value) and "float32" in str(err.value)
    assert err.value.location.lineno == scaled_squares.__code__.co_firstlineno
    d = srcgrad.value_and_grad(scaled_squares, backend="auto")
    got = d(x32)
    assert d.backend == "python" and "float32" in str(d.refusal)
    assert type(got[0]) is np.float32 and got[0] == want[0] and np.array_equal(got[1], want[1])
    assert got[1].dtype == np.float32
    assert np.array_equal(d(np.array([0.5, 1.0]))[1], [3.0, 6.0]) and d.backend == "numba"  # that call only
    d = srcgrad.grad(scaled_squares, backend="numba")  # float64 and int arrays run numba as before
    assert np.array_equal(d(np.array([1.0, 2.0])), [6.0, 12.0]) and d.backend == "numba"
    assert np.array_equal(d(np.array([1, 2])), [6.0, 12.0]) and d.backend == "numba"


def weighted_energy(x, w):
    return np.sum(w * x * x) + np.sum(np.tanh(x))


def test_a_zero_dimensional_array_is_refused_by_name_and_auto_runs_python():
    """FINDINGS18 #10: numba types a 0-d array apart from numbers and from arrays with
    axes (it failed with `iadd(float64, array(float64, 0d, C))`): refused naming the
    argument; "auto" runs that call in Python, with the Python backend's 0-d gradients."""
    x0, w0 = np.array(1.5), np.array(2.0)
    want = srcgrad.grad(weighted_energy, wrt=(0, 1))(x0, w0)
    assert want[0].shape == () and type(want[0]) is np.ndarray
    d = srcgrad.grad(weighted_energy, wrt=(0, 1), backend="auto")
    x, w = np.array([1.5, 0.3]), np.array([2.0, 1.0])
    many = d(x, w)
    assert d.backend == "numba"
    for got, expected in zip(many, srcgrad.grad(weighted_energy, wrt=(0, 1))(x, w)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    got = d(x0, w0)
    assert d.backend == "python" and "'x'" in str(d.refusal) and "0-d array" in str(d.refusal)
    assert all(type(g) is np.ndarray and g.shape == () and g == e for g, e in zip(got, want))
    assert d(x, w)[1].shape == (2,) and d.backend == "numba"  # that call only
    with pytest.raises(srcgrad.SrcGradError, match="argument 'w' of weighted_energy is a 0-d array") as err:
        srcgrad.grad(weighted_energy, wrt=(0, 1), backend="numba")(x, w0)
    assert err.value.location.lineno == weighted_energy.__code__.co_firstlineno
    assert "iadd" not in str(err.value)
    value, pullback = srcgrad.vjp(weighted_energy, x0, w0, wrt=(0, 1), backend="auto")
    assert all(g == e for g, e in zip(pullback(1.0), want)) and pullback.backend == "python"


# -- int + - * beyond 64 bits, division by NumPy scalars, names bound to None up front -----


def test_int_sum_difference_product_are_python_s_or_an_overflow_error(compiled):
    """checked_add/sub/mul (numba's ints would wrap at 64 bits, or be undefined there)."""
    edge = [0, 1, -1, 2, -3, 3037000499, 3037000500, -3037000500, 2 ** 32, -2 ** 31, 2 ** 62, -2 ** 62,
            2 ** 63 - 1, -2 ** 63, 4052555153018976267, -(2 ** 63 // 3)]
    for op, python in (("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b)):
        for a in edge:
            for b in edge:
                want = python(a, b)
                if -2 ** 63 <= want < 2 ** 63:
                    assert compiled[op](a, b) == want, (op, a, b)
                else:
                    kind, message = outcome(lambda: compiled[op](a, b))
                    assert kind == "OverflowError" and "64 bits" in message, (op, a, b)
        assert compiled[op](2.5, 2) == python(2.5, 2)  # a float operand: numba's own operation


def int_steps(x, k, n):
    c = 1
    for i in range(n):
        c *= k
    d = c - n
    d += 2 * k
    return x * d + x * (i + 1)


def test_f04_int_arithmetic_beyond_64_bits_raises_and_float_code_stays_plain():
    d = srcgrad.grad(int_steps, backend="numba")
    for k, n in ((3, 39), (-2, 62), (2, 62), (7, 3)):  # within 64 bits: Python's values
        assert d(1.5, k, n) == srcgrad.grad(int_steps)(1.5, k, n) and d.backend == "numba"
    for k, n in ((3, 40), (-2, 63), (3 * 2 ** 60, 1), (2 ** 62, 1)):  # c *= k, c - n, d += 2 * k, 2 * k
        assert srcgrad.grad(int_steps)(1.0, k, n) == int_steps(1.0, k, n)
        kind, message = raised(lambda: d(1.0, k, n))
        assert kind == "OverflowError" and "64 bits" in message and "backend='python'" in message, (k, n)
    text = d.native.text
    for checked in ("_checked_mul(c, k)", "_checked_sub(c, n)", "_checked_mul(2, k)", "_checked_add(d, "):
        assert checked in text, checked
    assert "i + 1" in text  # a loop index plus a small constant cannot reach 2 ** 63
    assert d(2.0, 2.0, 3) == srcgrad.grad(int_steps)(2.0, 2.0, 3)  # k a float: float arithmetic


def ratios(x, y):
    s = 0.0
    for i in range(len(x)):
        s += y / x[i] + x[i] // y + x[i] % y
    return s


def ratio(x, y):
    return x / y + x // y + x % y


def test_f20_division_by_an_array_entry_is_numpy_s_and_of_numbers_python_s():
    """x[i] of an array is a NumPy scalar: dividing by 0 gives inf or NaN (and a warning);
    dividing Python floats by 0 raises ZeroDivisionError, in both backends."""
    d = srcgrad.grad(ratios, backend="numba")
    for x, y in ((np.array([1.0, 0.0, -2.0]), 2.0), (np.array([1.0, 3.0]), 0.0), (np.array([0.0, 2.5]), -1.5)):
        with np.errstate(all="ignore"):
            want = srcgrad.grad(ratios)(x, y)
            got = d(x, y)
        np.testing.assert_array_equal(got, want)
        assert d.backend == "numba"
    assert "numpy.divide(y, _t" in d.native.text and "numpy.floor_divide(" in d.native.text
    r = srcgrad.grad(ratio, backend="numba")
    assert r(7.0, 2.0) == srcgrad.grad(ratio)(7.0, 2.0)
    for thunk in (lambda: ratio(1.0, 0.0), lambda: srcgrad.grad(ratio)(1.0, 0.0), lambda: r(1.0, 0.0)):
        assert raised(thunk)[0] == "ZeroDivisionError"  # numba's message: "division by zero"
    assert "numpy." not in r.native.text.split("# --- helpers")[0]


def first_crossing(y0, rate, n):
    y = y0
    for i in range(n):
        y = y + rate * y * (1.0 - y)
        if y > 0.9:
            return y * (i + 1)
    return -y


def halved_above_one(v):
    if v > 1.0:
        return v * 0.5
    return v * v


def sum_of_halved(x, n):
    s = 0.0
    for i in range(n):
        s += halved_above_one(x * i)
    return s


def test_f14_early_return_in_a_loop_compiles_and_agrees():
    """`_retval = None` up front, a float later: numba's Optional refused it; now 0.0."""
    d = srcgrad.grad(first_crossing, wrt=(0, 1), backend="numba")
    for args in ((0.1, 0.5, 40), (0.1, 0.5, 3), (0.95, 0.1, 5)):
        got, want = d(*args), srcgrad.grad(first_crossing, wrt=(0, 1))(*args)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert d.backend == "numba"
    assert "None" not in d.native.text.split("# --- helpers")[0]
    h = srcgrad.grad(sum_of_halved, backend="numba")  # in a called function's derivative too
    assert h(0.7, 4) == srcgrad.grad(sum_of_halved)(0.7, 4) and h.backend == "numba"


def cube(x):
    return x * x * x


def steps_of(k, x):
    s = 0.0
    for i in range(k):
        s += x * (k * k)
    return s


def test_f04_an_int_for_a_differentiated_number_is_computed_as_a_float():
    """grad(cube)(10 ** 10): x * x would wrap in 64-bit ints; the entry passes a float."""
    d = srcgrad.grad(cube, backend="numba")
    assert d(10 ** 10) == srcgrad.grad(cube)(10 ** 10) == 3e20 and d.backend == "numba"
    assert d(3) == d(3.0) == 27.0 and type(d(3)) is float
    assert "_checked" not in d.native.text  # x holds a float: x * x stays plain
    # k is a range bound as well: where an int and a float differ, it is passed as it is
    s = srcgrad.grad(steps_of, wrt=(0, 1), backend="numba")
    assert s(3, 1.5) == srcgrad.grad(steps_of, wrt=(0, 1))(3, 1.5)
    assert "_checked_mul(k, k)" in s.native.text


def scaled_by_square(v, k):
    return v * (k * k)


def calls_scaled(x, k):
    return x * scaled_by_square(x, k)


def test_f04_int_arithmetic_in_a_called_function_is_checked_too():
    d = srcgrad.grad(calls_scaled, backend="numba")
    assert d(1.5, 3) == srcgrad.grad(calls_scaled)(1.5, 3) and d.backend == "numba"
    kind, message = raised(lambda: d(1.5, 2 ** 40))  # 2 ** 80 in Python
    assert kind == "OverflowError" and "64 bits" in message
    assert "_checked_mul(k, k)" in d.native.text


def test_exact_comparisons_compare_an_int_and_a_float_as_python_does():
    """numerics.exact_eq ... exact_ge under numba (the helpers module every numba build
    imports) give Python's result for each int and float, in both orders (FINDINGS18 #4:
    numba compares the float of the int, 2 ** 53 + 1 == 2.0 ** 53)."""
    import operator
    import sys

    from srcgrad.native.library import library

    compiled = sys.modules[library().module_name]
    ints = [0, 1, -1, 7, 2 ** 53, 2 ** 53 + 1, -(2 ** 53) - 1, 2 ** 62 + 1, -(2 ** 62) - 1, 2 ** 63 - 1, -(2 ** 63)]
    floats = [0.0, -0.0, 0.5, 7.0, 2.0 ** 53, 2.0 ** 53 + 2, -(2.0 ** 53), 2.0 ** 62, -(2.0 ** 62), 4.5e15 + 0.5,
              2.0 ** 63, -(2.0 ** 63), 1e300, -1e300, math.inf, -math.inf, math.nan]
    ops = {"exact_eq": operator.eq, "exact_ne": operator.ne, "exact_lt": operator.lt,
           "exact_le": operator.le, "exact_gt": operator.gt, "exact_ge": operator.ge}
    wrong = []
    for name, op in ops.items():
        fn = getattr(compiled, "_" + name)
        for i in ints:
            for f in floats:
                for a, b in ((i, f), (f, i)):
                    if fn(a, b) is not op(a, b) or getattr(numerics, name)(a, b) is not op(a, b):
                        wrong.append((name, a, b))
        assert fn(2.5, 1.5) is op(2.5, 1.5) and fn(3, 4) is op(3, 4)  # floats, ints: as they are
    assert not wrong, wrong[:10]


def test_long_profile_findings_an_int_placeholder_and_a_number_cumsum():
    """The first complete run of the numba translation validation's long profile (session
    12) found two calls where backend='auto' raised and the Python backend ran:
    `t = None` up front typed 0.0 for a name that holds an int (the inner loop's bound
    `i + 1` of tests/programs/tricky.py's deep_nest), which made numba type it a float and
    `range(t)` raise TypeError; and cumsum's adjoint for a number gave a 1-entry array."""
    import sys
    import pathlib

    sys.path.insert(0, str(pathlib.Path(__file__).parent / "programs"))
    from tricky import deep_nest

    for args in ((1.3, 0.8), (0.3, 2.5)):
        d = srcgrad.grad(deep_nest, wrt=(0, 1), backend="auto")
        got, want = d(*args), srcgrad.grad(deep_nest, wrt=(0, 1))(*args)
        assert d.backend == "numba" and np.allclose(got, want, rtol=1e-12, atol=0), (got, want)
    assert "_t3 = 0\n" in d.native.text  # the placeholder is an int

    def running(a, c):
        return np.sum(np.cumsum(a) * c)

    d = srcgrad.grad(running, backend="auto")
    got = d(-0.49, np.array([0.71]))
    assert d.backend == "numba" and type(got) is float and got == srcgrad.grad(running)(-0.49, np.array([0.71]))
