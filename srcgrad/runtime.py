"""Helpers that generated code calls at run time.

Kept few and small: each is a plain function over NumPy values, cheap when
there is nothing to do (`unbroadcast` is a shape comparison when shapes
agree), and free of srcgrad imports so `export` can copy them into a
standalone module.
"""
import math

import numpy


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
                return g.sum(axis=0)
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
            return g.sum(axis=0 if lead == 1 else tuple(range(lead)))
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


def shape_of(x):
    """What a loop tapes instead of an operand it reads only for its shape."""
    return x.shape if type(x) is numpy.ndarray else numpy.shape(x)


def unreduce(g, a, axis=None, keepdims=False):
    """Broadcast the adjoint `g` of a reduction over `axis` back to `a`'s shape."""
    shape = a.shape if type(a) is numpy.ndarray else numpy.shape(a)
    if axis is not None and not keepdims and shape:  # a 0-d value is reduced whole, whatever the axis
        g = numpy.expand_dims(g, axis)
    if type(a) is numpy.ndarray and a.size <= _SMALL:
        out = numpy.empty(shape, numpy.result_type(g))  # a small copy is cheaper than a view
        out[...] = g
        return out
    return numpy.broadcast_to(g, shape)


_SMALL = 4096  # entries: below this, writing an array beats numpy.broadcast_to's checks


def reduced_size(a, axis=None):
    """How many elements of `a` a reduction over `axis` folds into one."""
    shape = numpy.shape(a)
    if axis is None or not shape:  # a 0-d value is reduced whole, whatever the axis
        return numpy.prod(shape, dtype=int) if shape else 1
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for ax in axes:
        n *= shape[ax]
    return n


def _axis_for(a, axis):
    """The axis a reduction of `a` works along: None for a 0-d value (a NumPy
    scalar, a Python number), which NumPy reduces whole for any axis (0, -1, (0,), ())."""
    return None if axis is not None and numpy.ndim(a) == 0 else axis


def unreduce_extreme(g, a, z, axis=None, keepdims=False):
    """Adjoint of max/min: `g` shared evenly among the entries equal to the extreme."""
    axis = _axis_for(a, axis)
    if axis is not None and not keepdims:
        z = numpy.expand_dims(z, axis)
        g = numpy.expand_dims(g, axis)
    hit = numpy.equal(a, z)
    return g * hit / hit.sum(axis=axis, keepdims=True)


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a Python number, a float array for an
    array, and the same structure of zeros for a dict, list or tuple."""
    if isinstance(x, (float, int)):
        return 0.0
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(zeros_like(v) for v in x)
    x = numpy.asarray(x)
    dtype = x.dtype if numpy.issubdtype(x.dtype, numpy.inexact) else float
    return numpy.zeros(x.shape, dtype)


def require_scalar(value):
    """Stop a gradient of a non-scalar output early, pointing to vjp/jacobian."""
    if isinstance(value, (float, int)) or numpy.ndim(value) == 0:
        return
    from srcgrad.errors import SrcGradError  # only on this error path

    raise SrcGradError(f"grad needs a function with a scalar output; this one returned "
                       f"shape {numpy.shape(value)}",
                       hint="use srcgrad.vjp for a vector-Jacobian product, "
                            "or srcgrad.jacobian for the full matrix")


def _as_matrices(g, a, b):
    """Promote 1-D matmul operands to matrices, and `g` to match."""
    if numpy.ndim(b) == 1:
        b = numpy.expand_dims(b, -1)
        g = numpy.expand_dims(g, -1)
    if numpy.ndim(a) == 1:
        a = numpy.expand_dims(a, 0)
        g = numpy.expand_dims(g, -2)
    return g, a, b


def matmul_adjoint_left(g, a, b):
    """The adjoint of `a` in `a @ b`, for every ndim combination matmul accepts."""
    if type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    g, a2, b = _as_matrices(g, a, b)
    da = unbroadcast(numpy.matmul(g, numpy.swapaxes(b, -1, -2)), a2)
    return numpy.reshape(da, numpy.shape(a))


def matmul_adjoint_right(g, a, b):
    """The adjoint of `b` in `a @ b`."""
    if type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    g, a, b2 = _as_matrices(g, a, b)
    db = unbroadcast(numpy.matmul(numpy.swapaxes(a, -1, -2), g), b2)
    return numpy.reshape(db, numpy.shape(b))


def log_or_zero(x):
    """log(x), but 0 where x == 0: the factor in d(x ** y)/dy, which is 0 there."""
    if isinstance(x, (float, int)):
        return math.log(x) if x != 0 else 0.0
    return numpy.log(numpy.where(numpy.equal(x, 0), 1.0, x))


# --- numpy rules (srcgrad/rules/numpy.py) --------------------------------------

def tie_share(g, win, lose):
    """`g` where `win > lose`, half of it where they are equal, 0 elsewhere.

    The share of one operand in numpy.maximum(win, lose) (and, with the
    operands swapped, in minimum): ties split evenly, as central differences do.
    numpy.where keeps an inf or NaN in `g` out of the unselected entries.
    """
    half = numpy.where(numpy.equal(win, lose), 0.5 * g, 0.0)
    return numpy.where(numpy.greater(win, lose), g, half)


def nan_tie_share(g, x, other):
    """`tie_share` for numpy.fmax/fmin: `x` also takes all of `g` where `other` is NaN."""
    return numpy.where(numpy.isnan(other) & ~numpy.isnan(x), g, tie_share(g, x, other))


def clip_share(g, a, a_min, a_max, part):
    """The share of `part` ("a", "a_min" or "a_max") of `g` in numpy.clip.

    clip is read as minimum(maximum(a, a_min), a_max), a bound may be None;
    ties split evenly (tie_share), as in maximum and minimum.
    """
    low = a if a_min is None else numpy.maximum(a, a_min)
    if part == "a_max":
        return tie_share(g, low, a_max)
    g_low = g if a_max is None else tie_share(g, a_max, low)
    if part == "a_min":
        return tie_share(g_low, a_min, a)
    return g_low if a_min is None else tie_share(g_low, a, a_min)


def sinc_derivative(x, z):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    zero = numpy.equal(x, 0)
    safe = numpy.where(zero, 1.0, x)
    return numpy.where(zero, 0.0, (numpy.cos(numpy.pi * safe) - z) / safe)


def hypot_share(g, x, z):
    """g * x / z, the adjoint of `x` in z = numpy.hypot(x, y); 0 where z == 0 (as the 2-norm)."""
    zero = numpy.equal(z, 0)
    return numpy.where(zero, 0.0, g * x / numpy.where(zero, 1.0, z))


def prod_adjoint_helper(g, a, z, axis=None, keepdims=False):
    """Adjoint of z = numpy.prod(a, axis, keepdims): each entry gets g times the product of the others.

    Without zeros that is g * z / a. A slice with one zero gives its zero entry
    the product of the slice's nonzero entries and every other entry 0; a slice
    with two or more zeros has zero gradient. No division by zero happens.
    """
    a = numpy.asarray(a)
    axis = _axis_for(a, axis)
    g = unreduce(g, a, axis, keepdims)
    zero = numpy.equal(a, 0)
    if not zero.any():
        return g * unreduce(z, a, axis, keepdims) / a
    nonzero_prod = numpy.prod(numpy.where(zero, 1.0, a), axis=axis, keepdims=True)
    zeros = numpy.sum(zero, axis=axis, keepdims=True)
    others = numpy.where(zero, nonzero_prod, nonzero_prod / numpy.where(zero, 1.0, a))
    return numpy.where((zeros == 0) | (zero & (zeros == 1)), g * others, 0.0)


def var_adjoint_helper(g, a, axis=None, ddof=0, keepdims=False):
    """Adjoint of numpy.var(a, axis, ddof=ddof, keepdims=keepdims): 2 g (a - mean) / (N - ddof)."""
    a = numpy.asarray(a)
    axis = _axis_for(a, axis)
    centered = a - numpy.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * (2.0 / (reduced_size(a, axis) - ddof)) * centered


def std_adjoint_helper(g, a, z, axis=None, ddof=0, keepdims=False):
    """Adjoint of z = numpy.std(...): the var adjoint of g / (2 z); 0 where z == 0 (as the 2-norm)."""
    zero = numpy.equal(z, 0)
    g = numpy.where(zero, 0.0, g / (2.0 * numpy.where(zero, 1.0, z)))
    return var_adjoint_helper(g, a, axis, ddof, keepdims)


def reverse_cumsum(g, axis):
    """Sums from each position to the end along `axis` (the adjoint of cumsum)."""
    return numpy.flip(numpy.cumsum(numpy.flip(g, axis), axis=axis), axis)


def cumsum_adjoint_helper(g, a, axis=None):
    """Adjoint of numpy.cumsum(a, axis); axis=None cumulates over the flattened array,
    as any axis does for a 0-d value."""
    if axis is None or numpy.ndim(a) == 0:
        return numpy.reshape(reverse_cumsum(numpy.ravel(g), 0), numpy.shape(a))
    return reverse_cumsum(g, axis)


def cumprod_adjoint_helper(g, a, z, axis=None):
    """Adjoint of z = numpy.cumprod(a, axis); axis=None works on the flattened array.

    Without zeros: reverse_cumsum(g * z) / a. With a zero anywhere, the exact
    recurrence s[i] = g[i] + a[i+1] * s[i+1], d a[i] = cumprod(a)[i-1] * s[i],
    run as a loop along the axis (vectorised over the others).
    """
    shape = numpy.shape(a)
    a = numpy.asarray(a, dtype=numpy.result_type(numpy.asarray(a).dtype, float))
    if axis is None or not shape:  # flattened (a 0-d value is, whatever the axis)
        a, g, z, axis = numpy.ravel(a), numpy.ravel(g), numpy.ravel(z), 0
    if not numpy.equal(a, 0).any():
        return numpy.reshape(reverse_cumsum(g * z, axis) / a, shape)
    a, g, z = (numpy.moveaxis(numpy.asarray(v), axis, 0) for v in (a, g, z))
    n = a.shape[0]
    s = numpy.empty(numpy.broadcast_shapes(a.shape, g.shape), dtype=numpy.result_type(a, g))
    s[n - 1] = g[n - 1]
    for i in range(n - 2, -1, -1):
        s[i] = g[i] + a[i + 1] * s[i + 1]
    before = numpy.concatenate([numpy.ones_like(a[:1]), z[:-1]], axis=0)
    return numpy.reshape(numpy.moveaxis(before * s, 0, axis), shape)


def sort_adjoint_helper(g, a, axis=-1, kind=None):
    """Adjoint of numpy.sort(a, axis, kind): `g` sent back through the sorting permutation."""
    a = numpy.asarray(a)
    order = numpy.argsort(a, axis=axis, kind=kind)
    out = numpy.zeros(order.shape, dtype=numpy.result_type(numpy.asarray(g).dtype, float))
    if axis is None:
        out[order] = g
        return numpy.reshape(out, a.shape)
    numpy.put_along_axis(out, order, g, axis)
    return out


def take_adjoint_helper(g, a, indices, axis=None, mode="raise"):
    """Adjoint of numpy.take(a, indices, axis, mode=mode): `g` scattered back with numpy.add.at.

    add.at accumulates, so an index taken several times gets the sum.
    """
    shape = numpy.shape(a)
    g = numpy.asarray(g)
    out = numpy.zeros(shape, dtype=numpy.result_type(g.dtype, float))
    target = numpy.reshape(out, -1) if axis is None else numpy.moveaxis(out, axis, 0)
    n = target.shape[0]
    indices = numpy.asarray(indices)
    if mode == "wrap":
        indices = numpy.mod(indices, n)
    elif mode == "clip":
        indices = numpy.clip(indices, 0, n - 1)
    if axis is not None:
        axis = axis % len(shape)
        g = numpy.moveaxis(g, tuple(range(axis, axis + indices.ndim)), tuple(range(indices.ndim)))
    numpy.add.at(target, indices, g)
    return out


# --- shape and array-building adjoints (rules/shapes.py, rules/ndarray.py) ---

def float_dtype_like(g):
    """The floating dtype an adjoint of `g` should have (float64 for integers)."""
    dtype = numpy.asarray(g).dtype
    return dtype if numpy.issubdtype(dtype, numpy.inexact) else numpy.dtype(float)


def shape_rule_error(message):
    """Raise SrcGradError from generated code: a case a shape rule cannot differentiate."""
    from srcgrad.errors import SrcGradError  # only on this error path

    raise SrcGradError(message)


def reshape_adjoint_helper(g, a, order="C"):
    """Adjoint of reshape/ravel/flatten: `g` put back into `a`'s shape.

    `order` is the index order the forward call read `a` in; 'A' and ravel's
    'K' are resolved against `a`'s memory layout exactly as NumPy does.
    """
    return numpy.reshape(g, numpy.shape(a), order=memory_order(a, order))


def memory_order(a, order):
    """The index order 'C' or 'F' that reshape's `order` ('A', 'K' too) means for `a`."""
    if order in ("A", "a"):
        return "F" if isinstance(a, numpy.ndarray) and numpy.isfortran(a) else "C"
    if order in ("K", "k"):
        if not isinstance(a, numpy.ndarray) or a.flags.c_contiguous:
            return "C"
        if a.flags.f_contiguous:
            return "F"
        shape_rule_error("order='K' of a non-contiguous array has no supported derivative; "
                         "use order='C' or order='F'")
    return order


