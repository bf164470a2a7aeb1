"""The rule registry: which primitive has which derivative.

Plain dicts behind a few decorators. Registering a second rule for a
primitive is an error at import time, naming both places.

    @adjoint(numpy.tanh)                # reverse mode
    def tanh_adjoint(z, x):
        d[x] = d[z] * (1.0 - z * z)

    nondifferentiable(numpy.floor, numpy.argmax)   # zero gradient
"""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Callable, TypeVar

from ..templates import Template, TemplateError, parse_template
from . import naming
from .deferred import load_due

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Rule:
    """One registered derivative: the primitive, its template and how to name it.

    A forward rule made by `linear(primitive, param)` has no body: its tangent
    is the primitive itself applied to the tangent of `param` (`linear_in`).
    `source` is the template function, parsed when the rule is first used
    (parsing every rule at import would double the cost of `import srcgrad`),
    or a ready Template.
    """

    primitive: object
    name: str
    source: object
    mode: str  # "reverse" or "forward"
    linear_in: str | None = None

    @property
    def template(self) -> Template:
        return self.source if isinstance(self.source, Template) else parsed(self.source)


_ADJOINTS: dict[object, Rule] = {}
_TANGENTS: dict[object, Rule] = {}
_NONDIFFERENTIABLE: dict[object, str] = {}
_TEMPLATE_GLOBALS: dict[str, object] = {}


def qualname(primitive) -> str:
    """A readable dotted name for a primitive, for messages: 'numpy.tanh' (rules/naming.py)."""
    return naming.qualname(primitive.primitive if isinstance(primitive, Form) else primitive)


def _register(table: dict, mode: str, primitives) -> Callable[[F], F]:
    def register(fn: F) -> F:
        if mode == "forward":
            _TANGENT_TEMPLATES.add(fn)
        for p in primitives:
            if p in table or p in _NONDIFFERENTIABLE:
                other = _origin(table[p].source) if p in table else "nondifferentiable(...)"
                raise TemplateError(f"second {mode} rule for {qualname(p)}: "
                                    f"{_origin(fn)} (first: {other})")
            table[p] = Rule(p, qualname(p), fn, mode)
        return fn

    return register


_PARSED: dict = {}  # template function -> its Template
_TANGENT_TEMPLATES: set = set()  # the functions registered as forward templates


def parsed(fn) -> Template:
    """The parsed and checked template of the rule function `fn` (parsed once)."""
    found = _PARSED.get(fn)
    if found is not None:
        return found
    template = parse_template(fn)
    for ident, obj in template.globals.items():
        if _TEMPLATE_GLOBALS.setdefault(ident, obj) is not obj:
            raise TemplateError(f"{template.origin}: the template global {ident!r} means "
                                "something else in another rule file")
    if fn in _TANGENT_TEMPLATES:
        _check_tangent(template)
    return _PARSED.setdefault(fn, template)


def parse_all() -> None:
    """Parse every registered template now (a test: a malformed one fails there)."""
    for rule in list(_ADJOINTS.values()) + list(_TANGENTS.values()):
        rule.template


def _origin(source) -> str:
    if isinstance(source, Template):
        return source.origin
    return f"{source.__code__.co_filename}:{source.__code__.co_firstlineno}"


def _parameters(source) -> list[str]:
    """The primitive's parameters in a template (its signature less the result)."""
    if isinstance(source, Template):
        return source.params
    import inspect

    return list(inspect.signature(source).parameters)[1:]


def _check_tangent(template: Template) -> None:
    """A tangent template writes only d[result], each line reading the d[...] of one
    input, or of several when the line is linear in them jointly (their contributions
    must not be added with `+`, as for `add_grad` of lists)."""
    import gast

    for stmt in template.body:
        target = stmt.targets[0]
        if not isinstance(target, gast.Subscript):
            continue
        if target.slice.id != template.result:
            raise TemplateError(f"{template.origin}: a tangent rule assigns d[{template.result}] only")
        reads = {n.slice.id for n in gast.walk(stmt.value) if isinstance(n, gast.Subscript)
                 and isinstance(n.value, gast.Name) and n.value.id == "d"}
        if not reads or template.result in reads:
            raise TemplateError(f"{template.origin} (line {stmt.lineno} of the template): each "
                                "`d[z] = ...` reads the tangent of an input, not of the result")


