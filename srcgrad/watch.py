"""What a derivative was built from, and whether Python would still run that.

A derivative is built from more than its function's code: from the helpers
its calls resolve to (and theirs, transitively), the rules registered for
them, and the kinds of the numbers it reads from globals and closures. A
notebook cell run again rebinds a global helper without touching the code
of the function that calls it; `srcgrad.defvjp(op)` run again replaces a
rule. The compiler records what it resolved (`Reads`), and a `Watch` checks,
against one function object, that every name still means the same thing:

- a name bound to a callable, module or class: the very same object;
- a name bound to a number: a number of the same type (the value itself is
  read by the generated code when it runs);
- a name not bound when the derivative was built: still unbound;
- the user rules (`defvjp`, `defjvp`), when the function calls a user function
  or one with a user rule: none registered or replaced since;
- the function's own code and defaults (`__code__`, `__defaults__`,
  `__kwdefaults__`), replaced in place by a hand-rolled reload: the same objects;
- each callee's derivative: its own watch.

Other values (arrays, lists, ...) are read at run time by the generated code
and may change freely. The check runs on every call of a cached derivative,
so `Watch.check()` makes it one generated expression of dictionary reads.
"""
from __future__ import annotations

import builtins
import inspect
import types
import weakref
from dataclasses import dataclass

from .analysis.effects import INDEX_ARRAYS
from .rules import registry

MISSING = object()  # an unbound name, in a watch
ATTRIBUTES = ("__code__", "__defaults__", "__kwdefaults__")  # what a function's derivative reads of it


@dataclass(frozen=True)
class Reads:
    """What one compile resolved, by name (valid for every function that shares it)."""

    names: tuple  # (dotted path, expected object or type, by_type)
    rules: object  # registry.user_rules_version() when the compile met user functions, else None
    callees: tuple  # (function object, its Compiled): derivatives bound into this one
    code: object = None  # a weak ref to the code compiled (a function's `__code__` replaced: another);
    # weak, as the compile cache holds the code only weakly: a function that is gone frees its entry
    # (where, key, expected): what `obj.method` / `fs[1]` calls were read from (a mapping or list),
    # and each callee's code and defaults as it was bound in (a function and one of ATTRIBUTES)
    attributes: tuple = ()


def expectation(value) -> tuple | None:
    """(expected, by_type) for a value a name holds, or None when it may change freely."""
    if value is MISSING or callable(value) or inspect.ismodule(value):
        return value, False
    if type(value) in (float, int, bool, complex):
        return type(value), True
    return None


