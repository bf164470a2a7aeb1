"""Cases for srcgrad/rules/numpy.py."""
import numpy as np

from rule_cases import C, P, R, U, case, unary

# --- elementwise, one argument -------------------------------------------------




SHAPES = ((4,), (2, 3), ())


@case(np.exp, variants=unary(*SHAPES))
def exp_case(x, c):
    return np.sum(np.exp(x) * c)


@case(np.exp2, variants=unary(*SHAPES))
def exp2_case(x, c):
    return np.sum(np.exp2(x) * c)


@case(np.expm1, variants=unary(*SHAPES))
def expm1_case(x, c):
    return np.sum(np.expm1(x) * c)


@case(np.log, variants=unary(*SHAPES, dom=P))
def log_case(x, c):
    return np.sum(np.log(x) * c)


@case(np.log2, variants=unary(*SHAPES, dom=P))
def log2_case(x, c):
    return np.sum(np.log2(x) * c)


@case(np.log10, variants=unary(*SHAPES, dom=P))
def log10_case(x, c):
    return np.sum(np.log10(x) * c)


@case(np.log1p, variants=unary(*SHAPES, dom=U))
def log1p_case(x, c):
    return np.sum(np.log1p(x) * c)


@case(np.sqrt, variants=unary(*SHAPES, dom=P))
def sqrt_case(x, c):
    return np.sum(np.sqrt(x) * c)


@case(np.cbrt, variants=unary(*SHAPES, dom=P) + [(-P(4), C(4))])
def cbrt_case(x, c):
    return np.sum(np.cbrt(x) * c)


@case(np.square, variants=unary(*SHAPES))
def square_case(x, c):
    return np.sum(np.square(x) * c)


@case(np.reciprocal, variants=unary(*SHAPES, dom=P) + [(-P(4), C(4))])
def reciprocal_case(x, c):
    return np.sum(np.reciprocal(x) * c)


@case(np.sin, variants=unary(*SHAPES))
def sin_case(x, c):
    return np.sum(np.sin(x) * c)


@case(np.cos, variants=unary(*SHAPES))
def cos_case(x, c):
    return np.sum(np.cos(x) * c)


@case(np.tan, variants=unary(*SHAPES, dom=U))
def tan_case(x, c):
    return np.sum(np.tan(x) * c)


@case(np.arcsin, variants=unary(*SHAPES, dom=U))
def arcsin_case(x, c):
    return np.sum(np.arcsin(x) * c)


@case(np.arccos, variants=unary(*SHAPES, dom=U))
def arccos_case(x, c):
    return np.sum(np.arccos(x) * c)


@case(np.arctan, variants=unary(*SHAPES))
def arctan_case(x, c):
    return np.sum(np.arctan(x) * c)


@case(np.sinh, variants=unary(*SHAPES))
def sinh_case(x, c):
    return np.sum(np.sinh(x) * c)


@case(np.cosh, variants=unary(*SHAPES))
def cosh_case(x, c):
    return np.sum(np.cosh(x) * c)


@case(np.tanh, variants=unary(*SHAPES))
def tanh_case(x, c):
    return np.sum(np.tanh(x) * c)


@case(np.arcsinh, variants=unary(*SHAPES))
def arcsinh_case(x, c):
    return np.sum(np.arcsinh(x) * c)


@case(np.arccosh, variants=[(1.0 + P(*s), C(*s)) for s in SHAPES])
def arccosh_case(x, c):
    return np.sum(np.arccosh(x) * c)


@case(np.arctanh, variants=unary(*SHAPES, dom=U))
def arctanh_case(x, c):
    return np.sum(np.arctanh(x) * c)


@case(np.sinc, variants=unary(*SHAPES))
def sinc_case(x, c):
    return np.sum(np.sinc(x) * c)


@case(np.absolute, variants=unary(*SHAPES))
def absolute_case(x, c):
    return np.sum(np.absolute(x) * c)


@case(np.abs, variants=unary(*SHAPES))
def abs_case(x, c):
    return np.sum(np.abs(x) * c)


