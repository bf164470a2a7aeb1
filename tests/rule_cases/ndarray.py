"""Cases for srcgrad/rules/ndarray.py (methods and attributes of arrays)."""
import numpy as np

from rule_cases import C, P, R, case

# --- methods aliased to their functions -------------------------------------


@case(np.ndarray.sum, variants=[(R(3, 4), C()), (R(5), C())])
def method_sum_case(x, c):
    return (x * x).sum() * c


@case(np.ndarray.sum, variants=[(R(3, 4), C(4)), (R(3, 4, 2), C(4, 2))])
def method_sum_axis_case(x, c):
    return np.sum(x.sum(axis=0) * c)


@case(np.ndarray.sum, variants=[(R(3, 4), C(3, 1))])
def method_sum_keepdims_case(x, c):
    return np.sum(x.sum(1, keepdims=True) * c)


@case(np.ndarray.mean, variants=[(R(3, 4), C()), (R(5), C())])
def method_mean_case(x, c):
    return (x * x).mean() * c


@case(np.ndarray.mean, variants=[(R(3, 4), C(3))])
def method_mean_axis_case(x, c):
    return np.sum(x.mean(axis=-1) * c)


@case(np.ndarray.mean, variants=[(R(3, 4), C(1, 4))])
def method_mean_keepdims_case(x, c):
    return np.sum(x.mean(0, keepdims=True) * c)


@case(np.ndarray.prod, variants=[(P(3, 4), C()), (P(5), C())])
def method_prod_case(x, c):
    return x.prod() * c


@case(np.ndarray.prod, variants=[(P(3, 4), C(4))])
def method_prod_axis_case(x, c):
    return np.sum(x.prod(axis=0) * c)


@case(np.ndarray.max, variants=[(R(3, 4), C()), (R(6), C())])
def method_max_case(x, c):
    return x.max() * c


@case(np.ndarray.max, variants=[(R(3, 4), C(3))])
def method_max_axis_case(x, c):
    return np.sum(x.max(axis=1) * c)


@case(np.ndarray.max, variants=[(R(3, 4), C(1, 4))])
def method_max_keepdims_case(x, c):
    return np.sum(x.max(0, keepdims=True) * c)


@case(np.ndarray.min, variants=[(R(3, 4), C()), (R(6), C())])
def method_min_case(x, c):
    return x.min() * c


@case(np.ndarray.min, variants=[(R(3, 4), C(4))])
def method_min_axis_case(x, c):
    return np.sum(x.min(axis=0) * c)


@case(np.ndarray.var, variants=[(R(3, 4), C()), (R(6), C())])
def method_var_case(x, c):
    return x.var() * c


@case(np.ndarray.var, variants=[(R(3, 4), C(4))])
def method_var_axis_ddof_case(x, c):
    return np.sum(x.var(axis=0, ddof=1) * c)


@case(np.ndarray.std, variants=[(R(3, 4), C()), (R(6), C())])
def method_std_case(x, c):
    return x.std() * c


@case(np.ndarray.std, variants=[(R(3, 4), C(3, 1))])
def method_std_axis_case(x, c):
    return np.sum(x.std(axis=1, keepdims=True) * c)


@case(np.ndarray.cumsum, variants=[(R(3, 4), C(12)), (R(5), C(5))])
def method_cumsum_case(x, c):
    return np.sum(x.cumsum() * c)


@case(np.ndarray.cumsum, variants=[(R(3, 4), C(3, 4))])
def method_cumsum_axis_case(x, c):
    return np.sum(x.cumsum(axis=1) * c)


@case(np.ndarray.cumprod, variants=[(P(3, 4), C(12)), (P(5), C(5))])
def method_cumprod_case(x, c):
    return np.sum(x.cumprod() * c)


@case(np.ndarray.cumprod, variants=[(P(3, 4), C(3, 4))])
def method_cumprod_axis_case(x, c):
    return np.sum(x.cumprod(0) * c)


@case(np.ndarray.dot, variants=[(R(3, 4), R(4, 2), C(3, 2)), (R(4), R(4, 2), C(2)), (R(3, 4), R(4), C(3))],
      wrt=(0, 1))
