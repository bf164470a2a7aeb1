"""Helpers of the SciPy rules (scipy.signal, scipy.special); SciPy itself is
imported inside a helper if one ever needs it, never here (`import srcgrad`
stays cheap and works without SciPy)."""
import numpy


def convolve_padding(in1, in2, z, axes=None):
    """Where `z`, an output of scipy.signal.convolve(in1, in2, mode) (or of
    fftconvolve / oaconvolve over `axes`), sits in the 'full' output:
    ((before, after), ...) per axis, to pad its adjoint back to the full shape.
    'same' and 'valid' keep the centre of the full output (SciPy's `_centered`:
    the extra entry of an odd cut goes after). Along an axis outside `axes` the
    inputs broadcast, and 'same' cuts that axis too, to in1's length."""
    shape1, shape2, shape = numpy.shape(in1), numpy.shape(in2), numpy.shape(z)
    if axes is None:
        convolved = set(range(len(shape)))
    else:
        convolved = {int(a) % len(shape) for a in numpy.atleast_1d(axes)}
    padding = []
    for axis, m in enumerate(shape):
        n = shape1[axis] + shape2[axis] - 1 if axis in convolved else max(shape1[axis], shape2[axis])
        before = (n - m) // 2
        padding.append((before, n - m - before))
    return tuple(padding)
