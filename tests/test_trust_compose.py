"""Issue 12, composing transforms: every transform accepts every derivative srcgrad
returns, to any order, and is right (closed forms, or central differences of the
lower order) or raises a SrcGradError; never a different transform.

The outer transforms (grad, value_and_grad, jvp, vjp, jacobian, hessian, hvp)
are applied to the inner derivatives (grad, value_and_grad, jacobian, hessian,
hvp, and transforms of those) of scalar, array, branching, looping and
dict-parameter functions. Forward mode is what runs over generated code; the
inner derivatives come from both modes (grad: reverse, jacobian of a wide
output: forward columns).
"""
import numpy as np
import pytest

import srcgrad
from srcgrad import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

X = np.array([0.3, -0.5, 1.2])
V = np.array([0.7, -1.1, 0.4])
H_STEP = 1e-5


def fd_jacobian(fun, args, at=0, step=H_STEP):
    """Central differences of `fun(*args)` (a number, array, or tuple of them) in
    argument `at` (a number or array): out.shape + x.shape per output."""
    args = list(args)
    x = args[at]
    x_arr = np.array(x, dtype=float)

    def value(shift):
        moved = list(args)
        moved[at] = (x_arr + shift) if isinstance(x, np.ndarray) else float(x_arr + shift)
        return fun(*moved)

    out = fun(*args)
    many = isinstance(out, tuple)
    outs = out if many else (out,)
    cols = []
    for idx in np.ndindex(x_arr.shape):
        e = np.zeros(x_arr.shape)
        e[idx] = step
        plus, minus = value(e), value(-e)
        plus, minus = (plus, minus) if many else ((plus,), (minus,))
        cols.append([(np.asarray(p, float) - np.asarray(m, float)) / (2 * step)
                     for p, m in zip(plus, minus)])
    result = tuple(np.stack([c[k] for c in cols], axis=-1).reshape(np.shape(o) + x_arr.shape)
                   for k, o in enumerate(outs))
    return result if many else result[0]


def close(a, b, rtol=1e-5, atol=1e-6):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, w in zip(a, b):
            close(u, w, rtol, atol)
        return
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            close(a[k], b[k], rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


# --- the functions -------------------------------------------------------------

def poly4(t):
    return t ** 4


def wave(t):
    return np.sin(t) * np.exp(0.5 * t) + t ** 3


def smooth(x):
    return np.sum(np.sin(x) * x ** 2) + np.sum(x) ** 3


def branchy(x):
    if np.sum(x) > 0.0:
        y = x ** 3 + np.tanh(x)
    else:
        y = np.exp(x)
    return np.sum(y * x[::-1])


def two(x, y):
    return np.sum(x ** 2 * y) + y ** 3 * np.sum(np.cos(x))


def records(p):
    return np.sum(p["a"] ** 2 * p["b"]) + np.sum(np.sin(p["a"]))


def widen(x):
    return np.concatenate([np.sin(x) * x[0], x ** 2, np.exp(x)])


def scalar_loop(t):
    y = t
    for i in range(3):
        y = y * t + 0.5 * t
    return y


def chained(x):
    s = 0.0
    for i in range(2):
        s = s + (x[i + 1] - x[i] ** 2) ** 2 + np.sin(x[i]) * x[i]
    return s


def wavy_loop(t):
    y = t
    for i in range(3):
        y = y * np.sin(t) + t
    return y


ARRAY_FUNS = [smooth, branchy, chained]


# --- the reproductions of the issue ---------------------------------------------

def test_third_derivative_of_t4_is_24t():
    assert grad(grad(grad(poly4)))(2.0) == pytest.approx(48.0, rel=1e-12)


def test_fourth_derivative_of_t4_is_24_not_the_second():
    assert grad(grad(grad(grad(poly4))))(2.0) == pytest.approx(24.0, rel=1e-12)
    assert grad(grad(grad(grad(poly4))))(-0.7) == pytest.approx(24.0, rel=1e-12)


@pytest.mark.parametrize("fun, derivatives", [
    (np.sin, lambda t: [np.cos(t), -np.sin(t), -np.cos(t), np.sin(t)]),
    (np.exp, lambda t: [np.exp(t)] * 4),
])
def test_orders_one_to_four_of_sin_and_exp(fun, derivatives):
    def f(t):
        return fun(t)

    d, t = f, 0.8
    for expected in derivatives(t):
        d = grad(d)
        assert d(t) == pytest.approx(expected, rel=1e-12)


def test_value_and_grad_of_grad_returns_the_pair():
    value, slope = value_and_grad(grad(wave))(0.9)
    assert value == pytest.approx(grad(wave)(0.9), rel=1e-14)
    assert slope == pytest.approx(fd_jacobian(grad(wave), (0.9,)), rel=1e-6)
    assert slope == pytest.approx(grad(grad(wave))(0.9), rel=1e-14)


def test_jvp_of_grad_is_the_hessian_along_the_tangent():
    out, out_dot = jvp(grad(smooth), (X,), (V,))
    close(out, grad(smooth)(X), rtol=1e-14)
    close(out_dot, fd_jacobian(grad(smooth), (X,)) @ V)


def test_vjp_of_grad_pulls_back_through_the_hessian():
    out, pullback = vjp(grad(smooth), X)
    close(out, grad(smooth)(X), rtol=1e-14)
    close(pullback(V), fd_jacobian(grad(smooth), (X,)).T @ V)
    close(pullback(V), pullback(V), rtol=0)  # a pullback can be called again


def test_jacobian_of_grad_is_the_hessian():
    close(jacobian(grad(smooth))(X), fd_jacobian(grad(smooth), (X,)))
    close(jacobian(grad(smooth))(X), hessian(smooth)(X), rtol=1e-12)


def test_hvp_of_grad_differentiates_grad_not_f():
    # grad(wave) is t -> wave'(t); its hvp is wave'''(t) * v, not wave''(t) * v
    third = fd_jacobian(grad(grad(wave)), (0.6,))
    assert hvp(grad(wave))(0.6, 2.0) == pytest.approx(2.0 * third, rel=1e-6)
    assert hvp(grad(wave))(0.6, 2.0) != pytest.approx(2.0 * hessian(wave)(0.6), rel=1e-3)


def test_hvp_of_grad_of_an_array_function_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="one number"):
        hvp(grad(smooth))(X, V)


