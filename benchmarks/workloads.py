"""The benchmark workloads: each written once in NumPy, with a hand-derived gradient beside it.

A workload's function uses only the module-level names `np` and `math`.
Peers that need their own NumPy (autograd, JAX, PyTorch) run the *same code
object* with those two globals swapped for their namespace (see
`backends.rebind`), so nothing is written twice.

The hand-written gradients are what an expert would write in plain NumPy
(Python floats stay Python floats, reverse sweeps keep only what they need);
`python -m benchmarks` checks each of them against central finite
differences before timing anything.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass
class Workload:
    name: str
    title: str
    fun: Callable                 # the NumPy function (returns a scalar)
    hand_grad: Callable           # same arguments; returns the gradient(s) for `wrt`
    make_args: Callable[[np.random.Generator, bool], tuple]   # (rng, tiny) -> args
    wrt: Any                      # an int position or a tuple of positions
    loop: bool = False            # a Python loop: report tape memory
    scalar_inputs: bool = False   # differentiated arguments are Python floats
    quick_skip: tuple = ()        # backends too slow for --quick (they are run in full runs)


# --------------------------------------------------------------------------------
# 1. Rosenbrock on 10 Python floats (a Python loop over a list)
# --------------------------------------------------------------------------------

def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_grad(x):
    n = len(x)
    g = [0.0] * n
    for i in range(n - 1):
        xi = x[i]
        r = x[i + 1] - xi * xi
        g[i] += -400.0 * r * xi - 2.0 * (1.0 - xi)
        g[i + 1] += 200.0 * r
    return g


def rosenbrock_grad_array(x):
    """`rosenbrock_grad` on a float64 array, for numba.njit: numba's own floor for a
    call from Python (benchmarks/numba_section.py)."""
    n = len(x)
    g = np.zeros(n)
    for i in range(n - 1):
        xi = x[i]
        r = x[i + 1] - xi * xi
        g[i] += -400.0 * r * xi - 2.0 * (1.0 - xi)
        g[i + 1] += 200.0 * r
    return g


def _rosenbrock_args(rng, tiny):
    n = 4 if tiny else 10
    return ([float(v) for v in rng.uniform(-1.5, 1.5, n)],)


# --------------------------------------------------------------------------------
# 2. Explicit Euler, damped pendulum, 500 steps of Python floats
# --------------------------------------------------------------------------------

THETA0 = 1.0
OMEGA0 = 0.0
DT = 0.01
STEPS = 500


def pendulum(g, length, damping):
    theta = THETA0
    omega = OMEGA0
    for _ in range(STEPS):
        alpha = -(g / length) * math.sin(theta) - damping * omega
        theta = theta + DT * omega
        omega = omega + DT * alpha
    return theta * theta + 0.5 * omega * omega


def pendulum_grad(g, length, damping):
    k = g / length
    theta = THETA0
    omega = OMEGA0
    thetas = [0.0] * STEPS
    omegas = [0.0] * STEPS
    for i in range(STEPS):
        thetas[i] = theta
        omegas[i] = omega
        alpha = -k * math.sin(theta) - damping * omega
        theta = theta + DT * omega
        omega = omega + DT * alpha
    dtheta = 2.0 * theta
    domega = omega
    dk = 0.0
    ddamping = 0.0
    for i in range(STEPS - 1, -1, -1):
        th = thetas[i]
        om = omegas[i]
        dalpha = DT * domega
        dk -= dalpha * math.sin(th)
        ddamping -= dalpha * om
        domega = domega + DT * dtheta - dalpha * damping
        dtheta = dtheta - dalpha * k * math.cos(th)
    dg = dk / length
    dlength = -dk * g / (length * length)
    return dg, dlength, ddamping


def _pendulum_args(rng, tiny):
    return (9.81, 1.3, 0.4)


# --------------------------------------------------------------------------------
# 3/4. Two-layer MLP, softmax cross-entropy, params dict
# --------------------------------------------------------------------------------

def mlp(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum((z - lse) * Y) / X.shape[0]


def mlp_grad(params, X, Y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    # Y rows are one-hot (they sum to one), so d loss / d logits = (p - Y) / n
    dlogits = (p - Y) * (1.0 / X.shape[0])
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    da = dlogits @ W2.T
    da *= 1.0 - h * h
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _mlp_args(batch, d_in, d_hidden, d_out):
    def make(rng, tiny):
        n, i, h, o = (5, 4, 6, 3) if tiny else (batch, d_in, d_hidden, d_out)
        params = {
            "W1": rng.normal(0.0, 1.0 / np.sqrt(i), (i, h)),
            "b1": rng.normal(0.0, 0.1, h),
            "W2": rng.normal(0.0, 1.0 / np.sqrt(h), (h, o)),
            "b2": rng.normal(0.0, 0.1, o),
        }
        X = rng.normal(size=(n, i))
        Y = np.eye(o)[rng.integers(0, o, n)]
        return params, X, Y
    return make


# --------------------------------------------------------------------------------
# 5. tanh RNN, 50 steps in a Python loop, hidden 64, batch 16
# --------------------------------------------------------------------------------

def rnn(params, xs, target):
    Wx = params["Wx"]
    Wh = params["Wh"]
    b = params["b"]
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    out = h @ params["Wo"]
    return np.mean((out - target) ** 2)


def rnn_grad(params, xs, target):
    Wx, Wh, b, Wo = params["Wx"], params["Wh"], params["b"], params["Wo"]
    T, B, _ = xs.shape
    hs = [np.zeros((B, Wh.shape[0]))]
    h = hs[0]
    for t in range(T):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    out = h @ Wo
    dout = (out - target) * (2.0 / out.size)
    dWo = h.T @ dout
    dh = dout @ Wo.T
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    for t in range(T - 1, -1, -1):
        h = hs[t + 1]
        da = dh * (1.0 - h * h)
        dWx += xs[t].T @ da
        dWh += hs[t].T @ da
        db += da.sum(axis=0)
        dh = da @ Wh.T
    return {"Wx": dWx, "Wh": dWh, "b": db, "Wo": dWo}


def _rnn_args(rng, tiny):
    T, B, D, H = (4, 3, 2, 5) if tiny else (50, 16, 32, 64)
    params = {
        "Wx": rng.normal(0.0, 1.0 / np.sqrt(D), (D, H)),
        "Wh": rng.normal(0.0, 0.9 / np.sqrt(H), (H, H)),
        "b": rng.normal(0.0, 0.1, H),
        "Wo": rng.normal(0.0, 1.0 / np.sqrt(H), (H, 1)),
    }
    xs = rng.normal(size=(T, B, D))
    target = rng.normal(size=(B, 1))
    return params, xs, target


# --------------------------------------------------------------------------------
# 6. Logistic regression, n = 100,000, d = 100
# --------------------------------------------------------------------------------

def logreg(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def logreg_grad(w, X, y):
    z = X @ w
    p = np.exp(-np.logaddexp(0.0, -z))   # sigmoid(z), overflow-free
    p -= y
    return (p @ X) * (1.0 / X.shape[0])


def _logreg_args(rng, tiny):
    n, d = (7, 3) if tiny else (100_000, 100)
    X = rng.normal(size=(n, d))
    w_true = rng.normal(size=d) / np.sqrt(d)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X @ w_true)))).astype(np.float64)
    w = rng.normal(size=d) * 0.1
    return w, X, y


# --------------------------------------------------------------------------------
# 7. Elementwise: sum(tanh(x) * exp(-x**2) + log1p(x**2)), n = 1,000,000
# --------------------------------------------------------------------------------

def elementwise(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2))


def elementwise_grad(x):
    t = np.tanh(x)
    x2 = x * x
    e = np.exp(-x2)
    # d/dx [t e] = (1 - t^2) e - 2 x t e ;  d/dx log1p(x^2) = 2x / (1 + x^2)
    g = (1.0 - t * t - 2.0 * x * t) * e
    g += 2.0 * x / (1.0 + x2)
    return g


def _elementwise_args(rng, tiny):
    n = 9 if tiny else 1_000_000
    return (rng.normal(size=n),)


WORKLOADS = [
    Workload("rosenbrock", "Rosenbrock, 10 Python floats (loop)", rosenbrock, rosenbrock_grad,
             _rosenbrock_args, 0, loop=True, scalar_inputs=True),
    Workload("pendulum", "Euler pendulum, 500 steps, Python floats", pendulum, pendulum_grad,
             _pendulum_args, (0, 1, 2), loop=True, scalar_inputs=True,
             quick_skip=("jax", "jax_jit")),  # ~1.5 s per eager call, ~14 s to compile
    Workload("mlp32", "MLP 64-128-10, batch 32", mlp, mlp_grad,
             _mlp_args(32, 64, 128, 10), 0),
    Workload("mlp1024", "MLP 784-512-10, batch 1024", mlp, mlp_grad,
             _mlp_args(1024, 784, 512, 10), 0),
    Workload("rnn", "tanh RNN, 50 steps, H=64, B=16", rnn, rnn_grad, _rnn_args, 0, loop=True),
    Workload("logreg", "logistic regression 100k x 100", logreg, logreg_grad, _logreg_args, 0),
    Workload("elementwise", "elementwise, n = 1e6", elementwise, elementwise_grad,
             _elementwise_args, 0),
]

BY_NAME = {w.name: w for w in WORKLOADS}


# --------------------------------------------------------------------------------
# Overhead and compile-time probes
# --------------------------------------------------------------------------------

def tiny(x):
    return x * x


def tiny_grad(x):
    return 2.0 * x


def tiny_sum(x):
    return np.sum(x * x)


def tiny_sum_grad(x):
    return 2.0 * x


# A 20-line function (20 statements in the body) for the first-build target.
# `compile_source()` gives its text; it is exec'd into a fresh module each time.
TWENTY_LINES = '''\
import numpy as np


def twenty(w, X, y):
    a = X @ w
    b = np.tanh(a)
    c = b * b
    d = np.exp(-c)
    e = d + 0.5 * b
    f = np.log1p(e * e)
    g = f - np.mean(f)
    h = g * y
    i = np.sum(h ** 2)
    j = np.sin(a) * np.cos(b)
    k = j + c / (1.0 + d)
    m = np.maximum(k, 0.0)
    n = np.sqrt(m + 1.0)
    o = np.sum(n * e)
    p = np.abs(g).sum()
    q = np.dot(b, d)
    r = np.mean(np.square(e - y))
    s = i + o + 0.1 * p
    t = s - q * 1e-3
    return t + r
'''
