"""From gast to Python source text, and from text to a live function.

The text is the truth: it is what `source()` shows, what is compiled, and
what `linecache` serves to tracebacks and pdb. astor is used here only, so
a move to `ast.unparse` touches this file alone.

Generated functions see the user's module globals (live) and the user's
closure cells; srcgrad's helpers reach them as extra closure cells. To get
such a function, the text wraps it in a factory whose parameters are the
free names; the factory is never called: its inner code object is bound
with `types.FunctionType` to the real cells.
"""
from __future__ import annotations

import ast
import itertools
import linecache
import re
import textwrap
import types
import weakref

import astor
import gast

from . import nodes

_COMMENT = re.compile(r"^(\s*)" + nodes.COMMENT_MARKER + r"\((.*)\)\s*$")
_serial = itertools.count(1)


def to_source(fn_node, note=None) -> str:
    """Readable source text of a gast function definition, comments restored."""
    return to_sources(fn_node, note)[0 if note is None else 1]


def to_sources(fn_node, note=None) -> tuple[str, str]:
    """(plain text, annotated text) of a function from one unparse.

    With `note` (line number -> original source line), every simple statement
    of the annotated text also ends in `# line N: <original>`: it has exactly
    the same lines as the plain one, and is what tracebacks and pdb show.
    """
    fn_node = nodes.clone(fn_node)
    comments: list[str] = []
    for node in gast.walk(fn_node):
        if nodes.is_comment(node):
            comments.append(node.value.args[0].value)
            node.value.args[0] = nodes.const(len(comments) - 1)
    notes: list[str] = []
    if note is not None:
        _add_notes(fn_node, note, notes)
    tree = gast.gast_to_ast(nodes.module([fn_node]))
    ast.fix_missing_locations(tree)
    text = astor.to_source(tree, indent_with=" " * 4)
    plain, annotated = [], []
    for line in text.splitlines():
        match = _COMMENT.match(line)
        noted = _NOTE.match(line)
        if match:
            line = f"{match.group(1)}# {comments[int(match.group(2))]}"
        elif noted:
            annotated[-1] += f"  # {notes[int(noted.group(1))]}"
            continue
        plain.append(line)
        annotated.append(line)
    return "\n".join(plain) + "\n", "\n".join(annotated) + "\n"


_NOTE_MARKER = "__srcgrad_note__"
_NOTE = re.compile(r"^\s*" + _NOTE_MARKER + r"\((\d+)\)\s*$")


def _add_notes(node, note, notes: list) -> None:
    """After each simple statement with a line number, a marker for its note."""
    for field in ("body", "orelse"):
        stmts = getattr(node, field, None)
        if not isinstance(stmts, list):
            continue
        out = []
        for stmt in stmts:
            out.append(stmt)
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                _add_notes(stmt, note, notes)
                continue
            line = getattr(stmt, "lineno", None)
            text = note(line) if line and not nodes.is_comment(stmt) and \
                isinstance(stmt, (gast.Assign, gast.Expr, gast.Return)) else None
            if text:
                notes.append(f"line {line}: {text}")
                out.append(nodes.expr_stmt(gast.Call(func=nodes.name(_NOTE_MARKER),
                                                     args=[nodes.const(len(notes) - 1)], keywords=[])))
        setattr(node, field, out)


def statement_text(stmt) -> str:
    """One statement as a single line of source, for messages."""
    tree = gast.gast_to_ast(nodes.module([nodes.clone(stmt)]))
    ast.fix_missing_locations(tree)
    return " ".join(astor.to_source(tree).split())


class Compiled:
    """Generated functions' text and code, ready to be bound per function object.

    `names` lists the generated functions: one for a joint derivative, two
    (forward, backward) for a split pair.
    """

    def __init__(self, names: list[str], source: str, free: list[str], helpers: dict,
                 annotated: str | None = None):
        self.names = list(names)
        self.name = self.names[0]
        self.source = source
        self.annotated = annotated or source  # the same lines, each noting its origin
        self.helpers = helpers  # free name -> object provided by srcgrad
        self.filename = f"<srcgrad {self.name} #{next(_serial)}>"
        wrapper = f"def _srcgrad_factory({', '.join(free)}):\n" \
                  f"{textwrap.indent(self.annotated, '    ')}    return {', '.join(self.names)}\n"
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

    def bind(self, fn):
        """Live function(s) for the user's function object `fn` (a tuple for a pair)."""
        user_cells = getattr(fn, "cells", None)
        if user_cells is None:
            user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        out = []
        for name, code in zip(self.names, self.codes):
            cells = tuple(user_cells[n] if n in user_cells else types.CellType(self.helpers[n])
                          for n in code.co_freevars)
            defaults = fn.__defaults__ if code is self.code else None
            bound = types.FunctionType(code, fn.__globals__, name, defaults, cells)
            if code is self.code:
                bound.__kwdefaults__ = fn.__kwdefaults__
            out.append(bound)
        return out[0] if len(out) == 1 else tuple(out)
