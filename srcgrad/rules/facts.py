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
  (not a tuple, list or Python object): what `analysis/kinds.py` relies on.
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
- `nonselecting`: every zero in its result is one its arguments' values make
  (a product with 0), never a selection's (`never_selects`; float ufuncs
  other than maximum and its kin never select, see known.selecting_ufunc).
- `fields`: the field names of the named tuple it returns (NumPy 2's
  `SlogdetResult`: sign, logabsdet), read as `r.logabsdet`.
- `sequence`: it returns a tuple or list (numpy.histogram's counts and edges, numpy.split's pieces):
  a container, whose adjoint merges with add_grad.
- `identity`: it returns its one argument itself (`stop_gradient`, `detach`):
  the result has the argument's kind and shape.
- `sums_adjoint`: a runtime helper `h(g, a, b)` taking the adjoint `g` of the
  product `a @ b`, which sums `g` down to that product's shape itself (g may
  have the shape the product was broadcast into afterwards).
- `hint`: how to write the call instead, when it must be rejected.

Deny by default: a callable that is in no entry has no facts (`of` returns
None), and the effect check (srcgrad/analysis/effect_check.py) rejects such a call when
it meets a value that depends on a `wrt` input. Entries come from: the
rule registry (every primitive with a rule or a zero gradient is pure), the
explicit lists in srcgrad/rules/known.py, every ufunc, the functions of `math`, srcgrad's
runtime helpers, and the methods of list, dict and ndarray by name. The
zero-derivative positions stay with the rules (`zero_gradient`). User
functions get the same facts from their source (srcgrad/analysis/effects.py).
"""
from __future__ import annotations

import inspect
import logging
import math
import operator
import sys
import types
import warnings
from dataclasses import replace

import numpy

from . import deferred
from .known import (ALL, ARRAY, BUILTINS, NONSELECTING_NUMPY, NONSELECTING_RUNTIME, FRESH_ATTRIBUTES, LINALG_ARRAYS, LINALG_FIELDS, LINALG_PURE, LINALG_SEQUENCES, METHODS,
                    NUMBER_OPERATORS, NUMPY_ARRAYS, NUMPY_PURE, NUMPY_SEQUENCES, NUMPY_VIEWS, NUMPY_WRITERS, OPERATORS, PURE,
                    RANDOM_WRITERS, REDUCTIONS, REPORTING, RUNTIME_FACTS, RUNTIME_SHAPES, SCIPY_LINALG_SEQUENCES,
                    STATE,
                    TOTAL_REDUCTIONS, TYPE_METHODS, UFUNC_METHODS, VIEW, VIEW_ATTRIBUTES, Facts, array_runtime,
                    merge, method, reads_only, selecting_ufunc, structure_only)

# re-exported: the record and the by-name queries are facts' interface
__all__ = ["ALL", "ARRAY", "FRESH_ATTRIBUTES", "METHODS", "PURE", "REPORTING", "STATE", "UFUNC_METHODS", "VIEW",
           "VIEW_ATTRIBUTES", "Facts", "method", "reads_only", "structure_only"]

# --- the table by object ---------------------------------------------------------

_TABLE: dict = {}
_BY_NAME: dict = {}  # name -> what every table entry of that name may do (see `by_name`)
_NAMED: dict = {}  # name -> the facts of the table's entries of that name
_BUILT_FOR = [-1]  # the registry generation the table was built from (rules loaded later)


def _build() -> None:
    from .. import runtime
    from . import registry

    generation = deferred.generation()  # before reading the rules: a later load rebuilds
    table: dict = {}
    for primitive in (list(registry.adjoint_rules()) + list(registry.tangent_rules())
                      + list(registry.nondifferentiable_primitives()) + list(registry.aliases())):
        # every primitive with a rule changes nothing; explicit entries below refine this
        table[primitive] = ARRAY if isinstance(primitive, numpy.ufunc) else PURE
    for op in OPERATORS:
        table[op] = PURE
    table[operator.getitem] = Facts(views=(0,))  # a basic index is a view
    for name in dir(math):
        obj = getattr(math, name)
        if callable(obj):
            table[obj] = Facts(numbers=True)
    table.update(BUILTINS)
    for op in NUMBER_OPERATORS:
        table[op] = replace(table[op], numbers=True)
    for name in NUMPY_PURE:
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = PURE
    for name in NUMPY_VIEWS:
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = VIEW
    for name in NUMPY_ARRAYS:
        found = table.get(getattr(numpy, name), PURE)
        table[getattr(numpy, name)] = Facts(views=found.views, array=True, reduces=name in REDUCTIONS,
                                            total=name in TOTAL_REDUCTIONS)
    for name in LINALG_ARRAYS:
        table[getattr(numpy.linalg, name)] = ARRAY
    for name in LINALG_PURE:
        table[getattr(numpy.linalg, name)] = PURE
    for name in NUMPY_SEQUENCES:  # split's pieces are views: kept
        table[getattr(numpy, name)] = replace(table.get(getattr(numpy, name), PURE), sequence=True)
    for name in LINALG_SEQUENCES:
        table[getattr(numpy.linalg, name)] = Facts(sequence=True, fields=LINALG_FIELDS.get(name, ()))
    scipy_linalg = sys.modules.get("scipy.linalg")  # imported already by rules/scipy_linalg.py, if at all
    for name in SCIPY_LINALG_SEQUENCES if scipy_linalg is not None else ():
        table[getattr(scipy_linalg, name)] = Facts(sequence=True)
    for name, facts in NUMPY_WRITERS.items():
        if hasattr(numpy, name):
            table[getattr(numpy, name)] = facts
    for name in dir(numpy.random):  # random draws change the generator's state only
        obj = getattr(numpy.random, name)
        if callable(obj) and not isinstance(obj, type):
            table[obj] = RANDOM_WRITERS.get(name, STATE)
    for name, facts in RANDOM_WRITERS.items():  # and the generators' methods (receiver first)
        for kind in (numpy.random.Generator, numpy.random.RandomState):
            table[getattr(kind, name)] = Facts(
                pure=False, writes=tuple(p + 1 for p in facts.writes), hint=facts.hint)
    for obj in (logging, warnings):
        for name in dir(obj):
            if callable(getattr(obj, name)) and not name.startswith("_"):
                table[getattr(obj, name)] = REPORTING
    for tname, methods in TYPE_METHODS.items():
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
        if getattr(primitive, "__module__", "") == "srcgrad.markers":
            table[primitive] = Facts(views=(0,), identity=True)  # returns its argument itself
    for name, obj in vars(runtime).items():  # srcgrad's helpers in generated code
        if runtime.is_helper(obj) and not isinstance(obj, type):
            table[obj] = RUNTIME_FACTS.get(name, Facts(views=(0,)))
    for fn in array_runtime(runtime):
        table[fn] = Facts(views=table[fn].views, array=True)
    for name, more in RUNTIME_SHAPES.items():
        fn = getattr(runtime, name)
        table[fn] = replace(table[fn], **more)
    for obj in [getattr(numpy, n) for n in NONSELECTING_NUMPY if hasattr(numpy, n)] \
            + [getattr(runtime, n) for n in NONSELECTING_RUNTIME]:
        table[obj] = replace(table.get(obj, PURE), nonselecting=True)
    for primitive in list(table):  # a form (svd(a, hermitian=True)) returns what its primitive does
        for made in registry.forms(primitive):
            table[made] = replace(table.get(made, PURE), sequence=table[primitive].sequence,
                                  fields=table[primitive].fields)
    by_name: dict = {}
    for obj, facts in table.items():
        name = getattr(obj, "__name__", None)
        if isinstance(name, str):
            by_name.setdefault(name, []).append(facts)
    _NAMED.update(by_name)  # merged per name when first asked (`by_name`: a few names a build)
    for name in by_name:
        _BY_NAME.pop(name, None)
    _TABLE.update(table)  # last: a table that is not empty is complete (threads)
    _BUILT_FOR[0] = generation


def _table() -> dict:
    deferred.load_due()  # SciPy's rules, once SciPy is imported
    if not _TABLE or _BUILT_FOR[0] != deferred.generation():
        _build()
    return _TABLE


# `deferred`'s own counters, read in place by `of` (asked a thousand times per build)
_CHECKED_AT, _GENERATION = deferred._CHECKED_AT, deferred._GENERATION


def of(obj) -> Facts | None:
    """The facts of the callable `obj`, or None: nothing is known about it."""
    # `_table()` inline while it would do nothing: no module imported since `load_due`
    # last found nothing due, and the table built from the rules loaded so far
    if _TABLE and len(sys.modules) == _CHECKED_AT[0] and _BUILT_FOR[0] == _GENERATION[0]:
        table = _TABLE
    else:
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
            or registry.is_nondifferentiable(obj) or registry.unsupported_hint(obj) is not None:
        return PURE  # a rule (or its refusal) registered after the table was built
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
    if inspect.isfunction(descriptor):  # a rule may be keyed by the bound method itself
        found = of(types.MethodType(descriptor, receiver))
        if found is not None:
            return found
    found = of(descriptor)
    if found is None and isinstance(receiver, (numpy.random.Generator, numpy.random.RandomState)):
        return STATE
    return found


def by_name(name: str) -> Facts | None:
    """What every table entry called `name` may do (for the syntactic alias analysis,
    which sees names, not objects)."""
    _table()
    found = _BY_NAME.get(name)
    if found is None and name in _NAMED:
        found = _BY_NAME[name] = merge(_NAMED[name])
    return found


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


def returns_array(obj) -> bool:
    """Given numbers and arrays, `obj` returns one array or NumPy scalar."""
    found = of(obj)
    return found is not None and found.array


def returns_sequence(obj) -> bool:
    """`obj` returns a tuple or list: a container."""
    found = of(obj)
    return found is not None and found.sequence


def result_field(obj, attr: str) -> int | None:
    """The position of `attr` among the fields of the named tuple `obj` returns
    (`numpy.linalg.slogdet(a).logabsdet`: 1), or None."""
    found = of(obj)
    fields = found.fields if found is not None else ()
    return fields.index(attr) if attr in fields else None


def is_identity(obj) -> bool:
    """`obj(x)` is `x` itself (srcgrad.stop_gradient): same value, kind and shape."""
    found = of(obj)
    return found is not None and found.identity


def sums_adjoint(obj) -> bool:
    """`obj(g, a, b)` sums the adjoint `g` of `a @ b` to the product's shape itself."""
    found = of(obj)
    return found is not None and found.sums_adjoint


