"""Decompositions: the pieces of the slogdet, eigh, svd, qr, pinv, lstsq and matrix function rules.

The rules in rules/decompositions.py (and rules/scipy_linalg.py) write most of
a derivative with NumPy operations that have rules themselves, so that a
derivative can be differentiated again; the helpers here do what a template
cannot: read one part of a tuple result's adjoint, build the matrices of
eigenvalue gaps, fold a gradient onto the triangle a factorisation reads,
and raise where a derivative is not unique. Every input may be a stack of
matrices, shape (..., m, n). scipy.linalg's solves are in solves.py.
"""
import numpy

from .core import as_array

from .checks import shape_rule_error


def _t(x):
    return numpy.swapaxes(x, -1, -2)


def output_adjoint(g, z, i):
    """The adjoint of part `i` of a tuple result `z`: zeros shaped like z[i] where
    nothing downstream read that part (`g` is None, or its entry i is)."""
    part = None if g is None else g[i]
    if part is None:
        return numpy.zeros(numpy.shape(z[i]), numpy.result_type(z[i], 1.0))
    if numpy.ndim(part) == 0 and numpy.ndim(z[i]) != 0:  # a zero tangent stands in for zeros
        return numpy.broadcast_to(part, numpy.shape(z[i]))
    return part


def diag_embed(x):
    """A (stack of) diagonal matrices with `x` (..., n) on the diagonal."""
    x = as_array(x)
    return x[..., :, None] * numpy.eye(x.shape[-1], dtype=numpy.result_type(x, 1.0))


def gap_quotient(m, w):
    """m[..., i, j] / (w[..., j] - w[..., i]) off the diagonal, 0 on it, and 0 wherever m is 0.

    The eigenvector (and singular-vector) part of a derivative. For equal
    eigenvalues i != j the quotient is infinite (or NaN): the eigenvectors of a
    repeated eigenvalue have no derivative. A zero `m` entry stays zero there,
    so a function of the eigenvalues alone keeps a finite gradient.
    """
    gap = numpy.expand_dims(w, -2) - numpy.expand_dims(w, -1)
    n = numpy.shape(w)[-1]
    off = 1.0 - numpy.eye(n)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        q = numpy.divide(m, gap + numpy.eye(n))
    return numpy.where(numpy.equal(m, 0), 0.0, q) * off


def gap_difference(t):
    """t[..., j] - t[..., i] at [..., i, j]: the tangent of the gaps `gap_quotient` divides by."""
    return numpy.expand_dims(t, -2) - numpy.expand_dims(t, -1)


def fold_triangle(m, UPLO="L"):
    """The gradient `m` (of a symmetric matrix S) as a gradient of the triangle S is read from.

    numpy.linalg.eigh reads the lower (UPLO='L') or upper triangle only: an
    entry there stands for both S[i, j] and S[j, i], so it gets m[i, j] +
    m[j, i]; the diagonal gets m[i, i]; the other triangle gets 0.
    """
    strict = numpy.tril if UPLO.upper() == "L" else numpy.triu
    k = -1 if UPLO.upper() == "L" else 1
    return strict(m + _t(m), k) + m * numpy.eye(numpy.shape(m)[-1])


def symmetric_from_triangle(t, UPLO="L"):
    """The symmetric matrix numpy.linalg.eigh sees for an input `t`: its UPLO triangle, mirrored."""
    if UPLO.upper() == "L":
        return numpy.tril(t) + _t(numpy.tril(t, -1))
    return numpy.triu(t) + _t(numpy.triu(t, 1))


def hermitian_input(a, hermitian=False):
    """What numpy.linalg.svd(a, hermitian) factors: `a` itself, or with hermitian=True
    the symmetric matrix of its lower triangle (NumPy calls eigh, which reads that one)."""
    return symmetric_from_triangle(a, "L") if hermitian else a


def hermitian_gradient(g, hermitian=False):
    """A gradient `g` with respect to `hermitian_input(a, hermitian)` as one of `a` (linear in g)."""
    return fold_triangle(g, "L") if hermitian else g


