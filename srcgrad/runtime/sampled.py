"""Sampled functions: adjoints and tangents of trapezoid, interp and convolve/correlate.

trapezoid is linear in y for fixed widths and in the widths for fixed y; interp
is linear in fp, with the slope of x's interval as its derivative in x; a
convolution is linear in each operand, its adjoint a correlation with the other.
"""
import numpy

from .core import as_array, unbroadcast, unbroadcast_to


# --- trapezoid ------------------------------------------------------------------------


def _spacing(y, x, dx, axis):
    """The widths of trapezoid(y, x, dx, axis)'s intervals, broadcastable against y's."""
    if x is None:
        return dx
    x = as_array(x)
    if x.ndim == 1:
        shape = [1] * numpy.ndim(y)
        shape[axis] = x.size - 1
        return numpy.diff(x).reshape(shape)
    return numpy.diff(x, axis=axis)


def _pairs(y, axis):
    """(y[i] + y[i + 1]) / 2 along `axis`."""
    n = y.shape[axis]
    return (numpy.take(y, numpy.arange(1, n), axis) + numpy.take(y, numpy.arange(n - 1), axis)) / 2.0


def _spread(h, axis, sign=-1.0):
    """h[i - 1] + sign * h[i] along `axis` (one entry longer than h): the adjoint
    of a difference (sign -1) or of a pairwise sum (sign +1)."""
    pad = [(0, 0)] * h.ndim
    before, after = list(pad), list(pad)
    before[axis], after[axis] = (1, 0), (0, 1)
    return numpy.pad(h, before) + sign * numpy.pad(h, after)


def trapezoid_integral(y, x=None, dx=1.0, axis=-1):
    """numpy.trapezoid (numpy.trapz before NumPy 2.0)."""
    return _TRAPEZOID(y, x, dx, axis)


_TRAPEZOID = getattr(numpy, "trapezoid", None) or getattr(numpy, "trapz")


def trapezoid_y_adjoint(g, y, x=None, dx=1.0, axis=-1):
    """Adjoint in y of trapezoid(y, x, dx, axis): each y[i] weighs half of the widths beside it."""
    y = as_array(y)
    axis = axis % y.ndim
    half = numpy.expand_dims(g, axis) * _spacing(y, x, dx, axis) / 2.0
    half = numpy.broadcast_to(half, numpy.broadcast_shapes(numpy.shape(half), _pairs(y, axis).shape))
    return unbroadcast(_spread(half, axis, 1.0), y)


def trapezoid_y_adjoint_dx(g, y, x, t_dx, axis=-1):
    """trapezoid_y_adjoint along the tangent of dx: zero when x is given (dx is unused)."""
    if x is not None:
        return numpy.zeros(numpy.shape(y))
    return trapezoid_y_adjoint(g, y, None, t_dx, axis)


def trapezoid_x_adjoint(g, y, x, axis=-1):
    """Adjoint in x of trapezoid(y, x, axis=axis): width i weighs (y[i] + y[i + 1]) / 2."""
    y = as_array(y)
    axis = axis % y.ndim
    widths = numpy.expand_dims(g, axis) * _pairs(y, axis)
    x = as_array(x)
    if x.ndim == 1:
        widths = numpy.sum(widths, axis=tuple(i for i in range(widths.ndim) if i != axis))
        return _spread(widths, 0)
    return _spread(unbroadcast_to(widths, numpy.diff(x, axis=axis).shape), axis)


def trapezoid_x_tangent(t, y, x, axis=-1):
    """Tangent of trapezoid(y, x, axis=axis) along the tangent `t` of x."""
    y = as_array(y)
    axis = axis % y.ndim
    return numpy.sum(_pairs(y, axis) * _spacing(y, numpy.broadcast_to(t, numpy.shape(x)), None, axis), axis=axis)


def trapezoid_dx_weight(y, x=None, axis=-1):
    """d trapezoid(y, dx=dx, axis) / d dx: the sum of the pairs' means (0 when x is given)."""
    y = as_array(y)
    axis = axis % y.ndim
    total = numpy.sum(_pairs(y, axis), axis=axis)
    return total if x is None else numpy.zeros(numpy.shape(total))


# --- interp ------------------------------------------------------------------------------


