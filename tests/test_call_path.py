"""The cached call path of a derivative: argument kinds, wrt checks and the
conversion of gradients, on the fast paths (every argument positional, the
function already compiled for these kinds) and the general one (keywords).

Every gradient here is derived by hand.
"""
import collections

import numpy as np
import pytest

import srcgrad
from srcgrad import api


def keyed_product(p):
    return p["a"] * p["b"]


def test_an_ordered_dict_of_floats_is_a_record_not_a_list_of_numbers():
    # its entries are read by key, so its adjoint cannot be a list indexed by position
    od = collections.OrderedDict(a=2.0, b=3.0)
    assert api._kind(od) == "record"
    assert api._kind([2.0, 3.0]) == "numbers" and api._kind((2.0, 3.0)) == "numbers"
    g = srcgrad.grad(keyed_product)(od)
    assert g == {"a": 3.0, "b": 2.0} and type(g) is dict


@pytest.mark.parametrize("value, kind", [
    (1.5, "scalar"), (2, "scalar"), (True, "other"), (np.float64(1.0), "scalar"),
    (np.float32(1.0), "other"), (np.ones(2), "array"), (np.ma.ones(2), "array"),
    ([], "record"), ((), "record"), ({}, "record"), ([1.0, 2.0], "numbers"), ((1.0,), "numbers"),
    ([1.0, 2], "container"), ([1.0, np.ones(2)], "record"), ({"a": 1.0}, "record"),
    ({"a": np.ones(2), "b": 1.0}, "record"), ({"a": [1.0]}, "container"), ([[1.0]], "container"),
    ([np.float64(1.0)], "container"), ([True], "container"), ("s", "other"), (None, "other"),
])
def test_kinds(value, kind):
    assert api._kind(value) == kind


# --- functions (gradients derived by hand) ----------------------------------------


def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_grad(x):
    g = [0.0] * len(x)
    for i in range(len(x) - 1):
        r = x[i + 1] - x[i] ** 2
        g[i] += -400.0 * r * x[i] - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * r
    return g


def first_entry_sine(x):
    return np.sin(x[0]) * x[1]   # np.sin of a float: NumPy scalars in the adjoint list


def only_first(x):
    return x[0] * x[0]           # x[1] gets no adjoint


def three(a, b, c):
    return a * b * c


def sum_times(a, b, c):
    return np.sum((a + b) * c)   # da and db are one array in the generated code


def record_sum_times(p, c):
    return np.sum((p["a"] + p["b"]) * c)


def record_mixed(p, c):
    return np.sum(p["w"] * c) * p["s"]


def square_sum(x):
    return np.sum(x * x)


def record_identity_view(p):
    return np.sum(p["a"] * 2.0) + np.sum(p["b"] * 3.0)


def call_twice(df, *args):
    df(*args)            # compiles for these kinds
    return df(*args)     # the cached (fast) path


# --- lists of numbers ------------------------------------------------------------


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_numbers_list_fast_path_returns_a_new_list_of_floats(transform):
    x = [0.3, -1.2, 0.8, 1.1]
    df = transform(rosen)
    out = call_twice(df, x)
    g = out[1] if transform is srcgrad.value_and_grad else out
    assert type(g) is list and g is not x and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, rosen_grad(x), rtol=1e-13)
    assert x == [0.3, -1.2, 0.8, 1.1]
    g2 = df(x)
    g2 = g2[1] if transform is srcgrad.value_and_grad else g2
    assert g2 is not g  # each call returns its own list
    if transform is srcgrad.value_and_grad:
        assert out[0] == pytest.approx(rosen(x))


def test_numbers_tuple_gives_a_tuple():
    g = call_twice(srcgrad.grad(rosen), (0.3, -1.2, 0.8))
    assert type(g) is tuple and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, rosen_grad([0.3, -1.2, 0.8]), rtol=1e-13)


def test_numbers_with_numpy_scalar_adjoints_become_python_floats():
    x = [0.5, 2.0]
    g = call_twice(srcgrad.grad(first_entry_sine), x)
    assert type(g) is list and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, [np.cos(0.5) * 2.0, np.sin(0.5)], rtol=1e-14)


def test_numbers_entry_without_adjoint_is_zero():
    g = call_twice(srcgrad.grad(only_first), [3.0, 5.0])
    assert g == [6.0, 0.0] and all(type(v) is float for v in g)


def test_numbers_list_then_bad_list_raises_the_same_error():
    df = srcgrad.grad(rosen)
    call_twice(df, [1.0, 2.0, 3.0])
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[1\].*str"):
        df([1.0, "a", 3.0])
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[0\].*bool"):
        df([True, 2.0])


# --- several positional wrt ---------------------------------------------------------


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_several_scalar_wrt(transform):
    df = transform(three, wrt=(0, 1, 2))
    out = call_twice(df, 2.0, 3.0, 5.0)
    g = out[1] if transform is srcgrad.value_and_grad else out
    assert type(g) is tuple and g == (15.0, 10.0, 6.0) and all(type(v) is float for v in g)
    if transform is srcgrad.value_and_grad:
        assert out[0] == 30.0


