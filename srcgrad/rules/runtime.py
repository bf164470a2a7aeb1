"""Derivative rules for srcgrad's own runtime helpers.

Generated derivatives call these helpers; with rules for them, generated
code is itself differentiable, which is how `hvp`, `hessian` and
`grad(grad(f))` work: forward mode applied to a reverse-mode derivative.
Most helpers are linear in the adjoint they move around (`linear(...)`);
the others get tangent templates. Shapes-only arguments carry no tangent.
"""
import numpy

from srcgrad import runtime
from srcgrad.rules.registry import adjoint, constant_only, linear, nondifferentiable, tangent
from srcgrad.runtime import (
    EinsumAdjointTangents,
    einsum_first_adjoint,
    einsum_first_adjoint_tangent,
    add_grad,
    concat_tangent,
    repeat_adjoint,
    repeat_adjoint_other_tangent,
    cholesky_adjoint_helper,
    cholesky_adjoint_tangent_z,
    cumprod_adjoint_helper,
    cumprod_adjoint_tangent_a,
    det_cofactor_tangent,
    dot_adjoint_left,
    dot_adjoint_right,
    inner_adjoint_left,
    inner_adjoint_right,
    loop_items_adjoint,
    loop_items_tangent,
    matmul_adjoint_left,
    matmul_adjoint_right,
    norm_adjoint_helper,
    norm_adjoint_tangent_x,
    prod_adjoint_helper,
    prod_adjoint_tangent_a,
    sinc_derivative_dx,
    sinc_derivative_dz,
    solve_adjoint_a,
    solve_adjoint_helper,
    solve_adjoint_tangent_a,
    std_adjoint_helper,
    tangent_ratio,
    tensordot_adjoint_left,
    tensordot_adjoint_right,
    var_adjoint_helper,
)
from srcgrad.templates import d

nondifferentiable(runtime.zeros_like, runtime.zeros_like_entry, runtime.reduced_size, runtime.method_axes,
                  runtime.shape_of, runtime.sign_of)

linear(runtime.unbroadcast, "g")
for _helper in (runtime.fill_adjoint, runtime.linspace_adjoint, runtime.arange_adjoint):
    linear(_helper, "g")
for _helper in (runtime.fill_tangent, runtime.linspace_tangent, runtime.arange_tangent):
    linear(_helper, "t")
linear(runtime.unbroadcast_to, "g")
linear(runtime.unbroadcast_against, "g")
linear(runtime.unreduce, "g")
linear(runtime.unindex, "g")
linear(runtime.zero_at, "g")
linear(runtime.written_adjoint, "g")
linear(runtime.fill_grad, "g")
linear(runtime.unpack_adjoint, "g")
linear(runtime.dict_unpack_adjoint, "g")
linear(runtime.list_adjoint_helper, "g")
linear(runtime.list_tangent_helper, "t")
linear(runtime.sorted_adjoint, "g")              # the items only choose the permutation
linear(runtime.sorted_tangent, "t")
linear(runtime.last_item_adjoint, "g")
linear(runtime.drop_last, "g")
linear(runtime.copy_slice, "x")
linear(runtime.owned, "g")
linear(runtime.owned_adjoint, "g")
linear(runtime.owned_tangent, "t")
linear(runtime.broadcast_like, "t")
linear(runtime.fresh_tape, "tape")
linear(runtime.copy_stack, "stack")
linear(runtime.rule_gradients, "result")
linear(runtime.concat_adjoint_left, "g")
linear(runtime.concat_adjoint_right, "g")


@adjoint(runtime.loop_items)                   # z = loop_items(x): x itself, or a dict's keys
def loop_items_adjoint_rule(z, x):              # (the keys are constants: no adjoint)
    d[x] = loop_items_adjoint(d[z], x)


@tangent(runtime.loop_items)
def loop_items_tangent_rule(z, x):
    d[z] = loop_items_tangent(d[x], x)


linear(runtime.loop_items_adjoint, "g")
linear(runtime.loop_items_tangent, "t")


