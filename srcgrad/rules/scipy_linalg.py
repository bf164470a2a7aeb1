"""Derivative rules for scipy.linalg: triangular, Cholesky, banded and Sylvester solves, expm, sqrtm (SciPy is optional).

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode).

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace". The
helpers live in srcgrad/runtime/solves.py (and decompositions.py: the block
matrix of expm's Frechet derivative); SciPy is imported inside them.

Conventions (docs/supported.md repeats them):
- solve_triangular reads one triangle of `a` (without the diagonal when
  unit_diagonal=True): the gradient of `a` is zero elsewhere.
- cho_factor returns (c, lower): c holds the factor in one triangle and a's
  own entries in the other; both carry gradient back to `a`. cho_solve's
  gradient flows to the factor's triangle of c, and to b; `lower` is a flag.
- expm and sqrtm: the Frechet derivative (expm by the block-triangular
  matrix [[a, e], [0, a]], sqrtm by a Sylvester equation); the adjoint is the
  Frechet derivative at a^T. sqrtm: real matrices with a real square root.
- solve_banded reads the band of `ab` only (the corners outside the matrix
  are never read): their gradient is zero. `l_and_u` holds counts.
- solve_sylvester: the adjoint solves the transposed equation.
overwrite_a/overwrite_b and check_finite are not declared (rejected).
"""
import numpy

try:
    import scipy.linalg
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.linalg",
                              name=__name__) from _err

from srcgrad import runtime
from srcgrad.rules.registry import adjoint, linear, tangent
from srcgrad.runtime import (
    band_flip,
    band_matmul,
    band_outer,
    band_transpose,
    cho_factor_adjoint_helper,
    cho_factor_tangent_helper,
    cho_solve_adjoint_factor,
    cho_solve_adjoint_factor_tangent_helper,
    cho_solve_tangent_rhs,
    frechet_block,
    other_trans,
    output_adjoint,
    solve_sylvester_stack,
    triangular_adjoint_a,
    triangular_tangent_a,
    upper_right,
)
from srcgrad.templates import d

# --- triangular and Cholesky solves ------------------------------------------------


@adjoint(scipy.linalg.solve_triangular)         # z = op(tri(a))^-1 b
def solve_triangular_adjoint(z, a, b, trans=0, lower=False, unit_diagonal=False):
    y = scipy.linalg.solve_triangular(a, d[z], other_trans(trans), lower, unit_diagonal)
    d[a] = triangular_adjoint_a(y, z, trans, lower, unit_diagonal)
    d[b] = y


@tangent(scipy.linalg.solve_triangular)         # dz = op(tri(a))^-1 (db - op(tri(da)) z)
def solve_triangular_tangent(z, a, b, trans=0, lower=False, unit_diagonal=False):
    d[z] = scipy.linalg.solve_triangular(a, triangular_tangent_a(d[a], z, trans, lower, unit_diagonal),
                                         trans, lower, unit_diagonal)
    d[z] = scipy.linalg.solve_triangular(a, d[b], trans, lower, unit_diagonal)


@adjoint(scipy.linalg.cho_factor)               # (c, lower) = cho_factor(a, lower)
def cho_factor_adjoint(z, a, lower=False):
    d[a] = cho_factor_adjoint_helper(output_adjoint(d[z], z, 0), z[0], lower)


@tangent(scipy.linalg.cho_factor)               # the flag `lower` has no tangent
def cho_factor_tangent(z, a, lower=False):
    d[z] = (cho_factor_tangent_helper(d[a], z[0], lower), None)


@adjoint(scipy.linalg.cho_solve)                # z = a^-1 b, a from the factor in c_and_lower
def cho_solve_adjoint(z, c_and_lower, b):
    y = scipy.linalg.cho_solve(c_and_lower, d[z])
    d[c_and_lower] = cho_solve_adjoint_factor(y, z, c_and_lower)
    d[b] = y


@tangent(scipy.linalg.cho_solve)                # dz = a^-1 (db - da z)
def cho_solve_tangent(z, c_and_lower, b):
    d[z] = scipy.linalg.cho_solve(c_and_lower, cho_solve_tangent_rhs(d[c_and_lower], z, c_and_lower))
    d[z] = scipy.linalg.cho_solve(c_and_lower, d[b])