def transpose_adjoint_helper(g, axes=None):
    """Adjoint of numpy.transpose(a, axes): the inverse permutation applied to `g`."""
    if axes is None:
        return numpy.transpose(g)
    nd = numpy.ndim(g)
    return numpy.transpose(g, numpy.argsort([int(ax) % nd for ax in axes]))


def method_axes(args):
    """The axes of `x.transpose(*args)`: (), (None,), ((1, 0),) and (1, 0) all accepted."""
    if len(args) == 0:
        return None
    if len(args) == 1 and (args[0] is None or numpy.ndim(args[0]) > 0):
        return args[0]
    return args


def pieces_like(pieces, arrays):
    """Per-input adjoints: a list, or one array when the inputs were rows of an array."""
    if isinstance(arrays, numpy.ndarray):
        return numpy.stack(pieces)
    return list(pieces)


def split_adjoint_helper(g, shapes, axis):
    """Split `g` along `axis` into blocks as wide as `shapes[i][axis]`."""
    cuts = numpy.cumsum([s[axis] for s in shapes])[:-1]
    return numpy.split(g, cuts, axis=axis)


def concatenate_adjoint_helper(g, arrays, axis=0):
    """Adjoint of numpy.concatenate(arrays, axis): `g` split back into one piece per input."""
    shapes = [numpy.shape(x) for x in arrays]
    if axis is None:
        flat = [(int(numpy.prod(s, dtype=int)),) for s in shapes]
        pieces = split_adjoint_helper(numpy.ravel(g), flat, 0)
    else:
        pieces = split_adjoint_helper(g, shapes, int(axis) % numpy.ndim(g))
    return pieces_like([numpy.reshape(p, s) for p, s in zip(pieces, shapes)], arrays)


def stack_adjoint_helper(g, arrays, axis=0):
    """Adjoint of numpy.stack(arrays, axis): the slices of `g` along `axis`."""
    parts = numpy.moveaxis(g, axis, 0)
    return parts if isinstance(arrays, numpy.ndarray) else list(parts)


def promoted_stack_adjoint_helper(g, tup, kind):
    """Adjoint of hstack / vstack / column_stack ('h', 'v', 'c').

    Each input is first promoted as NumPy does (atleast_1d, atleast_2d, or
    1-D to a column), the promoted blocks are split from `g`, and each block
    is reshaped back to its input's shape.
    """
    shapes = [numpy.shape(x) for x in tup]
    if kind == "h":
        promoted = [s if len(s) else (1,) for s in shapes]
        axis = 0 if promoted and len(promoted[0]) == 1 else 1
    elif kind == "v":
        promoted = [s if len(s) >= 2 else (1,) * (2 - len(s)) + s for s in shapes]
        axis = 0
    else:
        promoted = [s if len(s) >= 2 else (s + (1,) if s else (1, 1)) for s in shapes]
        axis = 1
    pieces = split_adjoint_helper(g, promoted, axis)
    return pieces_like([numpy.reshape(p, s) for p, s in zip(pieces, shapes)], tup)


def tile_adjoint_helper(g, A, reps):
    """Adjoint of numpy.tile(A, reps): the sum of `g` over all the tiles."""
    shape = numpy.shape(A)
    reps = tuple(int(r) for r in numpy.ravel(reps))
    n = max(len(shape), len(reps))
    s = (1,) * (n - len(shape)) + tuple(shape)
    r = (1,) * (n - len(reps)) + reps
    g = numpy.reshape(g, [v for pair in zip(r, s) for v in pair])
    return numpy.reshape(numpy.sum(g, axis=tuple(range(0, 2 * n, 2))), shape)


def repeat_adjoint_helper(g, a, repeats, axis=None):
    """Adjoint of numpy.repeat(a, repeats, axis): each element's copies summed."""
    shape = numpy.shape(a)
    g = numpy.asarray(g)
    if axis is None:
        g, ax, n = numpy.ravel(g), 0, int(numpy.prod(shape, dtype=int))
    else:
        ax = int(axis) % len(shape)
        n = shape[ax]
    gm = numpy.moveaxis(g, ax, 0)
    if numpy.size(repeats) == 1:
        r = int(numpy.ravel(repeats)[0])
        out = numpy.sum(numpy.reshape(gm, (n, r) + gm.shape[1:]), axis=1)
    else:
        out = numpy.zeros((n,) + gm.shape[1:], dtype=float_dtype_like(g))
        numpy.add.at(out, numpy.repeat(numpy.arange(n), repeats), gm)
    return numpy.reshape(numpy.moveaxis(out, 0, ax), shape)


def pad_adjoint_helper(g, array, pad_width, mode="constant"):
    """Adjoint of numpy.pad(array, pad_width, mode) for the copying modes.

    'constant', 'edge', 'reflect', 'symmetric' and 'wrap' each copy elements
    of `array`: padding an index array the same way gives the source of every
    output element, and the adjoint sums `g` back onto those sources. Other
    modes (statistics, ramps, callables) raise SrcGradError.
    """
    if not isinstance(mode, str) or mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
        shape_rule_error(f"numpy.pad(mode={mode!r}) has no derivative rule; supported modes are "
                     "'constant', 'edge', 'reflect', 'symmetric' and 'wrap'")
    shape = numpy.shape(array)
    n = int(numpy.prod(shape, dtype=int))
    index = numpy.reshape(numpy.arange(1, n + 1), shape)
    source = numpy.pad(index, pad_width, mode=mode)
    g = numpy.asarray(g)
    out = numpy.bincount(numpy.ravel(source), weights=numpy.ravel(g.real), minlength=n + 1)[1:]
    if numpy.iscomplexobj(g):
        out = out + 1j * numpy.bincount(numpy.ravel(source), weights=numpy.ravel(g.imag),
                                        minlength=n + 1)[1:]
    return numpy.reshape(out, shape)


def pad_constant_values_adjoint_helper(g, array, pad_width, constant_values):
    """Adjoint of `constant_values` in numpy.pad(..., mode='constant').

    Each padded element takes the (axis, side) value NumPy wrote last there;
    padding an array of codes finds which, and `g` is summed per code.
    """
    nd = numpy.ndim(array)
    codes = numpy.reshape(numpy.arange(1, 2 * nd + 1), (nd, 2))
    source = numpy.pad(numpy.zeros(numpy.shape(array), dtype=int), pad_width,
                       mode="constant", constant_values=codes)
    sums = numpy.bincount(numpy.ravel(source), weights=numpy.ravel(g), minlength=2 * nd + 1)[1:]
    return unbroadcast(numpy.reshape(sums, (nd, 2)), constant_values)


