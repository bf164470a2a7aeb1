"""srcgrad tried from outside (break22): nested loops, in-place writes, training loops.

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Programs as users write them: grid relaxation and particle simulators with
nested loops, trajectories written entry by entry, buffers written by slices
and repeated fancy indices, small nets with dict parameters and an optimiser
step inside the differentiated function, constants the printer and the
folder touch, notebook habits, and reduced programs from random-program
generators run from outside.  Every derivative is checked against central
differences in float64 (or srcgrad's own gradient checked against them
first), or a derivative derived by hand.

A finding that still fails is a strict xfail naming its number in FINDINGS22.md.
"""
import math

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, fd_dir, close, check_all, check_hessian


# --------------------------------------------------------------------------
# FINDINGS22 #1: a dict rebuilt in a loop and the loop's name rebound to it
# (plain SGD on a dict of parameters) is refused as sharing memory.
# --------------------------------------------------------------------------

def sgd_dict(p):
    for step in range(2):
        g = {"w": 2.0 * p["w"], "b": 3.0 * p["b"]}
        p = {k: p[k] - 0.1 * g[k] for k in p}
    return np.sum(p["w"] ** 2) + np.sum(p["b"] ** 2)


def sgd_dict_minimal(p):
    for step in range(2):
        p = {k: p[k] * 0.9 for k in p}
    return np.sum(p["b"] ** 2)


def sgd_dict_loop(p):
    for step in range(2):
        q = {}
        for k in p:
            q[k] = p[k] * 0.9
        p = q
    return np.sum(p["b"] ** 2)


def sgd_list(ws):
    for step in range(2):
        ws = [w * 0.9 for w in ws]
    return np.sum(ws[0] ** 2)


P1 = {"w": np.array([0.5, -1.0]), "b": np.array([0.3, 0.2])}


def test_f01_the_same_with_lists_or_outside_a_loop_right():
    close(srcgrad.grad(sgd_list)([P1["b"]]), fd_grad(sgd_list, ([P1["b"]],)))

    def once(p):
        q = {k: p[k] * 0.9 for k in p}
        q = {k: q[k] * 0.9 for k in q}
        return np.sum(q["b"] ** 2)
    close(srcgrad.grad(once)(P1), fd_grad(once, (P1,)))


# FINDINGS22 #1 (fixed in session 15): dict comprehension rebinding the loop's dict refused
def test_f01_sgd_on_a_dict_of_parameters():
    check_all(sgd_dict, (P1,))


# FINDINGS22 #1 (fixed in session 15): dict comprehension rebinding the loop's dict refused
def test_f01_minimal():
    close(srcgrad.grad(sgd_dict_minimal)(P1), fd_grad(sgd_dict_minimal, (P1,)))


# FINDINGS22 #1 (fixed in session 15): a new dict filled in a loop, then rebound, refused
def test_f01_new_dict_filled_then_rebound():
    close(srcgrad.grad(sgd_dict_loop)(P1), fd_grad(sgd_dict_loop, (P1,)))


# --------------------------------------------------------------------------
# FINDINGS22 #2: one entry of an array read into a name (`tmp = u[0]`,
# `left = u[i - 1]`, `c = U[0, 1]`) makes a later write into the array
# refused as sharing memory with that name.
# --------------------------------------------------------------------------

def swap_entries(x):
    u = x * 2.0
    tmp = u[0]
    u[0] = u[2]
    u[2] = tmp
    return np.sum(u * np.arange(1.0, 4.0))


def gauss_seidel_1d(b):
    u = np.zeros(b.shape[0])
    for it in range(3):
        for i in range(1, b.shape[0] - 1):
            left = u[i - 1]
            u[i] = 0.5 * (left + u[i + 1] + b[i])
    return np.sum(u ** 2)


def swap_2d(X):
    U = X * 2.0
    tmp = U[0, 1]
    U[0, 1] = U[1, 0]
    U[1, 0] = tmp
    return np.sum(U * np.arange(1.0, 5.0).reshape(2, 2))


