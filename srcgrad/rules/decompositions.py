"""Derivative rules for numpy.linalg's decompositions and the functions built on them.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line. Each
adjoint rule is followed by its tangent rule (forward mode).

slogdet, eigh, svd, qr and lstsq return tuples: the adjoint `d[z]` holds one
entry per part, and `output_adjoint` reads one (zeros where nothing read that
part). Every rule takes stacks of matrices, shape (..., m, n), except lstsq
(NumPy's takes one matrix). Adjoints are written with NumPy operations that
have rules themselves (the helpers of srcgrad/runtime/decompositions.py have
rules in rules/runtime.py), so a derivative can be differentiated again.
Real arrays only.

Conventions (docs/supported.md repeats them):
- slogdet: the sign is piecewise constant (zero derivative); logabsdet's
  gradient is inv(a)^T.
- eigh, eigvalsh: NumPy reads the UPLO triangle only, so the gradient is that
  of the function NumPy computes: an off-diagonal entry of the read triangle
  gets G[i, j] + G[j, i] (G the gradient with respect to the symmetric matrix
  seen), the diagonal G[i, i], the other triangle 0. Central differences
  agree. For the symmetric gradient (G + G^T) / 2, symmetrise inside the
  function: eigh((x + x.T) / 2). The eigenvectors of a repeated eigenvalue
  have no derivative (inf or NaN where their adjoint is nonzero); the
  eigenvalues keep a finite one.
- svd: values, and the reduced factors; the columns of a full U (rows of a
  full V^T) past min(m, n) are not unique, and a derivative that reads them
  raises. hermitian=True (a form of its own): NumPy factors the symmetric
  matrix of a's lower triangle (through eigh), so the gradient is folded
  onto that triangle as for eigh; its factors are an SVD like any other.
- qr: mode 'reduced', 'r', and 'complete' where it equals 'reduced' (m <= n).
- pinv, lstsq: constant rank (rcond cuts no singular value that moves across it);
  pinv(hermitian=True) reads a's lower triangle, as svd's.
"""
import numpy

from srcgrad import runtime
from srcgrad.rules.registry import adjoint, form, linear, supports, tangent
from srcgrad.runtime import (
    diag_embed,
    eigh_tangent_helper,
    eigvalsh_tangent_helper,
    fold_triangle,
    frechet_block,
    gap_difference,
    gap_quotient,
    hermitian_gradient,
    hermitian_input,
    lstsq_adjoint_helper,
    lstsq_tangent_helper,
    output_adjoint,
    qr_cotangents,
    qr_factors,
    qr_tangent_helper,
    svd_cotangents,
    svd_factors,
    svd_factors_tangent,
    svd_tangent_helper,
    tangent_ratio,
    upper_right,
    lower_mirror,
    zeros_like,
)
from srcgrad.templates import d

# --- determinants and powers ---------------------------------------------------------


@adjoint(numpy.linalg.slogdet)                  # (sign, logabsdet) = slogdet(a)
def slogdet_adjoint(z, a):
    g = numpy.expand_dims(output_adjoint(d[z], z, 1), (-2, -1))
    d[a] = g * numpy.swapaxes(numpy.linalg.inv(a), -1, -2)


@tangent(numpy.linalg.slogdet)                  # d logabsdet = trace(inv(a) da); the sign is constant
def slogdet_tangent(z, a):
    ainv_t = numpy.swapaxes(numpy.linalg.inv(a), -1, -2)
    d[z] = (zeros_like(z[0]), numpy.sum(ainv_t * d[a], axis=(-2, -1)))


@adjoint(numpy.linalg.matrix_power)             # z = a ** n (n < 0: inv(a) ** -n)
def matrix_power_adjoint(z, a, n):              # the Frechet derivative at a^T, applied to d[z]
    at = numpy.swapaxes(a, -1, -2)
    d[a] = upper_right(numpy.linalg.matrix_power(frechet_block(at, d[z]), n))


@tangent(numpy.linalg.matrix_power)             # block triangular: [[a, da], [0, a]] ** n
def matrix_power_tangent(z, a, n):
    d[z] = upper_right(numpy.linalg.matrix_power(frechet_block(a, d[a]), n))


# --- symmetric eigenproblems -----------------------------------------------------------

supports(numpy.linalg.eigh, "UPLO", lambda u: u in ("L", "U", "l", "u"), "UPLO 'L' or 'U'")
supports(numpy.linalg.eigvalsh, "UPLO", lambda u: u in ("L", "U", "l", "u"), "UPLO 'L' or 'U'")


@adjoint(numpy.linalg.eigh)                     # (w, v) = eigh(a): a = v diag(w) v^T
def eigh_adjoint(z, a, UPLO="L"):
    v = z[1]
    vt = numpy.swapaxes(v, -1, -2)
    inner = diag_embed(output_adjoint(d[z], z, 0)) + gap_quotient(vt @ output_adjoint(d[z], z, 1), z[0])
    d[a] = fold_triangle(v @ inner @ vt, UPLO)


