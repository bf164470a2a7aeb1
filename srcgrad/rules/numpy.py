"""Derivative rules for NumPy's top-level functions (keys: `numpy.exp`, ...).

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line.
Every binary rule undoes broadcasting with `unbroadcast`; reductions
broadcast back with `unreduce`. Kinks follow SPEC §7: ties in max, min,
maximum, minimum (and clip's bounds) split the gradient evenly, abs'(0) = 0.

Each adjoint rule has its tangent rule (forward mode) right after it, with
the same kink conventions, or a `linear(...)` line for a primitive linear in
`a`. The elementwise functions (exp, sqrt, sin, abs, ..., and of two
arguments arctan2, hypot, logaddexp, maximum, fmax, copysign, fmod, ...)
come from the table they share with `math` (srcgrad/rules/elementwise.py);
`NUMPY` below says how their derivatives are guarded here. Where a
derivative is infinite (sqrt and log at 0, arcsin at 1, ...), `pole_ratio`
keeps a zero adjoint or tangent zero, as numpy.where's adjoint keeps the
infinity out of the entries it did not select.

`numpy.power`, `add`, `subtract`, `multiply`, `divide`, `negative`,
`positive`, `matmul` and `remainder` have their rules in operators.py.
"""

import numpy

from srcgrad.rules import elementwise
from srcgrad.rules.registry import adjoint, constant_only, linear, nondifferentiable, tangent
from srcgrad.runtime import (
    arange_adjoint,
    arange_tangent,
    broadcast_like,
    clip_share,
    cumprod_adjoint_helper,
    cumprod_tangent_helper,
    cumsum_adjoint_helper,
    extreme_tangent_helper,
    fill_adjoint,
    fill_tangent,
    linspace_adjoint,
    linspace_tangent,
    prod_adjoint_helper,
    prod_tangent_helper,
    reduced_size,
    sort_adjoint_helper,
    sort_tangent_helper,
    std_adjoint_helper,
    std_tangent_helper,
    take_adjoint_helper,
    unbroadcast,
    unreduce,
    unreduce_extreme,
    var_adjoint_helper,
    var_tangent_helper,
)
from srcgrad.templates import d


def _distinct(*primitives):
    """The distinct objects among `primitives`, in order.

    Some NumPy names are the same object in one release and two functions in
    another (`amax` / `max`, `around` / `round`); each object is registered once.
    """
    seen = []
    for p in primitives:
        if not any(p is q for q in seen):
            seen.append(p)
    return tuple(seen)


nondifferentiable(*_distinct(
    # integer-valued and piecewise-constant
    numpy.floor, numpy.ceil, numpy.trunc, numpy.rint, numpy.round, numpy.around,
    numpy.sign, numpy.floor_divide, numpy.heaviside,
    # indices and counts
    numpy.argmax, numpy.argmin, numpy.argsort, numpy.nonzero, numpy.count_nonzero,
    numpy.searchsorted,
    # casts to integer and boolean scalar types (`np.int64(x[:, -1])` as indices)
    numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.intp,
    numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64, numpy.bool_,
    # boolean-valued
    numpy.isnan, numpy.isinf, numpy.isfinite, numpy.equal, numpy.not_equal,
    numpy.less, numpy.less_equal, numpy.greater, numpy.greater_equal,
    numpy.logical_and, numpy.logical_or, numpy.logical_not, numpy.logical_xor,
    numpy.all, numpy.any, numpy.allclose, numpy.isclose, numpy.array_equal,
    # shapes
    numpy.shape, numpy.size, numpy.ndim,
    # constructors of constants (full, full_like, linspace, arange carry their
    # value arguments' gradients: see "constructors" below)
    numpy.zeros, numpy.ones, numpy.zeros_like, numpy.ones_like,
    numpy.empty, numpy.empty_like, numpy.eye, numpy.identity,
))

# --- constructors with a value argument (SPEC section 7) -----------------------
# The fill value, linspace's start and stop, and arange's float start and step
# carry their gradients; shapes, counts and arange's stop do not (piecewise constant).


@adjoint(numpy.full)                            # z = numpy.full(shape, fill_value)
def full_adjoint(z, shape, fill_value, dtype=None, order="C"):
    d[fill_value] = fill_adjoint(d[z], z, fill_value)