X3 = np.array([0.3, -1.2, 0.7])


def test_f02_tuple_swap_and_copies_right():
    def tuple_swap(x):
        u = x * 2.0
        u[0], u[2] = u[2], u[0]
        return np.sum(u * np.arange(1.0, 4.0))

    def float_read(x):
        u = x * 2.0
        tmp = float(u[0])
        u[0] = u[2]
        u[2] = tmp
        return np.sum(u * np.arange(1.0, 4.0))
    for f in (tuple_swap, float_read):
        close(srcgrad.grad(f)(X3), fd_grad(f, (X3,)))


# FINDINGS22 #2 (fixed in session 15): tmp = u[0] then u[0] = ... refused
def test_f02_swap_two_entries():
    close(srcgrad.grad(swap_entries)(X3), fd_grad(swap_entries, (X3,)))


# FINDINGS22 #2 (fixed in session 15): left = u[i - 1] then u[i] = ... refused
def test_f02_gauss_seidel():
    b = np.array([0.3, -1.2, 0.7, 0.4, 1.0])
    close(srcgrad.grad(gauss_seidel_1d)(b), fd_grad(gauss_seidel_1d, (b,)))


# FINDINGS22 #2 (fixed in session 15): tmp = U[0, 1] then U[0, 1] = ... refused
def test_f02_swap_in_a_matrix():
    X = np.array([[0.3, -1.2], [0.7, 0.1]])
    close(srcgrad.grad(swap_2d)(X), fd_grad(swap_2d, (X,)))


# --------------------------------------------------------------------------
# FINDINGS22 #3: a loop with a `break` writing an entry at a computed index
# (`u[2 - i]`, `G[4 - t]`), differentiated with respect to an argument the
# loop does not involve: IndentationError from the generated code.
# --------------------------------------------------------------------------

def discounted_returns_loss(rewards, w, horizon):
    G = np.zeros(5)
    running = 0.0
    for t in range(5):
        running = rewards[4 - t] + 0.9 * running
        G[4 - t] = running
        if t + 1 >= horizon:
            break
    return np.sum(w * G)


def zero_from_the_end(x, a):
    u = x * 1.0
    for i in range(3):
        u[2 - i] = 0.0
        if i == 1:
            break
    return a * np.sum(u)


REW = np.array([1.0, 0.5, -0.2, 0.3, 0.8])
WR = np.array([0.2, -0.1, 0.4, 0.3, 0.5])


def test_f03_other_argument_vjp_jvp_right():
    close(srcgrad.grad(discounted_returns_loss)(REW, WR, 3),
          fd_grad(discounted_returns_loss, (REW, WR, 3)))
    assert srcgrad.vjp(zero_from_the_end, X3, 1.5, wrt=1)[1](1.0) == pytest.approx(0.3)
    assert srcgrad.jvp(zero_from_the_end, (X3, 1.5), (None, 1.0))[1] == pytest.approx(0.3)


# FINDINGS22 #3 (fixed in session 15): IndentationError from generated code
def test_f03_discounted_returns_grad_wrt_weights():
    close(srcgrad.grad(discounted_returns_loss, wrt=1)(REW, WR, 3),
          fd_grad(discounted_returns_loss, (REW, WR, 3), 1))


# FINDINGS22 #3 (fixed in session 15): IndentationError from generated code
def test_f03_minimal():
    assert srcgrad.grad(zero_from_the_end, wrt=1)(X3, 1.5) == pytest.approx(0.3)


# FINDINGS22 #3 (fixed in session 15): IndentationError from generated code
def test_f03_hvp():
    assert srcgrad.hvp(zero_from_the_end, wrt=1)(X3, 1.5, 1.0) == pytest.approx(0.0)


def triangle_then_break(x, a):
    t = 0.0
    for i in range(3):
        for j in range(i + 1):
            t = t + a * j
        if i == 1:
            break
    return t * x[0]


# FINDINGS22 #3 (fixed in session 15): IndentationError from generated code
def test_f03_nested_triangle_loop_with_break():
    close(srcgrad.grad(triangle_then_break)(X3, 0.7), fd_grad(triangle_then_break, (X3, 0.7)))


