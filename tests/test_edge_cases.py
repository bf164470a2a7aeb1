"""Numerical edge cases: kinks, boundaries, dtypes, degenerate shapes, long loops, NaN.

Every expected value here is derived by hand (or by plain Python arithmetic),
never taken from srcgrad's own output. The conventions are the ones of SPEC §7
and docs/reliability.md ("Conventions at kinks"):

- ties in max / min / maximum / minimum and clip's bounds split the gradient
  evenly (this is the central difference there);
- abs'(0) = 0, the 2-norm at 0 has zero gradient;
- `x ** c` for a constant c never evaluates log(x);
- np.where never lets a NaN or inf of the branch it did not select into the
  gradient;
- where a derivative really is infinite (sqrt at 0 on the selected branch),
  the gradient is +inf, as NumPy arithmetic, PyTorch and JAX give.

Each check runs in both modes: reverse (`grad`) and forward (`jvp`, one basis
tangent at a time), so that the two modes agree on every convention.
"""
import math
import time
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import srcgrad

MODES = ("reverse", "forward")


def gradient(f, x, mode, wrt_others=()):
    """df/dx at x (x a Python number or an ndarray), in `mode`.

    forward mode builds the gradient from one jvp per basis tangent, so both
    modes return the same structure: a number for a number, an array of x's
    shape for an array.
    """
    if mode == "reverse":
        return srcgrad.grad(f)(x, *wrt_others)
    if not isinstance(x, np.ndarray):
        one = type(x)(1) if isinstance(x, np.generic) else 1.0
        zeros = tuple(0.0 for _ in wrt_others)
        return srcgrad.jvp(f, (x, *wrt_others), (one, *zeros))[1]
    out = np.zeros(x.shape, dtype=np.result_type(x.dtype, np.float16))
    flat = out.reshape(-1)
    for i in range(x.size):
        e = np.zeros(x.size, dtype=out.dtype)
        e[i] = 1
        zeros = tuple(0.0 for _ in wrt_others)
        flat[i] = srcgrad.jvp(f, (x, *wrt_others), (e.reshape(x.shape), *zeros))[1]
    return out


def two_gradients(f, x, y, mode):
    """(df/dx, df/dy) of a function of two Python floats, in `mode`."""
    if mode == "reverse":
        return srcgrad.grad(f, wrt=(0, 1))(x, y)
    return (srcgrad.jvp(f, (x, y), (1.0, 0.0))[1], srcgrad.jvp(f, (x, y), (0.0, 1.0))[1])


@pytest.fixture(autouse=True)
def _quiet_numpy():
    # Several cases evaluate sqrt/log/1/x outside their domain in a branch that
    # np.where then discards: NumPy warns there, in the user's function too.
    with np.errstate(all="ignore"):
        yield


# --- abs at 0 -----------------------------------------------------------------


def np_abs(x):
    return np.abs(x)


def builtin_abs(x):
    return abs(x)


def sum_np_abs(x):
    return np.sum(np.abs(x))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [np_abs, builtin_abs], ids=["np.abs", "abs"])
def test_abs_at_zero_is_zero(f, mode):
    assert gradient(f, 0.0, mode) == 0.0
    assert gradient(f, -2.0, mode) == -1.0
    assert gradient(f, 2.0, mode) == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_abs_of_an_array_with_a_zero(mode):
    g = gradient(sum_np_abs, np.array([-1.5, 0.0, 2.0]), mode)
    assert_array_equal(g, [-1.0, 0.0, 1.0])


# --- ties split evenly ----------------------------------------------------------


def np_maximum(x, y):
    return np.maximum(x, y)


def np_minimum(x, y):
    return np.minimum(x, y)


def builtin_max(x, y):
    return max(x, y)


def builtin_min(x, y):
    return min(x, y)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [np_maximum, np_minimum, builtin_max, builtin_min],
                         ids=["np.maximum", "np.minimum", "max", "min"])