def test_hessian_with_dict_parameters():
    p = {"a": np.array([0.4, -1.3]), "b": np.array([2.0, 0.5])}
    H = hessian(records)(p)
    assert H.keys() == {"a", "b"} and H["a"].keys() == {"a", "b"}
    a, b = p["a"], p["b"]
    close(H["a"]["a"], np.diag(2 * b - np.sin(a)), rtol=1e-12)
    close(H["a"]["b"], np.diag(2 * a), rtol=1e-12)
    close(H["b"]["a"], np.diag(2 * a), rtol=1e-12)
    close(H["b"]["b"], np.zeros((2, 2)), rtol=0, atol=0)


def test_jacobian_of_hessian_is_the_third_derivative():
    third = jacobian(hessian(smooth))(X)
    assert third.shape == (3, 3, 3)
    close(third, fd_jacobian(hessian(smooth), (X,)))


# --- the matrix: outer x inner -----------------------------------------------------

INNERS = {
    "grad": lambda f: grad(f),
    "value_and_grad": lambda f: value_and_grad(f),
    "jacobian": lambda f: jacobian(f),
    "hessian": lambda f: hessian(f),
    "jacobian_grad": lambda f: jacobian(grad(f)),
}


@pytest.mark.parametrize("fun", ARRAY_FUNS)
@pytest.mark.parametrize("inner", sorted(INNERS))
def test_jacobian_of_each_inner(fun, inner):
    d = INNERS[inner](fun)
    close(jacobian(d)(X), fd_jacobian(d, (X,)))


@pytest.mark.parametrize("fun", ARRAY_FUNS)
@pytest.mark.parametrize("inner", sorted(INNERS))
def test_jvp_of_each_inner(fun, inner):
    d = INNERS[inner](fun)
    out, out_dot = jvp(d, (X,), (V,))
    close(out, d(X), rtol=1e-13)
    J = fd_jacobian(d, (X,))
    close(out_dot, tuple(j @ V for j in J) if isinstance(J, tuple) else J @ V)