@adjoint(runtime.in_place_result)              # z = in_place_result(value, a, "+="): what `a += e`
def in_place_result_adjoint(z, value, target, kind):  # leaves in a; rounding to a's dtype passes
    d[value] = d[z]                             # the adjoint on whole (as astype does)


@tangent(runtime.in_place_result)
def in_place_result_tangent(z, value, target, kind):
    d[z] = d[value]


@tangent(runtime.add_grad)                      # z = add_grad(a, b): a + b for adjoints
def add_grad_tangent(z, a, b):                  # one line: `+` would join two lists
    d[z] = add_grad(d[a], d[b])


@tangent(runtime.concat_tangent)
def concat_tangent_tangent(out, t1, t2, z):
    d[out] = concat_tangent(d[t1], d[t2], z)


@tangent(runtime.repeat_adjoint)                # linear in g; `other` only where it multiplies
def repeat_adjoint_tangent(out, g, x, other):
    d[out] = repeat_adjoint(d[g], x, other)
    d[out] = repeat_adjoint_other_tangent(g, x, d[other])


@tangent(runtime.matmul_adjoint_left)           # z = g @ b.T, shaped like a
def matmul_adjoint_left_tangent(z, g, a, b):
    d[z] = matmul_adjoint_left(d[g], a, b)
    d[z] = matmul_adjoint_left(g, a, d[b])


@tangent(runtime.matmul_adjoint_right)          # z = a.T @ g, shaped like b
def matmul_adjoint_right_tangent(z, g, a, b):
    d[z] = matmul_adjoint_right(d[g], a, b)
    d[z] = matmul_adjoint_right(g, d[a], b)


@tangent(runtime.log_or_zero)                   # z = log(x), 0 where x == 0
def log_or_zero_tangent(z, x):
    d[z] = d[x] * numpy.not_equal(x, 0) / (x + numpy.equal(x, 0))


# --- the helpers of the rules in numpy.py, shapes.py, ndarray.py, linalg.py and
# builtins.py. The selection masks of maximum, clip, sort, max/min, ... are
# piecewise constant in the primal values, so those helpers are linear in `g`
# alone (almost everywhere). The helpers of smooth rules (prod, var, std,
# cumprod, norm, solve, cholesky, hypot, sinc) get tangent templates. Where a
# helper takes both a primal `x` and its result `z = f(x)` (prod, cumprod,
# norm), the `x` line is the whole derivative, z's tangent computed inside:
# the helper's value is a function of `x` alone, so `z` needs no line. Results
# are named `out`, as several helpers have a parameter `z`.

linear(runtime.tie_share, "g")
linear(runtime.choice_share, "g")
linear(runtime.clip_share, "g")
linear(runtime.unreduce_extreme, "g")
linear(runtime.cumsum_adjoint_helper, "g")
linear(runtime.sort_adjoint_helper, "g")
linear(runtime.take_adjoint_helper, "g")
linear(runtime.reshape_adjoint_helper, "g")
linear(runtime.transpose_adjoint_helper, "g")
linear(runtime.concatenate_adjoint_helper, "g")
linear(runtime.stack_adjoint_helper, "g")
linear(runtime.promoted_stack_adjoint_helper, "g")
linear(runtime.tile_adjoint_helper, "g")
linear(runtime.repeat_adjoint_helper, "g")
linear(runtime.pad_adjoint_helper, "g")
linear(runtime.pad_constant_values_adjoint_helper, "g")
linear(runtime.array_adjoint_helper, "g")
linear(runtime.astype_adjoint_helper, "g")
linear(runtime.diag_adjoint_helper, "g")
linear(runtime.diagonal_adjoint_helper, "g")
linear(runtime.append_adjoint_helper, "g")
linear(runtime.item_adjoint_helper, "g")
linear(runtime.float_adjoint_helper, "g")
linear(runtime.sum_adjoint_helper, "g")
linear(runtime.extreme_share, "g")                # the items and z only choose where g goes
linear(runtime.extreme_pick, "tangents")
linear(runtime.trace_adjoint_helper, "g")


