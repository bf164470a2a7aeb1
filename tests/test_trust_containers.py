"""Issue 12, containers and no_grad: no silently wrong gradient (regression tests).

Containers: slices of list and tuple arguments (their adjoints merge entry by
entry), NumPy functions that read a list as an array (the array adjoint is
the list's, row by row), `np.append` of a list, and dicts filled by key. Each
is checked against central differences in both modes.

no_grad: a value assigned inside the block is a constant from there on, in
both modes, as in PyTorch. Finite differences see through no_grad, so these
are checked against closed forms, or against the same program with the
block's values passed in as fixed arguments.
"""
import collections

import numpy as np
import pytest

import srcgrad
from srcgrad import no_grad

MODES = ("reverse", "forward")
RNG = np.random.default_rng(12)
FLOATS = [0.3, -1.2, 0.7, 1.1]
ARRAYS = [RNG.normal(size=2) for _ in range(4)]


def _gradients(fun, args, wrt=0):
    """(reverse gradient, forward gradient by one jvp per entry) of `fun` in argument `wrt`."""
    reverse = srcgrad.grad(fun, wrt=wrt)(*args)
    x = np.asarray(args[wrt], dtype=float)
    forward = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        direction = np.zeros(x.shape)
        direction[i] = 1.0
        tangents = [None] * len(args)
        tangents[wrt] = direction if x.ndim else 1.0
        forward[i] = srcgrad.jvp(fun, args, tangents)[1]
    return reverse, forward


def _assert_both_modes(fun, args, expected, wrt=0):
    reverse, forward = _gradients(fun, args, wrt)
    np.testing.assert_allclose(reverse, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(forward, expected, rtol=1e-12, atol=1e-12)


# --- slices of list and tuple arguments ----------------------------------------------


def slice_rest(xs):
    rest = xs[1:]
    return np.sum(rest[0] * rest[1])


def slice_reversed(xs):
    r = xs[::-1]
    return np.sum(r[0] * 2.0 + r[1] * r[2])


def slice_stepped(xs):
    r = xs[::2]
    return np.sum(r[0] * r[1])


def slice_negative(xs):
    r = xs[-3:-1]
    return np.sum(r[0] * 3.0 + r[1] * r[1])


def slice_of_slice(xs):
    r = xs[1:]
    q = r[1:]
    return np.sum(q[0] * r[0] + q[-1])


def slice_summed_with_entry(xs):
    return np.sum(xs[1:]) + np.sum(xs[0] * xs[0])


def loop_over_slice(xs):
    s = 0.0
    for v in xs[1:]:
        s = s + v * v
    return np.sum(s)


def zip_over_slices(xs, ys):
    s = 0.0
    for a, b in zip(xs[:-1], ys[1:]):
        s = s + np.sum(a * b)
    return s


def enumerate_over_slice(xs):
    s = 0.0
    for i, a in enumerate(xs[1:]):
        s = s + np.sum(a) * (i + 1.0)
    return s


def unpack_slice(t):
    a, b = t[1:3]
    return np.sum(a * b)


def nested_slice(xs):
    inner = xs[1]
    part = inner[1:]
    return np.sum(part[0] * xs[0][0] + part[-1])


@pytest.mark.parametrize("mode", MODES)
def test_slice_of_a_list_argument_keeps_the_gradient_of_every_entry(mode):
    # The reproduction: the adjoint of `rest` was merged with `+`, which
    # concatenates lists, and xs[1]'s gradient was lost.
    xs = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])]
    srcgrad.check_grads(slice_rest, (xs,), modes=(mode,))
    if mode == "reverse":
        g = srcgrad.grad(slice_rest)(xs)
        np.testing.assert_allclose(g[1], [5.0, 6.0])
        np.testing.assert_allclose(g[2], [3.0, 4.0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fun", [slice_rest, slice_reversed, slice_stepped, slice_negative, slice_of_slice,
                                 slice_summed_with_entry, loop_over_slice, enumerate_over_slice])
