"""Zero cases for srcgrad/rules/scipy_special.py and scipy_special_bessel.py (SciPy is in
the `test` extra)."""
try:
    import scipy.special
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import P, R, zero_case

zero_case(scipy.special.round, variants=[(R(5) * 10.0,)])
zero_case(scipy.special.gammasgn, variants=[(R(5) * 10.0,)])

# The integer order of yn and kn: SciPy truncates a float order (with a warning),
# so the result is flat in it between integers.
zero_case(scipy.special.yn, scipy.special.kn, variants=[(2.5, P(4)), (-1.5, P(3))], only=(0,))
