"""Array manipulation: diff, gradient, kron, cross, rollaxis, split, atleast_nd,
partition, select, logspace, and the parts of a real array (real, imag).

Each adjoint helper sends `g` back through the movement or the linear map
its function applies, and is linear in `g` (cross and kron: bilinear in
`g` and the other operand), so that second derivatives need only the
tangent rules in srcgrad/rules/manipulation.py.
"""
import numpy

from .checks import require_real_operand
from .containers import entry_adjoints, fill_grad
from .core import as_array, unbroadcast, zeros_like
from .reductions import tie_mean


def _axis_index(axis, ndim):
    """`axis` as a non-negative index, raising as NumPy does when it is out of range."""
    if not -ndim <= axis < ndim:
        raise numpy.exceptions.AxisError(axis, ndim) if hasattr(numpy, "exceptions") \
            else IndexError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


# --- numpy.diff ----------------------------------------------------------------


def _diff_ends(a, prepend, append, axis):
    """prepend and append as numpy.diff joins them to `a` along `axis` (a 0-d one
    broadcast to one slice); None for one not given."""
    out = []
    for extra in (prepend, append):
        if extra is not None and numpy.ndim(extra) == 0:
            shape = list(numpy.shape(a))
            shape[axis] = 1
            extra = numpy.broadcast_to(extra, shape)
        out.append(extra)
    return out


def diff_adjoint_helper(g, a, n=1, axis=-1, prepend=None, append=None):
    """Adjoints of numpy.diff(a, n, axis, prepend, append): [a's, prepend's, append's].

    One difference `y[i] = x[i + 1] - x[i]` has the adjoint `-diff(g)` with a
    zero before and after `g`; n of them are applied n times. The adjoint of the
    joined array is then cut into its three parts (None for a part not given).
    """
    axis = _axis_index(axis, numpy.ndim(a))
    if n == 0:
        return [g, None if prepend is None else zeros_like(prepend),
                None if append is None else zeros_like(append)]
    for _ in range(n):
        g = -numpy.diff(g, axis=axis, prepend=0.0, append=0.0)
    first, last = _diff_ends(a, prepend, append, axis)
    cuts = numpy.cumsum([0 if first is None else numpy.shape(first)[axis], numpy.shape(a)[axis]])
    head, middle, tail = numpy.split(g, cuts, axis=axis)
    return [middle, None if prepend is None else unbroadcast(head, prepend),
            None if append is None else unbroadcast(tail, append)]


def diff_tangent_helper(t, a, n=1, axis=-1, prepend=None, append=None, part=0):
    """Tangent of numpy.diff(a, n, axis, prepend, append) from the tangent `t` of
    a (part 0), prepend (1) or append (2): the differences of the joined
    tangents, zeros in the other parts."""
    axis = _axis_index(axis, numpy.ndim(a))
    if n == 0:
        return t if part == 0 else zeros_like(a)
    first, last = _diff_ends(a, prepend, append, axis)
    shapes = [numpy.shape(p) if p is not None else None for p in (first, a, last)]
    position = (1, 0, 2)[part]  # in the joined order: prepend, a, append
    joined = [numpy.broadcast_to(t, s) if i == position else numpy.zeros(s)
              for i, s in enumerate(shapes) if s is not None]
    return numpy.diff(numpy.concatenate(joined, axis=axis), n, axis=axis)


# --- numpy.gradient --------------------------------------------------------------


