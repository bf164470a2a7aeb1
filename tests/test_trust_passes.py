"""Issue 12, optimisation passes and zero gradients that are not zero.

Each reproduction is checked against central differences in float64, in
both modes where the mode applies.
"""
import gast
import numpy as np
import pytest

import srcgrad
from srcgrad.optimize import Setting, facts
from srcgrad.optimize.cse import common_subexpressions

BOTH = ("reverse", "forward")
X3 = np.array([0.3, -0.7, 1.1])


# --- equal expressions, one of them written in place afterwards --------------

def written_after(x):
    t5 = x * 1.0
    t5[2] += 1.0
    t6 = x * 1.0
    t6[0] = 1.0
    return np.sum(t5 * t6)


def second_written(x):
    a = np.exp(x)
    b = np.exp(x)
    b[0] = 0.5
    return np.sum(a * b)


def operand_written_between(x):
    y = x * 1.0
    a = np.sin(y)
    y[1] = 5.0
    b = np.sin(y)
    return np.sum(a * b)


def reduction_of_written_operand(x):
    y = x * 1.0
    s = np.sum(y)
    y[0] = 10.0
    t = np.sum(y)
    return s * t


def augmented_in_place(x):
    a = np.tanh(x)
    b = np.tanh(x)
    b *= 2.0
    return np.sum(a * b)


def view_of_temporary(x):
    a = (x * 2.0)[0:2]
    a[0] = 7.0
    b = x * 2.0
    return np.sum(a * b[0:2]) + np.sum(b)


def view_of_repeat(x):
    # merging `b` and the unnamed `x * 2.0` made `a` a view of `b`: rejected before
    b = x * 2.0
    a = (x * 2.0)[0:2]
    a[0] = 7.0
    return np.sum(a * b[0:2]) + np.sum(b)


@pytest.mark.parametrize("f", [written_after, second_written, operand_written_between,
                               reduction_of_written_operand, augmented_in_place,
                               view_of_temporary, view_of_repeat])
def test_equal_expressions_written_in_place_are_not_shared(f):
    srcgrad.check_grads(f, (X3,), modes=BOTH)


def test_written_after_value_inside_the_derivative():
    value, g = srcgrad.value_and_grad(written_after)(X3)
    assert value == pytest.approx(written_after(X3.copy()), rel=1e-15)
    assert np.allclose(g, [1.0, 2 * X3[1], 2 * X3[2] + 1.0], rtol=1e-14)


def test_two_views_of_one_array_written_through_one_is_rejected():
    def two_slices(x):
        y = x * 1.0
        a = y[0:2]
        b = y[0:2]
        a[0] = 3.0
        return np.sum(a * x[0:2]) + np.sum(b * b)

    with pytest.raises(srcgrad.SrcGradError, match="'a' may share memory with 'b'"):
        srcgrad.grad(two_slices)(X3)


TICK = np.frompyfunc(lambda v: v + 1.0, 1, 1)  # a ufunc that runs any Python function


def _callee(call):
    if isinstance(call.func, gast.Attribute):
        return getattr(np, call.func.attr, None)
    return TICK if call.func.id == "tick" else None


def _forward_cse(source: str, backward: str):
    forward = gast.parse(source).body
    params = {"x": "array"}
    setting = Setting(params, frozenset(), _callee, {})
    known = facts(forward + gast.parse(backward).body, setting)
    (out, _), changed = common_subexpressions((forward, gast.parse(backward).body), params, known)
    return [srcgrad.codegen.to_source(s).strip() for s in out], changed


def test_forward_sweep_cse_keeps_a_value_written_in_place():
    kept, changed = _forward_cse("a = np.exp(x)\na[0] = 1.0\nb = np.exp(x)", "dx = a * b")
    assert not changed and kept[-1] == "b = np.exp(x)"


def test_forward_sweep_cse_keeps_an_operand_written_between():
    kept, changed = _forward_cse("y = x * 1.0\na = np.sin(y)\nv = y[0:2]\nv[0] = 5.0\nb = np.sin(y)",
                                 "dx = a * b")
    assert not changed and kept[-1] == "b = np.sin(y)"


def test_forward_sweep_cse_keeps_calls_of_a_python_ufunc():
    kept, changed = _forward_cse("a = tick(x)\nb = tick(x)", "dx = a * b")
    assert not changed and kept == ["a = tick(x)", "b = tick(x)"]