@case(np.fabs, variants=unary(*SHAPES))
def fabs_case(x, c):
    return np.sum(np.fabs(x) * c)


# --- elementwise, two arguments (with broadcasting) ------------------------------


def _binary(dom1=R, dom2=R):
    """Variants for a binary elementwise case: same shape, (3, 1) with (1, 4), float with array."""
    return [
        (dom1(3), dom2(3), C(3)),
        (dom1(3, 1), dom2(1, 4), C(3, 4)),
        (dom1(), dom2(2, 3), C(2, 3)),
        (dom1(2, 3), dom2(), C(2, 3)),
    ]


@case(np.arctan2, variants=_binary(), wrt=(0, 1))
def arctan2_case(x, y, c):
    return np.sum(np.arctan2(x, y) * c)


@case(np.hypot, variants=_binary(), wrt=(0, 1))
def hypot_case(x, y, c):
    return np.sum(np.hypot(x, y) * c)


@case(np.logaddexp, variants=_binary(), wrt=(0, 1))
def logaddexp_case(x, y, c):
    return np.sum(np.logaddexp(x, y) * c)


@case(np.logaddexp2, variants=_binary(), wrt=(0, 1))
def logaddexp2_case(x, y, c):
    return np.sum(np.logaddexp2(x, y) * c)


@case(np.maximum, variants=_binary(), wrt=(0, 1))
def maximum_case(x, y, c):
    return np.sum(np.maximum(x, y) * c)


@case(np.minimum, variants=_binary(), wrt=(0, 1))
def minimum_case(x, y, c):
    return np.sum(np.minimum(x, y) * c)


@case(np.fmax, variants=_binary(), wrt=(0, 1))
def fmax_case(x, y, c):
    return np.sum(np.fmax(x, y) * c)


@case(np.fmin, variants=_binary(), wrt=(0, 1))
def fmin_case(x, y, c):
    return np.sum(np.fmin(x, y) * c)


@case(np.where, variants=[
    (R(4), R(4), R(4), C(4)),
    (R(3, 1), R(1, 4), R(3, 4), C(3, 4)),
    (R(2, 3), R(), R(3), C(2, 3)),
], wrt=(1, 2))
def where_case(s, x, y, c):
    return np.sum(np.where(s > 0, x, y) * c)


@case(np.where, variants=[(R(6), C(6)), (R(2, 3), C(2, 3))])
def where_infinite_adjoint_case(x, c):
    # sqrt'(0) is inf in the branch where() did not select: it must not become NaN.
    return np.sum(np.sqrt(np.where(x > 0, x, 0.0)) * c)


@case(np.clip, variants=[(R(6), C(6)), (R(2, 5), C(2, 5)), (R(), C())])
def clip_case(a, c):
    return np.sum(np.clip(a, -0.45, 0.55) * c)


@case(np.clip, variants=[(R(6), C(6))])
def clip_one_bound_case(a, c):
    return np.sum((np.clip(a, None, 0.3) + np.clip(a, -0.2, None)) * c)


@case(np.clip, variants=[(R(3, 4), R(3, 1) - 0.3, R(1, 4) + 0.3, C(3, 4)),
                         (R(6), -0.3, 0.3 + R(6) * 0.01, C(6))], wrt=(0, 1, 2))
def clip_array_bounds_case(a, lo, hi, c):
    return np.sum(np.clip(a, lo, hi) * c)


# --- reductions -------------------------------------------------------------------


@case(np.sum, variants=[(R(4), C()), (R(3, 4), C()), (R(), C())])
def sum_case(a, c):
    return np.sum(a) * c


@case(np.sum, variants=[(R(3, 4, 5), C(4, 5))])
def sum_axis0_case(a, c):
    return np.sum(np.sum(a, axis=0) * c)


@case(np.sum, variants=[(R(3, 4, 5), C(3, 4))])
def sum_axis_neg_case(a, c):
    return np.sum(np.sum(a, -1) * c)


@case(np.sum, variants=[(R(3, 4, 5), C(4))])
def sum_axis_tuple_case(a, c):
    return np.sum(np.sum(a, axis=(0, -1)) * c)


