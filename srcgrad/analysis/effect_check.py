"""Deny by default: writes the derivative can model rewritten, every other effect checked.

`model_writes` (before normalization) turns `np.copyto(dst, src)` and any
`out=` into subscript writes; `check_effects` (after activity, both modes)
rejects a call that writes, changes outer state or is unknown when it meets a
value depending on a `wrt` input, from the facts of `effects.py` (see its
docstring for the whole contract).
"""
from __future__ import annotations

import types

import gast
import numpy

from .. import nodes
from ..errors import located
from ..rules import facts as table
from ..rules import registry
from .aliases import alias_groups, positions
from .buffers import float_names
from .effects import bind_user, callee_object, function_effects, resolve_call, static_arguments


# --- rewriting writes the derivative can model ------------------------------------


def model_writes(fn, namespace, is_local) -> None:
    """Rewrite (in place, in the parsed function `fn`, before normalization) calls
    that store a result into an argument as the subscript write they are:
    `np.copyto(dst, src)` becomes `dst[...] = src`, `f(a, out=o)` becomes
    `o[...] = f(a)` (and `z = f(a, out=o)` adds `z = o`); into a part of an array,
    `np.copyto(c[1:4], x)` is `c[1:4] = x` and `f(a, out=c[1])` is `c[1] = f(a)`.

    A subscript write casts what it stores 'unsafe'ly where NumPy's copyto and ufuncs
    cast 'same_kind' (floats into an int array raise), and a ufunc's output takes part
    in broadcasting: so the value written is `in_place(value, o, kind)`
    (`runtime.in_place_result`), which raises NumPy's error there; not where `o` surely
    holds floats (`np.zeros(n)`: any real value casts 'same_kind' into it) and the
    write is a copyto."""
    params = {a.id for a in list(getattr(fn.args, "posonlyargs", None) or []) + fn.args.args + fn.args.kwonlyargs}
    found = None

    def floats(name: str) -> bool:
        nonlocal found
        if found is None:
            found = float_names([s for s, _, _ in positions(fn.body)], params,
                                lambda node: _numpy_object(node, namespace, is_local))
        return name in found

    fn.body[:] = _model_block(fn.body, namespace, is_local, floats)


def _numpy_object(node, namespace, is_local):
    """The object the dotted name `node` stands for (`np.zeros`, `np.float32`, `float`), or None."""
    path = nodes.dotted(node)
    if path is None or is_local(path.split(".")[0]):
        return None
    from .statics import lookup

    return lookup(namespace, path)


def _model_block(stmts, namespace, is_local, floats) -> list:
    out = []
    for stmt in stmts:
        if isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef)):
            out.append(stmt)
            continue
        nodes.map_blocks(stmt, lambda inner: _model_block(inner, namespace, is_local, floats))
        out.extend(_modelled(stmt, namespace, is_local, floats) or [stmt])
    return out


def _checked(value, target, kind: str, floats):
    """`value` as the in-place write into `target` leaves it (`in_place_result`, checked
    against NumPy's casting and broadcasting), unless `target` surely holds floats and
    `kind` is "copyto", where nothing can fail (a ufunc's result may have more axes)."""
    from ..normalize.desugar import in_place_marker

    base = target if isinstance(target, gast.Name) else target.value
    if kind == "copyto" and floats(base.id):
        return value
    return gast.copy_location(in_place_marker(value, nodes.clone(target), kind), value)


