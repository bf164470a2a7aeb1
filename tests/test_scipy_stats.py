"""scipy.stats distributions beyond the rule cases: how calls are spelled and
resolved, second derivatives, and the derivatives with no closed form, which
are located errors, never zeros. (First derivatives of every rule are checked
against central differences in test_rules.py, from tests/rule_cases/scipy_stats.py.)
"""
import numpy as np
import pytest

pytest.importorskip("scipy")  # SciPy is in the test extra; without it these rules do not exist

import scipy.stats  # noqa: E402
import scipy.stats as st  # noqa: E402
from scipy.stats import multivariate_normal, norm  # noqa: E402

import srcgrad  # noqa: E402
from differences import differenced_hessian as _differenced_hessian  # noqa: E402

rng = np.random.default_rng(11)
X = rng.normal(size=5)


def _norm_by_module(m, s):
    return np.sum(scipy.stats.norm.logpdf(X, m, s))


def _norm_by_alias(m, s):
    return np.sum(st.norm.logpdf(X, loc=m, scale=s))


def _norm_by_name(m, s):
    return np.sum(norm.logpdf(X, scale=s, loc=m))


@pytest.mark.parametrize("fn", [_norm_by_module, _norm_by_alias, _norm_by_name])
def test_each_spelling_of_a_call_finds_the_rule(fn):
    m, s = 0.3, 1.7
    u = (X - m) / s
    dm, ds = srcgrad.grad(fn, wrt=("m", "s"))(m, s)
    assert dm == pytest.approx(np.sum(u) / s, rel=1e-12)
    assert ds == pytest.approx(np.sum(u * u - 1.0) / s, rel=1e-12)
    value, tangent = srcgrad.jvp(fn, (m, s), (1.0, 0.5))
    assert value == pytest.approx(np.sum(norm.logpdf(X, m, s)), rel=1e-12)
    assert tangent == pytest.approx(dm + 0.5 * ds, rel=1e-12)


def test_hessian_of_norm_logpdf_in_loc_and_scale():
    def f(p):
        return np.sum(norm.logpdf(X, loc=p[0], scale=p[1]))

    m, s = 0.3, 1.7
    u = (X - m) / s
    expected = np.array([[-len(X) / s ** 2, -2.0 * np.sum(u) / s ** 2],
                         [-2.0 * np.sum(u) / s ** 2, (len(X) - 3.0 * np.sum(u * u)) / s ** 2]])
    np.testing.assert_allclose(srcgrad.hessian(f)(np.array([m, s])), expected, rtol=1e-10)


def test_hessian_of_multivariate_normal_logpdf_in_the_mean():
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + 3.0 * np.eye(3)
    points = rng.normal(size=(6, 3))

    def f(mean):
        return np.sum(multivariate_normal.logpdf(points, mean, cov))

    expected = -len(points) * np.linalg.inv(cov)
    np.testing.assert_allclose(srcgrad.hessian(f)(rng.normal(size=3)), expected, rtol=1e-10, atol=1e-12)


def _t(p):
    return np.sum(st.t.logpdf(X, p[0], p[1], p[2]) + st.t.logcdf(X, 4.0, p[1], p[2]))


def _gamma(p):
    return np.sum(st.gamma.pdf(np.abs(X) + 0.5, p[0], 0.1, p[1]) + st.gamma.sf(np.abs(X) + 0.5, 2.0, p[2]))


def _beta(p):
    return np.sum(st.beta.logpdf([0.2, 0.5, 0.7], p[0], p[1]) + st.beta.cdf(0.4, 2.0, 3.0, scale=p[2]))


def _poisson_chi2(p):
    k = np.array([0.0, 1.0, 4.0])
    return np.sum(st.poisson.logpmf(k, p[0]) + st.poisson.cdf(k, p[1]) + st.chi2.logpdf(p[2], 3.0))


def _dirichlet(p):
    return st.dirichlet.logpdf(np.array([0.2, 0.5]), p) + st.dirichlet.pdf(np.array([0.3, 0.3, 0.4]), p)


def _mvn_cov(p):
    cov = np.diag(p) + 0.3
    return np.sum(multivariate_normal.logpdf(np.reshape(X[:3], (1, 3)) * [1.0, 2.0, 0.5], cov=cov)
                  + multivariate_normal.entropy(cov=cov))


@pytest.mark.parametrize("fn, p", [(_t, np.array([3.5, 0.2, 1.3])), (_gamma, np.array([2.5, 1.2, 0.8])),
                                   (_beta, np.array([2.5, 1.5, 1.3])), (_poisson_chi2, np.array([2.0, 3.0, 1.5])),
                                   (_dirichlet, np.array([1.5, 2.0, 3.0])), (_mvn_cov, np.array([1.0, 2.0, 1.5]))],
                         ids=["t", "gamma", "beta", "poisson-chi2", "dirichlet", "mvn-cov"])
def test_hessian_matches_differenced_gradient(fn, p):
    expected = _differenced_hessian(fn, p)
    np.testing.assert_allclose(srcgrad.hessian(fn)(p), expected, rtol=1e-5,
                               atol=1e-6 * max(1.0, np.max(np.abs(expected))))


