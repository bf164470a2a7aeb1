"""Whether the source text srcgrad reads is the text Python compiled a function from.

A module edited after it was imported runs its old code while the file (and
`linecache`, once it notices) holds the new text: differentiating the text
would give the derivative of code that does not run. The check compiles the
file's text as Python compiled the module (once per file version) and
compares the code object found at the function's first line with the one
that runs: bytecode, names, constants, nested code. It runs when a function
is first parsed, never on a call.

Text that is not a file on disk (`<stdin>`, notebook cells, srcgrad's own
generated code) cannot be edited behind Python's back and is not checked. A
module whose importer rewrites code (pytest's assertion rewriting) is
compared leniently: the rewritten code may hold more names and constants
than the text, never fewer or others.
"""
from __future__ import annotations

import importlib.machinery
import os
import sys
import types

from . import identity
from .errors import SrcGradError



def matches(fn, filename: str, file_lines: list) -> bool:
    """Whether `file_lines` (the text of `filename`) compile to the code `fn` runs."""
    if filename.startswith("<") or not os.path.isfile(filename):
        return True
    module = _module_code(filename, file_lines)
    if module is None:
        return True  # not plain Python (a notebook cell with magics): nothing to compare with
    code = fn.__code__
    found = _find(module, code.co_name, code.co_firstlineno)
    lenient = _rewritten(fn)
    if len(found) > 1 and hasattr(code, "co_positions"):
        # several lambdas on one line: the one at the same columns (Python 3.11+; an
        # importer that rewrites code may have moved them)
        positions = list(code.co_positions())
        same_place = [c for c in found if list(c.co_positions()) == positions]
        found = same_place if same_place or not lenient else found
    return any(_same(c, code, lenient) for c in found)


def edited(fn, filename: str) -> SrcGradError:
    """The error for a function whose file changed after Python compiled it."""
    return SrcGradError(
        f"the source of {fn.__qualname__} in {filename} is not the code Python runs: the file "
        "was edited after the module was imported",
        hint="re-import the module (importlib.reload) or restart the interpreter, so that "
             "the code that runs is the code on disk")


def _compile(filename: str, file_lines: list):
    """The module code of a file's text, or None when it does not compile."""
    try:
        return compile("".join(file_lines), filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


_module_code = identity.PerText(_compile).get  # compiled once per version of the text


def _find(code, name: str, first: int) -> list:
    """The code objects named `name` starting at line `first`, nested anywhere in `code`
    (several for lambdas on one line)."""
    out = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == first:
                out.append(const)
            out += _find(const, name, first)
    return out


def _rewritten(fn) -> bool:
    """Whether `fn`'s module was loaded by something other than Python's own source
    loader (which compiles the text as it is)."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    loader = getattr(module, "__loader__", None)
    return type(loader) not in (importlib.machinery.SourceFileLoader, type(None))


_FIELDS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_freevars", "co_cellvars")


def _same(text_code, running, lenient: bool) -> bool:
    if any(getattr(text_code, f) != getattr(running, f) for f in _FIELDS):
        return False
    if text_code.co_code == running.co_code and text_code.co_names == running.co_names \
            and text_code.co_varnames == running.co_varnames:
        return _same_constants(text_code.co_consts, running.co_consts, lenient)
    if not lenient:
        return False
    # rewritten: every name and constant of the text is still there
    return set(text_code.co_names) <= set(running.co_names) \
        and set(text_code.co_varnames) <= set(running.co_varnames) \
        and {_constant_key(c) for c in text_code.co_consts if not isinstance(c, types.CodeType)} \
        <= {_constant_key(c) for c in running.co_consts if not isinstance(c, types.CodeType)}


def _same_constants(a: tuple, b: tuple, lenient: bool) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, types.CodeType) or isinstance(y, types.CodeType):
            if not (isinstance(x, types.CodeType) and isinstance(y, types.CodeType)
                    and _same(x, y, lenient)):
                return False
        elif _constant_key(x) != _constant_key(y):
            return False
    return True


def _constant_key(c):
    """A comparable stand-in for a constant (NaN equal to NaN, 1 unequal to 1.0 and True)."""
    return type(c), repr(c)