def _modelled(stmt, namespace, is_local, floats):
    call = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
    if not isinstance(call, gast.Call):
        return None
    if isinstance(stmt, gast.Assign) and not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
        return None
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    resolved = resolve_call(call, namespace, is_local)
    if resolved.facts is None or resolved.user is not None or resolved.local_method:
        return None
    if resolved.facts is table.of(numpy.copyto) and len(call.args) == 2 and not call.keywords \
            and isinstance(stmt, gast.Expr) and _writable(call.args[0]):
        return [_write_all(call.args[0], _checked(call.args[1], call.args[0], "copyto", floats), stmt)]
    if resolved.facts is table.of(numpy.copyto) and len(call.args) == 2 and isinstance(stmt, gast.Expr) \
            and [k.arg for k in call.keywords] == ["where"] and isinstance(call.func, gast.Attribute) \
            and _writable(call.args[0]):  # np.copyto(dst, src, where=m): dst[...] = np.where(m, src, dst)
        choose = gast.Attribute(value=nodes.clone(call.func.value), attr="where", ctx=gast.Load())
        picked = gast.Call(func=choose, args=[call.keywords[0].value, call.args[1], nodes.clone(call.args[0])],
                           keywords=[])
        return [_write_all(call.args[0], _checked(gast.copy_location(picked, call), call.args[0], "copyto", floats),
                           stmt)]
    outs = [v for k, v in resolved.keywords if k == "out"]
    positional = list(call.args[resolved.ufunc.nin:]) if resolved.ufunc is not None else []
    if len(outs) + len(positional) != 1 or resolved.facts.writes:
        return None
    target = (outs + positional)[0]
    if not _writable(target):
        return None
    plain = gast.Call(func=call.func, args=list(call.args[:len(call.args) - len(positional)]),
                      keywords=[k for k in call.keywords if k.arg != "out"])
    value = gast.copy_location(plain, call)
    kind = resolved.ufunc.__name__ if resolved.ufunc is not None else \
        "clip" if resolved.facts is table.of(numpy.clip) else None  # (a reduction's out= casts 'unsafe')
    new = [_write_all(target, value if kind is None else _checked(value, target, kind, floats), stmt)]
    if isinstance(stmt, gast.Assign):
        new.append(gast.copy_location(nodes.assign(stmt.targets[0].id, nodes.clone(target)), stmt))
    return new


def _writable(target) -> bool:
    """A name, or a part of one a basic index of numbers and slices picks (`c[1]`,
    `c[1:4]`, `c[0, :]`): a view, which `out=` writes through. (`c[i]` stays as it is:
    `i` may be an index array, and `c[i]` a copy.)"""
    if isinstance(target, gast.Name):
        return True
    if not (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)):
        return False
    parts = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
    return all(isinstance(p, gast.Slice) or isinstance(p, gast.Constant) and type(p.value) is int for p in parts)


def _write_all(target, value, stmt):
    """`target[...] = value` (`target` a name), `c[1] = value` (a part of one), located
    at `stmt`."""
    if isinstance(target, gast.Name):
        into = gast.Subscript(value=nodes.name(target.id), slice=nodes.const(Ellipsis), ctx=gast.Store())
    else:
        into = gast.Subscript(value=nodes.name(target.value.id), slice=nodes.clone(target.slice),
                              ctx=gast.Store())
    new = gast.Assign(targets=[into], value=value, type_comment=None)
    return gast.copy_location(new, stmt)


# --- the check --------------------------------------------------------------------