@tangent(runtime.sinc_derivative)               # out = (cos(pi x) - z) / x, 0 at x == 0
def sinc_derivative_tangent(out, x, z):
    d[out] = d[x] * sinc_derivative_dx(x, z)
    d[out] = sinc_derivative_dz(d[z], x)


@tangent(runtime.prod_adjoint_helper)           # g times the product of the others; z = prod(a)
def prod_adjoint_helper_tangent(out, g, a, z, axis=None, keepdims=False):
    d[out] = prod_adjoint_helper(d[g], a, z, axis, keepdims)
    d[out] = prod_adjoint_tangent_a(g, d[a], a, axis, keepdims)


@tangent(runtime.var_adjoint_helper)            # bilinear: unreduce(g) (a - mean(a)) 2 / (N - ddof)
def var_adjoint_helper_tangent(out, g, a, axis=None, ddof=0, keepdims=False):
    d[out] = var_adjoint_helper(d[g], a, axis, ddof, keepdims)
    d[out] = var_adjoint_helper(g, d[a], axis, ddof, keepdims)


@tangent(runtime.std_adjoint_helper)            # the var adjoint of g / (2 z); 0 where z == 0
def std_adjoint_helper_tangent(out, g, a, z, axis=None, ddof=0, keepdims=False):
    d[out] = std_adjoint_helper(d[g], a, z, axis, ddof, keepdims)
    d[out] = std_adjoint_helper(g, d[a], z, axis, ddof, keepdims)
    d[out] = -std_adjoint_helper(tangent_ratio(g * d[z], z), a, z, axis, ddof, keepdims)


@tangent(runtime.cumprod_adjoint_helper)        # z = cumprod(a): the a line is the whole derivative
def cumprod_adjoint_helper_tangent(out, g, a, z, axis=None):
    d[out] = cumprod_adjoint_helper(d[g], a, z, axis)
    d[out] = cumprod_adjoint_tangent_a(g, d[a], a, z, axis)


@tangent(runtime.dot_adjoint_left)              # bilinear in g and b (a gives shapes only)
def dot_adjoint_left_tangent(out, g, a, b):
    d[out] = dot_adjoint_left(d[g], a, b)
    d[out] = dot_adjoint_left(g, a, d[b])


@tangent(runtime.dot_adjoint_right)             # bilinear in g and a
def dot_adjoint_right_tangent(out, g, a, b):
    d[out] = dot_adjoint_right(d[g], a, b)
    d[out] = dot_adjoint_right(g, d[a], b)


@tangent(runtime.inner_adjoint_left)
def inner_adjoint_left_tangent(out, g, a, b):
    d[out] = inner_adjoint_left(d[g], a, b)
    d[out] = inner_adjoint_left(g, a, d[b])


@tangent(runtime.inner_adjoint_right)
def inner_adjoint_right_tangent(out, g, a, b):
    d[out] = inner_adjoint_right(d[g], a, b)
    d[out] = inner_adjoint_right(g, d[a], b)


@tangent(runtime.tensordot_adjoint_left)
def tensordot_adjoint_left_tangent(out, g, a, b, axes=2):
    d[out] = tensordot_adjoint_left(d[g], a, b, axes)
    d[out] = tensordot_adjoint_left(g, a, d[b], axes)


@tangent(runtime.tensordot_adjoint_right)
def tensordot_adjoint_right_tangent(out, g, a, b, axes=2):
    d[out] = tensordot_adjoint_right(d[g], a, b, axes)
    d[out] = tensordot_adjoint_right(g, d[a], b, axes)


@tangent(runtime.EinsumAdjoints)                # an indexable object: operand i's adjoint at [i]
def einsum_adjoints_tangent(out, g, subscripts, operands):
    d[out] = EinsumAdjointTangents(d[g], subscripts, operands)
    d[out] = EinsumAdjointTangents(g, subscripts, operands, d[operands])
    d[out] = EinsumAdjointTangents(g, subscripts, operands, None, d[subscripts])  # sublist form


