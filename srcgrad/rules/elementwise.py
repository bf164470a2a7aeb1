"""The elementwise functions of one argument, shared by `math` and NumPy: one row each.

A row names the function in each namespace and writes its derivative once, as
an expression in the argument `x` and the result `z`:

    Row("sqrt", numpy.sqrt, math.sqrt, divisor="2.0 * z", at={0.0: inf})

says z = sqrt(x) has z' = 1 / (2 z), and that at x = 0, where that divisor
vanishes, the derivative is +inf. `factor=` gives z' itself instead. A leading
minus (`factor="-sin(x)"`, `divisor="-sqrt(1.0 - x * x)"`) goes on the adjoint.
The functions a derivative calls (`sqrt`, `sin`, `cos`, `sinh`, `cosh`, `exp`,
`sign`) are spelled by each namespace (`numpy.sqrt`, `math.sqrt`).

Each rule file turns the rows into its adjoint and tangent templates with its
`Namespace`, which says how a derivative is guarded there:

- a `divisor` that vanishes at one of the row's points `at` (sqrt and log at 0,
  arcsin at 1) divides through `pole_ratio`, which gives the signed inf there
  and keeps a zero adjoint or tangent zero (0 * inf = 0: the entries
  numpy.where did not select), on arrays and Python numbers alike. A namespace
  needs it only where its function is defined at such a point
  (`math.sqrt(0.0)`, every NumPy function); where it raises (`math.log(0.0)`),
  the forward sweep raises first and the plain `/` stays;
- a `factor` that is infinite where the result is (`overflows`: exp, cosh)
  multiplies an adjoint through the namespace's product guard, for the same
  zero. `math` has none: its functions raise OverflowError instead. A tangent
  needs none: its factor is infinite only where the result itself is;
- `at` also records conventions at kinks (`abs'(0) = 0`, from `sign`).

tests/test_rules_elementwise.py reads this table: every row needs a rule case
in each of its namespaces, and every point in `at` is checked in both modes and
both namespaces. docs/rules.md shows how to add a row.
"""
from __future__ import annotations

import ast
import linecache
import math
from dataclasses import dataclass, field
from math import inf

import numpy

from srcgrad.runtime import masked_product, pole_ratio, sinc_derivative
from srcgrad.templates import d

from . import registry


@dataclass(frozen=True)
class Row:
    """One elementwise function: its objects per namespace and its derivative."""

    name: str
    numpy: object = None          # a NumPy function, a tuple of them, or None
    math: object = None           # the `math` function, or None
    factor: str | None = None     # z' as an expression in x and z
    divisor: str | None = None    # or z' = 1 / divisor
    overflows: bool = False       # factor is infinite where z is (exp(x) for large x)
    at: dict = field(default_factory=dict)  # x -> z' where the formula has none, or a kink

    def primitives(self, module: str) -> tuple:
        """The distinct objects of this row in `module` ("numpy" or "math")."""
        found = getattr(self, module)
        found = found if isinstance(found, tuple) else () if found is None else (found,)
        return tuple(p for i, p in enumerate(found) if not any(p is q for q in found[:i]))


ROWS = (
    # exponentials and logarithms (math.log takes a base: its rule is in math.py)
    Row("exp", numpy.exp, math.exp, factor="z", overflows=True),
    Row("exp2", numpy.exp2, factor="z * math.log(2.0)", overflows=True),
    Row("expm1", numpy.expm1, math.expm1, factor="z + 1.0", overflows=True),
    Row("log", numpy.log, divisor="x", at={0.0: inf}),
    Row("log2", numpy.log2, math.log2, divisor="x * math.log(2.0)", at={0.0: inf}),
    Row("log10", numpy.log10, math.log10, divisor="x * math.log(10.0)", at={0.0: inf}),
    Row("log1p", numpy.log1p, math.log1p, divisor="1.0 + x", at={-1.0: inf}),
    # powers and roots
    Row("sqrt", numpy.sqrt, math.sqrt, divisor="2.0 * z", at={0.0: inf}),
    Row("cbrt", numpy.cbrt, divisor="3.0 * z * z", at={0.0: inf}),
    Row("square", numpy.square, factor="2.0 * x"),
    Row("reciprocal", numpy.reciprocal, factor="-(z * z)", overflows=True, at={0.0: -inf}),
    # trigonometric and hyperbolic
    Row("sin", numpy.sin, math.sin, factor="cos(x)"),
    Row("cos", numpy.cos, math.cos, factor="-sin(x)"),
    Row("tan", numpy.tan, math.tan, factor="1.0 + z * z"),
    Row("arcsin", numpy.arcsin, math.asin, divisor="sqrt(1.0 - x * x)", at={-1.0: inf, 1.0: inf}),
    Row("arccos", numpy.arccos, math.acos, divisor="-sqrt(1.0 - x * x)", at={-1.0: -inf, 1.0: -inf}),
    Row("arctan", numpy.arctan, math.atan, divisor="1.0 + x * x"),
    Row("sinh", numpy.sinh, math.sinh, factor="cosh(x)", overflows=True),
    Row("cosh", numpy.cosh, math.cosh, factor="sinh(x)", overflows=True),
    Row("tanh", numpy.tanh, math.tanh, factor="1.0 - z * z"),
    Row("arcsinh", numpy.arcsinh, math.asinh, divisor="sqrt(x * x + 1.0)"),
    Row("arccosh", numpy.arccosh, math.acosh, divisor="sqrt(x * x - 1.0)", at={1.0: inf}),
    Row("arctanh", numpy.arctanh, math.atanh, divisor="1.0 - x * x", at={-1.0: inf, 1.0: inf}),
    Row("degrees", (numpy.degrees, numpy.rad2deg), math.degrees, factor="57.29577951308232"),
    Row("radians", (numpy.radians, numpy.deg2rad), math.radians, factor="0.017453292519943295"),
    # the rest (2 / sqrt(pi) = 1.128...)
    Row("absolute", (numpy.absolute, numpy.abs, numpy.fabs), math.fabs, factor="sign(x)", at={0.0: 0.0}),
    Row("sinc", numpy.sinc, factor="sinc_derivative(x, z)"),
    Row("erf", None, math.erf, factor="1.1283791670955126 * exp(-x * x)"),
    Row("erfc", None, math.erfc, factor="-(1.1283791670955126 * exp(-x * x))"),
)


