"""Issue 12: a `for` loop iterates exactly as Python does, whatever the compiler knows.

srcgrad lowers `for x in xs` to a loop over `range(len(xs))` that reads
`xs[i]`. Where the kind of `xs` is not known when the derivative is built (a
helper's parameter, a parameter that may hold a dict or a list), the loop runs
over `loop_items(xs)`: a dict's keys, a list, tuple or array itself. Before,
a loop over a dict in a helper read `d[0], d[1]` (a wrong value and gradient,
or a KeyError). A loop over a top-level array parameter, whose kind is known,
still indexes the array directly. Keys computed from a differentiated input
carry no derivative and are rejected; sets displays are rejected by the fence.

Gradients are checked in reverse mode (grad, vjp) and forward mode (jvp)
against central differences in float64, and against closed forms.
"""
import numpy as np
import pytest

import srcgrad
from srcgrad import SrcGradError, cache, grad, jvp
from srcgrad.compiler import Options


def check_both_modes(f, args, wrt):
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    srcgrad.check_grads(f, args, wrt=wrt, modes=("reverse", "forward"), rtol=1e-7, atol=1e-9)


def sum_of_int_keys(d):
    s = 0.0
    for k in d:
        s = s + k * 1.0
    return s


def int_keyed_dict_in_helper(x):
    d = {0: x, 1: x * 2.0}
    return sum_of_int_keys(d) * x


def test_loop_over_a_dict_in_a_helper_runs_over_its_keys():
    # Python: the keys 0 and 1 sum to 1.0, so f(x) = x; srcgrad read d[0] + d[1] = 3x
    assert int_keyed_dict_in_helper(3.0) == 3.0
    assert grad(int_keyed_dict_in_helper)(3.0) == pytest.approx(1.0, rel=1e-12)
    value, tangent = jvp(int_keyed_dict_in_helper, (3.0,), (1.0,))
    assert (value, tangent) == pytest.approx((3.0, 1.0), rel=1e-12)
    check_both_modes(int_keyed_dict_in_helper, (3.0,), 0)


def sum_of_entries(d):
    s = 0.0
    for k in d:
        s = s + d[k] * d[k]
    return s


def string_keyed_dict_in_helper(x):
    d = {"a": x, "b": x * 2.0}
    return sum_of_entries(d) * x


def test_loop_over_a_string_keyed_dict_in_a_helper():
    # f = 5 x^3: the KeyError 0 is gone
    assert grad(string_keyed_dict_in_helper)(1.5) == pytest.approx(15.0 * 1.5 ** 2, rel=1e-12)
    check_both_modes(string_keyed_dict_in_helper, (1.5,), 0)


def weighted_by_enumerate_and_zip(d, ws):
    s = 0.0
    for i, k in enumerate(d):
        s = s + d[k] * (i + 1.0)
    for k, w in zip(d, ws):
        s = s + d[k] * w
    return s


def enumerate_and_zip_over_a_dict_in_a_helper(x):
    d = {"a": x, "b": x * 2.0}
    return weighted_by_enumerate_and_zip(d, [x, 3.0])


def test_enumerate_and_zip_over_a_dict_in_a_helper():
    # 5x (enumerate) + x*x + 6x (zip): 11 + 2x
    assert enumerate_and_zip_over_a_dict_in_a_helper(1.5) == pytest.approx(11 * 1.5 + 1.5 ** 2, rel=1e-12)
    assert grad(enumerate_and_zip_over_a_dict_in_a_helper)(1.5) == pytest.approx(14.0, rel=1e-12)
    check_both_modes(enumerate_and_zip_over_a_dict_in_a_helper, (1.5,), 0)


def dict_loop_in_a_nested_def(x):
    d = {0: x, 1: x * 2.0}

    def keyed(m):
        s = 0.0
        for k in m:
            s = s + k * x
        return s

    return keyed(d) * x


def test_loop_over_a_dict_in_a_nested_def():
    # keyed(d) = (0 + 1) x, so f = x^2
    assert grad(dict_loop_in_a_nested_def)(3.0) == pytest.approx(6.0, rel=1e-12)
    check_both_modes(dict_loop_in_a_nested_def, (3.0,), 0)


def squares_of_items(ws):
    s = 0.0
    for w in ws:
        s = s + np.sum(w * w)
    return s


def lists_and_arrays_in_a_helper(x, A):
    return squares_of_items([x, 3.0]) + squares_of_items(A * x) + squares_of_items((x * x,))


def test_loop_over_a_list_tuple_or_array_in_a_helper_reads_items():
    x, A = 1.5, np.array([[1.0, -2.0], [0.5, 3.0]])
    expected = 2 * x + 2 * x * np.sum(A * A) + 4 * x ** 3
    assert grad(lists_and_arrays_in_a_helper)(x, A) == pytest.approx(expected, rel=1e-12)
    check_both_modes(lists_and_arrays_in_a_helper, (x, A), (0, 1))


def loop_over_dict_or_list_argument(params, x):
    s = 0.0
    for k in params:
        s = s + np.sum(params[k] * x)
    return s


def loop_over_items(tables, x):
    s = 0.0
    for t in tables:
        s = s + np.sum(t * x * t)
    return s


