"""Cases for srcgrad/rules/runtime.py: the helpers generated derivatives call.

They have forward rules only (forward mode differentiates reverse-mode code:
hvp, hessian, grad of grad), so their cases run in forward mode; the
zero-gradient ones in both.
"""
import numpy as np

from rule_cases import C, P, R, case
from srcgrad import runtime as rt

FWD = ("forward",)


@case(rt.zeros_like, rt.reduced_size, rt.shape_of, rt.sign_of, variants=[(R(2, 3), C(2, 3))])
def zero_helpers_case(x, c):
    return np.sum((rt.zeros_like(x) + x * rt.reduced_size(x, 1) * len(rt.shape_of(x)) * rt.sign_of(x)) * c)


@case(rt.zeros_like_entry, variants=[(np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]]), np.array([1.5, -0.5, 0.25]))])
def zero_entry_case(x, c):  # (fixed samples: the shared generator's draws stay as they were)
    return np.sum((rt.zeros_like_entry({"w": x}, "w") + x * x) * c)


@case(rt.unbroadcast, variants=[(R(3, 4), R(1, 4), C(1, 4)), (R(2, 3), R(), C())], modes=FWD)
def unbroadcast_case(g, x, c):
    return np.sum(rt.unbroadcast(g * g, x) * c)


@case(rt.unbroadcast_against, variants=[(R(3, 4), R(3, 4), C(3, 4)), (R(1, 4), R(3, 4), C(3, 4)),
                                        (R(4), R(3, 1), C(3, 1)), (R(), R(2, 3), C(2, 3))], modes=FWD)
def unbroadcast_against_case(g, x, c):
    return np.sum(rt.unbroadcast_against(g * g, x) * c)


@case(rt.unbroadcast_to, variants=[(R(3, 4), C(1, 4)), (R(2, 3, 4), C(3, 1)), (R(2, 3), C())], modes=FWD)
def unbroadcast_to_case(g, c):
    return np.sum(rt.unbroadcast_to(g * g, np.shape(c)) * c)


@case(rt.unreduce, variants=[(R(3), R(4, 3), C(4, 3))], modes=FWD)
def unreduce_case(g, a, c):
    return np.sum(rt.unreduce(g * g, a, 0, False) * c)


@case(rt.unindex, rt.zero_at, rt.written_adjoint, rt.copy_slice, rt.owned, rt.owned_adjoint,
      variants=[(R(5), R(5), C(5))], modes=FWD)
def index_helpers_case(g, x, c):
    a = rt.unindex(g[1:3] * g[1:3], x, slice(1, 3))
    b = rt.zero_at(a * g, 2)
    v = rt.written_adjoint(b * g, np.array([0, 0, 4]), x[:3])
    s = rt.copy_slice(b * x, slice(0, 2))
    return np.sum(b * c) + np.sum(v * c[:3]) + np.sum(rt.owned(s * g[:2])) + np.sum(rt.owned_adjoint(g * x) * c)


@case(rt.add_grad, rt.fill_grad, rt.unpack_adjoint, rt.dict_unpack_adjoint, rt.last_item_adjoint,
      rt.drop_last, rt.rule_gradients, variants=[(R(3), R(3), C(3))], modes=FWD)
def container_helpers_case(x, y, c):
    t = rt.add_grad((x * y, None), (y, x))
    u = rt.fill_grad([t[0], None], [x, y])
    w = rt.unpack_adjoint(u, (x, y))
    m = rt.dict_unpack_adjoint({"a": w[0] * x}, ("a", "b"), (x, y))
    last = rt.last_item_adjoint([w[1], m[0]], y)
    rest = rt.drop_last([m[0] * y, last])
    r = rt.rule_gradients(rest[0] * x, (x,), 'rule')
    return np.sum((w[0] + w[1] + m[1] + last + r[0]) * c)


@case(rt.broadcast_like, rt.owned_tangent, rt.fresh_tape, rt.copy_stack, variants=[(R(3), R(2, 3), C(2, 3))],
      modes=FWD)
def tangent_helpers_case(t, z, c):
    b = rt.broadcast_like(t * t, z)
    o = rt.owned_tangent(b * z)
    f = rt.fresh_tape((o, t))
    s = rt.copy_stack([f[1] * t, f[0]])
    return np.sum(s[1] * c) + np.sum(s[0])


@case(rt.matmul_adjoint_left, rt.matmul_adjoint_right,
      variants=[(R(3, 5), R(3, 4), R(4, 5), C(3, 4), C(4, 5))], wrt=(0, 1, 2), modes=FWD)
