"""NumPy functions in realistic roles: constructors with active values,
sorting, cumulative ops, padding, norms, PPO clipping, conversions."""
import math

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, Check, num_grad

RNG = np.random.default_rng(51)


# 1 -------------------------------------------------------------- linspace with active stop
def trapezoid_integral(T, k, n=21):
    t = np.linspace(0.0, T, n)
    y = np.exp(-k * t)
    dt = t[1] - t[0]
    return dt * (np.sum(y) - 0.5 * (y[0] + y[-1]))


@case("linspace_active_stop", "trapezoid integral over np.linspace(0, T, n) with T differentiated (SPEC: stop carries gradient)")
def _():
    return check_grad(trapezoid_integral, (2.0, 0.7), wrt=(0, 1), autograd=True)


# 2 -------------------------------------------------------------- full with active value
def init_then_fit(c, x):
    y = np.full(x.shape, c)
    y = y + 0.5 * x
    return np.sum((y - 1.0) ** 2)


@case("full_active_fill", "np.full(shape, c) with c differentiated (SPEC: fill value carries gradient)")
def _():
    return check_grad(init_then_fit, (0.3, np.array([1.0, 2.0, -1.0])), wrt=(0, 1))


def full_like_bias(b, x):
    bias = np.full_like(x, b)
    return np.sum(np.tanh(x + bias))


@case("full_like_active_fill", "np.full_like(x, b) with b differentiated")
def _():
    return check_grad(full_like_bias, (0.2, np.array([1.0, -0.5, 0.3])), wrt=(0, 1))


# 3 -------------------------------------------------------------- arange with float step
def arange_grid(h, a):
    t = np.arange(0.0, 1.0, 0.25) * h + a
    return np.sum(np.sin(t))


def arange_active_step(h):
    t = np.arange(0.5, 3.0, h)
    return np.sum(t ** 2)


@case("arange_float_start_step", "np.arange(start, stop, step) with an active float step (count fixed at the point)")
def _():
    return (check_grad(arange_grid, (2.0, 0.3), wrt=(0, 1))
            + check_grad(arange_active_step, (0.7,)))


# 4 -------------------------------------------------------------- sort / trimmed mean
def trimmed_mean_loss(x, trim=1):
    s = np.sort(x)
    return np.mean(s[trim:-trim] ** 2)


@case("sort_trimmed_mean", "trimmed mean of squares via np.sort and slicing")
def _():
    return check_grad(trimmed_mean_loss, (np.array([3.0, -1.0, 0.5, 2.2, -4.0, 1.1]),), autograd=True)


# 5 -------------------------------------------------------------- survival model cumsum/cumprod
def survival_nll(log_hazard, events):
    h = 1.0 / (1.0 + np.exp(-log_hazard))
    surv = np.cumprod(1.0 - h)
    prev = np.concatenate([np.ones(1), surv[:-1]])
    lik = np.where(events > 0, prev * h, surv)
    return -np.sum(np.log(lik))


@case("survival_cumprod_concat", "discrete-time survival NLL with cumprod, concatenate and where")
def _():
    return check_grad(survival_nll, (np.array([-1.0, -0.5, 0.2, -0.3]), np.array([0, 0, 1, 0])), autograd=True)


def cumsum_pathlen(steps):
    pos = np.cumsum(steps, axis=0)
    return np.sum(np.linalg.norm(pos, axis=1))


@case("cumsum_axis_norm_axis", "random-walk positions via cumsum(axis=0), norm(axis=1)")
def _():
    return check_grad(cumsum_pathlen, (RNG.normal(size=(5, 2)),), autograd=True)


# 6 -------------------------------------------------------------- pad + conv
def padded_blur(img, k):
    p = np.pad(img, 1, mode="constant")
    out = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) * k + p[1:-1, 1:-1] * (1 - 4 * k)
    return np.sum(out ** 2)


