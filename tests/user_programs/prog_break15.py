"""Issue 15 (performance, second round) tried as an outside user would.

The speed-ups of issue 15 (in-place adjoint accumulation for loops over
arrays, slices, masks and fancy indices; a cheaper argument check for lists
of floats; fewer guards and helper calls for small arrays; CSE and dead-code
removal; exports with fewer helpers) are where wrong gradients hide.  Each
test is a realistic program; every derivative is checked against central
finite differences in float64 written here from scratch: grad,
value_and_grad, vjp and jvp against differences of the function, hvp and
hessian against differences of the gradient.  Findings that still fail are
strict xfails naming their number in FINDINGS15.md.
"""
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.optimize

import srcgrad

# ----------------------------------------------------------------- helpers


def _flat(t):
    """Flatten a pytree of numbers/arrays into a float64 vector + a rebuild function."""
    if isinstance(t, dict):
        keys = list(t)
        parts = [_flat(t[k]) for k in keys]

        def unflat_d(v):
            out, i = {}, 0
            for k, (vec, un) in zip(keys, parts):
                out[k] = un(v[i:i + vec.size])
                i += vec.size
            return out
        return (np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)), unflat_d
    if isinstance(t, (list, tuple)):
        parts = [_flat(e) for e in t]
        kind = type(t)

        def unflat_l(v):
            out, i = [], 0
            for vec, un in parts:
                out.append(un(v[i:i + vec.size]))
                i += vec.size
            return kind(out)
        return (np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)), unflat_l
    if isinstance(t, np.ndarray):
        shape = t.shape
        return np.asarray(t, dtype=np.float64).ravel().copy(), lambda v: v.reshape(shape).copy()
    return np.array([float(t)]), lambda v: float(v[0])


def fd_grad(f, args, wrt=0, eps=1e-6):
    """Central differences of a scalar function in argument `wrt` (an index)."""
    args = list(args)
    x0, unflat = _flat(args[wrt])
    g = np.zeros_like(x0)
    for i in range(x0.size):
        xp = x0.copy()
        xp[i] += eps
        xm = x0.copy()
        xm[i] -= eps
        ap = list(args)
        ap[wrt] = unflat(xp)
        am = list(args)
        am[wrt] = unflat(xm)
        g[i] = (float(f(*ap)) - float(f(*am))) / (2 * eps)
    return unflat(g)


def fd_dir(f, args, wrt, v, eps=1e-6):
    """Central difference of any (array-valued) f along direction v in argument wrt."""
    args = list(args)
    x0, unflat = _flat(args[wrt])
    dv, _ = _flat(v)
    ap = list(args)
    ap[wrt] = unflat(x0 + eps * dv)
    am = list(args)
    am[wrt] = unflat(x0 - eps * dv)
    fp, _ = _flat(f(*ap))
    fm, _ = _flat(f(*am))
    return (fp - fm) / (2 * eps)


def close(a, b, rtol=1e-5, atol=1e-6):
    fa, _ = _flat(a)
    fb, _ = _flat(b)
    assert fa.shape == fb.shape, (fa.shape, fb.shape)
    assert np.all(np.isfinite(fa)), f"non-finite derivative {fa}"
    np.testing.assert_allclose(fa, fb, rtol=rtol, atol=atol)


def same_structure(g, x):
    """A gradient has its argument's structure (SPEC 1)."""
    if isinstance(x, dict):
        assert isinstance(g, dict) and set(g) == set(x)
        for k in x:
            same_structure(g[k], x[k])
    elif isinstance(x, (list, tuple)):
        assert type(g) is type(x) and len(g) == len(x), (type(g), g)
        for a, b in zip(g, x):
            same_structure(a, b)
    elif isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray) and g.shape == x.shape, (g, x.shape)
    else:
        assert isinstance(g, float), (type(g), g)


def snapshot(t):
    vec, _ = _flat(t)
    return vec.copy()