# --------------------------------------------------------------------------
# FINDINGS22 #4: a NumPy function of a Python float (`np.sqrt(a)`,
# `np.sin(a)`) counts as a possible array: `prev = s; s += ...` refused.
# --------------------------------------------------------------------------

def damped_fixed_point(a):
    s = np.sqrt(a) + 1.0
    for i in range(3):
        prev = s
        s += 0.1 * np.cos(prev)
    return s * prev


def test_f04_the_same_with_math_right():
    def with_math(a):
        s = math.sqrt(a) + 1.0
        for i in range(3):
            prev = s
            s += 0.1 * math.cos(prev)
        return s * prev
    assert srcgrad.grad(with_math)(0.7) == pytest.approx(fd_grad(with_math, (0.7,)), rel=1e-6)


# FINDINGS22 #4 (fixed in session 15): s += ... on a NumPy scalar refused as sharing memory
def test_f04_numpy_scalar_augmented_assignment():
    assert srcgrad.grad(damped_fixed_point)(0.7) == pytest.approx(
        fd_grad(damped_fixed_point, (0.7,)), rel=1e-6)


# --------------------------------------------------------------------------
# FINDINGS22 #5: `.copy()` of a dict or list argument: TypeError / ValueError
# from the generated gradient (the method is taken for ndarray.copy).
# --------------------------------------------------------------------------

def dict_copy_then_update(p):
    q = p.copy()
    q["w"] = q["w"] * 0.9
    return np.sum(q["w"] ** 2) + np.sum(q["b"] ** 2)


def list_copy_then_update(ws):
    q = ws.copy()
    q[0] = q[0] * 0.9
    return np.sum(q[0] ** 2) + np.sum(q[1] ** 2)


def test_f05_jvp_and_a_comprehension_copy_right():
    t = {"w": np.array([1.0, 0.0]), "b": np.zeros(2)}
    assert srcgrad.jvp(dict_copy_then_update, (P1,), (t,))[1] == pytest.approx(0.81)

    def comp_copy(p):
        q = {k: p[k] for k in p}
        q["w"] = q["w"] * 0.9
        return np.sum(q["w"] ** 2) + np.sum(q["b"] ** 2)
    close(srcgrad.grad(comp_copy)(P1), fd_grad(comp_copy, (P1,)))


# FINDINGS22 #5 (fixed in session 15): TypeError: unsupported operand type(s) for +: 'dict' and 'dict'
def test_f05_dict_copy_grad():
    close(srcgrad.grad(dict_copy_then_update)(P1), fd_grad(dict_copy_then_update, (P1,)))


# FINDINGS22 #5 (fixed in session 15): ValueError: zip() argument 2 is shorter than argument 1
def test_f05_list_copy_vjp():
    ws = [np.array([0.5, -1.0]), np.array([0.3, 0.2])]
    close(srcgrad.vjp(list_copy_then_update, ws)[1](1.0), fd_grad(list_copy_then_update, (ws,)))


# --------------------------------------------------------------------------
# FINDINGS22 #6: a counter stepped in an outer loop (`n += 1`), read as an
# index inside a nested loop (`forcing[n]`) and rebound after the outer loop
# (`for n in range(3)`, `n = 0`): the backward of the inner loop reads the
# after-loop value.  grad, value_and_grad, vjp wrong; jvp right.
# --------------------------------------------------------------------------

def substep_forcing(forcing, gain):
    x = 0.0
    n = 0
    while n < 4:
        n += 1
        for sub in range(2):
            x = x + 0.1 * (gain * forcing[n] - x)
    total = 0.0
    for n in range(3):
        total = total + x * forcing[n]
    return total


def counter_then_reset(xs, a):
    s = 0.0
    i = 0
    for step in range(2):
        i += 1
        for j in range(1):
            s = s + xs[i] * a
    i = 0
    return s


FORCING = np.array([0.3, 0.8, -0.6, 0.45, 1.1])


