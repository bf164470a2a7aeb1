"""numpy.linalg's adjoints and tangents as numba compiles them: the norm without `ord` or `axis`.

numba's own `numpy.linalg.norm` takes an array of one or two axes and an
`ord`, no `axis` and no `keepdims`; srcgrad's numba build covers the call
people write most, `numpy.linalg.norm(x)` (the 2-norm of a vector, the
Frobenius norm of a matrix). With an `ord` or an `axis` the helper calls
numba's norm with them, which numba refuses to type: the backend refuses
the derivative (`backend="auto"` runs it in Python), never computes another
norm.
"""
import numpy


def norm_adjoint_helper(g, x, z, ord=None, axis=None, keepdims=False):
    """Adjoint of z = numpy.linalg.norm(x): x g / z, and 0 where z is 0 (x is then 0)."""
    if ord is None and axis is None:
        return x * (g / (1.0 if z == 0.0 else z))
    else:
        return numpy.linalg.norm(x, ord, axis)


def norm_tangent_helper(t, x, z, ord=None, axis=None, keepdims=False):
    """Tangent of z = numpy.linalg.norm(x) along t: <x, t> / z, and 0 where z is 0."""
    if ord is None and axis is None:
        return numpy.sum(x * t) / (1.0 if z == 0.0 else z)
    else:
        return numpy.linalg.norm(x, ord, axis)