def check_all(f, args, wrt=0, hess=True, seed=0, rtol=1e-5, atol=1e-6):
    """grad, value_and_grad, vjp and jvp against differences of f; hvp against
    differences of srcgrad's own gradient (checked first).  The caller's
    arguments stay as they were (none of these programs writes an argument)."""
    args = list(args)
    before = [snapshot(a) for a in args]
    expected = fd_grad(f, args, wrt)
    g = srcgrad.grad(f, wrt=wrt)(*args)
    same_structure(g, args[wrt])
    close(g, expected, rtol, atol)
    value, g2 = srcgrad.value_and_grad(f, wrt=wrt)(*args)
    assert float(value) == pytest.approx(float(f(*args)), rel=1e-12, abs=1e-12)
    close(g2, expected, rtol, atol)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    close(pullback(1.0), expected, rtol, atol)
    close(pullback(2.0), 2.0 * _flat(expected)[0], rtol, 2 * atol)
    rng = np.random.default_rng(seed)
    x0, unflat = _flat(args[wrt])
    v = unflat(rng.standard_normal(x0.size))
    tangents = [None] * len(args)
    tangents[wrt] = v
    out, out_dot = srcgrad.jvp(f, tuple(args), tuple(tangents))
    assert float(out) == pytest.approx(float(f(*args)), rel=1e-12, abs=1e-12)
    close(out_dot, fd_dir(f, args, wrt, v), rtol, atol)
    if hess:
        def flat_grad(*a):
            return _flat(srcgrad.grad(f, wrt=wrt)(*a))[0]
        hv = srcgrad.hvp(f, wrt=wrt)(*args, v)
        close(hv, fd_dir(flat_grad, args, wrt, v, 1e-5), 1e-4, 1e-5)
    for b, a in zip(before, [snapshot(a) for a in args]):
        np.testing.assert_array_equal(a, b)
    return g


def check_hessian(f, args, wrt=0, rtol=1e-4, atol=1e-5):
    """The full Hessian against differences of srcgrad's gradient (checked first)."""
    args = list(args)
    close(srcgrad.grad(f, wrt=wrt)(*args), fd_grad(f, args, wrt))
    H = srcgrad.hessian(f, wrt=wrt)(*args)
    x0, unflat = _flat(args[wrt])

    def flat_grad(*a):
        return _flat(srcgrad.grad(f, wrt=wrt)(*a))[0]
    cols = [fd_dir(flat_grad, args, wrt, unflat(e), 1e-5) for e in np.eye(x0.size)]
    close(np.asarray(H).reshape(x0.size, x0.size), np.stack(cols, axis=-1), rtol, atol)
    return H


def jac_fd(f, args, wrt=0):
    x0, unflat = _flat(args[wrt])
    cols = [fd_dir(f, args, wrt, unflat(e)) for e in np.eye(x0.size)]
    return np.stack(cols, axis=-1)      # (out.size, x.size)


def check_vjp_array(f, args, wrt=0, seed=1):
    """An array-valued f: pullback(u) against u @ J, the caller's cotangent left alone,
    results not shared between calls."""
    args = list(args)
    J = jac_fd(f, args, wrt)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(np.shape(out))
    u_keep = u.copy()
    g1 = pullback(u)
    np.testing.assert_array_equal(u, u_keep)
    close(g1, (u_keep.ravel() @ J).reshape(np.shape(args[wrt])))
    g1_keep = np.array(g1, copy=True)
    u2 = rng.standard_normal(np.shape(out))
    g2 = pullback(u2)
    np.testing.assert_array_equal(g1, g1_keep)           # an earlier result is not reused
    close(g2, (u2.ravel() @ J).reshape(np.shape(args[wrt])))
    g1[...] = 123.0                                      # a result is the caller's to write
    close(pullback(u_keep), (u_keep.ravel() @ J).reshape(np.shape(args[wrt])))
    return g2


