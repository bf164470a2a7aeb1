"""Statistics: adjoints and tangents of quantiles, average, cov/corrcoef and histogram.

A quantile (median, percentile) is linear in the sorted data: each output is
(1 - f) s[lo] + f s[hi] for order statistics s, with weights that depend on
the sample size, q and the method alone. The weights are NumPy's own: the
quantile of `arange(n)` is the virtual index of every method. Tied entries
share their order statistic's weight evenly, as max and min share theirs.
"""
import numpy

from .core import as_array

from .reductions import unreduce



# --- quantile, percentile, median ------------------------------------------------


def _axes(ndim, axis):
    if axis is None or ndim == 0:
        return tuple(range(ndim))
    return tuple(sorted(ax % ndim for ax in (axis if isinstance(axis, tuple) else (axis,))))


def _rows(a, axis):
    """`a` as a (K, n) array: the kept axes flattened first, the reduced ones last;
    with the permutation that got it there and the kept shape."""
    axes = _axes(a.ndim, axis)
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    perm = kept + axes
    kept_shape = tuple(a.shape[i] for i in kept)
    n = int(numpy.prod([a.shape[i] for i in axes], dtype=int))
    return numpy.transpose(a, perm).reshape(-1, n), perm, kept_shape


def _unrows(m, shape, perm):
    """The inverse of `_rows`: (K, n) back to `shape`."""
    return numpy.transpose(numpy.reshape(m, [shape[i] for i in perm]), numpy.argsort(perm))


def _tie_average(w, s):
    """`w` (Q, K, n) averaged over each run of equal sorted values in `s` (K, n)."""
    n = s.shape[-1]
    index = numpy.arange(n)
    starts = numpy.concatenate([numpy.ones_like(s[:, :1], bool), s[:, 1:] != s[:, :-1]], axis=1)
    ends = numpy.concatenate([s[:, 1:] != s[:, :-1], numpy.ones_like(s[:, :1], bool)], axis=1)
    first = numpy.maximum.accumulate(numpy.where(starts, index, 0), axis=1)
    last = n - 1 - numpy.maximum.accumulate(numpy.where(ends[:, ::-1], index, 0), axis=1)[:, ::-1]
    sums = numpy.concatenate([numpy.zeros(w.shape[:-1] + (1,)), numpy.cumsum(w, axis=-1)], axis=-1)
    total = numpy.take_along_axis(sums, numpy.broadcast_to(last + 1, w.shape), -1) \
        - numpy.take_along_axis(sums, numpy.broadcast_to(first, w.shape), -1)
    return total / (last - first + 1)


def _sorted_weights(count, q, method, n):
    """(Q, n): the weight of each order statistic of a sample of `count` values (the
    first `count` of n sorted positions) in its quantiles q."""
    out = numpy.zeros((q.size, n))
    if count == 0:  # an all-NaN slice: a NaN result, no weights
        return out
    at = numpy.quantile(numpy.arange(count, dtype=float), q, method=method)  # the virtual index
    lo = numpy.floor(at).astype(int)
    frac = at - lo
    hi = numpy.minimum(lo + 1, count - 1)
    numpy.add.at(out, (numpy.arange(q.size), lo), 1.0 - frac)
    numpy.add.at(out, (numpy.arange(q.size), hi), frac)
    return out


# (alpha, beta) of the methods whose virtual index is continuous in q: the index is
# count * q + alpha + q * (1 - alpha - beta) - 1, clipped to [0, count - 1]
_CONTINUOUS = {"linear": (1.0, 1.0), "weibull": (0.0, 0.0), "hazen": (0.5, 0.5),
               "median_unbiased": (1 / 3, 1 / 3), "normal_unbiased": (3 / 8, 3 / 8),
               "interpolated_inverted_cdf": (0.0, 1.0)}


