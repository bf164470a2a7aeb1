"""Cases for srcgrad/rules/sampled.py (trapezoid, interp, convolve, correlate) and
the forward cases of their helpers."""
import numpy as np

from rule_cases import C, P, R, case, zero_case
from srcgrad import runtime

FWD = ("forward",)

# --- trapezoid, interp -----------------------------------------------------------------------

if hasattr(np, "trapezoid"):  # NumPy 2.0 and later

    @case(np.trapezoid, variants=[(R(5), C()), (R(3, 4), C(3))])
    def trapezoid_case(y, c):
        return np.sum(np.trapezoid(y) * c)

    @case(np.trapezoid, variants=[(R(3, 5), np.cumsum(P(5)), C(3)), (R(4), np.cumsum(P(4)), C())], wrt=(0, 1))
    def trapezoid_x_case(y, x, c):
        return np.sum(np.trapezoid(y, x) * c)

    @case(np.trapezoid, variants=[(R(4, 3), np.cumsum(P(4, 3), axis=0), C(3))], wrt=(0, 1))
    def trapezoid_x_array_axis_case(y, x, c):
        return np.sum(np.trapezoid(y, x, axis=0) * c)

    @case(np.trapezoid, variants=[(R(3, 5), P(), C(5)), (R(6), P(), C())], wrt=(0, 1))
    def trapezoid_dx_case(y, dx, c):
        return np.sum(np.trapezoid(y, dx=dx, axis=0) * c)


if hasattr(np, "trapz"):  # NumPy before 2.0 (deprecated in 2.0)

    @case(np.trapz, variants=[(R(3, 5), np.cumsum(P(5)), C(3)), (R(4), np.cumsum(P(4)), C())], wrt=(0, 1))
    def trapz_x_case(y, x, c):
        return np.sum(np.trapz(y, x) * c)

    @case(np.trapz, variants=[(R(3, 5), P(), C(5))], wrt=(0, 1))
    def trapz_dx_case(y, dx, c):
        return np.sum(np.trapz(y, dx=dx, axis=0) * c)


_XP = np.array([-1.5, -0.5, 0.25, 1.0, 2.0])


@case(np.interp, variants=[(R(6), R(5), C(6)), (R(), R(5), C())], wrt=(0, 1))
def interp_case(x, fp, c):
    return np.sum(np.interp(x, _XP, fp) * c)


@case(np.interp, variants=[(np.array([-3.0, -0.7, 0.4, 2.5, 3.1]), R(5), R(), R(), C(5))], wrt=(0, 1, 2, 3))
def interp_left_right_case(x, fp, left, right, c):
    return np.sum(np.interp(x, _XP, fp, left, right) * c)


@case(np.interp, variants=[(np.array([[-3.0, -0.7], [0.4, 2.5]]), R(5), C(2, 2))], wrt=(0, 1))
def interp_outside_case(x, fp, c):
    return np.sum(np.interp(x, _XP, fp) * c)


@case(np.interp, variants=[(_XP + 0.0, np.array([-1.7, -0.3, 0.35, 1.4, 1.9, 3.0]), R(5), C(6)),
                           (_XP + 0.0, 0.8, R(5), C())], wrt=(0, 1, 2))
def interp_all_active_case(xp, x, fp, c):
    return np.sum(np.interp(x, xp, fp * fp) * c)


@case(np.interp, variants=[(_XP + 0.0, np.array([[-2.5, 0.6], [1.1, 2.9]]), R(5), R(), C(2, 2))], wrt=(0, 1, 2, 3))
def interp_active_xp_left_right_case(xp, x, fp, right, c):
    return np.sum(np.interp(x, xp, fp, -1.0, right) * c)


# --- convolve, correlate ---------------------------------------------------------------------

_PAIRS = [(R(5), R(3), C(7)), (R(2), R(4), C(5)), (R(4), R(4), C(7))]


@case(np.convolve, variants=_PAIRS, wrt=(0, 1))
def convolve_case(a, v, c):
    return np.sum(np.convolve(a, v) * c)


