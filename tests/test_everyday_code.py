"""The code people write (issue 14 item 2): loops that simulate, buffers that swap,
counters that step, written as a user would; each checked in reverse and forward
mode against central finite differences, and the aliasing they must still refuse."""
import numpy as np
import pytest

import srcgrad

X = np.array([0.7, -0.4, 1.3])
V = np.array([0.3, -1.1, 0.6])


def numeric_grad(fun, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return g


def check_both_modes(fun, x=X):
    """grad and jvp of `fun` at `x` agree with central differences; `x` is left as it was."""
    before = x.copy()
    expected = numeric_grad(fun, x.copy())
    np.testing.assert_allclose(srcgrad.grad(fun)(x), expected, rtol=1e-6, atol=1e-7)
    v = np.resize(V, x.shape)
    _, tangent = srcgrad.jvp(fun, (x,), (v,))
    np.testing.assert_allclose(tangent, np.sum(expected * v), rtol=1e-6, atol=1e-7)
    assert np.array_equal(x, before)


# --- names that cannot share memory: numbers, new values ------------------------------------

def double_buffer(x):
    prev = x.copy()
    cur = x * 1.5
    for _ in range(3):
        nxt = np.zeros(3)
        nxt[0] = cur[0] + 0.1 * prev[1]
        nxt[1] = cur[1] * prev[0]
        nxt[2] = np.sin(cur[2])
        prev, cur = cur, nxt
    return np.sum(cur ** 2)


def double_buffer_writing_a_computed_array(x):
    prev = x.copy()
    cur = x * 1.5
    nxt = np.zeros(3)
    for _ in range(3):
        nxt = 2.0 * cur - prev
        nxt[0] = nxt[0] * 0.5
        prev, cur = cur, nxt
    return np.sum(cur ** 2)


def forces(pos):
    return -np.sin(pos)


def leapfrog(x):
    pos = x.copy()
    vel = np.zeros_like(x)
    dt = 0.1
    acc = forces(pos)
    for _ in range(4):
        vel += 0.5 * dt * acc
        pos += dt * vel
        acc = forces(pos)
        vel += 0.5 * dt * acc
    return np.sum(pos ** 2) + np.sum(vel ** 2)


def counter_copied_then_stepped(x):
    t = 0.0
    for i in range(1, 3):
        j = i
        j -= 1
        t = t + x[j] * x[i]
    return t


def counter_from_len(x):
    n = len(x)
    k = n
    k -= 1
    return x[k] * x[0] + x[n - 2]


@pytest.mark.parametrize("fun", [double_buffer, double_buffer_writing_a_computed_array, leapfrog,
                                 counter_copied_then_stepped, counter_from_len])
def test_values_that_share_no_memory_are_not_refused(fun):
    check_both_modes(fun)


# --- what really may share memory is still refused -----------------------------------------

def renamed_buffer(x):
    nxt = np.zeros(3)
    v = nxt  # the same array under two names, after it was made
    nxt[0] = x[0] * 2.0
    return np.sum(v * x)


def buffer_made_once(x):
    prev = x.copy()
    cur = x * 1.5
    nxt = np.zeros(3)  # made once, outside the loop: cur is nxt from the second step on
    for _ in range(3):
        nxt[0] = cur[0] * 2.0 + prev[1]
        prev, cur = cur, nxt
    return np.sum(cur ** 2)


def first_two(p):
    return p[:2]


def view_from_a_helper(x):
    y = x * 1.0
    a = first_two(y)  # a view of y
    y += 1.0
    return np.sum(a * x[:2])


def fresh_only_on_one_branch(x):
    cur = x * 1.0
    nxt = cur
    if x[0] > 100.0:
        nxt = np.zeros(3)
    nxt[0] = 5.0 * x[1]
    return np.sum(cur * x)


def array_copied_then_stepped(x):
    arr = x * 2.0
    j = arr
    j -= 1.0
    return np.sum(arr * x)


@pytest.mark.parametrize("fun, shared", [
    (renamed_buffer, "v"), (buffer_made_once, "cur"), (view_from_a_helper, "a"),
    (fresh_only_on_one_branch, "cur"), (array_copied_then_stepped, "arr")])
def test_values_that_may_share_memory_are_refused_with_a_location(fun, shared):
    for build in (lambda: srcgrad.grad(fun)(X.copy()), lambda: srcgrad.jvp(fun, (X.copy(),), (V,))):
        with pytest.raises(srcgrad.SrcGradError, match=f"may share memory with '{shared}'") as info:
            build()
        assert info.value.location is not None and info.value.location.filename == __file__