def check_effects(fn, ops: dict, act, ctx, lifted: dict, mode: str = "reverse",
                  generated: bool = False) -> None:
    """Reject every call in the ANF function `fn` whose effect the derivative could
    not see: one that writes, changes outer state or is unknown, and meets a value
    that depends on a `wrt` input (see the module docstring). Forward mode also
    models `lst.pop()` on a local list (it pops the tangent list alongside).
    srcgrad's own `generated` code (a derivative differentiated again) is checked
    by `_check_generated`."""
    from ..normalize.anf import is_append

    if generated:
        _check_generated(fn, act, ctx, mode)
        return
    # modules the compiler bound for the code it wrote (`numpy.asarray(v)` where the
    # module imports NumPy's functions only by name)
    modules = {k: v for k, v in ctx.helpers.items() if isinstance(v, types.ModuleType)}
    namespace = ctx.parsed.namespace.with_values(modules) if modules else ctx.parsed.namespace
    varied = act.varied
    reads = _Reads(fn, act, ctx.facts.scalar_names, backward=mode == "reverse")
    for stmt in nodes.walk_statements(fn.body):
        call = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
        if not isinstance(call, gast.Call):
            continue
        if isinstance(stmt, gast.Expr) and is_append(stmt) and ctx.is_local(stmt.value.func.value.id):
            continue  # lst.append(v) on a local list: modelled
        if mode == "forward" and _is_local_pop(call, ctx):
            continue
        op = ops.get(id(stmt))
        if op is not None and op.kind == "custom":
            continue  # a user rule: declared a function of its arguments
        if isinstance(call.func, gast.Name) and call.func.id in ctx.helpers:  # bound by the compiler
            found = table.of(ctx.helpers[call.func.id])
            if found is not None and not found.writes:
                continue
        resolved = resolve_call(call, namespace, ctx.is_local, lifted)
        if resolved.reporting:
            continue
        inputs = set()
        for node in resolved.args + [v for _, v in resolved.keywords]:
            inputs |= nodes.loaded_names(node)
        touched = sorted(n for n in inputs if n in varied)
        if resolved.user is not None:
            _check_user(stmt, resolved, touched, varied, ctx, lifted, (fn, ops), reads)
            continue
        if resolved.facts is None and touched and op is not None and op.kind == "badcall":
            raise located(ctx.source, stmt, op.label, op.hint)  # refused when resolved: that reason
        if resolved.facts is None:
            if touched and isinstance(call.func, gast.Name) and ctx.is_local(call.func.id):
                raise located(ctx.source, stmt, f"{call.func.id} is a variable, and which function it "
                              f"holds is not known when compiling; it is called on {touched[0]!r}, "
                              "which depends on a differentiated input",
                              "srcgrad differentiates the function a call runs: call it by its name, "
                              "pass it as an argument, or index a global tuple or list of functions "
                              "(or an attribute holding one) with a constant: fs[1](x)")
            if touched and _made_by_srcgrad(call, namespace, ctx.is_local):
                raise located(ctx.source, stmt, f"{resolved.label} is a derivative srcgrad made (grad, "
                              f"jvp, hvp, ...), called on {touched[0]!r}, which depends on a "
                              "differentiated input: a derivative inside a differentiated function "
                              "is not supported",
                              "differentiate the derivative itself instead (srcgrad.hessian, "
                              "srcgrad.jacobian, srcgrad.grad of it), or write the inner gradient "
                              "with NumPy operations")
            if touched:
                raise located(ctx.source, stmt, f"{resolved.label} is a call srcgrad knows nothing "
                              f"about (whether it changes its arguments, what it returns), on "
                              f"{touched[0]!r}, which depends on a differentiated input",
                              "register a rule for it with srcgrad.defvjp / srcgrad.defjvp, or "
                              "compute the value with NumPy operations srcgrad knows")
            handed = [n.id for n in resolved.args + [v for _, v in resolved.keywords]
                      if isinstance(n, gast.Name) and reads.exposed(n.id, stmt)]
            if handed:
                raise located(ctx.source, stmt, f"{resolved.label} is a call srcgrad knows nothing "
                              f"about, handed {handed[0]!r}, which the derivative reads: if the call "
                              f"changes {handed[0]!r} in place, the gradient would use the changed value",
                              _handed_hint(call, handed[0]))
            continue
        written = resolved.written
        if not written:
            continue
        hit = touched or sorted(n for w in written for n in nodes.loaded_names(w) if n in varied)
        exposed = [w.id for w in written if isinstance(w, gast.Name) and reads.exposed(w.id, stmt)]
        if not hit and exposed:
            raise located(ctx.source, stmt, f"{resolved.label} writes into {exposed[0]!r} in place, "
                          "a value the derivative reads: the gradient would use the changed value",
                          resolved.facts.hint or f"pass a copy ({exposed[0]}.copy())")
        if hit:
            what = ", ".join(sorted({n for w in written for n in nodes.loaded_names(w)}))
            raise located(ctx.source, stmt, f"{resolved.label} writes into {what!r} in place, "
                          f"with {hit[0]!r}, a value that depends on a differentiated input: "
                          "the derivative cannot see that change",
                          resolved.facts.hint or "compute a new value and assign it to a name")


def _check_generated(fn, act, ctx, mode: str = "forward") -> None:
    """srcgrad's own code calls only its runtime helpers and its tape's append and
    pop, which the passes model; a discarded call on an active value is something
    else (a dict entry restored outside a loop has no tangent yet): rejected. So is
    an adjoint buffer added into (`scatter_add`) in reverse mode, which models it in
    forward mode only."""
    from ..normalize.anf import is_append
    from ..runtime import scatter_add

    for stmt in nodes.walk_statements(fn.body):
        call = stmt.value if isinstance(stmt, gast.Expr) else None
        if mode == "reverse" and id(stmt) in getattr(ctx, "restores", {}) \
                and ctx.parsed.namespace.lookup(call.func.id) is scatter_add \
                and any(act.is_active(n) for n in nodes.loaded_names(call)):
            raise located(ctx.source, stmt, "a loop's backward sweep adds into an adjoint at an index "
                          "array or mask (scatter_add); reverse mode over it is not supported yet",
                          "differentiate this derivative again in forward mode: srcgrad.hessian, "
                          "srcgrad.hvp or srcgrad.jvp")
        if not isinstance(call, gast.Call) or is_append(stmt) or _is_local_pop(call, ctx) \
                or id(stmt) in getattr(ctx, "restores", {}):  # forward mode restores the tangent too
            continue
        if resolve_call(call, ctx.parsed.namespace, ctx.is_local).reporting:
            continue  # the checks generated code runs (require_scalar, check_finite): the table says so
        touched = sorted(n for n in nodes.loaded_names(call) if act.is_active(n))
        if touched:
            raise located(ctx.source, stmt, f"a call whose result is discarded, on the "
                          f"differentiated value {touched[0]!r}", "this derivative cannot be "
                          "differentiated again yet")


