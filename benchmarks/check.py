"""Central finite differences for the workloads' hand-written gradients.

`flatten` / `unflatten` turn the differentiated arguments (Python floats,
arrays, and dicts / lists / tuples of them) into one float64 vector and back,
keeping their types, so one finite-difference routine serves every workload.
"""
from __future__ import annotations

import numpy as np

from .backends import leaves


def flatten(tree) -> np.ndarray:
    parts = [leaf.ravel() for leaf in leaves(tree)]
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten(vec, template):
    """A tree shaped like `template` (dict keys sorted, as in `leaves`) from `vec`."""
    pos = 0

    def build(t):
        nonlocal pos
        if isinstance(t, dict):
            out = {}
            for k in sorted(t):
                out[k] = build(t[k])
            return {k: out[k] for k in t}  # keep the template's key order
        if isinstance(t, (list, tuple)):
            return type(t)(build(v) for v in t)
        if isinstance(t, np.ndarray):
            n = t.size
            a = np.array(vec[pos:pos + n], dtype=np.float64).reshape(t.shape)
            pos += n
            return a
        v = float(vec[pos])
        pos += 1
        return v

    return build(template)


def _wrt(workload):
    return workload.wrt if isinstance(workload.wrt, tuple) else (workload.wrt,)


def _objective(workload, args):
    """F(v): the workload's function of the flattened differentiated arguments."""
    wrt = _wrt(workload)
    template = tuple(args[i] for i in wrt)

    def F(v):
        new = list(args)
        for i, val in zip(wrt, unflatten(v, template)):
            new[i] = val
        return float(workload.fun(*new))

    return F, flatten(template)


def _as_tuple(workload, g):
    return g if isinstance(workload.wrt, tuple) else (g,)


def fd_coordinates(workload, args, h=1e-6):
    """Max relative error of the hand gradient against central differences, every coordinate."""
    F, v0 = _objective(workload, args)
    want = flatten(_as_tuple(workload, workload.hand_grad(*args)))
    fd = np.empty_like(v0)
    for i in range(v0.size):
        step = h * max(1.0, abs(v0[i]))
        e = np.zeros_like(v0)
        e[i] = step
        fd[i] = (F(v0 + e) - F(v0 - e)) / (2 * step)
    return float(np.max(np.abs(fd - want)) / max(np.max(np.abs(want)), 1e-12))


def fd_directional(workload, args, rng, h=1e-6):
    """Relative error of <grad, u> against a central difference along a random direction u."""
    F, v0 = _objective(workload, args)
    g = flatten(_as_tuple(workload, workload.hand_grad(*args)))
    u = rng.standard_normal(v0.size)
    step = h * max(1.0, float(np.max(np.abs(v0))))
    fd = (F(v0 + step * u) - F(v0 - step * u)) / (2 * step)
    exact = float(g @ u)
    return abs(fd - exact) / max(abs(exact), float(np.linalg.norm(g)) * 1e-3, 1e-12)