class Watch:
    """Whether a derivative built from `Reads` still matches what `fn` would run.

    `entries` maps (id of where, key) to (where, key, expected, by_type):
    `where` is a mapping (globals, builtins, a module's dict, the user-rule
    state), None for a closure cell (`key` is then the cell) or a Python
    function (`key` is then one of its `ATTRIBUTES`).
    """

    __slots__ = ("entries", "own")

    def __init__(self, reads: Reads, fn):
        entries: dict = {}
        self.own = None  # `fn`, when its own ATTRIBUTES are watched for it alone (see `check`)
        for path, expected, by_type in reads.names:
            for where, key, value, typed in _places(fn, path, expected, by_type):
                entries[(id(where), id(key) if where is None else key)] = (where, key, value, typed)
        if reads.rules is not None:
            state = registry.user_rules_state()
            entries[(id(state), "version")] = (state, "version", reads.rules, False)
        if isinstance(fn, types.FunctionType) and reads.code is not None:
            # its code or defaults replaced in place; the defaults are bound with the derivative
            entries[(id(fn), "__code__")] = (fn, "__code__", reads.code() or object(), False)
            for attribute in ATTRIBUTES[1:]:
                entries[(id(fn), attribute)] = (fn, attribute, getattr(fn, attribute), False)
            if not any(callee is fn for callee, _ in reads.callees):  # not read by a call of itself
                self.own = fn
        for where, key, expected in getattr(fn, "watched", ()):  # a class's __call__ (forms)
            entries[(id(where), key)] = (where, key, expected, False)
        for callee, compiled in reads.callees:  # flattened: one check covers the callees too
            entries.update(of(compiled, callee).entries)
        for where, key, expected in reads.attributes:  # as the callee was bound in
            entries[(id(where), key)] = (where, key, expected, False)
        self.entries = entries

    def current(self) -> bool:
        """Every name, rule and callee as when the derivative was built (the plain way,
        for a lookup in the cache; `check()` makes the function for the call path)."""
        for where, key, expected, by_type in self.entries.values():
            if where is None:
                try:
                    value = key.cell_contents
                except ValueError:  # an empty cell
                    value = MISSING
            elif type(where) is types.FunctionType:
                value = getattr(where, key)
            else:
                try:
                    value = where[key]  # a dict, a class's mappingproxy, a list of functions
                except (KeyError, IndexError):
                    value = MISSING
            if (type(value) if by_type else value) is not expected:
                return False
        return True

    def check(self, planned: bool = False):
        """`current` as a function of no arguments, made to run on every call of a
        cached derivative: one generated expression of dictionary reads (no loop,
        no allocation). None when there is nothing to check.

        `planned`: for a call that passes every parameter by position (no default
        is read) and checks the function's own `__code__` itself (an identity test
        inline, `api.Derivative.__call__`): the function's own ATTRIBUTES left out."""
        entries = self.entries
        if planned and self.own is not None:
            own = id(self.own)
            entries = {k: e for k, e in entries.items() if not (k[0] == own and k[1] in ATTRIBUTES)}
        if not entries:
            return None
        # The text depends on the entries' forms only (a cell, an attribute of a function, a
        # key of a mapping; by identity, by type or unbound): their objects and keys are the
        # function's defaults, so one compile serves every check of the same form.
        params: list = []  # the defaults' names, in order: m (holder), k (key), e (expected)
        values: list = []
        tests = []

        def given(kind: str, value) -> str:
            params.append(f"{kind}{len(params)}")
            values.append(value)
            return params[-1]

        for where, key, expected, by_type in entries.values():
            holder = given("m", key if where is None else where)
            if where is None:
                value = f"{holder}.cell_contents"
            elif type(where) is types.FunctionType:
                value = f"{holder}.{key}"  # one of ATTRIBUTES: a name, in the text
            else:
                value = f"{holder}[{given('k', key)}]"
            if expected is MISSING:  # unbound when it was built (a function has its ATTRIBUTES)
                tests.append("True" if where is None or type(where) is types.FunctionType
                             else f"{params[-1]} not in {holder}")
                continue
            wanted = given("e", expected)
            tests.append(f"type({value}) is {wanted}" if by_type else f"{value} is {wanted}")
        text = (f"def current({', '.join(params)}):\n"
                f"    try:\n        return {' and '.join(tests)}\n"
                f"    except (KeyError, IndexError, ValueError):  # a name deleted, a cell emptied\n"
                f"        return False\n")
        code = _CHECKS.get(text)
        if code is None:
            scope: dict = {}
            exec(compile(text, "<srcgrad watch>", "exec", dont_inherit=True), {}, scope)
            code = _CHECKS[text] = scope["current"].__code__
        return types.FunctionType(code, _CHECK_GLOBALS, "current", tuple(values))


_CHECKS: dict = {}  # the text of a check -> its compiled code (see `Watch.check`)
_CHECK_GLOBALS = {"__builtins__": builtins}


def _places(fn, path: str, expected, by_type: bool) -> list:
    """Watch entries (where, key, expected, by_type) for one name or dotted path of `fn`."""
    head, *rest = path.split(".")
    cells = getattr(fn, "cells", None)
    if cells is None:
        cells = dict(zip(fn.__code__.co_freevars, getattr(fn, "__closure__", None) or ()))
    if rest:  # a module attribute bound to a user function: each module's dict is watched
        return _module_places(fn, cells, head, rest, expected)
    if head in cells:
        return [(None, cells[head], expected, by_type)]
    globals_ = fn.__globals__
    if head in globals_ or expected is MISSING or by_type:
        return [(globals_, head, expected, by_type)]
    builtins_ = globals_.get("__builtins__", builtins)
    builtins_ = builtins_ if isinstance(builtins_, dict) else vars(builtins_)
    # a builtin, unless a global of that name comes to shadow it
    return [(globals_, head, MISSING, False), (builtins_, head, expected, False)]