RNG = np.random.default_rng(1515)
X7 = np.array([0.5, -1.2, 0.8, 1.5, -0.3, 0.9, 2.0])
P4 = np.array([1.0, 0.3, 2.0, 0.1])

# ============================================ 1. simulators that fill arrays in place


def spring_scalar_k(k, n=50, dt=0.05):
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        vs[i + 1] = vs[i] - dt * (k * xs[i] + 0.1 * vs[i])
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2) * dt


def test_p01_spring_filled_in_place_scalar_parameter():
    check_all(spring_scalar_k, (2.0,))
    check_all(spring_scalar_k, (2.0, 200, 0.01), hess=False)
    assert srcgrad.hessian(spring_scalar_k)(2.0) == pytest.approx(
        (srcgrad.grad(spring_scalar_k)(2.0 + 1e-5) - srcgrad.grad(spring_scalar_k)(2.0 - 1e-5)) / 2e-5,
        rel=1e-4)


def spring_params(p, n=30, dt=0.05):
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = p[0]
    vs[0] = p[1]
    for i in range(n):
        vs[i + 1] = vs[i] - dt * (p[2] * xs[i] + p[3] * vs[i])
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2) * dt + xs[-1] * vs[-1]


def test_p02_spring_all_parameters_in_an_array():
    check_all(spring_params, (P4,))
    check_hessian(spring_params, (P4,))
    # a list of floats and a float32 array go through the same program
    g = srcgrad.grad(spring_params)(list(P4))
    close(g, fd_grad(spring_params, (P4,)))
    g32 = srcgrad.grad(spring_params)(P4.astype(np.float32))
    assert g32.dtype == np.float32
    close(g32, fd_grad(spring_params, (P4,)), 1e-3, 1e-3)


def spring_scaling(p, n):
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = p[0]
    for i in range(n):
        vs[i + 1] = vs[i] - 0.01 * (p[1] * xs[i] + p[2] * vs[i])
        xs[i + 1] = xs[i] + 0.01 * vs[i + 1]
    return np.sum(xs ** 2) / n


def test_p03_spring_long_and_short_runs_share_one_derivative():
    # the same derivative object for n = 3, 2000 and 1 (kind: scalar n), in any order
    df = srcgrad.grad(spring_scaling)
    p = np.array([1.0, 4.0, 0.2])
    for n in (3, 2000, 1, 40, 2000):
        close(df(p, n), fd_grad(spring_scaling, (p, n)), 1e-5, 1e-7)


def sim_reads_whole_array(p, n=20):
    xs = np.zeros(n)
    xs[0] = p[0]
    for i in range(n - 1):
        xs[i + 1] = np.tanh(xs[i] * p[1] + np.sum(xs) * 0.1 + xs.mean() * p[2])
    return np.sum(xs * np.arange(n))


def test_p04_loop_reads_the_whole_array_each_iteration():
    check_all(sim_reads_whole_array, (np.array([0.5, 0.7, 0.3]),))
    check_hessian(sim_reads_whole_array, (np.array([0.5, 0.7, 0.3]),))


def sim_cumulative_reads(p, n=12):
    xs = np.zeros(n)
    xs[0] = p[0]
    for i in range(1, n):
        xs[i] = 0.5 * np.max(xs[:i]) + np.sin(xs[i - 1]) * p[1] + np.sum(xs[:i] ** 2) * 0.01
    return np.sum(xs[::2]) - xs[-1] ** 2


def test_p05_loop_reads_a_growing_prefix():
    check_all(sim_cumulative_reads, (np.array([0.4, 0.9]),))


def state_rows(p, n=15):
    S = np.zeros((n, 3))
    S[0] = p
    for i in range(1, n):
        S[i] = np.sin(S[i - 1]) * 0.9 + S[i - 1, ::-1] * 0.2
        S[i, 1] += S[i - 1, 0] * S[i - 1, 2]
    return np.sum(S[-1] ** 2) + np.sum(S[:, 0])


