"""Broadcasting and zeros: the helpers nearly every derivative calls.

`unbroadcast` sums an adjoint back to its operand's shape (arithmetic
broadcasts, so its adjoint must be summed); `broadcast_like` is its
forward-mode mirror; `zeros_like` makes the zero adjoint of any value. They
sit on the hot path of every generated function, so each is a shape
comparison when there is nothing to do. Like every runtime module: plain
functions over NumPy values, no srcgrad imports, so `export` can copy them.
"""
import numpy

# What a derivative binds up front to a local the function may read before any assignment
# binds it (a value saved on a loop's first iteration before its assignment): `bound_local`
# tells it from the function's own values, and `zeros_like` gives it no adjoint.
UNBOUND = object()

# ndarray.sum without its Python wrapper (numpy/_core/_methods.py's `_sum` calls exactly
# this, `add.reduce(a, axis, dtype, out, keepdims, ...)`): a per-call cost on small arrays
_add_reduce = numpy.add.reduce


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing NumPy broadcasting.

    A Python number `x` gets a Python-compatible scalar back.
    """
    if type(x) is numpy.ndarray:
        if type(g) is numpy.ndarray:  # the commonest cases, without a second call
            gshape, xshape = g.shape, x.shape
            if gshape == xshape:
                return g
            if len(gshape) == len(xshape) + 1 and gshape[1:] == xshape:  # a bias, along rows
                return _add_reduce(g, 0)
        return unbroadcast_to(g, x.shape)
    return unbroadcast_to(g, numpy.shape(x))


def unbroadcast_to(g, xshape):
    """`unbroadcast` to a shape: what a loop's backward sweep uses where it
    kept only the shape of an operand (see optimize/shapetape.py)."""
    if type(g) is numpy.ndarray:  # the common cases first, without numpy.shape's overhead
        gshape = g.shape
        if gshape == xshape:
            return g
        lead = len(gshape) - len(xshape)
        if lead == 0:  # a bias of the same rank (keepdims): sum its stretched axes, kept
            axes = tuple([i for i, n in enumerate(xshape) if n == 1 and gshape[i] != 1])
            if axes:
                out = g.sum(axis=axes, keepdims=True)
                if out.shape == xshape:
                    return out
        elif lead > 0 and gshape[lead:] == xshape:  # new leading axes only (a 1-D bias)
            return _add_reduce(g, 0 if lead == 1 else tuple(range(lead)))
    gshape = numpy.shape(g)
    if gshape == xshape:
        return g
    lead = len(gshape) - len(xshape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(xshape) if n == 1 and gshape[lead + i] != 1)
    if type(g) is numpy.ndarray and axes:
        g = g.sum(axis=axes)  # the method: no dispatch through numpy.sum
        return g if g.shape == xshape else g.reshape(xshape)
    g = numpy.sum(g, axis=axes) if axes else g
    return numpy.reshape(g, xshape)


def unbroadcast_against(g, x):
    """`g` broadcast against `x`, then summed down to `x`'s shape.

    The adjoint of `x` in an elementwise operation whose other operands
    broadcast it, where the code has the adjoint `g` only at those operands'
    shape: `unbroadcast(unreduce(c, x * y, None, False) * y, x)` is
    `unbroadcast_against(c * y, x)`, without `x * y` computed for its shape
    (optimize/seeds.py). Mostly `g` and `x` have one shape, and `g` is the answer.
    """
    xshape = x.shape if type(x) is numpy.ndarray else numpy.shape(x)
    gshape = g.shape if type(g) is numpy.ndarray else numpy.shape(g)
    if gshape == xshape:
        return g
    full = numpy.broadcast_shapes(gshape, xshape)
    if full == xshape and duck(g):  # a Dask g: never written into in place, no copy needed
        return numpy.broadcast_to(g, xshape)
    if full == xshape:  # g is spread over x: a new array, written
        out = numpy.empty(xshape, numpy.result_type(g))
        out[...] = g
        return out
    return unbroadcast_to(numpy.broadcast_to(g, full), xshape)


def shape_of(x):
    """What a loop tapes instead of an operand it reads only for its shape."""
    return x.shape if type(x) is numpy.ndarray else numpy.shape(x)


def broadcast_like(t, z):
    """The tangent `t` of an operand, broadcast to the shape of the result `z`."""
    zshape = numpy.shape(z)
    if numpy.shape(t) == zshape:
        return t
    return numpy.broadcast_to(t, zshape)


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a Python number, a float array for an
    array, and the same structure of zeros for a dict, list or tuple. None (an
    adjoint's missing entry, `fill_grad`'s to fill) stays None, and so is the
    adjoint of a local not bound on this path (`UNBOUND`: nothing reads it)."""
    if isinstance(x, (float, int)):
        return 0.0
    if x is None or x is UNBOUND:
        return None
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return sequence_like(x, [zeros_like(v) for v in x])
    x = as_array(x)
    dtype = x.dtype if numpy.issubdtype(x.dtype, numpy.inexact) else float
    if type(x) is not numpy.ndarray:  # a Dask array: its zeros, of its type and chunks
        return numpy.zeros_like(x, dtype=dtype)
    return numpy.zeros(x.shape, dtype)


def zeros_like_entry(record, key):
    """`zeros_like(record[key])`, or None where `record` has no entry `key`: the
    adjoint of an entry read only by code that may not run (a loop of no trips),
    which then stays unused."""
    try:
        entry = record[key]
    except (IndexError, KeyError):
        return None
    return zeros_like(entry)


def eager(x) -> bool:
    """Whether `x` is a value whose test (`if x.any()`) costs nothing: a NumPy or Python
    one. A lazy array's (Dask's) test would compute it, so a guard on one is folded into
    its graph instead (`numpy.where` whatever the test would say)."""
    return isinstance(x, (numpy.ndarray, numpy.generic, float, int, complex))


def as_array(a):
    """`numpy.asarray(a)`, except for a duck array (Dask's: it has `__array_function__`),
    which stays as it is, so that what follows dispatches to its type, not converts it."""
    if isinstance(a, numpy.ndarray) or not hasattr(type(a), "__array_function__"):
        return numpy.asarray(a)
    return a


def duck(x) -> bool:
    """Whether `x` is an array of another library that NumPy dispatches to (Dask's)."""
    return not isinstance(x, numpy.ndarray) and hasattr(type(x), "__array_function__")


def array_copy(g, dtype=None):
    """`numpy.array(g, dtype)`: a new array nothing else holds. A Dask array's copy is a
    new Array object (Dask's `x[i] = v` rebinds that object's own graph, no other's)."""
    if not duck(g):
        return numpy.array(g, dtype=dtype)
    return g.astype(dtype) if dtype is not None and dtype != g.dtype else g.copy()


def zeros_shaped(like, shape, dtype):
    """`numpy.zeros(shape, dtype)`, of the array type of `like` (Dask's zeros for Dask)."""
    if not duck(like):
        return numpy.zeros(shape, dtype)
    return numpy.zeros_like(like, dtype=dtype, shape=shape)


def sequence_like(like, items):
    """`items` as a sequence of `like`'s type: a list, a tuple, or a named tuple
    (whose constructor takes its fields one by one, so it is built with `_make`)."""
    cls = type(like)
    if cls is list or cls is tuple or not hasattr(cls, "_make"):
        return cls(items)
    return cls._make(items)
