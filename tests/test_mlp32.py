"""Small-array overhead (issue 15, MLP batch 32): record gradients proved new memory
at compile time (srcgrad/fresh.py, boundary._made_fits), and a fast path that checks
its few guards' own results (optimize/fastpath.py, runtime.nan_free).

Each shortcut must give what the general path gives: the same values, a gradient that
shares no memory with the caller's arrays nor within itself, and, where a NaN guard
matters, the NaN-safe twin's result with no warning of its own.
"""
import warnings

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.fresh import made_record
from srcgrad.runtime import nan_free


def mlp(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum((z - lse) * Y) / X.shape[0]


def mlp_by_hand(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dlogits = (p * Y.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    da = dlogits @ params["W2"].T * (1.0 - h * h)
    return {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": h.T @ dlogits, "b2": dlogits.sum(axis=0)}


def mlp_args(seed=0, n=6, d_in=4, d_hidden=5, d_out=3):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(d_in, d_hidden)), "b1": rng.normal(size=d_hidden),
              "W2": rng.normal(size=(d_hidden, d_out)), "b2": rng.normal(size=d_out)}
    X = rng.normal(size=(n, d_in))
    Y = np.eye(d_out)[rng.integers(0, d_out, n)]
    return params, X, Y


def twin_of(df, kinds):
    return df._function(kinds, nan_safe=True)


KINDS = ("record", "array", "array")


# --- the record gradient proved new memory -------------------------------------------


def test_the_mlp_gradient_is_proved_new_memory_and_handed_over_right():
    params, X, Y = mlp_args()
    df = srcgrad.grad(mlp)
    for call in range(3):  # the first call builds; the later ones take the planned path
        g = df(params, X, Y)
        assert df._compiled().made == ("W1", "b1", "W2", "b2")
        assert type(g) is dict and list(g) == ["W1", "b1", "W2", "b2"]
        expected = mlp_by_hand(params, X, Y)
        for key in g:
            np.testing.assert_allclose(g[key], expected[key], rtol=1e-12, atol=1e-14)
            assert g[key].flags.writeable and g[key].dtype == np.float64
            for given in (*params.values(), X, Y):
                assert not np.shares_memory(g[key], given)
            for other in g:
                assert other == key or not np.shares_memory(g[key], g[other])
    again = df(params, X, Y)
    assert all(not np.shares_memory(again[k], g[k]) for k in g)
    before = {k: v.copy() for k, v in params.items()}
    g["W1"] += 1.0  # an optimizer's update changes nothing of the caller's
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


def test_a_record_in_another_key_order_or_with_more_keys_takes_the_general_path():
    params, X, Y = mlp_args(1)
    df = srcgrad.grad(mlp)
    df(params, X, Y)
    expected = mlp_by_hand(params, X, Y)
    swapped = {k: params[k] for k in ("b2", "W2", "b1", "W1")}
    df(swapped, X, Y)
    g = df(swapped, X, Y)
    assert list(g) == ["b2", "W2", "b1", "W1"]
    for key in g:
        np.testing.assert_allclose(g[key], expected[key], rtol=1e-12, atol=1e-14)
    more = {**params, "unused": np.ones(2)}
    df(more, X, Y)
    g = df(more, X, Y)
    assert list(g) == ["W1", "b1", "W2", "b2", "unused"]
    np.testing.assert_array_equal(g["unused"], np.zeros(2))
    assert not np.shares_memory(g["unused"], more["unused"])


def test_float32_entries_keep_their_dtype_through_the_general_path():
    params, X, Y = mlp_args(2)
    small = {k: v.astype(np.float32) for k, v in params.items()}
    df = srcgrad.grad(mlp)
    df(small, X, Y)
    g = df(small, X, Y)
    expected = mlp_by_hand(small, X, Y)
    for key in g:
        assert g[key].dtype == np.float32
        np.testing.assert_allclose(g[key], expected[key], rtol=1e-5, atol=1e-6)


def shared_sum(p, c):
    return np.sum((p["a"] + p["b"]) * c)


def test_entries_from_one_adjoint_are_not_proved_and_never_share():
    p, c = {"a": np.ones(3), "b": np.full(3, 2.0)}, np.arange(3.0)
    df = srcgrad.grad(shared_sum)
    for call in range(2):
        g = df(p, c)
        assert df._compiled().made is None  # both entries are one adjoint, `_dt3`
        assert not np.shares_memory(g["a"], g["b"])
        np.testing.assert_array_equal(g["a"], c)
        np.testing.assert_array_equal(g["b"], c)


def _proved(source: str, kinds=None):
    fn = gast.parse(source).body[0]
    params = [a.id for a in fn.args.args]
    names = {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)}
    kinds = kinds or {n: "np" for n in names}

    def callee(call):
        return getattr(runtime, call.func.id, None) if isinstance(call.func, gast.Name) else None

    return made_record(fn, params, kinds, callee)


@pytest.mark.parametrize("source, proved", [
    ("def g(p, c):\n    da = c * 2.0\n    db = matmul_adjoint_left(da, c, c)\n"
     "    d = {'a': da, 'b': db}\n    return d", ("a", "b")),
    # unbroadcast may hand on its first argument: two entries from one allocation
    ("def g(p, c):\n    t = c * 2.0\n    da = unbroadcast(t, c)\n    db = unbroadcast(t, c)\n"
     "    d = {'a': da, 'b': db}\n    return d", None),
    # an argument, a global, a subscript: not memory the function made
    ("def g(p, c):\n    da = c\n    db = c * 2.0\n    d = {'a': da, 'b': db}\n    return d", None),
    ("def g(p, c):\n    da = G\n    db = c * 2.0\n    d = {'a': da, 'b': db}\n    return d", None),
    ("def g(p, c):\n    t = c * 2.0\n    da = t[0]\n    d = {'a': da}\n    return d", None),
    ("def g(p, c):\n    da = unbroadcast(c, c)\n    d = {'a': da}\n    return d", None),
    # bound in a loop, or stored into after the display: unknown
    ("def g(p, c):\n    da = c * 2.0\n    for i in range(3):\n        da = c\n"
     "    d = {'a': da}\n    return d", None),
    ("def g(p, c):\n    da = c * 2.0\n    d = {'a': da}\n    d['a'] = c\n    return d", None),
    # an unknown call
    ("def g(p, c):\n    da = mystery(c)\n    d = {'a': da}\n    return d", None),
    # rebound by an assignment expression, or under a non-string key
    ("def g(p, c):\n    da = c * 2.0\n    t = (da := c)\n    d = {'a': da}\n    return d", None),
    ("def g(p, c):\n    da = c * 2.0\n    d = {1: da}\n    return d", None),
])
def test_made_record_proves_only_new_distinct_memory(source, proved):
    assert _proved(source) == proved


def test_a_list_operand_is_no_allocation():
    source = "def g(p, c):\n    da = c * 2\n    d = {'a': da}\n    return d"
    assert _proved(source, {"c": None, "da": None, "d": None}) is None  # `c` could be a list


# --- the fast path that checks its guards' results -----------------------------------


def test_the_mlp_fast_path_checks_its_two_guards_results_only():
    params, X, Y = mlp_args(3)
    df = srcgrad.grad(mlp)
    g = df(params, X, Y)
    fast = srcgrad.source(df)
    assert fast.count("nan_free(") == 2 and "has_nan" not in fast
    assert "with raise_float_errors():" in fast and "pole_ratio" not in fast
    twin = twin_of(df, KINDS)(params, X, Y)
    for key in g:
        np.testing.assert_array_equal(g[key], twin[key])  # bitwise the twin's


def test_a_nan_in_the_data_gives_the_twins_gradient():
    params, X, Y = mlp_args(4)
    X[2, 1] = np.nan
    df = srcgrad.grad(mlp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither path warns of its own
        g = df(params, X, Y)
    twin = twin_of(df, KINDS)(params, X, Y)
    for key in g:
        np.testing.assert_array_equal(g[key], twin[key])  # NaN where the twin has NaN
    assert np.isnan(g["b1"]).all() and np.isnan(g["W1"][1]).all()


def log_where(p, x):
    return np.sum(np.where(x > 0.0, np.log(p["a"] * x), 0.0)) + np.sum(p["b"] * p["b"])


@pytest.mark.parametrize("settings", [{}, {"all": "raise"}])
def test_a_nan_operand_a_guard_keeps_zero_hands_over_to_the_twin(settings):
    p = {"a": np.array([1.5, 2.0, 4.0]), "b": np.array([1.0, -3.0])}
    x = np.array([np.nan, 2.0, -1.0])
    df = srcgrad.grad(log_where)
    df(p, np.array([1.0, 2.0, 3.0]))
    assert "nan_free(" in srcgrad.source(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(**settings):
            with np.errstate(invalid="ignore"):  # log of a negative number is the user's own
                g = df(p, x)
    np.testing.assert_array_equal(g["a"], [0.0, 0.5, 0.0])  # 0 / NaN kept 0, not NaN
    np.testing.assert_array_equal(g["b"], [2.0, -6.0])


def exp_where(p, x):
    return np.sum(np.where(x < 50.0, np.exp(p["s"] * x), 0.0)) + np.sum(p["t"] * x)


def test_an_overflow_on_the_unselected_side_gives_zero_quietly():
    p = {"s": np.ones(3), "t": np.ones(3)}
    x = np.array([0.5, 800.0, -1.0])
    df = srcgrad.grad(exp_where)
    df(p, np.array([0.5, 1.0, -1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="ignore"):  # exp(800) in the forward sweep is the user's own
            g = df(p, x)
    np.testing.assert_allclose(g["s"], [0.5 * np.exp(0.5), 0.0, -np.exp(-1.0)], rtol=1e-14)
    assert g["s"][1] == 0.0
    np.testing.assert_array_equal(g["t"], x)


def test_nan_free():
    a = np.array([1.0, np.inf, -2.0])
    assert nan_free(a) is a
    for value in (np.zeros(0), np.arange(3), np.float64(2.0), 1.5, np.array(3.0)):
        assert nan_free(value) is value
    for value in (np.array([1.0, np.nan]), np.float64("nan"), float("nan"), np.array([1j, np.nan])):
        with pytest.raises(FloatingPointError):
            nan_free(value)
