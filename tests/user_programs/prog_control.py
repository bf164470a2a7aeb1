"""Control flow as users write it: branches inside loops, elementwise loops,
nested loops with break, early returns, loops run backwards."""
import math

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, Check

RNG = np.random.default_rng(41)


# 1 -------------------------------------------------------------- leaky relu loop
def leaky_relu_loop(x, w):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        z = x[i] * w
        if z > 0:
            y[i] = z
        else:
            y[i] = 0.1 * z
    return np.sum(y ** 2)


@case("leaky_relu_elementwise_loop", "elementwise leaky ReLU with `if z > 0: y[i] = z else: y[i] = 0.1*z`")
def _():
    return check_grad(leaky_relu_loop, (np.array([0.5, -1.0, 2.0, -0.3]), 1.5), wrt=(0, 1))


# 2 -------------------------------------------------------------- warmup schedule
def warmup_descent(w, A, b, warmup=3, steps=6, base_lr=0.1):
    for step in range(steps):
        if step < warmup:
            lr = base_lr * (step + 1) / warmup
        else:
            lr = base_lr
        w = w - lr * (A.T @ (A @ w - b))
    return np.sum((A @ w - b) ** 2)


@case("warmup_lr_branch_assign", "linear-warmup learning rate assigned in if/else inside the training loop")
def _():
    A = RNG.normal(size=(5, 3)) * 0.5
    return check_grad(warmup_descent, (np.array([0.1, -0.2, 0.3]), A, RNG.normal(size=5)), autograd=True)


# 3 -------------------------------------------------------------- alternating updates
def alternating(u, v, target, steps=4):
    for k in range(steps):
        if k % 2 == 0:
            u = u - 0.1 * (u * v - target) * v
        else:
            v = v - 0.1 * (u * v - target) * u
    return np.sum((u * v - target) ** 2)


@case("alternating_branch_updates", "alternating minimisation: even steps update u, odd steps update v")
def _():
    return check_grad(alternating, (np.array([1.0, 0.5]), np.array([0.3, -0.8]), np.array([0.2, 0.4])),
                      wrt=(0, 1), autograd=True)


# 4 -------------------------------------------------------------- piecewise-linear interpolation
def interp_loss(ys, xq):
    n = ys.shape[0]
    total = 0.0
    for q in xq:
        j = int(math.floor(q))
        if j >= n - 1:
            j = n - 2
        t = q - j
        total = total + (1 - t) * ys[j] + t * ys[j + 1]
    return total


@case("interp_branch_clamp_index", "piecewise-linear interpolation, index clamped in an if inside the loop")
def _():
    return check_grad(interp_loss, (np.array([0.0, 1.0, 4.0, 9.0]), np.array([0.3, 1.7, 2.5, 3.2])), wrt=(0, 1))


# 5 -------------------------------------------------------------- nested loops + break
def first_crossing_time(v0, g=9.81, dt=0.01):
    y = 0.0
    v = v0
    t = 0.0
    for outer in range(100):
        for inner in range(10):
            v = v - g * dt
            y = y + v * dt
            t = t + dt
            if y < 0.0:
                break
        if y < 0.0:
            break
    return t + y / v


@case("nested_loops_double_break", "projectile: nested for loops, break out of both when y < 0, linear correction")
def _():
    return check_grad(first_crossing_time, (3.123,), autograd=True)


# 6 -------------------------------------------------------------- early return in helper
def find_root_bisect_step(f_lo, f_hi, lo, hi):
    if f_lo * f_hi > 0:
        return lo
    return lo - f_lo * (hi - lo) / (f_hi - f_lo)


def secant_root(a, iters=5):
    lo = 0.0
    hi = 3.0
    for k in range(iters):
        f_lo = lo * lo - a
        f_hi = hi * hi - a
        mid = find_root_bisect_step(f_lo, f_hi, lo, hi)
        if (mid * mid - a) * f_lo < 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@case("regula_falsi_helper_early_return", "regula falsi root of x^2 = a with a helper that returns early")
def _():
    return check_grad(secant_root, (2.0,), autograd=True)


# 7 -------------------------------------------------------------- loop backwards with range
def backward_recurrence(c, x):
    n = x.shape[0]
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc = acc * c + x[i]
    return acc