@case("pad_blur_stencil", "np.pad then a 5-point blur by shifted slices")
def _():
    return check_grad(padded_blur, (RNG.normal(size=(4, 5)), 0.15), wrt=(0, 1), autograd=True)


def reflect_pad(x):
    p = np.pad(x, (2, 1), mode="reflect")
    return np.sum(p * np.arange(p.shape[0]))


@case("pad_reflect_mode", "np.pad(..., mode='reflect') (accepted or rejected, never wrong)")
def _():
    return check_grad(reflect_pad, (np.array([1.0, 2.0, 3.0, 4.0]),))


# 7 -------------------------------------------------------------- PPO clipped objective
def ppo_loss(logp_new, logp_old, adv, eps=0.2):
    ratio = np.exp(logp_new - logp_old)
    clipped = np.clip(ratio, 1 - eps, 1 + eps)
    return -np.mean(np.minimum(ratio * adv, clipped * adv))


@case("ppo_clip_minimum", "PPO clipped surrogate with np.clip and np.minimum (away from kinks)")
def _():
    lp_old = np.array([-1.0, -0.5, -2.0, -0.3])
    lp_new = np.array([-0.8, -0.9, -1.5, -0.31])
    adv = np.array([1.0, -0.5, 2.0, 0.3])
    return check_grad(ppo_loss, (lp_new, lp_old, adv), autograd=True)


# 8 -------------------------------------------------------------- float(), item(), astype
def scalar_conversions(x):
    a = float(np.sum(x ** 2))
    b = x[1].item()
    c = x.astype(np.float32).astype(float)
    return a * b + np.sum(c * x)


@case("float_item_astype", "float(...), x[1].item(), x.astype(float32).astype(float) pass gradients")
def _():
    x = np.array([0.5, 1.5, -2.0])
    got = srcgrad.grad(scalar_conversions)(x)
    s = np.sum(x ** 2)
    c32 = x.astype(np.float32).astype(float)
    exp = 2 * x * x[1] + np.array([0.0, s, 0.0]) + c32 + x
    return [Check("grad", got, exp, 1e-6, 1e-7)]


# 9 -------------------------------------------------------------- modulo phase wrap
def phase_error(omega, t, target):
    phase = (omega * t) % (2 * np.pi)
    return np.sum((np.cos(phase) - target) ** 2 + 0.1 * phase)


@case("modulo_phase_wrap", "phase wrapped with % (2 pi); gradient of % passes through")
def _():
    t = np.array([0.3, 1.7, 2.9, 4.4])
    return check_grad(phase_error, (1.9, t, np.array([0.1, 0.2, -0.3, 0.5])), autograd=True)


# 10 ------------------------------------------------------------- stack/hstack/vstack building
def build_design(a, b, x):
    cols = np.stack([np.ones_like(x), x * a, np.sin(x * b)], axis=1)
    M = np.vstack([cols, np.hstack([a, b, a * b])])
    return np.sum(np.linalg.solve(M.T @ M + np.eye(3), np.ones(3)))


@case("stack_vstack_hstack_solve", "design matrix from stack/vstack/hstack of active values, then solve")
def _():
    return check_grad(build_design, (0.7, 1.3, np.array([0.1, 0.5, 0.9, 1.4])), wrt=(0, 1), autograd=True)


# 11 ------------------------------------------------------------- np.array of active scalars, 2x2
def rotation_loss(theta, pts):
    c = np.cos(theta)
    s = np.sin(theta)
    R = np.array([[c, -s], [s, c]])
    return np.sum((pts @ R.T - pts[::-1]) ** 2)


@case("rotation_matrix_np_array", "2x2 rotation matrix built with np.array([[c, -s], [s, c]])")
def _():
    return check_grad(rotation_loss, (0.4, RNG.normal(size=(3, 2))), wrt=(0, 1), autograd=True)


