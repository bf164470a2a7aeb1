"""Cases for srcgrad/rules/scipy_stats.py (SciPy is in the `test` extra).

Every distribution method in x and in its parameters, with a vector x and
number parameters, vector parameters, broadcasting ((4, 3) against (1, 3)
and (4, 1)), a number x against vector parameters, and keyword calls. The
points stay inside each support (beta's u in (0, 1), gamma's and chi2's
u > 0). Without SciPy neither the rules nor these cases exist: this module
then raises ModuleNotFoundError naming itself, which rule_cases skips.
"""
import numpy as np

try:
    from scipy import stats
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, P, R, U, case, zero_case
from srcgrad import runtime as rt

FWD = ("forward",)


def _variants(x, *params, shapes=((4,), (4, 3), ())):
    """(x, *params, c) tuples: x of each shape in `shapes` against number parameters,
    then vector parameters, then broadcasting ones, then a number x against vectors.
    Each of x and params is a sampler taking a shape."""
    return [
        (x(4), *[p() for p in params], C(4)),
        (x(4), *[p(4) for p in params], C(4)),
        (x(4, 3), *[p(1, 3) if i % 2 else p(4, 1) for i, p in enumerate(params)], C(4, 3)),
        (x(), *[p(3) for p in params], C(3)),
    ]


def _shift(*shape):
    return U(*shape, low=-0.3, high=0.3)


def _scale(*shape):
    return P(*shape, low=0.7, high=1.6)


def _df(*shape):
    return P(*shape, low=1.5, high=6.0)


def _positive(*shape):
    return P(*shape, low=0.8, high=3.0)


def _shape(*shape):
    return P(*shape, low=1.3, high=3.0)


def _unit(*shape):
    return U(*shape, low=0.25, high=0.75)


def _small_shift(*shape):
    return U(*shape, low=-0.1, high=0.1)


def _beta_scale(*shape):
    return P(*shape, low=1.0, high=1.2)


NORM = _variants(R, R, _scale)
T = _variants(R, _df, R, _scale)
GAMMA = _variants(_positive, _shape, _shift, _scale)
BETA = _variants(_unit, _shape, _shape, _small_shift, _beta_scale)
CHI2 = _variants(_positive, _df, _shift, _scale)


# --- norm -------------------------------------------------------------------------


@case(stats.norm.logpdf, variants=NORM, wrt=(0, 1, 2))
def norm_logpdf_case(x, loc, scale, c):
    return np.sum(stats.norm.logpdf(x, loc, scale) * c)


@case(stats.norm.pdf, variants=NORM, wrt=(0, 1, 2))
def norm_pdf_case(x, loc, scale, c):
    return np.sum(stats.norm.pdf(x, loc, scale) * c)


@case(stats.norm.cdf, variants=NORM + [(R(4) * 6.0, R(), _scale(), C(4))], wrt=(0, 1, 2))
def norm_cdf_case(x, loc, scale, c):
    return np.sum(stats.norm.cdf(x, loc, scale) * c)


@case(stats.norm.logcdf, variants=NORM + [(R(4) * 6.0, R(), _scale(), C(4))], wrt=(0, 1, 2))
def norm_logcdf_case(x, loc, scale, c):
    return np.sum(stats.norm.logcdf(x, loc, scale) * c)


@case(stats.norm.sf, variants=NORM, wrt=(0, 1, 2))
def norm_sf_case(x, loc, scale, c):
    return np.sum(stats.norm.sf(x, loc, scale) * c)


@case(stats.norm.logsf, variants=NORM + [(R(4) * 6.0, R(), _scale(), C(4))], wrt=(0, 1, 2))
def norm_logsf_case(x, loc, scale, c):
    return np.sum(stats.norm.logsf(x, loc, scale) * c)


@case(stats.norm.logpdf, stats.norm.cdf, variants=NORM, wrt=(0, 1, 2))
def norm_keywords_case(x, loc, scale, c):
    return np.sum((stats.norm.logpdf(x, loc=loc, scale=scale) + stats.norm.cdf(x, scale=scale, loc=loc)) * c)


@case(stats.norm.logpdf, stats.norm.sf, variants=[(R(4), C(4)), (R(2, 3), C(2, 3))])
def norm_standard_case(x, c):
    return np.sum((stats.norm.logpdf(x) + stats.norm.sf(x=x)) * c)


# --- t ----------------------------------------------------------------------------


