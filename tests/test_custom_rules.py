"""srcgrad.defvjp / srcgrad.defjvp: user rules, used in both modes, in loops,
and never traced into."""
import numpy as np
import pytest
import scipy.special

import custom_rules as C
import srcgrad

rng = np.random.default_rng(9)
calls = {"vjp": 0, "jvp": 0}


@srcgrad.defvjp(C.opaque_product)
def opaque_product_vjp(g, ans, x, y):
    calls["vjp"] += 1
    return g * y, g * x


@srcgrad.defjvp(C.opaque_product)
def opaque_product_jvp(tangents, ans, x, y):
    calls["jvp"] += 1
    dx, dy = tangents
    return dx * y + x * dy


@srcgrad.defvjp(scipy.special.dawsn)  # compiled code without a rule of srcgrad's
def dawsn_vjp(g, ans, x):
    return g * (1.0 - 2.0 * x * ans)  # a bare value: one argument


def test_a_user_vjp_rule_is_used_inside_a_loop():
    x, y = rng.normal(size=3), rng.normal(size=3)
    before = calls["vjp"]
    srcgrad.check_grads(C.uses_opaque, (x, y), wrt=(0, 1))
    assert calls["vjp"] > before


def test_a_user_jvp_rule_is_used_in_forward_mode():
    x, y = rng.normal(size=3), rng.normal(size=3)
    before = calls["jvp"]
    srcgrad.check_grads(C.uses_opaque, (x, y), wrt=(0, 1), modes=("forward",))
    assert calls["jvp"] > before


def test_a_rule_for_a_c_function():
    srcgrad.check_grads(C.uses_scipy_dawsn, (rng.normal(size=4),))


def test_the_generated_code_calls_the_rule_and_does_not_trace_the_function():
    df = srcgrad.grad(C.uses_opaque, wrt=(0, 1))
    df(np.ones(2), np.ones(2))
    assert "opaque_product_vjp(" in df.source
    assert "_opaque_product_forward" not in df.source


def test_a_rule_with_the_wrong_arity_is_refused_at_registration():
    def three(a, b, c):
        return a

    with pytest.raises(srcgrad.SrcGradError, match="must take 5"):
        @srcgrad.defvjp(three)
        def bad_vjp(g, ans, a):
            return g


def test_forward_mode_without_a_jvp_rule_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="no defjvp rule"):
        srcgrad.jvp(C.uses_scipy_dawsn, (np.ones(2),), (np.ones(2),))
