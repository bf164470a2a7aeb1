"""A `lambda` as a `def`: find its node in the file and give it a name and a body.

Python records a lambda's first line, but several lambdas may start there
(`fs = (lambda x: x**2, lambda x: x**3)`, or one inside another). From
Python 3.11 on, every instruction also records the columns of the code it
came from (`co_positions`), so the lambda is the one whose body holds the
positions of all its instructions (the innermost such, when lambdas nest).
Python 3.10 records no columns: there the lambdas on the line are told
apart by their parameter names alone, and those that still cannot be are a
SrcGradError. The function definition handed to the pipeline is
`def <name>(<the lambda's parameters>): return <its body>`, named after what
the lambda is assigned to (`sq = lambda x: ...` gives `sq`).
"""
from __future__ import annotations

import inspect
import linecache
import textwrap

import gast

from . import identity, nodes
from .errors import Location, SrcGradError

NAME = "<lambda>"
_UNNAMED = "lambda_"  # a lambda that is not assigned to a name



def is_lambda(fn) -> bool:
    return fn.__code__.co_name == NAME


def definition(fn, filename: str) -> tuple:
    """(`def` tree for the lambda `fn`, the file's lines). Line numbers and columns
    are the file's."""
    code = fn.__code__
    file_lines = linecache.getlines(filename)
    module = _module(filename, file_lines) if file_lines else None
    if module is None:  # not a whole Python file (a cell with magics): the lambda's statement
        module, file_lines = _statement(fn, filename, file_lines)
    found = _candidates(module, code)
    if len(found) != 1:
        line = file_lines[code.co_firstlineno - 1] if code.co_firstlineno <= len(file_lines) else ""
        where = Location(filename, code.co_firstlineno, len(line) - len(line.lstrip()), line.rstrip("\n"))
        if not found:
            raise SrcGradError("cannot find the source of this lambda", where,
                               hint="define the function with `def`")
        columns = "Python 3.10 records no columns, so lambdas on one line cannot be told apart" \
            if not hasattr(code, "co_positions") else "their recorded columns do not tell them apart"
        raise SrcGradError(f"{len(found)} lambdas on line {code.co_firstlineno} could be this "
                           f"function: {columns}", where,
                           hint="put the lambda on a line of its own, or define it with `def`")
    node = found[0]
    return _as_def(node, _name(module, node)), file_lines


def _parse(filename: str, file_lines: list):
    """The gast module of a file's text, or None when it does not parse."""
    try:
        return nodes.parse("".join(file_lines))
    except (SyntaxError, ValueError):
        return None


_module = identity.PerText(_parse).get  # parsed once per version of the text


def _statement(fn, filename: str, file_lines: list) -> tuple:
    """(a module of just the lines `inspect` finds for `fn`, at their line numbers and
    columns, the file's lines); SrcGradError when those do not parse."""
    try:
        lines, first = inspect.getsourcelines(fn.__code__)
    except (OSError, TypeError) as err:
        timed = filename in ("<timed exec>", "<magic-timeit>")  # IPython keeps no text of these
        raise SrcGradError(
            f"cannot read the source of this lambda ({filename}): {err}",
            hint="IPython's %time / %timeit compile their line without keeping its text: assign the "
                 "lambda on a line of its own first (`f = lambda x: ...`), then `%time srcgrad.grad(f)(x)`"
            if timed else "define the function in a file or a notebook cell, not through exec") from None
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip())
    try:
        module = nodes.parse("\n" * (first - 1) + text)
    except SyntaxError:
        raise SrcGradError(f"cannot parse the source of this lambda ({filename}:{first})",
                           hint="define the function with `def`") from None
    if indent:
        for node in gast.walk(module):
            if getattr(node, "col_offset", None) is not None:
                node.col_offset += indent
                node.end_col_offset += indent
    if not file_lines or len(file_lines) < first - 1 + len(lines):
        file_lines = [""] * (first - 1) + lines
    return module, file_lines


def _parameters(args) -> list[str]:
    names = [a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)]
    return names + [a.id for a in (args.vararg, args.kwarg) if a is not None]


def _code_parameters(code) -> list[str]:
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return list(code.co_varnames[:count])


def _positions(code) -> list:
    """(line, col, end line, end col) of the code `code`'s instructions came from;
    the empty spans Python gives its own prologue and epilogue left out."""
    if not hasattr(code, "co_positions"):
        return []
    return [(line, col, end, end_col) for line, end, col, end_col in code.co_positions()
            if None not in (line, end, col, end_col) and (line, col) != (end, end_col)]


def _holds(node, position) -> bool:
    """Whether `node`'s span holds the span `position`."""
    line, col, end, end_col = position
    return (node.lineno, node.col_offset) <= (line, col) \
        and (end, end_col) <= (node.end_lineno, node.end_col_offset)


def _candidates(module, code) -> list:
    """The lambdas of `module` that may have compiled to `code`."""
    params = _code_parameters(code)
    found = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)
             and n.lineno == code.co_firstlineno and _parameters(n.args) == params]
    positions = _positions(code)
    if not positions or len(found) < 2:
        return found
    found = [n for n in found if all(_holds(n.body, p) for p in positions)]
    # the innermost: one lambda's body holds a nested lambda that holds the positions too
    return [n for n in found if not any(m is not n and _holds(n.body, _span(m)) for m in found)]


def _span(node) -> tuple:
    return node.lineno, node.col_offset, node.end_lineno, node.end_col_offset


def _name(module, lam) -> str:
    """What the lambda is bound to, as the name of its `def`: `sq = lambda ...`,
    `f, g = lambda ..., lambda ...`, `act=lambda ...` (a keyword), `{"sq": lambda ...}`."""
    for node in gast.walk(module):
        if isinstance(node, gast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if value is lam and isinstance(target, gast.Name):
                return target.id
            if isinstance(target, gast.Tuple) and isinstance(value, gast.Tuple) \
                    and len(target.elts) == len(value.elts):
                for t, v in zip(target.elts, value.elts):
                    if v is lam and isinstance(t, gast.Name):
                        return t.id
        elif isinstance(node, gast.keyword) and node.value is lam and node.arg:
            return node.arg
        elif isinstance(node, gast.Dict):
            for k, v in zip(node.keys, node.values):
                if v is lam and isinstance(k, gast.Constant) and isinstance(k.value, str) \
                        and k.value.isidentifier():
                    return k.value
    return _UNNAMED


def _as_def(lam, name: str):
    """`def name(<lambda's parameters>): return <lambda's body>`, at the lambda's position."""
    body = nodes.clone(lam.body)
    ret = gast.Return(value=body)
    gast.copy_location(ret, body)
    ret.end_lineno, ret.end_col_offset = body.end_lineno, body.end_col_offset
    extra = {"type_params": []} if "type_params" in gast.FunctionDef._fields else {}
    fdef = gast.FunctionDef(name=name, args=nodes.clone(lam.args), body=[ret], decorator_list=[],
                            returns=None, type_comment=None, **extra)
    gast.copy_location(fdef, lam)
    fdef.end_lineno, fdef.end_col_offset = lam.end_lineno, lam.end_col_offset
    return fdef
