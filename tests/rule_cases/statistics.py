"""Cases for srcgrad/rules/statistics.py (quantiles, average, ptp, nan-reductions,
cov, corrcoef, histogram) and the forward cases of their helpers."""
import numpy as np

from rule_cases import C, P, R, case, zero_case
from srcgrad import runtime

# --- quantiles (generic points: no ties, no NaN) -------------------------------------


@case(np.median, variants=[(R(5), C()), (R(6), C()), (R(3, 4), C())])
def median_case(a, c):
    return np.median(a) * c


@case(np.median, variants=[(R(3, 4, 5), C(4, 5)), (R(4, 3), C(3))])
def median_axis0_case(a, c):
    return np.sum(np.median(a, axis=0) * c)


@case(np.median, variants=[(R(3, 4, 5), C(3, 1, 1))])
def median_axes_keepdims_case(a, c):
    return np.sum(np.median(a, axis=(1, 2), keepdims=True) * c)


@case(np.quantile, variants=[(R(7), C()), (R(3, 4), C())])
def quantile_case(a, c):
    return np.quantile(a, 0.3) * c


@case(np.quantile, variants=[(R(4, 6), C(3, 4))])
def quantile_vector_q_axis_case(a, c):
    return np.sum(np.quantile(a, np.array([0.1, 0.5, 0.85]), axis=-1) * c)


@case(np.quantile, variants=[(R(5, 3), C(2, 1, 3))])
def quantile_keepdims_case(a, c):
    return np.sum(np.quantile(a, [0.25, 0.7], axis=0, keepdims=True) * c)


@case(np.quantile, variants=[(R(9), C(3)), (R(8), C(3))])
def quantile_methods_case(a, c):
    return np.sum(np.quantile(a, [0.2, 0.5, 0.9], method="hazen") * c) \
        + np.sum(np.quantile(a, [0.2, 0.5, 0.9], method="nearest") * c) \
        + np.sum(np.quantile(a, [0.2, 0.5, 0.9], method="midpoint") * c) \
        + np.sum(np.quantile(a, [0.2, 0.5, 0.9], method="inverted_cdf") * c)


@case(np.percentile, variants=[(R(7), C()), (R(4, 5), C(5))])
def percentile_case(a, c):
    return np.sum(np.percentile(a, 40.0, axis=0) * c)


@case(np.quantile, variants=[(R(7), 0.37, C()), (R(4, 6), np.array([0.13, 0.58, 0.91]), C(3, 4)),
                             (R(5, 3), np.array([[0.21], [0.66]]), C(2, 1, 3))], wrt=(0, 1))
def quantile_active_q_case(a, q, c):
    axis = None if a.ndim == 1 else (-1 if np.ndim(q) == 1 else 0)
    return np.sum(np.quantile(a, q, axis=axis) * c)


@case(np.quantile, variants=[(R(9), np.array([0.23, 0.61]), C(2)), (R(6, 4), np.array([0.07, 0.97]), C(2, 1, 4))],
      wrt=(0, 1))
def quantile_active_q_methods_case(a, q, c):
    keep = a.ndim == 2
    return np.sum(np.quantile(a, q, axis=0, method="weibull", keepdims=keep) * c) \
        + np.sum(np.quantile(a, q, axis=0, method="normal_unbiased", keepdims=keep) * c * c) \
        + np.sum(np.quantile(a, q, axis=0, method="nearest", keepdims=keep) * c)


@case(np.percentile, variants=[(R(7), 37.0, C()), (R(4, 5), np.array([12.0, 71.0]), C(2, 5))], wrt=(0, 1))
def percentile_active_q_case(a, q, c):
    return np.sum(np.percentile(a, q, axis=0) * c)


@case(np.percentile, variants=[(R(3, 6), C(2, 3))])
def percentile_vector_case(a, c):
    return np.sum(np.percentile(a, [10, 95], axis=1, method="lower") * c)


# --- average, ptp ------------------------------------------------------------------------


@case(np.average, variants=[(R(5), C()), (R(3, 4), C())])
def average_case(a, c):
    return np.average(a) * c


@case(np.average, variants=[(R(5), P(5), C()), (R(3, 4), P(3, 4), C())], wrt=(0, 1))
def average_weights_case(a, w, c):
    return np.average(a, weights=w) * c


@case(np.average, variants=[(R(3, 4), P(3), C(4)), (R(3, 4, 2), P(3), C(4, 2))], wrt=(0, 1))
def average_weights_axis_case(a, w, c):
    return np.sum(np.average(a, axis=0, weights=w) * c)


@case(np.average, variants=[(R(3, 4), P(3, 4), C(3, 1))], wrt=(0, 1))
def average_keepdims_case(a, w, c):
    return np.sum(np.average(a, axis=1, weights=w, keepdims=True) * c)


@case(np.average, variants=[(R(3, 4), P(4), C(3), C(3))], wrt=(0, 1))
def average_returned_case(a, w, c, c2):
    avg, total = np.average(a, axis=-1, weights=w, returned=True)
    return np.sum(avg * c) + np.sum(total * c2 * avg)


