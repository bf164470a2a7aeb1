"""All the transforms and their compositions on realistic functions."""
import math

import numpy as np

import srcgrad
from user_programs.harness import (case, check_grad, check_hessian, check_hvp, check_jacobian, check_jvp,
                                   check_vjp, check_value_and_grad, Check, num_grad, num_hessian, num_jacobian)

RNG = np.random.default_rng(31)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)


# 1 -------------------------------------------------------------- has_aux
def loss_with_metrics(w, x, y):
    pred = x @ w
    r = pred - y
    loss = np.mean(r ** 2)
    acc = np.mean(np.sign(pred) == np.sign(y))
    return loss, {"acc": acc, "pred": pred}


@case("has_aux_grad_and_vg", "grad / value_and_grad with has_aux=True returning (loss, dict of metrics)")
def _():
    w = np.array([0.2, -0.5, 0.8])
    g, aux = srcgrad.grad(loss_with_metrics, has_aux=True)(w, X, Y)
    (val, aux2), g2 = srcgrad.value_and_grad(loss_with_metrics, has_aux=True)(w, X, Y)
    ref = num_grad(lambda w: loss_with_metrics(w, X, Y)[0], (w,))
    return [Check("grad", g, ref, 1e-5, 1e-7), Check("aux pred", aux["pred"], X @ w, 1e-12, 1e-12),
            Check("vg value", val, loss_with_metrics(w, X, Y)[0], 1e-12, 1e-12),
            Check("vg grad", g2, ref, 1e-5, 1e-7), Check("vg aux acc", aux2["acc"], aux["acc"], 0, 0)]


# 2 -------------------------------------------------------------- vjp of a map
def features(w, x):
    h = np.tanh(x @ w)
    return {"h": h, "norm": np.sqrt(np.sum(h ** 2))}


@case("vjp_dict_output", "vjp of a function returning a dict {array, scalar}; pullback twice")
def _():
    w = np.array([[0.2, -0.5], [0.8, 0.1], [0.3, 0.3]])
    cot = {"h": RNG.normal(size=(6, 2)), "norm": 0.7}
    return check_vjp(features, (w, X), cot)


# 3 -------------------------------------------------------------- jvp of rk-like loop
def logistic_map_traj(r, x0, n=8):
    xs = []
    x = x0
    for i in range(n):
        x = r * x * (1 - x)
        xs.append(x)
    return np.array(xs)


@case("jvp_logistic_map", "jvp of a loop that appends floats to a list and returns np.array(list)")
def _():
    return check_jvp(logistic_map_traj, (3.2, 0.3), (1.0, 0.0)) + check_jvp(logistic_map_traj, (3.2, 0.3), (0.0, 1.0))


@case("jacobian_logistic_map", "jacobian of the same trajectory wrt r (output (8,), input scalar)")
def _():
    got = srcgrad.jacobian(logistic_map_traj, wrt=0)(3.2, 0.3)
    return [Check("jacobian", got, num_jacobian(logistic_map_traj, (3.2, 0.3), 0)[...], 1e-5, 1e-7)]


