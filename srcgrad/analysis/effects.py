"""Effects of calls: what a call may change, and when that makes a derivative wrong.

The derivative models exactly two ways of changing a value in place: a write
into a subscript (`x[i] = v`) and `lst.append(v)` on a local list. Any other
call that changes one of its arguments, a global or an outer variable is
invisible to it: a discarded `np.copyto(buf, x)` would give a zero gradient,
a helper that scales its argument's first entry a wrong one.

So every call is looked up in the table of facts (srcgrad/rules/facts.py),
or, for the user's own functions, analysed from its source
(`function_effects`), and

- a write the compiler can express as a subscript write is rewritten into one
  before differentiation (`model_writes`): `np.copyto(dst, src)` and any
  `out=` (`np.exp(x, out=y)` is `y[...] = np.exp(x)`);
- any other call that writes, changes outer state, or is unknown, is rejected
  (`check_effects`, with file, line, the code and a hint) when it meets a
  value that depends on a `wrt` input: one of its inputs, or what it writes,
  is *varied*. Whether that value later reaches the result (is *active*)
  does not matter: a write changes values behind the analysis's back;
- a call that is unknown, or a user function that writes into a parameter,
  is also rejected in reverse mode when it writes into a constant that a
  differentiated operation read before (`c` in `y = x * c`): the backward
  sweep would read the changed value. (Forward mode reads each operand once,
  when the tangent is computed.)

Other calls that meet only constants run in the forward sweep as written.
This module holds the facts (`function_effects`, `resolve_call`); the
rewrite and the check are in `effect_check.py`.
"""
from __future__ import annotations

import dataclasses
import inspect
import types
from dataclasses import dataclass, field

import gast
import numpy

from .. import forms, nodes
from ..boundary import static_value
from ..errors import SrcGradError
from ..rules import facts as table
from . import statics

# --- what a user's function may change, from its source ------------------------------


@dataclass
class Effects:
    """What calling a user's function may change.

    `writes`: parameter -> (line, code, note) of a write into it (through any
    alias; the note says when it is only possible: passed to an unknown call);
    `augmented`: parameters changed only by `p op= e` (in place for an array,
    a rebinding for a number); `outer`: (line, code, what) of the first write
    into a global or outer variable, or of a call to an unknown function;
    `returns`: parameters whose memory a returned value may share.
    """

    writes: dict = field(default_factory=dict)
    returns: set = field(default_factory=set)
    augmented: dict = field(default_factory=dict)
    outer: tuple | None = None


_ANALYSING: set = set()
_OUTER = "<outer>"  # among the parameters a local may hold: memory of a global or outer variable


def function_effects(fn, lifted=None, static=None) -> Effects:
    """The effects of calling the Python function (or lifted nested def) `fn`;
    `lifted` maps the names of the nested helpers it may call to their lifted forms,
    `static` its function-valued parameters to the functions a call passes them
    (`static_arguments`): `act(h)` in the helper calls `numpy.tanh`."""
    from ..frontend import parse

    code = getattr(fn, "__code__", None)
    if code in _ANALYSING:  # recursion: what is found on the way in is all there is
        return Effects()
    _ANALYSING.add(code)
    try:
        parsed = parse(fn)
        if static:
            parsed = dataclasses.replace(parsed, namespace=parsed.namespace.with_values(static))
        return _Analysis(parsed, lifted or {}, set(static or ())).run()
    finally:
        _ANALYSING.discard(code)


def static_arguments(fn, bound: dict | None, namespace, is_local) -> dict:
    """{parameter: function} for the parameters of the user's `fn` that a call (bound
    as `bind_user` binds it) gives a function the compiler can know: passed, or a
    parameter's default (`act=np.tanh`). The callee's derivative is specialised on them
    (`callees.py`), so its effects are those of calling them."""
    if bound is None:
        return {}
    out = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in bound:
            found = statics.function_of(bound[name], namespace, is_local)
            if found is not statics.MISSING:
                out[name] = found
        elif param.default is not param.empty and static_value(param.default):
            out[name] = param.default
    return out


