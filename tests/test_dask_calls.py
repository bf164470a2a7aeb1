"""Derivatives called with Dask data: one computation per call, nothing converted.

The spy (`dask_probe.watching`) counts every run of Dask's scheduler and every
`Array.__array__` (a Dask array turned into NumPy). A gradient of a NumPy
argument comes back as NumPy, the value as a NumPy number, as with NumPy
data; a gradient of a Dask argument as a Dask array of the argument's chunks.
"""
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import srcgrad  # noqa: E402
from dask_probe import chunked, watching  # noqa: E402

rng = np.random.default_rng(16)
X_NP = rng.normal(size=(40, 5))
Y_NP = (rng.random(40) > 0.5).astype(float)
X, Y = chunked(X_NP), chunked(Y_NP)
W = rng.normal(size=5)
PARAMS = {"W1": rng.normal(size=(5, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=4), "b2": 0.3}


def logreg(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def mlp(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def loop(w, X):
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.tanh(X @ w) * k)
    return s


PROGRAMS = {"logreg": (logreg, (W, X, Y), (W, X_NP, Y_NP)),
            "mlp": (mlp, (PARAMS, X, Y), (PARAMS, X_NP, Y_NP)),
            "loop": (loop, (W, X), (W, X_NP))}


def assert_same(got, want):
    """Same structure, same types (NumPy for NumPy), values to 1e-12."""
    if isinstance(want, dict):
        assert type(got) is dict and got.keys() == want.keys()
        for k in want:
            assert_same(got[k], want[k])
    elif isinstance(want, tuple):
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w)
    else:
        assert type(got) is type(want), (type(got), type(want))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", PROGRAMS)
@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad], ids=["grad", "value_and_grad"])
def test_one_computation_and_numpy_results(name, transform):
    fn, dask_args, numpy_args = PROGRAMS[name]
    d = transform(fn)
    for _ in range(2):  # the first call builds the derivative; the second is the cached one
        with watching() as probe:
            got = d(*dask_args)
        assert probe.computes == 1 and probe.conversions == 0, (probe.computes, probe.conversions)
        assert_same(got, transform(fn)(*numpy_args))


def test_value_is_a_number_not_a_lazy_array():
    value, g = srcgrad.value_and_grad(logreg)(W, X, Y)
    assert isinstance(value, np.float64) and value == pytest.approx(logreg(W, X_NP, Y_NP), rel=1e-12)
    assert type(g) is np.ndarray


def test_gradient_of_a_dask_argument_stays_a_dask_array():
    w = chunked(W, 2)
    with watching() as probe:
        value, (gw, gX) = srcgrad.value_and_grad(logreg, wrt=(0, 1))(w, X, Y)
    assert probe.computes == 1 and probe.conversions == 0
    want_value, (want_w, want_X) = srcgrad.value_and_grad(logreg, wrt=(0, 1))(W, X_NP, Y_NP)
    assert isinstance(gw, da.Array) and gw.chunks == w.chunks
    assert isinstance(gX, da.Array) and gX.chunks == X.chunks
    np.testing.assert_allclose(gw.compute(), want_w, rtol=1e-12)
    np.testing.assert_allclose(gX.compute(), want_X, rtol=1e-12)
    assert value == pytest.approx(want_value, rel=1e-12)


def test_dask_entries_of_a_dict_argument():
    params = {"W1": chunked(PARAMS["W1"]), "b1": PARAMS["b1"], "W2": PARAMS["W2"], "b2": 0.3}
    d = srcgrad.grad(mlp)
    d(PARAMS, X_NP, Y_NP)  # a NumPy call first: the same kinds, a plan without Dask
    with watching() as probe:
        got = d(params, X, Y)
    assert probe.computes == 1 and probe.conversions == 0
    want = d(PARAMS, X_NP, Y_NP)
    assert isinstance(got["W1"], da.Array) and type(got["b1"]) is np.ndarray and type(got["b2"]) is float
    np.testing.assert_allclose(got["W1"].compute(), want["W1"], rtol=1e-12)
    np.testing.assert_allclose(got["b1"], want["b1"], rtol=1e-12)
    assert got["b2"] == pytest.approx(want["b2"], rel=1e-12)