def test_p06_two_d_state_with_row_writes_and_reads():
    check_all(state_rows, (np.array([0.3, -0.4, 0.8]),))
    check_hessian(state_rows, (np.array([0.3, -0.4, 0.8]),))


def state_columns(p, n=6):
    S = np.zeros((3, n))
    S[:, 0] = p
    for j in range(1, n):
        S[:, j] = S[:, j - 1] @ np.array([[0.9, 0.1, 0.0], [-0.1, 0.8, 0.2], [0.0, -0.2, 0.95]])
        S[1:, j] *= 1.0 + 0.1 * S[0, j - 1]
    return np.sum(S ** 2) + S[2, -1]


def test_p07_two_d_state_with_column_writes():
    check_all(state_columns, (np.array([0.3, -0.4, 0.8]),))


def neg_index_fill(p, n=10):
    xs = np.zeros(n)
    xs[-1] = p[0]
    for i in range(n - 1):
        xs[-2 - i] = xs[-1 - i] * p[1] + np.cos(xs[-1 - i])
    return np.sum(xs ** 3)


def test_p08_negative_indices_fill_backwards():
    check_all(neg_index_fill, (np.array([0.3, 0.7]),))


def step_slices(x):
    y = x.copy()
    y[::2] = y[::2] * 2.0 + y[::2] ** 2
    y[1::3] *= np.exp(y[::3][: len(y[1::3])])
    y[::-2] = np.sin(y[::-2])
    y[-3:] += y[:3] * 0.5
    return np.sum(y * np.arange(1, len(y) + 1))


def test_p09_slices_with_steps_and_negative_steps():
    check_all(step_slices, (X7,))


def overlapping_slice_updates(x, n=6):
    y = np.zeros(n + 2)
    y[:3] = x
    for i in range(n):
        y[i:i + 3] += 0.3 * np.tanh(y[i:i + 3]) * y[i]
    return np.sum(y ** 2)


def test_p10_overlapping_slice_updates_in_a_loop():
    check_all(overlapping_slice_updates, (np.array([0.4, -0.8, 1.1]),))


def mask_ops(x):
    y = x * 1.0
    y[y > 0] = np.sqrt(y[y > 0])
    y[x < -0.5] *= 3.0
    z = x[x > 0]
    return np.sum(y ** 2) + np.sum(z ** 3)


def test_p11_masks_read_and_written():
    check_all(mask_ops, (X7,))


def mask_loop(x):
    y = x.copy()
    for k in range(3):
        m = y > 0.2 * k
        y[m] = y[m] * 0.5 + 0.1
        y[~m] -= 0.05 * y[~m] ** 2
    return np.sum(y ** 2)


def test_p12_masks_recomputed_in_a_loop():
    check_all(mask_loop, (X7,))


def particles(pos, idx, jdx):
    forces = np.zeros_like(pos)
    d = pos[idx] - pos[jdx]
    f = d / (1.0 + d ** 2)
    forces[idx] += f
    forces[jdx] -= f
    return np.sum(forces ** 2) + np.sum(pos * forces)


PAIR_I = np.array([0, 1, 1, 2, 0, 3, 3, 3])
PAIR_J = np.array([1, 2, 0, 3, 3, 0, 1, 2])


def test_p13_particle_forces_with_repeated_fancy_indices():
    pos = np.array([0.1, 0.5, -0.3, 1.2])
    check_all(particles, (pos, PAIR_I, PAIR_J))
    check_hessian(particles, (pos, PAIR_I, PAIR_J))


def particles_steps(pos, vel, idx, jdx, steps=5):
    for s in range(steps):
        forces = np.zeros_like(pos)
        d = pos[idx] - pos[jdx]
        f = -d * np.exp(-d ** 2)
        forces[idx] += f
        forces[jdx] -= f
        vel = vel + 0.1 * forces
        pos = pos + 0.1 * vel
    return np.sum(pos ** 2) + 0.5 * np.sum(vel ** 2)


