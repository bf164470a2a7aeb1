"""Cases for srcgrad/rules/manipulation.py (diff, gradient, kron, cross, rot90, rollaxis,
split and its kin, atleast_nd, partition, nan_to_num, select, logspace, the parts of a
real array) and for the tangent rules of its runtime helpers."""
import warnings

import numpy as np

from rule_cases import C, P, R, case, zero_case
from srcgrad import runtime as rt

FWD = ("forward",)

# --- differences ---------------------------------------------------------------------


@case(np.diff, variants=[(R(6), C(5)), (R(3, 5), C(3, 4))])
def diff_case(x, c):
    return np.sum(np.diff(x) * c)


@case(np.diff, variants=[(R(7), C(4)), (R(2, 6), C(2, 3))])
def diff_n_case(x, c):
    return np.sum(np.diff(x, n=3) * c)


@case(np.diff, variants=[(R(4, 3), C(3, 3)), (R(4, 3, 2), C(3, 3, 2))])
def diff_axis_case(x, c):
    return np.sum(np.diff(x, 1, 0) * c)


@case(np.diff, variants=[(R(4, 5), C(4, 3))])
def diff_n0_and_n2_case(x, c):
    return np.sum(np.diff(x, 0) * np.diff(x, 2, axis=-1)[:, :1] * c[:, :1]) + np.sum(np.diff(x, 2) * c)


@case(np.diff, variants=[(R(5), R(), R(), C(6)), (R(3, 4), R(3, 1), R(3, 2), C(3, 6))], wrt=(0, 1, 2))
def diff_prepend_append_case(x, p, q, c):
    return np.sum(np.diff(x, 1, -1, p, q) * c)


@case(np.diff, variants=[(R(3, 4), R(), C(2, 4)), (R(3, 4), R(1, 4), C(2, 4))], wrt=(0, 1))
def diff_prepend_axis0_n2_case(x, p, c):
    return np.sum(np.diff(x, n=2, axis=0, prepend=p) * c)


@case(np.diff, variants=[(R(6), R(2), C(6))], wrt=(0, 1))
def diff_append_case(x, q, c):
    return np.sum(np.diff(x, 2, append=q) * c)


# --- numpy.gradient --------------------------------------------------------------------


@case(np.gradient, variants=[(R(6), C(6)), (R(3), C(3)), (R(2), C(2))])
def gradient_1d_case(f, c):
    return np.sum(np.gradient(f) * c)


@case(np.gradient, variants=[(R(7), C(7)), (R(3), C(3))])
def gradient_spacing_edge2_case(f, c):
    return np.sum(np.gradient(f, 0.5, edge_order=2) * c)


@case(np.gradient, variants=[(R(4, 5), C(4, 5), C(4, 5)), (R(3, 3), C(3, 3), C(3, 3))])
def gradient_2d_case(f, c0, c1):
    gy, gx = np.gradient(f, 2.0)
    return np.sum(gy * c0) + np.sum(gx * c1)


@case(np.gradient, variants=[(R(4, 5), C(4, 5), C(4, 5))])
def gradient_varargs_edge2_case(f, c0, c1):
    g = np.gradient(f, 0.5, 3.0, edge_order=2)
    return np.sum(g[0] * c0) + np.sum(g[1] * c1)


@case(np.gradient, variants=[(R(3, 6), C(3, 6))])
def gradient_axis_coordinates_case(f, c):
    return np.sum(np.gradient(f, np.array([0.0, 0.3, 1.0, 1.2, 2.0, 3.5]), axis=1) * c)


def _coordinates(n):
    return np.cumsum(P(n, low=0.4, high=1.5))


@case(np.gradient, variants=[(P(), R(6), C(6)), (P(), R(3), C(3)), (P(), R(4, 3), C(4, 3))], wrt=(0, 1))
def gradient_active_spacing_case(h, f, c):
    return np.sum(np.gradient(f, h, axis=0) * c)


@case(np.gradient, variants=[(P(), R(7), C(7)), (P(), R(3), C(3))], wrt=(0, 1))
def gradient_active_spacing_edge2_case(h, f, c):
    return np.sum(np.gradient(f, h, edge_order=2) * c)