@pytest.mark.parametrize("fun", ARRAY_FUNS)
@pytest.mark.parametrize("inner", ["grad", "jacobian", "hessian"])
def test_vjp_of_each_inner(fun, inner):
    d = INNERS[inner](fun)
    out, pullback = vjp(d, X)
    J = fd_jacobian(d, (X,))
    cotangent = np.arange(1.0, 1.0 + np.size(out)).reshape(np.shape(out))
    close(pullback(cotangent), np.tensordot(cotangent, J, axes=np.ndim(out)))


def test_grad_and_value_and_grad_of_scalar_valued_derivatives():
    y = 0.7
    dy = grad(two, wrt=1)  # a number for every x: differentiable in x with grad
    close(grad(dy, wrt=0)(X, y), fd_jacobian(dy, (X, y), at=0))
    close(grad(dy, wrt=0)(X, y), 2 * X - 3 * y ** 2 * np.sin(X), rtol=1e-12)
    value, g = value_and_grad(dy, wrt=(0, 1))(X, y)
    assert value == pytest.approx(dy(X, y), rel=1e-14)
    close(g[0], 2 * X - 3 * y ** 2 * np.sin(X), rtol=1e-12)
    assert g[1] == pytest.approx(6 * y * np.sum(np.cos(X)), rel=1e-12)


@pytest.mark.parametrize("fun", ARRAY_FUNS)
def test_jacobian_and_jvp_of_hvp(fun):
    T = fd_jacobian(hessian(fun), (X,))  # T[i, j, k] = d^3 f / dx_i dx_j dx_k
    close(jacobian(hvp(fun))(X, V), np.einsum("ijk,j->ik", T, V), rtol=1e-5, atol=1e-5)
    # hvp is linear in v: its Jacobian in v is the Hessian
    close(jacobian(hvp(fun), wrt="v")(X, V), hessian(fun)(X), rtol=1e-12, atol=1e-12)
    _, out_dot = jvp(hvp(fun), (X, V), (None, X))
    close(out_dot, hessian(fun)(X) @ X, rtol=1e-12, atol=1e-12)


def test_hessian_of_grad_and_hvp_of_hvp_of_a_number_function():
    t = 0.45
    fourth = fd_jacobian(grad(grad(grad(wave))), (t,))
    assert hessian(grad(wave))(t) == pytest.approx(fd_jacobian(grad(grad(wave)), (t,)), rel=1e-6)
    assert hessian(hessian(wave))(t) == pytest.approx(fourth, rel=1e-5)
    # hvp(f)(t, v) = f''(t) v, linear in v: its hvp in t along w is f''''(t) v w
    assert hvp(hvp(wave))(t, 1.5, 2.0) == pytest.approx(fourth * 3.0, rel=1e-5)


def test_jacobian_of_a_forward_mode_jacobian():
    # widen has more outputs than inputs: jacobian runs forward columns
    J2 = jacobian(jacobian(widen))(X)
    assert J2.shape == (9, 3, 3)
    close(J2, fd_jacobian(jacobian(widen), (X,)))


def test_fourth_order_tensor_of_a_sum_of_fourth_powers():
    def quartic(x):
        return np.sum(x ** 4) + x[0] * x[1] * x[2]

    T4 = jacobian(jacobian(hessian(quartic)))(X)
    expected = np.zeros((3, 3, 3, 3))
    for i in range(3):
        expected[i, i, i, i] = 24.0
    close(T4, expected, rtol=1e-12, atol=1e-12)
    T3 = jacobian(hessian(quartic))(X)
    expected3 = np.zeros((3, 3, 3))
    for i in range(3):
        expected3[i, i, i] = 24.0 * X[i]
    for perm in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]:
        expected3[perm] = 1.0
    close(T3, expected3, rtol=1e-12, atol=1e-12)


def test_mixed_partials_through_wrt():
    y = 0.7
    # d/dy (d two / dx) = 2x - 3y^2 sin(x)
    close(jacobian(grad(two, wrt=0), wrt=1)(X, y), 2 * X - 3 * y ** 2 * np.sin(X), rtol=1e-12)
    close(jacobian(grad(two, wrt=0), wrt="y")(X, y), 2 * X - 3 * y ** 2 * np.sin(X), rtol=1e-12)


