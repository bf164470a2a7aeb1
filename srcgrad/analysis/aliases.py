"""Which local variables may share memory, and where that makes in-place updates unsafe.

The compiler turns `y += e` into `y = y + e` and replays `x[i] = v` by saving
and restoring the overwritten entries. Both are exact unless another variable
views the same memory (`v = x[:2]`, `w = x.T`, `z = x`, a list holding `x`):
then an in-place change would show through the other name. Such code is
rejected with a located error instead of differentiated wrongly.

The analysis is syntactic and conservative: a subscript, an attribute, a view
function (`numpy.reshape`, `x.T`, ...), a display or an unknown call may
return memory of its operands.
"""
from __future__ import annotations

import gast

from .. import nodes, runtime
from ..errors import SourceInfo, located
from ..rules import facts as table
from .numbers import numbers
from .slots import containers, is_append_call, made_containers, positions, slot_observers

def alias_groups(body, params, appends: bool = True, before=None, written=None,
                 returns=None, numbers=frozenset(), arrays=None) -> dict[str, set[str]]:
    """name -> every local name that may share its memory (itself included).

    With `appends`, `lst.append(v)` joins lst and v: a later write into v would
    show through lst. Appending itself changes only the list object, which v
    does not share, so checking an append leaves those edges out. With
    `before=(position, loops)`, only sharing set up before that statement (or in
    a loop around it, which runs again) counts: a view made after the last
    write sees nothing change. With `written=(name, statement)` too, when every
    path to that statement last bound `name` to a new value (`nxt = np.zeros(3)`,
    `nxt = 2.0 * cur`) in the same iteration of the loops around that binding,
    only sharing set up since then counts (in the loops between the binding and
    the statement, before or after it): nothing made before shares the new
    value's memory. A store into a slot of a list or dict (`d[k] = v`) makes
    the container hold `v`, like a display or an append. Names that
    only ever hold numbers share nothing (`j = i`, then `j -= 1`): see `numbers`,
    whose result (with `known` scalar parameters) the caller may pass. `returns`
    (a call -> the argument nodes its result may share, None when unknown) says
    what a user's function hands back; `arrays` (a name -> whether it is a global
    or closure name holding a NumPy array, which the derivative's watch checks),
    which indices are arrays (`t[PERM]` copies).
    """
    parent: dict[str, str] = {}
    since = crossed = None
    if before is not None and written is not None:
        local = set(params) | set(nodes.stored_names(body))
        since, crossed = _fresh_binding(body, written[0], written[1], local, returns) or (None, None)

    def find(n):
        parent.setdefault(n, n)
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for position, loops, a, b in _edges(body, params, appends, returns, arrays):
        if a in numbers or b in numbers:
            continue
        if before is None or (since is None and (position < before[0] or loops & before[1])) \
                or (since is not None and since < position and (position < before[0] or loops & crossed)):
            parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for n in list(parent):
        groups.setdefault(find(n), set()).add(n)
    return {n: groups[find(n)] for n in parent}


def observers(body, params, name: str, stmt, before, returns=None, numbers=frozenset(), arrays=None) -> set[str]:
    """The names (besides `name`) that may see an in-place write into `name` at
    `stmt` (at `before=(position, loops)`): its alias group (see `alias_groups`)
    less the names bound anew since the sharing was set up. After `z = y;
    y = y + 1.0`, `y` holds a new array: a write into `z` does not show in it,
    though the two were joined once. A name counts as bound anew when every
    path to `stmt` last bound it to a value sharing no local's memory, and no
    sharing involving it has been set up since."""
    groups = alias_groups(body, params, before=before, written=(name, stmt), returns=returns, numbers=numbers,
                          arrays=arrays)
    others = groups.get(name, {name}) - {name}
    if not others:
        return others
    local = set(params) | set(nodes.stored_names(body))
    edges = list(_edges(body, params, True, returns, arrays))
    out = set()
    for other in others:
        fresh = _fresh_binding(body, other, stmt, local, returns)
        if fresh is None or any(
                other in (a, b) and position > fresh[0] and (position < before[0] or loops & fresh[1])
                for position, loops, a, b in edges):
            out.add(other)
    return out