def linear(primitive, param: str, *more) -> None:
    """Forward rule: the tangent is `primitive` applied to the tangent of `param`.

    `linear(numpy.sum, "a")` makes `z = numpy.sum(x, axis=0)` give
    `z_dot = numpy.sum(x_dot, axis=0)`. Extra primitives may follow the param.
    """
    adjoint_rule = _ADJOINTS.get(primitive)
    for p in (primitive,) + more:
        if p in _TANGENTS:
            raise TemplateError(f"second forward rule for {qualname(p)}")
        rule = _ADJOINTS.get(p) or adjoint_rule
        source = rule.source if rule is not None else _signature_template(p)
        if param not in _parameters(source):
            raise TemplateError(f"linear({qualname(p)}, {param!r}): no such parameter")
        _TANGENTS[p] = Rule(p, qualname(p), source, "forward", linear_in=param)


def _signature_template(primitive) -> Template:
    """A body-less template binding calls to a Python function's own signature
    (for srcgrad's runtime helpers, which have tangent rules but no adjoint)."""
    import inspect

    try:
        sig = inspect.signature(primitive)
    except (TypeError, ValueError):
        raise TemplateError(f"linear({qualname(primitive)}, ...) needs an adjoint rule or a "
                            "Python signature") from None
    return Template(primitive, "z", sig, [], {}, f"signature of {qualname(primitive)}")


def template_global(ident: str):
    """The object a name free in some template refers to (numpy, a runtime helper).
    Generated code names only globals of templates it was built from, which
    were parsed then."""
    if ident not in _TEMPLATE_GLOBALS:
        from .. import runtime

        _TEMPLATE_GLOBALS[ident] = getattr(runtime, ident)
    return _TEMPLATE_GLOBALS[ident]


def adjoint(*primitives) -> Callable[[F], F]:
    """Register a reverse-mode template for each of `primitives`."""
    return _register(_ADJOINTS, "reverse", primitives)


def tangent(*primitives) -> Callable[[F], F]:
    """Register a forward-mode template for each of `primitives`."""
    return _register(_TANGENTS, "forward", primitives)


def nondifferentiable(*primitives) -> None:
    """Declare that each primitive's result carries zero gradient."""
    for p in primitives:
        if p in _NONDIFFERENTIABLE or p in _ADJOINTS:
            raise TemplateError(f"{qualname(p)} is registered twice")
        _NONDIFFERENTIABLE[p] = qualname(p)


_CONSTANT_PARAMS: dict[object, dict[str, str]] = {}


def constant_only(primitive, param: str, hint: str) -> None:
    """Declare that `param` of `primitive`'s rule has no derivative rule although
    the result may depend on it smoothly (`ddof` of var, einsum's `subscripts`
    in the sublist form): a value there that depends on a `wrt` input is a
    located error with `hint`, never a silent zero."""
    _CONSTANT_PARAMS.setdefault(primitive, {})[param] = hint


def constant_params(primitive) -> dict[str, str]:
    """{param: hint} of `constant_only` declarations for `primitive` (canonical)."""
    load_due()
    return _CONSTANT_PARAMS.get(primitive, {})


class Form:
    """Another template for `primitive`, for the calls its first template does not
    bind: `numpy.sum(a, where=m)` binds to no parameter of `numpy.sum`'s rule, and
    so is differentiated by the rule registered for `form(numpy.sum, ...)`. Calls
    that bind to the first template keep its (shorter) generated code.

    A form is a key of its own in the rule tables: register its rules with
    `@adjoint(the_form)` / `@tangent(the_form)`, and cover it with a rule case.
    """

    __slots__ = ("primitive", "what")

    def __init__(self, primitive, what: str):
        self.primitive = primitive
        self.what = what

    def __repr__(self) -> str:
        return f"<form of {qualname(self.primitive)}: {self.what}>"


_FORMS: dict[object, list] = {}


def form(primitive, what: str) -> Form:
    """A new form of `primitive` (tried in order of creation, after its first template)."""
    made = Form(primitive, what)
    _FORMS.setdefault(primitive, []).append(made)
    return made


def forms(primitive) -> tuple:
    """The forms of `primitive` (or of the primitive it aliases), in order."""
    primitive = _canonical(primitive)
    return tuple(_FORMS.get(primitive, ())) if primitive is not None else ()


def constant_only_params() -> dict[object, dict[str, str]]:
    """Every `constant_only` declaration (a copy), for the generated docs."""
    return {p: dict(params) for p, params in _CONSTANT_PARAMS.items()}


_ARRAY_OPERANDS: set = set()


def array_operands(*primitives) -> None:
    """Declare that each primitive reads every operand as an array, as a ufunc does
    (SciPy's distributions: array_like arguments): a list passed to it is made an
    array first, so its rule's template works on arrays."""
    _ARRAY_OPERANDS.update(primitives)


def reads_arrays(primitive) -> bool:
    try:
        return _canonical(primitive) in _ARRAY_OPERANDS
    except TypeError:  # unhashable
        return False


_UNSUPPORTED: dict[object, str] = {}


