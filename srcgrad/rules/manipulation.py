"""Derivative rules for NumPy's array manipulation beyond rules/shapes.py.

Differences and finite-difference gradients, the Kronecker and cross
products, rotations and axis rolls, splitting, promotion to at least n
dimensions, partition, nan_to_num, select, logspace, and the parts of a real
array (real, imag, conj, angle, real_if_close). Most are linear in their
array, so a tangent is the same call on the tangent (`linear(...)`); kron
and cross are bilinear. A function that returns a list (split, atleast_nd
of several arrays, gradient along several axes) is listed in the facts
table (`NUMPY_SEQUENCES` in rules/known.py): its result's adjoint is a list
(entries None where no gradient arrived), its items' adjoints are arrays.

The real-part rules are for real arrays: of a complex array they raise
SrcGradError when the derivative runs (srcgrad differentiates real numbers
only; `scope.check_real` refuses complex literals and dtypes earlier, when
the derivative is built). On the reals imag is zero and angle piecewise
constant (0 or pi), so both have a zero derivative there.

The last section gives this file's runtime helpers their tangent rules, for
second derivatives. Templates: spliced into generated code, never run.
"""
import numpy

from srcgrad.rules.registry import adjoint, alias, constant_only, linear, nondifferentiable, supports, tangent
from srcgrad.runtime import (
    atleast_adjoint_helper,
    atleast_tangent_helper,
    broadcast_like,
    cross_adjoint_left,
    cross_adjoint_right,
    diff_adjoint_helper,
    diff_tangent_helper,
    gradient_adjoint_helper,
    gradient_spacing_adjoint,
    gradient_spacing_adjoint_tangent,
    gradient_tangent_helper,
    imaginary_part_adjoint,
    kron_adjoint_left,
    kron_adjoint_right,
    linspace_adjoint,
    linspace_tangent,
    logspace_base,
    logspace_base_adjoint,
    logspace_exponents,
    partition_adjoint_helper,
    partition_tangent_helper,
    pieces_adjoint,
    real_part_adjoint,
    rollaxis_adjoint_helper,
    select_adjoint_helper,
    select_choice,
    select_default_adjoint,
    unbroadcast,
)
from srcgrad.templates import d

nondifferentiable(select_choice)  # an index: which condition holds first

# --- differences -------------------------------------------------------------------


@adjoint(numpy.diff)                            # z = numpy.diff(a, n, axis, prepend, append)
def diff_adjoint(z, a, n=1, axis=-1, prepend=None, append=None):
    parts = diff_adjoint_helper(d[z], a, n, axis, prepend, append)
    d[a] = parts[0]
    d[prepend] = parts[1]
    d[append] = parts[2]


@tangent(numpy.diff)
def diff_tangent(z, a, n=1, axis=-1, prepend=None, append=None):
    d[z] = diff_tangent_helper(d[a], a, n, axis, prepend, append, 0)
    d[z] = diff_tangent_helper(d[prepend], a, n, axis, prepend, append, 1)
    d[z] = diff_tangent_helper(d[append], a, n, axis, prepend, append, 2)


# z = numpy.gradient(f, *varargs, axis=, edge_order=): one array, or a list of
# one per axis. Linear in f; a rational function of the spacings or coordinates.
@adjoint(numpy.gradient)
def gradient_adjoint(z, f, *varargs, axis=None, edge_order=1):
    d[f] = gradient_adjoint_helper(d[z], f, varargs, axis, edge_order)
    d[varargs] = gradient_spacing_adjoint(d[z], f, varargs, axis, edge_order)


@tangent(numpy.gradient)                        # one line: the result may be a list
def gradient_tangent(z, f, *varargs, axis=None, edge_order=1):
    d[z] = gradient_tangent_helper(d[f], d[varargs], f, varargs, axis, edge_order)


# --- products ----------------------------------------------------------------------


@adjoint(numpy.kron)                            # z = numpy.kron(a, b): blocks a[i] * b
def kron_adjoint(z, a, b):
    d[a] = kron_adjoint_left(d[z], a, b)
    d[b] = kron_adjoint_right(d[z], a, b)


@tangent(numpy.kron)
def kron_tangent(z, a, b):
    d[z] = numpy.kron(d[a], b)
    d[z] = numpy.kron(a, d[b])