@pytest.mark.parametrize("container", ["floats", "arrays", "tuple of floats", "tuple of arrays"])
def test_slices_of_list_and_tuple_arguments(fun, container, mode):
    xs = {"floats": FLOATS, "arrays": ARRAYS, "tuple of floats": tuple(FLOATS),
          "tuple of arrays": tuple(ARRAYS)}[container]
    srcgrad.check_grads(fun, (xs,), modes=(mode,))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("args", [(FLOATS, [0.1, 0.2, -0.3, 0.4]), (ARRAYS, ARRAYS[::-1])])
def test_zip_over_slices_of_two_list_arguments(args, mode):
    srcgrad.check_grads(zip_over_slices, args, wrt=(0, 1), modes=(mode,))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("t", [tuple(ARRAYS), tuple(FLOATS)])
def test_unpacking_a_slice_of_a_tuple_argument(t, mode):
    srcgrad.check_grads(unpack_slice, (t,), modes=(mode,))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("xs", [[ARRAYS[0], [ARRAYS[1], ARRAYS[2], ARRAYS[3]]],
                                [[0.5, 0.7], [0.1, 0.2, 0.3]]])
def test_a_slice_of_a_nested_list(xs, mode):
    srcgrad.check_grads(nested_slice, (xs,), modes=(mode,))


