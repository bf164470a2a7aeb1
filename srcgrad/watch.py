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
- a user function or user rule callee: the user rule registered for it;
- each callee's derivative: its own watch.

Other values (arrays, lists, ...) are read at run time by the generated code
and may change freely. `current()` runs on every call of a cached
derivative, so it is a few dictionary reads with no allocation.
"""
from __future__ import annotations

import builtins
import inspect
from dataclasses import dataclass

from .rules import registry

MISSING = object()  # an unbound name, in a watch


@dataclass(frozen=True)
class Reads:
    """What one compile resolved, by name (valid for every function that shares it)."""

    names: tuple  # (dotted path, expected object or type, by_type)
    rules: tuple  # user functions and user-rule callees: (callee, its vjp rule, its jvp rule)
    callees: tuple  # (function object, its Compiled): derivatives bound into this one


def expectation(value) -> tuple | None:
    """(expected, by_type) for a value a name holds, or None when it may change freely."""
    if value is MISSING or callable(value) or inspect.ismodule(value):
        return value, False
    if type(value) in (float, int, bool, complex):
        return type(value), True
    return None


def rule_entry(callee) -> tuple:
    """(callee, the vjp and jvp rules registered for it now, MISSING for none)."""
    vjp, jvp = registry.user_vjp(callee), registry.user_jvp(callee)
    return callee, MISSING if vjp is None else vjp, MISSING if jvp is None else jvp


class Watch:
    """Whether a derivative built from `Reads` still matches what `fn` would run."""

    __slots__ = ("entries", "_same", "_types", "_cells", "__weakref__")

    def __init__(self, reads: Reads, fn):
        # (id of where, key) -> (where, key, expected, by_type); `where` is a mapping,
        # a registry getter, or None for a closure cell (then `key` is the cell)
        entries: dict = {}
        for path, expected, by_type in reads.names:
            for where, key, value, typed in _places(fn, path, expected, by_type):
                entries[(id(where), id(key) if where is None else key)] = (where, key, value, typed)
        for callee, vjp, jvp in reads.rules:
            entries[(id(_USER_VJP), callee)] = (_USER_VJP, callee, vjp, False)
            entries[(id(_USER_JVP), callee)] = (_USER_JVP, callee, jvp, False)
        for callee, compiled in reads.callees:  # flattened: one check covers the callees too
            entries.update(of(compiled, callee).entries)
        self.entries = entries
        self._same = tuple((w.get, k, v) for w, k, v, typed in entries.values() if w is not None and not typed)
        self._types = tuple((w.get, k, v) for w, k, v, typed in entries.values() if w is not None and typed)
        self._cells = tuple((k, v, typed) for w, k, v, typed in entries.values() if w is None)

    def current(self) -> bool:
        """Every name, rule and callee as when the derivative was built."""
        for get, key, expected in self._same:
            if get(key, MISSING) is not expected:
                return False
        for get, key, expected in self._types:
            if type(get(key, MISSING)) is not expected:
                return False
        for cell, expected, by_type in self._cells:
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                value = MISSING
            if (type(value) if by_type else value) is not expected:
                return False
        return True

    def __bool__(self) -> bool:
        """Whether there is anything to check (an empty watch costs nothing to skip)."""
        return bool(self.entries)


class _Rules:
    """A user-rule table seen as a mapping with `.get` (for a watch entry)."""

    def __init__(self, table: dict):
        self.get = table.get


_USER_VJP = _Rules(registry._USER_VJP)
_USER_JVP = _Rules(registry._USER_JVP)


def _places(fn, path: str, expected, by_type: bool) -> list:
    """Watch entries (where, key, expected, by_type) for one name or dotted path of `fn`."""
    head, *rest = path.split(".")
    cells = getattr(fn, "cells", None)
    if cells is None:
        cells = dict(zip(fn.__code__.co_freevars, getattr(fn, "__closure__", None) or ()))
    if rest:  # a module attribute bound to a user function: each module's dict is watched
        return _module_places(fn, cells, head, rest)
    if head in cells:
        return [(None, cells[head], expected, by_type)]
    globals_ = fn.__globals__
    if head in globals_ or expected is MISSING or by_type:
        return [(globals_, head, expected, by_type)]
    builtins_ = globals_.get("__builtins__", builtins)
    builtins_ = builtins_ if isinstance(builtins_, dict) else vars(builtins_)
    # a builtin, unless a global of that name comes to shadow it
    return [(globals_, head, MISSING, False), (builtins_, head, expected, False)]


def _module_places(fn, cells, head: str, rest: list) -> list:
    out = []
    obj = cells[head].cell_contents if head in cells else fn.__globals__.get(head, MISSING)
    for attr in rest:
        if not inspect.ismodule(obj):
            return out  # a class attribute: the class itself is watched by its own name
        mapping = vars(obj)
        obj = mapping.get(attr, MISSING)
        out.append((mapping, attr, obj, False))
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
    for ident in sorted(free_names(parsed.tree)):
        try:
            value = parsed.namespace.lookup(ident)
        except KeyError:
            value = MISSING
        found = expectation(value)
        if found is not None:
            names.append((ident, *found))
    rules = []
    for op in ops.values():
        callee = op.callee
        if op.kind not in ("user", "custom", "badcall") or callee is None \
                or isinstance(callee, LiftedFunction) or not _user_callable(callee):
            continue
        if "." in op.label and op.kind != "badcall":
            names.append((op.label, callee, False))
        rules.append(rule_entry(callee))
    return Reads(tuple(names), tuple(dict.fromkeys(rules)), tuple(callees))


def _user_callable(callee) -> bool:
    try:
        hash(callee)
    except TypeError:
        return False
    return True


def free_names(tree) -> set[str]:
    """Names a `def` (nested defs included) reads that none of its scopes binds."""
    import gast

    def scope(fn, enclosing: frozenset) -> set[str]:
        bound = set(enclosing)
        args = fn.args
        bound |= {a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs}
        bound |= {a.id for a in (args.vararg, args.kwarg) if a is not None}
        inner, loads = [], set()
        stack = list(fn.body) + list(args.defaults) + [d for d in args.kw_defaults if d is not None]
        while stack:
            node = stack.pop()
            if isinstance(node, gast.FunctionDef):
                bound.add(node.name)
                inner.append(node)
                stack.extend(node.decorator_list)
                stack.extend(node.args.defaults)
                continue
            if isinstance(node, gast.Name):
                (loads if isinstance(node.ctx, gast.Load) else bound).add(node.id)
            stack.extend(gast.iter_child_nodes(node))
        free = loads - bound
        for fn_inner in inner:
            free |= scope(fn_inner, frozenset(bound))
        return free

    return scope(tree, frozenset())
