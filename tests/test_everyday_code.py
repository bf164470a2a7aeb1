"""The code people write (issue 14 item 2): loops that simulate, buffers that swap,
counters that step, written as a user would; each checked in reverse and forward
mode against central finite differences, and the aliasing they must still refuse."""
import itertools

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
    """grad and jvp of `fun` at `x` agree with central differences; grad leaves `x` as
    it was (jvp, like the function, may write into it: it is given a copy)."""
    before = x.copy()
    expected = numeric_grad(fun, x.copy())
    np.testing.assert_allclose(srcgrad.grad(fun)(x), expected, rtol=1e-6, atol=1e-7)
    assert np.array_equal(x, before)
    v = np.resize(V, x.shape)
    value, tangent = srcgrad.jvp(fun, (x.copy(),), (v,))
    np.testing.assert_allclose(value, fun(x.copy()), rtol=1e-12)
    np.testing.assert_allclose(tangent, np.sum(expected * v), rtol=1e-6, atol=1e-7)


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


def dynamic_programming_fresh_buffer(x):
    """A buffer made new each step, filled, then handed on (the HMM forward pass):
    found by the issue-13 break attempt, refused as sharing memory before."""
    score = x[:2].copy()
    for _ in range(3):
        new = np.zeros(2)
        new[0] = np.sin(score[1]) + x[2]
        new[1] = score[0] * score[1]
        score = new
    return np.sum(score)


@pytest.mark.parametrize("fun", [double_buffer, double_buffer_writing_a_computed_array, leapfrog,
                                 counter_copied_then_stepped, counter_from_len, dynamic_programming_fresh_buffer])
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


# --- comprehensions, written out as loops ------------------------------------------------------

def list_comprehension(x):
    ys = [x[i] ** 2 for i in range(3)]
    return ys[0] * ys[1] + ys[2]


def filtered_comprehension(x):
    ys = [np.sin(v) for v in x if v > 0]
    return sum(ys)


def dict_comprehension(x):
    d = {k: x[i] * (i + 1) for i, k in enumerate("abc")}
    return d["a"] * d["b"] + d["c"] ** 2


def generator_in_sum(x):
    return sum(x[i] ** 2 * x[(i + 1) % 3] for i in range(3))


def generator_in_max_and_min(x):
    return max(x[i] * (i + 1) for i in range(3)) + min(np.cos(v) for v in x)


def comprehension_in_np_array(x):
    return np.sum(np.array([np.sin(x[i]) * x[i] for i in range(3)]) ** 2)


def generator_in_np_stack(x):
    return np.sum(np.stack(list(np.tanh(x * k) for k in range(1, 3))) ** 2)


def nested_comprehension(x):
    rows = [[x[i] * x[j] for j in range(3)] for i in range(3)]
    return np.sum(np.array(rows) ** 2)


def comprehension_variable_does_not_leak(x):
    i = 2
    ys = [x[i] * 2.0 for i in range(2)]
    return ys[0] * ys[1] + x[i]  # x[2]: the comprehension's i is its own


def comprehension_over_zip(x):
    return sum(a * b for a, b in zip(x, x[::-1]))


def comprehension_in_a_loop(x):
    t = 0.0
    for k in range(2):
        t = t + sum([x[i] * (k + 1) * x[k] for i in range(3)])
    return t


def max_min_sum_of_a_list(x):
    vals = [x[0] * 2.0, x[1] ** 2, np.sin(x[2])]
    return max(vals) + min(vals) + sum(vals)


def max_of_a_list_of_reductions(x):
    vals = [np.sum(x ** 2), np.sum(np.sin(x)), np.sum(x) * 0.1]
    return max(vals) - min(vals)


@pytest.mark.parametrize("fun", [
    list_comprehension, filtered_comprehension, dict_comprehension, generator_in_sum,
    generator_in_max_and_min, comprehension_in_np_array, generator_in_np_stack, nested_comprehension,
    comprehension_variable_does_not_leak, comprehension_over_zip, comprehension_in_a_loop,
    max_min_sum_of_a_list, max_of_a_list_of_reductions])
