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


def bound_for(table, fun, options) -> tuple:
    """(the Compiled derivative of `fun` for `options`, bound to `fun`)."""
    per_fun = table.setdefault(fun, {})
    found = per_fun.get(options)
    if found is None or (found[2] is not None and not found[2]()):
        compiled = cache.compiled(fun, options)
        found = per_fun[options] = (compiled, compiled.bind(fun), watch.of(compiled, fun).check())
    return found[0], found[1]
