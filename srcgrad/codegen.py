"""From gast to Python source text, and from text to a live function.

The text is the truth: it is what `source()` shows, what is compiled, and
what `linecache` serves to tracebacks and pdb. It comes from gast's
unparser (`unparse.py`, which writes its text faster) run on the gast tree
itself (no copy, no conversion to `ast`); this is the only module that turns
whole functions into text.

Generated functions see the user's module globals (live) and the user's
closure cells; srcgrad's helpers reach them as extra closure cells. To get
such a function, the text wraps it in a factory whose parameters are the
free names; the factory is never called: its inner code object is bound
with `types.FunctionType` to the real cells.
"""
from __future__ import annotations

import itertools
import linecache
import re
import threading
import types
import weakref

import gast

from . import nodes
from .unparse import function_lines, unparse

_COMMENT_MARKER = "__srcgrad_comment__"  # a comment is unparsed as `__srcgrad_comment__(7)`
_COMMENT = re.compile(r"^(\s*)" + _COMMENT_MARKER + r"\((.*)\)\s*$")
_serial = itertools.count(1)


def to_source(fn_node, note=None) -> str:
    """Readable source text of a gast function definition, comments restored."""
    return to_sources(fn_node, note)[0 if note is None else 1]


def to_sources(fn_node, note=None) -> tuple[str, str]:
    """(plain text, annotated text) of a function from one unparse.

    With `note` (line number -> original source line), every simple statement
    of the annotated text also ends in `# line N: <original>`: it has exactly
    the same lines as the plain one, and is what tracebacks and pdb show.

    The tree is not copied: the fast printer writes the comments and notes as it
    goes (`unparse.function_lines`); for gast's own, comment markers and note
    markers are put in place for the unparse and taken out again afterwards.
    """
    if not hasattr(fn_node, "lineno"):
        fn_node.lineno = None
    printed = function_lines(fn_node, note)
    return printed if printed is not None else _marked_sources(fn_node, note)


def _marked_sources(fn_node, note=None) -> tuple[str, str]:
    """`to_sources` through gast's printer: the tree marked for it (`_mark`), its text
    taken apart line by line."""
    comments: list[str] = []
    notes: list[str] = []
    undo: list = []  # (node, field, original value), restored in reverse order
    try:
        _mark(fn_node, note, comments, notes, undo, noted=note is not None)
        text = unparse(fn_node)
    finally:
        for node, field, value in reversed(undo):
            setattr(node, field, value)
    plain, annotated = [], []
    for line in text.splitlines():
        if _MARKER in line:
            match = _COMMENT.match(line)
            if match:
                line = f"{match.group(1)}# {comments[int(match.group(2))]}"
            else:
                noted = _NOTE.match(line)
                if noted:
                    annotated[-1] += f"  # {notes[int(noted.group(1))]}"
                    continue
        plain.append(line)
        annotated.append(line)
    return "\n".join(plain) + "\n", "\n".join(annotated) + "\n"


_MARKER = "__srcgrad_"
_NOTE_MARKER = "__srcgrad_note_"  # a bare name, `__srcgrad_note_7__`: cheap to unparse
_NOTE = re.compile(r"^\s*" + _NOTE_MARKER + r"(\d+)__\s*$")
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_NOTED = (gast.Assign, gast.Expr, gast.Return)


def _mark(node, note, comments: list, notes: list, undo: list, noted: bool) -> None:
    """Prepare the statements below `node` for unparsing, recording each change in `undo`.

    A comment marker's text is swapped for its index in `comments`; with
    `noted`, a note marker follows each simple statement (in the function's
    body and in if/for/while blocks) that has a line number. A block of nothing
    but comments also gets a `pass`. Statements built without a position get
    `lineno = None`, which the unparser reads.
    """
    for field in _BLOCKS:
        stmts = getattr(node, field, None)
        if not stmts or not isinstance(stmts, list):
            continue
        out = [] if noted or any(s.__class__ is nodes.Comment for s in stmts) else None
        for stmt in stmts:
            if stmt.__class__ is nodes.Comment:  # unparsed as a call, printed as `# text`
                comments.append(stmt.text)
                marker = gast.Expr(value=gast.Call(func=nodes.name(_COMMENT_MARKER),
                                                   args=[nodes.const(len(comments) - 1)], keywords=[]))
                marker.lineno = None
                out.append(marker)
                continue
            if not hasattr(stmt, "lineno") and isinstance(stmt, gast.stmt):
                stmt.lineno = None
            if out is not None:
                out.append(stmt)
            inner_noted = noted and isinstance(stmt, (gast.If, gast.For, gast.While))
            if hasattr(stmt, "body") or hasattr(stmt, "handlers") or hasattr(stmt, "cases"):
                _mark(stmt, note, comments, notes, undo, inner_noted)
                continue
            if noted and isinstance(stmt, _NOTED):
                line = stmt.lineno
                text = note(line) if line else None
                if text:
                    notes.append(f"line {line}: {text}")
                    marker = gast.Expr(value=nodes.name(f"{_NOTE_MARKER}{len(notes) - 1}__"))
                    marker.lineno = None
                    out.append(marker)
        if all(nodes.is_comment(stmt) for stmt in stmts):  # a comment is no statement
            out = (out if out is not None else list(stmts)) + [gast.Pass()]
            out[-1].lineno = None
        if out is not None:
            undo.append((node, field, stmts))
            setattr(node, field, out)


def statement_text(stmt) -> str:
    """One statement as a single line of source, for messages."""
    undo: list = []
    holder = nodes.module([stmt])
    if not hasattr(stmt, "lineno"):
        stmt.lineno = None
    try:
        _mark(holder, None, [], [], undo, noted=False)
        return " ".join(gast.unparse(stmt).split())
    finally:
        for node, field, value in reversed(undo):
            setattr(node, field, value)


