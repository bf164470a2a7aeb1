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
# later iteration reads: the write's adjoint is dropped. (Fixed in session 17.)
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


def test_f01_grad():
    close(srcgrad.grad(loop_over_list_writing_a_later_slot)(fresh(WS)), [7.0, 2.0])


def test_f01_vjp():
    out, pb = srcgrad.vjp(loop_over_list_writing_a_later_slot, fresh(WS))
    assert out == 10.0
    close(pb(1.0), [7.0, 2.0])


def test_f01_hvp():
    # f = w0^2 + w0 w1: H = [[2, 1], [1, 0]]
    close(srcgrad.hvp(loop_over_list_writing_a_later_slot)(fresh(WS), [1.0, 0.0]), [2.0, 1.0])


def test_f01_list_copy_of_floats():
    xs = [0.5, -1.0, 2.0]
    close(srcgrad.grad(loop_over_list_copy)(fresh(xs)), [4.0, 1.0, 3.0])


def test_f01_staged_layers():
    rng = np.random.default_rng(0)
    P = [rng.standard_normal((2, 2)) for _ in range(3)]
    x = np.array([0.5, -0.3])
    close(srcgrad.grad(staged_layers)(fresh(P), x), fd(staged_layers, (P, x)))


def test_f01_argument_list_and_dict_right():
    """The argument list itself and a dict comprehension iterated by key are
    right (and were before the fix of #1)."""
    def arg_list(ws):
        h = 1.0
        for w in ws:
            h = h * w
            ws[1] = ws[1] + w
        return h
    close(srcgrad.grad(arg_list)(fresh(WS)), [7.0, 2.0])

    def dict_loop(d):
        q = {k: d[k] * 1.0 for k in d}
        h = 1.0
        for k in q:
            h = h * q[k]
            q["b"] = q["b"] + q[k]
        return h
    g = srcgrad.grad(dict_loop)({"a": 2.0, "b": 3.0})
    close([g["a"], g["b"]], [7.0, 2.0])


