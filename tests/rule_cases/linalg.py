"""Cases for srcgrad/rules/linalg.py."""
import numpy as np

from rule_cases import C, R, case
from srcgrad import runtime as rt


def _square(n, *batch):
    """A well-conditioned (stack of) n x n matrices: random plus 3 I."""
    return R(*batch, n, n) + 3.0 * np.eye(n)


def _spd(n, *batch):
    """A symmetric positive definite (stack of) n x n matrices."""
    m = R(*batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


# --- products --------------------------------------------------------------------


@case(np.dot, wrt=(0, 1), variants=[
    (R(), R(3), C(3)), (R(3), R(), C(3)), (R(3), R(3), C()), (R(2, 3), R(3, 4), C(2, 4)),
    (R(2, 3), R(3), C(2)), (R(3), R(3, 4), C(4)), (R(2, 4, 3), R(3), C(2, 4)),
    (R(2, 4, 3), R(5, 3, 2), C(2, 4, 5, 2)), (R(3), R(5, 3, 2), C(5, 2)),
])
def linalg_dot_case(a, b, c):
    return np.sum(np.dot(a, b) * c)


@case(np.vdot, wrt=(0, 1), variants=[(R(3), R(3), C()), (R(2, 3), R(6), C()), (R(2, 2), R(2, 2), C())])
def linalg_vdot_case(a, b, c):
    return np.vdot(a, b) * c


@case(np.outer, wrt=(0, 1), variants=[(R(3), R(4), C(3, 4)), (R(2, 2), R(3), C(4, 3)), (R(), R(3), C(1, 3))])
def linalg_outer_case(a, b, c):
    return np.sum(np.outer(a, b) * c)


@case(np.inner, wrt=(0, 1), variants=[
    (R(3), R(3), C()), (R(2, 3), R(4, 3), C(2, 4)), (R(2, 4, 3), R(3), C(2, 4)),
    (R(3), R(2, 5, 3), C(2, 5)), (R(), R(2, 3), C(2, 3)),
])
def linalg_inner_case(a, b, c):
    return np.sum(np.inner(a, b) * c)


@case(np.tensordot, wrt=(0, 1), variants=[(R(2, 3, 4), R(3, 4, 5), C(2, 5)), (R(3, 4), R(3, 4), C())])
def linalg_tensordot_case(a, b, c):
    return np.sum(np.tensordot(a, b) * c)


@case(np.tensordot, wrt=(0, 1), variants=[(R(2, 3), R(3, 4), C(2, 4)), (R(2, 4, 3), R(3, 5), C(2, 4, 5))])
def linalg_tensordot_axes1_case(a, b, c):
    return np.sum(np.tensordot(a, b, axes=1) * c)


@case(np.tensordot, wrt=(0, 1), variants=[(R(2, 3), R(4), C(2, 3, 4))])
def linalg_tensordot_axes0_case(a, b, c):
    return np.sum(np.tensordot(a, b, 0) * c)


@case(np.tensordot, wrt=(0, 1), variants=[(R(2, 3, 4), R(4, 2, 5), C(3, 5))])
def linalg_tensordot_pairs_case(a, b, c):
    return np.sum(np.tensordot(a, b, axes=([2, 0], [0, 1])) * c)


@case(np.tensordot, wrt=(0, 1), variants=[(R(3, 4), R(5, 3), C(4, 5))])
def linalg_tensordot_int_pair_case(a, b, c):
    return np.sum(np.tensordot(a, b, axes=(0, -1)) * c)


# --- einsum ----------------------------------------------------------------------


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3), R(3, 4), C(2, 4))])
def linalg_einsum_matmul_case(a, b, c):
    return np.sum(np.einsum("ij,jk->ik", a, b) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3), R(3, 4), C(2, 4))])
def linalg_einsum_implicit_case(a, b, c):
    return np.sum(np.einsum("ij,jk", a, b) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(3, 2), R(3, 4), C(4, 2))])
def linalg_einsum_implicit_order_case(a, b, c):
    return np.sum(np.einsum("ba,bc", a, b) * c.T)


@case(np.einsum, variants=[(R(3, 3), C(3)), (R(4, 4), C(4))])
def linalg_einsum_diagonal_case(a, c):
    return np.sum(np.einsum("ii->i", a) * c)


@case(np.einsum, variants=[(R(3, 3), C()), (R(5, 5), C())])
def linalg_einsum_trace_case(a, c):
    return np.einsum("ii", a) * c


@case(np.einsum, variants=[(R(2, 3), C(3)), (R(4, 3), C(3))])
def linalg_einsum_sum_case(a, c):
    return np.sum(np.einsum("ij->j", a) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(3), R(3), C()), (R(5), R(5), C())])
def linalg_einsum_inner_case(a, b, c):
    return np.einsum("i,i", a, b) * c


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3, 4), R(2, 4, 5), C(2, 3, 5))])
def linalg_einsum_batched_case(a, b, c):
    return np.sum(np.einsum("bij,bjk->bik", a, b) * c)