def test_dict_parameters_through_compositions():
    p = {"a": np.array([0.4, -1.3]), "b": np.array([2.0, 0.5])}
    g = grad(records)
    out, out_dot = jvp(g, (p,), ({"a": np.array([1.0, 0.0]), "b": np.array([0.0, 2.0])},))
    H = hessian(records)(p)
    close(out_dot["a"], H["a"]["a"] @ [1.0, 0.0] + H["a"]["b"] @ [0.0, 2.0], rtol=1e-12)
    close(out_dot["b"], H["b"]["a"] @ [1.0, 0.0] + H["b"]["b"] @ [0.0, 2.0], rtol=1e-12, atol=1e-15)
    Hv = hvp(records)(p, {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 2.0])})
    close(Hv, out_dot, rtol=1e-12, atol=1e-15)
    J = jacobian(g)(p)
    close(J, H, rtol=1e-12, atol=1e-15)


def test_scalar_loop_to_fourth_order():
    # y = t^4 + 0.5 (t^3 + t^2 + t): orders 1..4 at t
    t = 0.8
    expected = [4 * t ** 3 + 0.5 * (3 * t ** 2 + 2 * t + 1), 12 * t ** 2 + 0.5 * (6 * t + 2),
                24 * t + 3.0, 24.0]
    d = scalar_loop
    for order, value in enumerate(expected, 1):
        lower, d = d, grad(d)
        assert d(t) == pytest.approx(value, rel=1e-12), order
        assert d(t) == pytest.approx(fd_jacobian(lower, (t,)), rel=1e-5)


# --- clear errors where a composition has no meaning --------------------------------

def test_grad_of_an_array_valued_derivative_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="hessian"):
        grad(grad(smooth))(X)
    with pytest.raises(srcgrad.SrcGradError, match="one number"):
        grad(value_and_grad(wave))(0.3)
    with pytest.raises(srcgrad.SrcGradError, match="one number"):
        hessian(jacobian(widen))(X)
    with pytest.raises(srcgrad.SrcGradError, match="grad.hessian_smooth. needs a function with one number"):
        hessian(hessian(smooth))(X)


def test_wrt_of_a_derivative_names_its_parameters():
    with pytest.raises(srcgrad.SrcGradError, match="out of range"):
        jacobian(hessian(smooth), wrt=1)
    with pytest.raises(srcgrad.SrcGradError, match="'z' is not an argument"):
        grad(grad(two, wrt=1), wrt="z")


def test_hvp_of_a_function_with_a_parameter_named_v_takes_the_direction_last():
    def f(x, v):
        return np.sum(x ** 3 * v)

    p = np.array([1.0, 2.0, 3.0])
    expected = 6 * X * V * p
    close(hvp(f)(X, V, p), expected, rtol=1e-12)
    close(hvp(f)(X, p, v=V), expected, rtol=1e-12)  # v= is f's own v; the direction is last
    with pytest.raises(srcgrad.SrcGradError, match="direction has no keyword"):
        hvp(f)(X, V, v2=p)  # no silent second name for the direction
    with pytest.raises(srcgrad.SrcGradError, match="missing a required argument: 'x'"):
        hvp(f)(X, v=V)


# --- hvp's positional v, and scipy ----------------------------------------------------

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hvp_takes_v_positionally_or_by_keyword():
    x0 = np.array([1.3, 0.7, 0.8, 1.9])
    v = np.array([0.5, -1.0, 2.0, 0.25])
    expected = fd_jacobian(grad(rosen), (x0,)) @ v
    close(hvp(rosen)(x0, v), expected)
    close(hvp(rosen)(x0, v=v), expected)
    close(hvp(two, wrt=1)(X, 0.7, 2.0), 2.0 * 6 * 0.7 * np.sum(np.cos(X)), rtol=1e-12)
    close(hvp(two)(X, 0.7, V), fd_jacobian(grad(two), (X, 0.7)) @ V)


@pytest.mark.parametrize("method", ["trust-ncg", "Newton-CG"])
def test_scipy_minimize_with_grad_and_hvp_on_rosenbrock(method):
    optimize = pytest.importorskip("scipy.optimize")
    x0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])
    close(grad(rosen)(x0), optimize.rosen_der(x0), rtol=1e-12)
    close(hvp(rosen)(x0, x0[::-1]), optimize.rosen_hess_prod(x0, x0[::-1]), rtol=1e-12)
    result = optimize.minimize(rosen, x0, method=method, jac=grad(rosen), hessp=hvp(rosen),
                               options={"xtol": 1e-10} if method == "Newton-CG" else {"gtol": 1e-10})
    assert result.success
    close(result.x, np.ones(5), rtol=1e-6, atol=1e-6)


