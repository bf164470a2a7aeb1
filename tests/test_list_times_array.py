"""`array * list` multiplies entry by entry (NumPy); only `list * int` repeats a list.

A list display on one side of `*` made the operator the repetition rule,
whose adjoint took the other operand for a repeat count: the gradient of
`np.sum(v * [1.0, 10.0, 100.0])` came out as zeros. Both readings are
decided at run time from the operands, as Python decides them.
"""
import numpy as np
import pytest

import srcgrad

X = np.array([3.0, -1.0, 2.0])
WEIGHTS = np.array([1.0, 10.0, 100.0])


def array_times_list(v):
    return np.sum(v * [1.0, 10.0, 100.0])


def list_times_square(v):
    return np.sum([1.0, 10.0, 100.0] * v ** 2)


def list_of_active_values(a, v):
    return np.sum([a, 2.0 * a, 3.0] * v)


def repeated_list(x):
    return sum([x, x * x] * 2)


def test_array_times_a_list_display():
    np.testing.assert_allclose(srcgrad.grad(array_times_list)(X), WEIGHTS)
    np.testing.assert_allclose(srcgrad.jvp(array_times_list, (X,), (np.ones(3),))[1], WEIGHTS.sum())


def test_a_list_display_times_an_array_expression_second_order():
    np.testing.assert_allclose(srcgrad.grad(list_times_square)(X), 2 * WEIGHTS * X)
    np.testing.assert_allclose(srcgrad.hessian(list_times_square)(X), np.diag(2 * WEIGHTS))


@pytest.mark.parametrize("a", [1.5, -0.25])
def test_a_list_of_active_values_times_an_array(a):
    da, dv = srcgrad.grad(list_of_active_values, wrt=(0, 1))(a, X)
    assert da == pytest.approx(X[0] + 2 * X[1])
    np.testing.assert_allclose(dv, [a, 2 * a, 3.0])
    assert srcgrad.jvp(list_of_active_values, (a, X), (1.0, np.zeros(3)))[1] == pytest.approx(X[0] + 2 * X[1])


def test_a_list_times_an_int_still_repeats():
    assert srcgrad.grad(repeated_list)(2.0) == pytest.approx(2 + 4 * 2.0)
    assert srcgrad.jvp(repeated_list, (2.0,), (1.0,))[1] == pytest.approx(10.0)
