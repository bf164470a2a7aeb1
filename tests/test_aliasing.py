"""The alias checker: in-place writes where memory may be shared.

Arrays stored in list and dict slots share memory with the name they came from
(a slot store is like a display or an append); an augmented assignment into a
slot changes the array held there in place. Such code is refused with a located
error when another name or slot would see the change. Code whose names hold new
arrays by the time of the write (a rebinding, a fresh buffer in a loop) shares
nothing and is differentiated, checked in both modes against central differences.
"""
import numpy as np
import pytest

import srcgrad

X = np.array([0.5, -1.2, 2.0])


def _both_modes(fun, *args):
    srcgrad.check_grads(fun, args, modes=("reverse", "forward"))


def _refused(fun, line_text, *args):
    """grad and jvp both raise a SrcGradError located at the line holding `line_text`."""
    for build in (lambda: srcgrad.grad(fun)(*args),
                  lambda: srcgrad.jvp(fun, args, tuple(np.ones_like(a) for a in args))):
        with pytest.raises(srcgrad.SrcGradError) as info:
            build()
        assert line_text in str(info.value)
    return str(info.value)


# --- rebound names share nothing with the old value (finding 10) ---------------------------

def rebound_then_written(x):
    y = x * 1.0
    z = y
    y = y + 1.0          # a new array: only z holds the old one
    z[0] = 2.0 * z[1]
    return np.sum(z ** 2) + np.sum(y * x)


def rebound_in_loop_then_written(x):
    y = x * 1.0
    for _ in range(3):
        z = y
        y = np.sin(y)
        z[0] = 2.0 * z[1] + z[0]
    return np.sum(z ** 2) + np.sum(y)


def rebound_but_still_held(x):
    y = x * 1.0
    z = y
    w = y
    y = y + 1.0          # w still holds the array z writes into
    z[0] = 2.0 * z[1]
    return np.sum(w) + np.sum(y)


def rebound_then_viewed_again(x):
    y = x * 1.0
    z = y
    y = y + 1.0
    y = z[:2]            # a view of z again
    z[0] = 2.0 * z[1]
    return np.sum(y) + np.sum(z)


def test_a_rebound_name_does_not_see_a_write():
    _both_modes(rebound_then_written, X)
    _both_modes(rebound_in_loop_then_written, X)


def test_a_name_still_holding_the_array_is_refused():
    assert "'w'" in _refused(rebound_but_still_held, "z[0] = 2.0 * z[1]", X)
    assert "'y'" in _refused(rebound_then_viewed_again, "z[0] = 2.0 * z[1]", X)


# --- a fresh buffer written in an inner loop (finding 3) -----------------------------------

def double_buffer(u0):
    cur = u0.copy()
    for _ in range(3):
        nxt = np.zeros(3)
        for i in range(3):
            nxt[i] = np.sin(cur[i]) * 2.0 + cur[(i + 1) % 3]
        cur = nxt
    return np.sum(cur ** 2)


def double_buffer_viewed_in_inner_loop(u0):
    cur = u0.copy()
    total = 0.0
    for _ in range(2):
        nxt = np.zeros(3)
        for i in range(3):
            nxt[i] = cur[i] * 2.0
            head = nxt[:1]       # a view: the next iteration's write shows in it
            total = total + np.sum(head)
        cur = nxt
    return total


def test_a_fresh_buffer_in_an_inner_loop_is_supported():
    _both_modes(double_buffer, np.array([1.0, 2.0, 3.0]))


def test_a_view_made_inside_the_inner_loop_is_refused():
    _refused(double_buffer_viewed_in_inner_loop, "nxt[i] = cur[i] * 2.0", X)


# --- an array stored in a slot, then written (finding 19) ----------------------------------

def stored_then_filled(x):
    acc = np.zeros(3)
    hist = {}
    for i in range(3):
        acc[i] = x[i] ** 2
        hist[i] = acc
    return np.sum(hist[0])


def stored_in_list_then_written(x):
    buf = np.zeros(3)
    snaps = [None] * 2
    snaps[0] = buf
    buf[0] = x[0] * 5.0
    return snaps[0][0]


def stored_then_augmented(x):
    y = x * 1.0
    d = {}
    d["y"] = y
    y += 2.0 * x
    return np.sum(d["y"] ** 2)


def stored_copy_then_filled(x):
    acc = np.zeros(3)
    hist = {}
    for i in range(3):
        acc[i] = x[i] ** 2
        hist[i] = acc.copy()
    return np.sum(hist[1] * x) + np.sum(acc)