def test_f06_jvp_and_the_other_argument_right():
    assert srcgrad.jvp(substep_forcing, (FORCING, 0.7), (None, 1.0))[1] == pytest.approx(
        fd_grad(substep_forcing, (FORCING, 0.7), 1), rel=1e-7)
    close(srcgrad.grad(substep_forcing)(FORCING, 0.7), fd_grad(substep_forcing, (FORCING, 0.7)))

    def hoisted(forcing, gain):
        x = 0.0
        n = 0
        while n < 4:
            n += 1
            f = forcing[n]
            for sub in range(2):
                x = x + 0.1 * (gain * f - x)
        for n in range(3):
            x = x * 1.0
        return x
    assert srcgrad.grad(hoisted, wrt=1)(FORCING, 0.7) == pytest.approx(
        fd_grad(hoisted, (FORCING, 0.7), 1), rel=1e-7)


# FINDINGS22 #6 (fixed in session 15): inner loop's backward reads the counter's after-loop value
def test_f06_substeps_with_forcing_grad_wrt_gain():
    assert srcgrad.grad(substep_forcing, wrt=1)(FORCING, 0.7) == pytest.approx(
        fd_grad(substep_forcing, (FORCING, 0.7), 1), rel=1e-7)


# FINDINGS22 #6 (fixed in session 15): inner loop's backward reads the counter's after-loop value
def test_f06_minimal():
    assert srcgrad.grad(counter_then_reset, wrt=1)([0.3, 0.8, -0.6], 0.7) == pytest.approx(0.2)


# FINDINGS22 #6 (fixed in session 15): inner loop's backward reads the counter's after-loop value
def test_f06_vjp_arrays():
    out, pullback = srcgrad.vjp(counter_then_reset, np.array([0.3, 0.8, -0.6]), 0.7, wrt=1)
    assert pullback(1.0) == pytest.approx(0.2)


# --------------------------------------------------------------------------
# FINDINGS22 #7: an array read, then written in place (`v[0] = 0.0`), then
# rebound in a loop (`v = v * 3.0`): the backward of the read uses the loop's
# last value (the written entry alone is restored).  grad, vjp wrong; jvp and
# hvp right.
# --------------------------------------------------------------------------

def diffuse_after_pin(u0, w):
    u = np.sin(u0)
    loss = np.sum(w * u)
    u[0] = 0.0
    for step in range(3):
        u = u + 0.1 * (np.roll(u, 1) - u)
    return loss + np.sum(u ** 2)


def pin_then_rebind_in_loop(x, w):
    v = x * 2.0
    s = np.sum(w * v)
    v[0] = 0.0
    for i in range(2):
        v = v * 3.0
    return s


WP = np.array([0.5, -1.0, 2.0])


def test_f07_without_the_write_or_the_loop_or_in_forward_mode_right():
    def no_write(x, w):
        v = x * 2.0
        s = np.sum(w * v)
        for i in range(2):
            v = v * 3.0
        return s

    def no_loop(x, w):
        v = x * 2.0
        s = np.sum(w * v)
        v[0] = 0.0
        v = v * 9.0
        return s
    for f in (no_write, no_loop):
        close(srcgrad.grad(f, wrt=1)(X3, WP), 2.0 * X3)
    d = np.array([1.0, 0.5, -0.3])
    assert srcgrad.jvp(diffuse_after_pin, (X3, WP), (None, d))[1] == pytest.approx(
        float(np.dot(fd_grad(diffuse_after_pin, (X3, WP), 1), d)), rel=1e-7)
    close(srcgrad.grad(diffuse_after_pin)(X3, WP), fd_grad(diffuse_after_pin, (X3, WP)))


# FINDINGS22 #7 (fixed in session 15): backward reads the array's value after the loop
def test_f07_diffusion_after_pinning_grad_wrt_weights():
    close(srcgrad.grad(diffuse_after_pin, wrt=1)(X3, WP), fd_grad(diffuse_after_pin, (X3, WP), 1))


