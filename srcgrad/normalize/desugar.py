"""Desugaring: fewer statement forms for the later passes.

Assumes: the fence accepted the function. Guarantees: no AugAssign or
AnnAssign; every Assign has one target; a tuple target is unpacked into
single assignments; docstrings and `pass` are gone (an empty block keeps one
`pass`); every `for` loop runs over `range(...)` with a name as its target;
no `with`: a no_grad block's statements are inlined, their values marked
constant (see `nograd`).

    x += y                  ->   x = x + y
    a, b = b, a             ->   _t1 = b; _t2 = a; a = _t1; b = _t2
    n, m = x.shape          ->   _t1 = x.shape; n = _t1[0]; m = _t1[1]
    for x in xs:            ->   for _i1 in range(len(xs)):
                                     x = xs[_i1]
    for k in d:             ->   _s1 = list(d)                (d holds a dict: its keys)
                                 for _i1 in range(len(_s1)):
                                     k = _s1[_i1]
    for v in c:             ->   _s1 = loop_items(c)          (c's kind is not known: a dict
                                 for _i1 in range(len(_s1)):   gives its keys, a list, tuple
                                     v = _s1[_i1]              or array itself)
    for i, x in enumerate(xs)->  for i in range(len(xs)):
                                     x = xs[i]
    for a, b in zip(as, bs) ->   for _i1 in range(min(len(as), len(bs))):
                                     a = as[_i1]; b = bs[_i1]
    for i, x in enumerate(xs, start=1) -> for _i1 in range(len(xs)):
                                     i = _i1 + 1; x = xs[_i1]
    for v in reversed(xs)   ->   for _i1 in range(len(xs)):
                                     v = xs[len(xs) - 1 - _i1]   (a range through list(...))
    for k, v in d.items()   ->   _s1 = list(d)                (d.values(), d.keys() alike)
                                 for _i1 in range(len(_s1)):
                                     k = _s1[_i1]; v = d[k]
    with srcgrad.no_grad():  ->   y = __srcgrad_no_grad__(y * 2.0)
        y = y * 2.0
"""
from __future__ import annotations

import gast
import numpy

from .. import nodes
from ..analysis.aliases import check_in_place, observers
from ..analysis.buffers import bound_names, float_names
from ..analysis.slots import containers, positions, repeats_entries, shallow_copy_of
from ..analysis.numbers import numbers
from ..errors import SourceInfo, located, unsupported
from ..naming import Names
from . import nograd
from ..rules import facts as table


LOOP_ITEMS = "__srcgrad_loop_items__"  # bound to runtime.loop_items after resolve
IN_PLACE = "__srcgrad_in_place__"  # bound to runtime.in_place_result after resolve


def is_loop_items(call) -> bool:
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and call.func.id == LOOP_ITEMS


def is_in_place(call) -> bool:
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and call.func.id == IN_PLACE


def in_place_marker(value, target, kind: str):
    """`__srcgrad_in_place__(value, target, kind)`: what an in-place operation leaves in
    `target` (`runtime.in_place_result`), whose result the derivative computes anew as
    `value`; `kind` is the operator (`"+="`), a ufunc's name (`out=`) or `"copyto"`."""
    return gast.Call(func=nodes.name(IN_PLACE), args=[value, target, nodes.const(kind)], keywords=[])


def bind_loop_items(fn, rename_global) -> None:
    """Make every `loop_items` and `in_place` marker in the (resolved) ANF function `fn`
    a call of its runtime helper, under the name `rename_global` gives it, in place."""
    for stmt in nodes.walk_statements(fn.body):
        if isinstance(stmt, gast.Assign) and is_loop_items(stmt.value):
            stmt.value.func = nodes.name(rename_global("loop_items"))
        elif isinstance(stmt, gast.Assign) and is_in_place(stmt.value):
            stmt.value.func = nodes.name(rename_global("in_place_result"))


