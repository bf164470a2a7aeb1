"""Classic numerical algorithms written in place: IIR filters, Gauss-Seidel,
forward substitution, bubble sort with subscript swaps, overlapping slice
updates, scatter in a loop."""
import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, Check

RNG = np.random.default_rng(131)


# 1 -------------------------------------------------------------- IIR filter in place
def iir_filter(x, a):
    y = x.copy()
    for i in range(1, y.shape[0]):
        y[i] = y[i] + a * y[i - 1]
    return np.sum(y ** 2)


@case("iir_filter_inplace", "first-order IIR filter `y[i] = y[i] + a * y[i-1]` written into a copy")
def _():
    return check_grad(iir_filter, (np.array([1.0, -0.5, 0.25, 2.0, 0.3]), 0.6), wrt=(0, 1))


def iir_augassign(x, a):
    y = x * 1.0
    for i in range(1, y.shape[0]):
        y[i] += a * y[i - 1]
    return np.sum(y * np.arange(1.0, y.shape[0] + 1))


@case("iir_filter_augassign", "the same filter with `y[i] += a * y[i-1]`")
def _():
    return check_grad(iir_augassign, (np.array([1.0, -0.5, 0.25, 2.0, 0.3]), 0.6), wrt=(0, 1))


# 2 -------------------------------------------------------------- Gauss-Seidel
def gauss_seidel(A, b, sweeps=3):
    n = b.shape[0]
    x = np.zeros(n)
    for s in range(sweeps):
        for i in range(n):
            x[i] = (b[i] - A[i, :i] @ x[:i] - A[i, i + 1:] @ x[i + 1:]) / A[i, i]
    return np.sum(x ** 2)


@case("gauss_seidel_inplace", "Gauss-Seidel sweeps writing x[i] from slices of x; grad wrt A and b")
def _():
    A = RNG.normal(size=(4, 4)) * 0.3 + 3 * np.eye(4)
    return check_grad(gauss_seidel, (A, RNG.normal(size=4)), wrt=(0, 1))


# 3 -------------------------------------------------------------- forward substitution
def forward_subst(L, b):
    n = b.shape[0]
    y = np.zeros(n)
    for i in range(n):
        s = b[i]
        for j in range(i):
            s = s - L[i, j] * y[j]
        y[i] = s / L[i, i]
    return np.sum(np.sin(y))


@case("forward_substitution", "lower-triangular solve by nested loops writing y[i]")
def _():
    L = np.tril(RNG.normal(size=(4, 4)) * 0.5) + 2 * np.eye(4)
    return check_grad(forward_subst, (L, RNG.normal(size=4)), wrt=(0, 1), autograd=False)


# 4 -------------------------------------------------------------- bubble sort with swaps
def bubble_sorted_weighted(x):
    y = x.copy()
    n = y.shape[0]
    for i in range(n):
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                y[j], y[j + 1] = y[j + 1], y[j]
    return np.sum(y * np.arange(1.0, n + 1))


@case("bubble_sort_subscript_swap", "bubble sort with `y[j], y[j+1] = y[j+1], y[j]` under a data-dependent if")
def _():
    return check_grad(bubble_sorted_weighted, (np.array([0.3, -1.2, 2.5, 0.9, -0.4]),))


# 5 -------------------------------------------------------------- overlapping slice updates
def prefix_sum_inplace(x):
    y = x.copy()
    k = 1
    while k < y.shape[0]:
        y[k:] = y[k:] + y[:-k]
        k = k * 2
    return np.sum(y ** 2)


@case("overlapping_slice_prefix_sum", "Hillis-Steele prefix sum `y[k:] = y[k:] + y[:-k]` (overlapping views)")
def _():
    return check_grad(prefix_sum_inplace, (np.array([1.0, 0.5, -2.0, 0.3, 1.5, -0.7]),))


def overlap_augassign(x):
    y = x * 1.0
    y[1:] += y[:-1]
    return np.sum(y ** 2)


@case("overlapping_slice_augassign", "`y[1:] += y[:-1]` (NumPy handles the overlap as if copied)")
def _():
    return check_grad(overlap_augassign, (np.array([1.0, 0.5, -2.0, 0.3]),))


def reverse_inplace(x):
    y = x * 1.0
    y[:] = y[::-1]
    return np.sum(y * np.arange(4.0))


@case("reverse_slice_inplace", "`y[:] = y[::-1]` reversal in place")
def _():
    return check_grad(reverse_inplace, (np.array([1.0, 0.5, -2.0, 0.3]),))


def swap_rows(A):
    B = A * 1.0
    B[[0, 1]] = B[[1, 0]]
    return np.sum(B * np.arange(6.0).reshape(3, 2))


@case("swap_rows_fancy", "`B[[0, 1]] = B[[1, 0]]` row swap by fancy indexing")
def _():
    return check_grad(swap_rows, (RNG.normal(size=(3, 2)),))


# 6 -------------------------------------------------------------- scatter in a loop
def soft_histogram(w, x, bins):
    h = np.zeros(3)
    for i in range(x.shape[0]):
        h[bins[i]] += w * x[i]
    return np.sum(h ** 2)


@case("scatter_in_loop_same_slot", "`h[bins[i]] += w * x[i]` in a loop, several samples hitting one bin")
def _():
    return check_grad(soft_histogram, (1.3, np.array([0.5, 1.0, -0.3, 2.0]), np.array([0, 2, 0, 0])), wrt=(0, 1))


# 7 -------------------------------------------------------------- jvp of in-place algorithms
@case("jvp_gauss_seidel", "jvp of the Gauss-Seidel sweeps (tangent on b)")
def _():
    A = RNG.normal(size=(4, 4)) * 0.3 + 3 * np.eye(4)
    return check_jvp(gauss_seidel, (A, RNG.normal(size=4)), (None, RNG.normal(size=4)))


@case("jvp_bubble_sort", "jvp of the bubble sort with subscript swaps")
def _():
    return check_jvp(bubble_sorted_weighted, (np.array([0.3, -1.2, 2.5, 0.9, -0.4]),), (np.arange(5.0),))
