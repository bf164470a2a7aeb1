"""The runtime helpers as numba compiles them: plain Python, one function per helper.

The numba backend (`srcgrad/native`) writes a derivative's module with these
in place of `srcgrad.runtime`'s helpers of the same name (the exporter copies
each one's source, like a runtime helper's, and decorates it with
`numba.njit`). A runtime helper dispatches on Python types (`type(x) is
float`), which numba cannot type; these dispatch with `isinstance` on the
kinds the backend accepts, Python floats and ints and NumPy float arrays,
which numba resolves at compile time, so a branch for the other kind is
never typed. Each one gives the runtime helper's value on those kinds
(tests/test_native_helpers.py runs both). A helper that is not here makes
the backend refuse the derivative, naming it.

Numba's floats do not raise on a domain error or an overflow (`math.log(0.0)`
is -inf, not a ValueError), so the guards here keep the runtime helpers'
values, not their exceptions; docs/performance.md lists those differences.
"""
import math

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


def _move(src, src_dims, dst, dst_dims, add):
    """Over the broadcast of the two shapes, entry by entry: dst[its entry] += (or =, for
    `add` False: then dst has the broadcast shape) src[its entry]; flat arrays, C order."""
    full = _joint(src_dims, dst_dims)
    n = len(full)
    src_steps = _steps(src_dims, n)
    dst_steps = _steps(dst_dims, n)
    index = numpy.zeros(n, numpy.int64)
    at_src = 0
    at_dst = 0
    for _ in range(full.prod()):
        if add:
            dst[at_dst] += src[at_src]
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
    _move(_flat(g), dims, out.reshape(out.size), full, False)
    return out


def _fold(g, shape, inserted):
    """The array `g` broadcast against `shape` given axes of length 1 at `inserted`, and
    summed down to it: a new array of `shape`."""
    out = numpy.zeros(shape)
    _move(_flat(g), _dims(g.shape, _no_axes()), out.reshape(out.size), _dims(shape, inserted), True)
    return out


def masked_product(g, factor):
    """g * factor, exactly 0 where g is 0 (even where factor is inf or NaN)."""
    if isinstance(g, (float, int)):
        if isinstance(factor, (float, int)):
            return 0.0 if g == 0.0 else g * factor
    return numpy.where(g == 0.0, 0.0, g * factor)


def selected_product(g, factor):
    """The adjoint of a product's operand: `masked_product`."""
    return masked_product(g, factor)


def tangent_ratio(t, denom):
    """t / denom, exactly 0 where t is 0; a signed inf where only denom is 0."""
    if isinstance(t, (float, int)):
        if isinstance(denom, (float, int)):
            if t == 0.0:
                return 0.0
            return t / denom if denom != 0 else math.copysign(math.inf, t)
    return numpy.where(t == 0.0, 0.0, t / denom)


def pole_ratio(t, denom):
    """t / denom where denom vanishes inside the domain (sqrt, log at 0): signed inf there."""
    if isinstance(t, (float, int)):
        if isinstance(denom, (float, int)):
            if t == 0.0:
                return 0.0
            return t / denom if denom != 0.0 else t * math.copysign(math.inf, denom)
    return tangent_ratio(t, denom)


def sign_of(x):
    """sign(x): -1, 0 or 1 (NaN for NaN)."""
    if isinstance(x, (float, int)):
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan
    return numpy.sign(x)


def log_or_zero(x):
    """log(x), but 0 where x == 0."""
    if isinstance(x, (float, int)):
        return math.log(x) if x != 0 else 0.0
    return numpy.log(numpy.where(x == 0.0, 1.0, x))


def power_derivative(x, c):
    """d(x ** c)/dx = c * x ** (c - 1): inf at x = 0 for c < 1, 0 for c = 0."""
    if isinstance(x, (float, int)):
        if c == 0:
            return 0.0
        if x == 0.0 and c < 1:
            return math.inf if c > 0 else -math.inf
        return c * x ** (c - 1)
    if c == 0:
        return numpy.zeros(x.shape)
    return c * numpy.power(x, c - 1)


def choice_share(g, x, other, z):
    """The share of `x` of `g` in `z`, a choice between `x` and `other` (max, min)."""
    if isinstance(z, (float, int)):
        if z != z:
            return 0.0 if g == 0.0 else math.nan
        if z != x:
            return 0.0
        return 0.5 * g if x == other else g
    share = numpy.where(z == x, numpy.where(x == other, 0.5 * g, g), 0.0)
    return numpy.where(numpy.isnan(z) & (g != 0.0), numpy.nan, share)


def radial_share(g, x, r):
    """g * x / r, and 0 where r is 0 (hypot, the 2-norm)."""
    if isinstance(r, (float, int)):
        return g * x / r if r != 0 else 0.0
    return numpy.where(r == 0.0, 0.0, g * x / numpy.where(r == 0.0, 1.0, r))


