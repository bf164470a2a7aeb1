"""What a local made by a known call offers: fields of named-tuple results, methods of refused values.

`numpy.linalg.slogdet(a).logabsdet` is read as `[1]`; `frozen.logpdf(x)` of
`frozen = scipy.stats.norm(0.0, 2.0)` carries the refusal of its maker.

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

A method called on a value whose making is `unsupported` (a frozen SciPy
distribution, refused where its parameters are differentiated) is SciPy's
own code on an object srcgrad cannot see into: where its derivative is
needed, the error carries the maker's hint (the call to write instead),
not the generic one for an unknown call.
"""
from __future__ import annotations

from collections import Counter

import gast

from .. import nodes
from ..rules import facts, registry


def _producers(fn, ops: dict) -> tuple[dict, Counter]:
    """{name: the Ops of its simple assignments} and how often each name is bound at all."""
    stores = Counter(n.id for n in nodes.name_nodes(fn) if isinstance(n.ctx, gast.Store))
    stores.update(a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs)  # params: unknown
    producers: dict[str, list] = {}
    for stmt in nodes.walk_statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            producers.setdefault(stmt.targets[0].id, []).append(ops.get(id(stmt)))
    return producers, stores


def _made_by(name: str, producers: dict, stores: Counter) -> list:
    """The Ops that make `name`, when they are all of its bindings; else []."""
    made = producers.get(name, [])
    return made if made and len(made) == stores[name] and None not in made else []


def refused_methods(fn, ops: dict, op_type) -> None:
    """`m = v.method(...)` with `v` always made by an `unsupported` call: a refusal
    (`op_type` "badcall") with the maker's hint, raised where a derivative is needed."""
    producers = None  # made for the first candidate (most functions have none)
    for stmt in nodes.walk_statements(fn.body):
        op = ops.get(id(stmt))
        call = getattr(stmt, "value", None)
        if op is None or op.kind != "unknown" or not isinstance(call, gast.Call) \
                or not isinstance(call.func, gast.Attribute) or not isinstance(call.func.value, gast.Name):
            continue
        if producers is None:
            producers, stores = _producers(fn, ops)
        holder = call.func.value.id
        hints = {registry.unsupported_hint(m.callee) if m.kind == "badcall" else None
                 for m in _made_by(holder, producers, stores)}
        if len(hints) == 1 and None not in hints:
            ops[id(stmt)] = op_type("badcall", f"{holder}.{call.func.attr}(...) is a method of a value "
                                    "srcgrad cannot differentiate", hint=hints.pop())


def read_fields(fn, ops: dict) -> list:
    """Rewrite each `z = r.field` whose `r` always holds a named tuple with `field` as
    `z = r[i]`; return the statements rewritten (their Ops are to be made again)."""
    producers = None  # made for the first candidate (most functions have none)
    rewritten = []
    for stmt in nodes.walk_statements(fn.body):
        op = ops.get(id(stmt))
        value = getattr(stmt, "value", None)
        if op is None or op.kind != "unknown" or not isinstance(value, gast.Attribute) \
                or not isinstance(value.value, gast.Name):
            continue
        if producers is None:
            producers, stores = _producers(fn, ops)
        holder, attr = value.value.id, value.attr
        positions = {facts.result_field(m.callee, attr) if m.kind == "rule" else None
                     for m in _made_by(holder, producers, stores)}
        if len(positions) == 1 and None not in positions:
            item = gast.Subscript(value=stmt.value.value, slice=nodes.const(positions.pop()), ctx=gast.Load())
            stmt.value = gast.copy_location(item, stmt.value)
            rewritten.append(stmt)
    return rewritten
