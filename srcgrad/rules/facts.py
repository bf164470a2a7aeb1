"""The one table of facts about callables: what a call may change, and what it returns.

Every pass that needs to know whether a call is harmless asks here, and
nowhere else:

- `pure`: the call changes nothing (no argument, no global, no hidden state
  such as a random generator's): running it twice is harmless.
- `writes`: the argument positions (ints) and keywords (strs) it writes into.
  An `out=` keyword is a write wherever it appears (`writes_of`).
- `views`: the argument positions whose memory the result may share
  (`ALL`: any argument; `()`: the result is always new memory).
- `array`: given numbers and arrays it returns one array or NumPy scalar
  (not a tuple, list or Python object): what `optimize/kinds.py` relies on.
- `reduces`: called with an array alone, returns a scalar (`numpy.sum`,
  `numpy.max`, ...); `total`: and never fails on a numeric array (not max
  on an empty one), so that passes may compute it speculatively.
- `reporting`: print, logging, warnings: runs once in the forward sweep.
- `numbers`: given Python numbers it returns a Python number (operators,
  `math`, srcgrad's scalar helpers): what scalar specialisation relies on.
- `elementwise`: a runtime helper whose result has the broadcast shape of its
  two operands (ufuncs say so themselves: `nin`, `nout`, `signature`).
- `template`: the argument position a runtime helper reads only for its shape
  (`unbroadcast(g, x)` reads x's shape, never its values).
- `hint`: how to write the call instead, when it must be rejected.

Deny by default: a callable that is in no entry has no facts (`of` returns
None), and the effect check (srcgrad/effects.py) rejects such a call when
it meets a value that depends on a `wrt` input. Entries come from: the
rule registry (every primitive with a rule or a zero gradient is pure), the
explicit lists below, every ufunc, the functions of `math`, srcgrad's
runtime helpers, and the methods of list, dict and ndarray by name. The
zero-derivative positions stay with the rules (`zero_gradient`). User
functions get the same facts from their source (srcgrad/effects.py).
"""
from __future__ import annotations

import builtins
import logging
import math
import operator
import sys
import warnings
from dataclasses import dataclass, replace

import numpy

ALL = "all"


@dataclass(frozen=True)
class Facts:
    pure: bool = True
    writes: tuple = ()
    views: object = ()
    array: bool = False
    reduces: bool = False
    total: bool = False
    reporting: bool = False
    numbers: bool = False
    elementwise: bool = False
    template: int | None = None
    hint: str = ""


PURE = Facts()
ARRAY = Facts(array=True)
VIEW = Facts(views=(0,))
STATE = Facts(pure=False)  # changes only hidden state (a random generator's)
REPORTING = Facts(pure=False, reporting=True)


def _writer(*positions, hint: str) -> Facts:
    return Facts(pure=False, writes=positions, hint=hint)


# --- NumPy functions ---------------------------------------------------------------

# Functions returning one array that may be a view of their first argument.
# (split and its kin, broadcast_arrays: lists or tuples of views)
_NUMPY_VIEWS = ("reshape ravel transpose swapaxes moveaxis squeeze expand_dims broadcast_to asarray "
                "asanyarray atleast_1d atleast_2d atleast_3d diagonal real imag flip fliplr flipud "
                "rot90 ascontiguousarray split array_split hsplit vsplit dsplit unstack asfortranarray "
                "asarray_chkfinite require broadcast_arrays trim_zeros rollaxis matrix_transpose "
                "permute_dims asmatrix real_if_close").split()
# Pure functions that, given numbers and arrays, return one array or NumPy scalar
# (new memory unless also in _NUMPY_VIEWS); and the reductions among them.
_NUMPY_ARRAYS = "sum mean prod max min amax amin std var dot where clip cumsum cumprod outer " \
                "transpose reshape".split()
_TOTAL_REDUCTIONS = "sum mean prod".split()
_REDUCTIONS = _TOTAL_REDUCTIONS + "max min amax amin std var".split()
# Other pure functions (new memory, whatever they return).
_NUMPY_PURE = (
    "vdot inner tensordot einsum matmul concatenate stack hstack vstack column_stack tile repeat "
    "pad diag trace sort take zeros ones zeros_like ones_like full full_like empty empty_like eye "
    "identity arange linspace array copy append argmax argmin argsort any all round around isclose "
    "allclose nansum nanmean nanmax nanmin count_nonzero searchsorted roll tril triu cross kron "
    "median percentile quantile average ptp diff interp convolve correlate logspace geomspace tri "
    "vander array_equal unique bincount histogram floor_divide nonzero flatnonzero shape size ndim "
    "result_type promote_types can_cast iscomplexobj isscalar meshgrid broadcast_arrays split "
    "array_split hsplit vsplit diag_indices tril_indices triu_indices indices ix_ unravel_index "
    "ravel_multi_index").split()