@case(np.sum, variants=[(R(3, 4, 5), C(3, 1, 5))])
def sum_keepdims_case(a, c):
    return np.sum(np.sum(a, axis=1, keepdims=True) * c)


@case(np.sum, variants=[(R(3, 4), C(1, 1))])
def sum_keepdims_all_case(a, c):
    return np.sum(np.sum(a, keepdims=True) * c)


@case(np.sum, variants=[(R(3, 4, 5), C(1, 4, 1))])
def sum_tuple_keepdims_case(a, c):
    return np.sum(np.sum(a, axis=(0, 2), keepdims=True) * c)


@case(np.mean, variants=[(R(4), C()), (R(3, 4), C())])
def mean_case(a, c):
    return np.mean(a) * c


@case(np.mean, variants=[(R(3, 4, 5), C(4, 5))])
def mean_axis0_case(a, c):
    return np.sum(np.mean(a, axis=0) * c)


@case(np.mean, variants=[(R(3, 4, 5), C(3, 4))])
def mean_axis_neg_case(a, c):
    return np.sum(np.mean(a, -1) * c)


@case(np.mean, variants=[(R(3, 4, 5), C(4))])
def mean_axis_tuple_case(a, c):
    return np.sum(np.mean(a, axis=(0, 2)) * c)


@case(np.mean, variants=[(R(3, 4, 5), C(3, 1, 5))])
def mean_keepdims_case(a, c):
    return np.sum(np.mean(a, axis=1, keepdims=True) * c)


@case(np.prod, variants=[(R(4), C()), (R(2, 3), C())])
def prod_case(a, c):
    return np.prod(a) * c


@case(np.prod, variants=[(R(3, 4, 5), C(4, 5))])
def prod_axis0_case(a, c):
    return np.sum(np.prod(a, axis=0) * c)


@case(np.prod, variants=[(R(3, 4, 5), C(3, 4))])
def prod_axis_neg_case(a, c):
    return np.sum(np.prod(a, -1) * c)


@case(np.prod, variants=[(R(3, 4, 5), C(4))])
def prod_axis_tuple_case(a, c):
    return np.sum(np.prod(a, axis=(0, 2)) * c)


@case(np.prod, variants=[(R(3, 4, 5), C(3, 1, 5))])
def prod_keepdims_case(a, c):
    return np.sum(np.prod(a, axis=1, keepdims=True) * c)


def _with_zeros(n_zeros, shape):
    a = R(*shape)
    a.reshape(-1)[1:1 + n_zeros] = 0.0
    return a


@case(np.prod, variants=[(_with_zeros(1, (5,)), C()), (_with_zeros(2, (5,)), C())])
def prod_zeros_case(a, c):
    return np.prod(a) * c


@case(np.prod, variants=[(_with_zeros(1, (3, 4)), C(4)), (_with_zeros(2, (3, 4)), C(4))])
def prod_zeros_axis_case(a, c):
    return np.sum(np.prod(a, axis=0) * c)


@case(np.max, variants=[(R(4), C()), (R(3, 4), C())])
def max_case(a, c):
    return np.max(a) * c


@case(np.max, variants=[(R(3, 4, 5), C(4, 5))])
def max_axis0_case(a, c):
    return np.sum(np.max(a, axis=0) * c)


@case(np.max, variants=[(R(3, 4, 5), C(3, 4))])
def max_axis_neg_case(a, c):
    return np.sum(np.max(a, -1) * c)


@case(np.max, variants=[(R(3, 4, 5), C(4))])
def max_axis_tuple_case(a, c):
    return np.sum(np.max(a, axis=(0, 2)) * c)


@case(np.max, variants=[(R(3, 4, 5), C(3, 1, 5))])
def max_keepdims_case(a, c):
    return np.sum(np.max(a, axis=1, keepdims=True) * c)


@case(np.min, variants=[(R(4), C()), (R(3, 4), C())])
def min_case(a, c):
    return np.min(a) * c


