"""Loops that read and write arrays: adjoints added into in place (optimize/inplace.py).

Values against central differences in float64 in reverse mode, vjp and
forward over reverse (hvp, hessian); the caller's arrays and a vjp cotangent
unchanged; and the spring's generated source, which must add in place rather
than rebuild its adjoint every iteration (a structural check; no timing).
"""
import numpy as np
import pytest

import srcgrad
from golden.functions import spring  # the damped spring filled in place


def spring_of(p):
    dt = 0.01
    xs = np.zeros(41)
    vs = np.zeros(41)
    xs[0] = 1.0
    for i in range(40):
        a = -p[0] * xs[i] - p[1] * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2)


def slices(x):
    ys = np.zeros(6)
    for i in range(4):
        ys[i:i + 2] = ys[i:i + 2] + x[i:i + 2] * np.sin(x[i + 1])
    return np.sum(ys ** 2)


def masks(x):
    total = 0.0
    for i in range(3):
        m = x > 0.1 * i
        total = total + np.sum(np.sin(x[m]) * (i + 1))
    return total


REPEATS = np.array([0, 2, 2, 4, 0])


def fancy(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[REPEATS] ** 2 * (i + 1.0))
    return total


def fancy_writes(x):
    ys = x * 1.0
    for i in range(2):
        ys[REPEATS] = ys[REPEATS] * np.cos(ys[REPEATS])
    return np.sum(ys * np.arange(5.0))


def rows(X):
    total = 0.0
    for i in range(X.shape[0]):
        total = total + np.sum(np.tanh(X[i]) * (i + 1.0))
    return total


def aliasing(x):
    ys = x
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * ys[i] + np.sin(ys[i])
    return total


