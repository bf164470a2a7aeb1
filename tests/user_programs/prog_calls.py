"""Calls and containers: list slices and unpacking, helpers returning tuples
and dicts, functions passed around, aliased imports, random draws."""
import math
from math import exp as math_exp

import numpy as np
import numpy.linalg as la
from numpy import tanh

import srcgrad
from user_programs.harness import case, check_grad, Check, num_grad

RNG = np.random.default_rng(91)


# 1 -------------------------------------------------------------- list slices of parameters
def skip_first_layer(Ws, x):
    h = x
    for W in Ws[1:]:
        h = np.tanh(h @ W)
    return np.sum(h) + np.sum(Ws[0] ** 2)


@case("for_over_list_slice_tail", "`for W in Ws[1:]` (list slice of parameters), Ws[0] used separately")
def _():
    Ws = [RNG.normal(size=(2, 2)) for _ in range(3)]
    return check_grad(skip_first_layer, (Ws, np.array([0.5, -1.0])), autograd=True)


def enumerate_slice(ws, x):
    total = 0.0
    for i, w in enumerate(ws[:2]):
        total = total + (i + 1) * w * x
    return total


@case("enumerate_list_slice_floats", "`for i, w in enumerate(ws[:2])` over a list of Python floats")
def _():
    return check_grad(enumerate_slice, ([2.0, 3.0, 5.0], 1.5), wrt=(0, 1), autograd=True)


def helper_gets_slice(ws, x):
    return apply_layers(ws[:2], x) + ws[2] * x


def apply_layers(layers, x):
    for w in layers:
        x = np.sin(x * w)
    return x


@case("list_slice_passed_to_helper", "a list slice ws[:2] passed to a helper that loops over it")
def _():
    return check_grad(helper_gets_slice, ([0.7, 1.3, 0.4], 0.9), wrt=(0, 1), autograd=True)


def tuple_slice(params, x):
    a, b = params[:2]
    return a * x ** 2 + b * x + params[-1]


@case("tuple_slice_unpack", "`a, b = params[:2]` on a tuple of floats, params[-1]")
def _():
    return check_grad(tuple_slice, ((1.5, -2.0, 0.5), 0.8), wrt=(0, 1), autograd=True)


# 2 -------------------------------------------------------------- unpacking a list param
def two_layer_unpack(Ws, x):
    W1, W2 = Ws
    return np.sum(np.tanh(x @ W1) @ W2)


@case("unpack_list_param", "`W1, W2 = Ws` unpacking a list argument")
def _():
    return check_grad(two_layer_unpack, ([RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))], RNG.normal(size=(2, 3))),
                      autograd=True)


# 3 -------------------------------------------------------------- nested pytree
def nested_tree(params, x):
    enc = params["encoder"]
    h = x
    for layer in enc:
        h = np.tanh(h @ layer["W"] + layer["b"])
    return np.sum((h @ params["head"][0]) ** 2) + params["head"][1] * np.sum(h)


@case("nested_pytree_list_of_dicts", "params = {'encoder': [ {W, b}, ... ], 'head': (V, c)} nested pytree")
def _():
    params = {"encoder": [{"W": RNG.normal(size=(3, 3)), "b": RNG.normal(size=3)} for _ in range(2)],
              "head": (RNG.normal(size=(3, 2)), 0.5)}
    return check_grad(nested_tree, (params, RNG.normal(size=(4, 3))), autograd=True)


# 4 -------------------------------------------------------------- helpers returning tuples / dicts
def moments(x):
    m = np.mean(x)
    v = np.mean((x - m) ** 2)
    return m, v


def stats_dict(x):
    return {"min": np.min(x), "max": np.max(x), "range": np.max(x) - np.min(x)}


def moment_matching(x, target_m, target_v):
    m, v = moments(x)
    d = stats_dict(x)
    return (m - target_m) ** 2 + (v - target_v) ** 2 + 0.1 * d["range"]


@case("helpers_return_tuple_and_dict", "helpers returning a tuple (unpacked) and a dict (indexed)")
def _():
    return check_grad(moment_matching, (np.array([0.3, 1.9, -0.4, 1.1]), 0.5, 1.0), autograd=True)


# 5 -------------------------------------------------------------- same helper, two argument kinds
def softclip(z, c):
    return c * np.tanh(z / c)


def two_kinds(x, c):
    s = softclip(c * 2.0, 3.0)      # Python floats
    return np.sum(softclip(x, c)) * s


@case("helper_called_with_float_and_array", "one helper called with floats and with arrays in the same function")
def _():
    return check_grad(two_kinds, (np.array([0.5, 2.0, -3.0]), 1.5), wrt=(0, 1), autograd=True)