def desugar(fn, names: Names, source: SourceInfo, scalar_params=frozenset(), sequence_params=frozenset(),
            returns=None, arrays=None, copy: bool = True):
    """`fn` desugared: a copy, or with `copy=False` (a caller that owns `fn`) `fn` itself,
    changed in place. `sequence_params`: parameters known to hold an array or a list of numbers
    (a loop over one reads its items by index). A loop over a dict display runs
    over `list(d)`, its keys; over a value of any other kind (a parameter that may
    hold a dict, a helper's parameter), over `loop_items(x)`, which does what
    iteration does. `returns`: what a call to a user's function may hand back,
    `arrays`: which global names hold NumPy arrays (see `aliases.alias_groups`)."""
    if copy:
        fn = nodes.clone(fn)
    params = [a.id for a in list(getattr(fn.args, "posonlyargs", None) or []) + fn.args.args
              + fn.args.kwonlyargs]
    generated = source.filename.startswith("<srcgrad")  # our own code: alias-safe by construction
    found = [] if generated else list(positions(fn.body))
    augmented = any(isinstance(stmt, gast.AugAssign) for stmt, _, _ in found)  # what the facts below are for
    held_numbers = numbers(fn.body, params, scalar_params) if augmented else set()
    holders = containers(fn.body, params) if augmented else set()
    checked: set = set()  # ids of the `y op= e` on a name that may hold an array
    floats = None  # the names that surely hold floats (`buffers.float_names`), when asked
    binds = None  # {local name: the statements that bind it}, when asked
    for stmt, position, loops in found:
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            if stmt.target.id in held_numbers or (not loops and stmt.target.id not in params
                                                  and _holds_a_scalar(stmt.target.id, found)):
                continue  # a number or a NumPy scalar: `y += e` rebinds, like `y = y + e`
            group = {stmt.target.id} | observers(fn.body, params, stmt.target.id, stmt, (position, loops),
                                                 returns, held_numbers, arrays)
            # A group whose only parameters are Python numbers holds immutable values:
            # `y += e` rebinds there, exactly like `y = y + e`.
            if (group & set(params)) and (group & set(params)) <= set(scalar_params):
                continue
            check_in_place({stmt.target.id: group}, stmt.target.id, stmt, source, "this augmented assignment")
            if binds is None:
                binds = _bindings(found, params)
            if stmt.target.id in holders or _bound_to_display(binds.get(stmt.target.id, ())):
                continue  # a list or tuple: `+=` joins (rebinds where nothing else holds it)
            if _starts_as_a_number(binds.get(stmt.target.id, ()), held_numbers):
                continue  # `s = 0.0; s += x[i]`: a number or NumPy scalar, rebound (see the function)
            if _number(stmt.value):
                if floats is None:
                    floats = float_names([s for s, _, _ in found], params, numpy_path)
                if stmt.target.id in floats:
                    continue  # a Python number keeps an array of floats' shape and dtype
            checked.add(id(stmt))  # NumPy's shape and dtype rules, when it runs
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript) \
                and isinstance(stmt.target.value, gast.Name):
            _check_shallow_copy(fn.body, stmt, source, holders | (set(params) - set(sequence_params)
                                                                    - set(scalar_params)))
            if stmt.target.value.id in holders:
                _check_entry_update(fn.body, params, stmt, position, loops, source, returns, held_numbers, arrays)
    if checked:
        fn.body = _in_place_results(fn.body, checked)
    kinds = _loop_kinds(fn.body, params, sequence_params) if _has_for(fn.body) else None  # (only `_for` asks)
    fn.body = _body(fn.body, names, source, kinds, top=True)
    return fn


_OPERATORS = {gast.Add: "+=", gast.Sub: "-=", gast.Mult: "*=", gast.Div: "/=", gast.FloorDiv: "//=",
              gast.Mod: "%=", gast.Pow: "**=", gast.MatMult: "@=", gast.LShift: "<<=", gast.RShift: ">>=",
              gast.BitAnd: "&=", gast.BitOr: "|=", gast.BitXor: "^="}


