"""Derivative rules for linear algebra: numpy.linalg.* and NumPy's products.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode), which writes
`d[z]` with one line per input that carries a tangent. The case analysis (ndim
combinations, axes, norm orders) lives in small helpers in srcgrad/runtime/linalg.py
(and runtime/einsum.py);
unsupported forms raise there, at run time, rather than return a wrong
gradient. Real arrays only (no complex conjugates).
"""
import numpy

from srcgrad.rules.registry import adjoint, constant_only, linear, supports, tangent
from srcgrad.runtime import (
    EinsumAdjoints,
    einsum_first_adjoint,
    cholesky_adjoint_helper,
    cholesky_tangent_helper,
    det_cofactor,
    dot_adjoint_left,
    dot_adjoint_right,
    einsum_tangent_helper,
    inner_adjoint_left,
    inner_adjoint_right,
    norm_adjoint_helper,
    norm_tangent_helper,
    solve_adjoint_a,
    solve_adjoint_helper,
    solve_tangent_a,
    tensordot_adjoint_left,
    tensordot_adjoint_right,
    trace_adjoint_helper,
    unbroadcast,
)
from srcgrad.templates import d

# --- products ----------------------------------------------------------------


@adjoint(numpy.dot)                             # z = numpy.dot(a, b), any ndim
def dot_adjoint(z, a, b):
    d[a] = dot_adjoint_left(d[z], a, b)
    d[b] = dot_adjoint_right(d[z], a, b)


@tangent(numpy.dot)
def dot_tangent(z, a, b):
    d[z] = numpy.dot(d[a], b)
    d[z] = numpy.dot(a, d[b])


@adjoint(numpy.vdot)                            # z = numpy.vdot(a, b): both flattened
def vdot_adjoint(z, a, b):
    d[a] = d[z] * numpy.reshape(b, numpy.shape(a))
    d[b] = d[z] * numpy.reshape(a, numpy.shape(b))


@tangent(numpy.vdot)
def vdot_tangent(z, a, b):
    d[z] = numpy.vdot(d[a], b)
    d[z] = numpy.vdot(a, d[b])


@adjoint(numpy.outer)                           # z = numpy.outer(a, b): both flattened
def outer_adjoint(z, a, b):
    d[a] = numpy.reshape(d[z] @ numpy.ravel(b), numpy.shape(a))
    d[b] = numpy.reshape(numpy.ravel(a) @ d[z], numpy.shape(b))


@tangent(numpy.outer)
def outer_tangent(z, a, b):
    d[z] = numpy.outer(d[a], b)
    d[z] = numpy.outer(a, d[b])


@adjoint(numpy.inner)                           # z = numpy.inner(a, b): sum over last axes
def inner_adjoint(z, a, b):
    d[a] = inner_adjoint_left(d[z], a, b)
    d[b] = inner_adjoint_right(d[z], a, b)


@tangent(numpy.inner)
def inner_tangent(z, a, b):
    d[z] = numpy.inner(d[a], b)
    d[z] = numpy.inner(a, d[b])


@adjoint(numpy.tensordot)                       # z = numpy.tensordot(a, b, axes)
def tensordot_adjoint(z, a, b, axes=2):
    d[a] = tensordot_adjoint_left(d[z], a, b, axes)
    d[b] = tensordot_adjoint_right(d[z], a, b, axes)


@tangent(numpy.tensordot)
def tensordot_tangent(z, a, b, axes=2):
    d[z] = numpy.tensordot(d[a], b, axes)
    d[z] = numpy.tensordot(a, d[b], axes)


# In the sublist form, einsum(A, [0, 1], B, [1, 2], [0, 2]), `subscripts` is the first
# array and `operands` the rest (sublists too): each gets its adjoint, any form, '...' too.
@adjoint(numpy.einsum)                          # z = numpy.einsum(subscripts, *operands)
def einsum_adjoint(z, subscripts, *operands):
    d[subscripts] = einsum_first_adjoint(d[z], subscripts, operands)  # the sublist form only
    d[operands] = EinsumAdjoints(d[z], subscripts, operands)  # computed per active operand