_LINALG_ARRAYS = ["norm"]
_LINALG_PURE = ("inv solve det cholesky pinv matrix_power multi_dot matrix_rank slogdet eigh eig svd "
                "qr lstsq eigvalsh eigvals").split()

_NUMPY_WRITERS = {
    "copyto": _writer(0, hint="write `dst[...] = src`, or make a new array: `dst = src * 1.0`"),
    "put": _writer(0, hint="write `a.flat[ind] = v` as `a[np.unravel_index(ind, a.shape)] = v`, "
                           "or build a new array"),
    "place": _writer(0, hint="write `a[mask] = v` (one value per True entry), or use np.where"),
    "putmask": _writer(0, hint="write `a = np.where(mask, v, a)`"),
    "fill_diagonal": _writer(0, hint="write `A[np.arange(n), np.arange(n)] = v`, or "
                                     "`A = A + np.diag(v)` on a zero diagonal"),
}
_RANDOM_WRITERS = {"shuffle": _writer(0, hint="use `x[rng.permutation(len(x))]`, a new array")}

# --- ufunc methods (`numpy.add.at`, `numpy.add.reduce`, ...) ---------------------------

UFUNC_METHODS = {
    "at": _writer(0, hint="for distinct indices write `a[idx] = a[idx] + v`; for repeated "
                          "indices add `np.bincount(idx, weights=v, minlength=len(a))`"),
    "reduce": ARRAY, "accumulate": ARRAY, "outer": ARRAY, "reduceat": ARRAY,
}

# --- builtins -------------------------------------------------------------------

_BUILTINS = {
    builtins.len: PURE, builtins.range: PURE, builtins.float: PURE, builtins.int: PURE,
    builtins.abs: PURE, builtins.min: PURE, builtins.max: PURE, builtins.sum: PURE,
    builtins.list: PURE, builtins.tuple: PURE, builtins.dict: PURE, builtins.bool: PURE,
    builtins.isinstance: PURE, builtins.round: PURE, builtins.pow: PURE, builtins.type: PURE,
    builtins.any: PURE, builtins.all: PURE, builtins.sorted: PURE, builtins.str: PURE,
    builtins.repr: PURE, builtins.hasattr: PURE, builtins.callable: PURE, builtins.slice: PURE,
    builtins.complex: PURE, builtins.divmod: PURE, builtins.set: PURE, builtins.frozenset: PURE,
    builtins.id: PURE, builtins.hash: PURE, builtins.format: PURE,
    # iterators over their argument: they hold it, as a view holds an array
    builtins.zip: Facts(views=ALL), builtins.enumerate: Facts(views=ALL),
    builtins.reversed: Facts(views=ALL), builtins.iter: Facts(views=ALL),
    builtins.print: REPORTING,
}

_OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.neg, operator.pos, operator.matmul, operator.floordiv, operator.mod)
# Operators and builtins that map Python numbers to a Python number (not matmul).
_NUMBER_OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                     operator.neg, operator.pos, operator.mod, operator.floordiv, builtins.abs,
                     builtins.float, builtins.max, builtins.min)

# --- methods of list, dict and ndarray, by name ------------------------------------