def _in_place_results(body, checked: set) -> list:
    """`body` with each `y op= e` of `checked` (ids) written `y = in_place(y op e, y, "op=")`:
    on an array NumPy writes the result into y, so it keeps y's shape and dtype (float32
    rounds), or raises (a result of more axes, floats into an int array); the derivative
    rebinds y to the result computed anew, checked and cast as NumPy writes it."""
    out = []
    for stmt in body:
        if id(stmt) in checked:
            left = nodes.clone(stmt.target)
            left.ctx = gast.Load()
            value = gast.copy_location(gast.BinOp(left=left, op=stmt.op, right=stmt.value), stmt.value)
            call = gast.copy_location(in_place_marker(value, nodes.name(stmt.target.id), _OPERATORS[stmt.op.__class__]),
                                      stmt.value)
            stmt = _assign([nodes.clone(stmt.target)], call, stmt)
        else:
            nodes.map_blocks(stmt, lambda inner: _in_place_results(inner, checked))
        out.append(stmt)
    return out


def _bindings(found: list, params) -> dict:
    """{name: the statements that bind it (assignments, loops; not `+=`)}, for the local
    names that are no parameter (a parameter is bound by the call too)."""
    out: dict = {}
    for stmt, _, _ in found:
        for name in bound_names(stmt):
            if name not in params:
                out.setdefault(name, []).append(stmt)
    return out


def _bound_to_display(binds) -> bool:
    """One of a name's bindings `binds` is to a list, tuple or dict display (`t = ()`):
    its `+=` joins sequences, a new one each time."""
    return any(isinstance(s, gast.Assign) and isinstance(s.value, _SEQUENCE_DISPLAYS)
               and any(isinstance(t, gast.Name) for t in s.targets) for s in binds)  # (not `a, b = e1, e2`)


_SEQUENCE_DISPLAYS = (gast.List, gast.Tuple, gast.Dict, gast.ListComp, gast.DictComp)


def _starts_as_a_number(binds, held_numbers: set) -> bool:
    """Every binding of a name (`binds`) is an assignment of a Python number (`s = 0.0`):
    an accumulator, changed by augmented assignments only. `s += e` rebinds a number or
    a NumPy scalar (immutable), as `s = s + e` does, so nothing is checked. (Given an
    array, `s` becomes the new array `s + e`; NumPy adds later operands into it in
    place, which is then computed as `s = s + e` too, unchecked: a later `e` of more
    axes, or of a wider dtype than a float32 `s`, is not refused or rounded.)"""
    return bool(binds) and all(
        isinstance(b, gast.Assign) and len(b.targets) == 1 and isinstance(b.targets[0], gast.Name)
        and (_number(b.value) or isinstance(b.value, gast.Name) and b.value.id in held_numbers) for b in binds)


