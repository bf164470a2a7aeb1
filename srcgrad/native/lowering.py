"""The generated function rewritten into what numba types and compiles well.

Run by the compiler as the last step of a build for `backend="numba"`
(`Options.backend`); the Python backend's output never goes through it.
Three rewrites, each proved safe on the tree or refused:

- **One stack per taped value.** The tape is one list, `_stack`, holding
  floats, arrays and shapes together: numba types a list by one element
  type. Each push `_stack.append(v)` (or `append(shape_of(v))`) and each
  pop `v = _stack.pop()` (or `_v_shape1 = _stack.pop()`) names the value it
  carries; when every use of the stack is one of those and the pushes and
  pops name the same values as often, the stack is split into one list per
  value, `_stack_v`. A single stack pops each value back in reverse order of
  its pushes, and so does each list of the split: the pairs that named one
  value still meet. Otherwise the stack stays as it is (numba then types it
  or refuses it).
- **A list of floats as an array.** An argument of kind "numbers" is passed
  in as a float64 array (`native.entry` converts it): every use the code
  makes of it must read the same from an array (`x[i]` with an integer
  index, `len(x)`, `for v in x`), else the backend refuses the function at
  that line. The adjoint list `dx = [0.0] * n` becomes `float_zeros(n)`
  under the same condition (indexed, measured, returned).
- **Keyword-only parameters positional** (a tangent function's `x_dot`):
  numba takes none; the entry's caller passes all of them by position
  (and the defaults, which would now fall on the moved ones, go).

A split pair (vjp's, and a called user function's derivative in reverse
mode) goes through the same rewrites read as one function (`pairs.py`).

NumPy calls numba lacks or gets wrong go to helpers of srcgrad/native/helpers:
`a @ b` and `numpy.matmul(a, b)` (what forward mode writes for `a @ b`) to
`matmul` (numba has `@` for one and two axes, neither `numpy.matmul` nor stacks
of matrices), and `numpy.take(a, i, axis)` to `take_axis` (numba's `take` along
an axis reads an index array as 1-D).

It also drops the `del`s of names (`optimize.release` frees NumPy
temporaries early; user code has none, the fence refuses `del`): numba
refuses a `del` of a local, and frees an array after its last use itself.
"""
from __future__ import annotations

import re

import gast

from .. import nodes
from ..errors import Location, SrcGradError
from .checked import check_numerics
from .names import resolved as _resolved
from .reals import real_params
from .tapes import preallocate
from .unbound import typed_stacks, typed_unbound, unchecked_unbound

_SHAPE_POP = re.compile(r"^_(.+)_shape\d+$")


def lower(fn, params_kinds: dict, ctx, differentiated=()) -> tuple:
    """Rewrite the generated def `fn` in place for numba (see the module docstring);
    (the names of the keyword-only parameters it made positional, the differentiated
    parameters the entry passes as floats: `reals.real_params`). `differentiated`: the
    names of the differentiated number parameters (and their tangents)."""
    moved = _positional(fn)
    _drop_dels(fn.body)
    _numpy_calls(fn, ctx)
    _tangent_stacks(fn, ctx)
    for stack in sorted({s.targets[0].id for s in _walk_statements(fn.body) if _is_new_stack(s)}):
        _split_stack(fn, stack, ctx)
    reals = _checks(fn, params_kinds, ctx, differentiated)
    # a single function's tapes (a split pair's cross from one function to the other)
    preallocate(fn, params_kinds, ctx, lambda name: _global(name, fn, ctx))  # native/tapes.py
    return moved, reals


def _positional(fn) -> list:
    """`fn`'s keyword-only parameters made positional (numba takes none): their names."""
    args = fn.args
    moved = [a.id for a in args.kwonlyargs]
    if args.kwonlyargs:
        # the entry's wrapper passes every parameter, defaults filled in; a caller's generated
        # code (of a callee's derivative) may leave a default out, a positional one or a
        # keyword-only one (`def h(v, *, s=0.0)` called as `h(x)`): those stay, and the moved
        # parameters get theirs (None where they had none: every call passes those by name)
        args.args = list(args.args) + list(args.kwonlyargs)
        if args.defaults or any(d is not None for d in args.kw_defaults):
            args.defaults = list(args.defaults) + [d if d is not None else nodes.const(None)
                                                   for d in args.kw_defaults]
        args.kwonlyargs, args.kw_defaults = [], []
    return moved