def _module_places(fn, cells, head: str, rest: list, expected) -> list:
    """Entries for `head.a.b` (modules down to the user function `expected`): the module
    each name is read from now, the object it held when the derivative was built."""
    out = []
    obj = cells[head].cell_contents if head in cells else fn.__globals__.get(head, MISSING)
    for i, attr in enumerate(rest):
        if not inspect.ismodule(obj):
            return out  # a class attribute: the class itself is watched by its own name
        mapping = vars(obj)
        obj = mapping.get(attr, MISSING)
        out.append((mapping, attr, expected if i == len(rest) - 1 else obj, False))
    return out


def of(compiled, fn) -> Watch:
    """The watch of `compiled` (a codegen.Compiled with `.reads`) for function `fn`.

    Made afresh: it holds `fn`'s globals and cells, so whoever keeps it must keep
    `fn` anyway (a Derivative, a table keyed by `fn`), never a global table of
    compiled code, which would keep throw-away namespaces alive.
    """
    return Watch(compiled.reads, fn)


def reads(parsed, ops: dict, callees: list) -> Reads:
    """What compiling `parsed` (a frontend.ParsedFunction) resolved, for a `Watch`."""
    from .nested import LiftedFunction

    names = []
    subscripts_and_calls: list = []
    free = free_names(parsed.tree, subscripts_and_calls)  # (one walk for both)
    indices = _index_names(subscripts_and_calls) & free
    for ident in sorted(free):
        try:
            value = parsed.namespace.lookup(ident)
        except KeyError:
            value = MISSING
        found = expectation(value)
        if found is not None:
            names.append((ident, *found))
        elif ident in indices and type(value) in INDEX_ARRAYS:
            # an array or a list read as an index (`t[PERM]`) makes a copy: another type may not
            names.append((ident, type(value), True))
    attributes: list = []
    for steps in sorted(_called_paths(subscripts_and_calls), key=repr):
        if steps[0] in free:
            names.extend(_object_reads(parsed.namespace, steps, attributes))
    rules = None
    attributes += [(callee, attribute, getattr(callee, attribute)) for callee, _ in callees
                   if isinstance(callee, types.FunctionType) for attribute in ATTRIBUTES]
    for op in ops.values():
        callee = op.callee
        if op.kind not in ("user", "custom", "badcall") or callee is None \
                or isinstance(callee, LiftedFunction):
            continue
        rules = registry.user_rules_version()  # a rule registered for a callee changes the derivative
        if "." in op.label and op.kind != "badcall":
            names.append((op.label, callee, False))
    code = weakref.ref(parsed.fn.__code__) if isinstance(parsed.fn, types.FunctionType) else None
    return Reads(tuple(names), rules, tuple(callees), code, tuple(attributes))


def _index_names(found: list) -> set[str]:
    """The names read as an index, or as one part of it (`t[PERM]`, `t[PERM, 0]`), by
    the subscripts among `found` (`_subscripts_and_calls`)."""
    import gast

    out = set()
    for sub in found:
        if sub.__class__ is not gast.Subscript:
            continue
        parts = sub.slice.elts if isinstance(sub.slice, gast.Tuple) else [sub.slice]
        out.update(p.id for p in parts if isinstance(p, gast.Name))
    return out


def _called_paths(found: list) -> set[tuple]:
    """What a function calls through an attribute or a constant index (`self.forward(x)`,
    `fs[1](x)`), as (head name, attribute names and indices on the way), by the calls
    among `found` (`_subscripts_and_calls`)."""
    import gast

    out = set()
    for call in found:
        if call.__class__ is not gast.Call:
            continue
        steps, node = [], call.func
        while isinstance(node, (gast.Attribute, gast.Subscript)):
            if isinstance(node, gast.Attribute):
                steps.append(node.attr)
            elif isinstance(node.slice, gast.Constant) and type(node.slice.value) is int:
                steps.append(node.slice.value)
            else:
                break
            node = node.value
        if isinstance(node, gast.Name) and steps:
            out.add((node.id, *reversed(steps)))
    return out


