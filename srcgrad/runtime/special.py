"""Helpers of the SciPy rules (scipy.signal, scipy.special); SciPy itself is
imported inside a helper if one ever needs it, never here (`import srcgrad`
stays cheap and works without SciPy)."""
import numpy


def convolve_padding(in1, in2, z):
    """Where `z`, an output of scipy.signal.convolve(in1, in2, mode), sits in the
    'full' output: ((before, after), ...) per axis, to pad its adjoint back to
    the full shape. 'same' and 'valid' keep the centre of the full output
    (SciPy's `_centered`: the extra entry of an odd cut goes after)."""
    full = [n1 + n2 - 1 for n1, n2 in zip(numpy.shape(in1), numpy.shape(in2))]
    padding = []
    for n, m in zip(full, numpy.shape(z)):
        before = (n - m) // 2
        padding.append((before, n - m - before))
    return tuple(padding)