@case(np.min, variants=[(R(3, 4, 5), C(4, 5))])
def min_axis0_case(a, c):
    return np.sum(np.min(a, axis=0) * c)


@case(np.min, variants=[(R(3, 4, 5), C(3, 4))])
def min_axis_neg_case(a, c):
    return np.sum(np.min(a, -1) * c)


@case(np.min, variants=[(R(3, 4, 5), C(4))])
def min_axis_tuple_case(a, c):
    return np.sum(np.min(a, axis=(0, 2)) * c)


@case(np.min, variants=[(R(3, 4, 5), C(3, 1, 5))])
def min_keepdims_case(a, c):
    return np.sum(np.min(a, axis=1, keepdims=True) * c)


@case(np.amax, variants=[(R(3, 4), C(4)), (R(3, 5), C(5))])
def amax_case(a, c):
    return np.sum(np.amax(a, axis=0) * c)


@case(np.amin, variants=[(R(3, 4), C(3, 1))])
def amin_case(a, c):
    return np.sum(np.amin(a, axis=-1, keepdims=True) * c)


@case(np.var, variants=[(R(4), C()), (R(3, 4), C())])
def var_case(a, c):
    return np.var(a) * c


@case(np.var, variants=[(R(3, 4, 5), C(4, 5))])
def var_axis0_case(a, c):
    return np.sum(np.var(a, axis=0) * c)


@case(np.var, variants=[(R(3, 4, 5), C(3, 4))])
def var_axis_neg_ddof_case(a, c):
    return np.sum(np.var(a, -1, ddof=1) * c)


@case(np.var, variants=[(R(3, 4, 5), C(4))])
def var_axis_tuple_case(a, c):
    return np.sum(np.var(a, axis=(0, 2)) * c)


@case(np.var, variants=[(R(3, 4, 5), C(3, 1, 5))])
def var_keepdims_ddof_case(a, c):
    return np.sum(np.var(a, axis=1, ddof=1, keepdims=True) * c)


@case(np.std, variants=[(R(4), C()), (R(3, 4), C())])
def std_case(a, c):
    return np.std(a) * c


@case(np.std, variants=[(R(3, 4, 5), C(4, 5))])
def std_axis0_case(a, c):
    return np.sum(np.std(a, axis=0) * c)


@case(np.std, variants=[(R(3, 4, 5), C(3, 4))])
def std_axis_neg_ddof_case(a, c):
    return np.sum(np.std(a, -1, ddof=1) * c)


@case(np.std, variants=[(R(3, 4, 5), C(4))])
def std_axis_tuple_case(a, c):
    return np.sum(np.std(a, axis=(0, 2)) * c)


@case(np.std, variants=[(R(3, 4, 5), C(3, 1, 5))])
def std_keepdims_ddof_case(a, c):
    return np.sum(np.std(a, axis=1, ddof=1, keepdims=True) * c)


@case(np.nansum, variants=[(R(3, 4), C(4))])
def nansum_case(a, c):
    return np.sum(np.nansum(a, axis=0) * c)


@case(np.cumsum, variants=[(R(5), C(5)), (R(3, 4), C(12)), (R(), C(1))])
def cumsum_flat_case(a, c):
    return np.sum(np.cumsum(a) * c)


