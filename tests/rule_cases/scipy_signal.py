"""Cases for srcgrad/rules/scipy_signal.py (SciPy is in the `test` extra).

Each mode is its own case (a case's call is fixed in its source), with 1-d,
2-d and 3-d inputs, the second input shorter and longer than the first.
"""
import numpy as np

try:
    from scipy import signal
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, R, case, zero_case
from srcgrad import runtime as rt

_FULL_SHAPES = [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((4, 3), (2, 2)), ((3, 3), (4, 5)),
                ((3, 2, 4), (2, 3, 2)), ((6,), (1,))]
# 'valid' needs one input at least as large as the other along every axis
_VALID_SHAPES = [((6,), (3,)), ((3,), (6,)), ((4,), (4,)), ((5, 4), (2, 3)), ((2, 3), (4, 5)),
                 ((4, 3, 3), (2, 3, 1))]


def _full(n1, n2):
    return tuple(a + b - 1 for a, b in zip(n1, n2))


def _valid(n1, n2):
    return tuple(abs(a - b) + 1 for a, b in zip(n1, n2))


def _variants(shapes, out):
    return [(R(*s1), R(*s2), C(*out(s1, s2))) for s1, s2 in shapes]


@case(signal.convolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES, _full))
def convolve_case(a, b, c):
    return np.sum(signal.convolve(a, b) * c)


@case(signal.convolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES, lambda s1, s2: s1))
def convolve_same_case(a, b, c):
    return np.sum(signal.convolve(a, b, mode="same") * c)


@case(signal.convolve, wrt=(0, 1), variants=_variants(_VALID_SHAPES, _valid))
def convolve_valid_case(a, b, c):
    return np.sum(signal.convolve(a, b, "valid") * c)


@case(signal.convolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES[:5], lambda s1, s2: s1))
def convolve_same_direct_case(a, b, c):
    return np.sum(signal.convolve(a, b, "same", method="direct") * c)


@case(signal.convolve, wrt=(0, 1), variants=_variants(_VALID_SHAPES[:5], _valid))
def convolve_valid_fft_case(a, b, c):
    return np.sum(signal.convolve(a, b, mode="valid", method="fft") * c)


@case(signal.convolve, wrt=(0,), variants=[(R(5), C(7))])
def convolve_constant_kernel_case(a, c):
    return np.sum(signal.convolve(a, np.array([0.25, 0.5, 0.25])) * c)


@case(signal.correlate, wrt=(0, 1), variants=_variants(_FULL_SHAPES, _full))
def correlate_case(a, b, c):
    return np.sum(signal.correlate(a, b) * c)


@case(signal.correlate, wrt=(0, 1), variants=_variants(_FULL_SHAPES, lambda s1, s2: s1))
def correlate_same_case(a, b, c):
    return np.sum(signal.correlate(a, b, mode="same") * c)


@case(signal.correlate, wrt=(0, 1), variants=_variants(_VALID_SHAPES, _valid))
def correlate_valid_case(a, b, c):
    return np.sum(signal.correlate(a, b, "valid") * c)


@case(signal.correlate, wrt=(0, 1), variants=_variants(_VALID_SHAPES[:5], _valid))
def correlate_valid_direct_case(a, b, c):
    return np.sum(signal.correlate(a, b, "valid", "direct") * c)


@case(signal.correlate, wrt=(0, 1), variants=_variants(_FULL_SHAPES[:5], lambda s1, s2: s1))
def correlate_same_fft_case(a, b, c):
    return np.sum(signal.correlate(a, b, mode="same", method="fft") * c)


# --- fftconvolve and oaconvolve: along `axes`, the other axes broadcast ---------------


@case(signal.fftconvolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES, _full))
def fftconvolve_case(a, b, c):
    return np.sum(signal.fftconvolve(a, b) * c)


@case(signal.fftconvolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES[:5], lambda s1, s2: s1))
def fftconvolve_same_case(a, b, c):
    return np.sum(signal.fftconvolve(a, b, mode="same") * c)


@case(signal.fftconvolve, wrt=(0, 1), variants=[(R(3, 6), R(3, 2), C(3, 5)), (R(3, 6), R(1, 4), C(3, 3)),
                                                 (R(1, 3), R(4, 5), C(4, 3))])
def fftconvolve_valid_axis_case(a, b, c):
    return np.sum(signal.fftconvolve(a, b, "valid", axes=1) * c)


@case(signal.fftconvolve, wrt=(0, 1), variants=[(R(4, 3, 2), R(2, 1, 2), C(5, 3, 2)),
                                                 (R(4, 1, 2), R(3, 5, 2), C(6, 5, 2))])
def fftconvolve_axes_list_case(a, b, c):
    return np.sum(signal.fftconvolve(a, b, "full", [0]) * c)


@case(signal.fftconvolve, wrt=(0, 1), variants=[(R(4, 3, 5), R(2, 3, 2), C(4, 3, 5)),
                                                 (R(3, 1, 4), R(5, 2, 3), C(3, 1, 4)),  # 'same' cuts axis 1 to 1
                                                 (R(3, 2, 4), R(5, 1, 3), C(3, 2, 4))])
def fftconvolve_same_axes_case(a, b, c):
    return np.sum(signal.fftconvolve(a, b, mode="same", axes=(0, -1)) * c)


@case(signal.oaconvolve, wrt=(0, 1), variants=_variants(_FULL_SHAPES[:5], _full))
def oaconvolve_case(a, b, c):
    return np.sum(signal.oaconvolve(a, b) * c)


@case(signal.oaconvolve, wrt=(0, 1), variants=[(R(3, 12), R(3, 4), C(3, 12)), (R(2, 10), R(1, 3), C(2, 10))])
def oaconvolve_same_axis_case(a, b, c):
    return np.sum(signal.oaconvolve(a, b, "same", axes=-1) * c)


# --- the padding helper: zero gradient (it reads shapes only) ------------------------


@case(rt.convolve_padding, wrt=(0, 1), variants=[(R(4), R(2), C(5)), (R(3, 4), R(2, 2), C(4, 5))])
def convolve_padding_case(a, b, c):
    z = signal.convolve(a, b, "valid")
    return np.sum(np.pad(z, rt.convolve_padding(a, b, z)) * c)


@case(rt.convolve_padding, wrt=(0, 1), variants=[(R(3, 4), R(1, 2), C(3, 5))])
def convolve_padding_axes_case(a, b, c):
    z = signal.fftconvolve(a, b, "valid", axes=1)
    return np.sum(np.pad(z, rt.convolve_padding(a, b, z, 1)) * c)


zero_case(rt.convolve_padding, variants=[(R(4), R(2), R(3)), (R(3, 5), R(4, 2), R(3, 5)),
                                         ((R(3, 5), R(1, 2), R(3, 4)), {"axes": [1]})])
