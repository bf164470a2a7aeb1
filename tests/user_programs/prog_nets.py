"""Neural networks as users write them with plain NumPy."""
import numpy as np
import scipy.special as special

import srcgrad
from user_programs.harness import case, check_grad, check_jacobian, check_vjp, Check, num_grad

RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 4))
T_CLASS = np.array([0, 2, 1, 2, 0])
T_REG = RNG.normal(size=(5, 2))


def init_mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(m, n)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * rng.normal(size=n) for n in sizes[1:]]
    return Ws, bs


# 1 -------------------------------------------------------------- MLP with lists
def mlp_lists(Ws, bs, x, t):
    h = x
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.tanh(h @ W + b)
    y = h @ Ws[-1] + bs[-1]
    return np.mean((y - t) ** 2)


@case("mlp_list_layers", "MLP: `for W, b in zip(Ws[:-1], bs[:-1])`, last layer Ws[-1]; grads are lists")
def _():
    Ws, bs = init_mlp([4, 6, 5, 2])
    return check_grad(mlp_lists, (Ws, bs, X, T_REG), wrt=(0, 1), autograd=True)


# 2 -------------------------------------------------------------- dict params, softmax CE
def log_softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def dict_classifier(params, x, labels):
    h = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    logits = h @ params["W2"] + params["b2"]
    logp = log_softmax(logits)
    n = x.shape[0]
    return -np.mean(logp[np.arange(n), labels])


@case("dict_params_softmax_ce", "2-layer ReLU net, params dict, stable log-softmax, logp[arange(n), labels]")
def _():
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(4, 8)), "b1": rng.normal(size=8) * 0.1,
              "W2": rng.normal(size=(8, 3)), "b2": np.zeros(3)}
    return check_grad(dict_classifier, (params, X, T_CLASS), autograd=True)


# 3 -------------------------------------------------------------- layer norm
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_loss(x, gamma, beta, w):
    y = layer_norm(x, gamma, beta)
    return np.sum(np.sin(y) * w)


@case("layer_norm", "layer norm with x.mean/x.var(axis=-1, keepdims=True); grads wrt x, gamma, beta")
def _():
    w = RNG.normal(size=(5, 4))
    return check_grad(ln_loss, (X, np.ones(4) * 1.2, np.zeros(4) + 0.1, w), wrt=(0, 1, 2), autograd=True)


# 4 -------------------------------------------------------------- RNN list of states
def rnn_loss(Wh, Wx, b, xs, targets):
    h = np.zeros(Wh.shape[0])
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t] + b)
        hs.append(h)
    loss = 0.0
    for t, h_t in enumerate(hs):
        loss = loss + np.sum((h_t[:2] - targets[t]) ** 2)
    return loss / len(hs)


@case("rnn_list_states", "Elman RNN, hidden states appended to a list, loss via enumerate over the list")
def _():
    rng = np.random.default_rng(4)
    H, D, T = 4, 3, 6
    return check_grad(rnn_loss, (rng.normal(size=(H, H)) * 0.5, rng.normal(size=(H, D)), rng.normal(size=H),
                                 rng.normal(size=(T, D)), rng.normal(size=(T, 2))), wrt=(0, 1, 2), autograd=True)


# 5 -------------------------------------------------------------- attention
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def self_attention(x, Wq, Wk, Wv):
    q = x @ Wq
    k = x @ Wk
    v = x @ Wv
    scores = q @ k.T / np.sqrt(q.shape[-1])
    mask = np.triu(np.ones((x.shape[0], x.shape[0])), k=1) > 0
    scores = np.where(mask, -1e9, scores)
    a = softmax(scores, axis=-1)
    return np.sum((a @ v) ** 2)


@case("causal_self_attention", "single-head causal attention: q k^T/sqrt(d), np.where mask, softmax")
def _():
    rng = np.random.default_rng(5)
    return check_grad(self_attention, (X, rng.normal(size=(4, 3)), rng.normal(size=(4, 3)),
                                       rng.normal(size=(4, 3))), wrt=(0, 1, 2, 3), autograd=True)


