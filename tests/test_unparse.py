"""The printer of generated code (`srcgrad.unparse`) writes what gast's unparser writes.

`unparse` is gast's unparser with the common nodes' methods written without
context managers; `_signed_unparse` is gast's own, the fallback. The two must
give the same characters for any tree: checked here on every module of
srcgrad, the test programs and the examples (all of Python's syntax that a
user's function or a derivative can hold, and more), and on the negative
number constants that folding makes, which both parenthesise where Python
would read the sign last.
"""
import math
import pathlib

import gast
import numpy as np
import pytest

from srcgrad import nodes, unparse as printer

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = sorted(p for d in ("srcgrad", "tests/programs", "examples", "benchmarks") for p in (ROOT / d).rglob("*.py"))


def test_the_fast_printer_is_in_use():
    assert printer._Fast is not None  # gast's unparser has the internals it builds on


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_text_as_gasts_unparser(path):
    tree = nodes.parse(path.read_text())
    assert printer.unparse(tree) == printer._signed_unparse(tree)


def _power(base):
    return gast.BinOp(left=base, op=gast.Pow(), right=nodes.const(2))


@pytest.mark.parametrize("value", [-1.5, -3, -0.0, -math.inf, -1e-300])
def test_a_negative_number_is_parenthesised_where_its_sign_would_be_read_last(value):
    cases = {
        "power": _power(nodes.const(value)),
        "attribute": gast.Attribute(value=nodes.const(value), attr="real", ctx=gast.Load()),
        "subscript": gast.Subscript(value=nodes.name("t"), slice=nodes.const(value), ctx=gast.Load()),
        "right of a power": gast.BinOp(left=nodes.const(2.0), op=gast.Pow(), right=nodes.const(value)),
        "product": gast.BinOp(left=nodes.const(value), op=gast.Mult(), right=nodes.const(3)),
    }
    expected = {
        "power": value ** 2,
        "attribute": value.real,
        "subscript": value,
        "right of a power": 2.0 ** value,
        "product": value * 3,
    }
    for what, expr in cases.items():
        text = printer.unparse(expr)
        assert text == printer._signed_unparse(expr), what
        got = eval(text, {"t": {value: value}})
        assert got == expected[what] or math.isnan(got) and math.isnan(expected[what]), (what, text)
        assert math.copysign(1, got) == math.copysign(1, expected[what]), (what, text)
    assert printer.unparse(cases["power"]).startswith("(-")


def test_a_negative_number_called_or_indexed_keeps_its_parentheses():
    call = gast.Call(func=nodes.const(-1), args=[], keywords=[])
    index = gast.Subscript(value=nodes.const(-2.5), slice=nodes.const(0), ctx=gast.Load())
    assert printer.unparse(call) == printer._signed_unparse(call) == "(-1)()"
    assert printer.unparse(index) == printer._signed_unparse(index) == "(-2.5)[0]"


def test_an_int_before_an_attribute_is_spaced_and_a_negative_one_parenthesised():
    positive = gast.Attribute(value=nodes.const(3), attr="real", ctx=gast.Load())
    negative = gast.Attribute(value=nodes.const(-3), attr="real", ctx=gast.Load())
    assert printer.unparse(positive) == "3 .real"
    assert printer.unparse(negative) == "(-3).real"
    assert eval(printer.unparse(negative)) == -3


def test_the_tree_is_left_as_it_was():
    expr = _power(nodes.const(-1.5))
    before = gast.dump(expr)
    printer.unparse(expr)
    printer._signed_unparse(expr)
    assert gast.dump(expr) == before


def _marked_and_printed(fn, note):
    """`to_sources` of `fn` both ways: printed in one pass (`unparse.function_lines`),
    and through the comment and note markers gast's own printer needs (on a copy)."""
    from srcgrad import codegen

    if not hasattr(fn, "lineno"):
        fn.lineno = None  # (as `to_sources` does)
    copy = nodes.clone(fn)
    return printer.function_lines(fn, note), codegen._marked_sources(copy, note)


def test_function_lines_as_the_markers_give_them():
    """Comments, `pass` after a block of nothing but comments, and notes only in the
    function's own if/for/while blocks (not a try's, a with's or a nested def's), after
    a docstring too; an `elif` chain stays one."""
    text = '''
def f(x, c):
    """doc"""
    y = x * 2.0
    if c:
        z = y
    elif x:
        z = x
    else:
        z = 0.0
    for i in range(3):
        if i:
            y = y + 1.0
            print(f"step {i}: {y!r:>8}")
    try:
        with g():
            y = y - 1.0
    except ValueError:
        y = 0.0
    def h(u):
        return u
    return y
'''
    fn = nodes.parse(text).body[0]
    first_if = fn.body[2]
    first_if.body.insert(0, nodes.comment("backward of line 5"))
    first_if.orelse[0].orelse = [nodes.comment("only a comment")]
    fn.body[3].body[0].orelse = [nodes.comment("else: nothing")]
    fn.body[4].body[0].body.insert(0, nodes.comment("in a with"))
    fn.body[5].body.append(nodes.comment("in a nested def"))
    fn.body.insert(1, nodes.comment("after the docstring"))
    fn.body.insert(3, nodes.assign("w", nodes.name("y")))  # built here: no line number
    notes = lambda line: f"source line {line}"  # noqa: E731
    for note in (None, notes):
        printed, marked = _marked_and_printed(fn, note)
        assert printed == marked
    plain, annotated = printer.function_lines(fn, notes)
    assert "elif x:" in plain and "# in a nested def" in plain and "    pass" in plain
    assert annotated.count("# line") == 7  # the docstring, y, z, z, y and print (in for/if), return y
    assert "source line 17" not in annotated and "source line 21" not in annotated
    assert len(plain.splitlines()) == len(annotated.splitlines())


@pytest.mark.parametrize("mode", ["grad", "split", "forward"])
def test_generated_functions_print_as_the_markers_give_them(mode, monkeypatch):
    """Every function a derivative of the loop and branch programs prints, the twin of a
    fast path too: the one-pass printer writes what the marked tree gives."""
    import srcgrad
    from srcgrad import codegen

    sys_path = str(ROOT / "tests" / "programs")
    monkeypatch.syspath_prepend(sys_path)
    import control_flow
    import loops

    seen = []
    real = codegen.to_sources

    def both(fn, note=None):
        printed, marked = _marked_and_printed(fn, note)
        assert printed == marked
        seen.append(fn.name)
        return real(fn, note)

    monkeypatch.setattr(codegen, "to_sources", both)
    for fn, args in [(loops.weighted_sum, (np.arange(3.0), 2.0)), (loops.power_series, (0.5, 4)),
                     (control_flow.piecewise, (0.3,)), (control_flow.nested_branches, (0.3, -1.0))]:
        if mode == "grad":
            srcgrad.grad(fn, wrt=0)(*args)
        elif mode == "split":
            srcgrad.vjp(fn, *args, wrt=0)
        else:
            srcgrad.source(fn, mode="forward", wrt=0)
    assert seen
