"""Derivative rules for NumPy's array-manipulation and array-building routines.

These are `numpy.*` functions, kept apart from rules/numpy.py for size. They
move, copy or sum elements without arithmetic, so each adjoint is the reverse
movement of `d[z]`. Where a parameter is a list literal (`numpy.concatenate([a,
b])`), `d[arrays]` is a sequence and the compiler routes its items to the
elements. Each routine is linear in its arrays, so its tangent rule applies
the same routine to the tangents: `linear(...)` re-emits the call itself, and
a template does so where a list literal, a dtype or a layout needs care.
Templates: spliced into generated code, never run.
"""
import numpy

from srcgrad.rules.registry import adjoint, alias, linear, supports, tangent
from srcgrad.runtime import (
    append_adjoint_helper,
    array_adjoint_helper,
    cast_tangent,
    concatenate_adjoint_helper,
    diag_adjoint_helper,
    diagonal_adjoint_helper,
    pad_adjoint_helper,
    pad_constant_values_adjoint_helper,
    pad_constant_values_tangent_helper,
    pad_tangent_helper,
    promoted_stack_adjoint_helper,
    repeat_adjoint_helper,
    reshape_adjoint_helper,
    reshape_tangent_helper,
    stack_adjoint_helper,
    tile_adjoint_helper,
    transpose_adjoint_helper,
    unbroadcast,
    zeros_like,
)
from srcgrad.templates import d

# --- reshaping and permuting ------------------------------------------------


# z = numpy.reshape(a, shape, order); NumPy 1.26 names the shape `newshape`,
# 2.x names it `shape`: both are accepted, and neither matters to the adjoint.
@adjoint(numpy.reshape)
def reshape_adjoint(z, a, shape=None, order="C", newshape=None, copy=None):
    d[a] = reshape_adjoint_helper(d[z], a, order)


@tangent(numpy.reshape)
def reshape_tangent(z, a, shape=None, order="C", newshape=None, copy=None):
    d[z] = reshape_tangent_helper(d[a], a, z, order)


@adjoint(numpy.ravel)                           # z = numpy.ravel(a, order)
def ravel_adjoint(z, a, order="C"):
    d[a] = reshape_adjoint_helper(d[z], a, order)


@tangent(numpy.ravel)
def ravel_tangent(z, a, order="C"):
    d[z] = reshape_tangent_helper(d[a], a, z, order)


@adjoint(numpy.squeeze)                         # z = numpy.squeeze(a, axis)
def squeeze_adjoint(z, a, axis=None):
    d[a] = numpy.reshape(d[z], numpy.shape(a))


linear(numpy.squeeze, "a")


@adjoint(numpy.expand_dims)                     # z = numpy.expand_dims(a, axis)
def expand_dims_adjoint(z, a, axis):
    d[a] = numpy.reshape(d[z], numpy.shape(a))


linear(numpy.expand_dims, "a")


@adjoint(numpy.transpose)                       # z = numpy.transpose(a, axes)
def transpose_adjoint(z, a, axes=None):
    d[a] = transpose_adjoint_helper(d[z], axes)


linear(numpy.transpose, "a")


@adjoint(numpy.swapaxes)                        # z = numpy.swapaxes(a, axis1, axis2)
def swapaxes_adjoint(z, a, axis1, axis2):
    d[a] = numpy.swapaxes(d[z], axis1, axis2)


linear(numpy.swapaxes, "a")


@adjoint(numpy.moveaxis)                        # z = numpy.moveaxis(a, source, destination)
def moveaxis_adjoint(z, a, source, destination):
    d[a] = numpy.moveaxis(d[z], destination, source)


linear(numpy.moveaxis, "a")


@adjoint(numpy.broadcast_to)                    # z = numpy.broadcast_to(array, shape)
def broadcast_to_adjoint(z, array, shape):
    d[array] = unbroadcast(d[z], array)


linear(numpy.broadcast_to, "array")


@adjoint(numpy.flip)                            # z = numpy.flip(m, axis)
def flip_adjoint(z, m, axis=None):
    d[m] = numpy.flip(d[z], axis)


linear(numpy.flip, "m")


@adjoint(numpy.fliplr)                          # z = numpy.fliplr(m)
def fliplr_adjoint(z, m):
    d[m] = numpy.fliplr(d[z])


linear(numpy.fliplr, "m")


@adjoint(numpy.flipud)                          # z = numpy.flipud(m)
def flipud_adjoint(z, m):
    d[m] = numpy.flipud(d[z])


linear(numpy.flipud, "m")


@adjoint(numpy.roll)                            # z = numpy.roll(a, shift, axis)
def roll_adjoint(z, a, shift, axis=None):
    d[a] = numpy.roll(d[z], numpy.negative(shift), axis)


linear(numpy.roll, "a")


# --- joining ----------------------------------------------------------------


@adjoint(numpy.concatenate)                     # z = numpy.concatenate(arrays, axis)
def concatenate_adjoint(z, arrays, axis=0):
    d[arrays] = concatenate_adjoint_helper(d[z], arrays, axis)


@tangent(numpy.concatenate)
def concatenate_tangent(z, arrays, axis=0):
    d[z] = numpy.concatenate(d[arrays], axis)


