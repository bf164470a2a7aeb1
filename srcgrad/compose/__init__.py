"""Transforms of derivatives: every derivative srcgrad returns can be transformed again.

`plan.py` holds what a derivative is for given arguments (its leaves, the
functions with source whose results give its value, and how those results
assemble) and the structural helpers that turn forward-mode columns into
gradients and Jacobians; `transforms.py` holds the transforms (grad,
jacobian, hessian, hvp, jvp, vjp of a derivative) that build plans from
plans, and `Composite`, the derivative they return. This module re-exports
what `api` and `higher` use.
"""
from .plan import Leaf, Plan, Zero, block_dtype, combine, is_derivative, single, user_leaf
from .plan import _layout  # noqa: F401  (api reads a pullback's parameters with it)
from .transforms import (Composite, bind, check_direction, grad_of, hessian_of_fun, hvp_of_fun,
                         jacobian_of_fun, jvp_of, remember, target_plan, vjp_of, with_direction)

__all__ = ["Composite", "Leaf", "Plan", "Zero", "bind", "block_dtype", "check_direction", "combine",
           "grad_of", "hessian_of_fun", "hvp_of_fun", "is_derivative", "jacobian_of_fun", "jvp_of",
           "remember", "single", "target_plan", "user_leaf", "vjp_of", "with_direction"]