def test_binary_tie_splits_evenly(f, mode):
    dx, dy = two_gradients(f, 1.5, 1.5, mode)
    assert (dx, dy) == (0.5, 0.5)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, x, y, expected", [
    (np_maximum, 2.0, 1.0, (1.0, 0.0)),
    (np_maximum, 1.0, 2.0, (0.0, 1.0)),
    (np_minimum, 2.0, 1.0, (0.0, 1.0)),
    (builtin_max, -1.0, -3.0, (1.0, 0.0)),
    (builtin_min, -1.0, -3.0, (0.0, 1.0)),
], ids=["maximum_x", "maximum_y", "minimum_y", "max_x", "min_y"])
def test_binary_no_tie_picks_one_side(f, x, y, expected, mode):
    assert two_gradients(f, x, y, mode) == expected


def relu_sum(x):
    return np.sum(np.maximum(x, 0.0))


@pytest.mark.parametrize("mode", MODES)
def test_relu_at_zero_splits_with_the_constant(mode):
    # the constant 0.0 takes the other half: relu'(0) = 1/2 (PyTorch's relu
    # says 0, its torch.maximum says 1/2; see docs/reliability.md)
    assert_array_equal(gradient(relu_sum, np.array([-1.0, 0.0, 3.0]), mode), [0.0, 0.5, 1.0])


def np_max(x):
    return np.max(x)


def np_min(x):
    return np.min(x)


def max_rows(x):
    return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, x, expected", [
    (np_max, [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    (np_max, [2.0, 2.0, 2.0], [1 / 3, 1 / 3, 1 / 3]),
    (np_min, [1.0, 1.0, 3.0, 1.0], [1 / 3, 1 / 3, 0.0, 1 / 3]),
    (max_rows, [[4.0, 4.0, 0.0], [1.0, 7.0, 7.0]], [[0.5, 0.5, 0.0], [0.0, 1.0, 1.0]]),
], ids=["max_two_way", "max_three_way", "min_three_way", "max_axis"])
def test_reduction_tie_splits_evenly(f, x, expected, mode):
    assert_allclose(gradient(f, np.array(x), mode), expected, rtol=1e-15, atol=0)


# --- clip at its bounds ---------------------------------------------------------


def clip_sum(x):
    return np.sum(np.clip(x, -1.0, 1.0))


@pytest.mark.parametrize("mode", MODES)
def test_clip_at_the_bounds_splits_evenly(mode):
    # clip(x, lo, hi) = minimum(maximum(x, lo), hi): a tie at each bound, the
    # central difference there is 1/2
    g = gradient(clip_sum, np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), mode)
    assert_array_equal(g, [0.0, 0.5, 1.0, 0.5, 0.0])


# --- np.where: the branch not taken never poisons the gradient ---------------------


def where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def where_log(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def where_reciprocal(x):
    return np.sum(np.where(x != 0, 1.0 / x, 0.0))


def where_overflow(x):
    return np.sum(np.where(x > 100.0, 1.0, np.exp(x)))


def where_nan_constant(x):
    return np.sum(np.where(x > 0, x * x, np.nan))


@pytest.mark.parametrize("mode", MODES)
def test_where_sqrt_branch_not_taken_at_negative_and_zero(mode):
    # d/dx where(x > 0, sqrt(x), 0): 0 where the branch is not taken (x <= 0,
    # sqrt(-1) = nan and sqrt'(0) = inf there), 1 / (2 sqrt(x)) elsewhere
    g = gradient(where_sqrt, np.array([-1.0, 0.0, 4.0]), mode)
    assert_array_equal(g, [0.0, 0.0, 0.25])


@pytest.mark.parametrize("mode", MODES)
def test_where_sqrt_branch_not_taken_at_negative_only(mode):
    g = gradient(where_sqrt, np.array([-1.0, 1.0, 4.0]), mode)
    assert_array_equal(g, [0.0, 0.5, 0.25])


@pytest.mark.parametrize("mode", MODES)
def test_where_log_branch_not_taken(mode):
    g = gradient(where_log, np.array([-1.0, 0.0, 2.0]), mode)
    assert_array_equal(g, [0.0, 0.0, 0.5])


@pytest.mark.parametrize("mode", MODES)
def test_where_division_by_zero_not_taken(mode):
    g = gradient(where_reciprocal, np.array([0.0, 2.0]), mode)
    assert_array_equal(g, [0.0, -0.25])


@pytest.mark.parametrize("mode", MODES)
def test_where_overflow_to_inf_not_taken(mode):
    # exp(1000) = inf in the branch not taken at x = 1000
    g = gradient(where_overflow, np.array([1.0, 1000.0]), mode)
    assert_array_equal(g, [math.e, 0.0])


@pytest.mark.parametrize("mode", MODES)
def test_where_nan_constant_not_taken(mode):
    g = gradient(where_nan_constant, np.array([3.0, -1.0]), mode)
    assert_array_equal(g, [6.0, 0.0])


def where_sqrt_taken_at_zero(x):
    return np.sum(np.where(x >= 0, np.sqrt(x), 0.0))


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


@pytest.mark.parametrize("mode", MODES)
def test_where_sqrt_branch_taken_at_zero_is_plus_inf(mode):
    # Documented: where the branch IS taken at 0, the derivative of sqrt there
    # is +inf (the one-sided limit); NumPy arithmetic, PyTorch and JAX agree.
    # The other entries stay finite and exact.
    g = gradient(where_sqrt_taken_at_zero, np.array([0.0, 4.0]), mode)
    assert np.isposinf(g[0])
    assert g[1] == 0.25


@pytest.mark.parametrize("mode", MODES)
def test_sqrt_at_zero_is_plus_inf(mode):
    g = gradient(sqrt_sum, np.array([0.0, 1.0]), mode)
    assert np.isposinf(g[0]) and g[1] == 0.5


def safe_sqrt(x):
    # the "double where" idiom: the argument of sqrt never leaves its domain
    return np.sum(np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0))


