"""The syntax allowlist: every node kind the compiler can differentiate.

Runs first, on the parsed function, so that anything outside the supported
language fails with a located `SrcGradError` and a hint before any pass
touches it. One `visit_X` per node kind; a kind with no visitor is rejected.
"""
from __future__ import annotations

import builtins

import gast
import numpy

from . import frontend, identity, nested, nodes
from .analysis import statics
from .errors import unsupported
from .frontend import ParsedFunction
from .markers import no_grad

_HINTS = {
    "Try": "move the try/except outside the differentiated function",
    "Raise": "check inputs outside the differentiated function, or use `assert`",
    "Lambda": "assign the lambda to a name on a line of its own (`sq = lambda t: t * t`), then call it",
    "SetComp": "use a list comprehension",
    "Yield": "return the values as a list or array instead",
    "YieldFrom": "return the values as a list or array instead",
    "Await": "differentiate a synchronous function",
    "AsyncFunctionDef": "differentiate a synchronous function",
    "AsyncFor": "differentiate a synchronous function",
    "AsyncWith": "differentiate a synchronous function",
    "Global": "pass the value in as an argument and return the new value",
    "Nonlocal": "pass the value in as an argument and return the new value",
    "NamedExpr": "assign on a separate line",
    "Match": "use if/elif/else",
    "Delete": "remove the `del`; rebind the name instead",
    "ClassDef": "define the class outside the differentiated function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "Starred": "pass the arguments one by one",
    "Set": "use a list or tuple",
    "FunctionDef": "define helper functions at module level",
}

_ALLOWED_EXPRS = (
    gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp, gast.Call, gast.Name,
    gast.Constant, gast.Attribute, gast.Subscript, gast.Tuple, gast.List, gast.Slice, gast.IfExp, gast.Dict,
    gast.keyword, gast.JoinedStr, gast.FormattedValue,
    gast.ListComp, gast.DictComp, gast.GeneratorExp, gast.comprehension,  # written out as loops
    gast.operator, gast.unaryop, gast.cmpop, gast.boolop, gast.expr_context,
)


def fence(parsed: ParsedFunction) -> None:
    """Raise SrcGradError at the first node outside the supported language.

    A function's kept tree (`frontend.kept`, never changed) is fenced at `grad()` and
    again when its derivative is built: the second time, when every name the first
    fence resolved still resolves to an object it judges alike (`_verdict`), the fence
    would take the same path and pass again, and is not walked."""
    tree = parsed.tree
    kept = frontend.kept(parsed)
    if kept:
        resolved = identity.lookup(_PASSED, id(tree), tree)
        if resolved is not None and _alike(parsed, resolved):
            return
    check = _Fence(parsed)
    check.check_function(tree)
    if kept:
        identity.store(_PASSED, id(tree), tree, tuple(check.resolved.items()))


# id(kept tree) -> (weak reference to it, ((callee path, its verdict), ...) of the fence it passed)
_PASSED: dict = {}


def _verdict(obj):
    """What the fence makes of a callee it resolved to `obj` (all it asks of it)."""
    try:
        if obj in _HIDDEN_READS:
            return "hidden"
    except TypeError:  # (unhashable: a call to it fails the fence as `in _HIDDEN_READS` fails)
        return "unhashable"
    return "ndindex" if obj is numpy.ndindex else "no_grad" if obj is no_grad else None


def _alike(parsed: ParsedFunction, resolved: tuple) -> bool:
    """Whether each callee path of `resolved` has the same verdict in `parsed` now."""
    namespace = parsed.namespace
    return all(_verdict(statics.lookup(namespace, path)) == verdict for path, verdict in resolved)