def _checks(fn, params_kinds: dict, ctx, differentiated=(), adjoints=()) -> list:
    """The refusals and rewrites after the stacks: what numba would run otherwise silently
    differently, lists of floats as arrays, `t = None` typed, Python's numeric errors.
    The differentiated parameters the entry passes as floats (`reals.real_params`)."""
    _refuse_random_draws(fn, ctx)
    _refuse_type_calls(fn, ctx)
    _refuse_truth_arithmetic(fn, ctx)
    _markers_by_name(fn, ctx)
    numbers = [p for p, kind in params_kinds.items() if kind == "numbers"]
    for p in numbers:
        _check_array_uses(fn, p, ctx)
    _float_lists(fn, ctx)
    unchecked_unbound(fn, ctx)  # no UnboundLocalError check: numba's own semantics (native/unbound.py)
    typed_unbound(fn, params_kinds, ctx)  # `t = None` up front, where t is a number (native/unbound.py)
    reals = real_params(fn, params_kinds, differentiated, ctx)  # native/reals.py
    typed_stacks(fn, params_kinds, ctx, reals)  # a tape only a branch on a global pushes to
    # Python's numeric errors (native/checked.py); `adjoints`: a split pair's seed, a float
    check_numerics(fn, params_kinds, ctx, tuple(reals) + tuple(adjoints))
    return reals


def _global(name: str, fn, ctx):
    """The object a global name of the generated code is, None for a local or an unknown."""
    if ctx.is_local(name) or name in {a.id for a in fn.args.args}:
        return None
    if name in ctx.helpers:
        return ctx.helpers[name]
    try:
        return ctx.parsed.namespace.lookup(name)
    except KeyError:
        return None


def _drop_dels(body: list) -> None:
    """Remove every `del name, ...` from `body` and the blocks inside it."""
    body[:] = [s for s in body if not (isinstance(s, gast.Delete)
                                        and all(isinstance(t, gast.Name) for t in s.targets))] or [gast.Pass()]
    for stmt in body:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                _drop_dels(inner)
        for handler in getattr(stmt, "handlers", None) or ():
            _drop_dels(handler.body)


# -- stacks ------------------------------------------------------------------------

def _walk_statements(body):
    for stmt in body:
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _walk_statements(inner)
        for handler in getattr(stmt, "handlers", None) or ():
            yield from _walk_statements(handler.body)


