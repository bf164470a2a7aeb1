"""Numbers and zeros, and NumPy broadcasting undone (`unbroadcast`) and redone
(`broadcast_like`, `unreduce`) entry by entry: numba has no `keepdims`, no
reduction over a tuple of axes and no `numpy.add.at`, so one kernel (`_move`)
walks the broadcast of two shapes in C order, adding into or copying to the
destination. numba drops a branch whose test it can decide while typing
(`isinstance` on numbers, `x.ndim == y.ndim`, `v is None` where v is None),
so each helper keeps the kinds apart with explicit `else` branches.
"""
import numpy


class SrcGradError(Exception):
    """Raised inside compiled code (numba raises a class with constant arguments);
    the backend turns it into srcgrad.SrcGradError at the boundary."""


def require_scalar(value):
    """Stop a gradient of a non-scalar output."""
    if isinstance(value, (float, int)):
        return
    if value.ndim != 0:
        raise SrcGradError("grad needs a function with a scalar output; use srcgrad.vjp or srcgrad.jacobian")


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a number, a float array of x's shape for an array."""
    if isinstance(x, (float, int)):
        return 0.0
    return numpy.zeros(x.shape)


def float_zeros(n):
    """`[0.0] * n` as the backend keeps it: a float array (see native/lowering.py)."""
    return numpy.zeros(n)


def copy_stack(stack):
    """A copy of one of a split derivative's stacks, which its backward pops."""
    return stack.copy()


def shape_of(x):
    """What a loop tapes instead of an operand it reads only for its shape."""
    if isinstance(x, (float, int)):
        return ()
    return x.shape


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing NumPy broadcasting."""
    if isinstance(x, (float, int)):
        return _total(g)
    else:
        return _onto(g, x.shape)


def unbroadcast_to(g, xshape):
    """`unbroadcast` to a shape a loop taped (`shape_of`)."""
    if len(xshape) == 0:
        return _total(g)
    else:
        return _onto(g, xshape)


def unbroadcast_against(g, x):
    """`g` broadcast against `x`, then summed down to `x`'s shape."""
    return unbroadcast(g, x)


def broadcast_like(t, z):
    """The tangent `t` of an operand, broadcast to the shape of the result `z`."""
    if isinstance(z, (float, int)):
        return t
    elif isinstance(t, (float, int)):
        return numpy.full(z.shape, t)
    elif t.ndim == z.ndim and t.shape == z.shape:
        return t
    else:
        return _spread(t, z.shape, _no_axes())


def unreduce(g, a, axis=None, keepdims=False):
    """Broadcast the adjoint `g` of a reduction over `axis` back to `a`'s shape."""
    if isinstance(a, (float, int)):
        return g
    elif isinstance(g, (float, int)):
        return numpy.full(a.shape, g)
    else:
        return _spread(g, a.shape, _reduced(axis, keepdims, a.ndim))


def reduced_size(a, axis=None):
    """How many elements of `a` a reduction over `axis` folds into one."""
    if isinstance(a, (float, int)):
        return 1
    elif axis is None:
        return a.size
    else:
        n = 1
        for ax in _axes(axis, a.ndim):
            n *= a.shape[ax]
        return n


# -- broadcasting entry by entry: the shapes as int arrays, the entries in C order ----

def _total(g):
    """`g` summed whole: a number."""
    if isinstance(g, (float, int)):
        return g
    else:
        return g.sum()


def _onto(g, shape):
    """`g` broadcast against `shape` and summed down to it: a new array, or `g` itself
    when it has that shape already."""
    if isinstance(g, (float, int)):
        return numpy.full(shape, g)
    elif g.ndim == len(shape) and g.shape == shape:
        return g
    else:
        return _fold(g, shape, _no_axes())


def _no_axes():
    return numpy.empty(0, numpy.int64)


def _reduced(axis, keepdims, ndim):
    """The axes a reduction over `axis` took away (none with keepdims), as `_axes`."""
    if axis is None:
        return _no_axes()
    elif keepdims:
        return _no_axes()
    else:
        return _axes(axis, ndim)