def _number(expr) -> bool:
    """`expr` is a Python number written out (`2.0`, `-1`, `0.5 * 3`): a weak operand,
    which keeps an array's shape and, for a float array, its dtype."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) in (int, float, bool)
    if isinstance(expr, gast.UnaryOp):
        return isinstance(expr.op, (gast.USub, gast.UAdd)) and _number(expr.operand)
    if isinstance(expr, gast.BinOp):
        return _number(expr.left) and _number(expr.right)
    return False


def numpy_path(node):
    """What a dotted `np.zeros` / `numpy.float32` / `float` names, read from its text (as
    `_scalar_valued` reads it: desugaring runs before names are resolved); None otherwise."""
    path = nodes.dotted(node) or ""
    head, _, rest = path.partition(".")
    if head in ("np", "numpy"):
        obj = numpy
        for attr in rest.split(".") if rest else []:
            obj = getattr(obj, attr, None)
        return obj
    return float if path == "float" else None


def _check_shallow_copy(body, stmt, source, containers: set) -> None:
    """`q[k] op= v` where q is somewhere a shallow copy of a container (`p.copy()`,
    `p[:]`, `p + []`, of a dict or list made here or passed in, `containers`):
    NumPy changes the array held in the slot in place, and the original holds that
    same array, where `q[k] = q[k] op v` (what the derivative computes) rebinds the
    slot only. Refused."""
    name = stmt.target.value.id
    for s in nodes.walk_statements(body):
        if isinstance(s, gast.Assign) and any(isinstance(t, gast.Name) and t.id == name for t in s.targets):
            source_name = shallow_copy_of(s.value, containers)
            if source_name is not None:
                raise located(source, stmt, f"this augmented assignment into {name}[...] changes the array held "
                              f"there in place, but {name!r} is a shallow copy of {source_name!r}, which holds "
                              "the same array and would change too",
                              f"write {name}[k] = {name}[k] * ... (or + ...) to make a new array")


def _check_entry_update(body, params, stmt, position, loops, source, returns, held_numbers, arrays) -> None:
    """`d[k] += v` on a list or dict: NumPy changes the array held in the slot in
    place, where `d[k] = d[k] + v` (what the derivative computes) rebinds the slot.
    The two agree unless that array is held elsewhere too: by another name or
    container (`d = {"h": h}`, `lst = [a, a]`, `cp = list(lst)`) or in another slot
    (`[np.zeros(3)] * 2`). That is refused."""
    name = stmt.target.value.id
    what = f"this augmented assignment into {name}[...] (it changes the array held there in place)"
    if repeats_entries(body, name):
        raise located(source, stmt, f"{what}, but {name!r} holds one object in several slots "
                      "(`[v] * n`): the slots share its memory, and the others would change too",
                      f"build the entries separately, e.g. [np.zeros(3) for _ in range(n)], "
                      f"or write {name}[k] = {name}[k] + ...")
    seen = observers(body, params, name, stmt, (position, loops), returns, held_numbers, arrays)
    others = sorted(n for n in seen if not n.startswith("_"))
    if others:
        raise located(source, stmt, f"{what}, but the entry may share memory with {others[0]!r}; "
                      "the other name would change too",
                      f"write {name}[k] = {name}[k] + ... to make a new array, or store a copy")


def _has_for(body) -> bool:
    """Whether a `for` statement is anywhere in `body` (in any block of its statements)."""
    stack = list(body)
    pop, For = stack.pop, gast.For
    while stack:
        stmt = pop()
        if stmt.__class__ is For:
            return True
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(stmt, field, None)
            if block.__class__ is list:
                stack.extend(block)
    return False


def _loop_kinds(body, params, sequence_params) -> dict:
    """{name: "dict" or "sequence"} for the names whose every binding says which
    one they hold; a loop over any other name goes through `loop_items`."""
    bindings: dict = {p: ["sequence" if p in sequence_params else None] for p in params}
    for stmt in nodes.walk_statements(body):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target] if isinstance(
            stmt, (gast.AugAssign, gast.AnnAssign, gast.For)) else []
        for target in targets:
            for node in nodes.name_nodes(target):  # (a kind only where the target is one name)
                if isinstance(node.ctx, gast.Store):
                    kind = _display_kind(stmt.value) if isinstance(stmt, gast.Assign) and target is node else None
                    bindings.setdefault(node.id, []).append(kind)
    return {name: kinds[0] for name, kinds in bindings.items() if kinds[0] is not None and len(set(kinds)) == 1}


def _display_kind(expr):
    if _builds_dict(expr):
        return "dict"
    if isinstance(expr, (gast.List, gast.Tuple, gast.ListComp)):
        return "sequence"
    return None


def _builds_dict(expr) -> bool:
    return isinstance(expr, (gast.Dict, gast.DictComp)) or (
        isinstance(expr, gast.Call) and nodes.dotted(expr.func) == "dict")


def _holds_a_scalar(name: str, found: list) -> bool:
    """`name` is augmented once, and is otherwise only ever bound to a number or
    to a full reduction (`np.prod(x)`): an immutable value, whatever shares it."""
    augmented = [s for s, _, _ in found if isinstance(s, gast.AugAssign)
                 and isinstance(s.target, gast.Name) and s.target.id == name]
    binds = [s for s, _, _ in found if isinstance(s, gast.Assign) and any(
        isinstance(n, gast.Name) and n.id == name for t in s.targets for n in gast.walk(t))]
    others = [s for s, _, _ in found if isinstance(s, (gast.For, gast.With))
              and name in nodes.names_in(s.target if isinstance(s, gast.For) else s.items)]
    return len(augmented) == 1 and bool(binds) and not others and all(
        len(b.targets) == 1 and isinstance(b.targets[0], gast.Name) and _scalar_valued(b.value)
        for b in binds)


def _scalar_valued(expr) -> bool:
    """A number, a full reduction of one array, or arithmetic of such."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) in (int, float)
    if isinstance(expr, gast.BinOp):
        return _scalar_valued(expr.left) and _scalar_valued(expr.right)
    if isinstance(expr, gast.UnaryOp):
        return _scalar_valued(expr.operand)
    if isinstance(expr, gast.Call) and len(expr.args) == 1 and not expr.keywords:
        path = nodes.dotted(expr.func) or ""
        head, _, last = path.rpartition(".")
        found = table.of(getattr(numpy, last, None)) if head in ("np", "numpy") else None
        return found is not None and found.reduces
    return False


