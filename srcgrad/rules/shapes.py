"""Derivative rules for NumPy's array-manipulation and array-building routines.

These are `numpy.*` functions, kept apart from rules/numpy.py for size. They
move, copy or sum elements without arithmetic, so each adjoint is the reverse
movement of `d[z]`. Where a parameter is a list literal (`numpy.concatenate([a,
b])`), `d[arrays]` is a sequence and the compiler routes its items to the
elements. Templates: spliced into generated code, never run.
"""
import numpy

from srcgrad.rules.registry import adjoint
from srcgrad.runtime import (
    append_adjoint_helper,
    array_adjoint_helper,
    concatenate_adjoint_helper,
    diag_adjoint_helper,
    diagonal_adjoint_helper,
    pad_adjoint_helper,
    pad_constant_values_adjoint_helper,
    promoted_stack_adjoint_helper,
    repeat_adjoint_helper,
    reshape_adjoint_helper,
    stack_adjoint_helper,
    tile_adjoint_helper,
    transpose_adjoint_helper,
    unbroadcast,
)
from srcgrad.templates import d

# --- reshaping and permuting ------------------------------------------------


# z = numpy.reshape(a, shape, order); NumPy 1.26 names the shape `newshape`,
# 2.x names it `shape`: both are accepted, and neither matters to the adjoint.
@adjoint(numpy.reshape)
def reshape_adjoint(z, a, shape=None, order="C", newshape=None, copy=None):
    d[a] = reshape_adjoint_helper(d[z], a, order)


@adjoint(numpy.ravel)                           # z = numpy.ravel(a, order)
def ravel_adjoint(z, a, order="C"):
    d[a] = reshape_adjoint_helper(d[z], a, order)


@adjoint(numpy.squeeze)                         # z = numpy.squeeze(a, axis)
def squeeze_adjoint(z, a, axis=None):
    d[a] = numpy.reshape(d[z], numpy.shape(a))


@adjoint(numpy.expand_dims)                     # z = numpy.expand_dims(a, axis)
def expand_dims_adjoint(z, a, axis):
    d[a] = numpy.reshape(d[z], numpy.shape(a))


@adjoint(numpy.transpose)                       # z = numpy.transpose(a, axes)
def transpose_adjoint(z, a, axes=None):
    d[a] = transpose_adjoint_helper(d[z], axes)


@adjoint(numpy.swapaxes)                        # z = numpy.swapaxes(a, axis1, axis2)
def swapaxes_adjoint(z, a, axis1, axis2):
    d[a] = numpy.swapaxes(d[z], axis1, axis2)


@adjoint(numpy.moveaxis)                        # z = numpy.moveaxis(a, source, destination)
def moveaxis_adjoint(z, a, source, destination):
    d[a] = numpy.moveaxis(d[z], destination, source)


@adjoint(numpy.broadcast_to)                    # z = numpy.broadcast_to(array, shape)
def broadcast_to_adjoint(z, array, shape):
    d[array] = unbroadcast(d[z], array)


@adjoint(numpy.flip)                            # z = numpy.flip(m, axis)
def flip_adjoint(z, m, axis=None):
    d[m] = numpy.flip(d[z], axis)


@adjoint(numpy.fliplr)                          # z = numpy.fliplr(m)
def fliplr_adjoint(z, m):
    d[m] = numpy.fliplr(d[z])


@adjoint(numpy.flipud)                          # z = numpy.flipud(m)
def flipud_adjoint(z, m):
    d[m] = numpy.flipud(d[z])


@adjoint(numpy.roll)                            # z = numpy.roll(a, shift, axis)
def roll_adjoint(z, a, shift, axis=None):
    d[a] = numpy.roll(d[z], numpy.negative(shift), axis)


# --- joining ----------------------------------------------------------------


@adjoint(numpy.concatenate)                     # z = numpy.concatenate(arrays, axis)
def concatenate_adjoint(z, arrays, axis=0):
    d[arrays] = concatenate_adjoint_helper(d[z], arrays, axis)


@adjoint(numpy.stack)                           # z = numpy.stack(arrays, axis)
def stack_adjoint(z, arrays, axis=0):
    d[arrays] = stack_adjoint_helper(d[z], arrays, axis)


@adjoint(numpy.hstack)                          # z = numpy.hstack(tup)
def hstack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "h")


@adjoint(numpy.vstack)                          # z = numpy.vstack(tup)
def vstack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "v")


@adjoint(numpy.column_stack)                    # z = numpy.column_stack(tup)
def column_stack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "c")


@adjoint(numpy.append)                          # z = numpy.append(arr, values, axis)
def append_adjoint(z, arr, values, axis=None):
    parts = append_adjoint_helper(d[z], arr, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]


# --- repeating and padding --------------------------------------------------


@adjoint(numpy.tile)                            # z = numpy.tile(A, reps)
def tile_adjoint(z, A, reps):
    d[A] = tile_adjoint_helper(d[z], A, reps)


@adjoint(numpy.repeat)                          # z = numpy.repeat(a, repeats, axis)
def repeat_adjoint(z, a, repeats, axis=None):
    d[a] = repeat_adjoint_helper(d[z], a, repeats, axis)


# z = numpy.pad(array, pad_width, mode, constant_values). The copying modes
# are differentiated; any other mode raises SrcGradError in the backward pass
# (its extra keywords, such as stat_length, are rejected when compiling).
@adjoint(numpy.pad)
def pad_adjoint(z, array, pad_width, mode="constant", constant_values=0):
    d[array] = pad_adjoint_helper(d[z], array, pad_width, mode)
    d[constant_values] = pad_constant_values_adjoint_helper(d[z], array, pad_width, constant_values)


# --- building arrays ----------------------------------------------------------


@adjoint(numpy.array)                           # z = numpy.array(object, dtype)
def array_adjoint(z, object, dtype=None, copy=True, order="K"):
    d[object] = array_adjoint_helper(d[z], object, dtype)


@adjoint(numpy.asarray)                         # z = numpy.asarray(a, dtype)
def asarray_adjoint(z, a, dtype=None, order=None, copy=None):
    d[a] = array_adjoint_helper(d[z], a, dtype)


@adjoint(numpy.copy)                            # z = numpy.copy(a, order)
def copy_adjoint(z, a, order="K"):
    d[a] = d[z]


# --- diagonals and triangles --------------------------------------------------


@adjoint(numpy.diag)                            # z = numpy.diag(v, k), 1-D <-> 2-D
def diag_adjoint(z, v, k=0):
    d[v] = diag_adjoint_helper(d[z], v, k)


@adjoint(numpy.diagonal)                        # z = numpy.diagonal(a, offset, axis1, axis2)
def diagonal_adjoint(z, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_adjoint_helper(d[z], a, offset, axis1, axis2)


@adjoint(numpy.triu)                            # z = numpy.triu(m, k); a 1-D m is tiled to rows
def triu_adjoint(z, m, k=0):
    d[m] = unbroadcast(numpy.triu(d[z], k), m)


@adjoint(numpy.tril)                            # z = numpy.tril(m, k)
def tril_adjoint(z, m, k=0):
    d[m] = unbroadcast(numpy.tril(d[z], k), m)
