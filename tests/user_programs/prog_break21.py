"""The optimiser changes of session 14 tried from outside (break21).

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Programs as users write them: constants and copies (step sizes, `scale = 1.0`,
folded products, names copied then rebound, copies in loops and branches),
selections (`np.where`, `np.maximum`, `np.clip`, masks, fancy indexing) at
points where the unselected entries have infinite or NaN partials, Python-float
recurrences and the errors the function raises, repeated expressions with
in-place writes between, higher orders, and realistic programs (an MLP, Adam by
hand, RK4, a damped spring filled in place, Jacobi relaxation, an explicit heat
equation).  Every derivative is checked against central differences in float64
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #1: h = h in an `else: # linear layer` arm zeroes dh: grad wrt W1 off by 11.9")
def test_f01_mlp_linear_activation():
    close(srcgrad.grad(mlp_with_activation)(W1, W2, XB, "linear"),
          fd_grad(mlp_with_activation, [W1, W2, XB, "linear"]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #1: `else: g = g` in gradient clipping: grad 0.48, expected 0.384")
def test_f01_clipped_step_untaken_clip():
    check_all(clipped_step, [np.array([0.3, -1.2, 0.7]), 0.1], hess=False)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #1: a = sin(x); a = a; return a: grad 0.0")
def test_f01_self_assignment_of_a_float():
    assert srcgrad.grad(sine_then_self)(0.37) == pytest.approx(math.cos(0.37))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #1: h = h at the top of a loop body: vjp 0.049, expected 0.194")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #2: omega reset after an adaptive relaxation loop: grad 0.4879, expected 0.4739")
def test_f02_relaxation_factor_reset_after_loop():
    assert srcgrad.grad(relax_scalar)(0.9) == pytest.approx(fd_grad(relax_scalar, [0.9]), rel=1e-6)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #2: the same over arrays")
def test_f02_relaxation_factor_reset_after_loop_arrays():
    x = np.array([0.9, 0.5])
    close(srcgrad.grad(relax_array)(x), fd_grad(relax_array, [x]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #2: d = (2.0 + a) * x in a loop, a rebound on a branch and after: 6.185, expected 2.37")
def test_f02_minimal():
    assert srcgrad.grad(halving_in_loop)(0.37) == pytest.approx(2.37, rel=1e-9)


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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: jvp of u = t * 1.0 then t[0] = ...: u's tangent changes with t's")
def test_f03_jvp_copy_by_one_then_write():
    _, t = srcgrad.jvp(copy_by_one_then_write, (X3,), (E1,))
    assert t == pytest.approx(jvp_fd(copy_by_one_then_write, [X3], 0, E1), rel=1e-6)   # 7.4, srcgrad 5.0


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: jvp of u = t + 1.0 then t[0] = ...")
def test_f03_jvp_shift_then_write():
    _, t = srcgrad.jvp(shifted_then_write, (X3,), (E1,))
    assert t == pytest.approx(jvp_fd(shifted_then_write, [X3], 0, E1), rel=1e-6)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: jvp of Jacobi relaxation with u_old = u * 1.0")
def test_f03_jvp_jacobi_relaxation():
    v = np.array([1.0, -0.5, 0.3, 2.0, 0.7])
    _, t = srcgrad.jvp(jacobi, (B5,), (v,))
    assert t == pytest.approx(jvp_fd(jacobi, [B5], 0, v), rel=1e-6)


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: hessian of Jacobi relaxation with u_old = u * 1.0")
def test_f03_hessian_jacobi_relaxation():
    check_hessian(jacobi, [B5])


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: forward-mode jacobian of an Euler trajectory with prev = x * 1.0")
def test_f03_jacobian_euler_trajectory():
    x0 = np.array([0.5, -0.3])
    J = srcgrad.jacobian(euler_trajectory)(x0)          # 8 outputs, 2 inputs: jvp columns
    close(J, jac_fd(euler_trajectory, [x0]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: forward-mode jacobian of an explicit heat equation, un = u + src")
def test_f03_jacobian_heat_equation():
    J = srcgrad.jacobian(heat_explicit)(U0, SRC)
    close(J.reshape(15, 5), jac_fd(heat_explicit, [U0, SRC]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: jvp of flat = p.flatten() then p[0, 0] = ...")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #4: hessian of t = x.copy(); t[0] = 5.0; sum(t * x): H[0,0] = 1, not 0")
def test_f04_hessian_masked_copy_dot():
    H = srcgrad.hessian(masked_copy_dot)(X3)
    close(H, np.diag([0.0, 2.0, 2.0]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #4: hvp of t = x.copy(); t[0] = 0; sum(t * sin(x))")
def test_f04_hvp_masked_copy_sin():
    check_hessian(masked_copy_sin, [X4])


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #4: hvp of log(x) zeroed in place where x <= 0: -1 and -inf where 0")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #4: hessian of w = exp(x); w[0] = 1.0; sum(w * x)")
def test_f04_hessian_pinned_weight():
    check_hessian(pinned_weight, [X3])


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #4: hessian of a Dirichlet energy with the boundary zeroed in a copy")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #3: jvp of a history kept as hist.append(a * 1.0), a then written")
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
# FINDINGS21 #6: a copy made by fancy indexing (t[IDX], t[t > 0]) is refused
# as sharing memory with t when t is written afterwards
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #6: u = t[PERM] then t[0] = ...: refused, 't' may share memory with 'u'")
def test_f06_fancy_index_copy_then_write():
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #7: a scratch buffer reused by a second loop: grad reads the second contents")
def test_f07_scratch_buffer_reused():
    close(srcgrad.grad(scratch_buffer)(TH, XS), fd_grad(scratch_buffer, [TH, XS]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #7: weights clamped at 0 in a loop after use: grad 0 where the weight was negative")
def test_f07_clamped_weights():
    close(srcgrad.grad(clamped_weights)(TH, WS), fd_grad(clamped_weights, [TH, WS]))


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #7: v = w * 1.0; y = sum(v * x); v[i] = 0 in a loop: grad wrt x is [0, 0, 0.23]")
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


@pytest.mark.xfail(strict=True, reason="FINDINGS21 #7: u = sin(x); e = sum(u * u); u[i] = 0 in a loop: the energy's gradient reads the zeros")
def test_f07_boundary_applied_in_a_loop_after_use():
    check_all(boundary_after_energy, [X3], hess=False)