@case(stats.t.logpdf, variants=T, wrt=(0, 1, 2, 3))
def t_logpdf_case(x, df, loc, scale, c):
    return np.sum(stats.t.logpdf(x, df, loc, scale) * c)


@case(stats.t.pdf, variants=T, wrt=(0, 1, 2, 3))
def t_pdf_case(x, df, loc, scale, c):
    return np.sum(stats.t.pdf(x, df, loc, scale) * c)


@case(stats.t.cdf, variants=T, wrt=(0, 2, 3))
def t_cdf_case(x, df, loc, scale, c):
    return np.sum(stats.t.cdf(x, df, loc, scale) * c)


@case(stats.t.logcdf, variants=T, wrt=(0, 2, 3))
def t_logcdf_case(x, df, loc, scale, c):
    return np.sum(stats.t.logcdf(x, df, loc, scale) * c)


@case(stats.t.sf, variants=T, wrt=(0, 2, 3))
def t_sf_case(x, df, loc, scale, c):
    return np.sum(stats.t.sf(x, df, loc, scale) * c)


@case(stats.t.logsf, variants=T, wrt=(0, 2, 3))
def t_logsf_case(x, df, loc, scale, c):
    return np.sum(stats.t.logsf(x, df, loc, scale) * c)


@case(stats.t.logpdf, stats.t.cdf, variants=T, wrt=(0, 2, 3))
def t_keywords_case(x, df, loc, scale, c):
    return np.sum((stats.t.logpdf(x, df=df, loc=loc, scale=scale) + stats.t.cdf(x, df, scale=scale)) * c)


# --- gamma ------------------------------------------------------------------------


@case(stats.gamma.logpdf, variants=GAMMA, wrt=(0, 1, 2, 3))
def gamma_logpdf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.logpdf(x, a, loc, scale) * c)


@case(stats.gamma.pdf, variants=GAMMA, wrt=(0, 1, 2, 3))
def gamma_pdf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.pdf(x, a, loc, scale) * c)


@case(stats.gamma.cdf, variants=GAMMA, wrt=(0, 2, 3))
def gamma_cdf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.cdf(x, a, loc, scale) * c)


@case(stats.gamma.logcdf, variants=GAMMA, wrt=(0, 2, 3))
def gamma_logcdf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.logcdf(x, a, loc, scale) * c)


@case(stats.gamma.sf, variants=GAMMA, wrt=(0, 2, 3))
def gamma_sf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.sf(x, a, loc, scale) * c)


@case(stats.gamma.logsf, variants=GAMMA, wrt=(0, 2, 3))
def gamma_logsf_case(x, a, loc, scale, c):
    return np.sum(stats.gamma.logsf(x, a, loc, scale) * c)


@case(stats.gamma.pdf, variants=[(_positive(4), _shape(), _scale(), C(4))], wrt=(0, 1, 2))
def gamma_keywords_case(x, a, scale, c):
    return np.sum(stats.gamma.pdf(x, a=a, scale=scale) * c)


# --- beta -------------------------------------------------------------------------


@case(stats.beta.logpdf, variants=BETA, wrt=(0, 1, 2, 3, 4))
def beta_logpdf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.logpdf(x, a, b, loc, scale) * c)


@case(stats.beta.pdf, variants=BETA, wrt=(0, 1, 2, 3, 4))
def beta_pdf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.pdf(x, a, b, loc, scale) * c)


@case(stats.beta.cdf, variants=BETA, wrt=(0, 3, 4))
def beta_cdf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.cdf(x, a, b, loc, scale) * c)


@case(stats.beta.logcdf, variants=BETA, wrt=(0, 3, 4))
def beta_logcdf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.logcdf(x, a, b, loc, scale) * c)


@case(stats.beta.sf, variants=BETA, wrt=(0, 3, 4))
def beta_sf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.sf(x, a, b, loc, scale) * c)


@case(stats.beta.logsf, variants=BETA, wrt=(0, 3, 4))
def beta_logsf_case(x, a, b, loc, scale, c):
    return np.sum(stats.beta.logsf(x, a, b, loc, scale) * c)


# --- chi2 -------------------------------------------------------------------------


@case(stats.chi2.logpdf, variants=CHI2, wrt=(0, 1, 2, 3))
def chi2_logpdf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.logpdf(x, df, loc, scale) * c)


@case(stats.chi2.pdf, variants=CHI2, wrt=(0, 1, 2, 3))
def chi2_pdf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.pdf(x, df, loc, scale) * c)


