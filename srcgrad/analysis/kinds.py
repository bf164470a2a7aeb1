"""Which top-level values of a generated function are numbers, and which NumPy values.

"py" is a Python number (immutable; arithmetic on it cannot change anything
else); "np" is what ufuncs and the functions the table of facts marks `array` return: an
array or a NumPy scalar, whose arithmetic warns instead of raising; "num"
is one of the two (an entry of a record argument); "shape" is an array's
`.shape`. Anything else (a user's object, a list, a value of unknown
origin) has no kind, and the passes that use kinds leave it alone.
"""
from __future__ import annotations

import gast
import numpy

from .. import runtime
from ..rules import facts as table
from ..rules.known import REDUCTIONS
from .carried import RESTORE, carried


def numpy_ufunc(fn) -> bool:
    """A ufunc the table of facts vouches for (NumPy's own, SciPy's): not one made
    by `numpy.frompyfunc`, which runs any Python function (a counter, a random draw)."""
    return isinstance(fn, numpy.ufunc) and table.is_pure(fn)


def value_kinds(body: list, params: dict, scalars: set[str], callee, single: set[str], outline=None) -> dict:
    """{name: kind} for parameters (by argument kind) and names assigned
    once, at the top level of `body` (`outline`: its bindings, `carried.Outline`,
    when they are at hand)."""
    kinds = {p: {"scalar": "py", "array": "np", "record": "record"}[k] for p, k in params.items()
             if k in ("scalar", "array", "record") and p in single}
    for name in scalars:  # Python numbers wherever they are assigned
        kinds[name] = "py"
    for stmt, name in _top_assigns(body, outline):
        if name in single and name not in kinds:
            found = kind_of(stmt.value, kinds, callee)
            if found is not None:
                kinds[name] = found
    return kinds


def _top_assigns(body: list, outline):
    """`(stmt, name)` for the top-level assignments of `body` whose first target is a name."""
    if outline is not None:
        return outline.top
    return ((s, s.targets[0].id) for s in body if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name))


NUMERIC = ("py", "np", "num")
_NUMERIC_SET = frozenset(NUMERIC)
_KINDS = frozenset(NUMERIC + ("shape",))  # what `kind_of` answers besides None
_REDUCTION_NAMES = frozenset(REDUCTIONS)


def kind_of(expr, kinds: dict, callee) -> str | None:
    """The kind of `expr`'s value: one of NUMERIC, "shape", or None."""
    found = _kind_of(expr, kinds, callee)
    return found if found in _KINDS else None


def _kind_of(expr, kinds: dict, callee) -> str | None:
    # (node classes compared by identity: gast's are never subclassed, and this runs
    # for every operand the passes ask about)
    cls = expr.__class__
    if cls is gast.Name:
        return kinds.get(expr.id)
    if cls is gast.Constant:
        value = expr.value
        return "py" if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if cls is gast.BinOp:
        left, right = _kind_of(expr.left, kinds, callee), _kind_of(expr.right, kinds, callee)
        if left not in _NUMERIC_SET or right not in _NUMERIC_SET:
            return None
        if left == "np" or right == "np" or expr.op.__class__ is gast.MatMult:
            return "np"
        return "py" if left == right == "py" else "num"
    if cls is gast.Call:
        func, args = expr.func, expr.args
        if func.__class__ is gast.Attribute and not args and func.attr in _REDUCTION_NAMES \
                and _kind_of(func.value, kinds, callee) == "np":
            return "np"  # `e.sum(axis=1, keepdims=True)` of a NumPy value
        fn = callee(expr)
        facts = table.of(fn)  # (asked once: identity, array and elementwise are its fields)
        if len(args) == 1 and not expr.keywords:
            if facts is not None and facts.identity:  # stop_gradient(x) is x
                return _kind_of(args[0], kinds, callee)
            if fn is len:
                return "py"
        if facts is None or not facts.array:
            return None
        # None and True/False are options (`unreduce(g, a, None, False)`), not operands
        numbers = None  # whether every operand is a Python number (None: no operand)
        for a in args:
            c = a.__class__
            if c is gast.Name:
                found = kinds.get(a.id)
            elif c is gast.Constant and (a.value is None or type(a.value) is bool):
                continue
            else:
                found = _kind_of(a, kinds, callee)
            if found not in _NUMERIC_SET:
                return None
            numbers = found == "py" and numbers is not False
        # srcgrad's elementwise helpers keep Python numbers Python numbers
        return "py" if numbers and facts.elementwise else "np"
    if cls is gast.UnaryOp:
        op = expr.op.__class__
        return kind_of(expr.operand, kinds, callee) if op is gast.USub or op is gast.UAdd else None
    if cls is gast.Attribute:
        return "shape" if expr.attr == "shape" and _kind_of(expr.value, kinds, callee) in ("np", "num") else None
    if cls is gast.Subscript:
        within = _kind_of(expr.value, kinds, callee)
        constant = expr.slice.__class__ is gast.Constant
        return {"np": "np", "record": "num" if constant else None,
                "shape": "py" if constant else None}.get(within)
    return None


def static_scalars(defs: dict, kinds: dict, callee) -> set[str]:
    """Names whose value has shape () by construction."""
    known: dict = {}  # one answer per name, shared by every chain that reaches it
    seen: set = set()  # (shared too: each name in it has its answer in `known` once a chain ends)
    return {n for n in defs if is_static_scalar(n, defs, kinds, callee, seen, known)} | \
        {n for n, k in kinds.items() if k == "py"}


