"""Mistakes at the boundary are SrcGradErrors that say what is wrong: a defvjp
rule's gradient larger than its argument (runtime `rule_gradients`), a tangent
whose structure or shape is not its primal's (boundary `check_tangent`, for jvp,
hvp's direction and jvp of a derivative). Correct uses are checked against
central differences in both modes."""
import numpy as np
import pytest

import srcgrad


def scaled_sinh(x, scale):
    return scale * np.sinh(x)


@srcgrad.defvjp(scaled_sinh)
def scaled_sinh_vjp(g, ans, x, scale):
    return g * scale * np.cosh(x), g * np.sinh(x)  # the second is not summed to scale's shape


@srcgrad.defjvp(scaled_sinh)
def scaled_sinh_jvp(tangents, ans, x, scale):
    dx, ds = tangents
    return dx * scale * np.cosh(x) + ds * np.sinh(x)


def uses_rule(x, s):
    return np.sum(scaled_sinh(x, s * 2.0) ** 2)


def test_an_unsummed_rule_gradient_names_the_rule_and_the_argument():
    x = np.array([0.3, -0.8, 1.0])
    with pytest.raises(srcgrad.SrcGradError, match=r"scaled_sinh_vjp returned a gradient of shape \(3,\) "
                                                   r"for its argument 'scale', which is a number"):
        srcgrad.grad(uses_rule, wrt=1)(x, 1.5)


def scaled_cosh(x, scale):
    return scale * np.cosh(x)


@srcgrad.defvjp(scaled_cosh)
def scaled_cosh_vjp(g, ans, x, scale):
    return g * scale * np.sinh(x), np.sum(g * np.cosh(x))


@srcgrad.defjvp(scaled_cosh)
def scaled_cosh_jvp(tangents, ans, x, scale):
    dx, ds = tangents
    return dx * scale * np.sinh(x) + ds * np.cosh(x)


def uses_good_rule(x, s):
    return np.sum(scaled_cosh(x, s * 2.0) ** 2)


def test_a_summed_rule_gradient_is_accepted_in_both_modes():
    x = np.array([0.3, -0.8, 1.0])
    eps = 1e-6
    expected = (uses_good_rule(x, 1.5 + eps) - uses_good_rule(x, 1.5 - eps)) / (2 * eps)
    assert srcgrad.grad(uses_good_rule, wrt=1)(x, 1.5) == pytest.approx(expected, rel=1e-7)
    assert srcgrad.jvp(uses_good_rule, (x, 1.5), (None, 1.0))[1] == pytest.approx(expected, rel=1e-7)


def energy(x):
    return np.sum(x ** 4) / 4 + x[0] * x[1]


@pytest.mark.parametrize("call", [
    lambda x: srcgrad.jvp(energy, (x,), (2.0,)),
    lambda x: srcgrad.jvp(lambda y: np.sum(y ** 2), (x,), (2.0,)),       # would broadcast silently
    lambda x: srcgrad.jvp(energy, (x,), (np.ones(3),)),
    lambda x: srcgrad.hvp(energy)(x, 2.0),
    lambda x: srcgrad.jvp(srcgrad.grad(energy), (x,), (2.0,)),
], ids=["jvp-number", "jvp-number-no-subscript", "jvp-shape", "hvp-number", "jvp-of-grad"])
def test_a_tangent_must_have_its_primals_shape(call):
    with pytest.raises(srcgrad.SrcGradError, match=r"the tangent of '\w+' is (a number|an array of shape "
                                                   r"\(3,\)), but '\w+' is an array of shape \(2,\)|"
                                                   r"the direction must have the shape of 'x', \(2,\)"):
        call(np.array([0.3, -0.8]))


def test_a_tangent_must_have_its_primals_structure():
    with pytest.raises(srcgrad.SrcGradError, match="is a dict with keys 'b', but 'd' is a dict with keys 'a'"):
        srcgrad.jvp(lambda d: d["a"] * 2.0, ({"a": 1.0},), ({"b": 1.0},))
    with pytest.raises(srcgrad.SrcGradError, match=r"'p\[1\]' is an array of shape \(2,\), but 'p\[1\]' is a number"):
        srcgrad.jvp(lambda p: p[0] * p[1], ((np.ones(2), 3.0),), ((np.ones(2), np.ones(2)),))
    with pytest.raises(srcgrad.SrcGradError, match="is None; None stands for a whole argument"):
        srcgrad.jvp(lambda d: d["a"] * d["b"], ({"a": 1.0, "b": 2.0},), ({"a": 1.0, "b": None},))


def test_matching_tangents_are_accepted():
    x = np.array([0.3, -0.8])
    v = np.array([1.0, 2.0])
    eps = 1e-6
    _, dot = srcgrad.jvp(energy, (x,), (v,))
    assert dot == pytest.approx((energy(x + eps * v) - energy(x - eps * v)) / (2 * eps), rel=1e-7)
    _, dot = srcgrad.jvp(lambda d: d["a"] * d["b"] ** 2, ({"a": 1.5, "b": 2.0},), ({"a": 1.0, "b": 0.0},))
    assert dot == pytest.approx(4.0)
    assert srcgrad.jvp(lambda t: t * 3.0, (np.array(2.0),), (1.0,))[1] == pytest.approx(3.0)
