"""Derivative rules for Python's `math` module.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode), which writes
`d[z]` with one line per input that carries a tangent. The arguments are
Python numbers, so the templates use only `math.*` and operators: an adjoint
or tangent of a float stays a float, with no NumPy call. Kinks follow SPEC §7:
fabs'(0) = 0, floor/ceil/trunc have zero gradient, the hypotenuse of (0, 0)
has zero gradient.
"""
import math

from srcgrad.rules.registry import adjoint, nondifferentiable, tangent
from srcgrad.templates import d

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    math.isclose, math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt,
)

# --- exponentials and logarithms ----------------------------------------------


@adjoint(math.exp)                              # z = math.exp(x)
def exp_adjoint(z, x):
    d[x] = d[z] * z


@tangent(math.exp)
def exp_tangent(z, x):
    d[z] = d[x] * z


@adjoint(math.expm1)                            # z = math.expm1(x)
def expm1_adjoint(z, x):
    d[x] = d[z] * (z + 1.0)


@tangent(math.expm1)
def expm1_tangent(z, x):
    d[z] = d[x] * (z + 1.0)


@adjoint(math.log)                              # z = math.log(x, base) = ln x / ln base
def log_adjoint(z, x, base=math.e):
    d[x] = d[z] / (x * math.log(base))
    d[base] = -d[z] * z / (base * math.log(base))


@tangent(math.log)
def log_tangent(z, x, base=math.e):
    d[z] = d[x] / (x * math.log(base))
    d[z] = -d[base] * z / (base * math.log(base))


@adjoint(math.log1p)                            # z = math.log1p(x)
def log1p_adjoint(z, x):
    d[x] = d[z] / (1.0 + x)


@tangent(math.log1p)
def log1p_tangent(z, x):
    d[z] = d[x] / (1.0 + x)


@adjoint(math.log2)                             # z = math.log2(x); ln 2 = 0.693...
def log2_adjoint(z, x):
    d[x] = d[z] / (x * 0.6931471805599453)


@tangent(math.log2)
def log2_tangent(z, x):
    d[z] = d[x] / (x * 0.6931471805599453)


@adjoint(math.log10)                            # z = math.log10(x); ln 10 = 2.302...
def log10_adjoint(z, x):
    d[x] = d[z] / (x * 2.302585092994046)


@tangent(math.log10)
def log10_tangent(z, x):
    d[z] = d[x] / (x * 2.302585092994046)


@adjoint(math.sqrt)                             # z = math.sqrt(x)
def sqrt_adjoint(z, x):
    d[x] = d[z] * 0.5 / z


@tangent(math.sqrt)
def sqrt_tangent(z, x):
    d[z] = d[x] * 0.5 / z


@adjoint(math.pow)                              # z = math.pow(x, y)
def pow_adjoint(z, x, y):
    d[x] = d[z] * y * x ** (y - 1.0)
    d[y] = d[z] * z * math.log(x + (x == 0))    # log(x), read as 0 at x == 0 (where z = 0)


@tangent(math.pow)
def pow_tangent(z, x, y):
    d[z] = d[x] * y * x ** (y - 1.0)
    d[z] = d[y] * z * math.log(x + (x == 0))    # log(x), read as 0 at x == 0 (where z = 0)


# --- trigonometric and hyperbolic -----------------------------------------------


@adjoint(math.sin)                              # z = math.sin(x)
def sin_adjoint(z, x):
    d[x] = d[z] * math.cos(x)


@tangent(math.sin)
def sin_tangent(z, x):
    d[z] = d[x] * math.cos(x)


@adjoint(math.cos)                              # z = math.cos(x)
def cos_adjoint(z, x):
    d[x] = -d[z] * math.sin(x)


@tangent(math.cos)
def cos_tangent(z, x):
    d[z] = -d[x] * math.sin(x)


@adjoint(math.tan)                              # z = math.tan(x)
def tan_adjoint(z, x):
    d[x] = d[z] * (1.0 + z * z)


@tangent(math.tan)
def tan_tangent(z, x):
    d[z] = d[x] * (1.0 + z * z)


@adjoint(math.asin)                             # z = math.asin(x)
def asin_adjoint(z, x):
    d[x] = d[z] / math.sqrt(1.0 - x * x)


@tangent(math.asin)
def asin_tangent(z, x):
    d[z] = d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.acos)                             # z = math.acos(x)
def acos_adjoint(z, x):
    d[x] = -d[z] / math.sqrt(1.0 - x * x)


@tangent(math.acos)
def acos_tangent(z, x):
    d[z] = -d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.atan)                             # z = math.atan(x)
def atan_adjoint(z, x):
    d[x] = d[z] / (1.0 + x * x)


@tangent(math.atan)
def atan_tangent(z, x):
    d[z] = d[x] / (1.0 + x * x)


@adjoint(math.atan2)                            # z = math.atan2(y, x)
def atan2_adjoint(z, y, x):
    r2 = x * x + y * y
    d[y] = d[z] * x / r2
    d[x] = -d[z] * y / r2