def mlp(Ws, bs, x):
    h = x
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.tanh(h @ W + b)
    return np.sum((h @ Ws[-1] + bs[-1]) ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_mlp_over_a_list_of_layers_gets_every_hidden_layers_gradient(mode):
    # The reproduction: zip(Ws[:-1], bs[:-1]) gave zero for every hidden layer.
    Ws = [RNG.normal(size=(3, 3)) * 0.5 for _ in range(3)]
    bs = [RNG.normal(size=3) * 0.1 for _ in range(3)]
    x = RNG.normal(size=3)
    srcgrad.check_grads(mlp, (Ws, bs, x), wrt=(0, 1), modes=(mode,))
    if mode == "reverse":
        dWs, _ = srcgrad.grad(mlp, wrt=(0, 1))(Ws, bs, x)
        assert all(np.abs(dW).max() > 1e-3 for dW in dWs)


# --- NumPy functions that read a list: the array adjoint is the list's ---------------


def append_list(xs, b):
    v = np.append(xs, b)
    return np.sum(v * v * np.arange(1.0, 1.0 + v.size))


def append_to_array(a, xs):
    v = np.append(a, xs)
    return np.sum(v ** 3)


def sum_of_list(xs):
    return np.sum(xs) * 2.0


def dot_of_list(xs, w):
    return np.dot(xs, w)


def max_of_list(xs):
    return np.max(xs)


def where_of_list(xs):
    return np.sum(np.where(np.array([True, False, True, True]), xs, 0.0))


def concatenate_list(xs, b):
    return np.sum(np.concatenate([xs, [b]]) ** 2)


def hstack_list(xs, b):
    return np.sum(np.hstack([xs, b]) ** 2)


def mean_and_entry(xs):
    return np.mean(xs) + xs[0] * 3.0


def stack_and_entry(xs):
    return np.sum(np.stack(xs) ** 2) + np.sum(xs[1])


@pytest.mark.parametrize("mode", MODES)
def test_np_append_of_a_list_of_floats(mode):
    # The reproduction: the list got a zero gradient.
    srcgrad.check_grads(append_list, (FLOATS, 0.5), wrt=(0, 1), modes=(mode,))
    if mode == "reverse":
        g, _ = srcgrad.grad(append_list, wrt=(0, 1))(FLOATS, 0.5)
        assert type(g) is list
        np.testing.assert_allclose(g, [2 * (i + 1) * v for i, v in enumerate(FLOATS)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fun, args, wrt", [
    (append_list, (ARRAYS, np.ones(2)), (0, 1)),
    (append_to_array, (np.ones(2), FLOATS), (0, 1)),
    (append_to_array, (0.5, tuple(FLOATS)), (0, 1)),
    (sum_of_list, (FLOATS,), 0),
    (sum_of_list, (ARRAYS,), 0),
    (dot_of_list, (FLOATS, np.arange(4.0)), (0, 1)),
    (max_of_list, (FLOATS,), 0),
    (where_of_list, (FLOATS,), 0),
    (concatenate_list, (FLOATS, 0.4), (0, 1)),
    (hstack_list, (tuple(FLOATS), np.ones(2)), (0, 1)),
    (mean_and_entry, (FLOATS,), 0),
    (stack_and_entry, (ARRAYS,), 0),
], ids=lambda v: getattr(v, "__name__", None))
def test_numpy_functions_reading_a_list_argument(fun, args, wrt, mode):
    srcgrad.check_grads(fun, args, wrt=wrt, modes=(mode,))


# --- dicts filled by key ------------------------------------------------------------


def dict_filled(x):
    d = {}
    d["a"] = x * 2.0
    d["b"] = x * x
    return np.sum(d["a"] * d["b"])


def dict_filled_in_loop(x):
    d = {}
    for k in range(3):
        d[k] = x * (k + 1.0)
    return np.sum(d[0] * d[2] + d[1])


def dict_string_keys_in_loop(x):
    d = {}
    for name in ["u", "vv", "www"]:
        d[name] = np.sin(x) * len(name) + x
    return np.sum(d["u"] * d["www"]) + np.sum(d["vv"])


def dict_chain(x):
    d = {}
    d[0] = x
    for k in range(1, 4):
        d[k] = np.tanh(d[k - 1] * 1.5)
    return np.sum(d[3])


def dict_overwritten(x):
    d = {}
    d["a"] = x * 2.0
    d["a"] = d["a"] * x
    d["b"] = d["a"] + 1.0
    return np.sum(d["b"])


def dict_of_numbers(x):
    d = {}
    d["p"] = x * 3.0
    d["q"] = d["p"] ** 2
    return d["q"] + d["p"]


def dict_accumulated_in_loop(x):
    d = {}
    d["s"] = 0.0
    for i in range(3):
        d["s"] = d["s"] + np.sum(x ** (i + 1.0))
    return d["s"]


def dict_filled_in_branches(x):
    d = {}
    for k in range(4):
        if k % 2 == 0:
            d[k] = x * k
        else:
            d[k] = np.exp(x)
    return np.sum(d[1] * d[2] + d[3])


def dict_holding_a_list(x):
    d = {}
    d["xs"] = [x, x * 2.0]
    return np.sum(d["xs"][0] * d["xs"][1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fun, x", [
    (dict_filled, np.array([0.3, -0.8, 1.1])),
    (dict_filled_in_loop, np.array([0.3, -0.8, 1.1])),
    (dict_string_keys_in_loop, np.array([0.3, -0.8, 1.1])),
    (dict_chain, np.array([0.3, -0.8, 1.1])),
    (dict_overwritten, np.array([0.3, -0.8, 1.1])),
    (dict_of_numbers, 0.7),
    (dict_accumulated_in_loop, np.array([0.3, -0.8, 1.1])),
    (dict_filled_in_branches, np.array([0.3, -0.8, 1.1])),
    (dict_holding_a_list, np.array([0.3, -0.8, 1.1])),
], ids=lambda v: getattr(v, "__name__", None))
def test_dict_filled_by_key(fun, x, mode):
    # The reproduction: KeyError (saving a key that did not exist yet) and
    # ValueError (the adjoint of a dict written by key) from the runtime.
    srcgrad.check_grads(fun, (x,), modes=(mode,))


def test_dict_filled_by_key_value_and_gradient():
    x = np.array([0.3, -0.8, 1.1])
    value, g = srcgrad.value_and_grad(dict_filled)(x)
    assert value == pytest.approx(np.sum(2 * x ** 3), rel=1e-12)
    np.testing.assert_allclose(g, 6 * x ** 2, rtol=1e-12)


# --- no_grad: a value assigned in the block is a constant -----------------------------


def rebind_in_no_grad(x):
    y = x * 3.0
    with srcgrad.no_grad():
        y = y * 2.0
    return np.sum(y)


def rebind_in_no_grad_mixed(x):
    y = x * 3.0
    with srcgrad.no_grad():
        y = y * 2.0
    return np.sum(y) + np.sum(x * y)


def rebind_in_branch(x, flag):
    y = x * 3.0
    with no_grad():
        if flag > 0.0:
            y = y * 2.0
    return np.sum(y * x)


def rebind_in_loop_in_block(x):
    y = x * 3.0
    with no_grad():
        for i in range(3):
            y = y + 1.0
    return np.sum(y * x)


def rebind_in_while_in_block(x):
    y = x * 2.0
    with no_grad():
        n = 0
        while n < 3:
            y = y * 0.5
            n = n + 1
    return np.sum(x * y)


def augmented_in_block(x):
    y = x * 3.0
    with no_grad():
        y += 1.0
    return np.sum(y * x)


def entry_written_in_block(x):
    y = x * 3.0
    with no_grad():
        y[0] = 10.0
    return np.sum(y * y)


def entry_from_active_value_in_block(x):
    y = x * 3.0
    with no_grad():
        y[1] = y[0] * 5.0
    return np.sum(y * x)


def nested_blocks(x):
    y = x * 2.0
    with no_grad():
        z = y * 3.0
        with no_grad():
            y = z + 1.0
    return np.sum(y * x + z)


def appended_in_block(x):
    ys = [x * 2.0]
    with no_grad():
        ys.append(x * 5.0)
    return np.sum(ys[0] * ys[1])


def _times_four(v):
    return v * 4.0


def helper_called_in_block(x):
    with no_grad():
        c = _times_four(x)
    return np.sum(c * x)


def number_rebound_in_block(a):
    b = a * a
    with no_grad():
        b = b + 1.0
    return b * a


def block_in_loop_rebinding(x):
    y = x
    for i in range(2):
        with no_grad():
            y = y * 2.0
        y = y * x
    return np.sum(y)


def returned_from_block(x):
    y = x * 2.0
    with no_grad():
        return np.sum(y * y)


def dict_entry_in_block(x):
    d = {}
    d["a"] = x * 2.0
    with no_grad():
        d["b"] = d["a"] * 3.0
    return np.sum(d["a"] * d["b"])


X = np.array([0.5, -1.2, 0.8])


@pytest.mark.parametrize("fun, args, expected", [
    # The reproduction: reverse mode passed the gradient through ([3, 3]).
    (rebind_in_no_grad, (X,), np.zeros(3)),
    (rebind_in_no_grad_mixed, (X,), 6 * X),            # y is the constant 6x
    (rebind_in_branch, (X, 1.0), 6 * X),               # y is the constant 6x
    (rebind_in_branch, (X, -1.0), 6 * X),              # y = 3x stays active: d(3x^2) = 6x
    (rebind_in_loop_in_block, (X,), 3 * X + 3),
    (rebind_in_while_in_block, (X,), X / 4),
    (augmented_in_block, (X,), 3 * X + 1),
    (entry_written_in_block, (X,), [0.0, 18 * X[1], 18 * X[2]]),
    (entry_from_active_value_in_block, (X,), [6 * X[0], 15 * X[0], 6 * X[2]]),
    (nested_blocks, (X,), 6 * X + 1),
    (appended_in_block, (X,), 10 * X),
    (helper_called_in_block, (X,), 4 * X),
    (number_rebound_in_block, (0.7,), 0.7 ** 2 + 1),
    (block_in_loop_rebinding, (X,), 4 * X ** 2),       # the last constant is 2 * (2x * x)
    (returned_from_block, (X,), np.zeros(3)),
    (dict_entry_in_block, (X,), 12 * X),              # d["b"] is the constant 6x
], ids=lambda v: getattr(v, "__name__", None))
def test_values_assigned_in_no_grad_are_constants_in_both_modes(fun, args, expected):
    _assert_both_modes(fun, args, expected)


def normalised_steps(x):
    s = 0.0
    y = x
    for i in range(3):
        y = y * 2.0
        with no_grad():
            scale = np.max(np.abs(y))
        y = y / scale
        s = s + np.sum(y * x)
    return s


def normalised_steps_fixed(x, scales):
    s = 0.0
    y = x
    for i in range(3):
        y = y * 2.0
        y = y / scales[i]
        s = s + np.sum(y * x)
    return s


@pytest.mark.parametrize("mode", MODES)
def test_no_grad_in_a_loop_equals_the_program_with_those_values_fixed(mode):
    x = np.array([0.5, -1.2, 0.8])
    scales, y = [], x
    for _ in range(3):
        y = y * 2.0
        scales.append(float(np.max(np.abs(y))))
        y = y / scales[-1]
    expected = srcgrad.grad(normalised_steps_fixed)(x, scales)
    srcgrad.check_grads(normalised_steps_fixed, (x, scales), modes=(mode,))
    reverse, forward = _gradients(normalised_steps, (x,))
    np.testing.assert_allclose(reverse if mode == "reverse" else forward, expected, rtol=1e-12)


def test_second_derivatives_see_the_same_constants():
    # d/dx of the constant 3x+1 is zero at every order (stop_gradient semantics)
    np.testing.assert_allclose(srcgrad.hessian(augmented_in_block)(X), np.zeros((3, 3)))
    np.testing.assert_allclose(srcgrad.hessian(entry_written_in_block)(X), np.diag([0.0, 18.0, 18.0]))


def augmented_alias_in_block(x):
    y = x * 1.0
    z = y
    with no_grad():
        y += 1.0
    return np.sum(z * x)


def test_an_in_place_change_in_no_grad_seen_through_another_name_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="may share memory with 'z'") as info:
        srcgrad.grad(augmented_alias_in_block)(X)
    assert "y += 1.0" in str(info.value)