# 6 -------------------------------------------------------------- aliased imports
def aliased_imports(x, A):
    y = tanh(x)
    z = la.solve(A, y)
    return math_exp(0.1 * float(np.sum(z)))


@case("aliased_imports", "`from numpy import tanh`, `import numpy.linalg as la`, `from math import exp`")
def _():
    A = np.array([[2.0, 0.3], [0.1, 1.5]])
    return check_grad(aliased_imports, (np.array([0.4, -0.8]), A), wrt=(0, 1))


# 7 -------------------------------------------------------------- function held in a global / local
ACT = np.tanh
ACTIVATIONS = {"tanh": np.tanh, "sin": np.sin}


def global_activation(w, x):
    return np.sum(ACT(x @ w))


@case("global_function_alias", "module-level `ACT = np.tanh`, called as ACT(x @ w)")
def _():
    return check_grad(global_activation, (np.array([0.5, -0.3]), RNG.normal(size=(3, 2))))


def activation_by_name(w, x, name="sin"):
    act = ACTIVATIONS[name]
    return np.sum(act(x @ w))


@case("activation_from_dict", "`act = ACTIVATIONS[name]; act(...)` (work or reject, never silently wrong)", outside_spec=True)
def _():
    return check_grad(activation_by_name, (np.array([0.5, -0.3]), RNG.normal(size=(3, 2))))


def apply_fn(f, w, x):
    return np.sum(f(x @ w) ** 2)


def passes_function(w, x):
    return apply_fn(np.sin, w, x)


@case("function_passed_as_argument", "a NumPy function passed as an argument to a helper: apply_fn(np.sin, w, x) (work or reject)", outside_spec=True)
def _():
    return check_grad(passes_function, (np.array([0.5, -0.3]), RNG.normal(size=(3, 2))))


def user_fn_arg(w, x, act):
    return np.sum(act(x @ w))


def my_softplus(z):
    return np.log1p(np.exp(z))


@case("user_function_as_argument", "grad(loss)(w, x, my_softplus): a user function passed as a plain argument (work or reject)", outside_spec=True)
def _():
    return check_grad(user_fn_arg, (np.array([0.5, -0.3]), RNG.normal(size=(3, 2)), my_softplus))


# 8 -------------------------------------------------------------- reparameterisation trick
def elbo_reparam(mu, log_sigma, n=5):
    np.random.seed(42)
    eps = np.random.normal(size=(n, mu.shape[0]))
    z = mu + np.exp(log_sigma) * eps
    log_lik = -0.5 * np.sum((z - 1.0) ** 2, axis=1)
    entropy = np.sum(log_sigma)
    return -(np.mean(log_lik) + entropy)


def elbo_reference(mu, log_sigma, n=5):
    eps = np.random.RandomState(42).normal(size=(n, mu.shape[0]))
    z = mu + np.exp(log_sigma) * eps
    return -(np.mean(-0.5 * np.sum((z - 1.0) ** 2, axis=1)) + np.sum(log_sigma))


@case("vae_reparameterisation", "reparameterisation trick: np.random.seed + np.random.normal inside the loss")
def _():
    mu = np.array([0.2, -0.5])
    ls = np.array([-0.3, 0.1])
    got = srcgrad.grad(elbo_reparam, wrt=(0, 1))(mu, ls)
    return [Check("grad", got, num_grad(elbo_reference, (mu, ls), (0, 1)), 1e-5, 1e-7)]


def elbo_generator(mu, log_sigma, seed):
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal((4, mu.shape[0]))
    z = mu + np.exp(log_sigma) * eps
    return np.mean(np.sum(np.sin(z), axis=1))


@case("vae_reparam_generator", "reparameterisation with np.random.default_rng(seed).standard_normal")
def _():
    return check_grad(elbo_generator, (np.array([0.2, -0.5]), np.array([-0.3, 0.1]), 7), wrt=(0, 1))


# 9 -------------------------------------------------------------- single lambda on its own line
loss_lambda = lambda w: np.sum(np.tanh(w) ** 2)  # noqa: E731


@case("single_lambda_own_line", "grad of a lambda assigned at module level on its own line (SPEC 1: supported)")
def _():
    w = np.array([0.3, -1.2])
    return [Check("grad", srcgrad.grad(loss_lambda)(w), 2 * np.tanh(w) * (1 - np.tanh(w) ** 2), 1e-10, 1e-12)]


# 10 ------------------------------------------------------------- recursion
def power_rec(x, n):
    if n == 0:
        return 1.0
    return x * power_rec(x, n - 1)


@case("recursion_rejected", "recursive helper on the differentiated value (documented: rejected)", outside_spec=True)
def _():
    return check_grad(power_rec, (1.3, 4))


