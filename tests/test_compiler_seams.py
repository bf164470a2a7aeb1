"""The compiler's seams: how it builds the derivatives of the user functions it calls.

`compiler.derive(fn, options, compile=...)` takes the function that builds a
callee's derivative; the cache passes its own lookup, so the compiler never
imports the cache. Called by hand without one, `derive` builds callees afresh
(with its own recursion guard). Both give the same code, and the right
gradient, in both modes.
"""
import numpy as np
import pytest

import srcgrad
from srcgrad import cache
from srcgrad.compiler import Options, derive


def _scaled_sin(x, w):
    return np.sin(x) * w


def model(x, w):
    y = _scaled_sin(x, w)
    return np.sum(y * y)


def countdown(x, n):
    if n > 0:
        return countdown(x * 0.5, n - 1)
    return np.sum(x)


def _central(fun, x, eps=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return out


X = np.array([0.3, -1.2, 2.0])
W = np.array([1.5, 0.5, -2.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_derive_by_hand_builds_callees_like_the_cache(mode):
    options = Options(("x",), kinds=("array", "array"), mode=mode)
    by_hand = derive(model, options)
    cached = derive(model, options, compile=cache.compiled)
    assert by_hand.source == cached.source
    assert ("_scaled_sin_forward" if mode == "reverse" else "_scaled_sin_jvp") in by_hand.source


def test_derive_by_hand_gives_the_gradient_in_both_modes():
    expected = _central(lambda x: model(x, W), X)
    reverse = derive(model, Options(("x",), kinds=("array", "array"))).bind(model)
    np.testing.assert_allclose(reverse(X, W), expected, rtol=1e-6, atol=1e-8)
    tangent = derive(model, Options(("x",), kinds=("array", "array"), mode="forward")).bind(model)
    columns = [tangent(X, W, x_dot=np.eye(3)[i])[1] for i in range(3)]
    np.testing.assert_allclose(columns, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_derive_by_hand_rejects_recursion(mode):
    with pytest.raises(srcgrad.SrcGradError, match="calls itself"):
        derive(countdown, Options(("x",), kinds=("array", "scalar"), mode=mode))


def test_callees_are_built_through_the_cache_lookup(monkeypatch):
    """The cache hands callees to `cache.compiled` as it is at call time (tests/snapshot.py
    hooks it there to record every derivative a build makes)."""
    seen = []
    original = cache.compiled

    def recording(fn, options):
        seen.append(fn.__name__)
        return original(fn, options)

    def fresh_model(x, w):  # a function of its own: not in the cache yet
        return np.sum(_scaled_sin(x, w))

    monkeypatch.setattr(cache, "compiled", recording)
    gradient = srcgrad.grad(fresh_model)(X, W)
    np.testing.assert_allclose(gradient, _central(lambda x: fresh_model(x, W), X), rtol=1e-6, atol=1e-8)
    assert "_scaled_sin" in seen
