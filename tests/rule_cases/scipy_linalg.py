"""Cases for srcgrad/rules/scipy_linalg.py (SciPy is in the `test` extra).

Without SciPy neither the rules nor these cases exist: this module then
raises ModuleNotFoundError naming itself, which rule_cases skips. Stacked
inputs where the installed SciPy takes them (expm always; the solves and
sqrtm in SciPy's batched releases).
"""
import numpy as np

try:
    import scipy.linalg
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, R, case
from srcgrad import runtime as rt

FWD = ("forward",)


def _square(n, *batch):
    return R(*batch, n, n) + 3.0 * np.eye(n)


def _spd(n, *batch):
    m = R(*batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _stacks(function, *args) -> bool:
    """Whether the installed SciPy's `function` takes these stacked arguments."""
    try:
        function(*args)
    except ValueError:
        return False
    return True


_STACKED_SOLVES = _stacks(scipy.linalg.solve_triangular, _square(3, 2), R(2, 3, 1))
_STACKED_SQRTM = _stacks(scipy.linalg.sqrtm, _spd(3, 2))


@case(scipy.linalg.solve_triangular, wrt=(0, 1), variants=[
    (_square(3), R(3), C(3)), (_square(3), R(3, 2), C(3, 2)),
    *([(_square(3, 2), R(2, 3, 2), C(2, 3, 2))] if _STACKED_SOLVES else []),
])
def solve_triangular_case(a, b, c):
    return np.sum(scipy.linalg.solve_triangular(a, b) * c)


@case(scipy.linalg.solve_triangular, wrt=(0, 1), variants=[(_square(3), R(3), C(3)), (_square(4), R(4, 2), C(4, 2))])
def solve_triangular_lower_trans_case(a, b, c):
    return np.sum(scipy.linalg.solve_triangular(a, b, trans=1, lower=True) * c)


@case(scipy.linalg.solve_triangular, wrt=(0, 1), variants=[(_square(3), R(3, 2), C(3, 2))])
def solve_triangular_transpose_letter_case(a, b, c):
    return np.sum(scipy.linalg.solve_triangular(a, b, "T") * c)


@case(scipy.linalg.solve_triangular, wrt=(0, 1), variants=[(_square(3), R(3, 2), C(3, 2)), (_square(3), R(3), C(3))])
def solve_triangular_unit_diagonal_case(a, b, c):
    return np.sum(scipy.linalg.solve_triangular(a, b, lower=True, unit_diagonal=True) * c)


@case(scipy.linalg.cho_factor, scipy.linalg.cho_solve, wrt=(0, 1),
      variants=[(_spd(3), R(3), C(3)), (_spd(4), R(4, 2), C(4, 2))])
def cho_solve_factor_case(a, b, c):
    return np.sum(scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b) * c)


@case(scipy.linalg.cho_factor, scipy.linalg.cho_solve, wrt=(0, 1), variants=[(_spd(3), R(3, 2), C(3, 2))])
def cho_solve_lower_case(a, b, c):
    factor = scipy.linalg.cho_factor(a, lower=True)
    return np.sum(scipy.linalg.cho_solve(factor, b) * c)


@case(scipy.linalg.cho_factor, variants=[(_spd(3), C(3, 3)), (_spd(4), C(4, 4))])
def cho_factor_case(a, c):
    factor, lower = scipy.linalg.cho_factor(a)  # the factor above, a's own entries below
    return np.sum(factor * c)


@case(scipy.linalg.cho_solve, wrt=(0, 1), variants=[(_square(3), R(3, 2), C(3, 2)), (_square(3), R(3), C(3))])
def cho_solve_given_factor_case(u, b, c):
    return np.sum(scipy.linalg.cho_solve((u, False), b) * c)


@case(scipy.linalg.expm, variants=[(R(3, 3), C(3, 3)), (R(2, 3, 3), C(2, 3, 3)), (R(1, 1), C(1, 1))])
def expm_case(a, c):
    return np.sum(scipy.linalg.expm(a) * c)


# a non-symmetric matrix with real, separated eigenvalues: older SciPy returns a complex
# square root (of zero imaginary part) for one whose Schur form is not triangular
@case(scipy.linalg.sqrtm, variants=[(_spd(3), C(3, 3)),
                                    (0.3 * np.triu(R(4, 4), 1) + np.diag([2.0, 3.0, 4.0, 5.0]), C(4, 4)),
                                    *([(_spd(3, 2), C(2, 3, 3))] if _STACKED_SQRTM else [])])
def sqrtm_case(a, c):
    return np.sum(scipy.linalg.sqrtm(a) * c)


# --- the helpers' forward rules (second order) ---------------------------------------------


@case(rt.triangular_adjoint_a, rt.cho_solve_adjoint_factor, rt.solve_sylvester_stack,
      variants=[(R(3, 2), R(3, 2), _square(3), C(3, 3))], wrt=(0, 1, 2), modes=FWD)
def scipy_linalg_helpers_case(y, x, a, c):
    t = rt.triangular_adjoint_a(y * y, x, 1, True, False)
    f = rt.cho_solve_adjoint_factor(y, x * x, (np.triu(a), False))[0]
    s = rt.solve_sylvester_stack(a, a.T, y @ x.T)
    return np.sum((t + f + s) * c)


# --- banded and Sylvester solves --------------------------------------------------------


def _band(lower, upper, n):
    """Band storage of a diagonally dominant n x n matrix with `lower` and `upper` bands."""
    ab = R(lower + upper + 1, n)
    ab[upper] += 4.0
    return ab


@case(scipy.linalg.solve_banded, wrt=(1, 2), variants=[((1, 1), _band(1, 1, 5), R(5), C(5)),
                                                       ((2, 0), _band(2, 0, 4), R(4, 2), C(4, 2)),
                                                       ((0, 2), _band(0, 2, 4), R(4), C(4)),
                                                       ((1, 2), _band(1, 2, 6), R(6, 3), C(6, 3))])
def solve_banded_case(l_and_u, ab, b, c):
    return np.sum(scipy.linalg.solve_banded(l_and_u, ab, b) * c)


@case(scipy.linalg.solve_sylvester, wrt=(0, 1, 2), variants=[(_square(3), _square(3), R(3, 3), C(3, 3)),
                                                             (_square(2), _square(4), R(2, 4), C(2, 4))])
def solve_sylvester_case(a, b, q, c):
    return np.sum(scipy.linalg.solve_sylvester(a, b, q) * c)


@case(rt.band_transpose, rt.band_outer, rt.band_matmul, wrt=(0, 1, 2), modes=FWD,
      variants=[(R(3, 5), R(5), R(5), C(3, 5), C(5)), (R(4, 4), R(4, 2), R(4, 2), C(4, 4), C(4, 2))])
def band_helpers_case(ab, y, x, c, c2):
    bands = (1, ab.shape[0] - 2)
    return np.sum((rt.band_transpose(bands, ab * ab) + rt.band_outer(bands, y * y, x)) * c) \
        + np.sum(rt.band_matmul(bands, ab, x * y) * c2)
