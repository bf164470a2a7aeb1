"""Comprehensions written out as the loops they stand for.

A list or dict comprehension, or a generator expression passed straight to a
call that consumes it (`sum`, `max`, `np.array`, ...), becomes a loop that
fills a new list or dict, placed before the statement that uses it; the rest
of the pipeline then differentiates an ordinary loop with appends or slot
writes. The loop variables get fresh names: a comprehension has its own
scope, so `i` in `[x[i] for i in r]` never changes the function's `i`.

    ys = [f(v) for v in xs if v > 0]   ->   _comp1 = []
                                             for _v1 in xs:
                                                 if _v1 > 0:
                                                     _comp1.append(f(_v1))
                                             ys = _comp1
    s = sum(x[i] ** 2 for i in range(3))  -> the same loop, then s = sum(_comp1)
    d = {k: g(k) for k in keys}         ->   _comp1 = {}; for _k1 in keys: _comp1[_k1] = g(_k1)
    d = dict((k, g(k)) for k in keys)   ->   the same, as `{k: g(k) for k in keys}`
    enumerate(d.items())               ->   enumerate(<the list [(k, d[k]) for k in d]>)

A dict's `d.items()` / `d.values()` used other than as a `for` loop's own
iterable (which desugar reads by key) is the list of its entries, read by key.

A comprehension is computed once, before its statement, so one whose value is
computed only sometimes or again and again (in a `while` test, a branch of
`... if ... else ...`, after `and` / `or`) is a located SrcGradError, as is a
generator expression that is kept rather than consumed at once (it would read
its variables later, when iterated).
"""
from __future__ import annotations

import builtins
import inspect

import gast
import numpy

from .. import nodes
from ..errors import SourceInfo, unsupported
from ..naming import Names

COMPREHENSIONS = (gast.ListComp, gast.DictComp, gast.GeneratorExp)
# builtins that consume a generator at once; any NumPy function does too
EXPANDED = COMPREHENSIONS + (gast.Call,)  # what `has_comprehensions` looks at
CONSUMERS = frozenset({"sum", "max", "min", "list", "tuple", "any", "all", "sorted", "dict"})


def has_comprehensions(tree, found: list | None = None) -> bool:
    """Whether `tree` holds a comprehension or a call `d.items()` / `d.values()` of a name.
    `found`, if given, holds (at least) the nodes of `tree` of the `EXPANDED` classes (a
    caller's walk for them and others)."""
    if found is None:
        found = nodes.of_class(tree, EXPANDED)
    Call, expanded = gast.Call, EXPANDED
    return any(n.__class__ is not Call or _entry_view(n) is not None
               for n in found if n.__class__ in expanded)


def _entry_view(node):
    """The mapping `d` of a call `d.items()` or `d.values()` of a name, else None."""
    if isinstance(node, gast.Call) and not node.args and not node.keywords \
            and isinstance(node.func, gast.Attribute) and node.func.attr in ("items", "values") \
            and isinstance(node.func.value, gast.Name):
        return node.func.value
    return None


def expand(fn, names: Names, source: SourceInfo, namespace, local: set, found: list | None = None) -> bool:
    """Write the comprehensions of `fn` (a gast.FunctionDef) out as loops, in place;
    `namespace` and the function's `local` names tell what a call that is given a
    generator calls (`found`: see `has_comprehensions`). Whether `fn` had any to write
    out (else it is unchanged)."""
    if not has_comprehensions(fn, found):
        return False
    _Expander(names, source, lambda call: consumes(call, namespace, local),
              lambda call: _callee(call, namespace, local)).block_into(fn)
    return True


def _callee(call, namespace, local: set):
    """What `call` calls, when that is a global (not a local name), else None."""
    path = nodes.dotted(call.func)
    if path is None or path.split(".")[0] in local:
        return None
    head, *rest = path.split(".")
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return None
    for attr in rest:
        obj = getattr(obj, attr, None) if inspect.ismodule(obj) else None
    return obj