def unsupported(primitive, hint: str) -> None:
    """Declare that `primitive` (a library function, pure) has no derivative rule:
    a call whose derivative is needed is a located error with `hint`, instead of
    srcgrad reading the library's own source as if it were the user's."""
    _UNSUPPORTED[primitive] = hint


def unsupported_primitives() -> dict[object, str]:
    """Every `unsupported` declaration (a copy), for the generated docs."""
    return dict(_UNSUPPORTED)


def unsupported_hint(primitive) -> str | None:
    """The hint of an `unsupported` declaration for `primitive`, or None."""
    try:
        return _UNSUPPORTED.get(primitive)
    except TypeError:  # unhashable
        return None


_ALIASES: dict[object, object] = {}


def alias(key, primitive) -> None:
    """Differentiate `key` exactly as `primitive` (same signature, same rules).

    For a method whose signature is its function's with `self` first:
    `alias(numpy.ndarray.sum, numpy.sum)` makes `x.sum(axis=0)` bind as
    `numpy.sum(x, axis=0)`.
    """
    if key in _ALIASES or key in _ADJOINTS or key in _NONDIFFERENTIABLE:
        raise TemplateError(f"{qualname(key)} is registered twice")
    _ALIASES[key] = primitive


_ONE_ARGUMENT: dict[object, object] = {}


def one_argument(primitive, stand_in) -> None:
    """Differentiate `primitive` called with one positional argument and no keyword
    (`max(items)`) by `stand_in`'s rules: `max(a, b)` and `max(items)` differ."""
    _ONE_ARGUMENT[primitive] = stand_in


def form_of(primitive, args: list, keywords: list):
    """The primitive whose rules a call of `primitive` with these operands uses."""
    if len(args) == 1 and not keywords:
        try:
            return _ONE_ARGUMENT.get(primitive, primitive)
        except TypeError:  # unhashable
            return primitive
    return primitive


def _canonical(primitive):
    load_due()
    try:
        return _ALIASES.get(primitive, primitive)
    except TypeError:  # an unhashable callee has no rule
        return None


def lookup(primitive, mode: str = "reverse") -> Rule | None:
    """The rule for `primitive` (or the primitive it aliases) in `mode`, or None."""
    table = _ADJOINTS if mode == "reverse" else _TANGENTS
    primitive = _canonical(primitive)
    return table.get(primitive) if primitive is not None else None


# --- the constant arguments a rule differentiates ----------------------------------
# A rule whose helper handles only some values of an argument (a norm's `ord`,
# einsum's subscripts, pad's `mode`) declares them here; a call that passes
# another value as a literal is rejected when the derivative is built, with
# the call's location, instead of failing when the derivative runs.

_SUPPORTED: dict = {}  # (primitive, mode) -> [(param, test, what)]


def supports(primitive, param: str, test, what: str, modes=("reverse", "forward")) -> None:
    """Declare that `primitive`'s rule in `modes` differentiates the literal values
    `v` of `param` for which `test(v)` holds; `what` lists them for the hint."""
    for mode in modes:
        _SUPPORTED.setdefault((primitive, mode), []).append((param, test, what))


def refusal(primitive, bindings: dict, mode: str):
    """(the argument as written, what is supported) for a literal argument the
    rule declared it cannot differentiate, or None."""
    for param, test, what in _SUPPORTED.get((_canonical(primitive), mode), ()):
        known, value = _literal_value(bindings.get(param))
        if known and not test(value):
            return f"{param}={value!r}", what
    return None


def _literal_value(node):
    """(True, value) for a literal expression node (`0.5`, `-1`, `'fro'`), else (False, None)."""
    import gast

    if isinstance(node, gast.Constant):
        return True, node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) \
            and isinstance(node.operand, gast.Constant) and type(node.operand.value) in (int, float):
        return True, -node.operand.value
    return False, None


def is_nondifferentiable(primitive) -> bool:
    primitive = _canonical(primitive)
    return primitive is not None and primitive in _NONDIFFERENTIABLE


def aliases() -> dict[object, object]:
    load_due()
    return dict(_ALIASES)


def adjoint_rules() -> dict[object, Rule]:
    """All reverse rules (a copy), for the registry-walking tests."""
    load_due()
    return dict(_ADJOINTS)


def tangent_rules() -> dict[object, Rule]:
    load_due()
    return dict(_TANGENTS)


def nondifferentiable_primitives() -> dict[object, str]:
    load_due()
    return dict(_NONDIFFERENTIABLE)


# user rules live in rules/user.py; these names are the registry's interface to them
from .user import (defjvp, defvjp, user_jvp, user_rules_state, user_rules_version,  # noqa: E402,F401
                   user_vjp)
