"""Resolution: what each ANF statement computes, as a primitive and its operands.

Binds without rewriting: `s = x.sum(axis=0)` stays as written, and resolves
to the `numpy.sum` rule with `a=x, axis=0` (through the method's alias).
Returns `{id(statement): Op}`; never raises for a call that may turn out to
be inactive: an unknown callee is an `Op` of kind "unknown", and the reverse
pass raises for it only when it would need its derivative.
"""
from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass, field

import gast
import numpy

from .. import forms, nodes, runtime
from ..errors import SourceInfo, SrcGradError
from ..frontend import signature
from ..normalize import nograd
from ..normalize.desugar import is_in_place, is_loop_items
from ..rules import registry
from .fields import read_fields, refused_methods
from . import statics

_BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.BitAnd: operator.and_,
    gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
_UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
          gast.Invert: operator.invert}
_COMPARE = {gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
            gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne,
            gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.In: operator.contains,
            gast.NotIn: operator.contains}


@dataclass(frozen=True)
class Op:
    """What one statement computes.

    kind: "copy" (z = atom), "rule" (a registered derivative), "zero" (zero
    gradient), "unknown" (no rule and not a user function), "user" (a plain
    Python function), "opaque" (kept whole: boolean expressions, f-strings,
    literals of containers).
    """

    kind: str
    label: str
    rule: registry.Rule | None = None
    bindings: dict = field(default_factory=dict)
    callee: object = None
    hint: str = ""


def resolve(fn, namespace, source: SourceInfo, is_local, lifted=None) -> dict[int, Op]:
    """Map each `name = value` statement of `fn` (ANF) to its Op.

    `lifted` maps the names of nested helper functions to their lifted forms.
    """
    lifted = lifted or {}
    ops: dict[int, Op] = {}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            ops[id(stmt)] = Op("setitem", "x[...] =")
        elif isinstance(stmt, gast.Assign):
            ops[id(stmt)] = _resolve_value(stmt, namespace, source, is_local, lifted)
    for stmt in read_fields(fn, ops):  # `r.logabsdet` of r = numpy.linalg.slogdet(a): now r[1]
        ops[id(stmt)] = _resolve_value(stmt, namespace, source, is_local, lifted)
    refused_methods(fn, ops, Op)  # `frozen.logpdf(x)` of frozen = scipy.stats.norm(0.0, 2.0)
    return ops


def statements(stmts):
    """Every statement of an ANF body, nested branch and loop bodies included."""
    return nodes.walk_statements(stmts)


def _resolve_value(stmt, namespace, source, is_local, lifted) -> Op:
    value = stmt.value
    result = stmt.targets[0]
    if nodes.is_atom(value) or (nodes.dotted(value) and not is_local(nodes.dotted(value).split(".")[0])):
        return Op("copy", "=")
    if isinstance(value, gast.BinOp):
        return _primitive(_BINOPS[type(value.op)], [value.left, value.right], [], result, stmt, source)
    if isinstance(value, gast.UnaryOp):
        return _primitive(_UNARY[type(value.op)], [value.operand], [], result, stmt, source)
    if isinstance(value, gast.Compare) or _boolean(value):
        return Op("zero", "comparison")
    if isinstance(value, gast.Subscript):
        trick = _index_trick(value.value, namespace, is_local)
        if trick is not None:
            return trick
        index = _index_expr(value.slice)
        return _primitive(operator.getitem, [value.value, index], [], result, stmt, source)
    if isinstance(value, gast.Attribute):
        descriptor = getattr(numpy.ndarray, value.attr, None)
        if descriptor is None:
            return Op("unknown", f".{value.attr}")
        return _primitive(descriptor, [value.value], [], result, stmt, source,
                          label=f"ndarray.{value.attr}")
    if isinstance(value, gast.Call):
        return _resolve_call(value, namespace, source, is_local, result, stmt, lifted)
    if isinstance(value, (gast.Tuple, gast.List)):
        pack = runtime.pack_tuple if isinstance(value, gast.Tuple) else runtime.pack_list
        return _primitive(pack, list(value.elts), [], result, stmt, source,
                          label="tuple display" if pack is runtime.pack_tuple else "list display")
    if isinstance(value, gast.Dict):
        return _primitive(runtime.pack_dict, [nodes.tuple_of(value.keys), nodes.tuple_of(value.values)],
                          [], result, stmt, source, label="dict display")
    return Op("opaque", type(value).__name__)


