"""What every transform hands back (issue 14 item 3 review): results in the
argument's precision (a float32 argument gives float32 Hessians, Jacobians and
Hessian-vector products, as its gradient is), and results that share no memory
with what the caller passed in: writing into a gradient, tangent, value or aux
never changes the caller's arguments, cotangent or tangents.
"""
import numpy as np
import pytest

from srcgrad import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

X32 = np.array([0.5, -1.25, 2.0], dtype=np.float32)


def smooth(x):
    return np.sum(np.sin(x) * x ** 2)


def smooth_hessian(x):
    return np.diag((2 - x ** 2) * np.sin(x) + 4 * x * np.cos(x))


def square(x):
    return x ** 2


def test_float32_in_float32_out_for_every_transform():
    x64 = X32.astype(np.float64)
    for got, want in ((hessian(smooth)(X32), smooth_hessian(x64)),
                      (jacobian(grad(smooth))(X32), smooth_hessian(x64)),
                      (hvp(smooth)(X32, X32), smooth_hessian(x64) @ x64),
                      (jacobian(square)(X32), np.diag(2 * x64)),          # forward columns
                      (jacobian(lambda x: np.sum(x) * x[:1])(X32), None)):  # reverse rows
        assert got.dtype == np.float32, got.dtype
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-5)
    assert grad(smooth)(X32).dtype == np.float32
    scalar = hessian(lambda t: t ** 3)(np.float32(2.0))
    assert type(scalar) is np.float32 and scalar == 12.0
    block = hessian(lambda d: np.sum(d["a"] ** 2) * d["b"])({"a": X32, "b": np.float32(2.0)})
    assert block["a"]["a"].dtype == np.float32 and block["a"]["b"].dtype == np.float32


def test_mixed_precision_promotes_as_numpy_does():
    # float64 data in a float32 parameter's function: the Jacobian is float64 where the output is
    data = np.array([1.0, 2.0, 3.0])
    assert jacobian(lambda x: x * data)(X32).dtype == np.float64
    assert jacobian(square)(np.array([1, 2, 3])).dtype == np.float64  # integers: float64
    assert hessian(smooth)(X32.astype(np.float64)).dtype == np.float64


def _assert_private(result, *callers):
    """No array in `result` shares memory with one in `callers`; writing into it
    leaves the callers as they were."""
    kept = [np.array(c) for c in callers]
    arrays = [result] if isinstance(result, np.ndarray) else [r for r in result if isinstance(r, np.ndarray)]
    for a in arrays:
        for c in callers:
            assert not np.shares_memory(a, c)
        a[...] = 99.0
    for c, k in zip(callers, kept):
        np.testing.assert_array_equal(c, k)


def test_a_pullback_that_is_its_cotangent_hands_back_a_copy():
    x = np.array([1.0, 2.0, 3.0])
    ct = np.array([0.5, -1.0, 2.0])
    for fun in (lambda x: x,
                lambda x: x.T,
                lambda x: x.reshape(3, 1),
                lambda x: x + 0.0):
        _, pullback = vjp(fun, x)
        cotangent = ct if fun(x).shape == ct.shape else ct.reshape(fun(x).shape)
        g = pullback(cotangent)
        np.testing.assert_array_equal(g, ct)
        _assert_private(g, cotangent, x)
    y = np.array([4.0, 5.0, 6.0])
    _, pullback = vjp(lambda x, y: x + y, x, y, wrt=(0, 1))
    gx, gy = pullback(ct)
    np.testing.assert_array_equal(gx, ct)
    np.testing.assert_array_equal(gy, ct)
    assert not np.shares_memory(gx, gy)
    _assert_private((gx, gy), ct, x, y)


def test_a_tangent_that_is_the_callers_tangent_is_a_copy():
    x = np.array([1.0, 2.0, 3.0])
    t = np.array([0.25, 0.5, -1.0])
    for fun in (lambda x: x,
                lambda x: x.T,
                lambda x: x[::-1]):
        out, out_dot = jvp(fun, (x,), (t,))
        np.testing.assert_array_equal(out_dot, fun(t))
        _assert_private((out, out_dot), x, t)
    out, out_dot = jvp(lambda x: {"a": x}, (x,), (t,))
    _assert_private((out["a"], out_dot["a"]), x, t)


def test_values_and_aux_that_are_the_callers_arguments_are_copies():
    x = np.array([1.0, 2.0, 3.0])

    def with_aux(x):
        return np.sum(x ** 2), x

    g, aux = grad(with_aux, has_aux=True)(x)
    np.testing.assert_array_equal(aux, x)
    _assert_private((g, aux), x)
    (value, aux), g = value_and_grad(with_aux, has_aux=True)(x)
    _assert_private((g, aux), x)
    g, aux = grad(with_aux, has_aux=True)(x=x)  # the general call path: a keyword argument
    _assert_private((g, aux), x)
    value, pullback = vjp(lambda x: x, x)
    _assert_private(value, x)


@pytest.mark.parametrize("fun", [lambda x, y: np.sum(x * y),
                                 lambda x, y: np.vdot(x, y)])
def test_gradients_never_alias_another_argument(fun):
    x, y = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    gx, gy = grad(fun, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y)
    _assert_private((gx, gy), x, y)
    _assert_private(grad(fun)(x, y), x, y)