# FINDINGS22 #7 (fixed in session 15): backward reads the array's value after the loop
def test_f07_minimal():
    close(srcgrad.grad(pin_then_rebind_in_loop, wrt=1)(X3, WP), 2.0 * X3)


# FINDINGS22 #7 (fixed in session 15): backward reads the array's value after the loop
def test_f07_minimal_vjp():
    close(srcgrad.vjp(pin_then_rebind_in_loop, X3, WP, wrt=1)[1](1.0), 2.0 * X3)


# --------------------------------------------------------------------------
# FINDINGS22 #8: a list argument copied by a slice (`q = ws[:]`), then a slot
# of the copy rebound (`q[0] = ...`): refused as sharing memory with `ws`.
# --------------------------------------------------------------------------

def slice_copy_of_a_list(ws):
    q = ws[:]
    q[0] = q[0] * 0.9
    return np.sum(q[0] ** 2) + np.sum(q[1] ** 2)


def test_f08_list_copy_right():
    def list_copy(ws):
        q = list(ws)
        q[0] = q[0] * 0.9
        return np.sum(q[0] ** 2) + np.sum(q[1] ** 2)
    ws = [np.array([0.5, -1.0]), np.array([0.3, 0.2])]
    close(srcgrad.grad(list_copy)(ws), fd_grad(list_copy, (ws,)))


# FINDINGS22 #8 (fixed in session 15): q = ws[:] of a list, then q[0] = ..., refused
def test_f08_slice_copy_of_a_list():
    ws = [np.array([0.5, -1.0]), np.array([0.3, 0.2])]
    close(srcgrad.grad(slice_copy_of_a_list)(ws), fd_grad(slice_copy_of_a_list, (ws,)))
    close(srcgrad.grad(slice_copy_of_a_list)([0.5, -1.0]), [0.81, -2.0])


# --------------------------------------------------------------------------
# Guards: what works (nested-loop simulators, entry/slice/fancy writes,
# nets and training habits, constants, copies then writes).
# --------------------------------------------------------------------------

def grid_relax(u0):
    u = u0.copy()
    n, m = u.shape
    for it in range(2):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
    return np.sum(u ** 2)


def nbody(pos, vel):
    n = pos.shape[0]
    for step in range(2):
        acc = np.zeros_like(pos)
        for i in range(n):
            for j in range(n):
                if i != j:
                    d = pos[j] - pos[i]
                    r2 = np.sum(d * d) + 0.1
                    acc[i] = acc[i] + d / r2 ** 1.5
        vel = vel + 0.01 * acc
        pos = pos + 0.01 * vel
    return np.sum(pos ** 2) + np.sum(vel ** 2)


def inner_break_and_index_after(x):
    s = 0.0
    for i in range(3):
        acc = x[i]
        for j in range(4):
            acc = acc * 0.9 + math.sin(x[j])
            if acc > 2.0:
                break
        s = s + acc * (j + 1) + x[j] * x[i]
    return s


def trajectory(x0, v0):
    xs = np.zeros(6)
    vs = np.zeros(6)
    xs[0] = x0
    vs[0] = v0
    for i in range(5):
        vs[i + 1] = vs[i] - 0.1 * np.sin(xs[i])
        xs[i + 1] = xs[i] + 0.1 * vs[i + 1]
    return np.sum(xs ** 2) + xs[-1] * vs[-1]


IDX6 = np.array([0, 2, 0, 1, 2, 2])


def buffers(x):
    buf = np.zeros(8)
    for k in range(3):
        buf[k:k + 6] += np.sin(x * (k + 1))
        buf[k + 1] = buf[k] * buf[k + 2]
    out = np.zeros(3)
    out[IDX6] += x ** 2
    out[IDX6] = out[IDX6] * x
    y = x * 1.0
    m = x > 0.2
    y[m] = np.sqrt(x[m])
    return np.sum(buf ** 2) + np.sum(out * np.arange(1.0, 4.0)) + np.sum(y ** 2 * x)


