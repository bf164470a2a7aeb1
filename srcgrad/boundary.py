"""Argument kinds, and gradients converted at the boundary.

What the public transforms do with the caller's values before and after the
generated code runs: resolve `wrt` to parameter names, find each argument's
*kind* (the one property a derivative is specialised on: a Python number, an
array, a list of numbers, ...), check that a wrt value can be differentiated,
and give each gradient (or tangent) the structure of its argument (a Python
float for a number, a float array of the argument's shape for an array, a
dict/list/tuple of them for a pytree), no two of them sharing memory.
"""
from __future__ import annotations

import numbers

import numpy

from . import frontend
from .errors import SrcGradError
from .runtime import entry_adjoints
from .runtime.core import sequence_like

# Every argument kind `kind_of` finds, with what a derivative built for it assumes.
KINDS = {
    "array": "a NumPy array",
    "scalar": "a Python float or int",
    "numbers": "a list or tuple of Python floats",
    "record": "a dict, list or tuple of arrays and Python floats",
    "container": "any other dict, list or tuple",
    "dask": "a Dask array: the derivative is built lazily and computed once per call (dask_support)",
    "other": "anything else: None, a string, an object",
}
# A function (`act=np.tanh`) is a kind of its own, by identity: `Static` below.


class Static:
    """The kind of a function-valued argument (`act=np.tanh`, a user's `relu`, a callable
    object): the function itself, by identity. A derivative is specialised on it, as on a
    global it calls: `act(h)` in the body is differentiated as a call of that function."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return type(other) is Static and other.value is self.value

    def __hash__(self) -> int:
        return hash(id(self.value))

    def __repr__(self) -> str:
        name = getattr(self.value, "__qualname__", None) or type(self.value).__name__
        module = getattr(self.value, "__module__", None)
        return f"function {module}.{name}" if module else f"function {name}"

    __str__ = __repr__


def static_value(value) -> bool:
    """Whether an argument value is a function a derivative is specialised on: callable,
    and neither a class (a dtype such as `float`) nor an array."""
    return callable(value) and not isinstance(value, (type, numpy.ndarray))


def parameters(fn) -> list[str]:
    sig = frontend.signature(fn)
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def resolve_wrt(fn, wrt) -> tuple[tuple[str, ...], bool]:
    """wrt as parameter names, and whether the caller asked for a tuple."""
    params = parameters(fn)
    many = isinstance(wrt, (tuple, list))
    items = list(wrt) if many else [wrt]
    if many and not items:
        raise SrcGradError("wrt=() names no argument", hint="pass wrt=0, wrt='x' or wrt=(0, 1)")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise SrcGradError(f"wrt entries are argument positions or names, not {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise SrcGradError(
                    f"wrt={item} is out of range: {fn.__name__} has {len(params)} "
                    f"argument(s) ({', '.join(params)})")
            names.append(params[item])
        else:
            if item not in params:
                raise SrcGradError(f"wrt={item!r} is not an argument of {fn.__name__}; "
                                   f"its arguments are ({', '.join(params)})")
            names.append(item)
    if len(set(names)) != len(names):
        raise SrcGradError(f"wrt={wrt!r} names an argument twice")
    return tuple(names), many


def kind_of(value) -> str:
    kind = type(value)
    if kind is numpy.ndarray:  # the common cases first: this runs on every call
        return "array"
    if kind is float or kind is int:
        return "scalar"
    if kind is dict:  # a record of parameters, as `isinstance(value, dict)` below finds it
        types = list(map(type, value.values()))
    elif isinstance(value, (list, tuple)):
        if not _plain_sequence(kind):
            return "other"
        types = list(map(type, value))  # one pass in C over the entries' types
        if types and types.count(float) == len(types):
            return "numbers"  # a list or tuple of Python floats: entries are numbers
    elif isinstance(value, dict):  # never "numbers": those are indexed by position
        if not _plain_sequence(kind):
            return "other"
        types = list(map(type, value.values()))
    elif isinstance(value, (float, int)) and not isinstance(value, bool):
        return "scalar" if _plain_number(kind) else "other"
    elif isinstance(value, numpy.ndarray):
        refuse_subclass(value)
        return "array"
    elif is_dask(value):
        return "dask"
    elif static_value(value):
        return Static(value)
    else:
        return "other"
    leaves = types.count(numpy.ndarray) + types.count(float)
    return "record" if leaves == len(types) else "container"  # a record's entries are leaves


_ARITHMETIC = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
               "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__",
               "__neg__", "__pos__", "__abs__", "__float__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__")
_SEQUENCE = ("__getitem__", "__iter__", "__len__", "__reversed__", "__add__", "__mul__",
             "keys", "values", "items", "get")


def _plain_number(kind) -> bool:
    """A subclass of float or int is a number to differentiate when its arithmetic is
    float's or int's own (NumPy's float64 computes as a float): one that redefines
    `*` (a unit, a doubling float) would make the derivative silently wrong."""
    if kind.__module__ == "numpy":
        return True
    base = float if issubclass(kind, float) else int
    return all(getattr(kind, m, None) is getattr(base, m, None) for m in _ARITHMETIC)


def _plain_sequence(kind) -> bool:
    """A list, tuple or dict subclass is read as one when it indexes and iterates as one
    (a named tuple, an OrderedDict, a defaultdict do); one that redefines `[]` or
    iteration is not."""
    if kind is list or kind is tuple or kind is dict or kind.__module__ == "collections":
        return True  # (OrderedDict, defaultdict, Counter: their methods are C's, with dict's meaning)
    base = next(b for b in (list, tuple, dict) if issubclass(kind, b))
    return all(getattr(kind, m, None) is getattr(base, m, None) for m in _SEQUENCE)


def check_output(value, transform: str, path: str = "") -> None:
    """What vjp and jvp differentiate: numbers and arrays, or dicts, lists and tuples of
    them. None (a path that falls off the end), a string or another object has no
    derivative, and a zero for it would hide the bug."""
    kind = type(value)
    if kind is numpy.ndarray or kind is float or kind is int:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            check_output(item, transform, f"{path}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_output(item, transform, f"{path}[{i}]")
        return
    if isinstance(value, (numbers.Number, numpy.ndarray, numpy.generic)) or is_dask(value):
        return
    where = f"{path} of its value" if path else ""
    raise SrcGradError(f"{transform} needs a function that returns numbers or arrays (or dicts, lists "
                       f"or tuples of them); this one returned {'None' if value is None else 'a ' + kind.__name__}"
                       f"{' at ' + where if where else ''}",
                       hint="return a value on every path (a function that falls off its end returns None)")


def _refuse_redefined(where: str, kind, what: str) -> None:
    base = next(b for b in (float, int, list, tuple, dict) if issubclass(kind, b))
    raise SrcGradError(
        f"cannot differentiate with respect to {where!r}: it is a {kind.__qualname__}, a subclass of "
        f"{base.__name__} with its own {what}; the derivative is written with {base.__name__}'s meaning, "
        "and would be silently wrong", hint=f"pass a plain {base.__name__}: {base.__name__}(x)")


def refuse_subclass(value, name: str = "") -> None:
    """An array subclass whose operators or reductions mean something else than NumPy's
    (a masked array skips masked entries, `numpy.matrix` multiplies with `*`, a unit-carrying
    array converts): the derivative, written with plain NumPy's meaning, would be silently
    wrong, so it is refused. `numpy.memmap` behaves as a plain array and passes."""
    if type(value) is numpy.ndarray or isinstance(value, numpy.memmap):
        return
    what = f"{type(value).__module__}.{type(value).__qualname__}"
    where = f"argument {name!r} is" if name else "an argument is"
    if isinstance(value, numpy.ma.MaskedArray):
        hint = ("pass the data and the mask as two plain arrays (`x.filled(0.0)`, `x.mask`) and "
                "write the masking in the function, e.g. `np.where(mask, 0.0, x)`")
    else:
        hint = "pass a plain array: `numpy.asarray(x)`"
    raise SrcGradError(
        f"{where} a {what}, a subclass of numpy.ndarray whose operations differ from "
        "numpy.ndarray's; srcgrad differentiates plain arrays only", hint=hint)


def is_dask(value) -> bool:
    """Whether `value` is a Dask array (found by its type's module: Dask is not imported)."""
    return type(value).__module__.startswith("dask.array")


def holds_dask(tree) -> bool:
    """Whether `tree` (a value, or a dict/list/tuple of them) holds a Dask array: then
    a derivative's call goes through `dask_support`, which computes once."""
    if isinstance(tree, dict):
        return any(holds_dask(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(holds_dask(v) for v in tree)
    return is_dask(tree)


def check_wrt_value(name: str, value, path: str = "") -> None:
    """A wrt argument: a real number, a real array, or a dict/list/tuple of them."""
    kind = type(value)
    if (kind is numpy.ndarray and value.dtype.kind in "fiu") or kind is float:
        return  # the common cases, checked first: this runs on every call
    if isinstance(value, dict):
        if not _plain_sequence(kind):
            _refuse_redefined(name + path, kind, "indexing or iteration")
        for key, item in value.items():
            check_wrt_value(name, item, f"{path}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        if not _plain_sequence(kind):
            _refuse_redefined(name + path, kind, "indexing or iteration")
        for i, item in enumerate(value):
            check_wrt_value(name, item, f"{path}[{i}]")
        return
    if isinstance(value, numpy.ndarray):
        refuse_subclass(value, name + path)
    if isinstance(value, (float, int)) and not isinstance(value, bool) and not _plain_number(kind):
        _refuse_redefined(name + path, kind, "arithmetic")
    if isinstance(value, bool) or not (
            isinstance(value, numbers.Real) or (
                (isinstance(value, numpy.ndarray) or is_dask(value)) and value.dtype.kind in "fiu")):
        dtype = getattr(value, "dtype", None)
        what = f"an array of {dtype}" if dtype is not None else f"a {type(value).__name__}"
        complex_ = dtype is not None and dtype.kind == "c" or isinstance(value, complex)
        raise SrcGradError(
            f"cannot differentiate with respect to {name + path!r}: it is {what}; a wrt argument "
            "must be a real number, a real array, or a dict/list/tuple of them",
            hint="differentiate the real and imaginary parts as two real arguments (x.real, x.imag)"
                 if complex_ else "convert it with numpy.asarray(..., dtype=float), or remove it from wrt")


def check_tangent(name: str, primal, tangent, path: str = "") -> None:
    """A tangent given for a primal (jvp, hvp's direction): the primal's structure,
    and for each array its shape (None only for the whole argument). A number is no tangent for
    an array: broadcasting it would silently give a different derivative."""
    if tangent is None:
        if not path:
            return  # the whole argument held constant
        raise SrcGradError(f"the tangent of {name + path!r} is None; None stands for a whole "
                           "argument held constant, not for an entry",
                           hint="give zeros for the entries that do not move")
    if isinstance(primal, dict):
        if isinstance(tangent, dict) and set(tangent) == set(primal):
            for key, item in tangent.items():
                check_tangent(name, primal[key], item, f"{path}[{key!r}]")
            return
    elif isinstance(primal, (list, tuple)):
        if isinstance(tangent, (list, tuple)) and len(tangent) == len(primal):
            for i, (p, t) in enumerate(zip(primal, tangent)):
                check_tangent(name, p, t, f"{path}[{i}]")
            return
    elif not isinstance(tangent, (dict, list, tuple)) and numpy.shape(tangent) == numpy.shape(primal):
        return
    raise SrcGradError(f"the tangent of {name + path!r} is {_described(tangent)}, but {name + path!r} "
                       f"is {_described(primal)}",
                       hint="give a tangent of the primal's structure and shape "
                            "(e.g. numpy.full_like(x, 2.0), not 2.0, for an array x)")


def check_cotangent(value, cotangent, path: str = "") -> None:
    """A pullback's cotangent: `value`'s structure (a None entry counts as zeros), and for
    each array its shape. NumPy would broadcast a number or a wider array against the
    value and hand back the gradient of a different sum, without a word."""
    if cotangent is None:
        if path:
            return
        raise SrcGradError("the cotangent is None; None stands for an entry of a tuple, list or "
                           "dict value held at zero, not for the whole value",
                           hint="give the pullback a cotangent shaped like the value vjp returned "
                                "(e.g. numpy.ones_like(out), or 1.0 for a number)")
    if isinstance(value, dict):
        if isinstance(cotangent, dict) and set(cotangent) == set(value):
            for key, item in cotangent.items():
                check_cotangent(value[key], item, f"{path}[{key!r}]")
            return
    elif isinstance(value, (list, tuple)):
        if isinstance(cotangent, (list, tuple)) and len(cotangent) == len(value):
            for i, (v, c) in enumerate(zip(value, cotangent)):
                check_cotangent(v, c, f"{path}[{i}]")
            return
    elif not isinstance(cotangent, (dict, list, tuple)) and numpy.shape(cotangent) == numpy.shape(value):
        return
    where = f"the value's entry {path}" if path else "the value"
    raise SrcGradError(f"the cotangent{path} is {_described(cotangent)}, but {where} is {_described(value)}",
                       hint="give the pullback a cotangent shaped like the value vjp returned "
                            "(e.g. numpy.ones_like(out))")


def _described(value) -> str:
    if isinstance(value, dict):
        return f"a dict with keys {', '.join(sorted(map(repr, value)))}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    shape = numpy.shape(value)
    return "a number" if shape == () else f"an array of shape {shape}"


def _fresh(g, x) -> bool:
    """`g` is a writeable float array of `x`'s shape and dtype, not `x` itself: one
    the derivative made, handed over as it is."""
    return type(g) is numpy.ndarray and type(x) is numpy.ndarray and g.shape == x.shape \
        and g.dtype == x.dtype and x.dtype.kind == "f" and g.flags.writeable and g is not x


def _root(a) -> int:
    """Which array owns `a`'s memory (by id): two arrays with one root may overlap."""
    base = a.base
    return id(a) if base is None else id(base)


def as_gradient(g, x):
    """Give the gradient the structure of its argument (None means zero)."""
    if type(x) is float and type(g) is float:
        return g
    if _fresh(g, x):
        return g
    if isinstance(x, dict):
        return {k: as_gradient(g.get(k) if isinstance(g, dict) else None, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return sequence_like(x, [as_gradient(gi, xi) for gi, xi in zip(entry_adjoints(g, x), x, strict=True)])
    if g is None:
        g = 0.0
    if type(g) is not float and not (type(g) is numpy.ndarray and g.dtype.kind == "f"):
        require_real(g)
    if isinstance(x, numpy.floating):  # a NumPy scalar keeps its precision
        return x.dtype.type(g)
    if isinstance(x, numpy.ndarray):
        dtype = x.dtype if x.dtype.kind == "f" else numpy.float64
        if type(g) is numpy.ndarray and g.dtype == dtype and g.shape == x.shape \
                and g.flags.writeable and g is not x:
            return g  # fresh from the derivative: hand it over as it is
        g = numpy.asarray(g, dtype=dtype)
        if g.shape != x.shape:
            g = numpy.broadcast_to(g, x.shape)
        if not g.flags.writeable or g is x:
            g = numpy.array(g)
        return g
    return float(g)


def skeleton(tree):
    """`tree`'s structure, with each array replaced by one of its shape and dtype that
    holds no memory: what a gradient is converted against later (a vjp pullback), after
    the caller may have changed the argument, its entries or its keys."""
    if isinstance(tree, numpy.ndarray):
        return numpy.broadcast_to(numpy.zeros((), tree.dtype), tree.shape)
    if isinstance(tree, dict):
        return {k: skeleton(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return sequence_like(tree, [skeleton(v) for v in tree])
    return tree


def floated(value):
    """A value being differentiated, with an integer array made float64: the
    function runs on the float64 array (so a `zeros_like(x)` buffer holds floats),
    and the value and the gradient are the float64 program's."""
    if type(value) is numpy.ndarray:
        return value.astype(numpy.float64) if value.dtype.kind in "iu" else value
    if is_dask(value) and value.dtype.kind in "iu":
        return value.astype(numpy.float64)  # lazily
    return value


def check_kind(name: str, value, kind: str) -> None:
    """`check_wrt_value` for a value whose kind `kind_of` has found."""
    if kind == "scalar" or kind == "numbers":
        return  # a real number, or a list/tuple of Python floats: always valid
    if kind == "array":
        if value.dtype.kind in "fiu":
            return
    elif kind == "record":  # entries are arrays or Python floats: one flat pass
        for item in value.values() if isinstance(value, dict) else value:
            if type(item) is numpy.ndarray and item.dtype.kind not in "fiu":
                break
        else:
            return
    check_wrt_value(name, value)  # raises, naming the offending entry


def gradient_for_kind(g, x, kind: str):
    """`as_gradient(g, x)` for an argument whose kind `kind_of` has found. The
    result may share memory with the caller's arrays or within itself: the
    caller passes it through `unshared`."""
    if kind == "array":
        if _fresh(g, x):
            return g
    elif kind == "scalar":
        if type(g) is float and type(x) is float:
            return g
    elif kind == "numbers":
        kind_x = type(x)
        if (kind_x is list or kind_x is tuple) and (type(g) is list or type(g) is tuple) \
                and len(g) == len(x):
            try:  # entries are Python floats or NumPy scalars: float() is the conversion
                if any(isinstance(v, numpy.complexfloating) for v in g):
                    raise TypeError  # float() would keep the real part: the general path raises
                out = list(map(float, g))  # a new list: never the input, nor g
            except (TypeError, ValueError):  # a None (zero) entry, or worse: the general path
                pass
            else:
                return out if kind_x is list else tuple(out)
    elif kind == "record":
        return _record_gradient(g, x)
    return as_gradient(g, x)


def _record_gradient(g, x):
    """`as_gradient` for a record (a dict/list/tuple of arrays and Python floats)."""
    if type(x) is dict and type(g) is dict:
        out = {}
        for key, v in x.items():
            gv = g.get(key)
            fresh = _fresh(gv, v) if type(v) is numpy.ndarray else type(gv) is float
            out[key] = gv if fresh else as_gradient(gv, v)
        return out
    return as_gradient(g, x)


def _made_fits(g, x, keys) -> bool:
    """Whether `g`, a dict of memory the derivative allocated itself (its keys `keys`,
    proved at compile time: srcgrad/fresh.py), is the gradient of the record `x` as
    `_record_gradient` and `unshared` would return it: `x` a dict with those keys in
    that order, each entry a float array, its gradient a writeable array of its dtype
    and shape. New memory shares nothing with the caller's arrays nor with another
    entry, so no walk looks for sharing."""
    if type(g) is not dict or type(x) is not dict or len(x) != len(keys) or tuple(x) != keys:
        return False
    ndarray = numpy.ndarray  # (a local: this runs on every call, once per entry)
    for gv, xv in zip(g.values(), x.values()):
        if type(gv) is not ndarray or type(xv) is not ndarray:
            return False
        dtype = xv.dtype
        # `is` first: a float64 array's dtype is NumPy's one float64 dtype object
        if dtype.kind != "f" or (gv.dtype is not dtype and gv.dtype != dtype) or gv.shape != xv.shape \
                or not gv.flags.writeable:
            return False
    return True


def _arrays(tree, found: list) -> list:
    """`found`, extended by the arrays in `tree` (its dicts, lists and tuples walked)."""
    if isinstance(tree, numpy.ndarray):
        found.append(tree)
    elif isinstance(tree, dict):
        for v in tree.values():
            _arrays(v, found)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _arrays(v, found)
    return found


def unshared(tree, given=()):
    """`tree`, a result handed back to the caller, with every array that shares
    memory with an earlier one in it, or with an array among `given`, replaced
    by a copy.

    `given` holds what the caller passed in: the arguments, and a pullback's
    cotangent or jvp's tangents. The derivative hands some of those on as they
    are: the pullback of `x -> x` is its cotangent, the tangent of `x -> x.T` a
    view of the caller's tangent; two gradients of `x + y` are one array. Writing
    into a result (an optimizer's `g -= ...`) must change neither the caller's
    arrays nor another result, so this is the one place every transform's
    results pass through. `tree`'s containers are new (`as_gradient`,
    `tangent_like` built them). Usually nothing is shared, and `tree` comes back
    as it is.
    """
    mine = _arrays(tree, [])
    if not mine:
        return tree
    theirs = _arrays(given, [])
    roots = [_root(a) for a in mine]
    if len(set(roots)) == len(roots) and set(roots).isdisjoint(map(_root, theirs)) \
            and all(type(a) is numpy.ndarray for a in mine):
        return tree
    seen: dict = {}
    for a in theirs:
        seen.setdefault(_root(a), []).append(a)
    return _copied_where_shared(tree, seen)


def _copied_where_shared(tree, seen: dict):
    """`unshared`'s walk: `seen` maps a memory owner's id to the arrays met so far."""
    if isinstance(tree, numpy.ndarray):
        earlier = seen.setdefault(_root(tree), [])
        if any(e is tree or numpy.shares_memory(e, tree) for e in earlier):
            tree = numpy.array(tree)  # owns its memory: a root of its own
            seen[id(tree)] = [tree]
        else:
            earlier.append(tree)
        return tree
    if isinstance(tree, dict):
        for key, v in tree.items():
            tree[key] = _copied_where_shared(v, seen)
        return tree
    if isinstance(tree, list):
        tree[:] = [_copied_where_shared(v, seen) for v in tree]
        return tree
    if isinstance(tree, tuple):
        return sequence_like(tree, [_copied_where_shared(v, seen) for v in tree])  # as `as_gradient` built it
    return tree


def convert_gradients(wrt: tuple, many: bool, grads, values: dict):
    """The generated function's gradients for `wrt` as the caller gets them: each
    shaped like its argument in `values`, one value or (`many`) a tuple."""
    if len(wrt) == 1:
        g = unshared(as_gradient(grads, values[wrt[0]]), values)
        return (g,) if many else g
    return unshared(tuple([as_gradient(g, values[n]) for g, n in zip(grads, wrt, strict=True)]), values)


_UNCHECKED = ("scalar", "numbers")  # kinds whose values `kind_of` has already proved valid


class CallPlan:
    """The boundary work for one tuple of argument kinds, every argument positional:
    the generated function to run (`fn`; `code`, the function's `__code__` it was built
    from, and `watch`, the staleness check of the rest, or None: both checked by the
    caller), the wrt values to check, and how to convert each gradient."""

    __slots__ = ("fn", "code", "watch", "made", "fresh", "kinds", "kind", "checks", "converts", "floats",
                 "unshare", "array_at", "made_at", "many", "lazy")

    def __init__(self, bound, kinds, positions, wrt, many: bool):
        # bound: see api.Derivative._function; watch: watch.Watch.check(planned=True); made:
        # the keys of a record gradient the generated function proved new memory (fresh.py);
        # fresh: the function returns a new list of Python floats as long as its one
        # argument (`compiler`, `optimize.raises.fresh_numbers`): nothing to check or copy
        self.fn, _, self.watch, self.code, self.made, self.fresh = bound
        self.kinds, self.kind = kinds, kinds[0]  # the first argument's kind: for one-argument calls
        # a container argument may hold a Dask array: `holds_dask` looks, on each call
        self.lazy = "container" in kinds or "dask" in kinds
        self.many = many  # the caller asked for a tuple of gradients
        # the position of the one wrt argument when it is an array (the commonest call), else -1
        self.array_at = positions[0] if len(positions) == 1 and kinds[positions[0]] == "array" else -1
        # the position of the one wrt argument when its gradient is a record proved new memory, else -1
        self.made_at = positions[0] if len(positions) == 1 and self.made is not None else -1
        # (position, name, kind) of the wrt values `check_kind` must look at
        self.checks = tuple((p, n, kinds[p]) for p, n in zip(positions, wrt)
                            if kinds[p] not in _UNCHECKED)
        self.converts = tuple((p, kinds[p]) for p in positions)
        # every wrt value a number: a tuple of Python floats for Python floats is handed over
        self.floats = all(kinds[p] == "scalar" for p in positions)
        # whether the gradients can hold arrays (numbers' gradients are new Python floats)
        self.unshare = any(kinds[p] not in _UNCHECKED for p in positions)

    def gradient(self, out, args):
        """`convert_gradients` for this plan's kinds: the generated function's result
        `out` for the positional arguments `args`."""
        converts = self.converts
        if len(converts) == 1:
            (p, kind), = converts
            if self.made is not None and _made_fits(out, args[p], self.made):
                return (out,) if self.many else out
            g = gradient_for_kind(out, args[p], kind)
            if kind not in _UNCHECKED:
                g = unshared(g, args)
            return (g,) if self.many else g
        if self.floats and type(out) is tuple and len(out) == len(converts) \
                and list(map(type, out)).count(float) == len(out) \
                and [type(args[p]) for p, _ in converts].count(float) == len(out):
            return out  # Python floats for Python floats, in a tuple: as they are
        g = tuple([gradient_for_kind(gi, args[p], kind) for gi, (p, kind) in zip(out, converts, strict=True)])
        return unshared(g, args) if self.unshare else g


def zeros_like_tree(tree):
    """A tangent of zeros with the structure of `tree` (Python floats for numbers)."""
    if isinstance(tree, dict):
        return {k: zeros_like_tree(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return sequence_like(tree, [zeros_like_tree(v) for v in tree])
    if isinstance(tree, numpy.ndarray):
        return numpy.zeros(tree.shape, tree.dtype if tree.dtype.kind == "f" else numpy.float64)
    return 0.0


def positional_count(fun) -> int:
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in frontend.signature(fun).parameters.values())


def copy_arrays(tree):
    """`tree` with every array and container in it copied (numbers as they are)."""
    if isinstance(tree, numpy.ndarray):
        return tree.copy()
    if isinstance(tree, dict):
        return {k: copy_arrays(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return sequence_like(tree, [copy_arrays(v) for v in tree])
    return tree


def require_real(g) -> None:
    """A derivative that met a complex value at run time (a negative Python float to a
    fractional power): outside the SPEC, an error rather than a real part."""
    if isinstance(g, complex) or numpy.iscomplexobj(g):
        raise SrcGradError("the derivative computed a complex value; srcgrad differentiates "
                           "real numbers only, and its real part is not the gradient",
                           hint="rebuild with debug_nans=True, which names the line where the "
                                "complex value appears, and keep that computation real")


def tangent_like(t, value):
    """Give an output tangent the structure of its output."""
    if isinstance(value, dict):
        return {k: tangent_like(t.get(k) if isinstance(t, dict) else None, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = t if isinstance(t, (list, tuple)) else [None] * len(value)
        return sequence_like(value, [tangent_like(ti, vi) for ti, vi in zip(items, value)])
    if t is None:
        t = 0.0
    if type(t) is not float:
        require_real(t)
    if isinstance(value, numpy.ndarray):
        t = numpy.asarray(t, dtype=value.dtype if value.dtype.kind == "f" else numpy.float64)
        return numpy.broadcast_to(t, value.shape).copy() if t.shape != value.shape else t
    if isinstance(value, numpy.floating):
        # a NumPy scalar keeps its precision, as a gradient does (as_gradient): under
        # NumPy 1.x a float32 scalar op a Python float is float64 (no NEP 50), so the
        # tangent of a float32 output may come out wider than the output
        return value.dtype.type(t)
    if isinstance(value, (float, int)):
        return float(t)
    return t
