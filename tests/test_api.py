"""The public API of SPEC sections 1 and 3, on straight-line code.

Every expected gradient is derived by hand or by central differences in
this file; none is copied from srcgrad's output.
"""
import ast
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import Options, derive

# --- helpers ------------------------------------------------------------------


def numeric_grad(fun, args, index, eps=1e-6):
    """Central differences of scalar `fun` w.r.t. args[index] (float or array)."""
    args = list(args)
    x = args[index]
    if isinstance(x, np.ndarray):
        x = np.array(x, dtype=np.float64)
        out = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            hi, lo = x.copy(), x.copy()
            hi[i] += eps
            lo[i] -= eps
            out[i] = (float(fun(*args[:index], hi, *args[index + 1:]))
                      - float(fun(*args[:index], lo, *args[index + 1:]))) / (2 * eps)
        return out
    x = float(x)
    return (float(fun(*args[:index], x + eps, *args[index + 1:]))
            - float(fun(*args[:index], x - eps, *args[index + 1:]))) / (2 * eps)


def forward_and_backward(source: str) -> tuple[str, str]:
    """Split generated source at the first backward-sweep comment."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("# backward"):
            return "\n".join(lines[:i]), "\n".join(lines[i:])
    raise AssertionError(f"no backward sweep in:\n{source}")


# log_or_zero (d(x ** y)/dy) and power_derivative (d(x ** c)/dx, inf rather than an
# error at 0) are srcgrad's helpers; on Python numbers they use only math and operators.
_SCALAR_CALLS = {"abs", "float", "max", "min", "log_or_zero", "power_derivative", "pole_ratio"}


def non_scalar_calls(code: str) -> list[str]:
    """Calls in `code` other than `math.*` and scalar builtins (e.g. NumPy helpers)."""
    tree = ast.parse(textwrap.dedent(code))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if not (name.startswith("math.") or name in _SCALAR_CALLS):
                out.append(name)
    return out


# --- functions under test -----------------------------------------------------


def poly(x, y):
    return x * x * y + 3.0 * y


def tanh_sum(x, y):
    return np.sum(np.tanh(x * y) ** 2)


def three(a, b, c):
    return a * b + b * c * c


def with_default(x, y=2.0):
    return x * x * y


def with_kwonly(x, *, scale=3.0):
    return scale * x ** 3


def ignores_y(x, y):
    return np.sum(x * x)


def ignores_scalar(x, s):
    return 2.0 * x


def square_sum(x):
    return np.sum(x * x)


def lemonade_loss(price):
    return (price - 5) ** 2


def lemonade_profit(price):
    profit = -(price - 5) ** 2
    return -profit


RATE = 4.0


def uses_global(x):
    return RATE * x * x


def make_closure(c):
    def f(x):
        return c * np.sin(x)
    return f


def make_mutable_closure():
    scale = 2.0

    def f(x):
        return scale * x * x

    def set_scale(v):
        nonlocal scale
        scale = v

    return f, set_scale


def scalar_math(x, y):
    a = math.sin(x) * y
    b = math.exp(a) / (1.0 + y * y)
    c = math.sqrt(x * x + 1.0) - math.log(y)
    return a + b * c


def scalar_pow(x, y):
    return x ** y + y ** 2.0 - 3.0 ** x


def scalar_kwonly(x, *, scale=3.0):
    return scale * x ** 3 + x / scale


def clash(x, dx):
    _t1 = x * dx
    d_x = np.sin(_t1)
    unbroadcast = d_x * x
    np2 = unbroadcast + dx
    numpy = np2 * np2
    return np.sum(numpy)


def clash_scalar(x, dx):
    _t1 = x * dx
    _dt1 = math.sin(_t1)
    ddx = _dt1 * x + dx
    return ddx * ddx


# --- grad: the three forms ----------------------------------------------------


def test_grad_call_form_defaults_to_first_argument():
    df = srcgrad.grad(poly)
    assert df(3.0, 2.0) == pytest.approx(2 * 3.0 * 2.0)


def test_grad_decorator_form():
    @srcgrad.grad
    def d_poly(x, y):
        return x * x * y + 3.0 * y

    assert d_poly(3.0, 2.0) == pytest.approx(12.0)


def test_grad_decorator_with_options():
    @srcgrad.grad(wrt=("x", "y"))
    def d_poly(x, y):
        return x * x * y + 3.0 * y

    dx, dy = d_poly(3.0, 2.0)
    assert dx == pytest.approx(12.0)
    assert dy == pytest.approx(3.0 * 3.0 + 3.0)


# --- wrt ----------------------------------------------------------------------


def test_wrt_int():
    assert srcgrad.grad(three, wrt=1)(2.0, 3.0, 5.0) == pytest.approx(2.0 + 25.0)


def test_wrt_negative_int_counts_from_the_end():
    assert srcgrad.grad(three, wrt=-1)(2.0, 3.0, 5.0) == pytest.approx(2 * 3.0 * 5.0)
    assert srcgrad.grad(three, wrt=-3)(2.0, 3.0, 5.0) == pytest.approx(3.0)


def test_wrt_name():
    assert srcgrad.grad(three, wrt="c")(2.0, 3.0, 5.0) == pytest.approx(30.0)


def test_wrt_tuple_mixes_ints_and_names():
    da, dc = srcgrad.grad(three, wrt=(0, "c"))(2.0, 3.0, 5.0)
    assert (da, dc) == (pytest.approx(3.0), pytest.approx(30.0))


def test_wrt_tuple_order_is_respected():
    dc, da = srcgrad.grad(three, wrt=("c", "a"))(2.0, 3.0, 5.0)
    assert (dc, da) == (pytest.approx(30.0), pytest.approx(3.0))


def test_wrt_tuple_of_one_returns_a_one_tuple():
    out = srcgrad.grad(three, wrt=(1,))(2.0, 3.0, 5.0)
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0] == pytest.approx(27.0)


def test_wrt_all_arrays_matches_hand_derivative():
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.5, 0.25, -0.3])
    dx, dy = srcgrad.grad(tanh_sum, wrt=(0, 1))(x, y)
    t = np.tanh(x * y)
    np.testing.assert_allclose(dx, 2 * t * (1 - t ** 2) * y, rtol=1e-12)
    np.testing.assert_allclose(dy, 2 * t * (1 - t ** 2) * x, rtol=1e-12)


# --- value_and_grad -----------------------------------------------------------


def test_value_and_grad_returns_value_and_single_gradient():
    value, g = srcgrad.value_and_grad(poly)(3.0, 2.0)
    assert value == pytest.approx(3.0 * 3.0 * 2.0 + 6.0)
    assert g == pytest.approx(12.0)


def test_value_and_grad_with_tuple_wrt():
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.5, 0.25, -0.3])
    value, (dx, dy) = srcgrad.value_and_grad(tanh_sum, wrt=("x", "y"))(x, y)
    t = np.tanh(x * y)
    assert float(value) == pytest.approx(float(np.sum(t ** 2)))
    np.testing.assert_allclose(dx, 2 * t * (1 - t ** 2) * y, rtol=1e-12)
    np.testing.assert_allclose(dy, 2 * t * (1 - t ** 2) * x, rtol=1e-12)


def test_value_and_grad_decorator_form():
    @srcgrad.value_and_grad(wrt="y")
    def vg(x, y):
        return x * y * y

    value, dy = vg(2.0, 3.0)
    assert value == pytest.approx(18.0)
    assert dy == pytest.approx(12.0)


# --- signature: defaults and keywords -----------------------------------------


def test_default_argument_is_used():
    assert srcgrad.grad(with_default)(3.0) == pytest.approx(2 * 3.0 * 2.0)


def test_keyword_argument_in_the_call():
    df = srcgrad.grad(with_default)
    assert df(3.0, y=2.0) == pytest.approx(12.0)
    assert df(3.0, y=5.0) == pytest.approx(30.0)
    assert df(x=3.0, y=5.0) == pytest.approx(30.0)


def test_gradient_with_respect_to_a_defaulted_argument():
    assert srcgrad.grad(with_default, wrt="y")(3.0) == pytest.approx(9.0)


def test_keyword_only_argument():
    df = srcgrad.grad(with_kwonly)
    assert df(2.0) == pytest.approx(3.0 * 3 * 4.0)
    assert df(2.0, scale=0.5) == pytest.approx(0.5 * 3 * 4.0)


# --- gradient types -----------------------------------------------------------


def test_float_argument_gives_python_float():
    g = srcgrad.grad(poly)(3.0, 2.0)
    assert type(g) is float


def test_int_argument_gives_python_float():
    g = srcgrad.grad(poly)(3, 2)
    assert type(g) is float
    assert g == 12.0


def test_array_argument_gives_array_of_same_shape():
    x = np.arange(6.0).reshape(2, 3)
    g = srcgrad.grad(square_sum)(x)
    assert isinstance(g, np.ndarray)
    assert g.shape == (2, 3) and g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x)


def test_float32_array_gives_float32_gradient():
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    g = srcgrad.grad(square_sum)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)


def test_int_array_gives_float64_gradient():
    x = np.array([1, -2, 3])
    g = srcgrad.grad(square_sum)(x)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2.0, -4.0, 6.0])


def test_zero_dim_array_gives_zero_dim_array():
    g = srcgrad.grad(square_sum)(np.array(1.5))
    assert isinstance(g, np.ndarray) and g.shape == ()
    assert float(g) == 3.0


def test_unused_array_argument_has_zero_gradient_of_its_shape():
    x = np.ones(3)
    y = np.ones((2, 4))
    dx, dy = srcgrad.grad(ignores_y, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(dx, 2 * x)
    assert isinstance(dy, np.ndarray) and dy.shape == (2, 4) and dy.dtype == np.float64
    assert not dy.any()


def test_unused_scalar_argument_has_zero_float_gradient():
    ds = srcgrad.grad(ignores_scalar, wrt="s")(1.0, 7.0)
    assert type(ds) is float and ds == 0.0


def test_returned_gradient_is_writeable_and_not_a_view_of_the_input():
    x = np.ones(3)
    g = srcgrad.grad(ignores_y, wrt=1)(x, x)
    g[0] = 5.0  # must not raise, must not touch x
    assert x[0] == 1.0


# --- seeing the generated code ------------------------------------------------


def test_source_function_equals_attribute():
    df = srcgrad.grad(poly, wrt=(0, 1))
    df(3.0, 2.0)
    assert srcgrad.source(df) == df.source


def test_source_is_valid_python_with_adjoint_names_and_line_comments():
    df = srcgrad.grad(tanh_sum, wrt=(0, 1))
    df(np.ones(2), np.ones(2))
    text = df.source
    compile(text, "<test>", "exec")
    line = tanh_sum.__code__.co_firstlineno + 1
    assert f"# line {line}" in text
    assert "dx =" in text
    assert "dy =" in text
    assert text.splitlines()[0] == "# built for argument kinds: x=array, y=array"
    assert text.splitlines()[1].startswith("def ")


def test_source_of_a_non_derivative_raises():
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.source(poly)


# --- seed example -------------------------------------------------------------


def test_lemonade_stand_gradient_is_ten():
    price = 10.0
    assert srcgrad.grad(lemonade_loss)(price) == pytest.approx(10.0)


def test_lemonade_stand_with_profit_variable():
    assert srcgrad.grad(lemonade_profit)(10.0) == pytest.approx(10.0)
    assert srcgrad.grad(lemonade_profit)(2.0) == pytest.approx(-6.0)


# --- globals and closures are constants ---------------------------------------


def test_global_is_read_as_a_constant():
    assert srcgrad.grad(uses_global)(3.0) == pytest.approx(2 * RATE * 3.0)


def test_changed_global_is_seen_by_the_next_call():
    global RATE
    df = srcgrad.grad(uses_global)
    old = RATE
    try:
        assert df(1.0) == pytest.approx(8.0)
        RATE = 10.0
        assert df(1.0) == pytest.approx(20.0)
    finally:
        RATE = old


def test_closure_variable_is_read_as_a_constant():
    f = make_closure(2.5)
    assert srcgrad.grad(f)(0.3) == pytest.approx(2.5 * math.cos(0.3))


def test_closure_variable_changed_between_calls_uses_current_value():
    f, set_scale = make_mutable_closure()
    df = srcgrad.grad(f)
    assert df(3.0) == pytest.approx(2 * 2.0 * 3.0)
    set_scale(5.0)
    assert df(3.0) == pytest.approx(2 * 5.0 * 3.0)


# --- Python floats stay Python floats -----------------------------------------


def test_scalar_math_gradient_matches_finite_differences():
    dx, dy = srcgrad.grad(scalar_math, wrt=(0, 1))(0.7, 1.3)
    assert dx == pytest.approx(numeric_grad(scalar_math, (0.7, 1.3), 0), rel=1e-6)
    assert dy == pytest.approx(numeric_grad(scalar_math, (0.7, 1.3), 1), rel=1e-6)
    assert type(dx) is float and type(dy) is float


def test_scalar_math_generates_no_numpy_in_backward_sweep():
    df = srcgrad.grad(scalar_math, wrt=(0, 1))
    df(0.7, 1.3)
    _, backward = forward_and_backward(df.source)
    assert "np." not in backward
    assert "numpy" not in backward
    assert "unbroadcast" not in backward
    assert "unreduce" not in backward


def test_scalar_math_backward_calls_only_math():
    df = srcgrad.grad(scalar_math, wrt=(0, 1))
    df(0.7, 1.3)
    _, backward = forward_and_backward(df.source)
    assert non_scalar_calls(backward) == []


def test_scalar_power_with_active_exponent():
    x, y = 1.7, 0.6
    dx, dy = srcgrad.grad(scalar_pow, wrt=(0, 1))(x, y)
    assert dx == pytest.approx(y * x ** (y - 1) - math.log(3.0) * 3.0 ** x)
    assert dy == pytest.approx(math.log(x) * x ** y + 2 * y)
    assert type(dx) is float and type(dy) is float


def test_scalar_power_with_active_exponent_generates_no_numpy():
    df = srcgrad.grad(scalar_pow, wrt=(0, 1))
    df(1.7, 0.6)
    _, backward = forward_and_backward(df.source)
    assert non_scalar_calls(backward) == []


def test_log_or_zero_keeps_python_numbers_python():
    from srcgrad.runtime import log_or_zero

    assert type(log_or_zero(2.0)) is float and log_or_zero(2.0) == pytest.approx(math.log(2.0))
    assert log_or_zero(0.0) == 0.0


def test_unused_scalar_argument_generates_no_numpy():
    df = srcgrad.grad(ignores_scalar, wrt=(0, 1))
    assert df(1.0, 7.0) == (2.0, 0.0)
    _, backward = forward_and_backward(df.source)
    assert non_scalar_calls(backward) == []


def test_keyword_only_scalar_argument_generates_no_numpy():
    df = srcgrad.grad(scalar_kwonly)
    assert df(2.0, scale=4.0) == pytest.approx(3 * 4.0 * 4.0 + 1 / 4.0)
    _, backward = forward_and_backward(df.source)
    assert non_scalar_calls(backward) == []


def test_source_follows_the_argument_kinds_of_the_last_call():
    df = srcgrad.grad(poly, wrt=(0, 1))
    df(np.array(2.0), np.array(3.0))
    array_source = df.source
    df(2.0, 3.0)
    scalar_source = derive(poly, Options(wrt=("x", "y"), kinds=("scalar", "scalar"))).source
    assert array_source.split("\n", 1)[1] != scalar_source
    assert df.source == "# built for argument kinds: x=scalar, y=scalar\n" + scalar_source
    df(np.array(2.0), np.array(3.0))
    assert df.source == array_source


def test_source_before_any_call_is_valid_python():
    df = srcgrad.grad(tanh_sum)
    compile(srcgrad.source(df), "<test>", "exec")


# --- determinism --------------------------------------------------------------


def test_two_grad_objects_give_identical_source():
    a = srcgrad.grad(tanh_sum, wrt=(0, 1))
    b = srcgrad.grad(tanh_sum, wrt=(0, 1))
    a(np.ones(2), np.ones(2))
    b(np.ones(2), np.ones(2))
    assert a.source == b.source


def test_deriving_twice_gives_identical_source():
    options = Options(wrt=("x", "y"), kinds=("array", "array"))
    assert derive(tanh_sum, options).source == derive(tanh_sum, options).source


_DETERMINISM_MODULE = '''
import math
import numpy as np


def model(w, b, x, t):
    h = np.tanh(x @ w + b)
    scale = math.sqrt(2.0)
    err = h * scale - t
    a, c = err, h
    c = c * a
    return np.mean(err ** 2) + 0.1 * np.sum(w * w) + np.sum(c)
'''

_DETERMINISM_SCRIPT = '''
import numpy as np
import srcgrad
import detmod
df = srcgrad.grad(detmod.model, wrt=("w", "b"))
df(np.ones((3, 2)), np.zeros(2), np.ones((4, 3)), np.zeros((4, 2)))
print(df.source, end="")
'''


def test_generated_source_is_identical_across_processes(tmp_path):
    (tmp_path / "detmod.py").write_text(_DETERMINISM_MODULE)
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(tmp_path))
        result = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT], cwd=tmp_path,
                                env=env, capture_output=True, check=True)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert b"def grad_model" in outputs[0]


# --- hygiene ------------------------------------------------------------------


def test_user_names_that_look_generated_do_not_clash():
    x = np.array([0.3, -0.7, 1.1])
    dx_value = np.array([1.2, 0.4, -0.5])
    gx, gdx = srcgrad.grad(clash, wrt=(0, 1))(x, dx_value)
    np.testing.assert_allclose(gx, numeric_grad(clash, (x, dx_value), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gdx, numeric_grad(clash, (x, dx_value), 1), rtol=1e-6, atol=1e-8)


def test_user_names_that_look_generated_do_not_clash_with_broadcasting():
    x = np.array([[0.3], [-0.7]])            # (2, 1) against (3,): unbroadcast is needed
    dx_value = np.array([1.2, 0.4, -0.5])
    gx, gdx = srcgrad.grad(clash, wrt=(0, 1))(x, dx_value)
    assert gx.shape == (2, 1) and gdx.shape == (3,)
    np.testing.assert_allclose(gx, numeric_grad(clash, (x, dx_value), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gdx, numeric_grad(clash, (x, dx_value), 1), rtol=1e-6, atol=1e-8)


def test_user_adjoint_like_names_with_scalars():
    gx, gdx = srcgrad.grad(clash_scalar, wrt=(0, 1))(0.4, 1.7)
    assert gx == pytest.approx(numeric_grad(clash_scalar, (0.4, 1.7), 0), rel=1e-6)
    assert gdx == pytest.approx(numeric_grad(clash_scalar, (0.4, 1.7), 1), rel=1e-6)


def test_repr_names_function_and_wrt():
    text = repr(srcgrad.grad(three, wrt=("a", "c")))
    assert "three" in text and "a" in text and "c" in text


def loop_carried_return(x):
    s = 0.0
    for i in range(3):
        s = s + x * i
    return s


def written_return(x):
    out = np.zeros(3)
    for i in range(3):
        out[i] = x * i
    return np.sum(out * out)


def test_value_and_grad_returns_the_final_value_of_a_loop_carried_variable():
    # the backward sweep restores s while it runs; the value must be the forward one
    value, g = srcgrad.value_and_grad(loop_carried_return)(2.0)
    assert value == pytest.approx(6.0) and g == pytest.approx(3.0)
    value, g = srcgrad.value_and_grad(written_return)(2.0)
    assert value == pytest.approx(20.0) and g == pytest.approx(20.0)
