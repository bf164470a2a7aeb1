"""The FINDINGS19 fixes and their neighbourhood tried from outside (break20).

Written from README.md, docs/*.md, FINDINGS19.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Programs as users write them: names assigned in a loop and again after it (GRU
and LSTM cells, Newton and fixed-point iterations over floats, while/break,
loops in branches, swaps after the loop, helpers), nested loops (reused
indices, triangular loops, a Cholesky factorisation, three levels, break in an
inner loop, arrays filled in place), modules and functions that shadow
builtins, pullback cotangents of every structure, hvp/hessian of functions that
grow lists and tuples, partials, lambdas, callable objects and records read in
loops of zero trips.  Every derivative is checked against central differences
in float64 (or srcgrad's own gradient checked first).

A finding that still fails is a strict xfail naming its number in FINDINGS20.md.
"""
import functools
import math

import numpy as np
import pytest

import srcgrad

from user_programs.checking import (fd_grad, fd_dir, close, _flat, check_all,
                                    check_hessian, jac_fd, load)


def hvp_fd(f, args, wrt, v):
    """H @ v by central differences of srcgrad's gradient (checked against fd_grad first)."""
    close(srcgrad.grad(f, wrt=wrt)(*args), fd_grad(f, args, wrt))

    def flat_grad(*a):
        return _flat(srcgrad.grad(f, wrt=wrt)(*a))[0]
    return fd_dir(flat_grad, args, wrt, v, 1e-5)


# --------------------------------------------------------------------------
# Findings (strict xfails until fixed)
# --------------------------------------------------------------------------

def rnn_dict(p, x):
    h = x
    for t in range(3):
        h = np.tanh(h * p["w"] + x)
    return np.sum(h ** 2)


def rnn_tuple_entries(p, x):
    h = x
    for t in range(3):
        h = np.tanh(p[0] @ h + p[1])
    return np.sum(h ** 2)


def dict_entry_in_branch(p, x):
    h = x
    if np.sum(x) > -5.0:
        h = np.tanh(p["W"] @ h)
    return np.sum(h ** 2)


P_DICT = {"w": np.array([0.5, -0.3, 0.8])}
X3 = np.array([0.3, -0.8, 0.5])
P_TUPLE = (np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.5], [0.0, 0.2, 0.4]]), np.array([0.1, -0.2, 0.3]))


def test_f01_grad_of_a_record_entry_read_in_a_loop_is_right():
    # the reference for #1: grad, vjp and jvp are right
    check_all(rnn_dict, [P_DICT, X3], hess=False)
    check_all(rnn_tuple_entries, [P_TUPLE, X3], hess=False)


# FINDINGS20 #1 (fixed): hvp of a dict entry read in a loop: `try` is not supported (runtime/core.py zeros_like_entry)
def test_f01_hvp_of_a_dict_entry_read_in_a_loop():
    v = {"w": np.array([1.0, -1.0, 0.5])}
    close(srcgrad.hvp(rnn_dict)(P_DICT, X3, v), hvp_fd(rnn_dict, [P_DICT, X3], 0, v), 1e-4, 1e-5)


# FINDINGS20 #1 (fixed): hessian of a tuple's entries read in a loop: `try` is not supported
def test_f01_hessian_of_tuple_entries_read_in_a_loop():
    H = srcgrad.hessian(rnn_tuple_entries)(P_TUPLE, X3)     # H[i][j]: entry i against entry j
    for j, shape in enumerate([(3, 3), (3,)]):
        for e in np.eye(int(np.prod(shape)))[:4]:
            v = [np.zeros((3, 3)), np.zeros(3)]
            v[j] = e.reshape(shape)
            want = hvp_fd(rnn_tuple_entries, [P_TUPLE, X3], 0, tuple(v))
            got = [np.tensordot(H[i][j], v[j], axes=len(shape)) for i in range(2)]
            close(np.concatenate([g.ravel() for g in got]), want, 1e-4, 1e-5)


# FINDINGS20 #1 (fixed): jacobian(grad(f)) of a dict entry read in a branch: `try` is not supported
def test_f01_jacobian_of_grad_of_a_dict_entry_read_in_a_branch():
    p = {"W": P_TUPLE[0]}
    H = srcgrad.jacobian(srcgrad.grad(dict_entry_in_branch))(p, X3)
    cols = [hvp_fd(dict_entry_in_branch, [p, X3], 0, {"W": e.reshape(3, 3)}) for e in np.eye(9)]
    close(np.asarray(H["W"]["W"]).reshape(9, 9), np.stack(cols, axis=-1), 1e-4, 1e-5)


