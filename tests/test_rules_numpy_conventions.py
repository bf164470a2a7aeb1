"""The documented conventions of the NumPy rules at kinks and ties (SPEC §7).

Central differences cannot check these points in general, so each test states
the exact value: ties in max/min/maximum/minimum/clip split the gradient
evenly, abs'(0) = 0, prod with zeros is exact, where() never turns an
infinite adjoint in the unselected branch into NaN.
"""
import numpy as np
from numpy.testing import assert_array_equal

import srcgrad


def test_max_tie_splits_evenly():
    def f(x):
        return np.max(x)

    assert_array_equal(srcgrad.grad(f)(np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])


def test_amax_tie_splits_evenly():
    def f(x):
        return np.amax(x)

    assert_array_equal(srcgrad.grad(f)(np.array([2.0, 2.0, 2.0, 2.0])), [0.25] * 4)


def test_min_tie_along_axis_splits_evenly():
    def f(x):
        return np.sum(np.min(x, axis=1) * np.array([1.0, 2.0]))

    x = np.array([[1.0, 1.0, 4.0], [0.0, 5.0, 6.0]])
    assert_array_equal(srcgrad.grad(f)(x), [[0.5, 0.5, 0.0], [2.0, 0.0, 0.0]])


def test_amin_tie_with_keepdims_splits_evenly():
    def f(x):
        return np.sum(np.amin(x, axis=0, keepdims=True))

    x = np.array([[1.0, 0.0], [1.0, 3.0]])
    assert_array_equal(srcgrad.grad(f)(x), [[0.5, 1.0], [0.5, 0.0]])


def test_maximum_tie_splits_evenly():
    def f(x, y):
        return np.sum(np.maximum(x, y))

    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    dx, dy = srcgrad.grad(f, wrt=(0, 1))(x, y)
    assert_array_equal(dx, [0.5, 0.0, 1.0])
    assert_array_equal(dy, [0.5, 1.0, 0.0])


def test_relu_at_zero_is_one_half():
    def f(x):
        return np.sum(np.maximum(x, 0.0))

    assert_array_equal(srcgrad.grad(f)(np.array([-1.0, 0.0, 2.0])), [0.0, 0.5, 1.0])


def test_minimum_tie_splits_evenly():
    def f(x, y):
        return np.sum(np.minimum(x, y))

    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    dx, dy = srcgrad.grad(f, wrt=(0, 1))(x, y)
    assert_array_equal(dx, [0.5, 1.0, 0.0])
    assert_array_equal(dy, [0.5, 0.0, 1.0])


def test_abs_at_zero_is_zero():
    def f(x):
        return np.sum(np.abs(x) + np.absolute(x) + np.fabs(x))

    assert_array_equal(srcgrad.grad(f)(np.array([0.0, -2.0, 3.0])), [0.0, -3.0, 3.0])


def test_clip_at_its_bounds_splits_evenly():
    def f(x):
        return np.sum(np.clip(x, -0.5, 0.5))

    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    assert_array_equal(srcgrad.grad(f)(x), [0.0, 0.5, 1.0, 0.5, 0.0])


def test_clip_bounds_get_the_clipped_gradient():
    def f(x, lo, hi):
        return np.sum(np.clip(x, lo, hi))

    x = np.array([-1.0, 0.0, 1.0])
    dx, dlo, dhi = srcgrad.grad(f, wrt=(0, 1, 2))(x, np.full(3, -0.5), np.full(3, 0.5))
    assert_array_equal(dx, [0.0, 1.0, 0.0])
    assert_array_equal(dlo, [1.0, 0.0, 0.0])
    assert_array_equal(dhi, [0.0, 0.0, 1.0])


def test_where_keeps_an_infinite_adjoint_out_of_the_other_branch():
    def f(x):
        return np.sum(np.sqrt(np.where(x > 0, x, 0.0)))

    with np.errstate(divide="ignore"):
        g = srcgrad.grad(f)(np.array([-1.0, 4.0]))
    assert_array_equal(g, [0.0, 0.25])


def test_prod_with_one_zero_is_exact():
    def f(x):
        return np.prod(x)

    assert_array_equal(srcgrad.grad(f)(np.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])


def test_prod_with_two_zeros_is_zero():
    def f(x):
        return np.prod(x)

    assert_array_equal(srcgrad.grad(f)(np.array([2.0, 0.0, 0.0])), [0.0, 0.0, 0.0])


def test_cumprod_with_a_zero_is_exact():
    def f(x):
        return np.sum(np.cumprod(x))

    # d/dx of x0 + x0 x1 + x0 x1 x2 at (2, 0, 3): (1, 2 + 6, 0)
    assert_array_equal(srcgrad.grad(f)(np.array([2.0, 0.0, 3.0])), [1.0, 8.0, 0.0])


def test_std_of_constant_data_has_zero_gradient():
    def f(x):
        return np.std(x)

    assert_array_equal(srcgrad.grad(f)(np.ones(4)), np.zeros(4))


def test_sign_floor_round_have_zero_gradient():
    def f(x):
        return np.sum((np.sign(x) + np.floor(x) + np.round(x) + np.rint(x)) * x)

    # only the product rule's x factor contributes: sign + floor + round + rint
    assert_array_equal(srcgrad.grad(f)(np.array([-1.5, 0.0, 2.3])), [-7.0, 0.0, 7.0])
