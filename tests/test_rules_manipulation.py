"""srcgrad/rules/manipulation.py beyond the rule cases: second derivatives through
its helpers, lists of pieces used as users write them, and the refusals (a complex
input, a spacing computed from an input, nan_to_num writing in place, x.partition)."""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian as _differenced_hessian

rng = np.random.default_rng(14)
W6 = rng.normal(size=6)
W34 = rng.normal(size=(3, 4))


def h_diff(x):
    return np.sum(np.diff(x ** 2, 2, prepend=x[0] * x[1], append=1.0) ** 2 * W6)


def h_gradient(x):
    gy, gx = np.gradient(x * x, 0.5, edge_order=2)
    return np.sum(gy * gx * W34)


def h_kron_cross(x):
    k = np.kron(x[:2], x[1:] ** 2)
    return np.sum(k * W6) + np.sum(np.cross(x[:3], x[1:] ** 2) ** 2)


def h_split_atleast_rollaxis(x):
    a, b = np.split(x, 2)
    p, q = np.atleast_2d(a, b * b)
    r = np.rollaxis(np.reshape(x, (2, 3, 1)), 1)
    return np.sum(p * q * a) + np.sum(r ** 3 * W6.reshape(3, 2, 1))


def h_partition_select(x):
    top = np.partition(x, 3)[3:]
    s = np.select([x > 0.3, x < -0.3], [x ** 2, x ** 3], default=np.sin(x))
    return np.sum(top ** 3) + np.sum(s * x * W6)


def h_logspace_nan_to_num(x):
    z = np.logspace(x[0], x[1], 4, base=x[2] ** 2 + 1.0)
    return np.sum(z * W6[:4]) + np.sum(np.nan_to_num(x) ** 3) * x[3]


def h_real_parts(x):
    parts = x.real * x.conj() * np.imag(x) + np.angle(x) * x ** 2
    return np.sum(np.real(x) ** 3 * np.conj(x)) + np.sum(parts)


CASES = [(h_real_parts, rng.normal(size=4)), (h_diff, rng.normal(size=6)), (h_gradient, rng.normal(size=(3, 4))), (h_kron_cross, rng.normal(size=4)),
         (h_split_atleast_rollaxis, rng.normal(size=6)), (h_partition_select, rng.normal(size=6)),
         (h_logspace_nan_to_num, rng.uniform(0.2, 0.8, size=4))]


@pytest.mark.parametrize("fn, x", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_hessian_matches_differenced_gradient(fn, x):
    expected = _differenced_hessian(fn, x)
    actual = srcgrad.hessian(fn)(x)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(expected))))


def _inner(x):  # hvp: forward mode over the reverse-mode helpers
    return np.sum(np.cross(x, x ** 2 + 1.0) ** 2) + np.sum(np.diff(x) ** 3)


def test_hvp_through_cross_and_diff():
    x, v = rng.normal(size=3), rng.normal(size=3)
    grad = srcgrad.grad(_inner)
    expected = (grad(x + 1e-5 * v) - grad(x - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(srcgrad.hvp(_inner)(x, v), expected, rtol=1e-6, atol=1e-6)


# --- pieces as users use them -----------------------------------------------------------


def test_split_pieces_in_a_loop_and_unused_pieces():
    def f(x):
        total = 0.0
        for k, piece in enumerate(np.array_split(x, 3)):
            total = total + (k + 1.0) * np.sum(piece ** 2)
        first, _, _ = np.split(x[:6], 3)
        return total + np.sum(first * W6[:2])

    x = rng.normal(size=7)
    expected = 2.0 * x * np.repeat([1.0, 2.0, 3.0], [3, 2, 2])
    expected[:2] += W6[:2]
    np.testing.assert_allclose(srcgrad.grad(f)(x), expected)
    srcgrad.check_grads(f, (x,), modes=("reverse", "forward"))


def test_partition_sends_each_gradient_to_the_entry_its_value_came_from():
    x = np.array([3.0, -1.0, 2.0, 2.0, 0.5])

    def f(x):
        return np.sum(np.partition(x, 2) * np.array([1.0, 10.0, 100.0, 1000.0, 10000.0]))

    z = np.partition(x, 2)
    grad = srcgrad.grad(f)(x)
    # each entry of x gets the weight of the position its value went to; the tied
    # values 2.0 share the weights of the positions holding 2.0 evenly
    for i, value in enumerate(x):
        positions = np.flatnonzero(z == value)
        weights = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])[positions]
        assert grad[i] == pytest.approx(np.mean(weights))
    assert np.isclose(np.sum(grad), 11111.0)


def test_imag_and_angle_of_a_real_array_have_zero_derivative():
    def f(x):
        return np.sum(np.imag(x) * x) + np.sum(np.angle(x) * x) + np.sum(x.imag)

    x = np.array([0.5, -2.0, 3.0])
    np.testing.assert_allclose(srcgrad.grad(f)(x), [0.0, np.pi, 0.0])


# --- refusals ---------------------------------------------------------------------------

Z = np.array([1.0 + 2.0j, -0.5 + 0.25j])


def _real(v):
    return np.real(v)


def _imag(v):
    return np.imag(v)


def _conj(v):
    return np.conj(v).real


def _angle(v):
    return np.angle(v)


def _real_attribute(v):
    return v.real


def _imag_attribute(v):
    return v.imag


@pytest.mark.parametrize("take", [_real, _imag, _conj, _angle, _real_attribute, _imag_attribute])
def test_a_complex_input_to_the_real_parts_raises(take):
    def f(x):
        return np.sum(take(x * Z))

    with pytest.raises(srcgrad.SrcGradError, match="of a complex value"):
        srcgrad.grad(f)(np.array([0.3, 0.7]))
    with pytest.raises(srcgrad.SrcGradError, match="of a complex value"):
        srcgrad.jvp(f, (np.array([0.3, 0.7]),), (np.ones(2),))


def test_a_spacing_computed_from_an_input_carries_its_derivative():
    def f(x):
        return np.sum(np.gradient(x, x[0]) * np.array([1.0, 2.0, 3.0]))

    x = np.array([1.5, 2.0, 4.0])
    srcgrad.check_grads(f, (x,), modes=("reverse", "forward"))
    # gradient(x, h) = gradient(x) / h: the spacing's share of the gradient is -f / h
    expected = np.gradient(np.eye(3), axis=1) @ np.array([1.0, 2.0, 3.0]) / x[0]
    expected[0] -= f(x) / x[0]
    np.testing.assert_allclose(srcgrad.grad(f)(x), expected)


def test_nan_to_num_writing_in_place_is_refused():
    def f(x):
        return np.sum(np.nan_to_num(x * 2.0, copy=False))

    with pytest.raises(srcgrad.SrcGradError, match="copy"):
        srcgrad.grad(f)(np.array([1.0, 2.0]))


def test_partition_in_place_is_refused():
    def f(x):
        y = x * 2.0
        y.partition(1)
        return np.sum(y * W6[:3])

    with pytest.raises(srcgrad.SrcGradError, match="partition"):
        srcgrad.grad(f)(np.array([1.0, 3.0, 2.0]))