@case(np.ptp, variants=[(R(6), C()), (R(3, 4), C())])
def ptp_case(a, c):
    return np.ptp(a) * c


@case(np.ptp, variants=[(R(3, 4, 2), C(4, 2)), (R(5, 3), C(3))])
def ptp_axis_case(a, c):
    return np.sum(np.ptp(a, axis=0) * c)


@case(np.ptp, variants=[(R(3, 4), C(3, 1))])
def ptp_keepdims_case(a, c):
    return np.sum(np.ptp(a, axis=1, keepdims=True) * c)


# --- nan-reductions (a NaN in the data) ---------------------------------------------------------


def _with_nan(*shape):
    a = R(*shape)
    a.reshape(-1)[[1, -2]] = np.nan
    return a


@case(np.nanmean, variants=[(_with_nan(6), C()), (_with_nan(3, 4), C())])
def nanmean_case(a, c):
    return np.nanmean(a) * c


@case(np.nanmean, variants=[(_with_nan(3, 4), C(4)), (_with_nan(4, 3, 2), C(3, 2))])
def nanmean_axis_case(a, c):
    return np.sum(np.nanmean(a, axis=0) * c)


@case(np.nanmean, variants=[(_with_nan(3, 4), C(3, 1))])
def nanmean_keepdims_case(a, c):
    return np.sum(np.nanmean(a, axis=1, keepdims=True) * c)


@case(np.nanmax, variants=[(_with_nan(6), C()), (_with_nan(3, 4), C())])
def nanmax_case(a, c):
    return np.nanmax(a) * c


@case(np.nanmax, variants=[(_with_nan(3, 4), C(4)), (_with_nan(3, 4), C(4))])
def nanmax_axis_case(a, c):
    return np.sum(np.nanmax(a, axis=0) * c)


@case(np.nanmin, variants=[(_with_nan(6), C()), (_with_nan(3, 4), C())])
def nanmin_case(a, c):
    return np.nanmin(a) * c


@case(np.nanmin, variants=[(_with_nan(3, 4), C(3, 1))])
def nanmin_keepdims_case(a, c):
    return np.sum(np.nanmin(a, axis=1, keepdims=True) * c)


@case(np.nanprod, variants=[(_with_nan(5), C()), (_with_nan(3, 4), C(4))])
def nanprod_case(a, c):
    return np.sum(np.nanprod(a, axis=0) * c)


@case(np.nanvar, variants=[(_with_nan(6), C()), (_with_nan(3, 4), C())])
def nanvar_case(a, c):
    return np.nanvar(a) * c


@case(np.nanvar, variants=[(_with_nan(4, 5), C(5))])
def nanvar_axis_ddof_case(a, c):
    return np.sum(np.nanvar(a, axis=0, ddof=1) * c)


@case(np.nanstd, variants=[(_with_nan(6), C()), (_with_nan(4, 3), C(4, 1))])
def nanstd_case(a, c):
    return np.sum(np.nanstd(a, axis=-1, keepdims=True) * c)


# --- cov, corrcoef -----------------------------------------------------------------------------------


@case(np.cov, variants=[(R(3, 6), C(3, 3)), (R(6), C())])
def cov_case(m, c):
    return np.sum(np.cov(m) * c)


@case(np.cov, variants=[(R(6, 3), C(3, 3))])
def cov_columns_bias_case(m, c):
    return np.sum(np.cov(m, rowvar=False, bias=True) * c)


@case(np.cov, variants=[(R(2, 5), R(5), C(3, 3)), (R(5), R(5), C(2, 2))], wrt=(0, 1))
def cov_y_ddof_case(m, y, c):
    return np.sum(np.cov(m, y, ddof=2) * c)


@case(np.corrcoef, variants=[(R(3, 6), C(3, 3))])
def corrcoef_case(x, c):
    return np.sum(np.corrcoef(x) * c)


@case(np.corrcoef, variants=[(R(6, 2), R(6), C(3, 3))], wrt=(0, 1))
def corrcoef_y_columns_case(x, y, c):
    return np.sum(np.corrcoef(x, y, rowvar=False) * c)


# --- histogram: counts piecewise constant, edges from min and max --------------------------------------


@case(np.histogram, variants=[(R(20), C(5), C(6))])
def histogram_case(a, c, c2):
    counts, edges = np.histogram(a, bins=5)
    return np.sum(counts * c) + np.sum(edges * c2)


@case(np.histogram, variants=[(R(20), C(4))])
def histogram_density_case(a, c):
    density, _ = np.histogram(a, 4, density=True)
    return np.sum(density * c)


@case(np.histogram, variants=[(R(20), C(3), C(4))])
def histogram_fixed_edges_case(a, c, c2):
    counts, edges = np.histogram(a, bins=np.array([-3.0, -0.5, 0.5, 3.0]))
    return np.sum(counts * c) + np.sum(edges * c2)


