"""Calls of user functions in forward mode: each callee as a tangent function.

`z = helper(a, b)` becomes `z, z_dot = _helper_jvp(a, b, a_dot=...)`: the
callee's tangent function with respect to the parameters that receive active
values, compiled once per (callee, those parameters, argument kinds) through
the compile function the cache passes in (`callees.Callees`).
"""
from __future__ import annotations

from ..callees import Callees, callee_base


class Tangents(Callees):
    """The tangent functions one forward-mode derivative binds."""

    def jvp_of(self, op, active: list[str], stmt) -> tuple[str, list]:
        """Name of the tangent function of the user function `op.callee` (with respect
        to its parameters `active`), and its tangent parameters' names."""
        compiled, key = self.compiled(op, active, stmt, "forward")
        if key not in self.names:
            name = self.ctx.names.claim(f"_{callee_base(op)}_jvp")
            self.ctx.helpers[name] = compiled.bind(op.callee)
            self.names[key] = (name, compiled.tangent_params)
        return self.names[key]