def test_loop_over_an_argument_that_is_a_dict_or_a_list():
    x = np.array([0.5, -1.5])
    as_dict = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -4.0])}
    g = grad(loop_over_dict_or_list_argument, wrt=1)(as_dict, x)
    np.testing.assert_allclose(g, as_dict["a"] + as_dict["b"], rtol=1e-12)
    check_both_modes(loop_over_dict_or_list_argument, (as_dict, x), (0, 1))
    tables = [np.array([1.0, 2.0]), np.array([3.0, -4.0])]
    g = grad(loop_over_items, wrt=0)(tables, x)
    np.testing.assert_allclose(g[0], 2 * tables[0] * x, rtol=1e-12)
    check_both_modes(loop_over_items, (tables, x), (0, 1))
    check_both_modes(loop_over_items, (tuple(tables), x), (0, 1))


def weighted_by_names(x, names):
    s = 0.0
    for n in names:
        s = s + TABLE[n] * x
    return s * x


TABLE = {"u": 2.0, "v": -0.5, "w": 4.0}


def test_loop_over_a_constant_set_argument():
    names = {"u", "w"}  # a set: iterated in Python's order, its entries constants
    assert grad(weighted_by_names)(1.5, names) == pytest.approx(2 * 1.5 * 6.0, rel=1e-12)
    check_both_modes(weighted_by_names, (1.5, names), 0)


def hessian_through_a_dict_loop_in_a_helper(x):
    d = {"a": x[0] * x[1], "b": x[1] ** 2}
    return sum_of_entries(d)


def test_hessian_through_a_dict_loop_in_a_helper():
    x = np.array([0.7, -1.3])
    a, b = x
    # f = a^2 b^2 + b^4
    expected = np.array([[2 * b * b, 4 * a * b], [4 * a * b, 2 * a * a + 12 * b * b]])
    np.testing.assert_allclose(srcgrad.hessian(hessian_through_a_dict_loop_in_a_helper)(x), expected,
                               rtol=1e-10)


def set_display_loop(x):
    s = 0.0
    for v in {x, 2.0 * x}:
        s = s + v
    return s


def active_key_in_display(x):
    d = {x: 1.0}
    s = 0.0
    for k in d:
        s = s + k * k
    return s


def active_key_stored(x):
    d = {}
    d[x] = 1.0
    s = 0.0
    for k in d:
        s = s + k * k
    return s


@pytest.mark.parametrize("f, line, text", [
    (set_display_loop, "for v in {x, 2.0 * x}:", "set literal"),
    (active_key_in_display, "d = {x: 1.0}", "'keys'"),
    (active_key_stored, "d[x] = 1.0", "key or index"),
])
def test_unordered_or_differentiated_keys_are_located_errors(f, line, text):
    # Python sums the keys: the derivative would need one through a key (2x, not 0)
    for mode in ("reverse", "forward"):
        with pytest.raises(SrcGradError) as err:
            if mode == "reverse":
                grad(f)(3.0)
            else:
                jvp(f, (3.0,), (1.0,))
        assert line in str(err.value) and text in str(err.value)
        assert "test_trust_iteration.py" in str(err.value)


def rnn_over_rows(W, xs):
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(W @ h + x)
    return np.sum(h)


def test_loop_over_a_top_level_array_indexes_it_directly():
    W, xs = np.eye(3) * 0.5, np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    g = grad(rnn_over_rows, wrt=(0, 1))
    g(W, xs)
    text = srcgrad.source(g)
    assert "loop_items" not in text and "x = xs[_i1]" in text
    tangent = cache.compiled(rnn_over_rows, Options(("W", "xs"), kinds=("array", "array"), mode="forward"))
    assert "loop_items" not in tangent.source and "x = xs[_i1]" in tangent.source
    check_both_modes(rnn_over_rows, (W, xs), (0, 1))


def copy_by_keys(m):
    out = {}
    for k in m:
        out[k] = m[k] * m[k]
    return out


def keys_from_a_loop_are_constants(params, x):
    out = {}
    for k in params:
        out[k] = params[k] * x
    squares = copy_by_keys({"a": x, "b": 2.0 * x})
    s = squares["a"] + squares["b"]
    for k in out:
        s = s + np.sum(out[k])
    return s


def test_keys_read_by_a_loop_over_a_dict_are_not_rejected():
    # a key read from a loop over a dict is a key already: storing by it is fine
    params = {"a": np.array([1.0, 2.0]), "b": np.array([3.0])}
    dx = grad(keys_from_a_loop_are_constants, wrt=1)(params, 1.5)
    assert dx == pytest.approx(10.0 * 1.5 + 6.0, rel=1e-12)
    check_both_modes(keys_from_a_loop_are_constants, (params, 1.5), (0, 1))


def keys_from_a_listed_array(x):
    d = {}
    vals = list(x * 2.0)  # items, not a dict's keys: they carry x's derivative
    for v in vals:
        d[v] = 1.0
    s = 0.0
    for k in d:
        s = s + k * d[k]
    return s


def keys_from_a_list_of_a_parameter(x):
    d = {}
    for v in list(x):
        d[v] = 1.0
    s = 0.0
    for k in d:
        s = s + k
    return s


@pytest.mark.parametrize("f", [keys_from_a_listed_array, keys_from_a_list_of_a_parameter])
def test_keys_listed_from_arrays_are_located_errors(f):
    # Python's answer depends on the keys (sum 2x, or x): the derivative would need one
    # through a key, which a dict key does not carry (it was a silent zero)
    x = np.array([1.0, 2.0])
    for mode in ("reverse", "forward"):
        with pytest.raises(SrcGradError) as err:
            if mode == "reverse":
                grad(f)(x)
            else:
                jvp(f, (x,), (np.ones(2),))
        assert "d[v] = 1.0" in str(err.value) and "key or index" in str(err.value)
        assert "test_trust_iteration.py" in str(err.value)
