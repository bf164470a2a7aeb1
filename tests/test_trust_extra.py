"""Issue 12, the independent tester's extra findings: each a named regression test.

- no_grad blocks inside loops: the values the block rebinds are restored in
  the reverse of the order they were saved (the pops went out of step);
- list/tuple `+` and `*` are concatenation and repetition, not arithmetic;
- `for k in d` over a dict argument;
- rules with constant arguments they do not support are rejected when the
  derivative is built, not when it runs;
- debug_nans checks the forward values the gradient itself does not need.

Gradients are checked in reverse mode (grad, vjp) and forward mode (jvp)
against central differences in float64. For no_grad programs the reference
is a twin that runs the no_grad block on the trajectory of a base point
`w0`: its derivative in `w` at `w0` holds the block's values constant, which
is what no_grad means.
"""
import numpy as np
import pytest

import srcgrad
from srcgrad import SrcGradError, grad, jvp, vjp
from srcgrad.pytree import flatten


def central(fun, x, eps=1e-6):
    """Central differences of a scalar `fun` at a float or float64 array `x`."""
    if np.ndim(x) == 0:
        step = eps * max(1.0, abs(x))
        return (fun(x + step) - fun(x - step)) / (2 * step)
    x = np.array(x, dtype=np.float64)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        step = eps * max(1.0, abs(x[i]))
        hi, lo = x.copy(), x.copy()
        hi[i] += step
        lo[i] -= step
        out[i] = (fun(hi) - fun(lo)) / (2 * step)
    return out


def check_all_modes(f, x, expected):
    """grad, vjp and jvp of a one-argument scalar `f` at `x` all give `expected`."""
    atol = 1e-8 * max(1.0, float(np.max(np.abs(expected))))  # differences lose digits on large values
    np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-6, atol=atol)
    value, pullback = vjp(f, x)
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    np.testing.assert_allclose(pullback(1.0), expected, rtol=1e-6, atol=atol)
    direction = np.linspace(0.5, 1.5, np.size(x)).reshape(np.shape(x)) if np.ndim(x) else 1.0
    value, tangent = jvp(f, (x,), (direction,))
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=1e-6, atol=atol)


def check_no_grad(f, twin, x):
    """`f`'s derivative holds its no_grad values constant: `twin(w, w0)` at w0."""
    np.testing.assert_allclose(twin(x, x), f(x), rtol=1e-12)
    check_all_modes(f, x, central(lambda w: twin(w, x), x))


# --- 1. no_grad blocks in loops: restores in the reverse of the saves -------------------

def no_grad_two_assignments(w):
    h = 1.0
    for i in range(3):
        h = h * w
        with srcgrad.no_grad():
            s = h * 2.0
            c = i + 1.0
        h = h / s * c
    return h


def no_grad_two_assignments_twin(w, w0):
    h, h0 = 1.0, 1.0
    for i in range(3):
        h, h0 = h * w, h0 * w0
        s = h0 * 2.0
        c = i + 1.0
        h, h0 = h / s * c, h0 / s * c
    return h


def test_no_grad_two_assignments_in_loop():
    check_no_grad(no_grad_two_assignments, no_grad_two_assignments_twin, 0.7)
    assert grad(no_grad_two_assignments)(0.7) == pytest.approx(6.428571428571429, rel=1e-12)


def no_grad_nested_loops(w):
    h = 1.0
    for i in range(2):
        for j in range(2):
            h = h * w
            with srcgrad.no_grad():
                s = h * 2.0
                c = i + j + 1.0
            h = h / s * c
    return h


def no_grad_nested_loops_twin(w, w0):
    h, h0 = 1.0, 1.0
    for i in range(2):
        for j in range(2):
            h, h0 = h * w, h0 * w0
            s = h0 * 2.0
            c = i + j + 1.0
            h, h0 = h / s * c, h0 / s * c
    return h


def test_no_grad_in_nested_loops():
    check_no_grad(no_grad_nested_loops, no_grad_nested_loops_twin, 0.7)