def _is_new_stack(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
        and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id.startswith("_stack") \
        and isinstance(stmt.value, gast.List) and not stmt.value.elts


def _stack_call(node, stack: str, method: str) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == method and isinstance(node.func.value, gast.Name) \
        and node.func.value.id == stack


def _tangent_stacks(fn, ctx) -> None:
    """`_stack_dot = zeros_like(_stack)` -> `_stack_dot = []`: forward mode over a generated
    gradient (hvp, hessian) starts a stack's tangent as the runtime's zero of a list, an
    empty list, which numba's `zeros_like` (of numbers and arrays) does not make."""
    from .. import runtime

    stacks = {s.targets[0].id for s in _walk_statements(fn.body) if _is_new_stack(s)}
    for stmt in _walk_statements(fn.body):
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id.startswith("_stack") and isinstance(value, gast.Call) \
                and isinstance(value.func, gast.Name) and _resolved(value.func, ctx) is runtime.zeros_like \
                and len(value.args) == 1 and isinstance(value.args[0], gast.Name) and value.args[0].id in stacks:
            stmt.value = gast.List(elts=[], ctx=gast.Load())


def _push_key(stmt, stack: str):
    """The value `_stack.append(v)` carries ("v", or "shape:v" for `shape_of(v)`), else None."""
    if not (isinstance(stmt, gast.Expr) and _stack_call(stmt.value, stack, "append")
            and len(stmt.value.args) == 1):
        return None
    value = stmt.value.args[0]
    if isinstance(value, gast.Name):
        return value.id
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id.startswith("shape_of") \
            and len(value.args) == 1 and isinstance(value.args[0], gast.Name):
        return "shape:" + value.args[0].id.lstrip("_")
    return None


def _pop_key(stmt, stack: str):
    """The value `v = _stack.pop()` restores ("v", or "shape:v" for `_v_shape1`), else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and _stack_call(stmt.value, stack, "pop") and not stmt.value.args):
        return None
    target = stmt.targets[0].id
    shape = _SHAPE_POP.match(target)
    return "shape:" + shape.group(1) if shape else target


def _split_stack(fn, stack: str, ctx):
    """Split the stack `stack` into one list per value it carries (see the module
    docstring): {the value a list carries ("v", or "shape:v"): the list's name}, or None
    where the stack stays whole."""
    pushes, pops, others = [], [], 0
    for stmt in _walk_statements(fn.body):
        if _is_new_stack(stmt) and stmt.targets[0].id == stack:
            continue
        key = _push_key(stmt, stack)
        if key is not None:
            pushes.append((stmt, key))
            continue
        key = _pop_key(stmt, stack)
        if key is not None:
            pops.append((stmt, key))
            continue
        others += sum(1 for n in gast.walk(stmt) if isinstance(n, gast.Name) and n.id == stack
                      and not isinstance(stmt, (gast.For, gast.While, gast.If)))
    if others or sorted(k for _, k in pushes) != sorted(k for _, k in pops):
        return None
    names: dict[str, str] = {}
    for key in dict.fromkeys(k for _, k in pushes):
        names[key] = ctx.names.claim(f"{stack}_{re.sub(r'[^0-9A-Za-z_]', '_', key.replace('shape:', '')).strip('_')}"
                                     + ("_shape" if key.startswith("shape:") else ""))
    for stmt, key in pushes + pops:
        stmt.value.func.value = nodes.name(names[key])
    _replace_new_stack(fn.body, stack, list(names.values()))
    return names


def _replace_new_stack(body: list, stack: str, names: list) -> None:
    for i, stmt in enumerate(body):
        if _is_new_stack(stmt) and stmt.targets[0].id == stack:
            body[i:i + 1] = [_located(nodes.assign(n, gast.List(elts=[], ctx=gast.Load())), stmt) for n in names]
            return
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _replace_new_stack(inner, stack, names)


def _located(new, old):
    if hasattr(old, "lineno"):
        new.lineno = old.lineno
    return new


# -- NumPy calls numba lacks ------------------------------------------------------------

def _numpy_calls(fn, ctx) -> None:
    """`a @ b`, `numpy.matmul(a, b)` -> `matmul(a, b)` and `numpy.take(a, i, axis)` ->
    `take_axis(a, i, axis)`, in place (see the module docstring)."""
    import numpy

    parents = _parents(fn)
    for node in list(gast.walk(fn)):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.MatMult):
            _replace(parents, node, _helper_call(ctx, "matmul", [node.left, node.right]))
        if not isinstance(node, gast.Call):
            continue
        target = _resolved(node.func, ctx) if isinstance(node.func, (gast.Attribute, gast.Name)) else None
        if target is numpy.matmul and len(node.args) == 2 and not node.keywords:
            _replace(parents, node, _helper_call(ctx, "matmul", node.args))
        elif target is numpy.take:
            axis = _take_axis(node)
            if axis is not None:
                _replace(parents, node, _helper_call(ctx, "take_axis", node.args[:2] + [axis]))


def _take_axis(node):
    """The `axis` expression of a `numpy.take(a, indices, axis)` call that passes nothing
    else (not `mode`, not `out`), unless it is None; else None."""
    args, keywords = node.args, {k.arg: k.value for k in node.keywords}
    if len(args) == 3 and not keywords:
        axis = args[2]
    elif len(args) == 2 and set(keywords) == {"axis"}:
        axis = keywords["axis"]
    else:
        return None
    if isinstance(axis, gast.Constant) and axis.value is None:
        return None
    return axis


def _helper_call(ctx, name: str, args: list):
    """A call of srcgrad/native/helpers' `name` on `args`."""
    from . import helpers

    return gast.Call(func=nodes.name(ctx.helper(getattr(helpers, name), name)), args=list(args), keywords=[])


def _replace(parents: dict, old, new) -> None:
    """Put `new` where `old` is in its parent node."""
    parent = parents[id(old)]
    for field, value in gast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return


# -- srcgrad's markers ---------------------------------------------------------------------

def _markers_by_name(fn, ctx) -> None:
    """`srcgrad.stop_gradient(v)` / `srcgrad.detach(v)` (an attribute of srcgrad, which numba
    cannot read) called by a name bound to the function itself, which the module copies."""
    from .. import runtime
    from ..markers import stop_gradient

    for node in gast.walk(fn):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            found = _resolved(node.func, ctx)
            if found is stop_gradient:
                node.func = nodes.name(ctx.helper(stop_gradient, "stop_gradient"))
            elif found is not None and runtime.is_helper(found):  # `runtime.masked_product` (a tangent rule's)
                node.func = nodes.name(ctx.helper(found, found.__name__))



# -- random draws ---------------------------------------------------------------------

def _refuse_random_draws(fn, ctx) -> None:
    """numba draws from generators of its own, which `numpy.random.seed` and `random.seed`
    do not reach: a function that draws would give other numbers than it does in Python."""
    import random

    import numpy

    for node in gast.walk(fn):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)):
            continue
        owner = _resolved(node.func.value, ctx)
        if owner is numpy.random or owner is random:
            location = _location_of(_statement_of(node, _parents(fn)), fn, ctx)
            raise SrcGradError("numba draws random numbers from generators of its own, which "
                               f"{owner.__name__}.seed does not reach: the numba backend does not compile "
                               "a function that draws them", location,
                               hint="draw the numbers outside and pass them in as an argument; "
                                    "backend='auto' runs this function in Python")


