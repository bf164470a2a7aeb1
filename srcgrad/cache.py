"""The compile cache: one compiled derivative per (function code, options).

Keyed by the *identity* of the function's code object (equal code objects
from two modules are still two functions), its globals, any functions its
closure holds and the types of the other values it holds: what the compiler
resolved calls against. A redefined function compiles afresh, a function
that is gone frees its entry, and closures that capture only values (of the
same types) share one compile. What the code reaches beyond that (global
helpers, their helpers, user rules) is checked by a `watch.Watch`
at every lookup: a derivative whose helpers Python would no longer run is
built again. A lock makes concurrent first calls compile once.
"""
from __future__ import annotations

import gc
import threading
import weakref

import numpy

from . import compiler, identity, watch
from .callees import Recursion
from .options import Options

_CACHE: dict = {}  # key -> (weak ref to the code, {Options: Compiled}): see `identity`
_GENERATED: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()  # id(code) -> Compiled
_LOCK = threading.RLock()
_BUILDING = threading.local()  # (code, options) being compiled on this thread
compile_count = 0  # how many derivatives were built (for tests of the cache)


def _key(fn) -> tuple:
    cells = getattr(fn, "cells", None)
    if cells is None:
        cells = dict(zip(fn.__code__.co_freevars, getattr(fn, "__closure__", None) or ()))
    called = []
    for name in sorted(cells):
        try:
            value = cells[name].cell_contents
        except ValueError:
            continue
        called.append((name, id(value)) if _by_identity(value) else (name, type(value)))
    # a forms.BoundFunction: which parameters are bound, and the signature left
    return id(fn.__code__), id(fn.__globals__), tuple(called), getattr(fn, "shape", None)


def _by_identity(value) -> bool:
    """Whether a derivative is built for this very object in a cell, not any of its type:
    a function (which it calls), an object (whose methods it may call: `self.forward`);
    not numbers, strings, arrays and containers, which the generated code reads as it runs."""
    return callable(value) or not isinstance(value, _DATA)


_DATA = (int, float, complex, str, bytes, type(None), numpy.ndarray, numpy.generic, list, tuple, dict,
         set, frozenset)


def _current(found, fn) -> bool:
    """Whether the derivative `found` still matches what `fn` would run."""
    return watch.of(found, fn).current()


def compiled_of(code):
    """The `codegen.Compiled` that holds the generated code object `code`, or None."""
    found = _GENERATED.get(id(code))
    return found if found is not None and code in found.codes else None


def compiled(fn, options: Options):
    """The `codegen.Compiled` derivative of `fn` for `options`, built at most once."""
    global compile_count
    key = _key(fn)
    code = fn.__code__
    entry = identity.lookup(_CACHE, key, code)
    if entry is not None and options in entry and _current(entry[options], fn):
        return entry[options]
    with _LOCK:
        entry = identity.lookup(_CACHE, key, code)
        if entry is None:
            entry = identity.store(_CACHE, key, code, {})
        if options not in entry or not _current(entry[options], fn):
            building = getattr(_BUILDING, "codes", None)
            if building is None:
                building = _BUILDING.codes = set()
            if code in building:
                raise Recursion(code)
            building.add(code)
            # A build allocates tens of thousands of tree nodes, freed by reference
            # counting (trees have no cycles): the cycle collector's passes over every
            # live object during it would only cost time (0.6 ms a build, at times 5).
            collecting = gc.isenabled()
            gc.disable()
            try:
                entry[options] = compiler.derive(fn, options, compile=_compile_callee)
            finally:
                building.discard(code)
                if collecting:
                    gc.enable()
            for generated in entry[options].codes:
                _GENERATED[id(generated)] = entry[options]
            compile_count += 1
        return entry[options]


def _compile_callee(fn, options):
    """How a derivative compiles the user functions it calls: through this cache (looked
    up at each call, so a hook on `cache.compiled`, as tests/snapshot.py sets, sees them)."""
    return compiled(fn, options)