def no_grad_branch_inside(w):
    h = 1.0
    for i in range(3):
        h = h * w
        with srcgrad.no_grad():
            if h > 0.5:
                s = h * 2.0
                c = 3.0
            else:
                c = 1.0 + i
                s = h + 1.0
        h = h / s * c + h
    return h


def no_grad_branch_inside_twin(w, w0):
    h, h0 = 1.0, 1.0
    for i in range(3):
        h, h0 = h * w, h0 * w0
        if h0 > 0.5:
            s = h0 * 2.0
            c = 3.0
        else:
            c = 1.0 + i
            s = h0 + 1.0
        h, h0 = h / s * c + h, h0 / s * c + h0
    return h


def test_no_grad_branch_inside_block_in_loop():
    check_no_grad(no_grad_branch_inside, no_grad_branch_inside_twin, 0.9)


def no_grad_arrays(w):
    h = w * 1.0
    for i in range(3):
        h = h * w
        with srcgrad.no_grad():
            s = h * 2.0
            m = np.max(h)
            b = s / m
        h = h * b + s * h
    return np.sum(h)


def no_grad_arrays_twin(w, w0):
    h, h0 = w * 1.0, w0 * 1.0
    for i in range(3):
        h, h0 = h * w, h0 * w0
        s = h0 * 2.0
        m = np.max(h0)
        b = s / m
        h, h0 = h * b + s * h, h0 * b + s * h0
    return np.sum(h)


def test_no_grad_arrays_in_loop():
    check_no_grad(no_grad_arrays, no_grad_arrays_twin, np.array([0.5, 0.8, 1.2]))


def no_grad_loop_inside(w):
    h = 1.0
    for i in range(3):
        h = h * w
        with srcgrad.no_grad():
            c = 1.0
            for k in range(i + 1):
                c = c + h * k
            a = c * 2.0
        h = h * a + h * c
    return h


def no_grad_loop_inside_twin(w, w0):
    h, h0 = 1.0, 1.0
    for i in range(3):
        h, h0 = h * w, h0 * w0
        c = 1.0
        for k in range(i + 1):
            c = c + h0 * k
        a = c * 2.0
        h, h0 = h * a + h * c, h0 * a + h0 * c
    return h


def test_no_grad_loop_inside_block_in_loop():
    check_no_grad(no_grad_loop_inside, no_grad_loop_inside_twin, 0.7)


def no_grad_writes_into_array(w):
    h = w * 1.0
    buf = np.zeros(3)
    for i in range(3):
        h = h * w
        with srcgrad.no_grad():
            buf[i] = h[i]
            z = buf * 1.0
        h = h * z + h
    return np.sum(h)


def no_grad_writes_into_array_twin(w, w0):
    h, h0 = w * 1.0, w0 * 1.0
    buf = np.zeros(3)
    for i in range(3):
        h, h0 = h * w, h0 * w0
        buf[i] = h0[i]
        z = buf * 1.0
        h, h0 = h * z + h, h0 * z + h0
    return np.sum(h)


def test_no_grad_writes_into_array_in_loop():
    check_no_grad(no_grad_writes_into_array, no_grad_writes_into_array_twin, np.array([0.5, 0.8, 1.2]))


def no_grad_two_blocks(w):
    h = 1.0
    for i in range(3):
        with srcgrad.no_grad():
            b = h + 1.0
            a = b * 0.5
        h = h * w * a
        with srcgrad.no_grad():
            z = h * h
            y = z + i
        h = h * y - h / b
    return h


def no_grad_two_blocks_twin(w, w0):
    h, h0 = 1.0, 1.0
    for i in range(3):
        b = h0 + 1.0
        a = b * 0.5
        h, h0 = h * w * a, h0 * w0 * a
        z = h0 * h0
        y = z + i
        h, h0 = h * y - h / b, h0 * y - h0 / b
    return h


def test_no_grad_two_blocks_in_loop():
    check_no_grad(no_grad_two_blocks, no_grad_two_blocks_twin, 0.8)


# --- 2. list and tuple `+` and `*`: concatenation and repetition --------------------

