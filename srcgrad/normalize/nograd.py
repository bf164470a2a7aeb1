"""`with srcgrad.no_grad():` blocks: run as written, every value they assign a constant.

A no_grad block is not kept whole: `desugar` inlines its statements, and
every value they assign (a name, an entry `y[i] = v`, an appended item, a
value returned from inside the block) is wrapped in the marker `__srcgrad_no_grad__(...)`. `resolve` gives a marked
statement a zero-gradient Op, and `bind` then makes the marker a call of
`srcgrad.stop_gradient`, so the generated code says what it does and a
derivative of the derivative (hessian, hvp) sees the same constant. A name
the block rebinds is a constant from there on and an entry it writes is a
constant entry, in both modes, through the same activity, versions and
restores as any other statement:

    y = x * 3.0                     y = x * 3.0
    with srcgrad.no_grad():    ->   _t1 = y * 2.0
        y = y * 2.0                 y = stop_gradient(_t1)     # dy stops here
"""
from __future__ import annotations

import gast

from .. import nodes
from .anf import is_append

MARKER = "__srcgrad_no_grad__"


def is_marked(value) -> bool:
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == MARKER)


def constant(body: list) -> list:
    """The desugared statements of a no_grad block, every assigned value marked."""
    for stmt in nodes.walk_statements(body):
        if isinstance(stmt, (gast.Assign, gast.Return)) and stmt.value is not None \
                and not is_marked(stmt.value):
            stmt.value = _marked(stmt.value)
        elif is_append(stmt):
            stmt.value.args[0] = _marked(stmt.value.args[0])
    return body


def marked(fn) -> bool:
    """Whether the ANF function `fn` had a no_grad block."""
    return any(isinstance(s, gast.Assign) and is_marked(s.value) for s in nodes.walk_statements(fn.body))


def bind(fn, name: str) -> None:
    """Make every marker in the (resolved) ANF function `fn` a call of `name`, in place."""
    for stmt in nodes.walk_statements(fn.body):
        if isinstance(stmt, gast.Assign) and is_marked(stmt.value):
            stmt.value.func = nodes.name(name)


def _marked(value):
    if isinstance(value, gast.Constant):
        return value  # a literal carries no gradient already
    return gast.Call(func=nodes.name(MARKER), args=[value], keywords=[])

