"""Derivative rules for the Bessel functions of `scipy.special` (SciPy is optional).

Templates, as in scipy_special.py: each adjoint rule is followed by its
tangent rule. The derivatives in x come from the recurrences
    J'_v = (J_{v-1} - J_{v+1}) / 2      Y'_v = (Y_{v-1} - Y_{v+1}) / 2
    I'_v = (I_{v-1} + I_{v+1}) / 2      K'_v = -(K_{v-1} + K_{v+1}) / 2
which hold for every real order and stay finite at x = 0 (unlike J_v' =
J_{v-1} - v J_v / x), and are written with Bessel calls that have rules
here, so a derivative can be differentiated again. The exponentially scaled
forms (ive = iv e^-|x|, kve = kv e^x, ...) add the derivative of the scale.

The order of the integer-order functions (yn, kn) is truncated to an integer
by SciPy, so it takes a zero derivative; the rules truncate it the same way
before stepping it by one. A real order (jv, yv, iv, ive, kv, kve) has a
derivative with no closed form: a value there computed from a differentiated
input is a located error (`constant_only`).

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
"""
import numpy

try:
    import scipy.special
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.special",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, alias, constant_only, tangent
from srcgrad.runtime import unbroadcast
from srcgrad.templates import d

# --- first kind, J ------------------------------------------------------------------


@adjoint(scipy.special.j0)                      # z = J_0(x); J_0' = -J_1
def j0_adjoint(z, x):
    d[x] = -d[z] * scipy.special.j1(x)


@tangent(scipy.special.j0)
def j0_tangent(z, x):
    d[z] = -d[x] * scipy.special.j1(x)


@adjoint(scipy.special.j1)                      # z = J_1(x)
def j1_adjoint(z, x):
    d[x] = d[z] * (scipy.special.j0(x) - scipy.special.jv(2.0, x)) / 2.0


@tangent(scipy.special.j1)
def j1_tangent(z, x):
    d[z] = d[x] * (scipy.special.j0(x) - scipy.special.jv(2.0, x)) / 2.0


@adjoint(scipy.special.jv)                      # z = J_v(x); jn is jv under another name
def jv_adjoint(z, v, x):
    d[x] = unbroadcast(d[z] * (scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x)) / 2.0, x)


@tangent(scipy.special.jv)
def jv_tangent(z, v, x):
    d[z] = d[x] * (scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x)) / 2.0


if scipy.special.jn is not scipy.special.jv:    # one object in recent SciPy, two before
    alias(scipy.special.jn, scipy.special.jv)

# --- second kind, Y -----------------------------------------------------------------


@adjoint(scipy.special.y0)                      # z = Y_0(x); Y_0' = -Y_1
def y0_adjoint(z, x):
    d[x] = -d[z] * scipy.special.y1(x)


@tangent(scipy.special.y0)
def y0_tangent(z, x):
    d[z] = -d[x] * scipy.special.y1(x)


@adjoint(scipy.special.y1)                      # z = Y_1(x)
def y1_adjoint(z, x):
    d[x] = d[z] * (scipy.special.y0(x) - scipy.special.yn(2, x)) / 2.0


@tangent(scipy.special.y1)
def y1_tangent(z, x):
    d[z] = d[x] * (scipy.special.y0(x) - scipy.special.yn(2, x)) / 2.0


@adjoint(scipy.special.yn)                      # z = Y_n(x), n truncated to an integer
def yn_adjoint(z, n, x):
    m = numpy.trunc(n)
    d[x] = unbroadcast(d[z] * (scipy.special.yn(m - 1, x) - scipy.special.yn(m + 1, x)) / 2.0, x)


@tangent(scipy.special.yn)
def yn_tangent(z, n, x):
    m = numpy.trunc(n)
    d[z] = d[x] * (scipy.special.yn(m - 1, x) - scipy.special.yn(m + 1, x)) / 2.0


@adjoint(scipy.special.yv)                      # z = Y_v(x), v real
def yv_adjoint(z, v, x):
    d[x] = unbroadcast(d[z] * (scipy.special.yv(v - 1.0, x) - scipy.special.yv(v + 1.0, x)) / 2.0, x)


@tangent(scipy.special.yv)
def yv_tangent(z, v, x):
    d[z] = d[x] * (scipy.special.yv(v - 1.0, x) - scipy.special.yv(v + 1.0, x)) / 2.0


# --- modified, first kind, I ------------------------------------------------------------


@adjoint(scipy.special.i0)                      # z = I_0(x); I_0' = I_1
def i0_adjoint(z, x):
    d[x] = d[z] * scipy.special.i1(x)


@tangent(scipy.special.i0)
def i0_tangent(z, x):
    d[z] = d[x] * scipy.special.i1(x)


@adjoint(scipy.special.i1)                      # z = I_1(x)
def i1_adjoint(z, x):
    d[x] = d[z] * (scipy.special.i0(x) + scipy.special.iv(2.0, x)) / 2.0


@tangent(scipy.special.i1)
def i1_tangent(z, x):
    d[z] = d[x] * (scipy.special.i0(x) + scipy.special.iv(2.0, x)) / 2.0


@adjoint(scipy.special.iv)                      # z = I_v(x)
def iv_adjoint(z, v, x):
    d[x] = unbroadcast(d[z] * (scipy.special.iv(v - 1.0, x) + scipy.special.iv(v + 1.0, x)) / 2.0, x)