def check_grads_all_modes(f, args, wrt):
    """Every `wrt` argument's gradient by grad (and vjp) and jvp against differences."""
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    srcgrad.check_grads(f, args, wrt=wrt, modes=("reverse", "forward"))
    _, pullback = vjp(f, *args, wrt=wrt)
    expected = grad(f, wrt=wrt)(*args)
    for got, want in zip(pullback(1.0), expected, strict=True):
        for (_, g), (_, e) in zip(flatten(got)[0], flatten(want)[0], strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-12)


def list_concatenation_in_sum(w, lam):
    return sum([lam * w * w] + [0.1 * abs(w)])


def test_list_concatenation_is_not_addition():
    dw, dlam = grad(list_concatenation_in_sum, wrt=(0, 1))(1.5, 0.3)
    assert (dw, dlam) == pytest.approx((1.0, 2.25), rel=1e-12)
    check_grads_all_modes(list_concatenation_in_sum, (1.5, 0.3), (0, 1))


def list_repetition(h0):
    hs = [h0] * 3
    return hs[0] * hs[1] + hs[2]


def list_repetition_count_first(h0):
    hs = 2 * [h0 * h0, h0]
    return hs[0] * hs[3] + hs[2] - hs[1]


def test_list_repetition():
    assert grad(list_repetition)(2.0) == pytest.approx(5.0, rel=1e-12)
    check_grads_all_modes(list_repetition, (2.0,), 0)
    check_grads_all_modes(list_repetition_count_first, (1.3,), 0)


def tuple_argument_plus_display(a, b, params):
    p = params + (a * b,)
    return p[0] * p[1] + p[2] * p[0]


def test_tuple_argument_concatenated_with_display():
    args = (2.0, 3.0, (1.5, 4.0))
    assert grad(tuple_argument_plus_display, wrt=(0, 1))(*args) == pytest.approx((4.5, 3.0), rel=1e-12)
    check_grads_all_modes(tuple_argument_plus_display, args, (0, 1, 2))


def two_list_names(a, b):
    la = [a, b]
    lb = [a * b]
    both = la + lb
    return both[0] * both[2] + both[1]


def test_concatenation_of_two_list_names():
    check_grads_all_modes(two_list_names, (2.0, 3.0), (0, 1))


def arrays_in_lists(x, y):
    parts = [x * 2.0] + [np.sin(y), x * y]
    again = parts * 2
    return np.sum(again[0] * again[4]) + np.sum(again[1] ** 2) + np.sum(again[5])


def test_concatenation_and_repetition_of_array_lists():
    check_grads_all_modes(arrays_in_lists, (np.array([0.3, -1.2]), np.array([0.7, 2.0])), (0, 1))


def accumulated_in_loop(x):
    acc = []
    for i in range(3):
        acc = acc + [x * (i + 1.0)]
    return acc[0] * acc[1] * acc[2]


def test_list_grown_by_concatenation_in_loop():
    check_grads_all_modes(accumulated_in_loop, (0.8,), 0)


def list_argument_unknown_side(xs, y):
    extra = [y * y] if y > 0 else [y]
    both = xs + extra
    return both[0] * both[-1] + both[1]


def test_list_argument_concatenated():
    check_grads_all_modes(list_argument_unknown_side, ([0.5, 1.5], 2.0), (0, 1))


def array_plus_list_display(x):
    return np.sum((x + [1.0, 2.0]) * x)


def test_array_plus_list_display_stays_arithmetic():
    check_grads_all_modes(array_plus_list_display, (np.array([0.3, 0.4]),), 0)


def features_by_concatenation(x, w):
    feats = [x] + [x * w, np.sin(x)]
    total = 0.0
    for f in feats:
        total = total + np.sum(f)
    return total + sum(feats)[0]


def test_loop_over_a_concatenated_list_of_arrays():
    """The independent tester's `list_concat_features`: a loop over the result of a
    list concatenation gave x a zero gradient (the loop's list was not known to hold
    a container, so its adjoint was one array), and with `sum(feats)` it crashed."""
    check_grads_all_modes(features_by_concatenation, (np.array([0.5, 1.0]), 1.5), (0, 1))


