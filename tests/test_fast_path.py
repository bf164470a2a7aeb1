"""The fast path without NaN guards and its NaN-safe twin (srcgrad/optimize/fastpath.py).

The fast function must give exactly the twin's gradient whenever it has no
NaN, hand over to the twin when a guard would have mattered, and exist only
where running the function twice is harmless.
"""
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad.runtime import has_nan


def central(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def smooth(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2))


def clipped_growth(x):
    # exp overflows on the side np.where does not select: its adjoint is 0 there
    return np.sum(np.where(x < 50.0, np.exp(x), 0.0) + np.where(x < 60.0, np.exp(0.5 * x), 0.0))


def value_of_both(x):
    return np.sum(np.exp(np.sin(x)) * np.exp(np.cos(x)))


def with_print(x):
    print("forward ran")
    return np.sum(np.exp(x) * np.exp(2.0 * x))


def writes_a_copy(x):
    y = x * 1.0
    y[0] = 2.0
    return np.sum(np.exp(y) * np.exp(0.5 * y))


def record_loss(params, x):
    h = np.tanh(x @ params["W"] + params["b"])
    return np.sum(np.exp(h) * np.exp(-h))


def functions_of(df) -> list[str]:
    return srcgrad.source(df, nan_safe=True).split("\n\n\ndef ")


def fast_and_twin(df, kinds=("array",)):
    return df._function(kinds), df._function(kinds, nan_safe=True)


def test_the_fast_path_is_plain_numpy_with_a_check_and_a_twin():
    x = np.linspace(-2.0, 2.0, 9)
    df = srcgrad.grad(smooth)
    df(x)
    fast, twin = functions_of(df)
    assert "masked_product" not in fast and "tangent_ratio" not in fast
    assert "with raise_float_errors():" in fast
    assert "except FloatingPointError:" in fast
    assert "if has_nan(dx):" in fast and "return grad_smooth_nan_safe(x)" in fast
    assert twin.startswith("grad_smooth_nan_safe(x):")
    assert "masked_product" in twin


@pytest.mark.parametrize("seed", range(5))
def test_the_fast_gradient_is_bitwise_the_twins_and_right(seed):
    x = np.random.default_rng(seed).normal(scale=2.0, size=50)
    df = srcgrad.grad(smooth)
    got = df(x)
    fast, twin = fast_and_twin(df)
    np.testing.assert_array_equal(fast(x), twin(x))
    np.testing.assert_array_equal(got, twin(x))
    np.testing.assert_allclose(got, central(smooth, x), rtol=1e-6, atol=1e-9)


def test_a_nan_from_a_zeroed_adjoint_hands_over_to_the_twin():
    x = np.array([-1.0, 0.5, 2.0, 800.0])
    df = srcgrad.grad(clipped_growth)
    with np.errstate(over="ignore"):
        df(x[:3])
    fast_body, twin = functions_of(df)
    assert "masked_product" not in fast_body
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fast path's 0 * inf stays quiet
        with np.errstate(over="ignore"):  # exp(800) in the forward sweep is the user's own
            g = df(x)
    expected = np.exp(x[:3]) + 0.5 * np.exp(0.5 * x[:3])
    np.testing.assert_allclose(g[:3], expected, rtol=1e-12)
    assert g[3] == 0.0  # not NaN: the twin's guard kept the unselected entry 0


def test_value_and_grad_keeps_its_value_on_both_paths():
    vg = srcgrad.value_and_grad(clipped_growth)
    for x in (np.array([0.1, -0.3]), np.array([0.1, 900.0])):
        with np.errstate(over="ignore"):
            value, g = vg(x)
            assert value == pytest.approx(clipped_growth(x), rel=1e-14)
        assert not np.isnan(g).any()
    assert "value_and_grad_clipped_growth_nan_safe" in vg.source


def test_values_that_are_right_stay_with_the_fast_path():
    x = np.array([0.3, -1.1, 2.5])
    df = srcgrad.grad(value_of_both)
    np.testing.assert_allclose(df(x), central(value_of_both, x), rtol=1e-7)
    assert len(functions_of(df)) == 2