# 6 -------------------------------------------------------------- conv1d windows
def conv1d_valid(x, w, b):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.dot(x[i:i + k], w) + b
    return out


def conv_net(x, w1, b1, w2):
    h = np.tanh(conv1d_valid(x, w1, b1))
    y = conv1d_valid(h, w2, 0.0)
    return np.sum(y ** 2)


@case("conv1d_sliding_window", "conv1d via `out[i] = np.dot(x[i:i+k], w) + b` loop, two layers")
def _():
    x = np.sin(np.arange(10) * 0.7)
    return check_grad(conv_net, (x, np.array([0.5, -0.3, 0.2]), 0.1, np.array([1.0, -1.0])), wrt=(0, 1, 2, 3))


# 7 -------------------------------------------------------------- conv2d
def conv2d(img, K):
    kh, kw = K.shape
    H, W = img.shape
    out = np.empty((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * K)
    return out


def conv2d_loss(img, K):
    return np.sum(np.tanh(conv2d(img, K)) ** 2)


@case("conv2d_nested_loops", "conv2d with nested loops writing `out[i, j] = np.sum(img[i:i+3, j:j+3] * K)`")
def _():
    rng = np.random.default_rng(6)
    return check_grad(conv2d_loss, (rng.normal(size=(5, 6)), rng.normal(size=(3, 3)) * 0.3), wrt=(0, 1))


# 8 -------------------------------------------------------------- dropout fixed seed
def dropout_mlp(W, x, p=0.5):
    np.random.seed(0)
    h = np.tanh(x @ W)
    mask = np.random.rand(h.shape[0], h.shape[1]) > p
    h = h * mask / (1 - p)
    return np.sum(h ** 2)


def dropout_mlp_ref(W, x, p=0.5):
    rs = np.random.RandomState(0)
    h = np.tanh(x @ W)
    mask = rs.rand(h.shape[0], h.shape[1]) > p
    return np.sum((h * mask / (1 - p)) ** 2)


@case("dropout_fixed_seed", "dropout with np.random.seed(0) + np.random.rand mask inside the function")
def _():
    W = np.random.default_rng(8).normal(size=(4, 6))
    got = srcgrad.grad(dropout_mlp)(W, X)
    return [Check("grad vs FD", got, num_grad(dropout_mlp_ref, (W, X)), 1e-4, 1e-6)]


def dropout_rng(W, x, seed, p=0.3):
    rng = np.random.default_rng(seed)
    h = np.tanh(x @ W)
    keep = rng.random(h.shape) > p
    return np.sum(np.where(keep, h / (1 - p), 0.0) ** 2)


@case("dropout_default_rng", "dropout with rng = np.random.default_rng(seed); rng.random(h.shape)")
def _():
    W = np.random.default_rng(8).normal(size=(4, 6))
    return check_grad(dropout_rng, (W, X, 3))


# 9 -------------------------------------------------------------- batch norm
def batch_norm_net(W, gamma, beta, x, t, eps=1e-5):
    z = x @ W
    mu = np.mean(z, axis=0)
    var = np.var(z, axis=0)
    zn = (z - mu) / np.sqrt(var + eps)
    h = gamma * zn + beta
    return np.mean((np.tanh(h) - t) ** 2)


@case("batch_norm", "batch norm over axis 0 between a linear layer and tanh")
def _():
    rng = np.random.default_rng(9)
    return check_grad(batch_norm_net, (rng.normal(size=(4, 2)), np.array([1.0, 0.5]), np.array([0.0, 0.2]),
                                       X, T_REG), wrt=(0, 1, 2), autograd=True)


# 10 ------------------------------------------------------------- LSTM with gate slices
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_loss(W, U, b, xs, y):
    H = U.shape[1]
    h = np.zeros(H)
    c = np.zeros(H)
    for t in range(xs.shape[0]):
        z = W @ xs[t] + U @ h + b
        i = sigmoid(z[:H])
        f = sigmoid(z[H:2 * H])
        o = sigmoid(z[2 * H:3 * H])
        g = np.tanh(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum((h - y) ** 2)


@case("lstm_gate_slices", "LSTM cell unrolled over time, gates sliced from one pre-activation vector")
def _():
    rng = np.random.default_rng(10)
    H, D = 3, 2
    return check_grad(lstm_loss, (rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H)) * 0.5,
                                  rng.normal(size=4 * H) * 0.1, rng.normal(size=(5, D)), rng.normal(size=H)),
                      wrt=(0, 1, 2), autograd=True)


