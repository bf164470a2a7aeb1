"""Rule templates: the `d` notation, checking a template, and splicing it in.

A derivative rule is a plain Python function that is never run. Its body is
parsed once, when the rule is registered, and copied into generated code with
its parameters replaced by the caller's operands:

    @adjoint(numpy.tanh)            # z = numpy.tanh(x)
    def tanh_adjoint(z, x):
        d[x] = d[z] * (1.0 - z * z)

`d[v]` is the derivative of `v`; `d[v] = e` *adds* `e` to it (the compiler
assigns the first contribution and adds the later ones). Each statement is
either one contribution or a local temporary (`c = numpy.cos(x)`).
"""
from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
from dataclasses import dataclass, field

import gast

from . import nodes


class _Derivative:
    """`d[x]` in a rule template: the derivative of `x` (see srcgrad.templates).

    Templates are spliced into generated code and never executed; using `d`
    at run time is a bug, and says so.
    """

    def __getitem__(self, key):
        raise RuntimeError("srcgrad.templates.d only has meaning inside a rule template; "
                           "templates are spliced into generated code, never called")

    __setitem__ = __getitem__


d = _Derivative()


@dataclass(frozen=True)
class Contribution:
    """`d[target] += value`, for the engine to assign or accumulate."""

    target: str
    value: object


@dataclass(frozen=True)
class Local:
    """A template temporary, renamed: `name = value`."""

    name: str
    value: object


@dataclass
class Template:
    """A parsed and checked rule template."""

    fn: object
    result: str
    signature: inspect.Signature
    body: list
    globals: dict = field(default_factory=dict)
    origin: str = ""
    # how to copy each statement's value (`_plan`), made on first use: `body` never changes
    plans: list | None = field(default=None, repr=False, compare=False)

    @property
    def params(self) -> list[str]:
        return list(self.signature.parameters)

    @property
    def vararg(self) -> str | None:
        for p in self.signature.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                return p.name
        return None


class TemplateError(Exception):
    """A rule template is malformed: raised at import time, naming the rule."""


def parse_template(fn) -> Template:
    """Parse and check `fn` as a rule template (see the module docstring)."""
    origin = f"{inspect.getsourcefile(fn)}:{fn.__code__.co_firstlineno}"
    tree = nodes.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if not params or params[0].kind is not params[0].POSITIONAL_OR_KEYWORD:
        raise TemplateError(f"{origin}: a template's first parameter is the result")
    result = params[0].name
    primitive_sig = sig.replace(parameters=params[1:])
    for p in params[1:]:
        if p.kind is p.VAR_KEYWORD:
            raise TemplateError(f"{origin}: **kwargs are not allowed in a template")
        if p.default is not p.empty and not _is_literal(p.default):
            raise TemplateError(f"{origin}: default of {p.name!r} must be a literal")
    names = {p.name for p in params}
    body = [s for s in tree.body if not _is_docstring(s)]
    locals_: set[str] = set()
    free: dict = {}
    for stmt in body:
        _check_statement(stmt, names, locals_, origin)
        for n in gast.walk(stmt.value):
            if isinstance(n, gast.Name) and n.id not in names | locals_ | {"d"}:
                free[n.id] = _global(fn, n.id, origin)
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            locals_.add(target.id)
    return Template(fn, result, primitive_sig, body, free, origin)


def _is_literal(value) -> bool:
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)


def _check_statement(stmt, params: set[str], locals_: set[str], origin: str) -> None:
    where = f"{origin} (line {getattr(stmt, 'lineno', '?')} of the template)"
    if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
        raise TemplateError(f"{where}: only `d[x] = ...` and `name = ...` statements are allowed")
    target = stmt.targets[0]
    if isinstance(target, gast.Subscript):
        if not (_is_d(target) and isinstance(target.slice, gast.Name) and target.slice.id in params):
            raise TemplateError(f"{where}: assign only to d[<parameter>] or to a local name")
    elif not isinstance(target, gast.Name) or target.id in params or target.id == "d":
        raise TemplateError(f"{where}: a local may not reuse a parameter's name")
    for n in gast.walk(stmt.value):
        if isinstance(n, gast.Subscript) and _is_d(n):
            if not (isinstance(n.slice, gast.Name) and n.slice.id in params):
                raise TemplateError(f"{where}: d[...] takes a parameter name")
        if isinstance(n, (gast.Lambda, gast.IfExp, gast.ListComp, gast.NamedExpr)):
            raise TemplateError(f"{where}: no control flow inside a template")


def _is_d(node) -> bool:
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and node.value.id == "d"


def _global(fn, ident: str, origin: str):
    if ident in fn.__globals__:
        return fn.__globals__[ident]
    if hasattr(builtins, ident):
        return getattr(builtins, ident)
    raise TemplateError(f"{origin}: unknown name {ident!r} in template")


