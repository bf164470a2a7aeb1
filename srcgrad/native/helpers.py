"""The runtime helpers as numba compiles them: plain Python, one function per helper.

The numba backend (`srcgrad/native`) writes a derivative's module with these
in place of `srcgrad.runtime`'s helpers of the same name (the exporter copies
each one's source, like a runtime helper's, and decorates it with
`numba.njit`). A runtime helper dispatches on Python types (`type(x) is
float`), which numba cannot type; these dispatch with `isinstance` on the
kinds the backend accepts, Python floats and ints and NumPy float arrays,
which numba resolves at compile time, so a branch for the other kind is
never typed. Each one gives the runtime helper's value on those kinds
(tests/test_native_helpers.py runs both). A helper that is not here makes
the backend refuse the derivative, naming it.

Numba's floats do not raise on a domain error or an overflow (`math.log(0.0)`
is -inf, not a ValueError), so the guards here keep the runtime helpers'
values, not their exceptions; docs/performance.md lists those differences.
"""
import math

import numpy


class SrcGradError(Exception):
    """Raised inside compiled code (numba raises a class with constant arguments);
    the backend turns it into srcgrad.SrcGradError at the boundary."""


def require_scalar(value):
    """Stop a gradient of a non-scalar output."""
    if isinstance(value, (float, int)):
        return
    if value.ndim != 0:
        raise SrcGradError("grad needs a function with a scalar output; use srcgrad.vjp or srcgrad.jacobian")


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a number, a float array of x's shape for an array."""
    if isinstance(x, (float, int)):
        return 0.0
    return numpy.zeros(x.shape)


def float_zeros(n):
    """`[0.0] * n` as the backend keeps it: a float array (see native/lowering.py)."""
    return numpy.zeros(n)


def shape_of(x):
    """What a loop tapes instead of an operand it reads only for its shape."""
    if isinstance(x, (float, int)):
        return ()
    return x.shape


def _sum_to(g, x):
    """`g` summed down to the shape of the array `x` (NumPy broadcasting undone)."""
    if g.ndim > x.ndim:
        return _sum_to(g.sum(axis=0), x)
    if g.shape == x.shape:
        return g
    out = numpy.zeros(x.shape)
    flat = out.reshape(out.size)
    strides = numpy.ones(x.ndim, numpy.int64)
    for axis in range(x.ndim - 2, -1, -1):
        strides[axis] = strides[axis + 1] * x.shape[axis + 1]
    for index in numpy.ndindex(g.shape):
        at = 0
        for axis in range(x.ndim):
            if x.shape[axis] != 1:
                at += index[axis] * strides[axis]
        flat[at] += g[index]
    return out


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing NumPy broadcasting."""
    if isinstance(x, (float, int)):
        if isinstance(g, (float, int)):
            return g
        return g.sum()
    if isinstance(g, (float, int)):
        return numpy.full(x.shape, g)
    return _sum_to(g, x)


def unbroadcast_to(g, xshape):
    """`unbroadcast` to a shape a loop taped (`shape_of`)."""
    if len(xshape) == 0:
        if isinstance(g, (float, int)):
            return g
        return g.sum()
    if isinstance(g, (float, int)):
        return numpy.full(xshape, g)
    return _sum_to(g, numpy.zeros(xshape))


def masked_product(g, factor):
    """g * factor, exactly 0 where g is 0 (even where factor is inf or NaN)."""
    if isinstance(g, (float, int)):
        if isinstance(factor, (float, int)):
            return 0.0 if g == 0.0 else g * factor
    return numpy.where(g == 0.0, 0.0, g * factor)


def selected_product(g, factor):
    """The adjoint of a product's operand: `masked_product`."""
    return masked_product(g, factor)


def tangent_ratio(t, denom):
    """t / denom, exactly 0 where t is 0; a signed inf where only denom is 0."""
    if isinstance(t, (float, int)):
        if isinstance(denom, (float, int)):
            if t == 0.0:
                return 0.0
            return t / denom if denom != 0 else math.copysign(math.inf, t)
    return numpy.where(t == 0.0, 0.0, t / denom)


def pole_ratio(t, denom):
    """t / denom where denom vanishes inside the domain (sqrt, log at 0): signed inf there."""
    if isinstance(t, (float, int)):
        if isinstance(denom, (float, int)):
            if t == 0.0:
                return 0.0
            return t / denom if denom != 0.0 else t * math.copysign(math.inf, denom)
    return tangent_ratio(t, denom)


def sign_of(x):
    """sign(x): -1, 0 or 1 (NaN for NaN)."""
    if isinstance(x, (float, int)):
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan
    return numpy.sign(x)


def log_or_zero(x):
    """log(x), but 0 where x == 0."""
    if isinstance(x, (float, int)):
        return math.log(x) if x != 0 else 0.0
    return numpy.log(numpy.where(x == 0.0, 1.0, x))


def power_derivative(x, c):
    """d(x ** c)/dx = c * x ** (c - 1): inf at x = 0 for c < 1, 0 for c = 0."""
    if isinstance(x, (float, int)):
        if c == 0:
            return 0.0
        if x == 0.0 and c < 1:
            return math.inf if c > 0 else -math.inf
        return c * x ** (c - 1)
    if c == 0:
        return numpy.zeros(x.shape)
    return c * numpy.power(x, c - 1)


def choice_share(g, x, other, z):
    """The share of `x` of `g` in `z`, a choice between `x` and `other` (max, min)."""
    if isinstance(z, (float, int)):
        if z != z:
            return 0.0 if g == 0.0 else math.nan
        if z != x:
            return 0.0
        return 0.5 * g if x == other else g
    share = numpy.where(z == x, numpy.where(x == other, 0.5 * g, g), 0.0)
    return numpy.where(numpy.isnan(z) & (g != 0.0), numpy.nan, share)


def radial_share(g, x, r):
    """g * x / r, and 0 where r is 0 (hypot, the 2-norm)."""
    if isinstance(r, (float, int)):
        return g * x / r if r != 0 else 0.0
    return numpy.where(r == 0.0, 0.0, g * x / numpy.where(r == 0.0, 1.0, r))


NAMES = frozenset(name for name, value in list(globals().items())
                  if callable(value) and not name.startswith("_") and name != "SrcGradError")