def float_record_recurrence(p, n):
    s = p["a"]
    for i in range(n):
        s = math.sin(s) * p["b"] + p["a"]
    return s * p["a"]


# FINDINGS20 #1 (fixed): hvp of a dict of floats read in a loop: `try` is not supported
def test_f01_hvp_of_a_dict_of_floats_read_in_a_loop():
    p = {"a": 0.4, "b": 1.3}
    v = {"a": 1.0, "b": -0.5}
    close(srcgrad.hvp(float_record_recurrence)(p, 3, v), hvp_fd(float_record_recurrence, [p, 3], 0, v), 1e-4, 1e-5)


def test_f01_the_same_loop_through_a_helper_is_right():
    # the same loop called as a helper of the differentiated function: hvp is right
    def through_helper(p):
        return rnn_dict(p, X3)
    v = {"w": np.array([1.0, -1.0, 0.5])}
    close(srcgrad.hvp(through_helper)(P_DICT, v), hvp_fd(through_helper, [P_DICT], 0, v), 1e-4, 1e-5)


STAR_MIN = """
from numpy import *

def shifted_exp(x):
    lo = min(x)
    return sum(exp(x - lo))

def squares_plus_min(x):
    return sum(x ** 2) + min(x)
"""


# FINDINGS20 #2 (fixed): from numpy import *: min(x) (NumPy's) refused as a shadowed builtin
def test_f02_star_import_min_of_an_array(tmp_path):
    m = load(tmp_path, "b20_star_min", STAR_MIN)
    x = np.array([0.3, -1.2, 0.7])
    close(srcgrad.grad(m.shifted_exp)(x), fd_grad(m.shifted_exp, [x]))
    close(srcgrad.grad(m.squares_plus_min)(x), fd_grad(m.squares_plus_min, [x]))


def clip_then_zip(xs, ws, min=0.1):
    s = 0.0
    for a, b in zip(xs, ws):
        s = s + a * b * min
    return s


def scaled_by_range(x, range=2.0):
    s = 0.0
    for v in x:
        s = s + v * range
    return s


def tail_called_slice(x):
    slice = x[1:]
    return np.sum(slice ** 2) + np.sum(x[::2])


def local_len(x):
    len = 3
    s = 0.0
    for v in x:
        s = s + v ** 2 / len
    return s


# FINDINGS20 #3 (now a located refusal with a hint, no longer a TypeError from generated code):
# a parameter or local named like a builtin the generated code calls for this function
@pytest.mark.parametrize("f, args, name", [
    (lambda: clip_then_zip, ([1.0, 2.0], [3.0, 4.0, 5.0]), "min"),
    (lambda: scaled_by_range, ([1.0, 2.0, 3.0],), "range"),
    (lambda: tail_called_slice, (np.array([1.0, 2.0, 3.0]),), "slice"),
    (lambda: local_len, ([1.0, 2.0, 3.0],), "len"),
], ids=["min", "range", "slice", "len"])
def test_f03_a_name_of_the_function_like_a_builtin_it_needs(f, args, name):
    f = f()
    f(*args)  # f runs
    with pytest.raises(srcgrad.SrcGradError, match=f"`{name}` is a name of this function here") as err:
        srcgrad.grad(f)(*args)
    assert f"give your `{name}` another name" in str(err.value)


def parameter_min_without_zip(x, min=0.1):
    return np.sum(np.maximum(x, min) ** 2)


def test_f03_a_parameter_named_min_where_no_builtin_min_is_needed():
    x = np.array([0.05, 0.3, -1.0])
    close(srcgrad.grad(parameter_min_without_zip)(x), fd_grad(parameter_min_without_zip, [x]))


def sine_total(x):
    return np.sum(np.sin(x) * x)


def cube3(a):
    return a * a * 3.0


# FINDINGS20 #4 (fixed: a SrcGradError): pullback(None) of a scalar output: NaN gradient
def test_f04_pullback_none_for_a_numpy_scalar_output():
    x = np.array([0.3, -1.2, 0.7])
    out, pullback = srcgrad.vjp(sine_total, x)
    try:
        g = pullback(None)
    except srcgrad.SrcGradError:
        return
    close(g, np.zeros(3))


# FINDINGS20 #4 (fixed: a SrcGradError): pullback(None) of a float output: TypeError from the generated code
def test_f04_pullback_none_for_a_float_output():
    out, pullback = srcgrad.vjp(cube3, 0.7)
    try:
        g = pullback(None)
    except srcgrad.SrcGradError:
        return
    assert g == 0.0


def local_named_complex(xs):
    complex = 2.0
    s = 0.0
    for a in xs:
        s = s + a * complex
    return s