@case(np.einsum, wrt=(0, 1, 2), variants=[(R(2, 3), R(3, 4), R(4, 2), C(2, 2))])
def linalg_einsum_three_case(a, b, e, c):
    return np.sum(np.einsum("ij,jk,kl->il", a, b, e) * c)


@case(np.einsum, wrt=(1,), variants=[(R(3, 3, 2), R(2, 4), C(3, 4))])
def linalg_einsum_repeated_case(a, b, c):
    return np.sum(np.einsum("iij,jk->ik", a, b) * c)


@case(np.einsum, wrt=(0,), variants=[(R(3, 3, 2), R(2, 4), C(3, 4))])
def linalg_einsum_repeated_operand_case(a, b, c):
    return np.sum(np.einsum("iij,jk->ik", a, b) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3, 4), R(2, 4, 5), C(2, 3, 5)), (R(3, 4), R(4, 5), C(3, 5)),
                                       (R(2, 3, 4), R(4, 5), C(2, 3, 5)), (R(1, 3, 4), R(2, 4, 5), C(2, 3, 5))])
def linalg_einsum_ellipsis_case(a, b, c):
    return np.sum(np.einsum("...ij,...jk->...ik", a, b) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3, 4), R(2, 4), C(2, 3))])
def linalg_einsum_ellipsis_implicit_case(a, b, c):
    return np.sum(np.einsum("...ij,...j", a, b) * c)


@case(np.einsum, variants=[(R(3, 2, 4), C(2, 4)), (R(3), C())])
def linalg_einsum_ellipsis_sum_case(a, c):
    return np.sum(np.einsum("i...->...", a) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3), R(3, 4), C(2, 4))])
def linalg_einsum_sublist_case(a, b, c):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(2, 3), R(3, 4), C(2, 4))])
def linalg_einsum_sublist_implicit_case(a, b, c):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2]) * c)


@case(np.einsum, wrt=(0, 1), variants=[(R(5, 2, 3), R(5, 3), C(5, 2)), (R(2, 3), R(3), C(2))])
def linalg_einsum_sublist_ellipsis_case(a, b, c):
    return np.sum(np.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1], [Ellipsis, 0]) * c)


@case(np.einsum, variants=[(R(3, 3), C())])
def linalg_einsum_sublist_trace_case(a, c):
    return np.einsum(a, [0, 0]) * c


@case(rt.einsum_first_adjoint, variants=[(R(2, 4), R(2, 3), R(3, 4), C(2, 3))], wrt=(0, 1, 2),
      modes=("forward",))
def linalg_einsum_first_adjoint_case(g, a, b, c):  # the sublist form's first array (a: shapes only)
    return np.sum(rt.einsum_first_adjoint(g * g, a, ([0, 1], b * b, [1, 2], [0, 2])) * c)


# --- trace -----------------------------------------------------------------------


@case(np.trace, variants=[(R(3, 3), C()), (R(3, 4), C()), (R(2, 3, 4), C(4))])
def linalg_trace_case(a, c):
    return np.sum(np.trace(a) * c)


@case(np.trace, variants=[(R(3, 4), C()), (R(4, 3), C())])
def linalg_trace_offset_case(a, c):
    return np.trace(a, 1) * c


@case(np.trace, variants=[(R(3, 4), C()), (R(4, 3), C())])
def linalg_trace_negative_offset_case(a, c):
    return np.trace(a, offset=-1) * c


@case(np.trace, variants=[(R(2, 3, 4), C(2)), (R(2, 3, 3), C(2))])
def linalg_trace_axes_case(a, c):
    return np.sum(np.trace(a, axis1=1, axis2=2) * c)


# --- norm ------------------------------------------------------------------------


@case(np.linalg.norm, variants=[(R(4), C()), (R(2, 3), C()), (R(2, 3, 4), C())])
def linalg_norm_case(x, c):
    return np.linalg.norm(x) * c


@case(np.linalg.norm, variants=[(R(4), C(1)), (R(2, 3), C(1, 1))])
def linalg_norm_keepdims_case(x, c):
    return np.sum(np.linalg.norm(x, keepdims=True) * c)


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_ord2_case(x, c):
    return np.linalg.norm(x, 2) * c


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_ord1_case(x, c):
    return np.linalg.norm(x, ord=1) * c


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_inf_case(x, c):
    return np.linalg.norm(x, ord=np.inf) * c


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_neg_inf_case(x, c):
    return np.linalg.norm(x, ord=-np.inf) * c


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_p3_case(x, c):
    return np.linalg.norm(x, ord=3) * c


@case(np.linalg.norm, variants=[(R(4), C()), (R(6), C())])
def linalg_norm_ord0_case(x, c):
    return np.linalg.norm(x, ord=0) * c + np.sum(x * c)


@case(np.linalg.norm, variants=[(R(3, 4), C(4)), (R(3, 2, 5), C(2, 5))])
def linalg_norm_axis0_case(x, c):
    return np.sum(np.linalg.norm(x, axis=0) * c)


