"""Fields of named-tuple results: `numpy.linalg.slogdet(a).logabsdet` read as `[1]`.

NumPy 2 returns `slogdet`, `eigh`, `svd` and `qr` results as named tuples
(the field names are facts: srcgrad/rules/known.py). After ANF the read is
`_t1 = numpy.linalg.slogdet(a); z = _t1.logabsdet`: an attribute of a local,
which resolution alone cannot tell from an unknown object's. Here, such a
read is rewritten as the subscript it is, `_t1[1]` (the rule of
`operator.getitem`; both modes then treat it as any item of a tuple), when
every assignment of `_t1` is a call whose result has that field at that
position. Anything else (a parameter,
a name also bound by a loop, a value of another call) keeps its unknown Op,
which is a located error where a derivative is needed.
"""
from __future__ import annotations

from collections import Counter

import gast

from .. import nodes
from ..rules import facts


def read_fields(fn, ops: dict) -> list:
    """Rewrite each `z = r.field` whose `r` always holds a named tuple with `field` as
    `z = r[i]`; return the statements rewritten (their Ops are to be made again)."""
    stores = Counter(n.id for n in gast.walk(fn) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store))
    stores.update(a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs)  # params: unknown
    producers: dict[str, list] = {}
    reads = []
    for stmt in nodes.walk_statements(fn.body):
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
            continue
        producers.setdefault(stmt.targets[0].id, []).append(ops.get(id(stmt)))
        value = stmt.value
        if isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name) \
                and ops.get(id(stmt)) is not None and ops[id(stmt)].kind == "unknown":
            reads.append(stmt)
    rewritten = []
    for stmt in reads:
        holder, attr = stmt.value.value.id, stmt.value.attr
        made = producers.get(holder, [])
        if not made or len(made) != stores[holder]:  # bound somewhere else too
            continue
        positions = {facts.result_field(op.callee, attr) if op is not None and op.kind == "rule" else None
                     for op in made}
        if len(positions) == 1 and None not in positions:
            item = gast.Subscript(value=stmt.value.value, slice=nodes.const(positions.pop()), ctx=gast.Load())
            stmt.value = gast.copy_location(item, stmt.value)
            rewritten.append(stmt)
    return rewritten