zero_case(runtime.where_count, variants=[((R(3, 4), 0, np.array([True, False, True, True])), {})], only=(0,))


# --- helpers (forward mode over their tangent rules: what grad of grad runs) ----------------

FWD = ("forward",)


@case(runtime.where_count, variants=[(np.array([-3.0, 0.1, 2.5]), C(3))])
def where_count_case(x, c):
    inside = x > -1.0
    return np.sum(x * x * inside * c) / runtime.where_count(x, None, inside)[0]


@case(runtime.quantile_adjoint, variants=[(R(3, 4), R(4, 5), C(4, 5))], modes=FWD)
def quantile_adjoint_helper_case(g, a, c):
    return np.sum(runtime.quantile_adjoint(g * g, a, [0.2, 0.5, 0.7], 1, "linear", False) * c)


@case(runtime.quantile_q_slope, runtime.quantile_q_adjoint, runtime.leading_sum, runtime.leading_expand,
      variants=[(R(3, 4), R(4, 5), R(4, 5), C(4, 5))], modes=FWD)
def quantile_q_helpers_case(g, t, a, c):
    q = np.array([0.2, 0.55, 0.7])
    slope = runtime.quantile_q_slope(t * t, a, q, 1, "linear", False)
    back = runtime.quantile_q_adjoint(g * runtime.leading_expand(runtime.leading_sum(g * slope, q), g), a, q, 1)
    return np.sum(back * c)


@case(runtime.average_weights, runtime.average_weights_adjoint, runtime.average_part, runtime.average_scale,
      variants=[(R(4), P(3), R(3, 4), C(3, 4), C(3))], modes=FWD)
def average_helpers_case(g, w, a, c, c2):
    z = np.average(a, axis=0, weights=w, returned=True)
    part = runtime.average_part((g * g, None), 0, z)
    back = runtime.average_weights_adjoint(runtime.average_weights(a, w * w, 0) * part, w, a, 0)
    scale = runtime.average_scale((None, g * 2.0), z, a, 0, False)
    return np.sum(back * c2) + np.sum(scale * c)


@case(runtime.square_like, runtime.cov_diagonal, variants=[(R(3, 3), C(3, 3))], modes=FWD)
def cov_shape_helpers_case(g, c):
    return np.sum(runtime.square_like(g * g, g) * c) + np.sum(runtime.cov_diagonal(g * g) * c[0])


@case(runtime.cov_adjoint, variants=[(R(3, 3), R(2, 5), R(5), C(2, 5), C(5))], wrt=(0, 1, 2), modes=FWD)
def cov_adjoint_helper_case(g, m, y, c, c2):
    return np.sum(runtime.cov_adjoint(g * g, m, y, True, False, None, 0) * c) \
        + np.sum(runtime.cov_adjoint(g, m * m, y, True, False, None, 1) * c2)


@case(runtime.histogram_adjoint, variants=[(R(6), R(20), C(20))], modes=FWD)
def histogram_adjoint_helper_case(g, a, c):
    z = np.histogram(a, 5)
    return np.sum(runtime.histogram_adjoint((None, g * g), a, z, 5, None, None) * c)


# --- nan-quantiles: NaN entries skipped (rows with different counts of them) ------------------


@case(np.nanmedian, variants=[(_with_nan(7), C()), (_with_nan(3, 5), C())])
def nanmedian_case(a, c):
    return np.nanmedian(a) * c


@case(np.nanmedian, variants=[(_with_nan(4, 5), C(5)), (_with_nan(3, 4, 2), C(4, 2))])
def nanmedian_axis_case(a, c):
    return np.sum(np.nanmedian(a, axis=0) * c)


@case(np.nanquantile, variants=[(_with_nan(3, 6), C(2, 3))])
def nanquantile_case(a, c):
    return np.sum(np.nanquantile(a, [0.3, 0.75], axis=1) * c)


@case(np.nanquantile, variants=[(_with_nan(5, 4), C(1, 4))])
def nanquantile_keepdims_method_case(a, c):
    return np.sum(np.nanquantile(a, 0.4, axis=0, method="weibull", keepdims=True) * c)


@case(np.nanpercentile, variants=[(_with_nan(8), C()), (_with_nan(4, 5), C())])
def nanpercentile_case(a, c):
    return np.nanpercentile(a, 65.0) * c


@case(np.nanquantile, variants=[(_with_nan(3, 6), np.array([0.33, 0.71]), C(2, 3))], wrt=(0, 1))
def nanquantile_active_q_case(a, q, c):
    return np.sum(np.nanquantile(a, q, axis=1) * c)


@case(np.nanpercentile, variants=[(_with_nan(4, 5), np.array([37.0, 83.0]), C(2, 5)), (_with_nan(6), 41.0, C())],
      wrt=(0, 1))
def nanpercentile_active_q_case(a, q, c):
    return np.sum(np.nanpercentile(a, q, axis=0) * c)
