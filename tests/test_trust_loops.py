"""Issue 12, loops: branches on loop state the derivative does not follow, and
derivatives of derivatives through loops.

1. An `if` in a loop whose branch only rebinds a non-differentiated name
   (a step size, a learning rate, a momentum factor) leaves nothing to
   differentiate in the branch, only restores. The backward sweep kept those
   restores but stopped taping the condition, so it replayed every iteration
   with the last iteration's decision: wrong gradients, or a stack popped out
   of step (`pop from empty list`, broadcast errors). Now the condition of any
   branch (and the trip count of any loop) that holds a restore which stays is
   taped too (srcgrad/reverse/tape.py, `reads_without_markers`).
2. Forward mode over a generated gradient: the gradient's stack holds values
   with a tangent and saved shapes, counts and conditions without one. Forward
   mode pushed a tangent for every item but popped one only for a popped value
   that has a tangent, so the tangent stack ran out of step (srcgrad/forward/tangents.py,
   `pop`). And add_grad's tangent joined two list tangents with `+`
   (srcgrad/rules/runtime.py).

Every program is checked against central differences in float64, in reverse
and forward mode; second derivatives against central differences of the
gradient, and for symmetry.
"""
import re

import numpy as np
import pytest

import srcgrad


def check_both_modes(f, x):
    srcgrad.check_grads(f, (_copy(x),), modes=("reverse", "forward"), rtol=1e-6, atol=1e-8)
    g = srcgrad.grad(f)(_copy(x))  # split mode (vjp) agrees with the joint gradient
    _, pullback = srcgrad.vjp(f, _copy(x))
    np.testing.assert_allclose(pullback(1.0), g, rtol=1e-12, atol=1e-15)


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def numeric_hessian(f, x, eps=1e-5):
    """Central differences of srcgrad's gradient (itself checked against central
    differences of f): columns of the Hessian, shape (x.size, x.size)."""
    g = srcgrad.grad(f)
    if not isinstance(x, np.ndarray):
        return np.array([[(g(x + eps) - g(x - eps)) / (2 * eps)]])
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        cols.append(((g(x + e) - g(x - e)) / (2 * eps)).ravel())
    return np.stack(cols, axis=1)