def eigh_tangent_helper(t, z, UPLO="L"):
    """The tangent (dw, dv) of (w, v) = numpy.linalg.eigh(a, UPLO) along `t` (a's tangent).

    With S the symmetric matrix eigh reads and P = v^T dS v: dw = diag(P),
    dv = v (P / (w_j - w_i)) off the diagonal (see gap_quotient).
    """
    w, v = z[0], z[1]
    p = _t(v) @ symmetric_from_triangle(t, UPLO) @ v
    dw = numpy.diagonal(p, axis1=-2, axis2=-1)
    return (dw, v @ gap_quotient(p, w))


def eigvalsh_tangent_helper(t, a, UPLO="L"):
    """The tangent of numpy.linalg.eigvalsh(a, UPLO) along `t`: diag(v^T dS v)."""
    v = numpy.linalg.eigh(a, UPLO)[1]
    p = _t(v) @ symmetric_from_triangle(t, UPLO) @ v
    return numpy.diagonal(p, axis1=-2, axis2=-1)


# --- svd ---------------------------------------------------------------------


def _full_non_square(a, full_matrices, compute_uv) -> bool:
    m, n = numpy.shape(a)[-2:]
    return bool(compute_uv and full_matrices and m != n)


def svd_factors(z, a, full_matrices=True, compute_uv=True):
    """(u, s, vh) of the reduced SVD of `a`: the result `z` cut to min(m, n) columns,
    or, when `z` holds the singular values only, the SVD computed again."""
    if not compute_uv:
        return tuple(numpy.linalg.svd(a, full_matrices=False))
    u, s, vh = z[0], z[1], z[2]
    k = numpy.shape(s)[-1]
    return (u[..., :, :k], s, vh[..., :k, :])


def svd_cotangents(g, z, f, full_matrices=True, compute_uv=True):
    """The adjoints (gu, gs, gvh) of the reduced SVD's parts `f`, from the adjoint `g` of `z`.

    The columns of a full U (rows of a full V^T) past min(m, n) span the
    orthogonal complement of the range, in a basis LAPACK picks: they have no
    derivative, and a nonzero adjoint reaching them raises.
    """
    if not compute_uv:
        return (numpy.zeros(numpy.shape(f[0])), output_adjoint((g,), (z,), 0), numpy.zeros(numpy.shape(f[2])))
    k = numpy.shape(f[1])[-1]
    gu, gs, gvh = (output_adjoint(g, z, i) for i in range(3))
    if numpy.shape(gu) != numpy.shape(f[0]) or numpy.shape(gvh) != numpy.shape(f[2]):
        if numpy.any(gu[..., :, k:]) or numpy.any(gvh[..., k:, :]):
            shape_rule_error(
                "numpy.linalg.svd(a, full_matrices=True) of a non-square matrix: the columns of u "
                "(rows of vh) past min(m, n) have no unique derivative, and this function reads them",
                "pass full_matrices=False, or read only the first min(m, n) columns of u (rows of vh)")
        gu, gvh = gu[..., :, :k], gvh[..., :k, :]
    return (gu, gs, gvh)


