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
compile_count = 0  # how many derivatives were built (for tests of the cache)


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
            entry[options] = compiler.derive(fn, options)
            compile_count += 1
        return entry[options]
