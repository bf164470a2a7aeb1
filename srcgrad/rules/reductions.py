"""Derivative rules for the reductions called with `dtype=`, `where=` or `initial=`.

`numpy.sum(a, where=m)` binds to no parameter of `numpy.sum`'s rule (numpy.py),
so it is differentiated by the rule of a `form` of `numpy.sum` (see
registry.Form): calls without these keywords keep the shorter code of the
first rule. Array methods share them; numpy.nansum and numpy.nanmean take the
same keywords, with NaN entries masked out as `where=False` ones are. (`x.sum(where=m)` is `numpy.sum(x, where=m)`).

- `where=` masks entries out: they get no gradient. A mask is boolean: it has
  no derivative itself.
- `initial=` joins the reduction as one more operand and carries its share of
  the gradient: all of it for each result of a sum, z / initial for a product,
  an even share of the ties for max and min (a tie between an entry and
  `initial` splits as between two entries).
- `dtype=` casts before reducing: a floating dtype gives the result and its
  derivative in that dtype; an integer or boolean dtype truncates the data,
  a piecewise constant function of it, whose derivative is zero (as for
  `a.astype(int)`).
"""
import numpy

from srcgrad.rules.registry import adjoint, constant_only, form, linear, tangent
from srcgrad.runtime import (
    astype_adjoint_helper,
    broadcast_like,
    cast_tangent,
    extreme_form_share,
    extreme_form_tangent,
    initial_factor,
    prod_adjoint_helper,
    prod_tangent_helper,
    std_where_adjoint,
    std_where_tangent,
    tangent_ratio,
    unreduce,
    var_where_adjoint,
    var_where_tangent,
    where_count,
)
from srcgrad.templates import d


def _distinct(*primitives):
    seen = []
    for p in primitives:
        if not any(p is q for q in seen):
            seen.append(p)
    return tuple(seen)


SUM = form(numpy.sum, "dtype=, initial=, where=")
MEAN = form(numpy.mean, "dtype=, where=")
PROD = form(numpy.prod, "dtype=, initial=, where=")
EXTREMES = tuple(form(p, "initial=, where=")
                 for p in _distinct(numpy.max, numpy.amax, numpy.min, numpy.amin))
VAR = form(numpy.var, "dtype=, where=")
STD = form(numpy.std, "dtype=, where=")
NANSUM = form(numpy.nansum, "dtype=, initial=, where=")
NANMEAN = form(numpy.nanmean, "dtype=, where=")

for _form in (VAR, STD):
    constant_only(_form, "ddof", "pass ddof as a constant (0 or 1), not a value computed from an input")


