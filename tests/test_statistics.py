"""Statistics rules, reduction keywords and ufunc methods beyond the rule-case table:
second derivatives through them, the dtype of a derivative, ties, and the located
errors for positions without a derivative rule (rules/statistics.py, reductions.py,
ufuncs.py)."""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian as _differenced_hessian

rng = np.random.default_rng(14)
W = rng.normal(size=(3, 4))
XP = np.array([-1.0, 0.0, 0.5, 2.0])


# --- second derivatives: forward mode over the reverse-mode code ------------------------


def f_quantile(x):
    return np.sum(np.quantile(x * x, [0.3, 0.8], axis=1) ** 2) + np.median(x) * np.sum(x)


def f_average(x):
    return np.sum(np.average(x, axis=0, weights=x[:, 0] ** 2 + 1.0) ** 3)


TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz  # NumPy 2 / NumPy 1.26


def f_trapezoid(x):
    return np.sum(TRAPEZOID(x ** 2, np.cumsum(np.abs(x[0]) + 1.0)) ** 2) + TRAPEZOID(x[1], dx=x[2, 0] ** 2)


def f_interp(x):
    return np.sum(np.interp(x[0] * 0.5, XP, x[1] ** 2) ** 2)


def f_histogram_density(x):
    density, edges = np.histogram(x ** 2, bins=3, density=True)
    return np.sum(density * W[0, :3]) * np.sum(x) + np.sum(edges ** 2)


def f_convolve(x):
    return np.sum(np.convolve(x[0], x[1] ** 2, "same") ** 2) + np.sum(np.correlate(x[2], x[0]) ** 3)


def f_cov(x):
    return np.sum(np.cov(x) ** 2) + np.sum(np.corrcoef(x) * W[:, :3])


def f_nan(x):
    y = np.where(x > 1.5, np.nan, x)
    return np.nanmean(y ** 2) * np.nanstd(y) + np.nanvar(y, axis=0) @ W[0]


def f_keywords(x):
    mask = W > -0.5
    return np.sum(x, where=mask) * np.var(x, axis=1, where=mask) @ W[:, 0] \
        + np.prod(x, axis=0, initial=1.5, where=mask) @ W[0] + np.std(x, where=mask) ** 2


def f_ufuncs(x):
    return np.sum(np.multiply.outer(x[0], x[1]) ** 2) + np.sum(np.add.reduce(x ** 2, axis=1) ** 2) \
        + np.sum(np.multiply.accumulate(x, axis=1) * W)


CASES = [f_quantile, f_average, f_trapezoid, f_interp, f_histogram_density, f_convolve, f_cov, f_nan,
         f_keywords, f_ufuncs]


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_hessian_matches_differenced_gradient(fn):
    x = rng.normal(size=(3, 4))
    expected = _differenced_hessian(fn, x)
    actual = srcgrad.hessian(fn)(x)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(expected))))


# --- dtype=: the derivative follows the cast ----------------------------------------------


def test_float32_dtype_gives_a_float32_result_and_tangent():
    x = rng.normal(size=(3, 4))

    def f(x):
        return np.sum(x, axis=0, dtype=np.float32)

    value, tangent = srcgrad.jvp(f, (x,), (np.ones_like(x),))
    assert value.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent, np.full(4, 3.0, np.float32))


def test_integer_dtype_truncates_so_the_derivative_is_zero():
    x = np.array([[0.25, 1.5], [2.75, -0.5]])

    def f(x):
        return np.sum(x, dtype=np.int64) + 2.0 * np.mean(x, dtype=np.int64)

    np.testing.assert_array_equal(srcgrad.grad(f)(x), np.zeros((2, 2)))
    np.testing.assert_array_equal(srcgrad.jvp(f, (x,), (np.ones((2, 2)),))[1], 0.0)


# --- ties share evenly (SPEC section 7) ---------------------------------------------------------


def test_median_of_tied_middle_values_shares_the_gradient():
    def f(x):
        return np.median(x)

    np.testing.assert_allclose(srcgrad.grad(f)(np.array([3.0, 1.0, 1.0, 5.0, 1.0])), [0, 1 / 3, 1 / 3, 0, 1 / 3])


