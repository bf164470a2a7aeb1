"""Linear algebra and reductions in less common but realistic forms: matrix
norms, batched solves, N-d matmul/dot, einsum specials, tuple axes, and
functions a user reaches for that have no rule (must be rejected)."""
import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, Check

RNG = np.random.default_rng(101)
M = RNG.normal(size=(3, 4))


# 1 -------------------------------------------------------------- matrix norms
def spectral_penalty(W):
    return np.linalg.norm(W, 2)


@case("matrix_norm_ord2_spectral", "np.linalg.norm(W, 2) of a matrix = largest singular value (spectral norm)")
def _():
    return check_grad(spectral_penalty, (M,), autograd=True)


def nuclear_penalty(W):
    return np.linalg.norm(W, "nuc")


@case("matrix_norm_nuclear", "np.linalg.norm(W, 'nuc') (sum of singular values)")
def _():
    return check_grad(nuclear_penalty, (M,), autograd=True)


def fro_and_inf(W):
    return np.linalg.norm(W, "fro") + np.linalg.norm(W, np.inf) + np.linalg.norm(W, 1)


@case("matrix_norm_fro_inf_1", "matrix norms 'fro', inf (max row abs sum) and 1 (max column abs sum)")
def _():
    return check_grad(fro_and_inf, (M,), autograd=True)


def vector_norms(x):
    return np.linalg.norm(x, 3) + np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)


@case("vector_norm_orders", "vector norms ord=3, inf, -inf")
def _():
    return check_grad(vector_norms, (np.array([0.5, -2.0, 1.25, 0.75]),), autograd=True)


def quasi_norm(x):
    return np.linalg.norm(x, 0.5)


@case("vector_norm_ord_half", "vector quasi-norm ord=0.5 (unsupported order: SrcGradError expected, not ValueError)",
      outside_spec=True)
def _():
    return check_grad(quasi_norm, (np.array([0.5, -2.0, 1.25, 0.75]),), autograd=True)


def row_norm_axis_tuple(X):
    return np.sum(np.linalg.norm(X, axis=1, keepdims=True) * X) + np.linalg.norm(X, axis=(0, 1))


@case("norm_axis_keepdims_tuple", "norm(X, axis=1, keepdims=True) and norm(X, axis=(0, 1))")
def _():
    return check_grad(row_norm_axis_tuple, (M,), autograd=True)


# 2 -------------------------------------------------------------- batched linalg
def batched_solve(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x ** 2)


@case("batched_solve", "np.linalg.solve with a stack of matrices (3,2,2) and right-hand sides (3,2,1)")
def _():
    A = RNG.normal(size=(3, 2, 2)) + 3 * np.eye(2)
    b = RNG.normal(size=(3, 2, 1))
    return check_grad(batched_solve, (A, b), wrt=(0, 1), autograd=True)


def matrix_rhs_solve(A, B):
    return np.sum(np.linalg.solve(A, B) * np.arange(6.0).reshape(3, 2))


@case("solve_matrix_rhs", "np.linalg.solve(A, B) with a (3, 2) matrix right-hand side")
def _():
    A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    return check_grad(matrix_rhs_solve, (A, RNG.normal(size=(3, 2))), wrt=(0, 1), autograd=True)


def batched_inv_det(A):
    return np.sum(np.linalg.inv(A)) + np.sum(np.log(np.abs(np.linalg.det(A))))


@case("batched_inv_det", "np.linalg.inv and det on a (4, 3, 3) stack")
def _():
    A = RNG.normal(size=(4, 3, 3)) + 2 * np.eye(3)
    return check_grad(batched_inv_det, (A,), autograd=True)


# 3 -------------------------------------------------------------- N-d matmul / dot
def broadcast_matmul(X, W):
    return np.sum(np.tanh(X @ W))


@case("matmul_broadcast_3d_2d", "(2,3,4) @ (4,5) and (5,) vector matmul")
def _():
    X = RNG.normal(size=(2, 3, 4))
    return (check_grad(broadcast_matmul, (X, RNG.normal(size=(4, 5))), wrt=(0, 1), autograd=True)
            + check_grad(broadcast_matmul, (X, RNG.normal(size=4)), wrt=(0, 1), autograd=True))


def broadcast_matmul_left(A, X):
    return np.sum((A @ X) ** 2)


@case("matmul_broadcast_2d_3d", "(3,4) @ (2,4,5): the 2-D operand is broadcast over the batch")
def _():
    return check_grad(broadcast_matmul_left, (RNG.normal(size=(3, 4)), RNG.normal(size=(2, 4, 5))), wrt=(0, 1),
                      autograd=True)


def dot_nd(A, B):
    return np.sum(np.dot(A, B) ** 2)


@case("dot_3d_2d", "np.dot of a (2,3,4) array with a (4,2) matrix (dot's N-d semantics)")
def _():
    return check_grad(dot_nd, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 2))), wrt=(0, 1), autograd=True)


def dot_nd_nd(A, B):
    return np.sum(np.sin(np.dot(A, B)))


@case("dot_3d_3d", "np.dot of (2,3,4) with (5,4,2): result (2,3,5,2)")
def _():
    return check_grad(dot_nd_nd, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(5, 4, 2))), wrt=(0, 1), autograd=True)


def outer_inner_2d(A, B):
    return np.sum(np.outer(A, B) ** 2) + np.sum(np.inner(A, B) ** 2)


@case("outer_inner_2d", "np.outer of 2-D arrays (flattens) and np.inner of 2-D arrays")
def _():
    return check_grad(outer_inner_2d, (RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))), wrt=(0, 1), autograd=True)


