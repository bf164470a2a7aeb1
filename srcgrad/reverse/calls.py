"""Calls of user functions in reverse mode: each callee as a split pair.

`z = helper(a, b)` runs in the forward sweep as `z, _tape1 =
_helper_forward(a, b)`, and its adjoint is `_g1 = _helper_backward(dz,
_tape1)`: the callee's derivative with respect to the parameters that receive
active values, compiled once per (callee, those parameters, argument kinds)
through the compile function the cache passes in (`callees.Callees`).
"""
from __future__ import annotations

from ..callees import Callees, callee_base


class SplitPairs(Callees):
    """The split pairs one reverse-mode derivative binds."""

    def split_pair(self, op, active: list[str], stmt) -> tuple[str, str]:
        """Names of the forward/backward pair of the user function `op.callee`,
        differentiated with respect to its parameters `active` (compiled once)."""
        compiled, key = self.compiled(op, active, stmt, "split")
        if key not in self.names:
            forward, backward = compiled.bind(op.callee)
            base = callee_base(op)
            names = (self.ctx.names.claim(f"_{base}_forward"), self.ctx.names.claim(f"_{base}_backward"))
            self.ctx.helpers[names[0]], self.ctx.helpers[names[1]] = forward, backward
            self.names[key] = names
        return self.names[key]