def instantiate(template: Template, bindings: dict, adjoint_of, rename_global, fresh,
                reads: set | None = None) -> list:
    """Splice `template` for one call: a list of `Local` and `Contribution`.

    bindings: parameter (and result) name -> operand node (Name, Constant, or
    a List/Tuple literal of them). adjoint_of(var) -> the adjoint variable's
    name, or None when var is inactive (its contributions are dropped).
    rename_global(ident) -> the name generated code uses for a template global.
    fresh(base) -> a new temporary name.
    reads: a set that gets every identifier the items' values load, as
    `nodes.loaded_names` of them would find it (noted as the copies are made: every
    name in a copy is one the copy put there), or None.
    """
    renames: dict[str, str] = {}
    out: list = []
    for stmt, plan in zip(template.body, _plans(template)):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            value = _expand(plan, bindings, adjoint_of, rename_global, renames, reads)
            renames[target.id] = fresh("t")
            out.append(Local(renames[target.id], value))
            continue
        operand = bindings[target.slice.id]
        if not _any_active(operand, adjoint_of):
            continue
        value_reads = None if reads is None else set()
        value = _expand(plan, bindings, adjoint_of, rename_global, renames, value_reads)
        made = _contribute(operand, value, adjoint_of, fresh)
        if reads is not None:
            if len(made) == 1 and made[0].value is value:
                reads |= value_reads
            else:  # a literal operand, its part sent to each entry by index
                reads |= nodes.loaded_names([item.value for item in made])
        out.extend(made)
    return out


def is_active_operand(operand, adjoint_of) -> bool:
    """Whether any variable in `operand` (a name or a literal of them) is active."""
    return _any_active(operand, adjoint_of)


def contributions(operand, value, adjoint_of, fresh) -> list:
    """Send `value` to `operand`'s adjoint; a literal is split by index."""
    return _contribute(operand, value, adjoint_of, fresh)


def _any_active(operand, adjoint_of) -> bool:
    if isinstance(operand, gast.Name):
        return adjoint_of(operand.id) is not None
    if isinstance(operand, (gast.List, gast.Tuple)):
        return any(_any_active(e, adjoint_of) for e in operand.elts)
    return False


def _contribute(operand, value, adjoint_of, fresh) -> list:
    """Route `value` to the operand's adjoint; a sequence literal is split by index."""
    if isinstance(operand, gast.Name):
        return [Contribution(operand.id, value)]
    if not isinstance(operand, (gast.List, gast.Tuple)):  # a literal number: no adjoint to take it
        return []
    seq = fresh("g")
    out: list = [Local(seq, value)]
    for i, elt in enumerate(operand.elts):
        if _any_active(elt, adjoint_of):
            part = nodes.quote_expr(f"{seq}[{i}]")
            out.extend(_contribute(elt, part, adjoint_of, fresh))
    return out


def _expand(plan, bindings, adjoint_of, rename_global, renames, reads=None):
    """Replace d[p], parameters, template locals and globals in a template expression
    (given by its `_plan`); `reads`, if a set, gets the names the copy loads."""

    def derivative(n):
        operand = bindings[n.slice.id]
        assert isinstance(operand, gast.Name), "d[] of a non-variable"
        adj = adjoint_of(operand.id)
        assert adj is not None, f"d[{operand.id}] read but {operand.id} is inactive"
        if reads is not None:
            reads.add(adj)
        return nodes.name(adj)

    return _spliced(plan, derivative, bindings, rename_global, renames, reads)


def _spliced(plan, derivative, bindings, rename_global, renames, reads=None):
    """A copy of a template expression, made by its `_plan`: `d[p]` replaced by
    `derivative(node)`, parameters by (copies of) their bindings, template locals
    and globals by their emitted names. `reads`, if a set, gets the identifier of
    every name `name_of` puts in (`derivative` notes its own)."""
    if reads is None:
        def name_of(ident):
            if ident in bindings:
                return nodes.loaded(bindings[ident])
            return nodes.name(renames[ident] if ident in renames else rename_global(ident))
    else:
        def name_of(ident):
            if ident in bindings:
                made = nodes.loaded(bindings[ident])
                if made.__class__ is gast.Name:
                    reads.add(made.id)
                else:  # a literal of names, or a constant
                    reads.update(nodes.loaded_names(made))
                return made
            made = renames[ident] if ident in renames else rename_global(ident)
            reads.add(made)
            return nodes.name(made)

    return plan(name_of, derivative)


def _plans(template: Template) -> list:
    """The `_plan` of each statement's value in `template`'s body (made once)."""
    plans = template.plans
    if plans is None:
        plans = template.plans = [_plan(stmt.value) for stmt in template.body]
    return plans


