"""What a pullback reads besides its tape: the globals and closure variables of
the backward function, as they were when `vjp` ran.

The tape holds the values the forward sweep computed; the backward sweep reads
the function's globals and closure variables (`WEIGHTS`, `SCALE`) when the
pullback runs. Rebound in between (a notebook cell, `SCALE = 5.0`), they would
combine a tape of one state with the weights of another: the gradient of
neither. So `vjp` notes what they are bound to, and the pullback refuses to run
when one is bound to another object. (A global array changed in place is not
seen: see docs/supported-language.md.)
"""
from __future__ import annotations

import dis
import types
import weakref

from .errors import SrcGradError

_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # code -> the globals it loads

# what names no data: a module, a function or a class is looked up, not computed with
_NOT_DATA = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def snapshot(fn) -> tuple:
    """((global name, value), ...), ((cell, value), ...): what `fn` reads besides its
    arguments, as it is bound now."""
    names = _NAMES.get(fn.__code__)
    if names is None:
        names = _NAMES[fn.__code__] = tuple(sorted(
            {i.argval for i in dis.get_instructions(fn.__code__) if i.opname == "LOAD_GLOBAL"}))
    missing = object()
    read = []
    for name in names:
        value = fn.__globals__.get(name, missing)
        if value is not missing and not isinstance(value, _NOT_DATA):
            read.append((name, value))
    cells = []
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if not isinstance(value, _NOT_DATA) and not callable(value):
            cells.append((name, cell, value))
    return tuple(read), tuple(cells)


def check(fn, seen: tuple) -> None:
    """Raise SrcGradError where a global or closure variable `fn` reads is bound to
    another object than it was at `snapshot(fn)` (`seen`)."""
    read, cells = seen
    globals_ = fn.__globals__
    for name, value in read:
        if globals_.get(name) is not value:
            _changed(name)
    for name, cell, value in cells:
        try:
            now = cell.cell_contents
        except ValueError:
            now = None
        if now is not value:
            _changed(name)


def _changed(name: str):
    raise SrcGradError(
        f"{name!r} is bound to another value than when vjp ran: the pullback would combine "
        "the tape of one state with the other, which is the gradient of neither",
        hint=f"call srcgrad.vjp again after changing {name}, or pass it to the function as an argument")
