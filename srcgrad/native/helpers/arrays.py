"""Reductions (max/min, var/std, cumsum), matmul and dot, subscripts and writes,
reshape: the helpers of array code, on float arrays of one and two axes (and
more where no matrix product is involved)."""
import math

import numpy

from .core import (SrcGradError, broadcast_like, reduced_size, unbroadcast, unreduce, _axes, _dims, _flat,
                   _fold, _move, _no_axes, _onto, _reduced, _spread, _total)


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


def transpose_adjoint_helper(g, axes=None):
    """Adjoint of numpy.transpose(a, axes): the inverse permutation applied to `g`. numba
    cannot build the inverse's tuple, so `axes` is applied again, its order less one times
    (a permutation applied as often as its order is the identity)."""
    if axes is None:
        return numpy.transpose(g)
    else:
        n = g.ndim
        perm = numpy.empty(n, numpy.int64)
        for i in range(n):
            perm[i] = axes[i] % n
        order = 1
        power = perm.copy()
        while not _identity(power):
            power = power[perm]
            order += 1
        out = numpy.transpose(g, axes)
        for _ in range(order - 2):
            out = numpy.transpose(out, axes)
        if order == 1:
            return numpy.transpose(g, axes)
        else:
            return out


def _identity(perm):
    for i in range(perm.size):
        if perm[i] != i:
            return False
    return True


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
        if isinstance(g, (float, int)):
            return 0.0 if z == 0 else g / (2.0 * z)
        else:
            return numpy.where(z == 0.0, 0.0, g / (2.0 * (1.0 if z == 0 else z)))
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
        kept = _kept(dims, axis, a.ndim)
        sums = numpy.zeros(kept.prod())
        _move(_flat(a), dims, sums, kept, 1)
        means = numpy.empty(a.size)
        _move(sums / n, kept, means, dims, 0)
        return a - means.reshape(a.shape)


def prod_adjoint_helper(g, a, z, axis=None, keepdims=False):
    """Adjoint of z = numpy.prod(a, axis, keepdims): each entry gets g times the product of
    the others; g z / a without zeros, and without dividing by a zero (as the runtime
    helper: a slice's one zero gets the product of the rest, two zeros give 0)."""
    if isinstance(a, (float, int)):
        return g * z / a if a != 0 else g * 1.0
    else:
        spread = unreduce(g, a, axis, keepdims)
        zero = a == 0.0
        if not zero.any():
            return spread * unreduce(z, a, axis, keepdims) / a
        else:
            dims = _dims(a.shape, _no_axes())
            kept = _kept(dims, axis, a.ndim)
            products = numpy.ones(kept.prod())
            _move(_flat(numpy.where(zero, 1.0, a)), dims, products, kept, 2)
            counts = numpy.zeros(kept.prod())
            _move(_flat(zero * 1.0), dims, counts, kept, 1)
            others = numpy.empty(a.size)
            _move(products, kept, others, dims, 0)
            zeros = numpy.empty(a.size)
            _move(counts, kept, zeros, dims, 0)
            others = others.reshape(a.shape)
            zeros = zeros.reshape(a.shape)
            others = numpy.where(zero, others, others / numpy.where(zero, 1.0, a))
            return numpy.where((zeros == 0) | (zero & (zeros == 1)), spread * others, 0.0)


def prod_tangent_helper(t, a, z, axis=None, keepdims=False):
    """Tangent of z = numpy.prod(a, axis, keepdims): t weighted by the product of the others."""
    return _reduced_sum(t * prod_adjoint_helper(_ones_like(z), a, z, axis, keepdims), a, z, axis, keepdims)


def _kept(dims, axis, ndim):
    """`dims` (an int array) with the axes a reduction over `axis` takes set to 1."""
    kept = dims.copy()
    if axis is None:
        kept[:] = 1
    else:
        for ax in _axes(axis, ndim):
            kept[ax] = 1
    return kept


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
        return out[0]  # a number's: the runtime's 0-d array, which the boundary gives as a float
    elif axis is None:
        return out.reshape(a.shape)
    else:
        return out.reshape(g.shape)


# -- products -----------------------------------------------------------------------