@pytest.mark.parametrize("mode", MODES)
def test_double_where_idiom(mode):
    g = gradient(safe_sqrt, np.array([-1.0, 0.0, 4.0]), mode)
    assert_array_equal(g, [0.0, 0.0, 0.25])


def ifexp_sqrt(x):
    return math.sqrt(x) if x > 0.0 else 0.0


@pytest.mark.parametrize("mode", MODES)
def test_python_conditional_at_zero_takes_the_constant_branch(mode):
    assert gradient(ifexp_sqrt, 0.0, mode) == 0.0
    assert gradient(ifexp_sqrt, 4.0, mode) == 0.25


# --- powers ------------------------------------------------------------------------


def square(x):
    return x ** 2


def square_float_exponent(x):
    return x ** 2.0


def cube(x):
    return x ** 3


def np_power_two(x):
    return np.power(x, 2)


def square_root_power(x):
    return x ** 0.5


def sum_of_squares(x):
    return np.sum(x ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, x, expected", [
    (square, 0.0, 0.0),
    (square, -3.0, -6.0),
    (square_float_exponent, 0.0, 0.0),
    (square_float_exponent, -1.0, -2.0),
    (cube, 0.0, 0.0),
    (cube, -2.0, 12.0),
    (np_power_two, 0.0, 0.0),
    (np_power_two, -3.0, -6.0),
    (square_root_power, 4.0, 0.25),
    (square_root_power, 0.25, 1.0),
], ids=["sq_0", "sq_neg", "sqf_0", "sqf_neg", "cube_0", "cube_neg", "power_0", "power_neg",
        "half_4", "half_quarter"])
def test_constant_power_never_takes_a_log(f, x, expected, mode):
    g = gradient(f, x, mode)
    assert not math.isnan(g)
    assert g == expected


@pytest.mark.parametrize("mode", MODES)
def test_square_of_an_all_zero_array(mode):
    assert_array_equal(gradient(sum_of_squares, np.zeros(3), mode), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [0.0, np.array(0.0)], ids=["float", "0d"])
def test_square_root_power_at_zero_is_plus_inf(x, mode):
    # x ** 0.5 at 0: the derivative is +inf, as for np.sqrt. The derivative
    # must not raise where the function itself does not (0.0 ** 0.5 == 0.0).
    g = gradient(square_root_power, x, mode)
    assert np.isposinf(g)


def sum_square_root_power(x):
    return np.sum(x ** 0.5)