# 4 -------------------------------------------------------------- hessian of loop
def rosen_sum(x):
    total = 0.0
    for i in range(x.shape[0] - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return total


@case("hessian_rosenbrock_loop", "hessian and hvp of the n-D Rosenbrock function written as a loop over indices")
def _():
    x = np.array([0.5, 1.2, -0.3, 0.8])
    v = np.array([1.0, -1.0, 0.5, 2.0])
    return check_hessian(rosen_sum, (x,)) + check_hvp(rosen_sum, (x,), v)


# 5 -------------------------------------------------------------- grad(grad) scalar loop
def smooth_pow_series(t):
    s = 0.0
    term = 1.0
    for k in range(1, 8):
        term = term * t / k
        s = s + term * math.cos(k * t)
    return s


def second_derivative_fd(f, t, h=1e-4):
    return (f(t + h) - 2 * f(t) + f(t - h)) / h ** 2


@case("grad_grad_series", "grad(grad(f)) of a scalar series loop with math.cos")
def _():
    t = 0.7
    g2 = srcgrad.grad(srcgrad.grad(smooth_pow_series))(t)
    return [Check("second derivative", g2, second_derivative_fd(smooth_pow_series, t), 1e-4, 1e-5)]


@case("grad_grad_grad_series", "grad(grad(grad(f))) (third order) of the same series")
def _():
    t = 0.7
    g3 = srcgrad.grad(srcgrad.grad(srcgrad.grad(smooth_pow_series)))(t)
    h = 1e-3
    f = smooth_pow_series
    ref3 = (f(t + 2 * h) - 2 * f(t + h) + 2 * f(t - h) - f(t - 2 * h)) / (2 * h ** 3)
    return [Check("third derivative", g3, ref3, 1e-3, 1e-4)]


# 6 -------------------------------------------------------------- jacobian(grad)
def energy(x, k):
    d = x[1:] - x[:-1]
    return 0.5 * k * np.sum(d ** 2) + np.sum(np.cos(x))


@case("jacobian_of_grad", "jacobian(grad(f)) compared with hessian(f) and FD")
def _():
    x = np.array([0.3, -0.2, 1.1, 0.6])
    J = srcgrad.jacobian(srcgrad.grad(energy))(x, 2.0)
    H = srcgrad.hessian(energy)(x, 2.0)
    ref = num_hessian(energy, (x, 2.0), 0)
    return [Check("jacobian(grad)", J, ref, 1e-4, 1e-5), Check("hessian", H, ref, 1e-4, 1e-5)]


@case("jvp_of_grad", "jvp(grad(f)) for a scalar function (SPEC section 2 names it)")
def _():
    dfn = srcgrad.grad(smooth_pow_series)
    out, tan = srcgrad.jvp(dfn, (0.7,), (1.0,))
    ref2 = second_derivative_fd(smooth_pow_series, 0.7)
    return [Check("jvp primal", out, dfn(0.7), 1e-12, 1e-12), Check("jvp tangent", tan, ref2, 1e-4, 1e-5)]


@case("value_and_grad_of_grad", "value_and_grad(grad(f)) for a scalar function must return (f'(t), f''(t))")
def _():
    dfn = srcgrad.grad(smooth_pow_series)
    res = srcgrad.value_and_grad(dfn)(0.7)
    ref2 = second_derivative_fd(smooth_pow_series, 0.7)
    return [Check("(value, grad)", res, (dfn(0.7), ref2), 1e-4, 1e-5)]


# 7 -------------------------------------------------------------- hvp through loop with arrays
def unrolled_gd_loss(w, x, y, steps=4, lr=0.05):
    for _ in range(steps):
        w = w - lr * x.T @ np.tanh(x @ w - y)
    return np.sum(np.log(np.cosh(x @ w - y)))


@case("hvp_through_loop", "hvp (keyword v) and hessian through an unrolled GD loop with tanh/log cosh")
def _():
    w = np.array([0.1, -0.3, 0.2])
    return (check_hvp(unrolled_gd_loss, (w, X, Y), np.array([1.0, 0.0, -1.0]))
            + check_hessian(unrolled_gd_loss, (w, X, Y)))


# 8 -------------------------------------------------------------- stop_gradient target network
def q_values(theta, s):
    return np.tanh(s @ theta)


def td_loss(theta, s, a, r, s_next, gamma=0.9):
    q = q_values(theta, s)
    q_next = srcgrad.stop_gradient(q_values(theta, s_next))
    target = r + gamma * np.max(q_next, axis=1)
    n = s.shape[0]
    chosen = q[np.arange(n), a]
    return np.mean((target - chosen) ** 2)


def td_loss_const_target(theta, s, a, r, target):
    q = q_values(theta, s)
    chosen = q[np.arange(s.shape[0]), a]
    return np.mean((target - chosen) ** 2)


@case("td_stop_gradient_target", "DQN TD loss with srcgrad.stop_gradient on the target network output")
def _():
    theta = RNG.normal(size=(3, 2))
    s = RNG.normal(size=(5, 3))
    s2 = RNG.normal(size=(5, 3))
    a = np.array([0, 1, 1, 0, 1])
    r = RNG.normal(size=5)
    target = r + 0.9 * np.max(np.tanh(s2 @ theta), axis=1)
    got = srcgrad.grad(td_loss)(theta, s, a, r, s2)
    return [Check("grad", got, num_grad(td_loss_const_target, (theta, s, a, r, target)), 1e-5, 1e-7)]


def normalized_loop(w, x):
    h = x
    for i in range(3):
        h = np.tanh(h @ w)
        with srcgrad.no_grad():
            scale = np.linalg.norm(h)
            count = i + 1
        h = h / scale * count
    return np.sum(h)


def normalized_loop_ref(w, x, scales):
    h = x
    for i in range(3):
        h = np.tanh(h @ w)
        h = h / scales[i] * (i + 1)
    return np.sum(h)


@case("no_grad_in_loop", "no_grad block inside a loop computing a per-iteration normaliser")
def _():
    w = RNG.normal(size=(3, 3)) * 0.7
    x = RNG.normal(size=(2, 3))
    scales = []
    h = x
    for i in range(3):
        h = np.tanh(h @ w)
        scales.append(np.linalg.norm(h))
        h = h / scales[-1] * (i + 1)
    got = srcgrad.grad(normalized_loop)(w, x)
    return [Check("grad", got, num_grad(normalized_loop_ref, (w, x, scales)), 1e-5, 1e-7)]


def detach_in_branch(x):
    if np.sum(x) > 0:
        y = x * srcgrad.detach(x)
    else:
        y = x ** 2
    return np.sum(y)


@case("detach_in_branch", "srcgrad.detach inside one branch of a data-dependent if")
def _():
    x = np.array([0.5, 1.5])
    return [Check("pos branch", srcgrad.grad(detach_in_branch)(x), x, 1e-12, 1e-12),
            Check("neg branch", srcgrad.grad(detach_in_branch)(-x), -2 * x, 1e-12, 1e-12)]


# 9 -------------------------------------------------------------- check_grads itself
def cubic_form(A, x):
    return np.einsum("ij,i,j->", A, x, x * x)


@case("check_grads_on_program", "srcgrad.check_grads in both modes on an einsum program, and on a wrong rule")
def _():
    A = RNG.normal(size=(3, 3))
    x = np.array([0.3, -0.5, 0.9])
    srcgrad.check_grads(cubic_form, (A, x), wrt=(0, 1), modes=("reverse", "forward"))
    return [Check("check_grads passed", True, True)]


# 10 ------------------------------------------------------------- jacobian of a vector simulator
def pendulum_final(state, params):
    th, om = state[0], state[1]
    g, L = params[0], params[1]
    for _ in range(20):
        om = om - 0.05 * g / L * np.sin(th)
        th = th + 0.05 * om
    return np.array([th, om])


@case("jacobian_pendulum_state", "jacobian (2x2) of a pendulum integrator wrt state and wrt params")
def _():
    st = np.array([0.4, 0.1])
    p = np.array([9.81, 1.2])
    return check_jacobian(pendulum_final, (st, p), wrt=0) + check_jacobian(pendulum_final, (st, p), wrt=1)


# 11 ------------------------------------------------------------- jvp with pytree tangents
def mlp_dict(params, x):
    h = np.tanh(x @ params["W"] + params["b"])
    return h @ params["v"]


@case("jvp_pytree_tangent", "jvp of an MLP with a dict of params and a dict tangent")
def _():
    p = {"W": RNG.normal(size=(3, 4)), "b": RNG.normal(size=4), "v": RNG.normal(size=4)}
    t = {"W": RNG.normal(size=(3, 4)), "b": RNG.normal(size=4), "v": RNG.normal(size=4)}
    return check_jvp(mlp_dict, (p, X), (t, None))


# 12 ------------------------------------------------------------- debug_nans on a clean function
@case("debug_nans_clean", "grad(f, debug_nans=True) on a NaN-free loop gives the same gradient")
def _():
    w = np.array([0.1, -0.3, 0.2])
    g1 = srcgrad.grad(unrolled_gd_loss, debug_nans=True)(w, X, Y)
    return [Check("debug_nans grad", g1, num_grad(unrolled_gd_loss, (w, X, Y)), 1e-5, 1e-7)]


# 13 ------------------------------------------------------------- hessian wrt float arg
def free_energy(beta, e):
    return -np.log(np.sum(np.exp(-beta * e))) / beta


@case("hessian_scalar_arg", "hessian wrt a Python float (inverse temperature), and grad(grad)")
def _():
    e = np.array([0.0, 0.5, 1.3, 2.0])
    h = srcgrad.hessian(free_energy)(1.5, e)
    gg = srcgrad.grad(srcgrad.grad(free_energy))(1.5, e)
    ref = num_hessian(free_energy, (1.5, e), 0)
    return [Check("hessian", h, ref, 1e-4, 1e-6), Check("grad(grad)", gg, ref, 1e-4, 1e-6)]


# 14 ------------------------------------------------------------- hessian through GD steps, scalar
def two_gd_steps(w):
    for _ in range(2):
        w = w - 0.1 * np.tanh(w)
    return np.sum(w ** 3)


@case("hessian_two_gd_steps", "hessian of sum(w**3) after two steps w = w - 0.1*tanh(w)")
def _():
    w = np.array([0.7, -0.4])
    return check_hessian(two_gd_steps, (w,))


@case("grad_grad_two_gd_steps", "grad(grad(f)) of the same two-GD-step function on a Python float")
def _():
    gg = srcgrad.grad(srcgrad.grad(two_gd_steps))(0.7)
    return [Check("grad(grad) at 0.7", gg, num_hessian(two_gd_steps, (0.7,), 0), 1e-4, 1e-6)]


# 15 ------------------------------------------------------------- hessian of indexed loop
def quartic_chain(x):
    t = 0.0
    for i in range(x.shape[0] - 1):
        t = t + (x[i] ** 2) ** 2 + x[i] * x[i + 1] * x[i + 1]
    return t


@case("hessian_indexed_loop", "hessian of a loop over x[i], x[i+1] products (energy of a chain)")
def _():
    return check_hessian(quartic_chain, (np.array([0.5, 1.2, -0.3]),))
