"""scipy.linalg's solves: the pieces of the solve_triangular, cho_factor, cho_solve and sqrtm rules.

Triangular solves read one triangle (`triangle_of`); a Cholesky factor from
cho_factor keeps a's own entries in its other triangle. SciPy is imported
inside the one helper that needs it (solve_sylvester_stack), so that
`import srcgrad` never loads SciPy.
"""
import numpy

from .linalg import cholesky_adjoint_helper, cholesky_tangent_helper


def _t(x):
    return numpy.swapaxes(x, -1, -2)


def cho_factor_adjoint_helper(gc, c, lower=False):
    """The adjoint of `a` in (c, lower) = scipy.linalg.cho_factor(a, lower), from c's adjoint.

    c holds the factor in one triangle; the other holds a's own entries where
    SciPy leaves them in place (those pass their adjoint straight back) or
    zeros where it clears them (newer SciPy): `_cho_factor_keeps_other_triangle`.
    """
    kept = 1.0 if _cho_factor_keeps_other_triangle() else 0.0
    if lower:
        return cholesky_adjoint_helper(numpy.tril(gc), numpy.tril(c)) + kept * numpy.triu(gc, 1)
    low = _t(numpy.triu(c))
    return _t(cholesky_adjoint_helper(_t(numpy.triu(gc)), low)) + kept * numpy.tril(gc, -1)


def cho_factor_tangent_helper(t, c, lower=False):
    """The tangent of c in scipy.linalg.cho_factor(a, lower) along `t` (a's tangent)."""
    kept = 1.0 if _cho_factor_keeps_other_triangle() else 0.0
    if lower:
        return cholesky_tangent_helper(t, numpy.tril(c)) + kept * numpy.triu(t, 1)
    return _t(cholesky_tangent_helper(_t(t), _t(numpy.triu(c)))) + kept * numpy.tril(t, -1)


def _cho_factor_keeps_other_triangle() -> bool:
    """Whether the installed SciPy's cho_factor leaves a's entries in the triangle it
    does not factor (older SciPy) rather than zeros (newer): asked of SciPy on a 2 x 2
    matrix at each call (a few microseconds beside the factorisation's adjoint)."""
    import scipy.linalg

    c, _ = scipy.linalg.cho_factor(numpy.array([[4.0, 1.0], [1.0, 4.0]]))
    return bool(c[1, 0] == 1.0)


def triangle_of(m, lower=False, unit_diagonal=False):
    """The part of `m` a triangular solve reads: its lower or upper triangle, without
    the diagonal when the diagonal is taken as ones."""
    k = (-1 if lower else 1) if unit_diagonal else 0
    return numpy.tril(m, k) if lower else numpy.triu(m, k)


def trans_flag(trans) -> bool:
    """Whether scipy.linalg.solve_triangular's `trans` solves with the transpose."""
    if trans in (0, "N", "n"):
        return False
    if trans in (1, 2, "T", "t", "C", "c"):
        return True
    raise ValueError(f"srcgrad: unknown trans={trans!r} for scipy.linalg.solve_triangular")


def triangular_adjoint_a(y, x, trans=0, lower=False, unit_diagonal=False):
    """The adjoint of `a` in x = solve_triangular(a, b, trans, lower, unit_diagonal),
    from y = solve_triangular(a, g, the other trans): -y x^T (transposed for trans),
    cut to the triangle the solve reads."""
    y2 = y[..., None] if numpy.ndim(y) == 1 else y
    x2 = x[..., None] if numpy.ndim(x) == 1 else x
    outer = -(x2 @ _t(y2)) if trans_flag(trans) else -(y2 @ _t(x2))
    return triangle_of(outer, lower, unit_diagonal)


def triangular_tangent_a(t, x, trans=0, lower=False, unit_diagonal=False):
    """-op(tri(t)) x: the right-hand side whose triangular solve is x's tangent along `t`."""
    tri = triangle_of(t, lower, unit_diagonal)
    op = _t(tri) if trans_flag(trans) else tri
    return -(op @ x)


def other_trans(trans) -> int:
    """The `trans` of the adjoint solve: transposed if the forward solve was not."""
    return 0 if trans_flag(trans) else 1


def solve_sylvester_stack(a, b, q):
    """scipy.linalg.solve_sylvester(a, b, q) over stacks: x with a x + x b = q."""
    from scipy.linalg import solve_sylvester  # SciPy is optional: only here

    a, b, q = numpy.asarray(a), numpy.asarray(b), numpy.asarray(q)
    batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])  # a is m x m, b n x n, q m x n
    a, b, q = (numpy.broadcast_to(x, batch + x.shape[-2:]) for x in (a, b, q))
    out = numpy.empty(q.shape, numpy.result_type(a, b, q, 1.0))
    for index in numpy.ndindex(q.shape[:-2]):
        out[index] = solve_sylvester(a[index], b[index], q[index])
    return out


