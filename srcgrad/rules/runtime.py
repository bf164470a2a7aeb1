"""Derivative rules for srcgrad's own runtime helpers.

Generated derivatives call these helpers; with rules for them, generated
code is itself differentiable, which is how `hvp`, `hessian` and
`grad(grad(f))` work: forward mode applied to a reverse-mode derivative.
Most helpers are linear in the adjoint they move around (`linear(...)`);
the others get tangent templates. Shapes-only arguments carry no tangent.
"""
import numpy

from srcgrad import runtime
from srcgrad.rules.registry import linear, nondifferentiable, tangent
from srcgrad.runtime import matmul_adjoint_left, matmul_adjoint_right
from srcgrad.templates import d

nondifferentiable(runtime.zeros_like, runtime.reduced_size)

linear(runtime.unbroadcast, "g")
linear(runtime.unreduce, "g")
linear(runtime.unindex, "g")
linear(runtime.zero_at, "g")
linear(runtime.written_adjoint, "g")
linear(runtime.fill_grad, "g")
linear(runtime.unpack_adjoint, "g")
linear(runtime.dict_unpack_adjoint, "g")
linear(runtime.last_item_adjoint, "g")
linear(runtime.drop_last, "g")
linear(runtime.copy_slice, "x")
linear(runtime.owned, "g")
linear(runtime.owned_tangent, "t")
linear(runtime.broadcast_like, "t")
linear(runtime.fresh_tape, "tape")
linear(runtime.rule_gradients, "result")


@tangent(runtime.add_grad)                      # z = add_grad(a, b): a + b for adjoints
def add_grad_tangent(z, a, b):
    d[z] = d[a]
    d[z] = d[b]


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
