"""What a name or dotted path means when the compiler runs: the objects a body calls.

`np.tanh`, `self.forward`, `self.lin`, `model.energy`, `fs[1]` are read here,
once, for the resolution of calls (`resolve.py`), their effects (`effects.py`)
and the kinds a called function is specialised on (`callees.py`). Modules,
classes and ufuncs are walked with `getattr`; any other object only
statically (`inspect.getattr_static`): its instance attributes and its class's
plain functions, so that no user property or `__getattr__` runs at compile
time. A method comes back bound to its object (`types.MethodType`), which
`forms.function_of` turns into a function of the remaining parameters.
"""
from __future__ import annotations

import inspect
import types

import gast
import numpy

from .. import nodes
from ..boundary import static_value
from ..rules import registry

MISSING = object()


def lookup(namespace, path: str):
    """The object the dotted `path` names in `namespace`, or None when it cannot be
    known without running user code."""
    head, *rest = path.split(".")
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return None
    for i, attr in enumerate(rest):
        last = i == len(rest) - 1
        if inspect.ismodule(obj) or inspect.isclass(obj) or isinstance(obj, numpy.ufunc):
            obj = getattr(obj, attr, None)
        elif last:
            return ruled_method(obj, attr) or attribute(obj, attr, methods=True)
        else:
            obj = attribute(obj, attr, methods=False)
        if obj is None:
            return None
    return obj


def attribute(obj, attr: str, methods: bool):
    """`obj.attr` read statically: an instance attribute's value, a class attribute's
    value, or (with `methods`) a method of the class bound to `obj`; None for what a
    descriptor would compute (a property, a slot, a classmethod)."""
    try:
        raw = inspect.getattr_static(obj, attr)
    except AttributeError:
        return None
    own = getattr(obj, "__dict__", None)
    if isinstance(own, dict) and own.get(attr, MISSING) is raw:
        return raw  # an instance attribute: the value itself (`self.act = np.tanh`)
    if inspect.isfunction(raw):
        return types.MethodType(raw, obj) if methods else None
    if isinstance(raw, staticmethod):
        return raw.__func__
    if hasattr(type(raw), "__get__"):
        return None
    return raw


def ruled_method(receiver, attr: str):
    """`receiver.attr`, a method of a global object, as the bound method when a rule
    (registered or a user's) is keyed by it: `scipy.stats.norm.logpdf`. Bound methods
    compare and hash by (object, function), so a fresh one finds the rule. Read
    statically (no property runs); None for anything else."""
    func = inspect.getattr_static(type(receiver), attr, None)
    if not inspect.isfunction(func) or inspect.getattr_static(receiver, attr, None) is not func:
        return None  # not a plain method, or an instance attribute shadows it
    method = types.MethodType(func, receiver)
    if registry.lookup(method) or registry.lookup(method, "forward") or registry.is_nondifferentiable(method) \
            or registry.unsupported_hint(method) is not None \
            or registry.user_vjp(method) is not None or registry.user_jvp(method) is not None:
        return method
    return None


def value_of(node, namespace, is_local):
    """The object an argument expression stands for when the compiler can know it (a
    global or closure name, a dotted path, a constant index into a global tuple or list:
    `fs[1]`), else MISSING."""
    if isinstance(node, gast.Subscript):
        index = node.slice
        if not (isinstance(index, gast.Constant) and type(index.value) is int):
            return MISSING
        within = value_of(node.value, namespace, is_local)
        if not isinstance(within, (tuple, list)) or not -len(within) <= index.value < len(within):
            return MISSING
        return within[index.value]
    path = nodes.dotted(node)
    if path is None or is_local(path.split(".")[0]):
        return MISSING
    if "." not in path:
        try:
            return namespace.lookup(path)
        except KeyError:
            return MISSING
    found = lookup(namespace, path)
    return MISSING if found is None else found


def function_of(node, namespace, is_local):
    """The function an argument expression passes (`np.tanh`, the user's `relu`, a
    callable object), when the compiler can know it; else MISSING."""
    value = value_of(node, namespace, is_local)
    return value if value is not MISSING and static_value(value) else MISSING


def text(node) -> str:
    """`fs[1]`, `self.layers[0]`: a callee expression as the user wrote it (for messages)."""
    if isinstance(node, gast.Subscript):
        return f"{text(node.value)}[{node.slice.value!r}]" if isinstance(node.slice, gast.Constant) \
            else f"{text(node.value)}[...]"
    return nodes.dotted(node) or "this expression"
