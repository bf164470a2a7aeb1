"""What each local name may hold, for the compile at hand: one frozen result.

`analyze` runs, after activity, the small analyses the lowering reads: which
names hold Python numbers (`scalar_names`, from the argument kinds and the
numbers read from globals), tuples, lists or dicts (`container_names`,
`dict_names`), which record parameters are read only field by field
(`records`, each field with its own adjoint) and which lists of numbers only
entry by entry (`dense`, a plain list as adjoint), and what is written in
place (`mutated`, from `aliases`) with the names that may view it (`views`).
Each is a small fixed point over the flat list of statements.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gast

from .. import nodes, runtime
from ..rules import facts
from .aliases import alias_groups, check_aliases
from .effects import holds_array, returned_args
from . import statics
from .resolve import statements
from .slots import shallow_copy_of


@dataclass(frozen=True)
class ValueFacts:
    """What the names of one function may hold (see the module docstring)."""

    scalar_params: frozenset = frozenset()  # parameters whose kind is "scalar"
    array_params: frozenset = frozenset()  # parameters whose kind is "array"
    number_globals: frozenset = frozenset()  # globals and closure names holding Python numbers
    scalar_names: frozenset = frozenset()  # hold Python numbers whenever the scalar parameters do
    container_names: frozenset = frozenset()  # may hold a tuple, list or dict: adjoints merge
    dict_names: frozenset = frozenset()  # may hold a dict: a write may add a key
    records: dict = field(default_factory=dict)  # record parameter -> {key: field}
    field_owner: dict = field(default_factory=dict)  # field -> (parameter, key)
    field_adjoints: dict = field(default_factory=dict)  # field -> its adjoint's preferred name
    dense: tuple = ()  # lists of numbers read only as x[i]: a plain list as adjoint
    mutated: frozenset = frozenset()  # written in place (x[i] = v): restored, never versioned
    views: dict = field(default_factory=dict)  # name -> names that may share its memory
    entry_checks: tuple = ()  # (write, array, entry names): checked when the function runs (aliases)

    def written(self) -> set:
        """The names written in place, and the names that may share memory with one."""
        return set(self.mutated).union(*(self.views.get(m, ()) for m in self.mutated))


def analyze(fn, ops: dict, params: list, kinds: tuple, sequences, namespace, is_local, source,
            check: bool = True, lifted=None) -> ValueFacts:
    """The `ValueFacts` of the ANF function `fn` for arguments of `kinds`. Raises the
    located error of `aliases.check_aliases` for an in-place write through a name
    that may share memory with another (unless `check` is False: srcgrad's own
    generated code, alias-safe by construction, whose stack holds many values).
    `lifted` maps the nested helpers' names to their lifted forms: what their
    returns may share is read from them as from a module-level function's."""
    known = dict(zip(params, kinds))
    numbers = _number_globals(fn, namespace, is_local)
    records, owner, adjoints = _records(fn, params, known, is_local)
    deferred: list = []
    mutated = check_aliases(fn, ops, source, check=check, deferred=deferred,
                            returns=lambda call: returned_args(call, namespace, is_local, lifted),
                            arrays=lambda name: holds_array(namespace, name),
                            lists=frozenset(p for p in params if known.get(p) in ("numbers", "record", "container")),
                            known=frozenset(p for p in params if known.get(p) == "scalar"))
    return ValueFacts(
        scalar_params=frozenset(p for p in params if known.get(p) == "scalar"),
        array_params=frozenset(p for p in params if known.get(p) == "array"),
        number_globals=frozenset(numbers),
        scalar_names=frozenset(_scalar_names(fn, ops, params, kinds, numbers)),
        container_names=frozenset(container_names(fn, params, kinds, ops, sequences)
                                  | (_held_now(fn, namespace, is_local, (list, tuple, dict)) if mutated else set())),
        dict_names=frozenset(_dict_names(fn, params, kinds)
                             | (_held_now(fn, namespace, is_local, (dict,)) if mutated else set())),
        records=records, field_owner=owner, field_adjoints=adjoints,
        dense=_dense(fn, params, known),
        mutated=frozenset(mutated),
        entry_checks=tuple(deferred),
        # which names may view a variable written in place (its restore must outlive them)
        views=alias_groups(fn.body, params, appends=False) if mutated else {},
    )