def tie_share(g, win, lose):
    """`g` where `win > lose`, half of it where they are equal, 0 elsewhere; NaN (where g
    is not 0) where either operand is NaN."""
    if isinstance(g, (float, int)):
        if isinstance(win, (float, int)):
            if isinstance(lose, (float, int)):
                share = g if win > lose else 0.5 * g if win == lose else 0.0
                return _undefined(share, g, win != win or lose != lose)
            else:
                return _tie_array(g, win, lose)
        else:
            return _tie_array(g, win, lose)
    else:
        return _tie_array(g, win, lose)


def _tie_array(g, win, lose):
    share = numpy.where(win > lose, g, numpy.where(win == lose, 0.5 * g, 0.0))
    return _undefined(share, g, numpy.isnan(win) | numpy.isnan(lose))


def _undefined(share, g, at):
    """`share` with NaN where `at` (a choice made at a NaN), except where `g` is 0."""
    if isinstance(share, (float, int)):
        return math.nan if at and g != 0.0 else share
    else:
        return numpy.where(at & (g != 0.0), math.nan, share)


def clip_share(g, a, a_min, a_max, part):
    """The share of `part` ("a", "a_min" or "a_max") of `g` in numpy.clip, read as
    minimum(maximum(a, a_min), a_max); a bound may be None.

    numba drops a branch under `if b is None` only where `b` is None, so each
    bound is read only in the else branch of its own test."""
    if a_max is None:
        if a_min is None:
            raise SrcGradError("numpy.clip needs a_min or a_max")
        else:  # maximum(a, a_min)
            if part == "a_min":
                share = tie_share(g, a_min, a)
            else:
                share = tie_share(g, a, a_min)
            return _undefined(share, g, numpy.isnan(numpy.maximum(a, a_min)))
    else:
        if a_min is None:  # minimum(a, a_max)
            if part == "a_max":
                share = tie_share(g, a, a_max)
            else:
                share = tie_share(g, a_max, a)
            return _undefined(share, g, numpy.isnan(numpy.minimum(a, a_max)))
        else:
            low = numpy.maximum(a, a_min)
            if part == "a_max":
                share = tie_share(g, low, a_max)
            elif part == "a_min":
                share = tie_share(tie_share(g, a_max, low), a_min, a)
            else:
                share = tie_share(tie_share(g, a_max, low), a, a_min)
            return _undefined(share, g, numpy.isnan(numpy.minimum(low, a_max)))


def reshape_adjoint_helper(g, a, order="C"):
    """Adjoint of reshape/ravel/flatten: `g` put back into `a`'s shape, in the index
    order the forward call read `a` in."""
    return _reshaped(g, a.shape, _memory_order(a, order))


def reshape_tangent_helper(t, a, z, order="C"):
    """Tangent of reshape/ravel/flatten: `t` read into `z`'s shape in the order the call read `a`."""
    return _reshaped(t, z.shape, _memory_order(a, order))


def _memory_order(a, order):
    """"C" or "F": what reshape's `order` ("A" and "K" too) means for the array `a`."""
    if order == "A" or order == "a":
        return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    elif order == "K" or order == "k":
        if a.flags.c_contiguous:
            return "C"
        elif a.flags.f_contiguous:
            return "F"
        else:
            raise SrcGradError("order='K' of a non-contiguous array has no supported derivative")
    elif order == "F" or order == "f":
        return "F"
    else:
        return "C"


def _reshaped(g, shape, order):
    if order == "F":
        return numpy.ascontiguousarray(g.T).reshape(shape[::-1]).T
    else:
        return numpy.ascontiguousarray(g).reshape(shape)


# -- reductions ----------------------------------------------------------------------

def unreduce_extreme(g, a, z, axis=None, keepdims=False):
    """Adjoint of max/min: `g` shared evenly among the entries equal to the extreme `z`."""
    if isinstance(a, (float, int)):
        return g if a == z else g * math.nan
    elif isinstance(z, (float, int)):
        hit = a == z
        return hit * (g / hit.sum())
    else:
        inserted = _reduced(axis, keepdims, a.ndim)
        hit = a == _spread(z, a.shape, inserted)
        count = _fold(hit * 1.0, z.shape, inserted)
        return hit * _spread(g / count, a.shape, inserted)


def extreme_tangent_helper(t, a, z, axis=None, keepdims=False):
    """Tangent of z = numpy.max/min(a, axis, keepdims): the mean of `t` over the tied extremes."""
    if isinstance(z, (float, int)):
        return _total(t * unreduce_extreme(1.0, a, z, axis, keepdims))
    else:
        share = unreduce_extreme(numpy.ones(z.shape), a, z, axis, keepdims)
        return _fold(t * share, z.shape, _reduced(axis, keepdims, a.ndim))


