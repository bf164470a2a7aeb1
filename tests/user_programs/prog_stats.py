"""Statistics: likelihoods, mixtures, Gaussian processes, regression, filters."""
import math

import numpy as np
import scipy.special as special
from scipy.special import gammaln, logsumexp

import srcgrad
from user_programs.harness import case, check_grad, check_hessian, check_value_and_grad, Check

RNG = np.random.default_rng(21)
DATA = RNG.normal(1.0, 2.0, size=12)


# 1 -------------------------------------------------------------- Gaussian loglik
def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return 0.5 * np.sum(z ** 2) + x.size * log_sigma + 0.5 * x.size * math.log(2 * math.pi)


@case("gaussian_nll", "Gaussian negative log-likelihood in (mu, log sigma); grad and hessian")
def _():
    return (check_grad(gaussian_nll, (0.5, 0.3, DATA), wrt=(0, 1), autograd=True)
            + check_hessian(lambda_free_nll, (np.array([0.5, 0.3]), DATA)))


def lambda_free_nll(theta, x):
    return gaussian_nll(theta[0], theta[1], x)


# 2 -------------------------------------------------------------- GMM with logsumexp
def gmm_nll(means, log_stds, logits, x):
    log_w = logits - logsumexp(logits)
    stds = np.exp(log_stds)
    comp = (-0.5 * ((x[:, None] - means[None, :]) / stds[None, :]) ** 2
            - log_stds[None, :] - 0.5 * np.log(2 * np.pi))
    return -np.sum(logsumexp(comp + log_w[None, :], axis=1))


@case("gmm_logsumexp", "1-D Gaussian mixture NLL with scipy.special.logsumexp over components (axis=1)")
def _():
    args = (np.array([-1.0, 0.5, 2.0]), np.array([0.1, -0.2, 0.3]), np.array([0.2, 0.0, -0.4]), DATA)
    return check_grad(gmm_nll, args, wrt=(0, 1, 2), autograd=True)


def gmm_manual_lse(means, logits, x):
    log_w = logits - np.log(np.sum(np.exp(logits)))
    comp = -0.5 * (x[:, None] - means[None, :]) ** 2 + log_w[None, :]
    m = np.max(comp, axis=1, keepdims=True)
    return -np.sum(m[:, 0] + np.log(np.sum(np.exp(comp - m), axis=1)))


@case("gmm_manual_logsumexp", "mixture NLL with the max-shifted logsumexp written by hand")
def _():
    return check_grad(gmm_manual_lse, (np.array([-1.0, 0.5, 2.0]), np.array([0.2, 0.0, -0.4]), DATA),
                      wrt=(0, 1), autograd=True)


# 3 -------------------------------------------------------------- GP marginal likelihood
def rbf(xa, xb, ell, sf):
    d2 = (xa[:, None] - xb[None, :]) ** 2
    return sf ** 2 * np.exp(-0.5 * d2 / ell ** 2)


def gp_nlml(log_params, x, y):
    ell = np.exp(log_params[0])
    sf = np.exp(log_params[1])
    sn = np.exp(log_params[2])
    K = rbf(x, x, ell, sf) + sn ** 2 * np.eye(x.shape[0])
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + 0.5 * np.log(np.linalg.det(K)) + 0.5 * len(y) * np.log(2 * np.pi)


@case("gp_nlml_solve_det", "GP negative log marginal likelihood with linalg.solve and log(det(K))")
def _():
    x = np.linspace(0, 3, 7)
    y = np.sin(2 * x) + 0.1 * RNG.normal(size=7)
    return check_grad(gp_nlml, (np.array([-0.3, 0.1, -1.0]), x, y), autograd=True)


def gp_nlml_chol(log_params, x, y):
    ell, sf, sn = np.exp(log_params[0]), np.exp(log_params[1]), np.exp(log_params[2])
    K = rbf(x, x, ell, sf) + sn ** 2 * np.eye(len(x))
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * np.dot(y, a) + np.sum(np.log(np.diag(L)))


