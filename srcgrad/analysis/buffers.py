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
from .resolve import statements
from .shapes import assigned_once

# numpy functions whose result is float64 unless a `dtype=` says otherwise
_FLOAT_MAKERS = (numpy.zeros, numpy.ones, numpy.empty)
# ... and those whose result has the dtype of their first argument
_LIKE_MAKERS = (numpy.zeros_like, numpy.ones_like, numpy.empty_like, numpy.copy)
# ... and those whose result holds floats where the items they are given include one
_ARRAY_MAKERS = (numpy.array, numpy.asarray)
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