# --- has_aux ---------------------------------------------------------------------------

def with_aux(x, y):
    pred = np.tanh(x * y)
    loss = np.sum(np.sqrt(pred ** 2 + 1.0)) / y
    return loss, {"pred": pred, "count": 3}


def plain_loss(x, y):
    pred = np.tanh(x * y)
    return np.sum(np.sqrt(pred ** 2 + 1.0)) / y


def test_grad_has_aux_returns_gradient_and_aux():
    g, aux = grad(with_aux, has_aux=True)(X, 0.7)
    close(g, fd_jacobian(plain_loss, (X, 0.7)))
    close(g, grad(plain_loss)(X, 0.7), rtol=1e-14)
    close(aux["pred"], np.tanh(X * 0.7), rtol=0)
    assert aux["count"] == 3


def test_value_and_grad_has_aux_returns_loss_aux_then_gradients():
    (loss, aux), (gx, gy) = value_and_grad(with_aux, wrt=(0, 1), has_aux=True)(X, 0.7)
    assert loss == pytest.approx(plain_loss(X, 0.7), rel=1e-14)
    close(aux["pred"], np.tanh(X * 0.7), rtol=0)
    close(gx, fd_jacobian(plain_loss, (X, 0.7), at=0))
    assert gy == pytest.approx(fd_jacobian(plain_loss, (X, 0.7), at=1), rel=1e-6)


def test_has_aux_with_early_returns_in_a_loop():
    def f(x):
        s = 0.0
        for i in range(3):
            s = s + x[i] ** 2
            if s > 0.3:
                return s, i
        return s, -1

    g, aux = grad(f, has_aux=True)(X)
    assert aux == 1
    close(g, [2 * X[0], 2 * X[1], 0.0], rtol=1e-14)
    (value, aux), g = value_and_grad(f, has_aux=True)(np.array([0.1, 0.2, 0.3]))
    assert aux == -1 and value == pytest.approx(0.14, rel=1e-14)
    close(g, [0.2, 0.4, 0.6], rtol=1e-14)


def test_has_aux_as_a_decorator_and_transformed_again():
    @grad(has_aux=True)
    def f(t):
        return t ** 3, t * 2.0

    assert f(2.0) == (12.0, 4.0)
    slope, aux_slope = jacobian(f)(2.0)  # the pair's Jacobian: (6 t, 2)
    assert (slope, aux_slope) == (pytest.approx(12.0, rel=1e-14), pytest.approx(2.0, rel=1e-14))
    # value_and_grad(cube) returns (t^3, 3 t^2): differentiate the first, hand back the second
    g, aux = grad(value_and_grad(cube), has_aux=True)(2.0)
    assert g == pytest.approx(12.0, rel=1e-14) and aux == pytest.approx(12.0, rel=1e-14)


def cube(t):
    return t ** 3


def test_has_aux_without_a_written_pair_is_a_located_error():
    def f(x):
        out = (np.sum(x), 1)
        return out

    with pytest.raises(srcgrad.SrcGradError, match="test_trust_compose.py:.*return a pair"):
        grad(f, has_aux=True)(X)


# --- a pullback is a derivative too -------------------------------------------------------

def test_jacobian_and_jvp_of_a_pullback_are_the_transposed_jacobian():
    out, pullback = vjp(widen, X)
    cotangent = np.linspace(-1.0, 1.0, 9)
    J = jacobian(widen)(X)
    close(pullback(cotangent), J.T @ cotangent, rtol=1e-12)
    close(jacobian(pullback)(cotangent), J.T, rtol=1e-12, atol=1e-15)
    _, out_dot = jvp(pullback, (cotangent,), (np.ones(9),))
    close(out_dot, J.T @ np.ones(9), rtol=1e-12)
    assert "def _widen_backward" in pullback.source


def test_grad_of_a_pullback_with_an_array_value_is_a_located_error():
    _, pullback = vjp(smooth, X)
    with pytest.raises(srcgrad.SrcGradError, match="one number"):
        grad(pullback)(1.0)


def test_source_of_a_transform_of_a_derivative_shows_what_it_ran():
    g3 = grad(grad(wave))
    g3(0.3)
    text = srcgrad.source(g3)
    assert text.startswith("def jvp_grad_wave(t, *, t_dot):")
    compile(text, "<source>", "exec")


