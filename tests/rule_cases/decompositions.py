"""Cases for srcgrad/rules/decompositions.py: slogdet, eigh, eigvalsh, svd, pinv, qr, lstsq,
matrix_power, single matrices and stacks (..., n, n), and the helpers' forward rules.

Eigen- and singular vectors are defined up to sign: the cases read them through
sign-free expressions (v * v, u diag(c) vh). eigh's input need not be symmetric:
NumPy reads one triangle, and the rule's gradient is that function's (central
differences agree).
"""
import numpy as np

from rule_cases import C, R, case, zero_case
from srcgrad import runtime as rt
from srcgrad.rules import decompositions as forms

FWD = ("forward",)


def _square(n, *batch):
    """A well-conditioned (stack of) n x n matrices: small random entries plus 3 I."""
    return 0.3 * R(*batch, n, n) + 3.0 * np.eye(n)


def _spread(m, n, *batch):
    """A (stack of) m x n matrices whose eigen- or singular values lie well apart (2, 4, 6, ...):
    random entries plus a diagonal, so that finite differences see no near-degeneracy."""
    k = min(m, n)
    diagonal = np.zeros((m, n))
    diagonal[range(k), range(k)] = 2.0 * np.arange(1, k + 1)
    return 0.5 * R(*batch, m, n) + diagonal


# --- slogdet, matrix_power ------------------------------------------------------------


@case(np.linalg.slogdet, variants=[(_square(3), C()), (-_square(3), C()), (_square(3, 2), C(2)),
                                   (_square(2, 2, 3), C(2, 3))])
def slogdet_case(a, c):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(sign * logdet * c)


@case(np.linalg.slogdet, variants=[(_square(4), C())])
def slogdet_indexed_case(a, c):
    result = np.linalg.slogdet(a)
    return result[1] * c


@case(np.linalg.matrix_power, variants=[(R(3, 3), C(3, 3)), (R(2, 3, 3), C(2, 3, 3))])
def matrix_power_case(a, c):
    return np.sum(np.linalg.matrix_power(a, 3) * c)


@case(np.linalg.matrix_power, variants=[(_square(3), C(3, 3)), (_square(2, 2), C(2, 2, 2))])
def matrix_power_negative_case(a, c):
    return np.sum(np.linalg.matrix_power(a, -2) * c)


@case(np.linalg.matrix_power, variants=[(R(3, 3), C(3, 3))])
def matrix_power_zero_one_case(a, c):
    return np.sum((np.linalg.matrix_power(a, 0) + np.linalg.matrix_power(a, 1)) * c)


# --- eigh, eigvalsh ---------------------------------------------------------------------


@case(np.linalg.eigh, variants=[(_spread(3, 3), C(3), C(3, 3)), (_spread(4, 4, 2), C(2, 4), C(4, 4))])
def eigh_case(a, c1, c2):
    w, v = np.linalg.eigh(a)
    return np.sum(w * c1) + np.sum(v * v * c2)


@case(np.linalg.eigh, variants=[(_spread(3, 3), C(3), C(3, 3)), (_spread(3, 3, 2), C(2, 3), C(3, 3))])
def eigh_upper_case(a, c1, c2):
    w, v = np.linalg.eigh(a, UPLO="U")
    return np.sum(w * c1) + np.sum((v * c1[..., None, :]) @ np.swapaxes(v, -1, -2) * c2)


@case(np.linalg.eigh, variants=[(_spread(4, 4), C(4))])
def eigh_values_only_case(a, c):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w * c)


@case(np.linalg.eigvalsh, variants=[(_spread(3, 3), C(3)), (_spread(4, 4, 2), C(2, 4))])
def eigvalsh_case(a, c):
    return np.sum(np.linalg.eigvalsh(a) * c)


@case(np.linalg.eigvalsh, variants=[(_spread(3, 3), C(3))])
def eigvalsh_upper_case(a, c):
    return np.sum(np.linalg.eigvalsh(a, "U") * c)


