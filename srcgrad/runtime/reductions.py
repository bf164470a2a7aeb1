"""Reductions and scans: adjoints and tangents of sum, prod, max, var, cumsum, sort, logsumexp.

An adjoint of a reduction broadcasts the output's adjoint back over the
reduced axes (`unreduce`), weighted per entry where the reduction is not
linear. A 0-d value is reduced whole whatever `axis` says, as NumPy does
(`_axis_for`). Zeros in prod and cumprod are handled exactly, without
dividing by them. The tangents reuse the adjoints' weights.
"""

import numpy

from .checks import _holds_nan
from .core import as_array, eager, unbroadcast_to


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
    """Adjoint of max/min: `g` shared evenly among the entries equal to the extreme
    `z` (`a`'s max or min over `axis`, as the forward sweep computed it)."""
    if not (type(a) is numpy.ndarray and a.ndim):  # else `_axis_for` is the identity
        axis = _axis_for(a, axis)
    if axis is not None and not keepdims:
        z = numpy.expand_dims(z, axis)
        g = numpy.expand_dims(g, axis)
    hit = numpy.equal(a, z)
    if (type(g) is float or (type(g) is numpy.ndarray and g.dtype == numpy.float64)) and _untied(hit, a, z):
        return hit * g  # every count is 1, and g / 1 is g: the same values, no counts taken
    # g / count first: one division per slot, not per entry (the same values as g * hit / count)
    return hit * (g / hit.sum(axis=axis, keepdims=True))


def _untied(hit, a, z) -> bool:
    """Each slot of the extreme `z` of a real array `a` is hit by exactly one entry: as
    many hits as slots, none of them NaN (a NaN extreme is hit nowhere, so a NaN slot
    could hide a tie elsewhere). Two cheap reads instead of a count per slot: the
    count of hits, and `z`'s first NaN if any (`argmax` stops at one: checks._holds_nan)."""
    if type(a) is not numpy.ndarray or type(z) is not numpy.ndarray or a.dtype.kind not in "fiu":
        return False
    size = z.size
    return size > 0 and numpy.count_nonzero(hit) == size and not _holds_nan(z)


def prod_adjoint_helper(g, a, z, axis=None, keepdims=False):
    """Adjoint of z = numpy.prod(a, axis, keepdims): each entry gets g times the product of the others.

    Without zeros that is g * z / a. A slice with one zero gives its zero entry
    the product of the slice's nonzero entries and every other entry 0; a slice
    with two or more zeros has zero gradient. No division by zero happens.
    """
    a = as_array(a)
    axis = _axis_for(a, axis)
    g = unreduce(g, a, axis, keepdims)
    zero = numpy.equal(a, 0)
    if eager(zero) and not zero.any():  # a lazy (Dask) `a`: the general form, not a test
        return g * unreduce(z, a, axis, keepdims) / a
    nonzero_prod = numpy.prod(numpy.where(zero, 1.0, a), axis=axis, keepdims=True)
    zeros = numpy.sum(zero, axis=axis, keepdims=True)
    others = numpy.where(zero, nonzero_prod, nonzero_prod / numpy.where(zero, 1.0, a))
    return numpy.where((zeros == 0) | (zero & (zeros == 1)), g * others, 0.0)


def var_adjoint_helper(g, a, axis=None, ddof=0, keepdims=False):
    """Adjoint of numpy.var(a, axis, ddof=ddof, keepdims=keepdims): 2 g (a - mean) / (N - ddof)."""
    a = as_array(a)
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


def _running_extreme_source(a, z, axis=0):
    """For z = numpy.maximum.accumulate(a, axis) (or minimum's): the index along `axis`
    of the entry of `a` each z is: the first place the running extreme was reached
    (a later tie with it does not take over)."""
    a, z = as_array(a), as_array(z)
    if a.ndim == 0:
        return numpy.zeros((), dtype=int)
    a, z = numpy.moveaxis(a, axis, -1), numpy.moveaxis(z, axis, -1)
    fresh = numpy.concatenate([numpy.ones_like(a[..., :1], bool), z[..., 1:] != z[..., :-1]], axis=-1)
    index = numpy.where(fresh, numpy.arange(a.shape[-1]), 0)
    return numpy.moveaxis(numpy.maximum.accumulate(index, axis=-1), -1, axis)


