"""In-place updates, views and aliasing as users write them.  Each program
must either get the NumPy semantics right or be rejected with SrcGradError."""
import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, Check, num_grad

RNG = np.random.default_rng(61)


# 1 -------------------------------------------------------------- repeated index +=
def scatter_add_buffered(w, idx):
    x = np.zeros(3)
    x[idx] += w
    return np.sum(x * np.array([1.0, 10.0, 100.0]))


@case("fancy_index_iadd_repeated", "`x[idx] += w` with repeated indices (NumPy applies a repeated index once)")
def _():
    return check_grad(scatter_add_buffered, (np.array([0.5, 1.5, 2.5, -1.0]), np.array([0, 0, 1, 2])))


def scatter_assign_repeated(w, idx):
    x = np.zeros(3)
    x[idx] = w
    return np.sum(x * np.array([1.0, 10.0, 100.0]))


@case("fancy_index_assign_repeated", "`x[idx] = w` with repeated indices (the last write wins)")
def _():
    return check_grad(scatter_assign_repeated, (np.array([0.5, 1.5, 2.5, -1.0]), np.array([0, 0, 1, 0])))


# 2 -------------------------------------------------------------- asarray aliasing
def asarray_then_write(x):
    y = np.asarray(x)
    y[0] = 0.0
    return np.sum(y * x)


@case("asarray_alias_write", "`y = np.asarray(x); y[0] = 0` (y IS x for a float64 array): NumPy semantics or reject", outside_spec=True)
def _():
    return check_grad(asarray_then_write, (np.array([1.0, 2.0, 3.0]),))


# 3 -------------------------------------------------------------- reshape view write
def reshape_view_write(x, w):
    v = x.reshape(-1)
    v[0] = 5.0
    return np.sum(x * w)


@case("reshape_view_write", "`v = x.reshape(-1); v[0] = 5.0` then reads x (view write): NumPy semantics or reject", outside_spec=True)
def _():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    return check_grad(reshape_view_write, (x * 1.0, np.array([[1.0, 2.0], [3.0, 4.0]])), wrt=(0, 1))


def ravel_copy_write(x):
    v = x.ravel()
    v[1] = 0.0
    return np.sum(v * v) + np.sum(x)


@case("ravel_view_write", "`v = x.ravel(); v[1] = 0` (ravel of a contiguous array is a view)", outside_spec=True)
def _():
    return check_grad(ravel_copy_write, (np.array([[1.0, 2.0], [3.0, 4.0]]),))


# 4 -------------------------------------------------------------- transpose view write
def transpose_view_write(A):
    B = A * 1.0
    Bt = B.T
    Bt[0, 1] = 0.0
    return np.sum(B ** 2)


@case("transpose_view_write", "`Bt = B.T; Bt[0, 1] = 0` then reads B (documented: rejected or exact)", outside_spec=True)
def _():
    return check_grad(transpose_view_write, (np.array([[1.0, 2.0], [3.0, 4.0]]),))


# 5 -------------------------------------------------------------- column view then base write
def column_then_overwrite(X, w):
    X = X * 1.0
    col = X[:, 0]
    X[0, 0] = 10.0
    return np.sum(col * w)


@case("view_then_base_write", "`col = X[:, 0]; X[0, 0] = 10` then reads col (documented rejection)", outside_spec=True)
def _():
    return check_grad(column_then_overwrite, (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])), wrt=(0, 1))


# 6 -------------------------------------------------------------- relu by mask write on copy
def relu_mask_copy(x, w):
    h = x @ w
    y = h.copy()
    y[y < 0] = 0.0
    y[y > 2.0] = 2.0 + 0.1 * (y[y > 2.0] - 2.0)
    return np.sum(y ** 2)


@case("mask_writes_on_copy", "ReLU and soft cap by `y[y < 0] = 0` and `y[y > 2] = ...` on a copy")
def _():
    return check_grad(relu_mask_copy, (RNG.normal(size=(5, 3)) * 1.5, np.array([1.0, -0.5, 2.0])), wrt=(0, 1))


# 7 -------------------------------------------------------------- fill_diagonal / sort in place
def fill_diag_jitter(A):
    K = A @ A.T
    np.fill_diagonal(K, np.diag(K) + 1.0)
    return np.log(np.linalg.det(K))


@case("fill_diagonal_inplace", "np.fill_diagonal(K, ...) (modifies K, result discarded: must be rejected)",
      outside_spec=True)
def _():
    return check_grad(fill_diag_jitter, (RNG.normal(size=(3, 3)),))


def inplace_sort_method(x):
    y = x * 2.0
    y.sort()
    return np.sum(y * np.arange(y.shape[0]))


@case("ndarray_sort_method_inplace", "y.sort() (in-place method, result discarded: must be rejected)", outside_spec=True)
def _():
    return check_grad(inplace_sort_method, (np.array([3.0, -1.0, 2.0]),))


