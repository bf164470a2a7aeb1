"""Training-loop bookkeeping users write inside differentiated code:
gradient accumulation, best-so-far checkpoints, decay on plateau, momentum
resets, EMA of weights, closures whose cell changes."""
import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, Check, num_grad

RNG = np.random.default_rng(111)
A = RNG.normal(size=(8, 3)) * 0.6
B = RNG.normal(size=8)


# 1 -------------------------------------------------------------- gradient accumulation
def grad_accumulation(w, A, b, k=2, lr=0.1):
    acc = np.zeros_like(w)
    for i in range(A.shape[0]):
        r = A[i] @ w - b[i]
        acc = acc + r * A[i]
        if (i + 1) % k == 0:
            w = w - lr * acc / k
            acc = np.zeros_like(w)
    return np.sum((A @ w - b) ** 2)


@case("grad_accumulation_every_k", "per-sample gradients accumulated; `if (i+1) % k == 0:` apply and reset")
def _():
    return check_grad(grad_accumulation, (np.array([0.2, -0.4, 0.1]), A, B), autograd=True)


# 2 -------------------------------------------------------------- best-so-far checkpoint
def best_checkpoint(w, A, b, steps=6, lr=0.3):
    best = np.sum((A @ w - b) ** 2)
    best_w = w
    for i in range(steps):
        w = w - lr * A.T @ (A @ w - b)
        loss = np.sum((A @ w - b) ** 2)
        if loss < best:
            best = loss
            best_w = w
    return best + 0.01 * np.sum(best_w ** 2)


@case("best_so_far_checkpoint", "`if loss < best: best = loss; best_w = w` inside a GD loop (if without else)")
def _():
    return check_grad(best_checkpoint, (np.array([0.2, -0.4, 0.1]), A, B), autograd=True)


# 3 -------------------------------------------------------------- decay on plateau
def decay_on_plateau(w, A, b, steps=6):
    lr = 0.4
    prev = np.inf
    for i in range(steps):
        w = w - lr * A.T @ (A @ w - b) / A.shape[0]
        loss = np.mean((A @ w - b) ** 2)
        if loss > prev - 0.05:
            lr = lr * 0.5
        prev = loss
    return loss


@case("lr_decay_on_plateau", "`if loss > prev - tol: lr = lr * 0.5` (lr assigned only in the branch)")
def _():
    return check_grad(decay_on_plateau, (np.array([0.2, -0.4, 0.1]), A, B), autograd=True)


# 4 -------------------------------------------------------------- momentum reset
def momentum_restart(w, A, b, steps=7):
    v = np.zeros_like(w)
    for i in range(steps):
        if i % 3 == 0:
            v = v * 0.0
        v = 0.9 * v - 0.05 * A.T @ (A @ w - b)
        w = w + v
    return np.sum((A @ w - b) ** 2)


@case("momentum_restart_every_3", "`if i % 3 == 0: v = v * 0.0` momentum restart")
def _():
    return check_grad(momentum_restart, (np.array([0.2, -0.4, 0.1]), A, B), autograd=True)


# 5 -------------------------------------------------------------- EMA of weights
def ema_weights(w, A, b, steps=5, decay=0.8):
    ema = w
    for i in range(steps):
        w = w - 0.1 * A.T @ np.tanh(A @ w - b)
        ema = decay * ema + (1 - decay) * w
    return np.sum((A @ ema - b) ** 2)


@case("ema_of_weights", "exponential moving average of the iterates, loss at the EMA")
def _():
    return check_grad(ema_weights, (np.array([0.2, -0.4, 0.1]), A, B), autograd=True)


# 6 -------------------------------------------------------------- closure cell rebound
def make_scaled_loss():
    scale = 1.0

    def loss(w):
        return scale * np.sum(w ** 2)

    def set_scale(v):
        nonlocal scale
        scale = v
    return loss, set_scale


@case("closure_cell_rebound", "closure variable rebound via nonlocal after grad was built (read at run time)")
def _():
    loss, set_scale = make_scaled_loss()
    w = np.array([1.0, -2.0])
    df = srcgrad.grad(loss)
    first = df(w)
    set_scale(5.0)
    second = df(w)
    return [Check("scale=1", first, 2 * w, 1e-12, 1e-12), Check("scale=5", second, 10 * w, 1e-12, 1e-12)]


# 7 -------------------------------------------------------------- clipping per coordinate with if
def coordinate_clip(w, A, b, c=0.5, steps=4):
    for s in range(steps):
        g = A.T @ (A @ w - b)
        for j in range(g.shape[0]):
            if g[j] > c:
                g[j] = c
            elif g[j] < -c:
                g[j] = -c
        w = w - 0.3 * g
    return np.sum((A @ w - b) ** 2)


@case("per_coordinate_clip_writes", "per-coordinate gradient clipping with if/elif writing g[j] (no else)")
def _():
    return check_grad(coordinate_clip, (np.array([1.2, -0.4, 0.1]), A, B), autograd=True)


# 8 -------------------------------------------------------------- counter of accepted steps
def trust_region_count(w, A, b, steps=5):
    radius = 1.0
    accepted = 0
    f = np.sum((A @ w - b) ** 2)
    for i in range(steps):
        g = 2 * A.T @ (A @ w - b)
        step = -radius * g / np.linalg.norm(g)
        f_new = np.sum((A @ (w + step) - b) ** 2)
        if f_new < f:
            w = w + step
            f = f_new
            accepted += 1
        else:
            radius = radius * 0.5
    return f + 0.001 * accepted


@case("trust_region_accept_reject", "trust-region style: accept (w, f, counter) or shrink radius in else")
def _():
    return check_grad(trust_region_count, (np.array([1.2, -0.4, 0.1]), A, B), autograd=True)


@case("jvp_best_so_far", "jvp of the best-so-far checkpoint loop")
def _():
    return check_jvp(best_checkpoint, (np.array([0.2, -0.4, 0.1]), A, B), (np.array([1.0, 0.0, -1.0]), None, None))


# 9 -------------------------------------------------------------- curriculum loss weight
def curriculum_loss(w, xs, ys):
    weight = 1.0
    total = 0.0
    for i in range(xs.shape[0]):
        if i == 2:
            weight = 3.0
        total = total + weight * (np.tanh(xs[i] @ w) - ys[i]) ** 2
    return total


@case("curriculum_weight_switch", "per-example loss weight switched once (`if i == 2: weight = 3.0`) in the loop")
def _():
    xs = RNG.normal(size=(5, 3))
    ys = RNG.normal(size=5)
    return check_grad(curriculum_loss, (np.array([0.2, -0.4, 0.1]), xs, ys), autograd=True)


# 10 ------------------------------------------------------------- temperature annealing
def annealed_softmax_loss(logits, target, steps=4):
    temp = 2.0
    total = 0.0
    for s in range(steps):
        if s == 2:
            temp = 0.5
        z = logits / temp
        z = z - np.max(z)
        logp = z - np.log(np.sum(np.exp(z)))
        total = total - logp[target]
    return total


@case("temperature_annealing_switch", "softmax temperature annealed once inside the loop (`if s == 2: temp = 0.5`)")
def _():
    return check_grad(annealed_softmax_loss, (np.array([0.3, 1.2, -0.5]), 1), autograd=True)