def structure_adjoint_helper(g, obj):
    """`g` (an array shaped like numpy.array(obj)) laid out like `obj`.

    A list or tuple gets a list of per-element adjoints (recursively); an
    array leaf gets `g` in its own floating dtype; a number gets a scalar.
    """
    if isinstance(obj, (list, tuple)):
        return [structure_adjoint_helper(g[i], x) for i, x in enumerate(obj)]
    if numpy.iscomplexobj(g) and not numpy.iscomplexobj(obj):
        g = numpy.real(g)
    if isinstance(obj, (numpy.ndarray, numpy.generic)):
        if numpy.issubdtype(obj.dtype, numpy.inexact):
            return numpy.asarray(g).astype(obj.dtype, copy=False)
        return numpy.asarray(g)
    return g


def array_adjoint_helper(g, obj, dtype=None):
    """Adjoint of numpy.array(obj, dtype) / numpy.asarray: the gradient flows back
    to each element of `obj`; an integer or boolean `dtype` stops it."""
    if dtype is not None and not numpy.issubdtype(numpy.dtype(dtype), numpy.inexact):
        g = numpy.zeros(numpy.shape(g))
    return structure_adjoint_helper(g, obj)


def astype_adjoint_helper(g, a, dtype):
    """Adjoint of a.astype(dtype): passes through for a floating target, else zero."""
    if not numpy.issubdtype(numpy.dtype(dtype), numpy.inexact):
        return numpy.zeros(numpy.shape(a), dtype=float_dtype_like(a))
    return structure_adjoint_helper(numpy.reshape(g, numpy.shape(a)), a)


def diagonal_adjoint_helper(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of numpy.diagonal(a, offset, axis1, axis2): `g` written on that diagonal of zeros."""
    out = numpy.zeros(numpy.shape(a), dtype=float_dtype_like(g))
    view = numpy.moveaxis(out, (axis1, axis2), (-2, -1))
    i = numpy.arange(numpy.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diag_adjoint_helper(g, v, k=0):
    """Adjoint of numpy.diag(v, k), both ways: 1-D v built a matrix, 2-D v gave its diagonal."""
    if numpy.ndim(v) == 1:
        return numpy.diagonal(g, k).copy()
    return diagonal_adjoint_helper(g, v, k)


def append_adjoint_helper(g, arr, values, axis=None):
    """Adjoint of numpy.append(arr, values, axis): the pair (d arr, d values)."""
    shape_a, shape_v = numpy.shape(arr), numpy.shape(values)
    if axis is None:
        g = numpy.ravel(g)
        n = int(numpy.prod(shape_a, dtype=int))
        return numpy.reshape(g[:n], shape_a), numpy.reshape(g[n:], shape_v)
    first, second = split_adjoint_helper(g, [shape_a, shape_v], int(axis) % numpy.ndim(g))
    return first, second


def item_adjoint_helper(g, a, args):
    """Adjoint of a.item(*args): `g` placed at the element the call read."""
    shape = numpy.shape(a)
    out = numpy.zeros(shape, dtype=float_dtype_like(a))
    if len(args) == 1 and numpy.ndim(args[0]) > 0:
        args = tuple(args[0])
    if len(args) == 0:
        out.flat[0] = g
    elif len(args) == 1:
        out.flat[int(args[0])] = g
    else:
        out[tuple(args)] = g
    return out


# --- linear algebra (srcgrad/rules/linalg.py) ------------------------------


def dot_adjoint_left(g, a, b):
    """The adjoint of `a` in `numpy.dot(a, b)`, for every ndim combination dot accepts."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:  # dot is multiply
        return unbroadcast(g * b, a)
    if na == 2 and nb == 2:
        return g @ numpy.transpose(b)
    if nb == 1:  # z[i...] = sum_k a[i..., k] b[k]
        return numpy.multiply.outer(g, b)
    # z[i..., j..., n] = sum_k a[i..., k] b[j..., k, n]
    g_axes = tuple(range(na - 1, numpy.ndim(g)))
    b_axes = tuple(range(nb - 2)) + (nb - 1,)
    return numpy.tensordot(g, b, axes=(g_axes, b_axes))


def dot_adjoint_right(g, a, b):
    """The adjoint of `b` in `numpy.dot(a, b)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    if na == 2 and nb == 2:
        return numpy.transpose(a) @ g
    lead = tuple(range(na - 1))
    t = numpy.tensordot(a, g, axes=(lead, lead))  # (k,) + the rest of b's axes
    return t if nb == 1 else numpy.moveaxis(t, 0, -2)


def inner_adjoint_left(g, a, b):
    """The adjoint of `a` in `numpy.inner(a, b)` (a sum over both last axes)."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a)
    g_axes = tuple(range(na - 1, numpy.ndim(g)))
    return numpy.tensordot(g, b, axes=(g_axes, tuple(range(nb - 1))))


def inner_adjoint_right(g, a, b):
    """The adjoint of `b` in `numpy.inner(a, b)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    lead = tuple(range(na - 1))
    return numpy.tensordot(g, a, axes=(lead, lead))


def tensordot_axes(na, nb, axes):
    """`numpy.tensordot`'s `axes` as two lists of non-negative axes (of a, of b)."""
    if isinstance(axes, (int, numpy.integer)):
        return list(range(na - axes, na)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, numpy.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, numpy.integer)) else list(b_axes)
    return [ax % na for ax in a_axes], [ax % nb for ax in b_axes]