def test_generated_code_marks_no_grad_values_with_stop_gradient():
    df = srcgrad.grad(rebind_in_no_grad_mixed)
    df(X)
    assert "y = stop_gradient(_t1)" in df.source
    assert "__srcgrad_no_grad__" not in df.source


# --- writing a key of a dict the function made: its entries do not change ------------


def display_then_key(x, y):
    d = {"a": x}
    d["b"] = y * x
    return np.sum(d["a"] * d["b"])


def entry_read_then_key_rewritten(x):
    d = {"a": x * 1.0}
    a = d["a"]
    d["a"] = a * 2.0
    return np.sum(a * d["a"])


def list_display_entry_rewritten(x, y):
    lst = [x, y]
    lst[0] = x * y
    return np.sum(lst[0] + lst[1] * x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fun, args, wrt", [
    (display_then_key, (X, X + 1.0), (0, 1)),
    (entry_read_then_key_rewritten, (X,), 0),
    (list_display_entry_rewritten, (X, X - 0.5), (0, 1)),
], ids=lambda v: getattr(v, "__name__", None))
def test_writing_a_slot_of_a_container_the_function_made(fun, args, wrt, mode):
    # A write into a slot rebinds it: the entries (x, a) keep their values. This was
    # rejected as "may share memory with 'x'".
    srcgrad.check_grads(fun, args, wrt=wrt, modes=(mode,))