def is_static_scalar(name: str, defs: dict, kinds: dict, callee, seen=None, known=None) -> bool:
    """Whether `name` is a scalar by construction: a Python number, a full
    reduction, an element count, `stop_gradient` of one, or arithmetic of such
    values and numbers. (A statement computing it may still raise: that is
    for the passes that would drop it to check.)"""
    seen = set() if seen is None else seen
    if kinds.get(name) == "py":
        return True
    if known is not None and name in known:
        return known[name]
    if name in seen or name not in defs:
        return False
    seen.add(name)
    found = _static(defs[name], defs, kinds, callee, seen, known)
    if known is not None:
        known[name] = found
    return found


def _static(expr, defs, kinds, callee, seen, known=None) -> bool:
    cls = expr.__class__  # (by identity: gast's node classes are never subclassed)
    if cls is gast.Name:
        return is_static_scalar(expr.id, defs, kinds, callee, seen, known)
    if cls is gast.Constant:
        return kind_of(expr, kinds, callee) == "py"
    if cls is gast.BinOp:
        return expr.op.__class__ is not gast.MatMult and _static(expr.left, defs, kinds, callee, seen, known) \
            and _static(expr.right, defs, kinds, callee, seen, known)
    if cls is gast.UnaryOp:
        op = expr.op.__class__
        return (op is gast.USub or op is gast.UAdd) and _static(expr.operand, defs, kinds, callee, seen, known)
    if cls is gast.Call and not expr.keywords:
        func, args = expr.func, expr.args
        if func.__class__ is gast.Attribute and func.attr in _REDUCTION_NAMES and not args:
            return kind_of(func.value, kinds, callee) == "np"  # `e.sum()` of a NumPy value, whole
        fn = callee(expr)
        if fn is runtime.reduced_size:  # an element count
            return True
        if len(args) != 1:
            return False
        found = table.of(fn)
        if found is None:
            return False
        if found.identity:  # stop_gradient(x) is x
            return _static(args[0], defs, kinds, callee, seen, known)
        # a full reduction (sum, max, ...) returns a scalar, or raises (max of an empty array)
        return found.reduces and kind_of(args[0], kinds, callee) in NUMERIC
    return False


def top_level_defs(body: list, single: set[str], outline=None) -> dict:
    """{name: value} for names assigned once, by a top-level statement (`outline`:
    `body`'s bindings, when they are at hand)."""
    if outline is not None:
        return {name: s.value for s, name in outline.top if name in single}
    return {s.targets[0].id: s.value for s in body
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id in single}


def numpy_names(body: list, kinds: dict, params: dict, callee) -> dict:
    """`kinds` (of names assigned once, at the top level) with "np" for each other
    name (assigned in a loop, a loop's carry `h = np.tanh(W @ h)`, restored by
    `h = _stack.pop()`: `analysis.carried`) whose every value is a NumPy value:
    the greatest set of names such that, if they all hold NumPy values, each of
    their assignments gives one (any first assignment then does, and each later
    one by induction; a restore gives back a value the name held)."""
    return _carried_kinds(carried(body, ()), kinds, params, callee, "np", ("array",))


def carried_scalars(body: list, kinds: dict, params: dict, callee, outline=None) -> set[str]:
    """The names assigned in a loop or more than once (`analysis.carried`) whose every
    value has shape () by construction (`s = 0.0`, then `s = s + np.sum(y * y)` in a
    loop; `_t5 = np.sum(_t4)` in a loop body): the greatest set of names such that,
    if each of them has shape (), each of their assignments gives shape () (a
    restore gives back a value the name held). The operands' kinds: "num" for the
    names whose every value is a number or a NumPy value (as in `numpy_names`).
    `outline`: `body`'s bindings, when they are at hand."""
    stores = carried(body, (), outline)
    extended = _carried_kinds(stores, kinds, params, callee, "num", ("array", "scalar"))
    candidates = {n for n in stores if n not in params}
    while True:
        known = dict.fromkeys(candidates, True)
        dropped = {n for n in candidates for v, _ in stores[n]
                   if v is not RESTORE and not _static(v, {}, extended, callee, set(), known)}
        if not dropped:
            return candidates
        candidates -= dropped


def _carried_kinds(stores: dict, kinds: dict, params: dict, callee, kind: str, param_kinds: tuple) -> dict:
    """`kinds` with `kind` ("np": NumPy values; "num": numbers or NumPy values) for the
    greatest set of names of `stores` (parameters only of `param_kinds`) each of whose
    assignments gives such a value if they all hold one (or allocates an array)."""
    def fits(value, assumed) -> bool:
        found = kind_of(value, assumed, callee)
        return (found == "np" if kind == "np" else found is not None) or _allocation(value, callee)

    candidates = {n for n in stores if n not in kinds and params.get(n, "array") in param_kinds}
    while True:
        assumed = {**kinds, **dict.fromkeys(candidates, kind)}
        dropped = {n for n in candidates for v, _ in stores[n] if v is not RESTORE and not fits(v, assumed)}
        if not dropped:
            return assumed
        candidates -= dropped


_ALLOCATIONS = (numpy.zeros, numpy.ones, numpy.empty, numpy.full)


def _allocation(node, callee) -> bool:
    """`numpy.zeros(n)` and its kin: a new ndarray (not a `like=` array's kind)."""
    if not isinstance(node, gast.Call):
        return False
    fn = callee(node)
    return any(fn is a for a in _ALLOCATIONS) and all(k.arg == "dtype" for k in node.keywords)
