"""Nested helper functions, lambda-lifted.

A `def` inside a differentiated function is taken out of the normalized
tree before any pass runs and replaced by a placeholder assignment
(`g = __srcgrad_def__(0)`), so no pass mistakes its body for the outer one.
Codegen puts the original `def` back, so the forward sweep defines it as the
user wrote it. A call `g(a)` that carries gradients becomes a call to the
split pair of the *lifted* function: `g` with its free variables (the outer
locals it reads, such as `w`) as extra parameters, which is exactly how
their gradients reach the outer function.
"""
from __future__ import annotations

import inspect

import gast

from . import nodes
from .errors import SourceInfo, located

PLACEHOLDER = "__srcgrad_def__"


def as_def(stmt):
    """`name = lambda params: expr`, as the nested `def name(params): return expr` it is
    (its code object, found by `_nested_code`, is the lambda's)."""
    func = stmt.value
    ret = gast.Return(value=func.body)
    defn = gast.FunctionDef(name=stmt.targets[0].id, args=func.args, body=[ret], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    for node in (ret, defn):
        gast.copy_location(node, func)
    defn.is_lambda = True
    return defn


def is_lambda_def(stmt) -> bool:
    """`name = lambda ...: ...`, a nested helper under another spelling."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda) \
        and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)


def extract(fn) -> tuple[object, list]:
    """(fn with nested defs (and lambdas bound to a name) replaced by placeholders, [the defs])."""
    fn = nodes.clone(fn)
    defs: list = []

    def block(stmts):
        out = []
        for stmt in stmts:
            if is_lambda_def(stmt):
                stmt = as_def(stmt)
            if isinstance(stmt, gast.FunctionDef):
                defs.append(stmt)
                call = gast.Call(func=nodes.name(PLACEHOLDER), args=[nodes.const(len(defs) - 1)], keywords=[])
                new = nodes.assign(stmt.name, call)
                gast.copy_location(new, stmt)
                nodes.stamp(new, stmt.lineno, stmt.col_offset)
                out.append(new)
                continue
            nodes.map_blocks(stmt, block)
            out.append(stmt)
        return out

    fn.body = block(fn.body)
    return fn, defs


def placeholder_index(value) -> int | None:
    """The nested-def number a placeholder call stands for, or None."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
            and value.func.id == PLACEHOLDER and value.args:
        return value.args[0].value
    return None


def restore(stmts: list, defs: list) -> list:
    """Put each nested `def` back where its placeholder stands."""
    out = []
    for stmt in stmts:
        index = placeholder_index(stmt.value) if isinstance(stmt, gast.Assign) else None
        if index is not None:
            out.append(nodes.clone(defs[index]))
            continue
        nodes.map_blocks(stmt, lambda inner: restore(inner, defs))
        out.append(stmt)
    return out


class LiftedFunction:
    """A nested `def` as a stand-alone function of its parameters and free variables.

    Quacks like a function object where the compiler needs one: `__code__`
    (the nested code object: the cache key), globals, cells for the outer
    function's own closure, literal defaults, a signature, and its parse.
    """

    def __init__(self, name, qualname, code, globals_, defaults, kwdefaults, signature,
                 free, cells, parsed):
        self.__name__ = name
        self.__qualname__ = qualname
        self.__code__ = code
        self.__globals__ = globals_
        self.__defaults__ = defaults
        self.__kwdefaults__ = kwdefaults
        self.__signature__ = signature
        self.free = free
        self.cells = cells
        self.parsed = parsed
        self.siblings: dict = {}  # the enclosing function's helpers it calls (parameters here)

    def __call__(self, *args, **kwargs):  # pragma: no cover - never run as written
        raise RuntimeError("a lifted nested function is compiled, not called")


def lift(defn, outer, free: tuple[str, ...]) -> LiftedFunction | None:
    """The lifted form of nested `def` `defn` found in `outer` (a ParsedFunction),
    `free` the outer locals it reads (through the other helpers it calls too)."""
    from .frontend import ParsedFunction

    lambda_ = getattr(defn, "is_lambda", False)
    code = _nested_code(outer.fn.__code__, "<lambda>" if lambda_ else defn.name, defn.lineno)
    if lambda_ and _twins(outer.fn.__code__, defn.lineno) > 1:
        raise located(outer.source, defn, f"{defn.name} is one of several lambdas on line "
                      f"{defn.lineno}, whose code srcgrad cannot tell apart",
                      "put each lambda on a line of its own, or define it with `def`")
    if code is None:
        return None
    tree = nodes.clone(defn)
    tree.args.kwonlyargs = list(tree.args.kwonlyargs) + [
        gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None) for n in free]
    tree.args.kw_defaults = list(tree.args.kw_defaults) + [None] * len(free)
    defaults = tuple(d.value for d in defn.args.defaults) or None
    kwdefaults = {a.id: d.value for a, d in zip(defn.args.kwonlyargs, defn.args.kw_defaults)
                  if d is not None} or None
    sig = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in
         [a.id for a in defn.args.posonlyargs + defn.args.args]] +
        [inspect.Parameter(a.id, inspect.Parameter.KEYWORD_ONLY) for a in defn.args.kwonlyargs] +
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in free])
    if defaults:
        positional = [p for p in sig.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        for p, d in zip(positional[len(positional) - len(defaults):], defaults):
            positional[positional.index(p)] = p.replace(default=d)
        sig = sig.replace(parameters=positional + [p for p in sig.parameters.values()
                                                   if p.kind is p.KEYWORD_ONLY])
    parsed = ParsedFunction(outer.fn, tree, SourceInfo(outer.source.filename, outer.source.lines),
                            outer.namespace, outer.closure)
    qualname = f"{outer.fn.__qualname__}.<locals>.{defn.name}"
    return LiftedFunction(defn.name, qualname, code, outer.fn.__globals__, defaults, kwdefaults, sig,
                          free, dict(outer.closure), parsed)


def _reach(direct: dict, inherited: dict) -> dict[str, tuple[str, ...]]:
    """Each helper's free variables with those of the helpers it calls, transitively:
    `h` calling `g` which reads `a` reads `a` too (and gets `g`, to call it as written)."""
    known = {name: tuple(helper.free) for name, helper in inherited.items()}
    known.update(direct)
    out = {}
    for name in direct:
        seen, todo = set(), [name]
        while todo:
            for n in known[todo.pop()]:
                if n not in seen:
                    seen.add(n)
                    if n in known and n != name:
                        todo.append(n)
        out[name] = tuple(sorted(seen))
    return out


def free_variables(defn, outer_locals: set[str]) -> tuple[str, ...]:
    """The outer locals nested `def` `defn` reads: its lifted form's extra parameters."""
    read = {n.id for n in gast.walk(defn) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    return tuple(sorted((read - _own(defn)) & outer_locals))


def _own(defn) -> set[str]:
    """The names nested `def` `defn` binds itself: its parameters and assigned names."""
    params = [a.id for a in defn.args.posonlyargs + defn.args.args + defn.args.kwonlyargs]
    return set(params) | {n.id for n in gast.walk(defn) if isinstance(n, gast.Name)
                          and isinstance(n.ctx, gast.Store)}


def hidden_reads(tree, defs: list, outer_locals: set[str], inherited=None,
                 bound: dict | None = None) -> dict[str, tuple[str, ...]]:
    """name -> the outer locals a call of that nested helper reads without naming them.

    A call `g(b)` of `def g(t): return a * t` reads `a` too: normalization must
    know, so that `a = g(b)` keeps the old `a` apart from the new one.
    `inherited` are the enclosing function's helpers this one may call; `bound`, if
    given, is `bound_once(tree)`."""
    inherited = inherited or {}
    bound = bound_once(tree) if bound is None else bound
    direct = {name: free_variables(defs[index], outer_locals) for name, index in bound.items()}
    return {**{n: tuple(h.free) for n, h in inherited.items()}, **_reach(direct, inherited)}


def bound_once(tree) -> dict[str, int]:
    """The names bound exactly once, to a nested def: name -> its number (in `tree`
    as `extract` leaves it, before normalization)."""
    bound: dict[str, list] = {}
    for stmt in nodes.walk_statements(tree.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bound.setdefault(stmt.targets[0].id, []).append(placeholder_index(stmt.value))
    return {name: indices[0] for name, indices in bound.items()
            if len(indices) == 1 and indices[0] is not None}


def _nested_code(code, name: str, lineno: int):
    for const in code.co_consts:
        if hasattr(const, "co_name") and const.co_name == name and const.co_firstlineno == lineno:
            return const
    for const in code.co_consts:  # defined deeper (inside a nested def)
        if hasattr(const, "co_consts"):
            found = _nested_code(const, name, lineno)
            if found is not None:
                return found
    return None


def _twins(code, lineno: int) -> int:
    """How many lambdas start on line `lineno` of `code` (nested codes included)."""
    count = 0
    for const in code.co_consts:
        if hasattr(const, "co_consts"):
            count += (const.co_name == "<lambda>" and const.co_firstlineno == lineno) + _twins(const, lineno)
    return count


def lifted(tree, defs: list, parsed, locals_: set[str], inherited=None, bound: dict | None = None) -> dict:
    """Nested helpers bound once to their name: name -> lifted function.

    `inherited` are the helpers of the enclosing function that this one (itself
    a lifted helper) receives as parameters: callable here as they are there. `bound`,
    if given, is `bound_once(tree)`."""
    inherited = inherited or {}
    bound = bound_once(tree) if bound is None else bound
    reach = _reach({name: free_variables(defs[index], locals_) for name, index in bound.items()}, inherited)
    out = {}
    for name, index in bound.items():
        if set(reach[name]) & _own(defs[index]):  # a name it binds is one a helper it calls reads
            continue  # not lifted: its calls are refused as unknown
        helper = lift(defs[index], parsed, reach[name])
        if helper is not None:
            out[name] = helper
    helpers = {**inherited, **out}
    for helper in out.values():
        helper.siblings = {n: helpers[n] for n in helper.free if n in helpers}
    return helpers
