"""The optimiser changes of dfc3f55 (copies, folding, selections, fusing) tried from outside (break21).

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Programs as users write them: constants and copies (step sizes, `scale = 1.0`,
folded products, names copied then rebound, copies in loops and branches),
selections (`np.where`, `np.maximum`, `np.clip`, masks, fancy indexing) at
points where the unselected entries have infinite or NaN partials, Python-float
recurrences and the errors the function raises, repeated expressions with
in-place writes between, higher orders, and realistic programs (an MLP, Adam by
hand, RK4, a damped spring filled in place, Jacobi relaxation, an explicit heat
equation), and reduced programs from random-program generators run from
outside.  Every derivative is checked against central differences in float64
(or srcgrad's own gradient checked against them first).

A finding that still fails is a strict xfail naming its number in FINDINGS21.md.
"""
import math
import warnings

import numpy as np
import pytest

import srcgrad

from user_programs.checking import (fd_grad, fd_dir, close, _flat, check_all,
                                    check_hessian, jac_fd)


def jvp_fd(f, args, wrt, v):
    """The directional derivative by central differences (float output)."""
    return float(fd_dir(f, args, wrt, v)[0])


# --------------------------------------------------------------------------
# FINDINGS21 #1: a self-assignment `h = h` (an identity branch, a no-op) sets
# h's adjoint to zero in reverse mode: grad, value_and_grad, vjp and the
# reverse jacobian lose every path through h.
# --------------------------------------------------------------------------

def mlp_with_activation(W1, W2, x, act):
    h = x @ W1
    if act == "tanh":
        h = np.tanh(h)
    elif act == "relu":
        h = np.maximum(h, 0.0)
    else:
        h = h          # linear layer
    out = h @ W2
    return np.sum(out ** 2)


def clipped_step(x, lr):
    g = 2.0 * x
    if np.linalg.norm(g) > 10.0:
        g = g * (10.0 / np.linalg.norm(g))
    else:
        g = g
    x = x - lr * g
    return np.sum(x ** 2)


def sine_then_self(x):
    a = math.sin(x)
    a = a
    return a


def self_in_loop(x):
    h = x
    for i in range(3):
        h = h
        h = math.sin(h) * x
    return h


_rng = np.random.default_rng(0)
W1 = _rng.standard_normal((3, 4))
W2 = _rng.standard_normal((4, 2))
XB = _rng.standard_normal((5, 3))


def test_f01_the_other_activations_and_jvp_are_right():
    for act in ("tanh", "relu"):
        close(srcgrad.grad(mlp_with_activation)(W1, W2, XB, act),
              fd_grad(mlp_with_activation, [W1, W2, XB, act]))
    for f, a in [(sine_then_self, [0.37]), (self_in_loop, [0.37])]:
        _, t = srcgrad.jvp(f, tuple(a), (1.0,))             # forward mode is right
        assert t == pytest.approx(fd_grad(f, a), rel=1e-6)
    check_all(clipped_step, [np.array([3.0, -4.0, 6.0]), 0.1], hess=True)   # the `if` arm taken


# FINDINGS21 #1 (fixed): h = h in an `else: # linear layer` arm zeroes dh: grad wrt W1 off by 11.9
def test_f01_mlp_linear_activation():
    close(srcgrad.grad(mlp_with_activation)(W1, W2, XB, "linear"),
          fd_grad(mlp_with_activation, [W1, W2, XB, "linear"]))


# FINDINGS21 #1 (fixed): `else: g = g` in gradient clipping: grad 0.48, expected 0.384
def test_f01_clipped_step_untaken_clip():
    check_all(clipped_step, [np.array([0.3, -1.2, 0.7]), 0.1], hess=False)


# FINDINGS21 #1 (fixed): a = sin(x); a = a; return a: grad 0.0
def test_f01_self_assignment_of_a_float():
    assert srcgrad.grad(sine_then_self)(0.37) == pytest.approx(math.cos(0.37))


# FINDINGS21 #1 (fixed): h = h at the top of a loop body: vjp 0.049, expected 0.194
def test_f01_self_assignment_in_a_loop_vjp():
    _, pb = srcgrad.vjp(self_in_loop, 0.37)
    assert pb(1.0) == pytest.approx(fd_grad(self_in_loop, [0.37]), rel=1e-6)


# --------------------------------------------------------------------------
# FINDINGS21 #2: a name read in a loop through a recomputed temporary
# (`omega - 0.5`), rebound on a branch in the loop and rebound again after
# it: the backward loop reads the after-loop value (a case FINDINGS19 #1's
# fix does not cover).
# --------------------------------------------------------------------------

def relax_scalar(x):
    omega = 1.5
    y = 0.0
    for i in range(6):
        y = y + (omega - 0.5) * (math.cos(y) * x - y)
        if abs(y) > 0.8:
            omega = omega * 0.9
    omega = 1.0
    return y