def add_at_scatter(w, idx):
    x = np.zeros(3)
    np.add.at(x, idx, w)
    return np.sum(x ** 2)


@case("np_add_at_scatter", "np.add.at(x, idx, w) (unbuffered scatter, result discarded: must be rejected)",
      outside_spec=True)
def _():
    return check_grad(add_at_scatter, (np.array([0.5, 1.5, 2.5]), np.array([0, 0, 2])))


# 8 -------------------------------------------------------------- append then in-place change
def append_then_iadd(x):
    hs = []
    h = x * 1.0
    for i in range(3):
        hs.append(h)
        h += 1.0
    return np.sum(hs[0] * hs[1]) + np.sum(h)


@case("append_then_inplace", "`hs.append(h); h += 1` (list entries alias h; documented rejection)", outside_spec=True)
def _():
    return check_grad(append_then_iadd, (np.array([0.5, -1.0]),))


# 9 -------------------------------------------------------------- dict param in-place update
def inner_update_dict(params, x):
    W = params["W"]
    W -= 0.1 * x
    return np.sum(params["W"] ** 2) + np.sum(W * x)


@case("dict_param_alias_isub", "`W = params['W']; W -= 0.1 * x` (W aliases the argument; documented rejection)",
      outside_spec=True)
def _():
    return check_grad(inner_update_dict, ({"W": np.array([1.0, 2.0])}, np.array([0.5, 0.5])))


# 10 ------------------------------------------------------------- x[i][j] = v
def nested_subscript_write(x):
    y = np.zeros((2, 2))
    y[0][1] = x * 2.0
    return np.sum(y) * x


@case("nested_subscript_write", "`y[0][1] = v` (documented: must be written y[0, 1]; must be rejected)",
      outside_spec=True)
def _():
    return check_grad(nested_subscript_write, (1.5,))


# 11 ------------------------------------------------------------- dict iteration for weight decay
def weight_decay(params, lam):
    reg = 0.0
    for name in params:
        reg = reg + np.sum(params[name] ** 2)
    return lam * reg


@case("for_over_dict_keys", "`for name in params:` summing squared weights (for over a dict: work or reject)", outside_spec=True)
def _():
    params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5])}
    return check_grad(weight_decay, (params, 0.01), wrt=(0, 1))


def weight_decay_items(params, lam):
    reg = 0.0
    for name, p in params.items():
        if name.startswith("W"):
            reg = reg + np.sum(p ** 2)
    return lam * reg


@case("for_over_dict_items", "`for name, p in params.items()` decaying only weight matrices (work or reject)", outside_spec=True)
def _():
    params = {"W1": np.array([1.0, 2.0]), "b1": np.array([0.5]), "W2": np.array([[0.3]])}
    return check_grad(weight_decay_items, (params, 0.01), wrt=(0, 1))


# 12 ------------------------------------------------------------- Ellipsis / None / negative-step indexing
def fancy_reads(x):
    a = x[..., 0]
    b = x[None, :, 1]
    c = x[::-1, ::-1]
    return np.sum(a * a) + np.sum(b * 3.0) + np.sum(c * x)


@case("ellipsis_none_negstep_reads", "x[..., 0], x[None, :, 1], x[::-1, ::-1]")
def _():
    return check_grad(fancy_reads, (RNG.normal(size=(3, 2)),), autograd=True)


# 13 ------------------------------------------------------------- slice write with negative step
def reverse_slice_write(x):
    y = np.zeros(4)
    y[::-1] = x
    y[1:3] = y[1:3] * 2.0
    return np.sum(y * np.arange(4.0))


@case("negative_step_slice_write", "`y[::-1] = x` then `y[1:3] = y[1:3] * 2`")
def _():
    return check_grad(reverse_slice_write, (np.array([1.0, 2.0, 3.0, 4.0]),))


# 14 ------------------------------------------------------------- chained comparison in branch
def band_penalty(x, lo, hi):
    p = 0.0
    for i in range(x.shape[0]):
        if lo < x[i] < hi:
            p = p + (x[i] - lo) * (hi - x[i])
    return p


@case("chained_comparison_branch", "`if lo < x[i] < hi:` inside a loop (if without else)")
def _():
    return check_grad(band_penalty, (np.array([0.2, 1.5, 0.7, -0.3]), 0.0, 1.0), wrt=(0, 1, 2))


# 15 ------------------------------------------------------------- in-place on argument
def normalize_arg_inplace(x):
    x /= np.linalg.norm(x)
    return np.sum(x * np.array([1.0, 2.0, 3.0]))


@case("augassign_on_argument", "`x /= norm(x)` on the argument itself (caller's array changes in NumPy)")
def _():
    x = np.array([1.0, -2.0, 0.5])
    got = srcgrad.grad(normalize_arg_inplace)(x.copy())
    return [Check("grad", got, num_grad(normalize_arg_inplace, (x,)), 1e-5, 1e-7)]