def _gradient_axes(f, varargs, axis):
    """The axes numpy.gradient differentiates along, and the spacing of each."""
    ndim = numpy.ndim(f)
    if axis is None:
        axes = list(range(ndim))
    else:
        axes = [_axis_index(ax, ndim) for ax in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and numpy.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("invalid number of arguments")  # as numpy.gradient itself
    return axes, spacings


def _gradient_transposed(g, axis, spacing, edge_order):
    """The adjoint of numpy.gradient along one axis: g times the transpose of its
    difference matrix M (shape n x n, zero outside |i - j| <= 2).

    M is read off without building it: numpy.gradient of the comb e_r (ones at
    the indices j with j % 5 == r) gives, in row i, the one entry M[i, j] of the
    band whose column has residue r.
    """
    n = numpy.shape(g)[axis]
    combs = (numpy.arange(n)[None, :] % 5 == numpy.arange(5)[:, None]).astype(float)
    band = numpy.gradient(combs, spacing, axis=1, edge_order=edge_order)
    rows = numpy.moveaxis(g, axis, 0)
    out = numpy.zeros(rows.shape, dtype=numpy.result_type(rows.dtype, band.dtype))
    lead = (slice(None),) + (None,) * (rows.ndim - 1)
    for offset in range(-2, 3):  # out[j] += M[j - offset, j] * g[j - offset]
        j = numpy.arange(max(0, offset), min(n, n + offset))
        out[j] += band[j % 5, j - offset][lead] * rows[j - offset]
    return numpy.moveaxis(out, 0, axis)


def gradient_adjoint_helper(g, f, varargs=(), axis=None, edge_order=1):
    """Adjoint of f in numpy.gradient(f, *varargs, axis=axis, edge_order=edge_order):
    `g` is one array, or (several axes) a list with one adjoint or None per axis."""
    axes, spacings = _gradient_axes(f, varargs, axis)
    parts = [g] if len(axes) == 1 else entry_adjoints(g, axes)
    out = numpy.zeros(numpy.shape(f))
    for ax, spacing, part in zip(axes, spacings, parts):
        if part is not None:
            out = out + _gradient_transposed(part, ax, spacing, edge_order)
    return out


_STEP = 1e-20  # the complex step: gradient(f, x + i h t).imag / h is the derivative along t


def _spacing_derivative(f, spacing, axis, edge_order, step):
    """The derivative of numpy.gradient(f, spacing, axis=axis) in its spacing (a number)
    or coordinates (an array), along `step`: by the complex step, exact to rounding
    (numpy.gradient is a rational function of the spacings)."""
    moved = numpy.gradient(numpy.asarray(f, dtype=complex), spacing + 1j * _STEP * as_array(step),
                           axis=axis, edge_order=edge_order)
    return moved.imag / _STEP


def _spacing_owner(varargs, k):
    """Which of numpy.gradient's varargs gives the spacing of its k-th axis."""
    return 0 if len(varargs) == 1 and numpy.ndim(varargs[0]) == 0 else k


def gradient_spacing_adjoint(g, f, varargs, axis=None, edge_order=1):
    """Adjoints of the varargs of numpy.gradient(f, *varargs, axis=, edge_order=), one
    per vararg: a spacing's is sum(g * dz/dh); a coordinate array's entry j collects
    g * dz[i]/dx[j] over the rows i of its band (|i - j| <= 2), read five columns at a
    time (the comb of the columns j with j % 5 == r)."""
    axes, spacings = _gradient_axes(f, varargs, axis)
    parts = [g] if len(axes) == 1 else entry_adjoints(g, axes)
    out = [0.0 if numpy.ndim(v) == 0 else numpy.zeros(numpy.shape(v)) for v in varargs]
    for k, (ax, spacing, part) in enumerate(zip(axes, spacings, parts)):
        if part is None:
            continue
        owner = _spacing_owner(varargs, k)
        if numpy.ndim(spacing) == 0:
            out[owner] = out[owner] + numpy.sum(part * _spacing_derivative(f, spacing, ax, edge_order, 1.0))
            continue
        n = numpy.shape(f)[ax]
        rows = numpy.arange(n)
        for r in range(5):
            comb = (rows % 5 == r).astype(float)
            slopes = numpy.moveaxis(part * _spacing_derivative(f, spacing, ax, edge_order, comb), ax, 0)
            per_row = numpy.sum(slopes.reshape(n, -1), axis=1)
            column = rows + (r - rows + 2) % 5 - 2  # the one column of residue r in row i's band
            inside = (column >= 0) & (column < n)
            numpy.add.at(out[owner], column[inside], per_row[inside])
    return out


def gradient_spacing_adjoint_tangent(tg, tf, g, f, varargs, axis=None, edge_order=1):
    """Tangent of gradient_spacing_adjoint(g, f, varargs, ...) along the tangents `tg`
    of g and `tf` of f (None where constant): it is bilinear in g and f."""
    out = [0.0 if numpy.ndim(v) == 0 else numpy.zeros(numpy.shape(v)) for v in varargs]
    for terms in ((tg, f), (g, tf)):
        if terms[0] is not None and terms[1] is not None:
            out = [a + b for a, b in zip(out, gradient_spacing_adjoint(terms[0], terms[1], varargs, axis,
                                                                       edge_order))]
    return out


def gradient_tangent_helper(tf, tv, f, varargs, axis=None, edge_order=1):
    """Tangent of numpy.gradient(f, *varargs, axis=, edge_order=) along the tangent `tf`
    of f and `tv` of the varargs (None or zeros where constant): one array, or a
    list of one per axis."""
    axes, spacings = _gradient_axes(f, varargs, axis)
    tangents = _gradient_axes(f, tuple(tv) if tv is not None else (None,) * len(varargs), axis)[1] \
        if varargs else [None] * len(axes)
    out = []
    for ax, spacing, ts in zip(axes, spacings, tangents):
        part = numpy.zeros(numpy.shape(f))
        if tf is not None and numpy.any(tf):
            part = part + numpy.gradient(numpy.broadcast_to(tf, numpy.shape(f)), spacing, axis=ax,
                                         edge_order=edge_order)
        if ts is not None and numpy.any(ts):
            part = part + _spacing_derivative(f, spacing, ax, edge_order, ts)
        out.append(part)
    if len(axes) == 1:
        return out[0]
    return type(numpy.gradient(numpy.zeros((2, 2))))(out)  # a list before NumPy 2.0, a tuple after


# --- numpy.kron ------------------------------------------------------------------


def _kron_blocks(g, a, b):
    """`g` with its axes split into (a's, b's) pairs, and a's and b's shapes as numpy.kron
    pads them (ones in front, to one rank)."""
    nd = max(numpy.ndim(a), numpy.ndim(b))
    sa = (1,) * (nd - numpy.ndim(a)) + numpy.shape(a)
    sb = (1,) * (nd - numpy.ndim(b)) + numpy.shape(b)
    return numpy.reshape(g, [n for pair in zip(sa, sb) for n in pair]), sa, sb


def kron_adjoint_left(g, a, b):
    """Adjoint of a in numpy.kron(a, b): each block of `g` weighted by b and summed."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:  # kron with a scalar multiplies
        return unbroadcast(g * b, a)
    blocks, sa, sb = _kron_blocks(g, a, b)
    weights = numpy.reshape(b, [n for s in sb for n in (1, s)])
    return numpy.reshape(numpy.sum(blocks * weights, axis=tuple(range(1, 2 * len(sa), 2))), numpy.shape(a))


def kron_adjoint_right(g, a, b):
    """Adjoint of b in numpy.kron(a, b): the blocks of `g` summed with a's weights."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * a, b)
    blocks, sa, sb = _kron_blocks(g, a, b)
    weights = numpy.reshape(a, [n for s in sa for n in (s, 1)])
    return numpy.reshape(numpy.sum(blocks * weights, axis=tuple(range(0, 2 * len(sa), 2))), numpy.shape(b))


# --- numpy.cross -----------------------------------------------------------------


def _cross_vectors(g, a, b, axisa, axisb, axisc, axis):
    """a and b with their vectors along the last axis, and `g` as 3-vectors there
    (both 2-vectors: the result is the third component, the others zero)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = numpy.moveaxis(as_array(a), axisa, -1)
    b = numpy.moveaxis(as_array(b), axisb, -1)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        g = as_array(g)
        g3 = numpy.stack([numpy.zeros(g.shape), numpy.zeros(g.shape), g], axis=-1)
    else:
        g3 = numpy.moveaxis(as_array(g), axisc, -1)
    return g3, a, b, axisa, axisb


def _three(v):
    """2-vectors (last axis) as 3-vectors with a zero third component."""
    if v.shape[-1] == 3:
        return v
    return numpy.concatenate([v, numpy.zeros(v.shape[:-1] + (1,))], axis=-1)


def cross_adjoint_left(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of a in numpy.cross(a, b, ...): g . (a x b) = a . (b x g)."""
    g3, a, b, axisa, _ = _cross_vectors(g, a, b, axisa, axisb, axisc, axis)
    da = numpy.cross(_three(b), g3)[..., :a.shape[-1]]
    return numpy.moveaxis(unbroadcast(da, a), -1, axisa)


def cross_adjoint_right(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of b in numpy.cross(a, b, ...): g . (a x b) = b . (g x a)."""
    g3, a, b, _, axisb = _cross_vectors(g, a, b, axisa, axisb, axisc, axis)
    db = numpy.cross(g3, _three(a))[..., :b.shape[-1]]
    return numpy.moveaxis(unbroadcast(db, b), -1, axisb)


# --- moving axes, splitting, promoting ----------------------------------------------


def rollaxis_adjoint_helper(g, a, axis, start=0):
    """Adjoint of numpy.rollaxis(a, axis, start): the axis moved back."""
    ndim = numpy.ndim(a)
    axis = _axis_index(axis, ndim)
    start = start + ndim if start < 0 else start
    destination = start - 1 if axis < start else start  # where numpy.rollaxis put it
    return numpy.moveaxis(g, destination, axis)


def pieces_adjoint(g, pieces, ary, axis=0):
    """Adjoint of numpy.split(ary, ..., axis) and its kin: the pieces' adjoints
    joined again, zeros for a piece that got none. `axis` "h" is hsplit's
    (the second axis, the first of a 1-D array)."""
    if axis == "h":
        axis = 1 if numpy.ndim(ary) > 1 else 0
    return numpy.concatenate(fill_grad(entry_adjoints(g, pieces), pieces), axis=axis)


def atleast_adjoint_helper(g, arys):
    """Adjoints of numpy.atleast_1d/2d/3d(*arys): each reshaped back to its input."""
    parts = [g] if len(arys) == 1 else fill_grad(entry_adjoints(g, arys), list(arys))
    return [numpy.reshape(p, numpy.shape(x)) for p, x in zip(parts, arys)]


def atleast_tangent_helper(tangents, ndim):
    """Tangent of numpy.atleast_<ndim>d(*arys): the same promotion of the tangents."""
    promote = {1: numpy.atleast_1d, 2: numpy.atleast_2d, 3: numpy.atleast_3d}[ndim]
    return promote(*tangents)


# --- numpy.partition -------------------------------------------------------------


def _partition_orders(a, z, axis):
    """(where, what): along `axis`, z[what[j]] is a[where[j]] (both sorted stably,
    so equal values are matched in order); a and z flattened when axis is None."""
    a, z = as_array(a), as_array(z)
    if axis is None:
        a, z, axis = a.ravel(), z.ravel(), 0
    return numpy.argsort(a, axis=axis, kind="stable"), numpy.argsort(z, axis=axis, kind="stable"), axis


def partition_adjoint_helper(g, a, z, axis=-1):
    """Adjoint of numpy.partition(a, kth, axis): each entry of `g` sent to the entry
    of a its value came from (z holds a's values, rearranged), shared evenly among
    tied values as numpy.sort's is."""
    where, what, ax = _partition_orders(a, z, axis)
    out = numpy.zeros(where.shape, dtype=numpy.result_type(as_array(g).dtype, float))
    ordered = numpy.take_along_axis(numpy.reshape(numpy.broadcast_to(g, numpy.shape(z)), what.shape), what, ax)
    values = numpy.take_along_axis(numpy.reshape(z, what.shape), what, ax)
    numpy.put_along_axis(out, where, tie_mean(ordered, values, ax), ax)
    return numpy.reshape(out, numpy.shape(a))


def partition_tangent_helper(t, a, z, axis=-1):
    """Tangent of numpy.partition(a, kth, axis): a's tangent rearranged as a's values are."""
    where, what, ax = _partition_orders(a, z, axis)
    t = numpy.reshape(numpy.broadcast_to(t, numpy.shape(a)), where.shape)
    out = numpy.zeros(what.shape, dtype=numpy.result_type(t.dtype, float))
    values = numpy.take_along_axis(numpy.reshape(z, what.shape), what, ax)
    numpy.put_along_axis(out, what, tie_mean(numpy.take_along_axis(t, where, ax), values, ax), ax)
    return numpy.reshape(out, numpy.shape(z))


# --- numpy.select ----------------------------------------------------------------


def select_choice(condlist):
    """For numpy.select: the index of the first true condition, -1 where none holds."""
    conds = numpy.broadcast_arrays(*[numpy.asarray(c, dtype=bool) for c in condlist])
    chosen = numpy.full(conds[0].shape if conds else (), -1)
    for k in range(len(conds) - 1, -1, -1):
        chosen = numpy.where(conds[k], k, chosen)
    return chosen


def select_adjoint_helper(g, condlist, choicelist):
    """Adjoints of numpy.select's choices: `g` where each was chosen, zero elsewhere."""
    chosen = select_choice(condlist)
    return [unbroadcast(numpy.where(chosen == k, g, 0.0), c) for k, c in enumerate(choicelist)]


def select_default_adjoint(g, condlist, default):
    """Adjoint of numpy.select's default: `g` where no condition holds."""
    return unbroadcast(numpy.where(select_choice(condlist) == -1, g, 0.0), default)


# --- numpy.logspace --------------------------------------------------------------


def logspace_base(base, z, axis=0):
    """numpy.logspace's base as it meets the exponents: an array base gets the new axis."""
    if numpy.ndim(base) == 0:
        return base
    return numpy.expand_dims(numpy.array(base, ndmin=numpy.ndim(z) - 1), axis)


def logspace_base_adjoint(g, base, axis=0):
    """The adjoint of logspace_base(base, z, axis): `g` summed back to base's shape."""
    if numpy.ndim(base) == 0:
        return numpy.sum(g)
    return unbroadcast(numpy.sum(g, axis=axis), base)


def logspace_exponents(start, stop, num=50, endpoint=True, base=10.0, axis=0):
    """The exponents of numpy.logspace (start, stop promoted with an array base, as NumPy does)."""
    if numpy.ndim(base):
        ndmax = numpy.broadcast(start, stop, base).ndim
        start, stop = numpy.array(start, ndmin=ndmax), numpy.array(stop, ndmin=ndmax)
    return numpy.linspace(start, stop, num, endpoint, axis=axis)


# --- the parts of a real array -------------------------------------------------------


def real_part_adjoint(g, x, name):
    """Adjoint (and tangent) of numpy.real, conj, real_if_close of a real `x`: `g`
    itself. A complex `x` is outside the SPEC: SrcGradError naming `name`."""
    require_real_operand(x, name)
    return g


def imaginary_part_adjoint(g, x, name):
    """Adjoint (and tangent) of numpy.imag and angle of a real `x`: zero (angle is
    piecewise constant on the reals). A complex `x`: SrcGradError naming `name`."""
    require_real_operand(x, name)
    return zeros_like(x)
