"""Derivative rules for Python's `math` module.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode), which writes
`d[z]` with one line per input that carries a tangent. The arguments are
Python numbers, so the templates use only `math.*`, operators and
`pole_ratio` (arithmetic on Python numbers): an adjoint or tangent of a float
stays a float, with no NumPy call. The elementwise functions (exp, sqrt, sin, fabs, ...,
and of two arguments atan2, hypot, copysign, fmod) come from the table they share
with NumPy (srcgrad/rules/elementwise.py), so
`math.sqrt` at 0 has the derivative `numpy.sqrt` has there (inf), not a
ZeroDivisionError. Kinks follow SPEC §7: fabs'(0) = 0, floor/ceil/trunc have
zero gradient, the hypotenuse of (0, 0) has zero gradient, atan2 at (0, 0) NaN.
"""
import math
import operator

from srcgrad.rules import elementwise
from srcgrad.rules.registry import adjoint, alias, nondifferentiable, tangent
from srcgrad.templates import d

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    math.isclose, math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt,
)

# --- elementwise: the table shared with NumPy (atan2, hypot, copysign, fmod too) ---

# A divisor that vanishes where the function is defined (sqrt, asin at 1) divides
# through pole_ratio: the inf NumPy gives, not ZeroDivisionError. No factor needs
# a guard: a math function that overflows raises OverflowError. No numpy.sign here:
# sign_of(x) keeps Python floats, and (as numpy.sign) has zero derivative: fabs''(0) = 0.
MATH = elementwise.Namespace("math", product=None,
                             spelled={"sign": "sign_of({0})"})
elementwise.register(MATH)

# --- logarithm with a base, power -------------------------------------------------


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
