"""Derivative rules for linear algebra: numpy.linalg.* and NumPy's products.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line.
The case analysis (ndim combinations, axes, norm orders) lives in small
helpers in srcgrad/runtime.py; unsupported forms raise there, at run time,
rather than return a wrong gradient. Real arrays only (no complex conjugates).
"""
import numpy

from srcgrad.rules.registry import adjoint
from srcgrad.runtime import (
    EinsumAdjoints,
    cholesky_adjoint_helper,
    dot_adjoint_left,
    dot_adjoint_right,
    inner_adjoint_left,
    inner_adjoint_right,
    norm_adjoint_helper,
    solve_adjoint_a,
    solve_adjoint_helper,
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


@adjoint(numpy.vdot)                            # z = numpy.vdot(a, b): both flattened
def vdot_adjoint(z, a, b):
    d[a] = d[z] * numpy.reshape(b, numpy.shape(a))
    d[b] = d[z] * numpy.reshape(a, numpy.shape(b))


@adjoint(numpy.outer)                           # z = numpy.outer(a, b): both flattened
def outer_adjoint(z, a, b):
    d[a] = numpy.reshape(d[z] @ numpy.ravel(b), numpy.shape(a))
    d[b] = numpy.reshape(numpy.ravel(a) @ d[z], numpy.shape(b))


@adjoint(numpy.inner)                           # z = numpy.inner(a, b): sum over last axes
def inner_adjoint(z, a, b):
    d[a] = inner_adjoint_left(d[z], a, b)
    d[b] = inner_adjoint_right(d[z], a, b)


@adjoint(numpy.tensordot)                       # z = numpy.tensordot(a, b, axes)
def tensordot_adjoint(z, a, b, axes=2):
    d[a] = tensordot_adjoint_left(d[z], a, b, axes)
    d[b] = tensordot_adjoint_right(d[z], a, b, axes)


@adjoint(numpy.einsum)                          # z = numpy.einsum(subscripts, *operands)
def einsum_adjoint(z, subscripts, *operands):
    d[operands] = EinsumAdjoints(d[z], subscripts, operands)  # computed per active operand


@adjoint(numpy.trace)                           # z = numpy.trace(a, offset, axis1, axis2)
def trace_adjoint(z, a, offset=0, axis1=0, axis2=1):
    d[a] = trace_adjoint_helper(d[z], a, offset, axis1, axis2)


# --- numpy.linalg ------------------------------------------------------------


@adjoint(numpy.linalg.norm)                     # z = numpy.linalg.norm(x, ord, axis, keepdims)
def norm_adjoint(z, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_adjoint_helper(d[z], x, z, ord, axis, keepdims)


@adjoint(numpy.linalg.inv)                      # z = numpy.linalg.inv(a): da = -z^T dz z^T
def inv_adjoint(z, a):
    zt = numpy.swapaxes(z, -1, -2)
    d[a] = -(zt @ d[z] @ zt)


@adjoint(numpy.linalg.solve)                    # z = numpy.linalg.solve(a, b)
def solve_adjoint(z, a, b):
    y = solve_adjoint_helper(d[z], a, b)        # a^T y = dz
    d[a] = solve_adjoint_a(y, z, a, b)          # -y z^T
    d[b] = unbroadcast(y, b)


@adjoint(numpy.linalg.det)                      # z = numpy.linalg.det(a): da = dz z inv(a)^T
def det_adjoint(z, a):
    gz = numpy.expand_dims(d[z] * z, (-2, -1))
    d[a] = gz * numpy.swapaxes(numpy.linalg.inv(a), -1, -2)


@adjoint(numpy.linalg.cholesky)                 # z = numpy.linalg.cholesky(a), lower
def cholesky_adjoint(z, a):
    d[a] = cholesky_adjoint_helper(d[z], z)