@case("gp_nlml_cholesky", "GP NLML with cholesky, triangular solves via linalg.solve, sum(log(diag(L)))")
def _():
    x = np.linspace(0, 3, 6)
    y = np.cos(x)
    return check_grad(gp_nlml_chol, (np.array([-0.3, 0.1, -1.0]), x, y), autograd=True)


# 4 -------------------------------------------------------------- ridge closed form
def ridge_val_loss(log_lam, Xtr, ytr, Xva, yva):
    lam = np.exp(log_lam)
    d = Xtr.shape[1]
    w = np.linalg.solve(Xtr.T @ Xtr + lam * np.eye(d), Xtr.T @ ytr)
    return np.mean((Xva @ w - yva) ** 2)


@case("ridge_closed_form_hypergrad", "validation loss of closed-form ridge, gradient wrt log lambda")
def _():
    Xa = RNG.normal(size=(10, 3))
    ya = Xa @ np.array([1.0, -2.0, 0.5]) + 0.3 * RNG.normal(size=10)
    return check_grad(ridge_val_loss, (0.1, Xa[:7], ya[:7], Xa[7:], ya[7:]), autograd=True)


# 5 -------------------------------------------------------------- logistic regression expit
def logreg_nll(w, b, x, y, lam=0.1):
    p = special.expit(x @ w + b)
    return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)) + lam * np.sum(w ** 2)


@case("logreg_expit", "logistic regression via scipy.special.expit, log and log1p; grad, value_and_grad, hessian")
def _():
    x = RNG.normal(size=(8, 3))
    y = (RNG.random(8) > 0.5).astype(float)
    w = np.array([0.2, -0.4, 0.1])
    return (check_grad(logreg_nll, (w, 0.3, x, y), wrt=(0, 1), autograd=True)
            + check_value_and_grad(logreg_nll, (w, 0.3, x, y), wrt="w")
            + check_hessian(logreg_nll, (w, 0.3, x, y)))


# 6 -------------------------------------------------------------- poisson gammaln
def poisson_nll(beta, x, counts):
    eta = x @ beta
    return np.sum(np.exp(eta) - counts * eta + gammaln(counts + 1.0))


def negbin_nll(log_r, beta, x, counts):
    r = np.exp(log_r)
    mu = np.exp(x @ beta)
    ll = (gammaln(counts + r) - gammaln(r) - gammaln(counts + 1)
          + r * np.log(r / (r + mu)) + counts * np.log(mu / (r + mu)))
    return -np.sum(ll)


@case("poisson_negbin_gammaln", "Poisson and negative-binomial regression NLL with gammaln of an active value")
def _():
    x = RNG.normal(size=(9, 2)) * 0.5
    counts = np.array([0, 1, 3, 2, 0, 5, 1, 1, 2], dtype=float)
    return (check_grad(poisson_nll, (np.array([0.3, -0.2]), x, counts), autograd=True)
            + check_grad(negbin_nll, (0.5, np.array([0.3, -0.2]), x, counts), wrt=(0, 1), autograd=True))


# 7 -------------------------------------------------------------- student t
def student_t_nll(params, x):
    mu, log_s, log_nu = params[0], params[1], params[2]
    s = np.exp(log_s)
    nu = np.exp(log_nu)
    z = (x - mu) / s
    ll = (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi) - log_s
          - (nu + 1) / 2 * np.log1p(z ** 2 / nu))
    return -np.sum(ll)


@case("student_t_nll", "Student-t NLL with params unpacked from a vector, gammaln of active nu")
def _():
    return check_grad(student_t_nll, (np.array([0.7, 0.4, 1.2]), DATA), autograd=True)


# 8 -------------------------------------------------------------- leave-one-out KDE mask write
def loo_kde_loglik(log_h, x):
    h = np.exp(log_h)
    d = (x[:, None] - x[None, :]) / h
    K = np.exp(-0.5 * d ** 2) / (h * np.sqrt(2 * np.pi))
    K[np.eye(x.shape[0], dtype=bool)] = 0.0
    dens = np.sum(K, axis=1) / (x.shape[0] - 1)
    return -np.sum(np.log(dens))


