"""Calls to the user's own Python functions: each callee is differentiated once,
as a split pair (forward with a tape, backward), and called from the caller's
generated code."""
import numpy as np
import pytest

import calls as K
import srcgrad
from srcgrad import cache

rng = np.random.default_rng(21)

CASES = [
    (K.uses_helpers, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), (0, 1)),
    (K.loop_calls, (0.3, 5), (0,)),
    (K.calls_branchy, (0.4,), (0,)),
    (K.calls_branchy, (1.4,), (0,)),
    (K.uses_global_and_closure, (0.7,), (0,)),
    (K.calls_a_writer, (rng.normal(size=3),), (0,)),
    (K.accumulate, ([0.5, -1.2, 2.0], 0.8), (1,)),
    (K.calls_in_a_loop_with_tapes, (rng.normal(size=(3, 2, 4)), rng.normal(size=(4, 5))), (0, 1)),
]


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_user_calls_match_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt)


def test_the_caller_runs_the_callee_forward_pair_and_backward_pair():
    df = srcgrad.grad(K.uses_helpers, wrt=(0, 1))
    df(rng.normal(size=(3, 4)), rng.normal(size=(4, 2)))
    assert "_affine_forward(x, w, scale=2.0)" in df.source
    assert "_affine_backward(" in df.source


def test_a_callee_is_compiled_once_for_several_call_sites():
    def twice(x):
        return K.sq(x) + K.sq(x * 2.0)

    before = cache.compile_count
    srcgrad.grad(twice)(0.5)
    # the caller, and sq once (both calls have a scalar argument, the same wrt)
    assert cache.compile_count - before <= 2
    assert srcgrad.grad(twice)(0.5) == pytest.approx(2 * 0.5 + 8 * 0.5)


def test_recursion_is_a_located_error_not_a_hang():
    with pytest.raises(srcgrad.SrcGradError, match="calls itself"):
        srcgrad.grad(K.recursive)(1.5)


def test_an_inactive_call_is_left_as_written():
    def f(x, n):
        m = K.sq(n)
        return x * m

    df = srcgrad.grad(f)
    assert df(2.0, 3.0) == pytest.approx(9.0)
    assert "m = K.sq(n)" in df.source


import nested_defs as N  # noqa: E402

NESTED = [
    (N.outer, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (N.outer_loop, (0.4, 0.9), (0, 1)),
    (N.deeper, (0.7,), (0,)),
    (N.rebinds_what_it_reads, (2.0, 3.0), (0, 1)),
    (N.closure_stepper, (1.0, 0.5), (0, 1)),
    (N.squares_twice, (1.3,), (0,)),
    (N.layers_reading_h, (np.array([0.5, -1.2, 2.0, 0.3]),), (0,)),
    (N.helper_calls_helper, (np.array([0.5, -1.2]),), (0,)),
    (N.helper_calls_a_constant_helper, (0.7, 3.0), (0,)),
    (N.helpers_in_a_chain, (0.4, 0.9), (0, 1)),
]


@pytest.mark.parametrize("fn,args,wrt", NESTED, ids=lambda v: getattr(v, "__name__", ""))
def test_nested_helpers_match_finite_differences(fn, args, wrt):
    """Nested defs are lifted: the outer variables they read get their gradients."""
    srcgrad.check_grads(fn, args, wrt=wrt)


def test_a_nested_helper_stays_in_the_forward_sweep_as_written():
    df = srcgrad.grad(N.outer, wrt=(0, 1))
    df(rng.normal(size=3), rng.normal(size=3))
    assert "def g(v):" in df.source
    assert "_g_forward(x, scale=scale, w=w)" in df.source


def test_a_helper_rebinding_what_it_reads_keeps_the_old_value_apart():
    """`a = g(b)` with g reading `a`: the call reads the old a, so it lands in a
    temporary and the old a's gradient (3.0, from a * b) is not dropped."""
    df = srcgrad.grad(N.rebinds_what_it_reads, wrt=(0, 1))
    assert df(2.0, 3.0) == (3.0, 2.0)
    assert "_t1, _tape1 = _g_forward(b, a=a)" in df.source


@pytest.mark.parametrize("fn,args", [(N.squares_twice, (1.3,)), (N.closure_stepper, (0.8, 0.5)),
                                     (N.helpers_in_a_chain, (0.4, 0.9))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_hessian_through_a_helper_rebinding_what_it_reads(fn, args):
    """Forward over reverse, against central differences of the gradient in x."""
    eps = 1e-5
    first = srcgrad.grad(fn)
    x, rest = args[0], args[1:]
    expected = (first(x + eps, *rest) - first(x - eps, *rest)) / (2 * eps)
    assert srcgrad.hessian(fn)(*args) == pytest.approx(expected, rel=1e-6)


def test_a_helper_calling_a_helper_gets_the_outer_variables_both_read():
    df = srcgrad.grad(N.helper_calls_helper)
    assert df(np.array([0.5, -1.2])) == pytest.approx([-1.2 + 1.0, 0.5])
    assert "_h_forward(_t1, a=a, g=g)" in df.source


def test_hessian_of_a_squared_square_is_exact():
    assert srcgrad.hessian(N.squares_twice)(1.3) == pytest.approx(12 * 1.3 ** 2)


@pytest.mark.parametrize("fn,args,wrt", CASES + NESTED, ids=lambda v: getattr(v, "__name__", ""))
def test_forward_mode_through_user_calls_matches_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt, modes=("forward",))
