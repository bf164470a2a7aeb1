"""Work on one piece of copied text: the global names it reads (from its symbol
table), their order of first use and the attributes read from them, renaming
references token by token, and numbers, strings and tuples written as literals.
"""
from __future__ import annotations

import ast
import io
import tokenize

from .. import nodes

_LITERAL_TYPES = (bool, int, float, complex, str, bytes, type(None))


def _global_refs(table, defined: set) -> tuple[set, set]:
    """Names a text reads as globals, and the names local to any function/class scope."""
    refs: set[str] = set()
    local: set[str] = set()

    def walk(t, top):
        for sym in t.get_symbols():
            name = sym.get_name()
            if top:
                if sym.is_referenced() and name not in defined and not sym.is_imported() \
                        and not sym.is_assigned():
                    refs.add(name)
            else:
                if sym.is_global() and (sym.is_referenced() or sym.is_assigned()):
                    refs.add(name)
                elif sym.is_local() or sym.is_parameter():
                    local.add(name)
        for child in t.get_children():
            walk(child, False)

    walk(table, True)
    return refs - defined, local


def _first_use(text: str) -> dict:
    order: dict[str, int] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string not in order:
            order[tok.string] = len(order)
    return order


def _attribute_uses(text: str) -> dict:
    """name -> the dotted attribute chains read from it (`np.linalg.norm` -> linalg.norm)."""
    out: dict[str, set] = {}
    for node in ast.walk(nodes.parse_ast(text)):
        if isinstance(node, ast.Attribute):
            chain = []
            base = node
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name):
                out.setdefault(base.id, set()).add(".".join(reversed(chain)))
    return out


def _rename(text: str, rename: dict) -> str:
    """Rename NAME tokens per `rename`: not attributes (`x.name`), not keyword
    arguments or parameter defaults (`f(name=...)`)."""
    if not rename:
        return text
    lines = text.splitlines(keepends=True)
    edits: list = []
    previous = None
    depth = 0
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.NAME and tok.string in rename:
            after = next((t for t in tokens[i + 1:] if t.type not in skip), None)
            is_attribute = previous is not None and previous.string == "."
            is_keyword = depth > 0 and after is not None and after.type == tokenize.OP \
                and after.string == "="
            if not is_attribute and not is_keyword:
                edits.append((tok.start, tok.end, rename[tok.string]))
        if tok.type not in skip:
            previous = tok
    for (row, col), (_, ecol), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[ecol:]
    return "".join(lines)


def _is_literal_tuple(value) -> bool:
    return type(value) is tuple and all(
        type(v) in _LITERAL_TYPES or _is_literal_tuple(v) for v in value)


def _literal_text(value) -> str:
    if type(value) is float and (value != value or value in (float("inf"), float("-inf"))):
        return f"float({repr(value)!r})"
    if type(value) is complex:
        return f"complex({_literal_text(value.real)}, {_literal_text(value.imag)})"
    if type(value) is tuple:
        items = ", ".join(_literal_text(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    return repr(value)