def _sorted_q_weights(count, q, method, n):
    """(Q, n): the derivative in q of `_sorted_weights`, the weight of each order
    statistic in d quantile / dq: the slope of the virtual index times
    (s[hi] - s[lo]). Zero for the methods whose index jumps (lower, nearest, ...)
    and where the index is clipped to the first or last value."""
    out = numpy.zeros((q.size, n))
    if count < 2 or method not in _CONTINUOUS:
        return out
    alpha, beta = _CONTINUOUS[method]
    raw = count * q + alpha + q * (1.0 - alpha - beta) - 1.0
    slope = numpy.where((raw > 0) & (raw < count - 1), count + 1.0 - alpha - beta, 0.0)
    lo = numpy.clip(numpy.floor(raw).astype(int), 0, count - 2)
    numpy.add.at(out, (numpy.arange(q.size), lo), -slope)
    numpy.add.at(out, (numpy.arange(q.size), lo + 1), slope)
    return out


def _quantile_weights(rows, q, method, skip_nan=False, in_q=False):
    """W (Q, K, n) with quantile(rows[k], q[i]) = sum(W[i, k] * rows[k]); with
    `skip_nan` (nanquantile), of each row's values that are not NaN. (With `in_q`,
    the same for the derivative in q.)"""
    weigh = _sorted_q_weights if in_q else _sorted_weights
    k, n = rows.shape
    q = numpy.ravel(numpy.asarray(q, dtype=float))
    order = numpy.argsort(rows, axis=-1, kind="stable")  # NaN sorts last
    s = numpy.take_along_axis(rows, order, -1)
    if skip_nan:
        counts = numpy.sum(numpy.logical_not(numpy.isnan(rows)), axis=-1)
        w = numpy.zeros((q.size, k, n))
        for count in numpy.unique(counts):
            w[:, counts == count, :] = weigh(int(count), q, method, n)[:, None, :]
    else:
        w = numpy.broadcast_to(weigh(n, q, method, n)[:, None, :], (q.size, k, n))
    if (s[:, 1:] == s[:, :-1]).any():
        w = _tie_average(w, s)
    back = numpy.broadcast_to(numpy.argsort(order, axis=-1), w.shape)
    return numpy.take_along_axis(w, back, -1)


def _quantile_setup(a, q, axis, method, scale, skip_nan, in_q=False):
    a = as_array(a)
    rows, perm, kept = _rows(a, axis)
    if in_q:  # d/dq of the weights of quantile(a, q / scale)
        w = _quantile_weights(rows, numpy.asarray(q, dtype=float) / scale, method, skip_nan, True)
        return a, rows, perm, kept, w / scale
    w = _quantile_weights(rows, numpy.asarray(q, dtype=float) / scale, method, skip_nan)
    return a, rows, perm, kept, w


def _out_shape(a, q, axis, keepdims, kept):
    if keepdims:
        axes = _axes(a.ndim, axis)
        return numpy.shape(q) + tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    return numpy.shape(q) + kept


def _weighted_adjoint(g, a, q, axis, method, keepdims, scale, skip_nan, in_q):
    a, rows, perm, kept, w = _quantile_setup(a, q, axis, method, scale, skip_nan, in_q)
    g = numpy.broadcast_to(g, _out_shape(a, q, axis, keepdims, kept)).reshape(w.shape[:2])
    return _unrows(numpy.sum(w * g[:, :, None], axis=0), a.shape, perm)


def _weighted_tangent(t, a, q, axis, method, keepdims, scale, skip_nan, in_q):
    a, rows, perm, kept, w = _quantile_setup(a, q, axis, method, scale, skip_nan, in_q)
    t_rows = _rows(numpy.broadcast_to(t, a.shape), axis)[0]
    if skip_nan:  # no tangent from a NaN entry (its weight is 0, its tangent may not be finite)
        t_rows = numpy.where(numpy.isnan(rows), 0.0, t_rows)
    return numpy.sum(w * t_rows[None], axis=-1).reshape(_out_shape(a, q, axis, keepdims, kept))


def quantile_adjoint(g, a, q, axis=None, method="linear", keepdims=False, scale=1.0, skip_nan=False):
    """Adjoint in `a` of numpy.quantile(a, q / scale, axis, method=, keepdims=)
    (median: q = 0.5; percentile: scale = 100; nanquantile: skip_nan)."""
    return _weighted_adjoint(g, a, q, axis, method, keepdims, scale, skip_nan, False)