# --- no closed form: a located error naming the function and the parameter -------------


def _t_cdf(x, df):
    return np.sum(st.t.cdf(x, df))


def _gamma_logcdf(x, a):
    return np.sum(st.gamma.logcdf(x, a=a))


def _beta_sf(x, b):
    return np.sum(st.beta.sf(x, 2.0, b))


def _chi2_cdf(x, df):
    return np.sum(st.chi2.cdf(x, df * 2.0))


@pytest.mark.parametrize("fn, function, param", [(_t_cdf, "scipy.stats.t.cdf", "df"),
                                                 (_gamma_logcdf, "scipy.stats.gamma.logcdf", "a"),
                                                 (_beta_sf, "scipy.stats.beta.sf", "b"),
                                                 (_chi2_cdf, "scipy.stats.chi2.cdf", "df")])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_shape_parameter_without_a_closed_form_is_a_located_error(fn, function, param, mode):
    x, shape = np.array([0.3, 0.6]), 2.5
    if mode == "reverse":
        call = lambda: srcgrad.grad(fn, wrt=1)(x, shape)  # noqa: E731
    else:
        call = lambda: srcgrad.jvp(fn, (x, shape), (None, 1.0))  # noqa: E731
    with pytest.raises(srcgrad.SrcGradError) as info:
        call()
    message = str(info.value)
    assert f"{function}'s '{param}'" in message and "test_scipy_stats.py" in message
    assert "no closed-form derivative" in message
    # in x alone it is differentiable: the density
    expected = getattr(st, function.split(".")[2]).pdf(x, *([shape] if param != "b" else [2.0, shape]))
    if fn is _chi2_cdf:
        expected = st.chi2.pdf(x, 2 * shape)
    if fn is _gamma_logcdf:
        expected = expected / st.gamma.cdf(x, shape)
    if fn is _beta_sf:
        expected = -expected
    np.testing.assert_allclose(srcgrad.grad(fn)(x, shape), expected, rtol=1e-10)


def test_multivariate_normal_cdf_is_a_located_error_only_where_its_derivative_is_needed():
    def f(x):
        return np.sum(multivariate_normal.cdf(x, np.zeros(2))) * np.sum(x)

    def g(x):
        return multivariate_normal.cdf(np.array([0.1, 0.2]), np.zeros(2)) * np.sum(x * x)

    with pytest.raises(srcgrad.SrcGradError, match=r"multivariate_normal\.cdf\(\.\.\.\) has no derivative rule"):
        srcgrad.grad(f)(np.array([0.1, 0.2]))
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(srcgrad.grad(g)(x), 2.0 * x * multivariate_normal.cdf([0.1, 0.2], np.zeros(2)),
                               rtol=1e-3)  # the cdf is a randomized integral: a few digits


def test_a_singular_covariance_has_no_derivative_in_cov():
    cov = np.diag([1.0, 0.0])

    def f(c):
        return multivariate_normal.logpdf(np.array([0.5, 0.0]), np.zeros(2), c, allow_singular=True)

    with pytest.raises(ValueError, match="singular covariance has no derivative in cov"):
        srcgrad.grad(f)(cov)


def test_unbroadcast_x_against_vector_parameters_both_modes():
    mu, sigma = np.array([0.0, 1.0, -1.0]), np.array([1.0, 2.0, 0.5])

    def f(x, m, s):
        return np.sum(norm.cdf(x, m, s) * np.array([1.0, 2.0, 3.0]))

    dx, dm, ds = srcgrad.grad(f, wrt=(0, 1, 2))(0.4, mu, sigma)
    pdf = norm.pdf(0.4, mu, sigma) * np.array([1.0, 2.0, 3.0])
    assert dx == pytest.approx(np.sum(pdf), rel=1e-12)
    np.testing.assert_allclose(dm, -pdf, rtol=1e-12)
    np.testing.assert_allclose(ds, -pdf * (0.4 - mu) / sigma, rtol=1e-12)


# --- the resolver: a method of a global object, keyed by its bound method -------------


class _Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        return self.k * np.sin(x)


SCALER = _Scaler(3.0)


def test_a_user_rule_keyed_by_a_bound_method_of_a_global_object():
    calls = []

    @srcgrad.defvjp(SCALER.apply)
    def apply_vjp(g, ans, x):
        calls.append(1)
        return (g * 3.0 * np.cos(x),)

    def f(x):
        return np.sum(SCALER.apply(x) * np.array([1.0, -2.0]))

    x = np.array([0.3, 1.1])
    np.testing.assert_allclose(srcgrad.grad(f)(x), 3.0 * np.cos(x) * np.array([1.0, -2.0]), rtol=1e-12)
    assert calls


def test_an_instance_attribute_shadowing_a_method_is_not_the_method():
    shadowed = _Scaler(2.0)
    shadowed.logpdf = norm.logpdf  # the object's own attribute, not a method of its class
    assert srcgrad.analysis.statics.ruled_method(shadowed, "apply") is None  # no rule for it
    assert srcgrad.analysis.statics.ruled_method(norm, "logpdf") == norm.logpdf
    assert srcgrad.analysis.statics.ruled_method(shadowed, "logpdf") is None