def total_reduction(obj) -> bool:
    """`obj(a)` of a numeric array is a scalar, and never fails."""
    found = of(obj)
    return found is not None and found.total


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
    return any(obj is op for op in OPERATORS) or (returns_array(obj) and is_pure(obj))


def never_selects(obj) -> bool:
    """Every zero in `obj`'s result is one its arguments' values make: it never leaves an
    entry out or picks against one (numpy.where, indexing and comparisons select)."""
    if isinstance(obj, numpy.ufunc):
        if of(obj) is None:
            return False
        selects = _SELECTING.get(obj)
        if selects is None:  # (reads `ufunc.types`, a new list of strings per read)
            selects = _SELECTING[obj] = selecting_ufunc(obj)
        return not selects
    found = of(obj)
    return found is not None and found.nonselecting


# ufunc -> `selecting_ufunc(ufunc)`, for the ufuncs the table knows (NumPy's and SciPy's
# own, which live as long as their modules; their names and loops never change)
_SELECTING: dict = {}


def maps_numbers(obj) -> bool:
    """Given Python numbers, `obj` returns a Python number."""
    found = of(obj)
    return found is not None and found.numbers


def unbounded(obj) -> bool:
    """`obj` may return an inf where its arguments are finite numbers (d(x ** 0.5)/dx at 0)."""
    found = of(obj)
    return found is not None and found.unbounded


def elementwise_helper(obj) -> bool:
    """A runtime helper whose result has the broadcast shape of its two operands."""
    found = of(obj)
    return found is not None and found.elementwise


def shape_template(obj) -> int | None:
    """The argument position `obj` reads only for its shape, or None."""
    found = of(obj)
    return found.template if found is not None else None


def zero_gradient(obj) -> bool:
    """Whether `obj`'s result carries zero gradient (kept with the rules, in the registry)."""
    from . import registry

    return registry.is_nondifferentiable(obj)
