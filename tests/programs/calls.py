import numpy as np
import math

def sq(v):
    return v * v

def affine(x, w, b=0.5, scale=1.0):
    return np.tanh(x @ w + b) * scale

def two(a, b):
    return a * b, a + b

def uses_helpers(x, w):
    h = affine(x, w, scale=2.0)
    s = np.sum(sq(h))
    p, q = two(s, np.sum(w))
    return p + sq(q)

def loop_calls(x, n):
    s = 0.0
    for i in range(n):
        s = s + sq(x * i) + math.sin(sq(s) * 0.01)
    return s

def branch_helper(v):
    if v > 0:
        return v * 3.0
    return -v

def calls_branchy(x):
    return branch_helper(x) + branch_helper(x - 1.0)

def fact(n, x):
    if n == 0:
        return x
    return fact(n - 1, x) * x

def recursive(x):
    return fact(3, x)


SCALE = 3.0


def scaled(v):
    """Reads a module global as a constant."""
    return v * SCALE


def make_power(k):
    """A closure capturing a constant exponent."""
    def power(v):
        return v ** k
    return power


cube = make_power(3)


def uses_global_and_closure(x):
    return scaled(x) + cube(x)


def writes_inside(x):
    out = np.zeros(3)
    out[1] = x[0] * 2.0
    return np.sum(out * x)


def calls_a_writer(x):
    return writes_inside(x) * writes_inside(x * 2.0)


def accumulate(vals, w):
    total = 0.0
    for v in vals:
        total = total + sq(v * w)
    return total


def calls_in_a_loop_with_tapes(xs, w):
    h = 0.0
    for t in range(3):
        h = affine(xs[t], w) + h * 0.5
    return np.sum(h)
