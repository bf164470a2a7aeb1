"""Zero cases for srcgrad/rules/scipy_special.py (SciPy is in the `test` extra)."""
try:
    import scipy.special
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import R, zero_case

zero_case(scipy.special.round, variants=[(R(5) * 10.0,)])
zero_case(scipy.special.gammasgn, variants=[(R(5) * 10.0,)])