@tangent(runtime.einsum_first_adjoint)          # the sublist form's first array: not in its own adjoint
def einsum_first_adjoint_tangent_rule(out, g, subscripts, operands):
    d[out] = einsum_first_adjoint(d[g], subscripts, operands)
    d[out] = einsum_first_adjoint_tangent(g, subscripts, operands, d[operands])


@tangent(runtime.norm_adjoint_helper)           # z = norm(x): the x line is the whole derivative
def norm_adjoint_helper_tangent(out, g, x, z, ord=None, axis=None, keepdims=False):
    d[out] = norm_adjoint_helper(d[g], x, z, ord, axis, keepdims)
    d[out] = norm_adjoint_tangent_x(g, d[x], x, z, ord, axis, keepdims)


@tangent(runtime.solve_adjoint_helper)          # out = solve(a^T, g); b gives the layout only
def solve_adjoint_helper_tangent(out, g, a, b):
    d[out] = solve_adjoint_helper(d[g], a, b)
    d[out] = solve_adjoint_tangent_a(d[a], out, a, b)


@tangent(runtime.solve_adjoint_a)               # out = -y z^T, unbroadcast to a: bilinear
def solve_adjoint_a_tangent(out, y, z, a, b):
    d[out] = solve_adjoint_a(d[y], z, a, b)
    d[out] = solve_adjoint_a(y, d[z], a, b)


@tangent(runtime.det_cofactor)                  # second derivatives of det, finite everywhere
def det_cofactor_tangent_rule(out, a):
    d[out] = det_cofactor_tangent(a, d[a])


linear(runtime.det_cofactor_tangent, "e")
constant_only(runtime.det_cofactor_tangent, "a", "third derivatives of numpy.linalg.det are not supported")


@tangent(runtime.cholesky_adjoint_helper)       # linear in g; smooth in z
def cholesky_adjoint_helper_tangent(out, g, z):
    d[out] = cholesky_adjoint_helper(d[g], z)
    d[out] = cholesky_adjoint_tangent_z(g, d[z], z)


@tangent(runtime.masked_product)                # out = g * factor, 0 where g is 0
def masked_product_tangent(out, g, factor):
    d[out] = runtime.masked_product(d[g], factor)
    d[out] = runtime.masked_product(g, d[factor])


@tangent(runtime.selected_product)              # masked_product for a product's adjoint
def selected_product_tangent(out, g, factor):
    d[out] = runtime.selected_product(d[g], factor)
    d[out] = runtime.selected_product(g, d[factor])


@tangent(runtime.tangent_ratio)                 # out = t / denom, 0 where t is 0
def tangent_ratio_tangent(out, t, denom):
    d[out] = runtime.tangent_ratio(d[t], denom)
    d[out] = -runtime.tangent_ratio(runtime.masked_product(out, d[denom]), denom)


@tangent(runtime.pole_ratio)                  # out = t / denom on numbers, 0 where t is 0
def pole_ratio_tangent(out, t, denom):
    d[out] = runtime.pole_ratio(d[t], denom)
    d[out] = -runtime.pole_ratio(runtime.masked_product(out, d[denom]), denom)


@tangent(runtime.radial_share)                  # out = g x / r, 0 where r is 0 (hypot at the origin)
def radial_share_tangent(out, g, x, r):
    d[out] = runtime.radial_share(d[g], x, r)
    d[out] = runtime.radial_share(g, d[x], r)
    d[out] = -runtime.radial_share(out, d[r], r)


@tangent(runtime.power_derivative)              # out = c * x ** (c - 1)
def power_derivative_tangent(out, x, c):
    d[out] = runtime.masked_product(d[x], c * runtime.power_derivative(x, c - 1))
    d[out] = d[c] * x ** (c - 1)
    d[out] = runtime.exponent_tangent(d[c], c * x ** (c - 1), x)

linear(runtime.record_adjoint, "entries")