# 11 ------------------------------------------------------------- embeddings with repeats
def embedding_bag(E, idx, w):
    vecs = E[idx]
    pooled = np.mean(vecs, axis=0)
    return np.tanh(pooled @ w)


@case("embedding_repeated_idx", "embedding lookup E[idx] with repeated indices, mean pooling")
def _():
    rng = np.random.default_rng(11)
    E = rng.normal(size=(6, 3))
    return check_grad(embedding_bag, (E, np.array([1, 4, 1, 1, 5]), rng.normal(size=3)), wrt=(0, 2),
                      autograd=True)


# 12 ------------------------------------------------------------- maxpool via reshape
def maxpool_net(x, w):
    h = np.tanh(x * w)
    pooled = h.reshape(h.shape[0], -1, 2).max(axis=2)
    return np.sum(pooled ** 2)


@case("maxpool_reshape", "max pooling via reshape(n, -1, 2).max(axis=2)")
def _():
    x = np.random.default_rng(12).normal(size=(3, 8))
    return check_grad(maxpool_net, (x, 0.7), wrt=(0, 1), autograd=True)


# 13 ------------------------------------------------------------- residual with tuple params
def resnet(params, x):
    for (W1, W2) in params:
        x = x + np.tanh(x @ W1) @ W2
    return np.sum(x ** 2) / x.shape[0]


@case("residual_tuple_params", "residual blocks from a list of (W1, W2) tuples, `for (W1, W2) in params`")
def _():
    rng = np.random.default_rng(13)
    params = [(rng.normal(size=(4, 3)) * 0.5, rng.normal(size=(3, 4)) * 0.5) for _ in range(3)]
    return check_grad(resnet, (params, X), autograd=True)


# 14 ------------------------------------------------------------- Huber / where
def huber_regression(w, x, t, delta=0.5):
    r = x @ w - t
    a = np.abs(r)
    return np.sum(np.where(a < delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


@case("huber_where", "Huber loss via np.where on |r| < delta")
def _():
    return check_grad(huber_regression, (np.array([0.3, -0.6, 0.9, 0.1]), X, T_REG[:, 0]), autograd=True)


# 15 ------------------------------------------------------------- softmax jacobian / scipy.special
def softmax_vec(z):
    return special.softmax(z)


@case("softmax_jacobian", "jacobian of scipy.special.softmax and of a hand softmax")
def _():
    z = np.array([0.2, -1.0, 0.7, 1.5])
    return check_jacobian(softmax_vec, (z,)) + check_jacobian(softmax, (z,))


# 16 ------------------------------------------------------------- einsum attention multihead
def multihead(x, Wqkv, heads=2):
    n, d = x.shape
    qkv = x @ Wqkv
    q = qkv[:, :d].reshape(n, heads, d // heads)
    k = qkv[:, d:2 * d].reshape(n, heads, d // heads)
    v = qkv[:, 2 * d:].reshape(n, heads, d // heads)
    s = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d // heads)
    a = softmax(s, axis=-1)
    out = np.einsum("hij,jhd->ihd", a, v).reshape(n, d)
    return np.sum(out * np.cos(x))


@case("multihead_einsum", "2-head attention with reshape + einsum('ihd,jhd->hij')")
def _():
    rng = np.random.default_rng(14)
    return check_grad(multihead, (X, rng.normal(size=(4, 12)) * 0.5), wrt=(0, 1), autograd=True)