def reversed_list_loop(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for w in reversed(ls):
        h = h * w
        ls[0] = ls[0] + w
    return h                       # w1 * (w0 + w1)


def zip_list_loop(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for w, c in zip(ls, [1.0, 2.0]):
        h = h * w * c
        ls[1] = w * 5.0
    return h                       # 2 * w0 * 5 w0 = 10 w0^2


def test_f01_reversed_and_zip():
    close(srcgrad.grad(reversed_list_loop)(fresh(WS)), [3.0, 8.0])
    close(srcgrad.grad(zip_list_loop)(fresh(WS)), [40.0, 0.0])


def enumerate_scaling_the_next_item(ws):
    ls = list(ws)
    s = 0.0
    for i, w in enumerate(ls):
        s = s + w * w
        if i + 1 < len(ls):
            ls[i + 1] = ls[i + 1] * w      # the next iteration's w
    return s                               # w0^2 + (w0 w1)^2


def dict_sgd_steps(ws):
    p = {"a": ws[0] * 1.0, "b": ws[1] * 1.0}
    q = {k: v * 2.0 for k, v in p.items()}
    s = 0.0
    for k in q:
        s = s + q[k] ** 2
        q[k] = q[k] - 0.1 * s              # a mapping's entry: the keys stay as they are
    return s + q["a"] * q["b"]


def rebinding_the_list_it_runs_over(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for w in ls:
        h = h * w
        ls[1] = ls[1] + w
        ls = list(ls)
    return h


def test_f01_fixed_more_forms():
    """Session 17: the items are read as they are when the loop comes to them
    (`w = ls[i] if _s1 is ls else _s1[i]`). enumerate was wrong as well ([4, 12]);
    a dict's entries written by key stay right; a loop that also rebinds the list
    it runs over is refused with a located error."""
    close(srcgrad.grad(enumerate_scaling_the_next_item)(fresh(WS)), [40.0, 24.0])
    close(srcgrad.grad(enumerate_scaling_the_next_item)(fresh(WS)), fd(enumerate_scaling_the_next_item, (WS,)))
    assert srcgrad.jvp(enumerate_scaling_the_next_item, (fresh(WS),), ([1.0, 0.0],))[1] == pytest.approx(40.0)
    close(srcgrad.grad(dict_sgd_steps)(fresh(WS)), fd(dict_sgd_steps, (WS,)))
    with pytest.raises(srcgrad.SrcGradError, match=r"changes 'ls' in place while the loop on line \d+ runs over it"):
        srcgrad.grad(rebinding_the_list_it_runs_over)(fresh(WS))


# --------------------------------------------------------------------------
# FINDINGS24 #2: hvp / hessian / jvp(grad) of a loop over a list the function
# made, followed by a comprehension over that list: ValueError in unbroadcast_to.
# (Fixed in session 17: the tangent of an adjoint's missing entry stays missing.)
# --------------------------------------------------------------------------

def decay_after_loop(ws):
    ls = [w * 1.0 for w in ws]
    s = 0.0
    for w in ls:
        s = s + np.sum(w * w)
    ls = [v * 0.5 for v in ls]
    return s + np.sum(ls[0])


A2 = [np.array([1.0, 2.0]), np.array([0.5, -1.0])]
V2 = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]


def test_f02_grad_right():
    close(srcgrad.grad(decay_after_loop)(fresh(A2)), [2 * A2[0] + 0.5, 2 * A2[1]])
    close(fd(decay_after_loop, (A2,)), [2 * A2[0] + 0.5, 2 * A2[1]])


def test_f02_hvp():
    close(srcgrad.hvp(decay_after_loop)(fresh(A2), V2), [2.0 * V2[0], 2.0 * V2[1]])


def test_f02_hessian():
    H = srcgrad.hessian(decay_after_loop)(fresh(A2))
    close(srcgrad.jvp(srcgrad.grad(decay_after_loop), (fresh(A2),), (V2,))[1], [2.0 * V2[0], 2.0 * V2[1]])
    assert H is not None


# --------------------------------------------------------------------------
# FINDINGS24 #3: an item of a list read into a name, then an append to the
# list, is refused ("this append changes 'hist' in place, but 'hist' may
# share memory with 'x'"); an append changes no item.
# --------------------------------------------------------------------------

def history_by_last_item(x0):
    hist = [x0 * 1.0]
    for t in range(3):
        x = hist[-1]
        hist.append(x - 0.1 * x ** 3)
    return np.sum(hist[-1] ** 2)


def history_by_index(x0):
    xs = [x0]
    for t in range(3):
        x = xs[t]
        xs.append(x - 0.1 * x ** 3)
    return np.sum(xs[-1] ** 2)


def append_after_loop(ws):
    ls = [w * 1.0 for w in ws]
    h = 1.0
    for w in ls:
        h = h * w
    ls.append(h)
    return sum(ls)


def test_f03_the_same_without_the_name_right():
    def inline(x0):
        hist = [x0 * 1.0]
        for t in range(3):
            hist.append(hist[-1] - 0.1 * hist[-1] ** 3)
        return np.sum(hist[-1] ** 2)
    x = np.array([0.5, -1.0])
    check_all(inline, (x,))
    close(fd(history_by_last_item, (x,)), srcgrad.grad(inline)(x))

    def concat_after_loop(ws):
        ls = [w * 1.0 for w in ws]
        h = 1.0
        for w in ls:
            h = h * w
        ls = ls + [h]
        return sum(ls)
    close(srcgrad.grad(concat_after_loop)([2.0, 3.0]), [4.0, 3.0])


# FINDINGS24 #3 fixed (session 18): an append changes no item, so names bound
# only to items read out of the list (`x = hist[-1]`, a loop's `w`) are not
# taken to change with it.

def test_f03_history_by_last_item():
    x = np.array([0.5, -1.0])
    close(srcgrad.grad(history_by_last_item)(x), fd(history_by_last_item, (x,)))
    value, pull = srcgrad.vjp(history_by_last_item, x)
    close(pull(2.0), 2.0 * fd(history_by_last_item, (x,)))
    v = np.array([1.0, 0.0])
    g = srcgrad.grad(history_by_last_item)
    h = 1e-5
    close(srcgrad.hvp(history_by_last_item)(x, v), (g(x + h * v) - g(x - h * v)) / (2 * h), rtol=1e-5)


def test_f03_history_by_index_floats():
    close(srcgrad.grad(history_by_index)(0.7), fd(history_by_index, (0.7,)))
    close(srcgrad.grad(history_by_index)(np.array([0.7, -0.2])),
          fd(history_by_index, (np.array([0.7, -0.2]),)))


def test_f03_append_after_loop():
    close(srcgrad.grad(append_after_loop)([2.0, 3.0]), [4.0, 3.0])


def test_f03_an_append_the_other_name_sees_still_refused():
    def same_list(x):
        hist = [x * 1.0]
        other = hist                  # the same list: the append changes `other` too
        hist.append(x * 2.0)
        return sum(other) + x

    def into_an_item(x):
        rows = [[x * 1.0], [x * 2.0]]
        r = rows[0]                   # an item that is a list: appending to it changes rows[0]
        r.append(x * 3.0)
        return sum(rows[0])
    for f in (same_list, into_an_item):
        try:
            got = srcgrad.grad(f)(0.5)
        except srcgrad.SrcGradError as err:
            assert "may share memory" in str(err)
        else:
            close(got, fd(f, (0.5,)))


# --------------------------------------------------------------------------
# FINDINGS24 #4: a nested (local) helper's result is taken to share memory
# with its argument: an RK4 step with a local right-hand side returning
# np.array([...]) is refused; the same helper at module level is right.
# --------------------------------------------------------------------------

def rhs_module(y, p):
    return np.array([y[1], -p[0] * y[0] - p[1] * y[1] ** 3])


def rk4_module_rhs(y0, p):
    n, h = 8, 0.1
    ys = np.zeros((n + 1, 2))
    ys[0] = y0
    for i in range(n):
        k1 = rhs_module(ys[i], p)
        k2 = rhs_module(ys[i] + h / 2 * k1, p)
        k3 = rhs_module(ys[i] + h / 2 * k2, p)
        k4 = rhs_module(ys[i] + h * k3, p)
        ys[i + 1] = ys[i] + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(ys[:, 0] ** 2)


def rk4_local_rhs(y0, p):
    n, h = 8, 0.1
    ys = np.zeros((n + 1, 2))
    ys[0] = y0

    def rhs(y):
        return np.array([y[1], -p[0] * y[0] - p[1] * y[1] ** 3])
    for i in range(n):
        k1 = rhs(ys[i])
        k2 = rhs(ys[i] + h / 2 * k1)
        k3 = rhs(ys[i] + h / 2 * k2)
        k4 = rhs(ys[i] + h * k3)
        ys[i + 1] = ys[i] + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(ys[:, 0] ** 2)


Y0 = np.array([1.0, 0.2])
P0 = np.array([2.0, 0.3])


def test_f04_module_level_rhs_right():
    check_all(rk4_module_rhs, (Y0, P0), wrt=0)
    check_all(rk4_module_rhs, (Y0, P0), wrt=1, hess=False)
    assert rk4_local_rhs(Y0, P0) == pytest.approx(rk4_module_rhs(Y0, P0), rel=1e-14)


def test_f04_local_rhs():
    # fixed in session 18: what a nested helper returns is analysed as a module-level one's
    close(srcgrad.grad(rk4_local_rhs)(Y0, P0), fd(rk4_local_rhs, (Y0, P0)))
    close(srcgrad.grad(rk4_local_rhs, wrt=1)(Y0, P0), fd(rk4_local_rhs, (Y0, P0), wrt=1))


# --------------------------------------------------------------------------
# FINDINGS24 #5: the result of an index that copies (x[order] with order a
# local index array, x[np.argsort(x)]) written afterwards is refused, while a
# write into the indexed array itself is accepted.
# --------------------------------------------------------------------------

def sort_then_write_result(x):
    t = x * 1.0
    a = t[np.argsort(t)]
    a[0] = 0.0                         # drop the smallest
    return np.sum(a * np.arange(1.0, 6.0)) + np.sum(t ** 2)


def sort_by_name_then_write(x):
    order = np.argsort(x)
    a = x[order]
    for i in range(1, a.shape[0]):
        a[i] = a[i] + 0.5 * a[i - 1]   # a running blend of the sorted values
    return np.sum(a * np.arange(1.0, 6.0))


X5 = np.array([0.5, -1.0, 0.7, 0.3, 1.1])


def test_f05_writing_the_indexed_array_right():
    def write_source(x):
        t = x * 1.0
        a = t[np.argsort(t)]
        t[0] = 0.0
        return np.sum(a * np.arange(1.0, 6.0)) + np.sum(t ** 2)
    check_all(write_source, (X5,), hess=False)

    def mask_by_name(x):
        m = x > 0
        a = x[m]
        a[0] = 0.0
        return np.sum(a ** 2)
    check_all(mask_by_name, (X5,), hess=False)


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS24 #5: a = t[np.argsort(t)]; a[0] = 0.0 refused (a may share memory with t)")
def test_f05_write_the_sorted_copy():
    close(srcgrad.grad(sort_then_write_result)(X5), fd(sort_then_write_result, (X5,)))


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS24 #5: order = np.argsort(x); a = x[order]; a[i] = ... refused")
def test_f05_sort_by_name_then_write():
    close(srcgrad.grad(sort_by_name_then_write)(X5), fd(sort_by_name_then_write, (X5,)))


# --------------------------------------------------------------------------
# FINDINGS24 #6: y = ys[i] (a row view) then ys[i + 1] = ... : the run-time
# entry check refuses, saying the row "would change too"; it does not.
# --------------------------------------------------------------------------

def euler_by_row(y0, p):
    ys = np.zeros((6, 2))
    ys[0] = y0
    for i in range(5):
        y = ys[i]
        ys[i + 1] = y + 0.1 * (-p * y)
    return np.sum(ys[:, 0] ** 2)


def test_f06_one_dimensional_and_copy_right():
    def euler_1d(y0, p):
        ys = np.zeros(6)
        ys[0] = y0
        for i in range(5):
            y = ys[i]
            ys[i + 1] = y + 0.1 * (-p * y)
        return np.sum(ys ** 2)
    check_all(euler_1d, (1.0, 2.0))

    def euler_copy(y0, p):
        ys = np.zeros((6, 2))
        ys[0] = y0
        for i in range(5):
            y = ys[i].copy()
            ys[i + 1] = y + 0.1 * (-p * y)
        return np.sum(ys[:, 0] ** 2)
    check_all(euler_copy, (Y0, P0))
    assert euler_by_row(Y0, P0) == euler_copy(Y0, P0)


def test_f06_euler_by_row():
    # fixed in session 18: the run-time check looks at the part of ys the write changes
    close(srcgrad.grad(euler_by_row)(Y0, P0), fd(euler_by_row, (Y0, P0)))
    close(srcgrad.grad(euler_by_row, wrt=1)(Y0, P0), fd(euler_by_row, (Y0, P0), wrt=1))
    check_all(euler_by_row, (Y0, P0), wrt=0)  # every mode, hvp and jvp included


def test_f06_a_write_into_the_row_read_still_refused():
    def same_row(y0):
        ys = np.zeros((4, 2))
        ys[0] = y0
        for i in range(3):
            y = ys[i]
            ys[i] = y * 2.0          # the row y views
            ys[i + 1] = ys[i] + 1.0
        return np.sum(ys ** 2)

    def entry_by_entry(y0):
        ys = np.zeros((4, 2))
        ys[0] = y0
        for i in range(3):
            y = ys[i]
            ys[i + 1, 0] = y[0] + y[1]   # another row's entries: y stays as it was
            ys[i + 1, 1] = y[1] * 0.5
        return np.sum(ys ** 2)
    with pytest.raises(srcgrad.SrcGradError, match="is a view of it"):
        srcgrad.grad(same_row)(Y0)
    close(srcgrad.grad(entry_by_entry)(Y0), fd(entry_by_entry, (Y0,)))


def pairs_of_layers(params, x):
    ps = [(W * 1.0, b * 1.0) for W, b in params]
    h = x
    for k, (W, b) in enumerate(ps):
        h = np.tanh(W @ h + b)
        if k + 1 < len(ps):
            ps[k + 1] = (ps[k + 1][0] + 0.1 * W, ps[k + 1][1])
    return np.sum(h ** 2)


def test_f01_pairs_of_layers():
    rng = np.random.default_rng(0)
    P = [(rng.standard_normal((2, 2)), rng.standard_normal(2)) for _ in range(3)]
    x = np.array([0.5, -0.3])
    close(srcgrad.grad(pairs_of_layers)(fresh(P), x), fd(pairs_of_layers, (P, x)))


# --------------------------------------------------------------------------
# What works (guards): simulators, in-place loop patterns, nets, Python-float
# lists and argument kinds, the cache, errors as the function raises them.
# --------------------------------------------------------------------------

def springs(x0, k):
    n = 12
    xs = np.zeros((n + 1, x0.shape[0]))
    vs = np.zeros((n + 1, x0.shape[0]))
    xs[0] = x0
    dt = 0.05
    for i in range(n):
        vs[i + 1] = vs[i] + dt * (-k * xs[i])
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs[-1] ** 2) + 0.1 * np.sum(vs ** 2)


def pendulum(theta0, L):
    n = 20
    th = np.zeros(n + 1)
    om = np.zeros(n + 1)
    th[0] = theta0
    for i in range(n):
        om[i + 1] = om[i] - 0.02 * 9.81 / L * np.sin(th[i])
        th[i + 1] = th[i] + 0.02 * om[i + 1]
    return th[n] ** 2 + np.mean(om[1:] ** 2)


def particles(pos, vel):
    n = pos.shape[0]
    acc = np.zeros_like(pos)
    for step in range(2):
        acc[:] = 0.0
        for i in range(n):
            for j in range(n):
                if i != j:
                    d = pos[j] - pos[i]
                    r2 = np.sum(d * d) + 0.1
                    acc[i] += d / r2 ** 1.5
        vel = vel + 0.01 * acc
        pos = pos + 0.01 * vel
    return np.sum(pos ** 2)


def test_g_simulators():
    x0, k = np.array([0.3, -0.5, 1.0]), np.array([1.0, 2.0, 0.5])
    check_all(springs, (x0, k), wrt=0)
    check_all(springs, (x0, k), wrt=1, hess=False)
    check_all(pendulum, (0.4, 1.3), wrt=1)
    check_all(pendulum, (np.array(0.4), 1.3), wrt=0, hess=False)
    P = np.array([[0.0, 0.1], [1.0, 0.3], [0.2, 1.1]])
    check_all(particles, (P, np.full((3, 2), 0.1)), wrt=0, hess=False)


def prefix_in_place(x):
    a = x * 1.0
    for i in range(1, a.shape[0]):
        a[i] += a[i - 1]
    return np.sum(a ** 2)


def masks_in_a_loop(x):
    a = x * 1.0
    for it in range(3):
        m = a > 0.2
        a[m] = a[m] * 0.5 + 0.1
        a[~m] += 0.3 * a[~m] ** 2
    return np.sum(a ** 3)


def slices_in_a_loop(x):
    a = x * 1.0
    for i in range(1, a.shape[0]):
        a[i:] += 0.5 * a[i - 1]
        a[:i] *= 0.9
    return np.sum(a ** 2)


IDX = np.array([0, 2, 0, 1])


def duplicate_fancy(x):
    a = np.zeros(3)
    a[IDX] += x                      # repeated index: the last write wins
    b = x[:3] * 1.0
    b[[0, 0, 1]] += b[[1, 2, 2]] * 2.0
    return np.sum(a * np.array([1.0, 2.0, 3.0])) + np.sum(b ** 2)


def scatter_rows(X, idx):
    A = X * 1.0
    for t in range(idx.shape[0]):
        A[idx[t]] = A[idx[t]] * 0.9 + 0.1 * np.sum(A, axis=0)
    out = np.zeros((2, A.shape[1]))
    for i in range(A.shape[0]):
        out[i % 2] += A[i] ** 2
    return np.sum(np.sin(out))


def running_max(x):
    a = np.zeros_like(x)
    a[0] = x[0]
    for i in range(1, x.shape[0]):
        a[i] = max(a[i - 1], x[i])
    return np.sum(a * np.arange(1.0, x.shape[0] + 1))


X4 = np.array([0.5, -1.0, 0.7, 0.3])


def test_g_in_place_loops():
    for f in (prefix_in_place, masks_in_a_loop, slices_in_a_loop, duplicate_fancy, running_max):
        check_all(f, (X4,))
    X = np.random.default_rng(5).standard_normal((4, 3))
    check_all(scatter_rows, (X, np.array([0, 2, 2, 1, 3])))


def mlp(params, X, Y):
    h = X
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i < len(params) - 1:
            h = np.maximum(h, 0.0)
    z = h - np.max(h, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def rnn(p, xs):
    h = np.zeros(p["Wh"].shape[0])
    hs = np.zeros((xs.shape[0], h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(p["Wh"] @ h + p["Wx"] @ xs[t] + p["b"])
        hs[t] = h
    return np.sum(hs ** 2) / xs.shape[0] + np.sum(h)


def test_g_nets():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((4, 5)) * 0.5, np.zeros(5)),
              (rng.standard_normal((5, 3)) * 0.5, rng.standard_normal(3) * 0.1)]
    X = rng.standard_normal((32, 4))
    Y = np.eye(3)[rng.integers(0, 3, 32)]
    check_all(mlp, (params, X, Y), hess=False)
    p = {"Wh": rng.standard_normal((3, 3)) * 0.5, "Wx": rng.standard_normal((3, 2)), "b": np.zeros(3)}
    check_all(rnn, (p, rng.standard_normal((5, 2))), hess=False)


def rosen(xs):
    s = 0.0
    for i in range(len(xs) - 1):
        s = s + 100.0 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1.0 - xs[i]) ** 2
    return s


def test_g_rosenbrock_argument_kinds_on_one_derivative():
    d = srcgrad.grad(rosen)
    x = [1.2, 0.8, -0.5, 0.3, 2.0]
    want = fd(rosen, (x,))
    g = d(list(x))
    assert type(g) is list and all(type(v) is float for v in g)
    close(g, want)
    g = d(np.array(x))
    assert isinstance(g, np.ndarray) and g.dtype == np.float64
    close(g, want)
    g = d(np.array(x, dtype=np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, want, rtol=1e-4)
    close(d([1, 2, 0, -1]), fd(rosen, ([1.0, 2.0, 0.0, -1.0],)))
    g = d(tuple(x[:3]))
    assert type(g) is tuple
    close(g, fd(rosen, (x[:3],)))
    close(d(list(x)), want)
    close(srcgrad.hvp(rosen)(list(x), [1.0, 0.0, 0.0, 0.0, 0.0]), [1410.0, -480.0, 0.0, 0.0, 0.0])


def test_g_errors_as_the_function_raises_them():
    import math

    def dead(xs):
        s = 0.0
        for i in range(len(xs)):
            s = s + xs[i] ** 2
            unused = xs[i] ** 40
        return s

    def exps(xs):
        s = 0.0
        for x in xs:
            s = s + math.exp(x) * 0.0 + x
        return s

    def ordering(xs):
        s = 0.0
        for i in range(len(xs)):
            s = s + math.sqrt(xs[i]) + xs[i] ** 2
        return s
    for f, x, err in [(dead, [1e10, 2.0], OverflowError), (exps, [1000.0, 1.0], OverflowError),
                      (ordering, [1e200, -1.0], OverflowError), (ordering, [-1.0, 1e200], ValueError)]:
        with pytest.raises(err):
            f(list(x))
        with pytest.raises(err):
            srcgrad.grad(f)(list(x))
        with pytest.raises(err):
            srcgrad.value_and_grad(f)(list(x))


def test_g_nan_inputs_hidden_by_where_no_warning():
    X = np.array([[1.0, np.nan, 2.0], [0.5, 1.5, np.nan], [np.nan, 1.0, 1.0]])
    M = ~np.isnan(X)
    Xc = np.where(M, X, 0.0)

    def masked(w, b, X, M):
        z = np.where(M, X * w + b, 0.0)
        return np.sum(np.tanh(z) ** 2) + np.sum(w ** 2)
    w, b = np.array([0.3, -0.5, 0.8]), np.array([0.1, 0.2, -0.1])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gw, gb = srcgrad.grad(masked, wrt=(0, 1))(w, b, X, M)
    close(gw, fd(masked, (w, b, Xc, M), 0))
    close(gb, fd(masked, (w, b, Xc, M), 1))


SCALE = 2.0


def act(z):
    return np.tanh(z)


def scaled_loss(w, x):
    return np.sum(act(x @ w) * SCALE)


def test_g_cache_notices_rebound_globals():
    global act, SCALE
    keep = act, SCALE
    w, X = np.array([0.3, -0.2]), np.array([[1.0, 2.0], [0.5, -1.0]])
    d = srcgrad.grad(scaled_loss)
    try:
        close(d(w, X), fd(scaled_loss, (w, X)))

        def act(z):
            return np.maximum(z, 0.0) ** 2
        close(d(w, X), fd(scaled_loss, (w, X)))
        SCALE = 3
        close(d(w, X), fd(scaled_loss, (w, X)))
        SCALE = np.array([1.0, 2.0])
        close(d(w, X), fd(scaled_loss, (w, X)))
        act = np.sin
        close(d(w, X), fd(scaled_loss, (w, X)))
        act = lambda z: z ** 3          # noqa: E731
        close(d(w, X), fd(scaled_loss, (w, X)))
    finally:
        act, SCALE = keep


# --------------------------------------------------------------------------
# FINDINGS24 #7: zip(..., strict=True) (or strict=False) in a for loop is
# refused as "this `for ... in zip(...)` loop is not supported", with a hint
# to loop over zip(...).
# --------------------------------------------------------------------------

def zip_strict(a, b):
    s = 0.0
    for u, v in zip(a, b, strict=True):
        s = s + u * v
    return s ** 2


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS24 #7: for over zip(a, b, strict=True) refused as a zip loop")
def test_f07_zip_strict():
    a, b = np.array([0.5, -1.0, 0.7]), np.array([1.0, 2.0, -0.5])
    close(srcgrad.grad(zip_strict)(a, b), 2 * np.dot(a, b) * b)


def zip_not_strict(a, b):
    s = 0.0
    for u, v in zip(a, b, strict=False):
        s = s + u * v
    return s ** 2


def test_f07_strict_false_works_and_strict_true_is_named():
    """Session 17: `strict=False` is the plain zip loop; `strict=True` is refused by name
    (the message named the very construct the documentation lists as supported)."""
    a, b = np.array([0.5, -1.0, 0.7]), np.array([1.0, 2.0, -0.5])
    close(srcgrad.grad(zip_not_strict)(a, b), 2 * np.dot(a, b) * b)
    with pytest.raises(srcgrad.SrcGradError, match=r"zip\(\.\.\., strict=True\)` is not supported"):
        srcgrad.grad(zip_strict)(a, a)


# --------------------------------------------------------------------------
# FINDINGS24 #8: dict.get on a dict of parameters being differentiated:
# ".get() has no derivative rule" (a plain lookup; on a data dict it works).
# --------------------------------------------------------------------------

def optional_bias(p, x):
    b = p.get("b", 0.0)
    return np.sum((p["w"] * x + b) ** 2)


def test_f08_get_on_a_data_dict_right():
    def scaled(w, cfg):
        return np.sum(w ** 2) * cfg.get("scale", 1.0)
    close(srcgrad.grad(scaled)(np.array([0.5, -1.0]), {"scale": 2.0}), [2.0, -4.0])


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS24 #8: p.get('b', 0.0) on a wrt dict refused: .get() has no derivative rule")
def test_f08_get_on_the_parameters():
    P = {"w": np.array([0.5, -1.0]), "b": 0.3}
    x = np.array([1.0, 2.0])
    g = srcgrad.grad(optional_bias)(fresh(P), x)
    close(g, fd(optional_bias, (P, x)))


# --------------------------------------------------------------------------
# FINDINGS24 #9: when the fast path hands over to its NaN-safe twin, the
# twin runs the forward sweep again, so each RuntimeWarning of the forward
# sweep is issued twice (the plain function issues it once).
# --------------------------------------------------------------------------

def x_log_x(x):
    return np.sum(np.log(x) * x)


def _log_warnings(fn):
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught if "encountered in log" in str(w.message)]


X0 = np.array([0.0, 2.0, 3.0])


def test_f09_the_function_warns_once_and_the_gradient_is_right():
    _, msgs = _log_warnings(lambda: x_log_x(X0))
    assert msgs == ["divide by zero encountered in log"]
    g, _ = _log_warnings(lambda: srcgrad.grad(x_log_x)(X0))
    assert g[0] == -np.inf
    np.testing.assert_allclose(g[1:], np.log(X0[1:]) + 1.0)
    assert "nan_safe" in srcgrad.source(srcgrad.grad(x_log_x))      # a fast path


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #9: the forward sweep's warning is issued twice on the fast path's fallback")
def test_f09_grad_warns_once():
    _, msgs = _log_warnings(lambda: srcgrad.grad(x_log_x)(X0))
    assert msgs == ["divide by zero encountered in log"]


@pytest.mark.xfail(strict=True, reason="FINDINGS24 #9: the forward sweep's warning is issued twice on the fast path's fallback")
def test_f09_value_and_grad_warns_once():
    _, msgs = _log_warnings(lambda: srcgrad.value_and_grad(x_log_x)(X0))
    assert msgs == ["divide by zero encountered in log"]