def test_forward_sweep_cse_still_merges_pure_repeats():
    kept, changed = _forward_cse("a = np.exp(x)\nb = np.exp(x)", "dx = a * b")
    assert changed and kept == ["a = np.exp(x)"]


# --- the fast path hides no floating-point error --------------------------------

def stiff(x):
    # the guards make a fast path; sin(1e10 x) * 1e300 overflows in its plain adjoint
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2)) + np.sum(np.sin(x * 1e10)) * 1e300


def smooth(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2))


def smooth_and_root(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2) + np.sqrt(x))


XS = np.array([0.3, -0.2, 0.7])


def _fast_and_guarded(f):
    df = srcgrad.grad(f)
    with np.errstate(all="ignore"):
        df(np.array([0.5, 0.25, 0.125]))
    return df, df._function(("array",), nan_safe=True)


def test_fast_path_overflow_raises_under_errstate_raise():
    df, guarded = _fast_and_guarded(stiff)
    assert "raise_float_errors" in df.source  # the fast path is there
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow"):
            guarded(XS)
        with pytest.raises(FloatingPointError, match="overflow"):
            df(XS)


def test_fast_path_overflow_warns_and_gives_the_guarded_result():
    df, guarded = _fast_and_guarded(stiff)
    with np.errstate(over="warn"):
        with pytest.warns(RuntimeWarning, match="overflow"):
            g = df(XS)
        with pytest.warns(RuntimeWarning, match="overflow"):
            want = guarded(XS)
    np.testing.assert_array_equal(g, want)
    assert np.all(np.isinf(g))


def test_fast_path_overflow_ignored_when_the_caller_ignores_it(recwarn):
    df, _ = _fast_and_guarded(stiff)
    with np.errstate(over="ignore"):
        g = df(XS)
    assert np.all(np.isinf(g)) and not [w for w in recwarn if "overflow" in str(w.message)]


def test_fast_path_nan_inputs_give_nan_gradients():
    df, guarded = _fast_and_guarded(smooth)
    x = np.array([0.3, np.nan, -1.2])
    g = df(x)
    assert np.isnan(g[1]) and not np.isnan(g[[0, 2]]).any()
    np.testing.assert_array_equal(g, guarded(x))
    exact = srcgrad.grad(smooth)(np.array([0.3, 0.0, -1.2]))
    np.testing.assert_allclose(g[[0, 2]], exact[[0, 2]], rtol=1e-15)


def test_fast_path_infinite_derivative_stays_visible():
    # d/dx sqrt(x) at x = 0 is 1 / 0: inf, not silenced into a number; the division
    # is a guard's, which is quiet about its own x / 0 on both paths
    df, guarded = _fast_and_guarded(smooth_and_root)
    x = np.array([0.0, 1.0, 2.0])
    with np.errstate(divide="raise"):
        g = df(x)
        np.testing.assert_array_equal(g, guarded(x))
    assert g[0] == np.inf and np.isfinite(g[1:]).all()


# --- value arguments of constructors carry their gradients -------------------------

def full_of(x):
    return np.sum(np.full(3, x) * np.array([1.0, 2.0, 3.0]))


def full_like_of(a, x):
    return np.sum(np.full_like(a, x) * a)


def linspace_to(a):
    return np.sum(np.linspace(0.0, a, 5) ** 2)


def arange_from(start, step):
    return np.sum(np.arange(start, 3.0, step) ** 2)


@pytest.mark.parametrize("f, args, wrt, want", [
    (full_of, (1.5,), 0, 6.0),
    (full_like_of, (np.array([1.0, -2.0, 4.0]), 0.7), 1, 3.0),
    (linspace_to, (1.3,), 0, 2 * 1.3 * np.sum((np.arange(5) / 4) ** 2)),
    (arange_from, (0.25, 0.5), 0, 2 * np.sum(0.25 + 0.5 * np.arange(6))),
    (arange_from, (0.25, 0.5), 1, 2 * np.sum((0.25 + 0.5 * np.arange(6)) * np.arange(6))),
])
def test_constructor_value_arguments_carry_gradients(f, args, wrt, want):
    assert srcgrad.grad(f, wrt=wrt)(*args) == pytest.approx(want, rel=1e-13)
    srcgrad.check_grads(f, args, wrt=wrt, modes=BOTH)


# --- r_, c_, constant-only positions: located errors; the sublist einsum differentiates --

