"""Optimiser loops written inside the differentiated function (meta-learning,
unrolled inner optimisation), learning-rate schedules, line search, clipping,
early stopping."""
import math

import numpy as np
import scipy.optimize

import srcgrad
from user_programs.harness import (case, check_grad, check_hvp, check_value_and_grad, Check, num_grad)

RNG = np.random.default_rng(1)
A_DATA = RNG.normal(size=(6, 3))
B_DATA = RNG.normal(size=6)


# 1 -------------------------------------------------------------- SGD + momentum
def sgd_momentum_meta(lr, w0, A, b, steps=5, beta=0.9):
    w = w0
    v = np.zeros_like(w0)
    for _ in range(steps):
        r = A @ w - b
        g = A.T @ r / A.shape[0]
        v = beta * v + g
        w = w - lr * v
    r = A @ w - b
    return 0.5 * np.mean(r ** 2)


@case("sgd_momentum_meta", "unrolled SGD+momentum; d(final loss)/d(lr, w0)")
def _():
    args = (0.3, np.array([0.5, -0.2, 0.1]), A_DATA, B_DATA)
    return check_grad(sgd_momentum_meta, args, wrt=(0, 1), autograd=True)


# 2 -------------------------------------------------------------- hand Adam
def adam_unrolled(w0, lr, A, b, steps=6):
    b1 = 0.9
    b2 = 0.999
    eps = 1e-8
    w = w0
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        r = A @ w - b
        g = A.T @ r
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        w = w - lr * mhat / (np.sqrt(vhat) + eps)
    return np.sum((A @ w - b) ** 2)


@case("adam_unrolled", "hand-written Adam, 6 steps, bias correction; grad wrt w0 and lr")
def _():
    return check_grad(adam_unrolled, (np.array([0.3, -0.1, 0.2]), 0.05, A_DATA, B_DATA), wrt=("w0", "lr"),
                      autograd=True)


# 3 -------------------------------------------------------------- lr schedule
def scheduled_descent(w, A, b):
    lr = 0.05
    for i in range(6):
        if i == 2:
            lr = 0.1
        elif i == 4:
            lr = lr * 0.5
        g = A.T @ (A @ w - b)
        w = w - lr * g
    return np.sum((A @ w - b) ** 2) + 0.1 * np.sum(w * w)


@case("lr_schedule_if", "GD with `if i == 2: lr = 0.1` / elif schedule")
def _():
    return check_grad(scheduled_descent, (np.array([0.1, 0.2, -0.3]), A_DATA, B_DATA), autograd=True)


# 4 -------------------------------------------------------------- step halving
def rosen(x):
    return (1.0 - x[0]) ** 2 + 10.0 * (x[1] - x[0] ** 2) ** 2


def backtracking_descent(x, iters=4):
    for k in range(iters):
        g = np.array([-2.0 * (1.0 - x[0]) - 40.0 * x[0] * (x[1] - x[0] ** 2), 20.0 * (x[1] - x[0] ** 2)])
        step = 1.0
        f0 = rosen(x)
        while rosen(x - step * g) > f0 - 1e-4 * step * np.dot(g, g):
            step = step * 0.5
        x = x - step * g
    return rosen(x)


@case("line_search_halving", "GD on Rosenbrock, Armijo step-halving `while` with helper calls")
def _():
    return check_grad(backtracking_descent, (np.array([-0.7, 0.9]),), autograd=True)


# 5 -------------------------------------------------------------- grad clipping
def clipped_descent(w, A, b, max_norm=1.0):
    for _ in range(5):
        g = 2.0 * A.T @ (A @ w - b)
        gn = np.linalg.norm(g)
        if gn > max_norm:
            g = g * (max_norm / gn)
        w = w - 0.2 * g
    return np.sum((A @ w - b) ** 2)


@case("grad_clipping", "GD with norm clipping `if gn > c: g = g * c / gn`")
def _():
    return check_grad(clipped_descent, (np.array([1.5, -1.0, 2.0]), A_DATA, B_DATA), autograd=True)


# 6 -------------------------------------------------------------- early stopping
def early_stopping(w, A, b, tol=1e-2):
    prev = np.inf
    loss = 0.0
    for it in range(50):
        r = A @ w - b
        loss = np.mean(r ** 2)
        if prev - loss < tol:
            break
        prev = loss
        w = w - 0.1 * (2.0 / A.shape[0]) * (A.T @ r)
    return loss


@case("early_stopping_break", "GD loop that breaks when the improvement is below tol")
def _():
    return check_grad(early_stopping, (np.array([2.0, -1.0, 0.5]), A_DATA, B_DATA), autograd=True)


# 7 -------------------------------------------------------------- nesterov, list history
def nesterov_history(w, A, b, steps=4, mu=0.8, lr=0.05):
    history = []
    v = w * 0.0
    for k in range(steps):
        look = w + mu * v
        g = A.T @ (A @ look - b)
        v = mu * v - lr * g
        w = w + v
        history.append(np.sum((A @ w - b) ** 2))
    total = 0.0
    for k, h in enumerate(history):
        total = total + (k + 1) * h
    return total / len(history)


