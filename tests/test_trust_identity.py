"""Issue 12, "what the function is": the derivative follows what Python would run.

Helpers redefined in a notebook namespace (transitively, through nested defs
and module attributes), global numbers that change value or kind, user rules
registered again, functools.wraps decorators, a source file edited after
import, and the caller's arrays given to jvp / jacobian. Every gradient is
checked against central differences (srcgrad.check_grads) or a closed form,
in reverse and forward mode where the mode applies.
"""
import functools
import importlib
import itertools
import linecache
import sys
import types

import numpy as np
import pytest

import srcgrad
from srcgrad import cache

BOTH = ("reverse", "forward")
_cells = itertools.count(1)


def notebook():
    """A fresh notebook namespace: cells run in it as IPython runs them."""
    return {"np": np, "srcgrad": srcgrad, "__name__": "notebook"}


def run_cell(ns: dict, text: str) -> None:
    """Run `text` in `ns` the way a notebook cell runs: its source kept in linecache."""
    filename = f"<cell {next(_cells)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    exec(compile(text, filename, "exec"), ns)


def both_modes(fun, args, wrt=0):
    srcgrad.check_grads(fun, args, wrt=wrt, modes=BOTH)


# --- helpers redefined (a notebook cell run again) -----------------------------------


def test_a_redefined_global_helper_gives_a_new_grad_its_new_derivative():
    ns = notebook()
    run_cell(ns, "def helper(x):\n    return x ** 2\n")
    run_cell(ns, "def loss(x):\n    return helper(x) * 1.0\n")
    assert srcgrad.grad(ns["loss"])(2.0) == pytest.approx(4.0)
    assert srcgrad.jvp(ns["loss"], (2.0,), (1.0,))[1] == pytest.approx(4.0)
    run_cell(ns, "def helper(x):\n    return x ** 3\n")
    assert ns["loss"](2.0) == 8.0
    assert srcgrad.grad(ns["loss"])(2.0) == pytest.approx(12.0)
    assert srcgrad.jvp(ns["loss"], (2.0,), (1.0,))[1] == pytest.approx(12.0)
    both_modes(ns["loss"], (1.3,))


def test_a_redefined_global_helper_reaches_a_derivative_made_before():
    ns = notebook()
    run_cell(ns, "def helper(x):\n    return np.sin(x)\n")
    run_cell(ns, "def loss(x):\n    return np.sum(helper(x) * x)\n")
    x = np.array([0.3, -1.2, 2.0])
    dloss = srcgrad.grad(ns["loss"])
    for _ in range(3):  # the planned (cached) call path
        np.testing.assert_allclose(dloss(x), np.sin(x) + x * np.cos(x))
    run_cell(ns, "def helper(x):\n    return np.exp(x)\n")
    for _ in range(3):
        np.testing.assert_allclose(dloss(x), np.exp(x) + x * np.exp(x))
    both_modes(ns["loss"], (x,))


def test_a_helper_redefined_two_calls_down_is_followed():
    ns = notebook()
    run_cell(ns, "def inner(x):\n    return x * x\n"
                 "def middle(x):\n    return inner(x) + 1.0\n"
                 "def top(x):\n    return middle(x) * 2.0\n")
    dtop = srcgrad.grad(ns["top"])
    assert dtop(3.0) == pytest.approx(12.0) and dtop(3.0) == pytest.approx(12.0)
    run_cell(ns, "def inner(x):\n    return x * x * x\n")
    assert dtop(3.0) == pytest.approx(54.0)
    assert srcgrad.jvp(ns["top"], (3.0,), (1.0,)) == pytest.approx((56.0, 54.0))
    assert srcgrad.hessian(ns["top"])(3.0) == pytest.approx(36.0)
    both_modes(ns["top"], (0.7,))


def test_a_global_helper_called_from_a_nested_def_is_followed():
    ns = notebook()
    run_cell(ns, "def act(x):\n    return np.tanh(x)\n")
    run_cell(ns, "def loss(x):\n"
                 "    def layer(v):\n"
                 "        return act(v) * 2.0\n"
                 "    return np.sum(layer(x))\n")
    x = np.array([0.5, -0.25])
    dloss = srcgrad.grad(ns["loss"])
    np.testing.assert_allclose(dloss(x), 2.0 * (1.0 - np.tanh(x) ** 2))
    run_cell(ns, "def act(x):\n    return np.sin(x)\n")
    np.testing.assert_allclose(dloss(x), 2.0 * np.cos(x))
    both_modes(ns["loss"], (x,))