@tangent(numpy.linalg.eigh)
def eigh_tangent(z, a, UPLO="L"):
    d[z] = eigh_tangent_helper(d[a], z, UPLO)


@adjoint(numpy.linalg.eigvalsh)                 # w = eigvalsh(a): v diag(dw) v^T on the triangle
def eigvalsh_adjoint(z, a, UPLO="L"):
    v = numpy.linalg.eigh(a, UPLO)[1]
    d[a] = fold_triangle((v * numpy.expand_dims(d[z], -2)) @ numpy.swapaxes(v, -1, -2), UPLO)


@tangent(numpy.linalg.eigvalsh)
def eigvalsh_tangent(z, a, UPLO="L"):
    d[z] = eigvalsh_tangent_helper(d[a], a, UPLO)


# --- svd, pinv, lstsq -------------------------------------------------------------------

@adjoint(numpy.linalg.svd)                      # (u, s, vh) = svd(a), or s alone
def svd_adjoint(z, a, full_matrices=True, compute_uv=True):
    f = svd_factors(z, a, full_matrices, compute_uv)     # reduced (u, s, vh)
    g = svd_cotangents(d[z], z, f, full_matrices, compute_uv)
    u = f[0]
    vh = f[2]
    s_col = numpy.expand_dims(f[1], -2)                  # x * s_col: x diag(s)
    s_row = numpy.expand_dims(f[1], -1)                  # s_row * x: diag(s) x
    mu = numpy.swapaxes(u, -1, -2) @ g[0]                # u^T gu
    mv = vh @ numpy.swapaxes(g[2], -1, -2)               # v^T gv
    jt = gap_quotient(mu - numpy.swapaxes(mu, -1, -2), f[1] * f[1]) * s_col
    kt = s_row * gap_quotient(mv - numpy.swapaxes(mv, -1, -2), f[1] * f[1])
    d[a] = u @ (jt + diag_embed(g[1]) + kt) @ vh \
        + tangent_ratio(g[0] - u @ mu, s_col) @ vh \
        + u @ tangent_ratio(g[2] - numpy.swapaxes(mv, -1, -2) @ vh, s_row)


@tangent(numpy.linalg.svd)
def svd_tangent(z, a, full_matrices=True, compute_uv=True):
    d[z] = svd_tangent_helper(d[a], z, a, full_matrices, compute_uv)


SVD_HERMITIAN = form(numpy.linalg.svd, "hermitian=")


@adjoint(SVD_HERMITIAN)                         # svd(x) with x = a, or (hermitian) a's lower triangle mirrored
def svd_hermitian_adjoint(z, a, full_matrices=True, compute_uv=True, hermitian=False):
    x = hermitian_input(a, hermitian)
    f = svd_factors(z, x, full_matrices, compute_uv)
    g = svd_cotangents(d[z], z, f, full_matrices, compute_uv)
    u = f[0]
    vh = f[2]
    s_col = numpy.expand_dims(f[1], -2)
    s_row = numpy.expand_dims(f[1], -1)
    mu = numpy.swapaxes(u, -1, -2) @ g[0]
    mv = vh @ numpy.swapaxes(g[2], -1, -2)
    jt = gap_quotient(mu - numpy.swapaxes(mu, -1, -2), f[1] * f[1]) * s_col
    kt = s_row * gap_quotient(mv - numpy.swapaxes(mv, -1, -2), f[1] * f[1])
    d[a] = hermitian_gradient(u @ (jt + diag_embed(g[1]) + kt) @ vh
                              + tangent_ratio(g[0] - u @ mu, s_col) @ vh
                              + u @ tangent_ratio(g[2] - numpy.swapaxes(mv, -1, -2) @ vh, s_row), hermitian)