def whole_read(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * np.sum(x)
    return total


def whole_read_written(x):
    ys = x * 1.0
    for i in range(x.shape[0] - 1):
        ys[i + 1] = ys[i] * np.sum(ys) * 0.1 + ys[i + 1]
    return np.sum(ys ** 2)


def int_array(x):
    counts = np.arange(5)  # an int array, read entry by entry beside x
    total = 0.0
    for i in range(5):
        total = total + x[i] * counts[i] + x[i] ** 2
    return total


def recurrence(x):
    ys = np.zeros(6)
    ys[0] = x[0]
    for i in range(5):
        ys[i + 1] = np.sin(ys[i]) * x[i] + ys[i] ** 2
    return np.sum(ys * np.arange(6.0))


def filled(x):
    ys = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        ys[i] = np.sin(x[i]) * x[i - 1]
    return ys


CASES = [slices, masks, fancy, fancy_writes, rows, aliasing, whole_read, whole_read_written, int_array,
         recurrence]


def _point(fn):
    rng = np.random.default_rng(7)
    return rng.normal(size=(3, 4)) if fn is rows else rng.normal(size=6 if fn is slices else 5)


def _fd_grad(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = eps
        g.flat[j] = (fn(x + e) - fn(x - e)) / (2 * eps)
    return g


def _fd_hessian(fn, x, eps=1e-4):
    grad = srcgrad.grad(fn)
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = eps
        columns.append(((grad(x + e) - grad(x - e)) / (2 * eps)).ravel())
    return np.stack(columns, axis=1)


def test_spring_gradient_against_central_differences():
    eps = 1e-6
    dk, dc = srcgrad.grad(spring, wrt=(0, 1))(1.0, 0.1, 300)
    assert dk == pytest.approx((spring(1.0 + eps, 0.1, 300) - spring(1.0 - eps, 0.1, 300)) / (2 * eps), rel=1e-6)
    assert dc == pytest.approx((spring(1.0, 0.1 + eps, 300) - spring(1.0, 0.1 - eps, 300)) / (2 * eps), rel=1e-6)


def test_spring_source_adds_in_place():
    grad = srcgrad.grad(spring, wrt=(0, 1))
    grad(1.0, 0.1, 5)
    source = srcgrad.source(grad)
    backward = source[source.index("for i in range(n - 1, -1, -1):"):]
    assert "unindex" not in backward and "zero_at" not in backward
    assert "dxs[i] += " in backward and "dvs[i] += " in backward
    # one buffer: `dxs = 2.0 * xs` is a new float array already, so no copy before the loop
    assert "dxs = 2.0 * xs" in source and "owned_adjoint" not in source
    # entries of the arrays are numbers: no shapes taped, no unbroadcast in the loop
    assert "shape_of" not in source and "unbroadcast_to" not in source
    assert "written_adjoint" not in source


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_gradients_against_central_differences(fn):
    x = _point(fn)
    before = x.copy()
    got = srcgrad.grad(fn)(x)
    np.testing.assert_array_equal(x, before)  # the caller's array is not written
    np.testing.assert_allclose(got, _fd_grad(fn, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_vjp_against_grad(fn):
    x = _point(fn)
    value, pullback = srcgrad.vjp(fn, x)
    assert value == pytest.approx(fn(x))
    np.testing.assert_allclose(pullback(1.0), srcgrad.grad(fn)(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", [spring_of] + CASES, ids=lambda f: f.__name__)
def test_forward_over_reverse_against_central_differences(fn):
    x = np.array([1.0, 0.1]) if fn is spring_of else _point(fn)
    expected = _fd_hessian(fn, x)
    hessian = np.asarray(srcgrad.hessian(fn)(x)).reshape(x.size, x.size)
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-6)
    v = np.random.default_rng(3).normal(size=x.shape)
    np.testing.assert_allclose(np.ravel(srcgrad.hvp(fn)(x, v)), expected @ v.ravel(), rtol=1e-5, atol=1e-6)


def test_vjp_cotangent_and_argument_unchanged():
    """The seed of the backward loop is the caller's cotangent: copied, never written."""
    x = np.array([0.3, -1.2, 0.8, 1.5])
    ct = np.array([1.0, -2.0, 0.5, 3.0])
    x0, ct0 = x.copy(), ct.copy()
    value, pullback = srcgrad.vjp(filled, x)
    got = pullback(ct)
    np.testing.assert_array_equal(ct, ct0)
    np.testing.assert_array_equal(x, x0)
    eps = 1e-6
    expected = [(np.dot(filled(x + e), ct) - np.dot(filled(x - e), ct)) / (2 * eps) for e in np.eye(4) * eps]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(pullback(ct), got)  # a second pullback: the same


def test_complex_entries_are_refused_with_a_location():
    """srcgrad differentiates real numbers only: a complex buffer in the loop is refused."""
    with pytest.raises(srcgrad.SrcGradError, match="complex"):
        srcgrad.grad(_complex_loss)(np.array([0.4, -0.7, 1.1]))


def _complex_loss(x):
    zs = np.zeros(3, dtype=complex)
    for i in range(3):
        zs[i] = x[i] * (1.0 + 2.0j) + x[i - 1]
    return np.sum(np.abs(zs) ** 2)


def test_container_adjoints_keep_working():
    def loss(x):
        parts = [x[0], x[1], x[2]]
        total = 0.0
        for i in range(3):
            total = total + parts[i] * parts[i - 1]
        return total

    x = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(srcgrad.grad(loss)(x), _fd_grad(loss, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", [fancy, masks, slices], ids=lambda f: f.__name__)
def test_transforms_of_the_gradient(fn):
    """jacobian and vjp of a gradient whose loop adds into its adjoint in place."""
    x = _point(fn)
    expected = _fd_hessian(fn, x)
    np.testing.assert_allclose(np.asarray(srcgrad.jacobian(srcgrad.grad(fn))(x)).reshape(x.size, x.size),
                               expected, rtol=1e-5, atol=1e-6)
    ct = np.random.default_rng(5).normal(size=x.shape)
    np.testing.assert_allclose(np.ravel(srcgrad.vjp(srcgrad.grad(fn), x)[1](ct)), ct.ravel() @ expected,
                               rtol=1e-5, atol=1e-6)
