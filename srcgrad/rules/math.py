"""Derivative rules for Python's `math` module.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode), which writes
`d[z]` with one line per input that carries a tangent. The arguments are
Python numbers, so the templates use only `math.*`, operators and
`pole_ratio` (arithmetic on Python numbers): an adjoint or tangent of a float
stays a float, with no NumPy call. The elementwise functions of one argument (exp, sqrt, sin, fabs, ...)
come from the table they share with NumPy (srcgrad/rules/elementwise.py), so
`math.sqrt` at 0 has the derivative `numpy.sqrt` has there (inf), not a
ZeroDivisionError. Kinks follow SPEC §7: fabs'(0) = 0, floor/ceil/trunc have
zero gradient, the hypotenuse of (0, 0) has zero gradient.
"""
import math
import operator

from srcgrad.rules import elementwise
from srcgrad.rules.registry import adjoint, alias, nondifferentiable, tangent
from srcgrad.runtime import pole_ratio
from srcgrad.templates import d

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    math.isclose, math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt,
)

# --- elementwise, one argument: the table shared with NumPy ---------------------

# A divisor that vanishes where the function is defined (sqrt, asin at 1) divides
# through pole_ratio: the inf NumPy gives, not ZeroDivisionError. No factor needs
# a guard: a math function that overflows raises OverflowError. No numpy.sign here:
# sign(x) is x / |x|, read as 0 at 0.
MATH = elementwise.Namespace("math", product=None,
                             spelled={"sign": "{0} / (abs({0}) + ({0} == 0))"})
elementwise.register(MATH)

# --- logarithm with a base, power, angle -------------------------------------------


@adjoint(math.log)                              # z = math.log(x, base) = ln x / ln base
def log_adjoint(z, x, base=math.e):
    d[x] = d[z] / (x * math.log(base))
    d[base] = -d[z] * z / (base * math.log(base))


@tangent(math.log)
def log_tangent(z, x, base=math.e):
    d[z] = d[x] / (x * math.log(base))
    d[z] = -d[base] * z / (base * math.log(base))


# math.pow(x, y) is x ** y on floats: one rule (operators.py), with numpy.power's
# inf at x = 0 for 0 < y < 1
alias(math.pow, operator.pow)


@adjoint(math.atan2)                            # z = math.atan2(y, x), the angle of (x, y)
def atan2_adjoint(z, y, x):
    r2 = x * x + y * y                          # 0 at the origin, where the angle has no
    d[y] = pole_ratio(d[z], r2) * x             # derivative: NaN there, as numpy.arctan2
    d[x] = pole_ratio(-d[z], r2) * y


@tangent(math.atan2)
def atan2_tangent(z, y, x):
    r2 = x * x + y * y
    d[z] = pole_ratio(d[y], r2) * x
    d[z] = pole_ratio(-d[x], r2) * y


# --- the rest ------------------------------------------------------------------


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