@case(np.gradient, variants=[(_coordinates(6), R(6), C(6)), (_coordinates(3), R(3), C(3)),
                             (_coordinates(2), R(2), C(2))], wrt=(0, 1))
def gradient_active_coordinates_case(x, f, c):
    return np.sum(np.gradient(f, x) * c)


@case(np.gradient, variants=[(_coordinates(7), R(7), C(7)), (_coordinates(3), R(3), C(3))], wrt=(0, 1))
def gradient_active_coordinates_edge2_case(x, f, c):
    return np.sum(np.gradient(f, x, edge_order=2) * c)


@case(np.gradient, variants=[(P(), _coordinates(5), R(4, 5), C(4, 5), C(4, 5))], wrt=(0, 1, 2))
def gradient_active_spacing_per_axis_case(h, x, f, c0, c1):
    gy, gx = np.gradient(f, h, x)
    return np.sum(gy * c0) + np.sum(gx * c1)


@case(np.gradient, variants=[(P(), R(3, 4, 2), C(3, 4, 2), C(3, 4, 2))], wrt=(0, 1))
def gradient_one_spacing_two_axes_case(h, f, c0, c1):
    g = np.gradient(f, h, axis=(0, -1))
    return np.sum(g[0] * c0) + np.sum(g[1] * c1)


@case(rt.gradient_spacing_adjoint, variants=[(R(6), R(6), _coordinates(6), P())], modes=FWD, wrt=(0, 1))
def gradient_spacing_adjoint_case(g, f, x, h):
    parts = rt.gradient_spacing_adjoint(g * g, f * g, (x,), None, 2)
    scale = rt.gradient_spacing_adjoint(g, f * f, (h,), 0, 1)
    return np.sum(parts[0] * x) + scale[0] * h


@case(np.gradient, variants=[(R(5, 4), C(5, 4))])
def gradient_coordinates_edge2_case(f, c):
    return np.sum(np.gradient(f, np.array([0.0, 0.5, 0.7, 1.5, 2.0]), axis=0, edge_order=2) * c)


@case(np.gradient, variants=[(R(2, 3, 4), C(2, 3, 4), C(2, 3, 4))])
def gradient_axes_case(f, c0, c1):
    g = np.gradient(f, axis=(0, -1))
    return np.sum(g[1] * c1) + np.sum(g[0] * c0)


@case(np.gradient, variants=[(R(4, 5), C(4, 5))])
def gradient_one_of_two_case(f, c):
    return np.sum(np.gradient(f)[1] * c)


# --- products -------------------------------------------------------------------------


@case(np.kron, variants=[(R(2, 3), R(4, 2), C(8, 6)), (R(3), R(4), C(12)), (R(2), R(3, 2), C(3, 4)),
                         (R(2, 2, 3), R(2, 1), C(2, 4, 3)), (R(), R(3), C(3)), (R(2, 2), R(), C(2, 2))],
      wrt=(0, 1))
def kron_case(a, b, c):
    return np.sum(np.kron(a, b) * c)


@case(np.cross, variants=[(R(3), R(3), C(3)), (R(4, 3), R(4, 3), C(4, 3)), (R(4, 3), R(3), C(4, 3)),
                          (R(2, 1, 3), R(4, 3), C(2, 4, 3))], wrt=(0, 1))
def cross_case(a, b, c):
    return np.sum(np.cross(a, b) * c)


@case(np.cross, variants=[(R(3, 4), R(4, 3), C(4, 3))], wrt=(0, 1))
def cross_axisa_case(a, b, c):
    return np.sum(np.cross(a, b, axisa=0) * c)


@case(np.cross, variants=[(R(4, 3), R(3, 4), C(3, 4))], wrt=(0, 1))
def cross_axisb_axisc_case(a, b, c):
    return np.sum(np.cross(a, b, axisb=0, axisc=0) * c)


@case(np.cross, variants=[(R(3, 5), R(3, 5), C(3, 5))], wrt=(0, 1))
def cross_axis_case(a, b, c):
    return np.sum(np.cross(a, b, axis=0) * c)


