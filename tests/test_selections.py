"""NaN or inf in what a selection leaves out never reaches the gradient through a product.

`np.where(d > 0, np.sqrt(d) * w, w)` with some `d < 0`: the unselected branch
holds NaN, its adjoint is 0 there, and the product's adjoint `0 * sqrt(d)`
must stay 0. Each case is checked in both modes against central differences
(taken where the function is smooth), and the optimised build against the
plain lowering, which keeps every guard (optimize/selections.py).
"""
import numpy as np
import pytest

import srcgrad
from srcgrad.options import unoptimized


D = np.array([-1.0, 4.0, 0.0, 9.0])
W = np.array([3.0, 2.0, -1.0, 0.5])
P = np.array([-0.5, 0.5, 0.25, -1.0])  # log of the negative entries is NaN


def where_sqrt(d, w):
    return np.sum(np.where(d > 0, np.sqrt(d) * w, w))


def entropy(p):
    return -np.sum(np.where(p > 0, p * np.log(p), 0.0))


def indexed(d, w):
    z = np.sqrt(d) * w
    return z[1] + 2.0 * z[3]


def loop_with_unused_branch(d, w):
    s = 0.0
    for i in range(3):
        t = np.log(d) * w
        if i == 1:
            s = s + np.sum(w * w)
        else:
            s = s + np.sum(t[1:2])
    return s


def fmax_of_nan(d, w):
    return np.sum(np.fmax(np.sqrt(d) * w, w))


CASES = [
    (where_sqrt, (D, W), 1),
    (entropy, (P,), 0),
    (indexed, (D, W), 1),
    (loop_with_unused_branch, (np.array([-1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])), 1),
    (fmax_of_nan, (D, W), 1),
]
IDS = [c[0].__name__ for c in CASES]


def _finite_differences(fn, args, wrt, eps=1e-6):
    """Central differences in each entry of args[wrt], where the function is smooth."""
    x = np.array(args[wrt], dtype=float)
    out = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        up = fn(*args[:wrt], x + step, *args[wrt + 1:])
        down = fn(*args[:wrt], x - step, *args[wrt + 1:])
        out.flat[i] = (up - down) / (2 * eps)
    return out


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_reverse_mode_is_finite_and_right(fn, args, wrt):
    with np.errstate(all="ignore"):
        got = srcgrad.grad(fn, wrt=wrt)(*args)
        expected = _finite_differences(fn, args, wrt)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_forward_mode_agrees(fn, args, wrt):
    with np.errstate(all="ignore"):
        x = np.asarray(args[wrt], dtype=float)
        columns = []
        for i in range(x.size):
            tangent = np.zeros_like(x)
            tangent.flat[i] = 1.0
            primals = args[:wrt] + (x,) + args[wrt + 1:]
            tangents = tuple(np.zeros_like(np.asarray(a, dtype=float)) for a in args[:wrt]) + (tangent,) \
                + tuple(np.zeros_like(np.asarray(a, dtype=float)) for a in args[wrt + 1:])
            columns.append(srcgrad.jvp(fn, primals, tangents)[1])
        expected = _finite_differences(fn, args, wrt)
    np.testing.assert_allclose(columns, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_optimised_build_agrees_with_the_plain_lowering(fn, args, wrt):
    with np.errstate(all="ignore"):
        optimised = srcgrad.grad(fn, wrt=wrt)(*args)
        with unoptimized():
            plain = srcgrad.grad(fn, wrt=wrt)(*args)
    np.testing.assert_array_equal(optimised, plain)


def test_a_one_hot_cotangent_selects_rows_of_a_jacobian():
    d = np.array([-1.0, 4.0])
    with np.errstate(all="ignore"):
        jac = srcgrad.jacobian(lambda w: np.sqrt(d) * w)(np.ones(2))
    assert np.isnan(jac[0, 0])  # the value itself is NaN there
    np.testing.assert_array_equal(jac[1], [0.0, 2.0])
    assert jac[0, 1] == 0.0


def test_products_without_a_selection_stay_plain():
    def f(x, y):
        return np.sum(x * y * np.sin(x))

    df = srcgrad.grad(f, wrt=(0, 1))
    df(np.ones(3), np.ones(3))
    text = srcgrad.source(df)
    assert "selected_product" not in text and "nan_safe" not in text


def test_a_product_behind_a_selection_keeps_its_guard():
    df = srcgrad.grad(entropy)
    with np.errstate(all="ignore"):
        df(P)
    assert "selected_product(" in srcgrad.source(df, nan_safe=True)  # in the NaN-safe twin


def test_a_product_with_a_number_written_in_the_code_is_plain():
    def f(x):
        s = 0.0
        for i in range(3):
            s = s + np.sum(np.where(x > 0, x, 0.0)) * 100.0
        return s

    df = srcgrad.grad(f)
    np.testing.assert_allclose(df(np.array([1.0, -1.0])), [300.0, 0.0])
    assert "selected_product(" not in srcgrad.source(df)


def test_entropy_at_zero_takes_the_selected_branch():
    with np.errstate(all="ignore"):
        got = srcgrad.grad(entropy)(np.array([0.0, 0.5]))
    np.testing.assert_allclose(got, [0.0, -(np.log(0.5) + 1.0)])


def test_a_matrix_product_behind_a_selection_is_a_documented_gap():
    """Missing rows masked after `X @ W`: the matrix product's adjoint is not guarded
    (docs/reliability.md says so and gives the idiom); masking X first is exact."""
    X = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 1.0]])
    keep = ~np.isnan(X).any(axis=1)

    def masked_first(W):
        return np.sum(np.where(keep, np.where(keep[:, None], X, 0.0) @ W, 0.0))

    np.testing.assert_allclose(srcgrad.grad(masked_first)(np.array([0.5, -1.0])), [4.0, 3.0])