def test_has_aux_holding_an_array_written_in_place_keeps_the_written_values():
    # the backward sweep restores `a` in place; aux (which holds `a`) must not see that
    def in_dict(x):
        a = x * 1.0
        a[0] = a[0] * 3.0
        return np.sum(a ** 2), {"a": a}

    def itself(x):
        a = x * 1.0
        a[0] = a[0] * 3.0
        return np.sum(a ** 2), a

    written = X * [3.0, 1.0, 1.0]
    g, aux = grad(in_dict, has_aux=True)(X)
    close(aux["a"], written, rtol=0)
    close(g, 2 * written * [3.0, 1.0, 1.0], rtol=1e-14)
    (value, aux), g = value_and_grad(itself, has_aux=True)(X)
    close(aux, written, rtol=0)
    assert value == pytest.approx(np.sum(written ** 2), rel=1e-14)


def test_grad_value_and_grad_and_hvp_of_hvp_of_a_number_function():
    t, v = 0.45, 1.7
    second = hessian(wave)(t)
    third = fd_jacobian(grad(grad(wave)), (t,))
    assert hvp(wave)(t, v) == pytest.approx(second * v, rel=1e-12)
    # hvp(wave)(t, v) = wave''(t) v: its gradient in t is wave'''(t) v, in v wave''(t)
    assert grad(hvp(wave))(t, v) == pytest.approx(third * v, rel=1e-6)
    assert grad(hvp(wave), wrt="v")(t, v) == pytest.approx(second, rel=1e-12)
    value, (gt, gv) = value_and_grad(hvp(wave), wrt=(0, 1))(t, v)
    assert value == pytest.approx(second * v, rel=1e-12)
    assert (gt, gv) == (pytest.approx(third * v, rel=1e-6), pytest.approx(second, rel=1e-12))
    fourth = fd_jacobian(grad(grad(grad(wave))), (t,))
    assert hvp(hessian(wave))(t, 2.0) == pytest.approx(2.0 * fourth, rel=1e-5)


def test_hessian_of_a_scalar_valued_gradient_in_another_argument():
    y = 0.7
    dy = grad(two, wrt=1)
    close(hessian(dy, wrt=0)(X, y), fd_jacobian(grad(dy, wrt=0), (X, y), at=0))
    close(hessian(dy, wrt=0)(X, y), np.diag(2.0 - 3 * y ** 2 * np.cos(X)), rtol=1e-12, atol=1e-15)


def test_vjp_of_value_and_grad_takes_a_pair_of_cotangents():
    out, pullback = vjp(value_and_grad(smooth), X)
    value, g = out
    J_value, J_grad = fd_jacobian(value_and_grad(smooth), (X,))
    close(pullback((2.0, V)), 2.0 * J_value + J_grad.T @ V)


def test_vjp_and_grad_of_derivatives_with_dict_parameters():
    p = {"a": np.array([0.4, -1.3]), "b": np.array([2.0, 0.5])}
    H = hessian(records)(p)
    cot = {"a": np.array([1.0, -2.0]), "b": np.array([0.5, 3.0])}
    _, pullback = vjp(grad(records), p)
    back = pullback(cot)
    for k in "ab":
        expected = sum(H[j][k].T @ cot[j] for j in "ab")
        close(back[k], expected, rtol=1e-12, atol=1e-15)
    # a number-valued derivative with a dict parameter: its grad in the dict is a dict
    def weighted(p, s):
        return s ** 2 * np.sum(p["a"] * p["b"])

    mixed = grad(grad(weighted, wrt=1), wrt=0)(p, 0.5)
    assert mixed.keys() == {"a", "b"}
    close(mixed["a"], 2 * 0.5 * p["b"], rtol=1e-12)
    close(mixed["b"], 2 * 0.5 * p["a"], rtol=1e-12)


