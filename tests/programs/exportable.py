"""Functions `srcgrad export` turns into standalone modules (tests/test_export.py).

Each reads what a real model file reads: NumPy under an alias, `math`,
`scipy.special`, a module-level constant, helpers calling helpers, a user
rule. Nothing here may be needed by the exported modules at run time.
"""
import math

import numpy as np
import scipy.special
from scipy.special import expit

import srcgrad

SCALE = 1.5
SHAPE = (2, 3)
LABEL = "exportable"


def straight(x, w):
    z = np.tanh(x * w) + np.exp(-x) * SCALE
    return np.sum(z * z) + math.sqrt(2.0) * np.sum(w)


def looped(x, w, n=4):
    h = x
    for i in range(n):
        h = np.sin(h * w) + h * 0.5
    return np.sum(h ** 2)


def writes(x, w):
    out = np.zeros(4)
    for i in range(4):
        if x[i] > 0:
            out[i] = x[i] * w
        else:
            out[i] = w
        out[i] += out[i] * x[i]
    return np.sum(out * out)


def layer(x, w):
    return np.tanh(x * w + 0.1)


def block(x, w):
    return layer(layer(x, w), w) * 2.0 + expit(x)


def one_block(x, w):
    return np.sum(block(x, w) * x)


def nested_calls(x, w):
    s = 0.0
    for i in range(3):
        s = s + np.sum(block(x * (i + 1.0), w) ** 2)
    return s + np.sum(layer(x, w))


def clipped_growth(x):
    """Its derivative has a fast path (see optimize/fastpath.py) and a NaN-safe twin."""
    return np.sum(np.where(x < 50.0, np.exp(x), 0.0) + np.where(x < 60.0, np.exp(0.5 * x), 0.0))


def special(x):
    return np.sum(scipy.special.logsumexp(x) * expit(x)) + np.sum(srcgrad.stop_gradient(x) * x)


def opaque(a, b):
    """Pretend this is a C routine: the rule below is its derivative."""
    return np.asarray(a) * np.asarray(b)


@srcgrad.defvjp(opaque)
def opaque_vjp(g, ans, a, b):
    return g * b, g * a


@srcgrad.defjvp(opaque)
def opaque_jvp(tangents, ans, a, b):
    da, db = tangents
    return da * b + a * db


def ruled(x, y):
    return np.sum(opaque(x, y) * np.reshape(np.arange(6.0), SHAPE).ravel()[: np.size(x)])


def across_modules(a, b, x):
    """Calls whose derivatives use helpers of several runtime modules, helpers that
    call helpers of other modules, and a runtime constant (solve's NumPy version)."""
    return np.sum(np.linalg.solve(a, b)) + np.sum(np.prod(x, axis=0)) + np.linalg.norm(x) \
        + np.sum(np.cumprod(x[0]))


WEIGHTS = np.ones(3)


def reads_global_array(x):
    return np.sum(x * WEIGHTS)
