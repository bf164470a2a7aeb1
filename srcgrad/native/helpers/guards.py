"""The elementwise guards (srcgrad/runtime/guards.py) on numbers and float arrays:
a zero adjoint stays zero, ties split evenly, a choice made at a NaN is NaN."""
import math

import numpy

from .core import SrcGradError


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
    """log(x), but 0 where x == 0; for a negative number Python's ValueError, as the
    runtime's math.log raises (numba's gives NaN): d(x ** y)/dy at a negative base."""
    if isinstance(x, (float, int)):
        if x < 0:
            raise ValueError("math domain error")
        return math.log(x) if x != 0 else 0.0
    return numpy.log(numpy.where(x == 0.0, 1.0, x))


def exponent_tangent(g, z, x):
    """g * z * log(x), 0 where g is 0 without taking the log."""
    if isinstance(g, (float, int)):
        if g == 0.0:
            return 0.0
    return masked_product(g, z * log_or_zero(x))


def power_derivative(x, c):
    """d(x ** c)/dx = c * x ** (c - 1): inf at x = 0 for c < 1, 0 for c = 0."""
    if isinstance(c, (float, int)):
        if isinstance(x, (float, int)):
            if c == 0:
                return 0.0
            if x == 0.0 and c < 1:
                return math.inf if c > 0 else -math.inf
            return c * x ** (c - 1)
        if c == 0:
            return numpy.zeros(x.shape)
        return c * numpy.power(x, c - 1)
    return numpy.where(c == 0, 0.0, c * numpy.power(x, c - 1))  # an array of exponents


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


def tie_share(g, win, lose):
    """`g` where `win > lose`, half of it where they are equal, 0 elsewhere; NaN (where g
    is not 0) where either operand is NaN."""
    if isinstance(g, (float, int)):
        if isinstance(win, (float, int)):
            if isinstance(lose, (float, int)):
                share = g if win > lose else 0.5 * g if win == lose else 0.0
                return _undefined(share, g, win != win or lose != lose)
            else:
                return _tie_array(g, win, lose)
        else:
            return _tie_array(g, win, lose)
    else:
        return _tie_array(g, win, lose)


def _tie_array(g, win, lose):
    share = numpy.where(win > lose, g, numpy.where(win == lose, 0.5 * g, 0.0))
    return _undefined(share, g, numpy.isnan(win) | numpy.isnan(lose))


def _undefined(share, g, at):
    """`share` with NaN where `at` (a choice made at a NaN), except where `g` is 0."""
    if isinstance(share, (float, int)):
        return math.nan if at and g != 0.0 else share
    else:
        return numpy.where(at & (g != 0.0), math.nan, share)


def clip_share(g, a, a_min, a_max, part):
    """The share of `part` ("a", "a_min" or "a_max") of `g` in numpy.clip, read as
    minimum(maximum(a, a_min), a_max); a bound may be None.

    numba drops a branch under `if b is None` only where `b` is None, so each
    bound is read only in the else branch of its own test."""
    if a_max is None:
        if a_min is None:
            raise SrcGradError("numpy.clip needs a_min or a_max")
        else:  # maximum(a, a_min)
            if part == "a_min":
                share = tie_share(g, a_min, a)
            else:
                share = tie_share(g, a, a_min)
            return _undefined(share, g, numpy.isnan(numpy.maximum(a, a_min)))
    else:
        if a_min is None:  # minimum(a, a_max)
            if part == "a_max":
                share = tie_share(g, a, a_max)
            else:
                share = tie_share(g, a_max, a)
            return _undefined(share, g, numpy.isnan(numpy.minimum(a, a_max)))
        else:
            low = numpy.maximum(a, a_min)
            if part == "a_max":
                share = tie_share(g, low, a_max)
            elif part == "a_min":
                share = tie_share(tie_share(g, a_max, low), a_min, a)
            else:
                share = tie_share(tie_share(g, a_max, low), a, a_min)
            return _undefined(share, g, numpy.isnan(numpy.minimum(low, a_max)))