# FINDINGS20 #5 (fixed): a local float named complex: refused as 'a complex value enters'
def test_f05_local_named_complex():
    close(srcgrad.grad(local_named_complex)([1.0, 2.0]), [2.0, 2.0])


# --------------------------------------------------------------------------
# Guards: what works (names assigned in a loop and again after it)
# --------------------------------------------------------------------------

RNG = np.random.default_rng(0)


def gru_then_normalise(Wz, Uz, Wh, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        z = 1 / (1 + np.exp(-(xs[t] @ Wz + h @ Uz)))
        hh = np.tanh(xs[t] @ Wh)
        h = (1 - z) * h + z * hh
    h = h / np.sqrt(np.sum(h * h) + 1e-3)
    h = np.tanh(h)
    return np.sum(h * np.array([1.0, -2.0, 0.5]))


def lstm_swap_after(Wf, xs):
    h = np.zeros(2)
    c = np.zeros(2)
    for t in range(len(xs)):
        g = xs[t] @ Wf + np.concatenate([h, h])
        f_ = 1 / (1 + np.exp(-g[:2]))
        o = np.tanh(g[2:])
        c = f_ * c + o
        h = np.tanh(c) * o
    h, c = c, h
    h = h * 2.0
    c += h
    return np.sum(c ** 2) + np.sum(np.sin(h))


def newton_sqrt_then_rescale(a):
    x = 1.0
    for k in range(5):
        x = x - (x * x - a) / (2 * x)
    x = x * 3.0
    x = x + a
    x = math.sin(x)
    return x


def fixed_point_while_break(a):
    x = 0.5
    k = 0
    while True:
        x = math.cos(a * x)
        k += 1
        if k >= 6:
            break
    x = x * x
    return x


def loops_in_branches(x, flag):
    h = x
    if flag > 0:
        for i in range(3):
            h = np.sin(h) * x
    else:
        for i in range(2):
            h = np.cos(h)
    h = h * h
    return np.sum(h)


def two_loops_then_centre(x):
    h = x
    for i in range(3):
        h = np.tanh(h * 1.5)
    for i in range(2):
        h = np.exp(h * 0.3) * x
    h = h - np.mean(h)
    return np.sum(h ** 3)


def several_rebinds_after(x):
    h = x
    for i in range(3):
        h = h * np.cos(h)
    h = h + 1.0
    h = h * h
    h = np.log(h + 2.0)
    h **= 2
    return np.sum(h)


def recur_helper(h, w):
    for i in range(3):
        h = np.tanh(w * h)
    h = h * w
    return h


def helper_twice(w):
    h = recur_helper(np.ones(3), w)
    h = recur_helper(h, w)
    return np.sum(h ** 2)


def cond_break_then_exp(x):
    h = x
    for i in range(10):
        h = h * 0.9 + np.sin(h)
        if np.sum(h) > 3.0:
            break
    h = np.exp(h)
    return np.sum(h)


def loop_target_rebound(Ws, x):
    h = x
    for W in Ws:
        h = np.sin(W @ h)
    W = W * 2.0
    h = W @ h
    return np.sum(h ** 2)


def float_pair_swap(a, b):
    x = a
    y = b
    for k in range(4):
        x, y = y, math.sin(x) * a + y * 0.5
    x = x * y
    y = y + x
    return x, y


def rnn_vector_out(W, x):
    h = x
    for i in range(3):
        h = np.tanh(W @ h + x)
    h = W @ h
    h = h / np.linalg.norm(h)
    return h


def rk4_then_square(k, y0):
    y = y0
    t = 0.0
    dt = 0.1
    for i in range(5):
        k1 = -k * y + np.sin(t)
        k2 = -k * (y + 0.5 * dt * k1) + np.sin(t + 0.5 * dt)
        k3 = -k * (y + 0.5 * dt * k2) + np.sin(t + 0.5 * dt)
        k4 = -k * (y + dt * k3) + np.sin(t + dt)
        y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t + dt
    k1 = y * y
    y = k1 + y
    return np.sum(y ** 2)


def adam_unrolled(w0, X, y):
    w = w0
    m = np.zeros_like(w0)
    v = np.zeros_like(w0)
    for t in range(1, 4):
        g = X.T @ (np.tanh(X @ w) - y)
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        w = w - 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
    g = X.T @ (np.tanh(X @ w) - y)
    w = w - 0.05 * g
    return np.mean((np.tanh(X @ w) - y) ** 2)


def test_g01_arrays_rebound_after_loops():
    x = np.array([0.3, -0.7, 1.1])
    xs = RNG.standard_normal((4, 2))
    Wz, Wh = RNG.standard_normal((2, 3)) * 0.5, RNG.standard_normal((2, 3)) * 0.5
    Uz = RNG.standard_normal((3, 3)) * 0.5
    for k in range(3):
        check_all(gru_then_normalise, [Wz, Uz, Wh, xs], wrt=k, hess=(k == 1))
    Wf = RNG.standard_normal((3, 4)) * 0.5
    check_all(lstm_swap_after, [Wf, [RNG.standard_normal(3) for _ in range(3)]])
    check_all(lambda x: loops_in_branches(x, 1.0), [x])
    check_all(lambda x: loops_in_branches(x, -1.0), [x])
    check_all(two_loops_then_centre, [x])
    check_all(several_rebinds_after, [x])
    check_all(helper_twice, [x])
    check_all(cond_break_then_exp, [x])
    Ws = [RNG.standard_normal((3, 3)) * 0.5 for _ in range(3)]
    check_all(loop_target_rebound, [Ws, x])
    check_all(rk4_then_square, [np.array([0.7, 1.2, 0.4]), np.array([1.0, -0.5, 0.3])], wrt=1)
    X, yv = RNG.standard_normal((5, 3)), RNG.standard_normal(5) * 0.5
    check_all(adam_unrolled, [np.array([0.1, -0.2, 0.3]), X, yv])


def test_g01_floats_rebound_after_loops():
    check_all(newton_sqrt_then_rescale, [2.0])
    check_all(fixed_point_while_break, [0.9])
    check_all(rk4_then_square, [0.7, 1.1])
    check_hessian(lambda a: float_pair_swap(a, 0.9)[0] + float_pair_swap(a, 0.9)[1] ** 2, [0.4])


def test_g01_vector_outputs_rebound_after_loops():
    W = RNG.standard_normal((3, 3)) * 0.6
    x = np.array([0.3, -0.8, 0.5])
    J = jac_fd(rnn_vector_out, [W, x], 0)
    out, pullback = srcgrad.vjp(rnn_vector_out, W, x)
    for u in [np.array([1.0, 0, 0]), np.array([0.3, -2.0, 1.0])]:
        close(pullback(u), (u @ J).reshape(3, 3))
    close(srcgrad.jacobian(rnn_vector_out, wrt=1)(W, x), jac_fd(rnn_vector_out, [W, x], 1))
    close(np.asarray(srcgrad.jacobian(rnn_vector_out)(W, x)).reshape(3, 9), J)
    out, pullback = srcgrad.vjp(float_pair_swap, 0.4, 0.9, wrt=(0, 1))
    for c in [(1.0, 0.0), (0.0, 1.0), (0.5, -2.0)]:
        def lin(a, b):
            r = float_pair_swap(a, b)
            return c[0] * r[0] + c[1] * r[1]
        ga, gb = pullback(c)
        assert ga == pytest.approx(fd_grad(lin, [0.4, 0.9], 0), abs=1e-7)
        assert gb == pytest.approx(fd_grad(lin, [0.4, 0.9], 1), abs=1e-7)


# --------------------------------------------------------------------------
# Guards: nested loops
# --------------------------------------------------------------------------

def cholesky_logdet(A):
    n = A.shape[0]
    L = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            s = 0.0
            for k in range(j):
                s = s + L[i, k] * L[j, k]
            if i == j:
                L[i, j] = np.sqrt(A[i, i] - s)
            else:
                L[i, j] = (A[i, j] - s) / L[j, j]
    return np.sum(np.log(np.diag(L)))


def gauss_seidel(A, b):
    n = b.shape[0]
    x = np.zeros(n)
    for sweep in range(4):
        for i in range(n):
            s = b[i]
            for j in range(n):
                if j != i:
                    s = s - A[i, j] * x[j]
            x[i] = s / A[i, i]
    s = np.sum(x * x)
    return s


def inner_break_then_index(x):
    s = 0.0
    for i in range(3):
        for j in range(5):
            s = s + math.sin(x[i] * (j + 1))
            if j >= i:
                break
        s = s + x[j] * 2.0
    return s


def inner_zero_trips_keep_index(x):
    s = 0.0
    j = 0
    for i in range(4):
        for j in range(2 if i != 2 else 0):
            s = s + x[j] * x[i]
        s = s + x[j] * 10.0 * (i + 1)
    return s


def while_inside_for(x):
    n = len(x)
    s = 0.0
    for i in range(n):
        j = i
        while j < n and j < i + 2:
            s = s + math.sin(x[j]) * x[i]
            j += 1
        s = s + x[j - 1] * 3.0
    return s


def three_levels(x):
    s = 0.0
    for a in range(2):
        for b in range(2):
            for c in range(3):
                s = s + math.sin(x[c] * (a + 1) + b)
            s = s * 0.9 + x[c] * b
        s = s + x[b] ** 2
    return s


def fill_read_back(x):
    n = x.shape[0]
    y = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            y[i, j] = x[i] - x[j] * 0.5
    for i in range(n):
        for j in range(i):
            y[i, j] = y[j, i] * y[i, j]
    z = 0.0
    for i in range(n):
        z = z + np.sum(np.exp(-y[i] ** 2)) * y[i, i]
    return z


def element_name_reused(xs):
    s = 0.0
    for i, x in enumerate(xs):
        for i, x in enumerate([x * 2.0, x + 1.0]):
            s = s + np.sum(np.sin(x)) * (i + 1)
        s = s + np.sum(x * x) * i
    return s


def rows_zip_last(X, w):
    s = 0.0
    for row in X:
        for a, b in zip(row, w):
            s = s + np.tanh(a * b)
        s = s + a * 2.0
    return s


def test_g02_nested_loops():
    M = RNG.standard_normal((3, 3))
    S = M @ M.T + 3 * np.eye(3)
    check_all(cholesky_logdet, [S], hess=False)
    check_all(gauss_seidel, [S + np.eye(3), np.array([1.0, 2.0, -1.0])], wrt=1)
    xl = [0.3, 0.7, -0.2, 1.0]
    check_all(inner_break_then_index, [xl[:3]])
    check_all(inner_break_then_index, [np.array(xl[:3])])
    check_all(inner_zero_trips_keep_index, [xl])
    check_all(inner_zero_trips_keep_index, [np.array(xl)])
    check_all(while_inside_for, [xl])
    check_all(three_levels, [xl[:3]])
    check_all(fill_read_back, [np.array(xl[:3])])
    check_all(element_name_reused, [[np.array([0.3, 0.1]), np.array([-0.5, 0.9])]])
    X = np.array([[0.3, -0.6, 0.9], [0.1, 0.2, -0.4]])
    check_all(rows_zip_last, [X, np.array([1.0, 0.5, -2.0])])
    check_all(rows_zip_last, [X, np.array([1.0, 0.5, -2.0])], wrt=1)


# --------------------------------------------------------------------------
# Guards: modules shadowing builtins
# --------------------------------------------------------------------------

STAR_NOTEBOOK = """
from numpy import *

def abs_round_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + abs(v) * round(2.7) + v ** 2 * (i + 1)
    for i in range(len(x)):
        s = s + sin(x[i])
    return s

def rnn_then_max(xs):
    h = zeros(2)
    for x in xs:
        h = tanh(h + x)
    h = h * 2.0
    return sum(h ** 2) + max(abs(h))

def zip_sum_max(xs, ws):
    s = 0.0
    for x, w in zip(xs, ws):
        s = s + sum(tanh(x * w))
    return s + max(xs[0])

def reversed_range(x):
    s = 0.0
    for i in reversed(range(len(x))):
        s = s * 0.5 + exp(-x[i] ** 2)
    return s
"""

OWN_BUILTINS = """
import numpy as np

def len(x):
    return 2

def range(*a):
    import builtins
    return builtins.range(*a)

def min(a, b=None):
    return 0

def reads_none_of_them(x):
    s = 0.0
    for v in x:
        s = s + v * v
    for i, v in enumerate(x):
        s = s + np.sin(v) * i
    for a, b in zip(x, x[1:]):
        s = s + a * b
    return s

def reads_range(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] ** 2
    return s
"""


def test_g03_modules_shadowing_builtins(tmp_path):
    m = load(tmp_path, "b20_star", STAR_NOTEBOOK)
    x = np.array([0.3, -1.2, 0.7, 2.0])
    check_all(m.abs_round_enumerate, [x], hess=False)
    check_all(m.abs_round_enumerate, [[float(v) for v in x]], hess=False)
    xs = [np.array([0.3, -1.2]), np.array([0.8, 0.1])]
    ws = [np.array([1.1, 0.4]), np.array([-0.6, 0.9])]
    check_all(m.rnn_then_max, [xs])
    check_all(m.zip_sum_max, [xs, ws])
    check_all(m.zip_sum_max, [xs, ws], wrt=1)
    check_all(m.reversed_range, [[float(v) for v in x]])
    o = load(tmp_path, "b20_own", OWN_BUILTINS)
    check_all(o.reads_none_of_them, [[float(v) for v in x]])
    check_all(o.reads_none_of_them, [x])
    check_all(o.reads_range, [x])  # its own range, by another name in the generated code


STAR_SCALARS = """
from numpy import *

def sines(x):
    s = 0.0
    for v in x:
        s = s + sin(v)
    return s

def first_sine(x):
    return sin(x[0]) * x[1]
"""


# FINDINGS20 #6 (fixed): from numpy import *, a list of NumPy scalars: 'numpy.asarray is a call srcgrad knows nothing about'
def test_f06_star_import_list_of_numpy_scalars(tmp_path):
    m = load(tmp_path, "b20_star_scalars", STAR_SCALARS)
    x = list(np.array([0.3, -1.2, 0.7]))          # np.float64 entries
    close(srcgrad.grad(m.first_sine)(x), [math.cos(0.3) * -1.2, math.sin(0.3), 0.0])
    close(srcgrad.grad(m.sines)(x), np.cos(np.array(x)))


# FINDINGS20 #6 (fixed): from numpy import sin (no import numpy), a list of NumPy scalars: refused
def test_f06_from_numpy_import_sin_list_of_numpy_scalars(tmp_path):
    m = load(tmp_path, "b20_from_sin", STAR_SCALARS.replace("from numpy import *", "from numpy import sin"))
    close(srcgrad.grad(m.sines)(list(np.array([0.3, -1.2, 0.7]))), np.cos(np.array([0.3, -1.2, 0.7])))


def test_f06_the_same_with_python_floats_or_numpy_imported(tmp_path):
    m = load(tmp_path, "b20_star_floats", STAR_SCALARS)
    x = [0.3, -1.2, 0.7]
    close(srcgrad.grad(m.first_sine)(x), [math.cos(0.3) * -1.2, math.sin(0.3), 0.0])
    close(srcgrad.grad(m.sines)(x), np.cos(np.array(x)))
    for i, head in enumerate(["import numpy\nfrom numpy import *", "import numpy as np\nfrom numpy import sin"]):
        e = load(tmp_path, f"b20_np_imported{i}", STAR_SCALARS.replace("from numpy import *", head))
        close(srcgrad.grad(e.sines)(list(np.array(x))), np.cos(np.array(x)))
        close(srcgrad.grad(e.first_sine)(list(np.array(x))), [math.cos(0.3) * -1.2, math.sin(0.3), 0.0])


# --------------------------------------------------------------------------
# Guards: pullback cotangents
# --------------------------------------------------------------------------

def tanh_scaled(x):
    return np.tanh(x) * x[0]


def total_and_cosines(x):
    return np.sum(x ** 2), np.cos(x)


def record_out(x):
    return {"a": np.sum(x), "b": x * 2.0, "c": np.exp(x[:2])}


def products_list(x):
    out = []
    for i in range(2):
        out = out + [x[i] * x[i + 1]]
    return out


def test_g04_pullback_cotangents():
    x = np.array([0.3, -1.2, 0.7])
    out, pullback = srcgrad.vjp(sine_total, x)
    g = fd_grad(sine_total, [x])
    for c in [1.0, 1, np.float64(1.0), np.array(1.0), np.float32(1.0), np.int64(1)]:
        close(pullback(c), g)
    for bad in [np.ones(1), np.ones(3), [1.0], (1.0,)]:
        with pytest.raises(srcgrad.SrcGradError):
            pullback(bad)
    out, pullback = srcgrad.vjp(cube3, 0.7)
    for c in [1.0, 1, np.float64(1.0), np.array(1.0)]:
        r = pullback(c)
        assert type(r) is float and r == pytest.approx(4.2, rel=1e-12)
    J = jac_fd(tanh_scaled, [x])
    out, pullback = srcgrad.vjp(tanh_scaled, x)
    u = np.array([1.0, -2.0, 0.5])
    close(pullback(u), u @ J)
    close(pullback(u), u @ J)
    for bad in [np.ones(2), np.ones((3, 1)), np.ones((1, 3)), 1.0, np.array(1.0), None, [1.0, 2.0, 3.0]]:
        with pytest.raises(srcgrad.SrcGradError):
            pullback(bad)
    out, pullback = srcgrad.vjp(total_and_cosines, x)
    J0 = fd_grad(lambda x: total_and_cosines(x)[0], [x])
    J1 = jac_fd(lambda x: total_and_cosines(x)[1], [x])
    c1 = np.array([1.0, 0.0, -1.0])
    close(pullback((2.0, c1)), 2.0 * J0 + c1 @ J1)
    close(pullback((None, c1)), c1 @ J1)
    close(pullback((2.0, None)), 2.0 * J0)
    close(pullback((np.array(2.0), c1)), 2.0 * J0 + c1 @ J1)
    for bad in [(2.0,), (2.0, c1, 1.0), (c1, 2.0), (2.0, np.ones(2)), c1]:
        with pytest.raises(srcgrad.SrcGradError):
            pullback(bad)
    out, pullback = srcgrad.vjp(record_out, x)
    c = {"a": 1.5, "b": np.array([1.0, 2.0, 3.0]), "c": np.array([-1.0, 0.5])}

    def lin(x):
        o = record_out(x)
        return c["a"] * o["a"] + np.sum(c["b"] * o["b"]) + np.sum(c["c"] * o["c"])
    close(pullback(c), fd_grad(lin, [x]))
    close(pullback({"c": c["c"], "a": c["a"], "b": c["b"]}), fd_grad(lin, [x]))
    for bad in [{"a": 1.0, "b": c["b"]}, dict(c, d=1.0), dict(c, a=np.ones(2))]:
        with pytest.raises(srcgrad.SrcGradError):
            pullback(bad)
    out, pullback = srcgrad.vjp(products_list, x)
    cl = [1.0, -2.0]
    close(pullback(cl), fd_grad(lambda x: products_list(x)[0] - 2.0 * products_list(x)[1], [x]))
    for bad in [[1.0], [1.0, 2.0, 3.0], [np.ones(2), 1.0]]:
        with pytest.raises(srcgrad.SrcGradError):
            pullback(bad)
    Jl = srcgrad.jacobian(products_list)(x)
    close(Jl, [jac_fd(lambda x: products_list(x)[0], [x])[0], jac_fd(lambda x: products_list(x)[1], [x])[0]])


# --------------------------------------------------------------------------
# Guards: hvp / hessian of lists and tuples grown in loops
# --------------------------------------------------------------------------

def keep_states(x):
    h = np.zeros(2)
    hs = []
    for i in range(3):
        h = np.tanh(h * 0.5 + x[i:i + 2])
        hs = hs + [h]
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(H[-1] * H[0])


def tuple_states(x):
    t = ()
    v = x
    for i in range(3):
        v = np.sin(v) * x
        t = t + (v,)
    s = 0.0
    for a in t:
        s = s + np.sum(a * a)
    return s + np.sum(t[0] * t[2])


def float_states(x):
    vals = []
    v = 1.0
    for i in range(len(x)):
        v = v * x[i] + math.sin(v)
        vals = vals + [v]
    s = 0.0
    for a in vals:
        s = s + a * a
    return s + vals[0] * vals[-1]


def rnn_keep_all(Wh, xs):
    h = np.zeros(3)
    hs = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] + h @ Wh)
        hs = hs + [h]
    H = np.stack(hs[1:])
    h = np.mean(H, axis=0)
    return np.sum(h ** 2)