# --- svd, pinv, lstsq --------------------------------------------------------------------


@case(np.linalg.svd, variants=[(_spread(3, 4), C(3)), (_spread(4, 3), C(3)), (_spread(3, 3, 2), C(2, 3))])
def svd_values_case(a, c):
    return np.sum(np.linalg.svd(a, compute_uv=False) * c)


@case(np.linalg.svd, variants=[(_spread(3, 3), C(3), C(3, 3), C(3, 3)), (_spread(4, 3), C(3), C(4, 3), C(3, 3)),
                               (_spread(3, 4), C(3), C(3, 3), C(3, 4)), (_spread(4, 3, 2), C(3), C(4, 3), C(3, 3))])
def svd_reduced_case(a, c, cu, cv):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s * c) + np.sum(u * u * cu) + np.sum(vh * vh * cv) + np.sum((u * c) @ vh)


@case(np.linalg.svd, variants=[(_spread(3, 3), C(3), C(3, 3)), (_spread(4, 3), C(3), C(4, 3)),
                               (_spread(3, 3, 2), C(3), C(3, 3))])
def svd_full_case(a, c, cu):
    u, s, vh = np.linalg.svd(a)                  # full: only the first min(m, n) columns are read
    return np.sum(s * c) + np.sum(u[..., :, :3] ** 2 * cu) + np.sum(vh * vh)


@case(forms.SVD_HERMITIAN, variants=[(_spread(3, 3), C(3), C(3, 3)), (_spread(4, 4, 2), C(4), C(4, 4))])
def svd_hermitian_case(a, c, cv):               # not symmetric: NumPy factors its lower triangle, mirrored
    u, s, vh = np.linalg.svd(a, hermitian=True)
    return np.sum(s * c) + np.sum(vh * vh * cv) + np.sum((u * c) @ vh * cv)


@case(forms.SVD_HERMITIAN, variants=[(_spread(3, 3), C(3)), (_spread(3, 3, 2), C(2, 3))])
def svd_hermitian_values_case(a, c):
    return np.sum(np.linalg.svd(a, compute_uv=False, hermitian=True) * c)


@case(np.linalg.pinv, variants=[(_spread(3, 4), C(4, 3)), (_spread(4, 3), C(3, 4)), (_square(3), C(3, 3)),
                                (_spread(4, 3, 2), C(2, 3, 4))])
def pinv_case(a, c):
    return np.sum(np.linalg.pinv(a) * c)


@case(np.linalg.pinv, variants=[(R(2, 4), C(4, 4)), (R(3, 2, 5), C(3, 5, 5))])
def pinv_low_rank_case(x, c):  # x^T x has rank 2 (3) of 4 (5), and keeps it under perturbation
    return np.sum(np.linalg.pinv(np.swapaxes(x, -1, -2) @ x) * c)


@case(forms.PINV_HERMITIAN, variants=[(_square(3), C(3, 3)), (_spread(4, 4, 2), C(2, 4, 4))])
def pinv_hermitian_case(a, c):                  # the lower triangle, mirrored
    return np.sum(np.linalg.pinv(a, hermitian=True) * c)


@case(np.linalg.lstsq, wrt=(0, 1), variants=[(_spread(5, 3), R(5), C(3), C()), (_spread(5, 3), R(5, 2), C(3, 2), C(2)),
                                               (_spread(3, 5), R(3, 2), C(5, 2), C(0))])
def lstsq_case(a, b, c, cr):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(x * c) + np.sum(residuals * cr) + np.sum(s * s)


zero_case(np.linalg.pinv, variants=[((_square(3),), {"rcond": 1e-10})], only=("rcond",))
zero_case(forms.PINV_HERMITIAN, variants=[((_square(3),), {"rcond": 1e-10, "hermitian": True})], only=("rcond",),
          call=lambda _form, *args, **kwargs: np.linalg.pinv(*args, **kwargs))
zero_case(np.linalg.lstsq, variants=[((_spread(5, 3), R(5)), {"rcond": 1e-10})], only=("rcond",))


