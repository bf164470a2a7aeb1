"""The last touches every generated function gets, in either mode.

`dedupe_comments` drops a `# line N: ...` comment that repeats the one before
it in the same block; `with_finite_checks` (for `debug_nans`) puts after each
assignment a check that names the generated statement and its original line.
"""
from __future__ import annotations

import gast

from . import codegen, nodes


def dedupe_comments(stmts: list) -> list:
    """Drop a line comment that repeats the previous one in the same block."""
    out: list = []
    last = None
    for stmt in stmts:
        if nodes.is_comment(stmt):
            text = stmt.text
            if text == last:
                continue
            last = text
        nodes.map_blocks(stmt, dedupe_comments)
        out.append(stmt)
    return out


def with_finite_checks(body: list, ctx) -> list:
    """After each assignment, a check that names the statement and its original line."""
    check = ctx.rename_global("check_finite")
    out: list = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):  # inside branches and loops too
            stmt.body = with_finite_checks(stmt.body, ctx)
            stmt.orelse = with_finite_checks(stmt.orelse, ctx)
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], (gast.Name, gast.Subscript)):
            target = stmt.targets[0]
            checked = target.value.id if isinstance(target, gast.Subscript) else target.id
            generated = codegen.statement_text(stmt)
            line = getattr(stmt, "lineno", None)
            origin = f"line {line}: {ctx.line(line)}" if line else "a value saved for the backward sweep"
            out.append(nodes.expr_stmt(gast.Call(
                func=nodes.name(check),
                args=[nodes.name(checked), nodes.const(generated), nodes.const(origin)],
                keywords=[])))
    return out