def test_no_twin_where_running_twice_would_show(capsys):
    x = np.array([0.1, 0.2])
    df = srcgrad.grad(with_print)
    g = df(x)
    assert capsys.readouterr().out == "forward ran\n"
    assert len(functions_of(df)) == 1
    np.testing.assert_allclose(g, 3.0 * np.exp(3.0 * x), rtol=1e-12)


def test_no_twin_where_the_function_writes_in_place():
    x = np.array([0.1, 0.2, -0.4])
    df = srcgrad.grad(writes_a_copy)
    g = df(x)
    assert len(functions_of(df)) == 1
    np.testing.assert_allclose(g, central(writes_a_copy, x), rtol=1e-7)


def test_few_guards_check_their_own_results_not_the_gradients():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    x = rng.normal(size=(5, 3))
    df = srcgrad.grad(record_loss)
    g = df(params, x)
    fast, twin = functions_of(df)  # two guards, two gradient arrays: each guard's result checked
    assert fast.count("nan_free(") == 2 and "has_nan" not in fast and "masked_product" not in fast
    expected = df._function(("record", "array"), nan_safe=True)(params, x)
    for key in g:
        np.testing.assert_array_equal(g[key], expected[key])


def guarded_in_a_loop(p, x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.exp(p["w"] * i) * np.exp(-x))
    return total


def test_no_twin_where_few_guards_run_in_a_loop():
    p, x = {"w": np.array([0.1, 0.2])}, np.array([0.3, -0.4])
    df = srcgrad.grad(guarded_in_a_loop)
    g = df(p, x)
    assert len(functions_of(df)) == 1  # a check per iteration would cost what the guards do
    np.testing.assert_allclose(g["w"], sum(i * np.exp(p["w"] * i - x) for i in range(3)), rtol=1e-12)


def test_hvp_differentiates_the_twin_alone():
    x = np.array([0.4, -0.7, 1.3])
    v = np.array([1.0, 0.5, -2.0])
    grad = srcgrad.grad(smooth)
    expected = (grad(x + 1e-6 * v) - grad(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcgrad.hvp(smooth)(x, v=v), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("value, found", [
    (1.0, False), (float("nan"), True), (np.array([1.0, np.inf]), False),
    (np.array([1.0, np.nan]), True), (np.array([np.inf, -np.inf]), False),
    ({"a": np.zeros(2), "b": [0.0, float("nan")]}, True), ((np.zeros(3), 2.0), False),
    (np.arange(3), False), (None, False), (np.array([1.0, 2.0], dtype=np.float32), False),
    (np.array(["a"], dtype=object), True),
])
def test_has_nan(value, found):
    assert has_nan(value) is found


def clipped_growth_again(x):  # its own compile cache entry: nobody has asked for its twin
    return np.sum(np.where(x < 50.0, np.exp(x), 0.0) + np.where(x < 60.0, np.exp(0.5 * x), 0.0))


def test_the_twin_is_compiled_when_first_needed():
    df = srcgrad.grad(clipped_growth_again)
    df(np.array([0.1, 0.2]))
    compiled = df._compiled()
    assert compiled._twin_compiled is None  # no NaN yet, nobody asked for the source
    with np.errstate(over="ignore"):
        g = df(np.array([0.1, 900.0]))
        again = df(np.array([0.1, 900.0]))  # the twin now sits in the fast path's cell
    assert compiled._twin_compiled is not None
    assert g[1] == 0.0 and again[1] == 0.0


def test_the_twin_is_shown_only_when_asked():
    df = srcgrad.grad(smooth)
    df(np.linspace(-2.0, 2.0, 9))
    shown = srcgrad.source(df)
    assert shown == df.source
    assert "def grad_smooth_nan_safe" not in shown and "masked_product" not in shown
    assert shown.endswith("# grad_smooth_nan_safe: the same with NaN guards (0 * inf stays 0); "
                          "source(..., nan_safe=True) shows it\n")
    full = srcgrad.source(df, nan_safe=True)
    assert full.startswith(shown.rsplit("\n# grad_smooth_nan_safe", 1)[0])
    assert "\n\n\ndef grad_smooth_nan_safe(x):\n" in full and "masked_product" in full
    assert srcgrad.source(smooth, mode="reverse", nan_safe=True) == full
