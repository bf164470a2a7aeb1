"""API surface as a user exercises it: argument kinds, wrt forms, vjp with
tuple outputs, custom rules on SciPy routines, export, debug_nans."""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.special

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, check_vjp, Check, num_grad

RNG = np.random.default_rng(71)


# 1 -------------------------------------------------------------- wrt forms and arg kinds
def mixed_args(w, b, scale, x):
    return scale * np.sum(np.tanh(x @ w + b) ** 2)


@case("wrt_negative_and_names", "wrt=-2 (scale), wrt=('w', 2), Python int and 0-d array arguments")
def _():
    x = RNG.normal(size=(4, 3))
    w = np.array([0.2, -0.1, 0.4])
    g_neg = srcgrad.grad(mixed_args, wrt=-2)(w, 0.1, 3, x)
    g_mix = srcgrad.grad(mixed_args, wrt=("w", 2))(w, 0.1, 2.0, x)
    g_0d = srcgrad.grad(mixed_args, wrt="b")(w, np.array(0.1), 2.0, x)
    return [Check("wrt=-2 with int scale", g_neg, num_grad(mixed_args, (w, 0.1, 3.0, x), 2), 1e-5, 1e-7),
            Check("wrt=('w', 2)", g_mix, num_grad(mixed_args, (w, 0.1, 2.0, x), (0, 2)), 1e-5, 1e-7),
            Check("0-d b", g_0d, num_grad(mixed_args, (w, np.array(0.1), 2.0, x), 1), 1e-5, 1e-7),
            Check("0-d b shape", np.shape(g_0d), ())]


def tuple_with_int(params, x):
    w, k = params
    return np.sum((x * w) ** k)


@case("tuple_param_with_int_leaf", "wrt a tuple (array, int exponent): gradient is (array, float)")
def _():
    x = np.array([0.5, 1.5])
    g = srcgrad.grad(tuple_with_int)((np.array([1.0, 2.0]), 3), x)
    exp_w = 3 * (x * np.array([1.0, 2.0])) ** 2 * x
    exp_k = float(np.sum((x * np.array([1.0, 2.0])) ** 3 * np.log(x * np.array([1.0, 2.0]))))
    return [Check("grad", g, (exp_w, exp_k), 1e-6, 1e-8)]


@case("float32_scalar_arg", "np.float32 scalar argument: gradient is np.float32 with the right value")
def _():
    g = srcgrad.grad(lambda_like_poly)(np.float32(1.5))
    return [Check("value", g, 3 * 1.5 ** 2 + 2.0, 1e-5, 1e-6), Check("type", type(g).__name__, "float32")]


def lambda_like_poly(t):
    return t ** 3 + 2.0 * t


# 2 -------------------------------------------------------------- non-scalar output under grad
def loss_shape_one(w, x):
    return np.sum(x * w, axis=0, keepdims=True)  # shape (1,): a common mistake


@case("grad_of_shape1_output", "grad of a function returning shape (1,) (SPEC: SrcGradError naming vjp/jacobian)",
      outside_spec=True)
def _():
    return check_grad(loss_shape_one, (np.array([1.0, 2.0]), np.array([0.5, 0.5])))


# 3 -------------------------------------------------------------- vjp tuple outputs
def encoder(W, x):
    h = np.tanh(W @ x)
    mu = h[:2]
    logvar = h[2:]
    return mu, logvar


@case("vjp_tuple_output", "vjp of a VAE-style encoder returning (mu, logvar); pullback with a tuple cotangent")
def _():
    W = RNG.normal(size=(4, 3))
    x = np.array([0.3, -1.0, 0.7])
    return check_vjp(encoder, (W, x), (np.array([1.0, -2.0]), np.array([0.5, 0.25])), wrt=(0, 1))


@case("jvp_tuple_output", "jvp of the encoder with a tangent on W only")
def _():
    W = RNG.normal(size=(4, 3))
    x = np.array([0.3, -1.0, 0.7])
    return check_jvp(encoder, (W, x), (RNG.normal(size=(4, 3)), None))


# 4 -------------------------------------------------------------- custom rule on SciPy routine
@srcgrad.defvjp(scipy.special.ndtr)
def _ndtr_vjp(g, ans, x):
    return g * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


@srcgrad.defjvp(scipy.special.ndtr)
def _ndtr_jvp(tangents, ans, x):
    return tangents[0] * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def probit_nll(beta, x, y):
    nll = 0.0
    for i in range(x.shape[0]):
        p = scipy.special.ndtr(x[i] @ beta)
        nll = nll - (y[i] * np.log(p) + (1 - y[i]) * np.log(1 - p))
    return nll


@case("custom_rule_scipy_in_loop", "defvjp/defjvp for scipy.special.ndtr (normal CDF), probit NLL loop")
def _():
    x = np.array([[0.5, 1.0], [-1.0, 0.3], [1.5, -0.2]])
    y = np.array([1.0, 0.0, 1.0])
    beta = np.array([0.4, -0.3])
    return (check_grad(probit_nll, (beta, x, y))
            + check_jvp(probit_nll, (beta, x, y), (np.array([1.0, 0.5]), None, None)))


def two_arg_op(x, y):
    return np.sqrt(x * x + y * y)


@srcgrad.defvjp(two_arg_op)
def _two_arg_vjp(g, ans, x, y):
    return g * x / ans, None          # None: y gets no gradient by this rule


