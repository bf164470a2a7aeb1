"""Python numbers as differentiated arguments (the number-specialised
derivative): broadcasting a float into arrays, ints, NumPy scalars, the
same derivative called with a float and then an array."""
import math

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, Check, num_grad

GRID = np.linspace(-2.0, 2.0, 9)


# 1 -------------------------------------------------------------- float broadcast into arrays
def soft_threshold_count(t):
    return np.sum(np.log1p(np.exp((GRID - t) * 3.0))) + np.sum(np.maximum(GRID, t))


@case("float_broadcast_into_array", "a Python-float threshold broadcast against a global grid (maximum, log1p)")
def _():
    return check_grad(soft_threshold_count, (0.33,), autograd=True)


def bandwidth_kde(h, x):
    d = (x[:, None] - GRID[None, :]) / h
    return np.sum(np.exp(-0.5 * d * d)) / h


@case("float_bandwidth_matrix", "float bandwidth dividing a 2-D array; gradient is a float")
def _():
    x = np.array([0.1, -0.7, 1.3])
    g = srcgrad.grad(bandwidth_kde)(0.8, x)
    return [Check("value", g, num_grad(bandwidth_kde, (0.8, x)), 1e-5, 1e-7), Check("type", type(g).__name__, "float")]


# 2 -------------------------------------------------------------- ints
def int_arithmetic(n, x):
    half = n // 2
    return half * x + n / 4 + (n % 3) * x * x + n ** 2


@case("int_argument", "grad wrt a Python int: // has zero gradient, %, n/4 and n**2 do not")
def _():
    g = srcgrad.grad(int_arithmetic, wrt=(0, 1))(7, 1.5)
    return [Check("grads", g, (0.25 + 2 * 7 + 1.5 * 1.5, 3 + 2 * (7 % 3) * 1.5), 1e-9, 1e-12),
            Check("type", type(g[0]).__name__, "float")] + check_grad(int_arithmetic, (7, 1.5), wrt=(0, 1))


# 3 -------------------------------------------------------------- numpy scalar
def np_scalar_fn(a, x):
    return np.float64(2.0) * a * np.sum(x) + math.sqrt(a)


@case("numpy_float64_scalar_arg", "wrt an np.float64 scalar (a float subclass) and math.sqrt of it")
def _():
    x = np.array([1.0, 2.0])
    return check_grad(np_scalar_fn, (np.float64(1.7), x))


# 4 -------------------------------------------------------------- float first, array next
def poly_eval(t, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * t + c
    return np.sum(acc)


@case("float_then_array_same_derivative", "the same derivative called with a float t, then an array t")
def _():
    coeffs = [1.0, -2.0, 0.5, 3.0]
    df = srcgrad.grad(poly_eval)
    g1 = df(0.7, coeffs)
    g2 = df(np.array([0.7, -1.2]), coeffs)
    g3 = df(1.1, coeffs)
    d = lambda t: 3 * t ** 2 - 4 * t + 0.5  # noqa: E731
    return [Check("float", g1, d(0.7), 1e-10, 1e-12), Check("array", g2, d(np.array([0.7, -1.2])), 1e-10, 1e-12),
            Check("float again", g3, d(1.1), 1e-10, 1e-12)]


# 5 -------------------------------------------------------------- float arg made into array in the body
def scalar_to_vector(s):
    v = np.array([s, 2 * s, s * s])
    M = np.outer(v, v)
    return np.trace(M) + np.sum(np.cumsum(v))


@case("float_built_into_array", "a float argument packed into np.array([...]) and used in outer/trace/cumsum")
def _():
    g = srcgrad.grad(scalar_to_vector)(0.9)
    return [Check("value", g, num_grad(scalar_to_vector, (0.9,)), 1e-6, 1e-8), Check("type", type(g).__name__, "float")]


# 6 -------------------------------------------------------------- bool/int data flags with float wrt
def flagged(x, squared=True, power=3):
    if squared:
        y = x ** 2
    else:
        y = x
    return y ** power if power > 1 else y


@case("flags_keywords_float", "bool and int keyword flags steering branches, float wrt")
def _():
    df = srcgrad.grad(flagged)
    return [Check("squared, power 3", df(1.3), 6 * 1.3 ** 5, 1e-9, 1e-12),
            Check("not squared, power 1", df(1.3, squared=False, power=1), 1.0, 1e-12, 1e-12),
            Check("squared, power 1", df(1.3, power=1), 2.6, 1e-12, 1e-12)]


# 7 -------------------------------------------------------------- scalar loop with math + numpy mix
def mixed_scalar_loop(theta, n=12):
    s = 0.0
    for k in range(1, n + 1):
        s += math.sin(k * theta) / k + np.cos(theta / k) ** 2
    return s


@case("scalar_loop_math_numpy_mix", "float loop mixing math.sin and np.cos on a Python float")
def _():
    return check_grad(mixed_scalar_loop, (0.45,), autograd=True)