def quantile_tangent(t, a, q, axis=None, method="linear", keepdims=False, scale=1.0, skip_nan=False):
    """Tangent of numpy.quantile(a, q / scale, axis, ...) along the tangent `t` of `a`."""
    return _weighted_tangent(t, a, q, axis, method, keepdims, scale, skip_nan, False)


def quantile_q_slope(t, a, q, axis=None, method="linear", keepdims=False, scale=1.0, skip_nan=False):
    """The weights of the derivative in q of numpy.quantile(a, q / scale, ...) applied
    to `t`: with t = a, d quantile / dq, one slope per result (the virtual index's
    slope times the step between the two order statistics it falls between)."""
    return _weighted_tangent(t, a, q, axis, method, keepdims, scale, skip_nan, True)


def quantile_q_adjoint(g, a, q, axis=None, method="linear", keepdims=False, scale=1.0, skip_nan=False):
    """The transpose of `quantile_q_slope` in t: the adjoint in `a` of d quantile / dq
    weighted by `g` (the mixed second derivative in a and q)."""
    return _weighted_adjoint(g, a, q, axis, method, keepdims, scale, skip_nan, True)


def leading_sum(g, q):
    """`g` (a quantile's result, q's axes first) summed to the shape of q."""
    total = numpy.sum(g, axis=tuple(range(numpy.ndim(q), numpy.ndim(g))))
    return total if numpy.ndim(q) else float(total)


def leading_expand(t, z):
    """`t` (shaped like q) with z's trailing axes added, to broadcast against z."""
    return numpy.reshape(t, numpy.shape(t) + (1,) * (numpy.ndim(z) - numpy.ndim(t)))


# --- average ------------------------------------------------------------------------


def average_weights(a, weights, axis=None):
    """numpy.average's weights laid out like `a` (ones for None); a 1-D weight vector
    runs along `axis`."""
    shape = numpy.shape(a)
    if weights is None:
        return numpy.ones(shape)
    w = as_array(weights)
    if w.shape == shape:
        return w
    if isinstance(axis, int) and w.ndim == 1 and shape:
        view = [1] * len(shape)
        view[axis % len(shape)] = w.size
        return numpy.broadcast_to(w.reshape(view), shape)
    raise ValueError(f"average: weights of shape {w.shape} for data of shape {shape} along axis {axis!r}")


def average_weights_adjoint(g, weights, a, axis=None):
    """`g`, laid out like `a`, summed back to the shape of numpy.average's `weights`."""
    if numpy.shape(weights) == numpy.shape(a):
        return g
    ax = axis % numpy.ndim(a)
    return numpy.sum(g, axis=tuple(i for i in range(numpy.ndim(a)) if i != ax))


def average_part(x, i, z):
    """Item `i` of numpy.average's result `z` (or of its adjoint `x`): with
    returned=True z is (average, sum of weights); otherwise z is the average and
    item 1 is 0. A missing item of a tuple adjoint is zeros."""
    if isinstance(z, tuple):
        item = x[i] if x is not None else None
        return numpy.zeros(numpy.shape(z[i])) if item is None else item
    return x if i == 0 else 0.0


def average_scale(g, z, a, axis=None, keepdims=False):
    """The adjoint of returned=True's sum of weights, laid out like `a` (0 without it)."""
    if not isinstance(z, tuple):
        return 0.0
    return unreduce(average_part(g, 1, z), a, axis, keepdims)


def average_tangent(ta, tw, a, weights, z, axis=None, returned=False, keepdims=False):
    """Tangent of numpy.average(a, axis, weights, returned, keepdims=) along the
    tangents `ta` of a and `tw` of the weights."""
    w = average_weights(a, weights, axis)
    s = numpy.sum(w, axis=axis, keepdims=True)
    out = numpy.sum(ta * w, axis=axis, keepdims=keepdims) / numpy.sum(w, axis=axis, keepdims=keepdims)
    scale = numpy.zeros(numpy.shape(out))
    if weights is not None:
        tw = average_weights(a, numpy.broadcast_to(tw, numpy.shape(weights)), axis)
        mean = numpy.sum(w * a, axis=axis, keepdims=True) / s
        out = out + numpy.sum(tw * (a - mean), axis=axis, keepdims=keepdims) / \
            numpy.sum(w, axis=axis, keepdims=keepdims)
        scale = numpy.broadcast_to(numpy.sum(tw, axis=axis, keepdims=keepdims), numpy.shape(out))
    return (out, scale) if returned else out


