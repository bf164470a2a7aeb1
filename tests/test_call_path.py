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
    (np.float32(1.0), "other"), (np.ones(2), "array"),
    ([], "record"), ((), "record"), ({}, "record"), ([1.0, 2.0], "numbers"), ((1.0,), "numbers"),
    ([1.0, 2], "container"), ([1.0, np.ones(2)], "record"), ({"a": 1.0}, "record"),
    ({"a": np.ones(2), "b": 1.0}, "record"), ({"a": [1.0]}, "container"), ([[1.0]], "container"),
    ([np.float64(1.0)], "container"), ([True], "container"), ("s", "other"), (None, "other"),
])
def test_kinds(value, kind):
    assert api._kind(value) == kind


def test_masked_array_kind_is_refused():
    with pytest.raises(srcgrad.SrcGradError, match="MaskedArray"):
        api._kind(np.ma.ones(2))


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


def cached_call(df, *args):
    """Three calls: the first compiles for these kinds, the second makes the call plan,
    the third runs it (for one argument, inline in `Derivative.__call__`)."""
    df(*args)
    df(*args)
    return df(*args)


# --- lists of numbers ------------------------------------------------------------


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_numbers_list_fast_path_returns_a_new_list_of_floats(transform):
    x = [0.3, -1.2, 0.8, 1.1]
    df = transform(rosen)
    out = cached_call(df, x)
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
    g = cached_call(srcgrad.grad(rosen), (0.3, -1.2, 0.8))
    assert type(g) is tuple and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, rosen_grad([0.3, -1.2, 0.8]), rtol=1e-13)


def test_numbers_with_numpy_scalar_adjoints_become_python_floats():
    x = [0.5, 2.0]
    g = cached_call(srcgrad.grad(first_entry_sine), x)
    assert type(g) is list and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, [np.cos(0.5) * 2.0, np.sin(0.5)], rtol=1e-14)


def test_numbers_entry_without_adjoint_is_zero():
    g = cached_call(srcgrad.grad(only_first), [3.0, 5.0])
    assert g == [6.0, 0.0] and all(type(v) is float for v in g)


def test_numbers_list_then_bad_list_raises_the_same_error():
    df = srcgrad.grad(rosen)
    cached_call(df, [1.0, 2.0, 3.0])
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[1\].*str"):
        df([1.0, "a", 3.0])
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[0\].*bool"):
        df([True, 2.0])


# --- several positional wrt ---------------------------------------------------------


@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.value_and_grad])
def test_several_scalar_wrt(transform):
    df = transform(three, wrt=(0, 1, 2))
    out = cached_call(df, 2.0, 3.0, 5.0)
    g = out[1] if transform is srcgrad.value_and_grad else out
    assert type(g) is tuple and g == (15.0, 10.0, 6.0) and all(type(v) is float for v in g)
    if transform is srcgrad.value_and_grad:
        assert out[0] == 30.0


def test_several_wrt_ints_and_numpy_scalars_keep_their_conversion():
    df = srcgrad.grad(three, wrt=(0, 1, 2))
    cached_call(df, 2.0, 3.0, 5.0)
    g = df(2, np.float64(3.0), 5.0)  # int -> float; a NumPy float64 keeps its type
    assert g == (15.0, 10.0, 6.0)
    assert type(g[0]) is float and type(g[1]) is np.float64 and type(g[2]) is float


def test_several_wrt_bad_value_raises_through_the_fast_path():
    df = srcgrad.grad(sum_times, wrt=(0, 1))
    cached_call(df, np.ones(3), np.ones(3), np.arange(3.0))
    with pytest.raises(srcgrad.SrcGradError, match="'b'.*an array of complex128"):
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
    out = cached_call(df, p, c)
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
    g = cached_call(srcgrad.grad(list_record_sum_times), [np.ones(3), np.ones(3)], np.arange(3.0))
    assert type(g) is list and not np.shares_memory(g[0], g[1])
    np.testing.assert_array_equal(g[0], np.arange(3.0))


def list_record_sum_times(q, c):
    return np.sum((q[0] + q[1]) * c)


def test_record_int_array_and_float32_entries_convert():
    p = {"a": np.arange(3), "b": np.ones(3, dtype=np.float32)}
    g = cached_call(srcgrad.grad(record_identity_view), p)
    assert g["a"].dtype == np.float64 and g["b"].dtype == np.float32
    np.testing.assert_array_equal(g["a"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(g["b"], [3.0, 3.0, 3.0])
    assert all(v.flags.writeable for v in g.values())


def test_record_bad_entry_raises_through_the_fast_path():
    df = srcgrad.grad(record_identity_view)
    cached_call(df, {"a": np.ones(2), "b": np.ones(2)})
    with pytest.raises(srcgrad.SrcGradError, match=r"p\['b'\].*an array of complex128"):
        df({"a": np.ones(2), "b": np.ones(2, dtype=complex)})
    with pytest.raises(srcgrad.SrcGradError, match=r"p\['b'\].*an array of <U1"):
        df({"a": np.ones(2), "b": np.array(["x", "y"])})


# --- one array ---------------------------------------------------------------------


def test_array_fast_path_bad_dtype_raises():
    df = srcgrad.grad(square_sum)
    cached_call(df, np.ones(3))
    with pytest.raises(srcgrad.SrcGradError, match="'x'.*an array of bool"):
        df(np.ones(3, dtype=bool))
    g = df(np.arange(3))  # an int array is a valid wrt value: a float64 gradient
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0])