def _body(body, names: Names, source: SourceInfo, kinds=None, top: bool = False) -> list:
    """`kinds`: {name: "dict" or "sequence"} where every binding of the name says which."""
    out: list = []
    for stmt in body:
        if isinstance(stmt, gast.Pass) or (
                isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)):
            continue
        if isinstance(stmt, gast.If):
            stmt = nodes.clone(stmt)
            stmt.body = _body(stmt.body, names, source, kinds) or [gast.Pass()]
            stmt.orelse = _body(stmt.orelse, names, source, kinds)
            out.append(stmt)
            continue
        if isinstance(stmt, gast.While):
            stmt = nodes.clone(stmt)
            stmt.body = _body(stmt.body, names, source, kinds) or [gast.Pass()]
            out.append(stmt)
            continue
        if isinstance(stmt, gast.For):
            out.extend(_for(stmt, names, source, kinds))
            continue
        if isinstance(stmt, gast.AugAssign):
            left = nodes.clone(stmt.target)
            left.ctx = gast.Load()
            value = gast.BinOp(left=left, op=stmt.op, right=stmt.value)
            target = nodes.clone(stmt.target)
            target.ctx = gast.Store()
            stmt = _assign([target], value, stmt)
        elif isinstance(stmt, gast.AnnAssign):
            stmt = _assign([stmt.target], stmt.value, stmt)
        if isinstance(stmt, gast.Assign) and _self_assignment(stmt):
            continue  # `h = h` changes nothing (its adjoint would be reset after it is passed on)
        if isinstance(stmt, gast.Assign):
            out.extend(_unpack(stmt, names))
        elif isinstance(stmt, gast.With):  # a no_grad block: inlined, its values constants
            out.extend(nograd.constant(_body(stmt.body, names, source, kinds)))
        else:
            out.append(stmt)
    return out


def _self_assignment(stmt) -> bool:
    """`h = h`, a local name to itself: nothing changes where h is bound (where it is
    not, Python raises there, and without the statement at h's next read)."""
    return len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
        and isinstance(stmt.value, gast.Name) and stmt.targets[0].id == stmt.value.id