def test_comprehensions_and_reductions_of_lists(fun):
    check_both_modes(fun)


def test_the_second_derivative_of_max_of_a_list():
    def f(x):
        return max([x[0] * x[1], np.sin(x[2]), x[1] ** 2])
    x = X.copy()  # sin(x[2]) is the largest
    expected = np.zeros((3, 3))
    expected[2, 2] = -np.sin(x[2])
    np.testing.assert_allclose(srcgrad.hessian(f)(x), expected, atol=1e-12)


def comprehension_on_one_branch(x):
    return sum([v for v in x]) if x[0] > 0 else 0.0


def generator_kept(x):
    g = (x[i] for i in range(3))
    return sum(g)


def generator_given_to_a_helper(x):
    return helper_that_may_keep(v * 2.0 for v in x)


def helper_that_may_keep(items):
    return 1.0


def comprehension_in_a_while_test(x):
    t = 0.0
    while sum([v for v in x]) > t:
        t = t + 10.0
    return t * x[0]


@pytest.mark.parametrize("fun, what", [
    (comprehension_on_one_branch, "only on one branch"), (generator_kept, "kept as a value"),
    (generator_given_to_a_helper, "may keep it"), (comprehension_in_a_while_test, "`while` condition")])
def test_comprehensions_not_computed_once_right_there_are_refused(fun, what):
    with pytest.raises(srcgrad.SrcGradError, match=what) as info:
        srcgrad.grad(fun)(X.copy())
    assert info.value.location.filename == __file__
    assert info.value.location.lineno > fun.__code__.co_firstlineno


# --- loops over what people loop over -----------------------------------------------------------

def loop_over_dict_keys(x):
    d = {"a": x[0], "b": x[1] * 2.0, "c": x[2]}
    t = 0.0
    for k in d:
        t = t + d[k] ** 2
    return t


def loop_over_dict_items(x):
    d = {"a": x[0], "bb": x[1] * x[2]}
    t = 0.0
    for k, v in d.items():
        t = t + v * len(k)
    return t


def loop_over_dict_values_and_keys(x):
    d = {"a": np.sin(x), "b": x[1:] * 2.0}
    t = 0.0
    for v in d.values():
        t = t + np.sum(v ** 2)
    for k in d.keys():
        t = t + np.sum(d[k])
    return t


def loop_with_enumerate_from_one(x):
    t = 0.0
    for i, v in enumerate(x, start=1):
        t = t + i * v ** 2
    for n, v in enumerate(x, 2):
        t = t + v ** n
    return t


def loop_over_reversed_range(x):
    t = 1.0
    for i in reversed(range(3)):
        t = t * x[i] + 0.5
    for i in reversed(range(1, 3)):
        t = t + x[i] * x[i - 1]
    return t


def loop_over_reversed_values(x):
    t = 0.0
    for v in reversed(x):
        t = t * v + 0.5
    for v in reversed([x[0], x[1] ** 2]):
        t = t * 3.0 + v
    return t


def loop_over_itertools_product(x):
    t = 0.0
    for i, j in itertools.product(range(3), range(3)):
        t = t + x[i] * x[j] * (i + j)
    return t


def loop_over_np_ndindex(x):
    t = 0.0
    m = np.outer(x, x)
    for idx in np.ndindex(m.shape):
        t = t + m[idx] ** 2 * (idx[0] + 1)
    return t


def numpy_float64_accumulator(x):
    acc = np.float64(0.0)
    for v in x:
        acc += np.sin(v) * v
    return acc


def dict_and_list_filled_in_loops(x):
    d = {}
    out = [0.0] * 3
    for i in range(3):
        d[i] = x[i] ** 2
        out[i] = d[i] * 2.0 + (out[i - 1] if i > 0 else 0.0)
    return d[0] * d[1] + out[2]


def list_slot_update(x):
    state = [x[0], x[1]]
    dt = 0.1
    for _ in range(5):
        state[0] = state[0] + dt * state[1]
        state[1] = state[1] - dt * np.sin(state[0])
    return state[0] ** 2 + state[1]