def stack_by_slicing(x):
    stack = []
    h = x[:2]
    for i in range(3):
        h = np.tanh(h + x[i:i + 2])
        stack = stack + [h]
    s = 0.0
    while len(stack) > 0:
        v = stack[-1]
        stack = stack[:-1]
        s = s * 0.5 + np.sum(v ** 2)
    return s


def prepend_floats(a):
    t = (a,)
    for i in range(3):
        t = (math.sin(t[0]) * a,) + t
    s = 0.0
    for v in t:
        s = s + v ** 2
    return s


def list_rebound_after(x):
    hs = [x]
    for i in range(3):
        hs = hs + [np.sin(hs[-1]) * x]
    hs = hs[1:]
    hs = [h * 2.0 for h in hs]
    return np.sum(np.stack(hs) ** 2)


def test_g05_hessians_of_grown_sequences():
    x = np.array([0.3, -0.8, 0.5, 1.1])
    for f in [keep_states, tuple_states, stack_by_slicing, list_rebound_after]:
        check_hessian(f, [x])
    check_hessian(float_states, [[0.3, -0.8, 0.5, 1.1]])
    check_hessian(prepend_floats, [0.7])
    W = RNG.standard_normal((3, 3)) * 0.5
    check_all(rnn_keep_all, [W, RNG.standard_normal((3, 3))])