def test_array_fast_path_gradient_is_not_the_input_and_is_writeable():
    x = np.array([1.0, 2.0, 3.0])
    g = cached_call(srcgrad.grad(square_sum), x)
    assert g is not x and g.flags.writeable and not np.shares_memory(g, x)
    np.testing.assert_array_equal(g, 2.0 * x)


def test_last_kinds_follow_the_fast_path():
    df = srcgrad.grad(square_sum)
    cached_call(df, np.ones(2))
    cached_call(df, 1.5)
    assert df._last_kinds == ("scalar",)
    df(np.ones(2))
    assert df._last_kinds == ("array",)
    assert "def " in df.source


# --- one argument: the plan found by the argument's type (`Derivative._one`) ---------


def cubed(x):
    return x * x * x


def scaled_square(x, c=2.0):
    return c * x * x


def scaled_cube(x, c=2.0):
    return c * x * x * x


def doubled_square(x):
    return 2.0 * x * x


def last_squared(x):
    return x[1] * x[1]


def positive_log(x):
    assert x > 0.0, "x must be positive"
    return np.log(x)


def test_one_list_argument_checks_each_entry_on_every_call():
    df = srcgrad.grad(rosen)
    cached_call(df, [0.3, -1.2, 0.8])
    assert list in df._one  # the one-argument plan is in use
    # a later list of another length: its own gradient, of its length
    g = df([0.3, -1.2, 0.8, 1.1, 0.5])
    assert type(g) is list and len(g) == 5
    np.testing.assert_allclose(g, rosen_grad([0.3, -1.2, 0.8, 1.1, 0.5]), rtol=1e-13)
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[2\].*str"):
        df([0.3, -1.2, "0.8"])
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[1\].*bool"):
        df([0.3, False, 0.8])
    # an int entry: not a list of Python floats, still differentiated, floats back
    g = df([0.3, 1, 0.8])
    assert type(g) is list and all(type(v) is float for v in g)
    np.testing.assert_allclose(g, rosen_grad([0.3, 1.0, 0.8]), rtol=1e-13)
    # a NumPy scalar in the list keeps its type, as a NumPy scalar argument does
    g = df([np.float64(0.3), -1.2, 0.8])
    assert [type(v) for v in g] == [np.float64, float, float]
    np.testing.assert_allclose(g, rosen_grad([0.3, -1.2, 0.8]), rtol=1e-13)
    assert df._last_kinds != ("numbers",)
    g = df([0.3, -1.2, 0.8])
    assert df._last_kinds == ("numbers",)
    np.testing.assert_allclose(g, rosen_grad([0.3, -1.2, 0.8]), rtol=1e-13)


def test_one_list_argument_nested_or_empty_is_not_a_list_of_numbers():
    df = srcgrad.grad(only_first)
    cached_call(df, [3.0, 5.0])
    g = df([np.array(2.0), 5.0])  # an array entry: a record, its gradient an array
    assert type(g) is list and type(g[0]) is np.ndarray and g[0].shape == () and g[1] == 0.0
    assert g[0] == 4.0
    with pytest.raises((srcgrad.SrcGradError, TypeError)):
        df([[3.0], 5.0])  # a nested list: no float entry to multiply
    with pytest.raises(IndexError):
        df([])  # the user's own error passes through


def test_one_list_argument_gradient_is_a_new_list_each_call():
    df = srcgrad.grad(only_first)
    x = [3.0, 5.0]
    g1, g2 = cached_call(df, x), df(x)
    assert g1 == g2 == [6.0, 0.0] and g1 is not g2 and g1 is not x
    g1[0] = 100.0
    assert df(x) == [6.0, 0.0] and x == [3.0, 5.0]


def test_one_float_argument_on_the_plan():
    df = srcgrad.grad(cubed)
    assert cached_call(df, 2.0) == 12.0 and float in df._one
    g = df(2)  # an int: a Python float gradient
    assert type(g) is float and g == 12.0
    with pytest.raises(srcgrad.SrcGradError, match="bool"):
        df(True)
    g = df(np.float64(2.0))
    assert type(g) is np.float64 and g == 12.0