def test_a_write_after_a_slot_store_is_refused():
    assert "'hist'" in _refused(stored_then_filled, "acc[i] = x[i] ** 2", X)
    assert "'snaps'" in _refused(stored_in_list_then_written, "buf[0] = x[0] * 5.0", X)
    assert "'d'" in _refused(stored_then_augmented, "y += 2.0 * x", X)


def test_a_stored_copy_is_supported():
    _both_modes(stored_copy_then_filled, X)


# --- an augmented assignment into a slot (finding 18) --------------------------------------

def slot_shared_with_a_name(x):
    h = np.tanh(x)
    cache = {"h": h}
    cache["h"] *= 2.0
    return np.sum(h)


def slot_shared_with_a_slot(x):
    a = x * 1.0
    lst = [a, a]
    lst[0] += 1.0
    return np.sum(lst[1] ** 2)


def repeated_entries(x):
    lst = [np.zeros(3)] * 2
    lst[0] += x
    return np.sum(lst[1] * x)


def shallow_copy(x):
    lst = [x * 1.0]
    cp = list(lst)
    cp[0] += 1.0
    return np.sum(lst[0] ** 2)


def entry_read_out_first(x):
    d = {"w": x * 2.0}
    w = d["w"]
    d["w"] += x
    return np.sum(w * x)


def unshared_slots(x):
    grads = {"w": np.zeros(3), "n": 0.0}
    state = [x * 1.0, np.cos(x)]
    for i in range(3):
        grads["w"] += x * (i + 1.0)
        grads["n"] += np.sum(x ** 2)
        state[0] += 0.1 * state[1]
        state[1] -= 0.1 * np.sin(state[0])
    return np.sum(grads["w"] ** 2) + grads["n"] + np.sum(state[0] * state[1])


def test_an_update_of_a_shared_entry_is_refused():
    assert "'h'" in _refused(slot_shared_with_a_name, 'cache["h"] *= 2.0', X)
    assert "'a'" in _refused(slot_shared_with_a_slot, "lst[0] += 1.0", X)
    assert "several slots" in _refused(repeated_entries, "lst[0] += x", X)
    assert "'lst'" in _refused(shallow_copy, "cp[0] += 1.0", X)
    assert "'w'" in _refused(entry_read_out_first, 'd["w"] += x', X)


def test_an_update_of_an_unshared_entry_is_supported():
    _both_modes(unshared_slots, X)
    value = srcgrad.value_and_grad(unshared_slots)(X.copy())[0]
    assert value == pytest.approx(unshared_slots(X.copy()), rel=1e-12)


# --- an expression that folds to a name is still a new array (FINDINGS15 #2) ---------------

def power_one_then_written(x):
    y = x ** 1
    y[0] = 2.0
    return np.sum(y * x) + x[0] * 10.0


def double_negation_then_written(x):
    y = -(-x)
    y[0] = 2.0 * y[1]
    return np.sum(y * x)


@pytest.mark.parametrize("fun", [power_one_then_written, double_negation_then_written])
def test_a_folded_copy_is_not_the_callers_array(fun):
    x = X.copy()
    value, _ = srcgrad.jvp(fun, (x,), (np.array([1.0, 0.5, 0.2]),))
    np.testing.assert_array_equal(x, X)
    assert value == pytest.approx(fun(X.copy()))
    _both_modes(fun, X.copy())


# --- fancy indexing copies (FINDINGS21 #6) --------------------------------------------------

def masked_copy_then_written(x):
    t = x * 2.0
    u = t[t > 0]
    t[0] = 5.0
    return np.sum(u * u) * np.sum(t)


def listed_copy_then_written(x):
    t = x * 2.0
    u = t[[0, 2]]
    t[0] = 5.0
    u[1] = u[1] * 3.0
    return np.sum(u * t[::2])


def mask_kept_then_written(x):
    t = np.sin(x)
    m = t < 0.9
    u = t[m, None]
    t[1] = 0.0
    return np.sum(u ** 2) + np.sum(t * x)


@pytest.mark.parametrize("fun", [masked_copy_then_written, listed_copy_then_written, mask_kept_then_written])
def test_a_fancy_indexed_copy_shares_nothing(fun):
    _both_modes(fun, X.copy())
    assert srcgrad.value_and_grad(fun)(X.copy())[0] == pytest.approx(fun(X.copy()), rel=1e-12)


def item_picked_by_a_number_test(x, s):
    rows = [x * 1.0, x * 2.0]
    r = rows[s > 0]  # a Python bool picks rows[1] itself
    r[0] = 0.0
    return np.sum(rows[1] * x)


def permuted_by_a_global(x):
    t = x * 2.0
    u = t[PERM]  # the index's type is not known when compiling: a list would hand out an item
    t[0] = 5.0
    return np.sum(u * t)


