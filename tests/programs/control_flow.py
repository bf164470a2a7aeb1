"""Branching numeric code: if/elif/else, conditional expressions, boolean logic, early return.

Plain Python + NumPy, written the way people write it; used by tests/test_control_flow.py.
"""
import math

import numpy as np


def piecewise(x):
    """A smooth-ish piecewise function of a scalar with four data-dependent arms."""
    if x < -1.0:
        y = -x * x + 2.0 * x
    elif x < 0.0:
        y = np.sin(x) * 3.0
    elif x < 2.0:
        y = x ** 3 - x
    else:
        y = math.exp(x / 4.0)
    return y * x


def huber(r, delta):
    """The Huber loss of a residual, branch on |r| vs delta."""
    if abs(r) <= delta:
        loss = 0.5 * r * r
    else:
        loss = delta * (abs(r) - 0.5 * delta)
    return loss


def nested_branches(x, y):
    """Nested if/else on two inputs; every arm a different expression."""
    if x > 0:
        if y > 0:
            z = x * y
        else:
            z = x - y * y
        z = z + 1.0
    else:
        if y > x:
            z = np.exp(y) * x
        elif y > 2 * x:
            z = x * x * y
        else:
            z = np.tanh(x + y)
    return z * 2.0 + x


def array_branch(w, x):
    """A branch whose condition is a reduction of an array."""
    a = np.tanh(x @ w)
    if np.sum(a) > 0.0:
        out = np.sum(a * a)
    else:
        out = np.sum(np.exp(a)) - np.mean(w)
    return out


def conditional_expressions(x, y):
    """Conditional expressions, one nested inside another."""
    a = x * y if x > y else x - y
    b = a * a if a > 0 else (np.sin(a) if a > -1.0 else a * 3.0)
    return a + b * x


def clipped_relu(x, lo, hi):
    """`max(lo, min(x, hi))` written as conditional expressions."""
    y = x if x < hi else hi
    y = y if y > lo else lo
    return y * y + x


def boolean_logic(x, y):
    """and / or / not in conditions."""
    if x > 0 and y > 0:
        r = x * y
    elif x > 0 or y > 1.5:
        r = x + 2.0 * y
    elif not (x < -2.0):
        r = x * x - y
    else:
        r = y * y * y
    return r


def combined_conditions(x, w):
    """A compound condition mixing a scalar and an array reduction."""
    s = np.sum(w * x)
    if (s > 1.0 and x[0] > 0) or (not s > -1.0 and w[0] < 0):
        r = s * s
    else:
        r = np.sum(np.sin(w)) * s
    return r


def one_arm(x, y):
    """A variable assigned in only one arm; the other keeps its earlier value."""
    z = x * 2.0
    if y > 0:
        z = z * y + x
    t = x
    if x > 1.0:
        t = np.exp(t)
    else:
        pass
    return z + t * y


def one_arm_only_new(x, y):
    """A variable first defined in one arm; the other defines it differently later."""
    flag = x > y
    if flag:
        m = x * x
    if not flag:
        m = y * 3.0
    return m + x * y


def early_return(x, y):
    """Returns from inside nested branches."""
    if x > 2.0:
        return x * y
    if y < 0:
        if x < 0:
            return x * x * y
        y = y * y
    z = x + y
    return z * z


def early_return_array(w, x):
    """An early return chosen by an array condition."""
    h = np.tanh(w * x)
    if np.max(h) > 0.9:
        return np.sum(h ** 3)
    g = h * w
    return np.sum(g) + np.sum(h)


def sign_flip(x, y):
    """Swap arguments in a branch (tuple assignment), then use both."""
    a = x
    b = y
    if a < b:
        a, b = b, a
    return a * a - 3.0 * b + a * b