def test_integer_dask_argument_is_differentiated_as_float64():
    xi = np.arange(6)
    got = srcgrad.grad(lambda x: np.sum(x * x))(chunked(xi))
    assert isinstance(got, da.Array) and got.dtype == np.float64
    np.testing.assert_array_equal(got.compute(), 2.0 * xi)


def test_aux_is_returned_as_the_function_made_it():
    def with_aux(w, X):
        z = X @ w
        return np.sum(z ** 2), z

    with watching() as probe:
        (value, z), g = srcgrad.value_and_grad(with_aux, has_aux=True)(W, X)
    assert probe.computes == 1 and probe.conversions == 0
    assert isinstance(z, da.Array)  # lazy, as the function returned it
    np.testing.assert_allclose(z.compute(), X_NP @ W, rtol=1e-12)
    np.testing.assert_allclose(g, 2 * X_NP.T @ (X_NP @ W), rtol=1e-12)
    assert value == pytest.approx(np.sum((X_NP @ W) ** 2), rel=1e-12)


def test_numpy_and_dask_calls_of_one_derivative_alternate():
    d = srcgrad.grad(logreg)
    for args in [(W, X_NP, Y_NP), (W, X, Y), (W, X_NP, Y_NP), (W, X, Y)]:
        got = d(*args)
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, d(W, X_NP, Y_NP), rtol=1e-12)


def test_import_srcgrad_does_not_import_dask(tmp_path):
    script = tmp_path / "uses_numpy.py"
    script.write_text("import sys, numpy, srcgrad\n"
                      "def f(x, y):\n"
                      "    return numpy.sum(x * y)\n"
                      "srcgrad.grad(f)(numpy.ones(3), numpy.ones(3))\n"
                      "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith('dask.')))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def tanh_layer(w, X):
    return np.tanh(X @ w)


def test_vjp_value_is_lazy_and_its_pullback_computes_once():
    with watching() as probe:
        value, pullback = srcgrad.vjp(tanh_layer, W, X)
        assert probe.computes == 0  # the value is the function's own: lazy
        g = pullback(np.linspace(-1.0, 1.0, 40))
    assert probe.computes == 1 and probe.conversions == 0
    assert isinstance(value, da.Array)
    np.testing.assert_allclose(value.compute(), np.tanh(X_NP @ W), rtol=1e-12)
    _, numpy_pullback = srcgrad.vjp(tanh_layer, W, X_NP)
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, numpy_pullback(np.linspace(-1.0, 1.0, 40)), rtol=1e-12)


def test_vjp_pullback_of_a_dask_argument_with_a_dask_cotangent():
    cotangent = np.linspace(-1.0, 1.0, 40)
    with watching() as probe:
        _, pullback = srcgrad.vjp(tanh_layer, W, X, wrt=(0, 1))
        gw, gX = pullback(chunked(cotangent))
    assert probe.computes == 1 and probe.conversions == 0
    want_w, want_X = srcgrad.vjp(tanh_layer, W, X_NP, wrt=(0, 1))[1](cotangent)
    assert type(gw) is np.ndarray and isinstance(gX, da.Array) and gX.chunks == X.chunks
    np.testing.assert_allclose(gw, want_w, rtol=1e-12)
    np.testing.assert_allclose(gX.compute(), want_X, rtol=1e-12)


@pytest.mark.parametrize("wrt", [0, 1])
def test_jacobian_computes_every_row_at_once(wrt):
    with watching() as probe:
        got = srcgrad.jacobian(tanh_layer, wrt=wrt)(W, X)
    assert probe.computes == 1 and probe.conversions == 0
    assert type(got) is np.ndarray  # a Jacobian's blocks are NumPy (see docs/dask-internals.md)
    np.testing.assert_allclose(got, srcgrad.jacobian(tanh_layer, wrt=wrt)(W, X_NP), rtol=1e-12)