class _Analysis:
    """One pass over a function's statements in program order, following which
    local names may hold (memory of) which parameter."""

    def __init__(self, parsed, lifted: dict, static: set):
        self.parsed = parsed
        self.lifted = lifted
        tree = parsed.tree
        args = tree.args
        self.params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args
                       + args.kwonlyargs if a.id not in static]
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                self.params.append(extra.id)
        self.locals = set(self.params) | {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
                                          and isinstance(n.ctx, (gast.Store, gast.Del))}
        self.params += [p for p in static if p in self.locals]  # rebound: a local after all
        self.refs = {p: {p} for p in self.params}
        # nested defs: their bodies are analysed where they stand, so calling one adds nothing
        self.nested = {n.name for n in gast.walk(tree) if isinstance(n, gast.FunctionDef)} - {tree.name}
        self.out = Effects()

    def run(self) -> Effects:
        self.block(self.parsed.tree.body, compound=False)
        return self.out

    # where a write lands ------------------------------------------------------------
    def _where(self, node) -> tuple:
        return getattr(node, "lineno", 0), self.parsed.line(getattr(node, "lineno", 0))

    def write(self, name: str, node, augmented: bool = False, note: str = "") -> None:
        if name in self.locals:
            for p in self.refs.get(name, ()):
                if p is _OUTER:
                    if self.out.outer is None and not augmented:
                        self.out.outer = self._where(node) + (
                            f"writes into {name!r}, which holds memory of a global or outer variable",)
                    continue
                target = self.out.augmented if augmented else self.out.writes
                target.setdefault(p, self._where(node) + (note,))
        elif self.out.outer is None:
            self.out.outer = self._where(node) + (f"writes into {name!r}, which is not its own",)

    def unknown(self, node, what: str) -> None:
        if self.out.outer is None:
            self.out.outer = self._where(node) + (what,)

    def held(self, expr) -> set:
        """Parameters whose memory the value of `expr` may share (a call of another of
        the user's functions: what its returns may share, a nested helper's free
        variables included)."""
        from .aliases import may_view

        found = set()
        for n in may_view(expr, self.locals | self._data(expr), returns=self.returned):
            found |= self.refs.get(n, set()) if n in self.locals else {_OUTER}
        return found

    def _data(self, expr) -> set:
        """The global or closure names `expr` reads that hold data (not a module, a
        function or a class): a local bound to what they hold shares their memory."""
        out = set()
        for n in gast.walk(expr):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in self.locals:
                try:
                    value = self.parsed.namespace.lookup(n.id)
                except KeyError:
                    continue
                if not (isinstance(value, (types.ModuleType, type)) or callable(value)):
                    out.add(n.id)
        return out

    def returned(self, call) -> list | None:
        return returned_args(call, self.parsed.namespace, lambda n: n in self.locals, self.lifted)

    # statements ----------------------------------------------------------------------
    def block(self, stmts, compound: bool) -> None:
        for stmt in stmts:
            self.statement(stmt, compound)

    def bind(self, target, held: set, compound: bool) -> None:
        if isinstance(target, gast.Name):
            self.refs[target.id] = (self.refs.get(target.id, set()) | held) if compound else set(held)
        elif isinstance(target, (gast.Tuple, gast.List)):
            for e in target.elts:
                self.bind(e, held, compound=True)
        elif isinstance(target, gast.Starred):
            self.bind(target.value, held, compound)
        else:  # x[i] = v, x.a = v: a write into x
            root = _root(target)
            if root is not None:
                self.write(root, target)

    def statement(self, stmt, compound: bool) -> None:
        self.calls(stmt)
        if isinstance(stmt, gast.Assign):
            held = self.held(stmt.value)
            for target in stmt.targets:
                self.bind(target, held, compound)
        elif isinstance(stmt, gast.AnnAssign) and stmt.value is not None:
            self.bind(stmt.target, self.held(stmt.value), compound)
        elif isinstance(stmt, gast.Return) and stmt.value is not None:
            self.out.returns |= self.held(stmt.value) - {_OUTER}
        elif isinstance(stmt, gast.AugAssign):
            if isinstance(stmt.target, gast.Name):
                self.write(stmt.target.id, stmt, augmented=True)
            else:
                self.bind(stmt.target, set(), compound)
        elif isinstance(stmt, gast.Delete):
            for target in stmt.targets:
                if not isinstance(target, gast.Name):
                    self.bind(target, set(), compound)
        elif isinstance(stmt, (gast.Global, gast.Nonlocal)):
            self.unknown(stmt, f"declares {', '.join(stmt.names)} {type(stmt).__name__.lower()}")
        elif isinstance(stmt, (gast.For, gast.AsyncFor)):
            for _ in range(2):  # a second time for what the first iteration set up
                self.bind(stmt.target, self.held(stmt.iter), compound=True)
                self.block(stmt.body, compound=True)
            self.block(stmt.orelse, compound=True)
        elif isinstance(stmt, gast.While):
            for _ in range(2):
                self.block(stmt.body, compound=True)
            self.block(stmt.orelse, compound=True)
        elif isinstance(stmt, gast.If):
            self.block(stmt.body, compound=True)
            self.block(stmt.orelse, compound=True)
        elif isinstance(stmt, (gast.With, gast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.held(item.context_expr), compound=True)
            self.block(stmt.body, compound=True)
        elif isinstance(stmt, gast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody):
                self.block(part, compound=True)
            for handler in stmt.handlers:
                self.block(handler.body, compound=True)
        elif isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef)):
            # runs later, seeing these names; its parameters may be given any of ours
            args = stmt.args
            for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs:
                self.locals.add(a.id)
                self.refs[a.id] = set(self.params)
            self.block(stmt.body, compound=True)

    def calls(self, stmt) -> None:
        """The effects of the calls in `stmt` (not those of nested blocks)."""
        for node in _own_nodes(stmt):
            if isinstance(node, gast.Call):
                self.call(node)

    def call(self, call) -> None:
        if isinstance(call.func, gast.Name) and call.func.id in self.nested:
            return
        resolved = resolve_call(call, self.parsed.namespace, lambda n: n in self.locals, self.lifted)
        if resolved.reporting:
            return
        if resolved.user is not None:
            self.user(call, resolved)
            return
        if resolved.facts is None:  # deny by default: it may write into whatever it is given
            note = f"it passes it to {resolved.label}, which srcgrad knows nothing about"
            for node in resolved.args + [v for _, v in resolved.keywords]:
                for n in _may_hold(node, self.locals):
                    self.write(n, call, note=note)
            return
        for node in resolved.written:
            root = _root(node)
            if root is not None:
                self.write(root, call)

    def user(self, call, resolved) -> None:
        bound = bind_user(resolved.user, resolved.args, resolved.keywords)
        inner = function_effects(resolved.user, self.lifted, static_arguments(
            resolved.user, bound, self.parsed.namespace, lambda n: n in self.locals))
        if bound is None:
            self.unknown(call, f"calls {resolved.label} in a way srcgrad cannot follow")
            return
        for param, node in bound.items():
            augmented = param in inner.augmented and param not in inner.writes
            if param in inner.writes or augmented:
                for n in _may_hold(node, self.locals):
                    self.write(n, call, augmented=augmented, note=f"through {resolved.label}()")
        if inner.outer is not None and self.out.outer is None:
            self.out.outer = self._where(call) + (f"calls {resolved.label}, which {inner.outer[2]}",)