def _handed_hint(call, name: str) -> str:
    """What to write instead of an unknown call handed a value the derivative reads. A
    method of that value (`rng.normal()`) most often changes only the object's own state,
    such as a local random generator's draw: computed on a line of its own, its result
    is a constant the derivative reads, and the object itself is no longer read."""
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id == name:
        return (f"if .{func.attr}() changes only {name}'s own state (as a random generator's "
                f"draw does), assign its result to a name on a line of its own (`draw = "
                f"{name}.{func.attr}(...)`) and use that name; otherwise register a rule for the "
                "call with srcgrad.defvjp / srcgrad.defjvp")
    return (f"pass a copy (for an array, {name}.copy()), or register a rule for the call with "
            "srcgrad.defvjp / srcgrad.defjvp")


def _is_local_pop(call, ctx) -> bool:
    func = call.func
    return (isinstance(func, gast.Attribute) and func.attr == "pop" and not call.args
            and not call.keywords and isinstance(func.value, gast.Name) and ctx.is_local(func.value.id))


class _Reads:
    """Where differentiated operations read values (`c` in `y = x * c`, y active):
    the backward sweep reads them again, so a write into one after such a read
    (later in the code, or anywhere in a loop around the read) changes what the
    derivative uses. Python numbers are left out (nothing changes them in place).
    Forward mode (`backward=False`) records none: a tangent reads its operands
    once, when it is computed. The reads and alias groups are found at the first
    question (`exposed`): most functions hand no value read to a call that writes."""

    def __init__(self, fn, act, numbers, backward: bool):
        self.fn, self.act, self.numbers, self.backward = fn, act, numbers, backward  # (not changed meanwhile)
        self.at = None  # name -> [(position, enclosing loops)] of its reads
        self.where: dict = {}  # id(statement) -> (position, enclosing loops)
        self.shares = None  # name -> the names that may share its memory

    def _find(self) -> None:
        """Where the derivative reads each name (`at`), and where each statement is."""
        self.at = {}
        for stmt, position, loops in positions(self.fn.body) if self.backward else ():
            self.where[id(stmt)] = (position, loops)
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and self.act.is_active(stmt.targets[0].id):
                for n in nodes.name_nodes(stmt.value):
                    if n.id not in self.numbers:
                        self.at.setdefault(n.id, []).append((position, loops))

    def exposed(self, name: str, stmt) -> bool:
        """Whether a write into `name` by `stmt` changes a value the derivative reads."""
        if self.at is None:
            self._find()
        if not self.at:
            return False
        if self.shares is None:
            fn = self.fn
            params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
            self.shares = alias_groups(fn.body, params, appends=False)
        position, loops = self.where[id(stmt)]
        return any(p < position or l & loops
                   for shared in self.shares.get(name, {name}) for p, l in self.at.get(shared, ()))