def test_a_helper_rebound_as_a_module_attribute_is_followed():
    ns = notebook()
    ns["lib"] = types.ModuleType("lib")
    run_cell(ns, "def square(x):\n    return x * x\n"
                 "def cube(x):\n    return x * x * x\n"
                 "lib.f = square\n"
                 "def loss(x):\n    return lib.f(x) + 0.0\n")
    dloss = srcgrad.grad(ns["loss"])
    assert dloss(2.0) == pytest.approx(4.0) and dloss(2.0) == pytest.approx(4.0)
    ns["lib"].f = ns["cube"]  # importlib.reload rebinds a module's functions like this
    assert dloss(2.0) == pytest.approx(12.0)
    assert srcgrad.jvp(ns["loss"], (2.0,), (1.0,))[1] == pytest.approx(12.0)


def test_a_helper_bound_to_a_library_function_is_followed():
    ns = notebook()
    run_cell(ns, "act = np.tanh\n"
                 "def loss(x):\n    return np.sum(act(x))\n")
    x = np.array([0.2, 1.1])
    dloss = srcgrad.grad(ns["loss"])
    np.testing.assert_allclose(dloss(x), 1.0 - np.tanh(x) ** 2)
    run_cell(ns, "act = np.sin\n")
    np.testing.assert_allclose(dloss(x), np.cos(x))
    both_modes(ns["loss"], (x,))


def test_a_global_that_comes_to_shadow_a_builtin_is_followed():
    ns = notebook()
    run_cell(ns, "def loss(x):\n    return abs(x) * 3.0\n")
    dloss = srcgrad.grad(ns["loss"])
    assert dloss(-2.0) == pytest.approx(-3.0) and dloss(-2.0) == pytest.approx(-3.0)
    run_cell(ns, "def abs(x):\n    return x * x\n")
    assert dloss(-2.0) == pytest.approx(-12.0)
    both_modes(ns["loss"], (-0.6,))


def test_a_helper_rebound_in_a_closure_cell_is_followed_by_every_transform():
    def make():
        act = np.tanh

        def loss(x):
            return np.sum(act(x) * x)

        def switch():
            nonlocal act
            act = np.sin

        return loss, switch

    loss, switch = make()
    x = np.array([0.4, -0.9])
    dloss, vg = srcgrad.grad(loss), srcgrad.value_and_grad(loss)
    t = 1.0 - np.tanh(x) ** 2
    np.testing.assert_allclose(dloss(x), np.tanh(x) + x * t)
    np.testing.assert_allclose(dloss(x), np.tanh(x) + x * t)
    vg(x)
    switch()
    expected = np.sin(x) + x * np.cos(x)
    np.testing.assert_allclose(dloss(x), expected)
    value, g = vg(x)
    assert value == pytest.approx(np.sum(np.sin(x) * x))
    np.testing.assert_allclose(g, expected)
    _, pullback = srcgrad.vjp(loss, x)
    np.testing.assert_allclose(pullback(1.0), expected)
    np.testing.assert_allclose(srcgrad.jvp(loss, (x,), (np.ones(2),))[1], np.sum(expected))
    both_modes(loss, (x,))


def test_calls_without_a_redefinition_do_not_rebuild():
    ns = notebook()
    run_cell(ns, "W = np.ones(3)\n"
                 "def helper(x):\n    return np.tanh(x)\n"
                 "def loss(x):\n    return np.sum(helper(x) * W)\n")
    x = np.array([0.1, 0.2, 0.3])
    dloss = srcgrad.grad(ns["loss"])
    dloss(x)
    before = cache.compile_count
    for step in range(5):  # a training loop at top level rebinds a global array
        ns["W"] = ns["W"] - 0.1 * dloss(x)
    assert cache.compile_count == before
    np.testing.assert_allclose(dloss(x), (1.0 - np.tanh(x) ** 2) * ns["W"])


# --- globals read as constants -----------------------------------------------------------


def test_a_changed_global_number_is_read_when_the_derivative_runs():
    ns = notebook()
    run_cell(ns, "SCALE = 2.0\n"
                 "def loss(x):\n    return SCALE * x * x\n")
    dloss = srcgrad.grad(ns["loss"])
    assert dloss(1.5) == pytest.approx(6.0) and dloss(1.5) == pytest.approx(6.0)
    before = cache.compile_count
    ns["SCALE"] = 5.0
    assert dloss(1.5) == pytest.approx(15.0)
    assert srcgrad.value_and_grad(ns["loss"])(1.5) == pytest.approx((11.25, 15.0))
    assert srcgrad.jvp(ns["loss"], (1.5,), (1.0,)) == pytest.approx((11.25, 15.0))
    assert cache.compile_count - before <= 2  # value_and_grad and jvp: no rebuild for a value


