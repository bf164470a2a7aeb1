"""Where the exporter finds what it copies: the objects a generated function
reads (its closure cells, a fast path's deferred twin compiled on the way),
the text of a generated function, and the import path of a package's object.
"""
from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
import weakref

from .. import cache, nodes
from ..optimize.fastpath import DeferredTwin
from ..errors import SrcGradError


def _cells(fn) -> dict:
    out = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
        else:
            if isinstance(out[name], DeferredTwin):  # a fast path's twin, not compiled yet
                twin = out[name].compiled.twin()
                out[name] = twin.bind(out[name].fn)
                _TWINS[out[name].__code__] = twin  # its plain text, for `_generated_text`
    return out


_TWINS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # twin code -> its Compiled


def _lookup(name: str, cells: dict, globals_: dict):
    if name in cells:
        return True, cells[name]
    if name in globals_:
        return True, globals_[name]
    return False, None


def _generated_text(fn) -> str:
    """The source of one generated function, from the Compiled that made it."""
    code = fn.__code__
    compiled = cache.compiled_of(code) or _TWINS.get(code)
    if compiled is not None:
        tree = nodes.parse_ast(compiled.source)
        lines = compiled.source.splitlines(keepends=True)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == code.co_name:
                return "".join(lines[node.lineno - 1:node.end_lineno])
    try:  # not in the cache (it was cleared): linecache still has the text
        return textwrap.dedent(inspect.getsource(code))
    except (OSError, TypeError):
        raise SrcGradError(f"cannot find the generated source of {code.co_name}") from None


def _import_location(obj, exclude_dir: str | None = None):
    """(module, attribute) from which `obj` can be imported, preferring public short
    paths; never a module of the user's own directory (it may import srcgrad)."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    declared = getattr(obj, "__module__", None)
    candidates = [declared] if isinstance(declared, str) else []
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name == "__main__" or module_name.startswith("srcgrad"):
            continue
        if any(part.startswith("_") for part in module_name.split(".")):
            continue
        if getattr(module, "__dict__", {}).get(name) is obj:
            candidates.append(module_name)

    def usable(module_name):
        module = sys.modules.get(module_name)
        if module is None or getattr(module, name, None) is not obj or module_name == "__main__":
            return False
        if any(p.startswith("_") for p in module_name.split(".")) or module_name.startswith("srcgrad"):
            return False
        filename = getattr(module, "__file__", None)
        return not (exclude_dir and filename
                    and os.path.dirname(os.path.abspath(filename)) == exclude_dir)

    public = sorted({c for c in candidates if usable(c)},
                    key=lambda c: (c != declared, c.count("."), c))
    return (public[0], name) if public else None