def _edges(body, params, appends: bool, returns=None, arrays=None):
    local = set(params) | set(nodes.stored_names(body))
    holders = containers(body, params) if appends else set()
    indices = _Indices(_index_values(body, params), local, arrays)
    for stmt, position, loops in positions(body):
        if isinstance(stmt, gast.Assign):
            named = [t.id for t in stmt.targets if isinstance(t, gast.Name)]
            for a, b in zip(named, named[1:]):  # `a = u = e`: one object, two names
                yield position, loops, a, b
            for target in stmt.targets:
                if isinstance(target, (gast.Tuple, gast.List)):  # `a, b = u, v`; `r0, r1 = M`
                    yield from _unpacked(target, stmt.value, position, loops, local, appends, returns, indices)
                    continue
                if isinstance(target, gast.Name):
                    for src in _may_view(stmt.value, local, elements=appends, returns=returns, indices=indices):
                        if src != target.id:
                            yield position, loops, target.id, src
                elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
                        and target.value.id in holders:  # d[k] = v: d holds v (an array copies it)
                    for src in _may_view(stmt.value, local, returns=returns, indices=indices) - {target.value.id}:
                        yield position, loops, target.value.id, src
        elif isinstance(stmt, gast.For):  # the items (rows) of what a loop runs over
            targets = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
            for src in _may_view(stmt.iter, local, returns=returns, indices=indices):
                for t in targets - {src}:
                    yield position, loops | {id(stmt)}, t, src
        elif appends and is_append_call(stmt):
            receiver = stmt.value.func.value.id
            for src in _may_view(stmt.value.args[0], local, returns=returns, indices=indices):
                yield position, loops, receiver, src


def _unpacked(target, value, position, loops, local, appends, returns, indices):
    """Edges of an unpacking assignment: each name of `target` to what its element of
    `value` may share (a display of as many elements), or to what `value` itself
    may share (an iterable's items: a matrix's rows are views of it)."""
    elts = target.elts
    paired = isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(elts) \
        and not any(isinstance(e, gast.Starred) for e in elts + value.elts)
    for k, element in enumerate(elts):
        element = element.value if isinstance(element, gast.Starred) else element
        if isinstance(element, (gast.Tuple, gast.List)):
            yield from _unpacked(element, value.elts[k] if paired else value, position, loops, local, appends,
                                 returns, indices)
            continue
        if not isinstance(element, gast.Name):
            continue
        part = value.elts[k] if paired else value
        for src in _may_view(part, local, elements=True if not paired else appends, returns=returns,
                             indices=indices):
            if src != element.id:
                yield position, loops, element.id, src


def _fresh_binding(body, name: str, stmt, local: set, returns=None) -> tuple[int, frozenset] | None:
    """(the position of the statement that binds `name` to a new value last on every
    path to `stmt`, the ids of the loops between the two), or None. It is the
    nearest earlier statement that binds `name` in `stmt`'s block or a block
    around it, and must be `name = <a value sharing no local's memory>`. A loop
    around `stmt` that does not bind `name` may lie between (every iteration
    sees the value bound before the loop); one that binds it may not. `returns`:
    see `alias_groups` (a nested helper's result may share the outer locals it reads)."""
    where = {id(s): p for s, p, _ in positions(body)}
    crossed: set = set()
    for block, index, owner in reversed(blocks_around(body, stmt, None) or []):
        for earlier in reversed(block[:index]):
            if name not in _bound(earlier):
                continue
            if isinstance(earlier, gast.Assign) and len(earlier.targets) == 1 \
                    and isinstance(earlier.targets[0], gast.Name) and _new_value(body, earlier, local, returns):
                return where[id(earlier)], frozenset(crossed)
            return None
        if isinstance(owner, (gast.For, gast.While)):
            if name in _bound(owner):
                return None
            crossed.add(id(owner))
    return None