def _check_user(stmt, resolved, touched: list, varied, ctx, lifted: dict, scope: tuple,
                reads: "_Reads") -> None:
    label = getattr(resolved.user, "__name__", resolved.label)
    bound = bind_user(resolved.user, resolved.args, resolved.keywords)
    if bound is None and touched:
        raise located(ctx.source, stmt, f"calling {label}, which takes *args or **kwargs, with "
                      "values being differentiated is not supported",
                      "give the helper named parameters")
    if touched:  # what the helper may not contain is said first, where it is
        from ..fence import fence
        from ..frontend import parse

        fence(parse(resolved.user, fresh=False))  # (the fence only reads the tree)
    inner = function_effects(resolved.user, lifted,
                             static_arguments(resolved.user, bound, ctx.parsed.namespace, ctx.is_local))
    if inner.outer is not None and touched:
        line, code, what = inner.outer
        raise located(ctx.source, stmt, f"{label}() {what} (line {line}: {code}), and it is "
                      f"called with {touched[0]!r}, a value that depends on a differentiated "
                      "input: the derivative cannot see that change",
                      "make the helper a function of its arguments: return what it computes")
    if not (inner.writes or inner.augmented):
        return
    for param, node in (bound or {}).items():
        found = inner.writes.get(param)
        if found is None and param in inner.augmented and not _is_number(node, ctx):
            found = inner.augmented[param]
        if found is None:
            continue
        holders = sorted(nodes.loaded_names(node))
        hit = [n for n in holders if n in varied] or touched
        if hit and isinstance(node, gast.Name) and _scratch(node.id, scope):
            continue  # a fresh temporary nobody reads again: the helper may use it up
        if not hit and isinstance(node, gast.Name) and reads.exposed(node.id, stmt):
            line, code, note = found
            raise located(ctx.source, stmt, f"{label}() writes into its argument {param!r} in place "
                          f"(line {line}: {code}), which is {node.id!r} here, a value the derivative "
                          "reads: the gradient would use the changed value",
                          f"pass a copy ({node.id}.copy()), or make {label}() return the new value "
                          f"instead of changing {param!r}")
        if hit:
            line, code, note = found
            shown = holders[0] if holders else param
            verb = "may write into" if "knows nothing" in note else "writes into"
            where = f"line {line}: {code}" + (f"; {note}" if note else "")
            raise located(ctx.source, stmt, f"{label}() {verb} its argument {param!r} in "
                          f"place ({where}), which is {shown!r} here, and the call "
                          f"involves {hit[0]!r}, a value that depends on a differentiated input: "
                          "the derivative cannot see that change",
                          "give that call a rule (srcgrad.defvjp / srcgrad.defjvp), or compute the "
                          "value with operations srcgrad knows" if verb == "may write into" else
                          f"make {label}() return the new value instead of changing {param!r} "
                          f"(e.g. start it with `{param} = {param}.copy()` and return it)")


def _scratch(name: str, scope: tuple) -> bool:
    """`name` is a value made for this call alone (`helper(x * 1.0)`,
    `helper(y.copy())`): read once (by the call), and either a parameter never
    rebound or assigned once, by a rule that returns new memory and whose
    derivative never reads its result. A write into it changes nothing the
    derivative reads."""
    fn, ops = scope  # the function checked, and its ops
    stores = [s for s in nodes.walk_statements(fn.body) if isinstance(s, gast.Assign)
              and isinstance(s.targets[0], gast.Name) and s.targets[0].id == name]
    loads = [n for n in nodes.name_nodes(fn.body) if n.id == name and isinstance(n.ctx, gast.Load)]
    if len(loads) != 1:
        return False
    args = fn.args
    params = {a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs}
    if not stores and name in params:  # a parameter read by this call alone
        return True
    if len(stores) != 1:
        return False
    op = ops.get(id(stores[0]))
    if op is None or op.kind != "rule" or not table.is_pure(op.callee):
        return False
    found = table.of(op.callee)
    if found is None or found.views:
        return False
    for mode in ("reverse", "forward"):
        rule = registry.lookup(op.callee, mode)
        if rule is not None and rule.template.result in _values_read(rule.template):
            return False
    return True


def _values_read(template) -> set:
    """Names whose values a rule template reads (`d[z]`, a derivative, is not z's value)."""
    derivatives = {id(n.slice) for stmt in template.body for n in gast.walk(stmt)
                   if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and n.value.id == "d"}
    return {n.id for stmt in template.body for n in gast.walk(stmt)
            if isinstance(n, gast.Name) and id(n) not in derivatives}


def _is_number(node, ctx) -> bool:
    if isinstance(node, gast.Constant):
        return isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool)
    return isinstance(node, gast.Name) and node.id in ctx.facts.scalar_names


def _made_by_srcgrad(call, namespace, is_local) -> bool:
    """The call's function is an object of srcgrad's own (a derivative `grad` returned)."""
    obj = callee_object(call, namespace, is_local)
    return obj is not None and callable(obj) and type(obj).__module__.split(".")[0] == "srcgrad"