def var_adjoint_helper(g, a, axis=None, ddof=0, keepdims=False):
    """Adjoint of numpy.var(a, axis, ddof=ddof, keepdims=keepdims): 2 g (a - mean) / (N - ddof)."""
    n = reduced_size(a, axis)
    return unreduce(g, a, axis, keepdims) * (2.0 / (n - ddof)) * _centered(a, axis, n)


def std_adjoint_helper(g, a, z, axis=None, ddof=0, keepdims=False):
    """Adjoint of z = numpy.std(...): the var adjoint of g / (2 z); 0 where z == 0."""
    return var_adjoint_helper(_half_over(g, z), a, axis, ddof, keepdims)


def var_tangent_helper(t, a, z, axis=None, ddof=0, keepdims=False):
    """Tangent of z = numpy.var(a, axis, ddof=, keepdims=): sum(2 (a - mean) t) / (N - ddof)."""
    return _reduced_sum(t * var_adjoint_helper(_ones_like(z), a, axis, ddof, keepdims), a, z, axis, keepdims)


def std_tangent_helper(t, a, z, axis=None, ddof=0, keepdims=False):
    """Tangent of z = numpy.std(...): the var tangent over 2 z; 0 where z == 0."""
    share = std_adjoint_helper(_ones_like(z), a, z, axis, ddof, keepdims)
    return _reduced_sum(t * share, a, z, axis, keepdims)


def _half_over(g, z):
    """g / (2 z), and 0 where z == 0."""
    if isinstance(z, (float, int)):
        return 0.0 * g if z == 0 else g / (2.0 * z)
    else:
        zero = z == 0.0
        return numpy.where(zero, 0.0, g / (2.0 * numpy.where(zero, 1.0, z)))


def _ones_like(z):
    if isinstance(z, (float, int)):
        return 1.0
    else:
        return numpy.ones(z.shape)


def _reduced_sum(v, a, z, axis, keepdims):
    """`v` (shaped like `a`) summed over the axes a reduction of `a` into `z` took."""
    if isinstance(z, (float, int)):
        return _total(v)
    else:
        return _fold(v, z.shape, _reduced(axis, keepdims, a.ndim))


def _centered(a, axis, n):
    """`a` minus its mean over `axis` (all of it for None), `n` entries per mean."""
    if axis is None:
        return a - a.sum() / n
    else:
        dims = _dims(a.shape, _no_axes())
        kept = dims.copy()
        for ax in _axes(axis, a.ndim):
            kept[ax] = 1
        sums = numpy.zeros(kept.prod())
        _move(_flat(a), dims, sums, kept, True)
        means = numpy.empty(a.size)
        _move(sums / n, kept, means, dims, False)
        return a - means.reshape(a.shape)


