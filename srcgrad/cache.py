"""The compile cache: one compiled derivative per (code object, options).

Keyed weakly by the function's code object, so a redefined function (a new
code object) compiles afresh and a function that is gone frees its entry.
A lock makes concurrent first calls compile once.
"""
from __future__ import annotations

import threading
import weakref

from . import compiler

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()
_BUILDING = threading.local()  # (code, options) being compiled on this thread
compile_count = 0  # how many derivatives were built (for tests of the cache)


class Recursion(Exception):
    """A function's derivative needs itself: recursion through user calls."""


def compiled(fn, options: compiler.Options):
    """The `codegen.Compiled` derivative of `fn` for `options`, built at most once."""
    global compile_count
    code = fn.__code__
    entry = _CACHE.get(code)
    if entry is not None and options in entry:
        return entry[options]
    with _LOCK:
        entry = _CACHE.setdefault(code, {})
        if options not in entry:
            building = getattr(_BUILDING, "codes", None)
            if building is None:
                building = _BUILDING.codes = set()
            if code in building:
                raise Recursion(code)
            building.add(code)
            try:
                entry[options] = compiler.derive(fn, options)
            finally:
                building.discard(code)
            compile_count += 1
        return entry[options]