def test_p14_particle_system_integrated():
    pos = np.array([0.1, 0.5, -0.3, 1.2])
    vel = np.array([0.0, 0.1, -0.1, 0.05])
    check_all(particles_steps, (pos, vel, PAIR_I, PAIR_J))
    check_all(particles_steps, (pos, vel, PAIR_I, PAIR_J), wrt=1)


def particles_add_at(pos, idx, jdx):
    forces = np.zeros_like(pos)
    d = pos[idx] - pos[jdx]
    f = d / (1.0 + d ** 2)
    np.add.at(forces, idx, f)
    np.add.at(forces, jdx, -f)
    return np.sum(forces ** 2) + np.sum(pos * forces)


def test_p15_np_add_at_in_user_code_is_exact_or_refused():
    pos = np.array([0.1, 0.5, -0.3, 1.2])
    try:
        g = srcgrad.grad(particles_add_at)(pos, PAIR_I, PAIR_J)
    except srcgrad.SrcGradError as err:       # documented refusal (reliability.md)
        assert "add.at" in str(err) and err.location is not None
        return
    close(g, fd_grad(particles_add_at, (pos, PAIR_I, PAIR_J)))


def bincount_forces(pos, idx, jdx):
    d = pos[idx] - pos[jdx]
    f = d / (1.0 + d ** 2)
    forces = np.bincount(idx, weights=f, minlength=len(pos)) - np.bincount(jdx, weights=f, minlength=len(pos))
    return np.sum(forces ** 2) + np.sum(pos * forces)


@pytest.mark.xfail(strict=True, reason="FINDINGS15 #1")
def test_p16_bincount_forces_the_hinted_rewrite():
    # the np.add.at refusal's hint says: "for repeated indices add
    # `np.bincount(idx, weights=v, minlength=len(a))`"; that is refused in turn
    pos = np.array([0.1, 0.5, -0.3, 1.2])
    g = check_all(bincount_forces, (pos, PAIR_I, PAIR_J))
    close(g, srcgrad.grad(particles)(pos, PAIR_I, PAIR_J), 1e-12, 1e-12)


def particles_scatter_loop(pos, idx, jdx):
    forces = np.zeros_like(pos)
    d = pos[idx] - pos[jdx]
    f = d / (1.0 + d ** 2)
    for k in range(len(idx)):
        forces[idx[k]] += f[k]
        forces[jdx[k]] -= f[k]
    return np.sum(forces ** 2) + np.sum(pos * forces)


def test_p16b_scatter_add_written_as_a_loop():
    pos = np.array([0.1, 0.5, -0.3, 1.2])
    check_all(particles_scatter_loop, (pos, PAIR_I, PAIR_J))
    check_hessian(particles_scatter_loop, (pos, PAIR_I, PAIR_J))


def fancy_repeats(x, idx):
    y = x[idx]
    z = np.zeros(len(x))
    z[idx] = y * 2.0                # repeated write: the last one wins
    w = np.zeros(len(x))
    w[idx] += x[idx] ** 2           # NumPy: buffered, repeats do not accumulate
    return np.sum(y ** 2) + np.sum(z * x) + np.sum(w * x)


def test_p17_fancy_reads_and_writes_with_repeats():
    idx = np.array([0, 2, 2, 4, 0, 6, 6, 6])
    check_all(fancy_repeats, (X7, idx))
    check_hessian(fancy_repeats, (X7, idx))


def fancy_2d(W, rows, cols):
    A = W * 1.0
    A[rows, cols] += 1.0 + A[cols, rows] ** 2
    A[rows] = A[rows] * 0.5
    return np.sum(A ** 2) + np.sum(A[:, cols])


def test_p18_two_d_fancy_indices_with_repeats():
    W = np.arange(16.0).reshape(4, 4) / 10 - 0.7
    check_all(fancy_2d, (W, np.array([0, 1, 1, 3]), np.array([2, 2, 2, 0])))