@case(np.linalg.norm, variants=[(R(3, 4), C(3, 1)), (R(3, 2, 5), C(3, 2, 1))])
def linalg_norm_axis_keepdims_case(x, c):
    return np.sum(np.linalg.norm(x, axis=-1, keepdims=True) * c)


@case(np.linalg.norm, variants=[(R(3, 4), C(3)), (R(2, 5), C(2))])
def linalg_norm_axis_ord1_case(x, c):
    return np.sum(np.linalg.norm(x, 1, 1) * c)


@case(np.linalg.norm, variants=[(R(3, 4), C(3)), (R(2, 5), C(2))])
def linalg_norm_axis_inf_case(x, c):
    return np.sum(np.linalg.norm(x, np.inf, axis=1) * c)


@case(np.linalg.norm, variants=[(R(2, 3, 4), C(2)), (R(3, 2, 2), C(3))])
def linalg_norm_matrix_axes_case(x, c):
    return np.sum(np.linalg.norm(x, axis=(1, 2)) * c)


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_fro_case(x, c):
    return np.linalg.norm(x, "fro") * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_nuc_case(x, c):
    return np.linalg.norm(x, "nuc") * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_spectral_case(x, c):
    return np.linalg.norm(x, 2) * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_smallest_singular_case(x, c):
    return np.linalg.norm(x, -2) * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_matrix_ord1_case(x, c):
    return np.linalg.norm(x, 1) * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_matrix_ord_neg1_case(x, c):
    return np.linalg.norm(x, -1) * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_matrix_inf_case(x, c):
    return np.linalg.norm(x, np.inf) * c


@case(np.linalg.norm, variants=[(R(3, 4), C()), (R(4, 2), C())])
def linalg_norm_matrix_neg_inf_case(x, c):
    return np.linalg.norm(x, -np.inf) * c


@case(np.linalg.norm, variants=[(R(2, 3, 4), C(1, 3, 1)), (R(3, 2, 2), C(1, 2, 1))])
def linalg_norm_batched_spectral_keepdims_case(x, c):
    return np.sum(np.linalg.norm(x, 2, (2, 0), True) * c)


@case(np.linalg.norm, variants=[(R(2, 3, 4), C(3)), (R(2, 2, 3), C(2))])
def linalg_norm_batched_nuc_case(x, c):
    return np.sum(np.linalg.norm(x, "nuc", axis=(0, 2)) * c)


# --- numpy.linalg ----------------------------------------------------------------


@case(np.linalg.inv, variants=[(_square(3), C(3, 3)), (_square(2, 4), C(4, 2, 2)), (_square(1), C(1, 1)),
                               (_square(3, 2, 2), C(2, 2, 3, 3))])
def linalg_inv_case(a, c):
    return np.sum(np.linalg.inv(a) * c)


@case(np.linalg.solve, wrt=(0, 1), variants=[
    (_square(3), R(3), C(3)), (_square(3), R(3, 2), C(3, 2)),
    (_square(3, 2), R(2, 3, 4), C(2, 3, 4)),
    # a matrix b broadcast against a stack of matrices: NumPy 2 only (NumPy 1 reads a b
    # with one dimension fewer than a as a stack of vectors, and rejects these shapes)
    *([(_square(3, 2), R(3, 4), C(2, 3, 4))] if int(np.__version__.split(".")[0]) >= 2 else []),
])
def linalg_solve_case(a, b, c):
    return np.sum(np.linalg.solve(a, b) * c)


@case(np.linalg.solve, wrt=(0, 1), variants=[
    (_square(3, 2), R(2, 3), C(2, 3)), (_square(3, 2, 2), R(2, 2, 3), C(2, 2, 3)),
    # a 1-D b against a stack of matrices: NumPy 2 reads it as one vector for every matrix
    *([(_square(3, 2), R(3), C(2, 3))] if int(np.__version__.split(".")[0]) >= 2 else []),
])
def linalg_solve_stacked_vectors_case(a, b, c):  # a stack of vectors, written for NumPy 1 and 2 alike
    return np.sum(np.linalg.solve(a, b[..., None])[..., 0] * c)


@case(np.linalg.solve, wrt=(0, 1), variants=[
    # NumPy 1 reads a b with one dimension fewer than a as a stack of vectors; NumPy 2 a 1-D b only
    (_square(3, 2), R(2, 3) if int(np.__version__.split(".")[0]) < 2 else R(3), C(2, 3)),
])
def linalg_solve_vector_reading_case(a, b, c):
    return np.sum(np.linalg.solve(a, b) * c)


@case(np.linalg.det, variants=[(_square(3), C()), (_square(2), C()), (_square(3, 4), C(4)), (_square(2, 2, 3), C(2, 3))])
def linalg_det_case(a, c):
    return np.sum(np.linalg.det(a) * c)


@case(np.linalg.cholesky, variants=[(_spd(3), C(3, 3)), (_spd(2, 3), C(3, 2, 2))])
def linalg_cholesky_case(a, c):
    return np.sum(np.linalg.cholesky(a) * c)