def _object_reads(namespace, steps: tuple, attributes: list) -> list:
    """What calling `self.forward`, `model.lin` or `fs[1]` was resolved through when its
    head is an object or a tuple or list, not a module: the head itself, by identity
    (returned as a name entry), and each attribute or entry on the way, in the
    instance's or its class's dictionary or the list (appended to `attributes`), so
    that `model.act = np.sin` or `fs[1] = np.sin` rebuilds the derivative."""
    head, *rest = steps
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return []
    if inspect.ismodule(obj) or inspect.isclass(obj):
        return []
    out = [(head, obj, False)]
    for step in rest:
        if inspect.ismodule(obj) or inspect.isclass(obj):
            break
        if isinstance(step, int):
            if not isinstance(obj, (list, tuple)) or not -len(obj) <= step < len(obj):
                break
            value = obj[step]
            if isinstance(obj, list):
                attributes.append((obj, step, value))
            obj = value
            continue
        own = getattr(obj, "__dict__", None)
        own = own if isinstance(own, dict) else None
        if own is not None and step in own:
            value = own[step]
            attributes.append((own, step, value))
        else:
            owner = next((c for c in type(obj).__mro__ if step in vars(c)), None)
            if owner is None:
                break
            value = vars(owner)[step]
            attributes.append((vars(owner), step, value))
            if own is not None:  # not shadowed by an instance attribute since
                attributes.append((own, step, MISSING))
        obj = value
    return out


def free_names(tree, found: list | None = None) -> set[str]:
    """Names a `def` (nested defs included) reads that none of its scopes binds.

    `found`, if a list, gets every subscript and call in `tree` (what `_index_names`
    and `_called_paths` look at; one of them twice where a nested def's defaults are
    read in both scopes), from the same walk."""
    import gast

    from .nodes import _name_fields as name_fields, of_class

    FunctionDef, Name, Load, AST, Constant = gast.FunctionDef, gast.Name, gast.Load, gast.AST, gast.Constant
    fields_of: dict = {}  # node class -> its fields that may hold names or calls (not operators), for this call
    wanted = (gast.Subscript, gast.Call) if found is not None else ()

    def scope(fn, enclosing: frozenset) -> set[str]:
        bound = set(enclosing)
        args = fn.args
        params = list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs
        bound |= {a.id for a in params}
        bound |= {a.id for a in (args.vararg, args.kwarg) if a is not None}
        if wanted:  # what the walk below leaves out: annotations (and the outer def's decorators)
            outside = [a.annotation for a in params + [args.vararg, args.kwarg]
                       if a is not None and a.annotation is not None]
            outside += [fn.returns] + list(getattr(fn, "type_params", None) or [])
            outside += fn.decorator_list if fn is tree else []
            found.extend(of_class([n for n in outside if n is not None], wanted))
        inner, loads = [], set()
        stack = list(fn.body) + list(args.defaults) + [d for d in args.kw_defaults if d is not None]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            cls = node.__class__
            if cls in wanted:
                found.append(node)
            if cls is FunctionDef:
                bound.add(node.name)
                inner.append(node)
                stack.extend(node.decorator_list)
                stack.extend(node.args.defaults)
                continue
            if cls is Name:
                (loads if node.ctx.__class__ is Load else bound).add(node.id)
            fields = fields_of.get(cls)
            if fields is None:
                fields = fields_of[cls] = name_fields(cls)
            for field in fields:  # (push_children, inlined: this runs for every node; a name without
                value = getattr(node, field, None)  # children taken at once, a constant left)
                c = value.__class__
                if c is Name and value.annotation is None:
                    (loads if value.ctx.__class__ is Load else bound).add(value.id)
                elif c is list:
                    for item in value:
                        c = item.__class__
                        if c is Name and item.annotation is None:
                            (loads if item.ctx.__class__ is Load else bound).add(item.id)
                        elif c is not Constant and isinstance(item, AST):
                            push(item)
                elif c is not Constant and isinstance(value, AST):
                    push(value)
        free = loads - bound
        for fn_inner in inner:
            free |= scope(fn_inner, frozenset(bound))
        return free

    return scope(tree, frozenset())