def running_extreme_adjoint(g, a, z, axis=0):
    """Adjoint of z = numpy.maximum.accumulate(a, axis) (or minimum's): each adjoint
    entry goes back to the entry of `a` its z came from."""
    source = _running_extreme_source(a, z, axis)
    g = numpy.broadcast_to(g, numpy.shape(z))
    if numpy.ndim(a) == 0:
        return g * 1.0
    out = numpy.zeros(numpy.shape(a), dtype=numpy.result_type(g, float))
    g, source = numpy.moveaxis(g, axis, -1), numpy.moveaxis(source, axis, -1)
    lead = numpy.indices(source.shape[:-1])
    index = tuple(numpy.broadcast_to(i[..., None], source.shape) for i in lead) + (source,)
    numpy.add.at(numpy.moveaxis(out, axis, -1), index, g)
    return out


def running_extreme_tangent(t, a, z, axis=0):
    """Tangent of z = numpy.maximum.accumulate(a, axis) (or minimum's) along `t`."""
    t = numpy.broadcast_to(t, numpy.shape(a))
    if numpy.ndim(a) == 0:
        return t * 1.0
    return numpy.take_along_axis(t, _running_extreme_source(a, z, axis), axis)


def cumprod_adjoint_helper(g, a, z, axis=None):
    """Adjoint of z = numpy.cumprod(a, axis); axis=None works on the flattened array.

    Without zeros: reverse_cumsum(g * z) / a. With a zero anywhere, the exact
    recurrence s[i] = g[i] + a[i+1] * s[i+1], d a[i] = cumprod(a)[i-1] * s[i],
    run as a loop along the axis (vectorised over the others).
    """
    shape = numpy.shape(a)
    a = numpy.asarray(a, dtype=numpy.result_type(as_array(a).dtype, float))
    if axis is None or not shape:  # flattened (a 0-d value is, whatever the axis)
        a, g, z, axis = numpy.ravel(a), numpy.ravel(g), numpy.ravel(z), 0
    if not numpy.equal(a, 0).any():
        return numpy.reshape(reverse_cumsum(g * z, axis) / a, shape)
    a, g, z = (numpy.moveaxis(as_array(v), axis, 0) for v in (a, g, z))
    n = a.shape[0]
    s = numpy.empty(numpy.broadcast_shapes(a.shape, g.shape), dtype=numpy.result_type(a, g))
    s[n - 1] = g[n - 1]
    for i in range(n - 2, -1, -1):
        s[i] = g[i] + a[i + 1] * s[i + 1]
    before = numpy.concatenate([numpy.ones_like(a[:1]), z[:-1]], axis=0)
    return numpy.reshape(numpy.moveaxis(before * s, 0, axis), shape)


def sort_adjoint_helper(g, a, axis=-1, kind=None):
    """Adjoint of numpy.sort(a, axis, kind): `g` sent back through the sorting permutation,
    shared evenly among tied values (as central differences see a two-way tie)."""
    a = as_array(a)
    order = numpy.argsort(a, axis=axis, kind=kind)
    out = numpy.zeros(order.shape, dtype=numpy.result_type(as_array(g).dtype, float))
    if axis is None:
        out[order] = tie_mean(g, a.ravel()[order], 0)
        return numpy.reshape(out, a.shape)
    g = numpy.broadcast_to(g, order.shape)
    numpy.put_along_axis(out, order, tie_mean(g, numpy.take_along_axis(a, order, axis), axis), axis)
    return out