def test_list_arguments_are_read_as_arrays():
    def f(x):
        return np.sum(st.t.logpdf(x, [3.0, 4.0], scale=[1.0, 2.0]) + st.beta.logpdf([0.2, 0.5], 2.0, x + 1.5))

    x = np.array([0.3, -0.4])
    u = x / np.array([1.0, 2.0])
    df = np.array([3.0, 4.0])
    expected = -(df + 1.0) * u / (df + u * u) / np.array([1.0, 2.0]) \
        + np.log1p(-np.array([0.2, 0.5])) + scipy.special.psi(x + 3.5) - scipy.special.psi(x + 1.5)
    np.testing.assert_allclose(srcgrad.grad(f)(x), expected, rtol=1e-10)
    _, tangent = srcgrad.jvp(f, (x,), (np.array([1.0, 0.0]),))
    assert tangent == pytest.approx(expected[0], rel=1e-10)


def _exportable(mean, cov):
    points = np.array([[0.1, 0.2], [0.3, -0.4]])
    return np.sum(scipy.stats.multivariate_normal.logpdf(points, mean, cov)
                  + scipy.stats.norm.logcdf(points, mean, 2.0)) + scipy.stats.dirichlet.logpdf([0.4], cov[0] + 1.0)


def test_an_exported_derivative_carries_the_helpers_it_calls():
    from srcgrad.export import export_source

    args = (np.array([0.2, -0.1]), np.array([[2.0, 0.3], [0.3, 1.0]]))
    scope: dict = {}
    exec(compile(export_source(_exportable, wrt=("mean", "cov")), "<exported>", "exec"), scope)  # noqa: S102
    exported = next(v for k, v in scope.items() if k.startswith("grad_"))
    for got, expected in zip(exported(*args), srcgrad.grad(_exportable, wrt=(0, 1))(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def _t_in_df(x, df):
    return np.sum(st.t.logpdf(x, df))


def test_a_tangent_computes_no_local_that_only_inactive_inputs_read():
    # the score in u (read by the lines of x, loc and scale) is not computed for df alone
    text = srcgrad.source(_t_in_df, mode="forward", wrt="df")
    assert "-(df + 1.0)" not in text and "df_dot * (0.5 * (scipy.special.psi(" in text
    both = srcgrad.source(_t_in_df, mode="forward", wrt=("x", "df"))
    assert "-(df + 1.0)" in both


# --- quantiles (ppf, isf) and frozen distributions ---------------------------------------


def _t_ppf_in_df(q, df):
    return np.sum(st.t.ppf(q, df * 1.0))


def test_a_quantile_in_a_shape_parameter_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(_t_ppf_in_df, wrt=1)(np.array([0.3, 0.6]), 3.0)
    message = str(info.value)
    assert "scipy.stats.t.ppf's 'df'" in message and "test_scipy_stats.py" in message
    assert "no closed-form derivative" in message


def _norm_quantile_round_trip(q, loc, scale):
    return np.sum(st.norm.cdf(st.norm.ppf(q, loc, scale), loc, scale) ** 2)


def test_ppf_undoes_cdf_to_second_order():
    # cdf(ppf(q)) = q: the gradient is 2 q, the Hessian 2 I, whatever loc and scale are
    q = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(srcgrad.grad(_norm_quantile_round_trip)(q, 0.3, 1.7), 2.0 * q, rtol=1e-10)
    np.testing.assert_allclose(srcgrad.hessian(_norm_quantile_round_trip)(q, 0.3, 1.7), 2.0 * np.eye(3),
                               rtol=1e-8, atol=1e-10)
    assert srcgrad.grad(_norm_quantile_round_trip, wrt=(1, 2))(q, 0.3, 1.7) == pytest.approx((0.0, 0.0), abs=1e-12)


def _frozen_in_loc(x, loc):
    frozen = st.norm(loc, 2.0)
    return np.sum(frozen.logpdf(x))


def _frozen_in_x(x, loc):
    frozen = st.norm(0.5, 2.0)
    return np.sum(frozen.logpdf(x))


@pytest.mark.parametrize("fn, wrt", [(_frozen_in_loc, 1), (_frozen_in_x, 0)])
def test_a_frozen_distribution_is_refused_with_the_call_to_write(fn, wrt):
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(fn, wrt=wrt)(np.array([0.1, 0.4]), 0.5)
    message = str(info.value)
    assert "frozen.logpdf(x)" in message and "test_scipy_stats.py" in message
    assert "scipy.stats.norm.logpdf(x, loc, scale)" in message


def test_a_frozen_distribution_of_constants_is_fine_outside_the_derivative():
    def scaled(x):
        frozen = st.norm(0.0, 2.0)
        return np.sum(x * x) * frozen.std()
    np.testing.assert_allclose(srcgrad.grad(scaled)(np.array([1.0, 2.0])), [4.0, 8.0])
