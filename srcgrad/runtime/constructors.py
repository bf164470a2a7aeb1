"""Constructors with a value argument: numpy.full, full_like, linspace and arange.

The result depends linearly on the value arguments (start, stop, step, fill
value), unless it is rounded to integers: then the derivative is zero.
"""
import numpy

from .core import as_array, broadcast_like, unbroadcast, zeros_like


def _float_result(z) -> bool:
    """Whether a constructor's result is of a float type: rounded to integers, its
    value argument is piecewise constant and has a zero derivative."""
    return as_array(z).dtype.kind == "f"


def fill_adjoint(g, z, fill_value):
    """The adjoint of the fill value of numpy.full / full_like: `g` summed down to it."""
    return unbroadcast(g, fill_value) if _float_result(z) else zeros_like(fill_value)


def fill_tangent(t, z):
    """The tangent of numpy.full / full_like from its fill value's tangent `t`."""
    return broadcast_like(t, z) if _float_result(z) else zeros_like(z)


def _linspace_weights(z, num, endpoint, axis, end):
    """d z / d start (end 0) or d z / d stop (end 1) of numpy.linspace, shaped to
    broadcast along `axis`: the entries are start + (stop - start) * i / div."""
    div = num - 1 if endpoint else num
    t = numpy.arange(num) / div if div > 0 else numpy.zeros(num)
    shape = [1] * numpy.ndim(z)
    shape[axis] = num
    return (t if end else 1.0 - t).reshape(shape)


def linspace_adjoint(g, z, value, num, endpoint, axis, end):
    """The adjoint of numpy.linspace's start (end 0) or stop (end 1), `value`."""
    if not _float_result(z):
        return zeros_like(value)
    axis = axis % numpy.ndim(z)
    return unbroadcast(numpy.sum(g * _linspace_weights(z, num, endpoint, axis, end), axis=axis), value)


def linspace_tangent(t, z, num, endpoint, axis, end):
    """numpy.linspace's tangent from the tangent `t` of its start (end 0) or stop (end 1)."""
    if not _float_result(z):
        return zeros_like(z)
    axis = axis % numpy.ndim(z)
    shape = numpy.shape(z)
    t = numpy.expand_dims(numpy.broadcast_to(t, shape[:axis] + shape[axis + 1:]), axis)
    return broadcast_like(t * _linspace_weights(z, num, endpoint, axis, end), z)


def arange_adjoint(g, z, value, stop, end):
    """The adjoint of numpy.arange's float start (end 0) or step (end 2), `value`:
    the entries are start + i * step. With one argument (`arange(stop)`) the
    argument is the stop, on which the entries depend piecewise constantly."""
    if stop is None or not _float_result(z):
        return zeros_like(value)
    return numpy.sum(g) if end == 0 else numpy.dot(g, numpy.arange(len(z)))


def arange_tangent(t, z, stop, end):
    """numpy.arange's tangent from the tangent `t` of its start (end 0) or step (end 2)."""
    if stop is None or not _float_result(z):
        return zeros_like(z)
    return broadcast_like(t, z) if end == 0 else t * numpy.arange(len(z))