@case("nesterov_list_history", "Nesterov momentum, losses appended to a list and weighted by enumerate")
def _():
    return check_grad(nesterov_history, (np.array([0.4, 0.4, -0.4]), A_DATA, B_DATA), autograd=True)


# 8 -------------------------------------------------------------- bilevel ridge
def inner_ridge_sgd(lam, Xtr, ytr, Xval, yval):
    w = np.zeros(Xtr.shape[1])
    for _ in range(8):
        g = Xtr.T @ (Xtr @ w - ytr) / len(ytr) + lam * w
        w -= 0.3 * g
    return np.mean((Xval @ w - yval) ** 2)


@case("bilevel_hyper_lambda", "hypergradient of validation loss wrt ridge lambda through `w -= lr*g`")
def _():
    return check_grad(inner_ridge_sgd, (0.2, A_DATA[:4], B_DATA[:4], A_DATA[4:], B_DATA[4:]), autograd=False)


# 9 -------------------------------------------------------------- scipy minimize
X_LOG = A_DATA
Y_LOG = np.sign(B_DATA)


def logistic_loss(w):
    z = X_LOG @ w
    return np.mean(np.logaddexp(0.0, -Y_LOG * z)) + 0.01 * np.dot(w, w)


@case("scipy_minimize_jac_hessp", "scipy.optimize.minimize(Newton-CG) with jac=grad(f), hessp=hvp(f)")
def _():
    w0 = np.array([0.1, -0.2, 0.3])
    res = scipy.optimize.minimize(logistic_loss, w0, jac=srcgrad.grad(logistic_loss),
                                  hessp=srcgrad.hvp(logistic_loss), method="Newton-CG",
                                  options={"xtol": 1e-10})
    ref = scipy.optimize.minimize(logistic_loss, w0, method="BFGS", options={"gtol": 1e-10})
    checks = [Check("minimizer matches BFGS/FD", res.x, ref.x, 1e-4, 1e-5)]
    checks += check_hvp(logistic_loss, (w0,), np.array([1.0, 0.5, -2.0]), positional=True)
    return checks


# 10 ------------------------------------------------------------- value_and_grad BFGS
def lsq_with_prior(params, t, y):
    a, k, c = params[0], params[1], params[2]
    pred = a * np.exp(-k * t) + c
    return 0.5 * np.sum((pred - y) ** 2) + 1e-3 * np.sum(params ** 2)


@case("scipy_bfgs_value_and_grad", "BFGS with jac=True fed by value_and_grad; exponential decay fit")
def _():
    t = np.linspace(0, 3, 20)
    y = 2.0 * np.exp(-1.3 * t) + 0.5
    vg = srcgrad.value_and_grad(lsq_with_prior)

    def fun(p):
        v, g = vg(p, t, y)
        return float(v), g
    res = scipy.optimize.minimize(fun, np.array([1.0, 1.0, 0.0]), jac=True, method="BFGS")
    ref = scipy.optimize.minimize(lsq_with_prior, np.array([1.0, 1.0, 0.0]), args=(t, y), method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000})
    return [Check("minimizer", res.x, ref.x, 1e-3, 1e-4)] + check_value_and_grad(
        lsq_with_prior, (np.array([1.0, 0.7, 0.2]), t, y))


# 11 ------------------------------------------------------------- per-parameter lr in dict
def dict_sgd(params, lrs, x, y):
    for step in range(3):
        pred = params["a"] * x + params["b"]
        err = pred - y
        grads = {"a": np.mean(err * x), "b": np.mean(err)}
        params = {"a": params["a"] - lrs["a"] * grads["a"], "b": params["b"] - lrs["b"] * grads["b"]}
    return np.mean((params["a"] * x + params["b"] - y) ** 2)


@case("dict_params_sgd_lrs", "SGD on dict params with a dict of per-parameter learning rates; grad wrt lrs")
def _():
    x = np.linspace(-1, 1, 7)
    y = 3 * x - 1
    return check_grad(dict_sgd, ({"a": 0.5, "b": 0.1}, {"a": 0.4, "b": 0.3}, x, y), wrt=(0, 1), autograd=True)


# 12 ------------------------------------------------------------- newton iterations for sqrt (implicit fn)
def newton_sqrt(a, x0=1.0, iters=6):
    x = x0
    k = 0
    while k < iters:
        x = 0.5 * (x + a / x)
        k += 1
    return x


@case("newton_sqrt_while", "Newton iteration for sqrt(a) in a while loop with a counter")
def _():
    return check_grad(newton_sqrt, (2.5,), autograd=True) + [
        Check("grad equals 1/(2 sqrt a)", srcgrad.grad(newton_sqrt)(2.5), 0.5 / math.sqrt(2.5), 1e-6, 1e-8)]