def tensordot_axes_int(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2) + np.sum(np.tensordot(A, B, axes=0))


@case("tensordot_axes_1_and_0", "np.tensordot with axes=1 and axes=0 (outer)")
def _():
    return check_grad(tensordot_axes_int, (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))), wrt=(0, 1),
                      autograd=True)


# 4 -------------------------------------------------------------- einsum specials
def einsum_specials(A, x):
    tr = np.einsum("ii->", A)
    dg = np.einsum("ii->i", A)
    quad = np.einsum("i,ij,j", x, A, x)
    return tr + np.sum(dg * x) + quad


@case("einsum_trace_diag_implicit", "einsum 'ii->', 'ii->i' and implicit-output 'i,ij,j'")
def _():
    return check_grad(einsum_specials, (RNG.normal(size=(3, 3)), RNG.normal(size=3)), wrt=(0, 1), autograd=True)


def einsum_ellipsis(A, x):
    return np.sum(np.einsum("...ij,...j->...i", np.stack([A, A.T]), x) ** 2)


@case("einsum_ellipsis", "einsum '...ij,...j->...i' (ellipsis unsupported: SrcGradError expected, not ValueError)",
      outside_spec=True)
def _():
    return check_grad(einsum_ellipsis, (RNG.normal(size=(3, 3)), RNG.normal(size=3)), wrt=(0, 1), autograd=True)


# 5 -------------------------------------------------------------- tuple axes reductions
def tuple_axes(x):
    return (np.sum(np.max(x, axis=(0, 2)) ** 2) + np.sum(np.mean(x, axis=(1, 2), keepdims=True) * x)
            + np.sum(np.var(x, axis=(0, 1), ddof=1)) + np.sum(np.prod(x, axis=(0, 2))))


@case("reductions_tuple_axes", "max/mean/var/prod with tuple axes, keepdims, ddof=1")
def _():
    return check_grad(tuple_axes, (RNG.normal(size=(2, 3, 4)),), autograd=True)


def prod_with_zero(x):
    y = np.concatenate([x, np.zeros(1)])
    return np.sum(np.cumprod(y)) + np.prod(y[1:] + 1.0) + np.prod(x * np.array([1.0, 0.0, 1.0]))


@case("prod_cumprod_exact_zero", "prod / cumprod with an exact zero factor (SPEC: exact, no division)")
def _():
    return check_grad(prod_with_zero, (np.array([0.5, -2.0, 1.5]),), autograd=True)


def take_sort_axis(x, idx):
    return np.sum(np.take(x, idx, axis=1) ** 2) + np.sum(np.sort(x, axis=0) * np.arange(3.0)[:, None])


@case("take_axis_sort_axis0", "np.take(x, idx, axis=1) with repeated idx, np.sort(axis=0)")
def _():
    return check_grad(take_sort_axis, (RNG.normal(size=(3, 4)), np.array([0, 2, 2, 3])), autograd=True)


# 6 -------------------------------------------------------------- no rule: must be rejected
def smoothness_diff(x):
    return np.sum(np.diff(x) ** 2)


@case("np_diff_rejected", "np.diff (no rule listed): must raise SrcGradError, not give zero", outside_spec=True)
def _():
    return check_grad(smoothness_diff, (np.array([0.5, 1.5, 0.2, 2.0]),))


def gp_slogdet(A):
    sign, logdet = np.linalg.slogdet(A @ A.T + np.eye(3))
    return logdet


@case("slogdet_rejected", "np.linalg.slogdet (no rule listed): must raise SrcGradError", outside_spec=True)
def _():
    return check_grad(gp_slogdet, (RNG.normal(size=(3, 3)),))


def median_loss(x):
    return np.median(x ** 2)


@case("median_rejected", "np.median (no rule listed): must raise SrcGradError", outside_spec=True)
def _():
    return check_grad(median_loss, (np.array([0.5, -1.5, 0.2, 2.0, 1.1]),))


def eigh_loss(A):
    S = A + A.T
    w, V = np.linalg.eigh(S)
    return np.sum(w ** 2)


@case("eigh_rejected", "np.linalg.eigh (no rule listed): must raise SrcGradError", outside_spec=True)
def _():
    return check_grad(eigh_loss, (RNG.normal(size=(3, 3)),))


def sum_dtype_kw(x):
    return np.sum(x ** 2, dtype=np.float64)


@case("sum_dtype_keyword_rejected", "np.sum(..., dtype=np.float64) (keyword not accepted: must be rejected)",
      outside_spec=True)
def _():
    return check_grad(sum_dtype_kw, (np.array([0.5, -1.5]),))


def max_reduce_ufunc(x):
    return np.maximum.reduce(x ** 2) + np.add.reduce(x)


@case("ufunc_reduce_rejected", "np.maximum.reduce / np.add.reduce (no rules): must be rejected", outside_spec=True)
def _():
    return check_grad(max_reduce_ufunc, (np.array([0.5, -1.5, 0.7]),))


def mean_where_kw(x):
    return np.mean(x ** 2, where=x > 0)


@case("mean_where_keyword_rejected", "np.mean(..., where=mask) (keyword not accepted: must be rejected)",
      outside_spec=True)
def _():
    return check_grad(mean_where_kw, (np.array([0.5, -1.5, 0.7]),))


def clip_method_kw(x):
    return np.sum(x.clip(min=-1.0) ** 2) + np.sum(np.clip(x, None, 0.5))


@case("clip_one_sided", "x.clip(min=-1.0) and np.clip(x, None, 0.5) one-sided clips")
def _():
    return check_grad(clip_method_kw, (np.array([0.3, -1.5, 0.9, -0.2]),), autograd=True)
