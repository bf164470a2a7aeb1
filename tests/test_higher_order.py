"""Second derivatives: srcgrad.hessian (forward mode over the generated
reverse-mode code) against central differences of srcgrad.grad.

Each function uses a NumPy primitive whose adjoint rule calls a runtime
helper (srcgrad/runtime/), so the helper's tangent rule
(srcgrad/rules/runtime.py) is what the Hessian exercises. Points are generic:
no ties at max/min/maximum/clip/sort, no zero norms; prod and cumprod are
also checked at points with zeros, where their adjoints take another branch.
"""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian as _differenced_hessian

rng = np.random.default_rng(7)


def _r(*shape):
    return rng.normal(size=shape)


def _spd(n):
    m = _r(n, n)
    return m @ m.T + n * np.eye(n)


W = _r(6)
M = _r(3, 3)


def f_max(x):
    return np.max(x) * np.sum(x ** 2)


def f_min_axis(x):
    return np.sum(np.min(x, axis=0) * np.sum(x ** 2, axis=0))


def f_prod(x):
    return np.prod(x) + np.sum(x ** 3)


def f_prod_axis(x):
    return np.sum(np.prod(x, axis=1) ** 2)


def f_var(x):
    return np.var(x) * np.sum(x) + np.sum(np.var(x, axis=0, ddof=1) ** 2)


def f_std(x):
    return np.sum(np.std(x, axis=1) * np.sum(x, axis=1))


def f_norm(x):
    return np.linalg.norm(x) ** 3 + np.linalg.norm(x, 3) * np.sum(x)


def f_norm_matrix(x):
    return np.sum(np.linalg.norm(x, axis=1) ** 3) + np.linalg.norm(x, "fro") * np.sum(x)


def f_norm_singular(x):
    return np.linalg.norm(x, 2) ** 2 * np.sum(x) + np.linalg.norm(x, -2) ** 3 + np.linalg.norm(x, "nuc") ** 2


def f_solve_a(a):
    return np.sum(np.linalg.solve(a, M[0]) ** 2) + np.sum(np.linalg.solve(a, M) ** 2)


def f_solve_b(b):
    return np.sum(np.linalg.solve(M + 3 * np.eye(3), b * b) ** 2)


def f_cholesky(x):
    return np.sum(np.linalg.cholesky(x @ x.T + 3.0 * np.eye(3)) ** 3)


def f_concatenate(x):
    return np.sum(np.concatenate([x, x ** 2]) ** 3 * W)


def f_stack_append(x):
    rows = []
    for i in range(3):
        rows.append(x[i] * x)
    return np.sum(np.stack(rows) ** 2 * W[:3])


def f_sort(x):
    return np.sum(np.sort(x) ** 2 * W[:4]) * np.sum(x)


def f_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2 * x)


def f_maximum(x):
    return np.sum(np.maximum(x, x ** 2) ** 2 * np.minimum(x, 0.3))


def f_dot(x):
    return np.sum(np.dot(x, x.T) ** 2) + np.dot(x[0], np.dot(M, x[1]))


def f_inner(x):
    return np.sum(np.inner(x, x * x) ** 2)


def f_einsum(x):
    return np.sum(np.einsum("ij,jk->ik", x, x) ** 2) + np.einsum("i,i,i->", x[0], x[1], x[2])


def f_tensordot(x):
    return np.sum(np.tensordot(x, x * x, axes=([1], [1])) ** 2)


def f_reshape(x):
    return np.sum((x.reshape(3, 2) @ x) ** 2) + np.sum(np.transpose(x) ** 3 * W[:2])


def f_pad(x):
    return np.sum(np.pad(x, 1, mode="edge") ** 3 * W[1]) + np.sum(np.pad(x * x, 2) ** 2)


def f_diag(x):
    return np.sum(np.diag(x) @ x ** 2) + np.sum(np.diag(np.outer(x, x)) ** 3)


def f_trace(x):
    return np.trace(x @ x) ** 2 + np.sum(np.diagonal(x * x) ** 2)