@adjoint(numpy.stack)                           # z = numpy.stack(arrays, axis)
def stack_adjoint(z, arrays, axis=0):
    d[arrays] = stack_adjoint_helper(d[z], arrays, axis)


@tangent(numpy.stack)
def stack_tangent(z, arrays, axis=0):
    d[z] = numpy.stack(d[arrays], axis)


@adjoint(numpy.hstack)                          # z = numpy.hstack(tup)
def hstack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "h")


@tangent(numpy.hstack)
def hstack_tangent(z, tup):
    d[z] = numpy.hstack(d[tup])


@adjoint(numpy.vstack)                          # z = numpy.vstack(tup)
def vstack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "v")


@tangent(numpy.vstack)
def vstack_tangent(z, tup):
    d[z] = numpy.vstack(d[tup])


# numpy.row_stack is vstack (the same object before NumPy 2.0, a deprecated wrapper after)
if getattr(numpy, "row_stack", numpy.vstack) is not numpy.vstack:
    alias(numpy.row_stack, numpy.vstack)


@adjoint(numpy.column_stack)                    # z = numpy.column_stack(tup)
def column_stack_adjoint(z, tup):
    d[tup] = promoted_stack_adjoint_helper(d[z], tup, "c")


@tangent(numpy.column_stack)
def column_stack_tangent(z, tup):
    d[z] = numpy.column_stack(d[tup])


@adjoint(numpy.append)                          # z = numpy.append(arr, values, axis)
def append_adjoint(z, arr, values, axis=None):
    parts = append_adjoint_helper(d[z], arr, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]


@tangent(numpy.append)
def append_tangent(z, arr, values, axis=None):
    d[z] = numpy.append(d[arr], zeros_like(values), axis)
    d[z] = numpy.append(zeros_like(arr), d[values], axis)


# --- repeating and padding --------------------------------------------------


@adjoint(numpy.tile)                            # z = numpy.tile(A, reps)
def tile_adjoint(z, A, reps):
    d[A] = tile_adjoint_helper(d[z], A, reps)


linear(numpy.tile, "A")


@adjoint(numpy.repeat)                          # z = numpy.repeat(a, repeats, axis)
def repeat_adjoint(z, a, repeats, axis=None):
    d[a] = repeat_adjoint_helper(d[z], a, repeats, axis)


linear(numpy.repeat, "a")


# z = numpy.pad(array, pad_width, mode, constant_values). The copying modes
# are differentiated; another literal mode is rejected when compiling (a mode
# held in a variable raises SrcGradError where the adjoint or tangent runs),
# as are the other modes' extra keywords, such as stat_length.
@adjoint(numpy.pad)
def pad_adjoint(z, array, pad_width, mode="constant", constant_values=0):
    d[array] = pad_adjoint_helper(d[z], array, pad_width, mode)
    d[constant_values] = pad_constant_values_adjoint_helper(d[z], array, pad_width, constant_values)


@tangent(numpy.pad)
def pad_tangent(z, array, pad_width, mode="constant", constant_values=0):
    d[z] = pad_tangent_helper(d[array], pad_width, mode)
    d[z] = pad_constant_values_tangent_helper(d[constant_values], array, pad_width)


supports(numpy.pad, "mode", lambda m: m in ("constant", "edge", "reflect", "symmetric", "wrap"),
         "mode 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'")


# --- building arrays ----------------------------------------------------------


@adjoint(numpy.array)                           # z = numpy.array(object, dtype)
def array_adjoint(z, object, dtype=None, copy=True, order="K"):
    d[object] = array_adjoint_helper(d[z], object, dtype)


@tangent(numpy.array)                           # list literal: d[object] is a literal of tangents
def array_tangent(z, object, dtype=None, copy=True, order="K"):
    d[z] = cast_tangent(d[object], dtype)


@adjoint(numpy.asarray)                         # z = numpy.asarray(a, dtype)
def asarray_adjoint(z, a, dtype=None, order=None, copy=None):
    d[a] = array_adjoint_helper(d[z], a, dtype)


@tangent(numpy.asarray)
def asarray_tangent(z, a, dtype=None, order=None, copy=None):
    d[z] = cast_tangent(d[a], dtype)


@adjoint(numpy.copy)                            # z = numpy.copy(a, order)
def copy_adjoint(z, a, order="K"):
    d[a] = d[z]


linear(numpy.copy, "a")


# --- diagonals and triangles --------------------------------------------------


@adjoint(numpy.diag)                            # z = numpy.diag(v, k), 1-D <-> 2-D
def diag_adjoint(z, v, k=0):
    d[v] = diag_adjoint_helper(d[z], v, k)


linear(numpy.diag, "v")


@adjoint(numpy.diagonal)                        # z = numpy.diagonal(a, offset, axis1, axis2)
def diagonal_adjoint(z, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_adjoint_helper(d[z], a, offset, axis1, axis2)


linear(numpy.diagonal, "a")


@adjoint(numpy.triu)                            # z = numpy.triu(m, k); a 1-D m is tiled to rows
def triu_adjoint(z, m, k=0):
    d[m] = unbroadcast(numpy.triu(d[z], k), m)


linear(numpy.triu, "m")


@adjoint(numpy.tril)                            # z = numpy.tril(m, k)
def tril_adjoint(z, m, k=0):
    d[m] = unbroadcast(numpy.tril(d[z], k), m)


linear(numpy.tril, "m")