def _boolean(expr) -> bool:
    """`a > 0 or not b < 1`: a boolean expression of comparisons, a bool (no derivative).
    The condition of `if a > 0 or b < 1:`, which a derivative's tape can hand on."""
    if isinstance(expr, gast.BoolOp):
        return all(_boolean(v) for v in expr.values)
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not):
        return True
    return isinstance(expr, gast.Compare) or (isinstance(expr, gast.Constant) and type(expr.value) is bool)


def _index_trick(obj_node, namespace, is_local) -> Op | None:
    """`numpy.r_[...]` and `numpy.c_[...]` build arrays from an index: no rule
    (raised only where a derivative is needed)."""
    path = nodes.dotted(obj_node)
    if path is None or is_local(path.split(".")[0]):
        return None
    obj = statics.lookup(namespace, path)
    if obj is None or not (obj is numpy.r_ or obj is numpy.c_):
        return None
    instead = "numpy.concatenate([a, b])" if obj is numpy.r_ else "numpy.column_stack([a, b])"
    return Op("badcall", f"{path}[...] (an index trick) has no derivative rule",
              hint=f"build the array with {instead}", callee=obj)


def _resolve_call(call, namespace, source, is_local, result, stmt, lifted) -> Op:
    func = call.func
    if nograd.is_marked(call):  # assigned in a no_grad block: a constant
        return Op("zero", "no_grad")
    if is_loop_items(call):  # what a `for` loop over a value of unknown kind runs over
        return _primitive(runtime.loop_items, list(call.args), [], result, stmt, source, label="for loop")
    if is_in_place(call):  # what `y += e`, `out=y` or `np.copyto(y, v)` leaves in the array y
        return _primitive(runtime.in_place_result, list(call.args), [], result, stmt, source, label="in place")
    args = list(call.args)
    path = nodes.dotted(func)
    if isinstance(func, gast.Name) and is_local(func.id):
        helper = lifted.get(func.id)
        if helper is None:
            return Op("unknown", func.id)
        return _user_call(helper, args, [(k.arg, k.value) for k in call.keywords], func.id,
                          free=helper.free)
    if isinstance(func, gast.Subscript):  # `fs[1](x)`: a constant entry of a global
        callee = statics.value_of(func, namespace, is_local)
        callee = None if callee is statics.MISSING else callee
        label = path = statics.text(func)
    elif path is not None and not is_local(path.split(".")[0]):
        callee = statics.lookup(namespace, path)
        label = path
        if callee is None and isinstance(func, gast.Attribute) and getattr(numpy.ndarray, func.attr, None) \
                is not None and isinstance(statics.value_of(func.value, namespace, is_local), numpy.ndarray):
            # a method of a global array (`TEMPLATE.copy()`, `self.buf.copy()`): the ndarray
            # method, with the array first, as for a local one
            callee, args = getattr(numpy.ndarray, func.attr), [func.value] + args
    else:  # a method of a local value: x.sum(...) -> numpy.ndarray.sum with x first
        callee = getattr(numpy.ndarray, func.attr, None)
        args = [func.value] + args
        label = f"ndarray.{func.attr}"
        if callee is None:
            return Op("unknown", f".{func.attr}()")
    if callee is None:
        return Op("unknown", path)
    keywords = [(k.arg, k.value) for k in call.keywords]
    if registry.user_vjp(callee) is not None or registry.user_jvp(callee) is not None:
        if keywords:  # the rule sees the arguments in the order of the signature
            args = _in_order(callee, args, keywords)
            if args is None:
                return Op("badcall", f"{label}(...) has a user rule, and these keyword arguments "
                          "do not bind to its positional parameters",
                          hint="pass the arguments positionally", callee=callee)
        return Op("custom", label, bindings={i: a for i, a in enumerate(args)}, callee=callee)
    if registry.is_nondifferentiable(callee):
        return Op("zero", label, callee=callee)
    if registry.unsupported_hint(callee) is not None:
        return Op("badcall", f"{label}(...) has no derivative rule", hint=registry.unsupported_hint(callee),
                  callee=callee)
    if registry.lookup(callee) is not None or registry.lookup(callee, "forward") is not None:
        return _primitive(callee, args, keywords, result, stmt, source, label=label)
    if inspect.isfunction(callee):
        return _user_call(callee, args, keywords, label)
    try:
        form = forms.function_of(callee)  # a partial, a callable object, a bound method
    except SrcGradError as err:  # raised, located, only if its derivative is needed
        return Op("badcall", f"{label}: {err.reason}", hint=err.hint, callee=callee)
    if form is not callee:
        return _user_call(form, args, keywords, label)
    return Op("unknown", label, callee=callee)


