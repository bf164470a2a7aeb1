"""An unread forward product kept for `f`'s error only (optimize/valueonly.keep_shape_errors).

`grad` drops what only computes the value, but `(z - lse) * Y` of two arrays whose
shapes the compiler cannot relate may raise in `f`: it stays, computed only where the
shapes differ or a dtype is not an int, float or complex one. These tests check that
every error `f` raises there, grad raises too (same type, same message), and that the
values where it does not are the general path's (`value_and_grad`, which keeps the
product) and finite differences'.
"""
import numpy as np
import pytest

import srcgrad


def mlp(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum((z - lse) * Y) / X.shape[0]


def mlp_args(seed=0, n=6, d_in=4, d_hidden=5, d_out=3):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(d_in, d_hidden)), "b1": rng.normal(size=d_hidden),
              "W2": rng.normal(size=(d_hidden, d_out)), "b2": rng.normal(size=d_out)}
    X = rng.normal(size=(n, d_in))
    Y = np.eye(d_out)[rng.integers(0, d_out, n)]
    return params, X, Y


def _error(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever is raised
        return type(e), str(e)
    return None


def test_the_mlp_keeps_a_shape_check_not_the_product():
    params, X, Y = mlp_args()
    df = srcgrad.grad(mlp)
    df(params, X, Y)
    source = srcgrad.source(df)
    assert "_t11 = " not in source
    assert "if _t10.shape != Y.shape or _t10.dtype.kind not in 'iufc' or Y.dtype.kind not in 'iufc':" in source
    assert "        _t10 * Y\n" in source


@pytest.mark.parametrize("Y", [
    np.ones((6, 2)),  # does not broadcast
    np.ones((5, 3)),
    np.ones((6, 3), dtype="U1"),  # no number: fails whatever the shape
    np.ones((6, 3), dtype="S1"),
    np.array([[None] * 3] * 6),
    np.zeros((6, 3), dtype="datetime64[s]"),
])
def test_grad_raises_what_f_raises(Y):
    params, X, _ = mlp_args(1)
    df = srcgrad.grad(mlp)
    df(*mlp_args(1))  # built and planned for these kinds first
    df(*mlp_args(1))
    expected = _error(mlp, params, X, Y)
    assert expected is not None
    for call in range(2):
        assert _error(df, params, X, Y) == expected


@pytest.mark.parametrize("make_Y", [
    lambda Y: Y,
    lambda Y: Y[:, :1] * 0.5,  # broadcasts along the classes
    lambda Y: Y[:1],  # along the batch
    lambda Y: Y[0],  # a vector
    lambda Y: np.float64(0.25) + 0.0 * Y.sum(),  # a NumPy scalar
    lambda Y: Y.astype(np.int64),
    lambda Y: Y.astype(bool),
    lambda Y: Y.astype(np.float32),
    lambda Y: Y.astype(np.complex128).real.copy(),
    lambda Y: np.broadcast_to(Y[:, :1], Y.shape),  # a read-only view of another shape's memory
])
def test_values_are_the_general_paths(make_Y):
    params, X, Y = mlp_args(2)
    Y = make_Y(Y)
    g = srcgrad.grad(mlp)
    for call in range(2):
        got = g(params, X, Y)
    _, expected = srcgrad.value_and_grad(mlp)(params, X, Y)
    for key in got:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-13, atol=1e-15)
    # and finite differences, for one entry of each parameter
    eps = 1e-6
    for key, value in params.items():
        index = (0,) * value.ndim
        up = {k: v.copy() for k, v in params.items()}
        down = {k: v.copy() for k, v in params.items()}
        up[key][index] += eps
        down[key][index] -= eps
        fd = (mlp(up, X, Y) - mlp(down, X, Y)) / (2 * eps)
        assert abs(got[key][index] - fd) < 1e-6 * max(1.0, abs(fd))


def bool_difference(x, a, b):
    return np.sum(x * 2.0) + np.sum(a - b)  # `a - b` of two bool arrays raises TypeError


def test_a_bool_operand_is_always_computed():
    x = np.ones(3)
    a, b = np.array([True, False, True]), np.array([False, False, True])
    expected = _error(bool_difference, x, a, b)
    assert expected is not None and expected[0] is TypeError
    df = srcgrad.grad(bool_difference)
    assert _error(df, x, a, b) == expected
    assert _error(df, x, a, b) == expected
    np.testing.assert_array_equal(df(x, a.astype(float), b.astype(float)), [2.0, 2.0, 2.0])