def uses_two_arg(x, y):
    return np.sum(two_arg_op(x, y) * 2.0)


@case("custom_rule_none_gradient", "a defvjp rule returning None for the second argument: zeros for y")
def _():
    x = np.array([3.0, 1.0])
    y = np.array([4.0, 2.0])
    gx, gy = srcgrad.grad(uses_two_arg, wrt=(0, 1))(x, y)
    return [Check("dx", gx, 2 * x / np.sqrt(x * x + y * y), 1e-10, 1e-12), Check("dy", gy, np.zeros(2), 0, 0)]


# 5 -------------------------------------------------------------- export
EXPORT_SRC = '''import numpy as np


def helper(h, w):
    return np.tanh(h * w)


def model_loss(w, x, n):
    h = x
    for i in range(n):
        h = helper(h, w)
        if i == 1:
            h = h * 2.0
    return np.sum(h ** 2)
'''


@case("cli_export_standalone", "srcgrad export of a loop+helper+branch function; run the module without srcgrad")
def _():
    d = tempfile.mkdtemp(dir="/tmp")
    src = os.path.join(d, "usermodel.py")
    out = os.path.join(d, "grad_usermodel.py")
    with open(src, "w") as fh:
        fh.write(EXPORT_SRC)
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root
    r = subprocess.run([sys.executable, "-m", "srcgrad", "export", f"{src}:model_loss", "-o", out], env=env,
                       capture_output=True, text=True, cwd=d)
    if r.returncode != 0:
        raise RuntimeError("export failed: " + r.stderr.strip().splitlines()[-1])
    code = ("import sys; sys.modules['srcgrad'] = None\nimport numpy as np\nimport grad_usermodel as g\n"
            "print(repr(float(g.grad_model_loss(0.7, np.array([0.5, -1.0, 2.0]), 3))))")
    r2 = subprocess.run([sys.executable, "-c", code], env={"PATH": env.get("PATH", ""), "PYTHONPATH": d},
                        capture_output=True, text=True, cwd=d)
    if r2.returncode != 0:
        raise RuntimeError("exported module failed: " + r2.stderr.strip().splitlines()[-1])
    ns = {}
    exec(compile(EXPORT_SRC, src, "exec"), ns)
    exp = num_grad(ns["model_loss"], (0.7, np.array([0.5, -1.0, 2.0]), 3))
    got = float(r2.stdout.strip())
    return [Check("exported grad", got, exp, 1e-5, 1e-7)]


# 6 -------------------------------------------------------------- debug_nans finds the bad line
def log_barrier(x, t):
    slack = 1.0 - x * x
    return t * np.sum(x) - np.sum(np.log(slack))


@case("debug_nans_reports", "debug_nans=True must raise FloatingPointError when log(1 - x*x) is NaN (x=1.5); FD gives NaN")
def _():
    df = srcgrad.grad(log_barrier, debug_nans=True)
    ok = df(np.array([0.2, -0.5]), 1.0)
    checks = [Check("feasible point", ok, num_grad(log_barrier, (np.array([0.2, -0.5]), 1.0)), 1e-5, 1e-7)]
    try:
        df(np.array([0.2, 1.5]), 1.0)
    except FloatingPointError as e:
        checks.append(Check("message names the original line", "slack" in str(e) or "log" in str(e), True))
    else:
        checks.append(Check("FloatingPointError raised", False, True))
    return checks


# 7 -------------------------------------------------------------- power forms
def power_forms(x, p):
    return np.sum(x ** p) + np.sum(2.0 ** x) + np.sum(np.power(x, 3)) + math.pow(p, 2.5) + np.sum((-x) ** 3)


@case("power_forms_active_exponent", "x ** p (active exponent), 2.0 ** x, np.power(x, 3), math.pow, (-x) ** 3")
def _():
    return check_grad(power_forms, (np.array([0.5, 1.5, 2.0]), 1.7), wrt=(0, 1), autograd=False)


# 8 -------------------------------------------------------------- dot of a value with itself
def self_products(w):
    return np.dot(w, w) + w.dot(w) + w @ w + np.inner(w, w) + np.vdot(w, w) + np.outer(w, w).sum()


@case("self_dot_products", "np.dot(w, w), w.dot(w), w @ w, inner, vdot, outer of the same value")
def _():
    return check_grad(self_products, (np.array([0.5, -1.0, 2.0]),), autograd=True)


# 9 -------------------------------------------------------------- empty batch
def batch_loss(w, X):
    return np.sum((X @ w) ** 2) + 0.1 * np.sum(w ** 2)


@case("empty_batch", "a batch with zero rows: gradient is just the regulariser term")
def _():
    w = np.array([1.0, -2.0])
    return [Check("grad", srcgrad.grad(batch_loss)(w, np.zeros((0, 2))), 0.2 * w, 1e-12, 1e-12)]


# 10 ------------------------------------------------------------- source is printable / deterministic
@case("source_deterministic", "srcgrad.source of a loop program twice, and grad still correct afterwards")
def _():
    from user_programs.prog_control import warmup_descent
    s1 = srcgrad.source(warmup_descent, mode="reverse")
    s2 = srcgrad.source(warmup_descent, mode="reverse")
    compile(s1, "<s1>", "exec")
    A = RNG.normal(size=(5, 3)) * 0.5
    b = RNG.normal(size=5)
    return [Check("identical", s1 == s2, True)] + check_grad(warmup_descent, (np.array([0.1, -0.2, 0.3]), A, b))
