"""Cases for srcgrad/rules/scipy_special_erf.py (SciPy is in the `test` extra).

Without SciPy neither the rules nor these cases exist: this module then
raises ModuleNotFoundError naming itself, which rule_cases skips.
"""
import numpy as np

try:
    import scipy.special
    from scipy import special
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, P, R, U, case, unary

SHAPES = ((4,), (2, 3), ())




@case(special.erf, variants=unary(*SHAPES))
def erf_case(x, c):
    return np.sum(scipy.special.erf(x) * c)


@case(special.erfc, variants=unary(*SHAPES))
def erfc_case(x, c):
    return np.sum(special.erfc(x) * c)


@case(special.erfinv, variants=unary(*SHAPES, dom=U))
def erfinv_case(x, c):
    return np.sum(special.erfinv(x) * c)


@case(special.erfcinv, variants=unary(*SHAPES, dom=lambda *s: P(*s, low=0.1, high=1.9)))
def erfcinv_case(x, c):
    return np.sum(special.erfcinv(x) * c)


@case(special.erfcx, variants=unary(*SHAPES) + [(P(4, low=3.0, high=20.0), C(4))])
def erfcx_case(x, c):
    return np.sum(special.erfcx(x) * c)


@case(special.ndtr, variants=unary(*SHAPES) + [(R(4) * 4, C(4))])
def ndtr_case(x, c):
    return np.sum(special.ndtr(x) * c)


@case(special.log_ndtr, variants=unary(*SHAPES) + [(-P(4, low=5.0, high=30.0), C(4))])
def log_ndtr_case(x, c):
    return np.sum(special.log_ndtr(x) * c)


@case(special.ndtri, variants=unary(*SHAPES, dom=lambda *s: U(*s, low=0.02, high=0.98)))
def ndtri_case(x, c):
    return np.sum(special.ndtri(x) * c)