def _refuse_type_calls(fn, ctx) -> None:
    """numba's `type(x)` is its own type object, not Python's: `type(x) is float` is False
    for a float there, silently. A function that calls `type` is not compiled."""
    for node in gast.walk(fn):
        if isinstance(node, gast.Call) and len(node.args) == 1 and _resolved(node.func, ctx) is type:
            location = _location_of(_statement_of(node, _parents(fn)), fn, ctx)
            raise SrcGradError("numba's type() gives numba's types, not Python's (`type(x) is float` is "
                               "False there): the numba backend does not compile a function that calls it",
                               location, hint="test the kind with isinstance(x, float); backend='auto' "
                                              "runs this function in Python")


_TRUTHS = frozenset({"all", "any", "isnan", "isinf", "isfinite", "signbit", "logical_and", "logical_or",
                     "logical_not", "logical_xor", "isclose", "array_equal"})
_ARITHMETIC = (gast.Add, gast.Sub)  # on two booleans: NumPy's or and error, numba's + and - of ints


def _refuse_truth_arithmetic(fn, ctx) -> None:
    """NumPy's booleans add as booleans (`np.True_ + np.True_` is True), numba's as ints
    (2), like Python's: a sum or difference of two comparisons' or truth tests' results
    could give another number. A function that has one is not compiled (a product, as
    `x * (x > 0)`, is the same number in both)."""
    truths = set()
    for stmt in _walk_statements(fn.body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and _is_truth(stmt.value):
            truths.add(stmt.targets[0].id)
    for node in gast.walk(fn):
        if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC) and all(
                _is_truth(side) or isinstance(side, gast.Name) and side.id in truths
                for side in (node.left, node.right)):
            location = _location_of(_statement_of(node, _parents(fn)), fn, ctx)
            raise SrcGradError("a sum or difference of two comparisons or truth tests: NumPy adds its "
                               "booleans as booleans (True + True is True), numba as ints (2); the numba "
                               "backend does not compile it", location,
                               hint="convert first, e.g. float(a > b), or use numpy.logical_or; "
                                    "backend='auto' runs this function in Python")


def _is_truth(value) -> bool:
    if isinstance(value, gast.Compare):
        return True
    if isinstance(value, gast.Call):
        func = value.func
        name = func.attr if isinstance(func, gast.Attribute) else func.id if isinstance(func, gast.Name) else ""
        return name in _TRUTHS
    return False


# -- lists of floats -----------------------------------------------------------------

def _parents(fn) -> dict:
    out = {}
    for node in gast.walk(fn):
        for child in gast.iter_child_nodes(node):
            out[id(child)] = node
    return out


