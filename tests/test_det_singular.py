"""numpy.linalg.det's derivatives at singular matrices: the cofactor matrix (first
order) and its tangent (second order) are finite there, and srcgrad computes
them from an SVD (runtime/linalg.py `det_cofactor`), not from inv(a). Checked in
both modes and by hessian against central differences of det's values (det is
a polynomial, so differences are accurate at any point)."""
import numpy as np
import pytest

import srcgrad


def _cofactors(a):
    """The cofactor matrix entry by entry: signed determinants of minors."""
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) if n > 1 else 1.0
                      for j in range(n)] for i in range(n)])


def area(P):
    return 0.5 * np.linalg.det(np.column_stack([P, np.ones(3)]))


def weighted_det(a):
    return np.linalg.det(a) * 2.0 + np.linalg.det(a * a)


SINGULAR = [
    np.zeros((3, 3)),
    np.array([[1.0, 2.0], [2.0, 4.0]]),                                  # rank 1
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),       # rank 2
    np.outer([1.0, -2.0, 0.5, 3.0], [0.3, 1.0, -1.0, 2.0]),              # rank 1
]


def _differenced_hessian(fn, x, eps=1e-3):
    n = x.size
    steps = np.eye(n).reshape((n,) + x.shape) * eps
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = (fn(x + steps[i] + steps[j]) - fn(x + steps[i] - steps[j])
                         - fn(x - steps[i] + steps[j]) + fn(x - steps[i] - steps[j])) / (4 * eps * eps)
    return out.reshape(x.shape + x.shape)


@pytest.mark.parametrize("a", SINGULAR, ids=lambda a: f"{a.shape[0]}x{a.shape[0]}")
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(a):
    expected = _cofactors(a)
    np.testing.assert_allclose(srcgrad.grad(lambda m: np.linalg.det(m))(a), expected, atol=1e-12)
    direction = np.arange(a.size, dtype=float).reshape(a.shape) - 1.5
    value, tangent = srcgrad.jvp(lambda m: np.linalg.det(m), (a,), (direction,))
    assert tangent == pytest.approx(np.sum(expected * direction), abs=1e-11)


@pytest.mark.parametrize("a", SINGULAR, ids=lambda a: f"{a.shape[0]}x{a.shape[0]}")
def test_det_hessian_at_a_singular_matrix(a):
    np.testing.assert_allclose(srcgrad.hessian(weighted_det)(a), _differenced_hessian(weighted_det, a),
                               rtol=1e-6, atol=1e-6)
    v = np.linspace(-1.0, 1.0, a.size).reshape(a.shape)
    expected = np.tensordot(_differenced_hessian(weighted_det, a), v, axes=a.ndim)
    np.testing.assert_allclose(srcgrad.hvp(weighted_det)(a, v), expected, rtol=1e-6, atol=1e-6)


def test_signed_area_of_collinear_points():
    """The finding's program: three collinear points, det = 0."""
    P = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    expected = 0.5 * _cofactors(np.column_stack([P, np.ones(3)]))[:, :2]
    np.testing.assert_allclose(srcgrad.grad(area)(P), expected, atol=1e-12)
    _, tangent = srcgrad.jvp(area, (P,), (np.ones_like(P),))
    assert tangent == pytest.approx(np.sum(expected), abs=1e-12)
    np.testing.assert_allclose(srcgrad.hessian(area)(P), _differenced_hessian(area, P), atol=1e-6)


def test_det_of_a_stack_with_singular_members():
    stack = np.stack([SINGULAR[2], np.eye(3) * 2.0, np.zeros((3, 3))])
    c = np.array([1.0, -0.5, 2.0])

    def f(m):
        return np.sum(np.linalg.det(m) * c)

    expected = np.stack([ci * _cofactors(m) for ci, m in zip(c, stack)])
    np.testing.assert_allclose(srcgrad.grad(f)(stack), expected, atol=1e-11)
    np.testing.assert_allclose(srcgrad.hessian(f)(stack), _differenced_hessian(f, stack), atol=1e-5)


def test_third_derivative_of_det_is_refused():
    def cube(t):
        return np.linalg.det(np.array([[t, 1.0], [2.0, t]]) * t)

    with pytest.raises(srcgrad.SrcGradError, match="third derivatives of numpy.linalg.det"):
        srcgrad.grad(srcgrad.grad(srcgrad.grad(cube)))(0.3)
