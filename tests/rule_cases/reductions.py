"""Cases for srcgrad/rules/reductions.py: reductions with dtype=, where= and initial=,
as functions and as array methods; and the forward cases of their helpers."""
import numpy as np

from rule_cases import C, P, R, case
from srcgrad import runtime as rt
from srcgrad.rules import reductions as forms

FWD = ("forward",)
MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])
ROW = np.array([True, False, True, True])


@case(forms.SUM, variants=[(R(3, 4), C())])
def sum_where_case(a, c):
    return np.sum(a, where=MASK) * c


@case(forms.SUM, np.ndarray.sum, variants=[(R(3, 4), C(4))])
def sum_where_axis_method_case(a, c):
    return np.sum(a.sum(axis=0, where=MASK) * c)


@case(forms.SUM, variants=[(R(3, 4), R(), C(3, 1))], wrt=(0, 1))
def sum_initial_where_keepdims_case(a, start, c):
    return np.sum(np.sum(a, axis=1, keepdims=True, initial=start, where=ROW) * c)


@case(forms.SUM, variants=[(R(3, 4), C(3))])
def sum_dtype_case(a, c):
    return np.sum(np.sum(a, -1, np.float64) * c)


@case(forms.SUM, variants=[(P(3, 4, low=0.2, high=0.8) + np.arange(12.0).reshape(3, 4), R(3, 4), C())])
def sum_integer_dtype_case(a, b, c):
    return (np.sum(a, dtype=np.int64) + np.sum(a * b)) * c


@case(forms.MEAN, np.ndarray.mean, variants=[(R(3, 4), C(), C(3))])
def mean_where_case(a, c, c2):
    return np.mean(a, where=MASK) * c + np.sum(a.mean(axis=1, where=MASK) * c2)


@case(forms.MEAN, variants=[(R(3, 4), C(1, 4))])
def mean_dtype_keepdims_case(a, c):
    return np.sum(np.mean(a, axis=0, dtype=np.float64, keepdims=True) * c)


@case(forms.PROD, variants=[(R(3, 4), P(), C(4))], wrt=(0, 1))
def prod_initial_where_case(a, start, c):
    return np.sum(np.prod(a, axis=0, initial=start, where=MASK) * c)


@case(forms.PROD, np.ndarray.prod, variants=[(R(3, 4), C(), C(3))])
def prod_where_method_case(a, c, c2):
    return np.prod(a, where=MASK) * c + np.sum(a.prod(axis=1, where=MASK) * c2)


@case(forms.PROD, variants=[(np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -1.0]]), R(), C(3))], wrt=(0, 1))
def prod_initial_zeros_case(a, start, c):
    return np.sum(np.prod(a, axis=0, initial=start) * c)


@case(*forms.EXTREMES, np.ndarray.max, np.ndarray.min, variants=[(R(3, 4), C(4), C(4))])
def extreme_where_case(a, c, c2):
    return np.sum(np.max(a, axis=0, initial=-5.0, where=MASK) * c) \
        + np.sum(a.min(axis=0, initial=5.0, where=MASK) * c2) \
        + np.amax(a, where=MASK, initial=-5.0) + np.amin(a, initial=5.0) + a.max(initial=-5.0)


@case(*forms.EXTREMES, variants=[(R(3, 4) - 1.0, np.array(2.0), C(3))], wrt=(0, 1))
def extreme_initial_wins_case(a, start, c):
    # the initial value exceeds the first rows' entries: it carries their gradient
    return np.sum(np.max(a * np.array([[1.0], [3.0], [0.1]]), axis=1, initial=start) * c)


@case(forms.VAR, np.ndarray.var, variants=[(R(3, 4), C(4), C(3))])
def var_where_case(a, c, c2):
    return np.sum(np.var(a, axis=0, where=MASK) * c) + np.sum(a.var(axis=1, ddof=1, where=MASK) * c2)


@case(forms.VAR, variants=[(R(3, 4), C())])
def var_dtype_case(a, c):
    return np.var(a, dtype=np.float64) * c


@case(forms.STD, np.ndarray.std, variants=[(R(3, 4), C(4), C(3, 1))])
def std_where_case(a, c, c2):
    return np.sum(np.std(a, axis=0, where=MASK) * c) + np.sum(a.std(axis=1, keepdims=True, where=MASK) * c2)


# --- helpers (forward mode: grad of grad) ------------------------------------------------


@case(rt.extreme_form_share, variants=[(R(4), R(3, 4), C(3, 4))], modes=FWD)
def extreme_form_share_case(g, a, c):
    z = np.max(a, axis=0, initial=0.5, where=MASK)
    return np.sum(rt.extreme_form_share(g * g, a, z, 0, False, 0.5, MASK, "a") * c)


@case(rt.initial_factor, variants=[(R(), C())], modes=FWD)
def initial_factor_case(i, c):
    return rt.initial_factor(i * i) * c


@case(rt.var_where_adjoint, variants=[(R(4), R(3, 4), C(3, 4))], wrt=(0, 1), modes=FWD)
def var_where_adjoint_case(g, a, c):
    return np.sum(rt.var_where_adjoint(g * g, a * a, 0, 1, False, MASK) * c)


@case(rt.std_where_adjoint, variants=[(R(4), R(3, 4), P(4), C(3, 4))], wrt=(0, 1, 2), modes=FWD)
def std_where_adjoint_case(g, a, z, c):
    return np.sum(rt.std_where_adjoint(g, a, z, 0, 0, False, MASK) * c)


NANS = np.array([[False, True, False, False], [False, False, False, True], [False, False, False, False]])


@case(forms.NANSUM, variants=[(R(3, 4), C(4))])
def nansum_where_case(a, c):
    return np.sum(np.nansum(np.where(NANS, np.nan, a), axis=0, where=MASK) * c)


@case(forms.NANSUM, variants=[(R(3, 4), R(), C(3, 1)), (R(3, 4), R(), C(1, 4))], wrt=(0, 1))
def nansum_initial_dtype_keepdims_case(a, start, c):
    axis = 1 if c.shape[0] == 3 else 0
    return np.sum(np.nansum(np.where(NANS, np.nan, a), axis, np.float64, keepdims=True, initial=start) * c)


@case(forms.NANMEAN, variants=[(R(3, 4), C(3)), (R(3, 4), C())])
def nanmean_where_case(a, c):
    axis = 1 if np.ndim(c) else None
    return np.sum(np.nanmean(np.where(NANS, np.nan, a), axis=axis, where=ROW) * c)


@case(forms.NANMEAN, variants=[(R(3, 4), C(1, 4))])
def nanmean_dtype_keepdims_case(a, c):
    return np.sum(np.nanmean(np.where(NANS, np.nan, a), axis=0, dtype=np.float64, keepdims=True) * c)