def holder_then_key(x):
    d = {"a": x}
    outer = [d]
    d["b"] = x * 2.0
    return np.sum(outer[0]["b"])


def copy_then_key(x):
    d = {"a": x}
    e = d
    d["b"] = x * 2.0
    return np.sum(e["b"] * x)


def entry_changed_in_place(x):
    d = {"a": x * 1.0}
    a = d["a"]
    a[0] = 5.0
    return np.sum(d["a"] * x)


@pytest.mark.parametrize("fun, other", [(holder_then_key, "outer"), (copy_then_key, "e"),
                                        (entry_changed_in_place, "d")])
def test_a_write_seen_through_another_name_is_still_a_located_error(fun, other):
    with pytest.raises(srcgrad.SrcGradError, match=f"may share memory with '{other}'"):
        srcgrad.grad(fun)(X)


# --- a ufunc reads a list operand as an array -----------------------------------------


def mean_of_doubled_list(xs):
    return np.mean(np.multiply(xs, 2))


def square_of_list(xs):
    return np.sum(np.square(xs)) + xs[0]


def power_of_list(xs):
    return np.sum(np.power(xs, 2) * np.arange(3.0))


def maximum_of_list(xs):
    return np.sum(np.maximum(xs, 0) * np.arange(3.0))


def ufuncs_of_list(xs):
    return np.sum(np.log1p(xs) + np.arctan(xs) * np.cos(xs) + np.reciprocal(xs))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fun", [mean_of_doubled_list, square_of_list, power_of_list, maximum_of_list,
                                 ufuncs_of_list])