def svd_tangent_helper(t, z, a, full_matrices=True, compute_uv=True):
    """The tangent of `z = numpy.linalg.svd(a, full_matrices, compute_uv)` along `t`.

    With P = u^T da v (reduced): ds = diag(P); du = u F o (P s + s P^T) + (I - u u^T) da v / s;
    dv = v F o (s P + P^T s) + (I - v v^T) da^T u / s, with F the gaps of s**2. The columns
    of a full u (rows of a full vh) past min(m, n) have no unique tangent: NaN there, so a
    function that reads them gets NaN, and one that does not (u[:, :k]) its derivative.
    """
    u, s, vh = svd_factors(z, a, full_matrices, compute_uv)
    p = _t(u) @ t @ _t(vh)
    ds = numpy.diagonal(p, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    du, ds, dvh = svd_vector_tangents(t, p, u, s, vh, ds)
    if _full_non_square(a, full_matrices, compute_uv):
        m, n = numpy.shape(a)[-2:]
        du = numpy.concatenate([du, numpy.full(du.shape[:-1] + (m - du.shape[-1],), numpy.nan)], axis=-1)
        dvh = numpy.concatenate([dvh, numpy.full(dvh.shape[:-2] + (n - dvh.shape[-2], n), numpy.nan)], axis=-2)
    return (du, ds, dvh)


def svd_vector_tangents(t, p, u, s, vh, ds):
    """(du, ds, dvh) of the reduced SVD, from P = u^T t v (see svd_tangent_helper)."""
    v = _t(vh)
    row, col = numpy.expand_dims(s, -1), numpy.expand_dims(s, -2)
    du = u @ gap_quotient(p * col + row * _t(p), s * s)
    du = du + (t @ v - u @ p) / col
    dv = v @ gap_quotient(row * p + _t(p) * col, s * s)
    dv = dv + (_t(t) @ u - v @ _t(p)) / col
    return (du, ds, _t(dv))


def svd_factors_tangent(t, f, a):
    """The tangent of svd_factors(z, a, ...) = (u, s, vh), reduced, along `t` (a's tangent)."""
    u, s, vh = f
    p = _t(u) @ t @ _t(vh)
    return svd_vector_tangents(t, p, u, s, vh, numpy.diagonal(p, axis1=-2, axis2=-1))


# --- qr ----------------------------------------------------------------------


def qr_factors(z, a, mode="reduced"):
    """(q, r) of numpy.linalg.qr(a, mode): `z` itself, or for mode='r' the factorisation
    computed again. mode='complete' of a tall matrix has no unique derivative: raises."""
    if mode not in ("reduced", "complete", "r"):
        shape_rule_error(f"numpy.linalg.qr(mode={mode!r}) has no derivative rule",
                         "use mode='reduced' or mode='r'")
    m, n = numpy.shape(a)[-2:]
    if mode == "complete" and m > n:
        shape_rule_error("numpy.linalg.qr(a, mode='complete') of a tall matrix: the columns of q "
                         "past n have no unique derivative", "use mode='reduced'")
    if mode == "r":
        return tuple(numpy.linalg.qr(a))
    return (z[0], z[1])


def qr_cotangents(g, z, f, mode="reduced"):
    """The adjoints (gq, gr) of the factors `f` = (q, r), from the adjoint `g` of `z`
    (r alone for mode='r')."""
    if mode == "r":
        return (numpy.zeros(numpy.shape(f[0])), output_adjoint((g,), (z,), 0))
    return (output_adjoint(g, z, 0), output_adjoint(g, z, 1))


def lower_mirror(m):
    """tril(m) with its strict lower triangle mirrored above: tril(m) + tril(m, -1)^T."""
    return numpy.tril(m) + _t(numpy.tril(m, -1))


def qr_tangent_helper(t, z, a, mode="reduced"):
    """The tangent of numpy.linalg.qr(a, mode) along `t`.

    With a = [x y], x the first k = min(m, n) columns and q r1 = x: C = q^T dx r1^-1,
    W the skew matrix from C's strict lower triangle (q^T dq = W, dr1 r1^-1 = C - W
    upper triangular): dq = dx r1^-1 - q (C - W), dr1 = (C - W) r1, dr2 = q^T dy - W r2.
    """
    q, r = qr_factors(z, a, mode)
    k = numpy.shape(r)[-2]
    r1, r2 = r[..., :, :k], r[..., :, k:]
    tx, ty = t[..., :, :k], t[..., :, k:]
    xr = _t(numpy.linalg.solve(_t(r1), _t(tx)))     # dx r1^-1
    c = _t(q) @ xr
    low = numpy.tril(c, -1)
    w = low - _t(low)
    dq = xr - q @ (c - w)
    dr = numpy.concatenate([(c - w) @ r1, _t(q) @ ty - w @ r2], axis=-1)
    return dr if mode == "r" else (dq, dr)


# --- lstsq, matrix functions -------------------------------------------------


def _lstsq_rcond(a, rcond):
    """numpy.linalg.lstsq's cutoff as a number (None and NumPy 1's 'warn' are its default)."""
    if rcond is None or isinstance(rcond, str) or rcond < 0:
        return numpy.finfo(numpy.result_type(a, 1.0)).eps * max(numpy.shape(a)[-2:])
    return rcond


def lstsq_adjoint_helper(g, z, a, b, rcond=None):
    """The adjoints (ga, gb) of `z = numpy.linalg.lstsq(a, b, rcond)` (x, residuals, rank, s).

    x = pinv(a) b; the residuals sum (b - a x)**2 per column, whose gradient
    through x vanishes (x is optimal): gb = 2 r, ga = -2 r x^T, scaled by their
    adjoint; s, the singular values of a, give u diag(gs) v^T.
    """
    x, s = z[0], z[3]
    gx, gres, gs = output_adjoint(g, z, 0), output_adjoint(g, z, 1), output_adjoint(g, z, 3)
    vector = numpy.ndim(b) == 1
    x2 = x[:, None] if vector else x
    b2 = b[:, None] if vector else b
    gx2 = gx[:, None] if vector else gx
    p = numpy.linalg.pinv(a, rcond=_lstsq_rcond(a, rcond))
    ga = pinv_adjoint_core(gx2 @ _t(b2), p, a)
    gb = _t(p) @ gx2
    if numpy.size(gres):
        r = (b2 - a @ x2) * gres
        ga = ga - 2.0 * r @ _t(x2)
        gb = gb + 2.0 * r
    if numpy.any(gs):
        u, _, vh = numpy.linalg.svd(a, full_matrices=False)
        ga = ga + (u * gs) @ vh
    return (ga, gb[:, 0] if vector else gb)


def lstsq_tangent_helper(ta, tb, z, a, b, rcond=None):
    """The tangent of numpy.linalg.lstsq(a, b, rcond) along (ta, tb): (dx, dresiduals, 0, ds)."""
    x, res, rank, s = z
    vector = numpy.ndim(b) == 1
    x2 = x[:, None] if vector else x
    b2 = b[:, None] if vector else b
    tb2 = numpy.zeros(numpy.shape(b2)) if tb is None else (tb[:, None] if vector else tb)
    ta = numpy.zeros(numpy.shape(a)) if ta is None else ta
    p = numpy.linalg.pinv(a, rcond=_lstsq_rcond(a, rcond))
    dx = pinv_tangent_core(ta, p, a) @ b2 + p @ tb2
    dres = numpy.zeros(numpy.shape(res))
    if numpy.size(res):
        dres = numpy.reshape(2.0 * numpy.sum((b2 - a @ x2) * (tb2 - ta @ x2), axis=0), numpy.shape(res))
    u, _, vh = numpy.linalg.svd(a, full_matrices=False)
    ds = numpy.diagonal(_t(u) @ ta @ _t(vh))
    return (dx[:, 0] if vector else dx, dres, 0.0, ds)


def pinv_adjoint_core(g, p, a):
    """The adjoint of `a` in p = pinv(a) (constant rank), for the adjoint `g` of p."""
    pt, gt = _t(p), _t(g)
    return -(pt @ g @ pt) + (gt - a @ p @ gt) @ p @ pt + pt @ p @ (gt - gt @ p @ a)


def pinv_tangent_core(t, p, a):
    """The tangent of p = pinv(a) along `t` (constant rank)."""
    tt = _t(t)
    return -(p @ t @ p) + p @ _t(p) @ (tt - tt @ a @ p) + (tt - p @ a @ tt) @ _t(p) @ p


def frechet_block(a, e):
    """The block matrix [[a, e], [0, a]] (stacked): a primary matrix function f of it has
    f(a) on the diagonal and the Frechet derivative L_f(a, e) in the upper right block."""
    zero = numpy.zeros(numpy.broadcast_shapes(numpy.shape(a), numpy.shape(e)))
    a = numpy.broadcast_to(a, zero.shape)
    top = numpy.concatenate([a, numpy.broadcast_to(e, zero.shape)], axis=-1)
    return numpy.concatenate([top, numpy.concatenate([zero, a], axis=-1)], axis=-2)


def upper_right(m):
    """The upper right quarter of a (stack of) 2n x 2n matrices (see frechet_block)."""
    n = numpy.shape(m)[-1] // 2
    return m[..., :n, n:]