def _axes(axis, ndim):
    """A reduction's `axis` (an int or a tuple of them) as an int array of non-negative axes."""
    if isinstance(axis, int):
        out = numpy.empty(1, numpy.int64)
        out[0] = axis % ndim
    else:
        out = numpy.empty(len(axis), numpy.int64)
        for i in range(len(axis)):
            out[i] = axis[i] % ndim
    return out


def _dims(shape, inserted):
    """`shape` (a tuple) as an int array, with axes of length 1 at the positions
    `inserted` (the axes a reduction without keepdims took away)."""
    n = len(shape) + len(inserted)
    new = numpy.zeros(n, numpy.bool_)
    for p in inserted:
        new[p] = True
    out = numpy.ones(n, numpy.int64)
    j = 0
    for i in range(n):
        if not new[i]:
            out[i] = shape[j]
            j += 1
    return out


def _steps(dims, n):
    """The step in the C-order entries of an array of `dims` along each of `n` broadcast
    axes (its axes the last ones): 0 where it has length 1 or lacks the axis."""
    steps = numpy.zeros(n, numpy.int64)
    step = 1
    for i in range(len(dims) - 1, -1, -1):
        if dims[i] != 1:
            steps[n - len(dims) + i] = step
        step *= dims[i]
    return steps


def _joint(a, b):
    """The broadcast of two shapes (int arrays); ValueError where they do not broadcast."""
    n = max(len(a), len(b))
    out = numpy.ones(n, numpy.int64)
    for k in range(n):
        da = a[k - n + len(a)] if k >= n - len(a) else 1
        db = b[k - n + len(b)] if k >= n - len(b) else 1
        if da != db and da != 1 and db != 1:
            raise ValueError("operands could not be broadcast together")
        out[k] = max(da, db)
    return out


def _move(src, src_dims, dst, dst_dims, how):
    """Over the broadcast of the two shapes, entry by entry: dst[its entry] = (`how` 0:
    then dst has the broadcast shape), += (1) or *= (2) src[its entry]; flat arrays, C order."""
    full = _joint(src_dims, dst_dims)
    n = len(full)
    src_steps = _steps(src_dims, n)
    dst_steps = _steps(dst_dims, n)
    index = numpy.zeros(n, numpy.int64)
    at_src = 0
    at_dst = 0
    for _ in range(full.prod()):
        if how == 1:
            dst[at_dst] += src[at_src]
        elif how == 2:
            dst[at_dst] *= src[at_src]
        else:
            dst[at_dst] = src[at_src]
        k = n - 1
        while k >= 0:
            index[k] += 1
            at_src += src_steps[k]
            at_dst += dst_steps[k]
            if index[k] < full[k]:
                break
            at_src -= src_steps[k] * full[k]
            at_dst -= dst_steps[k] * full[k]
            index[k] = 0
            k -= 1


def _flat(a):
    """The entries of `a` in C order, as a 1-D array (a view where `a` is contiguous)."""
    a = numpy.ascontiguousarray(a)
    return a.reshape(a.size)


def _spread(g, shape, inserted):
    """The array `g`, given axes of length 1 at `inserted`, broadcast to `shape`: a new array."""
    out = numpy.empty(shape)
    dims = _dims(g.shape, inserted)
    full = _joint(dims, _dims(shape, _no_axes()))
    if len(full) != len(shape) or full.prod() != out.size:
        raise ValueError("the operand cannot be broadcast to the result's shape")
    _move(_flat(g), dims, out.reshape(out.size), full, 0)
    return out


def _fold(g, shape, inserted):
    """The array `g` broadcast against `shape` given axes of length 1 at `inserted`, and
    summed down to it: a new array of `shape`."""
    out = numpy.zeros(shape)
    _move(_flat(g), _dims(g.shape, _no_axes()), out.reshape(out.size), _dims(shape, inserted), 1)
    return out
