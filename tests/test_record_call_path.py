"""The call path of a derivative with respect to a record (a dict of arrays), several
arguments by position (api.Derivative._planned, boundary._made_fits, boundary.kind_of).

`_planned` hands the generated function's dict over as it is when `_made_fits` says it
is the record's gradient as the general conversion would build it; every other result
goes through `CallPlan.gradient`. These tests hold `_made_fits` to its reference (the
loop it was before it was made cheaper) on each way a result can fail to fit, and the
calls to the general path's results.
"""
import collections

import numpy as np
import pytest

import srcgrad
from srcgrad.boundary import _made_fits, kind_of


def _reference(g, x, keys) -> bool:
    """`_made_fits` as it was written first: one test per entry, spelled out."""
    if type(g) is not dict or type(x) is not dict or len(x) != len(keys) or tuple(x) != keys:
        return False
    for gv, xv in zip(g.values(), x.values()):
        if type(gv) is not np.ndarray or type(xv) is not np.ndarray or gv.dtype != xv.dtype \
                or gv.shape != xv.shape or xv.dtype.kind != "f" or not gv.flags.writeable:
            return False
    return True


def _record():
    return {"W": np.ones((3, 2)), "b": np.zeros(2)}


def _cases():
    x = _record()
    keys = ("W", "b")
    readonly = np.zeros(2)
    readonly.flags.writeable = False
    yield "fits", {"W": np.ones((3, 2)), "b": np.ones(2)}, x, keys
    yield "a tuple", ({"W": np.ones((3, 2))},), x, keys
    yield "x a list", {"W": np.ones((3, 2)), "b": np.ones(2)}, [x["W"], x["b"]], keys
    yield "x an OrderedDict", {"W": np.ones((3, 2)), "b": np.ones(2)}, collections.OrderedDict(x), keys
    yield "other key order", {"W": np.ones((3, 2)), "b": np.ones(2)}, {"b": x["b"], "W": x["W"]}, keys
    yield "a key more", {"W": np.ones((3, 2)), "b": np.ones(2)}, {**x, "c": np.ones(1)}, keys
    yield "float32 gradient", {"W": np.ones((3, 2), np.float32), "b": np.ones(2)}, x, keys
    yield "float32 record", {"W": np.ones((3, 2)), "b": np.ones(2)}, {**x, "W": np.ones((3, 2), np.float32)}, keys
    yield "float32 both", {"W": np.ones((3, 2), np.float32), "b": np.ones(2)}, \
        {**x, "W": np.ones((3, 2), np.float32)}, keys
    yield "big-endian", {"W": np.ones((3, 2), ">f8"), "b": np.ones(2)}, {**x, "W": np.ones((3, 2), ">f8")}, keys
    yield "mixed endian", {"W": np.ones((3, 2), ">f8"), "b": np.ones(2)}, x, keys
    yield "an int entry", {"W": np.ones((3, 2)), "b": np.ones(2)}, {**x, "b": np.zeros(2, int)}, keys
    yield "another shape", {"W": np.ones((2, 3)), "b": np.ones(2)}, x, keys
    yield "a broadcast gradient", {"W": np.ones((1, 2)), "b": np.ones(2)}, x, keys
    yield "read-only", {"W": np.ones((3, 2)), "b": readonly}, x, keys
    yield "a float entry", {"W": np.ones((3, 2)), "b": 0.0}, x, keys
    yield "a float in the record", {"W": np.ones((3, 2)), "b": 0.0}, {**x, "b": 0.0}, keys
    yield "a subclass", {"W": np.ones((3, 2)), "b": np.ma.ones(2)}, x, keys
    yield "a gradient short of an entry", {"W": np.ones((3, 2))}, x, keys


# the cases that fit (a gradient short of an entry is never made: the keys are proved)
FITS = {"fits", "float32 both", "big-endian", "a gradient short of an entry"}


@pytest.mark.parametrize("name, g, x, keys", list(_cases()), ids=[c[0] for c in _cases()])
def test_made_fits_agrees_with_its_reference(name, g, x, keys):
    assert _made_fits(g, x, keys) == _reference(g, x, keys) == (name in FITS)


def test_kind_of_a_dict_and_its_subclasses():
    assert kind_of({"W": np.ones(2), "s": 1.5}) == "record"
    assert kind_of(collections.OrderedDict(W=np.ones(2))) == "record"
    assert kind_of({"W": np.ones(2), "n": 3}) == "container"  # an int entry: not a leaf
    assert kind_of({"W": [1.0]}) == "container"
    assert kind_of({}) == "record"


def loss(params, X, Y):
    h = np.tanh(X @ params["W"] + params["b"])
    return np.sum(h * Y)


def _args():
    rng = np.random.default_rng(5)
    return {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}, rng.normal(size=(4, 3)), rng.normal(size=(4, 2))


def _expected(params, X, Y):
    h = np.tanh(X @ params["W"] + params["b"])
    d = Y * (1.0 - h * h)
    return {"W": X.T @ d, "b": d.sum(axis=0)}


@pytest.mark.parametrize("wrt, many", [(0, False), ((0,), True), ("params", False)])
def test_planned_calls_hand_over_the_made_record(wrt, many):
    params, X, Y = _args()
    df = srcgrad.grad(loss, wrt=wrt)
    results = [df(params, X, Y) for _ in range(3)]  # built, planned, then the planned path again
    assert df._compiled().made == ("W", "b")
    expected = _expected(params, X, Y)
    for got in results:
        if many:
            assert type(got) is tuple and len(got) == 1
            got = got[0]
        assert type(got) is dict and list(got) == ["W", "b"]
        for key in got:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-13)
            assert not any(np.shares_memory(got[key], a) for a in (*params.values(), X, Y))
    first, second = (r[0] if many else r for r in results[1:])
    assert not any(np.shares_memory(first[k], second[k]) for k in first)


def test_records_that_do_not_fit_take_the_general_path():
    params, X, Y = _args()
    df = srcgrad.grad(loss)
    df(params, X, Y)
    df(params, X, Y)
    small = {k: v.astype(np.float32) for k, v in params.items()}
    for record in (small, {"b": params["b"], "W": params["W"]}, collections.OrderedDict(params)):
        for _ in range(2):
            got = df(record, X, Y)
        assert list(got) == list(record) and type(got) is type(record) or type(record) is collections.OrderedDict
        expected = _expected(record, X, Y)
        for key in record:
            assert got[key].dtype == record[key].dtype
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5)
