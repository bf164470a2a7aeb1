"""check_grads: srcgrad's derivatives against central differences in float64.

Every evaluation, of the function and of its derivative, is given fresh copies
of the arguments: a function that writes into one would otherwise move the
point the next evaluation is taken at.
"""
from __future__ import annotations

import copy

import numpy

from .errors import SrcGradError
from .pytree import flatten


def _numeric_gradient(fun, args: list, index: int, eps: float):
    x = args[index]
    if isinstance(x, (dict, list, tuple)):
        return _numeric_pytree_gradient(fun, args, index, eps)
    if isinstance(x, numpy.ndarray):
        x = numpy.array(x, dtype=numpy.float64)
        out = numpy.zeros(x.shape)
        for i in numpy.ndindex(x.shape):
            step = eps * max(1.0, abs(x[i]))
            old = x[i]
            x[i] = old + step
            hi = float(fun(*_fresh(args[:index]), x.copy(), *_fresh(args[index + 1:])))
            x[i] = old - step
            lo = float(fun(*_fresh(args[:index]), x.copy(), *_fresh(args[index + 1:])))
            x[i] = old
            out[i] = (hi - lo) / (2 * step)
        return out
    x = float(x)
    step = eps * max(1.0, abs(x))
    hi = float(fun(*_fresh(args[:index]), x + step, *_fresh(args[index + 1:])))
    lo = float(fun(*_fresh(args[:index]), x - step, *_fresh(args[index + 1:])))
    return (hi - lo) / (2 * step)


def _fresh(args):
    """Deep copies of `args` (arrays, lists and dicts of them, numbers)."""
    return copy.deepcopy(args)


def _numeric_pytree_gradient(fun, args: list, index: int, eps: float):
    """Central differences for every leaf of a dict/list/tuple argument."""
    leaves, rebuild = flatten(args[index])
    values = [leaf for _, leaf in leaves]
    grads = []
    for k in range(len(values)):
        def partial(v, k=k):
            new = list(values)
            new[k] = v
            return fun(*_fresh(args[:index]), rebuild(_fresh(new)), *_fresh(args[index + 1:]))
        grads.append(_numeric_gradient(partial, [values[k]], 0, eps))
    return rebuild(grads)


def _forward_gradient(fun, args: list, index: int):
    """The gradient of a scalar `fun` in argument `index`, one jvp per entry."""
    from .api import jvp
    from .boundary import zeros_like_tree

    leaves, rebuild = flatten(args[index])
    zero_leaves = [leaf for _, leaf in flatten(zeros_like_tree(args[index]))[0]]
    grads = []
    for k, (_, leaf) in enumerate(leaves):
        if isinstance(leaf, numpy.ndarray):
            g = numpy.zeros(leaf.shape)
            for i in numpy.ndindex(leaf.shape):
                e = numpy.zeros(leaf.shape)
                e[i] = 1.0
                g[i] = _directional(fun, args, index, rebuild, zero_leaves, k, e, jvp)
        else:
            g = _directional(fun, args, index, rebuild, zero_leaves, k, 1.0, jvp)
        grads.append(g)
    return rebuild(grads)


def _directional(fun, args, index, rebuild, zero_leaves, k, direction, jvp):
    tangent_leaves = list(zero_leaves)
    tangent_leaves[k] = direction
    tangents = [None] * len(args)
    tangents[index] = rebuild(tangent_leaves)
    _, out_dot = jvp(fun, _fresh(args), tangents)
    return float(out_dot)


def check_grads(fun, args, wrt=0, modes=("reverse",), eps=1e-6, rtol=1e-5, atol=1e-6):
    """Compare srcgrad's gradient of `fun` at `args` with central differences.

    Raises AssertionError naming the argument, the index of the worst entry,
    and both values when |analytic - numeric| > atol + rtol * |numeric|.

    >>> import numpy as np
    >>> check_grads(np_sum_of_squares, (np.array([1.0, 2.0]),))  # doctest: +SKIP
    """
    from .api import grad
    from .boundary import resolve_wrt

    args = list(args)
    names, _ = resolve_wrt(fun, wrt)
    params = list(__import__("inspect").signature(fun).parameters)
    for mode in modes:
        if mode not in ("reverse", "forward"):
            raise SrcGradError(f"check_grads mode {mode!r} is unknown",
                               hint="use modes=('reverse', 'forward')")
        if mode == "forward":
            analytic = [_forward_gradient(fun, args, params.index(n)) for n in names]
        else:
            analytic = grad(fun, wrt=names)(*_fresh(args))
        for name, g in zip(names, analytic, strict=True):
            index = params.index(name)
            numeric = _numeric_gradient(fun, args, index, eps)
            expected, _ = flatten(numeric)
            actual, _ = flatten(g)
            if [p for p, _ in expected] != [p for p, _ in actual]:
                raise AssertionError(f"{fun.__name__}: gradient for {name!r} has structure "
                                     f"{[p for p, _ in actual]}, expected {[p for p, _ in expected]}")
            for (path, a), (_, n) in zip(actual, expected):
                _compare(fun, name + path, mode, numpy.asarray(a, dtype=float), numpy.asarray(n), rtol, atol)


def _compare(fun, name, mode, analytic, numeric, rtol, atol) -> None:
    if analytic.shape != numeric.shape:
        raise AssertionError(f"{fun.__name__}: gradient for {name!r} ({mode}) has shape "
                             f"{analytic.shape}, expected {numeric.shape}")
    err = numpy.abs(analytic - numeric)
    bound = atol + rtol * numpy.abs(numeric)
    excess = numpy.where(numpy.isnan(err), numpy.inf, err - bound)
    if excess.size and numpy.max(excess) > 0:
        worst = numpy.unravel_index(numpy.argmax(excess), excess.shape) if excess.ndim else ()
        raise AssertionError(
            f"{fun.__name__}: {mode} gradient for {name!r} differs from central "
            f"differences: largest error {float(err[worst]):.3g} at index {worst}: "
            f"srcgrad {float(analytic[worst])!r}, numeric {float(numeric[worst])!r}")