def _own_nodes(stmt):
    """The expression nodes of `stmt` itself, not of the blocks nested in it."""
    for name, value in gast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, gast.AST):
                yield from gast.walk(item)


def _root(node) -> str | None:
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _may_hold(expr, local: set) -> set:
    """Local names whose memory the value of `expr` may share (see aliases.may_view)."""
    from .aliases import may_view

    return may_view(expr, local)


def bind_user(fn, args: list, keywords: list) -> dict | None:
    """{parameter: argument node} of a call to the user's `fn`, or None when the
    call cannot be bound by name (`*args`, `**kwargs` on either side)."""
    free = tuple(getattr(fn, "free", ()))
    keywords = list(keywords) + [(n, nodes.name(n)) for n in free]
    if any(isinstance(a, gast.Starred) for a in args) or any(k is None for k, _ in keywords):
        return None
    try:
        bound = inspect.signature(fn).bind(*args, **dict(keywords))
    except (TypeError, ValueError):
        return None
    kinds = bound.signature.parameters
    if any(kinds[p].kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
           for p in bound.arguments):
        return None
    return dict(bound.arguments)


def holds_array(namespace, name: str) -> bool:
    """Whether the global or closure name `name` holds a NumPy array or a list now:
    as an index, either copies (the derivative's watch builds it again when such
    a name, read as an index, is bound to a value of another type: `watch.reads`)."""
    try:
        return type(namespace.lookup(name)) in INDEX_ARRAYS
    except KeyError:
        return False


INDEX_ARRAYS = (numpy.ndarray, list)  # the types of the global indices that copy


def returned_args(call, namespace, is_local, lifted=None) -> list | None:
    """The argument nodes of `call` whose memory its result may share when it calls
    one of the user's functions (`forces(pos)` returning `-np.sin(pos)` shares
    none), or None when what it calls is not known."""
    resolved = resolve_call(call, namespace, is_local, lifted)
    if resolved.user is None:
        return None
    bound = bind_user(resolved.user, resolved.args, resolved.keywords)
    if bound is None:
        return None
    try:
        inner = function_effects(resolved.user, lifted,
                                 static_arguments(resolved.user, bound, namespace, is_local))
    except SrcGradError:
        return None
    return [node for param, node in bound.items() if param in inner.returns]


