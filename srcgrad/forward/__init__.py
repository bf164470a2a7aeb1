"""Forward mode: a tangent statement after each primal statement, nothing taped.

`tangents.py` writes the statements (each active value's tangent beside it),
`calls.py` binds the tangent functions of called user functions, and
`function.py` puts them into `jvp_f(args, *, x_dot, ...) -> (value, value_dot)`.
"""
from __future__ import annotations

from .calls import Tangents
from .function import tangent_function
from .tangents import forward

__all__ = ["Tangents", "forward", "tangent_function"]
