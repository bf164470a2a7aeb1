"""Derivative rules for NumPy's statistics: quantiles (and their nan-forms), average,
ptp, the nan-reductions, cov/corrcoef and histogram (trapezoid, interp and
convolve are in sampled.py).

Templates: spliced into generated code, never run (see numpy.py). Each adjoint
rule has its tangent rule after it. Conventions:

- quantile, percentile and median differentiate the data for every `method`
  NumPy has (each is linear in the sorted data), and q: the slope of the
  virtual index times the step between the two order statistics it falls
  between; zero for the methods whose index jumps (lower, higher, nearest,
  midpoint, the inverted-CDF ones) and where it is clipped to an end.
- histogram's counts are piecewise constant in the data: zero gradient. Its
  edges, when computed from min(a) and max(a) (no `range`, a bin count or rule
  name), move with those two entries, and so does a `density` (through the
  bins' width); bins, range and weights are constants.
- The nan-reductions skip NaN entries, which get zero gradient.
"""
import numpy

from srcgrad.rules.registry import adjoint, constant_only, linear, nondifferentiable, tangent
from srcgrad.runtime import (
    average_part,
    average_scale,
    average_tangent,
    average_weights,
    average_weights_adjoint,
    corrcoef_tangent,
    cov_adjoint,
    cov_adjoint_tangent,
    cov_diagonal,
    cov_tangent,
    extreme_tangent_helper,
    histogram_adjoint,
    histogram_adjoint_dz,
    histogram_tangent,
    prod_adjoint_helper,
    prod_tangent_helper,
    leading_expand,
    leading_sum,
    quantile_adjoint,
    quantile_q_adjoint,
    quantile_q_slope,
    quantile_tangent,
    square_like,
    std_where_adjoint,
    std_where_tangent,
    unreduce,
    unreduce_extreme,
    var_where_adjoint,
    var_where_tangent,
    where_count,
)
from srcgrad.templates import d

nondifferentiable(where_count)

# --- quantiles ---------------------------------------------------------------------

@adjoint(numpy.median)                          # z = numpy.median(a, axis, keepdims=)
def median_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = quantile_adjoint(d[z], a, 0.5, axis, "linear", keepdims)


@tangent(numpy.median)
def median_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = quantile_tangent(d[a], a, 0.5, axis, "linear", keepdims)


