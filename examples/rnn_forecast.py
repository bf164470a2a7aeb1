"""A recurrent neural network, written as a plain Python loop, learns to forecast prices.

Run it from the repository root:

    pip install -e ".[test]" && python examples/rnn_forecast.py

The series is a synthetic daily "price": a random walk with an upward drift
plus a weekly and a monthly seasonal swing (seeded, so every run is the same).
A tanh RNN reads it one value at a time and predicts the next one:

    h_t = tanh(W @ h_{t-1} + U * x[t] + b)      hidden state, H numbers
    y_t = V @ h_t + c                            forecast of x[t + 1]

The model is written the obvious way: a `for` loop over the time steps
inside the loss. srcgrad turns that loop into a forward loop that saves each
hidden state on a tape and a backward loop that walks the tape in reverse
(backpropagation through time), without unrolling it: the generated source
has the same size for 10 steps or 10,000. Print `loss_and_grad.source` to
read it. The parameters live in one dict, and Adam, written by hand below,
updates them from the gradient dict that `srcgrad.value_and_grad` returns.
"""
import numpy as np

import srcgrad


# --- The model and its loss (the part srcgrad differentiates) ----------------


def loss(params, x):
    """Mean squared error of the one-step-ahead forecasts over the sequence x."""
    W = params["W"]
    U = params["U"]
    b = params["b"]
    V = params["V"]
    c = params["c"]
    h = np.zeros(W.shape[0])
    total = 0.0
    steps = len(x) - 1
    for t in range(steps):
        h = np.tanh(W @ h + U * x[t] + b)
        y = V @ h + c
        total = total + (y - x[t + 1]) ** 2
    return total / steps


loss_and_grad = srcgrad.value_and_grad(loss, wrt="params")


# --- Data ----------------------------------------------------------------------


def make_series(rng, n=600, drift=0.05, noise=0.3):
    """A random walk with drift plus weekly and monthly seasonality, standardised."""
    t = np.arange(n)
    walk = np.cumsum(drift + noise * rng.normal(size=n))
    season = 2.0 * np.sin(2 * np.pi * t / 7) + 1.5 * np.sin(2 * np.pi * t / 30)
    price = 100.0 + walk + season
    return (price - price.mean()) / price.std()


def init_params(rng, hidden=16):
    return {
        "W": rng.normal(scale=0.5 / np.sqrt(hidden), size=(hidden, hidden)),
        "U": rng.normal(scale=0.5, size=hidden),
        "b": np.zeros(hidden),
        "V": rng.normal(scale=1.0 / np.sqrt(hidden), size=hidden),
        "c": 0.0,
    }


# --- Training: Adam, by hand ---------------------------------------------------


def adam(params, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """Return an `update(params, grads)` function closing over Adam's moments."""
    m = {k: np.zeros_like(np.asarray(v, dtype=float)) for k, v in params.items()}
    v = {k: np.zeros_like(np.asarray(p, dtype=float)) for k, p in params.items()}
    step = [0]

    def update(params, grads):
        step[0] += 1
        new = {}
        for k in params:
            m[k] = beta1 * m[k] + (1 - beta1) * grads[k]
            v[k] = beta2 * v[k] + (1 - beta2) * grads[k] ** 2
            m_hat = m[k] / (1 - beta1 ** step[0])
            v_hat = v[k] / (1 - beta2 ** step[0])
            new[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            if np.ndim(params[k]) == 0:           # keep c a Python float
                new[k] = float(new[k])
        return new

    return update


def main(steps=600, window=40, hidden=16, lr=0.01, seed=0, verbose=True):
    """Train on random windows of the series; return (initial_loss, final_loss).

    Both losses are the forecast error over the whole series, computed with
    the plain (undifferentiated) loss function.
    """
    rng = np.random.default_rng(seed)
    series = make_series(rng)
    params = init_params(rng, hidden=hidden)
    update = adam(params, lr=lr)
    initial_loss = float(loss(params, series))
    persistence = float(np.mean((series[1:] - series[:-1]) ** 2))
    if verbose:
        print(f"series: {len(series)} days (standardised); RNN with {hidden} hidden units; "
              f"Adam, learning rate {lr}, windows of {window} days")
        print(f"  mean squared error of 'tomorrow = today': {persistence:.4f}")
        print(f"  step {0:4d}  loss over the whole series {initial_loss:.4f}")
    report_every = max(1, steps // 6)
    for step in range(1, steps + 1):
        start = rng.integers(0, len(series) - window)
        value, grads = loss_and_grad(params, series[start:start + window])
        params = update(params, grads)
        if verbose and step % report_every == 0:
            print(f"  step {step:4d}  loss over the whole series "
                  f"{float(loss(params, series)):.4f}  (last window {value:.4f})")
    final_loss = float(loss(params, series))
    if verbose:
        print(f"loss fell from {initial_loss:.4f} to {final_loss:.4f}")
    return initial_loss, final_loss


if __name__ == "__main__":
    initial_loss, final_loss = main()
    assert final_loss < 0.1 * initial_loss, (initial_loss, final_loss)