class _Fence:
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.resolved: dict = {}  # callee path -> `_verdict` of what it resolved to

    def resolve(self, node):
        """`resolve_static` of callee `node`, its verdict noted in `resolved`."""
        path = nodes.dotted(node)
        if path is None:
            return None
        obj = statics.lookup(self.parsed.namespace, path)
        self.resolved[path] = _verdict(obj)
        return obj

    def reject(self, node, what: str | None = None, hint: str | None = None):
        kind = type(node).__name__
        raise unsupported(self.parsed.source, node, what or f"`{_describe(kind)}`",
                          hint if hint is not None else _HINTS.get(kind, ""))

    def check_function(self, fn) -> None:
        args = fn.args
        if args.vararg is not None or args.kwarg is not None:
            self.reject(fn, "a function with *args or **kwargs",
                        "name each parameter explicitly")
        self.check_body(fn.body)

    def check_body(self, body) -> None:
        for stmt in body:
            visit = getattr(self, f"visit_{type(stmt).__name__}", None)
            if visit is None:
                self.reject(stmt)
            visit(stmt)

    def visit_Assign(self, stmt) -> None:
        for target in stmt.targets:
            self.check_target(target)
        if nested.is_lambda_def(stmt):
            # `sq = lambda t: t * t`: a nested helper, as `def sq(t): return t * t` (nested.py)
            self.visit_FunctionDef(nested.as_def(stmt))
            return
        self.check_expr(stmt.value)

    def visit_AugAssign(self, stmt) -> None:
        self.check_target(stmt.target)
        self.check_expr(stmt.value)

    def visit_AnnAssign(self, stmt) -> None:
        if stmt.value is None:
            self.reject(stmt, "an annotation without a value", "assign a value")
        self.check_target(stmt.target)
        self.check_expr(stmt.value)

    def check_target(self, target) -> None:
        if isinstance(target, gast.Name):
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            for elt in target.elts:
                self.check_target(elt)
            return
        if isinstance(target, gast.Subscript):
            if isinstance(target.value, gast.Attribute):
                self.reject(target, "assignment into an entry of an attribute (`self.cache[k] = v`)",
                            "bind it to a name first: c = self.cache; c[k] = v")
            if not isinstance(target.value, gast.Name):
                self.reject(target, "assignment into a nested subscript (`x[i][j] = v`)",
                            "index once: x[i, j] = v")
            self.check_expr(target.slice)
            return
        self.reject(target, "assignment to this target", "assign to a plain variable")

    def visit_Expr(self, stmt) -> None:
        self.check_expr(stmt.value)

    def visit_Return(self, stmt) -> None:
        if stmt.value is None:
            self.reject(stmt, "a `return` without a value", "return the scalar to differentiate")
        self.check_expr(stmt.value)

    def visit_Pass(self, stmt) -> None:
        pass

    def visit_FunctionDef(self, stmt) -> None:
        """A nested helper: differentiated on its own, its free variables passed in."""
        if stmt.decorator_list:
            self.reject(stmt, "a decorated nested function", "define it at module level")
        if any(not isinstance(d, gast.Constant) for d in stmt.args.defaults + [
                d for d in stmt.args.kw_defaults if d is not None]):
            self.reject(stmt, "a nested function whose defaults are not literals",
                        "pass the value as an argument instead")
        self.check_function(stmt)

    def visit_Break(self, stmt) -> None:
        pass

    def visit_Continue(self, stmt) -> None:
        pass

    def visit_If(self, stmt) -> None:
        self.check_expr(stmt.test)
        self.check_body(stmt.body)
        self.check_body(stmt.orelse)

    def visit_For(self, stmt) -> None:
        if stmt.orelse:
            self.reject(stmt, "a `for ... else` loop", "move the else-block after the loop and use a flag")
        self.check_target(stmt.target)
        self.check_expr(stmt.iter)
        callee = stmt.iter.func if isinstance(stmt.iter, gast.Call) else None
        from .nodes import dotted

        if callee is not None and dotted(callee) in ("sorted", "iter", "map", "filter"):
            self.reject(stmt, f"a `for` loop over {dotted(callee)}(...)",
                        "loop over range(...), an array, a list, zip(...), enumerate(...) or reversed(...)")
        self.check_body(stmt.body)

    def visit_While(self, stmt) -> None:
        if stmt.orelse:
            self.reject(stmt, "a `while ... else` loop", "move the else-block after the loop and use a flag")
        self.check_expr(stmt.test)
        self.check_body(stmt.body)

    def visit_Assert(self, stmt) -> None:
        self.check_expr(stmt.test)

    def visit_With(self, stmt) -> None:
        # (`no_grad`: the only context manager the compiler knows)
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None:
            self.reject(stmt, "this `with` statement", "only `with srcgrad.no_grad():` is supported")
        ctx = stmt.items[0].context_expr
        callee = ctx.func if isinstance(ctx, gast.Call) and not ctx.args and not ctx.keywords else None
        if callee is None or self.resolve(callee) is not no_grad:
            self.reject(stmt, "a `with` statement other than `with srcgrad.no_grad():`",
                        "move the context manager outside the differentiated function")
        self.check_body(stmt.body)

    def check_expr(self, node) -> None:
        spread = set()  # the `*shape` of numpy.ndindex(*shape)
        for sub in _breadth_first(node):  # a node before its children
            if id(sub) in spread:
                continue
            cls = sub.__class__
            allowed = _ALLOWED_CLASSES.get(cls)
            if allowed is None:
                allowed = _ALLOWED_CLASSES[cls] = issubclass(cls, _ALLOWED_EXPRS)
            if not allowed:
                self.reject(sub)
            if cls is gast.Dict and any(k is None for k in sub.keys):
                self.reject(sub, "`**` unpacking in a dict display", "write the entries out")
            if cls is gast.Call:
                called = self.resolve(sub.func)
                if called in _HIDDEN_READS:
                    self.reject(sub, f"a call to {nodes_dotted(sub.func)}()",
                                "eval, exec, locals, vars and globals read or run code the compiler "
                                "cannot see; write the computation out")
                if called is numpy.ndindex and len(sub.args) == 1 \
                        and not sub.keywords and isinstance(sub.args[0], gast.Starred):
                    spread.add(id(sub.args[0]))  # numpy.ndindex(shape), the same (normalize/desugar.py)
                    continue
                if any(isinstance(a, gast.Starred) for a in sub.args) or any(
                        k.arg is None for k in sub.keywords):
                    self.reject(sub, "a call with *args or **kwargs", "pass the arguments one by one")


