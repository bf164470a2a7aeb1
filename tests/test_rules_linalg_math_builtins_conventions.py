"""Conventions of the linalg, math and builtins rules at kinks and ties (SPEC §7).

Central differences cannot check these points, so each test states the exact
value: ties in max/min split evenly, abs'(0) = fabs'(0) = 0, the 2-norm (and
hypot) at 0 has zero gradient, and unsupported forms raise instead of
returning a wrong gradient. Also: math on Python floats stays NumPy-free.
"""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import srcgrad


def test_builtin_max_tie_splits_evenly():
    def f(x, y):
        return max(x, y)

    assert srcgrad.grad(f, wrt=(0, 1))(2.0, 2.0) == (0.5, 0.5)


def test_builtin_min_tie_splits_evenly():
    def f(x, y):
        return 3.0 * min(x, y)

    assert srcgrad.grad(f, wrt=(0, 1))(-1.0, -1.0) == (1.5, 1.5)


def test_builtin_max_of_one_value_twice_is_identity():
    def f(x):
        return max(x, x)

    assert srcgrad.grad(f)(1.5) == 1.0


def test_builtin_abs_at_zero_is_zero():
    def f(x):
        return abs(x)

    assert srcgrad.grad(f)(0.0) == 0.0
    assert_array_equal(srcgrad.grad(abs_sum)(np.array([0.0, -2.0, 3.0])), [0.0, -1.0, 1.0])


def abs_sum(x):
    return np.sum(abs(x))


def test_math_fabs_at_zero_is_zero():
    def f(x):
        return math.fabs(x)

    assert srcgrad.grad(f)(0.0) == 0.0


def test_math_hypot_at_origin_is_zero():
    def f(x, y):
        return math.hypot(x, y)

    assert srcgrad.grad(f, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)


def test_norm_at_zero_has_zero_gradient():
    def f(x):
        return np.linalg.norm(x)

    assert_array_equal(srcgrad.grad(f)(np.zeros(3)), np.zeros(3))
    assert_array_equal(srcgrad.grad(f)(np.zeros((2, 3))), np.zeros((2, 3)))


def test_norm_of_a_zero_row_has_zero_gradient():
    def f(x):
        return np.sum(np.linalg.norm(x, axis=1))

    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    g = srcgrad.grad(f)(x)
    assert_array_equal(g[0], [0.0, 0.0])
    assert_allclose(g[1], [0.6, 0.8])


def test_spectral_norm_at_zero_has_zero_gradient():
    def f(x):
        return np.linalg.norm(x, 2)

    assert_array_equal(srcgrad.grad(f)(np.zeros((2, 2))), np.zeros((2, 2)))


def test_norm_inf_tie_splits_evenly():
    def f(x):
        return np.linalg.norm(x, np.inf)

    assert_array_equal(srcgrad.grad(f)(np.array([-2.0, 1.0, 2.0])), [-0.5, 0.0, 0.5])


def test_norm_unsupported_ord_raises():
    def f(x):
        return np.linalg.norm(x, 0.5)

    with pytest.raises(srcgrad.SrcGradError, match="ord=0.5"):  # when built, located
        srcgrad.grad(f)(np.array([1.0, 2.0]))


def test_einsum_ellipsis_gradient_is_the_weights_transposed():
    w = np.arange(12.0).reshape(2, 3, 2)

    def f(a):
        return np.sum(np.einsum("...ij->...ji", a) * w)

    assert np.array_equal(srcgrad.grad(f)(np.ones((2, 2, 3))), np.swapaxes(w, -1, -2))


def test_math_gradients_are_python_floats_without_numpy():
    def f(x, y):
        return math.exp(x) * math.sin(y) + math.log(x, 2.0) + max(x, y) + abs(y)

    g = srcgrad.grad(f, wrt=(0, 1))
    dx, dy = g(1.3, 0.4)
    assert type(dx) is float and type(dy) is float
    source = g.source
    assert "np." not in source and "numpy" not in source and "unbroadcast" not in source


def test_abs_of_a_numpy_scalar_has_a_float_gradient():
    def f(x):
        return abs(np.sum(x)) + math.fabs(np.sum(x))

    assert_array_equal(srcgrad.grad(f)(np.array([1.0, -3.0])), [-2.0, -2.0])