@adjoint(scipy.linalg.solve_banded)             # z = A^-1 b, A[i, j] = ab[u + i - j, j]
def solve_banded_adjoint(z, l_and_u, ab, b):
    y = scipy.linalg.solve_banded(band_flip(l_and_u), band_transpose(l_and_u, ab), d[z])  # A^-T d[z]
    d[ab] = -band_outer(l_and_u, y, z)
    d[b] = y


@tangent(scipy.linalg.solve_banded)             # dz = A^-1 (db - dA z)
def solve_banded_tangent(z, l_and_u, ab, b):
    d[z] = -scipy.linalg.solve_banded(l_and_u, ab, band_matmul(l_and_u, d[ab], z))
    d[z] = scipy.linalg.solve_banded(l_and_u, ab, d[b])


@adjoint(scipy.linalg.solve_sylvester)          # a z + z b = q: a^T y + y b^T = d[z]
def solve_sylvester_adjoint(z, a, b, q):
    y = solve_sylvester_stack(numpy.swapaxes(a, -1, -2), numpy.swapaxes(b, -1, -2), d[z])
    d[a] = -(y @ numpy.swapaxes(z, -1, -2))
    d[b] = -(numpy.swapaxes(z, -1, -2) @ y)
    d[q] = y


@tangent(scipy.linalg.solve_sylvester)          # a dz + dz b = dq - da z - z db
def solve_sylvester_tangent(z, a, b, q):
    d[z] = solve_sylvester_stack(a, b, d[q])
    d[z] = solve_sylvester_stack(a, b, -(d[a] @ z))
    d[z] = solve_sylvester_stack(a, b, -(z @ d[b]))


# --- matrix functions --------------------------------------------------------------


@adjoint(scipy.linalg.expm)                     # the Frechet derivative at A^T, applied to d[z]
def expm_adjoint(z, A):
    d[A] = upper_right(scipy.linalg.expm(frechet_block(numpy.swapaxes(A, -1, -2), d[z])))


@tangent(scipy.linalg.expm)                     # expm([[A, dA], [0, A]]) = [[z, dz], [0, z]]
def expm_tangent(z, A):
    d[z] = upper_right(scipy.linalg.expm(frechet_block(A, d[A])))


@adjoint(scipy.linalg.sqrtm)                    # z^T y + y z^T = d[z]
def sqrtm_adjoint(z, A):
    zt = numpy.swapaxes(z, -1, -2)
    d[A] = solve_sylvester_stack(zt, zt, d[z])


@tangent(scipy.linalg.sqrtm)                    # z dz + dz z = dA
def sqrtm_tangent(z, A):
    d[z] = solve_sylvester_stack(z, z, d[A])


# --- the helpers' own tangents (second order) ----------------------------------------


linear(runtime.band_transpose, "ab")


@tangent(runtime.band_outer)                    # bilinear in y and x
def band_outer_tangent(out, l_and_u, y, x):
    d[out] = band_outer(l_and_u, d[y], x)
    d[out] = band_outer(l_and_u, y, d[x])


@tangent(runtime.band_matmul)                   # bilinear in ab and x
def band_matmul_tangent(out, l_and_u, ab, x):
    d[out] = band_matmul(l_and_u, d[ab], x)
    d[out] = band_matmul(l_and_u, ab, d[x])


@tangent(runtime.triangular_adjoint_a)          # bilinear in y and x
def triangular_adjoint_a_tangent(out, y, x, trans=0, lower=False, unit_diagonal=False):
    d[out] = triangular_adjoint_a(d[y], x, trans, lower, unit_diagonal)
    d[out] = triangular_adjoint_a(y, d[x], trans, lower, unit_diagonal)


@tangent(runtime.cho_solve_adjoint_factor)      # one line: the result is a tuple, which `+` would join
def cho_solve_adjoint_factor_tangent(out, y, x, c_and_lower):
    d[out] = cho_solve_adjoint_factor_tangent_helper(d[y], d[x], d[c_and_lower], y, x, c_and_lower)


@tangent(runtime.solve_sylvester_stack)         # a x + x b = q: a dx + dx b = dq - da x - x db
def solve_sylvester_stack_tangent(out, a, b, q):
    d[out] = solve_sylvester_stack(a, b, d[q])
    d[out] = solve_sylvester_stack(a, b, -(d[a] @ out))
    d[out] = solve_sylvester_stack(a, b, -(out @ d[b]))


