"""`has_aux`: the function returns (loss, aux); only loss is differentiated.

Before normalization, every `return loss, aux` becomes `_aux = aux; return
loss`, so the passes see a function of one returned value, and the generated
code hands `_aux` back beside the gradient.
"""
from __future__ import annotations

import gast

from .. import nodes
from ..errors import located
from ..naming import Names


def split_aux(tree, names: Names, source) -> str:
    """For has_aux: every `return loss, aux` becomes `_aux = aux; return loss` (with
    `_loss = loss` first when loss is an expression with effects); returns the aux
    variable's name. A return that is not a written-out pair is a SrcGradError."""
    aux, loss = names.claim("_aux"), names.claim("_loss")

    def rewrite(stmts: list) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                value = stmt.value
                if not (isinstance(value, gast.Tuple) and len(value.elts) == 2):
                    raise located(source, stmt, "with has_aux=True the function must return a pair "
                                  "(loss, aux) written out in its return statement",
                                  "write `return loss, aux`")
                first, second = value.elts
                returned = first
                if not isinstance(first, (gast.Name, gast.Constant)):  # evaluated before aux
                    out.append(nodes.stamp(nodes.assign(loss, first), stmt.lineno))
                    returned = nodes.name(loss)
                out.append(nodes.stamp(nodes.assign(aux, second), stmt.lineno))
                out.append(nodes.stamp(nodes.ret(returned), stmt.lineno))
                continue
            nodes.map_blocks(stmt, rewrite)  # try is fenced off; with and loop bodies, if branches
            out.append(stmt)
        return out

    tree.body = rewrite(tree.body)
    return aux
