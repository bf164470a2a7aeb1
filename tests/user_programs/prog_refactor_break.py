"""Programs aimed at the refactored parts of srcgrad: the reverse-mode tape,
recomputation in loops, the fast path, the optimiser schedule and the
two-argument elementwise functions (arctan2, hypot, maximum/minimum,
fmax/fmin, logaddexp, copysign, fmod and their math twins).

Simulators that overwrite and read arrays, nested loops with break/continue,
while loops, recurrences, unrolled optimisers, nets, notebook habits, mixed
float/array arguments, float32 and 0-d inputs, ties and origins, pytrees,
second order, and the cache (one derivative called with several argument
kinds).  Programs that gave a wrong gradient or a crash are written up in
FINDINGS.md at the root of the branch, not here (this file stays green).

Every case name starts with ``refactor_break_`` so that
``pytest tests/test_user_programs.py -k refactor_break`` selects them.
"""
import functools
import math

import numpy as np

import srcgrad
from user_programs.harness import (case, check_grad, check_hessian, check_hvp, check_jacobian, check_jvp,
                                   check_value_and_grad, check_vjp, Check, grad_of_lambda_sharing_a_line, num_grad)

RNG = np.random.default_rng(20261206)
P = "refactor_break_"


# 1 -------------------------------------------------------------- pendulum, atan2 / hypot on floats
def pendulum_angle(th0, length, n=50, dt=0.02):
    th = th0
    om = 0.0
    for i in range(n):
        om = om - dt * 9.81 / length * math.sin(th)
        th = th + dt * om
    return math.atan2(math.sin(th), math.cos(th)) + math.hypot(th, om)


@case(P + "pendulum_atan2_hypot", "symplectic Euler pendulum on floats, wrapped angle by math.atan2, math.hypot")
def _():
    return check_grad(pendulum_angle, (0.5, 1.2), wrt=(0, 1))


# 2 -------------------------------------------------------------- RK4 with a closure rhs
def rk4_damped(y0, k, h=0.1, n=10):
    y = y0.copy()

    def rhs(y):
        return np.array([y[1], -k * np.sin(y[0]) - 0.1 * y[1]])
    for i in range(n):
        k1 = rhs(y)
        k2 = rhs(y + h / 2 * k1)
        k3 = rhs(y + h / 2 * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0] ** 2 + np.arctan2(y[1], y[0])


@case(P + "rk4_closure_rhs", "RK4 whose rhs is a nested def closing over k; np.arctan2 of the final state")
def _():
    return check_grad(rk4_damped, (np.array([0.5, 0.1]), 2.0), wrt=(0, 1))


# 3 -------------------------------------------------------------- Verlet chain, element writes
def verlet_chain(x0, k, dt=0.05, n=20):
    x = x0.copy()
    v = np.zeros_like(x0)
    a = np.zeros_like(x0)
    m = len(x0)
    for s in range(n):
        for i in range(m):
            left = x[i - 1] * 1.0 if i > 0 else 0.0
            right = x[i + 1] * 1.0 if i < m - 1 else 0.0
            a[i] = k * (left - 2 * x[i] + right)
        v += dt * a
        x += dt * v
    return np.sum(x ** 2)


@case(P + "verlet_chain_elem_writes", "fixed-end spring chain: a[i] written in an inner loop, v += / x += in the outer")
def _():
    return check_grad(verlet_chain, (np.array([0.1, -0.3, 0.5, 0.2]), 1.5), wrt=(0, 1))


def verlet_chain_plain_read(x0, k, dt=0.05, n=5):
    x = x0.copy()
    v = np.zeros_like(x0)
    for s in range(n):
        left = x[0]
        v = v - dt * k * (x - left)
        x += dt * v
    return np.sum(x ** 2)


@case(P + "elem_read_then_augassign", "`left = x[0]` then `x += ...`: rejected as a possible view (x[0] of a 1-D "
      "array is a copy, but the docs reject any name that may view x)", outside_spec=True)
def _():
    return check_grad(verlet_chain_plain_read, (np.array([0.1, -0.3, 0.5]), 1.5), wrt=(0, 1))


# 4 -------------------------------------------------------------- nested loops, break and continue
def nested_break_continue(x, thr):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] < 0:
                continue
            s = s + x[i, j] * thr
            if s > 3.0:
                break
        if s > 5.0:
            break
        s = s * 0.9
    return s


@case(P + "nested_break_continue", "2-D scan with continue on negatives, inner and outer data-dependent break")
def _():
    X = np.array([[0.5, -0.2, 1.3], [0.9, 2.0, 0.1], [1.0, 1.0, 1.0]])
    return check_grad(nested_break_continue, (X, 1.1), wrt=(0, 1), autograd=True)


# 5 -------------------------------------------------------------- while loops
def newton_sqrt(a):
    x = a
    it = 0
    while abs(x * x - a) > 1e-12 and it < 50:
        x = 0.5 * (x + a / x)
        it += 1
    return x


def while_shrink(x):
    y = x.copy()
    n = 0
    while np.max(np.abs(y)) > 0.1:
        y = y * 0.5 + np.minimum(y, 0.0) * 0.1
        n += 1
    return np.sum(y) * n


def while_leapfrog(q0, p0, k):
    q, p = q0, p0
    t = 0.0
    dt = 0.1
    while t < 1.0:
        p = p - 0.5 * dt * k * q
        q = q + dt * p
        p = p - 0.5 * dt * k * q
        t += dt
    return q ** 2 + p ** 2 / k


@case(P + "while_newton_sqrt", "Newton iteration for sqrt(a) in a while loop with a compound condition")
def _():
    return check_grad(newton_sqrt, (2.0,)) + [Check("d sqrt", srcgrad.grad(newton_sqrt)(2.0), 0.5 / math.sqrt(2.0))]


@case(P + "while_array_condition", "while np.max(np.abs(y)) > 0.1 with np.minimum in the body, count used")
def _():
    return check_grad(while_shrink, (np.array([1.0, -2.0, 0.3]),))


