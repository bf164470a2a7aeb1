"""How `hvp(f)` is called (SPEC section 2, issue 14 item 3): the direction is the
keyword `v=` or else always the last positional argument, the other arguments
bind as `f`'s own (defaults applied), and a direction whose structure does not
match the wrt argument is a SrcGradError, so that SciPy's `hessp(x, p, *args)`
convention cannot silently give the product along the wrong vector.
"""
import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad import grad, hvp, jacobian, jvp

X = np.array([0.4, -1.3, 0.9])
P = np.array([1.0, 0.5, -2.0])


def scaled(x, scale=1.0):
    return scale * np.sum(np.sin(x) * x ** 2)


def scaled_hessian(x, scale):
    # d2/dx2 (sin(x) x^2) = (2 - x^2) sin(x) + 4 x cos(x), diagonal
    return np.diag(scale * ((2 - x ** 2) * np.sin(x) + 4 * x * np.cos(x)))


def test_direction_last_with_a_default_parameter():
    np.testing.assert_allclose(hvp(scaled)(X, P), scaled_hessian(X, 1.0) @ P, rtol=1e-12)
    np.testing.assert_allclose(hvp(scaled)(X, 2.5, P), scaled_hessian(X, 2.5) @ P, rtol=1e-12)
    np.testing.assert_allclose(hvp(scaled)(X, P, scale=2.5), scaled_hessian(X, 2.5) @ P, rtol=1e-12)
    np.testing.assert_allclose(hvp(scaled)(X, scale=2.5, v=P), scaled_hessian(X, 2.5) @ P, rtol=1e-12)
    np.testing.assert_allclose(hvp(scaled)(X, v=P), scaled_hessian(X, 1.0) @ P, rtol=1e-12)


def test_direction_last_for_hvp_of_a_derivative_with_a_default_parameter():
    # hvp(grad(f)) of a number function: f'''(t) v; scale enters linearly
    def wave(t, scale=1.0):
        return scale * np.sin(t) * t

    def third(t):  # d3/dt3 (t sin t) = -3 sin t - t cos t
        return -3 * np.sin(t) - t * np.cos(t)

    assert hvp(grad(wave))(0.7, 2.0) == pytest.approx(2.0 * third(0.7), rel=1e-10)
    assert hvp(grad(wave))(0.7, 3.0, 2.0) == pytest.approx(6.0 * third(0.7), rel=1e-10)


def test_a_direction_of_the_wrong_shape_is_an_error_naming_scipy():
    with pytest.raises(srcgrad.SrcGradError, match=r"shape of 'x', \(3,\), but it has shape \(\)"):
        hvp(scaled)(X, P, 2.0)  # SciPy's hessp(x, p, *args) order: the scale came last
    with pytest.raises(srcgrad.SrcGradError, match=r"hessp=lambda x, p, \*a: hvp\(f\)\(x, \*a, p\)"):
        hvp(scaled)(X, P, 2.0)
    with pytest.raises(srcgrad.SrcGradError, match=r"but it has shape \(2,\)"):
        hvp(scaled)(X, P[:2])
    with pytest.raises(srcgrad.SrcGradError, match="needs a direction"):
        hvp(scaled)()


def test_a_direction_of_the_wrong_structure_is_an_error():
    def on_dict(d):
        return np.sum(d["a"] ** 2 * d["b"])

    def on_list(xs):
        return xs[0] ** 2 * xs[1]

    point = {"a": np.array([1.0, 2.0]), "b": 3.0}
    with pytest.raises(srcgrad.SrcGradError, match=r"dict with the keys of 'd'"):
        hvp(on_dict)(point, {"a": np.array([1.0, 0.0])})
    with pytest.raises(srcgrad.SrcGradError, match=r"shape of \"d\['a'\]\", \(2,\), but it has shape \(3,\)"):
        hvp(on_dict)(point, {"a": np.zeros(3), "b": 1.0})
    with pytest.raises(srcgrad.SrcGradError, match="list or tuple of 2 entries"):
        hvp(on_list)([1.0, 2.0], [1.0])
    with pytest.raises(srcgrad.SrcGradError, match="list or tuple of 2 entries"):
        hvp(on_list)([1.0, 2.0], np.array([1.0, 0.0]))
    # the right structure works: d/da of (2 a b, a^2) along (va, vb)
    got = hvp(on_dict)(point, {"b": 0.5, "a": np.array([1.0, 0.0])})  # key order is free
    np.testing.assert_allclose(got["a"], 2 * point["b"] * np.array([1.0, 0.0]) + 2 * point["a"] * 0.5)
    assert got["b"] == pytest.approx(2 * 1.0 * 1.0)
    assert hvp(on_list)([1.0, 2.0], [1.0, 0.5]) == pytest.approx([2 * 2.0 * 1.0 + 2 * 1.0 * 0.5, 2 * 1.0])