def method_dot_case(x, y, c):
    return np.sum(x.dot(y) * c)


@case(np.ndarray.swapaxes, variants=[(R(2, 3, 4), C(4, 3, 2)), (R(3, 4), C(4, 3))])
def method_swapaxes_case(x, c):
    return np.sum(x.swapaxes(0, -1) * c)


@case(np.ndarray.squeeze, variants=[(R(3, 1, 4), C(3, 4))])
def method_squeeze_case(x, c):
    return np.sum(x.squeeze() * c)


@case(np.ndarray.squeeze, variants=[(R(1, 3, 1), C(3, 1))])
def method_squeeze_axis_case(x, c):
    return np.sum(x.squeeze(axis=0) * c)


@case(np.ndarray.repeat, variants=[(R(3), C(6)), (R(2, 3), C(12))])
def method_repeat_case(x, c):
    return np.sum(x.repeat(2) * c)


@case(np.ndarray.repeat, variants=[(R(2, 3), C(6, 3))])
def method_repeat_axis_case(x, c):
    return np.sum(x.repeat(3, axis=0) * c)


@case(np.ndarray.take, variants=[(R(5), C(4)), (R(2, 3), C(4))])
def method_take_case(x, c):
    return np.sum(x.take([0, 3, 3, 1]) * c)


@case(np.ndarray.take, variants=[(R(3, 4), C(3, 2))])
def method_take_axis_case(x, c):
    return np.sum(x.take([2, 0], axis=1) * c)


@case(np.ndarray.ravel, variants=[(R(3, 4), C(12)), (R(2, 3, 2), C(12))])
def method_ravel_case(x, c):
    return np.sum(x.ravel() * c)


@case(np.ndarray.ravel, variants=[(R(3, 4), C(12))])
def method_ravel_order_case(x, c):
    return np.sum(x.ravel("F") * c)


@case(np.ndarray.flatten, variants=[(R(3, 4), C(12)), (R(2, 3, 2), C(12))])
def method_flatten_case(x, c):
    return np.sum(x.flatten() * c)


@case(np.ndarray.flatten, variants=[(R(3, 4), C(12))])
def method_flatten_order_case(x, c):
    return np.sum(x.flatten(order="F") * c)


@case(np.ndarray.diagonal, variants=[(R(3, 4), C(3)), (R(4, 3), C(3))])
def method_diagonal_case(x, c):
    return np.sum(x.diagonal() * c)


@case(np.ndarray.diagonal, variants=[(R(3, 4, 5), C(3, 4))])
def method_diagonal_offset_case(x, c):
    return np.sum(x.diagonal(1, 1, 2) * c)


@case(np.ndarray.trace, variants=[(R(3, 3), C()), (R(3, 5), C())])
def method_trace_case(x, c):
    return x.trace() * c


@case(np.ndarray.trace, variants=[(R(2, 3, 4), C(3))])
def method_trace_axes_case(x, c):
    return np.sum(x.trace(offset=1, axis1=0, axis2=2) * c)


@case(np.ndarray.round, variants=[(R(3, 4), C(3, 4))])
def method_round_case(x, c):
    return np.sum((x.round() + x) * c)


@case(np.ndarray.round, variants=[(R(5), C(5))])
def method_round_decimals_case(x, c):
    return np.sum((x.round(2) * x + x) * c)