def relax_no_reset(x):
    omega = 1.5
    y = 0.0
    for i in range(6):
        y = y + (omega - 0.5) * (math.cos(y) * x - y)
        if abs(y) > 0.8:
            omega = omega * 0.9
    return y


def relax_array(x):
    omega = 1.5
    y = np.zeros_like(x)
    for i in range(6):
        y = y + (omega - 0.5) * (np.cos(y) * x - y)
        if np.max(np.abs(y)) > 0.8:
            omega = omega * 0.9
    omega = 1.0
    return np.sum(y ** 2)


def halving_in_loop(x):
    a = x * 0.5
    for i in range(3):
        d = (2.0 + a) * x
        if a > 1.0:
            a = a * 2.0
    a = 4.0
    return d


def test_f02_without_the_reset_or_in_forward_mode_right():
    check_all(relax_no_reset, [0.9], hess=True)
    _, t = srcgrad.jvp(relax_scalar, (0.9,), (1.0,))
    assert t == pytest.approx(fd_grad(relax_scalar, [0.9]), rel=1e-6)
    assert relax_scalar(0.9) == relax_no_reset(0.9)


# FINDINGS21 #2 (fixed): omega reset after an adaptive relaxation loop: grad 0.4879, expected 0.4739
def test_f02_relaxation_factor_reset_after_loop():
    assert srcgrad.grad(relax_scalar)(0.9) == pytest.approx(fd_grad(relax_scalar, [0.9]), rel=1e-6)


# FINDINGS21 #2 (fixed): the same over arrays
def test_f02_relaxation_factor_reset_after_loop_arrays():
    x = np.array([0.9, 0.5])
    close(srcgrad.grad(relax_array)(x), fd_grad(relax_array, [x]))


# FINDINGS21 #2 (fixed): d = (2.0 + a) * x in a loop, a rebound on a branch and after: 6.185, expected 2.37
def test_f02_minimal():
    assert srcgrad.grad(halving_in_loop)(0.37) == pytest.approx(2.37, rel=1e-9)


def swap_in_loop(x):
    a = x * 0.5
    b = 1.0
    for i in range(3):
        a, b = b, a
        b = x * (a + 1.0)
    a = 2.0
    return b


# FINDINGS21 #2 (fixed): a, b = b, a in the loop, b = x * (a + 1.0), a rebound after: 3.9176, expected 2.5614
def test_f02_swap_in_loop():
    assert srcgrad.grad(swap_in_loop)(0.37) == pytest.approx(fd_grad(swap_in_loop, [0.37]), rel=1e-6)


# --------------------------------------------------------------------------
# FINDINGS21 #3: jvp / forward-mode jacobian of a copy made by arithmetic
# (`t * 1.0`, `t + 1.0`, `t + b`, `t.flatten()`), then the original written
# in place: the copy's tangent is the original's tangent, and the write
# changes both.
# --------------------------------------------------------------------------

def copy_by_one_then_write(x):
    t = x * 2.0
    u = t * 1.0
    t[0] = 5.0
    return np.sum(u * u) + np.sum(t * x)


def shifted_then_write(x):
    t = x * 2.0
    u = t + 1.0
    t[0] = 5.0
    return np.sum(u * u) + np.sum(t * x)


def jacobi(b):
    """Jacobi relaxation: the old iterate kept as `u_old = u * 1.0`."""
    n = b.shape[0]
    u = b * 1.0
    for it in range(3):
        u_old = u * 1.0
        for i in range(1, n - 1):
            u[i] = 0.5 * (u_old[i - 1] + u_old[i + 1]) + 0.1 * b[i]
    return np.sum(u ** 2)


def jacobi_copy(b):
    """The same with .copy(): right."""
    n = b.shape[0]
    u = b.copy()
    for it in range(3):
        u_old = u.copy()
        for i in range(1, n - 1):
            u[i] = 0.5 * (u_old[i - 1] + u_old[i + 1]) + 0.1 * b[i]
    return np.sum(u ** 2)


def euler_trajectory(x0):
    """A pendulum stepped in place; each state stored in a preallocated array."""
    x = x0 * 1.0
    hist = np.zeros((4, 2))
    for k in range(4):
        prev = x * 1.0
        x[0] = prev[0] + 0.1 * prev[1]
        x[1] = prev[1] - 0.1 * np.sin(prev[0])
        hist[k] = x
    return hist.ravel()


def euler_loss(x0):
    return np.sum(euler_trajectory(x0) ** 2)


def heat_explicit(u0, src):
    """Explicit heat equation with a boundary held at zero; src is data."""
    u = u0.copy()
    snaps = np.zeros((3, u0.shape[0]))
    for k in range(3):
        un = u + src
        u[1:-1] = un[1:-1] + 0.2 * (un[2:] - 2.0 * un[1:-1] + un[:-2])
        u[0] = 0.0
        snaps[k] = un
    return snaps


