"""Representative functions whose generated derivatives are kept as text.

Each entry of CASES is (name, function, arguments, wrt, how): `how` is
"grad" or "value_and_grad" (the source of that derivative after one
call, for these arguments' kinds) or "forward" (the tangent function jvp uses).
Chosen to cover what generated code looks like in practice: scalar
arithmetic, reductions and broadcasting, loops with a tape, a list of layers,
dict parameters, a helper call, a branch in a loop, no_grad, forward mode,
the README's lemonade stand, a simulation that fills arrays in place, and a
subexpression written twice.
"""
import numpy as np

import srcgrad


def polynomial(x):
    return 3.0 * x ** 3 - 2.0 * x + 1.0


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def mlp(Ws, bs, x):
    h = x
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.tanh(h @ W + b)
    out = h @ Ws[-1] + bs[-1]
    return np.sum(out ** 2)


def rnn(W, U, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + U @ x)
    return np.sum(h)


def softmax_cross_entropy(logits, label):
    shifted = logits - np.max(logits)
    log_z = np.log(np.sum(np.exp(shifted)))
    return log_z - shifted[label]


def dict_params(p, x):
    y = p["w"] * x + p["b"]
    return np.sum(y * y) + p["scale"] * np.sum(x)


def _smooth_abs(v):
    return np.sqrt(v * v + 1e-3)


def with_helper(x):
    return np.sum(_smooth_abs(x - 1.0))


def step_halving(x):
    c = 1.0
    for i in range(4):
        if np.sum(x * x) > 2.0:
            c = c * 0.5
        x = x * c
    return np.sum(x)


def with_no_grad(x):
    y = np.sin(x)
    with srcgrad.no_grad():
        scale = np.max(np.abs(y))
    return np.sum(y / scale)


def pendulum(theta, omega, dt):
    for _ in range(5):
        omega = omega - dt * np.sin(theta)
        theta = theta + dt * omega
    return theta


def elementwise(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2))


def lemonade(price):  # examples/quickstart.py, part 1
    profit = -(price - 5) ** 2
    return -profit


def spring(k, c, n):  # a damped spring, integrated into arrays filled in place
    dt = 0.01
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        a = -k * xs[i] - c * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2)


def log_softmax_loss(logits, target):  # `logits - m` written twice
    m = np.max(logits)
    log_probs = logits - m - np.log(np.sum(np.exp(logits - m)))
    return -np.sum(target * log_probs)


_R = np.random.default_rng(0)
_X = _R.normal(size=(4, 3))

CASES = [
    ("lemonade", lemonade, (10.0,), 0, "grad"),
    ("spring", spring, (2.0, 0.3, 6), (0, 1), "grad"),
    ("log_softmax_loss", log_softmax_loss, (np.array([1.0, 2.0, 0.5]), np.array([0.2, 0.5, 0.3])), 0, "grad"),
    ("polynomial", polynomial, (0.7,), 0, "grad"),
    ("rosenbrock", rosenbrock, (np.array([0.5, -0.3, 1.2]),), 0, "grad"),
    ("logistic_loss", logistic_loss, (np.array([0.1, -0.2, 0.3]), _X, np.array([0.0, 1.0, 1.0, 0.0])), 0,
     "value_and_grad"),
    ("mlp", mlp, ([_R.normal(size=(3, 4)), _R.normal(size=(4, 2))], [np.zeros(4), np.zeros(2)], _X), (0, 1),
     "grad"),
    ("rnn", rnn, (0.5 * np.eye(3), _R.normal(size=(3, 2)), _R.normal(size=(5, 2))), (0, 1), "grad"),
    ("softmax_cross_entropy", softmax_cross_entropy, (np.array([1.0, 2.0, 0.5]), 1), 0, "grad"),
    ("dict_params", dict_params, ({"w": np.ones(3), "b": np.zeros(3), "scale": 2.0}, np.arange(3.0)), 0,
     "grad"),
    ("with_helper", with_helper, (np.array([0.5, 2.0]),), 0, "grad"),
    ("step_halving", step_halving, (np.array([1.0, 1.5]),), 0, "grad"),
    ("with_no_grad", with_no_grad, (np.array([0.3, 1.0, -2.0]),), 0, "grad"),
    ("pendulum", pendulum, (0.3, 0.0, 0.1), (0, 1), "value_and_grad"),
    ("elementwise_forward", elementwise, (np.array([0.3, -1.0]),), 0, "forward"),
    ("rosenbrock_forward", rosenbrock, (np.array([0.5, -0.3, 1.2]),), 0, "forward"),
]