@case(np.convolve, variants=[(R(5), R(3), C(5)), (R(2), R(5), C(5)), (R(4), R(4), C(4))], wrt=(0, 1))
def convolve_same_case(a, v, c):
    return np.sum(np.convolve(a, v, mode="same") * c)


@case(np.convolve, variants=[(R(5), R(3), C(3)), (R(2), R(5), C(4))], wrt=(0, 1))
def convolve_valid_case(a, v, c):
    return np.sum(np.convolve(a, v, "valid") * c)


@case(np.correlate, variants=[(R(5), R(3), C(3)), (R(2), R(4), C(3))], wrt=(0, 1))
def correlate_case(a, v, c):
    return np.sum(np.correlate(a, v) * c)


@case(np.correlate, variants=_PAIRS, wrt=(0, 1))
def correlate_full_case(a, v, c):
    return np.sum(np.correlate(a, v, "full") * c)


@case(np.correlate, variants=[(R(5), R(3), C(5)), (R(2), R(5), C(5)), (R(3), R(6), C(6)),
                              (R(4), R(4), C(4))], wrt=(0, 1))
def correlate_same_case(a, v, c):
    return np.sum(np.correlate(a, v, mode="same") * c)


zero_case(runtime.interp_side, variants=[((np.array([-3.0, 0.1, 2.5]), _XP, "left"), {}),
                                         ((np.array([-3.0, 0.1, 2.5]), _XP, "right"), {})], only=(0,))


@case(runtime.interp_side, variants=[(np.array([-3.0, 0.1, 2.5]), C(3))])
def interp_side_case(x, c):
    return np.sum(x * x * np.logical_not(runtime.interp_side(x, _XP, "left")) * c)


# --- helpers (forward mode over their tangent rules: what grad of grad runs) ----------------


@case(runtime.interp_slope, runtime.interp_fp_adjoint, variants=[(R(6), R(5), C(6), C(5))], wrt=(0, 1),
      modes=FWD)
def interp_helpers_case(g, fp, c, c2):
    x = np.array([-2.0, -1.0, 0.0, 0.5, 1.5, 2.5])
    return np.sum(runtime.interp_slope(x, _XP, fp * fp) * g * c) \
        + np.sum(runtime.interp_fp_adjoint(g * g, x, _XP, fp, None, 0.5) * c2)


@case(runtime.trapezoid_y_adjoint, runtime.trapezoid_x_adjoint, runtime.trapezoid_dx_weight,
      variants=[(R(3), R(3, 4), np.cumsum(P(4)), P(), C(3, 4), C(4))], wrt=(0, 1, 2, 3), modes=FWD)
def trapezoid_helpers_case(g, y, x, dx, c, c2):
    return np.sum(runtime.trapezoid_y_adjoint(g * g, y, x, 1.0, -1) * c) \
        + np.sum(runtime.trapezoid_y_adjoint(g, y, None, dx * dx, -1) * c) \
        + np.sum(runtime.trapezoid_x_adjoint(g, y * y, x, -1) * c2) \
        + np.sum(runtime.trapezoid_dx_weight(y * y, None, 0) * c2)


@case(runtime.convolve_adjoint_a, runtime.convolve_adjoint_v, variants=[(R(5), R(4), R(2), C(4), C(2))],
      wrt=(0, 1, 2), modes=FWD)
def convolve_helpers_case(g, a, v, c, c2):
    return np.sum(runtime.convolve_adjoint_a(g * g, a, v * v, "full", "convolve") * c) \
        + np.sum(runtime.convolve_adjoint_v(g[:3], a * a, v, "valid", "correlate") * c2)


@case(runtime.interp_fp_adjoint, variants=[(R(6), np.array([-2.0, -1.0, 0.1, 0.6, 1.5, 2.5]), R(5), C(5))],
      wrt=(0, 1), modes=FWD)
def interp_fp_adjoint_in_x_case(g, x, fp, c):
    return np.sum(runtime.interp_fp_adjoint(g, x * 0.9, _XP, fp, 0.5, None) * c)