@pytest.mark.parametrize("xs", [[0.3, 0.7, 1.1], (0.3, 0.7, 1.1), [np.array(0.3), np.array(0.7), np.array(1.1)]],
                         ids=["floats", "tuple", "0-d arrays"])
def test_a_ufunc_of_a_list_argument(fun, xs, mode):
    # The rule's template saw the list: `xs_dot * 2` repeated it (np.mean of the doubled
    # list's tangent was silently the plain mean), `xs * 2.0` failed.
    srcgrad.check_grads(fun, (xs,), modes=(mode,))


# --- second order through dicts filled by key -----------------------------------------


@pytest.mark.parametrize("fun", [dict_filled_in_loop, dict_string_keys_in_loop, dict_filled_in_branches,
                                 dict_accumulated_in_loop])
def test_hessian_through_a_dict_filled_in_a_loop(fun):
    x = np.array([0.3, -0.8, 1.1])
    gradient = srcgrad.grad(fun)
    eps = 1e-5
    by_differences = np.array([(gradient(x + eps * e) - gradient(x - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(srcgrad.hessian(fun)(x), by_differences, rtol=1e-6, atol=1e-8)


def test_hessian_through_a_dict_key_restored_outside_loops():
    # The gradient's restore of the dict (restore_entry) restores the tangent too.
    x = np.array([0.3, -0.8, 1.1])
    grad = srcgrad.grad(dict_filled)
    eps = 1e-5
    expected = np.stack([(grad(x + eps * e) - grad(x - eps * e)) / (2 * eps) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(srcgrad.hessian(dict_filled)(x), expected, rtol=1e-6, atol=1e-6)


# --- `+` and `*` on entries of nested containers: joined or added at run time -------------

def repeats_an_entry_list(p, x):
    ws = p["ws"] * 2
    return np.sum(ws[0] * x) + np.sum(ws[3] * x)


def joins_two_entry_lists(p, x):
    joined = p["a"] + p["b"]
    return np.sum(joined[0] * x) + np.sum(joined[1] * x * x)


def joins_loop_items(p, x):
    s = 0.0
    for layer in p["layers"]:
        both = layer + layer
        s = s + np.sum(both[0] * x) + np.sum(both[-1] * x * x)
    return s


def repeats_a_list_inside_a_repetition(p, x):
    ws = p["ws"] * 2
    inner = ws[1] * 2  # ws[1] is a list: repeated again
    return np.sum(inner[0] * x) + np.sum(inner[3] * x * x)


def adds_entry_arrays(p, x):
    w = p["w"] + p["b"]  # arrays in a container argument: arithmetic
    return np.sum(w * x * p["scale"])


NESTED = [
    (repeats_an_entry_list, {"ws": [ARRAYS[0], ARRAYS[1]]}),
    (joins_two_entry_lists, {"a": [ARRAYS[0]], "b": [ARRAYS[1]]}),
    (joins_loop_items, {"layers": [[ARRAYS[0], ARRAYS[1]], [ARRAYS[2], ARRAYS[3]]]}),
    (repeats_a_list_inside_a_repetition, {"ws": [ARRAYS[0], [ARRAYS[1], ARRAYS[2]]]}),
    (adds_entry_arrays, {"w": ARRAYS[0], "b": ARRAYS[1], "scale": 1.5, "more": [ARRAYS[2]]}),
]


@pytest.mark.parametrize("fn, p", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_lists_inside_container_arguments_join_or_add(fn, p):
    x = np.array([0.4, -0.9])
    srcgrad.check_grads(fn, (p, x), wrt=(0, 1), modes=MODES)


def test_repeated_entry_list_gradient_collects_both_copies():
    x = np.array([0.4, -0.9])
    p = {"ws": [np.ones(2), np.ones(2)]}
    # ws[0] is p["ws"][0]; ws[3] is the second copy of p["ws"][1]
    dp, dx = srcgrad.grad(repeats_an_entry_list, wrt=(0, 1))(p, x)
    assert np.allclose(dp["ws"][0], x) and np.allclose(dp["ws"][1], x)
    assert np.allclose(dx, 2.0)


# --- a named tuple argument (FINDINGS15 #5) --------------------------------------------------

Params = collections.namedtuple("Params", "a b c")


def _named_loss(p):
    return p[0] * p[1] + np.sum(p[2] ** 2)


def test_a_named_tuple_argument_gets_a_named_tuple_of_gradients():
    p = Params(0.5, 2.0, np.array([1.0, 2.0]))
    expected = Params(2.0, 0.5, np.array([2.0, 4.0]))
    for g in (srcgrad.grad(_named_loss)(p), srcgrad.value_and_grad(_named_loss)(p)[1],
              srcgrad.vjp(_named_loss, p)[1](1.0)):
        assert type(g) is Params
        for got, want in zip(g, expected):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    value, tangent = srcgrad.jvp(_named_loss, (p,), (Params(1.0, -1.0, np.array([0.5, 0.0])),))
    assert tangent == pytest.approx(2.0 - 0.5 + 1.0)
    srcgrad.check_grads(_named_loss, (p,), modes=("reverse", "forward"))
    hessian = srcgrad.hessian(_named_loss)(p)
    assert type(hessian) is Params and type(hessian.c) is Params
    np.testing.assert_allclose(hessian.c.c, 2.0 * np.eye(2))
    assert hessian.a.b == pytest.approx(1.0)


# --- lists the function makes, used as loop state (FINDINGS15 #9) -------------------------
# A store into a slot of `[0.0] * n`, of a comprehension's list or of another name for
# one rebinds a slot of a list the function made: no argument's memory is written, so
# seeding it with an argument or an entry of one is differentiated, not refused.


def seeded_repeat(p):
    xs = [0.0] * 4
    xs[0] = p[0]
    for i in range(3):
        xs[i + 1] = xs[i] * p[1] + np.sin(xs[i])
    return sum(v * v for v in xs)


def seeded_comprehension(x):
    hs = [x * 0.0 for _ in range(3)]
    hs[0] = x
    for t in range(2):
        hs[t + 1] = np.tanh(hs[t] * 1.5) + hs[t][0]
    return np.sum(hs[-1] ** 2) + sum(np.sum(h) for h in hs)


def _central(fun, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = eps
        out[i] = (fun(x + step) - fun(x - step)) / (2 * eps)
    return out


@pytest.mark.parametrize("fun, x", [(seeded_repeat, [0.4, 0.9]), (seeded_comprehension, [0.3, -0.5, 0.8])],
                         ids=["repeat", "comprehension"])
def test_made_list_seeded_with_the_argument(fun, x):
    x = np.array(x)
    expected = _central(fun, x)
    lists = (srcgrad.grad(fun)(list(x)),) if fun is seeded_repeat else ()
    for got in _gradients(fun, (x,)) + lists:
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def renamed_made_list(x):
    a = [x * 1.0, x * 2.0]
    b = a
    b[0] = x * 3.0
    return np.sum(a[0] * x)


def test_a_made_list_written_through_another_name_is_still_refused():
    with pytest.raises(srcgrad.SrcGradError, match="may share memory with 'a'"):
        srcgrad.grad(renamed_made_list)(np.array([1.0, 2.0]))