def _dense(fn, params, known: dict) -> tuple:
    """Lists and tuples of Python numbers read only as `x[i]` get a plain list as
    their adjoint, `dx[i] = dx[i] + g` in place: no merged containers."""
    candidates = [p for p in params if known.get(p) == "numbers"]
    if not candidates:
        return ()
    reads: dict[str, int] = {p: 0 for p in candidates}
    indexed: dict[str, int] = {p: 0 for p in candidates}
    # names bound to slice objects: x[s] with them reads a list, not one entry
    slices = {t.id for stmt in statements(fn.body) if isinstance(stmt, gast.Assign)
              and isinstance(stmt.value, gast.Call) and nodes.dotted(stmt.value.func) == "slice"
              for t in stmt.targets if isinstance(t, gast.Name)}
    for stmt in statements(fn.body):
        own = [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else \
            [stmt.iter] if isinstance(stmt, gast.For) else [stmt]  # nested bodies come on their own
        for node in (n for part in own for n in gast.walk(part)):
            if isinstance(node, gast.Name) and node.id in reads:
                reads[node.id] += 1
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in reads and not isinstance(value.slice, (gast.Slice, gast.Tuple)) \
                and not (isinstance(value.slice, gast.Name) and value.slice.id in slices):
            indexed[value.value.id] += 1
        elif isinstance(stmt, gast.Assign) and isinstance(value, gast.Call) \
                and nodes.dotted(value.func) == "len" and len(value.args) == 1 \
                and isinstance(value.args[0], gast.Name) and value.args[0].id in reads:
            indexed[value.args[0].id] += 1  # len(x) reads no entry
    return tuple(p for p in candidates if reads[p] and reads[p] == indexed[p])


def _records(fn, params, known: dict, is_local) -> tuple[dict, dict, dict]:
    """Record parameters (dicts/lists/tuples of arrays and numbers) read only as
    `params["W1"]` with constant keys get one adjoint per field (`dW1`), assembled
    into a dict at the end, rather than merged dicts. A nested container keeps
    the general container adjoint (fields could be containers themselves).
    Returns ({parameter: {key: field}}, {field: (parameter, key)}, {field: the
    preferred name of its adjoint})."""
    records: dict = {}
    owner: dict = {}
    adjoints: dict = {}
    uses: dict[str, set] = {p: set() for p in params if known.get(p) == "record"}
    if not uses:
        return records, owner, adjoints
    for stmt in statements(fn.body):
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and node.id in uses:
                uses[node.id].add(id(node))
    keyed: dict[str, dict] = {p: {} for p in uses}
    for stmt in statements(fn.body):
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in uses and isinstance(value.slice, gast.Constant) \
                and isinstance(value.slice.value, (str, int)):
            keyed[value.value.id].setdefault(value.slice.value, []).append(id(value.value))
    for p, fields in keyed.items():
        plain = {i for ids in fields.values() for i in ids}
        if not fields or plain != uses[p]:
            continue  # used some other way too: keep the whole-dict adjoint
        records[p] = {}
        for key in fields:
            name = f"{p}[{key!r}]"
            # dW1 reads best, unless the function has its own W1 (whose adjoint is dW1)
            plain = isinstance(key, str) and key.isidentifier() and not is_local(key)
            adjoints[name] = f"d{key}" if plain else f"d{p}_{key}"
            records[p][key] = name
            owner[name] = (p, key)
    return records, owner, adjoints


def container_names(fn, params, kinds, ops=None, sequences=frozenset()) -> set[str]:
    """Names that may hold a tuple, list or dict: their adjoints merge with add_grad.

    Parameters not known to be numbers or arrays, displays, `sequences` (names
    found to hold lists or tuples, such as concatenations), results of NumPy
    functions that may return a list (`numpy.split`), items of such names
    (a pytree's inner nodes) and copies of them (`q = p`, `q = p.copy()`,
    `slots.shallow_copy_of`).
    """
    known = dict(zip(params, kinds))
    records = {p for p in params if known.get(p) in ("record", "numbers")}  # entries are leaves
    made = _made_sequences(fn, ops or {})  # asked once per statement, not in each round below
    records |= _array_lists(fn, made)  # tuples of arrays a primitive made: items are arrays

    def holds(value, stmt, out) -> bool:
        source = value.value if isinstance(value, gast.Subscript) else value
        if isinstance(value, gast.Subscript) and isinstance(source, gast.Name) and source.id in records \
                and not isinstance(value.slice, gast.Slice):
            return False  # an entry (a slice of a record is a list or tuple itself)
        op = ops.get(id(stmt)) if ops is not None else None
        return isinstance(value, (gast.Tuple, gast.List, gast.Dict)) or (
            isinstance(source, gast.Name) and source.id in out) or (
            op is not None and op.kind == "user") or _lists_items(op, out) or made[id(stmt)] \
            or shallow_copy_of(value, out) is not None

    seeds = {p for p in params if known.get(p) not in ("scalar", "array", "dask")} | set(sequences)
    return _assigned_closure(fn, seeds, holds)


def _made_sequences(fn, ops: dict) -> dict:
    """id(statement) -> whether it calls a primitive that returns a tuple or list, for
    each assignment to a name (`_returns_sequence`)."""
    return {id(stmt): _returns_sequence(ops.get(id(stmt))) for stmt in statements(fn.body)
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)}


