"""srcgrad's numba helpers as one module, shared by every derivative module of the process.

numba compiles a function once for each set of argument types, and caches the
machine code per function. A derivative module that carried its own copies of
the helpers (as an exported one does) would compile them again, helper by
helper: `_take_axis` of a 3-D array and a 2-D index takes about ten seconds of
CPU, a `prod` adjoint seven, and `grad` and `jvp` of one function would each
pay them. So in this process the numba backend writes the helpers once, as a
module of their own (every runtime helper of `helpers/` and `numerics`, with
the private functions they call and the stand-in error class), loads it like a
derivative module (`loader`: a file in the cache directory, numba's disk cache
beside it), and each derivative module imports from it
(`from _srcgrad_native_srcgrad_helpers_<digest> import _unreduce`). A helper
compiled for some argument types serves every derivative after it, in this
process and, through numba's disk cache, in the next.

The module's name carries the digest of its text, so a derivative module's
text (and with it numba's cache of the derivative, whose machine code has the
helpers it calls linked in) changes whenever a helper does.

`srcgrad export --backend numba` still copies the helpers it needs: an
exported module runs without srcgrad.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

_LOCK = threading.Lock()
_MADE: list = []  # the Library, once made


@dataclass(frozen=True)
class Library:
    """The loaded helpers module: its name in `sys.modules`, the name each helper
    object (by id) has in it, and the classes its helpers raise."""

    module_name: str
    names: dict
    error: type  # the stand-in SrcGradError
    limits: tuple  # numerics' BeyondInt64 and NotHeld
    alive: tuple  # the objects `names` is keyed by (their ids stay theirs)


def library() -> Library:
    """The helpers module of this process, written and loaded at the first call."""
    if _MADE:
        return _MADE[0]
    with _LOCK:
        if not _MADE:
            _MADE.append(_make())
    return _MADE[0]


def _make() -> Library:
    import inspect

    from ..export.exporter import _STANDIN, _Exporter
    from . import helpers, loader, numerics

    exporter = _Exporter(None, "srcgrad's numba helpers", native=True)
    error = exporter.resolve(_STANDIN, "_SrcGradError")
    for name in sorted(helpers.NAMES):
        exporter.resolve(getattr(helpers, name), name)
    for name, obj in sorted(vars(numerics).items()):
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == numerics.__name__:
            exporter.resolve(obj, name)
    text = exporter.render('"""srcgrad\'s numba helpers: the module every derivative module of a '
                           'process imports from (srcgrad/native/library.py)."""\n')
    module = loader.load(text, "helpers")
    limits = tuple(getattr(module, exporter.by_id[id(cls)]) for cls in (numerics.BeyondInt64, numerics.NotHeld))
    return Library(module.__name__, dict(exporter.by_id), getattr(module, error), limits, tuple(exporter.alive))