@case("loo_kde_mask_write", "leave-one-out KDE: `K[np.eye(n, dtype=bool)] = 0.0` mask write, bandwidth grad")
def _():
    return check_grad(loo_kde_loglik, (-0.2, DATA))


# 9 -------------------------------------------------------------- softmax regression
def softmax_regression(W, x, y):
    logits = x @ W
    lse = logsumexp(logits, axis=1)
    n = x.shape[0]
    picked = np.take_along_axis(logits, y[:, None], axis=1)[:, 0]
    return np.mean(lse - picked)


def softmax_regression_onehot(W, x, y):
    logits = x @ W
    onehot = np.eye(W.shape[1])[y]
    return np.mean(logsumexp(logits, axis=1) - np.sum(onehot * logits, axis=1))


@case("softmax_regression_onehot", "multinomial logistic regression: np.eye(k)[y] one-hot and logsumexp")
def _():
    x = RNG.normal(size=(6, 3))
    y = np.array([0, 1, 2, 1, 1, 0])
    return check_grad(softmax_regression_onehot, (RNG.normal(size=(3, 3)), x, y), autograd=True)


@case("take_along_axis_unsupported", "np.take_along_axis (not in the rule list): must be rejected, not zero",
      outside_spec=True)
def _():
    x = RNG.normal(size=(6, 3))
    y = np.array([0, 1, 2, 1, 1, 0])
    return check_grad(softmax_regression, (RNG.normal(size=(3, 3)), x, y))


# 10 ------------------------------------------------------------- Bayesian linreg evidence
def blr_evidence(log_alpha, log_beta, Phi, t):
    alpha = np.exp(log_alpha)
    beta = np.exp(log_beta)
    M = Phi.shape[1]
    N = Phi.shape[0]
    A = alpha * np.eye(M) + beta * Phi.T @ Phi
    m = beta * np.linalg.inv(A) @ Phi.T @ t
    E = beta / 2 * np.sum((t - Phi @ m) ** 2) + alpha / 2 * m @ m
    return -(M / 2 * log_alpha + N / 2 * log_beta - E - 0.5 * np.log(np.linalg.det(A)))


@case("bayes_linreg_evidence", "negative log evidence of Bayesian linear regression with inv and det")
def _():
    Phi = np.vander(np.linspace(-1, 1, 8), 3)
    t = np.sin(3 * np.linspace(-1, 1, 8))
    return check_grad(blr_evidence, (0.2, 1.5, Phi, t), wrt=(0, 1), autograd=True)


# 11 ------------------------------------------------------------- Kalman filter
def kalman_nll(log_q, log_r, ys):
    q = np.exp(log_q)
    r = np.exp(log_r)
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    m = np.zeros(2)
    P = np.eye(2)
    nll = 0.0
    for y in ys:
        m = F @ m
        P = F @ P @ F.T + q * np.eye(2)
        S = H @ P @ H.T + r
        v = y - H @ m
        K = P @ H.T / S
        m = m + (K * v)[:, 0]
        P = P - K @ H @ P
        nll = nll + 0.5 * (np.log(2 * np.pi * S[0, 0]) + v[0] ** 2 / S[0, 0])
    return nll


@case("kalman_filter_nll", "Kalman filter NLL looping over observations, matrix updates; grad wrt log q, log r")
def _():
    ys = np.cumsum(np.cumsum(0.1 * RNG.normal(size=8)))
    return check_grad(kalman_nll, (-1.0, -0.5, ys), wrt=(0, 1), autograd=True)


# 12 ------------------------------------------------------------- AR(1) with python floats
def ar1_nll(phi, sigma, xs):
    nll = 0.0
    prev = xs[0]
    for x in xs[1:]:
        r = x - phi * prev
        nll += 0.5 * (r / sigma) ** 2 + math.log(sigma)
        prev = x
    return nll


@case("ar1_augassign_floats", "AR(1) NLL: `for x in xs[1:]`, `nll += ...`, math.log of a parameter")
def _():
    return check_grad(ar1_nll, (0.6, 1.3, DATA), wrt=(0, 1), autograd=True)