def _new_value(body, stmt, local: set, returns=None) -> bool:
    """`stmt` binds a value sharing no local's memory: `2.0 * cur`, `np.zeros(3)`,
    or a compiler temporary holding one (`_t1 = y + 1.0; y = _t1`: a temporary
    is read once, where it is made into a user's name)."""
    value = stmt.value
    if isinstance(value, gast.Name) and value.id.startswith("_"):
        reads = sum(1 for n in nodes.name_nodes(body) if n.id == value.id and isinstance(n.ctx, gast.Load))
        return reads == 1 and _fresh_binding(body, value.id, stmt, local, returns) is not None
    return not isinstance(value, (gast.Name, gast.Subscript, gast.Attribute)) \
        and not _may_view(value, local, returns=returns)


def blocks_around(block, stmt, owner) -> list | None:
    """[(block, index, the statement owning the block)] from the function body in
    to the block holding `stmt`, or None when `stmt` is not in `block`."""
    for index, s in enumerate(block):
        if s is stmt:
            return [(block, index, owner)]
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                found = blocks_around(inner, stmt, s)
                if found is not None:
                    return [(block, index, owner)] + found
    return None


def _bound(stmt) -> set[str]:
    """The names `stmt` (and the statements nested in it) may bind."""
    return {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _may_view(expr, local: set[str], elements: bool = True, returns=None, indices=None) -> set[str]:
    """Local names whose memory the value of `expr` may share.

    A display (`[a, b]`) is a new object that holds its elements: it shares
    their memory only when `elements` asks about what the items share. `returns`
    (see `alias_groups`) says which arguments a user's function may hand back;
    `indices` (an `_Indices`), which indices copy.
    """
    if isinstance(expr, gast.Name):
        return {expr.id} & local
    if isinstance(expr, gast.Subscript):
        parts = expr.slice.elts if isinstance(expr.slice, gast.Tuple) else [expr.slice]
        if indices is not None and any(indices.copying(p, expr.value) for p in parts) \
                or any(isinstance(p, gast.List) for p in parts):
            return set()  # fancy indexing: a copy, never a view
        return _may_view(expr.value, local, returns=returns, indices=indices)
    if isinstance(expr, gast.Attribute):
        if expr.attr in table.FRESH_ATTRIBUTES:
            return set()
        return _may_view(expr.value, local, returns=returns, indices=indices)
    if isinstance(expr, (gast.Tuple, gast.List)):
        if not elements or not expr.elts:
            return set()
        return set().union(*(_may_view(e, local, returns=returns, indices=indices) for e in expr.elts))
    if isinstance(expr, gast.Dict):
        if not elements or not expr.values:
            return set()
        return set().union(*(_may_view(e, local, returns=returns, indices=indices) for e in expr.values))
    if isinstance(expr, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):  # holds what it runs over
        if not elements:
            return set()
        parts = [getattr(expr, f) for f in ("elt", "key", "value") if hasattr(expr, f)]
        return set().union(*(_may_view(p, local, returns=returns, indices=indices)
                             for p in parts + [g.iter for g in expr.generators]))
    if isinstance(expr, gast.IfExp):
        return _may_view(expr.body, local, returns=returns, indices=indices) \
            | _may_view(expr.orelse, local, returns=returns, indices=indices)
    if isinstance(expr, gast.Call):
        func = expr.func
        path = nodes.dotted(func) or ""
        head = path.split(".")[0]
        args = list(expr.args)
        handed = None
        if isinstance(func, gast.Attribute) and (not path or head in local):  # a method of a local value
            found, args = table.method(func.attr), [func.value] + args
            if func.attr == "astype" and any(k.arg == "copy" for k in expr.keywords):
                found = table.VIEW  # x.astype(t, copy=False) is x when it can be
        else:
            # A user's function, a nested one included, is what `returns` analyses: not the
            # library function of the same name (a helper `outer()` is not numpy.outer).
            handed = returns(expr) if returns is not None else None
            found = None if isinstance(func, gast.Name) and func.id in local \
                else table.by_name(path.rsplit(".", 1)[-1])
            if path.rsplit(".", 1)[-1] == "array" and any(  # numpy.array(x, copy=False) is x when it can be
                    k.arg == "copy" and not (isinstance(k.value, gast.Constant) and k.value.value is True)
                    for k in expr.keywords):
                found = table.VIEW
        if elements and path in _SHALLOW_COPIES and path not in local:
            shared = args  # list(lst): a new list holding lst's items (a list of an array: its rows)
        elif handed is not None:  # a user's function: the arguments its returns may share
            shared = handed
        elif found is None:  # an unknown callee may hand back any argument
            shared = args + [k.value for k in expr.keywords]
        elif found.views == table.ALL:
            shared = args
        else:
            shared = [args[i] for i in found.views if i < len(args)]
        out: set[str] = set()
        for a in shared:
            out |= _may_view(a, local, returns=returns, indices=indices)
        return out
    return set()


may_view = _may_view


def _index_values(body, params) -> dict:
    """{name: its value} for the names whose only binding (`name = e`) binds an index
    list (`[0, 2]`) or a comparison (`t > 0`), and {name: None} for every other name
    bound once (or a parameter never bound again): `_Indices.copying` reads both.
    The normalisation puts an index in a temporary."""
    counts: dict = dict.fromkeys(params, 1)
    for name in nodes.stored_names(body):
        counts[name] = counts.get(name, 0) + 1
    found: dict = {name: None for name, count in counts.items() if count == 1}
    for stmt in nodes.walk_statements(body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id in found and isinstance(stmt.value, (gast.List, gast.Compare)):
            found[stmt.targets[0].id] = stmt.value
    return found


class _Indices:
    """Which indices make `base[index]` a copy of whatever `base` holds (see `copying`)."""

    def __init__(self, values: dict, local: set, arrays=None):
        self.values, self.local, self.arrays = values, local, arrays  # (`_index_values`, local names)

    def copying(self, part, base) -> bool:
        """An index list (a list, dict or number indexed by a list raises instead); a
        global or closure name holding a NumPy array (`arrays`: the derivative is
        built again when it holds anything else); or a comparison that reads `base`
        itself, bound once (`t[t > 0]`: `t > 0` raises for a list or dict, so `t` is
        an array or a NumPy number, and a boolean index copies). A comparison of
        other values may be a Python bool, which picks a list's item, and that item
        is shared."""
        if isinstance(part, gast.Name):
            if part.id not in self.local:
                return self.arrays is not None and self.arrays(part.id)
            part = self.values.get(part.id) or part
        if isinstance(part, gast.List):
            return True
        if isinstance(part, gast.Compare) and isinstance(base, gast.Name) and base.id in self.values:
            operands = [part.left] + list(part.comparators)
            return any(isinstance(o, gast.Name) and o.id == base.id for o in operands)
        return False


_SHALLOW_COPIES = frozenset({"list", "dict", "tuple", "sorted", "reversed"})


def check_in_place(groups: dict, name: str, node, source: SourceInfo, what: str) -> None:
    """Reject an in-place change of `name` while another variable may view its memory."""
    # Compiler temporaries (`_t3 = x[i]`) are read at once, before any later write,
    # so only the user's own names can observe the change.
    others = sorted(n for n in groups.get(name, {name}) if n != name and not n.startswith("_"))
    if others:
        shown = others[0]
        raise located(source, node, f"{what} changes {name!r} in place, but {name!r} may share "
                      f"memory with {shown!r}; the other name would change too",
                      f"make a copy first, e.g. {name} = {name}.copy(), or write "
                      f"{name} = {name} + ... to make a new array")


def check_aliases(fn, ops, source: SourceInfo, check: bool = True, returns=None,
                  known=frozenset(), arrays=None, lists=frozenset(), deferred=None) -> set[str]:
    """The variables written in place (`x[i] = v`), after checking none is aliased.
    `returns`, `arrays` and `known` (parameters holding numbers): see `alias_groups`;
    `lists`: the parameters that hold lists or tuples (`slots.made_containers`).

    A write into an array that only entries read out of it by an index may share
    (`tmp = u[0]`: a NumPy scalar for a vector, a row's view for a matrix) is
    accepted when `deferred` (a list) is given: `(write, array, entry names)` goes
    into it, for a check when the function runs (`runtime.entries_unshared`)."""
    params = [a.id for a in list(getattr(fn.args, "posonlyargs", None) or []) + fn.args.args
              + fn.args.kwonlyargs]
    from ..normalize.anf import is_append

    mutated: set[str] = set()
    writes = [(stmt, position, loops) for stmt, position, loops in positions(fn.body)
              if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) or is_append(stmt)]
    if not writes:
        return mutated  # (most functions write nothing in place: the facts below are not needed)
    made = made_containers(fn.body, params, lists)
    held_numbers = numbers(fn.body, params, known) if check else set()
    for stmt, position, loops in writes:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            name = stmt.targets[0].value.id
            if check and name in made:
                local = set(params) | set(nodes.stored_names(fn.body))
                groups = {name: slot_observers(fn.body, name, (position, loops),
                                               _fresh_binding(fn.body, name, stmt, local, returns))}
                check_in_place(groups, name, stmt, source, "this assignment into a subscript")
            elif check:
                seen = observers(fn.body, params, name, stmt, (position, loops), returns, held_numbers, arrays)
                seen = seen - _dead_after(fn.body, seen - {name} - set(params), position, loops)
                entries = _entries_of(fn.body, name, {n for n in seen - {name} if not n.startswith("_")},
                                      _holders(fn.body, name, ops))
                if deferred is not None and entries and all(_surely_bound(fn.body, n, stmt) for n in entries):
                    deferred.append((stmt, name, sorted(entries)))
                    seen = seen - entries
                check_in_place({name: seen}, name, stmt, source, "this assignment into a subscript")
            mutated.add(name)
        elif is_append(stmt):
            name = stmt.value.func.value.id
            if check:
                groups = alias_groups(fn.body, params, appends=False, before=(position, loops),
                                      written=(name, stmt), returns=returns, numbers=held_numbers, arrays=arrays)
                seen = groups.get(name, {name})
                items = _list_items(fn.body, name, {n for n in seen - {name} if not n.startswith("_")}, ops)
                check_in_place({name: seen - items}, name, stmt, source, "this append")
            mutated.add(name)
    return mutated


def _list_items(body, name: str, others: set, ops: dict) -> set:
    """Those of `others` an append to the list `name` cannot change: names bound only
    to items read out of it by an index (`x = hist[-1]`), or out of a holder a loop
    over it binds (`_s1 = loop_items(name)` hands the list itself back). An append
    adds an item and changes none."""
    holders = _holders(body, name, ops)
    return {n for n in others if _entries_of(body, name, {n}, holders)}


def _entries_of(body, name: str, others: set, holders=frozenset()) -> set:
    """`others`, when each is bound only to an entry of `name` read by an index of
    names and numbers (`tmp = u[0]`, `left = u[i - 1]` after normalisation, `c =
    U[0, 1]`), or of one of `holders` (names that hold `name` itself: a loop's
    `_s1 = loop_items(u)`), directly or through compiler temporaries (a loop over `u`
    that writes it reads `_t3 = u[i]` or `_t3 = _s1[i]`, then `v = _t3`): values that
    share `name`'s memory only where it has more axes than the index; else the empty set."""
    if not others:
        return set()
    bound: dict = {}
    for stmt in nodes.walk_statements(body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            bound.setdefault(stmt.targets[0].id, []).append(stmt.value)
            continue
        for n in (nodes.stored_names(stmt.target) if isinstance(stmt, gast.For)
                  else [] if isinstance(stmt, (gast.If, gast.While)) else nodes.stored_names(stmt)):
            bound.setdefault(n, []).append(None)
    sources = {name} | set(holders)

    def entry(n: str, seen: set) -> bool:
        for value in bound.get(n, [None]):
            if isinstance(value, gast.Name) and value.id.startswith("_") and value.id not in seen:
                if not entry(value.id, seen | {value.id}):
                    return False
                continue
            if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                    and value.value.id in sources):
                return False
            parts = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
            if not parts or not all(isinstance(p, (gast.Name, gast.Constant)) for p in parts):
                return False
        return True
    return set(others) if all(entry(n, {n}) for n in others) else set()


def _dead_after(body, names: set, position: int, loops: frozenset) -> set:
    """Those of `names` no statement reads after the one at `position` (within
    `loops`): none that comes later, none in a loop around it (run again). A name
    never read again cannot see a write (`for row in A: s = s + ...`, then `A[0] = s`:
    `row` is done with)."""
    if not names:
        return set()
    read: set = set()
    for stmt, where, around in positions(body):
        if where > position or around & loops:
            read |= nodes.loaded_names(stmt)
    return names - read


def _holders(body, name: str, ops: dict) -> set:
    """The compiler's names for the list or array `name` itself: `_s1 = loop_items(name)`
    of a loop over it (loop_items hands a list, tuple or array back as it is)."""
    return {s.targets[0].id for s in nodes.walk_statements(body)
            if isinstance(s, gast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name) and s.targets[0].id.startswith("_")
            and getattr(ops.get(id(s)), "callee", None) is runtime.loop_items
            and isinstance(s.value, gast.Call) and len(s.value.args) == 1
            and isinstance(s.value.args[0], gast.Name) and s.value.args[0].id == name}


def _surely_bound(body, name: str, stmt) -> bool:
    """`name` is bound when `stmt` runs: an earlier statement of its block, or of a
    block around it, binds it (not one nested in a branch or loop there)."""
    for block, index, _ in reversed(blocks_around(body, stmt, None) or []):
        if any(name in _bound(s) and not isinstance(s, (gast.If, gast.For, gast.While, gast.With, gast.Try))
               for s in block[:index]):
            return True
    return False


def written_in_place(body, params, pure) -> set[str]:
    """Names whose memory may be written in place somewhere in `body`, or may
    share memory with something that is.

    A write is a store into a subscript or an attribute (`x[i] = v`, `x.a += v`),
    an augmented assignment (`y += v` writes an array in place), a method call
    not known to only read (`v.fill(0)`, `v.sort()`), or an argument of a call
    that `pure(call)` does not vouch for (a helper may write its argument; `out=`
    is written). Deny by default: the passes that merge equal values read this,
    and merging two values of which one is later changed changes both.
    """
    deep: set[str] = set()      # written, and so is whatever shares their memory
    shallow: set[str] = set()   # only the container object changes (append, pop)
    own: list = []  # the expressions of the statements themselves (not of those nested in them)
    entries: list = []  # the values a store into an entry or attribute writes into (`x` of `x[i] = v`)
    handlers: list = []  # `except` clauses (the statements nested in them are not walked, their stores count)
    for stmt in _every_statement(body):
        cls = stmt.__class__
        if cls is gast.Assign:  # (the commonest statements: their expressions read directly)
            targets = stmt.targets
            own += targets
            own.append(stmt.value)
            if len(targets) == 1 and targets[0].__class__ is gast.Name:
                continue  # binds a name: writes nothing
        elif cls is gast.Expr:
            own.append(stmt.value)
            continue
        elif cls is nodes.Comment:
            continue
        else:
            targets = [stmt.target] if cls is gast.AugAssign or cls is gast.AnnAssign else []
            own += _own_expressions(stmt)
            handlers += getattr(stmt, "handlers", None) or ()
        for target in targets:
            for t in (target.elts if isinstance(target, (gast.Tuple, gast.List)) else [target]):
                if isinstance(t, (gast.Subscript, gast.Attribute)):
                    entries.append(t.value)
                elif isinstance(t, gast.Name) and isinstance(stmt, gast.AugAssign):
                    deep.add(t.id)
    calls, stored = nodes.calls_and_stored_names(own)
    local = set(params) | stored | set(nodes.stored_names(handlers))  # (every name `body` stores)
    for value in entries:
        deep |= _may_view(value, local)
    for call in calls:
        func = call.func
        receiver = _may_view(func.value, local) if isinstance(func, gast.Attribute) else set()
        if receiver and table.structure_only(func.attr):
            shallow |= receiver
            continue
        if receiver and table.reads_only(func.attr) and not call.keywords:
            continue
        if not receiver and pure(call):
            continue
        deep |= receiver
        for a in list(call.args) + [k.value for k in call.keywords]:
            deep |= _may_view(a, local)
    out = set(shallow)
    if deep:  # what shares memory with a written name (the analysis costs: only when asked)
        groups = alias_groups(body, params)
        for name in deep:
            out |= groups.get(name, {name})
    return out


_LEAF_STATEMENTS = frozenset({gast.Assign, gast.Expr, gast.AugAssign, gast.Return, nodes.Comment})


def _every_statement(body):
    """Every statement of `body`, those in `with` blocks (`no_grad`) included."""
    for stmt in body:
        yield stmt
        if stmt.__class__ in _LEAF_STATEMENTS:
            continue  # (no statements nested in it)
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _every_statement(inner)


_BLOCKS = frozenset({"body", "orelse", "finalbody", "handlers"})


def _own_expressions(stmt) -> list:
    """The expressions (and other nodes) of `stmt` itself, not the statements nested in it."""
    own = []
    for field in nodes.child_fields(stmt.__class__):
        if field in _BLOCKS:
            continue
        value = getattr(stmt, field, None)
        if value.__class__ is list:
            own += [item for item in value if isinstance(item, gast.AST)]
        elif isinstance(value, gast.AST):
            own.append(value)
    return own



def outer_memory(body, params, data=None) -> set[str]:
    """The names of `body` whose value may be, or share memory with, a value the
    caller keeps that is not an argument: a global or closure name the function
    reads (`TRAJ`, `self`), and each local bound to what one of those may hold
    (`t = self.traj`, `row = TRAJ[0]`, `for row in TRAJ`), through any chain of
    locals. A write into such a value outlives the call: the caller sees it.
    Syntactic and conservative, as `may_view` (the values an argument holds are
    the caller's too, but not counted here: see `reverse.function.outer_restores`).
    A free name a call is made through (`np` of `np.zeros(3)`, `BIG` of
    `BIG.reshape(2, 3)`) counts where `data(name)` says it holds data, not a module."""
    local = set(params) | set(nodes.stored_names(body))
    callees = set()  # the Name nodes a call is made through (`np` of `np.zeros(3)`, `helper`)
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        if isinstance(node, gast.Call):
            func = node.func
            while isinstance(func, gast.Attribute):
                func = func.value
            callees.add(id(func))
    free = {n.id for n in nodes.name_nodes(body) if isinstance(n.ctx, gast.Load) and n.id not in local
            and (id(n) not in callees or data is not None and data(n.id))}
    everything = local | free
    outer = set(free)
    bindings = []  # (target names, the expression whose memory they may share)
    for stmt, _, _ in positions(body):
        if isinstance(stmt, gast.Assign):
            targets = {n.id for t in stmt.targets if not isinstance(t, (gast.Subscript, gast.Attribute))
                       for n in gast.walk(t) if isinstance(n, gast.Name)}
            bindings.append((targets, stmt.value))
        elif isinstance(stmt, gast.For):
            bindings.append(({n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}, stmt.iter))
    changed = True
    while changed:
        changed = False
        for targets, value in bindings:
            if not targets <= outer and _may_view(value, everything) & outer:
                outer |= targets
                changed = True
    return outer