def _plan(node):
    """How to copy template expression `node`: a function `make(name_of, derivative)`
    returning what `nodes.clone(node, replace)` returns, where `replace` puts
    `name_of(ident)` for each `Name` and `derivative(n)` for each `d[p]` node `n`.

    Templates are copied for every call they differentiate; the plan does what
    `nodes.clone` would find out anew for every node of every copy (which
    fields hold child nodes, which values and positions are copied as they are)
    once per template. The copies are the same: the same fields and positions,
    in the same order, contexts shared, everything else new.
    """
    cls = node.__class__
    if cls is gast.Name:
        ident = node.id
        return lambda name_of, derivative: name_of(ident)
    if cls is gast.Subscript and _is_d(node):
        return lambda name_of, derivative: derivative(node)
    src = node.__dict__
    proto: dict = {}  # the fields (children's as placeholders), then the positions
    children: list = []  # (field, plan of the child node or of the list)
    for name in cls._fields:
        value = src.get(name)
        if value.__class__ is list:
            proto[name] = None
            children.append((name, _list_plan(value)))
        elif isinstance(value, gast.AST) and value.__class__ not in nodes._CONTEXTS:
            proto[name] = None
            children.append((name, _plan(value)))
        else:
            proto[name] = value  # a context (shared, as `clone` shares it), a string, a number
    for attr in cls._attributes:
        if attr in src:
            proto[attr] = src[attr]
    new = cls.__new__
    if len(children) == 1:  # (an attribute, a unary operation: the commonest, without a loop)
        ((one, first),) = children

        def make(name_of, derivative):
            made = new(cls)
            into = made.__dict__
            into.update(proto)
            into[one] = first(name_of, derivative)
            return made
    else:  # several children, or none (a constant, an operator)
        children = tuple(children)

        def make(name_of, derivative):
            made = new(cls)
            into = made.__dict__
            into.update(proto)
            for name, sub in children:
                into[name] = sub(name_of, derivative)
            return made
    return make


def _list_plan(items: list):
    """`_plan` for a field holding a list: a new list, its nodes copied as `clone` copies
    them (contexts and plain values kept as they are)."""
    parts = []
    for item in items:
        if item.__class__ is list:
            parts.append((_list_plan(item), None))
        elif isinstance(item, gast.AST) and item.__class__ not in nodes._CONTEXTS:
            parts.append((_plan(item), None))
        else:
            parts.append((None, item))
    parts = tuple(parts)
    if not parts:  # (the commonest lists: no keywords, one or two arguments, without a loop)
        def make(name_of, derivative):
            return []
    elif len(parts) == 1 and parts[0][0] is not None:
        ((first, _),) = parts

        def make(name_of, derivative):
            return [first(name_of, derivative)]
    elif len(parts) == 2 and parts[0][0] is not None and parts[1][0] is not None:
        (first, _), (second, _) = parts

        def make(name_of, derivative):
            return [first(name_of, derivative), second(name_of, derivative)]
    else:
        def make(name_of, derivative):
            return [value if sub is None else sub(name_of, derivative) for sub, value in parts]
    return make


def instantiate_tangent(template: Template, bindings: dict, tangent_of, rename_global, fresh,
                        zeros) -> list:
    """Splice a tangent template for one call: `Local`s and `Contribution`s to the result.

    tangent_of(var) -> the tangent variable's name, or None when var is
    inactive: a line that reads only tangents of inactive inputs is dropped; in
    a line that reads several (a function linear in them jointly, as `add_grad`
    is), an inactive input's tangent reads as zeros.
    A list literal operand's tangent is a literal of its items' tangents,
    `zeros(item)` (an expression) standing for an inactive item.
    """
    renames: dict[str, str] = {}
    out: list = []
    for stmt, plan in zip(template.body, _plans(template)):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            value = _expand_tangent(plan, bindings, tangent_of, rename_global, renames, zeros)
            renames[target.id] = fresh("t")
            out.append(Local(renames[target.id], value))
            continue
        params = {n.slice.id for n in nodes.of_class(stmt.value, (gast.Subscript,))
                  if isinstance(n.value, gast.Name) and n.value.id == "d"}
        if not any(_any_active(bindings[p], tangent_of) for p in params):
            continue
        value = _expand_tangent(plan, bindings, tangent_of, rename_global, renames, zeros)
        out.append(Contribution(bindings[template.result].id, value))
    return _read_locals_only(out)


def _read_locals_only(items: list) -> list:
    """`items` without the locals that no kept line reads, directly or through another
    local (a local only the lines of inactive inputs read)."""
    read: set[str] = set()
    kept: list = []
    for item in reversed(items):
        if isinstance(item, Local) and item.name not in read:
            continue
        read |= nodes.names_in(item.value)
        kept.append(item)
    return kept[::-1]


def _expand_tangent(plan, bindings, tangent_of, rename_global, renames, zeros):
    def tangent_expr(operand):
        if isinstance(operand, gast.Name) and tangent_of(operand.id) is not None:
            return nodes.name(tangent_of(operand.id))
        if isinstance(operand, (gast.List, gast.Tuple)):
            return type(operand)(elts=[tangent_expr(e) for e in operand.elts], ctx=gast.Load())
        return zeros(operand)

    return _spliced(plan, lambda n: tangent_expr(bindings[n.slice.id]), bindings,
                    rename_global, renames)


def from_text(name: str, params: str, lines: list, scope: dict, origin: str):
    """The template `def name(params): lines` written from a table's text (the
    elementwise rows, SciPy's distributions), with source `inspect` can read:
    `origin` names it in tracebacks and in the generated code's provenance."""
    filename = f"<{origin}>"
    text = f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    scope = dict(scope)
    exec(compile(text, filename, "exec"), scope)  # noqa: S102 -- srcgrad's own table's text
    return scope[name]