# 12 ------------------------------------------------------------- norms and std
def whitening_loss(X, w):
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    return np.linalg.norm(Z @ w) + np.linalg.norm(w, ord=1)


@case("std_ddof_norm_ord1", "standardisation with std(axis=0, ddof=1), 2-norm and 1-norm")
def _():
    return check_grad(whitening_loss, (RNG.normal(size=(6, 3)), np.array([0.5, -1.0, 0.2])), wrt=(0, 1),
                      autograd=True)


# 13 ------------------------------------------------------------- repeat/tile/broadcast_to
def upsample_loss(x, k):
    up = np.repeat(x, 2) * k
    tiled = np.tile(x, 2)
    b = np.broadcast_to(x[:, None], (x.shape[0], 3))
    return np.sum(up * tiled) + np.sum(b ** 2) * k


@case("repeat_tile_broadcast_to", "np.repeat, np.tile and np.broadcast_to in one loss")
def _():
    return check_grad(upsample_loss, (np.array([0.5, -1.0, 2.0]), 1.3), wrt=(0, 1), autograd=True)


# 14 ------------------------------------------------------------- max with ties? (no) axis + keepdims
def max_margin(scores, y):
    n = scores.shape[0]
    correct = scores[np.arange(n), y]
    margins = np.maximum(0.0, scores - correct[:, None] + 1.0)
    margins[np.arange(n), y] = 0.0
    return np.sum(margins) / n


@case("svm_hinge_mask_write", "multiclass SVM hinge: np.maximum, fancy-index write margins[arange(n), y] = 0")
def _():
    scores = np.array([[1.2, 0.3, -0.4], [0.1, 0.6, 1.9], [-0.7, 2.1, 0.45]])
    return check_grad(max_margin, (scores, np.array([0, 2, 1])))


# 15 ------------------------------------------------------------- tensordot / einsum bilinear
def bilinear(W, x, y):
    return np.tensordot(np.tensordot(W, x, axes=([1], [0])), y, axes=([1], [0])).sum()


@case("tensordot_bilinear", "bilinear tensor product via nested tensordot with explicit axes")
def _():
    return check_grad(bilinear, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=3), RNG.normal(size=4)),
                      wrt=(0, 1, 2), autograd=True)


# 16 ------------------------------------------------------------- logaddexp2 / exp2 / log2 entropy
def bits_entropy(logits2):
    logz = np.log2(np.sum(np.exp2(logits2)))
    p = np.exp2(logits2 - logz)
    return -np.sum(p * np.log2(p))


@case("entropy_bits_exp2_log2", "entropy in bits with exp2 / log2")
def _():
    return check_grad(bits_entropy, (np.array([0.5, -1.0, 2.0, 0.0]),), autograd=True)


# 17 ------------------------------------------------------------- cholesky logdet, inv
def mvn_logpdf(L_flat, x):
    L = np.tril(L_flat.reshape(3, 3))
    Sigma = L @ L.T + 0.5 * np.eye(3)
    r = x - 0.1
    return -0.5 * r @ np.linalg.inv(Sigma) @ r - np.sum(np.log(np.diag(np.linalg.cholesky(Sigma))))


@case("mvn_tril_inv_cholesky", "MVN log-density with Sigma = L L^T + 0.5 I, inv and cholesky logdet")
def _():
    return check_grad(mvn_logpdf, (RNG.normal(size=9) * 0.5, np.array([0.3, -0.2, 1.0])), wrt=(0, 1),
                      autograd=True)


# 18 ------------------------------------------------------------- builtin sum / max / min / abs
def builtins_mix(a, b, xs):
    s = sum(xs) * a
    return max(a, b) * 2 + min(a * a, b) + abs(a - b) + s


@case("python_builtins_sum_max_min_abs", "builtin sum over a list, max(a, b), min(...), abs on floats")
def _():
    return check_grad(builtins_mix, (1.3, 0.4, [0.5, 1.5, 2.0]), wrt=(0, 1, 2))