def matmul_helpers_case(g, a, b, c1, c2):
    return np.sum(rt.matmul_adjoint_left(g, a, b) * c1) + np.sum(rt.matmul_adjoint_right(g, a, b) * c2)


@case(rt.log_or_zero, variants=[(P(4), C(4))], modes=FWD)
def log_or_zero_case(x, c):
    return np.sum(rt.log_or_zero(x) * c)


# --- helpers of the numpy, shapes, ndarray, linalg and builtins rules ----------
# The masks of tie_share, choice_share, clip_share, sort, ... are constant away from ties; the
# helpers taking a result `z = f(a)` (prod, cumprod, norm) get it computed here
# from `a`, as in reverse-mode code (their tangent rules rely on that).


@case(rt.tie_share, rt.choice_share, rt.clip_share, variants=[(R(4), R(4), R(4), C(4))],
      wrt=(0, 1, 2), modes=FWD)
def share_helpers_case(g, w, v, c):
    a = rt.tie_share(g * g, w, v)
    b = rt.choice_share(g * w, w, v, np.fmax(w, v))
    e = rt.clip_share(g * v, w, -0.25, 0.25, "a")
    f = rt.clip_share(g * w, w, v, None, "a_min")
    return np.sum((a + b + e + f) * c)


@case(rt.unreduce_extreme, rt.cumsum_adjoint_helper, rt.sort_adjoint_helper, rt.take_adjoint_helper,
      variants=[(R(3), R(4, 3), C(4, 3))], wrt=(0, 1), modes=FWD)
def reduction_helpers_case(g, a, c):
    m = rt.unreduce_extreme(g * g, a, np.max(a, axis=0), 0, False)
    s = rt.cumsum_adjoint_helper(a * g, a, 1)
    o = rt.sort_adjoint_helper(a * a, a, 0)
    t = rt.take_adjoint_helper(a[:2] * g, a, [2, 2], 0)
    return np.sum((m + s + o + t) * c)


@case(rt.sinc_derivative, variants=[(P(4), R(4), C(4)), (-0.7, 0.3, C())], wrt=(0, 1), modes=FWD)
def sinc_derivative_case(x, z, c):
    return np.sum(rt.sinc_derivative(x, z) * c)


def _with_zeros():
    a = R(3, 4)
    a[0, 1] = 0.0                  # column 1: one zero
    a[1, 2] = a[2, 2] = 0.0        # column 2: two zeros
    a[:, 3] = 0.0                  # column 3: three zeros
    return a


@case(rt.prod_adjoint_helper, variants=[(R(4), R(3, 4), C(3, 4)), (R(4), _with_zeros(), C(3, 4))],
      wrt=(0, 1), modes=FWD)
def prod_adjoint_helper_case(g, a, c):
    return np.sum(rt.prod_adjoint_helper(g * g, a, np.prod(a, axis=0), 0) * c)


@case(rt.prod_adjoint_helper, variants=[(R(), R(2, 3), C(2, 3)), (R(), _with_zeros()[:, :2], C(3, 2))],
      wrt=(0, 1), modes=FWD)
def prod_adjoint_helper_all_case(g, a, c):
    return np.sum(rt.prod_adjoint_helper(g, a, np.prod(a), None, False) * c)


@case(rt.var_adjoint_helper, variants=[(R(3), R(4, 3), C(4, 3))], wrt=(0, 1), modes=FWD)
def var_adjoint_helper_case(g, a, c):
    return np.sum(rt.var_adjoint_helper(g * g, a, 0, 1, False) * c)


@case(rt.std_adjoint_helper, variants=[(R(3), R(4, 3), P(3), C(4, 3))], wrt=(0, 1, 2), modes=FWD)
def std_adjoint_helper_case(g, a, z, c):
    return np.sum(rt.std_adjoint_helper(g, a, z, 0) * c)


@case(rt.std_adjoint_helper, variants=[(R(1, 3), R(4, 3), C(4, 3))], wrt=(0, 1), modes=FWD)
def std_adjoint_helper_consistent_case(g, a, c):
    return np.sum(rt.std_adjoint_helper(g, a, np.std(a, axis=0, keepdims=True), 0, 0, True) * c)


@case(rt.cumprod_adjoint_helper, variants=[(R(3, 4), R(3, 4), C(3, 4)), (R(3, 4), _with_zeros(), C(3, 4))],
      wrt=(0, 1), modes=FWD)
