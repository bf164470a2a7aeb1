"""Cases for srcgrad/rules/math.py: Python float arguments, Python float gradients."""
import math

from rule_cases import C, P, R, U, case


def _floats(dom=R, n=3):
    """`n` variants (x, c) of Python floats, x drawn from `dom`."""
    return [(dom(), C()) for _ in range(n)]


# --- exponentials and logarithms ----------------------------------------------


@case(math.exp, variants=_floats())
def math_exp_case(x, c):
    return math.exp(x) * c


@case(math.expm1, variants=_floats())
def math_expm1_case(x, c):
    return math.expm1(x) * c


@case(math.log, variants=_floats(P))
def math_log_case(x, c):
    return math.log(x) * c


@case(math.log, variants=[(P(), P(low=1.5, high=3.0), C()) for _ in range(3)], wrt=(0, 1))
def math_log_base_case(x, base, c):
    return math.log(x, base) * c


@case(math.log, variants=_floats(P))
def math_log_constant_base_case(x, c):
    return math.log(x, 10) * c


@case(math.log1p, variants=_floats(U))
def math_log1p_case(x, c):
    return math.log1p(x) * c


@case(math.log2, variants=_floats(P))
def math_log2_case(x, c):
    return math.log2(x) * c


@case(math.log10, variants=_floats(P))
def math_log10_case(x, c):
    return math.log10(x) * c


@case(math.sqrt, variants=_floats(P))
def math_sqrt_case(x, c):
    return math.sqrt(x) * c


@case(math.pow, variants=[(P(), R(), C()) for _ in range(3)], wrt=(0, 1))
def math_pow_case(x, y, c):
    return math.pow(x, y) * c


@case(math.pow, variants=_floats())
def math_pow_constant_exponent_case(x, c):
    return math.pow(x, 3.0) * c


# --- trigonometric and hyperbolic -----------------------------------------------


@case(math.sin, variants=_floats())
def math_sin_case(x, c):
    return math.sin(x) * c


@case(math.cos, variants=_floats())
def math_cos_case(x, c):
    return math.cos(x) * c


@case(math.tan, variants=_floats(U))
def math_tan_case(x, c):
    return math.tan(x) * c


@case(math.asin, variants=_floats(U))
def math_asin_case(x, c):
    return math.asin(x) * c


@case(math.acos, variants=_floats(U))
def math_acos_case(x, c):
    return math.acos(x) * c


@case(math.atan, variants=_floats())
def math_atan_case(x, c):
    return math.atan(x) * c


@case(math.atan2, variants=[(R(), R(), C()) for _ in range(3)] + [(R(), -P(), C())], wrt=(0, 1))
def math_atan2_case(y, x, c):
    return math.atan2(y, x) * c


@case(math.sinh, variants=_floats())
def math_sinh_case(x, c):
    return math.sinh(x) * c


@case(math.cosh, variants=_floats())
def math_cosh_case(x, c):
    return math.cosh(x) * c


@case(math.tanh, variants=_floats())
def math_tanh_case(x, c):
    return math.tanh(x) * c


@case(math.asinh, variants=_floats())
def math_asinh_case(x, c):
    return math.asinh(x) * c


@case(math.acosh, variants=_floats(lambda: P(low=1.2, high=3.0)))
def math_acosh_case(x, c):
    return math.acosh(x) * c


@case(math.atanh, variants=_floats(U))
def math_atanh_case(x, c):
    return math.atanh(x) * c


@case(math.degrees, variants=_floats())
def math_degrees_case(x, c):
    return math.degrees(x) * c


@case(math.radians, variants=_floats())
def math_radians_case(x, c):
    return math.radians(x) * c


# --- the rest ------------------------------------------------------------------


@case(math.fabs, variants=[(P(), C()), (-P(), C())])
def math_fabs_case(x, c):
    return math.fabs(x) * c


@case(math.copysign, variants=[(P(), P(), C()), (P(), -P(), C()), (-P(), P(), C()), (-P(), -P(), C())],
      wrt=(0, 1))
def math_copysign_case(x, y, c):
    return math.copysign(x, y) * c


@case(math.fmod, variants=[(2.5, 1.1, C()), (-3.7, 1.6, C()), (0.3, -0.7, C())], wrt=(0, 1))
def math_fmod_case(x, y, c):
    return math.fmod(x, y) * c


@case(math.hypot, variants=[(R(), R(), C()) for _ in range(3)], wrt=(0, 1))
def math_hypot_case(x, y, c):
    return math.hypot(x, y) * c


@case(math.erf, variants=_floats())
def math_erf_case(x, c):
    return math.erf(x) * c


@case(math.erfc, variants=_floats())
def math_erfc_case(x, c):
    return math.erfc(x) * c


# --- zero gradient ---------------------------------------------------------------


@case(math.floor, variants=[(2.3, C()), (-1.6, C())])
def math_floor_case(x, c):
    return (math.floor(x) + x * x) * c


@case(math.ceil, variants=[(2.3, C()), (-1.6, C())])
def math_ceil_case(x, c):
    return (math.ceil(x) + x * x) * c


@case(math.trunc, variants=[(2.3, C()), (-1.6, C())])
def math_trunc_case(x, c):
    return (math.trunc(x) + x * x) * c


@case(math.isnan, math.isinf, math.isfinite, variants=_floats())
def math_float_tests_case(x, c):
    return (x * x + math.isnan(x) + math.isinf(x) + math.isfinite(x)) * c


@case(math.isclose, variants=_floats())
def math_isclose_case(x, c):
    return (x * x + math.isclose(x, 1.0)) * c


@case(math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt, variants=_floats())
def math_integer_functions_case(x, c):
    k = math.factorial(3) + math.gcd(6, 4) + math.lcm(2, 3) + math.comb(5, 2) + math.perm(5, 2)
    return x * c * (k + math.isqrt(10))
