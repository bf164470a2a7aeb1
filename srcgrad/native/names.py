"""What a name or dotted expression of the generated code refers to, for the numba rewrites."""
from __future__ import annotations

import gast


def resolved(expr, ctx):
    """The object a dotted global expression (`np.random.normal`) names, else None."""
    path = []
    while isinstance(expr, gast.Attribute):
        path.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, gast.Name) or ctx.is_local(expr.id):
        return None
    if expr.id in ctx.helpers:
        owner = ctx.helpers[expr.id]
    else:
        try:
            owner = ctx.parsed.namespace.lookup(expr.id)
        except KeyError:
            return None
    for attr in reversed(path):
        owner = getattr(owner, attr, None)
    return owner
