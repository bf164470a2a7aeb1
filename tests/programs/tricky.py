"""Less common but legal shapes of control flow that stress the tape and the versions.

Plain Python + NumPy; used by tests/test_control_flow.py.
"""
import math

import numpy as np


def param_overwritten(x, n):
    """The differentiated parameter itself is reassigned in the loop."""
    for i in range(n):
        x = x * 1.5 + np.sin(x)
    return x * x


def loop_index_after(x, n):
    """The loop variable is read after the loop."""
    s = x
    for i in range(n):
        s = s * x
    return s * i


def index_rebound(x):
    """The loop variable is rebound inside the body."""
    s = 0.0
    for i in range(3):
        i = i * 2
        s = s + x ** i
    return s


def iterate_and_rebind(x):
    """Loop over an array that the body rebinds (Python iterates the original)."""
    s = 0.0
    for a in x:
        x = x * 0.5
        s = s + a * np.sum(x)
    return s


def tuple_pendulum(theta, omega, c):
    """Simultaneous update with tuple assignment inside the loop."""
    dt = 0.05
    for _ in range(60):
        theta, omega = theta + dt * omega, omega - dt * (math.sin(theta) + c * omega)
    return theta + omega * omega


def columns(X, w):
    """Loop over the columns of a matrix (the first axis of X.T)."""
    s = 0.0
    for col in X.T:
        s = s + np.sum(np.exp(col * w))
    return s


def index_parity(x):
    """A branch on the loop index, not on data."""
    s = 1.0
    for i in range(len(x)):
        if i % 2 == 0:
            s = s * x[i]
        else:
            s = s + x[i] * x[i]
    return s


def branch_carried_one_arm(x, y):
    """A loop-carried value assigned in one arm only; read in the next iteration."""
    m = y
    s = 0.0
    for i in range(len(x)):
        if x[i] > m:
            m = x[i] * 0.9 + m * 0.1
        s = s + m * x[i]
    return s + m


def loops_in_both_arms(x, n):
    """A different loop in each arm of a branch."""
    s = x
    if x > 0:
        for i in range(n):
            s = s * 0.5 + x
    else:
        k = 0
        while k < n:
            s = s * s * 0.1 + x
            k = k + 1
    return s


def sequential_loops(x):
    """Two loops in sequence reusing the same names."""
    s = 0.0
    for i in range(len(x)):
        t = x[i] * 2.0
        s = s + t * t
    for i in range(len(x)):
        t = np.sin(x[i])
        s = s * 0.5 + t
    return s + t


def while_true_counter(x):
    """`while True` with a counter and a break."""
    k = 0
    s = x
    while True:
        s = s * 0.8 + 1.0
        k = k + 1
        if k >= 7:
            break
    return s * x


def while_continue(x, n):
    """continue inside a while loop."""
    k = 0
    s = 0.0
    while k < n:
        k = k + 1
        if k % 3 == 0:
            continue
        s = s + x ** k / k
    return s


def while_return(x):
    """An early return from inside a while loop with a data-dependent trip count."""
    s = x
    k = 0
    while s < 100.0:
        s = s * 1.7 + x
        k = k + 1
        if k > 5:
            return s * 0.01
    return s


def while_compound(x, y):
    """A while condition built with `and`."""
    a = x
    k = 0
    while a < 10.0 and k < 20:
        a = a * y + 0.5
        k = k + 1
    return a


def ternary_in_loop(x):
    """Conditional expressions inside a loop."""
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] * x[i] if x[i] > 0 else -x[i] * 3.0)
    return s


def break_outer_via_flag(X):
    """An inner break plus a flag that ends the outer loop."""
    s = 0.0
    done = False
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j] * X[i, j]
            if s > 3.0:
                done = True
                break
        if done:
            break
        s = s * 1.1
    return s


def enumerate_constants(x):
    """enumerate over a literal list of constants."""
    s = x
    for i, c in enumerate([0.3, 0.6, 0.9]):
        s = s * c + i * x
    return s


def zip_array_and_constants(x):
    """zip of an array with a list of constants."""
    s = 0.0
    for a, c in zip(x, [1.0, -2.0, 0.5]):
        s = s + c * a * a
    return s


def array_accumulator(x, w):
    """An accumulator that starts as a float and becomes an array."""
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * w
    return np.sum(s * s)


def deep_nest(x, y):
    """Three levels of nesting mixing for, if and while."""
    s = 0.0
    for i in range(3):
        if x > i * 0.5:
            for j in range(i + 1):
                a = x * j + y
                while a > 1.0:
                    a = a * 0.5
                s = s + a * y
        else:
            s = s - x * y
    return s


def nested_return_uses_index(x):
    """An early return inside a nested branch in a loop, using the loop variable."""
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            if s > 1.0:
                return s * x[i] + i
        s = s + x[i] * x[i]
    return s


def row_norms_branch(X):
    """Loop over rows, branch on each row's norm."""
    total = 0.0
    for row in X:
        r = np.sqrt(np.sum(row * row))
        if r > 1.0:
            total = total + r
        else:
            total = total + r * r
    return total
