"""The elementwise table (srcgrad/rules/elementwise.py), read row by row.

Every function of every row needs a rule case (tests/rule_cases) in both
modes, which checks it against central differences: a row without one fails
here. Every point in a row's `at` (where its formula has no finite value, or a
kink convention) is checked exactly, in both modes and in both namespaces, so
`math.sqrt` at 0 has the derivative `numpy.sqrt` has there (inf), and a zero
adjoint or tangent stays zero through it (docs/rules.md, "Singular points").
"""
import math

import numpy as np
import pytest

import srcgrad
from srcgrad.rules import elementwise
from rule_cases import CASES

FUNCTIONS = [(row, module, fn) for row in elementwise.ROWS for module in ("numpy", "math")
             for fn in row.primitives(module)]
POINTS = [(row, module, fn, x, expected) for row, module, fn in FUNCTIONS
          for x, expected in row.at.items()]


def _id(item):
    row, module, fn = item[:3]
    return f"{module}.{fn.__name__}" + (f"@{item[3]}" if len(item) > 3 else "")


@pytest.mark.parametrize("item", FUNCTIONS, ids=[_id(i) for i in FUNCTIONS])
def test_every_row_has_a_rule_case_in_both_modes(item):
    _, module, fn = item
    for mode in ("reverse", "forward"):
        assert any(any(p is fn for p in c.primitives) and mode in c.modes for c in CASES), \
            f"{module}.{fn.__name__} is a row of the elementwise table with no {mode} case in tests/rule_cases"


def _raises_at(fn, x):
    """The exception type `fn(x)` raises (math's domain error), or None."""
    try:
        with np.errstate(all="ignore"):
            fn(x)
    except (ValueError, OverflowError, ZeroDivisionError) as err:
        return type(err)
    return None


def _apply(fn):
    def f(x):
        return fn(x)
    return f


def _scaled(fn):
    def f(x, c):
        return c * fn(x)
    return f


def _scaled_sum(fn):
    def f(x, c):
        return np.sum(c * fn(x))
    return f


def _summed(fn):
    def f(x):
        return np.sum(fn(x))
    return f


def _derivatives(f, args):
    """(reverse, forward) derivative of f in its first argument at `args`."""
    tangents = (1.0,) + (None,) * (len(args) - 1)
    with np.errstate(all="ignore"):
        return srcgrad.grad(f)(*args), srcgrad.jvp(f, args, tangents)[1]


@pytest.mark.parametrize("item", POINTS, ids=[_id(i) for i in POINTS])
def test_derivative_at_a_singular_point_or_kink(item):
    row, module, fn, x, expected = item
    error = _raises_at(fn, x)
    if error is not None:  # math.log(0.0): the forward sweep raises math's own error first
        with pytest.raises(error):
            srcgrad.grad(_apply(fn))(x)
        with pytest.raises(error):
            srcgrad.jvp(_apply(fn), (x,), (1.0,))
        return
    for number in (x, np.float64(x)) if module == "numpy" else (x,):
        reverse, forward = _derivatives(_apply(fn), (number,))
        assert reverse == expected and forward == expected, (number, reverse, forward, expected)
    if module == "numpy":
        reverse, forward = _derivatives(_summed(fn), (np.array([x, x]),))
        assert list(reverse) == [expected, expected] and forward == 2 * expected


DEFINED = [p for p in POINTS if _raises_at(p[2], p[3]) is None]  # not math.log(0.0)


@pytest.mark.parametrize("item", DEFINED, ids=[_id(i) for i in DEFINED])
def test_zero_adjoint_stays_zero_at_a_singular_point(item):
    row, module, fn, x, _ = item
    with np.errstate(all="ignore"):
        points = [(_scaled(fn), x)]
        if module == "numpy":
            points += [(_scaled(fn), np.float64(x)), (_scaled_sum(fn), np.array([x, x]))]
        for f, at in points:
            assert np.all(srcgrad.grad(f)(at, 0.0) == 0.0), at
            if not row.overflows:  # a tangent's factor is infinite only where the result is
                assert np.all(srcgrad.jvp(f, (at, 1.0), (0.0 * at, None))[1] == 0.0), at


def test_math_sqrt_at_zero_is_numpy_sqrt_at_zero():
    for f in (_apply(math.sqrt), _apply(np.sqrt)):
        reverse, forward = _derivatives(f, (0.0,))
        assert reverse == np.inf and forward == np.inf


def test_numpy_log_of_a_python_float_at_zero_is_inf_not_zero_division():
    # the optimiser wrote the rule's guard as `c / x` on Python numbers: ZeroDivisionError
    reverse, forward = _derivatives(_apply(np.log), (0.0,))
    assert reverse == np.inf and forward == np.inf
    with np.errstate(all="ignore"):
        assert srcgrad.grad(_scaled(np.arctanh))(1.0, 0.0) == 0.0  # and a zero adjoint stays zero


def test_math_rows_keep_python_floats():
    for fn in (math.sqrt, math.asin, math.acos, math.acosh, math.fabs):
        g = srcgrad.grad(_apply(fn))(0.5 if fn is not math.acosh else 1.5)
        assert type(g) is float


# --- the functions of two arguments shared by math and NumPy: one policy too -----


def _pair(fn):
    def f(x, y, c):
        return c * fn(x, y)
    return f


@pytest.mark.parametrize("fn", [math.atan2, np.arctan2], ids=["math.atan2", "numpy.arctan2"])
def test_atan2_at_the_origin_has_no_derivative_but_a_zero_adjoint_stays_zero(fn):
    with np.errstate(all="ignore"):
        dx, dy = srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 1.0)
        assert np.isnan(dx) and np.isnan(dy)  # the angle jumps there: NaN, not ZeroDivisionError
        assert np.isnan(srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (1.0, None, None))[1])
        assert srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 0.0) == (0.0, 0.0)
        assert srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (0.0, 0.0, None))[1] == 0.0


def test_atan2_where_the_origin_is_not_selected_keeps_the_gradient_finite():
    def f(x):
        return np.sum(np.where(x > 0.0, np.arctan2(x, x), 0.0))

    with np.errstate(all="ignore"):
        g = srcgrad.grad(f)(np.array([0.0, 2.0]))
    assert g[0] == 0.0 and g[1] == 0.0  # d/dx atan2(x, x) = 0 for x > 0


@pytest.mark.parametrize("fn", [math.pow, np.power, pow], ids=["math.pow", "numpy.power", "pow"])
def test_power_at_zero_with_an_exponent_below_one_is_inf(fn):
    dx, dy = srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.5, 1.0)
    assert dx == np.inf and dy == 0.0
    assert srcgrad.jvp(_pair(fn), (0.0, 0.5, 1.0), (1.0, None, None))[1] == np.inf


@pytest.mark.parametrize("fn", [math.hypot, np.hypot], ids=["math.hypot", "numpy.hypot"])
def test_hypot_at_the_origin_has_zero_gradient_in_both_modes(fn):
    assert srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 1.0) == (0.0, 0.0)
    assert srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (1.0, 1.0, None))[1] == 0.0