def cumprod_adjoint_helper_case(g, a, c):
    return np.sum(rt.cumprod_adjoint_helper(g, a, np.cumprod(a, axis=1), 1) * c)


@case(rt.cumprod_adjoint_helper, variants=[(R(6), R(2, 3), C(2, 3)), (R(12), _with_zeros(), C(3, 4))],
      wrt=(0, 1), modes=FWD)
def cumprod_adjoint_helper_flat_case(g, a, c):
    return np.sum(rt.cumprod_adjoint_helper(g, a, np.cumprod(a)) * c)


@case(rt.reshape_adjoint_helper, rt.transpose_adjoint_helper, rt.tile_adjoint_helper,
      rt.repeat_adjoint_helper, rt.pad_adjoint_helper, rt.pad_constant_values_adjoint_helper,
      rt.diag_adjoint_helper, rt.diagonal_adjoint_helper, rt.trace_adjoint_helper,
      variants=[(R(2, 3), R(6), R(), C(2, 3), C(3, 2))], wrt=(0, 1, 2), modes=FWD)
def shape_helpers_case(a, g, v, c1, c2):
    r = rt.reshape_adjoint_helper(g * g, a)
    t = rt.transpose_adjoint_helper(a * r, (1, 0))
    i = rt.tile_adjoint_helper(np.concatenate([a, a], axis=1) * v, a, (1, 2))
    p = rt.repeat_adjoint_helper(np.repeat(a, 2, axis=0) * v, a, 2, 0)
    e = rt.pad_adjoint_helper(np.pad(a * a, 1, mode="edge"), a, 1, "edge")
    k = rt.pad_constant_values_adjoint_helper(np.pad(a * v, 1), a, 1, v)
    q = rt.diag_adjoint_helper(a[:, :2] * v, a[0, :2], 0)
    s = rt.diagonal_adjoint_helper(g[:2] * v, a, 1, 0, 1)
    u = rt.trace_adjoint_helper(v * v, a, 0, 1, 0)
    return np.sum(t * c2) + np.sum((r + i + p + e + s + u) * c1) + k * v + np.sum(q * c1[0, :2])


@case(rt.concatenate_adjoint_helper, rt.stack_adjoint_helper, rt.promoted_stack_adjoint_helper,
      rt.array_adjoint_helper, rt.append_adjoint_helper, rt.sum_adjoint_helper,
      variants=[(R(2, 3), R(3), C(2, 3), C(3))], wrt=(0, 1), modes=FWD)
def container_shape_helpers_case(a, b, c1, c2):
    p = rt.concatenate_adjoint_helper(np.vstack([a, b]) * b, [a, b[None]], 0)
    s = rt.stack_adjoint_helper(a * a, [b, b], 0)
    h = rt.promoted_stack_adjoint_helper(np.hstack([b, b]) * 2.0, [b, b * b], "h")
    y = rt.array_adjoint_helper(a * b, [b, b], None)
    e = rt.append_adjoint_helper(np.append(a, b) * 3.0, a, b)
    m = rt.sum_adjoint_helper(a * b, [b, a])
    first = np.sum(p[0] * c1) + np.sum(e[0] * c1) + np.sum(m[1] * c1)
    second = np.sum((p[1][0] + s[0] + s[1] + h[0] + h[1] + y[0] + y[1] + e[1] + m[0]) * c2)
    return first + second


@case(rt.astype_adjoint_helper, rt.item_adjoint_helper, rt.float_adjoint_helper,
      variants=[(R(2, 3), R(), C(2, 3))], wrt=(0, 1), modes=FWD)
def scalar_shape_helpers_case(a, v, c):
    t = rt.astype_adjoint_helper(a * v, a, "float64")
    i = rt.item_adjoint_helper(v * v, a, (1, 2))
    f = rt.float_adjoint_helper(v * a[0, 1], 2.0)
    return np.sum((t + i) * c) + f * v


@case(rt.dot_adjoint_left, rt.dot_adjoint_right, rt.inner_adjoint_left, rt.inner_adjoint_right,
      variants=[(R(3, 5), R(3, 4), R(4, 5), C(3, 4), C(4, 5)),
                (R(3), R(3, 4), R(4), C(3, 4), C(4)),
                (R(3, 2, 5), R(3, 4), R(2, 4, 5), C(3, 4), C(2, 4, 5))],
      wrt=(0, 1, 2), modes=FWD)