def check_second_order(f, x):
    srcgrad.check_grads(f, (_copy(x),), rtol=1e-6, atol=1e-8)
    n = np.size(x)
    want = numeric_hessian(f, x)
    H = np.asarray(srcgrad.hessian(f)(_copy(x)), dtype=float).reshape(n, n)
    np.testing.assert_allclose(H, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    v = np.linspace(-1.0, 0.7, n).reshape(np.shape(x)) if isinstance(x, np.ndarray) else 0.7
    hv = np.asarray(srcgrad.hvp(f)(_copy(x), v=v), dtype=float).ravel()
    np.testing.assert_allclose(hv, want @ np.ravel(v), rtol=1e-6, atol=1e-7)
    if not isinstance(x, np.ndarray):
        np.testing.assert_allclose(srcgrad.grad(srcgrad.grad(f))(x), want[0, 0], rtol=1e-6, atol=1e-7)


# --- 1. branches on non-differentiated loop state ---------------------------------

def halve_factor(x):  # the reproduction of the issue
    c = 1.0
    for i in range(3):
        if x > 2.0:
            c = c * 0.5
        x = x * c
    return x


def test_if_rebinding_a_constant_in_a_loop_reads_each_iterations_condition():
    # x: 5 -> 2.5 (c = 0.5) -> 0.625 (c = 0.25) -> 0.15625 (x <= 2: c stays 0.25)
    assert srcgrad.grad(halve_factor)(5.0) == 0.5 * 0.25 * 0.25
    assert srcgrad.jvp(halve_factor, (5.0,), (1.0,))[1] == 0.5 * 0.25 * 0.25
    check_both_modes(halve_factor, 5.0)


def step_halving(x):
    """Gradient descent on (x - 1)^2 that halves the step when a trial step does not descend."""
    step = 1.0
    for k in range(4):
        g = 2.0 * (x - 1.0) * x
        trial = x - step * g
        if (trial - 1.0) ** 2 > (x - 1.0) ** 2:
            step = step * 0.5
        x = x - step * g
    return x * x


def step_halving_while(x):
    """A backtracking line search: halve until the trial point descends."""
    step = 1.0
    for k in range(3):
        g = 2.0 * (x - 1.0) * x
        while np.sum((x - step * g - 1.0) ** 2) > np.sum((x - 1.0) ** 2):
            step = step * 0.5
        x = x - step * g
    return np.sum(x * x)


@pytest.mark.parametrize("x", [0.3, 0.8, 1.5])  # halves in the third, second, first step
def test_step_halving(x):
    check_both_modes(step_halving, x)


@pytest.mark.parametrize("x", [1.5, 0.3, np.array([1.5, 0.3, 1.1])])
def test_step_halving_line_search(x):
    check_both_modes(step_halving_while, x)


def lr_schedule(x):
    lr = 0.3
    for i in range(5):
        if i == 2:
            lr = 0.1
        x = x - lr * np.cos(x) * x
    return np.sum(x ** 2)


def lr_schedule_elif(x):
    lr = 0.3
    for i in range(6):
        if i == 2:
            lr = 0.1
        elif i == 4:
            lr = lr * 0.5
        x = x - lr * np.sin(x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("f", [lr_schedule, lr_schedule_elif])
@pytest.mark.parametrize("x", [1.3, np.array([0.5, 1.0, 2.0])])
def test_learning_rate_schedule(f, x):
    check_both_modes(f, x)


def momentum_switched_on(x):
    v = np.zeros_like(x)
    beta = 0.0
    for i in range(4):
        if i == 1:
            beta = 0.9
        g = 2.0 * x + np.sin(x)
        v = beta * v + g
        x = x - 0.1 * v
    return np.sum(x ** 2)


def momentum_switched_on_scalar(x):
    v = 0.0
    beta = 0.0
    for i in range(4):
        if i >= 1:
            beta = 0.9
        g = 2.0 * x + np.sin(x)
        v = beta * v + g
        x = x - 0.1 * v
    return x * x


def test_momentum_switched_on_after_the_first_step():
    check_both_modes(momentum_switched_on, np.array([0.5, -1.0, 2.0]))
    check_both_modes(momentum_switched_on_scalar, 1.5)


def adam_with_decay(x):
    m = np.zeros_like(x)
    s = np.zeros_like(x)
    b1t = 1.0
    b2t = 1.0
    lr = 0.1
    for t in range(5):
        if t == 3:
            lr = lr * 0.5
        g = np.cos(x) + x
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        b1t = b1t * 0.9
        b2t = b2t * 0.999
        x = x - lr * (m / (1 - b1t)) / (np.sqrt(s / (1 - b2t)) + 1e-8)
    return np.sum(x ** 2)


def test_adam_like_optimizer_with_a_decayed_rate():
    check_both_modes(adam_with_decay, np.array([0.5, -1.0, 2.0]))


def nested_ifs(x):
    c = 1.0
    d = 2.0
    for i in range(4):
        if x > 1.0:
            if i % 2 == 0:
                c = c * 0.5
            else:
                d = d + 1.0
        x = x * c + 0.1 * d * x
    return x


def test_nested_ifs_in_a_loop():
    check_both_modes(nested_ifs, 3.0)
    check_both_modes(nested_ifs, 0.8)


def while_with_if(x):
    c = 1.0
    n = 0
    while n < 4:
        if np.sum(x) > 2.0:
            c = c * 0.5
        x = x * c + 0.1
        n = n + 1
    return np.sum(x)


@pytest.mark.parametrize("x", [5.0, np.array([3.0, 1.5])])
def test_while_loop_with_an_if(x):
    check_both_modes(while_with_if, x)


def break_inside_if(x):
    c = 1.0
    for i in range(6):
        if x < 0.5:
            c = 0.0
            break
        if x > 2.0:
            c = c * 0.5
        x = x * c
    return x + c


@pytest.mark.parametrize("x", [5.0, 0.7, 0.3])
def test_break_inside_if(x):
    check_both_modes(break_inside_if, x)


def branch_on_array_state(x):
    scale = 1.0
    for i in range(4):
        if np.sum(x) > 1.0:
            scale = scale * 0.7
        x = x * scale + 0.05 * x ** 2
    return np.sum(x)


def count_in_a_branch(x):
    k = 0
    for i in range(5):
        if x[i % 3] > 0.0:
            k = k + 1
        x = x * (1.0 + 0.1 * k)
    return np.sum(x)


def test_branches_on_array_state_and_on_a_counter():
    check_both_modes(branch_on_array_state, np.array([0.5, 1.0, 2.0]))
    check_both_modes(count_in_a_branch, np.array([0.5, -1.0, 2.0]))


def flag_set_after_the_branch(x):
    c = 1.0
    flag = False
    for i in range(4):
        if flag:
            c = c * 0.5
        flag = x > 2.0
        x = x * c + 0.1 * x * x
    return x


def continue_inside_if(x):
    c = 1.0
    for i in range(4):
        if x < 1.0:
            c = c * 1.5
            continue
        x = x * c * 0.6
    return x * c


def line_search_from_the_second_step(x):
    step = 1.0
    for k in range(3):
        g = 2.0 * (x - 1.0) * x
        if k > 0:
            while (x - step * g - 1.0) ** 2 > (x - 1.0) ** 2:
                step = step * 0.5
        x = x - step * g
    return x * x


def decay_by_conditional_expression(x):
    lr = 0.5
    for i in range(4):
        lr = lr * 0.5 if x > 1.0 else lr
        x = x - lr * np.sin(x)
    return x


def rates_from_a_list(x):
    rates = [0.3, 0.1, 0.05]
    lr = rates[0]
    for i in range(5):
        if i in (2, 4):
            lr = rates[i // 2]
        x = x - lr * x ** 3
    return np.sum(x)


def rate_in_a_dict(x):
    opt = {"lr": 0.3}
    for i in range(4):
        if i == 2:
            opt["lr"] = 0.1
        x = x - opt["lr"] * np.tanh(x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("f, x", [
    (flag_set_after_the_branch, 3.0),
    (continue_inside_if, 2.0),
    (continue_inside_if, 0.9),
    (line_search_from_the_second_step, 0.3),
    (line_search_from_the_second_step, 1.4),
    (decay_by_conditional_expression, 3.0),
    (rates_from_a_list, np.array([0.5, 0.7])),
    (rate_in_a_dict, np.array([0.5, 2.0])),
], ids=lambda v: getattr(v, "__name__", None) or "x")
def test_more_decisions_on_loop_state(f, x):
    check_both_modes(f, x)


def inner_count(x):
    for k in range(3):
        n = 0
        while n < k:
            n = n + 1
        x = x * np.sin(x) + n
    return x


def test_a_trip_count_nothing_reads_is_neither_taped_nor_counted():
    check_both_modes(inner_count, 0.7)
    source = srcgrad.source(srcgrad.grad(inner_count))
    assert not re.search(r"\b_n\d+\b", source), source


# --- 2. forward over reverse through loops -----------------------------------------

def chained_squares(x):  # the reproduction of the issue
    s = 0.0
    for i in range(2):
        s = s + (x[i + 1] - x[i] ** 2) ** 2
    return s


def test_hessian_through_a_loop_matches_the_closed_form():
    x = np.array([0.3, -0.5, 1.2])
    a, b = x[1] - x[0] ** 2, x[2] - x[1] ** 2
    want = np.array([[8 * x[0] ** 2 - 4 * a, -4 * x[0], 0.0],
                     [-4 * x[0], 2 - 4 * b + 8 * x[1] ** 2, -4 * x[1]],
                     [0.0, -4 * x[1], 2.0]])
    np.testing.assert_allclose(srcgrad.hessian(chained_squares)(x), want, rtol=1e-12)
    check_second_order(chained_squares, x)


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def while_sum(x):
    s = 0.0
    i = 0
    while i < 3:
        s = s + np.sin(x[i]) * x[(i + 1) % 3]
        i = i + 1
    return s


def loop_with_if(x):
    s = 0.0
    for i in range(3):
        if x[i] > 0.0:
            s = s + x[i] ** 3
        else:
            s = s - x[i] * x[(i + 1) % 3]
    return s


def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            s = s + np.cos(x[i] * x[j]) * (i + 1.0)
    return s


def nested_while_if(x):
    s = 0.0
    for i in range(3):
        j = 0
        while j < i + 1:
            if x[j] > 0.0:
                s = s + x[i] * x[j] ** 2
            else:
                s = s - np.exp(x[i] * x[j])
            j = j + 1
    return s


def over_rows(A):
    s = 0.0
    for row in A:
        s = s + np.sum(np.tanh(row) * row)
    return s


def descent_steps(x):
    for k in range(3):
        g = 4.0 * x ** 3 - 2.0 * x
        x = x - 0.05 * g
    return np.sum(x ** 2 * np.sin(x))


def rnn(x):
    h = np.zeros(2)
    W = np.array([[0.5, -0.3], [0.2, 0.4]])
    for t in range(3):
        h = np.tanh(W @ h + x[t] * np.array([1.0, -1.0]))
    return np.sum(h ** 2)


def matrix_power_loop(W):
    h = np.array([0.5, -0.2])
    for t in range(3):
        h = np.tanh(W @ h)
    return np.sum(h)


def written_in_place(x):
    y = x * 1.0
    for i in range(1, 3):
        y[i] = y[i - 1] * np.sin(y[i]) + x[i]
    return np.sum(y ** 2)


def states_in_a_list(x):
    hs = []
    h = x
    for t in range(3):
        h = np.tanh(h * 1.5 + 0.1 * t)
        hs.append(h)
    s = 0.0
    for h2 in hs:
        s = s + np.sum(h2 * h2)
    return s


def tuple_state(x):
    state = (x, x * 0.0)
    for t in range(3):
        p, v = state
        v = 0.9 * v - 0.1 * np.sin(p)
        state = (p + v, v)
    return np.sum(state[0] ** 2)


def break_when_large(x):
    s = 0.0
    for i in range(5):
        if np.sum(x) > 4.0:
            break
        x = x * 1.3 + np.sin(x)
        s = s + np.sum(x ** 2)
    return s


def while_true_break(x):
    s = 0.0
    k = 0
    while True:
        s = s + np.prod(np.cos(x)) * (k + 1.0)
        x = x * 1.1
        k = k + 1
        if k >= 3:
            break
    return s


def momentum_loss(x):
    v = np.zeros_like(x)
    beta = 0.0
    for i in range(4):
        if i == 1:
            beta = 0.9
        g = 2.0 * x + np.sin(x)
        v = beta * v + g
        x = x - 0.1 * v
    return np.sum(x ** 2 * np.cos(x))


def cell(h, x):
    return np.tanh(h * x + 0.3)


def helper_in_a_loop(x):
    h = x * 0.5
    for t in range(3):
        h = cell(h, x)
    return np.sum(h ** 2)


def helper_and_branch_in_a_loop(x):
    h = x * 0.5
    c = 1.0
    for t in range(3):
        if np.sum(h) > 0.0:
            c = c * 0.5
        h = cell(h, x) * c
    return np.sum(h ** 2)


def list_read_in_the_loop(x):
    hs = [x]
    for t in range(3):
        hs.append(np.tanh(hs[-1] * x + 0.1))
    return np.sum(hs[-1] * hs[1])


def list_written_in_the_loop(x):
    hs = [x * 1.0, x * 2.0]
    for t in range(3):
        hs[t % 2] = np.sin(hs[(t + 1) % 2]) * x
    return np.sum(hs[0] * hs[1])


def entries_set_in_branches(x):
    y = np.zeros(3)
    for i in range(3):
        if x[i] > 0.0:
            y[i] = x[i] ** 2 * x[(i + 1) % 3]
        else:
            y[i] = np.sin(x[i])
    return np.sum(y * y)


X3 = np.array([0.3, -0.5, 1.2])


@pytest.mark.parametrize("f, x", [
    (rosenbrock, np.array([0.3, -0.5, 1.2, 0.7])),
    (while_sum, X3),
    (loop_with_if, X3),
    (nested_loops, X3),
    (nested_while_if, X3),
    (over_rows, np.array([[0.3, -0.5], [1.2, 0.1]])),
    (descent_steps, X3),
    (rnn, X3),
    (matrix_power_loop, np.array([[0.3, -0.5], [1.2, 0.4]])),
    (written_in_place, X3),
    (states_in_a_list, X3),
    (tuple_state, X3),
    (break_when_large, X3),
    (break_when_large, np.array([0.3, 0.1, 0.2])),
    (while_true_break, X3),
    (momentum_loss, X3),
    (branch_on_array_state, np.array([0.5, 0.4, 0.3])),  # both bugs at once
    (branch_on_array_state, np.array([0.1, 0.2, 0.3])),
    (adam_with_decay, X3),
    (helper_in_a_loop, X3),
    (helper_and_branch_in_a_loop, X3),
    (helper_and_branch_in_a_loop, -X3),
    (list_read_in_the_loop, X3),
    (list_written_in_the_loop, X3),
    (entries_set_in_branches, X3),
], ids=lambda v: getattr(v, "__name__", None) or "x")
def test_hessian_and_hvp_through_loops(f, x):
    check_second_order(f, x)


def scalar_loop(t):
    y = t
    for i in range(3):
        y = y * np.sin(y) + t
    return y


def scalar_while_if(t):
    y = t
    n = 0
    while n < 4:
        if y > 1.0:
            y = y * 0.5 + t * t
        else:
            y = y + np.exp(-t) * y
        n = n + 1
    return y


def weights_from_a_list(t):
    out = 0.0
    for w in [0.5, 1.5, -0.5]:
        out = out + np.exp(w * t) * t
    return out


def scalar_schedule(t):
    lr = 0.3
    x = 2.0 * t
    for i in range(4):
        if i == 2:
            lr = 0.1
        x = x - lr * np.sin(x) * t
    return x * x


@pytest.mark.parametrize("f, t", [(scalar_loop, 0.7), (scalar_while_if, 1.7), (scalar_while_if, 0.6),
                                  (scalar_schedule, 0.8), (halve_factor, 5.0), (step_halving, 0.8),
                                  (weights_from_a_list, 0.7)],
                         ids=lambda v: getattr(v, "__name__", None) or "t")
def test_grad_of_grad_through_loops(f, t):
    check_second_order(f, t)


def scan_in_a_helper(a, scale=0.5):
    acc = 0.0
    for i, e in enumerate(a):
        acc = np.tanh(0.5 * acc + e * (i + 1.0))
    return scale * np.exp(acc)


def calls_a_scanning_helper(x):
    return np.tanh(scan_in_a_helper(x)) * x[0]


def branch_on_either(a):
    v = np.tanh(a)
    if v > 0.0 or not v > -0.5:
        return v * a
    return a * 2.0


def calls_a_branching_helper(x):
    return branch_on_either(x[0]) * x[1] + branch_on_either(x[1] - 1.0)


@pytest.mark.parametrize("f, x", [(calls_a_scanning_helper, X3), (calls_a_branching_helper, np.array([0.5, 1.5])),
                                  (calls_a_branching_helper, np.array([-0.7, 0.2]))],
                         ids=lambda v: getattr(v, "__name__", None) or "x")
def test_hessian_through_a_helper_with_a_loop_or_a_boolean_condition(f, x):
    # the helper's split derivative copies its stack (copy_stack, with a tangent rule) and
    # hands its condition `v > 0.0 or not v > -0.5` on in the tape (a bool: no tangent)
    check_second_order(f, x)


# --- whole programs: integrators and optimisers, first and second order -------------

def adaptive_euler(k):
    """Euler steps on y' = -k y with step-doubling error control."""
    y = 1.0
    t = 0.0
    dt = 0.5
    n = 0
    while t < 1.0 and n < 20:
        big = y + dt * (-k * y)
        half = y + 0.5 * dt * (-k * y)
        half = half + 0.5 * dt * (-k * half)
        if abs(big - half) > 0.01:
            dt = dt * 0.5
        else:
            y = half
            t = t + dt
        n = n + 1
    return y


def rk4(k):
    y = np.array([1.0, 0.0])
    h = 0.1
    for i in range(5):
        def rate(v):
            return np.array([v[1], -k * v[0]])
        k1 = rate(y)
        k2 = rate(y + 0.5 * h * k1)
        k3 = rate(y + 0.5 * h * k2)
        k4 = rate(y + h * k3)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0]


def annealed_descent(x):
    temperature = 1.0
    for i in range(12):
        if i % 4 == 0:
            temperature = temperature * 0.5
        x = x - temperature * np.tanh(x) * 0.3
    return np.sum(x ** 2)


def early_stopping(x):
    loss = 0.0
    lr = 0.2
    for step in range(10):
        g = 2.0 * x * np.cos(x)
        x = x - lr * g
        loss = np.sum(x ** 2)
        if loss < 0.05:
            break
        if step == 3:
            lr = 0.05
    return loss


def newton_sqrt(a):
    x = a
    for i in range(20):
        nx = 0.5 * (x + a / x)
        if abs(nx - x) < 1e-12:
            break
        x = nx
    return x


@pytest.mark.parametrize("f, x", [(adaptive_euler, 2.3), (rk4, 1.7), (annealed_descent, np.array([0.5, -1.2, 2.0])),
                                  (early_stopping, np.array([0.5, -1.2, 0.9])), (newton_sqrt, 2.0)],
                         ids=lambda v: getattr(v, "__name__", None) or "x")
def test_integrators_and_optimisers(f, x):
    check_both_modes(f, x)
    check_second_order(f, x)


def test_newton_iteration_converges_to_the_closed_form():
    # d sqrt(a)/da = 1 / (2 sqrt(a)); d2 = -1 / (4 a^1.5)
    np.testing.assert_allclose(srcgrad.grad(newton_sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-10)
    np.testing.assert_allclose(srcgrad.grad(srcgrad.grad(newton_sqrt))(2.0), -0.25 * 2.0 ** -1.5, rtol=1e-8)


def unused_pop(x):
    ys = []
    for i in range(3):
        ys.append(x * (i + 1.0))
    last = ys.pop()
    return ys[-1]


def discarded_pop(x):
    ys = []
    for i in range(3):
        ys.append(x * (i + 1.0))
    ys.pop()
    return ys[-1] * 3.0


def test_forward_mode_pops_the_tangent_of_a_value_it_does_not_use():
    # ys[-1] is 2x after the pop; the tangent read 3 before (the popped entry's)
    assert srcgrad.jvp(unused_pop, (1.5,), (1.0,)) == (3.0, 2.0)
    assert srcgrad.jvp(discarded_pop, (1.5,), (1.0,)) == (9.0, 6.0)
    srcgrad.check_grads(unused_pop, (1.5,), modes=("forward",))
    srcgrad.check_grads(discarded_pop, (1.5,), modes=("forward",))