def _for(stmt, names: Names, source: SourceInfo, kinds=None) -> list:
    """Lower a `for` loop to `for <name> in range(...)`, items read by index."""
    stmt = nodes.clone(stmt)
    body = _body(stmt.body, names, source, kinds)
    assigned = {n.id for s in body for n in gast.walk(s)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    it, target = stmt.iter, stmt.target
    for zipped in [it] + (it.args[:1] if isinstance(it, gast.Call) and nodes.dotted(it.func) == "enumerate" else []):
        _without_strict(zipped, stmt, source)
    call = it.func if isinstance(it, gast.Call) else None
    callee = nodes.dotted(call) if call is not None else None
    before: list = []

    def held(expr):
        """`expr` as a name the body does not rebind (evaluated once, as Python does),
        indexable by position as iteration reads it: a dict goes through `list(...)`
        (its keys), a value of unknown kind through `loop_items(...)`."""
        kind = (kinds or {}).get(expr.id) if isinstance(expr, gast.Name) else _display_kind(expr)
        changed = _changed_in_place(stmt.body, expr.id, target.id if isinstance(target, gast.Name) else None) \
            if isinstance(expr, gast.Name) and kind != "dict" and (kind is None or expr.id in assigned) else None
        if changed is not None and expr.id in assigned:
            raise located(source, changed, f"this changes '{expr.id}' in place while the loop on line "
                          f"{stmt.lineno} runs over it, and the loop binds '{expr.id}' again: the "
                          f"derivative cannot follow which items it reads",
                          f"loop over range(len({expr.id})) and read {expr.id}[i] in the body")
        if kind == "dict":
            expr = gast.copy_location(gast.Call(func=nodes.name("list"), args=[expr], keywords=[]), expr)
        elif kind is None:
            expr = gast.copy_location(gast.Call(func=nodes.name(LOOP_ITEMS), args=[expr], keywords=[]), expr)
        elif isinstance(expr, gast.Name) and expr.id not in assigned:
            return expr
        holder = names.fresh("s")
        before.append(_assign([nodes.name(holder, store=True)], expr, stmt))
        if changed is not None:  # the body changes it: its items are read as they are then
            live[holder] = expr.args[0].id
        return nodes.name(holder)

    live: dict = {}  # holder -> the name it holds, where the body changes that in place

    def at(seq, index):
        """`seq[index]`; for a holder of a list or array the body changes in place, the
        item as it is now: `xs[index] if _s1 is xs else _s1[index]` (`loop_items` hands
        back a list, tuple or array itself, and a dict's keys as a new list)."""
        read = gast.Subscript(value=nodes.clone(seq), slice=index, ctx=gast.Load())
        name = live.get(seq.id)
        if name is None:
            return read
        test = gast.Compare(left=nodes.clone(seq), ops=[gast.Is()], comparators=[nodes.name(name)])
        now = gast.Subscript(value=nodes.name(name), slice=nodes.clone(index), ctx=gast.Load())
        return gast.copy_location(gast.IfExp(test=test, body=now, orelse=read), stmt)

    def item(seq, index):
        return at(seq, nodes.name(index))

    if callee == "range" and isinstance(target, gast.Name):
        stmt.body = body or [gast.Pass()]
        return [stmt]
    method = call.attr if isinstance(call, gast.Attribute) and not it.args and not it.keywords else None
    if method in ("items", "values", "keys") and (method != "items" or (
            isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2)):
        # for k, v in d.items(): the keys, each entry read by its key (as for any mapping)
        mapping = call.value
        if not (isinstance(mapping, gast.Name) and mapping.id not in assigned):
            holder = names.fresh("d")
            before.append(_assign([nodes.name(holder, store=True)], mapping, stmt))
            mapping = nodes.name(holder)
        keys = held(gast.copy_location(gast.Call(func=nodes.name("list"), args=[nodes.clone(mapping)],
                                                 keywords=[]), it))
        index = names.fresh("i")
        key_target = target.elts[0] if method == "items" else target if method == "keys" else None
        key = key_target.id if isinstance(key_target, gast.Name) else names.fresh("k")
        head = [_assign([nodes.name(key, store=True)], item(keys, index), stmt)]
        if key_target is not None and not isinstance(key_target, gast.Name):
            head += _unpack_one(key_target, nodes.name(key), stmt, names)
        if method != "keys":
            entry = gast.Subscript(value=nodes.clone(mapping), slice=nodes.name(key), ctx=gast.Load())
            head += _unpack_one(target.elts[1] if method == "items" else target, entry, stmt, names)
        return before + [_range_loop(stmt, index, nodes.quote_expr(f"len({keys.id})"), head + body)]
    if callee == "reversed" and len(it.args) == 1 and not it.keywords:
        # for v in reversed(xs): xs's items read by index from the last
        over = it.args[0]
        if isinstance(over, gast.Call) and nodes.dotted(over.func) == "range":
            over = gast.copy_location(gast.Call(func=nodes.name("list"), args=[over], keywords=[]), over)
        seq = held(over)
        index = names.fresh("i")
        last = nodes.quote_expr(f"len({seq.id}) - 1 - {index}")
        head = _unpack_one(target, at(seq, last), stmt, names)
        return before + [_range_loop(stmt, index, nodes.quote_expr(f"len({seq.id})"), head + body)]
    start = _enumerate_start(it) if callee == "enumerate" else None
    if start is not None and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 \
            and isinstance(target.elts[0], gast.Name):
        # for i, v in enumerate(xs, start=1): a hidden index reads, i counts from start
        seq = held(it.args[0])
        if not isinstance(start, gast.Constant):
            first = names.fresh("start")
            before.append(_assign([nodes.name(first, store=True)], start, stmt))
            start = nodes.name(first)
        index = names.fresh("i")
        count = gast.BinOp(left=nodes.name(index), op=gast.Add(), right=nodes.clone(start))
        head = [_assign([nodes.name(target.elts[0].id, store=True)], count, stmt)]
        head += _unpack_one(target.elts[1], item(seq, index), stmt, names)
        return before + [_range_loop(stmt, index, nodes.quote_expr(f"len({seq.id})"), head + body)]
    inner = it.args[0] if callee == "enumerate" and len(it.args) == 1 else None
    if inner is not None and isinstance(inner, gast.Call) and nodes.dotted(inner.func) == "zip" \
            and inner.args and not inner.keywords and not it.keywords \
            and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 \
            and isinstance(target.elts[0], gast.Name) and isinstance(target.elts[1], (gast.Tuple, gast.List)) \
            and len(target.elts[1].elts) == len(inner.args):
        # for i, (a, b) in enumerate(zip(xs, ys)): one index counts and selects
        seqs = [held(a) for a in inner.args]
        index = target.elts[0].id
        head = [s for t, q in zip(target.elts[1].elts, seqs, strict=True)
                for s in _unpack_one(t, item(q, index), stmt, names)]
        lengths = ", ".join(f"len({q.id})" for q in seqs)
        bound = nodes.quote_expr(f"min({lengths})" if len(seqs) > 1 else lengths)
        return before + [_range_loop(stmt, index, bound, head + body)]
    if callee == "enumerate" and len(it.args) == 1 and not it.keywords \
            and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 \
            and isinstance(target.elts[0], gast.Name):
        seq = held(it.args[0])
        index = target.elts[0].id
        head = _unpack_one(target.elts[1], item(seq, index), stmt, names)
    elif callee == "zip" and it.args and not it.keywords \
            and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == len(it.args):
        seqs = [held(a) for a in it.args]
        index = names.fresh("i")
        head = [s for t, q in zip(target.elts, seqs, strict=True)
                for s in _unpack_one(t, item(q, index), stmt, names)]
        lengths = ", ".join(f"len({q.id})" for q in seqs)
        bound = nodes.quote_expr(f"min({lengths})" if len(seqs) > 1 else lengths)
        return before + [_range_loop(stmt, index, bound, head + body)]
    elif callee in ("range", "enumerate", "zip", "reversed", "sorted", "iter", "map", "filter"):
        raise unsupported(source, stmt, f"this `for ... in {callee}(...)` loop",
                          "loop over range(...), an array, a list, zip(...) or enumerate(...)")
    else:
        seq = held(it)
        index = names.fresh("i")
        head = _unpack_one(target, item(seq, index), stmt, names)
    bound = nodes.quote_expr(f"len({seq.id})")
    return before + [_range_loop(stmt, index, bound, head + body)]


def _without_strict(it, stmt, source) -> None:
    """`zip(..., strict=False)` as `zip(...)` (in place): the same loop. `strict=True`
    (Python raises where the lengths differ) is refused by name."""
    if not (isinstance(it, gast.Call) and nodes.dotted(it.func) == "zip" and len(it.keywords) == 1
            and it.keywords[0].arg == "strict"):
        return
    value = it.keywords[0].value
    if isinstance(value, gast.Constant) and value.value is False:
        it.keywords = []
        return
    raise unsupported(source, stmt, "a `for` loop over `zip(..., strict=True)`",
                      "check the lengths before the loop and loop over zip(...) without strict=")


def _changed_in_place(body: list, name: str, key: str | None = None):
    """The first node of `body` (nested blocks included) that changes the value `name`
    holds in place: a store, `op=` or `del` into a subscript or attribute of it (or of
    a part of it), or a call of a method of it (or of a part) not known to only read;
    None when there is none. (`for v in xs:` reads each item as the loop comes to it,
    so such a change shows in the items read after it.) A store into `name[key]`, with
    `key` the loop's target, is a mapping's entry (`for k in d: d[k] = ...`: the loop
    runs over the keys, which that store leaves as they are): it does not count."""
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        if isinstance(node, (gast.Assign, gast.Delete)):
            targets = node.targets
        elif isinstance(node, (gast.AugAssign, gast.AnnAssign, gast.For)):
            targets = [node.target]
        elif isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and _root(func.value) == name and not table.reads_only(func.attr):
                return node
            continue
        else:
            continue
        for target in targets:
            for t in gast.walk(target):
                if isinstance(t, (gast.Subscript, gast.Attribute)) and _root(t) == name and not (
                        key is not None and isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
                        and isinstance(t.slice, gast.Name) and t.slice.id == key):
                    return node
    return None


def _root(node):
    """The name at the root of a chain of subscripts and attributes, or None."""
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _enumerate_start(it):
    """The `start` of `enumerate(xs, start)` or `enumerate(xs, start=...)`, else None."""
    if len(it.args) == 2 and not it.keywords:
        return it.args[1]
    if len(it.args) == 1 and len(it.keywords) == 1 and it.keywords[0].arg == "start":
        return it.keywords[0].value
    return None


def _range_loop(like, index: str, bound, body):
    loop = nodes.quote_stmt(f"for {index} in range(n):\n    pass", n=bound)
    loop.body = body
    gast.copy_location(loop, like)
    nodes.stamp(loop, like.lineno, like.col_offset)
    return loop


def _assign(targets, value, like):
    new = gast.Assign(targets=targets, value=value, type_comment=None)
    return gast.copy_location(new, like)


def _unpack(stmt, names: Names) -> list:
    """Split chained and tuple targets into one-name assignments."""
    targets = stmt.targets
    if len(targets) == 1 and isinstance(targets[0], (gast.Name, gast.Subscript)):
        return [stmt]
    out: list = []
    value = stmt.value
    if len(targets) == 1 and _matches(targets[0], value):
        # Parallel assignment: evaluate every right-hand side before any store.
        pairs = _leaves(targets[0], value)
        holders = [names.fresh("t") for _ in pairs]
        for holder, (_, elt) in zip(holders, pairs, strict=True):
            out.append(_assign([nodes.name(holder, store=True)], elt, stmt))
        for holder, (target, _) in zip(holders, pairs, strict=True):
            out.extend(_unpack_one(target, nodes.name(holder), stmt, names))
        return out
    if len(targets) > 1 or not isinstance(value, gast.Name):
        holder = names.fresh("t")
        out.append(_assign([nodes.name(holder, store=True)], value, stmt))
        value = nodes.name(holder)
    for target in targets:
        out.extend(_unpack_one(target, value, stmt, names))
    return out


def _matches(target, value) -> bool:
    return (isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts))