def _columns(x):
    """A right-hand side as a (stack of) matrices: a vector gets one column."""
    return x[..., None] if numpy.ndim(x) == 1 else x


def cho_solve_adjoint_factor(y, x, c_and_lower):
    """The adjoint of (c, lower) in x = scipy.linalg.cho_solve((c, lower), b), from
    y = cho_solve((c, lower), g): (gc, None). With a = l l^T (lower) or u^T u and
    S = -(y x^T + x y^T), gc = tril(S l), or triu(u S): only the factor's triangle."""
    c, lower = c_and_lower[0], c_and_lower[1]
    y2, x2 = _columns(y), _columns(x)
    s = -(y2 @ _t(x2) + x2 @ _t(y2))
    gc = numpy.tril(s @ numpy.tril(c)) if lower else numpy.triu(numpy.triu(c) @ s)
    return (gc, None)


def cho_solve_adjoint_factor_tangent_helper(ty, tx, tc, y, x, c_and_lower):
    """The tangent of cho_solve_adjoint_factor(y, x, (c, lower)) along the tangents of y, x
    and c (tc[0]): bilinear in y and x, linear in c; (dgc, None)."""
    lower = c_and_lower[1]
    total = cho_solve_adjoint_factor(ty, x, c_and_lower)[0] + cho_solve_adjoint_factor(y, tx, c_and_lower)[0]
    return (total + cho_solve_adjoint_factor(y, x, (tc[0], lower))[0], None)


def cho_solve_tangent_rhs(t, x, c_and_lower):
    """-da x for x = cho_solve((c, lower), b), da the tangent of a = l l^T (or u^T u)
    along c's tangent t[0] (its factor's triangle)."""
    c, lower = c_and_lower[0], c_and_lower[1]
    if lower:
        f, tf = numpy.tril(c), numpy.tril(t[0])
        da = tf @ _t(f) + f @ _t(tf)
    else:
        f, tf = numpy.triu(c), numpy.triu(t[0])
        da = _t(tf) @ f + _t(f) @ tf
    return -(da @ x)


# --- banded matrices: scipy.linalg.solve_banded's storage, A[i, j] = ab[u + i - j, j] ---------


def band_flip(l_and_u) -> tuple:
    """The (lower, upper) band counts of A^T: (u, l)."""
    return (int(l_and_u[1]), int(l_and_u[0]))


def _diagonals(l_and_u, n):
    """(row of ab, offset i - j) of each stored diagonal: row r holds A[j + r - u, j]."""
    upper = int(l_and_u[1])
    return [(r, r - upper) for r in range(int(l_and_u[0]) + upper + 1) if abs(r - upper) < n]


def band_transpose(l_and_u, ab):
    """The band storage of A^T (bands `band_flip(l_and_u)`) from that of A (linear in ab)."""
    ab = numpy.asarray(ab)
    n = ab.shape[-1]
    out = numpy.zeros(ab.shape, numpy.result_type(ab, 1.0))
    rows = ab.shape[0] - 1
    for r, offset in _diagonals(l_and_u, n):  # A[j + offset, j] is A^T[j, j + offset]: row rows - r
        if offset >= 0:
            out[rows - r, offset:] = ab[r, :n - offset]
        else:
            out[rows - r, :n + offset] = ab[r, -offset:]
    return out


def band_outer(l_and_u, y, x):
    """The band storage of y x^T (summed over columns when y, x are matrices): what
    solve_banded reads of an outer product (bilinear in y and x; zero off the band)."""
    y2, x2 = _columns(numpy.asarray(y)), _columns(numpy.asarray(x))
    n = y2.shape[0]
    out = numpy.zeros((int(l_and_u[0]) + int(l_and_u[1]) + 1, n), numpy.result_type(y2, x2, 1.0))
    for r, offset in _diagonals(l_and_u, n):  # entry (j + offset, j)
        if offset >= 0:
            out[r, :n - offset] = numpy.sum(y2[offset:] * x2[:n - offset], axis=-1)
        else:
            out[r, -offset:] = numpy.sum(y2[:n + offset] * x2[-offset:], axis=-1)
    return out


def band_matmul(l_and_u, ab, x):
    """A x for A in band storage (bilinear in ab and x; x a vector or a matrix)."""
    ab, x = numpy.asarray(ab), numpy.asarray(x)
    x2 = _columns(x)
    n = x2.shape[0]
    out = numpy.zeros(x2.shape, numpy.result_type(ab, x2, 1.0))
    for r, offset in _diagonals(l_and_u, n):  # (A x)[j + offset] += A[j + offset, j] x[j]
        if offset >= 0:
            out[offset:] += ab[r, :n - offset, None] * x2[:n - offset]
        else:
            out[:n + offset] += ab[r, -offset:, None] * x2[-offset:]
    return out.reshape(x.shape)