def matmul(a, b):
    """a @ b (the lowering writes it for `@` and numpy.matmul, see native/lowering.py):
    numba's `@` takes operands of one and two axes; a stack of matrices (three axes,
    the stack axis broadcast where it has length 1) is multiplied matrix by matrix."""
    if a.ndim <= 2:
        if b.ndim <= 2:
            return a @ b
        elif a.ndim == 2:
            out = numpy.empty((b.shape[0], a.shape[0], b.shape[2]))
            for k in range(b.shape[0]):
                out[k] = a @ b[k]
            return out
        else:
            out = numpy.empty((b.shape[0], b.shape[2]))
            for k in range(b.shape[0]):
                out[k] = a @ b[k]
            return out
    elif a.ndim == 3:
        if b.ndim == 3:
            n = _stacks(a, b)
            out = numpy.empty((n, a.shape[1], b.shape[2]))
            for k in range(n):
                out[k] = _matrix(a, k) @ _matrix(b, k)
            return out
        elif b.ndim == 2:
            out = numpy.empty((a.shape[0], a.shape[1], b.shape[1]))
            for k in range(a.shape[0]):
                out[k] = a[k] @ b
            return out
        else:
            out = numpy.empty((a.shape[0], a.shape[1]))
            for k in range(a.shape[0]):
                out[k] = a[k] @ b
            return out
    else:
        return a @ b  # more axes: numba refuses to type it, so the backend refuses the derivative


def _stacks(a, b):
    """How many matrices a stack product of `a` and `b` (three axes each) has."""
    if a.shape[0] != b.shape[0] and a.shape[0] != 1 and b.shape[0] != 1:
        raise ValueError("matmul: the stacks of matrices do not broadcast")
    return max(a.shape[0], b.shape[0])


def _matrix(x, k):
    """The k-th matrix of the stack `x` (its only one where the stack has length 1)."""
    if x.shape[0] == 1:
        return x[0]
    else:
        return x[k]


def matmul_adjoint_left(g, a, b):
    """The adjoint of `a` in `a @ b`, for operands of one to three axes (a stack of
    matrices). `g` may have the shape `a @ b` was broadcast into afterwards: summed
    back first."""
    if a.ndim <= 2:
        if b.ndim <= 2:
            return _matmul_adjoint_left(g, a, b)
        elif a.ndim == 2:
            g3 = _onto(g, (b.shape[0], a.shape[0], b.shape[2]))
            out = numpy.zeros(a.shape)
            for k in range(b.shape[0]):
                out += g3[k] @ b[k].T
            return out
        else:
            g2 = _onto(g, (b.shape[0], b.shape[2]))
            out = numpy.zeros(a.shape)
            for k in range(b.shape[0]):
                out += b[k] @ g2[k]
            return out
    elif b.ndim == 3:
        n = _stacks(a, b)
        g3 = _onto(g, (n, a.shape[1], b.shape[2]))
        out = numpy.zeros(a.shape)
        for k in range(n):
            out[min(k, a.shape[0] - 1)] += g3[k] @ _matrix(b, k).T
        return out
    elif b.ndim == 2:
        g3 = _onto(g, (a.shape[0], a.shape[1], b.shape[1]))
        out = numpy.empty(a.shape)
        for k in range(a.shape[0]):
            out[k] = g3[k] @ b.T
        return out
    else:
        g2 = _onto(g, (a.shape[0], a.shape[1]))
        out = numpy.empty(a.shape)
        for k in range(a.shape[0]):
            out[k] = numpy.outer(g2[k], b)
        return out


