"""From a function object to its syntax tree and the names it can see.

Reads the source with `inspect`, dedents it, parses it with gast, and shifts
line numbers back to the file's so that errors and comments point at the
user's real lines. Never runs user code.
"""
from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
import threading
import types
from dataclasses import dataclass

import gast

from . import identity, lambdas, nodes, staleness
from .errors import Location, SourceInfo, SrcGradError


@dataclass
class ParsedFunction:
    """A parsed function: its `def` node, where it came from, what it can see."""

    fn: object
    tree: object  # gast.FunctionDef, decorators removed
    source: SourceInfo  # the whole file's lines, for errors and comments
    namespace: dict  # globals, then closure cells, over builtins (read-only view)
    closure: dict  # free variable name -> cell

    @property
    def name(self) -> str:
        return self.tree.name

    def line(self, lineno: int) -> str:
        lines = self.source.lines
        return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _drop_deletes(stmts: list) -> list:
    """srcgrad's own code (a gradient differentiated again, for hvp) frees its
    temporaries with `del`; that only returns memory early, so it goes."""
    kept = [s for s in stmts if not isinstance(s, gast.Delete)]
    for stmt in kept:
        nodes.map_blocks(stmt, _drop_deletes)
    return kept or [gast.Pass()]


def parse(fn, fresh: bool = True) -> ParsedFunction:
    """Parse `fn`; SrcGradError when it has no readable Python source.

    `fresh=False` hands out the tree kept for later parses of `fn` itself, not a
    copy: for a caller that only reads it (the fence at `grad()` time)."""
    if isinstance(getattr(fn, "parsed", None), ParsedFunction):  # a lifted def, a forms.BoundFunction
        return fn.parsed
    # A functools.wraps decorator sets `__wrapped__`, but its wrapper is what runs and
    # may change the value (double it, negate it): the wrapper is differentiated, its
    # reference to the wrapped function being a call like any other.
    if inspect.ismethod(fn):
        owner = type(fn.__self__).__name__
        raise SrcGradError(
            f"cannot differentiate the bound method {owner}.{fn.__func__.__name__}: its "
            "object is not an argument, so gradients could not reach it",
            hint=f"differentiate the function and pass the object: "
                 f"grad({owner}.{fn.__func__.__name__}, wrt=1)(obj, x)")
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        try:
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError):
            lines, first = [""], fn.__code__.co_firstlineno
        line = next((l for l in lines if l.lstrip().startswith("async def")), lines[0]).rstrip("\n")
        where = Location(inspect.getsourcefile(fn) or fn.__code__.co_filename,
                         first + lines.index(line + "\n") if line + "\n" in lines else first,
                         len(line) - len(line.lstrip()), line)
        raise SrcGradError(f"an async function ({fn.__qualname__}) is not supported", where,
                           hint="differentiate a synchronous function; await has no derivative")
    if not inspect.isfunction(fn):
        if hasattr(fn, "__wrapped__"):
            raise SrcGradError(
                f"cannot differentiate {fn!r}: it wraps {fn.__wrapped__!r}, but the wrapper "
                "that runs is not a Python function, so what it does to the value is unknown",
                hint="differentiate the undecorated function, or register a rule for the "
                     "wrapper with srcgrad.defvjp")
        raise SrcGradError(
            f"cannot differentiate {fn!r}: it is not a Python function with source",
            hint="builtins and C functions have no source; register a rule with "
                 "srcgrad.defvjp, or differentiate a Python function that calls it")
    tree, source = _syntax(fn, fresh)
    closure = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    namespace = _Namespace(fn.__globals__, closure)
    return ParsedFunction(fn, tree, source, namespace, closure)


def signature(fn) -> inspect.Signature:
    """The signature of what srcgrad differentiates: a Python function's own (a
    functools.wraps wrapper's, not the wrapped function's), any other callable's
    as inspect gives it."""
    return inspect.signature(fn, follow_wrapped=not inspect.isfunction(fn))


# id(code) -> (weak reference to the code, (pristine tree, SourceInfo)). A function
# is parsed by `grad()` and again by the compiler at its first call: the second
# time (and for every further derivative of it) the tree is copied, not re-read.
_PARSED: dict = {}
_PARSED_LOCK = threading.Lock()


def _syntax(fn, fresh: bool = True) -> tuple:
    """A fresh copy of `fn`'s `def` tree (line numbers the file's; unless not `fresh`,
    the kept tree itself), and its SourceInfo."""
    code = fn.__code__
    found = identity.lookup(_PARSED, id(code), code)
    if found is None:
        found = _read(fn)
        with _PARSED_LOCK:
            identity.store(_PARSED, id(code), code, found)
    tree, source = found
    return (nodes.clone(tree) if fresh else tree), source


def kept(parsed: ParsedFunction) -> bool:
    """Whether `parsed` holds the tree kept for its function's code (`parse(fresh=False)`'s,
    which nothing changes)."""
    code = getattr(parsed.fn, "__code__", None)
    found = identity.lookup(_PARSED, id(code), code) if code is not None else None
    return found is not None and found[0] is parsed.tree


