"""Arrays a differentiated value is written into must hold real numbers.

    a = np.array([0, 0, 0])          an int64 array (the user meant 0.0)
    for i in range(3):
        a[i] = x[i] * 2.5            NumPy rounds the value to an int here

A write into an integer or boolean array rounds what it stores: a step
function, whose derivative is 0, where the derivative of `a[i] = v` passes
v's adjoint on whole. Whether `a` holds integers is known when the function
runs; so after each binding of a name that is written in place and carries a
gradient, unless the binding surely makes floats (`np.zeros(n)`, `x * 1.0`),
the compiler puts a check that raises a located SrcGradError for an array of
integers or booleans (`runtime.real_buffer`). A parameter so written is
checked on entry, unless it is a wrt argument (those run as float64).
"""
from __future__ import annotations

import gast
import numpy

from .. import nodes
from ..nodes import walk_statements as statements  # resolve.statements (resolve imports desugar, which imports this)
from .shapes import assigned_once

# numpy functions whose result is float64 unless a `dtype=` says otherwise
_FLOAT_MAKERS = (numpy.zeros, numpy.ones, numpy.empty)
# ... and those whose result has the dtype of their first argument
_LIKE_MAKERS = (numpy.zeros_like, numpy.ones_like, numpy.empty_like, numpy.copy)
# ... and those whose result holds floats where the items they are given include one
_ARRAY_MAKERS = (numpy.array, numpy.asarray)
# ... and those float64 unless a `dtype=` (or, for `full`, an int fill value) says otherwise
_DEFAULT_FLOAT_MAKERS = (numpy.full, numpy.eye, numpy.identity, numpy.linspace)
_REAL_DTYPES = (float, numpy.float64, numpy.float32, numpy.float16, numpy.longdouble)
_DISPLAYS = (gast.List, gast.Tuple, gast.Dict, gast.ListComp, gast.DictComp)


def unsure_buffers(fn, ops: dict, active, written: frozenset, params: list, real_params: frozenset,
                   lookup, unchecked: frozenset = frozenset()) -> list[tuple[object, str]]:
    """[(statement, name)]: each binding after which `name` is checked (`statement` None:
    on entry, a parameter). `written` are the names written in place, `active(name)`
    whether a name carries a gradient, `real_params` the parameters that surely hold
    floats, `unchecked` the parameters not checked on entry (those, and containers),
    `lookup(name)` a global's value (KeyError when there is none)."""
    names = {n for n in written if active(n)}
    if names:
        names -= _written_as_numpy_checks(fn.body, ops)
    if not names:
        return []
    out: list = [(None, p) for p in params if p in names and p not in real_params | unchecked]
    single = assigned_once(fn.body, params)
    # names bound once, to a value surely of floats (a source a copy of it is sure of)
    real = {p for p in real_params if p in single}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign):
            bound = {n.id for t in stmt.targets for n in nodes.name_nodes(t) if isinstance(n.ctx, gast.Store)}
            surely = len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and _floats(stmt.value, ops.get(id(stmt)), real, lookup)
            if surely:
                real |= bound & single
            elif not isinstance(stmt.value, _DISPLAYS):  # (a list, tuple or dict rounds nothing)
                out += [(stmt, name) for name in sorted(bound & names)]
        elif isinstance(stmt, gast.For):
            out += [(stmt, name) for name in sorted({n.id for n in nodes.name_nodes(stmt.target)} & names)]
    return out


def _written_as_numpy_checks(body, ops: dict) -> set:
    """The names whose every in-place write is a write `out=` or `np.copyto` makes, its
    value checked as NumPy checks it (`o[...] = in_place_result(v, o, kind)`): a float
    into an int or bool array raises NumPy's casting error there, before anything is
    rounded, so no `real_buffer` check is needed (it would raise another error first).
    A name a call is given (`np.add.at(a, i, v)`, `a.sort()`) is not among them."""
    from .. import runtime

    checked: dict = {}  # name -> every write of it checked
    given: set = set()  # names a discarded call reads: it may write them
    made = set()  # names bound by in_place_result
    for stmt in statements(body):
        if stmt.__class__ is gast.Assign:
            target = stmt.targets[0]
            op = ops.get(id(stmt))
            if target.__class__ is gast.Name and op is not None and op.rule is not None \
                    and op.rule.primitive is runtime.in_place_result:
                made.add(target.id)
            elif target.__class__ is gast.Subscript and target.value.__class__ is gast.Name:
                name = target.value.id
                checked[name] = checked.get(name, True) and stmt.value.__class__ is gast.Name \
                    and stmt.value.id in made
        elif stmt.__class__ is gast.Expr:
            given |= nodes.names_in(stmt.value)
    return {n for n, ok in checked.items() if ok} - given


def _floats(value, op, real: set, lookup) -> bool:
    """`value` is surely an array (or number) of floats: made by `np.zeros(n)` and the
    like without an integer `dtype=`, a copy of such a value, or arithmetic with a float."""
    if isinstance(value, gast.BinOp):  # floats with anything numeric are floats
        return any(isinstance(s, gast.Constant) and type(s.value) is float
                   or isinstance(s, gast.Name) and s.id in real for s in (value.left, value.right))
    if not isinstance(value, gast.Call):
        return False
    primitive = None if op is None else op.callee if op.callee is not None else getattr(op.rule, "primitive", None)
    dtype = next((k.value for k in value.keywords if k.arg == "dtype"), None)
    if dtype is not None:
        return _real_dtype(dtype, lookup)
    if any(primitive is f for f in _FLOAT_MAKERS):
        return True
    if any(primitive is f for f in _ARRAY_MAKERS) and len(value.args) == 1:  # np.array([0.0, 0.0])
        return isinstance(value.args[0], (gast.List, gast.Tuple)) and any(
            isinstance(e, gast.Constant) and type(e.value) is float for e in value.args[0].elts)
    if any(primitive is f for f in _LIKE_MAKERS) or (
            isinstance(value.func, gast.Attribute) and value.func.attr == "copy" and not value.args):
        source = value.args[0] if value.args and primitive is not None else getattr(value.func, "value", None)
        return isinstance(source, gast.Name) and source.id in real
    return False