def _in_order(callee, args, keywords) -> list | None:
    """The operands of a call with `keywords`, as the positional arguments of
    `callee`'s signature (a skipped parameter's default filled in), or None when
    they cannot be (no signature; a keyword-only parameter)."""
    try:
        bound = inspect.signature(callee).bind(*args, **dict(keywords))
    except (TypeError, ValueError):
        return None
    params = list(bound.signature.parameters.values())
    given = [i for i, p in enumerate(params) if p.name in bound.arguments]
    out = []
    for p in params[:given[-1] + 1] if given else ():  # up to the last one passed, as a positional call would
        if p.kind is p.VAR_POSITIONAL:
            out.extend(bound.arguments.get(p.name, ()))
        elif p.kind is not p.POSITIONAL_OR_KEYWORD and p.kind is not p.POSITIONAL_ONLY:
            return None
        elif p.name in bound.arguments:
            out.append(bound.arguments[p.name])
        elif p.default is not p.empty:
            out.append(_literal(p.default))
        else:
            return None
    return out


def _user_call(callee, args, keywords, label, free=()) -> Op:
    """A call to the user's own function: bound to its parameters (free variables
    of a nested helper are passed by name)."""
    keywords = list(keywords) + [(n, nodes.name(n)) for n in free]
    try:
        bound = signature(callee).bind(*args, **dict(keywords))
    except TypeError as err:
        return Op("badcall", f"this call does not match {label}'s parameters ({err})",
                  hint="pass the arguments the function declares", callee=callee)
    bindings = {}
    for param, value in bound.arguments.items():
        kind = bound.signature.parameters[param].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            return Op("badcall", f"calling {label}, which takes *args or **kwargs, with values "
                      "being differentiated is not supported",
                      hint="give the helper named parameters", callee=callee)
        bindings[param] = value
    return Op("user", label, bindings=bindings, callee=callee)


def primitive_op(primitive, args, stmt, source, label) -> Op:
    """The Op of `stmt` (`z = ...`) bound to `primitive`'s rule with these operands."""
    return _primitive(primitive, args, [], stmt.targets[0], stmt, source, label=label)


def _primitive(primitive, args, keywords, result, stmt, source, label=None) -> Op:
    primitive = registry.form_of(primitive, args, keywords)
    if registry.is_nondifferentiable(primitive):
        return Op("zero", label or registry.qualname(primitive))
    rule = registry.lookup(primitive) or registry.lookup(primitive, "forward")
    label = label or registry.qualname(primitive)
    if rule is None:
        return Op("unknown", label, callee=primitive)
    template = rule.template
    arguments = None if keywords else _positional_binding(template.signature, args)
    if arguments is not None:
        return _rule_op(label, rule, template, result, arguments, primitive)
    try:
        bound = template.signature.bind(*args, **dict(keywords))
    except TypeError as err:
        # another form of the primitive (`numpy.sum(a, where=m)`) may take the call
        for other in registry.forms(primitive):
            found = registry.lookup(other) or registry.lookup(other, "forward")
            if found is not None and _binds(found.template.signature, args, keywords):
                return _primitive(other, args, keywords, result, stmt, source, label=label)
        if registry.forms(primitive):  # the hint names the fullest form
            template = (registry.lookup(registry.forms(primitive)[-1])
                        or registry.lookup(registry.forms(primitive)[-1], "forward")).template
        names = [k for k, _ in keywords if k not in template.signature.parameters]
        detail = f"the keyword {names[0]!r}" if names else f"this call ({err})"
        # Raised by the reverse pass only if the call turns out to need a derivative.
        return Op("badcall", f"{label}(...) has no derivative rule for {detail}",
                  hint=f"the rule supports {label}({_params(template.signature)}); "
                       "rewrite the call with those arguments", callee=primitive)
    bound.apply_defaults()
    return _rule_op(label, rule, template, result, bound.arguments, primitive)


def _rule_op(label, rule, template, result, arguments: dict, primitive) -> Op:
    """The Op of a call bound to `rule`'s template: `arguments` are its parameters'
    values in signature order (defaults applied), operand nodes or Python values."""
    bindings = {template.result: result}
    for param, value in arguments.items():
        kind = template.signature.parameters[param].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            value = nodes.tuple_of(value)
        elif not isinstance(value, gast.AST):
            value = _literal(value)
        bindings[param] = value
    return Op("rule", label, rule=rule, bindings=bindings, callee=primitive)


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _positional_binding(signature, args) -> dict | None:
    """`signature.bind(*args)` with its defaults applied, as `arguments` (the commonest
    case, a few positional operands, without the generality of `Signature.bind`): None
    unless every parameter is positional and those after `args` have defaults (then
    `bind` itself answers, or raises)."""
    params = signature.parameters.values()
    if len(args) > len(params):
        return None
    arguments = {}
    for i, p in enumerate(params):
        if p.kind not in _POSITIONAL:
            return None
        if i < len(args):
            arguments[p.name] = args[i]
        elif p.default is not p.empty:
            arguments[p.name] = p.default
        else:
            return None
    return arguments