def _crosses_two_vectors() -> bool:
    """NumPy 2.0 deprecated 2-vectors in cross; a later NumPy refuses them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            np.cross(np.ones(2), np.ones(2))
    except ValueError:
        return False
    return True


if _crosses_two_vectors():
    @case(np.cross, variants=[(R(4, 2), R(4, 3), C(4, 3)), (R(3), R(2), C(3))], wrt=(0, 1))
    def cross_two_and_three_case(a, b, c):
        return np.sum(np.cross(a, b) * c)

    @case(np.cross, variants=[(R(4, 2), R(4, 2), C(4)), (R(2), R(2), C())], wrt=(0, 1))
    def cross_two_vectors_case(a, b, c):
        return np.sum(np.cross(a, b) * c)


# --- rotating, rolling, splitting, promoting -------------------------------------------------


@case(np.rot90, variants=[(R(3, 4), C(4, 3)), (R(3, 4, 2), C(4, 3, 2))])
def rot90_case(m, c):
    return np.sum(np.rot90(m) * c)


@case(np.rot90, variants=[(R(3, 4), C(3, 4))])
def rot90_k2_case(m, c):
    return np.sum(np.rot90(m, 2) * c)


@case(np.rot90, variants=[(R(2, 3, 4), C(2, 4, 3))])
def rot90_axes_case(m, c):
    return np.sum(np.rot90(m, k=-1, axes=(1, 2)) * c)


@case(np.rollaxis, variants=[(R(2, 3, 4), C(4, 2, 3))])
def rollaxis_case(a, c):
    return np.sum(np.rollaxis(a, 2) * c)


@case(np.rollaxis, variants=[(R(2, 3, 4), C(3, 2, 4))])
def rollaxis_start_case(a, c):
    return np.sum(np.rollaxis(a, 0, 2) * c)


@case(np.rollaxis, variants=[(R(2, 3, 4), C(3, 4, 2)), (R(2, 3), C(3, 2))])
def rollaxis_end_case(a, c):
    return np.sum(np.rollaxis(a, 0, a.ndim) * c)


@case(np.rollaxis, variants=[(R(2, 3, 4), C(2, 4, 3))])
def rollaxis_negative_case(a, c):
    return np.sum(np.rollaxis(a, -1, -2) * c)


@case(np.split, variants=[(R(6), C(2), C(2)), (R(6, 2), C(2, 2), C(2, 2))])
def split_sections_case(x, c0, c2):
    parts = np.split(x, 3)
    return np.sum(parts[0] * c0) + np.sum(parts[2] * c2 * parts[0])


@case(np.split, variants=[(R(3, 7), C(3, 2), C(3, 4))])
def split_indices_axis_case(x, c0, c2):
    a, b, rest = np.split(x, [2, 3], axis=1)
    return np.sum(a * c0) + np.sum(rest * c2) + np.sum(b * b)


@case(np.array_split, variants=[(R(7), C(3), C(2)), (R(7, 3), C(3, 3), C(2, 3))])
def array_split_case(x, c0, c2):
    parts = np.array_split(x, 3)
    return np.sum(parts[0] * c0) + np.sum(parts[2] * c2)


@case(np.array_split, variants=[(R(2, 5), C(2, 1))])
def array_split_indices_case(x, c):
    first, middle, last = np.array_split(x, [1, 4], 1)
    return np.sum(first * c) + np.sum(middle * middle) * np.sum(last)


@case(np.hsplit, variants=[(R(3, 4), C(3, 2), C(3, 2)), (R(6), C(3), C(3))])
def hsplit_case(x, c0, c1):
    left, right = np.hsplit(x, 2)
    return np.sum(left * c0) + np.sum(right * c1 * left)


@case(np.vsplit, variants=[(R(4, 3), C(1, 3)), (R(4, 3, 2), C(1, 3, 2))])
def vsplit_case(x, c):
    parts = np.vsplit(x, [1, 3])
    return np.sum(parts[0] * c) + np.sum(parts[2] * parts[2])


@case(np.dsplit, variants=[(R(2, 3, 4), C(2, 3, 2))])
def dsplit_case(x, c):
    front, back = np.dsplit(x, 2)
    return np.sum(front * c) + np.sum(back * front * c)


@case(np.atleast_1d, variants=[(R(), C(1)), (R(3), C(3)), (R(2, 3), C(2, 3))])
def atleast_1d_case(x, c):
    return np.sum(np.atleast_1d(x) * c)


@case(np.atleast_2d, variants=[(R(), C(1, 1)), (R(3), C(1, 3)), (R(2, 3), C(2, 3))])
def atleast_2d_case(x, c):
    return np.sum(np.atleast_2d(x) * c)


@case(np.atleast_3d, variants=[(R(), C(1, 1, 1)), (R(3), C(1, 3, 1)), (R(2, 3), C(2, 3, 1)),
                               (R(2, 3, 2), C(2, 3, 2))])
def atleast_3d_case(x, c):
    return np.sum(np.atleast_3d(x) * c)


@case(np.atleast_1d, np.atleast_2d, np.atleast_3d, variants=[(R(), R(3), C(1, 3, 1))], wrt=(0, 1))
def atleast_several_case(x, y, c):
    a, b = np.atleast_1d(x, y)
    p, q = np.atleast_2d(y, x * 2.0)
    u, v = np.atleast_3d(y, x)
    return np.sum(a * c[0, 0]) + np.sum(b * c[0, :, 0]) + np.sum(p * q * c[:, :, 0]) + np.sum(u * v * c)


# --- selecting values ---------------------------------------------------------------------


@case(np.partition, variants=[(R(7), C(7)), (R(3, 5), C(3, 5))])
def partition_case(a, c):
    return np.sum(np.partition(a, 2) * c)


@case(np.partition, variants=[(R(5, 3), C(5, 3))])
def partition_axis_case(a, c):
    return np.sum(np.partition(a, (1, 3), axis=0) * c)


@case(np.partition, variants=[(R(3, 4), C(12))])
def partition_flat_case(a, c):
    return np.sum(np.partition(a, -2, axis=None) * c)


@case(np.partition, variants=[(R(6), C())])
def partition_kth_value_case(a, c):
    return np.partition(a, 3)[3] * c  # the median-like order statistic


_SPECIAL = np.array([1.5, np.nan, -0.3, np.inf, 2.0, -np.inf, 0.7])


@case(np.nan_to_num, variants=[(R(4), C(4)), (R(2, 3), C(2, 3)), (R(), C())])
def nan_to_num_case(x, c):
    return np.sum(np.nan_to_num(x) * c)


@case(np.nan_to_num, variants=[(R(7), R(), R(), R(), C(7))], wrt=(0, 1, 2, 3))
def nan_to_num_replacements_case(x, v, p, n, c):
    y = np.where(np.isfinite(_SPECIAL), x, _SPECIAL)
    return np.sum(np.nan_to_num(y, nan=v, posinf=p, neginf=n) * c)


@case(np.select, variants=[(R(5), R(5), R(), C(5)), (R(3, 4), R(4), R(3, 1), C(3, 4))], wrt=(0, 1, 2))
def select_case(x, y, default, c):
    return np.sum(np.select([x > 0.5, x < -0.5], [x * y, y], default) * c)


@case(np.select, variants=[(R(6), R(6), C(6))], wrt=(0, 1))
def select_list_variable_case(x, y, c):
    choices = [x, 2.0 * y, x * y]
    return np.sum(np.select([y > 0.0, x > 0.0, x < y], choices) * c)


@case(np.select, variants=[(R(6), C(6))])
def select_default_case(x, c):
    return np.sum(np.select([x > 0.0], [3.0], default=x * x) * c)


# --- constructors -------------------------------------------------------------------------


@case(np.logspace, variants=[(R(), R(), C(5))], wrt=(0, 1))
def logspace_case(start, stop, c):
    return np.sum(np.logspace(start, stop, 5) * c)


@case(np.logspace, variants=[(R(), R(), P(), C(4))], wrt=(0, 1, 2))
def logspace_base_case(start, stop, base, c):
    return np.sum(np.logspace(start, stop, 4, endpoint=False, base=base) * c)


@case(np.logspace, variants=[(R(3), R(3), C(3, 4)), (R(2, 3), R(3), C(2, 3, 4))], wrt=(0, 1))
def logspace_arrays_axis_case(start, stop, c):
    return np.sum(np.logspace(start, stop, 4, axis=-1) * c)


@case(np.logspace, variants=[(R(), R(3), P(2, 1), C(4, 2, 3))], wrt=(0, 1, 2))
def logspace_array_base_case(start, stop, base, c):
    return np.sum(np.logspace(start, stop, 4, base=base) * c)


# --- the parts of a real array --------------------------------------------------------------


@case(np.real, np.conjugate, np.real_if_close, variants=[(R(4), C(4)), (R(2, 3), C(2, 3)), (R(), C())])
def real_parts_case(x, c):
    return np.sum((np.real(x) * np.conj(x) + np.real_if_close(x) * 2.0) * c)


@case(np.imag, np.angle, variants=[(R(4), C(4)), (R(2, 3), C(2, 3))])
def imaginary_parts_case(x, c):
    return np.sum((np.imag(x) + np.angle(x) + np.angle(x, deg=True) + x) * c)


@case(np.ndarray.conj, np.ndarray.conjugate, np.ndarray.real, np.ndarray.imag,
      variants=[(R(4), C(4)), (R(2, 3), C(2, 3))])
def real_part_methods_case(x, c):
    return np.sum((x.conj() * x.conjugate() + x.real * 3.0 + x.imag) * c)


@case(rt.select_choice, variants=[(R(5), C(5))])
def select_choice_case(x, c):
    return np.sum((rt.select_choice([x > 0.5, x < 0.0]) + x) * x * c)


# --- zero positions ---------------------------------------------------------------------------

zero_case(rt.select_choice, variants=[(R(2, 5),)])  # the rows are the conditions
zero_case(np.real_if_close, variants=[(R(4), 100.0)], only=(1,))  # tol: a real array is returned as it is


# --- tangents of the runtime helpers (second derivatives) ---------------------------------------


@case(rt.diff_adjoint_helper, rt.diff_tangent_helper, variants=[(R(5), R(5), C(5))], modes=FWD)
def diff_helpers_case(g, x, c):
    parts = rt.diff_adjoint_helper(np.diff(g * g, 1, -1, 0.5), x, 1, -1, 0.5, None)
    t = rt.diff_tangent_helper(g * x, x, 2, -1, None, 1.0, 0)
    return np.sum(parts[0] * c) + np.sum(t * c[:4])


@case(rt.gradient_adjoint_helper, variants=[(R(3, 4), R(3, 4), C(3, 4))], modes=FWD)
def gradient_helper_case(g, f, c):
    return np.sum(rt.gradient_adjoint_helper([g * g, g * 3.0], f, (), None, 2) * c)


@case(rt.kron_adjoint_left, rt.kron_adjoint_right, variants=[(R(6, 6), R(2, 3), R(3, 2), C(2, 3))],
      wrt=(0, 1, 2), modes=FWD)
def kron_helpers_case(g, a, b, c):
    return np.sum(rt.kron_adjoint_left(g, a, b * b) * c) + np.sum(rt.kron_adjoint_right(g * g, a, b) * c.T)


@case(rt.cross_adjoint_left, rt.cross_adjoint_right, variants=[(R(4, 3), R(4, 3), R(3), C(4, 3))],
      wrt=(0, 1, 2), modes=FWD)
def cross_helpers_case(g, a, b, c):
    return np.sum(rt.cross_adjoint_left(g * g, a, b * b) * c) + \
        np.sum(rt.cross_adjoint_right(g, a * a, b) * c[0])


@case(rt.rollaxis_adjoint_helper, rt.pieces_adjoint, rt.atleast_adjoint_helper, rt.atleast_tangent_helper,
      variants=[(R(3, 4), C(4, 3))], modes=FWD)
def moving_helpers_case(g, c):
    r = rt.rollaxis_adjoint_helper(g * g, c, 1, 0)
    p = rt.pieces_adjoint([g[:, :1] * g[:, :1], g[:, 1:] * 2.0], [g[:, :1], g[:, 1:]], g, 1)
    a = rt.atleast_adjoint_helper([g * 2.0, g[0] * g[0]], (g, g[0]))
    t = rt.atleast_tangent_helper((g[0, 0] * g[0, 0],), 2)
    return np.sum(r * c) + np.sum(p * c.T) + np.sum(a[0] * c.T) + np.sum(a[1] * c.T[0]) + np.sum(t)


@case(rt.partition_adjoint_helper, rt.partition_tangent_helper, variants=[(R(6), R(6), C(6))], modes=FWD)
def partition_helpers_case(g, a, c):
    z = np.partition(a, 2)
    return np.sum(rt.partition_adjoint_helper(g * g, a, z, -1) * c) + \
        np.sum(rt.partition_tangent_helper(g * a, a, z, -1) * c)


@case(rt.select_adjoint_helper, rt.select_default_adjoint, variants=[(R(5), R(5), C(5))], modes=FWD)
def select_helpers_case(g, x, c):
    conds = [x > 0.5, x < -0.5]
    parts = rt.select_adjoint_helper(g * g, conds, [x, 1.0])
    return np.sum(parts[0] * c) + parts[1] + np.sum(rt.select_default_adjoint(g * x, conds, x) * c)


@case(rt.logspace_base, rt.logspace_base_adjoint, rt.logspace_exponents,
      variants=[(R(), R(3), P(3), C(4, 3))], wrt=(0, 1, 2), modes=FWD)
def logspace_helpers_case(start, stop, base, c):
    y = rt.logspace_exponents(start, stop, 4, True, base, 0)
    b = rt.logspace_base(base * base, y, 0)
    return np.sum(y * b * c) + np.sum(rt.logspace_base_adjoint(y * y * c, base, 0) * base)


@case(rt.real_part_adjoint, rt.imaginary_part_adjoint, variants=[(R(4), R(4), C(4))], modes=FWD)
def real_part_helpers_case(g, x, c):
    return np.sum((rt.real_part_adjoint(g * g, x, "r") + rt.imaginary_part_adjoint(g * x, x, "i") + g) * c)


# --- systematic: every axis and section combination (autograd's test_systematic as a checklist) ---


def _weighted(out):
    """A random weighting for each array of `out` (one array, or a list of them: a dict
    by position, whose shape the case table can read)."""
    return {i: C(*np.shape(p)) for i, p in enumerate(out)} if isinstance(out, (list, tuple)) \
        else C(*np.shape(out))


@case(np.rollaxis, variants=[(R(2, 3, 4), axis, start, C(*np.shape(np.rollaxis(np.empty((2, 3, 4)), axis, start))))
                             for axis in (0, 1, 2, -1) for start in (0, 1, 2, 3, -2)])
def rollaxis_every_axis_case(a, axis, start, c):
    return np.sum(np.rollaxis(a, axis, start) * c)


def _cross_variants():
    out = []
    for axisa in (-1, 0, 1):
        for axisb in (-1, 0, 1):
            for axisc in (-1, 0, 1):
                out.append((R(3, 3), R(3, 3), axisa, axisb, axisc, None, C(3, 3)))
    return out + [(R(3, 3), R(3, 3), -1, -1, -1, axis, C(3, 3)) for axis in (-1, 0, 1)]


@case(np.cross, variants=_cross_variants(), wrt=(0, 1))
def cross_every_axis_case(a, b, axisa, axisb, axisc, axis, c):
    return np.sum(np.cross(a, b, axisa, axisb, axisc, axis) * c)


_KRON_LEFT = [(2, 2), (3,), (3, 1), (1, 3), ()]
_KRON_RIGHT = [(2, 2), (2,), (1, 2), (2, 1), ()]


@case(np.kron, variants=[(R(*p), R(*q), C(*np.shape(np.kron(np.empty(p), np.empty(q)))))
                         for p in _KRON_LEFT for q in _KRON_RIGHT], wrt=(0, 1))
def kron_every_shape_case(a, b, c):
    return np.sum(np.kron(a, b) * c)


def _split_variants(split, shapes, sections, axes=(None,)):
    out = []
    for shape in shapes:
        for s in sections:
            for axis in axes:
                pieces = split(np.empty(shape), s) if axis is None else split(np.empty(shape), s, axis)
                out.append((R(*shape), s, axis, _weighted(pieces)))
    return out


@case(np.split, variants=_split_variants(np.split, [(4, 8), (4, 4, 4)], [2, [1, 3]], (0, 1, -1)))
def split_every_axis_case(x, sections, axis, cs):
    total = 0.0
    for i, piece in enumerate(np.split(x, sections, axis)):
        total = total + np.sum(piece * cs[i])
    return total


@case(np.array_split, variants=_split_variants(np.array_split, [(7,), (7, 7)], [3, 4, [3, 5]], (0, -1)))
def array_split_every_axis_case(x, sections, axis, cs):
    total = 0.0
    for i, piece in enumerate(np.array_split(x, sections, axis=axis)):
        total = total + np.sum(piece * cs[i])
    return total


@case(np.vsplit, variants=_split_variants(np.vsplit, [(4, 8), (4, 4, 4)], [2, [1, 2]]))
def vsplit_every_case(x, sections, axis, cs):
    total = 0.0
    for i, piece in enumerate(np.vsplit(x, sections)):
        total = total + np.sum(piece * cs[i])
    return total


@case(np.hsplit, variants=_split_variants(np.hsplit, [(8,), (4, 8), (4, 4, 4)], [2, [1, 2]]))
def hsplit_every_case(x, sections, axis, cs):
    total = 0.0
    for i, piece in enumerate(np.hsplit(x, sections)):
        total = total + np.sum(piece * cs[i])
    return total


@case(np.dsplit, variants=_split_variants(np.dsplit, [(4, 4, 4)], [2, [1, 2]]))
def dsplit_every_case(x, sections, axis, cs):
    total = 0.0
    for i, piece in enumerate(np.dsplit(x, sections)):
        total = total + np.sum(piece * cs[i])
    return total


_PROMOTED = [(), (1,), (7,), (1, 4), (2, 4), (2, 4, 5), (2, 4, 3, 5)]


@case(np.atleast_1d, np.atleast_2d, np.atleast_3d,
      variants=[(R(*s), C(*np.shape(np.atleast_1d(np.empty(s)))), C(*np.shape(np.atleast_2d(np.empty(s)))),
                 C(*np.shape(np.atleast_3d(np.empty(s))))) for s in _PROMOTED])
def atleast_every_shape_case(x, c1, c2, c3):
    return np.sum(np.atleast_1d(x) * c1) + np.sum(np.atleast_2d(x) * c2) + np.sum(np.atleast_3d(x) * c3)


@case(np.partition, variants=[(R(n), kth, C(n)) for n in (7, 14) for kth in (0, 3, 6, -1)])
def partition_every_kth_case(a, kth, c):
    return np.sum(np.partition(a, kth) * c)


@case(np.diff, variants=[(R(*s), n, axis, C(*np.shape(np.diff(np.empty(s), n, axis))))
                         for s in [(5, 5), (5, 5, 5)] for n in (1, 2) for axis in (0, 1, -1)]
      + [(R(1), 1, 0, C(0)), (R(3, 1), 1, 1, C(3, 0))])
def diff_every_axis_case(a, n, axis, c):
    return np.sum(np.diff(a, n, axis) * c) + np.sum(a * a)


def _gradient_variants():
    out = []
    for shape, axes in [((5, 5), [None, 0, 1, -1]), ((4, 3, 5), [None, 0, -1, (0, 1), (0, -1)])]:
        for axis in axes:
            out.append((R(*shape), axis, _weighted(np.gradient(np.empty(shape), axis=axis))))
    return out


@case(np.gradient, variants=_gradient_variants())
def gradient_every_axis_case(f, axis, cs):
    out = np.gradient(f, axis=axis)
    if isinstance(cs, dict):
        total = 0.0
        for i, g in enumerate(out):
            total = total + np.sum(g * cs[i])
        return total
    return np.sum(out * cs)


@case(np.triu, np.tril, variants=[(R(*s), k, C(*s)) for s in [(5, 5), (5, 5, 4), (3, 6)] for k in (-1, 0, 1, 2)])
def triangles_every_k_case(x, k, c):
    return np.sum(np.triu(x, k) * c) + np.sum(np.tril(x, k=k) * c * c)