def dot_helpers_case(g, a, b, c1, c2):
    return np.sum(rt.dot_adjoint_left(g, a, b) * c1) + np.sum(rt.dot_adjoint_right(g, a, b) * c2)


@case(rt.dot_adjoint_left, rt.dot_adjoint_right, variants=[(R(3), R(), R(3), C(), C(3))],
      wrt=(0, 1, 2), modes=FWD)
def dot_helpers_scalar_case(g, a, b, c1, c2):
    return rt.dot_adjoint_left(g, a, b) * c1 + np.sum(rt.dot_adjoint_right(g, a, b) * c2)


@case(rt.inner_adjoint_left, rt.inner_adjoint_right,
      variants=[(R(3, 2), R(3, 4), R(2, 4), C(3, 4), C(2, 4)), (R(3), R(3, 4), R(4), C(3, 4), C(4))],
      wrt=(0, 1, 2), modes=FWD)
def inner_helpers_case(g, a, b, c1, c2):
    return np.sum(rt.inner_adjoint_left(g, a, b) * c1) + np.sum(rt.inner_adjoint_right(g, a, b) * c2)


@case(rt.tensordot_adjoint_left, rt.tensordot_adjoint_right,
      variants=[(R(2, 5), R(2, 3, 4), R(4, 3, 5), C(2, 3, 4), C(4, 3, 5))], wrt=(0, 1, 2), modes=FWD)
def tensordot_helpers_case(g, a, b, c1, c2):
    left = rt.tensordot_adjoint_left(g, a, b, ([1, 2], [1, 0]))
    right = rt.tensordot_adjoint_right(g, a, b, ([1, 2], [1, 0]))
    return np.sum(left * c1) + np.sum(right * c2)


@case(rt.EinsumAdjoints, variants=[(R(3), R(3, 4), R(4, 2), R(2), C(3, 4), C(4, 2), C(2))],
      wrt=(0, 1, 2, 3), modes=FWD)
def einsum_adjoints_case(g, a, b, e, c1, c2, c3):
    adj = rt.EinsumAdjoints(g * g, "ij,jk,k->i", (a, b, e))
    return np.sum(adj[0] * c1) + np.sum(adj[1] * c2) + np.sum(adj[2] * c3)


@case(rt.norm_adjoint_helper, variants=[(R(), R(5), C(5))], wrt=(0, 1), modes=FWD)
def norm_adjoint_helper_case(g, x, c):
    two = rt.norm_adjoint_helper(g, x, np.linalg.norm(x))
    p3 = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, 3), 3)
    one = rt.norm_adjoint_helper(g * g, x, np.linalg.norm(x, 1), 1)
    return np.sum((two + p3 + one) * c)


@case(rt.norm_adjoint_helper, variants=[(R(3), R(3, 4), C(3, 4))], wrt=(0, 1), modes=FWD)
def norm_adjoint_helper_axis_case(g, x, c):
    rows = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, axis=1), None, 1)
    fro = rt.norm_adjoint_helper(g[0], x, np.linalg.norm(x, "fro"), "fro")
    inf = rt.norm_adjoint_helper(g[1], x, np.linalg.norm(x, np.inf), np.inf)
    return np.sum((rows + fro + inf) * c)


@case(rt.norm_adjoint_helper, variants=[(R(), R(3, 4), C(3, 4)), (R(), R(4, 3), C(4, 3))],
      wrt=(0, 1), modes=FWD)
def norm_adjoint_helper_singular_case(g, x, c):
    two = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, 2), 2)
    low = rt.norm_adjoint_helper(g * g, x, np.linalg.norm(x, -2), -2)
    nuc = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, "nuc"), "nuc")
    return np.sum((two + low + nuc) * c)


@case(rt.norm_adjoint_helper, variants=[(R(2), R(3, 2, 4), C(3, 2, 4))], wrt=(0, 1), modes=FWD)
def norm_adjoint_helper_singular_stack_case(g, x, c):
    two = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, 2, (0, 2)), 2, (0, 2))
    nuc = rt.norm_adjoint_helper(g, x, np.linalg.norm(x, "nuc", (2, 0)), "nuc", (2, 0))
    return np.sum((two + nuc) * c)


def _spd(n):
    m = R(n, n)
    return m @ m.T + n * np.eye(n)


@case(rt.solve_adjoint_helper, rt.solve_adjoint_a,
      variants=[(R(3), _spd(3) + R(3, 3), R(3), C(3), C(3, 3)),
                (R(3, 2), _spd(3) + R(3, 3), R(3, 2), C(3, 2), C(3, 3))],
      wrt=(0, 1), modes=FWD)
