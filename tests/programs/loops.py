"""Loops people write in numeric code: range, arrays, lists, zip, enumerate, break, continue.

Plain Python + NumPy; used by tests/test_control_flow.py.
"""
import numpy as np


def weighted_sum(x, w):
    """A loop-carried accumulator over range(len(x))."""
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * w
    return s


def power_series(x, n):
    """Horner-like accumulation with two loop-carried values."""
    term = 1.0
    total = 0.0
    for k in range(1, n):
        term = term * x / k
        total = total + term
    return total


def stepped_range(x):
    """range with start, stop and step; augmented assignment."""
    s = x
    for k in range(2, 11, 3):
        s *= 1.0 + x / k
        s += k * x
    return s


def over_rows(X, w):
    """A for loop over an array's first axis."""
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


def over_constants(x):
    """A loop over a literal list of constants."""
    s = 0.0
    for c in [0.5, 1.0, 2.0, -1.5]:
        s = s + np.sin(c * x) * c
    return s


def over_constant_tuple(x):
    """A loop over a literal tuple of constants, with a product accumulator."""
    p = 1.0
    for c in (1.0, 0.5, 0.25):
        p = p * (x + c)
    return p


def zip_dot(x, y):
    """zip of two arrays."""
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b + a * a
    return s


def zip_three(x, y, w):
    """zip of three arrays."""
    s = 0.0
    for a, b, c in zip(x, y, w):
        s = s + np.exp(a) * b - c * c * a
    return s


def enumerate_weighted(x):
    """enumerate: the index is used as a weight."""
    s = 0.0
    for i, a in enumerate(x):
        s = s + (i + 1) * a * a
    return s


def enumerate_rows(X, w):
    """enumerate over the rows of a matrix, the index selecting a weight."""
    s = 0.0
    for i, row in enumerate(X):
        s = s + w[i] * np.sum(row * row)
    return s


def reassigned_in_body(x, n):
    """A loop body that reassigns one variable several times."""
    a = x
    for _ in range(n):
        a = a * x
        a = np.sin(a)
        a = a + 0.5 * x
    return a


def assigned_in_loop(x):
    """A variable first assigned inside the loop and read after it."""
    s = 0.0
    for i in range(len(x)):
        last = x[i] * 2.0
        s = s + last
    return s * last


def loop_then_branch(x, y):
    """A branch inside a loop, assigning in one arm only."""
    s = y
    for i in range(len(x)):
        if x[i] > 0:
            s = s * x[i]
        s = s + 0.1 * y
    return s


def loop_elif(x):
    """if/elif/else inside a loop."""
    s = 0.0
    for i in range(len(x)):
        if x[i] > 1.0:
            s = s + x[i] * x[i]
        elif x[i] > 0:
            s = s - np.sin(x[i])
        else:
            s = s * 0.5 + x[i]
    return s


def with_continue(x):
    """continue skips part of the body."""
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + np.sqrt(x[i]) * x[i]
    return s


def with_break(x, t):
    """break when an accumulator crosses a threshold."""
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i]
        if s > t:
            break
    return s * t


def break_sometimes(x, w):
    """A body with a branch that sometimes breaks, and work after it."""
    s = 0.0
    for i in range(len(x)):
        a = x[i] * w
        if a > 3.0:
            s = s + a
            break
        elif a < -3.0:
            s = s - a
            continue
        s = s + np.tanh(a)
    return s


def return_in_loop(x, t):
    """An early return from inside a loop."""
    s = 0.0
    for i in range(len(x)):
        s = s + x[i]
        if s > t:
            return s * s
    return s


def return_in_nested(X, t):
    """An early return from inside a nested loop."""
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j] * (j + 1)
            if s > t:
                return s * X[i, j]
    return -s


def nested_triangular(x, w):
    """Nested loops, the inner trip count depending on the outer variable."""
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + x[i] * x[j] * w
        s = s * 0.9
    return s


def nested_accumulators(X, v):
    """Nested loops over an array's axes with inner and outer accumulators."""
    total = 0.0
    for i in range(X.shape[0]):
        row = 0.0
        for j in range(X.shape[1]):
            row = row + X[i, j] * v[j]
        total = total + np.tanh(row)
    return total


def nested_break(X):
    """A break in an inner loop only."""
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] < 0:
                break
            s = s + X[i, j] * X[i, j]
        s = s * 1.5
    return s


def while_in_for(x):
    """A while loop nested in a for loop; the inner count depends on the data."""
    s = 0.0
    for i in range(len(x)):
        a = x[i]
        while a > 1.0:
            a = a * 0.5
            s = s + a
    return s


def array_state(x, W):
    """An array carried around a loop, with an array accumulator."""
    h = x
    acc = np.zeros_like(x)
    for _ in range(4):
        h = np.tanh(W @ h)
        acc = acc + h * h
    return np.sum(acc)


def empty_loop(x, n):
    """A loop that may run zero times."""
    s = x
    for i in range(n):
        s = s * x + i
    return s * 2.0


def long_scalar_loop(x, n):
    """The 10,000-iteration scalar loop."""
    s = 0.0
    for i in range(n):
        s = s * 0.9999 + x
    return s


def tanh_chain(W, z, n):
    """Repeated z = tanh(W z): the tape-minimality case."""
    for _ in range(n):
        z = np.tanh(W @ z)
    return np.sum(z)


def enumerate_zip(x, ws):
    """for i, (a, w) in enumerate(zip(...)): the index and the items together."""
    s = 0.0
    for i, (a, w) in enumerate(zip(x, ws)):
        s = s + a * w * (i + 1)
    return s