def float_names(stmts: list, params, resolve) -> set:
    """The names that hold an array (or number) of floats wherever `stmts` (every statement
    of a function, nested ones included) bind them: never a parameter nor a loop's
    target, each assignment a float maker (`makes_floats`) or arithmetic with a float
    literal or such a name (`h = h + W @ x` keeps h's floats, `x * 1.0` makes them).
    Their augmented assignments, `out=` and `np.copyto` writes keep their dtype (NumPy
    writes them in place, or raises). The largest such set: each binding makes floats
    where the names it reads (those in the set that are bound yet) hold floats."""
    binds: dict = {}
    for stmt in stmts:
        for name in bound_names(stmt):
            binds.setdefault(name, []).append(stmt)
    found = {n for n, made in binds.items() if n not in params and all(
        isinstance(b, (gast.Assign, gast.AnnAssign)) and b.value is not None
        and (isinstance(b, gast.AnnAssign) or len(b.targets) == 1)
        and isinstance(b.targets[0] if isinstance(b, gast.Assign) else b.target, gast.Name) for b in made)}
    changed = True
    while changed:
        changed = False
        for name in list(found):
            if not all(_float_valued(b.value, found, resolve) for b in binds[name]):
                found.discard(name)
                changed = True
    return found


_FLOAT_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.FloorDiv, gast.Mod, gast.Pow, gast.MatMult)


def _float_valued(expr, floats: set, resolve) -> bool:
    """`expr` makes floats where the names `floats` hold floats (see `float_names`)."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) is float
    if isinstance(expr, gast.Name):
        return expr.id in floats
    if isinstance(expr, gast.UnaryOp):
        return isinstance(expr.op, (gast.USub, gast.UAdd)) and _float_valued(expr.operand, floats, resolve)
    if isinstance(expr, gast.BinOp):  # with a float operand any real result is float (`/` of ints too)
        return isinstance(expr.op, _FLOAT_OPS) and (isinstance(expr.op, gast.Div) or any(
            _float_valued(side, floats, resolve) for side in (expr.left, expr.right)))
    return makes_floats(expr, resolve)


def bound_names(stmt) -> set:
    """The names `stmt` binds (an augmented assignment's target aside)."""
    if isinstance(stmt, gast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (gast.AnnAssign, gast.For)):
        targets = [stmt.target]
    elif isinstance(stmt, gast.With):
        targets = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    else:
        return set()
    return {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def makes_floats(value, resolve) -> bool:
    """`value` surely makes floats, read from its text before names are bound (desugaring,
    the rewrite of `out=`): `np.zeros(n)`, `np.ones`, `np.empty`, `np.eye`, `np.linspace`
    or `np.full(n, 0.5)`, `np.array([0.0, ...])`, or one of these with a float `dtype=`.
    `resolve(node)`: the object a dotted name (`np.zeros`, `np.float32`) stands for, or None."""
    if not isinstance(value, gast.Call) or any(isinstance(a, gast.Starred) for a in value.args):
        return False
    fn = resolve(value.func)
    if not any(fn is f for f in _FLOAT_MAKERS + _LIKE_MAKERS + _ARRAY_MAKERS + _DEFAULT_FLOAT_MAKERS):
        return False
    dtype = next((k.value for k in value.keywords if k.arg == "dtype"), None)
    if dtype is not None:
        if isinstance(dtype, gast.Constant) and isinstance(dtype.value, str):
            return _real_dtype(dtype, None)
        return any(resolve(dtype) is t for t in _REAL_DTYPES)
    if value.keywords:
        return False
    if any(fn is f for f in _FLOAT_MAKERS + _DEFAULT_FLOAT_MAKERS):  # (a later positional is the dtype)
        if fn is numpy.full:
            return len(value.args) == 2 and isinstance(value.args[1], gast.Constant) \
                and type(value.args[1].value) is float
        return len(value.args) <= (3 if fn is numpy.eye or fn is numpy.linspace else 1)
    if any(fn is f for f in _ARRAY_MAKERS) and len(value.args) == 1:
        return isinstance(value.args[0], (gast.List, gast.Tuple)) and any(
            isinstance(e, gast.Constant) and type(e.value) is float for e in value.args[0].elts)
    return False


def _real_dtype(node, lookup) -> bool:
    """`node` (a `dtype=` value) names a float type: `float`, `np.float64`, `"float32"`."""
    if isinstance(node, gast.Constant) and isinstance(node.value, str):
        try:
            return numpy.dtype(node.value).kind == "f"
        except TypeError:
            return False
    path = nodes.dotted(node)
    if path is None:
        return False
    head, *attrs = path.split(".")
    try:
        obj = lookup(head)
    except KeyError:
        return False
    for attr in attrs:
        obj = getattr(obj, attr, None)
    return any(obj is t for t in _REAL_DTYPES)