# 11 ------------------------------------------------------------- generator helper
def gen_terms(x, n):
    for i in range(n):
        yield x ** i


def uses_generator(x):
    total = 0.0
    for t in gen_terms(x, 4):
        total = total + t
    return total


@case("generator_helper_rejected", "a helper that is a generator function (documented: rejected)", outside_spec=True)
def _():
    return check_grad(uses_generator, (0.7,))


# 12 ------------------------------------------------------------- helper with keyword defaults
def smooth_l1(r, beta=1.0, reduce=True):
    a = np.abs(r)
    out = np.where(a < beta, 0.5 * r * r / beta, a - 0.5 * beta)
    if reduce:
        return np.sum(out)
    return out


def detector_loss(boxes, targets, weights):
    per = smooth_l1(boxes - targets, beta=0.5, reduce=False)
    return np.sum(per * weights) + smooth_l1(boxes, reduce=True)


@case("helper_keyword_defaults", "helper called with keyword args, a bool flag selecting an early return")
def _():
    return check_grad(detector_loss, (np.array([0.1, 1.2, -0.7, 2.5]), np.array([0.3, 0.2, -0.2, 1.0]),
                                      np.array([1.0, 2.0, 0.5, 1.0])), autograd=True)


# 13 ------------------------------------------------------------- method calls on helper objects
class Scaler:
    def __init__(self, mean, scale):
        self.mean = mean
        self.scale = scale

    def transform(self, x):
        return (x - self.mean) / self.scale


SCALER = Scaler(np.array([1.0, -1.0]), np.array([2.0, 0.5]))


def uses_scaler(w, x):
    z = SCALER.transform(x)
    return np.sum(np.tanh(z @ w))


@case("global_object_method_call", "a global object's method `SCALER.transform(x)` on data, then a loss in w")
def _():
    return check_grad(uses_scaler, (np.array([0.5, -0.3]), RNG.normal(size=(3, 2))))


def scaler_on_active(w):
    return np.sum(SCALER.transform(w) ** 2)


@case("global_object_method_on_wrt", "`SCALER.transform(w)` applied to the differentiated value (work or reject)", outside_spec=True)
def _():
    return check_grad(scaler_on_active, (np.array([0.5, -0.3]),))


# 14 ------------------------------------------------------------- list / tuple concatenation and repetition
def feature_list_concat(x, w):
    feats = [x] + [x * w, np.sin(x)]
    total = 0.0
    for f in feats:
        total = total + np.sum(f)
    return total + sum(feats)[0]


@case("list_concat_features", "`feats = [x] + [x * w, np.sin(x)]` then loop and builtin sum over the list")
def _():
    return check_grad(feature_list_concat, (np.array([0.5, 1.0]), 1.5), wrt=(0, 1))


def list_repeat_states(h0, W):
    hs = [h0] * 3
    for i in range(3):
        hs[i] = np.tanh(W * hs[i] + i)
    return np.sum(hs[0]) + np.sum(hs[2])


@case("list_repeat_initial_states", "`hs = [h0] * 3` list repetition to initialise per-layer states")
def _():
    return check_grad(list_repeat_states, (np.array([0.5, -0.2]), 2.0), wrt=(0, 1))


def tuple_concat_params(a, b):
    params = (a, b)
    params = params + (a * b,)
    out = 0.0
    for i, p in enumerate(params):
        out = out + (i + 1) * p
    return out


@case("tuple_concat_append", "`params = params + (a * b,)` tuple concatenation, then enumerate")
def _():
    return check_grad(tuple_concat_params, (2.0, 3.0), wrt=(0, 1), autograd=True)


def combined_losses(w, xs_a, xs_b):
    losses_a = []
    losses_b = []
    for x in xs_a:
        losses_a.append((w * x - 1.0) ** 2)
    for x in xs_b:
        losses_b.append((w * x + 1.0) ** 2)
    all_losses = losses_a + losses_b
    return sum(all_losses) / len(all_losses)


@case("list_concat_of_loss_lists", "two lists of per-example float losses concatenated, builtin sum / len")
def _():
    return check_grad(combined_losses, (0.7, np.array([0.5, 1.5]), np.array([-1.0, 2.0, 0.3])), autograd=True)


def penalties_sum(w, lam):
    terms = [lam * w * w] + [0.1 * abs(w)]
    return sum(terms)


@case("list_concat_literals_sum", "`terms = [lam * w * w] + [0.1 * abs(w)]; sum(terms)` on floats")
def _():
    return check_grad(penalties_sum, (1.5, 0.3), wrt=(0, 1), autograd=False)
