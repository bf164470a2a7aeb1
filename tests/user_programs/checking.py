"""Checks shared by the break attempts' programs (prog_break15.py, prog_break16.py).

Central differences of a pytree argument, and `check_all`: grad, value_and_grad,
vjp (two cotangents) and jvp against differences of the function, hvp and hessian
against differences of srcgrad's own (checked) gradient, the caller's arguments
left as the function leaves them.
"""
import importlib
import sys
import textwrap

import numpy as np
import pytest

import srcgrad


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
