"""Derivative rules for methods and attributes of NumPy arrays.

`x.sum(axis=0)` is looked up under the method descriptor `numpy.ndarray.sum`
with `x` bound to the template's first primitive parameter; `x.T` under the
attribute descriptor `numpy.ndarray.T`. A method whose parameters are its
function's with `self` first is an alias of that function's rule; the others
have templates here. Templates: spliced into generated code, never run.
"""
import numpy

from srcgrad.rules.registry import adjoint, alias, linear, nondifferentiable, tangent
from srcgrad.runtime import (
    astype_adjoint_helper,
    broadcast_like,
    cast_tangent,
    clip_share,
    item_adjoint_helper,
    item_tangent_helper,
    method_axes,
    reshape_adjoint_helper,
    reshape_tangent_helper,
    transpose_adjoint_helper,
    unbroadcast,
)
from srcgrad.templates import d

nondifferentiable(
    numpy.ndarray.shape, numpy.ndarray.ndim, numpy.ndarray.size, numpy.ndarray.dtype,
    numpy.ndarray.argmax, numpy.ndarray.argmin, numpy.ndarray.argsort,
    numpy.ndarray.nonzero, numpy.ndarray.all, numpy.ndarray.any,
)

# x.method(...) == numpy.function(x, ...): same parameter names and order.
for _method, _function in (
    (numpy.ndarray.sum, numpy.sum),
    (numpy.ndarray.mean, numpy.mean),
    (numpy.ndarray.prod, numpy.prod),
    (numpy.ndarray.max, numpy.max),
    (numpy.ndarray.min, numpy.min),
    (numpy.ndarray.var, numpy.var),
    (numpy.ndarray.std, numpy.std),
    (numpy.ndarray.cumsum, numpy.cumsum),
    (numpy.ndarray.cumprod, numpy.cumprod),
    (numpy.ndarray.dot, numpy.dot),
    (numpy.ndarray.swapaxes, numpy.swapaxes),
    (numpy.ndarray.squeeze, numpy.squeeze),
    (numpy.ndarray.repeat, numpy.repeat),
    (numpy.ndarray.take, numpy.take),
    (numpy.ndarray.ravel, numpy.ravel),
    (numpy.ndarray.flatten, numpy.ravel),  # flatten(order) reads like ravel(a, order)
    (numpy.ndarray.diagonal, numpy.diagonal),
    (numpy.ndarray.trace, numpy.trace),
    (numpy.ndarray.round, numpy.round),
    (numpy.ndarray.copy, numpy.copy),
):
    alias(_method, _function)


@adjoint(numpy.ndarray.T)                       # z = a.T
def T_adjoint(z, a):
    d[a] = numpy.transpose(d[z])


linear(numpy.ndarray.T, "a")                    # z_dot = a_dot.T


@adjoint(numpy.ndarray.reshape)                 # z = a.reshape(*shape, order=order)
def reshape_method_adjoint(z, a, *shape, order="C", copy=None):
    d[a] = reshape_adjoint_helper(d[z], a, order)


@tangent(numpy.ndarray.reshape)
def reshape_method_tangent(z, a, *shape, order="C", copy=None):
    d[z] = reshape_tangent_helper(d[a], a, z, order)


@adjoint(numpy.ndarray.transpose)               # z = a.transpose(*axes)
def transpose_method_adjoint(z, a, *axes):
    d[a] = transpose_adjoint_helper(d[z], method_axes(axes))


linear(numpy.ndarray.transpose, "a")


@adjoint(numpy.ndarray.astype)                  # z = a.astype(dtype)
def astype_adjoint(z, a, dtype, order="K", copy=True):
    d[a] = astype_adjoint_helper(d[z], a, dtype)


@tangent(numpy.ndarray.astype)
def astype_tangent(z, a, dtype, order="K", copy=True):
    d[z] = cast_tangent(d[a], dtype)


@adjoint(numpy.ndarray.item)                    # z = a.item(*args)
def item_adjoint(z, a, *args):
    d[a] = item_adjoint_helper(d[z], a, args)


@tangent(numpy.ndarray.item)
def item_tangent(z, a, *args):
    d[z] = item_tangent_helper(d[a], args)


# z = a.clip(min, max): numpy.clip's rule, under the method's parameter names
# (numpy.clip's are a_min and a_max); either bound may be left out.
@adjoint(numpy.ndarray.clip)
def clip_method_adjoint(z, a, min=None, max=None):
    d[a] = unbroadcast(clip_share(d[z], a, min, max, "a"), a)
    d[min] = unbroadcast(clip_share(d[z], a, min, max, "a_min"), min)
    d[max] = unbroadcast(clip_share(d[z], a, min, max, "a_max"), max)


@tangent(numpy.ndarray.clip)
def clip_method_tangent(z, a, min=None, max=None):
    d[z] = broadcast_like(clip_share(d[a], a, min, max, "a"), z)
    d[z] = broadcast_like(clip_share(d[min], a, min, max, "a_min"), z)
    d[z] = broadcast_like(clip_share(d[max], a, min, max, "a_max"), z)
