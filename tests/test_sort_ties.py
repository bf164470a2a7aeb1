"""numpy.sort and numpy.partition at tied values share the gradient evenly among them;
numpy.interp at an inner sample point takes the mean of the two slopes.

At a two-way tie this is what central differences give; it is the rule of
numpy.max and numpy.median too (docs/reliability.md, "Conventions at kinks").
The expected values are built from the definition: each sorted position's
weight goes to the entries whose value it holds, split evenly.
"""
import numpy as np
import pytest

import srcgrad


def _shared(x, weights, axis):
    """The gradient of sum(sort(x, axis) * weights) under the even-sharing rule."""
    x = np.asarray(x, dtype=float)
    if axis is None:
        return _shared(x.ravel(), weights.ravel(), 0).reshape(x.shape)
    xs, ws = np.moveaxis(x, axis, -1), np.moveaxis(np.broadcast_to(weights, x.shape), axis, -1)
    out = np.zeros_like(xs)
    for index in np.ndindex(*xs.shape[:-1]):
        row, w = xs[index], ws[index]
        ranked = np.sort(row)
        for i, v in enumerate(row):
            out[index + (i,)] = np.mean(w[ranked == v])
    return np.moveaxis(out, -1, axis)


X = np.array([[2.0, 1.0, 2.0, 0.5], [1.0, 1.0, 1.0, 0.0], [3.0, -1.0, 4.0, 3.0]])
C = np.arange(12.0).reshape(3, 4) ** 1.5


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_shares_ties_in_both_modes(axis):
    weights = C if axis is not None else C.ravel()

    def f(x):
        return np.sum(np.sort(x, axis=axis) * weights)

    expected = _shared(X, C if axis is not None else C, axis if axis is not None else None)
    if axis is None:
        expected = _shared(X.ravel(), C.ravel(), 0).reshape(X.shape)
    np.testing.assert_allclose(srcgrad.grad(f)(X), expected)
    direction = np.cos(np.arange(12.0)).reshape(3, 4)
    np.testing.assert_allclose(srcgrad.jvp(f, (X,), (direction,))[1], np.sum(expected * direction))


def test_partition_shares_ties_like_sort():
    x = np.array([2.0, 1.0, 2.0, 3.0, 2.0])

    def kth(x):
        return np.partition(x, 2)[2] * 3.0

    np.testing.assert_allclose(srcgrad.grad(kth)(x), [1.0, 0.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(srcgrad.jvp(kth, (x,), (np.array([1.0, 0, 0, 0, 0]),))[1], 1.0)


def test_a_two_way_tie_matches_central_differences():
    x = np.array([2.0, 1.0, 2.0, 3.0])
    eps = 1e-6
    fd = [(np.sort(x + eps * e)[1] - np.sort(x - eps * e)[1]) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(srcgrad.grad(lambda v: np.sort(v)[1])(x), fd, atol=1e-9)


def test_without_ties_the_gradient_is_the_permutation():
    x = np.array([3.0, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(lambda v: np.sum(np.sort(v) * [1.0, 10.0, 100.0]))(x),
                               [100.0, 1.0, 10.0])


def test_interp_at_an_inner_sample_point_takes_the_mean_slope():
    xp, fp = np.array([0.0, 1.0, 2.5, 4.0]), np.array([1.0, -0.5, 2.0, 0.3])

    def f(q):
        return np.interp(q, xp, fp)

    eps = 1e-6
    for q in (1.0, 2.5, 0.4):
        fd = (f(q + eps) - f(q - eps)) / (2 * eps)
        assert srcgrad.grad(f)(q) == pytest.approx(fd, abs=1e-6)
        assert srcgrad.jvp(f, (q,), (1.0,))[1] == pytest.approx(fd, abs=1e-6)