@dataclass(frozen=True)
class Namespace:
    """How one namespace's rules spell and guard the table's derivatives."""

    module: str         # "numpy" or "math": the row field, and the prefix of `sqrt`, `sin`, ...
    product: str | None  # the guard of a factor that overflows, or None for a plain `*`
    spelled: dict       # other functions a derivative calls: name -> format of the call

    def call(self, name: str, arg: str) -> str:
        """The text of `name(arg)` in this namespace."""
        if name in self.spelled:
            return self.spelled[name].format(arg)
        return f"{self.module}.{name}({arg})"


_FUNCTIONS = {"sqrt", "sin", "cos", "sinh", "cosh", "exp", "sign"}  # spelled per namespace

# The template globals: what a generated template's free names mean.
_GLOBALS = {"d": d, "math": math, "numpy": numpy, "masked_product": masked_product,
            "pole_ratio": pole_ratio, "sinc_derivative": sinc_derivative}


def register(namespace: Namespace) -> None:
    """Register the adjoint and tangent rule of every row that has `namespace`'s function."""
    for row in ROWS:
        primitives = row.primitives(namespace.module)
        if not primitives:
            continue
        adjoint_line, tangent_line = rule_lines(row, namespace)
        registry.adjoint(*primitives)(_template(row, namespace, "adjoint", adjoint_line))
        registry.tangent(*primitives)(_template(row, namespace, "tangent", tangent_line))


def rule_lines(row: Row, namespace: Namespace) -> tuple[str, str]:
    """The adjoint's and the tangent's one line for `row` in `namespace`:
    `d[x] = ...` and `d[z] = ...`."""
    negative, expr, top = _spelled(row.factor if row.factor is not None else row.divisor, namespace)
    minus = "-" if negative else ""
    if row.factor is not None:
        plain = expr if top in _BINDS_AS_FACTOR else f"({expr})"
        guarded = row.overflows and namespace.product is not None
        adjoint = f"{namespace.product}({minus}d[z], {expr})" if guarded else f"{minus}d[z] * {plain}"
        return f"d[x] = {adjoint}", f"d[z] = {minus}d[x] * {plain}"
    if _needs_ratio(row, namespace):
        return f"d[x] = pole_ratio({minus}d[z], {expr})", f"d[z] = pole_ratio({minus}d[x], {expr})"
    plain = expr if top in _BINDS_AS_DIVISOR else f"({expr})"
    return f"d[x] = {minus}d[z] / {plain}", f"d[z] = {minus}d[x] / {plain}"


# Expressions that need no parentheses after `d * ` (left-associative: `d * a / b`)
# or after `d / `: the node types at their top.
_BINDS_AS_DIVISOR = {ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript}
_BINDS_AS_FACTOR = _BINDS_AS_DIVISOR | {ast.Mult, ast.Div}


def _spelled(text: str, namespace: Namespace) -> tuple[bool, str, type]:
    """(whether `text` is negated, its text without the minus in `namespace`'s
    spelling, the type of its top node: an operator's for a binary operation)."""
    tree = ast.parse(text, mode="eval").body
    negative = isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub)
    if negative:
        tree = tree.operand

    class Spell(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
                (arg,) = node.args
                return ast.parse(namespace.call(node.func.id, ast.unparse(arg)), mode="eval").body
            return node

    tree = Spell().visit(tree)
    top = type(tree.op) if isinstance(tree, ast.BinOp) else type(tree)
    return negative, ast.unparse(tree), top


def _needs_ratio(row: Row, namespace: Namespace) -> bool:
    """Whether the divisor of `row` vanishes where `namespace`'s function is defined."""
    return any(_defined(fn, point) for fn in row.primitives(namespace.module) for point in row.at)


def _defined(fn, x: float) -> bool:
    try:
        with numpy.errstate(all="ignore"):
            fn(x)
    except (ValueError, OverflowError, ZeroDivisionError):  # math's domain errors
        return False
    return True


def _template(row: Row, namespace: Namespace, mode: str, line: str):
    """A template function for `line`, with source that `inspect` finds (linecache)."""
    name = f"{row.name}_{mode}"
    filename = f"<srcgrad/rules/elementwise.py:{namespace.module} {row.name} {mode}>"
    text = f"def {name}(z, x):\n    {line}\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    scope = dict(_GLOBALS)
    exec(compile(text, filename, "exec"), scope)  # noqa: S102 -- our own table's text
    return scope[name]