_SELF = (0,)  # the receiver is argument 0 of a method
_METHODS = {
    "list": {
        "append": _writer(*_SELF, hint="build a new list: `lst = lst + [v]`"),
        "extend": _writer(*_SELF, hint="build a new list: `lst = lst + other`"),
        "insert": _writer(*_SELF, hint="build a new list: `lst = lst[:i] + [v] + lst[i:]`"),
        "pop": _writer(*_SELF, hint="read `lst[-1]` and slice: `lst = lst[:-1]`"),
        "remove": _writer(*_SELF, hint="build a new list without the item"),
        "clear": _writer(*_SELF, hint="bind a new empty list: `lst = []`"),
        "sort": _writer(*_SELF, hint="for a list use `sorted(lst)`, a new list"),
        "reverse": _writer(*_SELF, hint="use `lst[::-1]`, a new list"),
        "copy": PURE, "index": PURE, "count": PURE, "__len__": PURE,
    },
    "dict": {
        "update": _writer(*_SELF, hint="assign each key: `d[key] = value`"),
        "setdefault": _writer(*_SELF, hint="assign the key: `d[key] = value`"),
        "pop": _writer(*_SELF, hint="read `d[key]` and build a new dict without it"),
        "popitem": _writer(*_SELF, hint="build a new dict"),
        "clear": _writer(*_SELF, hint="bind a new empty dict: `d = {}`"),
        "get": Facts(views=_SELF), "keys": Facts(views=_SELF), "values": Facts(views=_SELF),
        "items": Facts(views=_SELF), "copy": PURE,
    },
    "ndarray": {
        **{m: VIEW for m in "reshape ravel view transpose swapaxes squeeze diagonal __getitem__".split()},
        **{m: PURE for m in ("sum mean prod max min std var dot flatten astype copy clip cumsum "
                             "cumprod any all argmax argmin argsort round conj conjugate trace "
                             "repeat take nonzero item tolist").split()},
        "sort": _writer(*_SELF, hint="for an array use `np.sort(a)`, a new array"),
        "fill": _writer(*_SELF, hint="use `np.full_like(a, v)`, a new array"),
        "resize": _writer(*_SELF, hint="use `np.resize(a, shape)`, a new array"),
        "put": _NUMPY_WRITERS["put"], "partition": _writer(*_SELF, hint="use `np.partition(a, k)`"),
        "itemset": _writer(*_SELF, hint="write `a[index] = v`"),
        "setfield": _writer(*_SELF, hint="build a new array"),
        "setflags": _writer(*_SELF, hint="leave the array's flags alone"),
    },
}
# Attributes (not calls) of an array that are new values, never views.
FRESH_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "nbytes", "itemsize"})
VIEW_ATTRIBUTES = frozenset({"T", "real", "imag", "flat", "mT"})


def _merge(found: list) -> Facts:
    """The facts true of every one of `found` (one name, several types): the union of
    what they may do."""
    writes = tuple(sorted({w for f in found for w in f.writes}, key=str))
    views = ALL if any(f.views == ALL for f in found) else \
        tuple(sorted({v for f in found for v in f.views}))
    hints = list(dict.fromkeys(f.hint for f in found if f.hint))
    return Facts(pure=all(f.pure for f in found), writes=writes, views=views,
                 array=all(f.array for f in found), reduces=all(f.reduces for f in found),
                 total=all(f.total for f in found), reporting=all(f.reporting for f in found),
                 numbers=all(f.numbers for f in found), elementwise=all(f.elementwise for f in found),
                 template=found[0].template if len({f.template for f in found}) == 1 else None,
                 hint="; or ".join(hints))


METHODS = {name: _merge([table[name] for table in _METHODS.values() if name in table])
           for name in {n for table in _METHODS.values() for n in table}}


def structure_only(attr: str) -> bool:
    """`value.attr(...)` changes only which values a container holds (append, pop,
    update, ...), never the memory of a value it holds: a list or dict method that
    writes, and no ndarray method has its name."""
    return attr not in _METHODS["ndarray"] and any(
        attr in _METHODS[t] and _METHODS[t][attr].writes for t in ("list", "dict"))


def reads_only(attr: str) -> bool:
    """`value.attr(...)` writes into neither its receiver nor its arguments."""
    found = METHODS.get(attr)
    return found is not None and not found.writes


def method(attr: str) -> Facts | None:
    """Facts of `value.attr(...)` for a value whose type is not known at compile
    time: what any list, dict or ndarray method of that name may do (receiver = 0)."""
    return METHODS.get(attr)


# --- the table by object ---------------------------------------------------------

_TABLE: dict = {}
_BY_NAME: dict = {}


