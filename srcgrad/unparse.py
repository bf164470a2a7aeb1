"""`gast.unparse`, the same text, faster for the nodes generated code is made of.

Printing a derivative is a tenth of its first build. gast's unparser (a port
of `ast.unparse`) wraps every operator and call in generator-based context
managers for its parentheses and finds each node's method by name. The
unparser here is gast's own, with the methods of the nodes that make up
nearly all of a derivative (names, numbers, arithmetic, calls, attributes,
subscripts, tuples, assignments, `del`, `return`) written without them. It
writes the same characters: the precedence rules are gast's, read from its
tables, and every other node is printed by gast's own method. A gast without
the internals it builds on is used as it is (`unparse` falls back).
"""
from __future__ import annotations

import gast

from . import nodes

try:
    from gast.unparser import _Precedence, _Unparser
except ImportError:  # pragma: no cover - a gast that reorganised its unparser
    _Unparser = None

__all__ = ["unparse", "function_lines"]


def unparse(node) -> str:
    """The source text of a gast tree, as `gast.unparse(node)` writes it, except that a
    negative number constant (folded from `-1.5`) is parenthesised where Python would
    read its sign last (`(-1.5) ** 2`, `(-1).real`, `(-1)[0]`, `(-1)(x)`): gast prints
    it bare there, and `-1.5 ** 2` is `-(1.5 ** 2)`."""
    if _Fast is None:
        return _signed_unparse(node)
    return _Fast().visit(node)


def _negative(node) -> bool:
    """A number constant with a sign: negative, or -0.0."""
    if node.__class__ is not gast.Constant:
        return False
    value = node.value
    return type(value) in (int, float) and (value < 0 or value == 0 and str(value).startswith("-"))


# (node class, the field where a negative number needs parentheses)
_TIGHT = {gast.BinOp: "left", gast.Attribute: "value", gast.Subscript: "value", gast.Call: "func"}


def _signed_unparse(node) -> str:
    """`gast.unparse` of `node` with each negative constant in a tight place written as
    the negation of its magnitude, which gast parenthesises (the tree is put back)."""
    undo = []
    try:
        for parent in nodes.of_class(node, tuple(_TIGHT)):
            field = _TIGHT[parent.__class__]
            if field == "left" and parent.op.__class__ is not gast.Pow:
                continue
            child = getattr(parent, field)
            if _negative(child):
                undo.append((parent, field, child))
                setattr(parent, field, gast.UnaryOp(op=gast.USub(), operand=nodes.const(-child.value)))
        return gast.unparse(node)
    finally:
        for parent, field, child in reversed(undo):
            setattr(parent, field, child)