def _binds(signature, args, keywords) -> bool:
    try:
        signature.bind(*args, **dict(keywords))
    except TypeError:
        return False
    return True


def _params(signature) -> str:
    return ", ".join(str(p) for p in signature.parameters.values())


def _literal(value):
    if isinstance(value, tuple):
        return nodes.tuple_of([_literal(v) for v in value])
    return nodes.const(value)


def _index_expr(index):
    """Subscript syntax as an ordinary expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [getattr(index, k) or nodes.const(None) for k in ("lower", "upper", "step")]
        return gast.Call(func=nodes.name("slice"), args=parts, keywords=[])
    if isinstance(index, gast.Tuple):
        return nodes.tuple_of([_index_expr(e) for e in index.elts])
    return index


def differentiable_params(op: Op) -> list:
    """The operand nodes a rule sends a gradient to (its `d[...]` targets)."""
    if op.kind == "copy":
        return []
    if op.kind != "rule":
        return []
    rule = op.rule
    if rule.linear_in is not None:
        targets = {rule.linear_in}
    elif rule.mode == "forward":  # the inputs whose tangents the template reads
        targets = {n.slice.id for stmt in rule.template.body for n in gast.walk(stmt.value)
                   if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name)
                   and n.value.id == "d"}
    else:
        targets = {stmt.targets[0].slice.id for stmt in rule.template.body
                   if isinstance(stmt.targets[0], gast.Subscript)}
    return [op.bindings[p] for p in sorted(targets) if p in op.bindings]


def ufunc_operands_as_arrays(fn, ops: dict, lists: set, numpy_name, fresh, namespace, source,
                             is_local) -> set[str]:
    """A ufunc (or a function declared `array_operands`) reads a list or tuple
    operand as an array: make that explicit.

    `np.square(xs)` with `xs` a list becomes `_t1 = asarray(xs); z = np.square(_t1)`,
    exactly what NumPy does inside the call. The rule's template then works on an
    array (on the list, `2 * xs` would repeat it and `xs * 2.0` would fail), and
    the list gets its adjoint, or its tangent, from the rule of `numpy.asarray`.
    `lists` are the names that may hold a list or tuple; `numpy_name()` is how the
    generated code names the numpy module (asked only when a conversion is made).
    Edits `fn` and `ops` in place; returns the names it introduced.
    """
    made: set[str] = set()

    def rewrite(body: list) -> list:
        out: list = []
        for stmt in body:
            nodes.map_blocks(stmt, rewrite)
            op = ops.get(id(stmt))
            call = stmt.value if isinstance(stmt, gast.Assign) else None
            array_like = op is not None and op.kind == "rule" and registry.reads_arrays(op.callee)
            if op is None or op.kind != "rule" or not (isinstance(op.callee, numpy.ufunc) or array_like) \
                    or not isinstance(call, gast.Call):
                out.append(stmt)
                continue
            changed = False
            operands = [(call.args, i) for i in range(len(call.args))]
            if array_like:  # a declared function reads its keyword operands as arrays too
                operands += [(call.keywords, i) for i in range(len(call.keywords))]
            for holder, i in operands:
                arg = holder[i] if holder is call.args else holder[i].value
                literal = array_like and isinstance(arg, (gast.List, gast.Tuple))  # `[0.2, 0.5]`
                if (isinstance(arg, gast.Name) and arg.id in lists) or literal:
                    name = fresh("t")
                    made.add(name)
                    convert = nodes.stamp(gast.Assign(
                        targets=[nodes.name(name, store=True)], type_comment=None,
                        value=nodes.quote_expr(f"{numpy_name()}.asarray(v)", v="v")), stmt.lineno)
                    convert.value.args[0] = arg
                    ops[id(convert)] = _primitive(numpy.asarray, [convert.value.args[0]], [],
                                                  convert.targets[0], convert, source, label="numpy.asarray")
                    out.append(convert)
                    if holder is call.args:
                        call.args[i] = nodes.name(name)
                    else:
                        holder[i].value = nodes.name(name)
                    changed = True
            if changed:
                ops[id(stmt)] = _resolve_value(stmt, namespace, source, is_local, {})  # a ufunc again
            out.append(stmt)
        return out

    fn.body = rewrite(fn.body)
    return made