def test_a_global_number_that_becomes_an_array_rebuilds():
    ns = notebook()
    run_cell(ns, "SCALE = 2.0\n"
                 "def loss(x):\n    return np.sum(SCALE * x * x)\n")
    x = 1.5  # a Python number: the derivative was specialised to SCALE being one too
    dloss = srcgrad.grad(ns["loss"])
    assert dloss(x) == pytest.approx(6.0) and dloss(x) == pytest.approx(6.0)
    ns["SCALE"] = np.array([3.0, 0.5])
    assert dloss(x) == pytest.approx(2.0 * 3.5 * x)
    assert srcgrad.jvp(ns["loss"], (x,), (1.0,))[1] == pytest.approx(2.0 * 3.5 * x)
    both_modes(ns["loss"], (x,))


def test_a_closure_number_and_a_closure_array_do_not_share_a_derivative():
    def make(c):
        def scaled(x):
            return np.sum(c * x * x)
        return scaled

    x = 3.0
    assert srcgrad.grad(make(2.0))(x) == pytest.approx(4.0 * x)
    c = np.array([0.5, -1.0])
    assert srcgrad.grad(make(c))(x) == pytest.approx(2.0 * np.sum(c) * x)
    both_modes(make(c), (x,))


# --- user rules registered again (SPEC 5) -------------------------------------------------


def test_a_rule_registered_again_replaces_the_old_one_in_both_modes():
    ns = notebook()
    run_cell(ns, "def op(x):\n    return np.sin(x)\n"
                 "def loss(x):\n    return np.sum(op(x) * 2.0)\n")
    op = ns["op"]

    @srcgrad.defvjp(op)
    def op_vjp(g, ans, x):
        return g * np.cos(x)

    @srcgrad.defjvp(op)
    def op_jvp(tangents, ans, x):
        return tangents[0] * np.cos(x)

    x = np.array([0.3, 0.5])
    dloss = srcgrad.grad(ns["loss"])
    np.testing.assert_allclose(dloss(x), 2.0 * np.cos(x))
    np.testing.assert_allclose(dloss(x), 2.0 * np.cos(x))
    assert srcgrad.jvp(ns["loss"], (x,), (np.ones(2),))[1] == pytest.approx(2.0 * np.sum(np.cos(x)))

    # the second registration states a different derivative: the derivative follows it
    @srcgrad.defvjp(op)
    def op_vjp_again(g, ans, x):
        return g * 10.0

    @srcgrad.defjvp(op)
    def op_jvp_again(tangents, ans, x):
        return tangents[0] * 10.0

    np.testing.assert_allclose(dloss(x), [20.0, 20.0])
    np.testing.assert_allclose(srcgrad.grad(ns["loss"])(x), [20.0, 20.0])
    assert srcgrad.jvp(ns["loss"], (x,), (np.ones(2),))[1] == pytest.approx(40.0)


def test_a_rule_registered_for_a_helper_already_differentiated_by_source_is_used():
    ns = notebook()
    run_cell(ns, "def smooth(x):\n    return np.sqrt(x * x + 1e-12)\n"
                 "def loss(x):\n    return np.sum(smooth(x))\n")
    x = np.array([-2.0, 3.0])
    dloss = srcgrad.grad(ns["loss"])
    np.testing.assert_allclose(dloss(x), np.sign(x))

    @srcgrad.defvjp(ns["smooth"])
    def smooth_vjp(g, ans, x):
        return g * 0.5  # a deliberately different rule: it must be the one used

    np.testing.assert_allclose(dloss(x), [0.5, 0.5])


# --- functools.wraps decorators -------------------------------------------------------------