@case(P + "while_leapfrog_time", "leapfrog oscillator stepped by `while t < 1.0` on floats")
def _():
    return check_grad(while_leapfrog, (1.0, 0.2, 2.0), wrt=(0, 1, 2), autograd=True)


# 6 -------------------------------------------------------------- empty loops
def powers(x, n):
    s = x * 0.0
    for i in range(n):
        s = s + x ** i
    return np.sum(s) + np.sum(x)


@case(P + "empty_then_full_loop", "the same derivative with range(0) and then range(3)")
def _():
    df = srcgrad.grad(powers)
    x = np.array([1.0, 2.0])
    return (check_grad(powers, (x, 0), dgrad=df, label="n=0")
            + check_grad(powers, (x, 3), dgrad=df, label="n=3")
            + check_grad(powers, (x, 0), dgrad=df, label="n=0 again"))


# 7 -------------------------------------------------------------- recurrences, same-iteration overwrite
def overwrite_same_iter(x):
    a = x.copy()
    for i in range(1, 4):
        a[i] = a[i - 1] * a[i]
        a[i - 1] = np.sin(a[i])
        a[0] += a[i]
    return np.sum(a ** 2)


def recurrence_with_prev(x, n=4):
    acc = 0.0
    prev = float(x[0])
    for i in range(1, n):
        cur = float(x[i])
        acc = acc + math.atan2(cur, prev) * math.hypot(cur - prev, 0.3)
        prev = cur
    return acc


def swap_recurrence(a, b, n=8):
    for i in range(n):
        a, b = b, a + 0.5 * b * a
    return b


@case(P + "overwrite_read_same_iteration", "a[i], a[i-1] and a[0] written and read again in one iteration")
def _():
    return check_grad(overwrite_same_iter, (np.array([0.5, 0.9, -0.3, 0.7]),))


@case(P + "prev_cur_atan2_hypot", "`prev = cur` recurrence on float(x[i]) with math.atan2 and math.hypot")
def _():
    return check_grad(recurrence_with_prev, (np.array([0.4, 0.9, -0.3, 0.5]),))


@case(P + "tuple_swap_recurrence", "`a, b = b, a + 0.5*b*a` Fibonacci-like recurrence on floats")
def _():
    return check_grad(swap_recurrence, (0.3, 0.4), wrt=(0, 1), autograd=True)


# 8 -------------------------------------------------------------- loop values recomputed in the backward loop
def recompute_vary(th0, length, n=6, dt=0.1):
    th = th0
    om = 0.0
    for i in range(n):
        om = om - dt / length * math.sin(th)
        th = th + dt * om
        length = length * 1.1 + 0.01 * om
    return math.hypot(th, om)


def recompute_twice_assigned(a, b, n=4):
    for i in range(n):
        s = math.sin(a)
        a = a * b
        a = a + s * math.cos(a)
        b = b - 0.1 * s
    return a + b


def recompute_branch_swap(a, n=5):
    b = 1.0
    for i in range(n):
        c = math.exp(-a * b)
        if c > 0.5:
            b = b + c
        else:
            a = a * c
        a, b = b * 0.5, a + c
    return a * b


@case(P + "recompute_loop_varying_divisor", "dt / length where length changes every iteration (no hoisting)")
def _():
    return check_grad(recompute_vary, (0.3, 1.0), wrt=(0, 1))


@case(P + "recompute_name_assigned_twice", "a name assigned twice per iteration, read by a recomputed sin/cos")
def _():
    return check_grad(recompute_twice_assigned, (0.4, 0.9), wrt=(0, 1))


@case(P + "recompute_branch_and_swap", "branch on exp(-a*b) then a tuple swap, five iterations")
def _():
    return check_grad(recompute_branch_swap, (0.4,))


# 9 -------------------------------------------------------------- chain of particles with a pinned end
def pinned_chain(X0, k, steps=4):
    X = X0.copy()
    V = np.zeros_like(X)
    n = X.shape[0]
    for s in range(steps):
        F = np.zeros_like(X)
        for i in range(n - 1):
            d = X[i + 1] - X[i]
            L = np.sqrt(np.sum(d * d))
            f = k * (L - 1.0) * d / L
            F[i] = F[i] + f
            F[i + 1] = F[i + 1] - f
        V = 0.98 * V + 0.05 * F
        X = X + 0.05 * V
        X[0] = X0[0]
    return np.sum(X[:, 1]) + np.sum(X ** 2)


@case(P + "pinned_chain_row_writes", "2-D chain: force rows accumulated, first particle pinned by X[0] = X0[0]")
def _():
    X0 = RNG.normal(size=(4, 2)) + np.arange(4)[:, None]
    return check_grad(pinned_chain, (X0, 3.0), wrt=(0, 1))


# 10 ------------------------------------------------------------- nets
def mlp_tuples(params, x, t):
    h = x
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i < len(params) - 1:
            h = np.maximum(h, 0.0)
    z = h - np.max(h, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * t, axis=1))


def batchnorm_layer(W, g, b, x):
    h = x @ W
    mu = h.mean(axis=0)
    var = ((h - mu) ** 2).mean(axis=0)
    hn = (h - mu) / np.sqrt(var + 1e-5)
    y = g * hn + b
    return np.sum(np.tanh(y) ** 2)


def lstm_by_hand(p, xs):
    h = np.zeros(3)
    c = np.zeros(3)
    for x in xs:
        z = p["W"] @ np.concatenate([x, h]) + p["b"]
        i = 1 / (1 + np.exp(-z[0:3]))
        f = 1 / (1 + np.exp(-z[3:6]))
        o = 1 / (1 + np.exp(-z[6:9]))
        g = np.tanh(z[9:12])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def rnn_maxpool(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
        hs.append(h)
    pooled = hs[0]
    for hh in hs[1:]:
        pooled = np.maximum(pooled, hh)
    return np.sum(pooled ** 2)


@case(P + "mlp_list_of_tuples_softmax_ce", "MLP with a list of (W, b) tuples, ReLU by np.maximum, log-softmax CE")
def _():
    params = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)), (RNG.normal(size=(4, 4)), RNG.normal(size=4)),
              (RNG.normal(size=(4, 2)), np.zeros(2))]
    x = RNG.normal(size=(5, 3))
    t = np.eye(2)[[0, 1, 1, 0, 1]]
    return check_grad(mlp_tuples, (params, x, t), autograd=True)


