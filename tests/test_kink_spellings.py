"""Second derivatives at kinks do not depend on how the kink is spelled (issue 14
item 3 review). A kink's derivative is piecewise constant (sign(x) for abs, a
0 / 1/2 / 1 selection for max and min), and so its own derivative is 0
everywhere, the kink included: abs''(0) = 0 whether written `abs`, `np.abs`,
`np.absolute`, `np.fabs` or `math.fabs`, and max(x, 0)'' = 0 as
`np.maximum(x, 0)`'' is. Checked by hessian, grad of grad and jvp of grad.
hypot, the 2-norm of two numbers, has the norm's zero Hessian at the origin.
"""
import math

import numpy as np
import pytest

import srcgrad

# one lambda a line: Python 3.10 cannot tell two on one line apart
ABS = {"abs": lambda x: abs(x),
       "np.abs": lambda x: np.abs(x),
       "np.absolute": lambda x: np.absolute(x),
       "np.fabs": lambda x: np.fabs(x),
       "math.fabs": lambda x: math.fabs(x)}
RELU = {"max": lambda x: max(x, 0.0),
        "np.maximum": lambda x: np.maximum(x, 0.0),
        "min": lambda x: -min(-x, 0.0),
        "np.minimum": lambda x: -np.minimum(-x, 0.0),
        "np.clip": lambda x: np.clip(x, 0.0, None),
        "np.fmax": lambda x: np.fmax(x, 0.0),
        "max of a list": lambda x: max([x, 0.0]),
        "np.max": lambda x: np.max(np.array([x, 0.0]))}


def _orders(f, at):
    """(first derivative, hessian, grad of grad, jvp of grad) of a number function."""
    def scaled(x):
        return 3.0 * f(x)

    first = srcgrad.grad(scaled)(at)
    return (first, srcgrad.hessian(scaled)(at), srcgrad.grad(srcgrad.grad(scaled))(at),
            srcgrad.jvp(srcgrad.grad(scaled), (at,), (1.0,))[1])


@pytest.mark.parametrize("name", list(ABS))
@pytest.mark.parametrize("at, first", [(0.0, 0.0), (0.5, 3.0), (-0.5, -3.0)])
def test_abs_has_zero_second_derivative_in_every_spelling(name, at, first):
    assert _orders(ABS[name], at) == (first, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("name", list(RELU))
@pytest.mark.parametrize("at, first", [(0.0, 1.5), (0.5, 3.0), (-0.5, 0.0)])
def test_relu_has_zero_second_derivative_in_every_spelling(name, at, first):
    assert _orders(RELU[name], at) == (first, 0.0, 0.0, 0.0)


def test_abs_of_arrays_at_zero_in_every_spelling():
    x = np.array([0.0, 0.7, -1.2])
    for f in (lambda x: np.sum(abs(x) * x),
              lambda x: np.sum(np.abs(x) * x),
              lambda x: np.sum(np.absolute(x) * x)):
        # d2/dx2 (|x| x) = 2 sign(x): 0 at 0
        np.testing.assert_array_equal(srcgrad.hessian(f)(x), np.diag([0.0, 2.0, -2.0]))
        np.testing.assert_allclose(srcgrad.grad(f)(x), [0.0, 1.4, 2.4], rtol=1e-15)  # 2 |x|


def test_hypot_at_the_origin_has_the_norms_zero_hessian():
    def by_hypot(v):
        return np.hypot(v[0], v[1])

    def by_math_hypot(v):
        return math.hypot(v[0], v[1])

    def by_norm(v):
        return np.linalg.norm(v)

    origin, away = np.zeros(2), np.array([0.6, 0.8])
    for f in (by_hypot, by_math_hypot):
        np.testing.assert_array_equal(srcgrad.hessian(f)(origin), srcgrad.hessian(by_norm)(origin))
        np.testing.assert_array_equal(srcgrad.hessian(f)(origin), np.zeros((2, 2)))
        # away from it: (I - u u^T) / r with u = v / r, r = 1
        np.testing.assert_allclose(srcgrad.hessian(f)(away), np.eye(2) - np.outer(away, away), rtol=1e-14)
    assert srcgrad.hessian(lambda x: np.hypot(x, 0.0))(0.0) == 0.0  # |x| spelled as a norm