# --------------------------------------------------------------------------
# Guards: partials, lambdas, callable objects, records in zero-trip loops
# --------------------------------------------------------------------------

def loop_kw(x, a, b=1.0, c=2.0):
    h = x
    for i in range(2):
        h = np.sin(a * h) + b
    h = h * c
    return np.sum(h ** 2)


class LayerNet:
    def __init__(self):
        self.Ws = [np.eye(3) * 0.5, np.eye(3) * -0.3]
        self.scale = 1.0

    def __call__(self, x):
        h = x
        for W in self.Ws:
            h = np.tanh(W @ h)
        h = h * self.scale
        return np.sum(h ** 2)


def record_zero_trips(p, x, n):
    h = x
    for i in range(n):
        h = np.tanh(h @ p["W"] + p["b"])
    return np.sum(h ** 2) + np.sum(p["c"] * x)


def test_g06_functions_in_other_forms():
    x = np.array([0.3, -0.8, 0.5])
    p = functools.partial(functools.partial(loop_kw, a=0.7), c=3.0)
    dp = srcgrad.grad(p)
    close(dp(x), fd_grad(p, [x]))
    close(dp(x, b=0.2), fd_grad(lambda x: loop_kw(x, 0.7, 0.2, 3.0), [x]))
    close(dp(x, c=-1.0), fd_grad(lambda x: loop_kw(x, 0.7, 1.0, -1.0), [x]))
    close(dp(x), fd_grad(p, [x]))
    q = functools.partial(loop_kw, a=0.7)
    out, pullback = srcgrad.vjp(q, x)
    g1 = pullback(1.0)
    q.keywords["a"] = 1.5
    close(pullback(1.0), g1)
    close(srcgrad.vjp(q, x)[1](1.0), fd_grad(q, [x]))
    check_hessian(q, [x])
    fs = [lambda x, k=k: np.sum(np.sin(x * k)) for k in range(1, 4)]
    for k, f in enumerate(fs, 1):
        close(srcgrad.grad(f)(x), k * np.cos(x * k))
    net = LayerNet()
    d = srcgrad.grad(net)
    close(d(x), fd_grad(net, [x]))
    net.scale = 2.0
    net.Ws.append(np.ones((3, 3)) * 0.1)
    close(d(x), fd_grad(net, [x]))
    rec = {"W": np.eye(3) * 0.5, "b": np.ones(3) * 0.1, "c": np.array([1.0, 2.0, 3.0])}
    for n in [0, 1, 3]:
        close(srcgrad.grad(record_zero_trips)(rec, x, n), fd_grad(lambda r: record_zero_trips(r, x, n), [rec]))
    check_all(lambda r: record_zero_trips(r, x, 2), [rec])       # hvp through a helper works (#1)