@tangent(numpy.full)
def full_tangent(z, shape, fill_value, dtype=None, order="C"):
    d[z] = fill_tangent(d[fill_value], z)


@adjoint(numpy.full_like)                       # z = numpy.full_like(a, fill_value); a gives the shape
def full_like_adjoint(z, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    d[fill_value] = fill_adjoint(d[z], z, fill_value)


@tangent(numpy.full_like)
def full_like_tangent(z, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    d[z] = fill_tangent(d[fill_value], z)


@adjoint(numpy.linspace)                        # z = start + (stop - start) * i / div
def linspace_adjoint_rule(z, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    d[start] = linspace_adjoint(d[z], z, start, num, endpoint, axis, 0)
    d[stop] = linspace_adjoint(d[z], z, stop, num, endpoint, axis, 1)


@tangent(numpy.linspace)
def linspace_tangent_rule(z, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    d[z] = linspace_tangent(d[start], z, num, endpoint, axis, 0)
    d[z] = linspace_tangent(d[stop], z, num, endpoint, axis, 1)


@adjoint(numpy.arange)                          # z = start + i * step; arange(stop) alone: zero
def arange_adjoint_rule(z, start, stop=None, step=None, dtype=None):
    d[start] = arange_adjoint(d[z], z, start, stop, 0)
    d[step] = arange_adjoint(d[z], z, step, stop, 2)


@tangent(numpy.arange)
def arange_tangent_rule(z, start, stop=None, step=None, dtype=None):
    d[z] = arange_tangent(d[start], z, stop, 0)
    d[z] = arange_tangent(d[step], z, stop, 2)


# --- elementwise: the table shared with `math` (one and two arguments) ----------

# a divisor that vanishes divides through pole_ratio; a factor that overflows
# (exp, cosh) multiplies an adjoint through masked_product
NUMPY = elementwise.Namespace("numpy", product="masked_product", spelled={})
elementwise.register(NUMPY)

# --- piecewise, three arguments: where, clip --------------------------------------


@adjoint(numpy.where)                           # z = numpy.where(condition, x, y)
def where_adjoint(z, condition, x=None, y=None):
    d[x] = unbroadcast(numpy.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(numpy.where(condition, 0.0, d[z]), y)


@tangent(numpy.where)
def where_tangent(z, condition, x=None, y=None):
    d[z] = broadcast_like(numpy.where(condition, d[x], 0.0), z)
    d[z] = broadcast_like(numpy.where(condition, 0.0, d[y]), z)


@adjoint(numpy.clip)                            # z = minimum(maximum(a, a_min), a_max)
def clip_adjoint(z, a, a_min, a_max):
    d[a] = unbroadcast(clip_share(d[z], a, a_min, a_max, "a"), a)
    d[a_min] = unbroadcast(clip_share(d[z], a, a_min, a_max, "a_min"), a_min)
    d[a_max] = unbroadcast(clip_share(d[z], a, a_min, a_max, "a_max"), a_max)


@tangent(numpy.clip)
def clip_tangent(z, a, a_min, a_max):
    d[z] = broadcast_like(clip_share(d[a], a, a_min, a_max, "a"), z)
    d[z] = clip_share(d[a_min], a, a_min, a_max, "a_min")
    d[z] = clip_share(d[a_max], a, a_min, a_max, "a_max")


# --- reductions ----------------------------------------------------------------
# keepdims (and ddof) are keyword-only here: NumPy's positional slots before
# them (dtype, out) are not supported, so a positional one is rejected.


@adjoint(numpy.sum)                             # z = numpy.sum(a, axis, keepdims=)
def sum_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[z], a, axis, keepdims)


linear(numpy.sum, "a")                         # numpy.sum(a_dot, axis, keepdims=)


@adjoint(numpy.mean)                            # z = numpy.mean(a, axis, keepdims=)
def mean_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[z] / reduced_size(a, axis), a, axis, keepdims)


linear(numpy.mean, "a")                        # numpy.mean(a_dot, axis, keepdims=)


@adjoint(numpy.prod)                            # z = numpy.prod(a, axis, keepdims=); zeros exact
def prod_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = prod_adjoint_helper(d[z], a, z, axis, keepdims)


@tangent(numpy.prod)
def prod_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = prod_tangent_helper(d[a], a, z, axis, keepdims)


# z = numpy.max(a, axis, keepdims=) or numpy.min(...): ties split evenly
@adjoint(*_distinct(numpy.max, numpy.amax, numpy.min, numpy.amin))
def extreme_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = unreduce_extreme(d[z], a, z, axis, keepdims)


@tangent(*_distinct(numpy.max, numpy.amax, numpy.min, numpy.amin))
def extreme_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = extreme_tangent_helper(d[a], a, z, axis, keepdims)


for _reduction in (numpy.var, numpy.std):  # the result depends smoothly on a float ddof
    constant_only(_reduction, "ddof", "pass ddof as a constant (0 or 1), not a value computed from an input")


@adjoint(numpy.var)                             # z = numpy.var(a, axis, ddof=, keepdims=)
def var_adjoint(z, a, axis=None, *, ddof=0, keepdims=False):
    d[a] = var_adjoint_helper(d[z], a, axis, ddof, keepdims)


@tangent(numpy.var)
def var_tangent(z, a, axis=None, *, ddof=0, keepdims=False):
    d[z] = var_tangent_helper(d[a], a, z, axis, ddof, keepdims)


@adjoint(numpy.std)                             # z = numpy.std(a, axis, ddof=, keepdims=)
def std_adjoint(z, a, axis=None, *, ddof=0, keepdims=False):
    d[a] = std_adjoint_helper(d[z], a, z, axis, ddof, keepdims)


@tangent(numpy.std)
def std_tangent(z, a, axis=None, *, ddof=0, keepdims=False):
    d[z] = std_tangent_helper(d[a], a, z, axis, ddof, keepdims)


@adjoint(numpy.nansum)                          # z = numpy.nansum(a, axis, keepdims=)
def nansum_adjoint(z, a, axis=None, *, keepdims=False):
    d[a] = numpy.where(numpy.isnan(a), 0.0, unreduce(d[z], a, axis, keepdims))


@tangent(numpy.nansum)
def nansum_tangent(z, a, axis=None, *, keepdims=False):
    d[z] = numpy.sum(numpy.where(numpy.isnan(a), 0.0, d[a]), axis, keepdims=keepdims)


@adjoint(numpy.cumsum)                          # z = numpy.cumsum(a, axis)
def cumsum_adjoint(z, a, axis=None):
    d[a] = cumsum_adjoint_helper(d[z], a, axis)


linear(numpy.cumsum, "a")                      # numpy.cumsum(a_dot, axis)


@adjoint(numpy.cumprod)                         # z = numpy.cumprod(a, axis)
def cumprod_adjoint(z, a, axis=None):
    d[a] = cumprod_adjoint_helper(d[z], a, z, axis)


@tangent(numpy.cumprod)
def cumprod_tangent(z, a, axis=None):
    d[z] = cumprod_tangent_helper(d[a], a, z, axis)


# --- reordering and gathering ----------------------------------------------------


@adjoint(numpy.sort)                            # z = numpy.sort(a, axis, kind)
def sort_adjoint(z, a, axis=-1, kind=None):
    d[a] = sort_adjoint_helper(d[z], a, axis, kind)


@tangent(numpy.sort)
def sort_tangent(z, a, axis=-1, kind=None):
    d[z] = sort_tangent_helper(d[a], a, axis, kind)


@adjoint(numpy.take)                            # z = numpy.take(a, indices, axis, mode=)
def take_adjoint(z, a, indices, axis=None, *, mode="raise"):
    d[a] = take_adjoint_helper(d[z], a, indices, axis, mode)


linear(numpy.take, "a")                        # numpy.take(a_dot, indices, axis, mode=)


@adjoint(numpy.bincount)                        # z = numpy.bincount(x, weights, minlength): z[k] = sum of weights[x == k]
def bincount_adjoint(z, x, weights=None, minlength=0):
    d[weights] = numpy.take(d[z], x)


linear(numpy.bincount, "weights")              # numpy.bincount(x, weights_dot, minlength)