def doubled(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


def negated(f):
    @functools.wraps(f)
    def wrapper(x):
        return -f(x)
    return wrapper


def forwarding(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)
    return wrapper


@doubled
def doubled_square(x):
    return x * x


@negated
def negated_sum_of_cubes(x):
    return np.sum(x ** 3)


@forwarding
def forwarded_square(x):
    return x * x


def calls_doubled(x):
    return doubled_square(x) + 1.0


def calls_negated(x):
    return negated_sum_of_cubes(x) * 3.0


def calls_forwarded(x):
    return forwarded_square(x) + 1.0


def test_a_wraps_decorator_that_doubles_is_differentiated():
    assert doubled_square(3.0) == 18.0
    assert srcgrad.grad(doubled_square)(3.0) == pytest.approx(12.0)
    assert srcgrad.jvp(doubled_square, (3.0,), (1.0,)) == pytest.approx((18.0, 12.0))
    both_modes(doubled_square, (0.8,))


def test_a_wraps_decorator_used_as_a_helper_is_differentiated():
    assert srcgrad.grad(calls_doubled)(3.0) == pytest.approx(12.0)
    both_modes(calls_doubled, (-1.1,))
    x = np.array([0.5, -2.0])
    np.testing.assert_allclose(srcgrad.grad(calls_negated)(x), -9.0 * x ** 2)
    both_modes(calls_negated, (x,))
    both_modes(negated_sum_of_cubes, (x,))


def test_a_wrapper_that_cannot_be_differentiated_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match=r"test_trust_identity\.py:\d+:\d+: .*\*args"):
        srcgrad.grad(forwarded_square)(2.0)
    with pytest.raises(srcgrad.SrcGradError, match=r"test_trust_identity\.py:\d+:\d+: .*\*args"):
        srcgrad.grad(calls_forwarded)(2.0)


@functools.lru_cache(maxsize=None)
def cached_square(x):
    return x * x


def test_a_wrapper_that_is_not_python_is_an_error_not_its_wrapped_function():
    with pytest.raises(srcgrad.SrcGradError, match="wraps"):
        srcgrad.grad(cached_square)


# --- a source file edited after import -----------------------------------------------------

_FIRST = "import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x)\n\n\ndef g(x):\n    return x * 2.0\n"
_EDITED = "import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x * x)\n\n\ndef g(x):\n    return x * 2.0\n"
_BELOW = _FIRST + "\n\ndef added_later(x):\n    return x\n"


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    name = f"edited_module_{next(_cells)}"
    path = tmp_path / f"{name}.py"
    path.write_text(_FIRST)
    module = importlib.import_module(name)
    yield module, path
    sys.modules.pop(name, None)


def test_a_file_edited_after_import_is_an_error_naming_it(module_file):
    module, path = module_file
    path.write_text(_EDITED)  # same length of lines: linecache may not notice by size
    x = np.array([1.0, 2.0])
    with pytest.raises(srcgrad.SrcGradError, match=rf"{path.name}.*edited after the module was imported"):
        srcgrad.grad(module.f)(x)
    with pytest.raises(srcgrad.SrcGradError, match="re-import"):
        srcgrad.jvp(module.f, (x,), (np.ones(2),))
    module = importlib.reload(module)
    np.testing.assert_allclose(srcgrad.grad(module.f)(x), 3.0 * x ** 2)
    both_modes(module.f, (x,))


def test_a_file_edited_below_the_function_still_differentiates(module_file):
    module, path = module_file
    path.write_text(_BELOW)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(module.f)(x), 2.0 * x)
    both_modes(module.f, (x,))


def test_a_function_read_before_the_edit_keeps_the_text_it_ran(module_file):
    module, path = module_file
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(module.f)(x), 2.0 * x)
    path.write_text(_EDITED)
    np.testing.assert_allclose(srcgrad.grad(module.f, wrt=0)(x), 2.0 * x)
    np.testing.assert_allclose(srcgrad.jvp(module.f, (x,), (np.ones(2),))[1], np.sum(2.0 * x))


# --- the caller's arrays ------------------------------------------------------------------


def scales_first(a):
    a[0] = a[0] * 3.0
    return a * a


def scales_first_and_stacks(a):
    a[0] = a[0] * 3.0
    return np.concatenate([a * a, a])


def doubles_second(a):
    a[1] = 2.0 * a[1]
    return a


def calls_a_writing_helper(a, b):
    c = doubles_second(a)
    return c * b


def test_jvp_leaves_the_callers_tangent_alone():
    x, t = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])
    out, out_dot = srcgrad.jvp(scales_first, (x,), (t,))
    np.testing.assert_allclose(out, [9.0, 4.0, 9.0])
    np.testing.assert_allclose(out_dot, [18.0, 4.0, 6.0])
    np.testing.assert_array_equal(t, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x, [3.0, 2.0, 3.0])  # what scales_first itself does to x