def _build() -> None:
    from .. import runtime
    from . import registry

    table: dict = {}
    for primitive in (list(registry.adjoint_rules()) + list(registry.tangent_rules())
                      + list(registry.nondifferentiable_primitives()) + list(registry.aliases())):
        # every primitive with a rule changes nothing; explicit entries below refine this
        table[primitive] = ARRAY if isinstance(primitive, numpy.ufunc) else PURE
    for op in _OPERATORS:
        table[op] = PURE
    table[operator.getitem] = Facts(views=(0,))  # a basic index is a view
    for name in dir(math):
        obj = getattr(math, name)
        if callable(obj):
            table[obj] = Facts(numbers=True)
    table.update(_BUILTINS)
    for op in _NUMBER_OPERATORS:
        table[op] = replace(table[op], numbers=True)
    for name in _NUMPY_PURE:
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = PURE
    for name in _NUMPY_VIEWS:
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = VIEW
    for name in _NUMPY_ARRAYS:
        found = table.get(getattr(numpy, name), PURE)
        table[getattr(numpy, name)] = Facts(views=found.views, array=True, reduces=name in _REDUCTIONS,
                                            total=name in _TOTAL_REDUCTIONS)
    for name in _LINALG_ARRAYS:
        table[getattr(numpy.linalg, name)] = ARRAY
    for name in _LINALG_PURE:
        table[getattr(numpy.linalg, name)] = PURE
    for name, facts in _NUMPY_WRITERS.items():
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = facts
    for name in dir(numpy.random):  # random draws change the generator's state only
        obj = getattr(numpy.random, name)
        if callable(obj) and not isinstance(obj, type):
            table[obj] = _RANDOM_WRITERS.get(name, STATE)
    for name, facts in _RANDOM_WRITERS.items():  # and the generators' methods (receiver first)
        for kind in (numpy.random.Generator, numpy.random.RandomState):
            table[getattr(kind, name)] = Facts(
                pure=False, writes=tuple(p + 1 for p in facts.writes), hint=facts.hint)
    for obj in (logging, warnings):
        for name in dir(obj):
            if callable(getattr(obj, name)) and not name.startswith("_"):
                table[getattr(obj, name)] = REPORTING
    for tname, methods in _METHODS.items():
        owner = {"list": list, "dict": dict, "ndarray": numpy.ndarray}[tname]
        for name, facts in methods.items():
            descriptor = getattr(owner, name, None)
            if descriptor is not None:
                table[descriptor] = facts
    from numpy.lib import stride_tricks

    for name in ("as_strided", "sliding_window_view"):
        if hasattr(stride_tricks, name):
            table[getattr(stride_tricks, name)] = VIEW
    for name in VIEW_ATTRIBUTES:
        if hasattr(numpy.ndarray, name):
            table[getattr(numpy.ndarray, name)] = VIEW
    for primitive in registry.nondifferentiable_primitives():  # srcgrad.stop_gradient
        if getattr(primitive, "__module__", "") == "srcgrad.api":
            table[primitive] = VIEW  # returns its argument itself
    for name, obj in vars(runtime).items():  # srcgrad's helpers in generated code
        if runtime.is_helper(obj) and not isinstance(obj, type):
            table[obj] = _RUNTIME_FACTS.get(name, Facts(views=(0,)))
    for fn in _array_runtime(runtime):
        table[fn] = Facts(views=table[fn].views, array=True)
    for name, more in _RUNTIME_SHAPES.items():
        fn = getattr(runtime, name)
        table[fn] = replace(table[fn], **more)
    by_name: dict = {}
    for obj, facts in table.items():
        name = getattr(obj, "__name__", None)
        if isinstance(name, str):
            by_name.setdefault(name, []).append(facts)
    _BY_NAME.update({n: _merge(found) for n, found in by_name.items()})
    _TABLE.update(table)  # last: a table that is not empty is complete (threads)


# Runtime helpers whose result is always new memory (the others may return an argument).
_RUNTIME_FACTS = {n: PURE for n in ("zeros_like", "owned", "owned_tangent", "fresh_tape", "copy_slice",
                                    "reduced_size")}
# the one helper that writes into its argument: a dict's entry put back (reverse mode)
_RUNTIME_FACTS["restore_entry"] = _writer(0, hint="second derivatives through a dict entry restored "
                                                  "outside a loop are not supported yet")
# checks that raise or pass: harmless to run twice
_RUNTIME_FACTS.update({n: Facts(reporting=True) for n in ("require_scalar", "check_finite")})


# Runtime helpers' number and shape facts: Python numbers in, a Python number out;
# elementwise in two operands; an argument read only for its shape.
_RUNTIME_SHAPES = {
    "log_or_zero": {"numbers": True},
    "masked_product": {"numbers": True, "elementwise": True},
    "tangent_ratio": {"numbers": True, "elementwise": True},
    "pole_ratio": {"numbers": True, "elementwise": True},
    "power_derivative": {"numbers": True, "elementwise": True},
    "unbroadcast": {"template": 1},
    "unreduce": {"template": 1},
    "reduced_size": {"template": 0},
}


def _array_runtime(runtime) -> tuple:
    """srcgrad's helpers that, given numbers and arrays, return one array or NumPy scalar."""
    return (runtime.unbroadcast, runtime.unbroadcast_to, runtime.unreduce, runtime.unreduce_extreme,
            runtime.masked_product, runtime.tangent_ratio, runtime.pole_ratio,
            runtime.power_derivative, runtime.matmul_adjoint_left, runtime.matmul_adjoint_right, runtime.reduced_size)


