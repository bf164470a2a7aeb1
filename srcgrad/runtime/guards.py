"""Elementwise derivatives guarded where they are infinite, undefined or tied.

A rule whose derivative divides (sqrt and log at 0), multiplies by
something that can overflow (exp), or picks between operands (maximum,
clip) calls one of these instead of the bare expression: a zero adjoint
stays exactly zero (`tangent_ratio`, `masked_product`), a removable
singularity gets its limit (`sinc_derivative`), ties
split evenly, as central differences see them (`tie_share`, `choice_share`),
and a choice made at a NaN has a NaN derivative. Python
numbers in give a Python number out. A derivative's fast path runs without
these guards and falls back to them (see checks.has_nan).
"""
import math

import numpy

from .core import duck, eager, zeros_like


def log_or_zero(x):
    """log(x), but 0 where x == 0: the factor in d(x ** y)/dy, which is 0 there."""
    if isinstance(x, (float, int)):
        return math.log(x) if x != 0 else 0.0
    return numpy.log(numpy.where(numpy.equal(x, 0), 1.0, x))


def sign_of(x):
    """sign(x): -1, 0 or 1 (NaN for NaN), a Python float for a Python number and
    numpy.sign's value otherwise. The derivative of builtin abs and math.fabs:
    a piecewise constant with zero derivative (its rule says so), so abs''(0) =
    0 as for numpy.abs, whose derivative is numpy.sign. The arithmetic
    `x / (abs(x) + (x == 0))` has the same value but differentiates to 1 at 0.
    """
    if type(x) is float or type(x) is int:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan
    return numpy.sign(x)


def tie_share(g, win, lose):
    """`g` where `win > lose`, half of it where they are equal, 0 elsewhere.

    The share of one operand in numpy.maximum(win, lose) (and, with the
    operands swapped, in minimum): ties split evenly, as central differences do.
    numpy.where keeps an inf or NaN in `g` out of the unselected entries.
    Where either operand is NaN, so is the result: no side was chosen, and the
    share is NaN (`_undefined`).
    """
    half = numpy.where(numpy.equal(win, lose), 0.5 * g, 0.0)
    share = numpy.where(numpy.greater(win, lose), g, half)
    return _undefined(share, g, numpy.isnan(win) | numpy.isnan(lose))


_NUMBERS = (float, int)


def choice_share(g, x, other, z):
    """The share of `x` of `g` in `z`, a choice between `x` and `other`
    (numpy.maximum, minimum, fmax and fmin; builtin max and min of two values).

    All of `g` where z is x, half of it at a tie (x == other), none where z is
    `other`. Where z is NaN no side was chosen and the share is NaN (NaN in,
    NaN out, as numpy.max gives); where only the side not chosen is NaN (fmax,
    fmin, and `max(a, nan)`, which is `a`), the chosen side takes all of `g`.
    Python numbers in give a Python float out.
    """
    if type(g) is float and type(z) in _NUMBERS and type(x) in _NUMBERS and type(other) in _NUMBERS:
        if z != z:
            return 0.0 if g == 0.0 else math.nan
        if z != x:
            return 0.0
        return 0.5 * g if x == other else g
    share = numpy.where(numpy.equal(z, x), numpy.where(numpy.equal(x, other), 0.5 * g, g), 0.0)
    return _undefined(share, g, numpy.isnan(z))


def _undefined(share, g, at):
    """`share` with NaN where `at` (a selection made at a NaN: the derivative is
    undefined), except where `g` is 0: a zero adjoint or tangent stays zero (the
    policy of the guards, docs/reliability.md)."""
    if not eager(at) or at.any():
        share = numpy.where(at & numpy.not_equal(g, 0), numpy.nan, share)
    return share


def clip_share(g, a, a_min, a_max, part):
    """The share of `part` ("a", "a_min" or "a_max") of `g` in numpy.clip.

    clip is read as minimum(maximum(a, a_min), a_max), a bound may be None;
    ties split evenly (tie_share), as in maximum and minimum. Where the result
    is NaN (a NaN `a` or bound), every part's share is NaN, as in maximum.
    """
    low = a if a_min is None else numpy.maximum(a, a_min)
    if part == "a_max":
        share = tie_share(g, low, a_max)
    else:
        g_low = g if a_max is None else tie_share(g, a_max, low)
        if part == "a_min":
            share = tie_share(g_low, a_min, a)
        else:
            share = g_low if a_min is None else tie_share(g_low, a, a_min)
    return _undefined(share, g, numpy.isnan(low if a_max is None else numpy.minimum(low, a_max)))


def radial_share(g, x, r):
    """g * x / r, and 0 where r is 0: the share of `x` of `g` in the 2-norm r of
    (x, ...) (hypot). At the origin the gradient is 0, the norm's convention;
    the helper's tangent rule keeps every term 0 there too, so the Hessian at
    the origin is 0, as numpy.linalg.norm's (not the identity that
    `g * x / (r + (r == 0))` differentiates to). Python numbers stay numbers.
    """
    if type(g) is float and type(x) in _NUMBERS and type(r) in _NUMBERS:
        return g * x / r if r != 0 else 0.0
    at_zero = numpy.equal(r, 0)
    return numpy.where(at_zero, 0.0, g * x / numpy.where(at_zero, 1.0, r))


def sinc_derivative(x, z):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    zero = numpy.equal(x, 0)
    safe = numpy.where(zero, 1.0, x)
    return numpy.where(zero, 0.0, (numpy.cos(numpy.pi * safe) - z) / safe)


