"""Forward-only statements inside differentiated loops: print, assert,
logging, warnings; random draws per iteration."""
import contextlib
import io
import logging
import warnings

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, Check, num_grad

LOG = logging.getLogger("user_programs.training")


# 1 -------------------------------------------------------------- prints in a loop
def chatty_descent(w, A, b, steps=4):
    for i in range(steps):
        loss = np.sum((A @ w - b) ** 2)
        print(f"step {i}: loss={loss:.4f}")
        assert np.all(np.isfinite(w)), "diverged"
        w = w - 0.05 * A.T @ (A @ w - b)
    LOG.info("final loss %s", np.sum((A @ w - b) ** 2))
    return np.sum((A @ w - b) ** 2)


@case("print_assert_logging_in_loop", "print (f-string), assert and logging in a GD loop: each print runs once per step")
def _():
    A = np.array([[1.0, 0.5], [0.2, -1.0], [0.3, 0.3]])
    b = np.array([1.0, 0.0, -1.0])
    w = np.array([0.1, 0.2])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        g = srcgrad.grad(chatty_descent)(w, A, b)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("step")]
    with contextlib.redirect_stdout(io.StringIO()):
        ref = num_grad(chatty_descent, (w, A, b))
    return [Check("grad", g, ref, 1e-5, 1e-7), Check("prints", len(lines), 4, 0, 0),
            Check("first print shows the real loss", lines[0] if lines else "", f"step 0: loss={np.sum((A @ w - b) ** 2):.4f}")]


# 2 -------------------------------------------------------------- warnings
def warn_on_large(x):
    y = np.exp(x)
    if np.max(y) > 5.0:
        warnings.warn("large activation")
    return np.sum(y)


@case("warnings_warn_in_branch", "warnings.warn inside a data-dependent branch; warning raised exactly once")
def _():
    x = np.array([0.5, 2.0])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        g = srcgrad.grad(warn_on_large)(x)
    n = sum(1 for r in rec if "large activation" in str(r.message))
    return [Check("grad", g, np.exp(x), 1e-10, 1e-12), Check("warnings", n, 1, 0, 0)]


# 3 -------------------------------------------------------------- dropout drawn per time step
def rnn_dropout(Wh, xs, p=0.3):
    np.random.seed(5)
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        mask = (np.random.rand(h.shape[0]) > p) / (1 - p)
        h = np.tanh(Wh @ h + xs[t]) * mask
    return np.sum(h ** 2)


def rnn_dropout_ref(Wh, xs, p=0.3):
    rs = np.random.RandomState(5)
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        mask = (rs.rand(h.shape[0]) > p) / (1 - p)
        h = np.tanh(Wh @ h + xs[t]) * mask
    return np.sum(h ** 2)


@case("dropout_mask_per_step", "RNN with a fresh dropout mask drawn every time step (draws are constants)")
def _():
    rng = np.random.default_rng(3)
    Wh = rng.normal(size=(4, 4)) * 0.5
    xs = rng.normal(size=(5, 4))
    g = srcgrad.grad(rnn_dropout)(Wh, xs)
    return [Check("grad", g, num_grad(rnn_dropout_ref, (Wh, xs)), 1e-5, 1e-7)]


# 4 -------------------------------------------------------------- noise added in a loop (Langevin)
def langevin_final(x0, step, n=6):
    np.random.seed(11)
    x = x0
    for i in range(n):
        noise = np.random.normal(size=x.shape)
        x = x - step * x ** 3 + np.sqrt(2 * step) * noise
    return np.sum(x ** 2)


def langevin_ref(x0, step, n=6):
    rs = np.random.RandomState(11)
    x = x0
    for i in range(n):
        noise = rs.normal(size=x.shape)
        x = x - step * x ** 3 + np.sqrt(2 * step) * noise
    return np.sum(x ** 2)


@case("langevin_noise_loop", "Langevin dynamics: np.random.normal noise each step; grad wrt x0 and step size")
def _():
    x0 = np.array([0.5, -0.3, 0.8])
    g = srcgrad.grad(langevin_final, wrt=(0, 1))(x0, 0.01)
    return [Check("grad", g, num_grad(langevin_ref, (x0, 0.01), (0, 1)), 1e-5, 1e-7)]


# 5 -------------------------------------------------------------- value_and_grad prints once
def noisy_value(w):
    print("evaluating")
    return np.sum(np.sin(w))


@case("value_and_grad_prints_once", "value_and_grad runs the forward sweep once: one print per call")
def _():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        v, g = srcgrad.value_and_grad(noisy_value)(np.array([0.1, 0.2]))
        out, pb = srcgrad.vjp(noisy_value, np.array([0.1, 0.2]))
        pb(1.0)
        pb(1.0)
    return [Check("prints", buf.getvalue().count("evaluating"), 2, 0, 0),
            Check("grad", g, np.cos(np.array([0.1, 0.2])), 1e-12, 1e-12)]