def solve_helpers_case(g, a, b, c1, c2):
    y = rt.solve_adjoint_helper(g, a, b)
    return np.sum(y * c1) + np.sum(rt.solve_adjoint_a(y * y, g * g, a, b) * c2)


@case(rt.cholesky_adjoint_helper, variants=[(R(3, 3), np.linalg.cholesky(_spd(3)), C(3, 3))],
      wrt=(0, 1), modes=FWD)
def cholesky_adjoint_helper_case(g, z, c):
    return np.sum(rt.cholesky_adjoint_helper(g, z) * c)


@case(rt.method_axes, variants=[(R(2, 3), C(3, 2))])
def method_axes_case(x, c):
    return np.sum(np.transpose(x, rt.method_axes((1, 0))) * c)


@case(rt.masked_product, rt.selected_product, rt.tangent_ratio, rt.power_derivative,
      variants=[(P(4), P(4), C(4))], wrt=(0, 1), modes=FWD)
def infinite_derivative_helpers_case(x, y, c):
    a = rt.masked_product(x * y, np.exp(x)) + rt.selected_product(y * y, np.cos(x))
    b = rt.tangent_ratio(a * x, y + 1.0)
    return np.sum((b + rt.power_derivative(x, y) + rt.power_derivative(x, 2.5)) * c)


@case(rt.record_adjoint, variants=[(R(3), R(), C(3))], wrt=(0, 1), modes=FWD)
def record_adjoint_case(x, y, c):
    t = rt.record_adjoint((0.0, 0.0, 0.0), {0: x * y, 2: y})
    return np.sum(t[0] * c) + t[2] * y


@case(rt.fill_adjoint, rt.fill_tangent, rt.linspace_adjoint, rt.linspace_tangent,
      rt.arange_adjoint, rt.arange_tangent, variants=[(R(4), R(), C(4))], modes=FWD)
def constructor_helpers_case(g, v, c):
    z = np.linspace(0.0, 1.0, 4)
    f = rt.fill_adjoint(g * g, z, v) + np.sum(rt.fill_tangent(v * v, z) * c)
    s = rt.linspace_adjoint(g * g, z, v, 4, True, 0, 1) + np.sum(rt.linspace_tangent(v * v, z, 4, False, 0, 0) * c)
    a = rt.arange_adjoint(g * g, z, v, 2.0, 2) + np.sum(rt.arange_tangent(v * v, z, 2.0, 2) * c)
    return f + s + a


@case(rt.concat_adjoint_left, rt.concat_adjoint_right, rt.concat_tangent, rt.repeat_adjoint,
      variants=[(R(3), R(), C(3))], wrt=(0, 1), modes=FWD)
def sequence_helpers_case(g, y, c):
    parts = [g * y, y]
    left = rt.concat_adjoint_left(parts + [g], [c, 1.0], [c])  # lists: split
    right = rt.concat_adjoint_right(parts + [g], [c, 1.0], [c])
    joined = rt.concat_tangent(left, right, [c, 1.0, c])
    twice = [joined[0], joined[1], joined[2]] * 2
    summed = rt.repeat_adjoint(twice, [c, 1.0, c], 2)  # a list: its copies summed
    scaled = rt.repeat_adjoint(g * y, c, y * y)  # arithmetic: the product's adjoint
    both = rt.concat_tangent(g * y, scaled, c)
    return np.sum(summed[0] * summed[2] * c) + summed[1] * y + np.sum(both * c) \
        + np.sum(rt.concat_adjoint_left(g * g, c, y) * c)


@case(rt.list_adjoint_helper, rt.list_tangent_helper, variants=[(R(2, 3), C(3))], modes=FWD)
def list_helpers_case(g, c):
    rows = rt.list_adjoint_helper([g[0] * g[1], g[1]], g)  # an array's rows: stacked
    items = rt.list_adjoint_helper((g[0] * g[0], c), (c, c))
    keys = rt.list_tangent_helper(g, {"a": c, "b": c})
    return np.sum(rows * c) + np.sum(items[0] * c) + np.sum(rt.list_tangent_helper(g * g, g)[1] * c) + keys[0]