def _array_lists(fn, made: dict) -> set[str]:
    """Names every assignment of which is a tuple or list of arrays made by a primitive
    (`made`: see `_made_sequences`)."""
    found: dict = {}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            ok = made[id(stmt)]
            found[stmt.targets[0].id] = found.get(stmt.targets[0].id, True) and ok
    return {name for name, ok in found.items() if ok}


def _assigned_closure(fn, seeds: set, holds) -> set[str]:
    """`seeds` and every name assigned a value that `holds(value, stmt, names so
    far)` accepts, to a fixed point over the function's statements."""
    out = set(seeds)
    changed = True
    while changed:
        changed = False
        for stmt in statements(fn.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id not in out and holds(stmt.value, stmt, out):
                out.add(stmt.targets[0].id)
                changed = True
    return out


def _returns_sequence(op) -> bool:
    """A call of a primitive that returns a tuple or list (numpy.histogram, numpy.split, ...)."""
    return op is not None and op.kind == "rule" and facts.returns_sequence(op.rule.primitive)


def _lists_items(op, containers: set[str]) -> bool:
    """`list(x)`, `tuple(x)`, `sorted(x)`, or `loop_items(x)` of anything but a name
    known to hold no container (an array, a number): a list, tuple or array."""
    if op is None or op.kind != "rule":
        return False
    if op.rule.primitive in (list, tuple, sorted):
        return True
    x = op.bindings.get("x")
    return op.rule.primitive is runtime.loop_items and (not isinstance(x, gast.Name) or x.id in containers)


def _dict_names(fn, params, kinds) -> set[str]:
    """Names that may hold a dict: parameters not known to be numbers, arrays or
    lists of numbers, dict displays and `dict(...)`, and copies of them."""
    known = dict(zip(params, kinds))

    def holds(value, stmt, out) -> bool:
        return isinstance(value, gast.Dict) or (isinstance(value, gast.Name) and value.id in out) or (
            isinstance(value, gast.Call) and nodes.dotted(value.func) == "dict")

    return _assigned_closure(fn, {p for p in params if known.get(p) not in ("scalar", "array", "numbers")},
                             holds)


def _held_now(fn, namespace, is_local, types: tuple) -> set[str]:
    """The global or closure names the function reads that hold a value of one of
    `types` now (`CACHE = {}`, `SLOTS = [0.0, 0.0]`), and the names bound to one or to
    an attribute holding one (`c = self.cache`), and copies of those: written in place,
    such a container's entries are restored (a dict's added key removed again) and
    its adjoint merges with add_grad, as a local one's."""

    def now(value) -> bool:
        return isinstance(value, (gast.Name, gast.Attribute)) \
            and type(statics.value_of(value, namespace, is_local)) in types

    seeds = {n for n in nodes.loaded_names(fn.body) if not is_local(n) and now(nodes.name(n))}
    return _assigned_closure(fn, seeds, lambda value, stmt, out: now(value) or (
        isinstance(value, gast.Name) and value.id in out))


_RANGE_TARGET = object()  # marks a `for` target: an int from range(...)


def _number_globals(fn, namespace, is_local) -> set[str]:
    """Global (or closure) names the function reads that hold Python numbers now.

    Globals are read as constants; their kind is taken when the derivative is
    built, like the arguments' kinds.
    """
    out = set()
    for ident in nodes.loaded_names(fn):  # (each name once, however often it is read)
        if not is_local(ident):
            try:
                value = namespace.lookup(ident)
            except KeyError:
                continue
            if type(value) in (float, int):
                out.add(ident)
    return out


def _scalar_names(fn, ops, params, kinds, number_globals=frozenset()) -> set[str]:
    """Names that hold Python scalars whenever the scalar-kind parameters do.

    The greatest fixed point: start from every name, drop those with an
    assignment that is not scalar arithmetic over scalars, until stable.
    """
    assigned: dict[str, list] = {}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            assigned.setdefault(stmt.targets[0].value.id, []).append(None)  # written in place
        elif isinstance(stmt, gast.Assign):
            assigned.setdefault(stmt.targets[0].id, []).append(stmt)
        elif isinstance(stmt, gast.For):  # always `range(...)` after normalization: ints
            assigned.setdefault(stmt.target.id, []).append(_RANGE_TARGET)
        elif not isinstance(stmt, (gast.Return, gast.If, gast.While)):
            for n in nodes.name_nodes(stmt):
                if isinstance(n.ctx, gast.Store):
                    assigned.setdefault(n.id, []).append(None)
    scalars = (set(assigned) | set(params)) - {p for p, k in zip(params, kinds) if k != "scalar"}
    scalars -= set(params[len(kinds):])
    number_lists = {p for p, k in zip(params, kinds) if k == "numbers"}  # entries are numbers
    scalars |= set(number_globals)
    changed = True
    while changed:
        changed = False
        for ident, stmts in assigned.items():
            if ident in scalars and not all(
                    s is _RANGE_TARGET or (s is not None and _is_scalar_stmt(s, ops.get(id(s)), scalars,
                                                                             number_lists))
                    for s in stmts):
                scalars.discard(ident)
                changed = True
    return scalars

def _is_scalar_stmt(stmt, op, scalars, number_lists=frozenset()) -> bool:
    value = stmt.value

    def atom_scalar(node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return isinstance(node, gast.Name) and node.id in scalars

    if op is None:
        return False
    if op.kind == "copy":
        return atom_scalar(value)
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
            and value.value.id in number_lists and not isinstance(value.slice, (gast.Slice, gast.Tuple)):
        return True  # an entry of a list of Python numbers
    operands = [value.left, value.right] if isinstance(value, gast.BinOp) else \
        [value.operand] if isinstance(value, gast.UnaryOp) else \
        list(value.args) if isinstance(value, gast.Call) else None
    if operands is None or not all(atom_scalar(a) for a in operands):
        return False
    callee = op.callee
    return facts.maps_numbers(callee)