@case(np.cumsum, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def cumsum_axis0_case(a, c):
    return np.sum(np.cumsum(a, axis=0) * c)


@case(np.cumsum, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def cumsum_axis_neg_case(a, c):
    return np.sum(np.cumsum(a, -1) * c)


@case(np.cumprod, variants=[(R(5), C(5)), (R(3, 4), C(12)), (R(), C(1))])
def cumprod_flat_case(a, c):
    return np.sum(np.cumprod(a) * c)


@case(np.cumprod, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def cumprod_axis0_case(a, c):
    return np.sum(np.cumprod(a, axis=0) * c)


@case(np.cumprod, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def cumprod_axis_neg_case(a, c):
    return np.sum(np.cumprod(a, -1) * c)


@case(np.cumprod, variants=[(_with_zeros(1, (3, 4)), C(3, 4)), (_with_zeros(2, (3, 4)), C(3, 4))])
def cumprod_zeros_case(a, c):
    return np.sum(np.cumprod(a, axis=1) * c)


# --- sort and take --------------------------------------------------------------------


@case(np.sort, variants=[(R(6), C(6)), (R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def sort_case(a, c):
    return np.sum(np.sort(a) * c)


@case(np.sort, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 4), C(2, 3, 4))])
def sort_axis0_case(a, c):
    return np.sum(np.sort(a, axis=0) * c)


@case(np.sort, variants=[(R(3, 4), C(12))])
def sort_flat_stable_case(a, c):
    return np.sum(np.sort(a, axis=None, kind="stable") * c)


@case(np.take, variants=[(R(5), np.array([0, 3, 3, 1, 3]), C(5)),
                         (R(2, 3), np.array([[5, 0], [5, -1]]), C(2, 2))])
def take_flat_case(a, i, c):
    return np.sum(np.take(a, i) * c)


@case(np.bincount, variants=[(R(6), np.array([0, 3, 3, 1, 3, 0]), C(5)),
                             (R(4), np.array([2, 2, 2, 2]), C(3))])
def bincount_weights_case(w, i, c):
    return np.sum(np.bincount(i, weights=w, minlength=len(c)) * c)


@case(np.bincount, variants=[(R(5), np.array([4, 0, 4, 1, 0]), C(5))])
def bincount_positional_case(w, i, c):
    return np.sum(np.bincount(i, w) * c)  # minlength from the data: max(i) + 1


@case(np.take, variants=[(R(4, 3), np.array([2, 0, 2]), C(3, 3)),
                         (R(4, 3, 2), np.array([[1, 1], [3, 0]]), C(2, 2, 3, 2))])
def take_axis0_case(a, i, c):
    return np.sum(np.take(a, i, axis=0) * c)


@case(np.take, variants=[(R(4, 3), np.array([2, -1, 2]), C(4, 3)),
                         (R(4, 3), 1, C(4))])
def take_axis_neg_case(a, i, c):
    return np.sum(np.take(a, i, -1) * c)


@case(np.take, variants=[(R(4, 3), np.array([5, -1, 2]), C(4, 3))])
def take_wrap_case(a, i, c):
    return np.sum(np.take(a, i, axis=1, mode="wrap") * c)


@case(np.take, variants=[(R(4, 3), np.array([5, -1, 2]), C(4, 3))])
def take_clip_case(a, i, c):
    return np.sum(np.take(a, i, axis=1, mode="clip") * c)


# --- zero-gradient functions, each mixed with a differentiable path ------------------


@case(np.floor, np.ceil, np.trunc, np.rint, variants=[(R(5) * 3, C(5)), (R() * 3, C())])
def rounding_case(x, c):
    return np.sum((np.floor(x) + np.ceil(x) + np.trunc(x) + np.rint(x) + x) * c)


@case(np.round, np.around, variants=[(R(5) * 3, C(5))])
def round_case(x, c):
    return np.sum((np.round(x) + np.around(x, 1) + np.round(x, decimals=2) + x) * c)


@case(np.sign, variants=[(R(5), C(5)), (R(), C())])
def sign_case(x, c):
    return np.sum(np.sign(x) * x * c)


@case(np.floor_divide, np.heaviside, variants=[(R(5) * 3, C(5))])
def floor_divide_heaviside_case(x, c):
    return np.sum((np.floor_divide(x, 0.7) + np.heaviside(x, 0.5) + x * x) * c)


@case(np.argmax, np.argmin, variants=[(R(5), C(5)), (R(3, 4), C(3, 4))])
def argmax_argmin_case(x, c):
    return np.sum((x + np.argmax(x) - np.argmin(x)) * c)


@case(np.argmax, np.argmin, variants=[(R(3, 4), C(3, 4))])
def argmax_axis_case(x, c):
    return np.sum((x * np.argmax(x, axis=0) + np.argmin(x, axis=0)) * c)


@case(np.argsort, variants=[(R(5), C(5))])
def argsort_case(x, c):
    return np.sum((x + np.argsort(x)) * c)


@case(np.nonzero, np.count_nonzero, np.size, variants=[(R(5), C(5))])
def nonzero_case(x, c):
    return np.sum((x + np.size(np.nonzero(x > 0)) + np.count_nonzero(x > 0.1)) * c)


@case(np.searchsorted, variants=[(R(5), np.sort(R(6)), C(5))])
def searchsorted_case(x, s, c):
    return np.sum((x + np.searchsorted(s, x)) * c)


@case(np.isnan, np.isinf, np.isfinite, variants=[(R(5), C(5))])
def isnan_case(x, c):
    return np.sum((x + np.isnan(x) + np.isinf(x) * 2.0 + np.isfinite(x)) * c)


@case(np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
      variants=[(R(5), R(5), C(5)), (R(3, 1), R(1, 4), C(3, 4))], wrt=(0, 1))
def comparisons_case(x, y, c):
    flags = (np.equal(x, y) + np.not_equal(x, y) * 2.0 + np.less(x, y) * 3.0
             + np.less_equal(x, y) * 4.0 + np.greater(x, y) * 5.0 + np.greater_equal(x, y) * 6.0)
    return np.sum((flags + x * y) * c)


@case(np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
      variants=[(R(5), R(5), C(5))], wrt=(0, 1))
def logical_case(x, y, c):
    p = x > 0
    q = y > 0
    flags = (np.logical_and(p, q) + np.logical_or(p, q) * 2.0
             + np.logical_not(p) * 3.0 + np.logical_xor(p, q) * 4.0)
    return np.sum((flags + x - y * x) * c)


@case(np.all, np.any, np.allclose, np.isclose, np.array_equal,
      variants=[(R(5), R(5), C(5))], wrt=(0, 1))
def boolean_reductions_case(x, y, c):
    flags = (np.all(x > 0) + np.any(x > 0) * 2.0 + np.allclose(x, y) * 3.0
             + np.isclose(x, y) * 4.0 + np.array_equal(x, y) * 5.0)
    return np.sum((flags + x * y) * c)


@case(np.shape, np.ndim, variants=[(R(3, 4), C(3, 4))])
def shape_ndim_case(x, c):
    return np.sum(x * c) * (np.prod(np.shape(x)) + np.ndim(x))


@case(np.zeros, np.ones, np.eye, np.identity, variants=[(R(3), C(3))])
def constructors_case(x, c):
    k = np.zeros(3) + np.ones(3) * 2.0 + np.full(3, 3.0) + np.arange(3.0) + np.linspace(0.0, 1.0, 3)
    m = np.eye(3) + np.identity(3) * 2.0
    return np.sum((x * k + m @ x) * c)


@case(np.zeros_like, np.ones_like, np.empty, np.empty_like,
      variants=[(R(3), C(3)), (R(2, 3), C(2, 3))])
def constructors_like_case(x, c):
    k = np.zeros_like(x) + np.ones_like(x) * 2.0 + np.full_like(x, 3.0)
    n = np.size(np.empty(3)) + np.size(np.empty_like(x))
    return np.sum(x * k * c) * n


# Constructors whose value arguments carry their gradients (SPEC section 7).

@case(np.full, variants=[(R(), C(3)), (R(4), C(3, 4)), (R(1, 4), C(2, 3, 4))])
def full_case(v, c):
    return np.sum(np.full(np.shape(c), v) * c)


@case(np.full, variants=[(R(), C(3))])
def full_integer_case(v, c):  # rounded to integers: piecewise constant, zero
    return np.sum(np.full(3, v, dtype=int) * c) + v * 2.0


@case(np.full_like, variants=[(R(), R(3), C(3)), (R(4), R(3, 4), C(3, 4))], wrt=(0, 1))
def full_like_case(v, a, c):
    return np.sum(np.full_like(a, v) * a * c)


@case(np.linspace, variants=[(R(), R(), C(5)), (R(3), R(), C(5, 3)), (R(2, 1), R(3), C(4, 2, 3))],
      wrt=(0, 1))
def linspace_case(a, b, c):
    n = np.shape(c)[0]
    return np.sum(np.linspace(a, b, n) * c)


@case(np.linspace, variants=[(R(), R(2), C(2, 4)), (R(), R(), C(1))], wrt=(0, 1))
def linspace_options_case(a, b, c):
    n = np.shape(c)[-1]
    return np.sum(np.linspace(a, b, n, endpoint=n != 4, axis=-1) * c)


@case(np.arange, variants=[(P(), P(low=0.3, high=0.45), C(10))], wrt=(0, 1))
def arange_case(start, step, c):
    z = np.arange(start, start + 2.83, step)  # 7 to 10 entries
    return np.sum(z * c[:len(z)] + z ** 2)


@case(np.arange, variants=[(P(low=3.1, high=3.9), C(4))])
def arange_stop_case(stop, c):  # arange(stop): piecewise constant in stop, zero
    return np.sum(np.arange(stop) * c) + stop * 3.0


# --- added with the elementwise table (srcgrad/rules/elementwise.py) -------------


@case(np.degrees, variants=unary(*SHAPES))
def degrees_case(x, c):
    return np.sum(np.degrees(x) * c)


@case(np.rad2deg, variants=unary(*SHAPES))
def rad2deg_case(x, c):
    return np.sum(np.rad2deg(x) * c)


@case(np.radians, variants=unary(*SHAPES))
def radians_case(x, c):
    return np.sum(np.radians(x) * c)


@case(np.deg2rad, variants=unary(*SHAPES))
def deg2rad_case(x, c):
    return np.sum(np.deg2rad(x) * c)


# copysign and fmod: rows of the elementwise table's pairs. Their own generator, so the
# cases after them keep their sample values. Away from the jumps: copysign's x1 and x2
# away from 0, fmod's quotient x1 / x2 between 2 and 3 (or -3 and -2).
_pairs_rng = np.random.default_rng(13)


def _uniform(shape, low, high, sign=1.0):
    values = _pairs_rng.uniform(low, high, size=shape) * sign
    return float(values) if shape == () else values


def _signed(shape):
    return _uniform(shape, 0.5, 2.0, _pairs_rng.choice([-1.0, 1.0], size=shape))


@case(np.copysign, variants=[
    (_signed(3), _signed(3), _uniform(3, -1, 1)),
    (_signed((3, 1)), _signed((1, 4)), _uniform((3, 4), -1, 1)),
    (_signed(()), _signed((2, 3)), _uniform((2, 3), -1, 1)),
    (_signed((2, 3)), _signed(()), _uniform((2, 3), -1, 1)),
], wrt=(0,))
def copysign_case(x, y, c):
    return np.sum(np.copysign(x, y) * c)


@case(np.fmod, variants=[
    (_uniform(3, 2.5, 2.9), _uniform(3, 1.05, 1.2), _uniform(3, -1, 1)),
    (_uniform((3, 1), 2.5, 2.9, -1.0), _uniform((1, 4), 1.05, 1.2), _uniform((3, 4), -1, 1)),
    (_uniform((), 2.5, 2.9), _uniform((2, 3), 1.05, 1.2, -1.0), _uniform((2, 3), -1, 1)),
    (_uniform((2, 3), 2.5, 2.9, -1.0), _uniform((), 1.05, 1.2), _uniform((2, 3), -1, 1)),
], wrt=(0, 1))
def fmod_case(x, y, c):
    return np.sum(np.fmod(x, y) * c)


@case(np.int8, np.int16, np.int32, np.int64, np.intp, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
      variants=[(np.arange(9.0) + U(9, low=0.2, high=0.8), C(9))])
def integer_casts_case(x, c):
    counts = np.int8(x[0]) + np.int16(x[1]) + np.int32(x[2]) + np.int64(x[3]) + np.intp(x[4])
    unsigned = np.uint8(x[5]) + np.uint16(x[6]) + np.uint32(x[7]) + np.uint64(x[8])
    return np.sum(x * c) * (1.0 + counts) + float(unsigned) * np.sum(x) + np.bool_(x[0]) * x[1]