def cumsum_adjoint_helper(g, a, axis=None):
    """Adjoint of numpy.cumsum(a, axis): sums from each position to the end along `axis`
    (over the flattened array for axis None)."""
    flat = _flat(g)
    out = numpy.empty(flat.size)
    if axis is None:
        step, length = 1, flat.size
    else:
        ax = axis % g.ndim
        step, length = 1, g.shape[ax]
        for k in range(ax + 1, g.ndim):
            step *= g.shape[k]
    for p in range(flat.size - 1, -1, -1):
        out[p] = flat[p]
        if (p // step) % length != length - 1:
            out[p] += out[p + step]
    if isinstance(a, (float, int)):
        return out
    elif axis is None:
        return out.reshape(a.shape)
    else:
        return out.reshape(g.shape)


# -- products -----------------------------------------------------------------------

def matmul_adjoint_left(g, a, b):
    """The adjoint of `a` in `a @ b` (1-D and 2-D operands; numba has no stacked matmul).
    `g` may have the shape `a @ b` was broadcast into afterwards: summed back first."""
    if a.ndim > 2:
        return numpy.matmul(g, b)  # numba refuses it: no stacks of matrices here
    if b.ndim > 2:
        return numpy.matmul(g, b)
    if a.ndim == 1:
        if b.ndim == 1:
            return _total(g) * b
        else:
            return b @ _onto(g, (b.shape[1],))
    else:
        if b.ndim == 1:
            return numpy.outer(_onto(g, (a.shape[0],)), b)
        else:
            return _onto(g, (a.shape[0], b.shape[1])) @ b.T


def matmul_adjoint_right(g, a, b):
    """The adjoint of `b` in `a @ b` (`g` as in `matmul_adjoint_left`)."""
    if a.ndim > 2:
        return numpy.matmul(a, g)  # numba refuses it: no stacks of matrices here
    if b.ndim > 2:
        return numpy.matmul(a, g)
    if a.ndim == 1:
        if b.ndim == 1:
            return _total(g) * a
        else:
            return numpy.outer(a, _onto(g, (b.shape[1],)))
    else:
        if b.ndim == 1:
            return a.T @ _onto(g, (a.shape[0],))
        else:
            return a.T @ _onto(g, (a.shape[0], b.shape[1]))


def dot_adjoint_left(g, a, b):
    """The adjoint of `a` in `numpy.dot(a, b)`: numbers, 1-D and 2-D operands."""
    if isinstance(a, (float, int)):
        return unbroadcast(g * b, a)
    elif isinstance(b, (float, int)):
        return unbroadcast(g * b, a)
    else:
        if a.ndim > 2:
            return numpy.tensordot(g, b)  # numba refuses it: dot of more axes is not here
        if b.ndim > 2:
            return numpy.tensordot(g, b)
        return matmul_adjoint_left(g, a, b)


def dot_adjoint_right(g, a, b):
    """The adjoint of `b` in `numpy.dot(a, b)`."""
    if isinstance(a, (float, int)):
        return unbroadcast(g * a, b)
    elif isinstance(b, (float, int)):
        return unbroadcast(g * a, b)
    else:
        if a.ndim > 2:
            return numpy.tensordot(a, g)  # numba refuses it, as in dot_adjoint_left
        if b.ndim > 2:
            return numpy.tensordot(a, g)
        return matmul_adjoint_right(g, a, b)


# -- subscripts and writes ------------------------------------------------------------

def _positions(shape, index):
    """The C-order positions `x[index]` reads in an array of `shape`: an int, or an int
    array of the read's shape (repeats kept, as an integer index array has them)."""
    return numpy.arange(_size(shape)).reshape(shape)[index]


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _add_at(out, index, v):
    """out[index] += v, adding up at an index repeated (numpy.add.at); `out` C-contiguous."""
    flat = out.reshape(out.size)
    at = _positions(out.shape, index)
    if isinstance(at, int):
        flat[at] += _one(v)
    else:
        where = _flat(at)
        values = _flat(broadcast_like(v, at))
        for k in range(where.size):
            flat[where[k]] += values[k]


def _one(v):
    """The number `v` (an array of one entry read as its entry)."""
    if isinstance(v, (float, int)):
        return v
    elif v.size != 1:
        raise ValueError("an array cannot be added into one entry")
    else:
        return v.sum()


def unindex(g, a, index):
    """The adjoint of the array `a` in `a[index]`: `g` placed in zeros shaped like `a`
    (summed where an integer index array repeats an entry)."""
    out = numpy.zeros(a.shape)
    _add_at(out, index, g)
    return out


def scatter_add(g, index, v):
    """`g[index] += v` in place, summed over repeated integer indices (numpy.add.at)."""
    _add_at(g, index, v)


def written_adjoint(g, index, v):
    """The adjoint of `v` in `x[index] = v`: the entries of `g` that `v` landed on (the
    last write of a repeated integer index, as NumPy keeps)."""
    at = _positions(g.shape, index)
    flat = _flat(g)
    if isinstance(at, int):
        return unbroadcast(flat[at], v)
    else:
        where = _flat(at)
        last = numpy.full(g.size, -1)
        for k in range(where.size):
            last[where[k]] = k
        picked = numpy.empty(where.size)
        for k in range(where.size):
            picked[k] = flat[where[k]] if last[where[k]] == k else 0.0
        return unbroadcast(picked.reshape(at.shape), v)


def zero_at(g, index):
    """A copy of the adjoint `g` with zeros at `index`: the overwritten entries' share."""
    out = g.astype(numpy.float64)
    out[index] = 0.0
    return out


def copy_slice(x, index):
    """The entries `x[index]` about to be overwritten, as a copy."""
    old = x[index]
    if isinstance(old, (float, int)):
        return old
    else:
        return old.copy()


def restore_entry(x, index, old):
    """Undo `x[index] = v`: put the old entries back."""
    x[index] = old


def owned(g):
    """A copy of `g` that nothing else shares."""
    if isinstance(g, (float, int)):
        return g
    else:
        return g.copy()


def owned_adjoint(g):
    """A float copy of the adjoint `g` that the derivative owns and adds into in place."""
    if isinstance(g, (float, int)):
        return float(g)
    else:
        return g.astype(numpy.float64)


def owned_tangent(t):
    """A tangent of a value that changes in place: a float copy nothing else shares."""
    return owned_adjoint(t)


NAMES = frozenset(name for name, value in list(globals().items())
                  if callable(value) and not name.startswith("_") and name != "SrcGradError")