@case(np.ndarray.copy, variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def method_copy_case(x, c):
    return np.sum(x.copy() * x * c)


@case(np.ndarray.clip, variants=[(R(3, 4), C(3, 4)), (R(7), C(7))])
def method_clip_case(x, c):
    return np.sum(x.clip(-0.5, 0.7) * c)


@case(np.ndarray.clip, variants=[(R(3, 4), C(3, 4))])
def method_clip_min_case(x, c):
    return np.sum(x.clip(min=-0.3) * c)


@case(np.ndarray.clip, variants=[(R(3, 4), C(3, 4))])
def method_clip_max_case(x, c):
    return np.sum(x.clip(max=0.2) * c)


@case(np.ndarray.clip, variants=[(R(3, 4), R(3, 1) - 1.5, R(1, 4) + 1.5, C(3, 4))], wrt=(0, 1, 2))
def method_clip_bounds_case(x, lo, hi, c):
    return np.sum((x * 2.0).clip(lo, hi) * c)


# --- methods and attributes with their own rules ------------------------------


@case(np.ndarray.T, variants=[(R(3, 4), C(4, 3)), (R(2, 3, 4), C(4, 3, 2)), (R(5), C(5))])
def attribute_T_case(x, c):
    return np.sum(x.T * c)


@case(np.ndarray.reshape, variants=[(R(12), C(3, 4)), (R(2, 6), C(3, 4))])
def method_reshape_case(x, c):
    return np.sum(x.reshape(3, 4) * c)


@case(np.ndarray.reshape, variants=[(R(12), C(3, 4)), (R(4, 3), C(3, 4))])
def method_reshape_tuple_case(x, c):
    return np.sum(x.reshape((3, -1)) * c)


@case(np.ndarray.reshape, variants=[(R(3, 4), C(12))])
def method_reshape_flat_case(x, c):
    return np.sum(x.reshape(-1) * c)


@case(np.ndarray.reshape, variants=[(R(3, 4), C(2, 6))])
def method_reshape_order_case(x, c):
    return np.sum(x.reshape(2, 6, order="F") * c)


@case(np.ndarray.transpose, variants=[(R(3, 4), C(4, 3)), (R(2, 3, 4), C(4, 3, 2))])
def method_transpose_case(x, c):
    return np.sum(x.transpose() * c)


@case(np.ndarray.transpose, variants=[(R(2, 3, 4), C(3, 4, 2))])
def method_transpose_axes_case(x, c):
    return np.sum(x.transpose(1, 2, 0) * c)


@case(np.ndarray.transpose, variants=[(R(2, 3, 4), C(4, 2, 3))])
def method_transpose_tuple_case(x, c):
    return np.sum(x.transpose((2, 0, 1)) * c)


@case(np.ndarray.astype, variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def method_astype_case(x, c):
    return np.sum(x.astype(float) * x * c)


@case(np.ndarray.astype, variants=[(R(3, 4), C(3, 4))])
def method_astype_float64_case(x, c):
    return np.sum(x.astype(np.float64, copy=False) * c)


@case(np.ndarray.astype, variants=[(R(3, 4), C(3, 4))])
def method_astype_int_case(x, c):
    return np.sum((x.astype(int) + x) * c)


@case(np.ndarray.item, variants=[(R(1), C()), (R(1, 1), C())])
def method_item_case(x, c):
    return x.item() * c


@case(np.ndarray.item, variants=[(R(3, 4), C())])
def method_item_flat_case(x, c):
    return x.item(5) * c + x.item(0)


@case(np.ndarray.item, variants=[(R(3, 4), C())])
def method_item_index_case(x, c):
    return x.item(1, 2) * c + x.item((2, 3))


# --- zero-gradient attributes and methods -------------------------------------


@case(np.ndarray.shape, np.ndarray.ndim, np.ndarray.size,
      variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def attribute_shape_case(x, c):
    return np.sum(x * c) * (x.shape[0] + x.ndim) / x.size


@case(np.ndarray.dtype, variants=[(R(3, 4), C(3, 4))])
def attribute_dtype_case(x, c):
    return np.sum(np.asarray(x, dtype=x.dtype) * c)


@case(np.ndarray.argmax, np.ndarray.argmin, variants=[(R(6), C(6)), (R(3, 4), C(3, 4))])
def method_argmax_case(x, c):
    return np.sum(x * c) + x.max() * x.argmax() - x.min() * x.argmin()


@case(np.ndarray.argsort, variants=[(R(6), C(6))])
def method_argsort_case(x, c):
    return np.sum(x[x.argsort()] * c)


@case(np.ndarray.nonzero, variants=[(R(6), C(6))])
def method_nonzero_case(x, c):
    return np.sum(x * c) + np.sum(x[(x > 0).nonzero()])


@case(np.ndarray.all, np.ndarray.any, variants=[(R(6), C(6)), (R(3, 4), C(3, 4))])
def method_all_any_case(x, c):
    return np.sum(x * c) * ((x > -10.0).all() + (x > 0).any())