# --- qr ---------------------------------------------------------------------------------


@case(np.linalg.qr, variants=[(_spread(4, 3), C(4, 3), C(3, 3)), (_spread(3, 3), C(3, 3), C(3, 3)),
                              (_spread(3, 5), C(3, 3), C(3, 5)), (_spread(4, 3, 2), C(4, 3), C(3, 3))])
def qr_case(a, cq, cr):
    q, r = np.linalg.qr(a)
    return np.sum(q * cq) + np.sum(r * cr)


@case(np.linalg.qr, variants=[(_spread(4, 3), C(3, 3)), (_spread(3, 5), C(3, 5)), (_spread(3, 3, 2), C(3, 3))])
def qr_r_case(a, c):
    return np.sum(np.linalg.qr(a, mode="r") * c)


@case(np.linalg.qr, variants=[(_spread(3, 5), C(3, 3), C(3, 5)), (_spread(3, 3), C(3, 3), C(3, 3))])
def qr_complete_case(a, cq, cr):
    q, r = np.linalg.qr(a, "complete")           # equal to 'reduced' when m <= n
    return np.sum(q * cq) + np.sum(r * cr)


# --- the helpers' forward rules (second order) ---------------------------------------------


@case(rt.output_adjoint, rt.diag_embed, rt.fold_triangle, rt.lower_mirror, rt.upper_right,
      variants=[(R(3), R(3, 3), C(3, 3), C(3, 3))], wrt=(0, 1), modes=FWD)
def decomposition_linear_helpers_case(g, m, c, c2):
    z = (np.zeros(3), np.zeros((3, 3)))
    e = rt.diag_embed(rt.output_adjoint((g * g, None), z, 0))
    parts = rt.fold_triangle(m * m + e) + rt.fold_triangle(m, "U") + rt.lower_mirror(m * g)
    return np.sum(parts * c) + np.sum(rt.upper_right(np.concatenate([m, m * m], axis=1)[:, :6]) * c2)


@case(rt.gap_quotient, rt.frechet_block, variants=[(R(3, 3), R(3), R(3, 3), C(3, 3), C(6, 6))],
      wrt=(0, 1, 2), modes=FWD)
def gap_quotient_frechet_block_case(m, w, e, c, c2):
    spread = w + np.array([0.0, 3.0, 6.0])
    return np.sum(rt.gap_quotient(m * m, spread) * c) + np.sum(rt.frechet_block(m, e * e) * c2)


@case(rt.hermitian_input, rt.hermitian_gradient, variants=[(R(3, 3), C(3, 3)), (R(2, 3, 3), C(2, 3, 3))], modes=FWD)
def hermitian_helpers_case(m, c):
    return np.sum((rt.hermitian_input(m * m, True) + rt.hermitian_gradient(m, True) + rt.hermitian_input(m, False)) * c)


@case(rt.svd_factors, rt.svd_cotangents, variants=[(R(4, 3), R(4, 3), C(4, 3), C(3), C(3, 3))],
      wrt=(0, 1), modes=FWD)
def svd_helpers_case(a, g, cu, cs, cv):
    z = np.linalg.svd(a, full_matrices=False)
    u, s, vh = rt.svd_factors(z, a, False, True)
    gu, gs, gvh = rt.svd_cotangents((g * g, None, None), z, (u, s, vh), False, True)
    return np.sum((u * u + gu) * cu) + np.sum((s + gs) * cs) + np.sum((vh * vh + gvh) * cv)


@case(rt.qr_factors, rt.qr_cotangents, variants=[(R(4, 3), R(4, 3), C(4, 3), C(3, 3))],
      wrt=(0, 1), modes=FWD)
def qr_helpers_case(a, g, cq, cr):
    z = np.linalg.qr(a)
    q, r = rt.qr_factors(z, a, "reduced")
    gq, gr = rt.qr_cotangents((g * g, None), z, (q, r), "reduced")
    return np.sum((q + gq) * cq) + np.sum((r + gr) * cr)