@tangent(numpy.einsum)                          # product rule: one einsum per active array
def einsum_tangent(z, subscripts, *operands):
    d[z] = einsum_tangent_helper(subscripts, operands, d[operands])
    d[z] = einsum_tangent_helper(subscripts, operands, None, d[subscripts])


@adjoint(numpy.trace)                           # z = numpy.trace(a, offset, axis1, axis2)
def trace_adjoint(z, a, offset=0, axis1=0, axis2=1):
    d[a] = trace_adjoint_helper(d[z], a, offset, axis1, axis2)


linear(numpy.trace, "a")


# --- numpy.linalg ------------------------------------------------------------


constant_only(numpy.linalg.norm, "ord", "pass ord as a constant, not a value computed from an input")


@adjoint(numpy.linalg.norm)                     # z = numpy.linalg.norm(x, ord, axis, keepdims)
def norm_adjoint(z, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_adjoint_helper(d[z], x, z, ord, axis, keepdims)


@tangent(numpy.linalg.norm)                     # same conventions as the adjoint: 0 at x = 0
def norm_tangent(z, x, ord=None, axis=None, keepdims=False):
    d[z] = norm_tangent_helper(d[x], x, z, ord, axis, keepdims)


# Which orders suit the axes taken (a vector's or a matrix's) is checked at run time.
supports(numpy.linalg.norm, "ord", lambda o: o is None or o in ("fro", "nuc", 0, 1, -1, 2, -2)
         or (type(o) in (int, float) and (o > 1 or abs(o) == float("inf"))),
         "vector ord None, 1, 2, inf, -inf, 0 or p > 1; matrix ord None, 'fro', 'nuc', "
         "1, -1, 2, -2, inf, -inf")


@adjoint(numpy.linalg.inv)                      # z = numpy.linalg.inv(a): da = -z^T dz z^T
def inv_adjoint(z, a):
    zt = numpy.swapaxes(z, -1, -2)
    d[a] = -(zt @ d[z] @ zt)


@tangent(numpy.linalg.inv)                      # dz = -z da z
def inv_tangent(z, a):
    d[z] = -(z @ d[a] @ z)


@adjoint(numpy.linalg.solve)                    # z = numpy.linalg.solve(a, b)
def solve_adjoint(z, a, b):
    y = solve_adjoint_helper(d[z], a, b)        # a^T y = dz
    d[a] = solve_adjoint_a(y, z, a, b)          # -y z^T
    d[b] = unbroadcast(y, b)


@tangent(numpy.linalg.solve)                    # dz = solve(a, db - da z)
def solve_tangent(z, a, b):
    d[z] = solve_tangent_a(d[a], z, a, b)
    d[z] = numpy.linalg.solve(a, d[b])


@adjoint(numpy.linalg.det)                      # z = numpy.linalg.det(a): da = dz cofactor(a)
def det_adjoint(z, a):                          # (z inv(a)^T, but finite at a singular a too)
    d[a] = numpy.expand_dims(d[z], (-2, -1)) * det_cofactor(a)


@tangent(numpy.linalg.det)                      # dz = sum(cofactor(a) da)
def det_tangent(z, a):
    d[z] = numpy.sum(det_cofactor(a) * d[a], axis=(-2, -1))


@adjoint(numpy.linalg.cholesky)                 # z = numpy.linalg.cholesky(a), lower
def cholesky_adjoint(z, a):
    d[a] = cholesky_adjoint_helper(d[z], z)


@tangent(numpy.linalg.cholesky)                 # reads tril(da) only, like the adjoint
def cholesky_tangent(z, a):
    d[z] = cholesky_tangent_helper(d[a], z)