@tangent(SVD_HERMITIAN)
def svd_hermitian_tangent(z, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[z] = svd_tangent_helper(hermitian_input(d[a], hermitian), z, hermitian_input(a, hermitian),
                              full_matrices, compute_uv)


@adjoint(numpy.linalg.pinv)                     # z = pinv(a), rank held constant
def pinv_adjoint(z, a, rcond=None):
    zt = numpy.swapaxes(z, -1, -2)
    gt = numpy.swapaxes(d[z], -1, -2)
    d[a] = -(zt @ d[z] @ zt) + (gt - a @ z @ gt) @ z @ zt + zt @ z @ (gt - gt @ z @ a)


@tangent(numpy.linalg.pinv)
def pinv_tangent(z, a, rcond=None):
    zt = numpy.swapaxes(z, -1, -2)
    dat = numpy.swapaxes(d[a], -1, -2)
    d[z] = -(z @ d[a] @ z) + z @ zt @ (dat - dat @ a @ z) + (dat - z @ a @ dat) @ zt @ z


PINV_HERMITIAN = form(numpy.linalg.pinv, "hermitian=")


@adjoint(PINV_HERMITIAN)                        # pinv(x), x as for svd's hermitian form
def pinv_hermitian_adjoint(z, a, rcond=None, hermitian=False):
    x = hermitian_input(a, hermitian)
    zt = numpy.swapaxes(z, -1, -2)
    gt = numpy.swapaxes(d[z], -1, -2)
    d[a] = hermitian_gradient(-(zt @ d[z] @ zt) + (gt - x @ z @ gt) @ z @ zt + zt @ z @ (gt - gt @ z @ x),
                              hermitian)


@tangent(PINV_HERMITIAN)                        # pinv's tangent along t = hermitian_input(d[a]), in three lines
def pinv_hermitian_tangent(z, a, rcond=None, hermitian=False):
    x = hermitian_input(a, hermitian)
    zt = numpy.swapaxes(z, -1, -2)
    d[z] = -(z @ hermitian_input(d[a], hermitian) @ z)
    d[z] = z @ zt @ (numpy.swapaxes(hermitian_input(d[a], hermitian), -1, -2)
                     - numpy.swapaxes(hermitian_input(d[a], hermitian), -1, -2) @ x @ z)
    d[z] = (numpy.swapaxes(hermitian_input(d[a], hermitian), -1, -2)
            - z @ x @ numpy.swapaxes(hermitian_input(d[a], hermitian), -1, -2)) @ zt @ z


@adjoint(numpy.linalg.lstsq)                    # (x, residuals, rank, s) = lstsq(a, b, rcond)
def lstsq_adjoint(z, a, b, rcond=None):
    g = lstsq_adjoint_helper(d[z], z, a, b, rcond)
    d[a] = g[0]
    d[b] = g[1]


@tangent(numpy.linalg.lstsq)                    # linear in the two tangents jointly
def lstsq_tangent(z, a, b, rcond=None):
    d[z] = lstsq_tangent_helper(d[a], d[b], z, a, b, rcond)


# --- qr ---------------------------------------------------------------------------------

supports(numpy.linalg.qr, "mode", lambda m: m in ("reduced", "r", "complete"),
         "mode 'reduced', 'r', or 'complete' of a square or wide matrix")


@adjoint(numpy.linalg.qr)                       # (q, r) = qr(a), or r alone; a = [x y], x = q r1
def qr_adjoint(z, a, mode="reduced"):
    f = qr_factors(z, a, mode)
    g = qr_cotangents(d[z], z, f, mode)
    k = numpy.shape(f[1])[-2]
    q = f[0]
    r1 = f[1][..., :, :k]
    gr1 = g[1][..., :, :k]
    gq = g[0] + a[..., :, k:] @ numpy.swapaxes(g[1][..., :, k:], -1, -2)
    m = r1 @ numpy.swapaxes(gr1, -1, -2) - numpy.swapaxes(gq, -1, -2) @ q
    b = gq + q @ lower_mirror(m)
    gx = numpy.swapaxes(numpy.linalg.solve(r1, numpy.swapaxes(b, -1, -2)), -1, -2)
    d[a] = numpy.concatenate([gx, q @ g[1][..., :, k:]], axis=-1)


@tangent(numpy.linalg.qr)
def qr_tangent(z, a, mode="reduced"):
    d[z] = qr_tangent_helper(d[a], z, a, mode)


# --- the helpers' own tangents (second order: forward mode over the adjoints above) ------

for _helper, _param in ((runtime.output_adjoint, "g"), (runtime.diag_embed, "x"),
                        (runtime.fold_triangle, "m"), (runtime.lower_mirror, "m"),
                        (runtime.upper_right, "m"), (runtime.svd_cotangents, "g"),
                        (runtime.hermitian_input, "a"), (runtime.hermitian_gradient, "g"),
                        (runtime.qr_cotangents, "g")):
    linear(_helper, _param)


@tangent(runtime.frechet_block)                 # linear in a and e jointly
def frechet_block_tangent(out, a, e):
    d[out] = frechet_block(d[a], d[e])


@tangent(runtime.gap_quotient)                  # out = m / (w_j - w_i) off the diagonal
def gap_quotient_tangent(out, m, w):
    d[out] = gap_quotient(d[m], w)
    d[out] = -gap_quotient(out * gap_difference(d[w]), w)


@tangent(runtime.svd_factors)                   # a function of a alone: the a line is all of it
def svd_factors_tangent_rule(out, z, a, full_matrices=True, compute_uv=True):
    d[out] = svd_factors_tangent(d[a], out, a)


@tangent(runtime.qr_factors)                    # likewise: (q, r) of a, reduced
def qr_factors_tangent(out, z, a, mode="reduced"):
    d[out] = qr_tangent_helper(d[a], out, a, "reduced")
