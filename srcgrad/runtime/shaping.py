"""Shape and array-building adjoints and tangents: reshape, transpose, stacking, pad, diag.

These functions move entries without changing them, so each adjoint puts
the adjoint's entries back where they came from (summing copies: tile,
repeat, pad) and each tangent moves the tangent the same way. A case with
no supported derivative raises through `checks.shape_rule_error`.
"""
import numpy

from .checks import shape_rule_error
from .core import as_array, duck, unbroadcast


def float_dtype_like(g):
    """The floating dtype an adjoint of `g` should have (float64 for integers)."""
    dtype = as_array(g).dtype
    return dtype if numpy.issubdtype(dtype, numpy.inexact) else numpy.dtype(float)


def reshape_adjoint_helper(g, a, order="C"):
    """Adjoint of reshape/ravel/flatten: `g` put back into `a`'s shape.

    `order` is the index order the forward call read `a` in; 'A' and ravel's
    'K' are resolved against `a`'s memory layout exactly as NumPy does.
    """
    order = memory_order(a, order)
    if order == "C":  # the default, left out: Dask's reshape takes no order=
        return numpy.reshape(g, numpy.shape(a))
    return numpy.reshape(g, numpy.shape(a), order=order)


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
    return numpy.transpose(g, tuple(sorted(range(nd), key=[int(ax) % nd for ax in axes].__getitem__)))


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
    if duck(g):  # Dask has no split: the blocks as slices
        edges = [0, *map(int, cuts), numpy.shape(g)[axis]]
        lead = (slice(None),) * axis
        return [g[lead + (slice(start, stop),)] for start, stop in zip(edges[:-1], edges[1:])]
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
    g = as_array(g)
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
    g = as_array(g)
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
            return as_array(g).astype(obj.dtype, copy=False)
        return as_array(g)
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
    return as_array(t).item(*args)
