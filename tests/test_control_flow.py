"""Control flow (issue 3, items 1, 2, 8, 9): branches, loops with tapes, tape size, hygiene.

The differentiated programs live in tests/programs/ as ordinary modules of
Python + NumPy code. Each is checked against central differences in float64
(`srcgrad.check_grads`) at several inputs chosen so that every branch is taken
and trip counts differ, and for several `wrt` choices.
"""
import importlib.util
import inspect
import re
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import srcgrad
import srcgrad.cache

PROGRAMS = Path(__file__).parent / "programs"
if str(PROGRAMS) not in sys.path:
    sys.path.insert(0, str(PROGRAMS))

import control_flow as cf  # noqa: E402
import hygiene as hy  # noqa: E402
import iterative as it  # noqa: E402
import loops as lp  # noqa: E402
import tricky as tr  # noqa: E402

rng = np.random.default_rng(20240603)


def randn(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _cases(raw):
    out, seen = [], {}
    for fn, args, wrt, *tol in raw:
        label = f"{fn.__module__}.{fn.__name__}"
        seen[label] = seen.get(label, 0) + 1
        out.append(pytest.param(fn, args, wrt, tol[0] if tol else {},
                                id=f"{label}-{seen[label]}-wrt{wrt}"))
    return out


# --- branches: every arm, several wrt choices ------------------------------------

_W3 = randn(3)
_X43 = randn(4, 3)

BRANCH_CASES = _cases([
    (cf.piecewise, (-2.0,), 0),
    (cf.piecewise, (-0.5,), 0),
    (cf.piecewise, (1.0,), 0),
    (cf.piecewise, (3.0,), 0),
    (cf.huber, (0.3, 1.0), (0, 1)),
    (cf.huber, (-2.0, 1.0), (0, 1)),
    (cf.huber, (2.5, 0.7), "delta"),
    (cf.nested_branches, (1.0, 2.0), (0, 1)),
    (cf.nested_branches, (1.0, -1.0), (0, 1)),
    (cf.nested_branches, (-1.0, 0.5), (0, 1)),
    (cf.nested_branches, (-1.0, -1.5), (0, 1)),
    (cf.nested_branches, (-1.0, -3.0), (0, 1)),
    (cf.nested_branches, (-1.0, -3.0), "y"),
    (cf.array_branch, (_W3, _X43), 0),
    (cf.array_branch, (-_W3, _X43), (0, 1)),
    (cf.array_branch, (_W3, _X43), (1, 0)),
    (cf.conditional_expressions, (2.0, 1.0), (0, 1)),
    (cf.conditional_expressions, (0.5, 1.0), (0, 1)),
    (cf.conditional_expressions, (-1.0, 2.0), (0, 1)),
    (cf.clipped_relu, (0.5, 0.0, 1.0), (0, 1, 2)),
    (cf.clipped_relu, (2.0, 0.0, 1.0), (0, 1, 2)),
    (cf.clipped_relu, (-1.0, 0.0, 1.0), (0, 1, 2)),
    (cf.boolean_logic, (1.0, 1.0), (0, 1)),
    (cf.boolean_logic, (1.0, -1.0), (0, 1)),
    (cf.boolean_logic, (-1.0, 2.0), (0, 1)),
    (cf.boolean_logic, (-1.0, 0.5), (0, 1)),
    (cf.boolean_logic, (-3.0, 0.5), (0, 1)),
    (cf.combined_conditions, (np.array([1.0, 0.5, 2.0]), np.array([0.8, 0.3, 0.6])), (0, 1)),
    (cf.combined_conditions, (np.array([1.0, 0.5, 2.0]), np.array([-0.8, -0.3, -0.6])), (0, 1)),
    (cf.combined_conditions, (np.array([-1.0, 0.5, 2.0]), np.array([0.8, 0.3, 0.6])), (0, 1)),
    (cf.combined_conditions, (np.array([0.2, 0.1, 0.1]), np.array([0.5, 0.3, 0.4])), "w"),
    (cf.one_arm, (2.0, 1.0), (0, 1)),
    (cf.one_arm, (0.5, -1.0), (0, 1)),
    (cf.one_arm, (1.5, -0.5), (0, 1)),
    (cf.one_arm, (0.3, 2.0), 1),
    (cf.one_arm_only_new, (2.0, 1.0), (0, 1)),
    (cf.one_arm_only_new, (0.5, 1.5), (0, 1)),
    (cf.early_return, (3.0, 1.0), (0, 1)),
    (cf.early_return, (-1.0, -1.0), (0, 1)),
    (cf.early_return, (1.0, -2.0), (0, 1)),
    (cf.early_return, (1.0, 1.0), (0, 1)),
    (cf.early_return_array, (np.array([3.0, 1.0, 0.2]), np.array([1.0, -1.0, 2.0])), (0, 1)),
    (cf.early_return_array, (np.array([0.3, 0.1, 0.2]), np.array([1.0, -1.0, 2.0])), (0, 1)),
    (cf.sign_flip, (1.0, 2.0), (0, 1)),
    (cf.sign_flip, (2.0, 1.0), (0, 1)),
])


@pytest.mark.parametrize("fn, args, wrt, tol", BRANCH_CASES)
def test_branches_match_finite_differences(fn, args, wrt, tol):
    srcgrad.check_grads(fn, args, wrt=wrt, **tol)


# --- for loops -----------------------------------------------------------------

_X = randn(5)
_R = randn(4, 3)

FOR_CASES = _cases([
    (lp.weighted_sum, (randn(1), 0.7), (0, 1)),
    (lp.weighted_sum, (randn(3), -1.3), (0, 1)),
    (lp.weighted_sum, (randn(6), 2.0), "w"),
    (lp.power_series, (0.8, 1), 0),
    (lp.power_series, (0.8, 2), 0),
    (lp.power_series, (-1.3, 9), 0),
    (lp.stepped_range, (0.3,), 0),
    (lp.stepped_range, (-0.7,), 0),
    (lp.over_rows, (randn(1, 3), randn(3)), (0, 1)),
    (lp.over_rows, (_R, randn(3)), (0, 1)),
    (lp.over_constants, (0.3,), 0),
    (lp.over_constants, (1.7,), 0),
    (lp.over_constant_tuple, (0.2,), 0),
    (lp.over_constant_tuple, (-2.0,), 0),
    (lp.zip_dot, (randn(4), randn(4)), (0, 1)),
    (lp.zip_dot, (randn(5), randn(3)), (0, 1)),
    (lp.zip_dot, (randn(2), randn(6)), "y"),
    (lp.zip_three, (randn(4), randn(4), randn(4)), (0, 1, 2)),
    (lp.zip_three, (randn(3), randn(5), randn(4)), (0, 2)),
    (lp.enumerate_weighted, (randn(1),), 0),
    (lp.enumerate_weighted, (randn(5),), 0),
    (lp.enumerate_rows, (_R, randn(4)), (0, 1)),
    (lp.enumerate_rows, (randn(2, 5), randn(2)), 1),
    (lp.reassigned_in_body, (0.7, 0), 0),
    (lp.reassigned_in_body, (0.7, 1), 0),
    (lp.reassigned_in_body, (-1.1, 5), 0),
    (lp.assigned_in_loop, (randn(1),), 0),
    (lp.assigned_in_loop, (randn(4),), 0),
    (lp.loop_then_branch, (np.array([0.5, -1.0, 2.0, -0.3]), 0.8), (0, 1)),
    (lp.loop_then_branch, (np.array([0.5, 1.0, 2.0]), -0.4), (0, 1)),
    (lp.loop_then_branch, (np.array([-0.5, -1.0]), 1.5), (0, 1)),
    (lp.loop_elif, (np.array([1.5, 0.5, -0.7, 2.2, 0.1, -1.0]),), 0),
    (lp.loop_elif, (np.array([-0.5, -1.5]),), 0),
    (lp.with_continue, (np.array([0.5, -1.0, 2.0, -0.3, 1.2]),), 0),
    (lp.with_continue, (np.array([-0.5, -1.0]),), 0),
    (lp.with_continue, (np.array([0.7, 1.3]),), 0),
    (lp.with_break, (np.array([0.5, 1.0, 2.0, 0.3]), 1.0), (0, 1)),
    (lp.with_break, (np.array([0.5, 1.0, 2.0, 0.3]), 4.0), (0, 1)),
    (lp.with_break, (np.array([0.5, 1.0, 2.0, 0.3]), 100.0), (0, 1)),
    (lp.with_break, (np.array([3.0, 1.0]), 1.0), 0),
    (lp.break_sometimes, (np.array([0.5, -2.0, 1.0, 3.0, 0.2]), 2.0), (0, 1)),
    (lp.break_sometimes, (np.array([0.5, -2.0, 1.0, 3.0, 0.2]), 0.5), (0, 1)),
    (lp.break_sometimes, (np.array([0.5, -2.0, 1.0, 3.0, 0.2]), -2.5), (0, 1)),
    (lp.return_in_loop, (np.array([0.5, 1.0, 2.0, 0.3]), 1.2), (0, 1)),
    (lp.return_in_loop, (np.array([0.5, 1.0, 2.0, 0.3]), 10.0), (0, 1)),
    (lp.return_in_loop, (np.array([2.0, 1.0]), 1.0), 0),
    (lp.return_in_nested, (np.array([[0.5, 0.2], [1.0, 0.3], [0.4, 0.9]]), 2.0), 0),
    (lp.return_in_nested, (np.array([[0.5, 0.2], [1.0, 0.3], [0.4, 0.9]]), 100.0), 0),
    (lp.nested_triangular, (randn(1), 0.5), (0, 1)),
    (lp.nested_triangular, (randn(2), 0.5), (0, 1)),
    (lp.nested_triangular, (randn(5), -1.5), (0, 1)),
    (lp.nested_accumulators, (randn(3, 4), randn(4)), (0, 1)),
    (lp.nested_accumulators, (randn(1, 2), randn(2)), "v"),
    (lp.nested_break, (np.array([[0.5, 1.0, -1.0, 2.0], [-0.5, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 0.5]]),), 0),
    (lp.nested_break, (np.array([[0.5, 1.0], [0.3, 1.5]]),), 0),
    (lp.while_in_for, (np.array([0.5, 3.0, 9.0, 1.5]),), 0),
    (lp.while_in_for, (np.array([0.7]),), 0),
    (lp.array_state, (randn(3), randn(3, 3, scale=0.5)), (0, 1)),
    (lp.empty_loop, (1.3, 0), 0),
    (lp.empty_loop, (1.3, 3), 0),
    (lp.long_scalar_loop, (0.4, 50), 0),
    (lp.tanh_chain, (randn(4, 4, scale=0.5), randn(4), 6), (0, 1)),
    (lp.tanh_chain, (randn(4, 4, scale=0.5), randn(4), 0), (0, 1)),
])


@pytest.mark.parametrize("fn, args, wrt, tol", FOR_CASES)
def test_for_loops_match_finite_differences(fn, args, wrt, tol):
    srcgrad.check_grads(fn, args, wrt=wrt, **tol)


# --- while loops, simulations, RNNs --------------------------------------------

_H, _D, _T = 3, 2, 5
_RNN = (randn(_H, _H, scale=0.5), randn(_H, _D, scale=0.5), randn(_H, scale=0.1))

ITERATIVE_CASES = _cases([
    (it.newton_sqrt, (1.5,), 0),
    (it.newton_sqrt, (100.0,), 0),
    (it.newton_sqrt, (1e4,), 0),
    (it.newton_cbrt_scaled, (2.0, 1.5), (0, 1)),
    (it.newton_cbrt_scaled, (27.0, -0.5), (0, 1)),
    (it.newton_cbrt_scaled, (0.1, 2.0), 0),
    (it.bisection, (1.0,), 0),
    (it.bisection, (2.5,), 0),
    (it.bisection, (10.0,), 0),
    (it.damped_fixed_point, (1.0, 0.5), (0, 1)),
    (it.damped_fixed_point, (0.5, 0.8), (0, 1)),
    (it.damped_fixed_point, (2.0, 0.3), 0),
    (it.pendulum, (0.5, 0.0, 0.1, 1.0), (0, 1, 2, 3)),
    (it.pendulum, (1.2, -0.5, 0.3, 2.0), (0, 1, 2, 3)),
    (it.pendulum, (-2.5, 1.0, 0.0, 0.7), ("theta0", "length")),
    (it.tanh_rnn, (*_RNN, randn(_T, _D), randn(_H)), (0, 1, 2, 3, 4)),
    (it.tanh_rnn, (*_RNN, randn(1, _D), randn(_H)), (0, 1, 2, 3, 4)),
    (it.tanh_rnn, (*_RNN, randn(0, _D), randn(_H)), (4,)),
    (it.tanh_rnn, (*_RNN, randn(12, _D), randn(_H)), (0, 3)),
    (it.rnn_over_rows, (*_RNN, randn(_H), randn(_T, _D)), (0, 1, 2, 3, 4)),
    (it.gradient_descent, (1.0, 0.05), (0, 1)),
    (it.gradient_descent, (-0.5, 0.1), (0, 1)),
    (it.collatz_like, (0.6, 1), 0),
    (it.collatz_like, (0.6, 6), 0),
    (it.collatz_like, (-0.3, 7), 0),
    (it.logistic_growth, (0.1, 0.3, 2.0), (0, 1, 2)),
    (it.logistic_growth, (0.05, 0.5, 3.0), "K"),
    (it.exp_feedback, (0.8,), 0),
    (it.ratio_recurrence, (0.7, 1), 0),
    (it.ratio_recurrence, (0.7, 5), 0),
    (it.ratio_recurrence_array, (np.array([0.7, 1.3]),), 0),
])


@pytest.mark.parametrize("fn, args, wrt, tol", ITERATIVE_CASES)
def test_iterative_programs_match_finite_differences(fn, args, wrt, tol):
    srcgrad.check_grads(fn, args, wrt=wrt, **tol)


def test_while_trip_counts_differ_across_cases():
    """The Newton cases above really do run different numbers of iterations."""
    def trips(a):
        x, k = a, 0
        while abs(x * x - a) > 1e-13 * a:
            x, k = 0.5 * (x + a / x), k + 1
        return k
    assert len({trips(1.5), trips(100.0), trips(1e4)}) == 3
    assert srcgrad.grad(it.newton_sqrt)(100.0) == pytest.approx(0.05, rel=1e-12)


# --- less common shapes: rebinding, aliasing of versions, loops in branches ----

TRICKY_CASES = _cases([
    (tr.param_overwritten, (0.3, 4), 0),
    (tr.param_overwritten, (0.3, 0), 0),
    (tr.loop_index_after, (0.7, 4), 0),
    (tr.loop_index_after, (-1.2, 2), 0),
    (tr.index_rebound, (1.3,), 0),
    (tr.iterate_and_rebind, (randn(4),), 0),
    (tr.tuple_pendulum, (0.4, 0.1, 0.2), (0, 1, 2)),
    (tr.columns, (randn(3, 4), 0.5), (0, 1)),
    (tr.index_parity, (randn(5),), 0),
    (tr.branch_carried_one_arm, (np.array([0.5, 1.0, 0.2, 2.0, 1.5]), 0.7), (0, 1)),
    (tr.branch_carried_one_arm, (np.array([0.5, 0.1]), 3.0), (0, 1)),
    (tr.loops_in_both_arms, (0.6, 4), 0),
    (tr.loops_in_both_arms, (-0.6, 4), 0),
    (tr.loops_in_both_arms, (-0.6, 0), 0),
    (tr.sequential_loops, (randn(4),), 0),
    (tr.while_true_counter, (0.3,), 0),
    (tr.while_continue, (0.9, 7), 0),
    (tr.while_continue, (0.9, 2), 0),
    (tr.while_return, (0.5,), 0),
    (tr.while_return, (30.0,), 0),
    (tr.while_return, (150.0,), 0),
    (tr.while_compound, (1.0, 1.5), (0, 1)),
    (tr.while_compound, (1.0, 0.9), (0, 1)),
    (tr.ternary_in_loop, (np.array([0.5, -1.0, 2.0]),), 0),
    (tr.break_outer_via_flag, (np.array([[0.5, 1.0, 0.3], [1.0, 1.2, 0.1], [0.2, 0.1, 0.1]]),), 0),
    (tr.break_outer_via_flag, (np.array([[0.5, 0.1], [0.1, 0.2]]),), 0),
    (tr.enumerate_constants, (0.8,), 0),
    (tr.zip_array_and_constants, (randn(5),), 0),
    (tr.zip_array_and_constants, (randn(2),), 0),
    (tr.array_accumulator, (randn(3), randn(4)), (0, 1)),
    (tr.deep_nest, (1.3, 0.8), (0, 1)),
    (tr.deep_nest, (0.3, 2.5), (0, 1)),
    (tr.nested_return_uses_index, (np.array([1.5, -0.5, 0.7, 2.0]),), 0),
    (tr.nested_return_uses_index, (np.array([0.2, -0.5]),), 0),
    (tr.row_norms_branch, (np.array([[0.5, 0.2], [1.0, 1.0], [0.1, -0.3]]),), 0),
])


@pytest.mark.parametrize("fn, args, wrt, tol", TRICKY_CASES)
def test_less_common_control_flow_matches_finite_differences(fn, args, wrt, tol):
    srcgrad.check_grads(fn, args, wrt=wrt, **tol)


UNSUPPORTED = {
    "for_else": """
        def f(x):
            s = x
            for i in range(3):
                s = s * x
            else:
                s = s + x
            return s
        """,
    "while_else": """
        def f(x):
            s = x
            while s < 5.0:
                s = s * 2.0
            else:
                s = s * x
            return s
        """,
    "walrus": """
        def f(x):
            s = 0.0
            k = 0
            while (k := k + 1) < 4:
                s = s + x * k
            return s
        """,
    "try_in_loop": """
        def f(x):
            s = 0.0
            for i in range(3):
                try:
                    s = s + x / i
                except ZeroDivisionError:
                    s = s + x
            return s
        """,
    "sorted": """
        def f(x):
            s = 0.0
            for i in sorted(range(3)):
                s = s * 0.5 + x * i
            return s
        """,
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_loop_forms_raise_with_a_location(tmp_path, name):
    module = _load_module(tmp_path, f"cf_unsupported_{name}", UNSUPPORTED[name])
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(module.f)(0.5)
    message = str(info.value)
    assert f"cf_unsupported_{name}.py:" in message
    assert re.search(r"\.py:\d+:\d+", message), message


# --- hygiene: user names that look like generated ones -------------------------

HYGIENE_CASES = _cases([
    (hy.adjoint_names, (1.0, 0.5), (0, 1)),
    (hy.adjoint_names, (-1.0, 2.0), (0, 1)),
    (hy.adjoint_arrays, (randn(3), randn(3)), (0, 1)),
    (hy.adjoint_arrays, (randn(4), randn(4)), "dx"),
    (hy.adjoint_arrays, (randn(4), randn(4)), ("dx", "x")),
    (hy.temp_names, (1.5, 8), 0),
    (hy.temp_names, (0.5, 3), 0),
    (hy.temp_names, (1.1, 0), 0),
    (hy.tape_and_saves, (0.5, 0.7), (0, 1)),
    (hy.tape_and_saves, (3.0, 9.0), (0, 1)),
    (hy.local_np, (0.3,), 0),
    (hy.local_np, (1.5,), 0),
    (hy.local_np, (-0.8,), 0),
    (hy.runtime_names, (0.7, randn(4)), (0, 1)),
    (hy.loop_var_underscore, (0.9, 1), 0),
    (hy.loop_var_underscore, (0.9, 4), 0),
])


@pytest.mark.parametrize("fn, args, wrt, tol", HYGIENE_CASES)
def test_user_names_never_collide_with_generated_ones(fn, args, wrt, tol):
    srcgrad.check_grads(fn, args, wrt=wrt, **tol)


def test_hygiene_cases_take_the_interesting_paths():
    """The hygiene inputs exercise the break and the early return they are meant to."""
    def trips(x, n):  # temp_names without the odd names: where does it break?
        t = x
        for k in range(n):
            t = t * x + [1.0, 2.0][k % 2]
            if t > 50.0:
                return k
        return None
    assert trips(1.5, 8) is not None and trips(0.5, 3) is None
    assert hy.tape_and_saves(3.0, 9.0) > 100.0  # the early return
    assert hy.tape_and_saves(0.5, 0.7) < 100.0


def test_hygiene_keeps_user_names_and_renames_its_own():
    d = srcgrad.grad(hy.temp_names)
    d(1.5, 8)
    src = d.source
    # the user's own assignments survive verbatim in the forward sweep
    for stmt in ("_stack = [1.0, 2.0]", "_n1 = 0", "_brk1 = False", "_i1 = 0"):
        assert stmt in src, stmt
    # and the generated stack is not the user's list
    assert "_stack = []" not in src
    x = 1.5
    grad = d(x, 8)
    eps = 1e-6
    num = (hy.temp_names(x + eps, 8) - hy.temp_names(x - eps, 8)) / (2 * eps)
    assert grad == pytest.approx(num, rel=1e-6)


# --- no unrolling: long loops, identical source, one compile -------------------

def test_ten_thousand_iteration_loop_compiles_once_and_is_not_unrolled(tmp_path):
    # a fresh copy of the function (a new code object), so the cache starts empty for it
    fresh = _load_module(tmp_path, "cf_long_loop", inspect.getsource(lp.long_scalar_loop))
    d = srcgrad.grad(fresh.long_scalar_loop)
    before = srcgrad.cache.compile_count
    g10 = d(0.3, 10)
    src10 = d.source
    g10k = d(0.3, 10_000)
    src10k = d.source
    g50k = d(0.3, 50_000)
    assert srcgrad.cache.compile_count == before + 1
    assert src10 == src10k
    for n, g in ((10, g10), (10_000, g10k), (50_000, g50k)):
        exact = (1.0 - 0.9999 ** n) / (1.0 - 0.9999)   # d/dx of x * sum_k 0.9999^k
        assert g == pytest.approx(exact, rel=1e-9)
    assert len(src10.splitlines()) < 60


def test_ten_thousand_iteration_loop_under_a_low_recursion_limit():
    d = srcgrad.grad(lp.long_scalar_loop)
    d(0.5, 3)  # compile first, then run a long loop with little stack to spare
    depth = len(inspect.stack(0))
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)
    try:
        g = d(0.5, 10_000)
    finally:
        sys.setrecursionlimit(old)
    assert g == pytest.approx((1.0 - 0.9999 ** 10_000) / 1e-4, rel=1e-9)


def _load_module(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_literal_trip_counts_give_the_same_source(tmp_path):
    """range(10) and range(10000) written into the source: same derivative up to the literal."""
    template = """
    def decay(x):
        s = 0.0
        for i in range(N):
            s = s * 0.9999 + x * x
        return s
    """
    short = _load_module(tmp_path, "cf_decay_short", template.replace("N", "10"))
    long = _load_module(tmp_path, "cf_decay_long", template.replace("N", "10000"))
    d_short, d_long = srcgrad.grad(short.decay), srcgrad.grad(long.decay)
    before = srcgrad.cache.compile_count
    g_short, g_long = d_short(0.7), d_long(0.7)
    assert srcgrad.cache.compile_count == before + 2  # one per function, none per iteration
    assert d_short.source.replace("range(10)", "range(N)").replace("range(9,", "range(N - 1,") == \
        d_long.source.replace("range(10000)", "range(N)").replace("range(9999,", "range(N - 1,")
    for n, g in ((10, g_short), (10_000, g_long)):
        assert g == pytest.approx(2 * 0.7 * (1.0 - 0.9999 ** n) / 1e-4, rel=1e-9)


# --- tape minimality -----------------------------------------------------------

def _bptt(W, z0, n):
    """Hand-written backprop through time of sum(z_n), z_{k+1} = tanh(W z_k)."""
    zs = [z0]
    z = z0
    for _ in range(n):
        z = np.tanh(W @ z)
        zs.append(z)
    dz = np.ones_like(z)
    dW = np.zeros_like(W)
    for k in range(n, 0, -1):
        da = dz * (1.0 - zs[k] ** 2)
        dW += np.outer(da, zs[k - 1])
        dz = W.T @ da
    return dW, dz


def _pushed_names(src):
    return set(re.findall(r"\b_stack\w*\.append\((\w+)\)", src))


def test_tape_pushes_only_the_state_not_the_weights():
    r = np.random.default_rng(7)
    W = r.standard_normal((200, 200)) / np.sqrt(200) * 1.2
    z = r.standard_normal(200)
    n = 1000
    d = srcgrad.grad(lp.tanh_chain, wrt=(0, 1))
    d(W[:3, :3], z[:3], 2)  # compile outside the measurement
    src = d.source
    assert "_stack.append(W)" not in src
    pushed = _pushed_names(src)
    assert "W" not in pushed
    assert pushed, src
    # only the state (or a temporary of the state's size) is taped
    assert pushed <= {"z"} | {p for p in pushed if re.fullmatch(r"_t\d+", p)}, pushed

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        dW, dz = d(W, z, n)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    print(f"peak {peak} bytes; W {W.nbytes}; z {z.nbytes}")
    assert peak < 50 * W.nbytes, (peak, W.nbytes)
    # roughly n copies of z, not of W: allow generous per-entry overhead
    assert peak < 8 * n * z.nbytes + 20 * W.nbytes, (peak, z.nbytes)

    dW_ref, dz_ref = _bptt(W, z, n)
    np.testing.assert_allclose(dW, dW_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dz, dz_ref, rtol=1e-9, atol=1e-12)


def test_tape_minimality_small_rnn_matches_bptt():
    r = np.random.default_rng(3)
    W = r.standard_normal((5, 5)) * 0.4
    z = r.standard_normal(5)
    dW, dz = srcgrad.grad(lp.tanh_chain, wrt=("W", "z"))(W, z, 30)
    dW_ref, dz_ref = _bptt(W, z, 30)
    np.testing.assert_allclose(dW, dW_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dz, dz_ref, rtol=1e-10, atol=1e-13)


def test_loop_invariant_operands_are_never_pushed():
    d = srcgrad.grad(it.tanh_rnn, wrt=(0, 1, 2, 3, 4))
    d(*_RNN, randn(_T, _D), randn(_H))
    pushed = _pushed_names(d.source)
    assert not pushed & {"W", "U", "b", "x"}, pushed
    d = srcgrad.grad(it.pendulum, wrt=(0, 1, 2, 3))
    d(0.5, 0.0, 0.1, 1.0)
    pushed = _pushed_names(d.source)
    assert not pushed & {"g", "dt", "damping", "length"}, pushed


# --- line comments ---------------------------------------------------------------

def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return start + k
    raise AssertionError(text)


@pytest.mark.parametrize("fn, args, loop_text, body_text", [
    (lp.weighted_sum, (np.ones(3), 2.0), "for i in range(len(x)):", "s = s + x[i] * w"),
    (it.newton_sqrt, (2.0,), "while abs(x * x - a)", "x = 0.5 * (x + a / x)"),
    (lp.zip_dot, (np.ones(3), np.ones(3)), "for a, b in zip(x, y):", "s = s + a * b + a * a"),
])
def test_generated_source_cites_loop_lines(fn, args, loop_text, body_text):
    d = srcgrad.grad(fn)
    d(*args)
    src = d.source
    loop_line = _line_of(fn, loop_text)
    body_line = _line_of(fn, body_text)
    assert f"# line {loop_line}:" in src
    assert f"# line {body_line}:" in src
    assert f"# backward of line {loop_line}:" in src
    assert f"# backward of line {body_line}:" in src
    # the forward comment comes before the backward one
    assert src.index(f"# line {loop_line}:") < src.index(f"# backward of line {loop_line}:")


def test_source_is_deterministic_for_loops_and_branches():
    for fn, args in ((lp.break_sometimes, (np.ones(3), 1.0)), (cf.nested_branches, (1.0, 2.0))):
        d1 = srcgrad.grad(fn, wrt=(0, 1))
        d1(*args)
        d2 = srcgrad.grad(fn, wrt=(0, 1))
        d2(*args)
        assert d1.source == d2.source


ALL_CASES = BRANCH_CASES + FOR_CASES + ITERATIVE_CASES + TRICKY_CASES + HYGIENE_CASES


@pytest.mark.parametrize("fn, args, wrt, tol", ALL_CASES)
def test_forward_mode_matches_finite_differences(fn, args, wrt, tol):
    """The same corpus through jvp: every construct in forward mode too."""
    srcgrad.check_grads(fn, args, wrt=wrt, modes=("forward",), **tol)


def test_enumerate_of_zip_matches_finite_differences():
    x, ws = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.7])
    srcgrad.check_grads(lp.enumerate_zip, (x, ws), wrt=(0, 1), modes=("reverse", "forward"))