@case(P + "batchnorm_by_hand", "batch norm by hand (mean, var, sqrt) with scale and shift")
def _():
    args = (RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=4), RNG.normal(size=(6, 3)))
    return check_grad(batchnorm_layer, args, wrt=(0, 1, 2), autograd=True)


@case(P + "lstm_by_hand_dict", "LSTM cell by hand over a sequence, parameters in a dict")
def _():
    p = {"W": 0.5 * RNG.normal(size=(12, 5)), "b": 0.1 * RNG.normal(size=12)}
    return check_grad(lstm_by_hand, (p, RNG.normal(size=(4, 2))), autograd=True)


@case(P + "rnn_states_list_maxpool", "RNN states appended to a list, then max-pooled by np.maximum over hs[1:]")
def _():
    args = (RNG.normal(size=(3, 2)), 0.5 * RNG.normal(size=(3, 3)), RNG.normal(size=(5, 2)))
    return check_grad(rnn_maxpool, args, wrt=(0, 1), autograd=True)


# 11 ------------------------------------------------------------- unrolled optimisers
def adam_unrolled(w0, x, t, lr=0.05, steps=5):
    w = w0
    m = np.zeros_like(w0)
    v = np.zeros_like(w0)
    b1, b2 = 0.9, 0.999
    for k in range(1, steps + 1):
        r = x @ w - t
        g = 2 * x.T @ r / len(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mh = m / (1 - b1 ** k)
        vh = v / (1 - b2 ** k)
        w = w - lr * mh / (np.sqrt(vh) + 1e-8)
    return np.sum((x @ w - t) ** 2)


def momentum_inplace(w0, x, t, lr=0.1, mu=0.9, steps=6):
    w = w0.copy()
    vel = np.zeros_like(w)
    for k in range(steps):
        g = 2 * x.T @ (x @ w - t) / len(t)
        vel *= mu
        vel -= lr * g
        w += vel
    return np.sum((x @ w - t) ** 2)


def sgd_norm_clip(w0, x, t, lr=0.3, steps=4, clip=1.0):
    w = w0
    for k in range(steps):
        g = 2 * x.T @ (x @ w - t) / len(t)
        n = np.linalg.norm(g)
        if n > clip:
            g = g * (clip / n)
        w = w - lr * g
    return np.sum((x @ w - t) ** 2)


def rmsprop_floor(w0, x, t, lr=0.1, steps=5):
    w = w0
    s = np.zeros_like(w0)
    for k in range(steps):
        g = 2 * x.T @ (x @ w - t) / len(t)
        s = 0.9 * s + 0.1 * g ** 2
        w = w - lr * g / np.maximum(np.sqrt(s), 1e-3)
    return np.sum((x @ w - t) ** 2)


@case(P + "adam_unrolled_bias_correction", "five Adam steps with bias correction inside the loss")
def _():
    return check_grad(adam_unrolled, (RNG.normal(size=3), RNG.normal(size=(6, 3)), RNG.normal(size=6)),
                      autograd=True)


@case(P + "momentum_augmented_hyper", "heavy-ball with `vel *= mu; vel -= lr*g; w += vel`; grad wrt w0 and (lr, mu)")
def _():
    args = (RNG.normal(size=3), RNG.normal(size=(6, 3)), RNG.normal(size=6), 0.1, 0.9)
    return check_grad(momentum_inplace, args, wrt=0, label="w0") + check_grad(momentum_inplace, args, wrt=(3, 4),
                                                                             label="lr, mu")


@case(P + "sgd_gradient_norm_clipping", "SGD with data-dependent gradient-norm clipping")
def _():
    return check_grad(sgd_norm_clip, (RNG.normal(size=3), RNG.normal(size=(6, 3)), 3 * RNG.normal(size=6)),
                      autograd=True)


@case(P + "rmsprop_maximum_floor", "RMSProp whose denominator is floored by np.maximum(np.sqrt(s), 1e-3)")
def _():
    return check_grad(rmsprop_floor, (RNG.normal(size=3), RNG.normal(size=(6, 3)), RNG.normal(size=6)),
                      autograd=True)


# 12 ------------------------------------------------------------- two-argument functions: ties, origins, mixtures
def polar_energy(xy):
    r = np.hypot(xy[:, 0], xy[:, 1])
    t = np.arctan2(xy[:, 1], xy[:, 0])
    return np.sum(r * np.cos(t) ** 2 + t ** 2)


def self_ties(x):
    return np.sum(np.maximum(x, x)) + np.sum(np.minimum(x, x * 1.0))


def float_ties(x):
    return max(x, x) + min(x, 2.0) + math.hypot(x, x)


def pairs_broadcast(x, c):
    return np.sum(np.arctan2(x, c)) + np.sum(np.fmod(c, x)) + np.sum(np.maximum(x, c))


def pairs_vector(x, c):
    return np.hypot(x, c) + np.maximum(x, c) - np.copysign(x, c) * np.logaddexp(x, c) + np.fmin(c, x)


def math_pairs(a, b):
    return (math.atan2(a, b) + math.hypot(a, 2) + math.copysign(a, -1) + math.fmod(a, 0.7) + max(a, b)
            + min(a, 1))


def math_int_args(a):
    return math.atan2(1, a) + math.hypot(3, a) + math.fmod(7, a) + math.copysign(2, a) * a


def logsumexp_loop(x):
    acc = -np.inf
    for v in x:
        acc = np.logaddexp(acc, v)
    return acc


@case(P + "polar_hypot_arctan2", "polar coordinates of 2-D points by np.hypot and np.arctan2 on columns")
def _():
    return check_grad(polar_energy, (RNG.normal(size=(5, 2)),), autograd=True)


@case(P + "ties_with_itself", "np.maximum(x, x), np.minimum(x, x*1.0), max(x, x), math.hypot(x, x)")
def _():
    checks = check_grad(self_ties, (np.array([1.0, -2.0, 3.0]),)) + check_grad(float_ties, (2.0,))
    checks.append(Check("maximum(x, x) exact", srcgrad.grad(self_ties)(np.array([0.0, 1.0])), np.array([2.0, 2.0])))
    return checks


@case(P + "origin_conventions", "hypot at the origin is 0, atan2 at the origin NaN, abs'(0) = 0, in both modes")
def _():
    def hyp(x, y):
        return np.sum(np.hypot(x, y))

    def hyp_m(a, b):
        return math.hypot(a, b) + abs(a)
    z = np.zeros(3)
    gx, gy = srcgrad.grad(hyp, wrt=(0, 1))(z, z)
    ga, gb = srcgrad.grad(hyp_m, wrt=(0, 1))(0.0, 0.0)
    _, t = srcgrad.jvp(hyp_m, (0.0, 0.0), (1.0, 1.0))
    with np.errstate(all="ignore"):
        na, nb = srcgrad.grad(lambda a, b: math.atan2(a, b), wrt=(0, 1))(0.0, 0.0)
    return [Check("hypot dx", gx, np.zeros(3)), Check("hypot dy", gy, np.zeros(3)),
            Check("math.hypot + abs", (ga, gb), (0.0, 0.0)), Check("jvp at origin", t, 0.0),
            Check("atan2 origin is nan", (math.isnan(na), math.isnan(nb)), (True, True), check_dtype=False)]


@case(P + "pairs_scalar_with_array", "float against a 3x2 array in arctan2, fmod, maximum; reverse, forward, vjp")
def _():
    c = np.array([[0.1, 0.8], [0.2, 0.35], [0.5, 0.4]])
    x = np.array([0.3, -0.2])
    return (check_grad(pairs_broadcast, (0.3, c), wrt=(0, 1))
            + check_jvp(pairs_broadcast, (0.3, c), (1.0, np.ones((3, 2))))
            + check_jvp(pairs_vector, (x, c), (np.array([1.0, 2.0]), None))
            + check_jacobian(pairs_vector, (x, c))
            + check_vjp(pairs_vector, (x, c), np.arange(6.0).reshape(3, 2), wrt=(0, 1)))


@case(P + "math_pairs_forward_and_int_args", "math.atan2/hypot/copysign/fmod with int constants; jvp and grad")
def _():
    return (check_jvp(math_pairs, (0.3, 0.9), (1.0, -0.5)) + check_grad(math_int_args, (1.3,))
            + [Check("int argument", srcgrad.grad(math_int_args)(2), -0.2 + 2 / math.sqrt(13) - 3 + 2)])


@case(P + "logaddexp_from_minus_inf", "running logsumexp started at -inf with np.logaddexp over an array's items")
def _():
    return check_grad(logsumexp_loop, (np.array([0.1, 2.0, -1.0, 3.0]),), autograd=True)


@case(P + "fmod_copysign_negative", "np.fmod / np.copysign and math twins with negative dividends and divisors")
def _():
    def fm(x, y):
        return np.sum(np.fmod(x, y) ** 2) + np.sum(np.copysign(x, y) * x)

    def fmm(a, b):
        return math.fmod(a, b) ** 2 + math.copysign(a * b, a - b)
    x = np.array([-2.3, 2.3, -0.4])
    y = np.array([0.7, -0.7, -0.3])
    return (check_grad(fm, (x, y), wrt=(0, 1)) + check_grad(fmm, (-2.3, 0.7), wrt=(0, 1), label="math -,+")
            + check_grad(fmm, (2.3, -0.7), wrt=(0, 1), label="math +,-"))


# 13 ------------------------------------------------------------- dtypes, 0-d arrays, the cache
def tanh_hypot(x):
    return np.sum(np.tanh(x) * np.hypot(x, 1.0))


def f32_loop(x):
    y = x
    for i in range(3):
        y = np.hypot(y, np.float32(0.5)) * np.arctan2(y, 1.0)
    return np.sum(y)


@case(P + "cache_argument_kinds", "one derivative called with float, array, float32 scalar, 0-d, list, int, int array")
def _():
    df = srcgrad.grad(tanh_hypot)

    def d(x):
        return (1 - np.tanh(x) ** 2) * np.hypot(x, 1.0) + np.tanh(x) * x / np.hypot(x, 1.0)
    checks = []
    for label, arg in [("float", 0.5), ("array", np.array([0.5, 1.0])), ("np.float32", np.float32(0.5)),
                       ("0-d", np.array(0.5)), ("list", [0.5, 1.0]), ("int", 2), ("int array", np.array([1, 2])),
                       ("float32 array", np.array([0.5, 1.0], dtype=np.float32)), ("float again", 0.25)]:
        got = df(arg)
        if isinstance(arg, list):
            exp = [float(d(a)) for a in arg]
        elif isinstance(arg, (int, float)):
            exp = float(d(float(arg)))
        else:
            exp = d(np.asarray(arg, float))
        checks.append(Check(label, got, exp, 1e-5, 1e-6))
        want = {"float": float, "int": float, "list": list, "np.float32": np.float32}.get(label, np.ndarray)
        checks.append(Check(label + " type", type(got).__name__, want.__name__ if label != "float again" else "float"))
    return checks


@case(P + "float32_loop_dtype", "float32 array through a loop of hypot/arctan2: gradient float32 and accurate")
def _():
    x32 = np.array([0.5, -1.0], dtype=np.float32)
    g = srcgrad.grad(f32_loop)(x32)
    return [Check("dtype", str(g.dtype), "float32"),
            Check("value", g.astype(np.float64), num_grad(f32_loop, (x32.astype(np.float64),)), 1e-4, 1e-5)]


@case(P + "zero_d_array_arg", "0-d array and NumPy float64 scalar arguments keep their kind")
def _():
    def f(x):
        return np.arctan2(x, 2.0) * x
    g0 = srcgrad.grad(f)(np.array(0.5))
    exp = float(np.arctan2(0.5, 2.0) + 0.5 * 2.0 / (0.25 + 4.0))
    return [Check("0-d value", g0, np.array(exp)), Check("0-d shape", g0.shape, ()),
            Check("np.float64", srcgrad.grad(f)(np.float64(0.5)), exp)]


@case(P + "dict_pytree_kinds_cache", "one derivative over dicts whose keys and leaf kinds change between calls")
def _():
    def pt(p):
        tot = 0.0
        for k in p:
            tot = tot + np.sum(np.tanh(p[k]) ** 2)
        return tot
    dp = srcgrad.grad(pt)
    checks = []
    for p in [{"a": np.array([0.5]), "b": 0.3}, {"a": np.array([0.5]), "b": 0.3, "c": np.array([1.0, 2.0])},
              {"a": 0.5, "b": np.array([0.3])}, {"b": 0.5, "a": np.array([0.3])}]:
        checks.append(Check(str(list(p)), dp(p), num_grad(pt, (p,))))
    checks.append(Check("empty dict", dp({}), {}))
    return checks


# 14 ------------------------------------------------------------- notebook habits
SCALE = 2.0


def uses_global(x):
    return np.sum(SCALE * np.sin(x) ** 2)


def act_leaky(z):
    return np.maximum(z, 0.1 * z)


def layer(W, x):
    return act_leaky(x @ W)


def two_layer(W1, W2, x):
    return np.sum(layer(W2, layer(W1, x)) ** 2)


class Model:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return np.sum(np.arctan2(x, self.k))


@case(P + "global_changes_between_calls", "a global scale read at the time the derivative runs")
def _():
    global SCALE
    df = srcgrad.grad(uses_global)
    x = np.array([0.3, 0.5])
    old = SCALE
    try:
        a = df(x)
        SCALE = 5.0
        b = df(x)
    finally:
        SCALE = old
    return [Check("SCALE=2", a, 2.0 * np.sin(2 * x)), Check("SCALE=5", b, 5.0 * np.sin(2 * x))]


@case(P + "helpers_partial_lambda_callable", "helper calling helper, functools.partial, a lambda, a callable object")
def _():
    W1, W2, x = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=(4, 3))
    p = functools.partial(two_layer, x=x)
    got = srcgrad.grad(p, wrt=(0, 1))(W1, W2)
    sq = lambda x, c: np.sum(np.logaddexp(x, c * x))  # noqa: E731
    m = Model(2.0)
    return (check_grad(two_layer, (W1, W2, x), wrt=(0, 1), autograd=True)
            + [Check("partial", got, num_grad(two_layer, (W1, W2, x), wrt=(0, 1)))]
            + check_grad(sq, (np.array([0.3, -1.0]), 2.0), wrt=(0, 1))
            + check_grad(m, (np.array([0.3, -1.0]),)))