_BY_FILE: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()  # filename -> Compiled
_LINE_NOTE = re.compile(r"#\s*(?:backward of )?line (\d+): ")


def user_location(filename: str, lineno: int):
    """(the user's file, line) a line of generated code comes from, or None.

    Each generated line notes the line it was made for (`# line 4: ...`,
    `# backward of line 4: ...` above a block); a generated line made from
    generated code notes both, the user's last. Lines without a note (a restore)
    belong to the nearest noted line above them.
    """
    compiled = _BY_FILE.get(filename)
    if compiled is None:
        return None
    origin = compiled.origin
    while origin is not None and origin in _BY_FILE:
        origin = _BY_FILE[origin].origin
    if origin is None:
        return None
    lines = linecache.getlines(filename)
    for line in reversed(lines[:lineno]):
        found = _LINE_NOTE.findall(line)
        if found:
            return origin, int(found[-1])
    return None


class Compiled:
    """Generated functions' text and code, ready to be bound per function object.

    `names` lists the generated functions: one for a joint derivative, two
    (forward, backward) for a split pair. `twin`, when given, is a function
    the first one calls only now and then (a fast path's NaN-safe twin,
    `optimize.fastpath.Twin`): its `name`; `make()`, its (plain, annotated)
    text, compiled the first time it is called or shown; and `cell(compiled,
    fn)`, the closure cell that stands for it until then.
    """

    def __init__(self, names: list[str], source: str, free: list[str], helpers: dict,
                 annotated: str | None = None, twin=None):
        self.names = list(names)
        self.name = self.names[0]
        self._source = source
        self._annotated = annotated or source  # the same lines, each noting its origin
        self.helpers = helpers  # free name -> object provided by srcgrad
        self.free = free
        self._twin = twin
        self._twin_compiled = None
        self.filename = f"<srcgrad {self.name} #{next(_serial)}>"
        self.origin = None  # the file the notes' line numbers refer to (see `user_location`)
        self.made = None  # the keys of a record gradient proved new memory (srcgrad/fresh.py)
        self.fresh = False  # returns a new list of Python floats as long as its one argument
        _BY_FILE[self.filename] = self
        cells = free + [twin.name] if twin is not None else free
        wrapper = _factory(cells, self._annotated, self.names)
        self.text = wrapper
        module = compile(wrapper, self.filename, "exec")
        factory = next(c for c in module.co_consts if isinstance(c, types.CodeType))
        codes = {c.co_name: c for c in factory.co_consts if isinstance(c, types.CodeType)}
        self.codes = [codes[n] for n in self.names]
        self.code = self.codes[0]
        lines = wrapper.splitlines(keepends=True)
        linecache.cache[self.filename] = (len(wrapper), None, lines, self.filename)
        # The text lives as long as this derivative: a function that is gone frees it.
        weakref.finalize(self, linecache.cache.pop, self.filename, None)

    @property
    def source(self) -> str:
        twin = self.twin()
        return self._source if twin is None else f"{self._source}\n\n{twin.source}"

    @property
    def annotated(self) -> str:
        twin = self.twin()
        return self._annotated if twin is None else f"{self._annotated}\n\n{twin.annotated}"

    def shown(self, annotate: bool = False, nan_safe: bool = False) -> str:
        """The text `srcgrad.source` shows: the generated functions (`annotate`: each
        statement noting its original line); a fast path's NaN-safe twin only with
        `nan_safe`, else one comment naming it (so the twin is not even built)."""
        if self._twin is None or nan_safe:
            return self.annotated if annotate else self.source
        name = self._twin.name
        return (f"{self._annotated if annotate else self._source}\n# {name}: the same with NaN guards "
                f"(0 * inf stays 0); source(..., nan_safe=True) shows it\n")

    def twin(self) -> "Compiled | None":
        """The twin's own Compiled, built on first use (None if there is no twin)."""
        if self._twin is None:
            return None
        with _TWIN_LOCK:
            if self._twin_compiled is None:
                plain, noted = self._twin.make()
                self._twin_compiled = Compiled([self._twin.name], plain, self.free, self.helpers, noted)
        return self._twin_compiled

    def bind(self, fn):
        """Live function(s) for the user's function object `fn` (a tuple for a pair)."""
        user_cells = getattr(fn, "cells", None)
        if user_cells is None:
            user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        twin_name = self._twin.name if self._twin is not None else None
        out = []
        for name, code in zip(self.names, self.codes):
            cells = tuple(user_cells[n] if n in user_cells else self._twin.cell(self, fn)
                          if n == twin_name else types.CellType(self.helpers[n])
                          for n in code.co_freevars)
            defaults = fn.__defaults__ if code is self.code else None
            bound = types.FunctionType(code, fn.__globals__, name, defaults, cells)
            if code is self.code:
                bound.__kwdefaults__ = fn.__kwdefaults__
            out.append(bound)
        return out[0] if len(out) == 1 else tuple(out)


_TWIN_LOCK = threading.Lock()


def _factory(cells: list, text: str, names: list) -> str:
    """The text `Compiled` compiles: `text` (the generated functions) indented in a
    factory taking the free names `cells` and returning the functions `names`. (The
    body is indented as textwrap.indent does it, without its generator: a line of
    nothing but whitespace is left as it is.)"""
    body = "".join(["    " + line if line.strip() else line for line in text.splitlines(True)])
    return f"def _srcgrad_factory({', '.join(cells)}):\n{body}    return {', '.join(names)}\n"
