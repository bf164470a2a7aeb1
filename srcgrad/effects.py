"""Statements that run only in the forward sweep: reporting, never mutation.

`print`, `logging`, `warnings` and srcgrad's own checks run once with real
values; any other call whose result is discarded must not touch a value
being differentiated, since it could change it in place unseen.
"""
from __future__ import annotations

import gast

from . import nodes
from .errors import located


def check_forward_only(stmt, act, ctx) -> None:
    """Expression statements run in the forward sweep only; they may not hide an
    in-place change of a value being differentiated. print, logging and
    warnings calls are known to be harmless."""
    call = stmt.value
    path = nodes.dotted(call.func) if isinstance(call, gast.Call) else None
    if path is not None and _is_reporting(path, ctx):
        return
    touched = [n for n in nodes.loaded_names(stmt.value) if act.is_active(n)]
    if touched:
        raise located(ctx.source, stmt, f"a call whose result is discarded, on the "
                      f"differentiated value {touched[0]!r}",
                      "assign the result to a variable; use print or logging to report values")


def _is_reporting(path: str, ctx) -> bool:
    import logging
    import warnings

    head = path.split(".")[0]
    if ctx.is_local(head):
        return False
    try:
        obj = ctx.parsed.namespace.lookup(head)
    except KeyError:
        return False
    from . import runtime

    if obj is runtime.require_scalar or obj is runtime.check_finite:  # in generated code
        return True
    return obj is print or obj is logging or obj is warnings or isinstance(obj, logging.Logger)