def _cells(x, xp):
    """For each x: its interval [xp[lo], xp[hi]], the fraction t along it, and whether
    it lies left of xp[0] or right of xp[-1] (numpy.interp's `left` and `right`)."""
    x = numpy.asarray(x, dtype=float)
    xp = numpy.asarray(xp, dtype=float)
    n = xp.size
    lo = numpy.clip(numpy.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    hi = numpy.minimum(lo + 1, n - 1)
    width = xp[hi] - xp[lo]
    t = numpy.where(width != 0, (x - xp[lo]) / numpy.where(width != 0, width, 1.0), 0.0)
    return lo, hi, t, x < xp[0], x > xp[-1]


def interp_slope(x, xp, fp):
    """d numpy.interp(x, xp, fp) / dx: the slope of x's interval, 0 outside [xp[0], xp[-1]];
    at an inner sample point the mean of the slopes on its two sides, as central
    differences see the kink."""
    lo, hi, t, below, above = _cells(x, xp)
    fp = as_array(fp)
    xp = numpy.asarray(xp, dtype=float)
    width = xp[hi] - xp[lo]
    slope = (fp[hi] - fp[lo]) / numpy.where(width != 0, width, 1.0)
    before = numpy.maximum(lo - 1, 0)
    width_before = xp[lo] - xp[before]
    slope_before = (fp[lo] - fp[before]) / numpy.where(width_before != 0, width_before, 1.0)
    knot = (t == 0) & (lo > 0) & (width_before != 0) & (width != 0)
    slope = numpy.where(knot, (slope + slope_before) / 2, slope)
    return numpy.where(below | above | (width == 0), 0.0, slope)


def interp_side(x, xp, side):
    """Where numpy.interp(x, xp, ...) returns `left` (side 'left') or `right`."""
    _, _, _, below, above = _cells(x, xp)
    return below if side == "left" else above


def interp_fp_adjoint(g, x, xp, fp, left=None, right=None):
    """Adjoint in fp of numpy.interp(x, xp, fp, left, right): g shared between each
    x's two neighbours; outside the range, to fp[0] / fp[-1] unless left / right is given."""
    lo, hi, t, below, above = _cells(x, xp)
    g = numpy.broadcast_to(g, numpy.shape(lo))
    inside = ~(below | above)
    n = numpy.size(fp)
    out = numpy.bincount(numpy.ravel(lo), numpy.ravel(numpy.where(inside, g * (1.0 - t), 0.0)), n) \
        + numpy.bincount(numpy.ravel(hi), numpy.ravel(numpy.where(inside, g * t, 0.0)), n)
    if left is None:
        out[0] += numpy.sum(numpy.where(below, g, 0.0))
    if right is None:
        out[-1] += numpy.sum(numpy.where(above, g, 0.0))
    return out


def interp_fp_adjoint_dx(g, t, x, xp, fp):
    """Tangent of interp_fp_adjoint(g, x, xp, fp, ...) along the tangent `t` of x: inside
    the range, each x's share moves from its left neighbour to its right one at the rate
    t / width of its interval."""
    lo, hi, _, below, above = _cells(x, xp)
    xp = numpy.asarray(xp, dtype=float)
    width = xp[hi] - xp[lo]
    rate = numpy.where(below | above | (width == 0), 0.0,
                       numpy.broadcast_to(g, numpy.shape(lo)) * t / numpy.where(width != 0, width, 1.0))
    n = numpy.size(fp)
    return numpy.bincount(numpy.ravel(hi), numpy.ravel(rate), n) - numpy.bincount(numpy.ravel(lo), numpy.ravel(rate), n)


def interp_fp_tangent(t, x, xp, left=None, right=None):
    """Tangent of numpy.interp(x, xp, fp, left, right) along the tangent `t` of fp."""
    return numpy.interp(x, xp, numpy.broadcast_to(t, numpy.shape(xp)),
                        None if left is None else 0.0, None if right is None else 0.0)


# --- convolve, correlate -------------------------------------------------------------------

_MODES = ("full", "same", "valid")


def _start(n, m, mode, op):
    """Where numpy.convolve / numpy.correlate's `mode` output starts in the full one."""
    short = min(n, m)
    if mode == "full":
        return 0
    if mode == "valid":
        return short - 1
    if mode == "same":
        return short // 2 if op == "correlate" and n < m else (short - 1) // 2
    raise ValueError(f"{op}: mode {mode!r} is not one of {_MODES}")


def _full(g, n, m, mode, op):
    g = numpy.atleast_1d(as_array(g))
    out = numpy.zeros(n + m - 1, dtype=numpy.result_type(g.dtype, float))
    start = _start(n, m, mode, op)
    out[start:start + g.size] = g
    return out


def convolve_adjoint_a(g, a, v, mode="full", op="convolve"):
    """Adjoint in `a` of numpy.convolve(a, v, mode) (op 'convolve') or numpy.correlate."""
    a1, v1 = numpy.atleast_1d(a), numpy.atleast_1d(v)
    kernel = v1 if op == "convolve" else v1[::-1]
    out = numpy.correlate(_full(g, a1.size, v1.size, mode, op), kernel, "valid")
    return numpy.reshape(out, numpy.shape(a))


def convolve_adjoint_v(g, a, v, mode="full", op="convolve"):
    """Adjoint in `v` of numpy.convolve(a, v, mode) (op 'convolve') or numpy.correlate."""
    a1, v1 = numpy.atleast_1d(a), numpy.atleast_1d(v)
    out = numpy.correlate(_full(g, a1.size, v1.size, mode, op), a1, "valid")
    return numpy.reshape(out if op == "convolve" else out[::-1], numpy.shape(v))