def _read(fn) -> tuple:
    """Read and parse `fn`'s source: its `def` tree and the file's lines.

    The text must be what Python compiled `fn` from (see staleness): when it is
    not, linecache may hold an older copy of the file, so it is read again once;
    a file edited after import is a SrcGradError.
    """
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    if lambdas.is_lambda(fn):
        tree, file_lines = lambdas.definition(fn, filename)
        if not staleness.matches(fn, filename, file_lines):
            linecache.checkcache(filename)
            tree, file_lines = lambdas.definition(fn, filename)
            if not staleness.matches(fn, filename, file_lines):
                raise staleness.edited(fn, filename)
        return tree, SourceInfo(filename, [l.rstrip("\n") for l in file_lines])
    tree, lines, first, file_lines = _read_text(fn, filename)
    if not staleness.matches(fn, filename, file_lines):
        linecache.checkcache(filename)
        tree, lines, first, file_lines = _read_text(fn, filename)
        if not staleness.matches(fn, filename, file_lines):
            raise staleness.edited(fn, filename)
    if filename.startswith("<srcgrad"):
        tree.body = _drop_deletes(tree.body)
    if not isinstance(tree, gast.FunctionDef):
        raise SrcGradError(f"{filename}:{first}: expected a `def`, found other code",
                           hint="define the function with `def`")
    tree.decorator_list = []
    # Column offsets are relative to the dedented text; restore the indent.
    indent = len(lines[0]) - len(lines[0].lstrip())
    if indent:
        for node in gast.walk(tree):
            if getattr(node, "col_offset", None) is not None:
                node.col_offset += indent
    return tree, SourceInfo(filename, [l.rstrip("\n") for l in file_lines])


def _read_text(fn, filename: str) -> tuple:
    """(`def` tree, its lines, its first line, the file's lines) as linecache has them."""
    found = _recorded_lines(fn, filename)
    tree = _parsed_def(found[0], found[1], fn.__code__.co_name) if found is not None else None
    if tree is None:  # no recorded positions, or they did not give the `def`: tokenize
        found = _inspected_lines(fn, filename)
        tree = _parsed_at(found[0], found[1])
    return (tree, *found)


def _recorded_lines(fn, filename: str):
    """(`fn`'s lines, its first line, the file's lines) from the positions its code
    records (Python 3.11+): what inspect.getsourcelines finds by tokenizing, without
    it. None where that is not available."""
    code = fn.__code__
    if not hasattr(code, "co_positions"):
        return None
    file_lines = linecache.getlines(filename)
    first, last = code.co_firstlineno, _last_line(code)
    if not file_lines or last is None or not first <= last <= len(file_lines):
        return None
    return file_lines[first - 1:last], first, file_lines


def _inspected_lines(fn, filename: str) -> tuple:
    """(`fn`'s lines, its first line, the file's lines) by inspect.getsourcelines."""
    try:
        lines, first = inspect.getsourcelines(fn.__code__)  # the code that runs, never __wrapped__
        file_lines = linecache.getlines(filename) or None
    except (OSError, TypeError) as err:
        raise SrcGradError(
            f"cannot read the source of {fn.__qualname__} ({filename}): {err}",
            hint="define the function in a file (a module or script), not in an "
                 "interactive session or through exec") from None
    if not file_lines or len(file_lines) < first - 1 + len(lines):
        file_lines = [""] * (first - 1) + lines
    return lines, first, file_lines


def _last_line(code) -> int | None:
    """The last source line any instruction of `code` (or of a code nested in it) spans."""
    ends = [end for _, end, _, _ in code.co_positions() if end is not None]
    ends += [_last_line(c) or 0 for c in code.co_consts if isinstance(c, type(code))]
    return max(ends) if ends else None


def _parsed_at(lines: list, first: int):
    """The first statement of `lines`, which start at line `first` of their file."""
    # Blank lines in front give every node its line number in the file.
    return nodes.parse("\n" * (first - 1) + textwrap.dedent("".join(lines))).body[0]


def _parsed_def(lines: list, first: int, name: str):
    """The `def` in `lines` (None if they do not parse as one named `name`)."""
    try:
        tree = _parsed_at(lines, first)
    except (SyntaxError, IndexError):
        return None
    return tree if isinstance(tree, gast.FunctionDef) and tree.name == name else None


class _Namespace(dict):
    """Name resolution as the function sees it: closure cells, globals, builtins."""

    def __init__(self, globals_: dict, closure: dict):
        super().__init__()
        self._globals = globals_
        self._closure = closure

    def lookup(self, ident: str):
        """The object `ident` refers to, or raise KeyError."""
        if ident in self._closure:
            try:
                return self._closure[ident].cell_contents
            except ValueError:  # an empty cell
                raise KeyError(ident) from None
        if ident in self._globals:
            return self._globals[ident]
        builtins_ = self._globals.get("__builtins__", builtins)
        builtins_ = builtins_ if isinstance(builtins_, dict) else vars(builtins_)
        return builtins_[ident]

    def __contains__(self, ident) -> bool:
        try:
            self.lookup(ident)
            return True
        except KeyError:
            return False

    def with_values(self, values: dict) -> "_Namespace":
        """This namespace with `values` ({name: object}) seen as closure variables."""
        return _Namespace(self._globals, {**self._closure,
                                          **{k: types.CellType(v) for k, v in values.items()}})

    def items_bound_to(self, obj) -> list[str]:
        """Global names bound to `obj` (for re-using the user's `np`)."""
        return [k for k, v in self._globals.items() if v is obj]


def is_module_path(namespace, path: str) -> bool:
    """Whether every name along `path` ("np.linalg") is a module."""
    head, *rest = path.split(".")
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return False
    for attr in [None] + rest:
        if attr is not None:
            obj = getattr(obj, attr, None)
        if not inspect.ismodule(obj):
            return False
    return True