def matmul_adjoint_right(g, a, b):
    """The adjoint of `b` in `a @ b` (`g` as in `matmul_adjoint_left`)."""
    if b.ndim <= 2:
        if a.ndim <= 2:
            return _matmul_adjoint_right(g, a, b)
        elif b.ndim == 2:
            g3 = _onto(g, (a.shape[0], a.shape[1], b.shape[1]))
            out = numpy.zeros(b.shape)
            for k in range(a.shape[0]):
                out += a[k].T @ g3[k]
            return out
        else:
            g2 = _onto(g, (a.shape[0], a.shape[1]))
            out = numpy.zeros(b.shape)
            for k in range(a.shape[0]):
                out += a[k].T @ g2[k]
            return out
    elif a.ndim == 3:
        n = _stacks(a, b)
        g3 = _onto(g, (n, a.shape[1], b.shape[2]))
        out = numpy.zeros(b.shape)
        for k in range(n):
            out[min(k, b.shape[0] - 1)] += _matrix(a, k).T @ g3[k]
        return out
    elif a.ndim == 2:
        g3 = _onto(g, (b.shape[0], a.shape[0], b.shape[2]))
        out = numpy.empty(b.shape)
        for k in range(b.shape[0]):
            out[k] = a.T @ g3[k]
        return out
    else:
        g2 = _onto(g, (b.shape[0], b.shape[2]))
        out = numpy.empty(b.shape)
        for k in range(b.shape[0]):
            out[k] = numpy.outer(a, g2[k])
        return out


def _matmul_adjoint_left(g, a, b):
    """matmul_adjoint_left for operands of one and two axes."""
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


def _matmul_adjoint_right(g, a, b):
    """matmul_adjoint_right for operands of one and two axes."""
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
        return _matmul_adjoint_left(g, a, b)


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
        return _matmul_adjoint_right(g, a, b)


# -- take --------------------------------------------------------------------------------

def take_axis(a, indices, axis):
    """numpy.take(a, indices, axis) (the lowering writes it for the NumPy call, see
    native/lowering.py): numba's own reads an index array of two or more axes as
    1-D, so such an index is taken flat and the result given its axes back, for an
    `a` of up to four axes."""
    if isinstance(indices, (int, float)):
        return numpy.take(a, indices, axis)
    elif indices.ndim < 2:
        return numpy.take(a, indices, axis)
    else:
        ax = axis % a.ndim
        taken = numpy.take(a, indices.ravel(), ax)
        if a.ndim == 1:
            return taken.reshape(indices.shape)
        elif a.ndim == 2:
            if ax == 0:
                return taken.reshape(indices.shape + a.shape[1:])
            else:
                return taken.reshape(a.shape[:1] + indices.shape)
        elif a.ndim == 3:
            if ax == 0:
                return taken.reshape(indices.shape + a.shape[1:])
            elif ax == 1:
                return taken.reshape(a.shape[:1] + indices.shape + a.shape[2:])
            else:
                return taken.reshape(a.shape[:2] + indices.shape)
        elif a.ndim == 4:
            if ax == 0:
                return taken.reshape(indices.shape + a.shape[1:])
            elif ax == 1:
                return taken.reshape(a.shape[:1] + indices.shape + a.shape[2:])
            elif ax == 2:
                return taken.reshape(a.shape[:2] + indices.shape + a.shape[3:])
            else:
                return taken.reshape(a.shape[:3] + indices.shape)
        else:
            # more axes: numba refuses to type a `mode`, so the backend refuses the derivative
            # (numba's take would read the index array as 1-D at run time)
            return numpy.take(a, indices, axis, "raise")


def take_adjoint_helper(g, a, indices, axis=None, mode="raise"):
    """Adjoint of numpy.take(a, indices, axis, mode=mode): `g` added back at the indices
    (an index taken several times gets the sum)."""
    out = numpy.zeros(a.shape)
    flat = out.reshape(out.size)
    index = _flat(numpy.asarray(indices))
    if axis is None:
        before, n, after = 1, a.size, 1
    else:
        ax = axis % a.ndim
        before, n, after = 1, a.shape[ax], 1
        for k in range(ax):
            before *= a.shape[k]
        for k in range(ax + 1, a.ndim):
            after *= a.shape[k]
    size = before * index.size * after
    if isinstance(g, (float, int)):
        values = numpy.full(size, g)
    else:
        values = _flat(g)
    if values.size != size:
        raise SrcGradError("take's adjoint has another size than what take gave")
    for p in range(before):
        for j in range(index.size):
            i = index[j]
            if mode == "wrap":
                i = i % n
            elif mode == "clip":
                i = min(max(i, 0), n - 1)
            elif i < -n or i >= n:
                raise IndexError("index out of bounds in take")
            elif i < 0:
                i += n
            for q in range(after):
                flat[(p * n + i) * after + q] += values[(p * index.size + j) * after + q]
    return out


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