# --------------------------------------------------------------------------
# Guards: rebinding at every nesting level, no_grad in loops, derivatives of derivatives
# --------------------------------------------------------------------------

def rebind_every_level(x):
    h = x
    for k in range(2):
        for i in range(3):
            for j in range(2):
                h = np.sin(h) * x + j
            h = np.tanh(h * 1.1)
        h = h * h + k
    h = h * 3.0
    h = np.exp(-h)
    return np.sum(h)


def indices_every_level(x):
    s = 0.0
    for k in range(2):
        for i in range(3):
            for j in range(2):
                s = s + math.sin(x[i] * x[j] + k)
            s = s * x[j]
        s = s + x[i] * x[k]
    s = s + x[k] * x[i] * x[j]
    k = 0
    s = s * x[k]
    return s


def centred_by_no_grad(x):
    h = x
    for i in range(3):
        with srcgrad.no_grad():
            m = np.mean(h)
        h = np.tanh(h - m) * x
    h = h * x
    return np.sum(h ** 2)


def tanh_recurrence_rescaled(a):
    h = 0.2
    for t in range(4):
        h = math.tanh(a * h + 1.0)
    h = 2.0 * h
    h = h * a
    return h


def test_g07_nesting_no_grad_and_higher_derivatives():
    x = np.array([0.3, -0.8, 0.5])
    check_all(rebind_every_level, [x])
    check_all(rebind_every_level, [0.4])
    check_all(indices_every_level, [[0.3, -0.8, 0.5]])
    check_all(indices_every_level, [x])
    ms = []
    h = x
    for i in range(3):
        ms.append(np.mean(h))
        h = np.tanh(h - ms[-1]) * x

    def frozen(x):
        h = x
        for i in range(3):
            h = np.tanh(h - ms[i]) * x
        return np.sum((h * x) ** 2)
    close(srcgrad.grad(centred_by_no_grad)(x), fd_grad(frozen, [x]))
    close(srcgrad.vjp(centred_by_no_grad, x)[1](1.0), fd_grad(frozen, [x]))
    v = np.array([1.0, -1.0, 0.5])     # as stop_gradient in JAX: the means are constants in hvp too
    close(srcgrad.hvp(centred_by_no_grad)(x, v), hvp_fd(frozen, [x], 0, v), 1e-4, 1e-5)
    d1 = srcgrad.grad(tanh_recurrence_rescaled)
    d2 = srcgrad.grad(d1)
    assert d1(0.7) == pytest.approx(fd_grad(tanh_recurrence_rescaled, [0.7]), abs=1e-7)
    assert d2(0.7) == pytest.approx(fd_grad(d1, [0.7], eps=1e-5), abs=1e-6)
    assert srcgrad.grad(d2)(0.7) == pytest.approx(fd_grad(d2, [0.7], eps=1e-5), abs=1e-5)
