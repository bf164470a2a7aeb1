"""The transforms agree with each other: jvp against vjp (transposition),
jacobian against stacked gradients, hessian against differenced gradients,
over programs with every construct."""
import math

import numpy as np
import pytest

import appends as A
import calls as K
import containers as CT
import control_flow as CF
import nested_defs as N
import srcgrad
import subscript_writes as S

rng = np.random.default_rng(17)

PROGRAMS = [
    (CT.mlp, ({"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)),
               "b2": rng.normal(size=2)}, rng.normal(size=(3, 4)), rng.normal(size=(3, 2))), 0),
    (S.cumulative, (rng.normal(size=5),), 0),
    (S.in_loop_branch, (rng.normal(size=4), 0.8), 0),
    (S.two_d, (rng.normal(size=3), rng.normal(size=3)), 1),
    (K.uses_helpers, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), 1),
    (K.loop_calls, (0.3, 5), 0),
    (A.running, (0.7,), 0),
    (N.outer, (rng.normal(size=3), rng.normal(size=3)), 1),
]


def _random_like(x):
    if isinstance(x, dict):
        return {k: _random_like(v) for k, v in x.items()}
    return rng.normal(size=np.shape(x)) if isinstance(x, np.ndarray) else float(rng.normal())


def _dot(a, b):
    if isinstance(a, dict):
        return sum(_dot(a[k], b[k]) for k in a)
    return float(np.sum(np.asarray(a) * np.asarray(b)))


@pytest.mark.parametrize("fn,args,i", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_jvp_equals_gradient_dot_tangent(fn, args, i):
    t = _random_like(args[i])
    tangents = [None] * len(args)
    tangents[i] = t
    value, value_dot = srcgrad.jvp(fn, args, tangents)
    g = srcgrad.grad(fn, wrt=i)(*args)
    assert value == pytest.approx(fn(*args))
    assert value_dot == pytest.approx(_dot(g, t), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("fn,args,i", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_vjp_pullback_equals_grad(fn, args, i):
    value, pullback = srcgrad.vjp(fn, *args, wrt=i)
    g = srcgrad.grad(fn, wrt=i)(*args)
    for _ in range(2):  # a pullback can run again
        pb = pullback(1.0)
        assert _dot(pb, pb) == pytest.approx(_dot(g, g)) and _dot(pb, g) == pytest.approx(_dot(g, g))


def vector_valued(x, W):
    h = np.tanh(W @ x)
    out = np.zeros(3)
    for i in range(3):
        out[i] = h[i] * x[i] + np.sum(h)
    return out


def test_vjp_and_jvp_are_transposes_for_a_vector_output():
    x, W = rng.normal(size=3), rng.normal(size=(3, 3))
    t, u = rng.normal(size=3), rng.normal(size=3)
    _, jt = srcgrad.jvp(vector_valued, (x, W), (t, None))
    _, pullback = srcgrad.vjp(vector_valued, x, W)
    assert np.dot(u, jt) == pytest.approx(np.dot(pullback(u), t))


def test_jacobian_rows_are_vjps_and_columns_are_jvps():
    x, W = rng.normal(size=3), rng.normal(size=(3, 3))
    J = srcgrad.jacobian(vector_valued)(x, W)
    _, pullback = srcgrad.vjp(vector_valued, x, W)
    rows = np.stack([pullback(e) for e in np.eye(3)])
    cols = np.stack([srcgrad.jvp(vector_valued, (x, W), (e, None))[1] for e in np.eye(3)], axis=-1)
    assert np.allclose(J, rows) and np.allclose(J, cols)


def test_jacobian_of_a_wide_output_uses_forward_columns():
    def outer(x):
        return np.outer(x, x)

    x = rng.normal(size=2)
    J = srcgrad.jacobian(outer)(x)
    assert J.shape == (2, 2, 2)
    expected = np.einsum("ik,j->ijk", np.eye(2), x) + np.einsum("i,jk->ijk", x, np.eye(2))
    assert np.allclose(J, expected)


def test_jacobian_of_a_scalar_function_is_its_gradient():
    x = rng.normal(size=3)
    assert np.allclose(srcgrad.jacobian(lambda_free_sum_sq)(x), 2 * x)


def lambda_free_sum_sq(x):
    return np.sum(x * x)


HESSIANS = [
    (CF.nested_branches if hasattr(CF, "nested_branches") else lambda_free_sum_sq, None),
]


def hessian_target(x, A):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.tanh(A @ x) * x) * (i + 1)
    if s > 0:
        s = s * s
    return s + np.sum(x ** 4)


def test_hessian_matches_differenced_gradients():
    x, A_ = rng.normal(size=3) * 0.5, rng.normal(size=(3, 3))
    H = srcgrad.hessian(hessian_target)(x, A_)
    g = srcgrad.grad(hessian_target)
    eps = 1e-6
    cols = [(g(x + eps * e, A_) - g(x - eps * e, A_)) / (2 * eps) for e in np.eye(3)]
    assert np.allclose(H, np.stack(cols, axis=-1), rtol=1e-5, atol=1e-6)
    assert np.allclose(H, H.T, atol=1e-8)


def test_hvp_is_hessian_times_vector():
    x, A_, v = rng.normal(size=3) * 0.5, rng.normal(size=(3, 3)), rng.normal(size=3)
    assert np.allclose(srcgrad.hvp(hessian_target)(x, A_, v=v), srcgrad.hessian(hessian_target)(x, A_) @ v)


def scalar_f(x):
    return math.sin(x) * x ** 3


def test_grad_of_grad_for_a_function_of_a_number():
    x = 0.7
    expected = -math.sin(x) * x ** 3 + 6 * math.cos(x) * x ** 2 + 6 * x * math.sin(x)
    assert srcgrad.grad(srcgrad.grad(scalar_f))(x) == pytest.approx(expected)


def test_grad_of_grad_of_an_array_function_points_to_hessian():
    with pytest.raises(srcgrad.SrcGradError, match="hessian"):
        srcgrad.grad(srcgrad.grad(lambda_free_sum_sq))(np.ones(2))
