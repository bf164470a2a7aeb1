"""Iterative numerics: while loops with data-dependent trip counts, simulations, an RNN.

Plain Python + NumPy; used by tests/test_control_flow.py.
"""
import math

import numpy as np


def newton_sqrt(a):
    """sqrt(a) by Newton's iteration until the residual is tiny."""
    x = a
    while abs(x * x - a) > 1e-13 * a:
        x = 0.5 * (x + a / x)
    return x


def newton_cbrt_scaled(a, c):
    """c * cbrt(a) by Newton's iteration with an iteration cap and a break."""
    x = 1.0 + a / 3.0
    k = 0
    while k < 100:
        x_new = x - (x * x * x - a) / (3.0 * x * x)
        k = k + 1
        if abs(x_new - x) < 1e-14 * x:
            x = x_new
            break
        x = x_new
    return c * x


def bisection(a):
    """Bisection for t**3 + t = a on [0, a]; the result is piecewise linear in a."""
    lo = 0.0
    hi = a
    while hi - lo > 1e-4:
        mid = 0.5 * (lo + hi)
        if mid * mid * mid + mid > a:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi) * a


def damped_fixed_point(a, alpha):
    """x = cos(a x) by a damped fixed-point iteration until the step is tiny."""
    x = 0.0
    step = 1.0
    while abs(step) > 1e-13:
        step = alpha * (math.cos(a * x) - x)
        x = x + step
    return x * a


def pendulum(theta0, omega0, damping, length):
    """Explicit Euler for a damped pendulum, 500 steps, Python floats throughout."""
    g = 9.81
    dt = 0.01
    theta = theta0
    omega = omega0
    for _ in range(500):
        alpha = -(g / length) * math.sin(theta) - damping * omega
        theta = theta + dt * omega
        omega = omega + dt * alpha
    return theta * theta + 0.1 * omega


def tanh_rnn(W, U, b, x, h0):
    """A tanh RNN over a Python loop, returning a readout of the final state."""
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t] + b)
    return np.sum(h * h) + np.sum(h)


def rnn_over_rows(W, U, b, v, x):
    """The same RNN iterating directly over the rows of x, with a loss summed over time."""
    h = np.zeros(W.shape[0])
    loss = 0.0
    for xt in x:
        h = np.tanh(W @ h + U @ xt + b)
        loss = loss + (v @ h - 0.5) ** 2
    return loss


def gradient_descent(a, lr):
    """Minimise (x - a)^2 + x^4 by gradient steps until the step is small."""
    x = 0.0
    while True:
        g = 2.0 * (x - a) + 4.0 * x ** 3
        x = x - lr * g
        if abs(g) < 1e-12:
            break
    return x * x


def collatz_like(x, n):
    """A while loop whose trip count depends on an integer argument, branching inside."""
    s = x
    k = n
    while k > 1:
        if k % 2 == 0:
            k = k // 2
            s = s * 0.5 + x
        else:
            k = 3 * k + 1
            s = np.sin(s) + x * x
    return s


def logistic_growth(p0, r, K):
    """Discrete logistic growth, 30 steps, Python floats (the carrying capacity divides)."""
    p = p0
    for t in range(30):
        p = p + r * p * (1.0 - p / K)
    return p


def exp_feedback(x):
    """A scalar recurrence through math.exp of the running state."""
    s = 0.0
    for i in range(8):
        s = s + math.exp(-s * x)
    return s


def ratio_recurrence(x, n):
    """A quotient recomputed every iteration from the state, then accumulated."""
    s = 1.0
    for i in range(n):
        q = x / s
        s = s + q
    return s


def ratio_recurrence_array(x):
    """The same recurrence on arrays."""
    s = np.ones_like(x)
    for i in range(5):
        q = x / s
        s = s + q
    return np.sum(s)
