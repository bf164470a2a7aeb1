"""The fast path: a function without NaN guards in front of its NaN-safe twin.

Everything about it lives here: whether a derivative gets one (`fast_path`,
which the compiler calls last, on the finished NaN-safe function), how the
fast function is made from the twin (`fast_twin`), and the deferred twin
(`Twin`): its text is made, compiled and bound only when it is first
called or shown; until then the fast function's closure cell for it holds
a placeholder that does that and takes the twin's place.

    def grad_f(x):                         def grad_f(x):
        ...forward sweep...                    ...forward sweep...
        _dt1 = masked_product(dy, f)   ->      try:
        dx = ...                                   with raise_float_errors():
        return dx                                      _dt1 = dy * f
                                                       dx = ...
                                               except FloatingPointError:
                                                   return grad_f_nan_safe(x)
                                               if has_nan(dx):
                                                   return grad_f_nan_safe(x)
                                               return dx
                                           (grad_f_nan_safe: the code on the left)

The guards `masked_product(g, f)` and `tangent_ratio(t, d)` keep a zero
adjoint zero through an infinite or undefined factor (0 * inf, 0 / 0): the
unselected side of a `numpy.where`, a saturated `tanh`, an `exp` that
overflowed. On arrays each costs a NaN scan, and, being a call, it stops
NumPy from reusing its operands' temporary buffers; on 1e6 elements the
guards of `sum(tanh(x) * exp(-x**2) + log1p(x**2))` cost 40% on top of the
hand-written gradient.

A guard changes a value only where the plain operation makes a NaN, and
every later adjoint operation (products, sums, broadcasts, scatters, matrix
products) carries a NaN on to the gradient, or drops the entry altogether,
as it would drop the guard's zero. So the derivative is built twice: a fast
function with plain `*` and `/` that returns its gradient unless
`has_nan` finds a NaN in it, and the NaN-safe twin, the usual code, which
the fast function calls in that case. The two give the same result.

Floating-point errors: the fast backward sweep runs with division by zero,
overflow and invalid operations raising (`raise_float_errors`), and hands
over to the twin when one does. So the fast path never warns or raises
where the usual code would not (a plain `0 * inf` stands for a guard that
is quiet), and never hides what the usual code reports: an overflow in
ordinary adjoint arithmetic warns, or raises under
`numpy.errstate(over="raise")`, from the twin, with the caller's settings.

Only where running the function again is harmless: every call in it is to
a function known to be pure, and it writes into no value in place. With
more guards on arrays than gradient arrays, the gradients are checked, as
above; with fewer, each run once (none in a loop or a branch), each
guard's own result is (`_dt9 = nan_free(dlse / _t9)`, inside the `try`:
it raises FloatingPointError at a NaN), and no `has_nan` follows. Where
the plain result holds no NaN it is the guard's result, so the fast
function's gradient is the twin's either way.
"""
from __future__ import annotations

import types

import gast

from .. import codegen, nodes
from ..rules import facts as table
from ..analysis.kinds import NUMERIC, kind_of
from .setting import kinds_of

_OPERATORS = {"*": gast.Mult, "/": gast.Div}


def fast_path(out, sweeps, names, ctx, options, setting, guards: dict):
    """([the function to compile], the deferred NaN-safe twin (a `Twin`) or None).

    `out` is the finished NaN-safe derivative, its backward sweep's top-level
    statements noted `sweep="backward"` (`nodes.noted`); `guards` maps the emitted names of the NaN guards to
    "*" or "/". The twin's text is made only when it is first called or shown.
    """
    kinds, callee = setting.params, setting.callee
    if not guards or ctx.facts.mutated:  # (`fast_twin` refuses the latter: no kinds worked out for it)
        return [out], None
    value_kinds = kinds_of(out.body, setting)  # of the finished function
    records = ctx.facts.records
    arrays = sum(len(records[p]) if p in records else kinds.get(p) != "scalar" for p in options.wrt)
    pair = fast_twin(out, names.claim(out.name + "_nan_safe"), guards, value_kinds, callee,
                     sweeps.gradients, arrays, ctx.rename_global, ctx.facts.mutated)
    if pair is None:
        return [out], None
    fast, twin = pair
    return [fast], Twin(twin.name, lambda: codegen.to_sources(twin, note=ctx.line))


class Twin:
    """The NaN-safe twin, not written yet: its `name`, and `make()` for its
    (plain, annotated) text (see `codegen.Compiled`)."""

    def __init__(self, name: str, make):
        self.name, self.make = name, make

    @staticmethod
    def cell(compiled, fn):
        """The fast function's closure cell for the twin, holding a `DeferredTwin` until
        the twin is first called."""
        cell = types.CellType()
        cell.cell_contents = DeferredTwin(compiled, fn, cell)
        return cell


class DeferredTwin:
    """What a fast path's closure holds for its twin until the twin is first called:
    then the twin is compiled and bound, and takes this object's place in the cell."""

    def __init__(self, compiled, fn, cell):
        self.compiled, self.fn, self.cell = compiled, fn, cell

    def __call__(self, *args, **kwargs):
        twin = self.compiled.twin().bind(self.fn)
        self.cell.cell_contents = twin
        return twin(*args, **kwargs)