def consumes(call, namespace, local: set) -> bool:
    """Whether `call` iterates a generator argument through at once: one of the
    builtins in CONSUMERS or a NumPy function."""
    obj = _callee(call, namespace, local)
    if obj is None:
        return False
    if any(obj is getattr(builtins, name) for name in CONSUMERS):
        return True
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy" or isinstance(obj, numpy.ufunc)


class _Expander:
    def __init__(self, names: Names, source: SourceInfo, consumer, callee=lambda call: None):
        self.names = names
        self.source = source
        self.consumer = consumer
        self.callee = callee  # what a call calls, when that is a global

    def block_into(self, owner) -> None:
        for field in ("body", "orelse"):
            block = getattr(owner, field, None)
            if isinstance(block, list) and block:
                setattr(owner, field, self.block(block))

    def block(self, stmts: list) -> list:
        out: list = []
        for stmt in stmts:
            self.check_placement(stmt)
            before: list = []
            for field, value in gast.iter_fields(stmt):
                if field not in ("body", "orelse"):
                    loop_iter = field == "iter" and isinstance(stmt, gast.For)  # desugar reads d.items()
                    setattr(stmt, field, self.hoist(value, before, loop_iter))
            out.extend(self.block(before))  # comprehensions inside the loops just made
            self.block_into(stmt)
            out.append(stmt)
        return out

    def check_placement(self, stmt) -> None:
        """Reject a comprehension whose value is not computed exactly once, right
        before `stmt` runs, and a generator expression not consumed at once."""
        if isinstance(stmt, gast.While):
            for n in gast.walk(stmt.test):
                if isinstance(n, COMPREHENSIONS):
                    self.reject(n, "a comprehension in a `while` condition",
                                "compute it in the loop body and test a variable")
        for node in [stmt] + [n for part in _children(stmt) for n in gast.walk(part)]:
            sometimes = [node.body, node.orelse] if isinstance(node, gast.IfExp) else \
                node.values[1:] if isinstance(node, gast.BoolOp) else []
            for branch in sometimes:
                for n in gast.walk(branch):
                    if isinstance(n, COMPREHENSIONS):
                        self.reject(n, "a comprehension computed only on one branch",
                                    "assign the comprehension to a variable on its own line first")
            if isinstance(node, gast.Call):
                for arg in node.args + [k.value for k in node.keywords]:
                    if isinstance(arg, gast.GeneratorExp) and not self.consumer(node):
                        self.reject(arg, "a generator expression passed to a call that may keep it",
                                    "pass a list comprehension `[...]` instead")
            elif not isinstance(node, gast.comprehension):  # a generator's own `for` part may hold one
                for child in _children(node):
                    if isinstance(child, gast.GeneratorExp):
                        self.reject(child, "a generator expression kept as a value",
                                    "use a list comprehension `[...]` instead")

    def reject(self, node, what: str, hint: str):
        raise unsupported(self.source, node, what, hint)

    def hoist(self, value, before: list, loop_iter: bool = False):
        """`value` with each outermost comprehension replaced by the name of the
        container the loops added to `before` fill (`loop_iter`: `value` is a `for`
        loop's own iterable, where `d.items()` stays)."""
        if isinstance(value, list):
            return [self.hoist(v, before) for v in value]
        if not isinstance(value, gast.AST):
            return value
        if isinstance(value, COMPREHENSIONS):
            return self.loops(value, before)
        mapping = _entry_view(value)
        if mapping is not None and not loop_iter:
            key = self.names.fresh("k")
            entry = gast.Subscript(value=nodes.clone(mapping), slice=nodes.name(key), ctx=gast.Load())
            elt = entry if value.func.attr == "values" else gast.Tuple(elts=[nodes.name(key), entry],
                                                                         ctx=gast.Load())
            generator = gast.comprehension(target=nodes.name(key, store=True), iter=nodes.clone(mapping),
                                           ifs=[], is_async=0)
            return self.loops(gast.copy_location(gast.ListComp(elt=elt, generators=[generator]), value), before)
        pairs = _pairs(value, lambda call: self.callee(call) is dict)
        if pairs is not None:  # dict((k, v) for ...): the dict comprehension it is
            return self.loops(gast.copy_location(gast.DictComp(
                key=pairs.elt.elts[0], value=pairs.elt.elts[1], generators=pairs.generators), pairs), before)
        for field, child in gast.iter_fields(value):
            setattr(value, field, self.hoist(child, before))
        return value

    def loops(self, comp, before: list):
        result = self.names.fresh("comp")
        lineno, col = comp.lineno, comp.col_offset
        start = gast.Dict(keys=[], values=[]) if isinstance(comp, gast.DictComp) else gast.List(
            elts=[], ctx=gast.Load())
        renames: dict = {}
        generators = []
        for gen in comp.generators:  # each loop's names fresh; a later loop may read an earlier one's
            if getattr(gen, "is_async", 0):
                self.reject(comp, "an async comprehension", "write the loop out")
            iter_ = _renamed(gen.iter, renames)  # read before this loop's own names exist
            for n in gast.walk(gen.target):
                if isinstance(n, gast.Name):
                    renames[n.id] = self.names.fresh(n.id.lstrip("_") or "v")
            generators.append((_renamed(gen.target, renames), iter_, [_renamed(t, renames) for t in gen.ifs]))
        if isinstance(comp, gast.DictComp):
            slot = gast.Subscript(value=nodes.name(result), slice=_renamed(comp.key, renames), ctx=gast.Store())
            inner = [gast.Assign(targets=[slot], value=_renamed(comp.value, renames), type_comment=None)]
        else:
            append = gast.Attribute(value=nodes.name(result), attr="append", ctx=gast.Load())
            inner = [gast.Expr(value=gast.Call(func=append, args=[_renamed(comp.elt, renames)], keywords=[]))]
        for target, iter_, ifs in reversed(generators):
            for test in reversed(ifs):
                inner = [gast.If(test=test, body=inner, orelse=[])]
            inner = [gast.For(target=target, iter=iter_, body=inner, orelse=[], type_comment=None)]
        for stmt in [nodes.assign(result, start)] + inner:
            nodes.stamp(stmt, lineno, col)
            before.append(stmt)
        return nodes.name(result)


