"""Cases for srcgrad/rules/scipy_stats_quantiles.py: ppf and isf of norm, t, gamma, beta, chi2.

In q, loc and scale, with number parameters, vector parameters, broadcasting
((4, 3) against (1, 3) and (4, 1)) and a number q against vectors; the shape
parameters are constants (no closed form: a located error, in
tests/test_scipy_stats.py). q stays inside (0.1, 0.9), away from the infinite
quantiles at 0 and 1.
"""
import numpy as np

try:
    from scipy import stats
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, P, R, U, case


def _q(*shape):
    return U(*shape, low=0.1, high=0.9)


def _scale(*shape):
    return P(*shape, low=0.7, high=1.6)


def _variants(*shapes):
    """(q, *shape parameters, loc, scale, c): the shape parameters `shapes` (numbers) fixed."""
    return [
        (_q(4), *shapes, R(), _scale(), C(4)),
        (_q(4), *shapes, R(4), _scale(4), C(4)),
        (_q(4, 3), *shapes, R(1, 3), _scale(4, 1), C(4, 3)),
        (_q(), *shapes, R(3), _scale(3), C(3)),
    ]


@case(stats.norm.ppf, variants=_variants(), wrt=(0, 1, 2))
def norm_ppf_case(q, loc, scale, c):
    return np.sum(stats.norm.ppf(q, loc, scale) * c)


@case(stats.norm.isf, variants=_variants(), wrt=(0, 1, 2))
def norm_isf_case(q, loc, scale, c):
    return np.sum(stats.norm.isf(q, loc=loc, scale=scale) * c)


@case(stats.t.ppf, variants=_variants(3.5), wrt=(0, 2, 3))
def t_ppf_case(q, df, loc, scale, c):
    return np.sum(stats.t.ppf(q, df, loc, scale) * c)


@case(stats.t.isf, variants=_variants(2.5), wrt=(0, 2, 3))
def t_isf_case(q, df, loc, scale, c):
    return np.sum(stats.t.isf(q, df, loc, scale) * c)


@case(stats.gamma.ppf, variants=_variants(2.2), wrt=(0, 2, 3))
def gamma_ppf_case(q, a, loc, scale, c):
    return np.sum(stats.gamma.ppf(q, a, loc, scale) * c)


@case(stats.gamma.isf, variants=_variants(1.7), wrt=(0, 2, 3))
def gamma_isf_case(q, a, loc, scale, c):
    return np.sum(stats.gamma.isf(q, a, loc, scale) * c)


@case(stats.beta.ppf, variants=_variants(2.0, 3.0), wrt=(0, 3, 4))
def beta_ppf_case(q, a, b, loc, scale, c):
    return np.sum(stats.beta.ppf(q, a, b, loc, scale) * c)


@case(stats.beta.isf, variants=_variants(1.5, 2.5), wrt=(0, 3, 4))
def beta_isf_case(q, a, b, loc, scale, c):
    return np.sum(stats.beta.isf(q, a, b, loc, scale) * c)


@case(stats.chi2.ppf, variants=_variants(3.0), wrt=(0, 2, 3))
def chi2_ppf_case(q, df, loc, scale, c):
    return np.sum(stats.chi2.ppf(q, df, loc, scale) * c)


@case(stats.chi2.isf, variants=_variants(4.0), wrt=(0, 2, 3))
def chi2_isf_case(q, df, loc, scale, c):
    return np.sum(stats.chi2.isf(q, df, loc, scale) * c)