def _table() -> dict:
    if not _TABLE:
        _build()
    return _TABLE


def of(obj) -> Facts | None:
    """The facts of the callable `obj`, or None: nothing is known about it."""
    table = _table()
    try:
        found = table.get(obj)
    except TypeError:  # unhashable
        return None
    if found is not None:
        return found
    if isinstance(obj, numpy.ufunc):  # NumPy's or SciPy's own; frompyfunc's run any Python code
        return ARRAY if _own_ufunc(obj) else None
    if isinstance(obj, logging.Logger) or isinstance(getattr(obj, "__self__", None), logging.Logger):
        return REPORTING
    from . import registry

    if registry.user_vjp(obj) is not None or registry.user_jvp(obj) is not None:
        return PURE  # a user rule: its author declared it a function of its arguments
    if registry.lookup(obj) is not None or registry.lookup(obj, "forward") is not None \
            or registry.is_nondifferentiable(obj):
        return PURE  # a rule registered after the table was built
    return None


def _own_ufunc(obj) -> bool:
    name = getattr(obj, "__name__", "")
    if getattr(numpy, name, None) is obj:
        return True
    special = sys.modules.get("scipy.special")  # a SciPy ufunc means SciPy is imported already
    return special is not None and getattr(special, name, None) is obj


def bound(receiver, descriptor) -> Facts | None:
    """Facts of a method of a global object: a logger's report, a random
    generator's draws (its state only, unless the table says more)."""
    if isinstance(receiver, logging.Logger):
        return REPORTING
    found = of(descriptor)
    if found is None and isinstance(receiver, (numpy.random.Generator, numpy.random.RandomState)):
        return STATE
    return found


def by_name(name: str) -> Facts | None:
    """What every table entry called `name` may do (for the syntactic alias analysis,
    which sees names, not objects)."""
    _table()
    return _BY_NAME.get(name)


def ufunc_method(attr: str) -> Facts | None:
    """Facts of `ufunc.attr(...)`: `numpy.add.at` writes its first argument."""
    return UFUNC_METHODS.get(attr)


def written(facts: Facts | None, args: list, keywords: list, ufunc=None) -> list:
    """The argument nodes a call writes into: its facts' positions (`args` has a
    method's receiver first) and keywords, an `out=` keyword, and a ufunc's
    positional outputs (beyond its `nin` inputs)."""
    out = []
    for w in (facts.writes if facts is not None else ()):
        if isinstance(w, int) and w < len(args):
            out.append(args[w])
        elif isinstance(w, str):
            out += [value for arg, value in keywords if arg == w]
    out += [value for arg, value in keywords if arg == "out"]
    if ufunc is not None and len(args) > ufunc.nin:
        out += list(args[ufunc.nin:])
    return out


def _holds(obj, fact: str) -> bool:
    """Whether the table knows `obj` and its boolean `fact` is true."""
    found = of(obj)
    return found is not None and getattr(found, fact)


def returns_array(obj) -> bool:
    """Given numbers and arrays, `obj` returns one array or NumPy scalar."""
    return _holds(obj, "array")


def total_reduction(obj) -> bool:
    """`obj(a)` of a numeric array is a scalar, and never fails."""
    return _holds(obj, "total")


def total_reductions() -> tuple:
    """Every callable `total_reduction` holds for."""
    return tuple(obj for obj, found in _table().items() if found.total)


def is_pure(obj) -> bool:
    """`obj` changes nothing: running it again is harmless."""
    found = of(obj)
    return found is not None and found.pure and not found.writes


def arithmetic(obj) -> bool:
    """A pure arithmetic operator, ufunc or array function: a new value computed
    from its operands alone, which two equal calls compute equally."""
    return any(obj is op for op in _OPERATORS) or (returns_array(obj) and is_pure(obj))


def maps_numbers(obj) -> bool:
    """Given Python numbers, `obj` returns a Python number."""
    return _holds(obj, "numbers")


def elementwise_helper(obj) -> bool:
    """A runtime helper whose result has the broadcast shape of its two operands."""
    return _holds(obj, "elementwise")


def shape_template(obj) -> int | None:
    """The argument position `obj` reads only for its shape, or None."""
    found = of(obj)
    return found.template if found is not None else None


def zero_gradient(obj) -> bool:
    """Whether `obj`'s result carries zero gradient (kept with the rules, in the registry)."""
    from . import registry

    return registry.is_nondifferentiable(obj)
