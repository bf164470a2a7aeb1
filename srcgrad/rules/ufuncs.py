"""Derivative rules for the methods of NumPy's ufuncs: `numpy.add.reduce`,
`numpy.multiply.accumulate`, `numpy.subtract.outer`, ...

A ufunc's method is a bound method object (`numpy.add.reduce`), looked up in
the registry like any other primitive: analysis/resolve.py walks from a ufunc
to its method's attribute. Each rule is the one of the function the method
computes: add.reduce is sum (with axis 0 by default), multiply.accumulate is
cumprod, maximum.accumulate the running maximum (each result is one entry of
the data: the first to reach it), ufunc.outer(A, B) is ufunc applied to A with one new trailing axis
per axis of B (`outer_expand`). reduce with `dtype=`, `initial=` or `where=`
has the rules of the same keywords on sum, prod, max and min (a form, see
rules/reductions.py). Keywords not declared (`out`, accumulate's `dtype`) are
rejected with a located error.
"""
import numpy

from srcgrad.rules.registry import adjoint, form, linear, tangent
from srcgrad.runtime import (
    astype_adjoint_helper,
    broadcast_like,
    cast_tangent,
    cumprod_adjoint_helper,
    cumprod_tangent_helper,
    cumsum_adjoint_helper,
    extreme_form_share,
    extreme_form_tangent,
    extreme_tangent_helper,
    initial_factor,
    outer_expand,
    outer_unexpand,
    prod_adjoint_helper,
    prod_tangent_helper,
    running_extreme_adjoint,
    running_extreme_tangent,
    tie_share,
    unbroadcast,
    unreduce,
    unreduce_extreme,
)
from srcgrad.templates import d

# --- reduce and accumulate --------------------------------------------------------------


@adjoint(numpy.add.reduce)                      # z = numpy.sum(array, axis), axis 0 by default
def add_reduce_adjoint(z, array, axis=0, *, keepdims=False):
    d[array] = unreduce(d[z], array, axis, keepdims)


linear(numpy.add.reduce, "array")


@adjoint(numpy.multiply.reduce)                 # z = numpy.prod(array, axis); zeros exact
def multiply_reduce_adjoint(z, array, axis=0, *, keepdims=False):
    d[array] = prod_adjoint_helper(d[z], array, z, axis, keepdims)


@tangent(numpy.multiply.reduce)
def multiply_reduce_tangent(z, array, axis=0, *, keepdims=False):
    d[z] = prod_tangent_helper(d[array], array, z, axis, keepdims)


@adjoint(numpy.maximum.reduce, numpy.minimum.reduce)   # numpy.max / min(array, axis): ties share
def extreme_reduce_adjoint(z, array, axis=0, *, keepdims=False):
    d[array] = unreduce_extreme(d[z], array, z, axis, keepdims)


@tangent(numpy.maximum.reduce, numpy.minimum.reduce)
def extreme_reduce_tangent(z, array, axis=0, *, keepdims=False):
    d[z] = extreme_tangent_helper(d[array], array, z, axis, keepdims)


# reduce with dtype=, initial= or where=: the forms of numpy.sum, prod, max and min
# (rules/reductions.py) with reduce's parameter name and axis 0 by default

ADD_REDUCE = form(numpy.add.reduce, "dtype=, initial=, where=")
MULTIPLY_REDUCE = form(numpy.multiply.reduce, "dtype=, initial=, where=")
EXTREME_REDUCES = (form(numpy.maximum.reduce, "initial=, where="), form(numpy.minimum.reduce, "initial=, where="))


@adjoint(ADD_REDUCE)
def add_reduce_form_adjoint(z, array, axis=0, dtype=None, *, keepdims=False, initial=None, where=True):
    d[array] = astype_adjoint_helper(numpy.where(where, unreduce(d[z], array, axis, keepdims), 0.0), array, dtype)
    d[initial] = numpy.sum(d[z])


@tangent(ADD_REDUCE)
def add_reduce_form_tangent(z, array, axis=0, dtype=None, *, keepdims=False, initial=None, where=True):
    d[z] = numpy.sum(cast_tangent(d[array], dtype), axis, keepdims=keepdims, where=where)
    d[z] = broadcast_like(d[initial], z)


@adjoint(MULTIPLY_REDUCE)
def multiply_reduce_form_adjoint(z, array, axis=0, dtype=None, *, keepdims=False, initial=None, where=True):
    masked = numpy.where(where, array, 1.0)
    product = numpy.prod(masked, axis, keepdims=keepdims)
    g = prod_adjoint_helper(d[z] * initial_factor(initial), masked, product, axis, keepdims)
    d[array] = astype_adjoint_helper(numpy.where(where, g, 0.0), array, dtype)
    d[initial] = numpy.sum(d[z] * product)