def f_hypot(x):
    return np.sum(np.hypot(x, x ** 2 + 1.0) * x)


def f_sinc(x):
    return np.sum(np.sinc(x) * x)


def f_cumsum_cumprod(x):
    return np.sum(np.cumsum(x) ** 3) + np.sum(np.cumprod(x) ** 2 * W[:4])


def f_take_repeat_tile(x):
    taken = np.take(x, [0, 2, 2]) ** 3
    return np.sum(taken) + np.sum(np.repeat(x, 2) ** 3 * W) \
        + np.sum(np.tile(x, 2) ** 2 * x[0])


def f_stacks_append(x):
    return np.sum(np.hstack([x, x * x]) ** 2 * W) + np.sum(np.vstack([x, x]) ** 3) \
        + np.sum(np.append(x, x ** 2) ** 3)


def f_builtins(x):
    return float(np.sum(x ** 2)) ** 2 + np.sum(sum([x, x * x]) ** 2) + x.item(1) ** 3


def f_array_astype(x):
    return np.sum(np.array([x[0] * x[1], x[2]]) ** 3) + np.sum(x.astype(float) ** 4)


def f_fmax(x):
    return np.sum(np.fmax(x, x ** 3) ** 2 + np.fmin(x, 0.1) ** 3)


def _with_zero(x, *where):
    x = np.array(x)
    for i in where:
        x[i] = 0.0
    return x


CASES = [
    (f_max, _r(5)),
    (f_min_axis, _r(3, 4)),
    (f_prod, _r(4)),
    (f_prod, _with_zero(_r(4), 1)),
    (f_prod, _with_zero(_r(4), 1, 3)),
    (f_prod_axis, _with_zero(_r(3, 3), (0, 1), (1, 0), (1, 2))),
    (f_var, _r(4, 3)),
    (f_std, _r(3, 4)),
    (f_norm, _r(4)),
    (f_norm_matrix, _r(3, 4)),
    (f_norm_singular, _r(3, 4)),
    (f_norm_singular, _r(4, 3)),
    (f_solve_a, _spd(3) + _r(3, 3)),
    (f_solve_b, _r(3)),
    (f_cholesky, _r(3, 3)),
    (f_concatenate, _r(3)),
    (f_stack_append, _r(3)),
    (f_sort, _r(4)),
    (f_clip, _r(5)),
    (f_maximum, _r(5)),
    (f_dot, _r(2, 3)),
    (f_inner, _r(2, 3)),
    (f_einsum, _r(3, 3)),
    (f_tensordot, _r(2, 3)),
    (f_reshape, _r(2, 3)),
    (f_pad, _r(2, 3)),
    (f_diag, _r(3)),
    (f_trace, _r(3, 3)),
    (f_hypot, _r(4)),
    (f_sinc, _r(4)),
    (f_cumsum_cumprod, _r(4)),
    (f_cumsum_cumprod, _with_zero(_r(4), 2)),
    (f_take_repeat_tile, _r(3)),
    (f_stacks_append, _r(3)),
    (f_builtins, _r(3)),
    (f_array_astype, _r(3)),
    (f_fmax, _r(4)),
]


@pytest.mark.parametrize("fn, x", CASES, ids=[f"{fn.__name__}-{i}" for i, (fn, _) in enumerate(CASES)])
def test_hessian_matches_differenced_gradient(fn, x):
    expected = _differenced_hessian(fn, x)
    actual = srcgrad.hessian(fn)(x)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(expected))))


@pytest.mark.parametrize("transform", [srcgrad.hvp, srcgrad.hessian, srcgrad.jacobian])
@pytest.mark.parametrize("wrt", [(0, 1), (0,)])
def test_higher_transforms_take_one_wrt_argument(transform, wrt):
    # two wrt arguments crashed with a bare ValueError while unpacking them
    def f(x, y):
        return np.sum(x * y)

    with pytest.raises(srcgrad.SrcGradError, match="takes one wrt argument") as info:
        transform(f, wrt=wrt)
    assert "hint:" in str(info.value)