def _array_like_use(node, parents: dict, returns_ok: bool) -> bool:
    """Whether this occurrence of a list's name reads the same from a float array."""
    parent = parents.get(id(node))
    if isinstance(parent, gast.Subscript) and parent.value is node:
        return not isinstance(parent.slice, (gast.Slice, gast.Tuple))
    if isinstance(parent, gast.Call) and isinstance(parent.func, gast.Name) and parent.func.id == "len" \
            and parent.args == [node]:
        return True
    if isinstance(parent, gast.For) and parent.iter is node:
        return True
    if returns_ok:  # returned, alone or in tuples: ((value, dx), aux) with has_aux
        while isinstance(parent, gast.Tuple):
            parent = parents.get(id(parent))
        return isinstance(parent, gast.Return)
    return False


_LINE_NOTE = re.compile(r"^(?:backward of |recompute )?line (\d+): ")


def _location_of(stmt, fn, ctx):
    """The user's line a generated statement comes from (its own, else its `# line N:`
    note), as a Location; None where there is neither."""
    line = getattr(stmt, "lineno", None) or (_noted_line(fn, stmt) if fn is not None else None)
    if not line:
        return None
    code = ctx.line(line)
    return Location(ctx.parsed.source.filename, line, len(code) - len(code.lstrip()), code)


def _refuse(ctx, node, what: str, fn=None) -> None:
    from ..codegen import statement_text

    location = _location_of(node, fn, ctx)
    generated = statement_text(node) if node is not None else ""
    raise SrcGradError(f"the numba backend takes the list of floats {what} as a float array, and the "
                       f"derivative uses it as a list (generated line: {generated})", location,
                       hint="pass a NumPy array (a list of floats crosses as an array only where the "
                            "derivative reads it as one); backend='auto' runs such a call in Python")


def _check_array_uses(fn, param: str, ctx) -> None:
    parents = _parents(fn)
    for node in gast.walk(fn):
        if isinstance(node, gast.Name) and node.id == param and isinstance(node.ctx, gast.Load) \
                and not _array_like_use(node, parents, returns_ok=False):
            _refuse(ctx, _statement_of(node, parents), param, fn)
        if isinstance(node, gast.Name) and node.id == param and isinstance(node.ctx, gast.Store):
            _refuse(ctx, _statement_of(node, parents), param, fn)


def _noted_line(fn, stmt):
    """The user's line the last `# line N:` note before `stmt` names (a generated
    statement has no line of its own)."""
    line = None
    for each in _walk_statements(fn.body):
        if each is stmt:
            return line
        if nodes.is_comment(each) and _LINE_NOTE.match(each.text):
            line = int(_LINE_NOTE.match(each.text).group(1))
    return None


def _statement_of(node, parents: dict):
    while node is not None and not isinstance(node, gast.stmt):
        node = parents.get(id(node))
    return node


def _zeros_list(value):
    """E of `[0.0] * E`, else None."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) and isinstance(value.left, gast.List) \
            and len(value.left.elts) == 1 and isinstance(value.left.elts[0], gast.Constant) \
            and type(value.left.elts[0].value) is float and value.left.elts[0].value == 0.0:
        return value.right
    return None


def _float_lists(fn, ctx) -> None:
    """`d = [0.0] * n` -> `d = float_zeros(n)` where every use of d reads the same from an array."""
    parents = _parents(fn)
    made = [s for s in _walk_statements(fn.body) if isinstance(s, gast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name) and _zeros_list(s.value) is not None]
    for stmt in made:
        name = stmt.targets[0].id
        if sum(1 for s in made if s.targets[0].id == name) != 1:
            continue
        uses = [n for n in gast.walk(fn) if isinstance(n, gast.Name) and n.id == name and n is not stmt.targets[0]]
        if all(isinstance(n.ctx, gast.Load) and _array_like_use(n, parents, returns_ok=True) for n in uses):
            helper = ctx.helper(_float_zeros(), "float_zeros")
            stmt.value = gast.Call(func=nodes.name(helper), args=[_zeros_list(stmt.value)], keywords=[])


def _float_zeros():
    from .helpers import float_zeros

    return float_zeros
