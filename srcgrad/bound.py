"""Generated functions bound to the function they differentiate, per call kind.

`jvp`, and the transforms of derivatives in `compose`, keep one table each:
function -> {Options: (Compiled, bound generated function, watch check)}. A
lookup binds once, and again after a helper or rule the derivative was built
from changed (see `watch`). Its own module so that `api` and `compose` share
it without importing each other.
"""
from __future__ import annotations

import weakref

from . import cache, watch

JVP_BOUND: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # jvp's table


def bound_for(table, fun, options, backend: str = "python") -> tuple:
    """(the Compiled derivative of `fun` for `options`, bound to `fun`; with backend
    "numba" or "auto", the function numba compiled, see `native.bind`)."""
    per_fun = table.setdefault(fun, {})
    key = options if backend == "python" else (options, backend)
    found = per_fun.get(key)
    if found is None or (found[2] is not None and not found[2]()):
        if backend == "python":
            compiled = cache.compiled(fun, options)
            found = per_fun[key] = (compiled, compiled.bind(fun), watch.of(compiled, fun).check())
        else:
            from . import native

            found = per_fun[key] = native.bind(fun, options, backend)[:3]
    return found[0], found[1]
