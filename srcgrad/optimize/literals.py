"""An int constant beside a Python float is written as a float: `2 * t` is `2.0 * t`.

CPython's arithmetic has a fast path for two floats and none for an int and
a float: `2 * t` costs about twice `2.0 * t` (the derivative of `t ** 2` is
`2 * t`, in every iteration of a loop over a list of floats). The two are the
same number: a float operation converts an int operand to a float first,
exactly when it is below 2 ** 53 in size, as every constant rewritten here
is. Only `+ - * /` change, and only where the other operand is a Python
float wherever it is computed (`raises.Model`'s types), so the values, the
forward sweep's included, are bit for bit what they were.
"""
from __future__ import annotations

import gast

from .. import nodes
from .raises import FLOAT, Model

_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_EXACT = 2 ** 53


def float_literals(body: list, setting):
    """`(body, changed)`."""
    candidates = [n for n in nodes.walk(nodes.module(body)) if n.__class__ is gast.BinOp
                  and isinstance(n.op, _OPS) and (_small_int(n.left) or _small_int(n.right))]
    if not candidates:
        return body, False
    model = Model(body, setting.params, setting.callee)
    changed = False
    for n in candidates:
        other, side = (n.right, "left") if _small_int(n.left) else (n.left, "right")
        if model.type_of(other) == FLOAT:
            setattr(n, side, nodes.const(float(getattr(n, side).value)))
            changed = True
    return body, changed


def _small_int(e) -> bool:
    return e.__class__ is gast.Constant and type(e.value) is int and abs(e.value) < _EXACT