# --- cov, corrcoef ----------------------------------------------------------------------------


def _variables(m, y, rowvar):
    """numpy.cov's data as (variables, observations), and how many rows come from `m`."""
    x = numpy.atleast_2d(numpy.asarray(m, dtype=float))
    if not rowvar and x.shape[0] != 1:
        x = x.T
    rows = x.shape[0]
    if y is not None:
        other = numpy.atleast_2d(numpy.asarray(y, dtype=float))
        if not rowvar and other.shape[0] != 1:
            other = other.T
        x = numpy.concatenate([x, other], axis=0)
    return x, rows


def _divisor(x, bias, ddof):
    return x.shape[1] - (ddof if ddof is not None else (0 if bias else 1))


def _back(dx, m, y, rowvar, rows, which):
    """The rows of dx that came from m (which 0) or y (which 1), shaped like it."""
    part, like = (dx[:rows], m) if which == 0 else (dx[rows:], y)
    if not rowvar and numpy.atleast_2d(as_array(like)).shape[0] != 1:
        part = part.T
    return numpy.reshape(part, numpy.shape(like))


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, which=0):
    """Adjoint in m (which 0) or y (which 1) of numpy.cov(m, y, rowvar, bias, ddof):
    (G + G^T) (X - mean) / (N - ddof) for the data X."""
    x, rows = _variables(m, y, rowvar)
    centered = x - numpy.mean(x, axis=1, keepdims=True)
    g = numpy.broadcast_to(g, (x.shape[0],) * 2) if numpy.ndim(g) < 2 else as_array(g)
    dx = (g + g.T) @ centered / _divisor(x, bias, ddof)
    return _back(dx, m, y, rowvar, rows, which)


def cov_adjoint_tangent(tg, tm, ty, g, m, y=None, rowvar=True, bias=False, ddof=None, which=0):
    """Tangent of cov_adjoint(g, m, y, ...) along the tangents of g, m and y (jointly linear)."""
    x, rows = _variables(m, y, rowvar)
    t = _variables(numpy.broadcast_to(tm, numpy.shape(m)),
                   None if y is None else numpy.broadcast_to(ty, numpy.shape(y)), rowvar)[0]
    centered = x - numpy.mean(x, axis=1, keepdims=True)
    t_centered = t - numpy.mean(t, axis=1, keepdims=True)
    square = (x.shape[0],) * 2
    g = numpy.broadcast_to(g, square) if numpy.ndim(g) < 2 else as_array(g)
    tg = numpy.broadcast_to(tg, square) if numpy.ndim(tg) < 2 else as_array(tg)
    dx = ((tg + tg.T) @ centered + (g + g.T) @ t_centered) / _divisor(x, bias, ddof)
    return _back(dx, m, y, rowvar, rows, which)


def cov_tangent(tm, ty, m, y=None, rowvar=True, bias=False, ddof=None):
    """Tangent of numpy.cov(m, y, rowvar, bias, ddof) along the tangents of m and y."""
    x = _variables(m, y, rowvar)[0]
    t = _variables(numpy.broadcast_to(tm, numpy.shape(m)),
                   None if y is None else numpy.broadcast_to(ty, numpy.shape(y)), rowvar)[0]
    centered = x - numpy.mean(x, axis=1, keepdims=True)
    t_centered = t - numpy.mean(t, axis=1, keepdims=True)
    product = t_centered @ centered.T
    return numpy.squeeze((product + product.T) / _divisor(x, bias, ddof))


def square_like(g, c):
    """`g` as the (V, V) matrix numpy.cov returned squeezed to `c` (0-d for one variable)."""
    return numpy.reshape(g, numpy.shape(numpy.atleast_2d(c)))


def cov_diagonal(c):
    """The variances on the diagonal of numpy.cov's result `c`, as a vector."""
    return numpy.diagonal(numpy.atleast_2d(c))