def test_g01_nested_loop_simulators():
    rng = np.random.default_rng(1)
    check_all(grid_relax, (rng.standard_normal((4, 4)),))
    check_all(nbody, (rng.standard_normal((3, 2)), rng.standard_normal((3, 2))), hess=False)
    check_all(inner_break_and_index_after, (np.array([0.5, 0.8, 1.2, -0.3]),))


def test_g02_entry_slice_and_fancy_writes():
    check_all(trajectory, (0.7, -0.2))
    check_all(trajectory, (0.7, -0.2), wrt=1)
    x6 = np.array([0.3, -0.5, 0.9, 0.4, 1.2, 0.7])
    check_all(buffers, (x6,))
    check_hessian(buffers, (x6,))


def heat_history(u0, k):
    u = u0.copy()
    n = u.shape[0]
    hist = np.zeros((3, n))
    for t in range(3):
        un = u.copy()
        for i in range(1, n - 1):
            u[i] = un[i] + k * (un[i - 1] - 2.0 * un[i] + un[i + 1])
        u[0] = 0.0
        u[-1] = u[-2]
        hist[t] = u
    return hist


def test_g03_forward_jacobian_of_a_history():
    u0 = np.array([0.1, 0.5, 0.9, 0.4, 0.2])
    J = srcgrad.jacobian(heat_history)(u0, 0.3)
    ref = np.stack([fd_dir(heat_history, (u0, 0.3), 0, e).reshape(3, 5) for e in np.eye(5)], axis=-1)
    np.testing.assert_allclose(J, ref, atol=1e-8)


RNG = np.random.default_rng(3)
PM = {"W1": RNG.standard_normal((3, 4)) * 0.5, "b1": RNG.standard_normal(4) * 0.1,
      "W2": RNG.standard_normal((4, 2)) * 0.5, "b2": np.zeros(2)}
XM = RNG.standard_normal((5, 3))
TM = RNG.standard_normal((5, 2))


def mlp_loss_aux(p, x, t):
    h = np.tanh(x @ p["W1"] + p["b1"])
    y = h @ p["W2"] + p["b2"]
    return np.mean((y - t) ** 2), {"pred": y}


def adam_by_slots(p):
    m = {k: np.zeros_like(p[k]) for k in p}
    v = {k: np.zeros_like(p[k]) for k in p}
    q = {k: p[k] * 1.0 for k in p}
    for t in range(1, 3):
        for k in q:
            g = 2.0 * q[k] * np.cos(q[k])
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            q[k] = q[k] - 0.01 * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    return np.sum(np.sin(q["w"])) + np.sum(q["b"] ** 2)