def r_twice(x):
    return np.sum(np.r_[x, x] ** 2)


def c_pair(x):
    return np.sum(np.c_[x, 2.0 * x] ** 2)


def einsum_sublist(A):
    return np.sum(np.einsum(A, (0, 1), (1, 0)) * np.arange(4.0).reshape(2, 2))


def einsum_sublist_lists(A):
    return np.sum(np.einsum(A, [0, 1], [1, 0]) * np.arange(4.0).reshape(2, 2))


def var_computed_ddof(x):
    return np.var(x, ddof=x[0] * 0.0 + 0.5)


def norm_computed_ord(x):
    return np.linalg.norm(x, ord=x[0] + 2.0)


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize("f, arg, message, hint", [
    (r_twice, X3, r"np\.r_\[\.\.\.\] \(an index trick\)", "numpy.concatenate"),
    (c_pair, X3, r"np\.c_\[\.\.\.\] \(an index trick\)", "numpy.column_stack"),
    (var_computed_ddof, X3, "numpy.var's 'ddof'", "ddof as a constant"),
    (norm_computed_ord, X3, "numpy.linalg.norm's 'ord'", "ord as a constant"),
])
def test_no_rule_positions_are_located_errors(f, arg, message, hint, mode):
    with pytest.raises(srcgrad.SrcGradError, match=message) as err:
        srcgrad.check_grads(f, (arg,), modes=(mode,))
    assert "test_trust_passes.py:" in str(err.value) and hint in str(err.value)


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize("f", [einsum_sublist, einsum_sublist_lists])
def test_sublist_einsum_differentiates_its_first_operand(f, mode):
    # the operand sits where the subscripts go: its gradient is the weights transposed
    A = np.arange(4.0).reshape(2, 2)
    want = np.arange(4.0).reshape(2, 2).T
    if mode == "reverse":
        assert np.array_equal(srcgrad.grad(f)(A), want)
    else:
        assert srcgrad.jvp(f, (A,), (np.eye(2),))[1] == pytest.approx(np.trace(want))
    srcgrad.check_grads(f, (A,), modes=(mode,))


def test_string_einsum_through_a_variable_still_differentiates():
    def transposed(A):
        spec = "ij->ji"
        return np.sum(np.einsum(spec, A) * np.arange(4.0).reshape(2, 2))

    srcgrad.check_grads(transposed, (np.arange(4.0).reshape(2, 2),), modes=BOTH)


# --- complex values: outside the SPEC, a located error --------------------------------

def complex_phase(x):
    return np.abs(np.sum(np.exp(1j * x)))


def complex_through_a_name(x):
    c = 1j
    return np.abs(np.sum(np.exp(c * x)))


def complex_dtype(x):
    return np.sum(np.abs(x.astype(np.complex128) ** 0.5))


def complex_dtype_string(x):
    return np.sum(np.abs(np.asarray(x, dtype="complex")))


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize("f", [complex_phase, complex_through_a_name, complex_dtype, complex_dtype_string])
def test_complex_values_are_rejected_at_build_time(f, mode):
    with pytest.raises(srcgrad.SrcGradError, match="a complex value enters") as err:
        srcgrad.check_grads(f, (X3,), modes=(mode,))
    assert "test_trust_passes.py:" in str(err.value)


def negative_base_power(x):
    return abs((x - 3.0) ** 1.5)  # Python floats: (-2.0) ** 1.5 is complex


def test_complex_arising_at_run_time_is_an_error_not_a_real_part():
    with pytest.raises(srcgrad.SrcGradError, match="complex value"):
        srcgrad.grad(negative_base_power)(1.0)
    with pytest.raises(srcgrad.SrcGradError, match="complex value"):
        srcgrad.jvp(negative_base_power, (1.0,), (1.0,))
    with pytest.raises(srcgrad.SrcGradError, match=r"complex value produced by the generated statement .* \(from line \d+: "):
        srcgrad.grad(negative_base_power, debug_nans=True)(1.0)


def test_complex_entries_of_a_list_gradient_are_an_error():
    def pair(xs):
        return abs((xs[0] - 3.0) ** 1.5) + xs[1]

    with pytest.raises(srcgrad.SrcGradError, match="complex value"):
        srcgrad.grad(pair)([1.0, 2.0])


# --- reductions with an axis of 0-d values and NumPy scalars -------------------------