@case(stats.chi2.cdf, variants=CHI2, wrt=(0, 2, 3))
def chi2_cdf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.cdf(x, df, loc, scale) * c)


@case(stats.chi2.logcdf, variants=CHI2, wrt=(0, 2, 3))
def chi2_logcdf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.logcdf(x, df, loc, scale) * c)


@case(stats.chi2.sf, variants=CHI2, wrt=(0, 2, 3))
def chi2_sf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.sf(x, df, loc, scale) * c)


@case(stats.chi2.logsf, variants=CHI2, wrt=(0, 2, 3))
def chi2_logsf_case(x, df, loc, scale, c):
    return np.sum(stats.chi2.logsf(x, df, loc, scale) * c)


# --- poisson: in mu (k integer-valued floats) ---------------------------------------


def _counts(*shape):
    return np.round(P(*shape, low=0.0, high=6.0)) if shape else float(np.round(P(low=0.0, high=6.0)))


POISSON = [(_counts(4), _positive(), C(4)), (_counts(4, 3), _positive(4, 1), C(4, 3)),
           (_counts(), _positive(3), C(3)), (np.array([0.0, 1.0, 2.0]), _positive(3), C(3))]


@case(stats.poisson.logpmf, variants=POISSON, wrt=(1,))
def poisson_logpmf_case(k, mu, c):
    return np.sum(stats.poisson.logpmf(k, mu) * c)


@case(stats.poisson.pmf, variants=POISSON, wrt=(1,))
def poisson_pmf_case(k, mu, c):
    return np.sum(stats.poisson.pmf(k, mu) * c)


@case(stats.poisson.cdf, variants=POISSON, wrt=(1,))
def poisson_cdf_case(k, mu, c):
    return np.sum(stats.poisson.cdf(k, mu) * c)


@case(stats.poisson.logcdf, variants=POISSON, wrt=(1,))
def poisson_logcdf_case(k, mu, c):
    return np.sum(stats.poisson.logcdf(k, mu) * c)


@case(stats.poisson.sf, variants=POISSON, wrt=(1,))
def poisson_sf_case(k, mu, c):
    return np.sum(stats.poisson.sf(k, mu) * c)


@case(stats.poisson.logsf, variants=POISSON, wrt=(1,))
def poisson_logsf_case(k, mu, c):
    return np.sum(stats.poisson.logsf(k, mu) * c)


@case(stats.poisson.logpmf, stats.poisson.cdf, variants=POISSON, wrt=(1,))
def poisson_loc_case(k, mu, c):
    return np.sum((stats.poisson.logpmf(k + 2.0, mu=mu, loc=2) + stats.poisson.cdf(k + 1.0, mu, 1)) * c)


# --- dirichlet: x on the simplex (the last component left out, or x normalized) ------


def _simplex(k, *points):
    x = P(k, *points, low=0.5, high=2.0)
    return x / np.sum(x, axis=0)


DIRICHLET = [(_simplex(4)[:-1], _shape(4), C()), (_simplex(3, 5)[:-1], _shape(3), C(5))]


@case(stats.dirichlet.logpdf, variants=DIRICHLET, wrt=(0, 1))
def dirichlet_logpdf_case(x, alpha, c):
    return np.sum(stats.dirichlet.logpdf(x, alpha) * c)


@case(stats.dirichlet.pdf, variants=DIRICHLET, wrt=(0, 1))
def dirichlet_pdf_case(x, alpha, c):
    return np.sum(stats.dirichlet.pdf(x, alpha) * c)


@case(stats.dirichlet.logpdf, stats.dirichlet.pdf,
      variants=[(_simplex(4), _shape(4), C()), (_simplex(3, 2), _shape(3), C(2))], wrt=(0, 1))
def dirichlet_normalized_case(x, alpha, c):
    y = x / np.sum(x, axis=0)
    return np.sum((stats.dirichlet.logpdf(y, alpha) + stats.dirichlet.pdf(y, alpha=alpha)) * c)


# --- multivariate_normal -------------------------------------------------------------


def _spd(n):
    a = R(n, n)
    return a @ a.T + n * np.eye(n)


MVN = [(R(4), R(4), _spd(4), C()), (R(5, 4), R(4), _spd(4), C(5)), (R(2, 3, 4), R(4), _spd(4), C(2, 3)),
       (R(5, 3), R(3), _positive(3), C(5)), (R(5, 3), R(3), _positive(), C(5)),
       (R(5), R(), _positive(), C(5)), (R(), R(), _positive(), C())]


