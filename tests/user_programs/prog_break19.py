"""Issue 15's performance work (session 8-9) tried from outside (break19).

Written from the README, docs/api.md, docs/performance.md ("Current results",
"What changed in session 9", "Scaling", "What changed in session 8"), the
golden sources in tests/golden/source/ and the error messages only (the
compiler was not read), after FINDINGS17.md / FINDINGS18.md.  The default
Python backend only.  Programs as users write them: loops that read and
write arrays in place (fancy, negative, strided, overlapping, masked and 2-D
indices), Rosenbrock over a list of floats called with odd entries,
exceptions raised inside value-only loops, repeated expressions around
writes, broadcasting and keepdims reductions, the `max` adjoint at ties,
MLPs (dict and list-of-layers parameters), an RNN, NaN/inf inputs, SGD/Adam
loops and SciPy's minimize.  Every derivative is checked against central
differences in float64 (or against srcgrad's own `grad` where that was
checked first).

A finding that still fails is a strict xfail naming its number in FINDINGS19.md.
"""
import builtins
import importlib
import math
import sys
import textwrap

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, fd_dir, close, _flat


def load(tmp_path, name, text):
    """A user module written to a file and imported (srcgrad reads its source)."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def all_modes(f, args, wrt=0, hvp=False, rtol=1e-6, atol=1e-7):
    """grad, value_and_grad, vjp and jvp of f against central differences; hvp
    against differences of srcgrad's gradient."""
    args = list(args)
    expected = fd_grad(f, args, wrt)
    close(srcgrad.grad(f, wrt=wrt)(*args), expected, rtol, atol)
    value, g = srcgrad.value_and_grad(f, wrt=wrt)(*args)
    assert float(value) == pytest.approx(float(f(*args)), rel=1e-12)
    close(g, expected, rtol, atol)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    close(pullback(1.0), expected, rtol, atol)
    x0, unflat = _flat(args[wrt])
    v = unflat(np.random.default_rng(3).standard_normal(x0.size))
    tangents = [None] * len(args)
    tangents[wrt] = v
    _, out_dot = srcgrad.jvp(f, tuple(args), tuple(tangents))
    close(out_dot, fd_dir(f, args, wrt, v), rtol, atol)
    if hvp:
        def flat_grad(*a):
            return _flat(srcgrad.grad(f, wrt=wrt)(*a))[0]
        close(srcgrad.hvp(f, wrt=wrt)(*args, v), fd_dir(flat_grad, args, wrt, v, 1e-5), 1e-4, 1e-5)


# --------------------------------------------------------------------------
# Findings (strict xfails until fixed)
# --------------------------------------------------------------------------

def sines_then_rebind(x):
    e = 0.0
    for k in range(3):
        d = x * k - 1.0
        e = e + np.sum(np.sin(d))
    d = d * 2.0
    return e + np.sum(d)


def squares_then_augment(x):
    e = 0.0
    for k in range(3):
        d = x * k - 1.0
        e = e + np.sum(d * d)
    d += 1.0
    return e + np.sum(d)


def squares_then_maybe_zero(x):
    y = 0.0
    for i in range(2):
        c = x[i] * 2.0
        y = y + c * c
    if x[0] > 0:
        c = 0.0
    return y + c


def accumulate_then_rebind(x):
    y = 0.0
    for i in range(2):
        c = x + i
        y = y + c * c
    c = 0.0
    return y + c


def rnn_like_then_rebind(x):
    h = 0.0
    for i in range(3):
        c = x[i]
        h = np.sin(h + c) * c
    c = x[3]
    return h * c


def layers_net(layers, X):
    h = X
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W, b = layers[-1]
    return np.sum((h @ W + b) ** 2)