def tensordot_adjoint_left(g, a, b, axes=2):
    """The adjoint of `a` in `numpy.tensordot(a, b, axes)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = tensordot_axes(na, nb, axes)
    a_free = [ax for ax in range(na) if ax not in a_axes]
    b_free = [ax for ax in range(nb) if ax not in b_axes]
    t = numpy.tensordot(g, b, axes=(list(range(len(a_free), numpy.ndim(g))), b_free))
    # t's axes: a_free, then b's contracted axes in increasing order; map each to a's axis
    source = a_free + [a_axes[b_axes.index(ax)] for ax in sorted(b_axes)]
    return numpy.transpose(t, numpy.argsort(source))


def tensordot_adjoint_right(g, a, b, axes=2):
    """The adjoint of `b` in `numpy.tensordot(a, b, axes)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = tensordot_axes(na, nb, axes)
    a_free = [ax for ax in range(na) if ax not in a_axes]
    b_free = [ax for ax in range(nb) if ax not in b_axes]
    t = numpy.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    source = [b_axes[a_axes.index(ax)] for ax in sorted(a_axes)] + b_free
    return numpy.transpose(t, numpy.argsort(source))


class EinsumAdjoints:
    """The adjoints of `numpy.einsum(subscripts, *operands)`, one per operand.

    Indexing computes one operand's adjoint on demand, so the adjoint of a
    constant operand is never computed. Supports explicit ('ij,jk->ik') and
    implicit ('ij,jk') subscripts, repeated indices ('ii->i', 'ii') and
    indices summed within one operand; not ellipsis or the sublist form.
    """

    def __init__(self, g, subscripts, operands):
        if not isinstance(subscripts, str):
            raise TypeError("srcgrad: the gradient of numpy.einsum needs a subscripts string "
                            "first (the sublist form einsum(a, [0, 1], ...) is not supported)")
        spec = subscripts.replace(" ", "")
        if "." in spec:
            raise ValueError(f"srcgrad: no gradient for numpy.einsum with an ellipsis "
                             f"({subscripts!r}); write every index out explicitly")
        inputs, arrow, output = spec.partition("->")
        inputs = inputs.split(",")
        if not arrow:  # implicit mode: indices seen once, in alphabetical order
            letters = "".join(inputs)
            output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if len(inputs) != len(operands):
            raise ValueError(f"srcgrad: einsum subscripts {subscripts!r} name {len(inputs)} "
                             f"operands, got {len(operands)}")
        self.g, self.inputs, self.output = g, inputs, output
        self.operands = [numpy.asarray(op) for op in operands]
        self.sizes = {}
        for sub, op in zip(inputs, self.operands):
            for c, n in zip(sub, op.shape):
                if self.sizes.get(c, 1) == 1:
                    self.sizes[c] = n

    def __len__(self):
        return len(self.operands)

    def __getitem__(self, i):
        sub, op = self.inputs[i], self.operands[i]
        others = [j for j in range(len(self.operands)) if j != i]
        known = set(self.output).union(*(self.inputs[j] for j in others))
        unique = "".join(dict.fromkeys(sub))  # op's indices, first occurrence order
        present = "".join(c for c in unique if c in known)
        spec = ",".join([self.output] + [self.inputs[j] for j in others]) + "->" + present
        grad = numpy.einsum(spec, self.g, *(self.operands[j] for j in others))
        # indices summed inside this operand alone: the gradient is constant along them
        grad = numpy.reshape(grad, [grad.shape[present.index(c)] if c in present else 1
                                    for c in unique])
        grad = numpy.broadcast_to(grad, [self.sizes[c] for c in unique])
        if len(unique) != len(sub):  # repeated indices: write onto the diagonal
            full = numpy.zeros([self.sizes[c] for c in sub], dtype=grad.dtype)
            numpy.einsum(f"{sub}->{unique}", full)[...] = grad
            grad = full
        if grad.shape != op.shape:  # a size-1 axis einsum broadcast
            grad = numpy.sum(grad, axis=tuple(k for k, n in enumerate(op.shape) if n == 1),
                             keepdims=True)
        return grad


def trace_adjoint_helper(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of `a` in `numpy.trace(a, offset, axis1, axis2)`: `g` on that diagonal."""
    shape = numpy.shape(a)
    da = numpy.zeros(shape, dtype=numpy.result_type(g, 1.0))
    view = numpy.moveaxis(da, (axis1, axis2), (0, 1))
    n1, n2 = view.shape[:2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = numpy.arange(n)
    view[i + max(-offset, 0), i + max(offset, 0)] = g
    return da


def _norm_axes(axis, nd: int) -> tuple:
    """numpy.linalg.norm's `axis` as a tuple of non-negative axes (all for None)."""
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (int, numpy.integer)):
        return (int(axis) % nd,)
    return tuple(int(ax) % nd for ax in axis)


def norm_adjoint_helper(g, x, z, ord=None, axis=None, keepdims=False):
    """The adjoint of `x` in `numpy.linalg.norm(x, ord, axis, keepdims)`.

    Vector norms: 2, 1, inf, -inf, 0 and p >= 1; matrix norms: 'fro', 'nuc',
    1, -1, 2, -2, inf, -inf. Ties (inf norms, 1-norm columns) share the
    gradient evenly; a 2-norm (or Frobenius, spectral, nuclear) of zero has
    zero gradient. Anything else raises instead of guessing.
    """
    x = numpy.asarray(x)
    nd = x.ndim
    if axis is None and ord is not None and nd > 2:
        raise ValueError("srcgrad: numpy.linalg.norm with ord needs a 1-D or 2-D array")
    axes = _norm_axes(axis, nd)
    if not keepdims or axis is None:
        g = numpy.reshape(g, [1 if k in axes else n for k, n in enumerate(x.shape)])
        z = numpy.reshape(z, numpy.shape(g))
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return x * (g / numpy.where(z == 0, 1.0, z))
    inf = float("inf")
    if len(axes) == 1:
        if ord == 1:
            return g * numpy.sign(x)
        if ord == 0:
            return numpy.zeros(x.shape, numpy.result_type(x, 1.0))
        if ord in (inf, -inf):
            ax = numpy.abs(x)
            ext = (numpy.max if ord == inf else numpy.min)(ax, axis=axes, keepdims=True)
            hit = ax == ext
            return g * numpy.sign(x) * hit / numpy.sum(hit, axis=axes, keepdims=True)
        if not isinstance(ord, str) and ord > 1:
            zs = numpy.where(z == 0, 1.0, z)
            return g * numpy.sign(x) * (numpy.abs(x) / zs) ** (ord - 1)
    elif len(axes) == 2:
        row, col = axes
        if ord in (1, -1, inf, -inf):
            summed, other = (row, col) if ord in (1, -1) else (col, row)
            sums = numpy.sum(numpy.abs(x), axis=summed, keepdims=True)
            ext = (numpy.max if ord > 0 else numpy.min)(sums, axis=other, keepdims=True)
            hit = sums == ext
            return g * numpy.sign(x) * hit / numpy.sum(hit, axis=other, keepdims=True)
        if ord in (2, -2, "nuc"):
            xm = numpy.moveaxis(x, axes, (-2, -1))
            u, s, vh = numpy.linalg.svd(xm, full_matrices=False)
            if ord == 2:
                u, vh = u[..., :, :1], vh[..., :1, :]
            elif ord == -2:
                u, vh = u[..., :, -1:], vh[..., -1:, :]
            grad = numpy.moveaxis(u @ vh, (-2, -1), axes)
            return g * grad * (z != 0)
    raise ValueError(f"srcgrad: no gradient for numpy.linalg.norm with ord={ord!r} over "
                     f"{len(axes)} axis(es); supported: vector ord None, 1, 2, inf, -inf, 0, "
                     f"p > 1; matrix ord None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")


NUMPY_MAJOR_FOR_SOLVE = int(numpy.__version__.split(".")[0])


def solve_is_vector(a, b):
    """Whether `numpy.linalg.solve(a, b)` reads `b` as a (stack of) vector(s).

    NumPy 2 does so only for a 1-D `b`; NumPy 1 whenever b.ndim == a.ndim - 1.
    """
    nb = numpy.ndim(b)
    if NUMPY_MAJOR_FOR_SOLVE >= 2:
        return nb == 1
    return nb == numpy.ndim(a) - 1


def solve_adjoint_helper(g, a, b):
    """`y` solving `a^T y = g` (`g` the adjoint of `solve(a, b)`), before unbroadcasting."""
    at = numpy.swapaxes(a, -1, -2)
    if solve_is_vector(a, b):
        return numpy.linalg.solve(at, numpy.expand_dims(g, -1))[..., 0]
    return numpy.linalg.solve(at, g)


def solve_adjoint_a(y, z, a, b):
    """The adjoint of `a` in `z = solve(a, b)`, from `y = solve(a^T, g)`: `-y z^T`."""
    if solve_is_vector(a, b):
        da = -numpy.expand_dims(y, -1) * numpy.expand_dims(z, -2)
    else:
        da = -(y @ numpy.swapaxes(z, -1, -2))
    return unbroadcast(da, a)


def cholesky_adjoint_helper(g, z):
    """The adjoint of `a` in `z = numpy.linalg.cholesky(a)` (which reads a's lower triangle).

    With phi(m) = tril(m) with its diagonal halved and m = L^-T phi(L^T g) L^-1,
    the gradient is tril(m + m^T) with m's own diagonal: upper entries are unused.
    """
    zinv = numpy.linalg.inv(z)
    p = numpy.swapaxes(z, -1, -2) @ g
    eye = numpy.eye(numpy.shape(z)[-1])
    p = numpy.tril(p) - 0.5 * p * eye
    m = numpy.swapaxes(zinv, -1, -2) @ p @ zinv
    return numpy.tril(m + numpy.swapaxes(m, -1, -2)) - m * eye


# --- Python builtins (srcgrad/rules/builtins.py) -----------------------------


def float_adjoint_helper(g, x):
    """The adjoint of `x` in `float(x)`: `g`, reshaped when `x` is a size-1 array."""
    if isinstance(x, (float, int)):
        return g
    return numpy.reshape(g, numpy.shape(x))


def sum_adjoint_helper(g, iterable):
    """The adjoint of `iterable` in the builtin `sum(iterable)`.

    A list or tuple gets one adjoint per item (`g`, unbroadcast to the item);
    an array, summed along its first axis, gets `g` repeated along that axis.
    """
    if isinstance(iterable, (list, tuple)):
        if isinstance(g, float):  # Python numbers: nothing to reshape
            return [g] * len(iterable)
        return [unbroadcast(g, item) for item in iterable]
    return numpy.broadcast_to(g, numpy.shape(iterable))


def list_adjoint_helper(g, x):
    """The adjoint of `x` in `list(x)`: a dict's keys carry none; a list or tuple
    gets the entries' adjoints back; an array, its rows' adjoints stacked."""
    if isinstance(x, dict):
        return None
    if isinstance(x, (list, tuple)):
        return None if g is None else type(x)(g)
    return numpy.stack([fill_grad(gi, xi) for gi, xi in zip(g, x)]) if len(x) else zeros_like(x)


def list_tangent_helper(t, x):
    """The tangent of `list(x)`: zeros for a dict's keys, the entries' tangents otherwise."""
    if isinstance(x, dict):
        return [0.0] * len(x)
    return list(t)


_INDEXABLE = (list, tuple, numpy.ndarray)


def loop_items(x):
    """What `for v in x` runs over, indexable by position: a list, tuple or array
    itself (its items are read by index, as iteration reads them); anything else
    (a dict: its keys; a set, a dict view, a string) as the list iteration gives.
    The loop lowering calls this where the iterated value's kind is not known."""
    return x if isinstance(x, _INDEXABLE) else list(x)


def loop_items_adjoint(g, x):
    """The adjoint of `x` in `loop_items(x)`: the same for a list, tuple or array;
    none for a dict's keys (or any other collection's entries: constants)."""
    return g if isinstance(x, _INDEXABLE) else None


def loop_items_tangent(t, x):
    """The tangent of `loop_items(x)`: `t` for a list, tuple or array; zeros for
    the keys of a dict (or the entries of any other collection)."""
    return t if isinstance(x, _INDEXABLE) else [0.0] * len(x)


# --- subscripts (srcgrad/rules/operators.py) --------------------------------


def unindex(g, a, index):
    """The adjoint of `a` in `a[index]`: `g` placed in zeros shaped like `a`.

    Integer-array and boolean indices go through `numpy.add.at`, so repeated
    indices add up; basic indices (ints, slices) are a plain assignment.
    """
    if isinstance(a, dict):
        return {index: g}
    if isinstance(a, (list, tuple)):
        out = [None] * len(a)
        out[index] = g
        return type(a)(out)
    dtype = numpy.result_type(numpy.asarray(g).dtype, numpy.float64) \
        if numpy.asarray(g).dtype.kind != "f" else numpy.asarray(g).dtype
    out = numpy.zeros(numpy.shape(a), dtype)
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (numpy.ndarray, list)) for p in parts):
        numpy.add.at(out, index, g)
    else:
        out[index] = g
    return out


# --- a fast path's check (srcgrad/optimize/speculate.py) ----------------------


def has_nan(*gradients) -> bool:
    """Whether a gradient (a number, an array, or a dict/list/tuple of them) may hold NaN.

    A derivative's fast path multiplies and divides without the NaN guards;
    where a guard would have kept a zero adjoint zero (0 * inf, 0 / 0), the
    plain operation makes a NaN, and NaN reaches the gradient. When this says
    True, the NaN-safe twin computes the gradient instead. A false alarm (a
    value of a type it cannot inspect) only costs that rerun.
    """
    for g in gradients:
        kind = type(g)
        if kind is float:
            if g != g:
                return True
        elif kind is numpy.ndarray or isinstance(g, numpy.generic):
            code = g.dtype.kind
            if code == "f":
                if g.size and numpy.isnan(g.max()):  # max passes NaN on: one read, no temporary
                    return True
            elif code == "c":
                if numpy.isnan(g).any():
                    return True
            elif code not in "iub":
                return True
        elif kind is dict:
            if has_nan(*g.values()):
                return True
        elif kind is list or kind is tuple:
            if has_nan(*g):
                return True
        elif g is not None and kind is not int:
            return True
    return False


def raise_float_errors():
    """Where the fast path's backward sweep runs: any division by zero, overflow or
    invalid operation raises, and the fast function hands over to its NaN-safe
    twin, which meets the event with its guards and the caller's own settings
    (warn, raise, ignore). Underflow is left to the caller's settings: the guards
    do not touch it either."""
    return numpy.errstate(divide="raise", over="raise", invalid="raise")


# --- debug_nans=True ----------------------------------------------------------


def check_finite(value, generated, origin):
    """Raise FloatingPointError when a generated statement produced NaN or inf, and
    SrcGradError when it produced a complex value (outside the SPEC)."""
    if isinstance(value, complex) or (not isinstance(value, float) and numpy.iscomplexobj(value)):
        from srcgrad.errors import SrcGradError  # only on this error path

        raise SrcGradError(f"a complex value produced by the generated statement `{generated}` "
                           f"(from {origin}); srcgrad differentiates real numbers only",
                           hint="keep that computation real")
    if isinstance(value, float):
        bad = value != value or value in (float("inf"), float("-inf"))
    else:
        try:
            bad = not numpy.all(numpy.isfinite(value))
        except TypeError:  # not numeric: shapes, strings, None
            return
    if bad:
        raise FloatingPointError(f"NaN or inf produced by the generated statement `{generated}` "
                                 f"(from {origin})")


# --- containers: tuples, lists and dicts that carry gradients ---------------
#
# The adjoint of a container is a container of the same kind whose entries
# are adjoints or None (no gradient reached that entry): `add_grad` merges
# them, `fill_grad` turns None into zeros where a value needs a real one.
# A NumPy function that reads a list or tuple reads it as an array, and its
# rule gives an array adjoint: row i is the adjoint of entry i. Both forms
# are valid adjoints of a list; where they meet, the array is taken apart
# into its rows (`entry_adjoints`), never dropped.


def entry_adjoints(g, like):
    """The adjoints of the entries of the list or tuple `like`, from its adjoint `g`:
    `g`'s own entries, None for each when `g` is None, or the rows of an array."""
    if isinstance(g, (list, tuple)):
        return g
    if g is None:
        return [None] * len(like)
    if numpy.ndim(g) == 0 or numpy.shape(g)[0] != len(like):
        g = numpy.broadcast_to(g, numpy.shape(like))  # raises if the shapes disagree
    return list(g)


def add_grad(a, b):
    """a + b for adjoints that may be containers or None."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_grad(out.get(key), value)
        return out
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        like = a if isinstance(a, (list, tuple)) else b
        return type(like)(add_grad(x, y) for x, y in zip(entry_adjoints(a, like), entry_adjoints(b, like),
                                                         strict=True))
    return a + b


def fill_grad(g, like):
    """The adjoint `g` with every missing entry replaced by zeros shaped like `like`."""
    if g is None:
        return zeros_like(like)
    if isinstance(like, dict):
        return {k: fill_grad(g.get(k) if isinstance(g, dict) else None, v) for k, v in like.items()}
    if isinstance(like, (list, tuple)) and isinstance(g, (list, tuple)):
        return type(like)(fill_grad(x, v) for x, v in zip(g, like))
    return g


def pack_tuple(*items):
    """`(a, b, ...)`: the key of the tuple-display rule; also a working function."""
    return tuple(items)


def pack_list(*items):
    """`[a, b, ...]`: the key of the list-display rule."""
    return list(items)


def pack_dict(keys, values):
    """`{k1: a, k2: b, ...}`: the key of the dict-display rule."""
    return dict(zip(keys, values))


def unpack_adjoint(g, items):
    """Per-item adjoints of a tuple or list display, zeros where none arrived."""
    return [fill_grad(None if g is None else g[i], item) for i, item in enumerate(items)]


def dict_unpack_adjoint(g, keys, values):
    """Per-value adjoints of a dict display, zeros where none arrived."""
    return [fill_grad(None if g is None else g.get(k), v) for k, v in zip(keys, values)]


# --- constructors with a value argument: full, full_like, linspace, arange ---


def _float_result(z) -> bool:
    """Whether a constructor's result is of a float type: rounded to integers, its
    value argument is piecewise constant and has a zero derivative."""
    return numpy.asarray(z).dtype.kind == "f"


def fill_adjoint(g, z, fill_value):
    """The adjoint of the fill value of numpy.full / full_like: `g` summed down to it."""
    return unbroadcast(g, fill_value) if _float_result(z) else zeros_like(fill_value)


def fill_tangent(t, z):
    """The tangent of numpy.full / full_like from its fill value's tangent `t`."""
    return broadcast_like(t, z) if _float_result(z) else zeros_like(z)


def _linspace_weights(z, num, endpoint, axis, end):
    """d z / d start (end 0) or d z / d stop (end 1) of numpy.linspace, shaped to
    broadcast along `axis`: the entries are start + (stop - start) * i / div."""
    div = num - 1 if endpoint else num
    t = numpy.arange(num) / div if div > 0 else numpy.zeros(num)
    shape = [1] * numpy.ndim(z)
    shape[axis] = num
    return (t if end else 1.0 - t).reshape(shape)


def linspace_adjoint(g, z, value, num, endpoint, axis, end):
    """The adjoint of numpy.linspace's start (end 0) or stop (end 1), `value`."""
    if not _float_result(z):
        return zeros_like(value)
    axis = axis % numpy.ndim(z)
    return unbroadcast(numpy.sum(g * _linspace_weights(z, num, endpoint, axis, end), axis=axis), value)


def linspace_tangent(t, z, num, endpoint, axis, end):
    """numpy.linspace's tangent from the tangent `t` of its start (end 0) or stop (end 1)."""
    if not _float_result(z):
        return zeros_like(z)
    axis = axis % numpy.ndim(z)
    shape = numpy.shape(z)
    t = numpy.expand_dims(numpy.broadcast_to(t, shape[:axis] + shape[axis + 1:]), axis)
    return broadcast_like(t * _linspace_weights(z, num, endpoint, axis, end), z)


def arange_adjoint(g, z, value, stop, end):
    """The adjoint of numpy.arange's float start (end 0) or step (end 2), `value`:
    the entries are start + i * step. With one argument (`arange(stop)`) the
    argument is the stop, on which the entries depend piecewise constantly."""
    if stop is None or not _float_result(z):
        return zeros_like(value)
    return numpy.sum(g) if end == 0 else numpy.dot(g, numpy.arange(len(z)))


def arange_tangent(t, z, stop, end):
    """numpy.arange's tangent from the tangent `t` of its start (end 0) or step (end 2)."""
    if stop is None or not _float_result(z):
        return zeros_like(z)
    return broadcast_like(t, z) if end == 0 else t * numpy.arange(len(z))


# --- list and tuple `+` and `*`: concatenation and repetition ---------------
#
# `a + b` and `a * n` where an operand is known (before running) to be a list
# or tuple are bound to these keys instead of the arithmetic rules; where the
# other operand's type is not known, the helpers check at run time and fall
# back to the arithmetic adjoint. Arrays never come here (see sequences.py).


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple))


def concat(x1, x2):
    """`x1 + x2` of a list or tuple: the key of the concatenation rule."""
    return x1 + x2


def repeat(x1, x2):
    """`x1 * x2` with a list or tuple operand: the key of the repetition rule."""
    return x1 * x2


def concat_adjoint_left(g, x1, x2):
    """The adjoint of `x1` in `x1 + x2`: the first len(x1) entries of `g`
    for a concatenation, `unbroadcast(g, x1)` for arithmetic."""
    if _is_sequence(x1) and _is_sequence(x2):
        return None if g is None else type(x1)(g[:len(x1)])
    return unbroadcast(g, x1)


def concat_adjoint_right(g, x1, x2):
    """The adjoint of `x2` in `x1 + x2`: the entries of `g` after len(x1)."""
    if _is_sequence(x1) and _is_sequence(x2):
        return None if g is None else type(x2)(g[len(x1):])
    return unbroadcast(g, x2)


def concat_tangent(t1, t2, z):
    """The tangent of `z = x1 + x2`: the operands' tangents concatenated, or added."""
    if _is_sequence(z):
        return type(z)(list(t1) + list(t2))
    return broadcast_like(t1, z) + broadcast_like(t2, z)


def repeat_adjoint(g, x, other):
    """The adjoint of `x` in `z = x * other` (or `other * x`): for a repeated list
    `x`, the sum of the adjoints of its copies; for arithmetic, a product's."""
    if _is_sequence(x) and not _is_sequence(other):
        if g is None:
            return None
        n = len(x)
        total = None
        for start in range(0, len(g), n):
            total = add_grad(total, type(x)(g[start:start + n]))
        return type(x)([None] * n) if total is None else total
    if _is_sequence(other):  # x is the count: an integer, no gradient
        return zeros_like(x)
    return unbroadcast(g * other, x)


def repeat_tangent(t1, t2, x1, x2, z):
    """The tangent of `z = x1 * x2`: a repeated list's tangent repeated, or a product's."""
    if _is_sequence(x1) and not _is_sequence(x2):
        return type(z)(list(t1) * x2)
    if _is_sequence(x2):
        return type(z)(x1 * list(t2))
    return t1 * x2 + x1 * t2


def repeat_adjoint_other_tangent(g, x, t_other):
    """The tangent of `repeat_adjoint(g, x, other)` along `other`'s tangent:
    zero for a repetition, that of the product's adjoint for arithmetic."""
    if _is_sequence(x) or _is_sequence(t_other):
        return zeros_like(x)
    return unbroadcast(g * t_other, x)


# --- writes into arrays: x[index] = v ---------------------------------------


def owned(g):
    """A copy of `g` that nothing else shares (so a later in-place change cannot leak)."""
    return numpy.array(g)


def zero_at(g, index):
    """A copy of the adjoint `g` with zeros at `index`: the overwritten entries' share."""
    if isinstance(g, dict):  # a dict's adjoint: a missing key is a zero entry
        out = dict(g)
        out.pop(index, None)
        return out
    if isinstance(g, (list, tuple)):  # a list's adjoint: None is a zero entry
        out = list(g)
        out[index] = None if isinstance(index, int) else [None] * len(out[index])
        return type(g)(out)
    out = numpy.array(g, dtype=numpy.result_type(g, numpy.float64) if numpy.asarray(g).dtype.kind != "f"
                      else numpy.asarray(g).dtype)
    out[index] = 0
    return out


MISSING = object()  # the saved "old value" of a dict key that a write added: restoring it removes the key


def copy_slice(x, index):
    """The entries `x[index]` about to be overwritten, as a copy (basic slices are views);
    MISSING for a key the write adds to a dict."""
    if type(x) is dict and index not in x:
        return MISSING
    old = x[index]
    return old.copy() if hasattr(old, "copy") else old


def restore_entry(x, index, old):
    """Undo `x[index] = v` on a container: put the old entry back, or remove an added key."""
    if old is MISSING:
        del x[index]
    else:
        x[index] = old


def written_adjoint(g, index, v):
    """The adjoint of `v` in `x[index] = v`: the entries of `g` that `v` landed on.

    With repeated integer indices NumPy keeps the last write, so only the
    winning copies of `v` receive gradient.
    """
    if isinstance(g, dict):  # a dict's adjoint: a missing key is a zero entry
        return fill_grad(g.get(index), v)
    if isinstance(g, (list, tuple)):  # a list's adjoint: its entries, None for zero
        return fill_grad(g[index], v)
    picked = numpy.array(numpy.asarray(g)[index])  # a 0-d array's adjoint may be a float
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (numpy.ndarray, list)) and numpy.asarray(p).dtype.kind in "iu" for p in parts):
        ids = numpy.full(numpy.shape(g), -1)
        order = numpy.arange(picked.size).reshape(picked.shape)
        ids[index] = order
        picked = numpy.where(ids[index] == order, picked, 0.0)
    return unbroadcast(picked, v)


# --- lists built with append ------------------------------------------------


def last_item_adjoint(g, item):
    """The adjoint of the item `lst.append(item)` added: the last entry of `g`."""
    return fill_grad(None if g is None else g[len(g) - 1], item)


def drop_last(g):
    """The list adjoint `g` before the append: without its last entry."""
    return None if g is None else g[:-1]


# --- forward mode -------------------------------------------------------------


def broadcast_like(t, z):
    """The tangent `t` of an operand, broadcast to the shape of the result `z`."""
    zshape = numpy.shape(z)
    if numpy.shape(t) == zshape:
        return t
    return numpy.broadcast_to(t, zshape)


def owned_tangent(t):
    """A tangent of a value that changes in place: a copy nothing else shares."""
    if isinstance(t, numpy.ndarray):
        return numpy.array(t, dtype=t.dtype if t.dtype.kind == "f" else numpy.float64)
    if isinstance(t, list):
        return list(t)
    if isinstance(t, dict):
        return dict(t)
    return t


# --- forward mode: linear algebra tangents (srcgrad/rules/linalg.py) ----------


def einsum_tangent_helper(subscripts, operands, tangents):
    """The tangent of `numpy.einsum(subscripts, *operands)`: the product rule.

    One einsum per operand, with that operand replaced by its tangent; an
    operand whose tangent is zero (a constant) costs nothing.
    """
    operands = list(operands)
    out = None
    for i, t in enumerate(tangents):
        if t is None or not numpy.any(t):
            continue
        args = operands[:i] + [numpy.broadcast_to(t, numpy.shape(operands[i]))] + operands[i + 1:]
        term = numpy.einsum(subscripts, *args)
        out = term if out is None else out + term
    if out is None:  # every tangent is zero
        z = numpy.einsum(subscripts, *operands)
        return numpy.zeros(numpy.shape(z), numpy.result_type(z, 1.0))
    return out


def norm_tangent_helper(t, x, z, ord=None, axis=None, keepdims=False):
    """The tangent of `numpy.linalg.norm(x, ord, axis, keepdims)` along `t`.

    The same conventions as `norm_adjoint_helper` (zero at a zero 2-norm,
    ties shared evenly): the tangent is the sum of its unit-adjoint times `t`.
    """
    x = numpy.asarray(x)
    nd = x.ndim
    axes = _norm_axes(axis, nd)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        dot = numpy.sum(x * t, axis=axes, keepdims=keepdims)
        return dot / numpy.where(z == 0, 1.0, z)
    unit = norm_adjoint_helper(numpy.ones(numpy.shape(z)), x, z, ord, axis, keepdims)
    return numpy.reshape(numpy.sum(unit * t, axis=axes), numpy.shape(z))


def solve_tangent_a(t, z, a, b):
    """The `a` tangent of `z = numpy.linalg.solve(a, b)`: `-solve(a, t z)`."""
    if solve_is_vector(a, b):
        return -numpy.linalg.solve(a, t @ numpy.expand_dims(z, -1))[..., 0]
    return -numpy.linalg.solve(a, t @ z)


def cholesky_tangent_helper(t, z):
    """The tangent of `z = numpy.linalg.cholesky(a)` along `t` (only t's lower triangle counts).

    With s the symmetric matrix built from tril(t) and phi(m) = tril(m) with
    its diagonal halved: dz = z phi(z^-1 s z^-T).
    """
    lower = numpy.tril(t)
    s = lower + numpy.swapaxes(numpy.tril(t, -1), -1, -2)
    zinv = numpy.linalg.inv(z)
    m = zinv @ s @ numpy.swapaxes(zinv, -1, -2)
    eye = numpy.eye(numpy.shape(z)[-1])
    return z @ (numpy.tril(m) - 0.5 * m * eye)



# --- forward mode: shape rules (srcgrad/rules/shapes.py, ndarray.py) ----------


def reshape_tangent_helper(t, a, z, order="C"):
    """Tangent of reshape/ravel/flatten: `t` read into `z`'s shape in the order the call read `a`.

    'A' and 'K' are resolved against `a`'s memory layout, never against the
    tangent's own layout.
    """
    return numpy.reshape(t, numpy.shape(z), order=memory_order(a, order))


def pad_tangent_helper(t, pad_width, mode="constant"):
    """Tangent of numpy.pad(array, pad_width, mode) along `array`, for the copying modes
    (the ones pad_adjoint_helper accepts): `t` padded the same way, with zeros for 'constant'."""
    if not isinstance(mode, str) or mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
        shape_rule_error(f"numpy.pad(mode={mode!r}) has no derivative rule; supported modes are "
                         "'constant', 'edge', 'reflect', 'symmetric' and 'wrap'")
    return numpy.pad(t, pad_width, mode=mode)


def pad_constant_values_tangent_helper(t, array, pad_width):
    """Tangent of numpy.pad(array, pad_width, 'constant', constant_values=v) along `v`:
    `t` written where the padding goes, zeros where `array` goes."""
    inside = numpy.zeros(numpy.shape(array), dtype=numpy.result_type(t, float))
    return numpy.pad(inside, pad_width, mode="constant", constant_values=t)


def cast_tangent(t, dtype=None):
    """Tangent of numpy.array(obj, dtype), numpy.asarray and a.astype(dtype): `t` as an
    array of `dtype`; zeros for an integer or boolean dtype (array_adjoint_helper's rule)."""
    if dtype is not None and not numpy.issubdtype(numpy.dtype(dtype), numpy.inexact):
        return numpy.zeros(numpy.shape(t))
    return numpy.array(t, dtype=dtype)


def item_tangent_helper(t, args):
    """Tangent of a.item(*args): the same element of the tangent, as a Python scalar."""
    return numpy.asarray(t).item(*args)


# --- numpy tangents (srcgrad/rules/numpy.py) -----------------------------------

def tangent_ratio(t, denom):
    """t / denom for a tangent or adjoint `t`, exactly 0 where `t` is 0.

    Rules of functions whose derivative is infinite somewhere (sqrt and log at
    0, arcsin at 1, ...) divide by `denom`. A zero `t` stays zero there, as the
    adjoint of numpy.where keeps an infinite derivative out of the entries it
    did not select (`sqrt(where(x > 0, x, 0))`). Only a 0/0 makes NaN, so the
    common case costs one check.
    """
    if type(t) is float and (type(denom) is float or type(denom) is int):  # numbers stay numbers
        if t == 0.0:
            return 0.0
        return t / denom if denom != 0 else math.copysign(math.inf, t)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        q = numpy.divide(t, denom)
    # a nonzero number t has no zero to keep: any NaN is the denominator's own
    if not (type(t) is float and t != 0.0) and numpy.isnan(q).any():
        q = numpy.where(numpy.equal(t, 0), 0.0, q)
    return q[()] if isinstance(q, numpy.ndarray) else q


def _reduction_tangent(t, share, axis, keepdims):
    """sum(t * share) over the reduced axes: the tangent of a reduction whose
    adjoint sends each output's adjoint to its slice weighted by `share`."""
    return numpy.sum(t * share, axis=axis, keepdims=keepdims)


def prod_tangent_helper(t, a, z, axis=None, keepdims=False):
    """Tangent of z = numpy.prod(a, axis, keepdims): t weighted by the product of the others.

    The weights are prod_adjoint_helper's with an adjoint of ones, so zeros
    are exact in the same way (no division by zero).
    """
    share = prod_adjoint_helper(numpy.ones(numpy.shape(z)), a, z, axis, keepdims)
    return _reduction_tangent(t, share, axis, keepdims)


def extreme_tangent_helper(t, a, z, axis=None, keepdims=False):
    """Tangent of z = numpy.max/min(a, axis, keepdims): the mean of `t` over the tied extremes."""
    share = unreduce_extreme(numpy.ones(numpy.shape(z)), a, z, axis, keepdims)
    return _reduction_tangent(t, share, axis, keepdims)


def var_tangent_helper(t, a, z, axis=None, ddof=0, keepdims=False):
    """Tangent of z = numpy.var(a, axis, ddof=, keepdims=): sum(2 (a - mean) t) / (N - ddof)."""
    share = var_adjoint_helper(numpy.ones(numpy.shape(z)), a, axis, ddof, keepdims)
    return _reduction_tangent(t, share, axis, keepdims)


def std_tangent_helper(t, a, z, axis=None, ddof=0, keepdims=False):
    """Tangent of z = numpy.std(...): the var tangent over 2 z; 0 where z == 0 (as the adjoint)."""
    share = std_adjoint_helper(numpy.ones(numpy.shape(z)), a, z, axis, ddof, keepdims)
    return _reduction_tangent(t, share, axis, keepdims)


def cumprod_tangent_helper(t, a, z, axis=None):
    """Tangent of z = numpy.cumprod(a, axis); axis=None works on the flattened array.

    Without zeros: z * cumsum(t / a). With a zero anywhere, the exact
    recurrence dz[i] = dz[i-1] * a[i] + z[i-1] * t[i], run as a loop along
    the axis (vectorised over the others).
    """
    a = numpy.asarray(a, dtype=numpy.result_type(numpy.asarray(a).dtype, float))
    t = numpy.broadcast_to(t, a.shape)
    if axis is None or a.ndim == 0:  # flattened (a 0-d value is, whatever the axis)
        a, t, z, axis = numpy.ravel(a), numpy.ravel(t), numpy.ravel(z), 0
    if not numpy.equal(a, 0).any():
        return z * numpy.cumsum(t / a, axis=axis)
    a, t, z = (numpy.moveaxis(numpy.asarray(v), axis, 0) for v in (a, t, z))
    dz = numpy.empty(z.shape, dtype=numpy.result_type(z, t))
    dz[0] = t[0]
    for i in range(1, z.shape[0]):
        dz[i] = dz[i - 1] * a[i] + z[i - 1] * t[i]
    return numpy.moveaxis(dz, 0, axis)


def sort_tangent_helper(t, a, axis=-1, kind=None):
    """Tangent of numpy.sort(a, axis, kind): `t` put through the sorting permutation."""
    order = numpy.argsort(a, axis=axis, kind=kind)
    if axis is None:
        return numpy.ravel(t)[order]
    return numpy.take_along_axis(numpy.broadcast_to(t, numpy.shape(a)), order, axis)


def copy_stack(stack):
    """A copy of a split derivative's stack, which its backward pops: a pullback can
    run again. A function of its own, linear in the stack, so that forward mode
    over the backward copies the tangent stack alike (`hessian` through a helper)."""
    return list(stack)


def fresh_tape(tape):
    """A copy of a tape whose arrays the backward restores in place, so a pullback
    can run again. Arrays that share memory share it in the copy too: a taped
    view of a row still sees that row restored."""
    import copy

    owners: dict = {}
    memo: dict = {}

    def fresh(value):
        if id(value) in memo:
            return memo[id(value)]
        if isinstance(value, numpy.ndarray):
            root = value
            while isinstance(root.base, numpy.ndarray):
                root = root.base
            if id(root) not in owners:
                owners[id(root)] = (root, root.copy(order="K"))
            original, duplicate = owners[id(root)]
            if value is original:
                out = duplicate
            elif duplicate.strides == original.strides:
                offset = (value.__array_interface__["data"][0]
                          - original.__array_interface__["data"][0])
                out = numpy.ndarray(value.shape, value.dtype, buffer=duplicate, offset=offset,
                                    strides=value.strides)
            else:  # an owner of unusual layout: copy this view on its own
                out = value.copy()
        elif isinstance(value, list):
            out = []
            memo[id(value)] = out
            out.extend(fresh(v) for v in value)
        elif isinstance(value, tuple):
            out = tuple(fresh(v) for v in value)
        elif isinstance(value, dict):
            out = {k: fresh(v) for k, v in value.items()}
        else:
            out = copy.deepcopy(value)
        memo[id(value)] = out
        return out

    return fresh(tape)


# --- user rules (defvjp / defjvp) ---------------------------------------------


def rule_gradients(result, n):
    """A defvjp rule's result as an n-tuple (a 1-argument rule may return a bare value)."""
    if n == 1 and not isinstance(result, (tuple, list)):
        return (result,)
    if len(result) != n:
        raise ValueError(f"a defvjp rule returned {len(result)} gradients for {n} arguments")
    return tuple(result)


# --- forward mode: builtins tangents (srcgrad/rules/builtins.py) -------------


def sum_tangent_helper(tangents):
    """The tangent of the builtin `sum(iterable)` from the items' tangents, before
    broadcasting: a list or tuple is added up item by item (floats stay floats),
    an array along its first axis."""
    if isinstance(tangents, (list, tuple)):
        return sum(tangents)
    return numpy.sum(tangents, axis=0)


# --- scipy.special rules (srcgrad/rules/scipy.py) -------------------------------


def logsumexp_weights(a, z, axis=None, b=None, keepdims=False):
    """b * exp(a - z) for z = scipy.special.logsumexp(a, axis, b, keepdims): dz/da.

    `z` is first given back the reduced axes, so the weights have the shape
    of `a` and `b` broadcast together; with b None they are exp(a - z).
    """
    if axis is not None and not keepdims:
        z = numpy.expand_dims(z, axis)
    w = numpy.exp(numpy.subtract(a, z))
    return w if b is None else w * b


# --- forward mode over reverse-mode code: tangents of the adjoint helpers ------
# (srcgrad/rules/runtime.py: what hessian, hvp and grad of grad differentiate)


def sinc_derivative_dx(x, z):
    """The partial in `x` of sinc_derivative(x, z) = (cos(pi x) - z) / x, `z` held fixed:
    -(pi sin(pi x) + sinc_derivative(x, z)) / x, and -pi**2 / 3 at x = 0 (sinc''(0),
    since the `z` partial, sinc_derivative_dz, is taken as 0 there)."""
    zero = numpy.equal(x, 0)
    safe = numpy.where(zero, 1.0, x)
    inner = -(numpy.pi * numpy.sin(numpy.pi * safe) + sinc_derivative(safe, z)) / safe
    return numpy.where(zero, -numpy.pi ** 2 / 3.0, inner)


def sinc_derivative_dz(t, x):
    """The tangent of sinc_derivative(x, z) along the tangent `t` of `z`: -t / x, 0 at x = 0."""
    zero = numpy.equal(x, 0)
    return numpy.where(zero, 0.0, -t / numpy.where(zero, 1.0, x))


def prod_adjoint_tangent_a(g, t, a, axis=None, keepdims=False):
    """The tangent along `t` (a's tangent) of prod_adjoint_helper(g, a, z, ...) with z = prod(a).

    That adjoint is g times the product of the slice's other entries, so its
    tangent is g times the sum, over the other entries k, of t[k] times the
    product of the entries other than both. It is counted by how many zeros the
    slice has (0, 1, 2, more), with no division by zero. `z`'s own tangent is
    not needed: this is the whole derivative, z being prod(a).
    """
    a = numpy.asarray(a, dtype=numpy.result_type(numpy.asarray(a).dtype, float))
    t = numpy.broadcast_to(t, a.shape)
    zero = numpy.equal(a, 0)
    safe = numpy.where(zero, 1.0, a)
    q = numpy.prod(safe, axis=axis, keepdims=True)           # product of the nonzero entries
    nz = numpy.sum(zero, axis=axis, keepdims=True)           # how many zeros
    ratio = numpy.where(zero, 0.0, t / safe)
    s = numpy.sum(ratio, axis=axis, keepdims=True)           # t / a over the nonzero entries
    tz = numpy.sum(numpy.where(zero, t, 0.0), axis=axis, keepdims=True)  # t over the zeros
    others = q / safe
    at_nonzero = numpy.where(nz == 0, others * (s - ratio), numpy.where(nz == 1, others * tz, 0.0))
    at_zero = numpy.where(nz == 1, q * s, numpy.where(nz == 2, q * (tz - t), 0.0))
    return unreduce(g, a, axis, keepdims) * numpy.where(zero, at_zero, at_nonzero)


def cumprod_adjoint_tangent_a(g, t, a, z, axis=None):
    """The tangent along `t` (a's tangent) of cumprod_adjoint_helper(g, a, z, axis), z = cumprod(a).

    Without zeros the adjoint is r / a with r = reverse_cumsum(g z), so the
    tangent is (reverse_cumsum(g dz) - t r / a) / a. With a zero: the adjoint is
    before * s (before = the exclusive cumulative product, s[i] = g[i] + a[i+1]
    s[i+1]); its tangent is dbefore * s + before * ds with ds[i] = t[i+1] s[i+1]
    + a[i+1] ds[i+1], run as a loop along the axis. `z`'s own tangent is not
    needed: it is computed here (cumprod_tangent_helper), z being cumprod(a).
    """
    shape = numpy.shape(a)
    a = numpy.asarray(a, dtype=numpy.result_type(numpy.asarray(a).dtype, float))
    t = numpy.broadcast_to(t, shape)
    dz = cumprod_tangent_helper(t, a, z, axis)
    g = numpy.broadcast_to(g, numpy.shape(z))
    if axis is None:
        a, t, g, z, dz, axis = numpy.ravel(a), numpy.ravel(t), numpy.ravel(g), numpy.ravel(z), \
            numpy.ravel(dz), 0
    if not numpy.equal(a, 0).any():
        r = reverse_cumsum(g * z, axis)
        return numpy.reshape((reverse_cumsum(g * dz, axis) - t * r / a) / a, shape)
    a, t, g, z, dz = (numpy.moveaxis(numpy.asarray(v), axis, 0) for v in (a, t, g, z, dz))
    n = a.shape[0]
    dtype = numpy.result_type(a, g, t)
    s = numpy.empty(a.shape, dtype=dtype)
    ds = numpy.empty(a.shape, dtype=dtype)
    s[n - 1] = g[n - 1]
    ds[n - 1] = 0.0
    for i in range(n - 2, -1, -1):
        s[i] = g[i] + a[i + 1] * s[i + 1]
        ds[i] = t[i + 1] * s[i + 1] + a[i + 1] * ds[i + 1]
    before = numpy.concatenate([numpy.ones_like(a[:1]), z[:-1]], axis=0)
    dbefore = numpy.concatenate([numpy.zeros_like(a[:1]), dz[:-1]], axis=0)
    return numpy.reshape(numpy.moveaxis(dbefore * s + before * ds, 0, axis), shape)


def norm_adjoint_tangent_x(g, t, x, z, ord=None, axis=None, keepdims=False):
    """The tangent along `t` (x's tangent) of norm_adjoint_helper(g, x, z, ...), z = norm(x).

    `z`'s tangent is computed here (norm_tangent_helper), so this is the whole
    derivative. The 2-norm / Frobenius adjoint g x / z gives g (t - x dz / z) / z;
    a vector p-norm's, g sign(x) (|x| / z)^(p-1), gives g (p-1) (|x| / z)^(p-2)
    (t - x dz / z) / z (0 where x = 0). The piecewise-linear norms (vector 1, inf,
    -inf, 0; matrix 1, -1, inf, -inf) have adjoints constant between kinks: a zero
    tangent. A zero norm gives zero, as in the adjoint. Matrix norms 2, -2 and 'nuc':
    singular_grad_tangent.
    """
    x = numpy.asarray(x)
    nd = x.ndim
    dz = norm_tangent_helper(t, x, z, ord, axis, keepdims)
    axes = _norm_axes(axis, nd)
    if not keepdims or axis is None:
        kept = [1 if k in axes else n for k, n in enumerate(x.shape)]
        g, z, dz = numpy.reshape(g, kept), numpy.reshape(z, kept), numpy.reshape(dz, kept)
    zero = z == 0
    zs = numpy.where(zero, 1.0, z)
    inner = (t - x * dz / zs) / zs
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return numpy.where(zero, 0.0, g * inner)
    if len(axes) == 1 and not isinstance(ord, str) and ord > 1 and ord != float("inf"):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            factor = (numpy.abs(x) / zs) ** (ord - 2)
        return numpy.where(zero | (x == 0), 0.0, g * (ord - 1) * factor * inner)
    if len(axes) == 2 and ord in (2, -2, "nuc"):
        return numpy.where(zero, 0.0, g * singular_grad_tangent(t, x, axes, ord))
    return numpy.zeros(x.shape, numpy.result_type(x, 1.0))


def singular_grad_tangent(t, x, axes, ord):
    """The tangent along `t` of the gradient of a matrix norm 2, -2 or 'nuc' of `x` over `axes`.

    Those gradients are u v^T of the largest or smallest singular pair, or
    U V^T (the polar factor); their tangents come from the derivative of the
    thin SVD, with distinct (and, for 'nuc' and -2, nonzero) singular values.
    With P = U^T t V: d(U V^T) = U [(P - P^T)_ij / (s_i + s_j)] V^T plus the
    parts of t outside the singular subspaces; d(u_i v_i^T) = du_i v_i^T + u_i dv_i^T.
    """
    xm = numpy.moveaxis(x, axes, (-2, -1))
    tm = numpy.moveaxis(numpy.broadcast_to(t, numpy.shape(x)), axes, (-2, -1))
    u, s, vh = numpy.linalg.svd(xm, full_matrices=False)
    ut, v, tt = numpy.swapaxes(u, -1, -2), numpy.swapaxes(vh, -1, -2), numpy.swapaxes(tm, -1, -2)
    p = ut @ tm @ v
    out_u = tm @ v - u @ p                           # (I - U U^T) t V
    out_v = tt @ u - v @ numpy.swapaxes(p, -1, -2)   # (I - V V^T) t^T U
    if ord == "nuc":
        omega = (p - numpy.swapaxes(p, -1, -2)) / (s[..., :, None] + s[..., None, :])
        dgrad = u @ omega @ vh + (out_u / s[..., None, :]) @ vh \
            + u @ numpy.swapaxes(out_v / s[..., None, :], -1, -2)
    else:
        i = 0 if ord == 2 else s.shape[-1] - 1
        si = s[..., i:i + 1]
        diff = si * si - s * s
        other = numpy.arange(s.shape[-1]) != i
        safe = numpy.where(other, diff, 1.0)
        coef_u = numpy.where(other, (p[..., :, i] * si + s * p[..., i, :]) / safe, 0.0)
        coef_v = numpy.where(other, (s * p[..., :, i] + p[..., i, :] * si) / safe, 0.0)
        du = (u @ coef_u[..., None])[..., 0] + out_u[..., :, i] / si
        dv = (v @ coef_v[..., None])[..., 0] + out_v[..., :, i] / si
        dgrad = du[..., :, None] * v[..., None, :, i] + u[..., :, i, None] * dv[..., None, :]
    return numpy.moveaxis(dgrad, (-2, -1), axes)


def solve_adjoint_tangent_a(t, y, a, b):
    """The tangent along `t` (a's tangent) of y = solve_adjoint_helper(g, a, b) = solve(a^T, g):
    -solve(a^T, t^T y)."""
    tt = numpy.swapaxes(t, -1, -2)
    if solve_is_vector(a, b):
        rhs = (tt @ numpy.expand_dims(y, -1))[..., 0]
    else:
        rhs = tt @ y
    return -solve_adjoint_helper(rhs, a, b)


def cholesky_adjoint_tangent_z(g, t, z):
    """The tangent along `t` (z's tangent) of cholesky_adjoint_helper(g, z): its product rule."""
    zinv = numpy.linalg.inv(z)
    dzinv = -(zinv @ t @ zinv)
    eye = numpy.eye(numpy.shape(z)[-1])
    p = numpy.swapaxes(z, -1, -2) @ g
    p = numpy.tril(p) - 0.5 * p * eye
    dp = numpy.swapaxes(t, -1, -2) @ g
    dp = numpy.tril(dp) - 0.5 * dp * eye
    zinv_t, dzinv_t = numpy.swapaxes(zinv, -1, -2), numpy.swapaxes(dzinv, -1, -2)
    dm = dzinv_t @ p @ zinv + zinv_t @ dp @ zinv + zinv_t @ p @ dzinv
    return numpy.tril(dm + numpy.swapaxes(dm, -1, -2)) - dm * eye


class EinsumAdjointTangents:
    """The tangent of an `EinsumAdjoints(g, subscripts, operands)` object, indexed like it.

    Built without `tangents`, it is EinsumAdjoints for the tangent of `g` (the
    adjoints are linear in g). Built with the operands' tangents, it is the
    product rule: operand i's adjoint, einsum(g, the others), changes by one
    einsum per other operand j, with operand j replaced by its tangent (a zero
    tangent costs nothing). `+` collects the terms, as forward mode adds the
    contributions of g and of the operands; indexing evaluates operand i's.
    """

    def __init__(self, g, subscripts, operands, tangents=None):
        operands = tuple(operands)
        self.shapes = [numpy.shape(op) for op in operands]
        self.terms = [(g, subscripts, operands, None if tangents is None else tuple(tangents))]

    def __add__(self, other):
        out = EinsumAdjointTangents.__new__(EinsumAdjointTangents)
        out.shapes, out.terms = self.shapes, self.terms + other.terms
        return out

    def __len__(self):
        return len(self.shapes)

    def __getitem__(self, i):
        total = None
        for g, subscripts, operands, tangents in self.terms:
            if tangents is None:
                parts = [EinsumAdjoints(g, subscripts, operands)[i]]
            else:
                parts = []
                for j, t in enumerate(tangents):
                    if j == i or t is None or not numpy.any(t):
                        continue
                    ops = list(operands)
                    ops[j] = numpy.broadcast_to(t, numpy.shape(operands[j]))
                    parts.append(EinsumAdjoints(g, subscripts, ops)[i])
            for part in parts:
                total = part if total is None else total + part
        return numpy.zeros(self.shapes[i]) if total is None else total



# --- derivatives that can be infinite ------------------------------------------


def masked_product(g, factor):
    """g * factor, exactly 0 where g is 0 (even where factor is inf or NaN).

    An adjoint or tangent that is zero on entries numpy.where did not select
    must stay zero through a derivative that is infinite there (exp overflow,
    a reciprocal at 0): 0 * inf would be NaN and poison the gradient.
    """
    if type(g) is float and (type(factor) is float or type(factor) is int):
        return 0.0 if g == 0.0 else g * factor
    with numpy.errstate(invalid="ignore", over="ignore"):
        q = numpy.multiply(g, factor)
    # Only 0 * inf makes NaN, so the common case costs one check; a nonzero
    # number g has no zero to keep, and any NaN is the factor's own.
    if not (type(g) is float and g != 0.0) and numpy.isnan(q).any():
        q = numpy.where(numpy.equal(g, 0), 0.0, q)
    return q[()] if isinstance(q, numpy.ndarray) else q


def power_derivative(x, c):
    """d(x ** c)/dx = c * x ** (c - 1): inf (not an error) at x = 0 for c < 1, 0 for c = 0."""
    if type(x) is float and type(c) in (float, int):
        if c == 0:
            return 0.0
        if x == 0.0 and c < 1:
            return math.inf if c > 0 else -math.inf
        return c * x ** (c - 1)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        base = numpy.asarray(x, dtype=numpy.result_type(x, 1.0))
        out = numpy.multiply(c, numpy.power(base, c - 1))  # c - 1 stays a weak Python number
    return numpy.where(numpy.equal(c, 0), 0.0, out)[()]


def record_adjoint(like, entries):
    """The adjoint of a list or tuple argument from its entries' adjoints ({index: adjoint})."""
    if isinstance(like, dict):
        return dict(entries)
    return type(like)(entries.get(i) for i in range(len(like)))
