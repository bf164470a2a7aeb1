"""srcgrad tried from outside (break24): loops that write arrays and lists in
place, simulators, Python-float lists, nets, the NaN-safe fast path, argument
kinds and the cache.

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Every derivative is checked against central differences in float64 (the
function called on fresh copies of its arguments) or a hand derivative.

A finding that still fails is a strict xfail naming its number in FINDINGS24.md.
"""
import copy

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, close, check_all


def fresh(t):
    return copy.deepcopy(t)


def fd(f, args, wrt=0):
    """Central differences on fresh copies (some programs write their arguments)."""
    return fd_grad(lambda *a: f(*fresh(a)), list(args), wrt)


# --------------------------------------------------------------------------
# FINDINGS24 #1: a `for w in ls` loop over a list the function made (a
# comprehension, list(...)) whose body writes a slot of that list that a
# later iteration reads: the write's adjoint is dropped.
# --------------------------------------------------------------------------

def loop_over_list_writing_a_later_slot(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for w in ls:
        h = h * w
        ls[1] = ls[1] + w          # the next iteration's w
    return h                       # w0 * (w1 + w0)


def loop_over_list_copy(xs):
    ys = list(xs)
    s = 0.0
    for y in ys:
        s = s + y ** 2
        ys[-1] = ys[-1] + y
    return s


def staged_layers(params, x):
    ws = [p * 1.0 for p in params]
    h = x
    for k, W in enumerate(ws):
        h = np.tanh(W @ h)
        if k + 1 < len(ws):
            ws[k + 1] = ws[k + 1] + 0.1 * W
    return np.sum(h ** 2)


def loop_by_index_writing_a_later_slot(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for i in range(2):
        w = ls[i]
        h = h * w
        if i == 0:
            ls[1] = ls[1] + w
    return h


WS = [2.0, 3.0]


def test_f01_the_function_and_by_index_right():
    assert loop_over_list_writing_a_later_slot(fresh(WS)) == 10.0
    close(fd(loop_over_list_writing_a_later_slot, (WS,)), [7.0, 2.0])
    close(srcgrad.grad(loop_by_index_writing_a_later_slot)(fresh(WS)), [7.0, 2.0])
    # a display instead of the comprehension is right too
    def display(ws):
        ls = [ws[0] * 1.0, ws[1] * 1.0]
        h = 1.0
        for w in ls:
            h = h * w
            ls[1] = ls[1] + w
        return h
    close(srcgrad.grad(display)(fresh(WS)), [7.0, 2.0])
    # jvp is right
    assert srcgrad.jvp(loop_over_list_writing_a_later_slot, (fresh(WS),), ([1.0, 0.0],))[1] == pytest.approx(7.0)


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #1: write into a later slot of the list a for loop runs over dropped")
def test_f01_grad():
    close(srcgrad.grad(loop_over_list_writing_a_later_slot)(fresh(WS)), [7.0, 2.0])


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #1: write into a later slot of the list a for loop runs over dropped")
def test_f01_vjp():
    out, pb = srcgrad.vjp(loop_over_list_writing_a_later_slot, fresh(WS))
    assert out == 10.0
    close(pb(1.0), [7.0, 2.0])


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #1: write into a later slot of the list a for loop runs over dropped")
def test_f01_hvp():
    # f = w0^2 + w0 w1: H = [[2, 1], [1, 0]]
    close(srcgrad.hvp(loop_over_list_writing_a_later_slot)(fresh(WS), [1.0, 0.0]), [2.0, 1.0])


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #1: write into a later slot of the list a for loop runs over dropped")
def test_f01_list_copy_of_floats():
    xs = [0.5, -1.0, 2.0]
    close(srcgrad.grad(loop_over_list_copy)(fresh(xs)), [4.0, 1.0, 3.0])


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #1: write into a later slot of the list a for loop runs over dropped")
def test_f01_staged_layers():
    rng = np.random.default_rng(0)
    P = [rng.standard_normal((2, 2)) for _ in range(3)]
    x = np.array([0.5, -0.3])
    close(srcgrad.grad(staged_layers)(fresh(P), x), fd(staged_layers, (P, x)))