@adjoint(numpy.cross)                           # z = numpy.cross(a, b, axisa, axisb, axisc, axis)
def cross_adjoint(z, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = cross_adjoint_left(d[z], a, b, axisa, axisb, axisc, axis)
    d[b] = cross_adjoint_right(d[z], a, b, axisa, axisb, axisc, axis)


@tangent(numpy.cross)
def cross_tangent(z, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[z] = numpy.cross(d[a], b, axisa, axisb, axisc, axis)
    d[z] = numpy.cross(a, d[b], axisa, axisb, axisc, axis)


# --- rotating, rolling, splitting, promoting ------------------------------------------


@adjoint(numpy.rot90)                           # z = numpy.rot90(m, k, axes)
def rot90_adjoint(z, m, k=1, axes=(0, 1)):
    d[m] = numpy.rot90(d[z], numpy.negative(k), axes)


linear(numpy.rot90, "m")


@adjoint(numpy.rollaxis)                        # z = numpy.rollaxis(a, axis, start)
def rollaxis_adjoint(z, a, axis, start=0):
    d[a] = rollaxis_adjoint_helper(d[z], a, axis, start)


linear(numpy.rollaxis, "a")


@adjoint(numpy.split, numpy.array_split)        # z = numpy.split(ary, indices_or_sections, axis): a list
def split_adjoint(z, ary, indices_or_sections, axis=0):
    d[ary] = pieces_adjoint(d[z], z, ary, axis)


linear(numpy.split, "ary", numpy.array_split)


@adjoint(numpy.hsplit)                          # z = numpy.hsplit(ary, indices_or_sections)
def hsplit_adjoint(z, ary, indices_or_sections):
    d[ary] = pieces_adjoint(d[z], z, ary, "h")


linear(numpy.hsplit, "ary")


@adjoint(numpy.vsplit)                          # z = numpy.vsplit(ary, indices_or_sections)
def vsplit_adjoint(z, ary, indices_or_sections):
    d[ary] = pieces_adjoint(d[z], z, ary, 0)


linear(numpy.vsplit, "ary")


@adjoint(numpy.dsplit)                          # z = numpy.dsplit(ary, indices_or_sections)
def dsplit_adjoint(z, ary, indices_or_sections):
    d[ary] = pieces_adjoint(d[z], z, ary, 2)


linear(numpy.dsplit, "ary")


@adjoint(numpy.atleast_1d, numpy.atleast_2d, numpy.atleast_3d)  # z = numpy.atleast_1d(*arys)
def atleast_adjoint(z, *arys):
    d[arys] = atleast_adjoint_helper(d[z], arys)


@tangent(numpy.atleast_1d)
def atleast_1d_tangent(z, *arys):
    d[z] = atleast_tangent_helper(d[arys], 1)


@tangent(numpy.atleast_2d)
def atleast_2d_tangent(z, *arys):
    d[z] = atleast_tangent_helper(d[arys], 2)


@tangent(numpy.atleast_3d)
def atleast_3d_tangent(z, *arys):
    d[z] = atleast_tangent_helper(d[arys], 3)


# --- selecting values ------------------------------------------------------------------


# z = numpy.partition(a, kth, axis, kind): a's values rearranged, so the gradient
# goes to the entry each value came from, as for numpy.sort. (a.partition(kth)
# sorts in place: the facts table refuses it where it meets a differentiated value.)
@adjoint(numpy.partition)
def partition_adjoint(z, a, kth, axis=-1, kind="introselect"):
    d[a] = partition_adjoint_helper(d[z], a, z, axis)


@tangent(numpy.partition)
def partition_tangent(z, a, kth, axis=-1, kind="introselect"):
    d[z] = partition_tangent_helper(d[a], a, z, axis)


# z = numpy.nan_to_num(x, copy, nan, posinf, neginf): x where it is finite, the
# replacement values elsewhere (posinf None: the largest float, a constant).
@adjoint(numpy.nan_to_num)
def nan_to_num_adjoint(z, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[x] = unbroadcast(numpy.where(numpy.isfinite(x), d[z], 0.0), x)
    d[nan] = numpy.sum(numpy.where(numpy.isnan(x), d[z], 0.0))
    d[posinf] = numpy.sum(numpy.where(x == numpy.inf, d[z], 0.0))
    d[neginf] = numpy.sum(numpy.where(x == -numpy.inf, d[z], 0.0))


@tangent(numpy.nan_to_num)
def nan_to_num_tangent(z, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[z] = numpy.where(numpy.isfinite(x), d[x], 0.0)
    d[z] = numpy.where(numpy.isnan(x), d[nan], 0.0)
    d[z] = numpy.where(x == numpy.inf, d[posinf], 0.0)
    d[z] = numpy.where(x == -numpy.inf, d[neginf], 0.0)


supports(numpy.nan_to_num, "copy", lambda v: v is True, "copy=True (copy=False writes into x)")


# z = numpy.select(condlist, choicelist, default): the conditions are constants
# (booleans); the gradient goes to the choice taken, or to the default.
@adjoint(numpy.select)
def select_adjoint(z, condlist, choicelist, default=0):
    d[choicelist] = select_adjoint_helper(d[z], condlist, choicelist)
    d[default] = select_default_adjoint(d[z], condlist, default)


@tangent(numpy.select)
def select_tangent(z, condlist, choicelist, default=0):
    d[z] = broadcast_like(numpy.select(condlist, d[choicelist], 0.0), z)
    d[z] = broadcast_like(numpy.where(select_choice(condlist) == -1, d[default], 0.0), z)


# --- constructors ------------------------------------------------------------------------


# z = base ** linspace(start, stop, num, endpoint, axis): start, stop and base carry
# gradients (an array base broadcasts with start and stop, as NumPy does).
@adjoint(numpy.logspace)
def logspace_adjoint_rule(z, start, stop, num=50, endpoint=True, base=10.0, *, axis=0):
    b = logspace_base(base, z, axis)
    gy = d[z] * z * numpy.log(b)
    d[start] = linspace_adjoint(gy, z, start, num, endpoint, axis, 0)
    d[stop] = linspace_adjoint(gy, z, stop, num, endpoint, axis, 1)
    y = logspace_exponents(start, stop, num, endpoint, base, axis)
    d[base] = logspace_base_adjoint(d[z] * z * y / b, base, axis)


@tangent(numpy.logspace)
def logspace_tangent_rule(z, start, stop, num=50, endpoint=True, base=10.0, *, axis=0):
    b = logspace_base(base, z, axis)
    d[z] = z * numpy.log(b) * linspace_tangent(d[start], z, num, endpoint, axis, 0)
    d[z] = z * numpy.log(b) * linspace_tangent(d[stop], z, num, endpoint, axis, 1)
    d[z] = z * logspace_exponents(start, stop, num, endpoint, base, axis) / b * logspace_base(d[base], z, axis)


# --- the parts of a real array ----------------------------------------------------------


@adjoint(numpy.real)                            # z = numpy.real(val): val itself, for a real val
def real_adjoint(z, val):
    d[val] = real_part_adjoint(d[z], val, "numpy.real")


@tangent(numpy.real)
def real_tangent(z, val):
    d[z] = real_part_adjoint(d[val], val, "numpy.real")


@adjoint(numpy.conjugate)                       # z = numpy.conj(x): x itself, for a real x
def conjugate_adjoint(z, x):
    d[x] = real_part_adjoint(d[z], x, "numpy.conjugate")


@tangent(numpy.conjugate)
def conjugate_tangent(z, x):
    d[z] = real_part_adjoint(d[x], x, "numpy.conjugate")


@adjoint(numpy.real_if_close)                   # z = numpy.real_if_close(a, tol): a, for a real a
def real_if_close_adjoint(z, a, tol=100):
    d[a] = real_part_adjoint(d[z], a, "numpy.real_if_close")


@tangent(numpy.real_if_close)
def real_if_close_tangent(z, a, tol=100):
    d[z] = real_part_adjoint(d[a], a, "numpy.real_if_close")


@adjoint(numpy.imag)                            # out = numpy.imag(val): zeros, for a real val
def imag_adjoint(out, val):
    d[val] = imaginary_part_adjoint(d[out], val, "numpy.imag")


@tangent(numpy.imag)
def imag_tangent(out, val):
    d[out] = imaginary_part_adjoint(d[val], val, "numpy.imag")


@adjoint(numpy.angle)                           # out = numpy.angle(z, deg): 0 or pi on the reals
def angle_adjoint(out, z, deg=False):
    d[z] = imaginary_part_adjoint(d[out], z, "numpy.angle")


@tangent(numpy.angle)
def angle_tangent(out, z, deg=False):
    d[out] = imaginary_part_adjoint(d[z], z, "numpy.angle")


# the same as methods and attributes: x.conj(), x.conjugate(), x.real, x.imag
alias(numpy.ndarray.conj, numpy.conjugate)
alias(numpy.ndarray.conjugate, numpy.conjugate)


@adjoint(numpy.ndarray.real)                    # z = a.real
def real_attribute_adjoint(z, a):
    d[a] = real_part_adjoint(d[z], a, "x.real")


@tangent(numpy.ndarray.real)
def real_attribute_tangent(z, a):
    d[z] = real_part_adjoint(d[a], a, "x.real")


@adjoint(numpy.ndarray.imag)                    # z = a.imag
def imag_attribute_adjoint(z, a):
    d[a] = imaginary_part_adjoint(d[z], a, "x.imag")


@tangent(numpy.ndarray.imag)
def imag_attribute_tangent(z, a):
    d[z] = imaginary_part_adjoint(d[a], a, "x.imag")


# --- tangents of this file's helpers (second derivatives) ----------------------------------

for _helper in (diff_adjoint_helper, gradient_adjoint_helper, pieces_adjoint, atleast_adjoint_helper,
                partition_adjoint_helper, rollaxis_adjoint_helper, select_adjoint_helper, select_default_adjoint,
                logspace_base_adjoint, real_part_adjoint, imaginary_part_adjoint):
    linear(_helper, "g")
for _helper in (diff_tangent_helper, partition_tangent_helper):
    linear(_helper, "t")
linear(atleast_tangent_helper, "tangents")
linear(logspace_base, "base")


_SPACING_SECOND = "second derivatives in numpy.gradient's spacings or coordinates are not supported; " \
    "pass them as constants"
constant_only(gradient_adjoint_helper, "varargs", _SPACING_SECOND)
constant_only(gradient_spacing_adjoint, "varargs", _SPACING_SECOND)


@tangent(gradient_spacing_adjoint)              # one line (a list, one per vararg): bilinear in g and f
def gradient_spacing_adjoint_tangent_rule(out, g, f, varargs, axis=None, edge_order=1):
    d[out] = gradient_spacing_adjoint_tangent(d[g], d[f], g, f, varargs, axis, edge_order)


@tangent(kron_adjoint_left)                     # bilinear in g and b (a gives the shape)
def kron_adjoint_left_tangent(z, g, a, b):
    d[z] = kron_adjoint_left(d[g], a, b)
    d[z] = kron_adjoint_left(g, a, d[b])


@tangent(kron_adjoint_right)                    # bilinear in g and a (b gives the shape)
def kron_adjoint_right_tangent(z, g, a, b):
    d[z] = kron_adjoint_right(d[g], a, b)
    d[z] = kron_adjoint_right(g, d[a], b)


@tangent(cross_adjoint_left)                    # bilinear in g and b
def cross_adjoint_left_tangent(z, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[z] = cross_adjoint_left(d[g], a, b, axisa, axisb, axisc, axis)
    d[z] = cross_adjoint_left(g, a, d[b], axisa, axisb, axisc, axis)


@tangent(cross_adjoint_right)                   # bilinear in g and a
def cross_adjoint_right_tangent(z, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[z] = cross_adjoint_right(d[g], a, b, axisa, axisb, axisc, axis)
    d[z] = cross_adjoint_right(g, d[a], b, axisa, axisb, axisc, axis)


@tangent(logspace_exponents)                    # linear in start and stop jointly
def logspace_exponents_tangent(y, start, stop, num=50, endpoint=True, base=10.0, axis=0):
    d[y] = linspace_tangent(d[start], y, num, endpoint, axis, 0)
    d[y] = linspace_tangent(d[stop], y, num, endpoint, axis, 1)