# --- 3. `for k in d` over a dict argument runs over its keys ------------------------

def loop_over_dict_keys(params, x):
    s = 0.0
    for k in params:
        s = s + np.sum(params[k] * x) * len(k)
    return s


def test_loop_over_dict_argument_keys():
    params = {"a": np.array([1.0, 2.0]), "bb": np.array([3.0, -4.0])}
    x = np.array([0.5, 1.5])
    dparams = grad(loop_over_dict_keys)(params, x)
    np.testing.assert_allclose(dparams["a"], x, rtol=1e-12)
    np.testing.assert_allclose(dparams["bb"], 2 * x, rtol=1e-12)
    check_grads_all_modes(loop_over_dict_keys, (params, x), (0, 1))


def loop_over_int_keyed_dict(d, x):
    t = 0.0
    for k in d:  # keys 0, 1 would also be valid positions: the loop must still see keys
        t = t + d[k] * x * (k + 1.0)
    return t


def test_loop_over_int_keyed_dict_sees_keys_not_positions():
    d = {1: 1.5, 0: 2.5}
    assert grad(loop_over_int_keyed_dict, wrt=1)(d, 0.3) == pytest.approx(1.5 * 2 + 2.5, rel=1e-12)
    check_grads_all_modes(loop_over_int_keyed_dict, (d, 0.3), (0, 1))


def loop_over_list_of_layers(Ws, x):
    for W in Ws:
        x = np.tanh(W @ x)
    return np.sum(x)


def test_loop_over_list_argument_still_differentiates_items():
    Ws = [np.array([[0.5, -0.2], [0.1, 0.4]]), np.array([[1.0, 0.3], [-0.7, 0.2]])]
    check_grads_all_modes(loop_over_list_of_layers, (Ws, np.array([0.5, 1.5])), (0, 1))


def loop_over_local_dict(x):
    d = {"u": x * 2.0, "v": x * x}
    t = 0.0
    for k in d:
        t = t + d[k]
    return t


def test_loop_over_local_dict_display():
    assert grad(loop_over_local_dict)(1.5) == pytest.approx(5.0, rel=1e-12)
    check_grads_all_modes(loop_over_local_dict, (1.5,), 0)


# --- 4. literal arguments a rule cannot differentiate: rejected when built ----------

def norm_half(x):
    return np.linalg.norm(x, 0.5)


def einsum_ellipsis(A, x):
    return np.sum(np.einsum("...ij,...j->...i", A, x))


def pad_mean(x):
    return np.sum(np.pad(x, 1, mode="mean") * x[0])


def _rejected(build, line_text, argument):
    with pytest.raises(SrcGradError) as caught:
        build()
    message = str(caught.value)
    assert "test_trust_extra.py" in message and line_text in message and argument in message
    assert "hint: the rule supports" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp"])
def test_norm_order_below_one_is_rejected_when_built(mode):
    x = np.array([1.0, 2.0])
    build = {"grad": lambda: grad(norm_half)(x), "vjp": lambda: vjp(norm_half, x),
             "jvp": lambda: jvp(norm_half, (x,), (np.ones(2),))}[mode]
    _rejected(build, "np.linalg.norm(x, 0.5)", "ord=0.5")


def test_einsum_ellipsis_differentiates_in_both_modes():
    A, x = np.arange(12.0).reshape(2, 2, 3), np.ones((2, 3))
    # sum over b, i, j of A[b, i, j] x[b, j]: the gradient of A is x broadcast over i
    assert np.array_equal(grad(einsum_ellipsis)(A, x), np.broadcast_to(x[:, None, :], A.shape))
    value, tangent = jvp(einsum_ellipsis, (A, x), (np.ones_like(A), None))
    assert tangent == pytest.approx(np.sum(central(lambda a: einsum_ellipsis(a, x), A)), rel=1e-7)


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_pad_statistic_mode_is_rejected_when_built(mode):
    x = np.array([1.0, 2.0])
    build = {"grad": lambda: grad(pad_mean)(x), "jvp": lambda: jvp(pad_mean, (x,), (np.ones(2),))}[mode]
    _rejected(build, 'np.pad(x, 1, mode="mean")', "mode='mean'")