def flatten_then_write(p):
    flat = p.flatten()
    p[0, 0] = 0.0
    return np.sum(flat ** 2) + np.sum(p ** 2)


X3 = np.array([0.3, -1.2, 0.7])
B5 = np.array([0.3, -1.2, 0.7, 0.5, 1.1])
U0 = np.array([0.3, -1.2, 0.7, 0.5, 0.1])
SRC = np.array([0.1, 0.0, -0.1, 0.2, 0.0])
E1 = np.array([1.0, 0.0, 0.0])


def test_f03_grad_and_vjp_of_copies_then_writes_are_right():
    # the reverse mode of every #1 program is right; so is forward mode with .copy()
    for f, a in [(copy_by_one_then_write, [X3]), (shifted_then_write, [X3]),
                 (jacobi, [B5]), (euler_loss, [np.array([0.5, -0.3])])]:
        close(srcgrad.grad(f)(*a), fd_grad(f, a))
        out, pb = srcgrad.vjp(f, *a)
        close(pb(2.0), 2.0 * _flat(fd_grad(f, a))[0])
    check_all(jacobi_copy, [B5], hess=True)
    J = srcgrad.jacobian(heat_explicit, wrt=0)(U0, SRC)
    assert J.shape == (3, 5, 5)


# FINDINGS21 #3 (fixed): jvp of u = t * 1.0 then t[0] = ...: u's tangent changes with t's
def test_f03_jvp_copy_by_one_then_write():
    _, t = srcgrad.jvp(copy_by_one_then_write, (X3,), (E1,))
    assert t == pytest.approx(jvp_fd(copy_by_one_then_write, [X3], 0, E1), rel=1e-6)   # 7.4, srcgrad 5.0


# FINDINGS21 #3 (fixed): jvp of u = t + 1.0 then t[0] = ...
def test_f03_jvp_shift_then_write():
    _, t = srcgrad.jvp(shifted_then_write, (X3,), (E1,))
    assert t == pytest.approx(jvp_fd(shifted_then_write, [X3], 0, E1), rel=1e-6)


# FINDINGS21 #3 (fixed): jvp of Jacobi relaxation with u_old = u * 1.0
def test_f03_jvp_jacobi_relaxation():
    v = np.array([1.0, -0.5, 0.3, 2.0, 0.7])
    _, t = srcgrad.jvp(jacobi, (B5,), (v,))
    assert t == pytest.approx(jvp_fd(jacobi, [B5], 0, v), rel=1e-6)


# FINDINGS21 #3 (fixed): hessian of Jacobi relaxation with u_old = u * 1.0
def test_f03_hessian_jacobi_relaxation():
    check_hessian(jacobi, [B5])


# FINDINGS21 #3 (fixed): forward-mode jacobian of an Euler trajectory with prev = x * 1.0
def test_f03_jacobian_euler_trajectory():
    x0 = np.array([0.5, -0.3])
    J = srcgrad.jacobian(euler_trajectory)(x0)          # 8 outputs, 2 inputs: jvp columns
    close(J, jac_fd(euler_trajectory, [x0]))


# FINDINGS21 #3 (fixed): forward-mode jacobian of an explicit heat equation, un = u + src
def test_f03_jacobian_heat_equation():
    J = srcgrad.jacobian(heat_explicit)(U0, SRC)
    close(J.reshape(15, 5), jac_fd(heat_explicit, [U0, SRC]))


# FINDINGS21 #3 (fixed): jvp of flat = p.flatten() then p[0, 0] = ...
def test_f03_jvp_flatten_then_write():
    p = np.array([[0.3, -1.2], [0.7, 0.4]])
    v = np.array([[1.0, 0.0], [0.0, 0.0]])
    expected = jvp_fd(flatten_then_write, [p.copy()], 0, v)                    # 0.6
    _, t = srcgrad.jvp(flatten_then_write, (p.copy(),), (v,))                   # srcgrad: 0.0
    assert expected == pytest.approx(0.6)
    assert t == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------
# FINDINGS21 #4: hvp / hessian / jacobian(grad) of an array written in place
# after a copy (even .copy()), read as np.sum(t * x): the gradient's
# `dx = 1.0 * t` shares t's tangent, which the backward restore of t[0] changes.
# --------------------------------------------------------------------------

def masked_copy_dot(x):
    t = x.copy()
    t[0] = 5.0
    return np.sum(t * x)


def masked_copy_sin(x):
    y = np.sin(x)
    t = x.copy()
    t[0] = 0.0
    return np.sum(t * y)


def log_masked_in_place(x):
    l = np.log(x)
    l[x <= 0] = 0.0
    return np.sum(l * x)


X4 = np.array([0.3, -1.2, 0.7, 0.4])