def test_initial_that_ties_with_the_maximum_takes_half():
    def f(x):
        return np.max(x, initial=2.0)

    np.testing.assert_allclose(srcgrad.grad(f)(np.array([2.0, -1.0])), [0.5, 0.0])
    np.testing.assert_allclose(srcgrad.grad(lambda s: np.max(np.array([2.0, -1.0]), initial=s))(2.0), 0.5)


def test_masked_entries_get_no_gradient_in_both_modes():
    mask = np.array([True, False, True])

    def f(x):
        return np.sum(x ** 2, where=mask) + np.min(x, where=mask, initial=10.0)

    x = np.array([1.0, -3.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(f)(x), [3.0, 0.0, 4.0])
    np.testing.assert_allclose(srcgrad.jvp(f, (x,), (np.array([0.0, 1.0, 0.0]),))[1], 0.0)


def test_histogram_counts_have_zero_gradient_and_given_edges_too():
    a = np.array([0.1, 0.4, 0.45, 0.9, 0.3])

    def counts(a):
        c, _ = np.histogram(a, bins=3, range=(0.0, 1.0))
        return np.sum(c * np.array([1.0, 2.0, 3.0]))

    def edges(a):
        _, e = np.histogram(a, bins=2)
        return np.sum(e * np.array([1.0, 10.0, 100.0]))

    np.testing.assert_array_equal(srcgrad.grad(counts)(a), np.zeros(5))
    # edges = linspace(min, max, 3): d/dmin = 1 + 5, d/dmax = 5 + 100
    np.testing.assert_allclose(srcgrad.grad(edges)(a), [6.0, 0.0, 0.0, 105.0, 0.0])


# --- located errors: positions with no derivative rule ---------------------------------------------


def bins_active(x):
    c, e = np.histogram(np.array([0.1, 0.2]), bins=x)
    return np.sum(e)


def weights_active(x):
    c, e = np.histogram(np.array([0.1, 0.2, 0.7]), bins=2, weights=x)
    return np.sum(c * 1.0)


def ddof_active(x):
    return np.sum(np.cov(x, ddof=x[0, 0]))


def unknown_mode(x):
    return np.sum(np.convolve(x, x, mode="circular"))


def unknown_keyword(x):
    return np.sum(np.add.reduce(x, out=None, dtype=float))


ERRORS = [(bins_active, "histogram"),
          (weights_active, "histogram"), (ddof_active, "cov"), (unknown_mode, "convolve"),
          (unknown_keyword, "add.reduce")]


@pytest.mark.parametrize("fn, word", ERRORS, ids=[f.__name__ for f, _ in ERRORS])
def test_position_without_a_rule_is_a_located_error(fn, word):
    x = np.array([0.2, 0.5, 0.9])
    if fn is ddof_active:
        x = rng.normal(size=(2, 4))
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(fn)(x)
    message = str(info.value)
    assert "test_statistics.py" in message and word in message


def test_ufunc_method_resolves_through_any_spelling():
    from numpy import add

    def f(x):
        return np.sum(add.outer(x, x) * W[:3, :3]) + add.reduce(x)

    x = rng.normal(size=3)
    srcgrad.check_grads(f, (x,))
    assert "add.outer(" in srcgrad.source(srcgrad.grad(f))


def test_a_keyword_no_form_takes_names_the_fullest_form_in_the_hint():
    def f(x):
        return np.max(x, dtype=float)  # max has no dtype

    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(f)(np.array([1.0, 2.0]))
    assert "'dtype'" in str(info.value) and "initial=None, where=True" in str(info.value)


def test_a_call_without_the_keywords_keeps_the_first_rule():
    def f(x):
        return np.sum(x) + np.sum(x, where=x > 0.0)

    text = srcgrad.source(srcgrad.grad(f))
    assert text.count("np.where(") == 1  # only the where= call's adjoint masks
    np.testing.assert_allclose(srcgrad.grad(f)(np.array([-1.0, 2.0])), [1.0, 2.0])