@case(rt.loop_items, variants=[(R(3), R(2, 3), C(3))], wrt=(0, 1))
def loop_items_case(x, a, c):
    items = rt.loop_items([x * 2.0, x * x])  # a list: itself
    rows = rt.loop_items(a * a)  # an array: itself
    keys = rt.loop_items({"p": x, "q": a})  # a dict: its keys, no gradient
    return np.sum(items[0] * items[1] * c) + np.sum(rows[1] * c) * len(keys[0])


@case(rt.loop_items_adjoint, rt.loop_items_tangent, variants=[(R(2, 3), C(3))], modes=FWD)
def loop_items_helpers_case(g, c):
    rows = rt.loop_items_adjoint(g * g, g)  # an array: the adjoint itself
    items = rt.loop_items_tangent([g[0] * g[1], c], [c, c])  # a list: the tangent itself
    keys = rt.loop_items_tangent(g, {"a": c, "b": c})  # a dict's keys: zeros
    return np.sum(rows[1] * c) + np.sum(items[0] * c) + keys[1]


# fixed samples: the shared generator's draws for the cases below stay as they were
@case(rt.radial_share, variants=[(np.array([0.3, -1.2, 0.8]), np.array([-0.5, 0.9, 1.4]), np.array([0.7, 1.3, 2.1]),
                                  np.array([1.1, -0.4, 0.6])), (0.45, -0.8, 1.6, 0.9)], wrt=(0, 1, 2), modes=FWD)
def radial_share_case(g, x, r, c):
    return np.sum(rt.radial_share(g * x, x, r + g * g) * c)


@case(rt.pole_ratio, variants=[(P(), P(), C()) for _ in range(2)] + [(-P(), P(), C())], wrt=(0, 1), modes=FWD)
def pole_ratio_case(x, y, c):
    return rt.pole_ratio(x * y, y + 1.0) * c


@case(rt.extreme_share, rt.extreme_pick, variants=[(R(), R(4), C(4))], wrt=(0, 1), modes=FWD)
def extreme_of_helpers_case(g, a, c):
    items = [a[0], a[1], a[2] * a[3]]
    shared = rt.extreme_share(g * g, items, max(items))
    picked = rt.extreme_pick([g * a[0], g, a[1]], items, min(items))
    return np.sum(rt.extreme_share(g, a, max(a)) * c) + (shared[0] + shared[2] * 2.0 + picked) * c[0]


_RANK_TWO = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])


@case(rt.det_cofactor, variants=[(R(3, 3), C(3, 3)), (R(2, 2), C(2, 2)), (R(2, 4, 4), C(2, 4, 4)),
                                 (_RANK_TWO, C(3, 3))], modes=FWD)
def det_cofactor_case(a, c):
    return np.sum(rt.det_cofactor(a) * c)


@case(rt.det_cofactor_tangent, variants=[(R(3, 3), R(3, 3), C(3, 3)), (_RANK_TWO, R(3, 3), C(3, 3)),
                                         (R(2, 3, 3), R(2, 3, 3), C(2, 3, 3))], wrt=(1,), modes=FWD)
def det_cofactor_tangent_case(a, e, c):
    return np.sum(rt.det_cofactor_tangent(a, e * e) * c)


@case(rt.sorted_adjoint, rt.sorted_tangent, variants=[(R(3), R(3), C(3))], wrt=(0, 1), modes=FWD)
def sorted_helpers_case(g, t, c):
    items = [c[0], c[2], c[1]]  # fixed items: only the permutation they choose matters
    back = rt.sorted_adjoint([g[0] * g[1], g[1], g[2]], items)
    forth = rt.sorted_tangent(t * t, c, True)
    return back[0] * c[0] + back[1] * c[1] + back[2] * c[2] + forth[0] * c[1] + forth[2] * c[0]


# fixed samples: the shared generator's draws for the cases of later modules stay as they were
@case(rt.in_place_result, variants=[(np.array([0.3, -1.2, 0.8]), np.array([[0.5, -0.7, 1.1], [1.3, 0.2, -0.4]]),
                                     np.array([[0.9, -0.3, 0.6], [-1.4, 0.7, 0.25]]))], wrt=(0, 1))
def in_place_result_case(x, a, c):
    """What `a += e` and `out=` leave in an array of floats: the result itself."""
    summed = rt.in_place_result(a * a + x, a, "+=")  # x broadcasts into a's shape
    written = rt.in_place_result(np.sin(x), np.zeros((2, 3)), "sin")  # out= broadcasts x's row
    copied = rt.in_place_result(x * x, np.zeros(3), "copyto")
    return np.sum(summed * c) + np.sum(written * c[0]) + np.sum(copied * x)