def norms_supported(x, A):
    return (np.linalg.norm(x, 3) + np.linalg.norm(x, 1) + np.linalg.norm(A, "fro")
            + np.linalg.norm(A, "nuc") + np.linalg.norm(x, -np.inf) + np.linalg.norm(A, -1))


def test_supported_norm_orders_still_differentiate():
    x, A = np.array([0.5, -2.0, 1.25]), np.array([[1.0, -0.5], [0.25, 2.0]])
    check_grads_all_modes(norms_supported, (x, A), (0, 1))


# --- 5. debug_nans checks the forward values the gradient does not need -------------

def log_barrier(x, t):
    return t * np.sum(x) - np.sum(np.log(1 - x * x))


def log_barrier_in_loop(x, t):
    s = 0.0
    for i in range(2):
        s = s + t * np.sum(x) - np.sum(np.log(1 - x * x))
    return s


@pytest.mark.parametrize("fun", [log_barrier, log_barrier_in_loop])
@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp", "value_and_grad"])
def test_debug_nans_reports_a_nan_value_the_gradient_does_not_read(fun, mode):
    x = np.array([0.2, 1.5])  # log(1 - 2.25) is NaN; the gradient itself is finite
    call = {"grad": lambda: grad(fun, debug_nans=True)(x, 2.0),
            "vjp": lambda: vjp(fun, x, 2.0, debug_nans=True)[1](1.0),
            "jvp": lambda: jvp(fun, (x, 2.0), (np.ones(2), None), debug_nans=True),
            "value_and_grad": lambda: srcgrad.value_and_grad(fun, debug_nans=True)(x, 2.0)}[mode]
    with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match=r"np\.log"):
        call()


def test_without_debug_nans_the_value_only_log_is_not_computed():
    df = grad(log_barrier)
    x = np.array([0.2, 0.5])
    expected = central(lambda v: log_barrier(v, 2.0), x)
    np.testing.assert_allclose(df(x, 2.0), expected, rtol=1e-7)
    assert "= np.log(" not in srcgrad.source(df)  # the gradient reads 1 - x*x, not its log
    np.testing.assert_allclose(grad(log_barrier, debug_nans=True)(x, 2.0), expected, rtol=1e-7)


# (2, continued) a helper that returns a list display

def _pair(x):
    return [x, x * x]


def concatenated_helper_results(x, y):
    both = _pair(x) + _pair(y)
    return both[0] * both[3] + both[1]


def test_concatenation_of_helper_results():
    assert grad(concatenated_helper_results, wrt=(0, 1))(2.0, 3.0) == pytest.approx((13.0, 12.0), rel=1e-12)
    check_grads_all_modes(concatenated_helper_results, (2.0, 3.0), (0, 1))


def nested_helper_repeated(x):
    def triple(v):
        return (v, v * 2.0, np.sin(v))

    items = triple(x) * 2
    return items[0] * items[4] + items[5] * items[2]


def test_repetition_of_a_nested_helpers_tuple():
    check_grads_all_modes(nested_helper_repeated, (0.7,), 0)


def enumerate_and_zip_over_dicts(params, scales, x):
    s = 0.0
    for i, k in enumerate(params):
        s = s + np.sum(params[k] * x) * (i + 1.0)
    for k, j in zip(params, scales):
        s = s + np.sum(params[k] * params[k]) * scales[j]
    return s


def test_enumerate_and_zip_over_dict_arguments_see_keys():
    params = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -4.0])}
    scales = {"u": 0.5, "v": 2.0}
    x = np.array([0.5, 1.5])
    dparams = grad(enumerate_and_zip_over_dicts)(params, scales, x)
    np.testing.assert_allclose(dparams["a"], x + 2 * 0.5 * params["a"], rtol=1e-12)
    np.testing.assert_allclose(dparams["b"], 2 * x + 2 * 2.0 * params["b"], rtol=1e-12)
    check_grads_all_modes(enumerate_and_zip_over_dicts, (params, scales, x), (0, 1, 2))
