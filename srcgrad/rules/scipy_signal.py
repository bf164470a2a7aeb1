"""Derivative rules for `scipy.signal.convolve`, `correlate`, `fftconvolve` and
`oaconvolve` (SciPy is optional).

Templates, as in scipy_special.py. Both functions are linear in each input.
The adjoint of the 'full' convolution z = in1 * in2 in in1 is the 'valid'
convolution of the output's adjoint with in2 flipped along every axis (the
same for in2, with in1 flipped); a 'same' or 'valid' output is a centred cut
of the full one, so its adjoint is first padded back to the full shape with
zeros (`convolve_padding`). The adjoints are convolutions again, so a
derivative can be differentiated again. `method` ('auto', 'direct', 'fft')
is passed on to them. fftconvolve and oaconvolve convolve along `axes` only
and broadcast the other axes, so their adjoints are summed back down to each
input's shape (`unbroadcast`).

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
"""
import numpy

try:
    import scipy.signal
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.signal",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, nondifferentiable, tangent
from srcgrad.runtime import broadcast_like, convolve_padding, unbroadcast
from srcgrad.templates import d

nondifferentiable(convolve_padding)


@adjoint(scipy.signal.convolve)                 # z = in1 * in2 (n-d), cut to `mode`
def convolve_adjoint(z, in1, in2, mode="full", method="auto"):
    g = numpy.pad(broadcast_like(d[z], z), convolve_padding(in1, in2, z))
    d[in1] = scipy.signal.convolve(g, numpy.flip(in2), "valid", method)
    d[in2] = scipy.signal.convolve(g, numpy.flip(in1), "valid", method)


@tangent(scipy.signal.convolve)
def convolve_tangent(z, in1, in2, mode="full", method="auto"):
    d[z] = scipy.signal.convolve(d[in1], in2, mode, method)
    d[z] = scipy.signal.convolve(in1, d[in2], mode, method)


# correlate(in1, in2, mode) = convolve(in1, flip(in2), mode) for real inputs: the
# adjoint in in1 convolves with flip(flip(in2)) = in2, the one in in2 is flipped back.
@adjoint(scipy.signal.correlate)
def correlate_adjoint(z, in1, in2, mode="full", method="auto"):
    g = numpy.pad(broadcast_like(d[z], z), convolve_padding(in1, in2, z))
    d[in1] = scipy.signal.convolve(g, in2, "valid", method)
    d[in2] = numpy.flip(scipy.signal.convolve(g, numpy.flip(in1), "valid", method))


@tangent(scipy.signal.correlate)
def correlate_tangent(z, in1, in2, mode="full", method="auto"):
    d[z] = scipy.signal.correlate(d[in1], in2, mode, method)
    d[z] = scipy.signal.correlate(in1, d[in2], mode, method)


# The same convolution along `axes` (all when None), computed by FFT or overlap-add;
# both adjoints are computed with fftconvolve, which gives the same values.
@adjoint(scipy.signal.fftconvolve, scipy.signal.oaconvolve)
def fftconvolve_adjoint(z, in1, in2, mode="full", axes=None):
    g = numpy.pad(broadcast_like(d[z], z), convolve_padding(in1, in2, z, axes))
    d[in1] = unbroadcast(scipy.signal.fftconvolve(g, numpy.flip(in2, axes), "valid", axes), in1)
    d[in2] = unbroadcast(scipy.signal.fftconvolve(g, numpy.flip(in1, axes), "valid", axes), in2)


@tangent(scipy.signal.fftconvolve, scipy.signal.oaconvolve)
def fftconvolve_tangent(z, in1, in2, mode="full", axes=None):
    d[z] = scipy.signal.fftconvolve(d[in1], in2, mode, axes)
    d[z] = scipy.signal.fftconvolve(in1, d[in2], mode, axes)
