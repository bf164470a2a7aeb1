"""Cases for srcgrad/rules/runtime.py: the helpers generated derivatives call.

They have forward rules only (forward mode differentiates reverse-mode code:
hvp, hessian, grad of grad), so their cases run in forward mode; the
zero-gradient ones in both.
"""
import numpy as np

from rule_cases import C, P, R, case
from srcgrad import runtime as rt

FWD = ("forward",)


@case(rt.zeros_like, rt.reduced_size, variants=[(R(2, 3), C(2, 3))])
def zero_helpers_case(x, c):
    return np.sum((rt.zeros_like(x) + x * rt.reduced_size(x, 1)) * c)


@case(rt.unbroadcast, variants=[(R(3, 4), R(1, 4), C(1, 4)), (R(2, 3), R(), C())], modes=FWD)
def unbroadcast_case(g, x, c):
    return np.sum(rt.unbroadcast(g * g, x) * c)


@case(rt.unreduce, variants=[(R(3), R(4, 3), C(4, 3))], modes=FWD)
def unreduce_case(g, a, c):
    return np.sum(rt.unreduce(g * g, a, 0, False) * c)


@case(rt.unindex, rt.zero_at, rt.written_adjoint, rt.copy_slice, rt.owned,
      variants=[(R(5), R(5), C(5))], modes=FWD)
def index_helpers_case(g, x, c):
    a = rt.unindex(g[1:3] * g[1:3], x, slice(1, 3))
    b = rt.zero_at(a * g, 2)
    v = rt.written_adjoint(b * g, np.array([0, 0, 4]), x[:3])
    s = rt.copy_slice(b * x, slice(0, 2))
    return np.sum(b * c) + np.sum(v * c[:3]) + np.sum(rt.owned(s * g[:2]))


@case(rt.add_grad, rt.fill_grad, rt.unpack_adjoint, rt.dict_unpack_adjoint, rt.last_item_adjoint,
      rt.drop_last, rt.rule_gradients, variants=[(R(3), R(3), C(3))], modes=FWD)
def container_helpers_case(x, y, c):
    t = rt.add_grad((x * y, None), (y, x))
    u = rt.fill_grad([t[0], None], [x, y])
    w = rt.unpack_adjoint(u, (x, y))
    m = rt.dict_unpack_adjoint({"a": w[0] * x}, ("a", "b"), (x, y))
    last = rt.last_item_adjoint([w[1], m[0]], y)
    rest = rt.drop_last([m[0] * y, last])
    r = rt.rule_gradients(rest[0] * x, 1)
    return np.sum((w[0] + w[1] + m[1] + last + r[0]) * c)


@case(rt.broadcast_like, rt.owned_tangent, rt.fresh_tape, variants=[(R(3), R(2, 3), C(2, 3))], modes=FWD)
def tangent_helpers_case(t, z, c):
    b = rt.broadcast_like(t * t, z)
    o = rt.owned_tangent(b * z)
    f = rt.fresh_tape((o, t))
    return np.sum(f[0] * c) + np.sum(f[1])


@case(rt.matmul_adjoint_left, rt.matmul_adjoint_right,
      variants=[(R(3, 5), R(3, 4), R(4, 5), C(3, 4), C(4, 5))], wrt=(0, 1, 2), modes=FWD)
def matmul_helpers_case(g, a, b, c1, c2):
    return np.sum(rt.matmul_adjoint_left(g, a, b) * c1) + np.sum(rt.matmul_adjoint_right(g, a, b) * c2)


@case(rt.log_or_zero, variants=[(P(4), C(4))], modes=FWD)
def log_or_zero_case(x, c):
    return np.sum(rt.log_or_zero(x) * c)