def test_f04_grad_of_masked_copies_is_right():
    for f, a in [(masked_copy_dot, [X3]), (masked_copy_sin, [X4])]:
        check_all(f, a, hess=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = np.array([-1.0, 0.5, 2.0, -3.0])
        close(srcgrad.grad(log_masked_in_place)(x), [0.0, np.log(0.5) + 1.0, np.log(2.0) + 1.0, 0.0])


# FINDINGS21 #4 (fixed): hessian of t = x.copy(); t[0] = 5.0; sum(t * x): H[0,0] = 1, not 0
def test_f04_hessian_masked_copy_dot():
    H = srcgrad.hessian(masked_copy_dot)(X3)
    close(H, np.diag([0.0, 2.0, 2.0]))


# FINDINGS21 #4 (fixed): hvp of t = x.copy(); t[0] = 0; sum(t * sin(x))
def test_f04_hvp_masked_copy_sin():
    check_hessian(masked_copy_sin, [X4])


# FINDINGS21 #4 (fixed): hvp of log(x) zeroed in place where x <= 0: -1 and -inf where 0
def test_f04_hvp_log_masked_in_place():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = np.array([-1.0, 0.0, 0.5, 2.0, -3.0])
        v = np.array([1.0, -1.0, 0.5, 2.0, 0.3])
        hv = srcgrad.hvp(log_masked_in_place)(x, v)
    close(hv, [0.0, 0.0, 0.5 / 0.5, 2.0 / 2.0, 0.0])


def pinned_weight(x):
    w = np.exp(x)
    w[0] = 1.0
    return np.sum(w * x)


def boundary_energy(u):
    v = u * 1.0
    v[0] = 0.0
    v[-1] = 0.0
    lap = v[2:] - 2.0 * v[1:-1] + v[:-2]
    return 0.5 * np.sum(lap ** 2) + np.sum(v * u)


# FINDINGS21 #4 (fixed): hessian of w = exp(x); w[0] = 1.0; sum(w * x)
def test_f04_hessian_pinned_weight():
    check_hessian(pinned_weight, [X3])


# FINDINGS21 #4 (fixed): hessian of a Dirichlet energy with the boundary zeroed in a copy
def test_f04_hessian_boundary_energy():
    check_hessian(boundary_energy, [np.array([0.3, -1.2, 0.7, 1.5, 0.2])])


def history_of_states(x):
    hist = []
    a = x * 1.0
    for i in range(3):
        hist.append(a * 1.0)
        a[i] = np.sin(a[i])
    return np.sum(hist[0] * hist[1]) + np.sum(hist[2] * a)


def test_f03_grad_of_history_of_states_is_right():
    close(srcgrad.grad(history_of_states)(X3), fd_grad(history_of_states, [X3]))


# FINDINGS21 #3 (fixed): jvp of a history kept as hist.append(a * 1.0), a then written
def test_f03_jvp_history_of_states():
    v = np.array([1.0, 0.5, -0.3])
    _, t = srcgrad.jvp(history_of_states, (X3,), (v,))
    assert t == pytest.approx(jvp_fd(history_of_states, [X3], 0, v), rel=1e-6)     # -1.165, srcgrad -0.269


# --------------------------------------------------------------------------
# FINDINGS21 #5: grad at a Python int argument does not raise the
# OverflowError the function raises (value_and_grad, vjp and jvp do)
# --------------------------------------------------------------------------

def scaled_power(x):
    return x ** 20 * 1e-10


def half_square(x):
    y = x * x
    return 0.5 * y


def test_f05_the_other_transforms_raise_as_the_function_does():
    for f in (scaled_power, half_square):
        big = 10 ** 16 if f is scaled_power else 2 ** 600
        with pytest.raises(OverflowError):
            f(big)
        with pytest.raises(OverflowError):
            srcgrad.value_and_grad(f)(big)
        with pytest.raises(OverflowError):
            srcgrad.vjp(f, big)
        with pytest.raises(OverflowError):
            srcgrad.jvp(f, (big,), (1.0,))
    with pytest.raises(OverflowError):
        srcgrad.grad(scaled_power)(1e16)                # a float: grad raises as f does
    assert srcgrad.grad(scaled_power)(3) == pytest.approx(20 * 3 ** 19 * 1e-10)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #5: grad(f)(10**16) returns 2e+295 where f raises OverflowError")
def test_f05_grad_at_a_big_int_raises():
    with pytest.raises(OverflowError):
        srcgrad.grad(scaled_power)(10 ** 16)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #5: grad(0.5 * x * x) at 2**600 (an int) returns a float")
def test_f05_grad_of_half_square_at_a_big_int_raises():
    with pytest.raises(OverflowError):
        srcgrad.grad(half_square)(2 ** 600)


# --------------------------------------------------------------------------
# FINDINGS21 #6 (fixed in session 15): a copy made by fancy indexing (t[IDX],
# t[t > 0]) was refused as sharing memory with t when t is written afterwards
# --------------------------------------------------------------------------

PERM = np.array([2, 0, 1])


def permuted_then_write(x):
    t = x * 2.0
    u = t[PERM]
    t[0] = 5.0
    return np.sum(u * t)


def permuted_by_take_then_write(x):
    t = x * 2.0
    u = np.take(t, PERM)
    t[0] = 5.0
    return np.sum(u * t)


def test_f06_the_same_with_take_is_right():
    check_all(permuted_by_take_then_write, [X3], hess=False)


def test_f06_fancy_index_copy_then_write():  # FINDINGS21 #6, fixed
    check_all(permuted_then_write, [X3], hess=False)


# --------------------------------------------------------------------------
# FINDINGS21 #7: an array that does not depend on the differentiated
# argument, read by a product with it and then written in a loop (a scratch
# buffer reused, weights clamped entry by entry): the backward sweep reads the
# written array, not the values the product used.
# --------------------------------------------------------------------------

def scratch_buffer(theta, X):
    n = X.shape[0]
    buf = np.zeros(n)
    for i in range(n):
        buf[i] = X[i, 0] ** 2
    s = np.sum(buf * theta)
    for i in range(n):
        buf[i] = X[i, 1]
    s = s + np.sum(buf * theta ** 2)
    return s


def scratch_buffer_sliced(theta, X):
    buf = X[:, 0] ** 2
    s = np.sum(buf * theta)
    buf[:] = X[:, 1]
    s = s + np.sum(buf * theta ** 2)
    return s


def clamped_weights(theta, w):
    m = w * 1.0
    loss = np.sum(m * theta ** 2)
    for i in range(m.shape[0]):
        if m[i] < 0.0:
            m[i] = 0.0
    return loss + np.sum(m * theta)


def overwritten_in_loop(x, w):
    v = w * 1.0
    y = np.sum(v * x)
    for i in range(2):
        v[i] = 0.0
    return y


XS = np.random.default_rng(0).standard_normal((4, 2))
TH = np.array([0.3, -0.5, 0.8, 0.1])
WS = np.array([0.5, -0.3, 0.2, -0.1])


def test_f07_without_a_loop_or_wrt_the_written_array_right():
    check_all(scratch_buffer_sliced, [TH, XS], hess=True)
    x, w = np.array([-0.5, 0.2, -0.4]), np.array([0.37, -0.61, 0.23])
    close(srcgrad.grad(overwritten_in_loop, wrt=1)(x, w), fd_grad(overwritten_in_loop, [x, w], 1))
    _, t = srcgrad.jvp(scratch_buffer, (TH, XS), (np.ones(4), None))      # forward mode right
    assert t == pytest.approx(float(fd_grad(scratch_buffer, [TH, XS]) @ np.ones(4)), rel=1e-6)


# FINDINGS21 #7 (fixed): a scratch buffer reused by a second loop: grad reads the second contents
def test_f07_scratch_buffer_reused():
    close(srcgrad.grad(scratch_buffer)(TH, XS), fd_grad(scratch_buffer, [TH, XS]))


# FINDINGS21 #7 (fixed): weights clamped at 0 in a loop after use: grad 0 where the weight was negative
def test_f07_clamped_weights():
    close(srcgrad.grad(clamped_weights)(TH, WS), fd_grad(clamped_weights, [TH, WS]))


# FINDINGS21 #7 (fixed): v = w * 1.0; y = sum(v * x); v[i] = 0 in a loop: grad wrt x is [0, 0, 0.23]
def test_f07_minimal():
    x, w = np.array([-0.5, 0.2, -0.4]), np.array([0.37, -0.61, 0.23])
    close(srcgrad.grad(overwritten_in_loop)(x, w), w)
    _, pb = srcgrad.vjp(overwritten_in_loop, x, w)
    close(pb(1.0), w)


def boundary_after_energy(x):
    u = np.sin(x)
    energy = np.sum(u * u)
    for i in (0, 2):
        u[i] = 0.0             # the boundary condition, applied after the energy
    return energy + np.sum(u)


def boundary_after_energy_unrolled(x):
    u = np.sin(x)
    energy = np.sum(u * u)
    u[0] = 0.0
    u[2] = 0.0
    return energy + np.sum(u)


def test_f07_unrolled_boundary_right():
    check_all(boundary_after_energy_unrolled, [X3], hess=True)


# FINDINGS21 #7 (fixed): u = sin(x); e = sum(u * u); u[i] = 0 in a loop: the energy's gradient reads the zeros
def test_f07_boundary_applied_in_a_loop_after_use():
    check_all(boundary_after_energy, [X3], hess=False)


# --------------------------------------------------------------------------
# FINDINGS21 #8: a `pass` statement after an early exit (break, continue,
# an early return) crashes the compiler: AttributeError: 'Pass' object has
# no attribute 'lineno'
# --------------------------------------------------------------------------

def pass_after_break(x):
    for i in range(3):
        if x > 5.0:
            break
        x = x * 1.1
    if x > 0.3:
        pass            # nothing to do yet
    else:
        x = x * 2.0
    return x * x


def pass_after_early_return(x):
    if x > 5.0:
        return 0.0
    for i in range(2):
        pass
    return x * x


def pass_in_if_with_return_in_else(x):
    if x > 5.0:
        pass
    else:
        return x * 2.0
    return x * x


def test_f08_pass_without_an_early_exit_and_exits_without_pass_right():
    def no_exit(x):
        return x * x
    assert srcgrad.grad(no_exit)(0.37) == pytest.approx(0.74)
    check_all(newton_sqrt, [2.0], hess=True)


# FINDINGS21 #8 (fixed): `if ...: pass` after a loop with break: AttributeError 'Pass' ... 'lineno'
def test_f08_pass_after_break():
    assert srcgrad.grad(pass_after_break)(0.37) == pytest.approx(fd_grad(pass_after_break, [0.37]), rel=1e-6)


# FINDINGS21 #8 (fixed): `for ...: pass` after an early return: AttributeError
def test_f08_pass_after_early_return():
    assert srcgrad.grad(pass_after_early_return)(0.37) == pytest.approx(0.74)


# FINDINGS21 #8 (fixed): `if ...: pass` with a return in the else arm: AttributeError
def test_f08_pass_with_return_in_else():
    assert srcgrad.grad(pass_in_if_with_return_in_else)(0.37) == pytest.approx(2.0)


# --------------------------------------------------------------------------
# FINDINGS21 #9: an augmented assignment on a Python float refused as
# "may share memory" (a copy, then `+=`, in a loop with a swap)
# --------------------------------------------------------------------------

def ping_pong(x):
    cur = x
    nxt = 0.0
    for i in range(5):
        nxt = cur
        nxt += 0.1 * math.sin(cur)
        cur, nxt = nxt, cur
    return cur


def ping_pong_rebound(x):
    cur = x
    nxt = 0.0
    for i in range(5):
        nxt = cur
        nxt = nxt + 0.1 * math.sin(cur)
        cur, nxt = nxt, cur
    return cur


def test_f09_the_same_without_augmented_assignment_right():
    check_all(ping_pong_rebound, [0.7], hess=True)


def ping_pong_arrays(x):
    cur = x * 1.0
    nxt = x * 0.0
    for i in range(3):
        nxt = cur
        nxt += 0.1 * np.sin(cur)          # nxt is cur's array: += changes both
        cur, nxt = nxt, cur
    return np.sum(cur)


def test_f09_the_same_over_arrays_is_still_refused():
    with pytest.raises(srcgrad.SrcGradError, match="may share memory"):
        srcgrad.grad(ping_pong_arrays)(np.array([0.7, -0.2]))


# FINDINGS21 #9 (fixed): nxt = cur; nxt += ... over Python floats in a swap loop: refused, may share memory
def test_f09_float_augmented_assignment_after_copy():
    assert srcgrad.grad(ping_pong)(0.7) == pytest.approx(fd_grad(ping_pong, [0.7]), rel=1e-6)


# --------------------------------------------------------------------------
# What works (guards): the areas changed today
# --------------------------------------------------------------------------

def copies_rebound(x):
    a = x
    x = x * 2.0
    return np.sum(a * x)


def copies_in_loop(x):
    a = x
    for i in range(3):
        b = a
        a = a * 1.5 + x
        x = b * 0.5
    return np.sum(a * x + b)


def copies_in_branches(x):
    a = x
    if np.sum(x) > 0:
        a = x * 2.0
        b = a
    else:
        b = x
    a = a * 3.0
    return np.sum(a * b)


def folded_constants(x):
    dt = 0.01
    scale = 1.0
    c = 2.0 * 0.5
    k = 1.0 * 0.1
    y = x
    for i in range(4):
        y = y + dt * scale * c * np.sin(y) * k
    return np.sum(y ** 2)


def negative_and_power_of_two(x):
    c = -2.0
    d = c * 4.0
    e = -0.5 * d
    return np.sum(c * (4.0 * x) + d * x ** 2 + e * (8.0 * np.sin(x)) + 3.0 * (2.0 * x ** 1))


def float_mixed_constants(x, y):
    a = 2.0 * (4.0 * x)
    b = 0.5 * (2.0 * y)
    c = -3.0 * (8.0 * (x * y))
    d = 1.0 * (1.0 * (x - y))
    return a * b + c - d * d + 16.0 * (0.25 * (x ** 2))


def step_doubling(x):
    dt = 0.01
    scale = 1.0
    c = 2.0 * 0.5
    neg = -4.0
    y = x
    for i in range(5):
        y = y + dt * (neg * y + c * scale * math.sin(y))
        dt = dt * 2.0
    return y


def rosen_list(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def kepler(M, e):
    E = M
    for i in range(8):
        E = E - (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
    return E


@pytest.mark.parametrize("f, args, wrt", [
    (copies_rebound, [X3], 0), (copies_in_loop, [X3], 0), (copies_in_branches, [X3], 0),
    (copies_in_branches, [-X3], 0), (folded_constants, [X3], 0), (negative_and_power_of_two, [X3], 0),
    (float_mixed_constants, [0.7, -1.3], 0), (float_mixed_constants, [0.7, -1.3], 1),
    (step_doubling, [0.4], 0), (rosen_list, [[0.3, -1.2, 0.7, 1.1]], 0),
    (rosen_list, [np.array([0.3, -1.2, 0.7, 1.1])], 0), (kepler, [0.8, 0.3], 0), (kepler, [0.8, 0.3], 1),
])
def test_g01_constants_and_copies(f, args, wrt):
    check_all(f, args, wrt=wrt, hess=True)


def where_xlogx(x):
    c = 2.0 * 0.5
    return np.sum(np.where(x > 0, c * x * np.log(x), 0.0))


def where_sqrt_then_tanh(x):
    y = np.where(x > 0, np.sqrt(x), 0.0)
    return np.sum(np.tanh(y) * 2.0)


def sinc_sum(x):
    return np.sum(np.where(x != 0, np.sin(x) / x, 1.0))


def clip_log(x):
    return np.sum(np.clip(np.log(x), -1.0, 1.0))


def relu_log(x):
    return np.sum(np.maximum(0.0, np.log(x)) * 3.0)


def masked_assign_xlogx(x):
    m = x > 0
    out = np.zeros_like(x)
    out[m] = x[m] * np.log(x[m])
    return np.sum(out)


def branch_xlogx(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s = s + x[i] * np.log(x[i])
    return s


def test_g02_selections_at_infinite_partials():
    x = np.array([-1.0, 0.0, 0.5, 2.0, -3.0])
    v = np.array([1.0, -1.0, 0.5, 2.0, 0.3])
    expected = np.array([0.0, 0.0, np.log(0.5) + 1.0, np.log(2.0) + 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in (where_xlogx, masked_assign_xlogx, branch_xlogx):
            close(srcgrad.grad(f)(x), expected)
            close(srcgrad.vjp(f, x)[1](2.0), 2.0 * expected)
            assert srcgrad.jvp(f, (x,), (v,))[1] == pytest.approx(expected @ v)
            close(srcgrad.hvp(f)(x, v), [0.0, 0.0, 1.0, 1.0, 0.0])
        x0 = np.array([0.0, 1.0, 2.0, 0.0])
        close(srcgrad.grad(where_sqrt_then_tanh)(x0),
              [0.0, (1 - np.tanh(1.0) ** 2), (1 - np.tanh(np.sqrt(2.0)) ** 2) / np.sqrt(2.0), 0.0])
        close(srcgrad.grad(clip_log)(x0), [0.0, 1.0, 0.5, 0.0])
        close(srcgrad.grad(relu_log)(np.array([0.0, 3.0, 2.0, 0.0])), [0.0, 1.0, 1.5, 0.0])
        xs = np.array([0.0, 1.0, 2.0, -0.5])
        close(srcgrad.grad(sinc_sum)(xs), fd_grad(sinc_sum, [xs]))


def overflow_square(x):
    return x ** 2 * 0.5


def newton_sqrt(a):
    x = a
    for i in range(6):
        x = x - (x * x - a) / (2.0 * x)
    return x


def ratio(x, y):
    return x / (y - 1.0)


def test_g03_python_float_errors_raised_as_by_the_function():
    for f, args, err in [(overflow_square, (1.5e154,), OverflowError), (newton_sqrt, (0.0,), ZeroDivisionError),
                         (ratio, (1.0, 1.0), ZeroDivisionError)]:
        with pytest.raises(err):
            f(*args)
        for tr in (srcgrad.grad(f), srcgrad.value_and_grad(f), lambda *a: srcgrad.vjp(f, *a)[1](1.0),
                   lambda *a: srcgrad.jvp(f, a, tuple(1.0 for _ in a))):
            with pytest.raises(err):
                tr(*args)
    assert srcgrad.grad(overflow_square)(1e154) == 1e154             # x ** 2 = 1e308: no error
    assert srcgrad.grad(newton_sqrt)(2.0) == pytest.approx(0.5 / math.sqrt(2.0))


def mlp_loss(params, X, y):
    W1, b1, W2, b2 = params
    h = np.maximum(X @ W1 + b1, 0.0)
    out = h @ W2 + b2
    z = out - np.max(out, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(X.shape[0]), y])


def adam_logreg(w0, X, t):
    w = w0
    m = np.zeros_like(w0)
    v = np.zeros_like(w0)
    lr = 0.1
    b1 = 0.9
    b2 = 0.999
    for k in range(1, 4):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        g = X.T @ (p - t) / X.shape[0]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** k)) / (np.sqrt(v / (1 - b2 ** k)) + 1e-8)
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


def rk4(y0, k):
    dt = 0.05
    y = y0
    for i in range(10):
        k1 = -k * y + np.sin(y)
        k2 = -k * (y + 0.5 * dt * k1) + np.sin(y + 0.5 * dt * k1)
        k3 = -k * (y + 0.5 * dt * k2) + np.sin(y + 0.5 * dt * k2)
        k4 = -k * (y + dt * k3) + np.sin(y + dt * k3)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y ** 2)


def damped_spring(p):
    n = 20
    x = np.zeros(n)
    v = np.zeros(n)
    x[0] = p[0]
    v[0] = p[1]
    k = p[2]
    c = p[3]
    dt = 0.05
    for i in range(n - 1):
        a = -k * x[i] - c * v[i]
        v[i + 1] = v[i] + dt * a
        x[i + 1] = x[i] + dt * v[i + 1]
    return np.sum(x ** 2) * dt


def test_g04_realistic_programs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    params = (rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4) * 0.1,
              rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(3) * 0.1)
    check_all(mlp_loss, [params, X, np.array([0, 2, 1, 1, 0, 2])], hess=True)
    t = (rng.random(6) > 0.5).astype(float)
    check_all(adam_logreg, [np.array([0.1, -0.2, 0.3]), X, t], hess=True)
    check_all(rk4, [np.array([0.3, -0.5]), 1.3], wrt=0, hess=True)
    check_all(rk4, [np.array([0.3, -0.5]), 1.3], wrt=1, hess=True)
    check_all(damped_spring, [np.array([1.0, 0.2, 4.0, 0.3])], hess=True)
    check_hessian(damped_spring, [np.array([1.0, 0.2, 4.0, 0.3])])


def test_g05_scipy_minimize_with_srcgrad():
    scipy_optimize = pytest.importorskip("scipy.optimize")

    def rosen_arr(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    x0 = np.array([-1.2, 1.0, 0.5])
    r = scipy_optimize.minimize(rosen_list, x0, jac=srcgrad.grad(rosen_list), method="BFGS")
    assert r.success
    close(r.x, np.ones(3), rtol=1e-4, atol=1e-4)
    r2 = scipy_optimize.minimize(rosen_list, x0, jac=srcgrad.grad(rosen_list),
                                 hess=srcgrad.hessian(rosen_list), method="trust-exact")
    close(r2.x, np.ones(3), rtol=1e-4, atol=1e-4)


def repeated_with_writes(x):
    t = x * 1.0
    a = np.sum(t ** 2)
    t += 1.0
    b = np.sum(t ** 2)
    t *= t
    c = np.sum(t ** 2)
    return a + 2.0 * b + 3.0 * c


def repeated_rows(x):
    acc = np.zeros(3)
    for i in range(3):
        acc[i] = np.sum(x * x) * x[i]
        x2 = x * x
        acc[i] += np.sum(x2) * x[i]
    return np.sum(acc ** 2)


def repeated_floats(a, b):
    u = a * b + a
    v = a * b + a
    a = a * 2.0
    w = a * b + a
    return u * v + w


def test_g06_repeated_expressions():
    check_all(repeated_with_writes, [X3], hess=True)
    check_all(repeated_rows, [X3], hess=True)
    check_all(repeated_floats, [0.7, -1.3], hess=True)
    check_all(repeated_floats, [0.7, -1.3], wrt=1, hess=True)


def early_exit(x, k):
    if np.sum(x) > 0:
        y = x * k
        return np.sum(y ** 2)
    y = x
    for i in range(3):
        if np.max(y) > 5:
            return np.sum(y) * k
        y = y * 3.0 + np.sin(y) * k
    return np.sum(y * x)


def test_g07_transforms_in_any_order_agree():
    # normalisation works in place on its copy: builds in any order give the same numbers
    v = np.array([1.0, -0.5, 2.0])
    first = [srcgrad.hvp(early_exit)(-X3, 2.0, v), srcgrad.grad(early_exit, wrt=1)(-X3, 2.0),
             srcgrad.jvp(early_exit, (-X3, 2.0), (v, 0.5))[1], srcgrad.grad(early_exit)(-X3, 2.0)]
    check_all(early_exit, [-X3, 2.0], wrt=0, hess=True)
    check_all(early_exit, [-X3, 2.0], wrt=1, hess=True)
    check_all(early_exit, [X3, 2.0], wrt=0, hess=True)
    again = [srcgrad.hvp(early_exit)(-X3, 2.0, v), srcgrad.grad(early_exit, wrt=1)(-X3, 2.0),
             srcgrad.jvp(early_exit, (-X3, 2.0), (v, 0.5))[1], srcgrad.grad(early_exit)(-X3, 2.0)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