def _leaves(target, value) -> list:
    """(target, value) pairs of a structured assignment, split as deep as both match."""
    if not _matches(target, value):
        return [(target, value)]
    return [pair for t, v in zip(target.elts, value.elts, strict=True) for pair in _leaves(t, v)]


def _unpack_one(target, value, like, names: Names) -> list:
    if isinstance(target, (gast.Name, gast.Subscript)):
        return [_assign([target], nodes.clone(value), like)]
    out: list = []
    for i, elt in enumerate(target.elts):
        item = gast.Subscript(value=nodes.clone(value), slice=nodes.const(i), ctx=gast.Load())
        if isinstance(elt, (gast.Name, gast.Subscript)):
            out.append(_assign([elt], item, like))
        else:
            holder = names.fresh("t")
            out.append(_assign([nodes.name(holder, store=True)], item, like))
            out.extend(_unpack_one(elt, nodes.name(holder), like, names))
    return out


def spread_shapes(tree, lookup, calls: list | None = None) -> None:
    """`numpy.ndindex(*shape)` as `numpy.ndindex(shape)`: the same iterator, and a call
    without `*` (which the fence lets through for it alone). `lookup(func)` is the
    object a called name or path stands for (None when unknown); `calls`, if given,
    are the calls in `tree` (a caller's walk for them and others). Edits `tree`."""
    for node in nodes.of_class(tree, (gast.Call,)) if calls is None else calls:
        if len(node.args) == 1 and isinstance(node.args[0], gast.Starred) \
                and lookup(node.func) is numpy.ndindex:
            node.args[0] = node.args[0].value
