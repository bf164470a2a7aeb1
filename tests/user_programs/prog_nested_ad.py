"""Derivatives inside differentiated code (MAML, gradient penalties), and
second-order methods on realistic loop programs."""
import numpy as np
import scipy.optimize

import srcgrad
from user_programs.harness import case, check_grad, check_hessian, check_hvp, Check, num_grad, num_hessian

RNG = np.random.default_rng(121)
XS = RNG.normal(size=(6, 2))
YS = XS @ np.array([1.5, -0.5]) + 0.1 * RNG.normal(size=6)


def inner_mse(w, x, y):
    return np.mean((x @ w - y) ** 2)


dinner = srcgrad.grad(inner_mse)


# 1 -------------------------------------------------------------- MAML with srcgrad.grad inside
def maml_objective(w, x_tr, y_tr, x_te, y_te, alpha=0.1):
    g = dinner(w, x_tr, y_tr)
    w_adapted = w - alpha * g
    return inner_mse(w_adapted, x_te, y_te)


@case("maml_grad_inside_grad", "MAML: the outer loss calls a srcgrad.grad derivative (built at module level)", outside_spec=True)
def _():
    w = np.array([0.3, 0.2])
    return check_grad(maml_objective, (w, XS[:3], YS[:3], XS[3:], YS[3:]))


def maml_inline(w, x_tr, y_tr, x_te, y_te, alpha=0.1):
    g = srcgrad.grad(inner_mse)(w, x_tr, y_tr)
    return inner_mse(w - alpha * g, x_te, y_te)


@case("maml_grad_called_inline", "MAML with `srcgrad.grad(inner_mse)(w, ...)` written inside the outer loss", outside_spec=True)
def _():
    w = np.array([0.3, 0.2])
    return check_grad(maml_inline, (w, XS[:3], YS[:3], XS[3:], YS[3:]))


# 2 -------------------------------------------------------------- gradient penalty
def critic(x, theta):
    return np.sum(np.tanh(x @ theta))


dcritic_dx = srcgrad.grad(critic, wrt=0)


def gradient_penalty_loss(theta, x):
    g = dcritic_dx(x, theta)
    return critic(x, theta) + 10.0 * (np.sqrt(np.sum(g ** 2)) - 1.0) ** 2


@case("wgan_gradient_penalty", "WGAN-GP: loss uses the critic's input gradient, differentiated wrt theta", outside_spec=True)
def _():
    theta = RNG.normal(size=(2, 3))
    return check_grad(gradient_penalty_loss, (theta, XS[:2]))


# 3 -------------------------------------------------------------- hessian of RNN loss
def rnn_scalar_loss(params, xs):
    a, b, c = params[0], params[1], params[2]
    h = 0.0
    loss = 0.0
    for x in xs:
        h = np.tanh(a * h + b * x + c)
        loss = loss + (h - 0.5 * x) ** 2
    return loss


@case("hessian_rnn_loop", "hessian and hvp of a scalar RNN loss looping over the inputs")
def _():
    p = np.array([0.5, -0.8, 0.1])
    xs = np.array([0.3, -1.0, 0.8, 0.2])
    return check_hessian(rnn_scalar_loss, (p, xs)) + check_hvp(rnn_scalar_loss, (p, xs), np.array([1.0, 2.0, -1.0]))


# 4 -------------------------------------------------------------- trust-ncg with hvp of loop
def logcosh_fit(w):
    r = XS @ w - YS
    total = 0.0
    for i in range(r.shape[0]):
        total = total + np.log(np.cosh(r[i]))
    return total + 0.01 * np.sum(w ** 4)


@case("scipy_trust_ncg_hvp_loop", "scipy trust-ncg with jac=grad, hessp=hvp on a loop over residuals")
def _():
    w0 = np.array([0.0, 0.0])
    res = scipy.optimize.minimize(logcosh_fit, w0, jac=srcgrad.grad(logcosh_fit),
                                  hessp=lambda x, p: srcgrad.hvp(logcosh_fit)(x, v=p), method="trust-ncg",
                                  options={"gtol": 1e-10})
    ref = scipy.optimize.minimize(logcosh_fit, w0, method="BFGS", options={"gtol": 1e-10})
    return ([Check("minimiser", res.x, ref.x, 1e-5, 1e-6)]
            + check_hvp(logcosh_fit, (np.array([0.4, -0.3]),), np.array([1.0, -1.0])))


# 5 -------------------------------------------------------------- Newton's method with hessian
def newton_on_loss(w0, steps=3):
    return w0


@case("newton_with_hessian_logistic", "Newton iterations using srcgrad.hessian + grad of a logistic loss with loop")
def _():
    y = np.sign(YS)

    def loss_fn(w):
        return logistic_loop_loss(w, XS, y)
    w = np.array([0.1, 0.1])
    for _ in range(6):
        H = srcgrad.hessian(logistic_loop_loss)(w, XS, y)
        g = srcgrad.grad(logistic_loop_loss)(w, XS, y)
        w = w - np.linalg.solve(H, g)
    return ([Check("gradient at Newton solution ~ 0", num_grad(logistic_loop_loss, (w, XS, y)), np.zeros(2), 1e-3, 1e-6)]
            + check_hessian(logistic_loop_loss, (np.array([0.1, 0.1]), XS, y)))


def logistic_loop_loss(w, X, y):
    total = 0.0
    for i in range(X.shape[0]):
        total = total + np.logaddexp(0.0, -y[i] * (X[i] @ w))
    return total + 0.5 * np.sum(w ** 2)


# 6 -------------------------------------------------------------- hessian of MLP with list params flattened
def mlp_flat(theta, x):
    W1 = theta[:4].reshape(2, 2)
    b1 = theta[4:6]
    v = theta[6:8]
    h = np.tanh(x @ W1 + b1)
    return np.sum((h @ v - 0.3) ** 2)


@case("hessian_mlp_flat_params", "hessian of a small MLP whose params are slices of one flat vector")
def _():
    return check_hessian(mlp_flat, (RNG.normal(size=8) * 0.5, XS))