PERM = np.array([2, 0, 1])


def test_an_index_that_may_pick_an_item_still_counts_as_sharing():
    with pytest.raises(srcgrad.SrcGradError, match="may share memory"):
        srcgrad.grad(item_picked_by_a_number_test)(X.copy(), 1.0)


def test_a_global_index_array_copies_while_it_holds_an_array():
    global PERM
    df = srcgrad.grad(permuted_by_a_global)
    _both_modes(permuted_by_a_global, X.copy())
    t = 2.0 * X
    expected = np.array([4 * X[1], 4 * X[0] + 4 * X[2], 10.0 + 4 * X[1]])  # u = t[[2, 0, 1]], t[0] = 5
    np.testing.assert_allclose(df(X.copy()), expected, rtol=1e-12)
    assert np.sum(t[PERM] * np.array([5.0, t[1], t[2]])) == pytest.approx(permuted_by_a_global(X.copy()))
    kept = PERM
    try:
        PERM = slice(0, 3)  # a view now: the derivative is built again, and refuses when it runs
        with pytest.raises(srcgrad.SrcGradError, match="is a view of it") as info:
            df(X.copy())
        assert "t[0] = 5.0" in str(info.value)
        PERM = [1, 2, 0]  # a list copies too
        np.testing.assert_allclose(df(X.copy()), [4 * X[2], 10.0 + 4 * X[2], 4 * X[0] + 4 * X[1]], rtol=1e-12)
    finally:
        PERM = kept


# --- an entry read out of an array, then the array written (FINDINGS22 #2) -----------------

def swap_entries(x):
    u = x * 2.0
    tmp = u[0]
    u[0] = u[2]
    u[2] = tmp
    return np.sum(u * np.arange(1.0, u.shape[0] + 1.0))


def gauss_seidel(b):
    u = np.zeros(b.shape[0])
    for sweep in range(3):
        for i in range(1, b.shape[0] - 1):
            left = u[i - 1]
            u[i] = 0.5 * (left + u[i + 1] + b[i])
    return np.sum(u ** 2)


def test_an_entry_read_before_a_write_is_checked_when_the_function_runs():
    _both_modes(swap_entries, X.copy())
    np.testing.assert_allclose(srcgrad.grad(swap_entries)(X.copy()), [6.0, 4.0, 2.0], rtol=1e-12)
    b = np.array([0.0, 0.3, -0.5, 0.8, 0.0])
    _both_modes(gauss_seidel, b)
    # a row of a matrix is a view: the write would change it too, refused as it runs
    with pytest.raises(srcgrad.SrcGradError, match="is a view of it") as info:
        srcgrad.grad(swap_entries)(np.arange(6.0).reshape(3, 2))
    assert "u[0] = u[2]" in str(info.value) and "tmp = u[0].copy()" in str(info.value)


# --- what a helper hands back (session 18: each of these was a wrong gradient) ---------

def outer(a):             # the user's own `outer`, not numpy.outer: it hands `a` back
    return a


def through_a_helper_named_like_numpy(x):
    ys = x * 1.0
    v = outer(ys)
    ys[0] = 5.0
    return np.sum(v * x)


def through_a_nested_helper_reading_a_closure(x):
    ys = x * 1.0

    def fetch():
        return ys
    v = fetch()
    ys[0] = 5.0
    return np.sum(v * x)


def through_a_lambda(x):
    ys = x * 1.0
    fetch = lambda: ys[:2]  # noqa: E731
    v = fetch()
    ys[0] = 5.0
    return np.sum(v * x[:2])


def through_two_nested_helpers(x):
    ys = x * 1.0

    def inner():
        return ys

    def outer():          # (also named like numpy.outer)
        return inner()
    v = outer()
    ys[0] = 5.0
    return np.sum(v * x)


def through_a_list_a_helper_makes(x):
    ys = x * 1.0

    def pack():
        return [ys, 2.0]
    v = pack()[0]
    ys[0] = 5.0
    return np.sum(v * x)


def written_through_the_helpers_result(x):
    ys = x * 1.0

    def fetch():
        return ys
    v = fetch()
    v[0] = 5.0
    return np.sum(ys * x)


@pytest.mark.parametrize("fun", [through_a_helper_named_like_numpy, through_a_nested_helper_reading_a_closure,
                                 through_a_lambda, through_two_nested_helpers, through_a_list_a_helper_makes,
                                 written_through_the_helpers_result])
def test_what_a_helper_hands_back_shares_memory(fun):
    message = _refused(fun, "[0] = 5.0", X)
    assert "may share memory" in message