def test_several_wrt_ints_and_numpy_scalars_keep_their_conversion():
    df = srcgrad.grad(three, wrt=(0, 1, 2))
    call_twice(df, 2.0, 3.0, 5.0)
    g = df(2, np.float64(3.0), 5.0)  # int -> float; a NumPy float64 keeps its type
    assert g == (15.0, 10.0, 6.0)
    assert type(g[0]) is float and type(g[1]) is np.float64 and type(g[2]) is float


def test_several_wrt_bad_value_raises_through_the_fast_path():
    df = srcgrad.grad(sum_times, wrt=(0, 1))
    call_twice(df, np.ones(3), np.ones(3), np.arange(3.0))
    with pytest.raises(srcgrad.SrcGradError, match="'b'.*ndarray"):
        df(np.ones(3), np.ones(3, dtype=complex), np.arange(3.0))
    with pytest.raises(srcgrad.SrcGradError, match="bool"):
        df(np.ones(3), True, np.arange(3.0))


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_several_wrt_gradients_never_share_memory(transform):
    a, b, c = np.ones(3), np.full(3, 2.0), np.arange(3.0)
    df = transform(sum_times, wrt=(0, 1))
    for call in range(2):
        out = df(a, b, c)
        da, db = out[1] if transform is srcgrad.value_and_grad else out
        assert da is not db and not np.shares_memory(da, db)
        np.testing.assert_array_equal(da, c)
        np.testing.assert_array_equal(db, c)
        da += 1.0
        np.testing.assert_array_equal(db, c)
    # the keyword (general) path too
    da, db = srcgrad.grad(sum_times, wrt=(0, 1))(a, b, c=c)
    assert not np.shares_memory(da, db)


# --- records -----------------------------------------------------------------------


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_record_dict_fast_path(transform):
    p = {"w": np.array([1.0, 2.0]), "s": 3.0}
    c = np.array([4.0, 5.0])
    df = transform(record_mixed)
    out = call_twice(df, p, c)
    g = out[1] if transform is srcgrad.value_and_grad else out
    assert type(g) is dict and g is not p and list(g) == ["w", "s"]
    assert type(g["w"]) is np.ndarray and g["w"] is not p["w"] and g["w"].flags.writeable
    np.testing.assert_array_equal(g["w"], c * 3.0)
    assert type(g["s"]) is float and g["s"] == 14.0
    g2 = df(p, c)
    g2 = g2[1] if transform is srcgrad.value_and_grad else g2
    assert g2 is not g and not np.shares_memory(g2["w"], g["w"])


def test_record_dict_entries_never_share_memory():
    p = {"a": np.ones(3), "b": np.ones(3)}
    c = np.arange(3.0)
    df = srcgrad.grad(record_sum_times)
    for call in range(2):
        g = df(p, c)
        assert not np.shares_memory(g["a"], g["b"])
        g["a"] += 1.0
        np.testing.assert_array_equal(g["b"], c)
    g = srcgrad.grad(record_sum_times)(p, c=c)  # the general path
    assert not np.shares_memory(g["a"], g["b"])


def test_record_list_entries_never_share_memory():
    g = call_twice(srcgrad.grad(list_record_sum_times), [np.ones(3), np.ones(3)], np.arange(3.0))
    assert type(g) is list and not np.shares_memory(g[0], g[1])
    np.testing.assert_array_equal(g[0], np.arange(3.0))


def list_record_sum_times(q, c):
    return np.sum((q[0] + q[1]) * c)


def test_record_int_array_and_float32_entries_convert():
    p = {"a": np.arange(3), "b": np.ones(3, dtype=np.float32)}
    g = call_twice(srcgrad.grad(record_identity_view), p)
    assert g["a"].dtype == np.float64 and g["b"].dtype == np.float32
    np.testing.assert_array_equal(g["a"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(g["b"], [3.0, 3.0, 3.0])
    assert all(v.flags.writeable for v in g.values())


def test_record_bad_entry_raises_through_the_fast_path():
    df = srcgrad.grad(record_identity_view)
    call_twice(df, {"a": np.ones(2), "b": np.ones(2)})
    with pytest.raises(srcgrad.SrcGradError, match=r"p\['b'\].*ndarray"):
        df({"a": np.ones(2), "b": np.ones(2, dtype=complex)})
    with pytest.raises(srcgrad.SrcGradError, match=r"p\['b'\].*ndarray"):
        df({"a": np.ones(2), "b": np.array(["x", "y"])})


# --- one array ---------------------------------------------------------------------


def test_array_fast_path_bad_dtype_raises():
    df = srcgrad.grad(square_sum)
    call_twice(df, np.ones(3))
    with pytest.raises(srcgrad.SrcGradError, match="'x'.*ndarray"):
        df(np.ones(3, dtype=bool))
    g = df(np.arange(3))  # an int array is a valid wrt value: a float64 gradient
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0])


def test_array_fast_path_gradient_is_not_the_input_and_is_writeable():
    x = np.array([1.0, 2.0, 3.0])
    g = call_twice(srcgrad.grad(square_sum), x)
    assert g is not x and g.flags.writeable and not np.shares_memory(g, x)
    np.testing.assert_array_equal(g, 2.0 * x)


def test_last_kinds_follow_the_fast_path():
    df = srcgrad.grad(square_sum)
    call_twice(df, np.ones(2))
    call_twice(df, 1.5)
    assert df._last_kinds == ("scalar",)
    df(np.ones(2))
    assert df._last_kinds == ("array",)
    assert "def " in df.source