def test_square_root_power_zero_tangent_at_zero_stays_zero():
    # forward mode along e2 at x = [0, 4]: the directional derivative is
    # 1 / (2 * 2) = 0.25; the entry at 0 has a zero tangent, which must stay
    # zero (as np.sqrt's tangent does), not become 0 * inf = nan
    _, t = srcgrad.jvp(sum_square_root_power, (np.array([0.0, 4.0]),), (np.array([0.0, 1.0]),))
    assert t == 0.25
    _, t = srcgrad.jvp(sqrt_sum, (np.array([0.0, 4.0]),), (np.array([0.0, 1.0]),))
    assert t == 0.25


def weighted_root(x, w):
    return w * x ** 0.5 + x


def pair_energy(xs):
    e = 0.0
    for i in range(len(xs)):
        for j in range(len(xs)):
            w = 0.0 if i == j else 1.0
            e = e + w * ((xs[i] - xs[j]) ** 2) ** 0.5
    return e


def test_a_zero_adjoint_through_a_fractional_power_at_zero_stays_zero_on_numbers():
    # w * x ** 0.5 + x at x = w = 0: d/dx is 1, the inf of d(x ** 0.5)/dx met by the zero
    # adjoint w * 1 (FINDINGS25 #5: on Python numbers the guard was written as a plain `*`,
    # giving NaN; an array argument gave 1). (Forward mode meets inf first, as a tangent
    # x_dot * inf, then w * inf: NaN on numbers and arrays alike.)
    assert srcgrad.grad(weighted_root)(0.0, 0.0) == 1.0
    assert srcgrad.grad(weighted_root)(np.array(0.0), 0.0) == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_a_zero_tangent_through_a_fractional_power_at_zero_stays_zero_on_numbers(mode):
    # the self-pair has weight 0 and distance 0: the inf derivative of its root meets a
    # zero adjoint (reverse) or a zero tangent (forward), and must not poison the rest
    xs = [0.0, 1.0, 2.0]
    for x in (xs, np.array(xs)):
        if mode == "reverse":
            assert_allclose(srcgrad.grad(pair_energy)(x), [-4.0, 0.0, 4.0])
        else:
            _, t = srcgrad.jvp(pair_energy, (x,), ([1.0, 0.0, 0.0] if isinstance(x, list) else np.eye(3)[0],))
            assert t == -4.0


# --- the 2-norm at 0 ---------------------------------------------------------------


def norm(x):
    return np.linalg.norm(x)


def row_norms(x):
    return np.sum(np.linalg.norm(x, axis=1))


