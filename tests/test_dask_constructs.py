"""The language on Dask data: loops, `if` on a Dask value, subscript writes, no_grad.

Each derivative is checked against the same derivative on NumPy data, with
the number of computations it ran (dask_probe.watching): one, plus one per
`if` the function itself runs on a Dask value (Python needs a bool there;
the backward sweep replays the branch without computing again).
"""
import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import srcgrad  # noqa: E402
from dask_probe import chunked, watching  # noqa: E402

rng = np.random.default_rng(1616)
X_NP = rng.normal(size=(12, 3))
X = chunked(X_NP)
W = rng.normal(size=3)


def for_loop(w, X):
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.tanh(X @ w) * k)
    return s


def while_loop(w, X):
    s = 0.0
    i = 0
    while i < 3:
        s = s + np.sum(np.sin(X @ w + i))
        i += 1
    return s


def loop_over_rows(w, X):
    s = 0.0
    for i in range(4):
        s = s + np.sum(X[i] * w) ** 2
    return s


def branch(w, X):
    z = X @ w
    if np.sum(z) > 0:
        return np.sum(np.tanh(z))
    return np.sum(z ** 2)


def branch_in_loop(w, X):
    s = 0.0
    for k in range(2):
        z = X @ w + k
        if np.mean(z) > -100.0:  # taken both times
            s = s + np.sum(np.exp(-z ** 2))
    return s


def subscript_writes(w, X):
    z = X @ w
    z[0] = 3.0 * z[1]
    z[2:4] = np.sin(z[2:4])
    return np.sum(z ** 2)


def with_no_grad(w, X):
    z = X @ w
    with srcgrad.no_grad():
        scale = np.max(np.abs(z))
    return np.sum(z * scale)


def guarded_division(w, X):  # a NaN guard (tangent_ratio) on lazy values: no test computed
    z = X @ w
    return np.sum(np.sqrt(z * z + 1.0) * np.log1p(z * z))


# (function, computations per call: the one compute, and each `if` on a Dask value)
CONSTRUCTS = {f.__name__: (f, n) for f, n in [
    (for_loop, 1), (while_loop, 1), (loop_over_rows, 1), (branch, 2), (branch_in_loop, 3),
    (subscript_writes, 1), (with_no_grad, 1), (guarded_division, 1)]}


@pytest.mark.parametrize("name", CONSTRUCTS)
@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad], ids=["grad", "value_and_grad"])
def test_construct_on_dask_data(name, transform):
    fn, computes = CONSTRUCTS[name]
    d = transform(fn)
    with watching() as probe:
        got = d(W, X)
    assert (probe.computes, probe.conversions) == (computes, 0)
    want = transform(fn)(W, X_NP)
    if transform is srcgrad.value_and_grad:
        assert type(got[0]) is type(want[0]) and got[0] == pytest.approx(want[0], rel=1e-12)
        got, want = got[1], want[1]
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_branch_taken_follows_the_data():
    d = srcgrad.grad(branch)
    for x in (X_NP, -X_NP):
        np.testing.assert_allclose(d(W, chunked(x)), d(W, x), rtol=1e-12)


def test_subscript_write_leaves_the_callers_dask_array_alone():
    def writes_argument(w, X):
        X[0] = X[0] * 2.0
        return np.sum((X @ w) ** 2)

    x = chunked(X_NP)
    name = x.name
    got = srcgrad.grad(writes_argument, wrt=(0, 1))(W, x)
    want = srcgrad.grad(writes_argument, wrt=(0, 1))(W, X_NP.copy())
    assert x.name == name  # the caller's array object still has its own graph
    np.testing.assert_allclose(x.compute(), X_NP)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1].compute(), want[1], rtol=1e-12)


def test_numpy_only_function_raises_before_computing():
    def sorted_loss(w, X):
        return np.sum(np.sort(X @ w) ** 2)

    with watching() as probe, pytest.raises(srcgrad.SrcGradError, match=r"numpy\.sort.*\n?.*"):
        srcgrad.grad(sorted_loss)(W, X)
    assert probe.computes == 0


def test_helper_that_would_convert_raises_naming_it_and_the_line():
    def diagonal_loss(w, X):
        return np.sum(np.diagonal(X[:3] * w) ** 2)

    with watching(spy=False) as probe, pytest.raises(srcgrad.SrcGradError) as caught:
        srcgrad.grad(diagonal_loss)(W, X)
    message = str(caught.value)
    assert "diagonal_adjoint_helper turns a Dask array into NumPy" in message
    assert "return np.sum(np.diagonal(X[:3] * w) ** 2)" in message
    assert probe.computes == 0