def test_f01_python_floats_and_lists_are_right():
    """The same programs over Python numbers and lists: grad is right (the reference for #1)."""
    assert srcgrad.grad(sines_then_rebind)(0.7) == pytest.approx(
        fd_grad(sines_then_rebind, [0.7]), rel=1e-6)
    close(srcgrad.grad(squares_then_maybe_zero)([3.0, 4.0]), [24.0, 32.0])
    assert srcgrad.grad(accumulate_then_rebind)(3.0) == pytest.approx(14.0, rel=1e-12)
    x = np.array([0.5, 1.0, -0.3, 0.8])
    close(srcgrad.grad(rnn_like_then_rebind)(x), fd_grad(rnn_like_then_rebind, [x]))
    assert srcgrad.jvp(sines_then_rebind, (np.array([0.7]),), (np.array([1.0]),))[1] == \
        pytest.approx(fd_grad(sines_then_rebind, [0.7]), rel=1e-6)


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 grad: a loop's name rebound after the loop (d = d * 2.0)")
def test_f01_grad_name_rebound_after_its_loop():
    x = np.array([0.7])
    close(srcgrad.grad(sines_then_rebind)(x), fd_grad(sines_then_rebind, [x]))   # 6.349 for 6.797


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 grad: a loop's name augmented after the loop (d += 1.0)")
def test_f01_grad_name_augmented_after_its_loop():
    x = np.array([0.5, -1.2, 2.0, 0.7])
    close(srcgrad.grad(squares_then_augment)(x), fd_grad(squares_then_augment, [x]))


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 grad: a loop's name rebound in an if after the loop")
def test_f01_grad_name_rebound_in_an_if_after_its_loop():
    close(srcgrad.grad(squares_then_maybe_zero)(np.array([3.0, 4.0])), [24.0, 32.0])   # [24, 0]


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 hessian: a loop's name rebound after the loop")
def test_f01_hessian_name_rebound_after_its_loop():
    x = np.array([0.7, 0.2])
    H = srcgrad.hessian(sines_then_rebind)(x)
    expected = np.stack([fd_dir(lambda z: fd_grad(sines_then_rebind, [z]), [x], 0, e, 1e-4)
                         for e in np.eye(2)])
    close(H, expected, 1e-4, 1e-5)


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 vjp: a loop's name rebound after the loop")
def test_f01_vjp_name_rebound_after_its_loop():
    _, pullback = srcgrad.vjp(accumulate_then_rebind, 3.0)
    assert pullback(1.0) == pytest.approx(14.0, rel=1e-12)        # 6.0


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 jacobian (vjp rows): a loop's name rebound")
def test_f01_jacobian_name_rebound_after_its_loop():
    x = np.array([0.5, 1.0, -0.3, 0.8])
    close(srcgrad.jacobian(rnn_like_then_rebind)(x), fd_grad(rnn_like_then_rebind, [x]))


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #1 vjp: list-of-layers net, W, b rebound after the loop")
def test_f01_vjp_layers_rebound_after_the_loop():
    rng = np.random.default_rng(0)
    layers = [(rng.standard_normal((3, 3)), rng.standard_normal(3)) for _ in range(3)]
    X = rng.standard_normal((4, 3))
    expected = fd_grad(layers_net, [layers, X], 1)
    close(srcgrad.grad(layers_net, wrt=1)(layers, X), expected)
    _, pullback = srcgrad.vjp(layers_net, layers, X, wrt=1)
    close(pullback(1.0), expected)


SHADOWED_RANGE = """
import builtins

def range(n):
    return builtins.range(0, n, 2)

def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s
"""


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #2 the backward loop calls the user's global range")
def test_f02_global_range_shadowed(tmp_path):
    m = load(tmp_path, "b19_range", SHADOWED_RANGE)
    x = [1.0, 2.0, 3.0, 4.0]
    assert m.rosen(x) == 2604.0
    close(srcgrad.grad(m.rosen)(x), fd_grad(m.rosen, [x]))        # [0, 0, 6004, -1000]


SHADOWED_LEN = """
def len(v):
    return 2

def product(x):
    return x[0] * x[1] + x[2]
"""


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #3 the gradient list is sized by the user's global len")
def test_f03_global_len_shadowed(tmp_path):
    m = load(tmp_path, "b19_len", SHADOWED_LEN)
    x = [1.0, 2.0, 3.0]
    assert srcgrad.grad(m.product)(x) == [2.0, 1.0, 1.0]          # IndexError


def test_f03_array_is_fine_with_len_shadowed(tmp_path):
    m = load(tmp_path, "b19_len_arr", SHADOWED_LEN)
    close(srcgrad.grad(m.product)(np.array([1.0, 2.0, 3.0])), np.array([2.0, 1.0, 1.0]))


STAR_IMPORT = """
from numpy import *
import numpy as np

def weighted(xs, ws):
    s = 0.0
    for a, w in zip(xs, ws):
        s = s + w * a ** 2
    return s
"""


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #4 `from numpy import *`: zip's trip count calls numpy's min")
def test_f04_star_import_and_zip(tmp_path):
    m = load(tmp_path, "b19_star", STAR_IMPORT)
    xs, ws = [1.0, 2.0, 3.0], [0.5, 0.25, 2.0]
    assert m.weighted(xs, ws) == 19.5
    assert srcgrad.grad(m.weighted)(xs, ws) == pytest.approx([1.0, 1.0, 12.0])   # AxisError


def writes_first(x, y):
    x[0] = x[1] * 3.0
    return np.sum(x * y)


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #5 vjp's value for one array passed twice")
def test_f05_vjp_value_same_array_twice():
    z1 = np.array([0.3, -1.2, 2.0])
    expected = writes_first(z1, z1)                                    # 18.4
    z2 = np.array([0.3, -1.2, 2.0])
    value, _ = srcgrad.value_and_grad(writes_first)(z2, z2)
    assert value == pytest.approx(expected, rel=1e-12)                 # right
    z3 = np.array([0.3, -1.2, 2.0])
    out, _ = srcgrad.vjp(writes_first, z3, z3)
    assert out == pytest.approx(expected, rel=1e-12)                   # 4.36