@tangent(math.atan2)
def atan2_tangent(z, y, x):
    r2 = x * x + y * y
    d[z] = d[y] * x / r2
    d[z] = -d[x] * y / r2


@adjoint(math.sinh)                             # z = math.sinh(x)
def sinh_adjoint(z, x):
    d[x] = d[z] * math.cosh(x)


@tangent(math.sinh)
def sinh_tangent(z, x):
    d[z] = d[x] * math.cosh(x)


@adjoint(math.cosh)                             # z = math.cosh(x)
def cosh_adjoint(z, x):
    d[x] = d[z] * math.sinh(x)


@tangent(math.cosh)
def cosh_tangent(z, x):
    d[z] = d[x] * math.sinh(x)


@adjoint(math.tanh)                             # z = math.tanh(x)
def tanh_adjoint(z, x):
    d[x] = d[z] * (1.0 - z * z)


@tangent(math.tanh)
def tanh_tangent(z, x):
    d[z] = d[x] * (1.0 - z * z)


@adjoint(math.asinh)                            # z = math.asinh(x)
def asinh_adjoint(z, x):
    d[x] = d[z] / math.sqrt(x * x + 1.0)


@tangent(math.asinh)
def asinh_tangent(z, x):
    d[z] = d[x] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh)                            # z = math.acosh(x), x > 1
def acosh_adjoint(z, x):
    d[x] = d[z] / math.sqrt(x * x - 1.0)


@tangent(math.acosh)
def acosh_tangent(z, x):
    d[z] = d[x] / math.sqrt(x * x - 1.0)


@adjoint(math.atanh)                            # z = math.atanh(x)
def atanh_adjoint(z, x):
    d[x] = d[z] / (1.0 - x * x)


@tangent(math.atanh)
def atanh_tangent(z, x):
    d[z] = d[x] / (1.0 - x * x)


@adjoint(math.degrees)                          # z = math.degrees(x) = x * 180 / pi
def degrees_adjoint(z, x):
    d[x] = d[z] * 57.29577951308232


@tangent(math.degrees)
def degrees_tangent(z, x):
    d[z] = d[x] * 57.29577951308232


@adjoint(math.radians)                          # z = math.radians(x) = x * pi / 180
def radians_adjoint(z, x):
    d[x] = d[z] * 0.017453292519943295


@tangent(math.radians)
def radians_tangent(z, x):
    d[z] = d[x] * 0.017453292519943295


# --- the rest ------------------------------------------------------------------


@adjoint(math.fabs)                             # z = math.fabs(x); fabs'(0) = 0
def fabs_adjoint(z, x):
    d[x] = d[z] * x / (z + (z == 0))            # sign(x) = x / |x|, 0 at 0


@tangent(math.fabs)
def fabs_tangent(z, x):
    d[z] = d[x] * x / (z + (z == 0))            # sign(x) = x / |x|, 0 at 0


@adjoint(math.copysign)                         # z = math.copysign(x, y) = |x| sign(y)
def copysign_adjoint(z, x, y):
    d[x] = d[z] * z / (x + (x == 0))            # sign(x) sign(y), 0 at x = 0; y: none


@tangent(math.copysign)
def copysign_tangent(z, x, y):
    d[z] = d[x] * z / (x + (x == 0))            # sign(x) sign(y), 0 at x = 0; y: none


@adjoint(math.fmod)                             # z = math.fmod(x, y) = x - q y, q integer
def fmod_adjoint(z, x, y):
    d[x] = d[z]
    d[y] = d[z] * (z - x) / y                   # -q


@tangent(math.fmod)
def fmod_tangent(z, x, y):
    d[z] = d[x]
    d[z] = d[y] * (z - x) / y                   # -q


@adjoint(math.hypot)                            # z = math.hypot(x, y), two coordinates
def hypot_adjoint(z, x, y):
    r = z + (z == 0)                            # z, or 1 at the origin: zero gradient there
    d[x] = d[z] * x / r
    d[y] = d[z] * y / r


@tangent(math.hypot)
def hypot_tangent(z, x, y):
    r = z + (z == 0)                            # z, or 1 at the origin: zero tangent there
    d[z] = d[x] * x / r
    d[z] = d[y] * y / r


@adjoint(math.erf)                              # z = math.erf(x); 2 / sqrt(pi) = 1.128...
def erf_adjoint(z, x):
    d[x] = d[z] * 1.1283791670955126 * math.exp(-x * x)


@tangent(math.erf)
def erf_tangent(z, x):
    d[z] = d[x] * 1.1283791670955126 * math.exp(-x * x)


@adjoint(math.erfc)                             # z = math.erfc(x) = 1 - erf(x)
def erfc_adjoint(z, x):
    d[x] = -d[z] * 1.1283791670955126 * math.exp(-x * x)


@tangent(math.erfc)
def erfc_tangent(z, x):
    d[z] = -d[x] * 1.1283791670955126 * math.exp(-x * x)