if _Unparser is not None and all(hasattr(_Unparser, name) for name in (
        "binop", "binop_precedence", "binop_rassoc", "unop", "unop_precedence", "cmpops", "fill",
        "items_view", "_write_constant", "traverse")):
    _Name = gast.Name
    _TEST, _TUPLE, _YIELD, _CMP, _ATOM, _FACTOR = (_Precedence.TEST, _Precedence.TUPLE, _Precedence.YIELD,
                                                   _Precedence.CMP, _Precedence.ATOM, _Precedence.FACTOR)

    class _Fast(_Unparser):
        """gast's unparser with the common nodes' methods inlined (see the module)."""

        _methods: dict = {}

        def traverse(self, node):
            if node.__class__ is list:
                self._block(node)
                return
            method = self._methods.get(node.__class__)
            if method is None:
                method = self._methods[node.__class__] = getattr(
                    type(self), "visit_" + node.__class__.__name__, type(self).generic_visit)
            method(self, node)

        def _block(self, stmts: list) -> None:
            """A list of nodes: in a function, the statements of a block."""
            for item in stmts:
                self.traverse(item)

        def fill(self, text="", allow_semicolon=True):
            # gast's, with its `maybe_newline` and `write` calls inlined (the same parts
            # of `_source`): it starts every line
            if self._in_interactive and not self._indent and allow_semicolon:
                _Unparser.fill(self, text, allow_semicolon)
                return
            source = self._source
            if source:
                source.append("\n")
            source.append("    " * self._indent + text)

        def _operand(self, node) -> None:
            """`traverse(node)`, a plain name written directly (the most common operand)."""
            if node.__class__ is _Name and not node.annotation:
                self._source.append(node.id)
            else:
                self.traverse(node)

        def _tight(self, node) -> bool:
            """Traverse `node` where a sign would be read last; a negative number there
            is parenthesised. Says whether it was one."""
            if _negative(node):
                self._source.append("(")
                self._write_constant(node.value)
                self._source.append(")")
                return True
            self.traverse(node)
            return False

        def visit_Name(self, node):
            self._source.append(node.id)
            if node.annotation:
                self._source.append(": ")
                self.traverse(node.annotation)

        def visit_Constant(self, node):
            value = node.value
            if value.__class__ is int and node.kind is None:
                self._source.append(repr(value))
            elif value.__class__ is float and node.kind is None:
                self._write_constant(value)
            else:
                _Unparser.visit_Constant(self, node)

        def visit_BinOp(self, node):
            write, precedences = self._source.append, self._precedences
            operator = self.binop[node.op.__class__.__name__]
            level = self.binop_precedence[operator]
            parens = precedences.get(node, _TEST) > level
            if parens:
                write("(")
            right_associative = operator in self.binop_rassoc
            precedences[node.left] = level + 1 if right_associative else level
            self._tight(node.left) if right_associative else self._operand(node.left)
            write(" " + operator + " ")
            precedences[node.right] = level if right_associative else level + 1
            self._operand(node.right)
            if parens:
                write(")")

        def visit_UnaryOp(self, node):
            write = self._source.append
            operator = self.unop[node.op.__class__.__name__]
            level = self.unop_precedence[operator]
            parens = self._precedences.get(node, _TEST) > level
            if parens:
                write("(")
            write(operator)
            if level is not _FACTOR:
                write(" ")
            self._precedences[node.operand] = level
            self.traverse(node.operand)
            if parens:
                write(")")

        def visit_Compare(self, node):
            write, precedences = self._source.append, self._precedences
            parens = precedences.get(node, _TEST) > _CMP
            if parens:
                write("(")
            precedences[node.left] = _CMP + 1
            for e in node.comparators:
                precedences[e] = _CMP + 1
            self.traverse(node.left)
            for o, e in zip(node.ops, node.comparators):
                write(" " + self.cmpops[o.__class__.__name__] + " ")
                self.traverse(e)
            if parens:
                write(")")

        def visit_Call(self, node):
            write = self._source.append
            self._precedences[node.func] = _ATOM
            self._tight(node.func)
            write("(")
            comma = False
            for e in node.args:
                if comma:
                    write(", ")
                comma = True
                self._operand(e)
            for e in node.keywords:
                if comma:
                    write(", ")
                comma = True
                self.traverse(e)
            write(")")

        def visit_keyword(self, node):
            if node.arg is None:
                self._source.append("**")
            else:
                self._source.append(node.arg + "=")
            self.traverse(node.value)

        def visit_Attribute(self, node):
            self._precedences[node.value] = _ATOM
            value = node.value
            if not self._tight(value) and value.__class__ is gast.Constant and isinstance(value.value, int):
                self._source.append(" ")  # `3 .real`: `3.real` would not parse
            self._source.append("." + node.attr)

        def visit_Subscript(self, node):
            write = self._source.append
            self._precedences[node.value] = _ATOM
            self._tight(node.value)
            write("[")
            index = node.slice
            if index.__class__ is gast.Tuple and index.elts:
                self.items_view(self.traverse, index.elts)  # no parentheses: `a[i, j]`
            else:
                self.traverse(index)
            write("]")

        def visit_Tuple(self, node):
            parens = not node.elts or self._precedences.get(node, _TEST) > _TUPLE
            if parens:
                self._source.append("(")
            self.items_view(self.traverse, node.elts)
            if parens:
                self._source.append(")")

        def visit_List(self, node):
            write = self._source.append
            write("[")
            for i, e in enumerate(node.elts):
                if i:
                    write(", ")
                self.traverse(e)
            write("]")

        def visit_Assign(self, node):
            self.fill()
            for target in node.targets:
                self._precedences[target] = _TUPLE
                self._operand(target)
                self._source.append(" = ")
            self._operand(node.value)
            # (gast's get_type_comment, inlined)
            comment = self._type_ignores.get(node.lineno) or node.type_comment
            if comment is not None:
                self._source.append(" # type: {}".format(comment))

        def visit_AugAssign(self, node):
            self.fill()
            self.traverse(node.target)
            self._source.append(" " + self.binop[node.op.__class__.__name__] + "= ")
            self.traverse(node.value)

        def visit_Expr(self, node):
            self.fill()
            self._precedences[node.value] = _YIELD
            self.traverse(node.value)

        def visit_Return(self, node):
            self.fill("return")
            if node.value:
                self._source.append(" ")
                self.traverse(node.value)

        def visit_Delete(self, node):
            self.fill("del ")
            for i, target in enumerate(node.targets):
                if i:
                    self._source.append(", ")
                self.traverse(target)

    _NOTED = (gast.Assign, gast.Expr, gast.Return)

    class _Lines(_Fast):
        """The fast printer of a whole generated function, for `function_lines`: a line
        comment (`nodes.Comment`) as `# text`, `pass` after a block of nothing but
        comments, and, given `note`, a note after each simple statement with a line
        number in the function's own blocks (its body and the if/for/while blocks in
        them, not those of a try, a with or a nested def): `  # line N: <its source>`,
        written as a part of `_source` of its own (`notes` says which)."""

        _methods: dict = {}  # (its own: some of its methods are not _Fast's)

        def __init__(self, note=None):  # (gast makes one without, for an f-string's values)
            super().__init__()
            self.note = note
            self.noted = note is not None  # the statements being printed are noted
            self.notes: list[int] = []  # the positions of the notes in `_source`

        def _block(self, stmts: list, first: int = 0) -> None:
            """The statements of a block, from `stmts[first]` on."""
            noted = self.noted
            for stmt in stmts[first:] if first else stmts:
                if stmt.__class__ is nodes.Comment:
                    self.fill("# " + stmt.text)
                    continue
                if not hasattr(stmt, "lineno") and isinstance(stmt, gast.stmt):
                    stmt.lineno = None  # (the printer reads it, for a type comment)
                self.noted = noted and isinstance(stmt, (gast.If, gast.For, gast.While))
                self.traverse(stmt)
                self.noted = noted
                self._note(stmt)
            if stmts and all(stmt.__class__ is nodes.Comment for stmt in stmts):
                self.fill("pass")  # a comment is no statement

        def _note(self, stmt) -> None:
            """The note that follows `stmt`, if it has one."""
            if self.noted and isinstance(stmt, _NOTED):
                line = stmt.lineno
                text = self.note(line) if line else None
                if text:
                    self.notes.append(len(self._source))
                    self._source.append(f"  # line {line}: {text}")

        def _write_docstring_and_traverse_body(self, node):
            """gast's, with the body printed as a block: a docstring noted as any
            expression statement, and `pass` only after a body of nothing but comments."""
            docstring = self.get_raw_docstring(node)
            if docstring is None:
                self._block(node.body)
                return
            if not hasattr(node.body[0], "lineno"):
                node.body[0].lineno = None
            self._write_docstring(docstring)
            self._note(node.body[0])
            self._block(node.body, 1)

    def function_lines(fn_node, note=None) -> tuple[str, str] | None:
        """`(plain text, annotated text)` of a generated function from one pass of the
        fast printer: its line comments written as such and, in the annotated text,
        the note of each simple statement of its own blocks (`note(line)`, the source
        line it was made for) ending its line (see `codegen.to_sources`)."""
        printer = _Lines(note)
        printer.traverse(fn_node)
        parts = printer._source
        annotated = "".join(parts) + "\n"
        for at in printer.notes:
            parts[at] = ""
        return "".join(parts) + "\n", annotated
else:  # pragma: no cover
    _Fast = None

    def function_lines(fn_node, note=None):
        return None  # (codegen marks the tree for gast's own printer)