def read_write_same_entry(p):
    a = np.zeros(5)
    for i in range(5):
        a[i] = p[0] * i
        a[i] = a[i] * a[i] + p[1]
        a[i] += a[i - 1] if i > 0 else 0.0
    return np.sum(a)


def test_p19_an_entry_written_three_times_per_iteration():
    check_all(read_write_same_entry, (np.array([0.3, 0.9]),))


def fill_clip_reduce(p):
    out = np.empty(6)
    for i in range(6):
        out[i] = p[i % 2] * (i + 1) + p[(i + 1) % 2] ** 2
    out[out > 1.0] = 1.0
    return np.sum(np.log1p(out ** 2))


def test_p20_empty_buffer_filled_then_clipped_by_mask():
    check_all(fill_clip_reduce, (np.array([0.3, 0.9]),))


def traj(x0, n=8):
    xs = np.zeros((n, x0.shape[0]))
    xs[0] = x0
    for i in range(n - 1):
        xs[i + 1] = xs[i] + 0.1 * np.tanh(xs[i] @ np.array([[0.5, -1.0], [1.0, 0.3]]))
    return xs


def traj_loss(x0):
    xs = traj(x0)
    return np.sum(xs[:, 0] ** 2) - np.sum(xs[-1])


def test_p21_helper_returns_a_trajectory_filled_in_place():
    check_all(traj_loss, (np.array([0.3, -0.5]),))
    check_vjp_array(traj, (np.array([0.3, -0.5]),))


def test_p22_view_and_alias_writes_are_refused_with_a_location():
    def view_row(X):
        Y = X * 1.0
        for i in range(Y.shape[0]):
            row = Y[i]
            row *= 2.0
        return np.sum(Y ** 2)

    def alias(x):
        xs = np.zeros(4)
        ys = xs
        for i in range(4):
            ys[i] = x[i] ** 2
        return np.sum(xs * x)
    for f, arg in ((view_row, np.ones((2, 3))), (alias, P4)):
        with pytest.raises(srcgrad.SrcGradError) as info:
            srcgrad.grad(f)(arg)
        assert "share memory" in str(info.value) and info.value.location is not None


def view_copy_rows(X):
    Y = X * 1.0
    for i in range(Y.shape[0]):
        row = Y[i].copy()
        row *= 2.0 + Y[i, 0]
        Y[i] = row
    return np.sum(Y ** 2)


def test_p23_row_copied_scaled_and_written_back():
    check_all(view_copy_rows, (np.arange(6.0).reshape(2, 3) / 4,))


def writes_argument(x):
    x[0] = x[0] * 2.0
    for i in range(1, len(x)):
        x[i] = x[i] + x[i - 1]
    return np.sum(x ** 2)


def test_p24_function_writing_its_argument():
    base = np.array([0.1, 0.5, -0.3, 1.2])
    expected = fd_grad(lambda a: writes_argument(a.copy()), (base,))
    after_f = base.copy()
    writes_argument(after_f)
    x = base.copy()
    close(srcgrad.grad(writes_argument)(x), expected)
    # documented: grad leaves the caller's array unchanged or writes it as f would
    assert np.array_equal(x, base) or np.array_equal(x, after_f)
    x = base.copy()
    out, pullback = srcgrad.vjp(writes_argument, x)
    close(pullback(1.0), expected)
    np.testing.assert_array_equal(x, after_f)      # api.md: "still written for the caller"
    close(pullback(1.0), expected)                 # and the pullback does not see that write
    x = base.copy()
    hv = srcgrad.hvp(lambda a: writes_argument(a.copy()))(x, np.ones(4))
    close(hv, fd_dir(lambda a: srcgrad.grad(writes_argument)(a.copy()), (base,), 0, np.ones(4), 1e-5),
          1e-4, 1e-5)