_ALLOWED_CLASSES: dict = {}  # node class -> whether it is one of _ALLOWED_EXPRS


def _breadth_first(node) -> list:
    """The nodes of the expression `node`, breadth first: `gast.walk`'s order (so the
    first node refused is the one it would find), without its generator and deque per
    node. What is always allowed and has no children is left out: load/store contexts,
    operators, constants, names (without an annotation)."""
    order = [node]
    push = order.append
    fields_of, AST, Name, Constant = nodes._NAME_FIELDS.get, gast.AST, gast.Name, gast.Constant
    for n in order:  # (the list grows as it is read: a queue)
        fields = fields_of(n.__class__)
        if fields is None:
            fields = nodes._name_fields(n.__class__)
        for field in fields:
            value = getattr(n, field, None)
            c = value.__class__
            if c is list:
                for item in value:
                    c = item.__class__
                    if c is not Constant and (c is not Name or item.annotation is not None) \
                            and isinstance(item, AST):
                        push(item)
            elif c is not Constant and (c is not Name or value.annotation is not None) \
                    and isinstance(value, AST):
                push(value)
    return order


_HIDDEN_READS = {builtins.eval, builtins.exec, builtins.locals, builtins.vars, builtins.globals,
                 builtins.compile, builtins.__import__}


def nodes_dotted(node) -> str:
    from .nodes import dotted

    return dotted(node) or "this"


def _describe(kind: str) -> str:
    words = {"Try": "try", "Raise": "raise", "Lambda": "lambda", "ListComp": "list comprehension",
             "GeneratorExp": "generator expression", "Yield": "yield", "YieldFrom": "yield from",
             "Global": "global", "Nonlocal": "nonlocal", "NamedExpr": ":=", "Match": "match",
             "Delete": "del", "For": "for", "While": "while", "If": "if", "IfExp": "... if ... else ...",
             "FunctionDef": "def", "ClassDef": "class", "Import": "import", "ImportFrom": "from ... import",
             "Await": "await", "Starred": "*", "Set": "set literal", "Dict": "dict literal",
             "DictComp": "dict comprehension", "SetComp": "set comprehension"}
    return words.get(kind, kind)


def resolve_static(parsed: ParsedFunction, node):
    """The object a Name/Attribute chain refers to, without running user code."""
    path = nodes.dotted(node)
    return None if path is None else statics.lookup(parsed.namespace, path)