def test_defaults_keywords_and_names_reach_the_transformed_derivative():
    def scaled(x, scale=2.0, *, power=3):
        return scale * np.sum(x ** power)

    close(jacobian(grad(scaled))(X), np.diag(2.0 * 6 * X), rtol=1e-12)
    close(jacobian(grad(scaled))(X, 0.5, power=2), np.diag(np.full(3, 0.5 * 2.0)), rtol=1e-12)
    close(jacobian(grad(scaled), wrt="scale")(X, 0.5), 3 * X ** 2, rtol=1e-12)
    out, out_dot = jvp(grad(scaled), (X, 0.5), (None, 1.0))
    close(out_dot, 3 * X ** 2, rtol=1e-12)
    _, zero = jvp(grad(scaled), (X, 0.5), (None, None))
    close(zero, np.zeros(3), rtol=0, atol=0)


def test_check_grads_takes_derivatives_in_both_modes():
    srcgrad.check_grads(grad(wave), (0.3,), modes=("reverse", "forward"))
    srcgrad.check_grads(grad(grad(wave)), (0.3,), modes=("reverse", "forward"))
    srcgrad.check_grads(grad(two, wrt=1), (X, 0.7), wrt=(0, 1), modes=("reverse", "forward"))


def test_value_and_grad_inside_is_a_function_returning_a_pair():
    # jvp / jacobian / vjp take it as it is; grad, hessian and hvp need one number
    (value, slope), (value_dot, slope_dot) = jvp(value_and_grad(wave), (0.3,), (2.0,))
    assert value_dot == pytest.approx(2.0 * grad(wave)(0.3), rel=1e-12)
    assert slope_dot == pytest.approx(2.0 * hessian(wave)(0.3), rel=1e-12)
    with pytest.raises(srcgrad.SrcGradError, match="returns a tuple"):
        hvp(value_and_grad(wave))(0.3, 1.0)
    with pytest.raises(srcgrad.SrcGradError, match="returns a tuple"):
        hessian(value_and_grad(wave))(0.3)


def test_loops_through_third_and_fourth_order():
    # forward over forward over reverse through a loop that tapes shapes and values
    close(jacobian(hessian(chained))(X), fd_jacobian(hessian(chained), (X,)), rtol=1e-5, atol=1e-6)
    d, t = wavy_loop, 0.8
    for _ in range(4):
        lower, d = d, grad(d)
        assert d(t) == pytest.approx(fd_jacobian(lower, (t,)), rel=1e-5, abs=1e-6)


def test_columns_of_a_function_that_writes_into_its_argument_are_taken_at_one_point():
    def doubles_first(xs):
        xs[0] = xs[0] * 2.0
        return np.array([xs[0] * xs[1], xs[1] ** 2])

    xs = [1.0, 3.0]
    J = jacobian(doubles_first)(xs)  # a list argument: one column per entry, by forward mode
    close(J[0], [2 * 3.0, 0.0], rtol=1e-14)
    close(J[1], [2 * 1.0, 2 * 3.0], rtol=1e-14)
    assert xs == [1.0, 3.0]  # the caller's list is not written by the columns

    def writes(x):
        x[0] = x[0] * 2.0
        return np.sum(x ** 3)

    x = np.array([1.0, 2.0, 3.0])
    v = np.ones(3)
    close(hessian(writes)(x), np.diag([48.0, 12.0, 18.0]), rtol=1e-14)
    close(hvp(writes)(x, v), [48.0, 12.0, 18.0], rtol=1e-14)
    close(jacobian(grad(writes))(x), np.diag([48.0, 12.0, 18.0]), rtol=1e-14)
    close(x, [1.0, 2.0, 3.0], rtol=0)
    close(v, np.ones(3), rtol=0)


def test_compositions_follow_a_redefined_helper(tmp_path, monkeypatch):
    (tmp_path / "compose_cell.py").write_text(
        "import numpy as np\n\ndef helper(x):\n    return x ** 3\n\n"
        "def f(x):\n    return np.sum(helper(x))\n")
    (tmp_path / "compose_cell_again.py").write_text("def helper(x):\n    return x ** 4\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import compose_cell
    import compose_cell_again

    x = np.array([1.0, 2.0])
    H, g3 = jacobian(grad(compose_cell.f)), grad(grad(grad(compose_cell.f)))
    close(H(x), np.diag(6 * x), rtol=1e-14)
    assert g3(1.5) == pytest.approx(6.0, rel=1e-14)
    monkeypatch.setattr(compose_cell, "helper", compose_cell_again.helper)  # a cell run again
    close(H(x), np.diag(12 * x ** 2), rtol=1e-14)
    assert g3(1.5) == pytest.approx(24 * 1.5, rel=1e-14)