def softclip(x):
    return np.log1p(np.exp(x))


@srcgrad.defvjp(softclip)
def _softclip_vjp(g, ans, x):
    return (g / (1 + np.exp(-x)),)


@srcgrad.defjvp(softclip)
def _softclip_jvp(t, ans, x):
    return t[0] / (1 + np.exp(-x))


def custom_in_loop(x):
    y = x
    for i in range(3):
        y = softclip(y) - 0.5 * np.minimum(y, 0.3)
    return np.sum(y)


@case(P + "custom_rule_in_loop_second_order", "a defvjp/defjvp rule called in a loop; grad and hessian")
def _():
    x = np.array([0.2, -1.0, 2.0])
    return check_grad(custom_in_loop, (x,)) + check_hessian(custom_in_loop, (x,))


# 15 ------------------------------------------------------------- no_grad and stop_gradient in a loop, has_aux
def train_no_grad(w, x, t):
    loss = 0.0
    for i in range(3):
        p = np.tanh(x @ w)
        with srcgrad.no_grad():
            scale = np.max(np.abs(p)) + 1.0
            w_shadow = w * 2
        loss = loss + np.mean((p / scale - t) ** 2) + 0.01 * np.sum(w_shadow)
        w = w - 0.1 * srcgrad.stop_gradient(w)
    return loss, {"scale": scale}