def sum_axis0(s):
    return np.sum(np.tanh(s), axis=0)


def sum_negative_axis(s):
    return np.sum(np.tanh(s), axis=-1)


def sum_empty_axes(s):
    return np.sum(np.tanh(s), axis=())


def sum_keepdims(s):
    return np.sum(np.sum(np.tanh(s), axis=0, keepdims=True))


def mean_empty_axes(s):
    return np.mean(np.tanh(s), axis=())


def prod_axis0(s):
    return np.prod(np.tanh(s) + 2.0, axis=0)


def max_axis0(s):
    return np.max(np.tanh(s), axis=0)


def min_keepdims(s):
    return np.sum(np.min(np.tanh(s), axis=-1, keepdims=True))


def var_empty_axes(s):
    return np.var(np.tanh(s), axis=()) + s


def std_empty_axes(s):
    return np.std(np.tanh(s), axis=()) + s


def cumsum_axis0(s):
    return np.sum(np.cumsum(s * s, axis=0))


def cumprod_axis0(s):
    return np.sum(np.cumprod(s * s + 1.0, axis=0))


def method_sum(s):
    return np.tanh(s).sum(axis=0)


def method_max(s):
    return np.tanh(s).max(axis=0)


def method_cumsum(s):
    return np.sum(np.tanh(s).cumsum(axis=0))


REDUCTIONS = [sum_axis0, sum_negative_axis, sum_empty_axes, sum_keepdims, mean_empty_axes, prod_axis0, max_axis0, min_keepdims, var_empty_axes, std_empty_axes, cumsum_axis0, cumprod_axis0, method_sum, method_max, method_cumsum]


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize("arg", [np.array(0.4), np.float64(0.4), 0.4], ids=["0d", "numpy_scalar", "float"])
@pytest.mark.parametrize("f", REDUCTIONS)
def test_reductions_with_axis_of_0d_values(f, arg, mode):
    srcgrad.check_grads(f, (arg,), modes=(mode,))


def test_writes_inside_a_with_block_count_as_writes():
    from srcgrad.analysis.aliases import written_in_place

    body = gast.parse("a = x * 1.0\nb = x * 1.0\nv = b[0:2]\nwith no_grad():\n    v[0] = 1.0\n"
                      "c = np.sum(a)").body
    written = written_in_place(body, ["x"], lambda call: True)
    assert written == {"b", "v"}


# --- views made by NumPy functions the alias analysis did not know --------------------

def split_view_written(x):
    u = x * 2.0
    p = np.split(u, 2)[0]
    p[0] = 5.0
    return np.sum(u * u)


def array_no_copy_written(x):
    u = x * 2.0
    p = np.array(u, copy=False)
    p[0] = 5.0
    return np.sum(u * u)


def split_view_of_a_repeat(x):
    t = x * 1.0
    u = x * 1.0
    p = np.array_split(u, 2)[0]
    p[0] = 5.0
    return np.sum(t * u)


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize("f", [split_view_written, array_no_copy_written, split_view_of_a_repeat])
def test_writes_through_views_of_numpy_functions_are_rejected(f, mode):
    # each gave a wrong gradient: the write through `p` changed `u` unseen
    with pytest.raises(srcgrad.SrcGradError, match="'p' may share memory with 'u'"):
        srcgrad.check_grads(f, (np.array([0.3, -0.7, 1.1, 0.5]),), modes=(mode,))


def test_array_with_a_copy_is_fresh():
    def copied(x):
        u = x * 2.0
        p = np.array(u, copy=True)
        p[0] = 5.0
        return np.sum(u * u) + np.sum(p * x)

    srcgrad.check_grads(copied, (np.array([0.3, -0.7, 1.1, 0.5]),), modes=BOTH)


def astype_no_copy_written(x):
    u = x * 2.0
    p = u.astype(float, copy=False)
    p[0] = 5.0
    return np.sum(u * u)


def trim_zeros_written(x):
    u = x * 2.0
    p = np.trim_zeros(u)
    p[0] = 5.0
    return np.sum(u * u)


@pytest.mark.parametrize("f", [astype_no_copy_written, trim_zeros_written])
def test_more_views_are_rejected(f):
    for mode in BOTH:
        with pytest.raises(srcgrad.SrcGradError, match="'p' may share memory with 'u'"):
            srcgrad.check_grads(f, (np.array([0.3, -0.7, 1.1, 0.5]),), modes=(mode,))