def a_nested_helper_making_a_new_array(x):
    ys = x * 1.0

    def fetch():
        return ys * 2.0
    v = fetch()
    ys[0] = 5.0
    return np.sum(v * x) + np.sum(ys)


def a_nested_helper_of_a_row(ys, p):
    out = np.zeros((3, 2))
    out[0] = ys

    def rhs(y):
        return np.array([y[1], -p[0] * y[0]])
    for i in range(2):
        k = rhs(out[i])
        out[i + 1] = out[i] + 0.1 * k
    return np.sum(out ** 2)


def test_a_nested_helpers_new_array_shares_nothing():
    _both_modes(a_nested_helper_making_a_new_array, X)
    _both_modes(a_nested_helper_of_a_row, np.array([1.0, 0.5]), np.array([2.0, 0.3]))


# --- a differentiated value written into an array of integers (FINDINGS25 #1) -------------

def into_an_int_buffer(x):
    a = np.array([0, 0, 0])          # int64: the writes round
    for i in range(3):
        a[i] = x[i] * 2.5
    return np.sum(a * x)


def into_an_arange(x):
    a = np.arange(3)
    a[1] = x[0] * 10.0
    return np.sum(a * x)


def into_a_bool_buffer(x):
    a = np.zeros(3, dtype=bool)
    a[0] = x[0]
    return np.sum(a * x)


def into_an_int_parameter(x, a):
    a[0] = x[0] * 2.5
    return np.sum(a * x)


def into_float_buffers(x):
    a = np.array([0.0, 0.0, 0.0])
    b = np.zeros(3, dtype="float64")
    c = np.zeros_like(x)
    d = np.arange(3) * 1.0
    for i in range(3):
        a[i] = x[i] * 2.5
        b[i] = x[i]
        c[i] = x[i] ** 2
        d[i] = d[i] + x[i]
    counts = np.zeros(3, dtype=int)  # integers written with integers: no gradient in them
    counts[1] = 2
    return np.sum(a * x) + np.sum(b) + np.sum(c) + np.sum(d * counts)


@pytest.mark.parametrize("fun", [into_an_int_buffer, into_an_arange, into_a_bool_buffer])
def test_a_write_into_an_array_of_integers_is_refused_when_it_runs(fun):
    x = np.array([1.3, 2.2, 3.7])
    for build in (lambda: srcgrad.grad(fun)(x), lambda: srcgrad.jvp(fun, (x,), (np.ones(3),)),
                  lambda: srcgrad.vjp(fun, x)[1](1.0)):
        with pytest.raises(srcgrad.SrcGradError, match="an array of (int64|bool)") as info:
            build()
        assert "np.zeros(n)" in str(info.value)


def test_a_write_into_a_parameter_of_integers_is_refused_and_floats_are_right():
    x = np.array([1.3, 2.2, 3.7])
    with pytest.raises(srcgrad.SrcGradError, match="'a', an array of int64"):
        srcgrad.grad(into_an_int_parameter)(x, np.zeros(3, dtype=int))
    g = srcgrad.grad(into_an_int_parameter)(x, np.zeros(3))
    np.testing.assert_allclose(g, [2.5 * x[0] * 2, 0.0, 0.0])
    _both_modes(into_float_buffers, x)
    # the buffers sure to hold floats are not checked at all
    assert "real_buffer" not in srcgrad.source(srcgrad.grad(into_float_buffers))


# --- a name never read again sees no write (FINDINGS25 #8, session 18) --------------------

def a_view_done_with(x):
    a = x * 1.0
    v = a[:2]
    s = np.sum(v ** 2)         # the last read of v
    a[0] = s * a[2]
    return s + np.sum(a * x)


def a_view_read_again(x):
    a = x * 1.0
    v = a[:2]
    s = np.sum(v ** 2)
    a[0] = s * a[2]
    return s + np.sum(v)       # v sees the write


def a_view_read_in_the_loop(x):
    a = x * 1.0
    s = 0.0
    for _ in range(2):
        v = a[:2]
        s = s + np.sum(v ** 2)
        a[0] = s * a[2]        # v is read again, next time round
    return s + np.sum(a)


def test_a_view_never_read_again_does_not_block_a_write():
    _both_modes(a_view_done_with, X)
    _refused(a_view_read_again, "a[0] = s * a[2]", X)


def test_a_view_read_in_the_next_iteration_is_built_anew_or_refused():
    # `v = a[:2]` is bound again before its next read: a new view each time, as NumPy runs it
    try:
        g = srcgrad.grad(a_view_read_in_the_loop)(X)
    except srcgrad.SrcGradError as err:
        assert "may share memory" in str(err)
    else:
        _both_modes(a_view_read_in_the_loop, X)
        assert np.all(np.isfinite(g))