def test_one_array_argument_on_the_plan_keeps_dtype_and_checks():
    df = srcgrad.grad(square_sum)
    x = np.array([1.0, 2.0, 3.0])
    cached_call(df, x)
    g = df(x.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, 2.0 * x)
    g = df(np.arange(3))
    assert g.dtype == np.float64
    with pytest.raises(srcgrad.SrcGradError, match="real array"):
        df(x + 1j)
    g = df(x[::2])  # a view: its own shape, a new array
    assert g.shape == (2,) and not np.shares_memory(g, x)
    np.testing.assert_array_equal(g, [2.0, 6.0])


def test_one_argument_non_scalar_output_and_user_errors_on_the_plan():
    df = srcgrad.grad(positive_log)
    assert cached_call(df, 2.0) == pytest.approx(0.5)
    with pytest.raises(AssertionError, match="positive"):
        df(-1.0)
    dc = srcgrad.grad(cubed)
    cached_call(dc, 2.0)
    with pytest.raises(srcgrad.SrcGradError, match="scalar"):
        dc(np.ones(3))
    assert dc(3.0) == 27.0


@pytest.fixture
def restore_code():
    saved = [(f, f.__code__, f.__defaults__) for f in (cubed, scaled_square, only_first)]
    yield
    for f, code, defaults in saved:
        f.__code__, f.__defaults__ = code, defaults


def test_one_argument_plan_sees_its_code_replaced(restore_code):
    df = srcgrad.grad(cubed)
    assert cached_call(df, 2.0) == 12.0
    cubed.__code__ = doubled_square.__code__
    assert df(2.0) == 8.0
    assert cached_call(df, 2.0) == 8.0
    dl = srcgrad.grad(only_first)
    assert cached_call(dl, [3.0, 5.0]) == [6.0, 0.0]
    only_first.__code__ = last_squared.__code__
    assert dl([3.0, 5.0]) == [0.0, 10.0]
    assert cached_call(dl, [3.0, 5.0]) == [0.0, 10.0]


def test_planned_call_and_defaults_replaced(restore_code):
    df = srcgrad.grad(scaled_square)
    assert cached_call(df, 3.0, 2.0) == 12.0   # every parameter by position: the plan
    assert cached_call(df, 3.0) == 12.0        # the default read
    scaled_square.__defaults__ = (5.0,)
    assert df(3.0) == 30.0
    assert df(3.0, 2.0) == 12.0
    assert cached_call(df, 3.0, 1.0) == 6.0
    assert df(3.0) == 30.0
    scaled_square.__code__ = scaled_cube.__code__  # two arguments, by position: the plan sees it
    assert df(3.0, 1.0) == 27.0
    assert cached_call(df, 3.0, 2.0) == 54.0


def test_one_argument_plan_converts_whatever_the_generated_code_hands_back():
    """The checks after the generated function runs, given results it never makes
    today: the input itself, a wrong shape, a read-only or an integer array."""
    x = np.array([1.0, 2.0, 3.0])
    df = srcgrad.grad(square_sum)
    cached_call(df, x)
    plan = df._one[np.ndarray]
    read_only = np.ones(3)
    read_only.setflags(write=False)
    results = {"the input": lambda v: v, "one entry, broadcast": lambda v: np.ones(1),
               "read-only": lambda v: read_only, "ints": lambda v: np.ones(3, dtype=int),
               "a float": lambda v: 1.0}
    for label, fake in results.items():
        plan.fn = fake
        g = df(x)
        assert type(g) is np.ndarray and g.shape == x.shape and g.dtype == np.float64, label
        assert g.flags.writeable and not np.shares_memory(g, x), label
        np.testing.assert_array_equal(g, x if label == "the input" else np.ones(3), err_msg=label)
    dl = srcgrad.grad(only_first)
    y = [3.0, 5.0]
    cached_call(dl, y)
    plan = dl._one[list]
    # the compiler proved the real function's list new and of floats (`Compiled.fresh`):
    # the call path hands it over unchecked; a stand-in has no such proof
    assert plan.fresh
    plan.fresh = False
    for label, fake in {"the input": lambda v: v, "NumPy scalars": lambda v: [np.float64(e) for e in v],
                        "a tuple": lambda v: tuple(v)}.items():
        plan.fn = fake
        g = dl(y)
        assert type(g) is list and g is not y and g == y and all(type(e) is float for e in g), label
    plan.fn = lambda v: v[:1]
    with pytest.raises((ValueError, TypeError)):
        dl(y)  # one entry short: never a list of the wrong length


total = 1.0


def helper_of_one(x):
    return x * x


def calls_helper_of_one(x):
    return helper_of_one(x) * total


def test_one_argument_plan_sees_a_helper_rebound(monkeypatch):
    df = srcgrad.grad(calls_helper_of_one)
    assert cached_call(df, 3.0) == 6.0
    monkeypatch.setitem(globals(), "helper_of_one", cubed)
    assert df(3.0) == 27.0
    monkeypatch.setitem(globals(), "total", 2)  # a number of another type: built again
    assert cached_call(df, 3.0) == 54.0