# --- resolving a call to its facts ----------------------------------------------------


@dataclass
class Resolved:
    """A call, resolved: its facts (None: unknown), or the user's function it calls."""

    label: str
    args: list
    keywords: list
    facts: object = None
    user: object = None
    ufunc: object = None
    local_method: bool = False

    @property
    def reporting(self) -> bool:
        return self.facts is not None and self.facts.reporting

    @property
    def written(self) -> list:
        return table.written(self.facts, self.args, self.keywords, self.ufunc)


def resolve_call(call, namespace, is_local, lifted=None) -> Resolved:
    """What `call` calls, seen from a function with `namespace` and local names
    `is_local`; `lifted` maps nested helpers' names to their lifted forms."""
    func = call.func
    args = list(call.args)
    keywords = [(k.arg, k.value) for k in call.keywords]
    path = nodes.dotted(func)
    head = path.split(".")[0] if path else None
    if isinstance(func, gast.Name) and is_local(func.id):
        helper = (lifted or {}).get(func.id)
        if helper is not None:
            return Resolved(func.id, args, keywords, user=helper)
        return Resolved(func.id, args, keywords)
    if isinstance(func, gast.Attribute) and (path is None or is_local(head)):
        # a method of a local value: what any list, dict or ndarray method of that name does
        return Resolved(f".{func.attr}()", [func.value] + args, keywords,
                        facts=table.method(func.attr), local_method=True)
    if isinstance(func, gast.Subscript):  # `fs[1](x)`: a constant entry of a global
        obj, receiver, path = statics.value_of(func, namespace, is_local), None, statics.text(func)
        obj = None if obj is statics.MISSING else obj
    elif path is None:
        return Resolved("this call", args, keywords)
    else:
        obj, receiver = _lookup(namespace, path)
    if receiver is not None:
        found = table.bound(receiver, obj)
        if found is None and inspect.isfunction(obj):  # the user's method: its object bound
            return Resolved(path, args, keywords, user=forms.function_of(types.MethodType(obj, receiver)))
        args = [func.value] + args  # a method of a global object: the object comes first
    if obj is None:
        return Resolved(path, args, keywords)
    if isinstance(func, gast.Attribute) and receiver is None and isinstance(obj, _UfuncMethod):
        return Resolved(path, args, keywords, facts=table.ufunc_method(obj.attr))
    found = table.of(obj) if receiver is None else table.bound(receiver, obj)
    if found is not None:
        return Resolved(path, args, keywords, facts=found,
                        ufunc=obj if isinstance(obj, numpy.ufunc) else None)
    if inspect.isfunction(obj) or hasattr(obj, "free"):
        return Resolved(path, args, keywords, user=obj)
    try:
        form = forms.function_of(obj)  # a partial, a callable object, a bound method
    except SrcGradError:
        form = obj
    if form is not obj:
        return Resolved(path, args, keywords, user=form)
    return Resolved(path, args, keywords)


@dataclass(frozen=True)
class _UfuncMethod:
    ufunc: object
    attr: str


def callee_object(call, namespace, is_local):
    """The object `call`'s dotted function name refers to (read as `resolve_call`
    reads it: no user property runs), or None for a local or unresolved name."""
    path = nodes.dotted(call.func)
    if path is None or is_local(path.split(".")[0]):
        return None
    return _lookup(namespace, path)[0]


def _lookup(namespace, path: str):
    """(the object `path` names, the object it is a method of or None). Attributes
    are read only from modules and classes, and statically from other objects:
    no user property runs at compile time."""
    head, *rest = path.split(".")
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return None, None
    receiver = None
    for i, attr in enumerate(rest):
        if isinstance(obj, numpy.ufunc) and i == len(rest) - 1:
            return _UfuncMethod(obj, attr), None
        if inspect.ismodule(obj) or inspect.isclass(obj):
            obj = getattr(obj, attr, None)
        elif i == len(rest) - 1:
            own = getattr(obj, "__dict__", None)
            if isinstance(own, dict) and attr in own:  # an instance attribute: its value
                return statics.attribute(obj, attr, methods=False), None
            receiver = obj
            try:
                obj = inspect.getattr_static(type(obj), attr)
            except AttributeError:
                return None, receiver
        else:
            obj = statics.attribute(obj, attr, methods=False)
        if obj is None:
            return None, None
    return obj, receiver