@adjoint(SUM)                                   # z = sum(where(where, a, 0), axis) + initial
def sum_form_adjoint(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    d[a] = astype_adjoint_helper(numpy.where(where, unreduce(d[z], a, axis, keepdims), 0.0), a, dtype)
    d[initial] = numpy.sum(d[z])


@tangent(SUM)
def sum_form_tangent(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    d[z] = numpy.sum(cast_tangent(d[a], dtype), axis, keepdims=keepdims, where=where)
    d[z] = broadcast_like(d[initial], z)


@adjoint(MEAN)                                  # z = sum(where(where, a, 0), axis) / count
def mean_form_adjoint(z, a, axis=None, dtype=None, *, keepdims=False, where=True):
    g = numpy.where(where, unreduce(d[z], a, axis, keepdims), 0.0) / where_count(a, axis, where)
    d[a] = astype_adjoint_helper(g, a, dtype)


@tangent(MEAN)                                  # an integer dtype: zero (cast_tangent)
def mean_form_tangent(z, a, axis=None, dtype=None, *, keepdims=False, where=True):
    d[z] = numpy.mean(cast_tangent(d[a], dtype), axis, keepdims=keepdims, where=where)


@adjoint(PROD)                                  # z = initial * prod(where(where, a, 1), axis)
def prod_form_adjoint(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    masked = numpy.where(where, a, 1.0)
    product = numpy.prod(masked, axis, keepdims=keepdims)
    g = prod_adjoint_helper(d[z] * initial_factor(initial), masked, product, axis, keepdims)
    d[a] = astype_adjoint_helper(numpy.where(where, g, 0.0), a, dtype)
    d[initial] = numpy.sum(d[z] * product)


@tangent(PROD)
def prod_form_tangent(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    masked = numpy.where(where, a, 1.0)
    product = numpy.prod(masked, axis, keepdims=keepdims)
    d[z] = prod_tangent_helper(numpy.where(where, cast_tangent(d[a], dtype), 0.0), masked, product, axis,
                               keepdims) * initial_factor(initial)
    d[z] = d[initial] * product


@adjoint(*EXTREMES)                             # z = max (min) of the selected entries and initial
def extreme_form_adjoint(z, a, axis=None, *, keepdims=False, initial=None, where=True):
    d[a] = extreme_form_share(d[z], a, z, axis, keepdims, initial, where, "a")
    d[initial] = extreme_form_share(d[z], a, z, axis, keepdims, initial, where, "initial")


@tangent(*EXTREMES)
def extreme_form_tangent_rule(z, a, axis=None, *, keepdims=False, initial=None, where=True):
    d[z] = extreme_form_tangent(d[a], a, z, axis, keepdims, initial, where, "a")
    d[z] = extreme_form_tangent(d[initial], a, z, axis, keepdims, initial, where, "initial")


@adjoint(VAR)                                   # the variance of the selected entries
def var_form_adjoint(z, a, axis=None, dtype=None, *, ddof=0, keepdims=False, where=True):
    d[a] = astype_adjoint_helper(var_where_adjoint(d[z], a, axis, ddof, keepdims, where), a, dtype)


@tangent(VAR)
def var_form_tangent(z, a, axis=None, dtype=None, *, ddof=0, keepdims=False, where=True):
    d[z] = var_where_tangent(cast_tangent(d[a], dtype), a, z, axis, ddof, keepdims, where)


@adjoint(STD)
def std_form_adjoint(z, a, axis=None, dtype=None, *, ddof=0, keepdims=False, where=True):
    d[a] = astype_adjoint_helper(std_where_adjoint(d[z], a, z, axis, ddof, keepdims, where), a, dtype)


@tangent(STD)
def std_form_tangent(z, a, axis=None, dtype=None, *, ddof=0, keepdims=False, where=True):
    d[z] = std_where_tangent(cast_tangent(d[a], dtype), a, z, axis, ddof, keepdims, where)


@adjoint(NANSUM)                                # sum with NaN entries (and where=False ones) as 0
def nansum_form_adjoint(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    keep = numpy.logical_and(where, numpy.logical_not(numpy.isnan(a)))
    d[a] = astype_adjoint_helper(numpy.where(keep, unreduce(d[z], a, axis, keepdims), 0.0), a, dtype)
    d[initial] = numpy.sum(d[z])


@tangent(NANSUM)
def nansum_form_tangent(z, a, axis=None, dtype=None, *, keepdims=False, initial=None, where=True):
    keep = numpy.logical_and(where, numpy.logical_not(numpy.isnan(a)))
    d[z] = numpy.sum(numpy.where(keep, cast_tangent(d[a], dtype), 0.0), axis, keepdims=keepdims)
    d[z] = broadcast_like(d[initial], z)


@adjoint(NANMEAN)                               # the mean of the entries selected and not NaN
def nanmean_form_adjoint(z, a, axis=None, dtype=None, *, keepdims=False, where=True):
    keep = numpy.logical_and(where, numpy.logical_not(numpy.isnan(a)))
    g = numpy.where(keep, unreduce(d[z], a, axis, keepdims), 0.0) / where_count(a, axis, keep)
    d[a] = astype_adjoint_helper(g, a, dtype)


@tangent(NANMEAN)
def nanmean_form_tangent(z, a, axis=None, dtype=None, *, keepdims=False, where=True):
    keep = numpy.logical_and(where, numpy.logical_not(numpy.isnan(a)))
    d[z] = numpy.sum(numpy.where(keep, cast_tangent(d[a], dtype), 0.0), axis, keepdims=keepdims) / \
        numpy.sum(keep, axis, keepdims=keepdims)


# --- tangents of the helpers above (second order: hvp, hessian, grad of grad) -----------

linear(extreme_form_share, "g")                 # the tie masks are piecewise constant
linear(initial_factor, "initial")


@tangent(var_where_adjoint)                     # bilinear in g and a (a - mean is linear in a)
def var_where_adjoint_tangent(out, g, a, axis=None, ddof=0, keepdims=False, where=True):
    d[out] = var_where_adjoint(d[g], a, axis, ddof, keepdims, where)
    d[out] = var_where_adjoint(g, d[a], axis, ddof, keepdims, where)


@tangent(std_where_adjoint)                     # the var adjoint of g / (2 z); 0 where z == 0
def std_where_adjoint_tangent(out, g, a, z, axis=None, ddof=0, keepdims=False, where=True):
    d[out] = std_where_adjoint(d[g], a, z, axis, ddof, keepdims, where)
    d[out] = std_where_adjoint(g, d[a], z, axis, ddof, keepdims, where)
    d[out] = -std_where_adjoint(tangent_ratio(g * d[z], z), a, z, axis, ddof, keepdims, where)
