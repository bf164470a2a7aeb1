"""Python's builtins that generated code calls itself, kept Python's own.

The compiler writes loops and sizes with builtins the user's code may never
name: `for _ in range(_n1)` (a backward loop), `[0.0] * len(x)` (a list's
gradient), `min(len(a), len(b))` (a `zip` loop's trip count), `slice(1, None)`
(an index kept for the backward sweep). Generated code runs in the user's
module, so a module that defines its own `range`, or imports NumPy's `min`
with `from numpy import *`, would change what those calls do.

Such a name gets the builtin as a closure variable of the generated code
(`Context.helpers`), which a global of the module cannot shadow. Where the
function reads the module's `min` itself (NumPy's, after the star import),
its reads are renamed (`min_`) and bound to that object the same way, so both
meanings reach the generated code under two names.

A parameter or local of the function with such a name would hide the builtin
from the generated code in its own scope: where the code the compiler writes
for this function may call it (a loop, a list, a `zip`, a slice), that is
refused, located, with a hint.
"""
from __future__ import annotations

import builtins
import dataclasses

import gast

from . import nodes
from .errors import located
from .watch import free_names

INTRODUCED = ("range", "len", "min", "slice")  # the builtins the compiler's own code calls


def keep_builtins(parsed, tree, names, kinds) -> tuple:
    """`(parsed, bindings)`: for each of `INTRODUCED` the function's namespace
    shadows, Python's own in `bindings` ({emitted name: object}, closure variables
    of the generated code), and the function's own reads of that name in `tree`
    renamed to a fresh name bound to the module's object (which `parsed` then
    sees). Raises a located SrcGradError for a parameter or local of such a name
    that generated code may need (see the module docstring)."""
    if any(names.taken(n) for n in INTRODUCED):  # (the tree's names: no walk where none is used)
        _check_locals(parsed, tree, kinds)
    bindings: dict = {}
    reads = None
    for name in INTRODUCED:
        own = getattr(builtins, name)
        try:
            theirs = parsed.namespace.lookup(name)
        except KeyError:  # deleted from the builtins: Python's own is still what is meant
            theirs = own
        if theirs is own:
            continue
        if reads is None:
            reads = free_names(tree)
        if name in reads:
            alias = names.claim(f"{name}_")
            for node in nodes.name_nodes(tree):
                if node.id == name and isinstance(node.ctx, gast.Load):
                    node.id = alias
            bindings[alias] = theirs
        bindings[name] = own
    if any(alias not in INTRODUCED for alias in bindings):
        seen = {a: v for a, v in bindings.items() if a not in INTRODUCED}
        parsed = dataclasses.replace(parsed, namespace=parsed.namespace.with_values(seen))
    return parsed, bindings


def _check_locals(parsed, tree, kinds) -> None:
    """Refuse a parameter or local named like a builtin the generated code will call."""
    bound = [a for a in tree.args.args + tree.args.kwonlyargs + tree.args.posonlyargs if a.id in INTRODUCED]
    bound += [n for n in nodes.name_nodes(tree.body) if n.id in INTRODUCED and not isinstance(n.ctx, gast.Load)]
    if not bound:
        return
    needed = _needed(tree, kinds)
    for node in bound:
        if node.id in needed:
            raise located(parsed.source, node,
                          f"`{node.id}` is a name of this function here, and the code srcgrad "
                          f"generates for it calls Python's builtin `{node.id}` ({needed[node.id]})",
                          f"give your `{node.id}` another name")


def _needed(tree, kinds) -> dict:
    """{builtin: why} for the builtins generated code may call for `tree`."""
    needed: dict = {}
    loops = nodes.of_class(tree, (gast.For, gast.While, gast.comprehension))
    if loops:
        needed["range"] = "its loops run backwards over a range"
    if any(k in ("numbers", "record", "container") for k in kinds) or any(
            not (isinstance(loop, (gast.For, gast.comprehension)) and isinstance(loop.iter, gast.Call)
                 and isinstance(loop.iter.func, gast.Name) and loop.iter.func.id == "range")
            for loop in loops if not isinstance(loop, gast.While)):
        needed["len"] = "loops over sequences, gradients of lists"
    if any(isinstance(loop.iter, gast.Call) and isinstance(loop.iter.func, gast.Name) and loop.iter.func.id == "zip"
           for loop in loops if not isinstance(loop, gast.While)):
        needed["min"] = "a zip loop's trip count"
    if nodes.of_class(tree, (gast.Slice,)):
        needed["slice"] = "slices kept for the backward sweep"
    return needed