def test_a_parameter_named_v_is_the_functions_own_and_no_name_is_invented():
    def field(x, v):
        return np.sum(np.cos(x) * v)

    vel = np.array([2.0, -1.0, 0.5])
    expected = -np.cos(X) * vel * P
    np.testing.assert_allclose(hvp(field)(X, vel, P), expected, rtol=1e-12)
    np.testing.assert_allclose(hvp(field)(X, P, v=vel), expected, rtol=1e-12)
    with pytest.raises(srcgrad.SrcGradError, match="always positional: field has its own parameter v"):
        hvp(field)(X, v=vel)  # v= is field's: the direction is missing, not vel
    with pytest.raises(srcgrad.SrcGradError, match="direction has no keyword"):
        hvp(field)(X, vel, v2=P)


def test_hvp_of_hvp_and_transforms_of_hvp_bind_the_same_way():
    def wave(t):
        return np.sin(t) * t

    def fourth(t):  # d4/dt4 (t sin t)
        return t * np.sin(t) - 4 * np.cos(t)

    assert hvp(hvp(wave))(0.6, 1.5, 2.0) == pytest.approx(fourth(0.6) * 3.0, rel=1e-8)
    assert hvp(hvp(wave))(0.6, 2.0, v=1.5) == pytest.approx(fourth(0.6) * 3.0, rel=1e-8)
    # hvp is linear in its direction: its Jacobian there is the Hessian, with or without scale
    np.testing.assert_allclose(jacobian(hvp(scaled), wrt="v")(X, P), scaled_hessian(X, 1.0), rtol=1e-12)
    np.testing.assert_allclose(jacobian(hvp(scaled), wrt="v")(X, 2.5, P), scaled_hessian(X, 2.5), rtol=1e-12)
    # jvp maps each tangent to the argument in its position: here the direction, last
    _, along = jvp(hvp(scaled), (X, P), (None, X))
    np.testing.assert_allclose(along, scaled_hessian(X, 1.0) @ X, rtol=1e-12)
    _, along = jvp(hvp(scaled), (X, 2.5, P), (None, 1.0, None))
    np.testing.assert_allclose(along, scaled_hessian(X, 1.0) @ P, rtol=1e-12)
    assert list(inspect.signature(hvp(scaled)).parameters) == ["x", "scale", "v"]


def test_scipy_minimize_with_args_through_the_documented_lambda():
    optimize = pytest.importorskip("scipy.optimize")

    def fit(w, data, target):
        return np.sum((np.tanh(data @ w) - target) ** 2) + 0.1 * np.sum(w ** 2)

    rng = np.random.default_rng(3)
    data, w_true = rng.normal(size=(12, 3)), np.array([0.5, -0.3, 0.2])
    target = np.tanh(data @ w_true)
    with pytest.raises(srcgrad.SrcGradError, match="hessp"):
        optimize.minimize(fit, np.zeros(3), args=(data, target), jac=grad(fit), hessp=hvp(fit),
                          method="Newton-CG")
    result = optimize.minimize(fit, np.zeros(3), args=(data, target), jac=grad(fit),
                               hessp=lambda w, p, *a: hvp(fit)(w, *a, p), method="Newton-CG",
                               options={"xtol": 1e-10})
    assert result.success
    np.testing.assert_allclose(grad(fit)(result.x, data, target), 0.0, atol=1e-6)
