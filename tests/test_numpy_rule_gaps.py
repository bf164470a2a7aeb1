"""The NumPy rules added for autograd's checklist (issue 14): second derivatives, and
the located errors where a second derivative has no rule.

First derivatives of these rules are checked in both modes by the rule cases
(tests/rule_cases/: ufuncs.py, reductions.py, statistics.py, sampled.py,
manipulation.py); here srcgrad.hessian and hvp run forward mode over the
generated gradient, through the runtime helpers' tangent rules.
"""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian

rng = np.random.default_rng(1406)


def running_extremes(x):
    return np.sum(np.maximum.accumulate(x) ** 2 * np.arange(1.0, 8.0)) \
        + np.sum(np.minimum.accumulate(x * x) * np.sin(x))


def quantiles_in_q_and_data(p):
    q, x = p[:2], p[2:]
    return np.sum(np.quantile(x, q) ** 2) + np.percentile(x * x, 100.0 * q[0]) * np.sum(x)


def nan_reductions_with_keywords(x):
    kept = np.where(x > -1.0, x, np.nan)
    return np.sum(np.nansum(kept * kept, axis=0, where=x < 1.5, dtype=np.float64) ** 2) \
        + np.sum(np.nanmean(kept, axis=1, keepdims=True) ** 3)


def test_running_extreme_hessian():
    x = rng.normal(size=7)
    np.testing.assert_allclose(srcgrad.hessian(running_extremes)(x), differenced_hessian(running_extremes, x),
                               rtol=1e-6, atol=1e-6)


def test_quantile_hessian_in_q_and_data():
    p = np.concatenate([[0.31, 0.68], rng.normal(size=7)])
    np.testing.assert_allclose(srcgrad.hessian(quantiles_in_q_and_data)(p),
                               differenced_hessian(quantiles_in_q_and_data, p), rtol=1e-5, atol=1e-5)


def test_nan_reduction_forms_hessian():
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(srcgrad.hessian(nan_reductions_with_keywords)(x),
                               differenced_hessian(nan_reductions_with_keywords, x), rtol=1e-6, atol=1e-6)


def test_quantile_slope_in_q_is_the_step_between_order_statistics():
    x = np.array([3.0, -1.0, 0.5, 2.0, 7.0])   # sorted: -1, 0.5, 2, 3, 7; index 4 q
    def f(q):
        return np.quantile(x, q)
    assert srcgrad.grad(f)(0.6) == pytest.approx(4 * (3.0 - 2.0))   # index 2.4: between 2 and 3
    assert srcgrad.grad(f)(0.9) == pytest.approx(4 * (7.0 - 3.0))
    def nearest(q):
        return np.quantile(x, q, method="nearest")
    assert srcgrad.grad(nearest)(0.6) == 0.0


def test_interp_derivative_in_the_sample_points():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([1.0, 3.0, 2.0])
    def f(xp):
        return np.interp(1.5, xp, fp)   # segment [1, 3], slope -0.5, x's share of xp[1] 0.75
    np.testing.assert_allclose(srcgrad.grad(f)(xp), [0.0, 0.5 * 0.75, 0.5 * 0.25])


def test_gradient_spacing_derivative():
    f = rng.normal(size=6)
    def g(h):
        return np.sum(np.gradient(f, h) * np.arange(6.0))
    # numpy.gradient(f, h) = numpy.gradient(f) / h
    assert srcgrad.grad(g)(0.5) == pytest.approx(-np.sum(np.gradient(f) * np.arange(6.0)) / 0.25)


def gradient_in_spacing(h, f):
    return np.sum(np.gradient(f, h) ** 2)


def interp_in_points(xp, fp):
    return np.sum(np.interp(np.array([0.3, 1.7]), xp, fp) ** 2)


@pytest.mark.parametrize("fn, args, word", [
    (gradient_in_spacing, (0.7, rng.normal(size=5)), "np.gradient(f, h)"),
    (interp_in_points, (np.array([0.0, 1.0, 2.0]), rng.normal(size=3)), "np.interp("),
], ids=["gradient", "interp"])
def test_second_derivative_in_spacing_or_sample_points_is_a_located_error(fn, args, word):
    srcgrad.check_grads(fn, args, modes=("reverse", "forward"))   # first order holds
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.hessian(fn)(*args)
    message = str(info.value)   # located in the generated gradient, at the user's line
    assert word in message and "hint:" in message and "constant" in message