def corrcoef_tangent(tx, ty, x, y, z, rowvar=True):
    """Tangent of z = numpy.corrcoef(x, y, rowvar) along the tangents of x and y."""
    c = numpy.atleast_2d(numpy.cov(x, y, rowvar))
    tc = numpy.reshape(cov_tangent(tx, ty, x, y, rowvar), c.shape)
    rel = numpy.diagonal(tc) / (2.0 * numpy.diagonal(c))
    s = numpy.sqrt(numpy.diagonal(c))
    out = tc / numpy.outer(s, s) - numpy.atleast_2d(z) * (rel[:, None] + rel[None, :])
    return numpy.reshape(out, numpy.shape(z))


# --- histogram --------------------------------------------------------------------------------


def _edge_weights(a, bins, range, n_edges):
    """(d edges / d min(a), d edges / d max(a)) of numpy.histogram's edges, or None
    where the edges do not depend on the data (explicit edges, or a given range)."""
    if range is not None or numpy.ndim(bins) > 0 or numpy.size(a) == 0:
        return None
    i = numpy.arange(n_edges) / (n_edges - 1)
    return 1.0 - i, i


def _extremes(a):
    """Masks of the entries equal to min(a) and to max(a), each summing to one (ties share)."""
    a = numpy.asarray(a, dtype=float)
    low, high = a == numpy.min(a), a == numpy.max(a)
    return low / numpy.sum(low), high / numpy.sum(high)


def histogram_adjoint(g, a, z, bins=10, range=None, density=None):
    """Adjoint in `a` of (counts, edges) = numpy.histogram(a, bins, range, density): the
    counts are piecewise constant (zero); edges computed from min(a) and max(a) move
    with those entries, and so does a density, through the bins' width."""
    weights = _edge_weights(a, bins, range, numpy.size(z[1]))
    g_counts, g_edges = g if isinstance(g, tuple) else (None, None)
    if weights is None or (g_edges is None and not (density and g_counts is not None)):
        return numpy.zeros(numpy.shape(a))
    d_low = d_high = 0.0
    if g_edges is not None:
        d_low, d_high = numpy.sum(g_edges * weights[0]), numpy.sum(g_edges * weights[1])
    if density and g_counts is not None:  # density = counts / (n (max - min) / bins)
        stretch = numpy.sum(g_counts * z[0]) / (z[1][-1] - z[1][0])
        d_low, d_high = d_low + stretch, d_high - stretch
    low, high = _extremes(a)
    return d_low * low + d_high * high


def histogram_adjoint_dz(g, a, z, t, bins=10, range=None, density=None):
    """Tangent of histogram_adjoint(g, a, z, ...) along the tangent `t` of z: only a
    density's term reads z's values (the density and the edges' span)."""
    g_counts = g[0] if isinstance(g, tuple) else None
    if not density or g_counts is None or _edge_weights(a, bins, range, numpy.size(z[1])) is None:
        return numpy.zeros(numpy.shape(a))
    span = z[1][-1] - z[1][0]
    t_density, t_edges = (numpy.broadcast_to(u, numpy.shape(v)) for u, v in zip(t, z))
    d_stretch = numpy.sum(g_counts * t_density) / span \
        - numpy.sum(g_counts * z[0]) * (t_edges[-1] - t_edges[0]) / span ** 2
    low, high = _extremes(a)
    return d_stretch * (low - high)


def histogram_tangent(t, a, z, bins=10, range=None, density=None):
    """Tangent of (counts, edges) = numpy.histogram(a, bins, range, density)."""
    weights = _edge_weights(a, bins, range, numpy.size(z[1]))
    if weights is None:
        return numpy.zeros(numpy.shape(z[0])), numpy.zeros(numpy.shape(z[1]))
    low, high = _extremes(a)
    t = numpy.broadcast_to(t, numpy.shape(a))
    t_low, t_high = numpy.sum(t * low), numpy.sum(t * high)
    counts = numpy.zeros(numpy.shape(z[0]))
    if density:
        counts = -z[0] * (t_high - t_low) / (z[1][-1] - z[1][0])
    return counts, t_low * weights[0] + t_high * weights[1]