def _pairs(value, is_dict):
    """The comprehension of `dict(<comprehension of (key, value) pairs>)`, or None."""
    if isinstance(value, gast.Call) and len(value.args) == 1 and not value.keywords \
            and isinstance(value.args[0], (gast.GeneratorExp, gast.ListComp)) \
            and isinstance(value.args[0].elt, gast.Tuple) and len(value.args[0].elt.elts) == 2 \
            and is_dict(value):
        return value.args[0]
    return None


def _children(node):
    """The nodes directly under `node`; for a statement, not those of its blocks."""
    for field, value in gast.iter_fields(node):
        if field in ("body", "orelse") and isinstance(node, gast.stmt):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, gast.AST):
                yield item


def _renamed(node, renames: dict):
    """A copy of `node` with the loop variables in `renames` under their new names;
    a comprehension nested in it that binds one of them again keeps its own."""
    if not renames:
        return nodes.clone(node)

    def replace(n):
        if isinstance(n, gast.Name) and n.id in renames:
            out = nodes.name(renames[n.id], store=isinstance(n.ctx, gast.Store))
            return gast.copy_location(out, n)
        if isinstance(n, COMPREHENSIONS):
            bound = {m.id for g in n.generators for m in gast.walk(g.target) if isinstance(m, gast.Name)}
            if bound & set(renames):
                inner = {k: v for k, v in renames.items() if k not in bound}
                copy = nodes.clone(n)
                copy.generators[0].iter = _renamed(n.generators[0].iter, renames)  # the outer scope's
                for field in ("elt", "key", "value"):
                    if hasattr(copy, field):
                        setattr(copy, field, _renamed(getattr(n, field), inner))
                for g, original in zip(copy.generators, n.generators):
                    g.ifs = [_renamed(t, inner) for t in original.ifs]
                    if original is not n.generators[0]:
                        g.iter = _renamed(original.iter, inner)
                return copy
        return None

    return nodes.clone(node, replace=replace)