@case(P + "no_grad_stop_gradient_in_loop_aux", "no_grad block and stop_gradient inside a loop, value_and_grad(has_aux)")
def _():
    w0, x, t = RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    consts = []
    w = w0.copy()
    for i in range(3):
        consts.append((np.max(np.abs(np.tanh(x @ w))) + 1.0, w * 2, w.copy()))
        w = w - 0.1 * w

    def frozen(w):
        loss = 0.0
        for i in range(3):
            scale, wsh, wsg = consts[i]
            loss = loss + np.mean((np.tanh(x @ w) / scale - t) ** 2) + 0.01 * np.sum(wsh)
            w = w - 0.1 * wsg
        return loss
    (val, aux), g = srcgrad.value_and_grad(train_no_grad, has_aux=True)(w0, x, t)
    return [Check("value", val, frozen(w0), 1e-10, 1e-12), Check("aux", aux["scale"], consts[2][0], 1e-12, 1e-12),
            Check("grad", g, num_grad(frozen, (w0,)))]


# 16 ------------------------------------------------------------- second order through loops and pairs
def loop_pairs(x, n=4):
    y = x
    for i in range(n):
        y = np.sin(y) + 0.3 * np.hypot(y, x) + np.arctan2(y, 1.0 + x ** 2)
    return np.sum(y ** 2)


def loop_float_pairs(a, b):
    t = 0.0
    for k in range(3):
        t = t + math.atan2(a * k + b, a - b) * math.hypot(a, b * k)
        if t > 1.0:
            t = t - math.fmod(t, 0.7)
    return t


def while_continue(x):
    y = x
    k = 0
    while k < 5:
        y = y - 0.1 * (y ** 3 - np.maximum(x, 0.5))
        k += 1
        if k == 3:
            continue
    return np.sum(y * y)


def loop_inplace_vec(x, n=4):
    y = x.copy()
    for i in range(n):
        y[i % 3] = np.sin(y[(i + 1) % 3]) * y[i % 3]
        if np.sum(y) > 10:
            break
    return y * 2.0


def loop_inplace_scalar(x):
    return np.sum(loop_inplace_vec(x) ** 2)


