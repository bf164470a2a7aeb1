"""Derivative rules for the error function family of `scipy.special` and the
normal distribution's functions built on it (SciPy is optional).

Templates, as in scipy_special.py: each adjoint rule is followed by its
tangent rule. Each derivative is a Gaussian exp(-x^2) (or its inverse for the
inverse functions), written from the result `z` where that is stabler: log_ndtr's
phi(x) / Phi(x) is exp(-x^2 / 2 - z) / sqrt(2 pi), finite far into the lower tail
where phi and Phi both underflow.

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
"""
import numpy

try:
    import scipy.special
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.special",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, tangent
from srcgrad.templates import d

# --- error function -------------------------------------------------------------
# 1.1283791670955126 = 2 / sqrt(pi), 0.8862269254527580 = sqrt(pi) / 2


@adjoint(scipy.special.erf)                     # z = erf(x)
def erf_adjoint(z, x):
    d[x] = d[z] * 1.1283791670955126 * numpy.exp(-x * x)


@tangent(scipy.special.erf)
def erf_tangent(z, x):
    d[z] = d[x] * 1.1283791670955126 * numpy.exp(-x * x)


@adjoint(scipy.special.erfc)                    # z = 1 - erf(x)
def erfc_adjoint(z, x):
    d[x] = d[z] * -1.1283791670955126 * numpy.exp(-x * x)


@tangent(scipy.special.erfc)
def erfc_tangent(z, x):
    d[z] = d[x] * -1.1283791670955126 * numpy.exp(-x * x)


@adjoint(scipy.special.erfinv)                  # z = erfinv(x), x in (-1, 1)
def erfinv_adjoint(z, x):
    d[x] = d[z] * 0.8862269254527580 * numpy.exp(z * z)


@tangent(scipy.special.erfinv)
def erfinv_tangent(z, x):
    d[z] = d[x] * 0.8862269254527580 * numpy.exp(z * z)


@adjoint(scipy.special.erfcinv)                 # z = erfcinv(x), x in (0, 2): x = erfc(z)
def erfcinv_adjoint(z, x):
    d[x] = d[z] * -0.8862269254527580 * numpy.exp(z * z)


@tangent(scipy.special.erfcinv)
def erfcinv_tangent(z, x):
    d[z] = d[x] * -0.8862269254527580 * numpy.exp(z * z)


@adjoint(scipy.special.erfcx)                   # z = exp(x^2) erfc(x)
def erfcx_adjoint(z, x):
    d[x] = d[z] * (2.0 * x * z - 1.1283791670955126)


@tangent(scipy.special.erfcx)
def erfcx_tangent(z, x):
    d[z] = d[x] * (2.0 * x * z - 1.1283791670955126)


# --- the standard normal distribution ---------------------------------------------------
# 0.3989422804014327 = 1 / sqrt(2 pi), 2.5066282746310002 = sqrt(2 pi)


@adjoint(scipy.special.ndtr)                    # z = Phi(x), the standard normal CDF
def ndtr_adjoint(z, x):
    d[x] = d[z] * 0.3989422804014327 * numpy.exp(-0.5 * x * x)


@tangent(scipy.special.ndtr)
def ndtr_tangent(z, x):
    d[z] = d[x] * 0.3989422804014327 * numpy.exp(-0.5 * x * x)


@adjoint(scipy.special.log_ndtr)                # z = log Phi(x)
def log_ndtr_adjoint(z, x):
    d[x] = d[z] * 0.3989422804014327 * numpy.exp(-0.5 * x * x - z)


@tangent(scipy.special.log_ndtr)
def log_ndtr_tangent(z, x):
    d[z] = d[x] * 0.3989422804014327 * numpy.exp(-0.5 * x * x - z)


@adjoint(scipy.special.ndtri)                   # z = Phi^-1(x), x in (0, 1)
def ndtri_adjoint(z, x):
    d[x] = d[z] * 2.5066282746310002 * numpy.exp(0.5 * z * z)


@tangent(scipy.special.ndtri)
def ndtri_tangent(z, x):
    d[z] = d[x] * 2.5066282746310002 * numpy.exp(0.5 * z * z)