def fast_twin(fn, twin_name: str, guards: dict, kinds: dict, callee,
              gradients: list[str], arrays: int, rename_global, mutated: set):
    """[fast function, `fn` renamed `twin_name`], or None when the fast path is
    unsafe or would not pay.

    `fn` is the finished NaN-safe derivative; the fast function's `try` starts at
    its first statement noted `sweep="backward"`; `guards` maps the guards'
    emitted names to "*" and "/"; `gradients` are the names `has_nan` checks,
    holding `arrays` arrays between them; `rename_global(helper)` names a
    runtime helper in the generated code.
    """
    if mutated:
        return None
    calls_in = [nodes.of_class(s, (gast.Call,)) for s in fn.body]
    calls = [call for found in calls_in for call in found]
    resolved = _by_name(callee)  # (the same few functions are called again and again)
    if not all(_pure_call(call, resolved, kinds) for call in calls):
        return None
    replaced = {id(c): _OPERATORS[guards[c.func.id]] for c in calls
                if _is_guard(c, guards) and _on_arrays(c, kinds, callee)}
    start = next((i for i, s in enumerate(fn.body) if nodes.noted(s, "sweep") == "backward"), None)
    if start is None or not replaced:
        return None
    # Few guards, each run once: check their own results (`nan_free`), not the gradients.
    checked = len(replaced) <= arrays
    if checked and not _once(fn.body, calls_in, replaced, start):
        return None
    nan_free = rename_global("nan_free") if checked else None

    def plain(node):  # clone's replace hook: `a * b` for `masked_product(a, b)`
        if node.__class__ is gast.Call and id(node) in replaced:
            left, right = (nodes.clone(a, plain) for a in node.args)
            product = gast.BinOp(left=left, op=replaced[id(node)](), right=right)
            if checked:
                return gast.Call(func=nodes.name(nan_free), args=[product], keywords=[])
            return product
        return None

    # Statements without a guard are shared by both functions (nothing changes them now).
    fast = nodes.without_body(fn)
    fast.body = [nodes.clone(s, plain) if any(id(c) in replaced for c in found) else s
                 for s, found in zip(fn.body, calls_in)]
    fn.name = twin_name
    twin_call = f"return {twin_name}()"
    handed = nodes.quote_stmt(f"try:\n    with {rename_global('raise_float_errors')}():\n        pass\n"
                              f"except FloatingPointError:\n    {twin_call}")
    handed.body[0].body = fast.body[start:-1]
    met = "0 * inf, x / 0, an overflow or a NaN" if checked else "0 * inf, x / 0 or an overflow"
    handed.handlers[0].body.insert(0, nodes.comment(
        f"{met} on the way: the twin meets it with the caller's settings"))
    handed.handlers[0].body[-1].value.args, handed.handlers[0].body[-1].value.keywords = _forwarded(fn)
    if checked:
        fast.body = fast.body[:start] + [handed, fast.body[-1]]
        return [fast, fn]
    check = nodes.quote_stmt(f"if {rename_global('has_nan')}():\n    {twin_call}")
    check.test.args = [nodes.name(g) for g in gradients]
    check.body.insert(0, nodes.comment("a NaN: 0 * inf or 0 / 0 on the way, which the twin's guards keep 0"))
    check.body[-1].value.args, check.body[-1].value.keywords = _forwarded(fn)
    fast.body = fast.body[:start] + [handed, check, fast.body[-1]]
    return [fast, fn]


def _once(body: list, calls_in: list, replaced: dict, start: int) -> bool:
    """Every replaced guard sits in a plain statement of the backward sweep (in no
    loop or branch): its result's check runs once per call."""
    return all(i >= start and i < len(body) - 1 and isinstance(body[i], (gast.Assign, gast.AugAssign, gast.Expr))
               for i, found in enumerate(calls_in) for c in found if id(c) in replaced)


def _forwarded(fn) -> tuple[list, list]:
    """The fast function's parameters, passed on to the twin as it received them."""
    args = fn.args
    positional = [nodes.name(a.id) for a in list(getattr(args, "posonlyargs", None) or []) + args.args]
    if args.vararg is not None:
        positional.append(gast.Starred(value=nodes.name(args.vararg.id), ctx=gast.Load()))
    keywords = [gast.keyword(arg=a.id, value=nodes.name(a.id)) for a in args.kwonlyargs]
    if args.kwarg is not None:
        keywords.append(gast.keyword(arg=None, value=nodes.name(args.kwarg.id)))
    return positional, keywords


def _is_guard(node, guards: dict) -> bool:
    return node.__class__ is gast.Call and node.func.__class__ is gast.Name \
        and node.func.id in guards and len(node.args) == 2 and not node.keywords


def _on_arrays(call, kinds: dict, callee) -> bool:
    """A guard with an array operand: its plain form has NumPy's semantics (no
    ZeroDivisionError, as `/` on two Python floats would raise)."""
    return any(kind_of(a, kinds, callee) == "np" for a in call.args)


def _by_name(callee):
    """`callee`, its answer kept per dotted name (`np.sin`, `unbroadcast`): a call's
    function is resolved from its dotted name alone (`shapes.resolver`)."""
    found: dict = {}

    def resolved(call):
        key = nodes.dotted(call.func)
        if key is None:
            return callee(call)
        if key not in found:
            found[key] = callee(call)
        return found[key]
    return resolved


def _pure_call(call, callee, kinds: dict) -> bool:
    """The table of facts says the call changes nothing (srcgrad/rules/facts.py)."""
    if any(k.arg == "out" for k in call.keywords):
        return False
    fn = callee(call)
    if fn is None:  # a method of a local value: only NumPy's that change nothing
        func = call.func
        if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)):
            return False
        found = table.method(func.attr)
        if found is not None and found.pure and not found.writes:
            return kinds.get(func.value.id) in NUMERIC
        return func.attr in ("append", "pop") and func.value.id.startswith("_stack")  # the tape
    return table.is_pure(fn)
