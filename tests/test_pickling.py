"""Derivatives pickle after their first call (FINDINGS18 #9): `Pool.map(df, ...)`.

A Derivative pickles as its function (by reference), wrt and options; the
copy builds its generated (and numba-compiled) functions again at its first
call. Every value is compared with the derivative that was pickled.
"""
import math
import multiprocessing
import pickle

import numpy as np
import pytest

import srcgrad


def pendulum(g, n):
    th, om = 1.0, 0.0
    for _ in range(n):
        om = om - 0.01 * g * math.sin(th)
        th = th + 0.01 * om
    return th * th


def with_aux(x, w):
    loss = np.sum(w * np.tanh(x))
    return loss, x.shape[0]


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "pickle-cache"))


def test_python_derivatives_pickle_after_a_call():
    x, w = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -2.0])
    for d, args in [(srcgrad.grad(pendulum), (9.81, 40)),
                    (srcgrad.value_and_grad(with_aux, wrt=(0, "w"), has_aux=True), (x, w)),
                    (srcgrad.grad(with_aux, wrt=1, has_aux=True, debug_nans=True), (x, w))]:
        want = d(*args)
        again = pickle.loads(pickle.dumps(d))
        got = again(*args)
        assert repr(got) == repr(want)  # the same structure, types and bits
        assert again.wrt == d.wrt and again.backend == "python"
        assert again.__name__ == d.__name__
    # the function as given: a partial of a module-level function pickles too
    import functools
    d = srcgrad.grad(functools.partial(pendulum, n=30))
    want = d(9.81)
    assert pickle.loads(pickle.dumps(d))(9.81) == want


def test_a_lambda_gets_pickles_own_error():
    d = srcgrad.grad(lambda x: x * x)
    d(2.0)
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda"):
        pickle.dumps(d)


def test_numba_derivative_maps_over_a_pool_after_a_call():
    pytest.importorskip("numba")
    d = srcgrad.grad(pendulum, backend="numba")
    gs = [9.81, 3.7, 1.6]
    want = [d(g, 40) for g in gs]  # called first, as users do
    assert d.backend == "numba"
    again = pickle.loads(pickle.dumps(d))
    assert [again(g, 40) for g in gs] == want and again.backend == "numba"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.starmap(d, [(g, 40) for g in gs])
    assert got == want
    np.testing.assert_allclose(want, [srcgrad.grad(pendulum)(g, 40) for g in gs], rtol=1e-12, atol=0)


def test_higher_transforms_pickle_as_the_call_that_made_them():
    x, w = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -2.0])
    for t, args in [(srcgrad.hvp(with_aux_free), (x, w, np.array([1.0, -2.0, 0.5]))),
                    (srcgrad.hessian(with_aux_free, wrt="w"), (x, w)),
                    (srcgrad.jacobian(with_aux_free), (x, w)),
                    (srcgrad.jacobian(srcgrad.grad(with_aux_free)), (x, w)),
                    (srcgrad.value_and_grad(srcgrad.grad(pendulum)), (9.81, 20))]:
        want = t(*args)
        again = pickle.loads(pickle.dumps(t))
        assert again.__name__ == t.__name__
        assert repr(again(*args)) == repr(want)


def test_a_pullback_holding_one_calls_tape_is_refused_saying_why():
    _, pullback = srcgrad.vjp(pendulum, 9.81, 20)
    with pytest.raises(TypeError, match="holds the values of one call"):
        pickle.dumps(pullback)


def with_aux_free(x, w):
    return np.sum(w * np.tanh(x) * x)