def step(s):
    return s + 0.1 * np.sin(s)


def trajectory_appended(x):
    traj = [x]
    for _ in range(4):
        traj.append(step(traj[-1]))
    return np.sum(np.stack(traj) ** 2)


def writes_into_its_argument(x):
    x[0] = x[0] * 2.0
    x[1] = np.sin(x[2])
    x *= 2.0
    return np.sum(x ** 3)


@pytest.mark.parametrize("fun", [
    loop_over_dict_keys, loop_over_dict_items, loop_over_dict_values_and_keys, loop_with_enumerate_from_one,
    loop_over_reversed_range, loop_over_reversed_values, loop_over_itertools_product, loop_over_np_ndindex,
    numpy_float64_accumulator, dict_and_list_filled_in_loops, list_slot_update, trajectory_appended,
    writes_into_its_argument])
def test_everyday_loops(fun):
    check_both_modes(fun)


def test_a_dict_of_parameters_looped_over_by_items():
    def loss(params, x):
        t = 0.0
        for name, w in params.items():
            t = t + np.sum(np.tanh(w * x[: w.size]) ** 2) * len(name)
        return t

    params = {"w": np.array([0.5, -1.0]), "bias": np.array([0.3])}
    x = X.copy()
    g = srcgrad.grad(loss)(params, x)
    for key, w in params.items():
        expected = numeric_grad(lambda v: loss({**params, key: v}, x), w)
        np.testing.assert_allclose(g[key], expected, rtol=1e-6, atol=1e-8)
    dw = {"w": np.array([1.0, 0.5]), "bias": np.array([-2.0])}
    _, t = srcgrad.jvp(loss, (params, x), (dw, None))
    expected = sum(np.sum(numeric_grad(lambda v: loss({**params, k: v}, x), params[k]) * dw[k]) for k in params)
    np.testing.assert_allclose(t, expected, rtol=1e-6)


# --- a function with a user rule, called with keywords ------------------------------------------

def scaled_wave(a, b, scale=2.0, shift=0.0):
    return scale * a * np.sin(b) + shift


@srcgrad.defvjp(scaled_wave)
def scaled_wave_vjp(g, ans, a, b, *rest):  # one gradient per argument the call passes
    scale = rest[0] if rest else 2.0
    return (g * scale * np.sin(b), g * scale * a * np.cos(b)) + (None,) * len(rest)


@srcgrad.defjvp(scaled_wave)
def scaled_wave_jvp(tangents, ans, a, b, *rest):
    scale = rest[0] if rest else 2.0
    da, db = tangents[0], tangents[1]
    return (0.0 if da is None else da * scale * np.sin(b)) + (0.0 if db is None else db * scale * a * np.cos(b))


def calls_a_rule_with_keywords(x):
    return (np.sum(scaled_wave(x, b=x * 2.0)) + np.sum(scaled_wave(b=x, a=x ** 2, shift=1.0))
            + np.sum(scaled_wave(x, x, scale=3.0)))


def calls_a_rule_with_a_literal_argument(x):
    return np.sum(scaled_wave(x, x * x, 0.5))


@pytest.mark.parametrize("fun", [calls_a_rule_with_keywords, calls_a_rule_with_a_literal_argument])
def test_a_user_rule_called_with_keywords_and_literals(fun):
    check_both_modes(fun)


def keyword_only(a, *, scale=1.0):
    return a * scale


@srcgrad.defvjp(keyword_only)
def keyword_only_vjp(g, ans, a):
    return (g,)


def calls_a_rule_by_a_keyword_only_parameter(x):
    return np.sum(keyword_only(x, scale=2.0))


def test_a_user_rule_cannot_take_a_keyword_only_parameter():
    with pytest.raises(srcgrad.SrcGradError, match="do not bind to its positional parameters") as info:
        srcgrad.grad(calls_a_rule_by_a_keyword_only_parameter)(X.copy())
    assert info.value.location.filename == __file__
