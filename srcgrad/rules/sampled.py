"""Derivative rules for sampled functions: numpy.trapezoid (trapz before NumPy 2.0),
numpy.interp, numpy.convolve and numpy.correlate.

Templates: spliced into generated code, never run (see numpy.py). Each adjoint
rule has its tangent rule after it. trapezoid differentiates y, x and dx;
interp differentiates x, xp, fp, left and right (moving a sample point xp[k]
moves the segments on either side of it: -slope times x's share of that
point); convolve and correlate differentiate both
operands in the modes 'full', 'same' and 'valid'.
"""
import numpy

from srcgrad.rules.registry import adjoint, constant_only, linear, nondifferentiable, supports, tangent
from srcgrad.runtime import (
    convolve_adjoint_a,
    convolve_adjoint_v,
    interp_fp_adjoint,
    interp_fp_adjoint_dx,
    interp_fp_tangent,
    interp_side,
    interp_slope,
    trapezoid_dx_weight,
    trapezoid_integral,
    trapezoid_x_adjoint,
    trapezoid_x_tangent,
    trapezoid_y_adjoint,
    trapezoid_y_adjoint_dx,
)
from srcgrad.templates import d

nondifferentiable(interp_side)

# --- trapezoid (trapz before NumPy 2.0), interp --------------------------------------------

_TRAPEZOIDS = tuple(f for f in (getattr(numpy, "trapezoid", None), getattr(numpy, "trapz", None))
                    if f is not None)


@adjoint(*_TRAPEZOIDS)                          # z = sum((y[i] + y[i+1]) / 2 * (x[i+1] - x[i]))
def trapezoid_adjoint(z, y, x=None, dx=1.0, axis=-1):
    d[y] = trapezoid_y_adjoint(d[z], y, x, dx, axis)
    d[x] = trapezoid_x_adjoint(d[z], y, x, axis)
    d[dx] = numpy.sum(d[z] * trapezoid_dx_weight(y, x, axis))


@tangent(*_TRAPEZOIDS)
def trapezoid_tangent(z, y, x=None, dx=1.0, axis=-1):
    d[z] = trapezoid_integral(d[y], x, dx, axis)
    d[z] = trapezoid_x_tangent(d[x], y, x, axis)
    d[z] = d[dx] * trapezoid_dx_weight(y, x, axis)


@adjoint(numpy.interp)                          # z = numpy.interp(x, xp, fp, left, right)
def interp_adjoint(z, x, xp, fp, left=None, right=None):
    d[x] = d[z] * interp_slope(x, xp, fp)
    d[xp] = -interp_fp_adjoint(d[z] * interp_slope(x, xp, fp), x, xp, fp, 0.0, 0.0)
    d[fp] = interp_fp_adjoint(d[z], x, xp, fp, left, right)
    d[left] = numpy.sum(numpy.where(interp_side(x, xp, "left"), d[z], 0.0))
    d[right] = numpy.sum(numpy.where(interp_side(x, xp, "right"), d[z], 0.0))


@tangent(numpy.interp)
def interp_tangent(z, x, xp, fp, left=None, right=None):
    d[z] = d[x] * interp_slope(x, xp, fp)
    d[z] = -interp_slope(x, xp, fp) * interp_fp_tangent(d[xp], x, xp, 0.0, 0.0)
    d[z] = interp_fp_tangent(d[fp], x, xp, left, right)
    d[z] = numpy.where(interp_side(x, xp, "left"), d[left], 0.0)
    d[z] = numpy.where(interp_side(x, xp, "right"), d[right], 0.0)


# --- convolve, correlate (1-D) --------------------------------------------------------------

for _function in (numpy.convolve, numpy.correlate):
    supports(_function, "mode", lambda mode: mode in ("full", "same", "valid"), "mode='full', 'same' or 'valid'")


@adjoint(numpy.convolve)                        # z = numpy.convolve(a, v, mode)
def convolve_adjoint(z, a, v, mode="full"):
    d[a] = convolve_adjoint_a(d[z], a, v, mode, "convolve")
    d[v] = convolve_adjoint_v(d[z], a, v, mode, "convolve")


@tangent(numpy.convolve)
def convolve_tangent(z, a, v, mode="full"):
    d[z] = numpy.convolve(d[a], v, mode)
    d[z] = numpy.convolve(a, d[v], mode)


@adjoint(numpy.correlate)                       # z = numpy.correlate(a, v, mode); 'valid' by default
def correlate_adjoint(z, a, v, mode="valid"):
    d[a] = convolve_adjoint_a(d[z], a, v, mode, "correlate")
    d[v] = convolve_adjoint_v(d[z], a, v, mode, "correlate")


@tangent(numpy.correlate)
def correlate_tangent(z, a, v, mode="valid"):
    d[z] = numpy.correlate(d[a], v, mode)
    d[z] = numpy.correlate(a, d[v], mode)


# --- tangents of the helpers above (second order: hvp, hessian, grad of grad) ---------------
# interp's cells are piecewise constant in x, its slopes linear in fp; the fractions
# along the cells are not piecewise constant (interp_fp_adjoint_dx).

linear(interp_slope, "fp")
_XP_SECOND = "second derivatives in numpy.interp's sample points xp are not supported; pass xp as a constant"
constant_only(interp_slope, "xp", _XP_SECOND)
constant_only(interp_fp_adjoint, "xp", _XP_SECOND)
linear(trapezoid_dx_weight, "y")


@tangent(interp_fp_adjoint)                     # linear in g; smooth in x through its cells' fractions
def interp_fp_adjoint_tangent(out, g, x, xp, fp, left=None, right=None):
    d[out] = interp_fp_adjoint(d[g], x, xp, fp, left, right)
    d[out] = interp_fp_adjoint_dx(g, d[x], x, xp, fp)


@tangent(trapezoid_y_adjoint)                   # linear in g, and in the widths (x or dx)
def trapezoid_y_adjoint_tangent(out, g, y, x=None, dx=1.0, axis=-1):
    d[out] = trapezoid_y_adjoint(d[g], y, x, dx, axis)
    d[out] = trapezoid_y_adjoint(g, y, d[x], dx, axis)
    d[out] = trapezoid_y_adjoint_dx(g, y, x, d[dx], axis)


@tangent(trapezoid_x_adjoint)                   # bilinear in g and y
def trapezoid_x_adjoint_tangent(out, g, y, x, axis=-1):
    d[out] = trapezoid_x_adjoint(d[g], y, x, axis)
    d[out] = trapezoid_x_adjoint(g, d[y], x, axis)


@tangent(convolve_adjoint_a)                    # bilinear in g and v (a gives the shape)
def convolve_adjoint_a_tangent(out, g, a, v, mode="full", op="convolve"):
    d[out] = convolve_adjoint_a(d[g], a, v, mode, op)
    d[out] = convolve_adjoint_a(g, a, d[v], mode, op)


@tangent(convolve_adjoint_v)                    # bilinear in g and a (v gives the shape)
def convolve_adjoint_v_tangent(out, g, a, v, mode="full", op="convolve"):
    d[out] = convolve_adjoint_v(d[g], a, v, mode, op)
    d[out] = convolve_adjoint_v(g, d[a], v, mode, op)