@tangent(MULTIPLY_REDUCE)
def multiply_reduce_form_tangent(z, array, axis=0, dtype=None, *, keepdims=False, initial=None, where=True):
    masked = numpy.where(where, array, 1.0)
    product = numpy.prod(masked, axis, keepdims=keepdims)
    d[z] = prod_tangent_helper(numpy.where(where, cast_tangent(d[array], dtype), 0.0), masked, product, axis,
                               keepdims) * initial_factor(initial)
    d[z] = d[initial] * product


@adjoint(*EXTREME_REDUCES)
def extreme_reduce_form_adjoint(z, array, axis=0, *, keepdims=False, initial=None, where=True):
    d[array] = extreme_form_share(d[z], array, z, axis, keepdims, initial, where, "a")
    d[initial] = extreme_form_share(d[z], array, z, axis, keepdims, initial, where, "initial")


@tangent(*EXTREME_REDUCES)
def extreme_reduce_form_tangent(z, array, axis=0, *, keepdims=False, initial=None, where=True):
    d[z] = extreme_form_tangent(d[array], array, z, axis, keepdims, initial, where, "a")
    d[z] = extreme_form_tangent(d[initial], array, z, axis, keepdims, initial, where, "initial")


@adjoint(numpy.add.accumulate)                  # z = numpy.cumsum(array, axis)
def add_accumulate_adjoint(z, array, axis=0):
    d[array] = cumsum_adjoint_helper(d[z], array, axis)


linear(numpy.add.accumulate, "array")


@adjoint(numpy.multiply.accumulate)             # z = numpy.cumprod(array, axis)
def multiply_accumulate_adjoint(z, array, axis=0):
    d[array] = cumprod_adjoint_helper(d[z], array, z, axis)


@tangent(numpy.multiply.accumulate)
def multiply_accumulate_tangent(z, array, axis=0):
    d[z] = cumprod_tangent_helper(d[array], array, z, axis)


@adjoint(numpy.maximum.accumulate, numpy.minimum.accumulate)   # the running max (min) along axis
def extreme_accumulate_adjoint(z, array, axis=0):
    d[array] = running_extreme_adjoint(d[z], array, z, axis)


@tangent(numpy.maximum.accumulate, numpy.minimum.accumulate)
def extreme_accumulate_tangent(z, array, axis=0):
    d[z] = running_extreme_tangent(d[array], array, z, axis)


# --- outer: z[i..., j...] = ufunc(A[i...], B[j...]) ----------------------------------------


@adjoint(numpy.add.outer)
def add_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(d[z], A)
    d[B] = unbroadcast(d[z], B)


@tangent(numpy.add.outer)
def add_outer_tangent(z, A, B):
    d[z] = broadcast_like(outer_expand(d[A], B), z)
    d[z] = broadcast_like(d[B], z)


@adjoint(numpy.subtract.outer)
def subtract_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(d[z], A)
    d[B] = -unbroadcast(d[z], B)


@tangent(numpy.subtract.outer)
def subtract_outer_tangent(z, A, B):
    d[z] = broadcast_like(outer_expand(d[A], B), z)
    d[z] = -broadcast_like(d[B], z)


@adjoint(numpy.multiply.outer)
def multiply_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(d[z] * B, A)
    d[B] = unbroadcast(d[z] * outer_expand(A, B), B)


@tangent(numpy.multiply.outer)
def multiply_outer_tangent(z, A, B):
    d[z] = outer_expand(d[A], B) * B
    d[z] = outer_expand(A, B) * d[B]


@adjoint(numpy.divide.outer)                    # numpy.true_divide is the same ufunc
def divide_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(d[z] / B, A)
    d[B] = unbroadcast(-d[z] * z / B, B)


@tangent(numpy.divide.outer)
def divide_outer_tangent(z, A, B):
    d[z] = outer_expand(d[A], B) / B
    d[z] = -z * d[B] / B


@adjoint(numpy.maximum.outer)                   # ties split, as numpy.maximum's
def maximum_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(tie_share(d[z], outer_expand(A, B), B), A)
    d[B] = unbroadcast(tie_share(d[z], B, outer_expand(A, B)), B)


@tangent(numpy.maximum.outer)
def maximum_outer_tangent(z, A, B):
    d[z] = tie_share(outer_expand(d[A], B), outer_expand(A, B), B)
    d[z] = tie_share(d[B], B, outer_expand(A, B))


@adjoint(numpy.minimum.outer)
def minimum_outer_adjoint(z, A, B):
    d[A] = outer_unexpand(tie_share(d[z], B, outer_expand(A, B)), A)
    d[B] = unbroadcast(tie_share(d[z], outer_expand(A, B), B), B)


@tangent(numpy.minimum.outer)
def minimum_outer_tangent(z, A, B):
    d[z] = tie_share(outer_expand(d[A], B), B, outer_expand(A, B))
    d[z] = tie_share(d[B], outer_expand(A, B), B)


linear(outer_expand, "a")                       # a reshape
linear(running_extreme_adjoint, "g")            # which entry each result is: piecewise constant
linear(running_extreme_tangent, "t")
linear(outer_unexpand, "g")                     # a sum