def tangent_ratio(t, denom):
    """t / denom for a tangent or adjoint `t`, exactly 0 where `t` is 0.

    Rules of functions whose derivative is infinite somewhere (sqrt and log at
    0, arcsin at 1, ...) divide by `denom`. A zero `t` stays zero there, as the
    adjoint of numpy.where keeps an infinite derivative out of the entries it
    did not select (`sqrt(where(x > 0, x, 0))`). Only a 0/0 makes NaN, so the
    common case costs one check.
    """
    if type(t) is float and (type(denom) is float or type(denom) is int):  # numbers stay numbers
        if t == 0.0:
            return 0.0
        return t / denom if denom != 0 else math.copysign(math.inf, t)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        q = numpy.divide(t, denom)
    # a nonzero number t has no zero to keep: any NaN is the denominator's own
    if not (type(t) is float and t != 0.0) and (not eager(q) or numpy.isnan(q).any()):
        q = numpy.where(numpy.equal(t, 0), 0.0, q)
    return q[()] if isinstance(q, numpy.ndarray) and not q.ndim else q  # a 0-d result as a scalar


def pole_ratio(t, denom):
    """t / denom where `denom` vanishes inside a function's domain: the derivatives
    of sqrt and log at 0, arcsin at 1 (srcgrad/rules/elementwise.py). The signed inf
    there, and 0 where `t` is 0, as `tangent_ratio` gives, on Python numbers too.

    Kept apart from `tangent_ratio`, whose denominator is a divisor: on Python
    numbers the optimiser writes that one as a plain `/` (a zero divisor has made
    the division itself raise), which here would raise ZeroDivisionError at
    `math.sqrt(0.0)`. On arrays the fast path (optimize/fastpath.py) writes both
    as `/`, falling back to the guarded twin at an inf or NaN.
    """
    if type(t) is float and type(denom) is float:
        if t == 0.0:
            return 0.0
        return t / denom if denom != 0.0 else t * math.copysign(math.inf, denom)
    return tangent_ratio(t, denom)


def exponent_tangent(g, z, x):
    """g * z * log(x): the tangent of `z = x ** y` along the exponent's tangent g, 0
    where g is 0 without taking the log. An exponent restored from the tape (an int
    `k` of a loop) carries a zero tangent, and the log of a negative base raises.
    The zero has z's shape (a scalar exponent of an array base: `z[1:]` is taken of it)."""
    if (type(g) is float or type(g) is int or numpy.ndim(g) == 0) and g == 0:  # (a NumPy int's tangent too)
        return 0.0 if numpy.ndim(z) == 0 else zeros_like(z)
    return masked_product(g, z * log_or_zero(x))


def masked_product(g, factor):
    """g * factor, exactly 0 where g is 0 (even where factor is inf or NaN).

    An adjoint or tangent that is zero on entries numpy.where did not select
    must stay zero through a derivative that is infinite there (exp overflow,
    a reciprocal at 0): 0 * inf would be NaN and poison the gradient.
    """
    if type(g) is float and (type(factor) is float or type(factor) is int):
        return 0.0 if g == 0.0 else g * factor
    with numpy.errstate(invalid="ignore", over="ignore"):
        q = numpy.multiply(g, factor)
    # Only 0 * inf makes NaN, so the common case costs one check; a nonzero
    # number g has no zero to keep, and any NaN is the factor's own.
    if not (type(g) is float and g != 0.0) and (not eager(q) or numpy.isnan(q).any()):
        q = numpy.where(numpy.equal(g, 0), 0.0, q)
    return q[()] if isinstance(q, numpy.ndarray) and not q.ndim else q  # a 0-d result as a scalar


def selected_product(g, factor):
    """g * factor for the adjoint `g` of a product's operand: `masked_product`.

    A product's adjoint needs the guard only where `g` may hold a selection's
    zero, an entry the function's value does not depend on (the unselected
    side of numpy.where, an entry indexing did not read): there the other
    factor may be inf or NaN (`p * log(p)` at p = 0), and 0 * NaN must stay 0.
    The optimiser writes it as a plain `*` wherever no selection can reach `g`
    (optimize/selections.py); a helper of its own tells it which guards those are.
    """
    if isinstance(g, float) and isinstance(factor, (float, int)):  # Python and NumPy scalars
        return 0.0 if g == 0.0 else g * factor
    return masked_product(g, factor)


def power_derivative(x, c):
    """d(x ** c)/dx = c * x ** (c - 1): inf (not an error) at x = 0 for c < 1, 0 for c = 0."""
    if type(x) is float and type(c) in (float, int):
        if c == 0:
            return 0.0
        if x == 0.0 and c < 1:
            return math.inf if c > 0 else -math.inf
        try:
            return c * x ** (c - 1)
        except OverflowError:  # x ** c is finite, its slope is not (x ** -1 at 1e-170): inf, as 1 / x gives
            with numpy.errstate(over="ignore"):
                return float(c * numpy.power(numpy.float64(x), c - 1))
    with numpy.errstate(divide="ignore", invalid="ignore"):
        dtype = numpy.result_type(x, 1.0)
        base = x.astype(dtype) if duck(x) else numpy.asarray(x, dtype=dtype)
        out = numpy.multiply(c, numpy.power(base, c - 1))  # c - 1 stays a weak Python number
    return numpy.where(numpy.equal(c, 0), 0.0, out)[()]
