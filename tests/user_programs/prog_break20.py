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
import importlib
import math
import sys
import textwrap

import numpy as np
import pytest

import srcgrad

from user_programs.checking import (fd_grad, fd_dir, close, _flat, check_all,
                                    check_hessian, jac_fd)


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


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #1 hvp of a dict entry read in a loop: `try` is not supported (runtime/core.py zeros_like_entry)")
def test_f01_hvp_of_a_dict_entry_read_in_a_loop():
    v = {"w": np.array([1.0, -1.0, 0.5])}
    close(srcgrad.hvp(rnn_dict)(P_DICT, X3, v), hvp_fd(rnn_dict, [P_DICT, X3], 0, v), 1e-4, 1e-5)


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #1 hessian of a tuple's entries read in a loop: `try` is not supported")
def test_f01_hessian_of_tuple_entries_read_in_a_loop():
    check_hessian(rnn_tuple_entries, [P_TUPLE, X3])


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #1 jacobian(grad(f)) of a dict entry read in a branch: `try` is not supported")
def test_f01_jacobian_of_grad_of_a_dict_entry_read_in_a_branch():
    p = {"W": P_TUPLE[0]}
    H = srcgrad.jacobian(srcgrad.grad(dict_entry_in_branch))(p, X3)
    cols = [hvp_fd(dict_entry_in_branch, [p, X3], 0, {"W": e.reshape(3, 3)}) for e in np.eye(9)]
    close(np.asarray(H["W"]["W"]).reshape(9, 9), np.stack(cols, axis=-1), 1e-4, 1e-5)


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


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #2 from numpy import *: min(x) (NumPy's) refused as a shadowed builtin")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #3 a parameter named min, a zip loop: TypeError 'float' object is not callable")
def test_f03_parameter_named_min_with_zip():
    assert clip_then_zip([1.0, 2.0], [3.0, 4.0, 5.0]) == pytest.approx(1.1)
    close(srcgrad.grad(clip_then_zip)([1.0, 2.0], [3.0, 4.0, 5.0]), [0.3, 0.4])


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #3 a parameter named range, a loop over a list: TypeError")
def test_f03_parameter_named_range():
    close(srcgrad.grad(scaled_by_range)([1.0, 2.0, 3.0]), [2.0, 2.0, 2.0])


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #3 a local named slice: TypeError from the generated slice(None, None, 2)")
def test_f03_local_named_slice():
    close(srcgrad.grad(tail_called_slice)(np.array([1.0, 2.0, 3.0])), np.array([1.0, 4.0, 7.0]))


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #3 a local named len: refused as 'len is a variable' at `for v in x`")
def test_f03_local_named_len():
    close(srcgrad.grad(local_len)([1.0, 2.0, 3.0]), [2 / 3, 4 / 3, 2.0])


def sine_total(x):
    return np.sum(np.sin(x) * x)


def cube3(a):
    return a * a * 3.0


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #4 pullback(None) of a scalar output: NaN gradient")
def test_f04_pullback_none_for_a_numpy_scalar_output():
    x = np.array([0.3, -1.2, 0.7])
    out, pullback = srcgrad.vjp(sine_total, x)
    try:
        g = pullback(None)
    except srcgrad.SrcGradError:
        return
    close(g, np.zeros(3))


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #4 pullback(None) of a float output: TypeError from the generated code")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS20 #5 a local float named complex: refused as 'a complex value enters'")
def test_f05_local_named_complex():
    close(srcgrad.grad(local_named_complex)([1.0, 2.0]), [2.0, 2.0])
