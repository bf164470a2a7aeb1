"""Build-time checks that a derivative stays inside the SPEC, or says where it leaves it.

Two ways a gradient could silently come out wrong although every rule is
right: a value computed from a `wrt` input reaching a rule parameter that has
no derivative (`constant_only` in the registry: einsum's subscripts in the
sublist form, var's ddof), and complex numbers, which no rule covers (SPEC:
real numbers only). Both are located errors, found once, when the derivative
is built; the generated code pays nothing. A complex value that can only
arise at run time (a negative Python float to a fractional power) is caught
where the gradient is handed back (`boundary.as_gradient`).
"""
from __future__ import annotations

import gast
import numpy

from . import nodes
from .analysis.activity import Activity
from .errors import located
from .analysis.resolve import statements
from .rules import registry

_COMPLEX_NAMES = {"complex", "complex64", "complex128", "complex256", "clongdouble", "cdouble",
                  "csingle", "complex_", "complexfloating", "clongfloat", "cfloat"}


def check_constant_positions(fn, ops: dict, act: Activity, source) -> None:
    """Raise where a value that depends on a `wrt` input reaches a parameter a
    rule declares `constant_only` (its derivative would silently be zero),
    and the result is needed."""
    generated = source.filename.startswith("<srcgrad")  # its keys were checked in the user's code
    for stmt in statements(fn.body):
        if not generated:
            _check_stored_key(stmt, act, source)
        op = ops.get(id(stmt)) if isinstance(stmt, gast.Assign) else None
        if op is None or op.kind != "rule" or stmt.targets[0].id not in act.useful:
            continue
        for param, hint in registry.constant_params(op.rule.primitive).items():
            node = op.bindings.get(param)
            varied = sorted(n for n in nodes.loaded_names(node) if n in act.varied) if node is not None else []
            if varied:
                what = f"{varied[0]!r}" if not varied[0].startswith("_") else "a value"
                raise located(source, stmt, f"{what} computed from a differentiated input is passed as "
                              f"{op.rule.name}'s {param!r}, which has no derivative rule", hint)


def _check_stored_key(stmt, act: Activity, source) -> None:
    """`d[k] = v` with a key computed from a differentiated input: a key carries no
    derivative (a loop over a dict's keys would read it as a constant). A key read
    from a loop over a collection (a dict's keys, a list's items) is not counted:
    for a dict it is a key already, a list's items are seen where they were made."""
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else None
    if not isinstance(target, gast.Subscript) or not isinstance(target.value, gast.Name) \
            or target.value.id not in act.useful:
        return
    varied = sorted(n for n in nodes.loaded_names(target.slice) if n in act.varied_keys)
    if varied:
        what = f"{varied[0]!r}" if not varied[0].startswith("_") else "a value"
        raise located(source, stmt, f"{what} computed from a differentiated input is used as the key "
                      "or index of an assignment, which carries no derivative",
                      "key a dict by constants (strings, ints) and index an array by integers")


def check_real(fn, act: Activity, source) -> None:
    """Raise where a complex literal or a complex dtype enters a value being
    differentiated (directly, or through the names it was assigned to)."""
    assigns = [s for s in statements(fn.body) if isinstance(s, gast.Assign)]
    # a parameter or local named `complex` is the function's own value, not the type
    own = _OwnNames(fn)
    tainted: set[str] = set()
    if not _complex_in([s.value for s in assigns], tainted, own):
        return  # no value is complex (one walk over them all: the first round below, at once)
    changed = True
    while changed:
        changed = False
        for stmt in assigns:
            if _complex_in(stmt.value, tainted, own):
                for target in stmt.targets:
                    new = {n.id for n in nodes.name_nodes(target)} - tainted
                    changed |= bool(new)
                    tainted |= new
    if not tainted:
        return  # (no assignment's value is complex: the round above asked each one)
    for stmt in assigns:
        target = stmt.targets[0]
        name = target.id if isinstance(target, gast.Name) else nodes.dotted(getattr(target, "value", None))
        if name is not None and act.is_active(name) and _complex_in(stmt.value, tainted, own):
            raise located(source, stmt, "a complex value enters the computation being differentiated; "
                          "srcgrad differentiates real numbers only",
                          "keep it real: np.cos(x) and np.sin(x) for the parts of np.exp(1j * x), "
                          "np.hypot(a, b) for the modulus of a + 1j * b")


_COMPLEX_SIGNS = (gast.Constant, gast.Name, gast.Attribute, gast.Call)  # the nodes `_complex_in` asks about


class _OwnNames:
    """The names `fn` binds (parameters, locals), found at the first question: only a
    name such as `complex` is asked about, which most functions never read."""

    def __init__(self, fn):
        self.fn = fn
        self.names = None

    def __contains__(self, name: str) -> bool:
        if self.names is None:
            self.names = {n.id for n in nodes.name_nodes(self.fn) if not isinstance(n.ctx, gast.Load)}
        return name in self.names


def _complex_in(expr, tainted: set[str], own) -> bool:
    """Whether the expression `expr` (or a list of them) may be complex: a complex literal
    or dtype, a complex type not `own`, or a name in `tainted`."""
    Name, Constant, Attribute = gast.Name, gast.Constant, gast.Attribute
    for node in nodes.of_class(expr, _COMPLEX_SIGNS):  # (each of exactly one of these classes)
        cls = node.__class__
        if cls is Name:
            if node.id in tainted or node.id in _COMPLEX_NAMES and node.id not in own:
                return True
        elif cls is Constant:
            if isinstance(node.value, complex):
                return True
        elif cls is Attribute:
            if node.attr in _COMPLEX_NAMES:
                return True
        elif any(_complex_dtype(d) for d in _dtype_arguments(node)):  # a call
            return True
    return False


def _dtype_arguments(call) -> list:
    """The arguments of a call that name a dtype: `dtype=`, and `.astype(t)`'s `t`."""
    found = [k.value for k in call.keywords if k.arg == "dtype"]
    if isinstance(call.func, gast.Attribute) and call.func.attr == "astype" and call.args:
        found.append(call.args[0])
    return found


def _complex_dtype(node) -> bool:
    """Whether a dtype argument is a string naming a complex dtype ("complex", "c16")."""
    if not (isinstance(node, gast.Constant) and isinstance(node.value, str)):
        return False
    try:
        return numpy.dtype(node.value).kind == "c"
    except (TypeError, ValueError):
        return False