@adjoint(numpy.quantile)                        # z = numpy.quantile(a, q, axis, method=, keepdims=)
def quantile_adjoint_rule(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[a] = quantile_adjoint(d[z], a, q, axis, method, keepdims)
    d[q] = leading_sum(d[z] * quantile_q_slope(a, a, q, axis, method, keepdims), q)


@tangent(numpy.quantile)
def quantile_tangent_rule(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[z] = quantile_tangent(d[a], a, q, axis, method, keepdims)
    d[z] = leading_expand(d[q], z) * quantile_q_slope(a, a, q, axis, method, keepdims)


@adjoint(numpy.percentile)                      # numpy.quantile(a, q / 100, ...)
def percentile_adjoint(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[a] = quantile_adjoint(d[z], a, q, axis, method, keepdims, 100.0)
    d[q] = leading_sum(d[z] * quantile_q_slope(a, a, q, axis, method, keepdims, 100.0), q)


@tangent(numpy.percentile)
def percentile_tangent(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[z] = quantile_tangent(d[a], a, q, axis, method, keepdims, 100.0)
    d[z] = leading_expand(d[q], z) * quantile_q_slope(a, a, q, axis, method, keepdims, 100.0)


@adjoint(numpy.nanmedian)                       # the median of the entries that are not NaN
def nanmedian_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = quantile_adjoint(d[z], a, 0.5, axis, "linear", keepdims, 1.0, True)


@tangent(numpy.nanmedian)
def nanmedian_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = quantile_tangent(d[a], a, 0.5, axis, "linear", keepdims, 1.0, True)


@adjoint(numpy.nanquantile)
def nanquantile_adjoint(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[a] = quantile_adjoint(d[z], a, q, axis, method, keepdims, 1.0, True)
    d[q] = leading_sum(d[z] * quantile_q_slope(a, a, q, axis, method, keepdims, 1.0, True), q)


@tangent(numpy.nanquantile)
def nanquantile_tangent(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[z] = quantile_tangent(d[a], a, q, axis, method, keepdims, 1.0, True)
    d[z] = leading_expand(d[q], z) * quantile_q_slope(a, a, q, axis, method, keepdims, 1.0, True)


@adjoint(numpy.nanpercentile)
def nanpercentile_adjoint(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[a] = quantile_adjoint(d[z], a, q, axis, method, keepdims, 100.0, True)
    d[q] = leading_sum(d[z] * quantile_q_slope(a, a, q, axis, method, keepdims, 100.0, True), q)


@tangent(numpy.nanpercentile)
def nanpercentile_tangent(z, a, q, axis=None, *, method="linear", keepdims=False):
    d[z] = quantile_tangent(d[a], a, q, axis, method, keepdims, 100.0, True)
    d[z] = leading_expand(d[q], z) * quantile_q_slope(a, a, q, axis, method, keepdims, 100.0, True)


# --- average and ptp -----------------------------------------------------------------


# z = numpy.average(a, axis, weights, returned, keepdims=) = sum(w a) / sum(w), or with
# returned=True the pair (that, sum(w)); w the weights laid out like a (ones for None)
@adjoint(numpy.average)
def average_adjoint(z, a, axis=None, weights=None, returned=False, *, keepdims=False):
    w = average_weights(a, weights, axis)
    s = numpy.sum(w, axis, keepdims=True)
    g = unreduce(average_part(d[z], 0, z), a, axis, keepdims)
    mean = unreduce(average_part(z, 0, z), a, axis, keepdims)
    d[a] = g * w / s
    d[weights] = average_weights_adjoint(g * (a - mean) / s + average_scale(d[z], z, a, axis, keepdims),
                                         weights, a, axis)


@tangent(numpy.average)                         # one line: the result may be a pair
def average_tangent_rule(z, a, axis=None, weights=None, returned=False, *, keepdims=False):
    d[z] = average_tangent(d[a], d[weights], a, weights, z, axis, returned, keepdims)


@adjoint(numpy.ptp)                             # z = max(a) - min(a); ties share
def ptp_adjoint(z, a, axis=None, *, keepdims=False):
    high = numpy.max(a, axis, keepdims=keepdims)
    low = numpy.min(a, axis, keepdims=keepdims)
    d[a] = unreduce_extreme(d[z], a, high, axis, keepdims) - unreduce_extreme(d[z], a, low, axis, keepdims)


@tangent(numpy.ptp)
def ptp_tangent(z, a, axis=None, *, keepdims=False):
    high = numpy.max(a, axis, keepdims=keepdims)
    low = numpy.min(a, axis, keepdims=keepdims)
    d[z] = extreme_tangent_helper(d[a], a, high, axis, keepdims) - \
        extreme_tangent_helper(d[a], a, low, axis, keepdims)


# --- the nan-reductions: NaN entries are skipped and get no gradient -------------------------


@adjoint(numpy.nanmean)                         # z = numpy.nanmean(a, axis, keepdims=)
def nanmean_adjoint(z, a, axis=None, *, keepdims=False):
    keep = numpy.logical_not(numpy.isnan(a))
    d[a] = numpy.where(keep, unreduce(d[z], a, axis, keepdims), 0.0) / where_count(a, axis, keep)


@tangent(numpy.nanmean)
def nanmean_tangent(z, a, axis=None, *, keepdims=False):
    keep = numpy.logical_not(numpy.isnan(a))
    d[z] = numpy.sum(numpy.where(keep, d[a], 0.0), axis, keepdims=keepdims) / \
        numpy.sum(keep, axis, keepdims=keepdims)


# z = numpy.nanmax(a, axis, keepdims=) or nanmin: a NaN never equals the extreme
@adjoint(numpy.nanmax, numpy.nanmin)
def nan_extreme_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = unreduce_extreme(d[z], a, z, axis, keepdims)


@tangent(numpy.nanmax, numpy.nanmin)
def nan_extreme_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = extreme_tangent_helper(numpy.where(numpy.isnan(a), 0.0, d[a]), a, z, axis, keepdims)


@adjoint(numpy.nanprod)                         # z = numpy.prod(where(isnan(a), 1, a), ...)
def nanprod_adjoint(z, a, axis=None, *, keepdims=False):
    filled = numpy.where(numpy.isnan(a), 1.0, a)
    d[a] = numpy.where(numpy.isnan(a), 0.0, prod_adjoint_helper(d[z], filled, z, axis, keepdims))


@tangent(numpy.nanprod)
def nanprod_tangent(z, a, axis=None, *, keepdims=False):
    filled = numpy.where(numpy.isnan(a), 1.0, a)
    d[z] = prod_tangent_helper(numpy.where(numpy.isnan(a), 0.0, d[a]), filled, z, axis, keepdims)


for _function in (numpy.nanvar, numpy.nanstd):
    constant_only(_function, "ddof", "pass ddof as a constant (0 or 1), not a value computed from an input")


@adjoint(numpy.nanvar)                          # numpy.var(a, ..., where=~isnan(a))
def nanvar_adjoint(z, a, axis=None, *, ddof=0, keepdims=False):
    d[a] = var_where_adjoint(d[z], a, axis, ddof, keepdims, numpy.logical_not(numpy.isnan(a)))


@tangent(numpy.nanvar)
def nanvar_tangent(z, a, axis=None, *, ddof=0, keepdims=False):
    d[z] = var_where_tangent(d[a], a, z, axis, ddof, keepdims, numpy.logical_not(numpy.isnan(a)))


@adjoint(numpy.nanstd)                          # numpy.std(a, ..., where=~isnan(a))
def nanstd_adjoint(z, a, axis=None, *, ddof=0, keepdims=False):
    d[a] = std_where_adjoint(d[z], a, z, axis, ddof, keepdims, numpy.logical_not(numpy.isnan(a)))


@tangent(numpy.nanstd)
def nanstd_tangent(z, a, axis=None, *, ddof=0, keepdims=False):
    d[z] = std_where_tangent(d[a], a, z, axis, ddof, keepdims, numpy.logical_not(numpy.isnan(a)))


# --- cov, corrcoef ------------------------------------------------------------------------------

constant_only(numpy.cov, "ddof", "pass ddof as a constant integer")


@adjoint(numpy.cov)                             # z = (X - mean)(X - mean)^T / (N - ddof), X = [m; y]
def cov_adjoint_rule(z, m, y=None, rowvar=True, bias=False, ddof=None):
    d[m] = cov_adjoint(d[z], m, y, rowvar, bias, ddof, 0)
    d[y] = cov_adjoint(d[z], m, y, rowvar, bias, ddof, 1)


@tangent(numpy.cov)                             # one line, jointly linear in the two tangents
def cov_tangent_rule(z, m, y=None, rowvar=True, bias=False, ddof=None):
    d[z] = cov_tangent(d[m], d[y], m, y, rowvar, bias, ddof)


# z = c / sqrt(outer(diag c, diag c)) for c = numpy.cov(x, y, rowvar): the adjoint of c,
# then cov's; written with NumPy calls so that it has a derivative itself
@adjoint(numpy.corrcoef)
def corrcoef_adjoint(z, x, y=None, rowvar=True):
    c = numpy.cov(x, y, rowvar)
    variances = cov_diagonal(c)
    g = square_like(d[z], c)
    gz = g * square_like(z, c)
    scaled = g / numpy.sqrt(numpy.outer(variances, variances)) - \
        numpy.diag((numpy.sum(gz, 1) + numpy.sum(gz, 0)) / (2.0 * variances))
    d[x] = cov_adjoint(scaled, x, y, rowvar, False, None, 0)
    d[y] = cov_adjoint(scaled, x, y, rowvar, False, None, 1)


@tangent(numpy.corrcoef)
def corrcoef_tangent_rule(z, x, y=None, rowvar=True):
    d[z] = corrcoef_tangent(d[x], d[y], x, y, z, rowvar)


# --- histogram ----------------------------------------------------------------------------------

for _param, _hint in (("bins", "pass bins as a constant count, rule name or edge array"),
                      ("range", "pass range as a constant (lo, hi)"),
                      ("weights", "histogram's weights are constants")):
    constant_only(numpy.histogram, _param, _hint)


@adjoint(numpy.histogram)                       # (counts, edges): counts piecewise constant
def histogram_adjoint_rule(z, a, bins=10, range=None, density=None, weights=None):
    d[a] = histogram_adjoint(d[z], a, z, bins, range, density)


@tangent(numpy.histogram)
def histogram_tangent_rule(z, a, bins=10, range=None, density=None, weights=None):
    d[z] = histogram_tangent(d[a], a, z, bins, range, density)


# --- tangents of the helpers above (second order: hvp, hessian, grad of grad) ---------------
# Selection weights (quantiles, histogram's extremes) are piecewise constant in the
# data, so those helpers are linear in the adjoint alone; a histogram's density is not.

for _helper, _param in ((quantile_q_adjoint, "g"), (quantile_q_slope, "t"), (leading_sum, "g"),
                        (leading_expand, "t"), (average_weights, "weights"), (average_weights_adjoint, "g"),
                        (average_part, "x"), (average_scale, "g"), (square_like, "g"), (cov_diagonal, "c")):
    linear(_helper, _param)


@tangent(quantile_adjoint)                      # linear in g; the weights move with q (not with a)
def quantile_adjoint_tangent(out, g, a, q, axis=None, method="linear", keepdims=False, scale=1.0, skip_nan=False):
    d[out] = quantile_adjoint(d[g], a, q, axis, method, keepdims, scale, skip_nan)
    d[out] = quantile_q_adjoint(g * leading_expand(d[q], g), a, q, axis, method, keepdims, scale, skip_nan)


@tangent(histogram_adjoint)                     # linear in g; a density's term reads z
def histogram_adjoint_tangent(out, g, a, z, bins=10, range=None, density=None):
    d[out] = histogram_adjoint(d[g], a, z, bins, range, density)
    d[out] = histogram_adjoint_dz(g, a, z, d[z], bins, range, density)


@tangent(cov_adjoint)                           # one line: jointly linear in the three tangents
def cov_adjoint_tangent_rule(out, g, m, y=None, rowvar=True, bias=False, ddof=None, which=0):
    d[out] = cov_adjoint_tangent(d[g], d[m], d[y], g, m, y, rowvar, bias, ddof, which)
