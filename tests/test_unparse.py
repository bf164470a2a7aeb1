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
