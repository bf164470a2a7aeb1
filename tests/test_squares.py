"""A Python float's square in the backward sweep as a product (optimize/squares.py).

`t * t` replaces `t ** 2` where the backward sweep recomputes a square of a
Python float; a guard runs the power where it can overflow, so the
derivative raises f's OverflowError. These tests check that the errors are
exactly f's at and around the threshold (|t| near sqrt of the largest
float, NaN, inf, the guards of `1.0 - t` the new guard takes over), that
the gradients are central differences', and that forward values stay f's.
"""
import math
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcgrad

ROOT = math.sqrt(sys.float_info.max)  # 1.3407807929942596e154: above it a square overflows


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def shifted(x):
    # the guard of (c - x[i]) ** 2 joins x[i]'s only when |c| is small
    s = 0.0
    for i in range(len(x)):
        a = 5e153 - x[i]
        b = x[i] + 2.0
        s = s + a ** 2 * 1e-307 + b ** 2 + x[i] ** 2 * 3.0
    return s


def far_shift(x):
    # (5e153 - x[i]) ** 2 may overflow where x[i]'s guard passes: its guard stays its own
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (5e153 - x[i]) ** 2 * 1e-307 + (x[i + 1] - x[i] ** 2) ** 2
    return s


def near_shift(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i] + 2.5) ** 2 + (x[i + 1] - x[i] ** 2) ** 2
    return s


def int_beside_float(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 3 * x[i] ** 3 / 2 + (x[i + 1] - 1) ** 2 * 5
    return s


def rebound_between(x):
    # t is rebound between w = 1 - t and the square of the new t: no join
    s = 0.0
    for i in range(len(x) - 1):
        t = x[i]
        w = 1.0 - t
        t = x[i + 1]
        s = s + w ** 2 + t ** 2
    return s


def two_errors(x):
    # a ZeroDivisionError between the guards: the guard does not move past it
    s = 0.0
    for i in range(len(x)):
        w = 1.0 - x[i]
        q = 1.0 / x[i]
        s = s + w ** 2 + q + x[i] ** 2
    return s


FUNCTIONS = [rosenbrock, shifted, far_shift, near_shift, int_beside_float, rebound_between, two_errors]


def _value_and_grad(f):
    vg = srcgrad.value_and_grad(f)
    return lambda x: vg(x)[1]


def _vjp(f):
    return lambda x: srcgrad.vjp(f, x)[1](1.0)


TRANSFORMS = {"grad": srcgrad.grad, "value_and_grad": _value_and_grad, "vjp": _vjp}


def _outcome(call, x):
    try:
        return "value", call(list(x))
    except Exception as err:  # noqa: BLE001 - the type and message are compared
        return type(err), str(err)


def _numeric(f, x, h=1e-6):
    out = []
    for i in range(len(x)):
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def test_rosenbrock_backward_squares_are_products_with_one_guard_for_two():
    df = srcgrad.grad(rosenbrock)
    x = [0.3, -1.2, 0.8, 1.1]
    np.testing.assert_allclose(df(x), _numeric(rosenbrock, x), rtol=1e-6, atol=1e-6)
    text = srcgrad.source(df)
    backward = text[text.index("for i in range(_t2 - 1, -1, -1)"):]
    powers = re.findall(r"^\s*([^#\s].*\*\* 2.*)$", backward, re.M)
    assert powers and all(re.fullmatch(r"_t\d+ \*\* 2", p.strip()) for p in powers), powers  # guards' alone
    assert re.search(r"(_t\d+) \* \1\b", backward)
    # the guard of (1.0 - x[i]) joined the guard of x[i]: two comparisons per iteration
    assert backward.count("if not -1e+154 <") == 2


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("big", [1e154, 1.2e154, ROOT, math.nextafter(ROOT, math.inf), 1.35e154, 1e155,
                                 1e160, 1e200, -1e160, math.inf, -math.inf, math.nan, 1e77, 1.2e77, 1e78])
@pytest.mark.parametrize("at", [0, 1, 2])
def test_the_error_is_fs_around_the_threshold(transform, f, big, at):
    x = [0.5, -0.25, 0.75]
    x[at] = big
    want = _outcome(f, x)
    got = _outcome(TRANSFORMS[transform](f), x)
    if want[0] == "value":
        assert got[0] == "value"
    else:
        assert got == want


# near_shift's (x[i] + 2.5) comes after x[i]'s square: a guard joins only guards before it
@pytest.mark.parametrize("f, guards", [(far_shift, 3), (near_shift, 3)], ids=["far", "near"])
def test_a_join_needs_a_near_constant(f, guards):
    df = srcgrad.grad(f)
    df([0.5, -0.25, 0.75])  # built for a list of floats: `source` shows that build
    text = srcgrad.source(df)
    assert text.count("if not -1e+154 <") == guards
    assert re.search(r"(_t\d+) \* \1\b", text)
    # 5e153 - t: its square overflows where t's guard passes
    for x in ([-9e153, 0.5], [0.5, -9e153, 0.5], [1.2e154, 0.0], [0.0, 1e200]):
        assert _outcome(srcgrad.grad(f), x) == _outcome(f, x)
    assert _outcome(far_shift, [-9e153, 0.5])[0] is OverflowError


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_gradients_are_central_differences(f):
    x = [0.3, -1.2, 0.8, 1.1, -0.4]
    np.testing.assert_allclose(srcgrad.grad(f)(x), _numeric(f, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_value_and_grad_value_is_fs_bit_for_bit(f):
    x = [0.3, -1.2, 0.8, 1.1, -0.4, 0.1234567891234]
    value, _ = srcgrad.value_and_grad(f)(x)
    assert value == f(x)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.floats(min_value=-2.0, max_value=2.0),
                          st.floats(min_value=1e150, max_value=1e156),
                          st.floats(min_value=1e76, max_value=1e78)), min_size=2, max_size=6),
       st.sampled_from(FUNCTIONS))
def test_raises_exactly_when_f_raises(x, f):
    want = _outcome(f, x)
    got = _outcome(srcgrad.grad(f), x)
    if want[0] == "value":
        assert got[0] == "value"
    else:
        assert got == want


# For the translation validation corpus (tests/translation.py reads module-level lists):
# lists of floats whose backward sweeps square Python floats.
CASES = [(f, ([0.3, -1.2, 0.8, 1.1, -0.4],)) for f in FUNCTIONS] + [(rosenbrock, ((0.5, 1.5, -0.5),))]


def test_int_constants_beside_floats_are_floats_and_change_no_bit():
    x = [0.3, -1.2, 0.8, 1.1, -0.4, 0.1234567891234]
    df = srcgrad.grad(int_beside_float)
    np.testing.assert_allclose(df(x), _numeric(int_beside_float, x), rtol=1e-6, atol=1e-6)
    text = srcgrad.source(df)
    body = text[text.index("def "):]
    assert not re.search(r"(?<![\w.])\d+ [*/] _t|_t\d+ [*/] \d+(?![\w.])", body), body
    squares = [line.strip() for line in body.splitlines() if "** 2" in line and "#" not in line]
    assert squares and all(re.fullmatch(r"_t\d+ \*\* 2", q) for q in squares), squares  # in guards alone
    assert re.search(r"_t\d+ = i \+ 1\n", body)  # int arithmetic stays int
    value, grads = srcgrad.value_and_grad(int_beside_float)(x)
    assert value == int_beside_float(x)
    assert grads == srcgrad.grad(int_beside_float)(x)