@case(stats.multivariate_normal.logpdf, variants=MVN, wrt=(0, 1, 2))
def mvn_logpdf_case(x, mean, cov, c):
    return np.sum(stats.multivariate_normal.logpdf(x, mean, cov) * c)


@case(stats.multivariate_normal.pdf, variants=MVN, wrt=(0, 1, 2))
def mvn_pdf_case(x, mean, cov, c):
    return np.sum(stats.multivariate_normal.pdf(x, mean, cov) * c)


@case(stats.multivariate_normal.logpdf, stats.multivariate_normal.pdf,
      variants=[(R(5, 3), _spd(3), C(5)), (R(3), _spd(3), C())], wrt=(0, 1))
def mvn_zero_mean_case(x, cov, c):
    return np.sum((stats.multivariate_normal.logpdf(x, cov=cov)
                   + stats.multivariate_normal.pdf(x, cov=cov, allow_singular=True)) * c)


def _singular():
    return np.diag([1.5, 0.7, 0.0, 0.0])


@case(stats.multivariate_normal.logpdf, stats.multivariate_normal.pdf,
      variants=[(R(2), R(4), _singular(), C()), (R(5, 2), R(4), _singular(), C(5))], wrt=(0, 1))
def mvn_singular_case(x2, mean, cov, c):
    """A singular covariance, allowed: x moves in the support only (its last two
    components are the mean's)."""
    x = np.concatenate([x2, np.broadcast_to(mean[2:], np.shape(x2))], axis=-1)
    return np.sum((stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
                   + stats.multivariate_normal.pdf(x, mean, cov, True)) * c)


@case(stats.multivariate_normal.entropy, variants=[(R(4), _spd(4), C()), (R(3), _positive(3), C()),
                                                   (None, _positive(), C())], wrt=(1,))
def mvn_entropy_case(mean, cov, c):
    return stats.multivariate_normal.entropy(mean, cov) * c


# --- the helpers of runtime/stats.py: forward rules only ------------------------------


@case(rt.mvn_points, rt.mvn_mean, rt.mvn_cov, rt.mvn_cov_adjoint, rt.mvn_full_rank, rt.mvn_precision,
      variants=[(R(5, 3), R(3), _spd(3), C(5, 3), C(3, 3)), (R(3), R(3), _positive(3), C(1, 3), C(3, 3)),
                (R(4), R(), _positive(), C(4, 1), C(1, 1))], wrt=(0, 1, 2), modes=FWD)
def mvn_helpers_case(x, mean, cov, c, e):
    s = rt.mvn_cov(cov * cov, mean)
    p = rt.mvn_full_rank(rt.mvn_precision(s, False), s)
    q = rt.mvn_precision(s * 2.0, True)
    dev = rt.mvn_points(x * x, mean, cov) - rt.mvn_mean(mean * mean, cov)
    back = rt.mvn_cov_adjoint((p + q) * np.sum(dev * dev), cov)
    return np.sum(dev * c) + np.sum(p * e) + np.sum(q * e) + np.sum(back * np.cos(cov))


@case(rt.dirichlet_points, rt.dirichlet_points_tangent, rt.dirichlet_points_adjoint,
      variants=[(R(3), R(4), C(4)), (R(2, 5), R(3, 5), C(3, 5)), (R(4), R(4), C(4))], wrt=(0, 1), modes=FWD)
def dirichlet_helpers_case(x, g, c):
    alpha = np.ones(np.shape(g)[0])
    full = rt.dirichlet_points(x * x, alpha)
    moved = rt.dirichlet_points_tangent(x * x * x, alpha)
    back = rt.dirichlet_points_adjoint(full * g, x, alpha)
    return np.sum((full + moved) * c) + np.sum(back * x)


# --- declared zeros: poisson's count and shift (piecewise constant), mvn.entropy's mean ---

zero_case(stats.poisson.pmf, stats.poisson.cdf, stats.poisson.logcdf, stats.poisson.sf, stats.poisson.logsf,
          variants=[(np.array([2.3, 0.7, 4.6]), 3.0, 0.4), (1.7, np.array([0.5, 2.0]), 0.2)], only=(0, 2))
zero_case(stats.multivariate_normal.entropy, variants=[(R(3), _spd(3)), (R(), _positive())], only=(0,))