@pytest.mark.parametrize("mode", MODES)
def test_norm_at_zero_has_zero_gradient(mode):
    g = gradient(norm, np.zeros(3), mode)
    assert_array_equal(g, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("mode", MODES)
def test_norm_away_from_zero(mode):
    assert_allclose(gradient(norm, np.array([3.0, 4.0]), mode), [0.6, 0.8], rtol=1e-15)


@pytest.mark.parametrize("mode", MODES)
def test_row_norm_with_a_zero_row(mode):
    g = gradient(row_norms, np.array([[0.0, 0.0], [3.0, 4.0]]), mode)
    assert_allclose(g, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-15, atol=0)


# --- dtypes ------------------------------------------------------------------------


def tanh_loss(x):
    return np.sum(np.tanh(x) * x ** 2)


def tanh_loss_grad(x):
    """By hand: d/dx tanh(x) x^2 = (1 - tanh^2 x) x^2 + 2 x tanh x."""
    x = np.asarray(x, dtype=np.float64)
    t = np.tanh(x)
    return (1.0 - t * t) * x * x + 2.0 * x * t


def test_float32_array_keeps_float32_in_reverse():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    g = srcgrad.grad(tanh_loss)(x)
    assert isinstance(g, np.ndarray) and g.dtype == np.float32 and g.shape == (3,)
    assert_allclose(g, tanh_loss_grad(x), rtol=1e-5)


def test_float32_array_keeps_float32_in_forward():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    out, tangent = srcgrad.jvp(tanh_loss, (x,), (np.ones(3, dtype=np.float32),))
    assert np.asarray(out).dtype == np.float32
    assert np.asarray(tangent).dtype == np.float32
    assert_allclose(tangent, tanh_loss_grad(x).sum(), rtol=1e-5)


def test_float32_zero_d_array_keeps_float32():
    x = np.array(2.0, dtype=np.float32)
    g = srcgrad.grad(tanh_loss)(x)
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float32
    _, t = srcgrad.jvp(tanh_loss, (x,), (np.array(1.0, dtype=np.float32),))
    assert np.asarray(t).dtype == np.float32


def test_float32_numpy_scalar_keeps_float32_in_reverse():
    # a np.float32 scalar is a float32 input; its gradient should be float32
    # too (forward mode gives np.float32; see test below)
    g = srcgrad.grad(tanh_loss)(np.float32(2.0))
    assert np.asarray(g).dtype == np.float32, type(g)
    assert_allclose(g, tanh_loss_grad(2.0), rtol=1e-5)


def test_float32_numpy_scalar_keeps_float32_in_forward():
    # the tangent has the dtype of the value, which is NumPy's own: float32 under
    # NEP 50 (NumPy 2), float64 under NumPy 1.x, where np.float32(2.0) ** 2 is float64
    out, t = srcgrad.jvp(tanh_loss, (np.float32(2.0),), (np.float32(1.0),))
    own = tanh_loss(np.float32(2.0))
    assert type(out) is type(own) and type(t) is type(own)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert type(t) is np.float32
    assert_allclose(t, tanh_loss_grad(2.0), rtol=1e-5)


def test_float32_empty_array_keeps_float32():
    g = srcgrad.grad(sum_of_squares)(np.zeros(0, dtype=np.float32))
    assert g.dtype == np.float32 and g.shape == (0,)


def mul_self(x):
    return x * x


def test_python_int_gives_a_python_float_gradient():
    g = srcgrad.grad(mul_self)(3)
    assert type(g) is float and g == 6.0


def test_python_int_forward():
    out, t = srcgrad.jvp(mul_self, (3,), (1.0,))
    assert out == 9 and t == 6.0
    assert np.asarray(t).dtype.kind == "f"


def test_int_array_gives_a_float64_gradient():
    g = srcgrad.grad(sum_of_squares)(np.arange(3))
    assert isinstance(g, np.ndarray) and g.dtype == np.float64
    assert_array_equal(g, [0.0, 2.0, 4.0])


def test_int_array_with_a_float_tangent_gives_a_float_tangent():
    _, t = srcgrad.jvp(tanh_loss, (np.arange(3),), (np.ones(3),))
    assert np.asarray(t).dtype == np.float64
    assert_allclose(t, tanh_loss_grad(np.arange(3)).sum(), rtol=1e-14)


def test_int_zero_d_array_gives_a_float64_gradient():
    g = srcgrad.grad(sum_of_squares)(np.array(3))
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64 and g == 6.0


def test_bool_is_not_a_wrt_argument():
    with pytest.raises(srcgrad.SrcGradError, match="bool"):
        srcgrad.grad(mul_self)(True)


# --- 0-d and empty arrays ---------------------------------------------------------------


def test_zero_d_array_gradient_is_a_zero_d_array():
    g = srcgrad.grad(tanh_loss)(np.array(1.5))
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
    assert_allclose(g, tanh_loss_grad(1.5), rtol=1e-14)


def test_zero_d_array_forward():
    out, t = srcgrad.jvp(tanh_loss, (np.array(1.5),), (np.array(1.0),))
    assert_allclose(out, np.tanh(1.5) * 2.25, rtol=1e-14)
    assert np.shape(t) == ()
    assert_allclose(t, tanh_loss_grad(1.5), rtol=1e-14)


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3)])
def test_empty_array_gives_an_empty_gradient(shape):
    g = srcgrad.grad(sum_of_squares)(np.zeros(shape))
    assert isinstance(g, np.ndarray) and g.shape == shape and g.dtype == np.float64


def test_empty_array_forward():
    out, t = srcgrad.jvp(sum_of_squares, (np.zeros(0),), (np.zeros(0),))
    assert out == 0.0 and t == 0.0


def empty_dot(x):
    return np.sum(x @ x.T) + np.sum(x ** 2)


