"""Python's builtins that generated code calls itself, kept Python's own.

The compiler writes loops and sizes with builtins the user's code may never
name: `for _ in range(_n1)` (a backward loop), `[0.0] * len(x)` (a list's
gradient), `min(len(a), len(b))` (a `zip` loop's trip count), `slice(1, None)`
(an index kept for the backward sweep). Generated code runs in the user's
module, so a module that defines its own `range`, or imports NumPy's `min`
with `from numpy import *`, would change what those calls do.

Where the function itself never reads such a name, the generated code gets
the builtin as a closure variable of its own (`Context.helpers`), which a
global of the module cannot shadow. Where it does read it, the two meanings
would share one name in the generated code: that is refused, located, with a
hint, rather than differentiated with either meaning in the wrong place.
"""
from __future__ import annotations

import builtins

import gast

from .errors import located
from .watch import free_names

INTRODUCED = ("range", "len", "min", "slice")  # the builtins the compiler's own code calls


def keep_builtins(parsed, ctx) -> None:
    """Bind each of `INTRODUCED` that the function's namespace shadows to Python's own
    in `ctx.helpers`, or raise a located SrcGradError where the function reads it."""
    namespace, reads = parsed.namespace, None
    for name in INTRODUCED:
        own = getattr(builtins, name)
        try:
            if namespace.lookup(name) is own:
                continue
        except KeyError:  # deleted from the builtins: Python's own is still what is meant
            pass
        if reads is None:
            reads = free_names(parsed.tree)
        if name in reads:
            node = next(n for n in gast.walk(parsed.tree) if isinstance(n, gast.Name) and n.id == name)
            raise located(parsed.source, node,
                          f"`{name}` here is not Python's builtin (the module or an enclosing "
                          f"scope binds it), and srcgrad's generated code calls the builtin "
                          f"`{name}` itself",
                          f"give your `{name}` another name, or call `builtins.{name}` where "
                          f"the builtin is meant")
        ctx.helpers[name] = own
