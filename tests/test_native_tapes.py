"""The numba backend's tapes as preallocated arrays (srcgrad/native/tapes.py).

Where a loop's trip count is known before it and each iteration pushes a fixed
number of numbers, the numba build writes them into a `numpy.empty` array by
index instead of appending them to a list; elsewhere (a `while`, a `break`, a
branch that pushes on one arm only, a value that may be None) the list stays.
Each derivative is compared with the Python backend's to 1e-12 relative, and
its module text says which tapes became arrays. One numba compile per function.
"""
import math
import re

import numpy as np
import pytest

import srcgrad

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=1e-300)


def arrays(text) -> set:
    """The stacks the module text makes as arrays (`_stack_v = np.empty(...)`)."""
    return set(re.findall(r"(_stack\w*) = \w+\.empty\(", text))


def lists(text) -> set:
    """The stacks the module text makes as lists (`_stack_v = []`)."""
    return set(re.findall(r"(_stack\w*) = \[\]", text))


def check(f, wrt, points):
    """The numba build of grad(f) at each point, against the Python backend's; its text."""
    compiled, python = srcgrad.grad(f, wrt=wrt, backend="numba"), srcgrad.grad(f, wrt=wrt)
    for args in points:
        assert close(compiled(*args), python(*args)), args
    return compiled.native.text


def steps(g, damping, n):
    theta = 1.0
    omega = 0.0
    for _ in range(1, n, 2):
        alpha = -g * math.sin(theta) - damping * omega
        theta = theta + 0.05 * omega
        omega = omega + 0.05 * alpha
    return theta * theta + 0.5 * omega * omega


def drive(k, xs):
    s = 1.0
    v = 0.0
    for x in xs:
        a = -k * math.sin(s) + x * v
        s = s + 0.1 * v
        v = v + 0.1 * a
    return s * s + v


def test_a_loop_with_a_known_trip_count_tapes_into_preallocated_arrays():
    text = check(steps, (0, 1), [(9.81, 0.4, 41), (2.0, 0.1, 2), (2.0, 0.1, 0)])
    assert arrays(text) == {"_stack_theta", "_stack_omega"} and not lists(text)
    assert "= np.empty(len(range(1, _checked_index(n), 2)))" in text or "_trips = len(range(1, " in text
    assert ".append(" not in text and ".pop()" not in text
    # over a list of floats (an array of float64 in this backend): as long as the list
    text = check(drive, 0, [(0.7, [0.5, -1.5, 2.0, 0.25]), (0.7, [1.5])])
    assert arrays(text) and not lists(text) and re.search(r"_stack_s = np\.empty\((_t\d+)\)", text)


def nested(a, n, m):
    s = a
    for i in range(n):
        for j in range(m):
            s = s * a  # a number: a float, or at the first step an int where a is one
            s = math.sin(s) + j
        s = s * 0.9
    return s


def test_nested_loops_with_an_inner_bound_known_before_the_outer_loop():
    text = check(nested, 0, [(0.7, 4, 3), (0.7, 3, 0), (0.7, 0, 5), (1.3, 2, 1)])
    # s is a float64 in numba's list too: the loop carries back the float `s * 0.9`
    assert arrays(text) == {"_stack_s"} and not lists(text)
    # the inner loop's pushes: n * m of them, m's check (a float raises in that loop) left out
    assert "_range_length(m)" in text and ".append(" not in text


def branchy(a, n):
    s = a
    for i in range(n):
        if s > 0.5:
            s = math.sin(s) * a
        else:
            s = s * s - 0.3 * a
    return s


def test_a_branch_that_pushes_on_both_arms_gets_an_array_one_that_pushes_on_one_a_list():
    text = check(branchy, 0, [(0.7, 6), (0.2, 5), (1.9, 7)])
    # s, pushed once on each arm; the test's value, pushed every iteration (its first push
    # the `False` it is set to up front: native/unbound.py)
    assert arrays(text) == {"_stack_s", "_stack_t1"}
    # sin(s), pushed on one arm only: a list
    assert lists(text) == {"_stack_t2"} and "_stack_t2.append(" in text


def loops_that_exit(a, n):
    s = a
    k = 0
    while k < n:
        s = math.sin(s) * a
        k += 1
    for i in range(n):
        s = math.cos(s) * a
        if s < -0.5:
            break
    return s


def inner_while(a, n):
    s = a
    for i in range(n):
        k = 0.0
        while k < i:
            s = math.sin(s) * a
            k = k + 1.5
    return s


def test_a_while_loop_and_a_loop_with_break_keep_their_lists():
    text = check(loops_that_exit, 0, [(0.7, 5), (2.5, 6), (0.7, 0)])
    assert not arrays(text) and lists(text)
    # an inner while: its trip counts, one int per outer iteration, in an int array;
    # what the while pushes, a list
    text = check(inner_while, 0, [(0.7, 5), (0.3, 1)])
    (counts,) = arrays(text)
    assert re.search(rf"{counts} = np\.empty\(.*, np\.int64\)", text) and lists(text)
