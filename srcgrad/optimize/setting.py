"""What the optimisation passes read besides the statements.

`Setting` is fixed for one derivative: the parameters' argument kinds, the
names known to hold Python numbers, how a call resolves, and the emitted
names of the runtime helpers. `facts(statements, setting)` are the facts
that depend on the code (static shapes, value kinds): a pass that reads them
gets them computed from the statements it is given, never kept from before
another pass changed the code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import gast

from ..analysis.carried import Outline
from ..analysis.kinds import carried_scalars, static_scalars, top_level_defs, value_kinds
from ..analysis.shapes import Shapes, checked_scalars


_LOOPS = (gast.For, gast.While)


@dataclass(frozen=True)
class Setting:
    params: dict  # parameter -> argument kind ("scalar", "array", ...)
    scalars: frozenset  # names that hold Python numbers (with their adjoints and saved copies)
    callee: Callable  # call node -> the callable it resolves to, or None
    helpers: dict  # runtime helper -> its emitted name (live: passes may emit more)
    gradients: tuple = ()  # the adjoints the derivative returns (live out of the backward sweep)
    floats: frozenset = frozenset()  # adjoint names (folding `0.0 * a` needs a float `a`)
    number_helpers: frozenset = frozenset()  # helpers mapping Python numbers to a Python number
    arithmetic: dict = field(default_factory=dict)  # NaN-guard helper -> "*" or "/"
    unbounded: dict = field(default_factory=dict)  # emitted -> helper whose result may be inf at finite arguments
    unbroadcast: str = "unbroadcast"  # emitted name of the helper scalar elision drops
    math: str = "math"
    numbers: frozenset = frozenset()  # names of shape () that the code cannot show (scalar seeds)
    fresh: Callable = None  # base -> a new name
    rename_global: Callable = None  # runtime helper -> its emitted name (emitting it)
    containers: frozenset = frozenset()  # adjoint names that may hold a tuple, list or dict
    entries: frozenset = frozenset()  # adjoints of one-axis arrays: an entry at an int is a number
    unshared: frozenset = frozenset()  # arrays made in the function whose memory no other name shares
    vectors: frozenset = frozenset()  # names only ever bound to numpy.zeros(n) (ones, empty): float64, one axis
    lazy: bool = False  # arguments hold Dask arrays: a NumPy buffer cannot take `+= lazy value`
    native: bool = False  # built for numba (`native.lowering` runs last)


@dataclass(frozen=True)
class Facts:
    shapes: Shapes  # static leaf sets of values (see `shapes`)
    kinds: dict  # name -> value kind (see `kinds`)
    defs: dict  # name bound once at the top level -> its value (see `kinds.top_level_defs`)


def facts(statements: list, setting: Setting) -> Facts:
    """Shapes and kinds of a function body; values of shape () by construction
    (numbers, full reductions) have no leaves."""
    params = setting.params
    callee = _resolved_once(setting.callee)  # (the analyses below resolve each call several times)
    outline = Outline(statements, params)  # (the statements' bindings, which every analysis below reads)
    single = outline.single
    kinds = value_kinds(statements, params, set(setting.scalars), callee, single, outline)
    defs = top_level_defs(statements, single, outline)
    known = static_scalars(defs, kinds, callee)
    if any(s.__class__ in _LOOPS for s in outline.compound):  # names in loops, whose values are all numbers
        known |= carried_scalars(statements, kinds, params, callee, outline)
    if "require_scalar" in setting.helpers:  # what the check of a gradient's output says
        known |= checked_scalars(statements, defs, kinds, callee, setting.helpers["require_scalar"], outline)
    shapeless = set(setting.scalars) | known | setting.numbers
    shapes = Shapes(statements, list(params), callee, shapeless, single, kinds, outline)
    shapes.callee = setting.callee  # the passes that read the shapes rewrite calls: no memo then
    return Facts(shapes, kinds, defs)


def _resolved_once(callee: Callable) -> Callable:
    """`callee`, remembering its answer per call node while the statements stay as
    they are (within one `facts`); the nodes are kept with the answers, so that
    their ids cannot be reused."""
    found: dict = {}
    kept: list = []

    def resolved(call):
        fn = found.get(id(call), _UNKNOWN)
        if fn is _UNKNOWN:
            fn = found[id(call)] = callee(call)
            kept.append(call)
        return fn
    return resolved


_UNKNOWN = object()  # a call not resolved yet


def kinds_of(statements: list, setting: Setting) -> dict:
    """`facts(statements, setting).kinds` alone (the static shapes cost as much again)."""
    outline = Outline(statements, setting.params)
    return value_kinds(statements, setting.params, set(setting.scalars), setting.callee, outline.single, outline)


def representatives(forward: list, params, shapes: Shapes) -> dict:
    """{leaf set: the first name bound to a value of that shape before the backward sweep}."""
    reps: dict = {}
    for name in list(params) + [s.targets[0].id for s in forward if isinstance(s, gast.Assign)
                                and isinstance(s.targets[0], gast.Name)]:
        if name in shapes.single and shapes.leaves.get(name) is not None:
            reps.setdefault(shapes.leaves[name], name)
    return reps