@case(P + "hessian_hvp_jvp_of_grad_loop", "hessian, hvp and jvp(grad) of a loop of sin + hypot + arctan2")
def _():
    x0 = np.array([0.3, -0.5, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    return (check_hessian(loop_pairs, (x0,)) + check_hvp(loop_pairs, (x0,), v)
            + check_jvp(srcgrad.grad(loop_pairs), (x0,), (v,), label="jvp(grad)"))


@case(P + "grad_grad_float_branches", "grad(grad), hessian and jvp(grad) of a float loop with atan2/hypot/fmod")
def _():
    hess = check_hessian(loop_float_pairs, (0.4, 0.9))
    gg = srcgrad.grad(srcgrad.grad(loop_float_pairs))(0.4, 0.9)
    return (hess + [Check("grad(grad)", gg, float(hess[0].expected), 1e-3, 1e-5)]
            + check_jvp(srcgrad.grad(loop_float_pairs, wrt=(0, 1)), (0.4, 0.9), (1.0, 0.0)))


@case(P + "hessian_while_continue", "hessian and positional hvp of a while loop with continue and np.maximum")
def _():
    x0 = np.array([0.3, -0.5, 0.8])
    return check_hessian(while_continue, (x0,)) + check_hvp(while_continue, (x0,), np.array([1.0, 0.5, -2.0]),
                                                             positional=True)


@case(P + "inplace_loop_all_modes", "element writes with break: vjp twice, jvp, jacobian, hessian, hvp")
def _():
    x = np.array([0.3, 0.8, -0.5])
    v = np.array([1.0, -1.0, 0.5])
    return (check_vjp(loop_inplace_vec, (x,), np.array([1.0, 2.0, 3.0]))
            + check_jvp(loop_inplace_vec, (x,), (v,)) + check_jacobian(loop_inplace_vec, (x,))
            + check_hessian(loop_inplace_scalar, (x,)) + check_hvp(loop_inplace_scalar, (x,), v))


# 17 ------------------------------------------------------------- list / dict state updated in loops
def dict_state(p, x):
    q = {"a": p["a"], "b": p["b"]}
    for i in range(3):
        q["a"] = q["a"] * np.tanh(q["b"] + x)
        q["b"] = q["b"] - 0.1 * q["a"]
    return np.sum(q["a"]) + np.sum(q["b"] ** 2)


def list_weights_decay(ws, x):
    ws = list(ws)
    for it in range(2):
        for i in range(len(ws)):
            ws[i] = ws[i] - 0.1 * np.sin(ws[i]) * x
    return np.sum(ws[0] ** 2) + np.sum(ws[1] ** 3)


@case(P + "dict_state_updated_in_loop", "dict entries rebound in a loop, grad wrt a dict pytree")
def _():
    p = {"a": np.array([0.5, 1.0]), "b": np.array([0.2, -0.3])}
    return check_grad(dict_state, (p, 0.3), autograd=True)


@case(P + "list_weights_rebound", "`ws = list(ws)` then `ws[i] = ws[i] - ...` in nested loops; grad wrt list and float")
def _():
    ws = [np.array([0.5, 1.0]), np.array([0.2, -0.3, 0.1])]
    return check_grad(list_weights_decay, (ws, 0.7), wrt=(0, 1), autograd=True)


# 18 ------------------------------------------------------------- early return, loop variable after the loop
def early_return(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        if acc > 2.0:
            return acc * np.hypot(x[0], x[i])
    return -acc


def loop_var_after(X, w):
    for row in X:
        last = np.tanh(row @ w)
        if last > 0.5:
            break
    return last * np.sum(row)


@case(P + "early_return_in_loop", "return from inside the loop with np.hypot, else the fall-through return")
def _():
    return (check_grad(early_return, (np.array([0.5, 1.0, 1.2, 0.3]),), label="returns early")
            + check_grad(early_return, (np.array([0.5, 0.1, 0.2, 0.3]),), label="falls through")
            + check_value_and_grad(early_return, (np.array([0.5, 1.0, 1.2, 0.3]),)))


@case(P + "loop_row_variable_after_break", "`for row in X` with break; row and last read after the loop")
def _():
    return check_grad(loop_var_after, (RNG.normal(size=(4, 3)), RNG.normal(size=3)), wrt=(0, 1), autograd=True)


# 19 ------------------------------------------------------------- outside the SPEC: a derivative called inside
def inner_sq_loss(w, x, t):
    return np.sum((x @ w - t) ** 2)


D_INNER = srcgrad.grad(inner_sq_loss)


def maml_like(lr, w0, x, t):
    w = w0
    for k in range(3):
        w = w - lr * D_INNER(w, x, t)
    return inner_sq_loss(w, x, t)


@case(P + "derivative_called_inside", "a srcgrad derivative called inside the differentiated loss (MAML-style): "
      "rejected as a call with no rule", outside_spec=True)
def _():
    return check_grad(maml_like, (0.01, RNG.normal(size=3), RNG.normal(size=(6, 3)), RNG.normal(size=6)))


# 20 ------------------------------------------------------------- shapes and kinds that change across iterations
def growing_state(x, n=4):
    h = x[:1]
    for i in range(n):
        h = np.concatenate([h, np.tanh(h[-1:] * x[i % len(x)])])
        h = h * np.maximum(h, 0.1)
    return np.sum(h)


def shrinking_state(x):
    h = x.copy()
    tot = 0.0
    while h.shape[0] > 1:
        tot = tot + np.sum(np.hypot(h[1:], h[:-1]))
        h = h[1:] * h[:-1]
    return tot + np.sum(h)


def float_becomes_array(x, n=3):
    acc = 0.0
    for i in range(n):
        acc = acc + x * i
        acc = np.maximum(acc, 0.5 * acc)
    return np.sum(acc ** 2)


def int_accumulator(x, n=3):
    acc = 0
    for i in range(n):
        acc += x[i]
        acc = np.arctan2(acc, 1.0 + i)
    return acc


def broadcast_grows(x, M, n=3):
    h = x
    for i in range(n):
        h = np.tanh(M * h)
    return np.sum(h)


@case(P + "state_grows_and_shrinks", "concatenate-grown state in a for loop; a while loop that shortens h each pass")
def _():
    return (check_grad(growing_state, (np.array([0.5, 0.9]),), autograd=True)
            + check_grad(shrinking_state, (np.array([0.5, 0.9, 1.2, 0.7]),)))


@case(P + "kind_changes_in_loop", "acc = 0.0 / acc = 0 becoming an array or NumPy scalar; (2,) broadcast to (2, 2)")
def _():
    M = np.array([[0.3, 0.2], [0.1, -0.4]])
    return (check_grad(float_becomes_array, (np.array([0.5, -0.9]),), autograd=True)
            + check_grad(int_accumulator, (np.array([0.5, -0.9, 0.3]),), autograd=True)
            + check_grad(broadcast_grows, (np.array([0.5, -0.9]), M), wrt=(0, 1), autograd=True))


# 21 ------------------------------------------------------------- vjp / jvp with pytree outputs built in a loop
def trajectory(x0, k, n=4):
    xs = []
    x = x0
    for i in range(n):
        x = x + 0.1 * np.arctan2(-k * x, 1.0)
        xs.append(x)
    return {"traj": xs, "final": np.hypot(x, k)}


def max_min_pair(x):
    a = x
    b = x
    for i in range(3):
        a, b = np.maximum(a, b * 0.9), np.minimum(a * 1.1, b)
    return a, b


@case(P + "pytree_outputs_vjp_jvp", "dict of a list of states and a final value; tuple of maximum/minimum outputs")
def _():
    x0 = np.array([0.5, -1.0])
    cot = {"traj": [np.ones(2) * (i + 1) for i in range(4)], "final": np.array([1.0, -2.0])}
    return (check_vjp(trajectory, (x0, 0.7), cot, wrt=(0, 1))
            + check_jvp(trajectory, (x0, 0.7), (np.array([1.0, 0.0]), 1.0))
            + check_vjp(max_min_pair, (x0,), (np.array([1.0, 2.0]), np.array([3.0, -1.0]))))


# 22 ------------------------------------------------------------- third order, value_and_grad of grad
def float_atan2_loop(a):
    t = a
    for i in range(4):
        t = t + 0.1 * math.atan2(t, 1.0 + a) * math.hypot(t, a)
    return t


@case(P + "third_order_float_loop", "grad(grad(grad)) and value_and_grad(grad) of a math.atan2/hypot loop")
def _():
    import autograd
    import autograd.numpy as anp

    def twin(a):
        t = a
        for i in range(4):
            t = t + 0.1 * anp.arctan2(t, 1.0 + a) * anp.sqrt(t ** 2 + a ** 2)
        return t
    v, g2 = srcgrad.value_and_grad(srcgrad.grad(float_atan2_loop))(0.7)
    return [Check("grad(grad(grad))", srcgrad.grad(srcgrad.grad(srcgrad.grad(float_atan2_loop)))(0.7),
                  float(autograd.grad(autograd.grad(autograd.grad(twin)))(0.7)), 1e-8, 1e-10),
            Check("value_and_grad(grad) value", v, float(autograd.grad(twin)(0.7)), 1e-10, 1e-12),
            Check("value_and_grad(grad) grad", g2, float(autograd.grad(autograd.grad(twin))(0.7)), 1e-8, 1e-10)]


# 23 ------------------------------------------------------------- several lambdas, closures from a factory
F_HYP, F_ATAN = (lambda x: np.sum(np.hypot(x, 1.0))), (lambda x: np.sum(np.arctan2(x, 1.0)))  # noqa: E731
RELUS = [lambda x, k=k: np.sum(np.maximum(x, k)) for k in range(3)]  # noqa: E731


def make_loss(scale):
    def loss(x):
        return np.sum(np.arctan2(x, scale) ** 2)
    return loss


@case(P + "lambdas_one_line_and_factory", "two lambdas on one line, lambdas with k=k defaults, closures from a factory")
def _():
    x = np.array([0.5, 2.0])
    xs = np.array([0.5, 1.5, 2.5])
    checks = [grad_of_lambda_sharing_a_line("hypot lambda", F_HYP, (x,), x / np.hypot(x, 1.0), 1e-4, 1e-6),
              grad_of_lambda_sharing_a_line("arctan2 lambda", F_ATAN, (x,), 1.0 / (1.0 + x ** 2), 1e-4, 1e-6)]
    for k, fk in enumerate(RELUS):
        checks.append(Check(f"relu k={k}", srcgrad.grad(fk)(xs), (xs > k).astype(float)))
    for s in (2.0, 3.0):
        f = make_loss(s)
        checks += check_grad(f, (x,), label=f"factory scale={s}")
    return checks


# 24 ------------------------------------------------------------- outside the SPEC: helpers that write into arguments
def kick(v, a, dt):
    v += dt * a
    return v


def kick_drift(x0, k):
    x = x0.copy()
    v = np.zeros_like(x0)
    for s in range(4):
        v = kick(v, -k * x, 0.1)
        x = x + 0.1 * v
    return np.sum(x ** 2)


def set_first(buf, val):
    buf[0] = val


def buffer_by_helper(x):
    b = np.zeros(2)
    for i in range(3):
        set_first(b, x[i] * 2)
        b[1] = b[1] + b[0] ** 2
    return np.sum(b)


@case(P + "helper_augassigns_argument", "`def kick(v, a, dt): v += dt*a; return v` called on the state "
      "(rejected: the helper writes into the caller's array)", outside_spec=True)
def _():
    return check_grad(kick_drift, (np.array([0.5, -0.9]), 1.3), wrt=(0, 1))


@case(P + "helper_writes_argument_entry", "a helper that writes buf[0] = val and returns nothing "
      "(rejected: the helper writes into the caller's array)", outside_spec=True)
def _():
    return check_grad(buffer_by_helper, (np.array([0.5, -0.9, 0.3]),))


# 25 ------------------------------------------------------------- while loop with element writes, continue, break
def while_element_writes(x):
    y = x.copy()
    k = 0
    while k < 6:
        j = k % 3
        if y[j] > 2.0:
            k += 1
            continue
        y[j] = y[j] * np.hypot(y[(j + 1) % 3], 0.5) + np.arctan2(y[j], 1.0)
        if np.sum(y) > 20.0:
            break
        k += 1
    return np.sum(y ** 2)


@case(P + "while_element_writes_all_modes", "while loop writing y[j] with continue and break: grad, hessian, hvp, jvp")
def _():
    x = np.array([0.3, 0.7, -0.4])
    v = np.array([1.0, 2.0, -1.0])
    return (check_grad(while_element_writes, (x,)) + check_hessian(while_element_writes, (x,))
            + check_hvp(while_element_writes, (x,), v) + check_jvp(while_element_writes, (x,), (v,)))


# 26 ------------------------------------------------------------- globals: a config dict and an activation rebound
CFG = {"lr": 0.1, "steps": 3}
ACT = np.tanh


def configured_descent(w, x):
    for i in range(CFG["steps"]):
        w = w - CFG["lr"] * np.hypot(w, x)
    return np.sum(ACT(w))


def cube(z):
    return z ** 3


@case(P + "globals_config_and_activation", "a global config dict mutated and a global activation rebound between calls")
def _():
    global ACT
    df = srcgrad.grad(configured_descent)
    w, x = np.array([0.5, -0.3]), np.array([0.2, 0.4])
    old_act, old_cfg = ACT, dict(CFG)
    checks = []
    try:
        checks += check_grad(configured_descent, (w, x), dgrad=df, label="tanh, 3 steps")
        CFG["steps"], CFG["lr"] = 5, 0.05
        checks += check_grad(configured_descent, (w, x), dgrad=df, label="tanh, 5 steps")
        ACT = np.sin
        checks += check_grad(configured_descent, (w, x), dgrad=df, label="np.sin")
        ACT = cube
        checks += check_grad(configured_descent, (w, x), dgrad=df, label="user function")
    finally:
        ACT = old_act
        CFG.clear()
        CFG.update(old_cfg)
    return checks


# 27 ------------------------------------------------------------- joint grad (fast path) agrees with the split vjp
def fast_path_candidates():
    return {
        "log_sqrt": lambda x, y: np.sum(np.log(x) * np.sqrt(x) * np.arctan2(x, y) / np.hypot(x, y)),
        "pow": lambda x, y: np.sum(x ** 0.5 * y ** 1.5 + np.maximum(x, y) ** 0.3),
        "logs": lambda x, y: np.sum(np.log1p(x) * np.log(y) + np.reciprocal(x + y)),
        "arcs": lambda x, y: np.sum(np.arcsin(x) * np.arccos(y) + np.arctan2(x, y)),
    }


@case(P + "fast_path_matches_vjp_at_special_points", "grad (fast path) vs vjp (guarded) bit for bit at 0, inf, NaN, "
      "out-of-domain points")
def _():
    pts = [(np.array([0.0, 1.0, 4.0]), np.array([0.0, 2.0, 1.0])),
           (np.array([0.0, -1.0, 1e-300]), np.array([1e308, 0.0, -1.0])),
           (np.array([np.inf, 1.0, 0.5]), np.array([0.5, np.inf, 0.5])),
           (np.array([np.nan, 0.5, 0.0]), np.array([0.5, 0.0, np.nan]))]
    checks = []
    for name, f in fast_path_candidates().items():
        for i, (x, y) in enumerate(pts):
            g = srcgrad.grad(f, wrt=(0, 1))(x, y)
            _, pb = srcgrad.vjp(f, x, y, wrt=(0, 1))
            v = pb(1.0)
            same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(g, v))
            checks.append(Check(f"{name} at point {i}", same, True, check_dtype=False))
    return checks


# 28 ------------------------------------------------------------- classic in-place algorithms
def gauss_seidel(A, b, iters=3):
    x = np.zeros_like(b)
    n = len(b)
    for it in range(iters):
        for i in range(n):
            s = b[i]
            for j in range(n):
                if j == i:
                    continue
                s = s - A[i, j] * x[j]
            x[i] = s / A[i, i]
    return np.sum(x ** 2)


def bubble_sort_weighted(x):
    y = x.copy()
    n = len(y)
    for i in range(n):
        swapped = False
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                t = y[j] * 1.0
                y[j] = y[j + 1]
                y[j + 1] = t
                swapped = True
        if not swapped:
            break
    return np.sum(y * np.arange(1, n + 1))


def thomas_solve(a, b, c, d):
    n = len(d)
    cp = np.zeros(n)
    dp = np.zeros(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m if i < n - 1 else 0.0
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.sum(x ** 2)


def running_max(x):
    m = np.zeros_like(x)
    best = x[0] * 1.0
    for i in range(len(x)):
        best = np.maximum(best, x[i])
        m[i] = best
    return np.sum(m * np.arange(1.0, len(x) + 1))


@case(P + "gauss_seidel_continue", "Gauss-Seidel sweeps writing x[i], inner loop skipping j == i; grad and hessian")
def _():
    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 5.0]])
    b = np.array([1.0, 2.0, -1.0])
    return check_grad(gauss_seidel, (A, b), wrt=(0, 1)) + check_hessian(gauss_seidel, (A, b), wrt=1)


@case(P + "bubble_sort_swaps_break", "bubble sort by element swaps with an early break when no swap happened")
def _():
    return check_grad(bubble_sort_weighted, (np.array([0.5, -0.2, 1.3, 0.1]),))


@case(P + "thomas_tridiagonal", "Thomas algorithm: forward sweep and a back substitution over range(n-2, -1, -1)")
def _():
    args = (np.array([0.0, 1.0, 1.0, 1.0]), np.array([4.0, 4.0, 4.0, 4.0]), np.array([1.0, 1.0, 1.0, 0.0]),
            np.array([1.0, 2.0, 3.0, 4.0]))
    return check_grad(thomas_solve, args, wrt=(0, 1, 2, 3))


@case(P + "running_max_buffer", "running maximum by np.maximum written into a buffer m[i] = best")
def _():
    return check_grad(running_max, (np.array([0.5, -0.2, 1.3, 0.1, 1.5]),))