def tie_mean(g, z, axis):
    """`g` with each entry replaced by its mean over the entries of `z` equal to it along
    `axis` (z sorted along `axis`); `g` itself when z has no ties, the usual case."""
    z = as_array(z)
    if z.size == 0:
        return g
    ties = numpy.diff(z, axis=axis) == 0
    if not ties.any():
        return g
    g = numpy.moveaxis(numpy.broadcast_to(g, z.shape), axis, -1)
    rows = numpy.moveaxis(ties, axis, -1).reshape(-1, z.shape[axis] - 1)
    n = z.shape[axis]
    runs = numpy.concatenate([numpy.zeros((rows.shape[0], 1), dtype=numpy.intp),
                              numpy.cumsum(~rows, axis=1)], axis=1)
    runs = runs + n * numpy.arange(rows.shape[0])[:, None]  # one numbering over every row
    flat = g.reshape(-1, n)
    sums = numpy.bincount(runs.ravel(), weights=flat.ravel(), minlength=flat.size)
    counts = numpy.bincount(runs.ravel(), minlength=flat.size)
    means = (sums[runs] / counts[runs]).reshape(g.shape)
    return numpy.moveaxis(means, -1, axis)


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
    a = numpy.asarray(a, dtype=numpy.result_type(as_array(a).dtype, float))
    t = numpy.broadcast_to(t, a.shape)
    if axis is None or a.ndim == 0:  # flattened (a 0-d value is, whatever the axis)
        a, t, z, axis = numpy.ravel(a), numpy.ravel(t), numpy.ravel(z), 0
    if not numpy.equal(a, 0).any():
        return z * numpy.cumsum(t / a, axis=axis)
    a, t, z = (numpy.moveaxis(as_array(v), axis, 0) for v in (a, t, z))
    dz = numpy.empty(z.shape, dtype=numpy.result_type(z, t))
    dz[0] = t[0]
    for i in range(1, z.shape[0]):
        dz[i] = dz[i - 1] * a[i] + z[i - 1] * t[i]
    return numpy.moveaxis(dz, 0, axis)


def sort_tangent_helper(t, a, axis=-1, kind=None):
    """Tangent of numpy.sort(a, axis, kind): `t` put through the sorting permutation,
    averaged over tied values as the adjoint is."""
    a = as_array(a)
    order = numpy.argsort(a, axis=axis, kind=kind)
    if axis is None:
        return tie_mean(numpy.ravel(numpy.broadcast_to(t, a.shape))[order], a.ravel()[order], 0)
    return tie_mean(numpy.take_along_axis(numpy.broadcast_to(t, a.shape), order, axis),
                    numpy.take_along_axis(a, order, axis), axis)


def logsumexp_weights(a, z, axis=None, b=None, keepdims=False):
    """b * exp(a - z) for z = scipy.special.logsumexp(a, axis, b, keepdims): dz/da.

    `z` is first given back the reduced axes, so the weights have the shape
    of `a` and `b` broadcast together; with b None they are exp(a - z).
    """
    if axis is not None and not keepdims:
        z = numpy.expand_dims(z, axis)
    w = numpy.exp(numpy.subtract(a, z))
    return w if b is None else w * b


# --- the keywords where=, initial= and dtype= ------------------------------------------
# numpy.sum(a, where=m, initial=i) and its kin: `where` masks entries out of the
# reduction, `initial` joins it as one more operand (and carries its own gradient).


def where_count(a, axis=None, where=True):
    """How many entries of `a` a reduction over `axis` with `where` folds into each
    result (keepdims form): numpy.mean's divisor."""
    mask = numpy.broadcast_to(where, numpy.shape(a))
    return numpy.sum(mask, axis=_axis_for(a, axis), keepdims=True)


def initial_factor(initial):
    """numpy.prod's `initial` as a factor: 1 when it is not given."""
    return 1.0 if initial is None else initial


def _extreme_hits(a, z, axis, keepdims, initial, where):
    """The entries of `a` (where selected) and whether `initial` equal the max/min `z`,
    with how many tie there (keepdims form)."""
    a = as_array(a)
    axis = _axis_for(a, axis)
    if axis is not None and not keepdims:
        z = numpy.expand_dims(z, axis)
    hit = numpy.equal(a, z) & numpy.broadcast_to(where, a.shape)
    initial_hit = numpy.equal(z, initial) if initial is not None else numpy.zeros(numpy.shape(z), bool)
    return hit, initial_hit, numpy.sum(hit, axis=axis, keepdims=True) + initial_hit, axis