def test_g04_nets_and_training_habits():
    (loss, aux), g = srcgrad.value_and_grad(mlp_loss_aux, has_aux=True)(PM, XM, TM)
    close(g, fd_grad(lambda p, x, t: mlp_loss_aux(p, x, t)[0], (PM, XM, TM)))
    np.testing.assert_allclose(aux["pred"], mlp_loss_aux(PM, XM, TM)[1]["pred"])
    check_all(adam_by_slots, (P1,))

    def rosen(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    x0 = np.array([0.3, -0.4, 1.1, 0.9])
    v = np.array([1.0, 2.0, -1.0, 0.5])
    H = srcgrad.hessian(rosen)(x0)
    np.testing.assert_allclose(srcgrad.hvp(rosen)(x0, v), H @ v, rtol=1e-10)
    np.testing.assert_allclose(srcgrad.jacobian(srcgrad.grad(rosen))(x0), H, rtol=1e-10)

    def s(x):
        return math.sin(x) * x ** 3 + math.exp(-x * x)
    x = 0.7
    d2 = (-math.sin(x) * x ** 3 + 6 * x ** 2 * math.cos(x) + 6 * x * math.sin(x)
          + (4 * x * x - 2) * math.exp(-x * x))
    assert srcgrad.grad(srcgrad.grad(s))(x) == pytest.approx(d2, rel=1e-12)

    def built(x, y):
        a = np.array([x, y, x * y])
        b = np.stack([a, a ** 2, np.array([y, 1.0, x])])
        return np.sum(b @ a) + np.linalg.det(b)
    check_all(built, (0.6, -1.3), hess=False)
    check_all(built, (0.6, -1.3), wrt=1, hess=False)


def negative_constants(x):
    s = 0.0
    for k in range(1, 5):
        s += (-1) ** (k + 1) * x ** k / k
    return (s - x ** 2 + (-1.5) * x + x ** -0.5 + 2.0 ** -x + (-x) ** 2 * (-3) ** 2
            + 1e300 * (4.0 * x) * 1e-300 + (-(-2.0)) ** x)


def copy_by_one_then_write(x):
    y = 1.0 * x
    y[0] = 3.0 * x[2]
    y[1:] *= 2.0
    return np.sum(y * x) + np.sum(np.sin(y))


def test_g05_constants_and_copies_then_writes():
    check_all(negative_constants, (0.6,))
    x = np.array([0.3, 1.2, 0.7])
    before = x.copy()
    check_all(copy_by_one_then_write, (x,))
    check_hessian(copy_by_one_then_write, (x,))
    np.testing.assert_array_equal(x, before)


# --------------------------------------------------------------------------
# FINDINGS22 #9: second order of a power with a loop index as exponent
# (`x ** k`, `xs[i] ** (k + 1)`) inside a nested loop, at a negative base:
# ValueError: math domain error from srcgrad's runtime (log of the base).
# --------------------------------------------------------------------------

def poly_fit_loss(c, xs, ys):
    err = 0.0
    for i in range(ys.shape[0]):
        pred = 0.0
        for k in range(3):
            pred = pred + c[k] * xs[i] ** (k + 1)
        err = err + (pred - ys[i]) ** 2
    return err


def nested_power(c, x):
    err = 0.0
    for i in range(2):
        pred = 0.0
        for k in range(2):
            pred = pred + c * x ** k
        err = err + pred ** 2
    return err


CP = np.array([0.5, -0.2, 0.1])
XP = np.array([-0.8, 0.3, 1.2, -1.5])
YP = np.array([0.1, 0.4, -0.3, 0.9])


def test_f09_first_order_and_positive_base_right():
    close(srcgrad.grad(poly_fit_loss)(CP, XP, YP), fd_grad(poly_fit_loss, (CP, XP, YP)))
    assert srcgrad.hvp(nested_power)(0.7, 0.5, 1.0) == pytest.approx(9.0)
    Phi = np.stack([np.abs(XP), XP ** 2, np.abs(XP) ** 3], 1)
    close(srcgrad.hessian(poly_fit_loss)(CP, np.abs(XP), YP), 2.0 * Phi.T @ Phi)


# FINDINGS22 #9 (fixed in session 15): ValueError: math domain error (log_or_zero)
def test_f09_hessian_of_a_polynomial_fit():
    Phi = np.stack([XP, XP ** 2, XP ** 3], 1)
    close(srcgrad.hessian(poly_fit_loss)(CP, XP, YP), 2.0 * Phi.T @ Phi)


# FINDINGS22 #9 (fixed in session 15): ValueError: math domain error (log_or_zero)
def test_f09_minimal_hvp():
    assert srcgrad.hvp(nested_power)(0.7, -0.5, 1.0) == pytest.approx(1.0)


# FINDINGS22 #9 (fixed in session 15): ValueError: math domain error (log_or_zero)
def test_f09_grad_of_grad():
    assert srcgrad.grad(srcgrad.grad(nested_power))(0.7, -0.5) == pytest.approx(1.0)


def clear_at_counter(x, a):
    v = x * 1.0
    n = 0
    for i in range(2):
        v[n % 3] = 0.5
        n = n + 1
    return a * np.sum(v)


# FINDINGS22 #3 (fixed in session 15): IndentationError from generated code
def test_f03_constant_written_at_a_counter_index():
    assert srcgrad.grad(clear_at_counter, wrt=1)(X3, 1.5) == pytest.approx(1.7)