@tangent(scipy.special.iv)
def iv_tangent(z, v, x):
    d[z] = d[x] * (scipy.special.iv(v - 1.0, x) + scipy.special.iv(v + 1.0, x)) / 2.0


# The scaled forms: z = I(x) e^-|x|, so z' = I'(x) e^-|x| - sign(x) z (0 at the kink x = 0).


@adjoint(scipy.special.i0e)                     # z = I_0(x) e^-|x|
def i0e_adjoint(z, x):
    d[x] = d[z] * (scipy.special.i1e(x) - numpy.sign(x) * z)


@tangent(scipy.special.i0e)
def i0e_tangent(z, x):
    d[z] = d[x] * (scipy.special.i1e(x) - numpy.sign(x) * z)


@adjoint(scipy.special.i1e)                     # z = I_1(x) e^-|x|
def i1e_adjoint(z, x):
    d[x] = d[z] * ((scipy.special.i0e(x) + scipy.special.ive(2.0, x)) / 2.0 - numpy.sign(x) * z)


@tangent(scipy.special.i1e)
def i1e_tangent(z, x):
    d[z] = d[x] * ((scipy.special.i0e(x) + scipy.special.ive(2.0, x)) / 2.0 - numpy.sign(x) * z)


@adjoint(scipy.special.ive)                     # z = I_v(x) e^-|x|
def ive_adjoint(z, v, x):
    d[x] = unbroadcast(d[z] * ((scipy.special.ive(v - 1.0, x) + scipy.special.ive(v + 1.0, x)) / 2.0
                               - numpy.sign(x) * z), x)


@tangent(scipy.special.ive)
def ive_tangent(z, v, x):
    d[z] = d[x] * ((scipy.special.ive(v - 1.0, x) + scipy.special.ive(v + 1.0, x)) / 2.0
                   - numpy.sign(x) * z)


# --- modified, second kind, K (x > 0) ------------------------------------------------


@adjoint(scipy.special.k0)                      # z = K_0(x); K_0' = -K_1
def k0_adjoint(z, x):
    d[x] = -d[z] * scipy.special.k1(x)


@tangent(scipy.special.k0)
def k0_tangent(z, x):
    d[z] = -d[x] * scipy.special.k1(x)


@adjoint(scipy.special.k1)                      # z = K_1(x)
def k1_adjoint(z, x):
    d[x] = -d[z] * (scipy.special.k0(x) + scipy.special.kv(2.0, x)) / 2.0


@tangent(scipy.special.k1)
def k1_tangent(z, x):
    d[z] = -d[x] * (scipy.special.k0(x) + scipy.special.kv(2.0, x)) / 2.0


@adjoint(scipy.special.kn)                      # z = K_n(x), n truncated to an integer
def kn_adjoint(z, n, x):
    m = numpy.trunc(n)
    d[x] = unbroadcast(-d[z] * (scipy.special.kn(m - 1, x) + scipy.special.kn(m + 1, x)) / 2.0, x)


@tangent(scipy.special.kn)
def kn_tangent(z, n, x):
    m = numpy.trunc(n)
    d[z] = -d[x] * (scipy.special.kn(m - 1, x) + scipy.special.kn(m + 1, x)) / 2.0


@adjoint(scipy.special.kv)                      # z = K_v(x)
def kv_adjoint(z, v, x):
    d[x] = unbroadcast(-d[z] * (scipy.special.kv(v - 1.0, x) + scipy.special.kv(v + 1.0, x)) / 2.0, x)


@tangent(scipy.special.kv)
def kv_tangent(z, v, x):
    d[z] = -d[x] * (scipy.special.kv(v - 1.0, x) + scipy.special.kv(v + 1.0, x)) / 2.0


# The scaled forms: z = K(x) e^x, so z' = K'(x) e^x + z.


@adjoint(scipy.special.k0e)                     # z = K_0(x) e^x
def k0e_adjoint(z, x):
    d[x] = d[z] * (z - scipy.special.k1e(x))


@tangent(scipy.special.k0e)
def k0e_tangent(z, x):
    d[z] = d[x] * (z - scipy.special.k1e(x))


@adjoint(scipy.special.k1e)                     # z = K_1(x) e^x
def k1e_adjoint(z, x):
    d[x] = d[z] * (z - (scipy.special.k0e(x) + scipy.special.kve(2.0, x)) / 2.0)


@tangent(scipy.special.k1e)
def k1e_tangent(z, x):
    d[z] = d[x] * (z - (scipy.special.k0e(x) + scipy.special.kve(2.0, x)) / 2.0)


@adjoint(scipy.special.kve)                     # z = K_v(x) e^x
def kve_adjoint(z, v, x):
    d[x] = unbroadcast(d[z] * (z - (scipy.special.kve(v - 1.0, x) + scipy.special.kve(v + 1.0, x)) / 2.0), x)


@tangent(scipy.special.kve)
def kve_tangent(z, v, x):
    d[z] = d[x] * (z - (scipy.special.kve(v - 1.0, x) + scipy.special.kve(v + 1.0, x)) / 2.0)


for _function in (scipy.special.jv, scipy.special.yv, scipy.special.iv, scipy.special.ive,
                  scipy.special.kv, scipy.special.kve):
    constant_only(_function, "v", "its derivative in the order has no closed form; pass the order as a "
                  "constant, or wrap it in srcgrad.stop_gradient for a zero derivative there")