@case("horner_backward_range", "Horner's rule with `for i in range(n - 1, -1, -1)`")
def _():
    return check_grad(backward_recurrence, (0.7, np.array([1.0, -2.0, 0.5, 3.0])), wrt=(0, 1), autograd=True)


# 8 -------------------------------------------------------------- enumerate(zip) with tuple target
def weighted_pairs(w, xs, ys):
    total = 0.0
    for i, (x, y) in enumerate(zip(xs, ys)):
        total = total + (i + 1) * (w * x - y) ** 2
    return total


@case("enumerate_zip_tuple_target", "`for i, (x, y) in enumerate(zip(xs, ys))` accumulation")
def _():
    return check_grad(weighted_pairs, (0.8, np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0])), wrt=(0, 1, 2),
                      autograd=True)


# 9 -------------------------------------------------------------- iterate rows
def row_loop_normalise(X, w):
    total = 0.0
    for row in X:
        r = row / np.linalg.norm(row)
        total = total + np.tanh(r @ w)
    return total


@case("iterate_array_rows", "`for row in X:` with per-row normalisation")
def _():
    return check_grad(row_loop_normalise, (RNG.normal(size=(4, 3)), np.array([0.5, -1.0, 0.3])), wrt=(0, 1),
                      autograd=True)


# 10 ------------------------------------------------------------- var defined in one branch
def branch_defined_var(x, flag):
    if flag:
        scale = np.max(x)
    else:
        scale = 1.0
    y = x / scale
    if np.sum(y) > 1.0:
        out = np.sum(np.log1p(y ** 2))
    else:
        out = np.sum(y)
    return out


@case("branch_defined_vars", "a name defined in either branch, a second data-dependent if, both flags")
def _():
    x = np.array([0.5, 2.0, 1.0])
    return (check_grad(branch_defined_var, (x, True), autograd=True)
            + check_grad(branch_defined_var, (x, False), autograd=True))


# 11 ------------------------------------------------------------- while with continue
def collatz_like(x, n=10):
    i = 0
    s = 0.0
    while i < n:
        i += 1
        if i % 3 == 0:
            continue
        s = s + math.sin(x * i) / i
    return s


@case("while_continue_counter", "while loop with `i += 1` and `continue` skipping every third term")
def _():
    return check_grad(collatz_like, (0.4,), autograd=True)


# 12 ------------------------------------------------------------- branch in loop on data (mask)
def piecewise_energy(x, k1, k2):
    e = 0.0
    for i in range(x.shape[0]):
        d = x[i]
        if d > 0.5:
            k = k1
        elif d < -0.5:
            k = k2
        else:
            k = 0.5 * (k1 + k2)
        e = e + k * d * d
    return e


@case("elif_chain_selects_param", "if/elif/else in a loop selecting which stiffness parameter applies")
def _():
    return check_grad(piecewise_energy, (np.array([0.9, -0.1, -1.2, 0.3, 0.7]), 2.0, 3.0), wrt=(0, 1, 2),
                      autograd=True)


# 13 ------------------------------------------------------------- conditional expression in loop
def sign_flip_series(x, n=6):
    s = 0.0
    for i in range(n):
        term = x ** i if i % 2 == 0 else -x ** i
        s = s + term / (i + 1)
    return s


@case("ifexp_in_loop", "conditional expression `a if i % 2 == 0 else -a` in a loop")
def _():
    return check_grad(sign_flip_series, (0.6,), autograd=True)


# 14 ------------------------------------------------------------- early return inside loop
def first_above(x, thresh):
    for i in range(x.shape[0]):
        if x[i] * thresh > 1.0:
            return x[i] * thresh + i
    return np.sum(x) * thresh


@case("early_return_in_loop", "return from inside a for loop on a data-dependent condition (both exits)")
def _():
    return (check_grad(first_above, (np.array([0.2, 0.9, 1.5]), 1.5), wrt=(0, 1), autograd=True)
            + check_grad(first_above, (np.array([0.2, 0.3, 0.1]), 1.5), wrt=(0, 1), autograd=True))


# 15 ------------------------------------------------------------- jvp through branches in loops
@case("jvp_warmup_schedule", "jvp of the warm-up schedule loop (branch-assigned lr) in forward mode")
def _():
    A = RNG.normal(size=(5, 3)) * 0.5
    b = RNG.normal(size=5)
    return check_jvp(warmup_descent, (np.array([0.1, -0.2, 0.3]), A, b), (np.array([1.0, 0.5, -0.5]), None, None))