def extreme_form_share(g, a, z, axis=None, keepdims=False, initial=None, where=True, part="a"):
    """Adjoint of z = numpy.max/min(a, axis, keepdims=, initial=, where=) in `a` (part 'a')
    or in `initial` (part 'initial'): g shared evenly among all that tie for the extreme."""
    hit, initial_hit, count, axis = _extreme_hits(a, z, axis, keepdims, initial, where)
    if axis is not None and not keepdims:
        g = numpy.expand_dims(g, axis)
    if part == "initial":
        return numpy.sum(g * initial_hit / count)
    return g * hit / count


def extreme_form_tangent(t, a, z, axis=None, keepdims=False, initial=None, where=True, part="a"):
    """Tangent of numpy.max/min(a, ..., initial=, where=) along the tangent of `a`
    (part 'a') or of `initial` (part 'initial')."""
    hit, initial_hit, count, axis = _extreme_hits(a, z, axis, keepdims, initial, where)
    if part == "initial":
        out = t * initial_hit / count
    else:
        out = numpy.sum(t * hit / count, axis=axis, keepdims=True)
    return numpy.reshape(out, numpy.shape(z))


def var_where_adjoint(g, a, axis=None, ddof=0, keepdims=False, where=True):
    """Adjoint of numpy.var(a, axis, ddof=, keepdims=, where=): 2 g (a - mean) / (N - ddof)
    over the selected entries (N of them), 0 elsewhere."""
    a = as_array(a)
    axis = _axis_for(a, axis)
    mask = numpy.broadcast_to(where, a.shape)
    count = numpy.sum(mask, axis=axis, keepdims=True)
    mean = numpy.sum(numpy.where(mask, a, 0.0), axis=axis, keepdims=True) / count
    centered = numpy.where(mask, a - mean, 0.0)
    return unreduce(g, a, axis, keepdims) * (2.0 / (count - ddof)) * centered


def std_where_adjoint(g, a, z, axis=None, ddof=0, keepdims=False, where=True):
    """Adjoint of z = numpy.std(..., where=): the var adjoint of g / (2 z); 0 where z == 0."""
    zero = numpy.equal(z, 0)
    g = numpy.where(zero, 0.0, g / (2.0 * numpy.where(zero, 1.0, z)))
    return var_where_adjoint(g, a, axis, ddof, keepdims, where)


def var_where_tangent(t, a, z, axis=None, ddof=0, keepdims=False, where=True):
    """Tangent of z = numpy.var(a, axis, ddof=, keepdims=, where=)."""
    share = var_where_adjoint(numpy.ones(numpy.shape(z)), a, axis, ddof, keepdims, where)
    return _reduction_tangent(t, share, _axis_for(a, axis), keepdims)


def std_where_tangent(t, a, z, axis=None, ddof=0, keepdims=False, where=True):
    """Tangent of z = numpy.std(a, axis, ddof=, keepdims=, where=)."""
    share = std_where_adjoint(numpy.ones(numpy.shape(z)), a, z, axis, ddof, keepdims, where)
    return _reduction_tangent(t, share, _axis_for(a, axis), keepdims)


# --- ufunc.outer ------------------------------------------------------------------------------


def outer_expand(a, b):
    """`a` with one new trailing axis per axis of `b`: ufunc.outer(a, b) is ufunc(that, b)."""
    return numpy.reshape(a, numpy.shape(a) + (1,) * numpy.ndim(b))


def outer_unexpand(g, a):
    """`g` (shaped like ufunc.outer(a, b)) summed over b's axes, back to a's shape."""
    return unbroadcast_to(numpy.sum(g, axis=tuple(range(numpy.ndim(a), numpy.ndim(g)))), numpy.shape(a))