def test_jvp_leaves_the_callers_tangent_alone_through_a_writing_helper():
    x, t = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    out, out_dot = srcgrad.jvp(calls_a_writing_helper, (x, 3.0), (t, None))
    np.testing.assert_allclose(out, [3.0, 12.0])
    np.testing.assert_allclose(out_dot, [3.0, 6.0])
    np.testing.assert_array_equal(t, [1.0, 1.0])


@pytest.mark.parametrize("fun, rows", [(scales_first, 3), (scales_first_and_stacks, 6)])
def test_jacobian_takes_every_column_at_the_callers_point(fun, rows):
    x = np.array([1.0, 2.0, 3.0])
    J = srcgrad.jacobian(fun)(x)
    expected = np.diag([18.0, 4.0, 6.0])
    if rows == 6:
        expected = np.vstack([expected, np.diag([3.0, 1.0, 1.0])])
    np.testing.assert_allclose(J, expected)
    reference = np.array([1.0, 2.0, 3.0])
    fun(reference)
    np.testing.assert_array_equal(x, reference)  # changed once, as calling fun changes it


def _sin_energy(x, params):
    return np.sum(np.sin(x) * x * params["w"]) + params["b"] * np.sum(x)


def test_a_pullback_does_not_see_arguments_changed_after_vjp():
    """The independent tester: changing an input in place between `vjp` and the
    pullback call changed the gradient (87.07 for 1.38): the tape held the caller's
    array. The pullback now reads copies of the arguments the function does not write."""
    x = np.array([1.0, 2.0])
    params = {"w": np.array([0.5, -1.5]), "b": 0.25}
    expected = (np.cos(x) * x + np.sin(x)) * params["w"] + params["b"]
    out, pullback = srcgrad.vjp(_sin_energy, x, params, wrt=(0, 1))
    x[0] = 100.0
    params["w"][1] = 7.0
    dx, dparams = pullback(1.0)
    np.testing.assert_allclose(dx, expected, rtol=1e-12)
    np.testing.assert_allclose(dparams["w"], np.sin([1.0, 2.0]) * [1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(pullback(1.0)[0], expected, rtol=1e-12)


def _scale_first(x):
    x[0] = x[0] * 3.0
    return np.sum(x ** 2)


def test_vjp_of_a_function_writing_its_argument_still_writes_it():
    """The copies are only of arguments the function leaves alone: one it writes is
    changed for the caller, as calling the function would."""
    x = np.array([1.0, 2.0, 3.0])
    _, pullback = srcgrad.vjp(_scale_first, x)
    np.testing.assert_array_equal(x, [3.0, 2.0, 3.0])
    np.testing.assert_allclose(pullback(1.0), [18.0, 4.0, 6.0], rtol=1e-12)


def test_grad_of_a_function_writing_its_argument_leaves_it_as_it_was():
    """grad and value_and_grad undo the function's own writes on the way back (documented in
    grad's docstring), the gradient is f's."""
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(srcgrad.grad(_scale_first)(x), [18.0, 4.0, 6.0], rtol=1e-12)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    value, g = srcgrad.value_and_grad(_scale_first)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert value == pytest.approx(_scale_first(np.array([1.0, 2.0, 3.0])))


def _filled_buffer(x, y=1.0):
    out = np.zeros_like(x)
    for i in range(len(x)):
        out[i] = x[i] * 1.5 * y
    return np.sum(out ** 2)


def test_an_integer_array_is_differentiated_as_float64_in_every_transform():
    """FINDINGS15 #3: the function runs on the float64 array, so a `zeros_like(x)` buffer
    holds floats; value and gradient are the float64 program's, on every call path."""
    xi, xf = np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])
    value, expected = srcgrad.value_and_grad(_filled_buffer)(xf)
    for call in (lambda: srcgrad.value_and_grad(_filled_buffer)(xi),          # planned, first and cached
                 lambda: srcgrad.value_and_grad(_filled_buffer)(xi),
                 lambda: srcgrad.value_and_grad(_filled_buffer)(xi, y=1.0),   # bound by keyword
                 lambda: (lambda v, pb: (v, pb(1.0)))(*srcgrad.vjp(_filled_buffer, xi))):
        got_value, got = call()
        assert got_value == pytest.approx(value)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert got.dtype == np.float64
    _, tangent = srcgrad.jvp(_filled_buffer, (xi,), (np.array([1.0, 0.0, 0.0]),))
    assert tangent == pytest.approx(expected[0])
    np.testing.assert_array_equal(xi, [1, 2, 3])
    assert xi.dtype.kind == "i"