def test_empty_array_through_matmul():
    g = srcgrad.grad(empty_dot)(np.zeros((2, 0)))
    assert g.shape == (2, 0)


# --- very long loops ---------------------------------------------------------------------


N = 100_000


def recurrence(x):
    y = x
    for i in range(100000):
        y = 0.5 * y + 0.5 * math.sin(y)
    return y


def power_loop(a, n):
    y = 1.0
    for i in range(n):
        y = y * a
    return y


def while_loop(x):
    y = x
    i = 0
    while i < 100000:
        y = y * 0.99999 + 0.00001
        i = i + 1
    return y


def _recurrence_by_hand(x):
    y, dy = x, 1.0
    for _ in range(N):
        y, dy = 0.5 * y + 0.5 * math.sin(y), dy * (0.5 + 0.5 * math.cos(y))
    return y, dy


def _peak_mb(call):
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1e6


def test_hundred_thousand_iterations_reverse():
    df = srcgrad.grad(recurrence)
    start = time.perf_counter()
    g, peak = _peak_mb(lambda: df(1.3))
    elapsed = time.perf_counter() - start
    _, expected = _recurrence_by_hand(1.3)
    assert g == pytest.approx(expected, rel=1e-9)
    # the tape holds a few floats per iteration: a few MB, not hundreds
    assert peak < 64, f"peak traced memory {peak:.1f} MB"
    assert elapsed < 60


def test_hundred_thousand_iterations_forward():
    out, t = srcgrad.jvp(recurrence, (1.3,), (1.0,))
    y, dy = _recurrence_by_hand(1.3)
    assert out == pytest.approx(y, rel=1e-12)
    assert t == pytest.approx(dy, rel=1e-9)


def test_long_loop_with_a_runtime_trip_count():
    a = 1.0000001
    g = srcgrad.grad(power_loop)(a, N)
    assert g == pytest.approx(N * a ** (N - 1), rel=1e-9)


def test_long_while_loop():
    g, peak = _peak_mb(lambda: srcgrad.grad(while_loop)(2.0))
    assert g == pytest.approx(0.99999 ** N, rel=1e-9)
    assert peak < 64


def test_repeated_long_runs_do_not_grow_memory():
    df = srcgrad.grad(recurrence)
    df(0.7)
    tracemalloc.start()
    try:
        df(0.7)
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            df(0.7)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - first < 1e6, f"memory grew by {(after - first) / 1e6:.2f} MB over 3 runs"


# --- NaN and inf inputs propagate ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_nan_input_gives_a_nan_gradient(mode):
    assert math.isnan(gradient(mul_self, float("nan"), mode))


def test_nan_entry_poisons_only_its_own_entry_in_reverse():
    x = np.array([np.nan, 1.0, -2.0])
    g = srcgrad.grad(tanh_loss)(x)
    assert math.isnan(g[0])
    assert_allclose(g[1:], tanh_loss_grad(x[1:]), rtol=1e-14)


def test_nan_entry_in_forward_mode_is_not_an_exception():
    # forward mode sums t_j * f'(x_j) over all entries: a zero tangent times
    # the NaN derivative is NaN (IEEE 0 * nan), in every forward-mode AD tool
    x = np.array([np.nan, 1.0, -2.0])
    out, t = srcgrad.jvp(tanh_loss, (x,), (np.array([1.0, 0.0, 0.0]),))
    assert math.isnan(out) and math.isnan(t)


def test_nan_input_through_vjp():
    out, pullback = srcgrad.vjp(tanh_loss, np.array([np.nan, 1.0]))
    assert math.isnan(out)
    g = pullback(1.0)
    assert math.isnan(g[0]) and g[1] == pytest.approx(tanh_loss_grad(1.0))


@pytest.mark.parametrize("mode", MODES)
def test_inf_input(mode):
    assert gradient(mul_self, float("inf"), mode) == float("inf")


def nan_in_loop(x):
    s = 0.0
    for v in x:
        s = s + v * v
    return s


def test_nan_inside_a_loop_is_not_an_exception():
    g = srcgrad.grad(nan_in_loop)(np.array([1.0, np.nan, 3.0]))
    assert g[0] == 2.0 and math.isnan(g[1]) and g[2] == 6.0
